import pytest

from specs.errors import InputError
from trialforge.raw import PROVENANCE_ROW, read_raw_study, unread_forms


def test_reads_text_and_keeps_provenance(tmp_path):
    (tmp_path / "ae.csv").write_text("Subject,AETERM,AESTDAT\n01-001,Pyrexia,UN JAN 2024\n01-002,NA,\n")
    forms = read_raw_study(tmp_path, {"AE": ["AETERM", "AESTDAT"]})
    frame = forms["AE"].frame
    assert frame["AETERM"].tolist() == ["Pyrexia", "NA"]  # "NA" is a value, not missing
    assert frame["AESTDAT"].tolist() == ["UN JAN 2024", ""]
    assert frame[PROVENANCE_ROW].tolist() == [2, 3]


def test_all_problems_reported_together(tmp_path):
    (tmp_path / "ae.csv").write_text("Subject,AETERM\n01-001,Pyrexia\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": ["AETERM", "AESTDAT"], "LB": ["LBTEST"]})
    text = str(caught.value)
    assert "ae.csv, row 1, column 'AESTDAT'" in text
    assert "lb.csv" in text and "missing" in text


def test_missing_folder_and_unread_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_raw_study(tmp_path / "nope", {"AE": []})
    (tmp_path / "ae.csv").write_text("Subject\n")
    (tmp_path / "extra.csv").write_text("Subject\n")
    assert unread_forms(tmp_path, ["AE"]) == ["extra.csv"]


# --- issue 9: structure, line numbers, control characters, form names -------------------------------------------

import numpy as np  # noqa: E402

from trialforge.raw import form_path, read_form  # noqa: E402


def _read(tmp_path, data: bytes, name="ae.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return read_form(path)


@pytest.mark.parametrize("data, values, lines", [
    (b"a,b\n1,2\n3,4\n", [["1", "2"], ["3", "4"]], [2, 3]),
    (b"a,b\n1,2\n3,4", [["1", "2"], ["3", "4"]], [2, 3]),                         # no final line end
    (b"a,b\n1,2\n\n   \n3,4\n", [["1", "2"], ["3", "4"]], [2, 5]),                 # blank lines are skipped
    (b"a,b\n1,\"x\ny\"\n3,4\n", [["1", "x\ny"], ["3", "4"]], [2, 4]),               # a line break in a value
    (b"a,b\r\n1,\"x\r\ny\"\r\n\r\n3,4\r\n", [["1", "x\r\ny"], ["3", "4"]], [2, 5]),  # CRLF
    (b"\xef\xbb\xbfa,b\n1,2\n", [["1", "2"]], [2]),                                   # byte-order mark
    (b"a,b\r1,2\r\r3,4\r", [["1", "2"], ["3", "4"]], [2, 4]),                        # old Mac line ends
    (b"\n\na,b\n1,2\n", [["1", "2"]], [4]),                                           # blank lines before the header
    (b"a,b\n\"he said \"\"hi\"\"\",\"x,y\"\n", [['he said "hi"', "x,y"]], [2]),       # doubled quotes, comma
    (b"a,b\n1\"x\"y,2\n\n3,4\n", [['1"x"y', "2"], ["3", "4"]], [2, 4]),               # a quote inside a value
    (b"a,b\n,\n1,2\n", [["", ""], ["1", "2"]], [2, 3]),                               # all-empty: still a record
    (b"a,b\n", [], []),                                                               # header only
])
def test_values_and_editor_line_numbers(tmp_path, data, values, lines):
    frame, header, problems = _read(tmp_path, data)
    assert problems == [] and header == ["a", "b"]
    assert frame[["a", "b"]].values.tolist() == values
    assert frame[PROVENANCE_ROW].tolist() == lines


def test_fast_and_exact_readers_agree(tmp_path):
    """The pyarrow path (plain RFC 4180) and the csv-module path give the same frame."""
    from trialforge import raw

    rows = [f'01-{i:03d},"Term, {i}",{i * 1.5},"multi\nline {i}",' for i in range(300)]
    data = ("Subject,TERM,VALUE,NOTE,EMPTY\n" + "\n".join(rows) + "\n").encode()
    fast, _, _ = _read(tmp_path, data)
    layout, exact_rows = raw._parse_exact(data)
    assert fast[["Subject", "TERM", "VALUE", "NOTE", "EMPTY"]].values.tolist() == exact_rows
    assert fast[PROVENANCE_ROW].tolist() == layout.lines.tolist() == list(range(2, 602, 2))


@pytest.mark.parametrize("data, line, found, expected", [
    (b"a,b,c\n1,2,3\n4,5\n", 3, 2, 3),
    (b"a,b\n1,2,3\n", 2, 3, 2),
    (b"a,b\n1,\"x\ny\"\n\n4\n", 5, 1, 2),      # line numbers count the line break and the blank line
    (b"a,b\r\n1,2\r\n3,4,5\r\n", 3, 3, 2),
])
def test_record_with_wrong_field_count_is_a_problem(tmp_path, data, line, found, expected):
    frame, _, problems = _read(tmp_path, data)
    assert frame is None and len(problems) == 1
    assert problems[0].row == line
    assert f"line {line} has {found} field" in problems[0].message and f"header has {expected}" in problems[0].message


def test_many_bad_records_are_listed_up_to_a_limit(tmp_path):
    frame, _, problems = _read(tmp_path, b"a,b\n" + b"1\n" * 25)
    assert frame is None and len(problems) == 11 and "15 more records" in problems[-1].message


@pytest.mark.parametrize("data, column, char", [
    (b"a,b\n1,2\x00x\n", "b", "U+0000"),
    (b"a,b\n\x00,2\n", "a", "U+0000"),
    (b"a,b\n1,\"2\x00\nx\"\n", "b", "U+0000"),
    (b"a,b\n1,\x1b\n", "b", "U+001B"),
    (b"a,b\n1,\x7f\n", "b", "U+007F"),
    ("a,b\n1,x\u0085\n".encode(), "b", "U+0085"),
    (b"a,b\r1,\x08\r", "b", "U+0008"),         # found on the csv-module path too
])
def test_control_characters_are_problems_naming_line_and_column(tmp_path, data, column, char):
    frame, _, problems = _read(tmp_path, data)
    assert frame is None and len(problems) == 1
    assert problems[0].row == 2 and problems[0].column == column and char in problems[0].message


def test_tab_and_non_ascii_text_are_fine(tmp_path):
    frame, _, problems = _read(tmp_path, "a,b\n1,µmol/L\tx\n".encode())
    assert problems == [] and frame["b"].tolist() == ["µmol/L\tx"]


@pytest.mark.parametrize("data, words, line", [
    (b"a,b\n1,\xe9\n", "not UTF-8", 2),
    (b"a,b\n1,\"2\n3,4\n", "unexpected end of data", 2),
    (b"a,b\n\"1\"x,2\n", "expected after", 2),
    (b"", "empty", None),
    (b"\n  \n", "empty", None),
])
def test_unreadable_files_are_problems(tmp_path, data, words, line):
    frame, _, problems = _read(tmp_path, data)
    assert frame is None and words in problems[0].message and problems[0].row == line


def test_read_raw_study_reports_every_file_at_once(tmp_path):
    (tmp_path / "ae.csv").write_bytes(b"Subject,AETERM\n01-001\n")
    (tmp_path / "cm.csv").write_bytes(b"Subject,CMTRT\n01-001,x\x00\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": ["AETERM"], "CM": ["CMTRT"]})
    text = str(caught.value)
    assert "ae.csv, row 2" in text and "cm.csv, row 2, column 'CMTRT'" in text


