import dataclasses
import zipfile

import pytest
from spec_factory import P21_DIR, base_sheets, drop_column, set_cell, write_workbook

from specs.errors import SpecError
from specs.reader import check_spec, parse_arguments, read_spec


@pytest.fixture
def book(tmp_path):
    """Write (possibly altered) base sheets and return the path."""

    def write(sheets=None, name="spec.xlsx"):
        return write_workbook(tmp_path / name, base_sheets() if sheets is None else sheets)

    return write


def errors_of(path):
    spec, problems = check_spec(path)
    errors = [p for p in problems if p.severity == "error"]
    assert spec is None and errors, "expected the workbook to be rejected"
    return errors


def only_error(path):
    errors = errors_of(path)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


# --- the real P21 workbooks ----------------------------------------------------------------------------

def _pilot(name):
    path = P21_DIR / name
    if not path.exists():
        pytest.skip(f"the shared P21 example workbooks are not beside the checkout ({path})")
    return path


def test_sdtm_pilot_layout_a_loads():
    spec = read_spec(_pilot("SDTM_spec_CDISC_pilot.xlsx"))
    assert spec.layout == "A"
    assert (spec.study.name, spec.study.standard_version) == ("TDF_SDTM", "3.2")
    counts = (len(spec.datasets), len(spec.variables), len(spec.value_level), len(spec.where_clauses),
              len(spec.codelists), len(spec.dictionaries), len(spec.methods), len(spec.comments), len(spec.documents))
    assert counts == (31, 517, 227, 225, 72, 3, 103, 19, 1)
    assert {v.origin for v in spec.variables} == {"Collected", "Assigned", "Derived", "Protocol"}  # CRF, eDT gone
    aeterm = spec.variable("AE", "AETERM")
    assert (aeterm.length, aeterm.mandatory, aeterm.key_sequence) == (200, True, 3)
    assert [v.name for v in spec.variables_of("AE")][:4] == ["STUDYID", "DOMAIN", "USUBJID", "AESEQ"]
    # two WhereClauses rows with one ID make one clause of two conditions
    clause = spec.where_clause("LBCH.LBTESTCD.EQ.LBCH.LBCAT.EQ.6b46deb648bcc3b3a4865e31fe6c0e2101b4fd4c")
    assert str(clause) == "LBCH.LBCAT EQ CHEMISTRY AND LBCH.LBTESTCD EQ URATE"
    # the one real quirk: a WhereClauses row without Dataset/Variable (row 98) is a warning, not fatal
    assert any(w.sheet == "WhereClauses" and w.row == 98 and w.column == "Variable" for w in spec.warnings)
    assert all(w.severity == "warning" for w in spec.warnings)


def test_adam_pilot_layout_b_loads():
    spec = read_spec(_pilot("TDF_ADaM_Pilot3.xlsx"))
    assert spec.layout == "B"
    counts = (len(spec.datasets), len(spec.variables), len(spec.value_level), len(spec.where_clauses),
              len(spec.codelists), len(spec.dictionaries), len(spec.methods), len(spec.comments))
    assert counts == (5, 216, 15, 15, 35, 1, 157, 8)
    assert spec.warnings == ()
    first = spec.value_level_of("ADADAS", "AVAL")[0]
    assert str(first.where) == "PARAMCD EQ ACITM01" and first.where_clause_id == "PARAMCD EQ ACITM01"
    assert spec.codelist("SEX").is_enumerated and not spec.codelist("ADLBCAT").is_enumerated
    assert spec.dataset("ADSL").key_variables == ("USUBJID",)
    assert spec.analysis_displays == () and spec.analysis_results == ()


# --- our layout B workbook -----------------------------------------------------------------------------

def test_base_workbook_reads_into_typed_frozen_objects(book):
    spec, problems = check_spec(book())
    assert spec is not None, "\n".join(map(str, problems))
    assert problems == [] and spec.warnings == ()
    assert spec.layout == "B" and spec.study.name == "MESOCART-PD1"
    assert [d.name for d in spec.datasets] == ["DM", "AE", "TS", "TV"]  # "AE " trimmed
    ae = spec.dataset("ae")
    assert (ae.repeating, ae.reference_data) == (True, False)  # Y / N
    usubjid = spec.variable("DM", "USUBJID")
    assert (usubjid.length, usubjid.mandatory, usubjid.key_sequence) == (20, True, 2)  # "20" as text, "Y"
    assert spec.variable("DM", "AGE").length == 8  # 8.0 stored as a number
    assert spec.variable("AE", "STUDYID").name == "STUDYID"  # trailing blank trimmed
    assert spec.variable("DM", "SEX").origin == "Collected"  # CRF
    assert (spec.variable("AE", "AETERM").origin, spec.variable("AE", "AETERM").source) == ("Collected", "Vendor")
    assert spec.variable("AE", "AESTDTC").length is None
    assert spec.variable("DM", "STUDYID").row == 2 and spec.variable("AE", "STUDYID").row == 8  # blank row 7 kept
    assert [v.name for v in spec.variables_of("TS")] == ["STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM", "TSVAL"]
    assert spec.dictionary("MEDDRA").version == "27"
    with pytest.raises(dataclasses.FrozenInstanceError):
        usubjid.length = 40
    with pytest.raises(KeyError, match="no dataset 'XX'"):
        spec.dataset("XX")


