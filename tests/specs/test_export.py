import csv
import io

import pytest
from spec_factory import P21_DIR, base_sheets, write_workbook

from specs.errors import ExportError
from specs.export import export_spec, spec_summary
from specs.model import SHEETS
from specs.reader import read_spec


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return read_spec(write_workbook(tmp_path_factory.mktemp("export") / "study.xlsx", base_sheets()))


def rows_of(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_csv_one_file_per_sheet_with_stable_columns(spec, tmp_path):
    written = export_spec(spec, tmp_path / "out")
    names = [p.name for p in written]
    assert names == ["Define.csv", "Standards.csv", "Datasets.csv", "Variables.csv", "ValueLevel.csv",
                     "WhereClauses.csv", "Codelists.csv", "Dictionaries.csv", "Methods.csv", "Comments.csv",
                     "Documents.csv", "Mapping.csv", "TS.csv", "TV.csv"]  # empty optional sheets left out
    variables = rows_of(tmp_path / "out" / "Variables.csv")
    assert tuple(variables[0]) == next(s for s in SHEETS if s.name == "Variables").headers
    usubjid = dict(zip(variables[0], variables[3]))
    assert (usubjid["Variable"], usubjid["Length"], usubjid["Mandatory"], usubjid["Origin"]) == (
        "USUBJID", "20", "Yes", "Derived")
    assert len(variables) == 1 + len(spec.variables)
    codelists = rows_of(tmp_path / "out" / "Codelists.csv")
    assert codelists[1][-1] == "female | f | Woman"
    mapping = {(r[1], r[2]): r for r in rows_of(tmp_path / "out" / "Mapping.csv")[1:]}
    assert mapping[("AE", "AESTDTC")][6:9] == ["date=AESTDAT; time=AESTTIM", "", "AESTDAT != 'UNK'"]
    assert rows_of(tmp_path / "out" / "WhereClauses.csv")[2] == [
        "TSPARMCD IN (TITLE, SPONSOR)", "", "TSPARMCD", "IN", "TITLE, SPONSOR"]
    assert rows_of(tmp_path / "out" / "TS.csv")[1] == ["MESOCART-PD1", "TS", "1", "PLANSUB",
                                                       "Planned Number of Subjects", "50"]
    for path in written:
        assert b"\r" not in path.read_bytes()


def test_export_is_byte_identical_across_runs(spec, tmp_path):
    first = {p.name: p.read_bytes() for p in export_spec(spec, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in export_spec(spec, tmp_path / "b")}
    assert first == second


def test_markdown_single_file(spec, tmp_path):
    sheets = base_sheets()
    sheets["Methods"][1][3] = "STUDYID || '-' || SUBJID\nsee SAP"  # pipes and a line break in a cell
    spec = read_spec(write_workbook(tmp_path / "md.xlsx", sheets))
    (path,) = export_spec(spec, tmp_path / "md", fmt="markdown")
    text = path.read_text(encoding="utf-8")
    assert path.name == "spec.md" and text.startswith("# Spec md.xlsx\n")
    assert "## Variables\n\n| Order | Dataset | Variable |" in text
    assert "STUDYID \\|\\| '-' \\|\\| SUBJID<br>see SAP" in text
    assert "## Analysis Displays" not in text and "## Comments" in text
    variables_section = text.split("## Variables\n\n")[1].split("\n\n")[0].splitlines()
    assert len(variables_section) == 2 + len(spec.variables)
    assert "| Assigned Value |" not in variables_section[0]  # all-blank columns are left out


def test_unknown_format(spec, tmp_path):
    with pytest.raises(ExportError, match="unknown spec export format 'xml'"):
        export_spec(spec, tmp_path, fmt="xml")


def test_unwritable_target_is_an_export_error(spec, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        export_spec(spec, blocker / "sub")


def test_summary(spec):
    summary = spec_summary(spec)
    lines = summary.splitlines()
    assert lines[0] == "study.xlsx: layout B, study MESOCART-PD1"
    assert "4 datasets, 22 variables, 2 value-level rows" in lines[1] and "8 mapping rows" in lines[1]
    assert "2 TS rows" in lines[1]
    assert lines[3].split() == ["AE", "Adverse", "Events", "7", "variables,", "5", "mapping", "rows"]


def test_pilot_export_keeps_every_row(tmp_path):
    path = P21_DIR / "SDTM_spec_CDISC_pilot.xlsx"
    if not path.exists():
        pytest.skip(f"the shared P21 example workbooks are not beside the checkout ({path})")
    spec = read_spec(path)
    export_spec(spec, tmp_path)
    assert len(rows_of(tmp_path / "Variables.csv")) == 1 + 517
    assert len(rows_of(tmp_path / "WhereClauses.csv")) == 1 + 267  # the row without a Variable has no condition
    assert len(rows_of(tmp_path / "Codelists.csv")) == 1 + 541
    assert "31 datasets, 517 variables" in spec_summary(spec)