@pytest.mark.parametrize("name, reason", [
    ("../x/AE", "path separator"),
    ("../../x/AE", "path separator"),
    ("x\\AE", "path separator"),
    ("/etc/AE", "absolute path"),
    ("C:AE", "absolute path"),
    ("..", "not a name"),
    ("", "empty"),
])
def test_form_names_that_are_paths_are_refused(tmp_path, name, reason):
    with pytest.raises(InputError) as caught:
        form_path(tmp_path, name, [12])
    assert reason in str(caught.value) and "Mapping row 12" in str(caught.value)
    assert caught.value.problems[0].column == "Source Form" and caught.value.problems[0].row == 12


def test_form_file_linked_from_outside_the_study_folder_is_refused(tmp_path):
    study, outside = tmp_path / "raw", tmp_path / "elsewhere"
    study.mkdir()
    outside.mkdir()
    (outside / "ae.csv").write_text("Subject\n01-001\n")
    (study / "ae.csv").symlink_to(outside / "ae.csv")
    with pytest.raises(InputError, match="outside the study folder"):
        read_raw_study(study, {"AE": []}, mapping_rows={"AE": [3, 4]})
    assert form_path(study, "CM") == study / "cm.csv"


def test_line_numbers_are_int64(tmp_path):
    frame, _, _ = _read(tmp_path, b"a\n1\n")
    assert frame[PROVENANCE_ROW].dtype == np.int64


# --- issue 11: the Sources sheet says which file holds a form and how to read it -----------------------------------

from formats.odm import write_odm  # noqa: E402
from specs.model import SourceDef  # noqa: E402
from trialforge.raw import source_path  # noqa: E402


def declared(**rows):
    """A `source_of` answering from Sources rows given as form -> SourceDef fields (row numbers from 2)."""
    defs = {form: SourceDef(form=form, sheet="Sources", row=n, **fields)
            for n, (form, fields) in enumerate(rows.items(), start=2)}
    return lambda form: defs[form]


