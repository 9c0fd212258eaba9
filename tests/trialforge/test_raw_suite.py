"""A study's raw-data expectations are the ones its SDTM spec declares (RawDataExpectations in the Study or
Define sheet, a YAML file beside the workbook), never the example's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from trialforge.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main
from trialforge.example_study import example_spec
from trialforge.example_study.generator import generate_study

TINY_SUITE = """suite: user
forms:
  - form: DM
    file: dm.csv
    expectations:
      - {id: USER-DM-1, expect: in_set, column: SEX, values: [Nobody]}
"""


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("study") / "raw"
    generate_study(folder, subjects=8, seed=20240101)
    return folder


def _user_spec(folder: Path, declaration: str | None) -> Path:
    """The example's SDTM workbook as a user's: declaring `declaration`, or no suite at all."""
    folder.mkdir(parents=True, exist_ok=True)
    book = load_workbook(example_spec("sdtm"))
    sheet = book["Define"]
    for cells in sheet.iter_rows(min_row=2):
        if cells[0].value == "RawDataExpectations":
            if declaration is None:
                sheet.delete_rows(cells[0].row)
            else:
                cells[1].value = declaration
            break
    else:
        raise AssertionError("the example's SDTM spec declares no RawDataExpectations")
    path = folder / "sdtm_spec.xlsx"
    book.save(path)
    return path


def _build(raw: Path, spec: Path, out: Path) -> int:
    return main(["build", "--study", str(raw), "--sdtm-spec", str(spec), "--stages", "sdtm,validate",
                 "--out", str(out)])


def _report(out: Path) -> dict:
    return json.loads((out / "audit" / "validation" / "validation-report.json").read_text(encoding="utf-8"))


def test_a_study_whose_spec_declares_no_suite_has_no_raw_data_findings(raw, tmp_path, capsys):
    out = tmp_path / "pkg"
    assert _build(raw, _user_spec(tmp_path / "spec", None), out) == EXIT_OK
    assert [f for f in _report(out)["findings"] if f["source"] == "expectation"] == []
    log = json.loads((out / "audit" / "build-log.json").read_text(encoding="utf-8"))
    read_raw = next(s for s in log["stages"] if s["stage"] == "read-raw")
    assert read_raw["raw_expectations"].startswith("none declared")
    assert capsys.readouterr().err.count("no raw-data expectations declared") == 1


def test_the_declared_suite_is_read_beside_the_spec_and_only_it_runs(raw, tmp_path):
    spec = _user_spec(tmp_path / "spec", "checks/user_raw.yaml")
    (spec.parent / "checks").mkdir()
    (spec.parent / "checks" / "user_raw.yaml").write_text(TINY_SUITE, encoding="utf-8")
    out = tmp_path / "pkg"
    assert _build(raw, spec, out) == EXIT_OK
    raw_findings = [f for f in _report(out)["findings"] if f["source"] == "expectation"]
    assert raw_findings and {f["rule_id"] for f in raw_findings} == {"USER-DM-1"}
    assert len(raw_findings) == len((raw / "dm.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_a_declared_suite_that_is_not_there_stops_the_build(raw, tmp_path, capsys):
    out = tmp_path / "pkg"
    assert _build(raw, _user_spec(tmp_path / "spec", "missing.yaml"), out) == EXIT_INPUT
    assert "missing.yaml" in capsys.readouterr().err
    assert not out.exists()


def test_validate_needs_the_suite_named_with_raw(raw, tmp_path, capsys):
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    shutil.copy(raw / "dm.csv", sdtm / "dm.csv")
    assert main(["validate", str(sdtm), "--raw", str(raw), "--out", str(tmp_path / "report")]) == EXIT_USAGE
    assert "--raw-suite" in capsys.readouterr().err


def test_raw_data_docs_only_on_request(tmp_path):
    out = tmp_path / "pkg"
    assert main(["build", "--example", "--subjects", "8", "--stages", "sdtm", "--raw-data-docs",
                 "--out", str(out)]) == EXIT_OK
    assert (out / "audit" / "raw-data-docs" / "index.html").is_file()  # great-expectations' data docs