def test_codelists_value_level_mapping_and_trial_design(book):
    spec = read_spec(book())
    sex = spec.codelist("SEX")
    assert sex.terms == ("F", "M", "U") and sex.nci_code == "C66731" and sex.decode_of("M") == "Male"
    assert sex.item("F").collected_values == ("female", "f", "Woman")
    assert [i.extended for i in sex.items] == [False, False, True]  # U has no NCI term code
    assert [i.order for i in sex.items] == [1, 2, 3]
    tsval = spec.value_level_of("TS", "TSVAL")
    assert [str(v.where) for v in tsval] == ["TSPARMCD EQ PLANSUB", "TSPARMCD IN (TITLE, SPONSOR)"]
    assert spec.where_clause("TSPARMCD EQ PLANSUB").row == 2
    ae = spec.mappings_of("AE")
    assert [m.variable for m in ae] == ["AETERM", "AESTDTC", "AESEQ", "AESOCCD", "AEPDAY"]  # by Order
    assert ae[1].arguments == (("date", "AESTDAT"), ("time", "AESTTIM")) and ae[1].argument("TIME") == "AESTTIM"
    assert str(ae[0].condition) == "AEYN == 'Y'" and str(ae[1].condition) == "AESTDAT != 'UNK'"
    assert ae[0].condition.fields == ("AEYN",) and ae[1].source_expr.plain_field == "AESTDAT"
    assert str(ae[2].where) == 'AEDECOD NE "NOT CODED"' and ae[0].where is None
    assert ae[3].argument("qlabel") == "SOC code; primary"
    assert spec.mappings_of("DM")[2].algorithm == "assign_numeric"
    ts = spec.trial_design_table("TS")
    assert ts.records()[0] == {"STUDYID": "MESOCART-PD1", "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": "PLANSUB",
                               "TSPARM": "Planned Number of Subjects", "TSVAL": "50"}  # typed by Variables
    assert ts.records()[1]["TSSEQ"] == 1 and ts.row_numbers == (2, 3)
    tv = spec.trial_design_table("TV")
    assert tv.columns[-1] == "FOLDER" and [r["VISITNUM"] for r in tv.records()] == [1.0, 2.5]


def test_table_gives_typed_frames(book):
    spec = read_spec(book())
    variables = spec.table("Variables")
    assert len(variables) == len(spec.variables)
    assert str(variables["length"].dtype) == "Int64" and str(variables["mandatory"].dtype) == "boolean"
    assert variables.loc[variables["name"] == "AESTDTC", "length"].isna().all()
    assert spec.table("value_level")["where_clause_id"].tolist() == ["TSPARMCD EQ PLANSUB",
                                                                    "TSPARMCD IN (TITLE, SPONSOR)"]
    assert spec.table("TS")["TSVAL"].tolist() == ["50", "PD-1 secreting mesothelin CAR-T"]
    assert len(spec.table("Codelists")) == 6
    with pytest.raises(KeyError, match="no sheet"):
        spec.table("Nope")


def test_layout_a_workbook_with_where_clause_sheet(book):
    sheets = base_sheets()
    sheets["Study"] = sheets.pop("Define")
    sheets["Datasets"][0][1] = "Description"  # layout A names the dataset label "Description"
    sheets["WhereClauses"] = [["ID", "Dataset", "Variable", "Comparator", "Value"],
                              ["WC.PLANSUB", "TS", "TSPARMCD", "EQ", "PLANSUB"],
                              ["WC.TITLE", "TS", "TSPARMCD", "IN", "TITLE, SPONSOR"]]
    set_cell(sheets, "ValueLevel", 2, "Where Clause", "WC.PLANSUB")
    set_cell(sheets, "ValueLevel", 3, "Where Clause", "WC.TITLE")
    spec = read_spec(book(sheets))
    assert spec.layout == "A" and spec.dataset("DM").label == "Demographics"
    assert [v.where_clause_id for v in spec.value_level] == ["WC.PLANSUB", "WC.TITLE"]
    assert spec.value_level[1].where.conditions[0].values == ("TITLE", "SPONSOR")