@pytest.mark.parametrize("options, data, values, lines", [
    ((("delimiter", ";"),), b"a;b\n1,5;x\n\n2;\"y;z\"\n", [["1,5", "x"], ["2", "y;z"]], [2, 4]),
    ((("delimiter", "tab"),), b"a\tb\n1\t2\n\t\n3\t4\n", [["1", "2"], ["", ""], ["3", "4"]], [2, 3, 4]),
    ((("delimiter", "|"), ("quotechar", "'")), b"a|b\n'x|y'|'it''s'\n", [["x|y", "it's"]], [2]),
    ((("encoding", "cp1252"),), "a,b\nµg,\u20ac5\n".encode("cp1252"), [["µg", "€5"]], [2]),
    ((("encoding", "utf-16"),), "a,b\n1,\"x\ny\"\n2,ü\n".encode("utf-16"), [["1", "x\ny"], ["2", "ü"]], [2, 4]),
])
def test_csv_dialects_keep_values_and_editor_lines(tmp_path, options, data, values, lines):
    (tmp_path / "ae.txt").write_bytes(data)
    forms = read_raw_study(tmp_path, {"AE": ["a", "b"]}, source_of=declared(AE={"file": "ae.txt", "options": options}))
    frame = forms["AE"].frame
    assert frame[["a", "b"]].values.tolist() == values
    assert frame[PROVENANCE_ROW].tolist() == lines and set(frame["__file"]) == {"ae.txt"}


def test_csv_dialects_keep_the_strict_checks(tmp_path):
    (tmp_path / "ae.csv").write_bytes(b"a;b\n1;2;3\n4;\x00\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": []}, source_of=declared(AE={"options": (("delimiter", ";"),)}))
    found = [(p.row, p.column) for p in caught.value.problems]
    assert found == [(2, None), (3, "b")]


def test_text_not_in_the_declared_encoding_names_its_line(tmp_path):
    (tmp_path / "ae.csv").write_bytes(b"a\nok\n\x81bad\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": []}, source_of=declared(AE={"options": (("encoding", "cp1252"),)}))
    problem = caught.value.problems[0]
    assert problem.row == 3 and "not cp1252 text" in problem.message and "encoding=" in problem.message


def test_a_file_in_a_subfolder_keeps_its_path_as_provenance(tmp_path):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "extracts" / "adverse.csv").write_text("Subject,AETERM\n01,x\n")
    forms = read_raw_study(tmp_path, {"AE": ["AETERM"]}, source_of=declared(AE={"file": "extracts/adverse.csv"}))
    assert forms["AE"].frame["__file"].tolist() == ["extracts/adverse.csv"]
    assert unread_forms(tmp_path, forms) == []


@pytest.mark.parametrize("file, reason", [
    ("../elsewhere/ae.csv", "holds '..'"),
    ("/etc/passwd", "absolute path"),
    ("C:/data/ae.csv", "absolute path"),
    ("link/ae.csv", "outside the study folder"),
])
def test_a_file_outside_the_study_folder_is_refused_naming_the_sources_row(tmp_path, file, reason):
    study, outside = tmp_path / "raw", tmp_path / "elsewhere"
    study.mkdir()
    outside.mkdir()
    (outside / "ae.csv").write_text("Subject\n01-001\n")
    (study / "link").symlink_to(outside)
    with pytest.raises(InputError) as caught:
        read_raw_study(study, {"AE": []}, source_of=declared(CM={}, AE={"file": file}))
    problem = caught.value.problems[0]
    assert reason in problem.message and (problem.sheet, problem.row, problem.column) == ("Sources", 3, "File")


def test_a_default_file_is_still_checked_as_a_form_name(tmp_path):
    with pytest.raises(InputError, match="path separator"):
        source_path(tmp_path, SourceDef(form="../AE", file="../ae.csv", sheet="Sources", row=2), [7])
    assert source_path(tmp_path, SourceDef(form="LB", file="lb.xlsx", format="excel", sheet="Sources", row=2)) \
        == tmp_path / "lb.xlsx"


def test_excel_and_sas_forms_are_read_as_declared(tmp_path):
    import openpyxl
    import pandas as pd
    import pyreadstat

    book = openpyxl.Workbook()
    book.active.title = "Adverse"
    for row in (["Subject", "AETERM"], ["01", "Rash"], [], ["02", 7]):
        book.active.append(row)
    book.save(tmp_path / "forms.xlsx")
    pyreadstat.write_xport(pd.DataFrame({"Subject": ["01"], "AGE": [34.0]}), str(tmp_path / "dm.xpt"))
    source_of = declared(AE={"file": "forms.xlsx", "format": "excel", "options": (("sheet", "Adverse"),)},
                         DM={"format": "xpt", "file": "dm.xpt"})
    forms = read_raw_study(tmp_path, {"AE": ["AETERM"], "DM": ["AGE"]}, source_of=source_of)
    assert forms["AE"].frame[["AETERM", "__file", "__row"]].values.tolist() == [
        ["Rash", "forms.xlsx[Adverse]", 2], ["7", "forms.xlsx[Adverse]", 4]]
    assert forms["DM"].frame[["AGE", "__row"]].values.tolist() == [["34", 1]]
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"DM": ["WEIGHT"]}, source_of=source_of)
    assert (caught.value.problems[0].column, caught.value.problems[0].row) == ("WEIGHT", None)


