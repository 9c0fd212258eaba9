"""Raw columns a spec reads (Source Field, Condition, time/order/first_by), Source Form safety, and the
purposes a workbook is checked for (metadata, review, build)."""

from __future__ import annotations

import pytest
from spec_factory import base_sheets, write_workbook

from specs.checks import source_form_problem
from specs.reader import check_spec, read_spec
from specs.rawfields import RawField, check_condition_fields, missing_raw_fields, required_raw_fields



@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return read_spec(write_workbook(tmp_path_factory.mktemp("raw") / "spec.xlsx", base_sheets()))


def names(fields):
    return [(f.name, f.row, f.column) for f in fields]


# --- required_raw_fields ---------------------------------------------------------------------------------

def test_required_fields_take_source_fields_conditions_and_field_arguments(spec):
    required = required_raw_fields(spec)
    assert set(required) == {"DM", "AE"}  # AESEQ has no Source Form; it reads nothing raw
    assert names(required["DM"]) == [("SEX", 3, "Source Field"), ("AGE", 4, "Source Field")]
    assert names(required["AE"]) == [
        ("AETERM", 5, "Source Field"),
        ("AEYN", 5, "Condition"),  # only in a Condition
        ("AESTDAT", 7, "Source Field"),  # its Condition "AESTDAT != 'UNK'" adds nothing
        ("AESTTIM", 7, "Arguments"),  # time=AESTTIM
        ("SOCCD", 8, "Source Field"),
        ("AEPDAY", 9, "Source Field"),
    ]
    assert all(f.sheet == "Mapping" for fields in required.values() for f in fields)


def test_first_by_order_and_trial_design_sources(book):
    def change(sheets):
        sheets["Mapping"].append([6, "AE", "AETERM", "AE", "AETERM", "assign_no_ct",
                                  "first_by=Subject, AESPID; order=AESTDAT", None, "Folder == 'SCR'", None])
        sheets["Mapping"].append([7, "TS", "TSVAL", "TS", "TSVAL", "assign_no_ct", None, None, None, None])

    required = required_raw_fields(read_spec(book(change)))
    assert "TS" not in required  # a trial-design sheet, not a raw form
    added = [(f.name, f.column) for f in required["AE"] if f.row == 10]
    # AETERM and order=AESTDAT are already known from earlier rows
    assert added == [("Folder", "Condition"), ("Subject", "Arguments"), ("AESPID", "Arguments")]


def test_expressions_read_every_field_they_name(book):
    def change(sheets):
        sheets["Mapping"].append([6, "AE", "AETERM", "AE", "concat(upper(AETERM), ' / ', `Verbatim Term`)",
                                  "assign_no_ct", None, None, "coalesce(AESER, AESDTH) == 'Y' and IT.AESEV is not null",
                                  None])

    required = required_raw_fields(read_spec(book(change)))
    added = [(f.name, f.column) for f in required["AE"] if f.row == 10]
    assert added == [("Verbatim Term", "Source Field"), ("AESER", "Condition"), ("AESDTH", "Condition"),
                     ("IT.AESEV", "Condition")]  # AETERM is known from row 5


def test_fields_match_a_header_exactly():
    field = RawField(form="TU", name="Folder", sheet="Mapping", row=3, column="Source Field")
    assert field.find(["Subject", "Folder"]) == "Folder" and field.find(["FOLDER", "folder"]) is None


def test_missing_raw_fields_name_the_spec_cell(spec):
    fields = required_raw_fields(spec)["AE"]
    header = ["Subject", "aeterm", "aeyn", "AESTDAT", "AESTTIM", "SOCCD"]
    missing = missing_raw_fields(fields, header)
    assert [column for column, _ in missing] == ["AETERM", "AEYN", "AEPDAY"]  # names match exactly: aeyn is not AEYN
    assert missing[0][1] == "column is missing; the spec reads it (sheet 'Mapping', row 5, column 'Source Field')"
    assert missing_raw_fields(["A", "B", "A", ""], ["B"]) == [("A", "column is missing; the spec maps from it")]


# --- Conditions naming undeclared raw columns -------------------------------------------------------------

def test_condition_naming_an_undeclared_column_is_one_warning_per_form_and_name(book):
    def change(sheets):
        sheets["Mapping"].append([6, "AE", "AEDECOD", "AE", "AEDECOD", "assign_no_ct", None, None, "AEYN == 'Y'", None])
        sheets["Mapping"].append([7, "AE", "AETERM", "AE", "AEDECOD", "assign_no_ct", None, None,
                                  "aeyn == 'Y' and upper(AEDECOD) != 'X'", None])

    spec = read_spec(book(change))
    problems = check_condition_fields(spec)
    assert [(p.sheet, p.row, p.column, p.severity) for p in problems] == [
        ("Mapping", 5, "Condition", "warning"), ("Mapping", 11, "Condition", "warning")]
    assert "AEYN" in problems[0].message and "also rows 10" in problems[0].message
    assert "no Mapping row of Source Form AE declares" in problems[0].message
    assert "names aeyn" in problems[1].message  # names match exactly: aeyn is not AEYN; AEDECOD is declared


