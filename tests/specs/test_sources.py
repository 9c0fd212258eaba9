"""The Sources sheet: which file holds each raw form, how to read it, what its columns mean."""

from __future__ import annotations

import pytest

from specs.errors import SpecError
from specs.export import export_spec
from specs.model import ALL_FORMS, DATE_FORMATS, SourceDef, Spec, StudyInfo, default_source
from specs.reader import check_spec, read_spec
from specs.sources import canonical_date_format, file_problem, parse_date_formats, parse_threshold

HEADER = ["Form", "File", "Format", "Options", "Subject Column", "Site Column", "Visit Column", "Instance Column",
          "Date Formats", "Date Failure Threshold"]


def with_sources(*rows):
    def change(sheets):
        sheets["Sources"] = [HEADER, *[list(r) + [None] * (len(HEADER) - len(r)) for r in rows]]
        condition = sheets["Mapping"][0].index("Condition")
        for row in sheets["Mapping"][1:]:  # these tests are about Sources alone
            row[condition] = None
    return change


def problems_at(path, severity="error"):
    _, problems = check_spec(path)
    return [p for p in problems if p.severity == severity]


# --- reading -----------------------------------------------------------------------------------------------------

def test_rows_are_read_with_defaults_filled_in(book):
    path = book(with_sources(
        ["*", None, None, None, "Subject", "SiteNumber", "Folder", "InstanceName", "dd-mon-yyyy", "0.05"],
        ["AE", "extracts\\ae.txt", "CSV", "delimiter=tab; encoding=cp1252", "SUBJ", None, None, None,
         "AESTDAT=YYYY-MM-DD; AEENDAT=dd/mm/yyyy", "5%"],
    ))
    spec = read_spec(path)
    star, ae = spec.sources
    assert (star.form, star.file, star.format, star.row, star.sheet) == ("*", None, "csv", 2, "Sources")
    assert star.date_formats == (("*", "DD-MON-YYYY"),) and star.date_failure_threshold == 0.05
    assert ae.file == "extracts/ae.txt"  # a Windows separator becomes "/"
    assert ae.options == (("delimiter", "tab"), ("encoding", "cp1252"))
    assert ae.date_formats == (("AESTDAT", "YYYY-MM-DD"), ("AEENDAT", "DD/MM/YYYY"))
    assert ae.date_failure_threshold == pytest.approx(0.05)


def test_source_of_prefers_the_forms_row_then_the_star_row_then_the_default(book):
    spec = read_spec(book(with_sources(["*", None, "excel", None, "Subject", None, "Folder"],
                                       ["ae", "adverse.csv", "csv", None, "SUBJ"])))
    own = spec.source_of("AE")  # matched in any case; the form as asked
    assert (own.form, own.file, own.format, own.subject_column, own.visit_column) == (
        "AE", "adverse.csv", "csv", "SUBJ", None)
    dm = spec.source_of("DM")
    assert (dm.form, dm.file, dm.format, dm.subject_column, dm.visit_column, dm.row) == (
        "DM", "dm.xlsx", "excel", "Subject", "Folder", 2)
    assert read_spec(book(with_sources(), name="plain.xlsx")).source_of("LB") == default_source("LB")
    assert default_source("LB").file == "lb.csv" and default_source("LB").row is None


def test_a_workbook_without_sources_has_none_and_reads_every_form_as_csv(book):
    def without(sheets):
        with_sources()(sheets)
        del sheets["Sources"]
    spec = read_spec(book(without))
    assert spec.sources == ()
    assert spec.source_of("AE") == SourceDef(form="AE", file="ae.csv")


def test_odm_star_row_shares_one_file_and_each_form_defaults_its_form_oid(book):
    spec = read_spec(book(with_sources(["*", "study.xml", "odm"], ["AE", None, "odm", "form=F_AE"])))
    dm, ae = spec.source_of("DM"), spec.source_of("AE")
    assert (dm.file, dm.option("form", dm.form)) == ("study.xml", "DM")
    assert (ae.file, ae.option("form", ae.form)) == ("ae.xml", "F_AE")