def _odm_study(tmp_path):
    import pandas as pd

    ae = pd.DataFrame({"Subject": ["01", "02"], "Folder": ["LOG", "LOG"], "AETERM": ["Rash", "Fever"]})
    dm = pd.DataFrame({"Subject": ["01", "02"], "Folder": ["SCR", "SCR"], "SEX": ["F", "M"]})
    vs = pd.DataFrame({"Subject": ["01"], "Folder": ["SCR"], "VSORRES": ["120"]})
    write_odm({"AE": ae, "F.DM": dm, "VS": vs}, tmp_path / "study.xml", "S", "Subject", "Folder")


def test_forms_of_one_odm_file_by_the_star_row_and_the_form_option(tmp_path, caplog):
    _odm_study(tmp_path)
    star = SourceDef(form="*", file="study.xml", format="odm", sheet="Sources", row=2)
    rows = {"DM": SourceDef(form="DM", file="study.xml", format="odm", options=(("form", "F.DM"),),
                            sheet="Sources", row=3)}
    forms = read_raw_study(tmp_path, {"AE": ["AETERM"], "DM": ["SEX"]},
                           source_of=lambda f: rows.get(f) or SourceDef(**{**_fields(star), "form": f}))
    assert forms["AE"].frame[["SubjectKey", "AETERM", "__file"]].values.tolist() == [
        ["01", "Rash", "study.xml"], ["02", "Fever", "study.xml"]]
    assert forms["DM"].frame["SEX"].tolist() == ["F", "M"]
    lines = forms["AE"].frame["__row"].tolist() + forms["DM"].frame["__row"].tolist()
    assert len(set(lines)) == 4 and all(line > 3 for line in lines)  # the line of each ItemGroupData
    assert "study.xml: no spec mapping reads its forms VS" in caplog.text
    assert unread_forms(tmp_path, forms) == []


def _fields(source: SourceDef) -> dict:
    return {name: getattr(source, name) for name in source.__dataclass_fields__}


def test_an_odm_form_that_is_not_in_the_file_names_the_forms_it_holds(tmp_path):
    _odm_study(tmp_path)
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"CM": []}, source_of=declared(CM={"file": "study.xml", "format": "odm"}))
    assert "no FormData with FormOID 'CM'" in str(caught.value) and "AE, F.DM, VS" in str(caught.value)


def test_an_odm_file_that_cannot_be_read_is_reported_once_for_all_its_forms(tmp_path):
    (tmp_path / "study.xml").write_text("<ODM><ClinicalData>")
    source = {"file": "study.xml", "format": "odm"}
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": [], "DM": []}, source_of=declared(AE=source, DM=source))
    assert len(caught.value.problems) == 1 and "Premature end of data" in caught.value.problems[0].message


def test_unread_files_of_every_raw_format_are_listed(tmp_path):
    for name in ("ae.csv", "labs.xlsx", "dm.sas7bdat", "vs.xpt", "odm.xml", "manifest.json", "notes.txt"):
        (tmp_path / name).write_text("Subject\n01\n")
    forms = read_raw_study(tmp_path, {"AE": []})
    assert unread_forms(tmp_path, forms) == ["dm.sas7bdat", "labs.xlsx", "odm.xml", "vs.xpt"]


def test_a_missing_file_of_several_forms_is_reported_once(tmp_path):
    source = {"file": "study.xml", "format": "odm"}
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": [], "DM": []}, source_of=declared(AE=source, DM=source))
    assert len(caught.value.problems) == 1 and "study.xml" in caught.value.problems[0].file


@pytest.mark.parametrize("fields, words", [
    ({"options": (("delimiter", "ab"),)}, "not one character"),
    ({"options": (("encoding", "klingon"),)}, "not a text encoding"),
    ({"format": "parquet"}, "unknown format 'parquet'"),
])
def test_a_source_made_in_code_with_unusable_options_is_a_problem_not_a_crash(tmp_path, fields, words):
    (tmp_path / "ae.csv").write_text("a\n1\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": []}, source_of=declared(AE={"file": "ae.csv", **fields}))
    assert words in caught.value.problems[0].message and caught.value.problems[0].row == 2