def test_parse_arguments():
    assert parse_arguments("a=1; B = two words ;") == (("a", "1"), ("b", "two words"))
    assert parse_arguments('sep=";"; x=a=b') == (("sep", ";"), ("x", "a=b"))
    assert parse_arguments(None) == ()
    for bad, message in (("a", "not key=value"), ("=1", "not key=value"), ("a=1;a=2", "given twice"),
                         ('a="1', "unbalanced")):
        with pytest.raises(ValueError, match=message):
            parse_arguments(bad)


# --- broken workbooks: each gives the right error at the right place ------------------------------

def test_missing_sheet(book):
    sheets = base_sheets()
    del sheets["Variables"]
    errors = errors_of(book(sheets))
    assert any(e.sheet == "Variables" and "missing required sheet 'Variables'" in e.message for e in errors)


def test_missing_column(book):
    sheets = base_sheets()
    drop_column(sheets, "Variables", "Data Type")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Variables", 1, "Data Type")
    assert "missing required column 'Data Type'" in error.message and "'Label'" in error.message


def test_missing_key_column_skips_rows_without_a_flood(book):
    sheets = base_sheets()
    drop_column(sheets, "Mapping", "Algorithm")
    error = only_error(book(sheets))
    assert (error.sheet, error.column) == ("Mapping", "Algorithm")


def test_duplicate_variable(book):
    sheets = base_sheets()
    sheets["Variables"].append(list(sheets["Variables"][3]))  # DM.USUBJID again, row 25
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Variables", 25, "Variable")
    assert "duplicate variable DM.USUBJID" in error.message and "row 4" in error.message


def test_duplicate_codelist_term(book):
    sheets = base_sheets()
    sheets["Codelists"].append(["SEX", "Sex", "C66731", "text", "STD.CT.SDTM", 4, "M", "C20197", "Male", None])
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Codelists", 8, "Term") and "term 'M'" in error.message


def test_unknown_codelist_id(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 5, "Codelist", "SEXX")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Variables", 5, "Codelist")
    assert "'SEXX'" in error.message


def test_bad_where_clause(book):
    sheets = base_sheets()
    set_cell(sheets, "ValueLevel", 3, "Where Clause", "TSPARMCD IN (TITLE, SPONSOR")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("ValueLevel", 3, "Where Clause")
    assert "position 13" in error.message and "no closing ')'" in error.message


def test_where_clause_naming_an_unknown_variable(book):
    sheets = base_sheets()
    set_cell(sheets, "ValueLevel", 2, "Where Clause", "TSPARM EQ x AND TSCD EQ PLANSUB")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("ValueLevel", 2, "Where Clause")
    assert "TS.TSCD" in error.message


def test_non_integer_length(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 11, "Length", "8.5")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Variables", 11, "Length")
    assert "'8.5' is not a positive whole number" in error.message


def test_unknown_data_type(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 6, "Data Type", "number")
    error = only_error(book(sheets))
    # the column is named as the workbook spells its header
    assert (error.sheet, error.row, error.column) == ("Variables", 6, "data TYPE")
    assert "unknown Data Type 'number'" in error.message and "partialDate" in error.message


def test_unknown_origin_and_bad_mandatory(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 2, "Origin", "Typed in")
    set_cell(sheets, "Variables", 3, "Mandatory", "maybe")
    errors = errors_of(book(sheets))
    assert [(e.row, e.column) for e in errors] == [(2, "Origin"), (3, "Mandatory")]
    assert "expected one of: Collected" in errors[0].message and "expected Yes or No" in errors[1].message


def test_dangling_method_id(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 11, "Method", "MT.AESEQ")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Variables", 11, "Method")
    assert "method 'MT.AESEQ' is not on the Methods sheet" in error.message


def test_mapping_row_with_unknown_algorithm(book):
    sheets = base_sheets()
    set_cell(sheets, "Mapping", 4, "Algorithm", "assign_magic")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Mapping", 4, "Algorithm")
    assert "unknown algorithm 'assign_magic'" in error.message and "not_submitted" in error.message


def test_three_faults_are_listed_together(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 11, "Length", "long")
    set_cell(sheets, "Methods", 3, "Document", "NOPE")
    set_cell(sheets, "Mapping", 6, "Arguments", "by=USUBJID")  # derive without function=
    assert [(p.sheet, p.row, p.column) for p in errors_of(book(sheets))] == [
        ("Variables", 11, "Length"), ("Methods", 3, "Document"), ("Mapping", 6, "Arguments")]
    with pytest.raises(SpecError) as caught:
        read_spec(book(sheets, "again.xlsx"))
    assert len(caught.value.problems) == 3
    text = str(caught.value)
    assert "sheet 'Variables', row 11, column 'Length'" in text and "function=" in text


