"""A Sources row's File must stay inside the study folder (issue 11): `..`, an absolute path or a symbolic
link leading out is refused with exit 3 naming the Sources row's File, and the file outside is never read."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.robustness.conftest import run_cli, snapshot
from trialforge.example_study import example_raw_expectations, example_spec

SOURCES = ["Form", "File", "Format", "Options", "Subject Column", "Site Column", "Visit Column", "Instance Column",
           "Date Formats", "Date Failure Threshold"]


def spec_reading_cm_from(tmp_path: Path, file: str) -> Path:
    """The example's SDTM spec with a Sources row for CM naming `file` (other rows as the example has them)."""
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(example_raw_expectations(), folder / example_raw_expectations().name)
    book = openpyxl.load_workbook(example_spec("sdtm"))
    sheet = book["Sources"]
    assert [c.value for c in sheet[1]] == SOURCES
    values = {"Form": "CM", "File": file, "Subject Column": "Subject", "Site Column": "SiteNumber",
              "Visit Column": "Folder", "Instance Column": "InstanceName"}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "CM":
            for header, cell in zip(SOURCES, row):
                cell.value = values.get(header)
            break
    else:
        sheet.append([values.get(h) for h in SOURCES])
    book.save(folder / "sdtm.xlsx")
    return folder / "sdtm.xlsx"


@pytest.mark.parametrize("kind", ["parent", "absolute", "symlink"])
def test_a_file_outside_the_study_folder_is_refused(tmp_path, raw, kind):
    trap = tmp_path / "x"
    trap.mkdir()
    shutil.copy(raw / "cm.csv", trap / "cm.csv")  # what a traversal would read
    (raw / "cm.csv").unlink()
    (raw / "link").symlink_to(trap)
    file = {"parent": "../x/cm.csv", "absolute": str(trap / "cm.csv"), "symlink": "link/cm.csv"}[kind]
    spec = spec_reading_cm_from(tmp_path, file)
    out = tmp_path / "pkg"
    before = snapshot(tmp_path, skip=(out,))
    result = run_cli("build", "--study", raw, "--sdtm-spec", spec, "--stages", "sdtm", "--out", out)
    result.assert_clean_failure(3, file, "Sources", "File")
    assert snapshot(tmp_path, skip=(out,)) == before
    assert not out.exists() or not any(out.iterdir())


def test_a_file_in_a_subfolder_of_the_study_is_read(tmp_path, raw):
    (raw / "extracts").mkdir()
    (raw / "cm.csv").rename(raw / "extracts" / "conmeds.csv")
    spec = spec_reading_cm_from(tmp_path, "extracts/conmeds.csv")
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, "--sdtm-spec", spec, "--stages", "sdtm", "--out", out)
    assert result.code == 0, result.text
    provenance = (out / "audit" / "provenance" / "sdtm" / "cm.csv").read_text()
    assert "extracts/conmeds.csv" in provenance
