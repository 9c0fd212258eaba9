"""Changing a parameter in the ADaM spec workbook changes the data and define.xml together (CLI, end to end)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pyreadstat
import pytest

from tests.robustness.conftest import EXAMPLE_SDTM_SPEC, run_cli
from trialforge.example_study import example_spec
from trialforge.example_study.generator import generate_study


def _spec_with_confirmation(folder: Path, days: int | None) -> Path:
    """A copy of the example ADaM workbook whose Mapping rows state `ref_confirm=days` (None: as shipped)."""
    target = folder / "adam_spec.xlsx"
    shutil.copy(example_spec("adam"), target)
    if days is None:
        return target
    book = openpyxl.load_workbook(target)
    sheet = book["Mapping"]
    edited = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "ref_confirm=28" in cell.value:
                cell.value = cell.value.replace("ref_confirm=28", f"ref_confirm={days}")
                edited += 1
    assert edited == 2  # CRSP and CBOR
    book.save(target)
    return target


def _build(tmp_path: Path, raw: Path, days: int | None, *extra: str) -> Path:
    folder = tmp_path / f"confirm-{days}-{len(extra)}"
    folder.mkdir()
    out = folder / "pkg"
    result = run_cli("build", "--study", raw, "--sdtm-spec", EXAMPLE_SDTM_SPEC, "--adam-spec",
                     _spec_with_confirmation(folder, days), "--out", out, "--stages", "sdtm,adam,define", *extra)
    assert result.code == 0, result.text
    return out


def _cbor(package: Path) -> dict[str, str]:
    (path,) = package.rglob("adrs.xpt")
    frame, _ = pyreadstat.read_xport(str(path))
    chosen = frame[frame["PARAMCD"] == "CBOR"]
    return dict(zip(chosen["USUBJID"], chosen["AVALC"]))


def _adam_define(package: Path) -> str:
    (path,) = [p for p in package.rglob("define.xml") if "analysis" in p.parts]
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spec-driven") / "raw"
    generate_study(folder, subjects=50, seed=20240101)
    return folder


@pytest.fixture(scope="module")
def longer(tmp_path_factory, raw) -> Path:
    """A build whose ADaM spec states a 150-day confirmation."""
    return _build(tmp_path_factory.mktemp("longer"), raw, 150)


def test_confirmation_days_in_the_spec_change_the_data_and_define_xml(tmp_path, raw, longer):
    shipped = _build(tmp_path, raw, None)
    before, after = _cbor(shipped), _cbor(longer)
    changed = {s: (before[s], after[s]) for s in before if before[s] != after[s]}
    assert changed, "a 150-day confirmation window should leave some responses unconfirmed"
    assert all(old in ("CR", "PR") and new not in ("CR", "PR") for old, new in changed.values()), changed
    assert "at least 28 days later" in _adam_define(shipped)
    text = _adam_define(longer)
    assert "at least 150 days later" in text and "at least 28 days later" not in text


def test_a_param_override_reaches_define_xml_and_the_build_log(tmp_path, raw, longer):
    package = _build(tmp_path, raw, None, "--param", "confirm_days=150")
    assert _cbor(package) == _cbor(longer)
    assert "at least 150 days later" in _adam_define(package)
    log = (package / "audit" / "build-log.json").read_text(encoding="utf-8")
    parameters = json.loads(log)["stages"][0]["adam_parameters"]
    assert parameters["confirm_days"] == {"value": "150", "from": "--param"}