@pytest.mark.parametrize("row, column, words", [
    (["AE", None, "parquet"], "Format", "unknown Format 'parquet'"),
    (["AE", None, "csv", "sheet=AE"], "Options", "'sheet' does not apply to Format csv"),
    (["AE", None, "excel", "delimiter=;"], "Options", "'delimiter' does not apply to Format excel"),
    (["AE", None, "csv", "delimiter=ab"], "Options", "not one character"),
    (["AE", None, "csv", "delimiter=x"], "Options", "cannot separate"),
    (["AE", None, "csv", "delimiter=|; quotechar=\"|\""], "Options", "same character"),
    (["AE", None, "csv", "encoding=klingon"], "Options", "not a text encoding"),
    (["AE", None, "csv", "delimiter"], "Options", "is not key=value"),
    (["AE", "/etc/passwd"], "File", "absolute path"),
    (["AE", "C:\\data\\ae.csv"], "File", "absolute path"),
    (["AE", "../other/ae.csv"], "File", "holds '..'"),
    (["AE", "raw\\..\\..\\ae.csv"], "File", "holds '..'"),
    (["AE", "raw/"], "File", "names a folder"),
    (["*", "all.csv"], "File", "every form would read that one csv file"),
    (["*", None, "excel", "sheet=Data"], "Options", "cannot name one sheet"),
    (["*", None, "odm", "form=AE"], "Options", "cannot name one form"),
    (["AE", None, None, None, None, None, None, None, "DD-MM-YY"], "Date Formats", "'DD-MM-YY' is not a date format"),
    (["AE", None, None, None, None, None, None, None, "AESTDAT=ISO; =DD-MON-YYYY"], "Date Formats",
     "'ISO' is not a date format"),
    (["AE", None, None, None, None, None, None, None, "AESTDAT=YYYY-MM-DD;=DD-MON-YYYY"], "Date Formats",
     "names no field"),
    (["AE", None, None, None, None, None, None, None, "AESTDAT=YYYY-MM-DD; AESTDAT=DD-MON-YYYY"], "Date Formats",
     "field AESTDAT is given twice"),
    (["AE", None, None, None, None, None, None, None, None, "1.5"], "Date Failure Threshold", "outside 0..1"),
    (["AE", None, None, None, None, None, None, None, None, "-0.1"], "Date Failure Threshold", "outside 0..1"),
    (["AE", None, None, None, None, None, None, None, None, "some"], "Date Failure Threshold", "not a number"),
])
def test_unusable_cells_are_errors_naming_sheet_row_and_column(book, row, column, words):
    errors = problems_at(book(with_sources(["DM"], row)))
    assert len(errors) == 1, "\n".join(map(str, errors))
    error = errors[0]
    assert (error.sheet, error.row, error.column) == ("Sources", 3, column)
    assert words in error.message, error.message


def test_every_problem_of_the_sheet_is_reported_at_once(book):
    with pytest.raises(SpecError) as caught:
        read_spec(book(with_sources(["AE", "../ae.csv", "json"], ["DM", None, None, None, None, None, None, None,
                                                                  "MMDDYY", "2"])))
    columns = sorted((p.row, p.column) for p in caught.value.problems)
    assert columns == [(2, "File"), (2, "Format"), (3, "Date Failure Threshold"), (3, "Date Formats")]


def test_two_rows_for_one_form_is_an_error_at_the_second(book):
    errors = problems_at(book(with_sources(["AE", "a.csv"], ["DM"], ["ae", "b.csv"])))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("Sources", 4, "Form")]
    assert "second Sources row for form ae" in errors[0].message and "row 2" in errors[0].message


def test_a_row_for_a_form_no_mapping_reads_is_a_warning(book):
    warnings = [p for p in problems_at(book(with_sources(["*"], ["AE"], ["XX"], ["TS"])), "warning")
                if p.sheet == "Sources"]
    assert [(w.row, w.column) for w in warnings] == [(4, "Form"), (5, "Form")]
    assert "no Mapping row has Source Form XX" in warnings[0].message


