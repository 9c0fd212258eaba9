"""The spec sheet reader (specs.sheetxml) gives the rows openpyxl's read-only mode gives, on every workbook at
hand and on a hand-made one holding each kind of cell; it also finds uncached formulas and merged ranges."""

import warnings
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from specs import sheetxml, workbook
from trialforge.example_study import workbooks as example_workbooks

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def _openpyxl_rows(path: Path) -> dict[str, list[tuple]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = {}
            for sheet in book.worksheets:
                sheet.reset_dimensions()
                rows[sheet.title] = [tuple(r) for r in sheet.iter_rows(values_only=True)]
            return rows
        finally:
            book.close()


def _our_rows(path: Path) -> tuple[dict[str, list[tuple]], dict[str, workbook.SheetScan]]:
    package = workbook.open_package(path)
    rows, scans = {}, {}
    with zipfile.ZipFile(path) as archive:
        book = sheetxml.Workbook(archive, package.workbook_part)
        for title, member in package.sheet_parts.items():
            scans[title] = workbook.SheetScan()
            rows[title] = list(book.sheet(member, scans[title]))
    return rows, scans


def _workbooks_at_hand() -> list[Path]:
    paths = sorted(Path(example_workbooks.__file__).parent.glob("*.xlsx"))
    return paths + sorted((SHARED / "examples" / "p21-spec-workbooks").glob("*.xlsx"))


@pytest.mark.parametrize("path", _workbooks_at_hand(), ids=lambda p: p.name)
def test_every_workbook_at_hand_reads_as_openpyxl_reads_it(path):
    assert _our_rows(path)[0] == _openpyxl_rows(path)


def test_the_cdisc_pilot_p21_workbooks_are_among_them():
    if not (SHARED / "examples" / "p21-spec-workbooks").is_dir():
        pytest.skip("../shared/examples/p21-spec-workbooks is absent (the shared examples are not beside this clone)")
    assert len([p for p in _workbooks_at_hand() if "pilot" in p.name.lower()]) == 2


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _handmade(path: Path, sheet_xml: str, date1904: bool = False) -> Path:
    """A workbook written part by part, so each kind of cell is exactly as the XML says."""
    epoch = ' date1904="1"' if date1904 else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName='
            '"/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '</Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr'
                            f'{epoch}/><sheets><sheet name="Variables" sheetId="1" '
                            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/'
            f'sheet1.xml"/><Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>'),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}"><si><t>Variable</t></si><si><t xml:space="preserve"> padded </t></si>'
            '<si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>'
            '<si><t>under_x005F_score</t></si><si><t/></si></sst>'),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
            '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts><cellXfs count="5"><xf numFmtId="0"/>'
            '<xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="2"/></cellXfs></styleSheet>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}">{sheet_xml}</worksheet>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


SHEET = (
    '<dimension ref="A1:B2"/>'  # wrong on purpose: the reader reads what is there
    '<sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c></row>'
    '<row r="3"><c r="A3"><v>42</v></c><c r="B3"><v>2.5</v></c><c r="C3" s="4"><v>1E3</v></c>'
    '<c r="D3" s="1"><v>45292</v></c><c r="E3" s="2"><v>45292.5</v></c><c r="F3" s="3"><v>1.25</v></c></row>'
    '<row r="4"><c r="A4" t="b"><v>1</v></c><c r="B4" t="e"><v>#N/A</v></c><c r="C4" t="str"><f>A1</f>'
    '<v>Variable</v></c><c r="D4"><f>1+1</f></c><c r="E4" t="inlineStr"><is><t>inline</t></is></c>'
    '<c r="F4" t="inlineStr"><is><r><t>in</t></r><r><t>line runs</t></r></is></c></row>'
    '<row><c t="s"><v>3</v></c><c/><c t="s"><v>4</v></c><c s="2"/></row>'  # no r attributes
    '<row r="6"><c r="B6" t="d"><v>2024-03-01T10:00:00</v></c><c r="C6" t="inlineStr"><is/></c>'
    '<c r="D6" s="1"><v>99999999</v></c></row>'
    '<row r="2"><c r="A2"><v>7</v></c></row>'  # out of order: dropped, as openpyxl drops it
    '</sheetData><mergeCells count="1"><mergeCell ref="A3:A4"/></mergeCells>')


@pytest.mark.parametrize("date1904", [False, True])
def test_each_kind_of_cell_reads_as_openpyxl_reads_it(tmp_path, date1904):
    path = _handmade(tmp_path / "cells.xlsx", SHEET, date1904)
    ours, scans = _our_rows(path)
    assert ours == _openpyxl_rows(path)
    rows = ours["Variables"]
    assert rows[0] == ("Variable", " padded ", None, "rich text")
    assert rows[1] == ()  # a row the sheet does not hold
    assert rows[2][:3] == (42, 2.5, 1000.0)
    assert rows[2][3] == (datetime(2028, 1, 2) if date1904 else datetime(2024, 1, 1))
    assert rows[2][5] == timedelta(hours=30)
    assert rows[3] == (True, "#N/A", "Variable", None, "inline", "inline runs")
    assert rows[4] == ("under_score", None, "", None)
    assert rows[5] == (None, datetime(2024, 3, 1, 10), "", "#VALUE!")
    assert scans["Variables"].uncached == [(4, 3)]  # D4: a formula the workbook never calculated
    assert scans["Variables"].merged == ["A3:A4"]


def test_a_damaged_shared_strings_part_is_refused_with_the_part_named(tmp_path):
    path = _handmade(tmp_path / "cells.xlsx", SHEET)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, b"<sst><si>" if item.filename == "xl/sharedStrings.xml" else data)
    with pytest.raises(workbook.WorkbookRefused, match=r"xl/sharedStrings.xml.*damaged"):
        _our_rows(damaged)


def test_entities_are_not_expanded(tmp_path):
    bomb = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>')
    path = _handmade(tmp_path / "cells.xlsx", '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>')
    patched = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            target.writestr(item, bomb if item.filename == "xl/sharedStrings.xml" else source.read(item.filename))
    rows, _ = _our_rows(patched)
    assert "aaaaaaaaaa" not in str(rows)


def test_the_built_in_date_and_duration_formats_are_those_openpyxl_finds():
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    assert sheetxml.BUILTIN_DATES == {n for n, code in BUILTIN_FORMATS.items() if is_date_format(code)}
    assert sheetxml.BUILTIN_DURATIONS == {n for n, code in BUILTIN_FORMATS.items() if is_timedelta_format(code)}


def test_a_spec_workbook_without_dates_is_read_without_importing_openpyxl():
    import subprocess
    import sys

    path = sorted(Path(example_workbooks.__file__).parent.glob("*.xlsx"))[0]
    code = ("import sys, zipfile; from pathlib import Path; from specs import sheetxml, workbook;"
            "p = workbook.open_package(Path(sys.argv[1]));"
            "a = zipfile.ZipFile(sys.argv[1]); b = sheetxml.Workbook(a, p.workbook_part);"
            "[list(b.sheet(m, workbook.SheetScan())) for m in p.sheet_parts.values()];"
            "print('openpyxl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
