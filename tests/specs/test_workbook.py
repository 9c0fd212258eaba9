"""Opening workbooks safely: zip limits, row and cell limits, formulas without results, merged cells."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from specs import workbook
from specs.reader import check_spec
from trialforge.example_study import example_spec



def rewrite_sheet(path, title, edit):
    member = workbook.open_package(path).sheet_parts[title]
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(name, edit(data) if name == member else data)
    return path


def errors_and_warnings(problems):
    return ([(p.sheet, p.row, p.column) for p in problems if p.severity == "error"],
            [(p.sheet, p.row, p.column) for p in problems if p.severity == "warning"])


# --- the zip directory -------------------------------------------------------------------------------------

def test_package_finds_every_sheet_part():
    package = workbook.open_package(example_spec("sdtm"))
    assert {"Define", "Datasets", "Variables", "Mapping"} <= set(package.sheet_parts)
    assert all(part.startswith("xl/worksheets/") for part in package.sheet_parts.values())
    assert package.missing_parts == {}


def test_member_count_is_read_from_the_end_record(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(7):
            archive.writestr(f"m{i}.txt", "x")
    assert workbook._central_directory_count(path) == 7
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 nothing else")
    assert workbook._central_directory_count(tmp_path / "junk.zip") is None


def test_limits_are_checked_before_unpacking(book, monkeypatch):
    path = book()
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(workbook.WorkbookRefused, match=r"unpacks to [\d,]+ bytes.*MAX_UNPACKED_BYTES"):
        workbook.open_package(path)
    spec, problems = check_spec(path)
    assert spec is None and len(problems) == 1 and problems[0].file == str(path)


def test_a_lying_zip_header_cannot_unpack_more_than_it_declares(tmp_path):
    """zipfile stops at the declared size (and then fails its CRC check), so checking the directory is enough."""
    path = tmp_path / "lie.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xml", b"x" * 100_000)
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # declared unpacked size: 10 bytes
    local = data.index(b"PK\x03\x04")
    data[local + 22:local + 26] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive, archive.open("big.xml") as stream:
        with pytest.raises(zipfile.BadZipFile, match="CRC"):
            stream.read()


def test_rows_are_capped_and_trailing_blank_rows_dropped(book, monkeypatch):
    path = rewrite_sheet(book(), "Methods", lambda data: data.replace(
        b"</sheetData>", b'<row r="40" s="1" customFormat="1"><c r="A40" s="1"/></row></sheetData>'))
    spec, problems = check_spec(path)
    assert spec is not None and problems == []  # a formatted empty row below the table is not data
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 39)
    spec, problems = check_spec(path)
    assert spec is None and [(p.sheet, p.row) for p in problems] == [("Methods", None)]
    assert "rows beyond row 39" in problems[0].message


def test_cells_are_capped(book, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_CELLS", 100)
    spec, problems = check_spec(book())
    assert spec is None and "more than 100 cells" in problems[0].message and problems[0].sheet


def test_column_letters():
    assert [workbook.column_letter(i) for i in (0, 25, 26, 701, 702, 16_383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]


# --- formulas and merged cells ------------------------------------------------------------------------------

def test_formula_without_result_is_an_error_where_the_reader_reads(book):
    def change(sheets):
        sheets["Variables"][1][5] = "=10+2"  # F2: Length
        sheets["Datasets"][1][11] = "=1+1"  # L2: My Notes, a column the reader ignores
        sheets["Datasets"][0][12:] = ["=CONCAT(\"Dev\", \"eloper\")"]  # M1: a header

    spec, problems = check_spec(book(change))
    errors, warnings = errors_and_warnings(problems)
    assert spec is None
    assert ("Variables", 2, "Length") in errors
    assert ("Datasets", 1, "M") in errors  # a header lost is always an error
    assert warnings == [("Datasets", 2, "My Notes")]
    message = next(p.message for p in problems if p.column == "Length")
    assert "formula without a cached value (cell F2)" in message and "open and save the workbook" in message


def test_formula_with_a_stored_result_reads_as_its_value(book):
    path = rewrite_sheet(book(lambda s: s["Variables"][1].__setitem__(5, "=10+2")), "Variables",
                         lambda data: data.replace(b"<f>10+2</f><v></v>", b"<f>10+2</f><v>12</v>")
                         .replace(b"<f>10+2</f><v/>", b"<f>10+2</f><v>12</v>"))
    spec, problems = check_spec(path)
    assert problems == [] and spec.variable("DM", "STUDYID").length == 12


def test_formula_with_an_empty_text_result_is_a_blank(book):
    path = rewrite_sheet(book(lambda s: s["Variables"][1].__setitem__(19, '=""')), "Variables",
                         lambda data: data.replace(b'<c r="T2"><f>""</f><v></v></c>',
                                                   b'<c r="T2" t="str"><f>""</f><v></v></c>')
                         .replace(b'<c r="T2"><f>""</f><v/></c>', b'<c r="T2" t="str"><f>""</f><v></v></c>'))
    assert workbook.scan_sheet(path, workbook.open_package(path).sheet_parts["Variables"]).uncached == []
    spec, problems = check_spec(path)
    assert problems == [] and spec.variable("DM", "STUDYID").comment is None


def test_merged_cells_are_named(book, tmp_path):
    path = book()
    workbook_ = openpyxl.load_workbook(path)
    workbook_["Variables"].merge_cells("B2:B6")
    workbook_.save(path)
    spec, problems = check_spec(path)
    errors, warnings = errors_and_warnings(problems)
    assert ("Variables", 2, None) in warnings
    assert [("Variables", row, "Dataset") for row in (3, 4, 5, 6)] == [e for e in errors if e[2] == "Dataset"]
    assert "cells B2:B6 are merged" in next(p.message for p in problems if p.severity == "warning")


def test_cells_without_references_are_placed_in_order(tmp_path):
    path = tmp_path / "sheet.zip"
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b'<row><c><v>1</v></c><c><f>A1+1</f></c></row><row r="5"><c r="C5"><f>1</f><v/></c><c><f>2</f></c></row>'
           b'</sheetData><mergeCells><mergeCell ref="A1:A3"/></mergeCells></worksheet>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("s.xml", xml)
    scan = workbook.scan_sheet(path, "s.xml")
    assert scan.uncached == [(1, 1), (5, 2), (5, 3)] and scan.merged == ["A1:A3"]


# --- names in another case -------------------------------------------------------------------------------------

def test_a_lower_case_dataset_reference_finds_its_dataset(book):
    def change(sheets):
        for row in sheets["Variables"][1:]:
            if row[1] == "DM":
                row[1] = "dm"

    spec, problems = check_spec(book(change))
    assert problems == [], "\n".join(map(str, problems))
    assert [v.name for v in spec.variables_of("DM")] == ["STUDYID", "DOMAIN", "USUBJID", "SEX", "AGE"]
    assert spec.value_level_of("ts", "tsval") == spec.value_level_of("TS", "TSVAL") != ()