def test_blank_key_cell_and_excel_error_value(book):
    sheets = base_sheets()
    set_cell(sheets, "Variables", 13, "Variable", None)
    set_cell(sheets, "Variables", 12, "Label", "#N/A")
    errors = errors_of(book(sheets))
    assert [(e.row, e.column) for e in errors] == [(12, "Label"), (13, "Variable")]
    assert "#N/A" in errors[0].message and "this row is skipped" in errors[1].message


def test_no_layout_sheet(book):
    sheets = base_sheets()
    del sheets["Define"]
    error = only_error(book(sheets))
    assert "neither a 'Study' sheet" in error.message


def test_header_row_must_not_be_blank(book):
    sheets = base_sheets()
    sheets["Datasets"].insert(0, [None] * 3)
    errors = errors_of(book(sheets))
    assert (errors[0].sheet, errors[0].row) == ("Datasets", 1) and "column headers" in errors[0].message


# --- files that are not usable workbooks ---------------------------------------------------------------

def test_missing_file(tmp_path):
    error = only_error(tmp_path / "nope.xlsx")
    assert error.file.endswith("nope.xlsx") and "no such file" in error.message


def test_directory(tmp_path):
    assert "is a directory" in only_error(tmp_path).message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in only_error(path).message


def test_not_an_xlsx(tmp_path):
    path = tmp_path / "spec.xlsx"
    path.write_text("Dataset,Variable\nDM,STUDYID\n")
    message = only_error(path).message
    assert "not an xlsx workbook" in message and "text file" in message


def test_corrupt_zip(book, tmp_path):
    data = book().read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "corrupt" in only_error(path).message


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a workbook" in only_error(path).message


def test_encrypted_workbook(tmp_path):
    # Encrypted OOXML is an OLE compound file with an EncryptionInfo stream; its head is enough here.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "EncryptionInfo".encode("utf-16-le"))
    assert "password-protected" in only_error(path).message


def test_legacy_xls(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200)
    assert "legacy Excel 97-2003" in only_error(path).message


def test_read_spec_raises_spec_error_for_files(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        read_spec(tmp_path / "nope.xlsx")


def test_codelist_header_must_agree_across_rows(book):
    sheets = base_sheets()
    set_cell(sheets, "Codelists", 3, "Name", "Gender")
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("Codelists", 3, "Name")
    assert "'Gender' differs from 'Sex' given in row 2" in error.message


def test_trial_design_values_typed_by_the_variables_sheet(book):
    sheets = base_sheets()
    sheets["TS"][1][2] = "one"
    error = only_error(book(sheets))
    assert (error.sheet, error.row, error.column) == ("TS", 2, "TSSEQ")
    assert "'one' is not a whole number" in error.message


def test_two_sheets_claiming_one_name(book):
    sheets = base_sheets()
    sheets["Value Level"] = [list(sheets["ValueLevel"][0])]
    error = only_error(book(sheets))
    assert error.sheet == "Value Level" and "'ValueLevel' sheet" in error.message


def test_study_and_define_sheets_together_warn(book):
    sheets = base_sheets()
    sheets["Study"] = [["Attribute", "Value"], ["StudyName", "OLD"]]
    spec, problems = check_spec(book(sheets))
    assert spec is not None and spec.layout == "B" and spec.study.name == "MESOCART-PD1"
    assert [(p.severity, p.sheet) for p in problems] == [("warning", "Study")]
    assert spec.warnings == tuple(problems)


def test_analysis_displays_and_results(book):
    sheets = base_sheets()
    sheets["Analysis Displays"] = [["ID", "Title", "Document", "Pages"],
                                   ["T14.1.1", "Summary of Demographics", "SAP", 12]]
    sheets["Analysis Results"] = [
        ["Display", "ID", "Description", "Variables", "Reason", "Purpose", "Selection Criteria", "Join Comment",
         "Documentation", "Documentation Refs", "Programming Context", "Programming Code", "Programming Document",
         "Pages"],
        ["T14.1.1", "AR.AGE", "Age by arm", "AGE, SEX", "SPECIFIED IN SAP", "PRIMARY OUTCOME MEASURE",
         "SAFFL EQ Y", None, "See SAP", "SAP", "Python", "summarise(adsl)", None, None],
    ]
    spec = read_spec(book(sheets))
    assert spec.analysis_display("T14.1.1").pages == "12"
    (result,) = spec.analysis_results
    assert (result.display, result.variables, result.documentation_refs) == ("T14.1.1", ("AGE", "SEX"), ("SAP",))
    sheets["Analysis Results"][1][0] = "T14.9"
    error = only_error(book(sheets, "bad.xlsx"))
    assert (error.sheet, error.row, error.column) == ("Analysis Results", 2, "Display")