def test_a_row_without_form_is_skipped_with_an_error(book):
    errors = problems_at(book(with_sources([None, "ae.csv"])))
    assert [(e.row, e.column) for e in errors] == [(2, "Form")]


# --- the pieces --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("DD-MON-YYYY", (("*", "DD-MON-YYYY"),)),
    (" dd-mmm-yyyy hh:mm ", (("*", "DD-MON-YYYY"),)),
    ("ISO 8601", (("*", "YYYY-MM-DD"),)),
    ("BRTHDAT=YYYY; DD-MON-YYYY", None),
    ("BRTHDAT=YYYY-MM-DD; DD-MON-YYYY", (("BRTHDAT", "YYYY-MM-DD"), ("*", "DD-MON-YYYY"))),
    ("A=MM/DD/YYYY;B=DD.MM.YYYY;", (("A", "MM/DD/YYYY"), ("B", "DD.MM.YYYY"))),
    ("", ()),
    (None, ()),
])
def test_date_formats_cell(text, expected):
    if expected is None:
        with pytest.raises(ValueError, match="'YYYY' is not a date format"):
            parse_date_formats(text)
    else:
        assert parse_date_formats(text) == expected


def test_every_declared_date_format_is_accepted_as_itself():
    assert [canonical_date_format(f.lower()) for f in DATE_FORMATS] == list(DATE_FORMATS)


@pytest.mark.parametrize("text, value", [(None, 0.0), ("0", 0.0), ("1", 1.0), ("0.25", 0.25), ("12.5%", 0.125)])
def test_threshold_cell(text, value):
    assert parse_threshold(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "101%", "-1%"])
def test_threshold_outside_the_range_is_refused(text):
    with pytest.raises(ValueError):
        parse_threshold(text)


@pytest.mark.parametrize("text", ["ae.csv", "extracts/ae.csv", "a b/c.sas7bdat", "./ae.csv"])
def test_relative_files_inside_the_folder_are_fine(text):
    assert file_problem(text, "AE", "csv") is None


def test_date_format_of_a_field_its_own_else_the_forms():
    source = SourceDef(form="AE", date_formats=(("AESTDAT", "YYYY-MM-DD"), (ALL_FORMS, "DD-MON-YYYY")))
    assert source.date_format_of("AESTDAT") == "YYYY-MM-DD"
    assert source.date_format_of("aestdat") == "YYYY-MM-DD"
    assert source.date_format_of("AEENDAT") == "DD-MON-YYYY"
    assert SourceDef(form="AE").date_format_of("AESTDAT") is None
    assert SourceDef(form="AE", subject_column="S", visit_column="V").context_columns == {"subject": "S",
                                                                                         "visit": "V"}


# --- the text export ----------------------------------------------------------------------------------------------

def test_the_export_shows_the_sheet_as_written(book, tmp_path):
    spec = read_spec(book(with_sources(
        ["*", None, None, None, "Subject", None, "Folder", "InstanceName", "DD-MON-YYYY"],
        ["AE", "ae.txt", "csv", 'delimiter=";"; encoding=latin-1', None, None, None, None,
         "AESTDAT=YYYY-MM-DD; DD-MON-YYYY", "0.1"])))
    export_spec(spec, tmp_path / "out")
    text = (tmp_path / "out" / "Sources.csv").read_text()
    assert text.splitlines()[0] == ",".join(HEADER)
    assert text.splitlines()[1] == "*,,csv,,Subject,,Folder,InstanceName,DD-MON-YYYY,0"
    assert text.splitlines()[2] == 'AE,ae.txt,csv,"delimiter="";""; encoding=latin-1",,,,,' \
                                   'AESTDAT=YYYY-MM-DD; DD-MON-YYYY,0.1'
    assert spec.sources[1].options == (("delimiter", ";"), ("encoding", "latin-1"))


def test_a_spec_built_in_code_without_sources_reads_defaults():
    spec = Spec(source="x", layout="B", study=StudyInfo())
    assert spec.source_of("Vitals") == default_source("Vitals")
    assert spec.source_of("Vitals").file == "vitals.csv"
