"""Hostile and broken spec workbooks, run through `trialforge spec check` / `spec export` as a user runs them.

Each case builds a bad workbook from the test factory's valid one, and asserts the exit code, that the
message names the file and the sheet/row/column (or member, limit) at fault, that no traceback is printed,
and that nothing beside the workbook changed.
"""

from __future__ import annotations

import inspect
import os
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from specs import workbook as limits
from tests.robustness.conftest import EXAMPLE_ADAM_SPEC, run_cli, snapshot
from tests.specs.spec_factory import base_sheets, write_workbook

EXIT_OK, EXIT_INPUT, EXIT_OUTPUT = 0, 3, 4


# --- building bad workbooks ----------------------------------------------------------------------------


def _book(tmp_path: Path, change: Callable[[dict], None] | None = None, name: str = "spec.xlsx") -> Path:
    sheets = base_sheets()
    if change is not None:
        change(sheets)
    return write_workbook(tmp_path / name, sheets)


def _part(path: Path, title: str) -> str:
    return limits.open_package(path).sheet_parts[title]


def _rewrite(path: Path, edit: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> Path:
    """Rewrite the zip member by member: edit(name, data) -> new data, or None to leave the member out."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            new = edit(info.filename, data)
            if new is not None:
                target.writestr(info.filename, new, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _edit_sheet(path: Path, title: str, edit: Callable[[bytes], bytes]) -> Path:
    member = _part(path, title)
    return _rewrite(path, lambda name, data: edit(data) if name == member else data)


def _bomb_member(path: Path, title: str, megabytes: int) -> Path:
    """Replace a sheet by `megabytes` of highly compressible rows (a small file that unpacks big)."""
    member = _part(path, title)
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 4096
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            if name != member:
                target.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w") as stream:
                stream.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                             b"<sheetData>")
                for _ in range(megabytes * 1024 * 1024 // len(row) + 1):
                    stream.write(row)
                stream.write(b"</sheetData></worksheet>")
    return path


# Each case: (id, make(tmp_path, monkeypatch) -> path, expected exit code, names the message must hold).
# "{file}" in names stands for the workbook's file name.


def zip_bomb_ratio(tmp_path, monkeypatch):
    return _bomb_member(_book(tmp_path), "Variables", 12)


def zip_bomb_total(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", 10**9)
    return _bomb_member(_book(tmp_path), "Variables", 3)


def too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 30)
    path = _book(tmp_path)
    return _rewrite(path, lambda name, data: data, {f"customXml/item{i}.xml": b"<x/>" for i in range(40)})


def row_far_down(tmp_path, monkeypatch):
    far = b'<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    return _edit_sheet(_book(tmp_path), "Datasets", lambda data: data.replace(b"</sheetData>", far))


def too_many_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHEET_ROWS", 30)
    return _book(tmp_path, lambda s: s["Codelists"].extend(list(s["Codelists"][1]) for _ in range(40)))


def far_right_cells(tmp_path, monkeypatch):
    # one cell in column XFD per row: openpyxl fills 16,384 values per row, so cells are capped
    rows = b"".join(b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (i, i)
                    for i in range(2, 700))
    return _edit_sheet(_book(tmp_path), "Methods", lambda data: data.replace(b"</sheetData>", rows + b"</sheetData>"))


def csv_renamed(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    path.write_text("Dataset,Label\nDM,Demographics\n", encoding="utf-8")
    return path


def a_directory(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    path.mkdir()
    return path


def empty_file(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    path.write_bytes(b"")
    return path


def legacy_xls(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    return path


def encrypted_xlsx(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptionInfo".encode("utf-16-le"))
    return path


def zip_without_workbook(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


def opendocument(tmp_path, monkeypatch):
    path = tmp_path / "spec.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return path


def truncated_zip(tmp_path, monkeypatch):
    path = _book(tmp_path)
    path.write_bytes(path.read_bytes()[:3000])
    return path


def sheet_part_missing(tmp_path, monkeypatch):
    path = _book(tmp_path)
    member = _part(path, "Datasets")
    return _rewrite(path, lambda name, data: None if name == member else data)


def sheet_xml_damaged(tmp_path, monkeypatch):
    return _edit_sheet(_book(tmp_path), "Variables", lambda data: data[: len(data) // 2])


def formula_without_cached_value(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Variables"][1][5] = "=10+2"  # Length of DM.STUDYID, row 2, column F

    return _book(tmp_path, change)


def merged_cells(tmp_path, monkeypatch):
    path = _book(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Variables"].merge_cells("B2:B6")
    book.save(path)
    return path


def header_only_sheets(tmp_path, monkeypatch):
    return write_workbook(tmp_path / "spec.xlsx", {name: rows[:1] for name, rows in base_sheets().items()})


def empty_sheets(tmp_path, monkeypatch):
    return write_workbook(tmp_path / "spec.xlsx", {name: [] for name in base_sheets()})


def duplicate_sheet_in_other_case(tmp_path, monkeypatch):
    def change(sheets):
        sheets["VARIABLES "] = sheets["Variables"]

    return _book(tmp_path, change)


def number_as_variable_name(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Variables"][1][2] = 12345

    return _book(tmp_path, change)


def date_cell_as_length(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Variables"][2][5] = datetime(2024, 1, 1)

    return _book(tmp_path, change)


def very_long_label(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Variables"][1][3] = "x" * 32_000

    return _book(tmp_path, change)


def odd_unicode_name(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Variables"][1][2] = "STUDY\u0130D"  # a dotted capital I: looks like STUDYID

    return _book(tmp_path, change)


def source_form_with_dotdot(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Mapping"][2][3] = "../../x/DM"  # row 3

    return _book(tmp_path, change)


def source_form_absolute(tmp_path, monkeypatch):
    def change(sheets):
        sheets["Mapping"][4][3] = "/etc/AE"  # row 5

    return _book(tmp_path, change)


def a_fifo(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "spec.xlsx"
    os.mkfifo(path)
    return path


CASES = [
    ("zip-bomb-ratio", zip_bomb_ratio, EXIT_INPUT, ["{file}", "unpacks", "MAX_COMPRESSION_RATIO", "xl/worksheets/"]),
    ("zip-bomb-total", zip_bomb_total, EXIT_INPUT, ["{file}", "unpacks to", "MAX_UNPACKED_BYTES"]),
    ("zip-members", too_many_members, EXIT_INPUT, ["{file}", "members", "MAX_ZIP_MEMBERS"]),
    ("row-far-down", row_far_down, EXIT_INPUT, ["{file}", "sheet 'Datasets'", "200,000", "MAX_SHEET_ROWS"]),
    ("too-many-rows", too_many_rows, EXIT_INPUT, ["{file}", "sheet 'Codelists'", "MAX_SHEET_ROWS"]),
    ("far-right-cells", far_right_cells, EXIT_INPUT, ["{file}", "sheet 'Methods'", "MAX_CELLS"]),
    ("csv-renamed", csv_renamed, EXIT_INPUT, ["{file}", "text file", "zip archive"]),
    ("directory", a_directory, EXIT_INPUT, ["{file}", "is a directory"]),
    ("empty-file", empty_file, EXIT_INPUT, ["{file}", "empty (0 bytes)"]),
    ("legacy-xls", legacy_xls, EXIT_INPUT, ["{file}", "97-2003 (.xls)"]),
    ("encrypted", encrypted_xlsx, EXIT_INPUT, ["{file}", "password-protected"]),
    ("zip-not-workbook", zip_without_workbook, EXIT_INPUT, ["{file}", "not a workbook", "xl/workbook.xml"]),
    ("opendocument", opendocument, EXIT_INPUT, ["{file}", "OpenDocument spreadsheet (.ods)"]),
    ("truncated-zip", truncated_zip, EXIT_INPUT, ["{file}", "corrupt or truncated"]),
    ("sheet-part-missing", sheet_part_missing, EXIT_INPUT, ["{file}", "sheet 'Datasets'", "is missing", "damaged"]),
    ("sheet-xml-damaged", sheet_xml_damaged, EXIT_INPUT, ["{file}", "sheet 'Variables'", "corrupt"]),
    ("formula-uncached", formula_without_cached_value, EXIT_INPUT,
     ["{file}", "sheet 'Variables', row 2, column 'Length'", "formula without a cached value", "F2"]),
    ("merged-cells", merged_cells, EXIT_INPUT,
     ["{file}", "sheet 'Variables', row 2", "B2:B6", "merged", "sheet 'Variables', row 3, column 'Dataset'"]),
    ("header-only", header_only_sheets, EXIT_INPUT, ["{file}", "sheet 'Datasets', row 2", "no datasets"]),
    ("empty-sheets", empty_sheets, EXIT_INPUT, ["{file}", "sheet 'Variables', row 1", "the sheet is empty"]),
    ("duplicate-sheet-case", duplicate_sheet_in_other_case, EXIT_INPUT, ["{file}", "'Variables'", "'VARIABLES '"]),
    ("number-as-name", number_as_variable_name, EXIT_INPUT,
     ["{file}", "sheet 'Variables', row 2, column 'Variable'", "'12345'"]),
    ("date-as-length", date_cell_as_length, EXIT_INPUT,
     ["{file}", "sheet 'Variables', row 3, column 'Length'", "'2024-01-01' is not a positive whole number"]),
    ("long-label", very_long_label, EXIT_INPUT, ["{file}", "sheet 'Variables', row 2, column 'Label'", "32000"]),
    ("odd-unicode", odd_unicode_name, EXIT_INPUT, ["{file}", "sheet 'Variables', row 2, column 'Variable'"]),
    ("source-form-dotdot", source_form_with_dotdot, EXIT_INPUT,
     ["{file}", "sheet 'Mapping', row 3, column 'Source Form'", "../../x/DM", "plain form name"]),
    ("source-form-absolute", source_form_absolute, EXIT_INPUT,
     ["{file}", "sheet 'Mapping', row 5, column 'Source Form'", "/etc/AE", "absolute"]),
    ("fifo", a_fifo, EXIT_INPUT, ["{file}", "not a regular file"]),
]


@pytest.mark.parametrize("make, code, names", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spec_check_refuses_cleanly(tmp_path, monkeypatch, make, code, names):
    path = make(tmp_path, monkeypatch)
    before = snapshot(tmp_path) if path.is_dir() or path.is_file() else None
    result = run_cli("spec", "check", path)
    result.assert_clean_failure(code, *[n.replace("{file}", path.name) for n in names])
    if before is not None:
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize("make", [zip_bomb_ratio, formula_without_cached_value, source_form_with_dotdot,
                                  header_only_sheets, csv_renamed], ids=lambda f: f.__name__)
def test_spec_export_refuses_cleanly_and_writes_nothing(tmp_path, monkeypatch, make):
    path = make(tmp_path, monkeypatch)
    out = tmp_path / "text"
    result = run_cli("spec", "export", path, "--out", out)
    result.assert_clean_failure(EXIT_INPUT, path.name)
    assert not out.exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: file permissions do not stop root from reading")
def test_unreadable_workbook(tmp_path):
    path = _book(tmp_path)
    path.chmod(0)
    try:
        run_cli("spec", "check", path).assert_clean_failure(EXIT_INPUT, path.name, "cannot be read")
    finally:
        path.chmod(0o644)


def test_what_still_works(tmp_path):
    """Odd but usable: 16k columns of extra headers, a formula with its result stored, blanks and unicode."""
    def change(sheets):
        sheets["Variables"][0] += [f"Extra {i}" for i in range(16_384 - len(sheets["Variables"][0]))]
        sheets["Datasets"][2][1] = "Adverse Events \u2013 all"  # an en dash in a label is a warning only

    path = _book(tmp_path, change)
    member = _part(path, "Variables")
    cached = b'<c r="F2"><f>10+2</f><v>12</v></c>'
    _rewrite(path, lambda name, data: _with_cell(data, b"F2", cached) if name == member else data)
    result = run_cli("spec", "check", path)
    assert result.code == EXIT_OK, result.text
    assert "Traceback" not in result.text and "formula" not in result.text
    assert "sheet 'Datasets', row 3, column 'Label'" in result.text  # the non-ASCII warning
    out = tmp_path / "text"
    assert run_cli("spec", "export", path, "--out", out).code == EXIT_OK
    assert "STUDYID,Study Identifier,text,12," in (out / "Variables.csv").read_text(encoding="utf-8")


def _with_cell(data: bytes, ref: bytes, cell: bytes) -> bytes:
    start = data.index(b'<c r="' + ref + b'"')
    end = data.index(b"</c>", start) + 4
    return data[:start] + cell + data[end:]


def test_spec_export_into_a_file_is_an_output_error(tmp_path):
    path = _book(tmp_path)
    out = tmp_path / "taken"
    out.write_text("a file, not a folder", encoding="utf-8")
    run_cli("spec", "export", path, "--out", out).assert_clean_failure(EXIT_OUTPUT, "taken")
    assert out.read_text(encoding="utf-8") == "a file, not a folder"


# --- once the lead wires purpose="build"/"review" into the CLI and the build -----------------------------

def _wired(function_name: str, text: str) -> bool:
    from trialforge import cli, stages

    module = stages if function_name == "load_specs" else cli
    return text in inspect.getsource(getattr(module, function_name))


@pytest.mark.skipif(not _wired("load_specs", "purpose"), reason="load_specs does not pass purpose='build' yet")
def test_build_with_an_sdtm_spec_without_mapping_sheet_fails_at_load_specs(tmp_path, raw):
    path = _book(tmp_path, lambda s: s.pop("Mapping"), name="nomapping.xlsx")
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, "--adam-spec", EXAMPLE_ADAM_SPEC, "--sdtm-spec", path, "--out", out)
    result.assert_clean_failure(EXIT_INPUT, "nomapping.xlsx", "no 'Mapping' sheet", "cannot drive a build")
    assert not out.exists()


@pytest.mark.skipif(not _wired("cmd_spec_check", "purpose"), reason="spec check does not pass a purpose yet")
def test_spec_check_warns_about_a_missing_mapping_sheet_and_unknown_condition_fields(tmp_path):
    path = _book(tmp_path)  # the factory's AE Condition names AEYN, which no AE row declares
    result = run_cli("spec", "check", path)
    assert result.code == EXIT_OK, result.text
    assert "sheet 'Mapping', row 5, column 'Condition'" in result.text and "AEYN" in result.text
    path = _book(tmp_path, lambda s: s.pop("Mapping"), name="nomapping.xlsx")
    result = run_cli("spec", "check", path)
    assert result.code == EXIT_OK and "cannot drive a build" in result.text, result.text
