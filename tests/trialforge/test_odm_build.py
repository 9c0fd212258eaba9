"""The example study's raw data as one ODM 1.3 file builds the same SDTM as its CSV extracts: a spec variant
whose Sources rows say Format odm and File odm.xml reads every form from the ODM file."""

from __future__ import annotations

import shutil

import openpyxl

from trialforge.cli import main
from trialforge.example_study import example_raw_expectations, example_spec
from trialforge.example_study.generator import ODM_FILE, generate_study

SUBJECTS, SEED = 12, 20240101


def odm_spec(folder):
    """The example's SDTM spec with every Sources row reading from the ODM file (the raw-data suite beside it)."""
    folder.mkdir()
    shutil.copy(example_raw_expectations(), folder / example_raw_expectations().name)
    book = openpyxl.load_workbook(example_spec("sdtm"))
    sheet = book["Sources"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.max_row >= 2 and sheet.cell(2, header.index("Form") + 1).value == "*"
    for row in sheet.iter_rows(min_row=2):
        row[header.index("File")].value = ODM_FILE
        row[header.index("Format")].value = "odm"
    book.save(folder / "sdtm.xlsx")
    return folder / "sdtm.xlsx"


def build(study, spec, out) -> dict:
    assert main(["-q", "build", "--study", str(study), "--sdtm-spec", str(spec), "--stages", "sdtm",
                 "--out", str(out)]) == 0
    folder = next(out.glob("m5/datasets/*/tabulations/sdtm"))
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.xpt"))}


def test_the_odm_file_gives_the_same_sdtm_xpt_bytes_as_the_csv_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    csv_raw, odm_raw = tmp_path / "csv", tmp_path / "odm"
    csv_manifest = generate_study(csv_raw, subjects=SUBJECTS, seed=SEED)
    odm_manifest = generate_study(odm_raw, subjects=SUBJECTS, seed=SEED, raw_format="odm")
    assert sorted(p.name for p in odm_raw.iterdir()) == ["manifest.json", ODM_FILE]
    assert {f: e["rows"] for f, e in odm_manifest["forms"].items()} == {
        f: e["rows"] for f, e in csv_manifest["forms"].items()}
    from_csv = build(csv_raw, example_spec("sdtm"), tmp_path / "pkg-csv")
    from_odm = build(odm_raw, odm_spec(tmp_path / "spec"), tmp_path / "pkg-odm")
    assert len(from_csv) > 10 and from_csv.keys() == from_odm.keys()
    assert [name for name in from_csv if from_csv[name] != from_odm[name]] == []
    reconciliation = (tmp_path / "pkg-odm" / "audit" / "sdtm" / "reconciliation.csv").read_text()
    assert f",{ODM_FILE}," in reconciliation