def test_condition_warnings_only_when_reviewing(book):
    path = book()
    assert check_spec(path)[1] == []
    _, problems = check_spec(path, purpose="review")
    assert [(p.sheet, p.row, p.column, p.severity) for p in problems] == [("Mapping", 5, "Condition", "warning")]


# --- Source Form safety -----------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["AE", "ae_2", "AE.V2", "LAB-1", "Vital Signs", "ÄE"])
def test_plain_form_names_pass(form):
    assert source_form_problem(form) is None


@pytest.mark.parametrize("form, why", [
    ("../../x/AE", "path separator"), ("x/AE", "path separator"),
    ("x\\AE", "path separator"), ("/etc/AE", "absolute path"), ("\\\\server\\AE", "absolute path"),
    ("C:AE", "absolute path"), ("~AE", "absolute path"), ("AE..", "'..'"), ("..", "'..'"),
    ("A\x00E", "characters other than"), ("AE;rm", "characters other than"),
])
def test_form_names_that_are_paths_fail(form, why):
    reason = source_form_problem(form)
    assert reason is not None and why in reason and "plain form name" in reason


def test_a_path_as_source_form_is_an_error_at_its_cell(book):
    def change(sheets):
        sheets["Mapping"][2][3] = "../../x/DM"

    spec, problems = check_spec(book(change))
    assert spec is None
    assert [(p.sheet, p.row, p.column) for p in problems if p.severity == "error"] == [("Mapping", 3, "Source Form")]


# --- purposes: metadata, review, build -------------------------------------------------------------------

def _no_mapping(sheets):
    del sheets["Mapping"]


def _mapping_header_only(sheets):
    sheets["Mapping"] = sheets["Mapping"][:1]


def test_missing_mapping_sheet_by_purpose(book):
    path = book(_no_mapping)
    spec, problems = check_spec(path)
    assert spec is not None and problems == []
    spec, problems = check_spec(path, purpose="review")
    assert spec is not None
    assert [(p.sheet, p.severity) for p in problems] == [("Mapping", "warning")]
    assert "cannot drive a build" in problems[0].message
    spec, problems = check_spec(path, purpose="build")
    assert spec is None
    assert [(p.file, p.sheet, p.severity) for p in problems] == [(str(path), "Mapping", "error")]
    assert "no 'Mapping' sheet" in problems[0].message
    with pytest.raises(Exception, match="no 'Mapping' sheet"):
        read_spec(path, purpose="build")


def test_mapping_sheet_without_rows_cannot_build(book):
    spec, problems = check_spec(book(_mapping_header_only), purpose="build")
    assert spec is None and [(p.sheet, p.severity) for p in problems] == [("Mapping", "error")]
    assert "no mapping rows" in problems[0].message


def _as_adam(sheets):
    _no_mapping(sheets)
    sheets["Datasets"] = sheets["Datasets"][:2]
    sheets["Datasets"][1][0] = "ADSL"
    sheets["Variables"] = [sheets["Variables"][0]] + [row for row in sheets["Variables"][1:] if row[1] == "DM"]
    for row in sheets["Variables"][1:]:
        row[1] = "ADSL"
    sheets["ValueLevel"] = sheets["ValueLevel"][:1]
    del sheets["TS"], sheets["TV"]


def test_adam_workbook_needs_no_mapping_sheet_to_build(book):
    path = book(_as_adam)
    spec, problems = check_spec(path, purpose="build")
    assert spec is not None and problems == []
    assert check_spec(path, purpose="build", kind="adam")[1] == []


def test_a_workbook_of_the_other_kind_is_an_error(book):
    _, problems = check_spec(book(_as_adam), purpose="build", kind="sdtm")
    assert [(p.sheet, p.severity) for p in problems][:1] == [("Datasets", "error")]
    assert "ADaM spec workbook" in problems[0].message and "ADSL" in problems[0].message
    _, problems = check_spec(book(name="sdtm.xlsx"), kind="adam")
    assert "SDTM spec workbook" in problems[0].message and "given as the ADaM spec" in problems[0].message


def test_unknown_purpose_or_kind_is_a_programming_error(book):
    with pytest.raises(ValueError, match="purpose"):
        check_spec(book(), purpose="define")
    with pytest.raises(ValueError, match="kind"):
        check_spec(book(), kind="send")
