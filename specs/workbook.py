"""Opening a spec workbook safely: what the file is, limits on what it may cost, and cell facts openpyxl hides.

An .xlsx file is a zip archive of XML parts, so a small file can unpack to gigabytes (a "zip bomb"), hold
a million rows, or name a row a billion rows down. Before openpyxl sees the file, `open_package` reads the
zip's directory (no member is unpacked) and refuses a file over the limits below; `read_rows` reads a sheet
under the row and cell limits. Each refusal names the file, the member or sheet, and the limit.

The limits sit far above any real spec workbook (the CDISC pilot's are under 1 MB unpacked, with a few
thousand rows) and far below what harms a build machine. They are module constants so a caller with a
truly larger spec can raise them (`specs.workbook.MAX_SHEET_ROWS = ...`) and every message names the one hit.

openpyxl reads a formula's cached result (`data_only=True`) and gives None when the workbook was written by
a program and never calculated, which looks like a blank cell. `scan_sheet` finds such cells (and merged
ranges, whose cells other than the first also read as blank) in the sheet XML so the reader can say so.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from collections.abc import Iterable
from typing import IO, Any
from xml.etree import ElementTree

MAX_WORKBOOK_BYTES = 200 * 1024 * 1024  # the file on disk
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all zip members together, unpacked
MAX_COMPRESSION_RATIO = 200  # unpacked / packed size of one member, checked for members over 1 MiB unpacked
MAX_ZIP_MEMBERS = 10_000  # entries in the zip archive
MAX_SHEET_ROWS = 200_000  # rows of one sheet (counted to the last row the sheet XML holds)
MAX_CELLS = 10_000_000  # cells kept from all sheets read (each row counted up to its last cell)
_RATIO_FLOOR = 1024 * 1024
_PART_LIMIT = 10 * 1024 * 1024  # the package parts parsed here (relationships, workbook.xml)

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_FORMULA_OR_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:f|mergeCell)[\s>/]")
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)\Z")
_CHUNK = 1024 * 1024


class WorkbookRefused(Exception):
    """The file cannot or must not be read as a workbook; `message` says why, `sheet` names the sheet if any."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.message, self.sheet = message, sheet


@dataclass
class Package:
    """What the zip directory and the workbook part tell about the sheets."""

    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet title -> zip member
    missing_parts: dict[str, str] = field(default_factory=dict)  # sheet title -> zip member not in the zip
    workbook_part: str = "xl/workbook.xml"  # the zip member holding the workbook


@dataclass
class SheetScan:
    uncached: list[tuple[int, int]] = field(default_factory=list)  # (1-based row, 0-based column) of formulas
    merged: list[str] = field(default_factory=list)  # merged ranges as written, e.g. "B2:B6"


def open_package(path: Path) -> Package:
    """Check the zip against the limits and find the workbook's sheets; raises WorkbookRefused."""
    count = _central_directory_count(path)
    if count is not None and count > MAX_ZIP_MEMBERS:
        raise WorkbookRefused(f"the zip archive has {count:,} members; a spec workbook may have at most "
                              f"{MAX_ZIP_MEMBERS:,} (specs.workbook.MAX_ZIP_MEMBERS)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as error:
        raise WorkbookRefused(f"cannot be opened: the file is corrupt or truncated (an .xlsx file is a zip "
                              f"archive, and this one cannot be read: {error})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise WorkbookRefused(f"the zip archive has {len(infos):,} members; a spec workbook may have at most "
                                  f"{MAX_ZIP_MEMBERS:,} (specs.workbook.MAX_ZIP_MEMBERS)")
        encrypted = [i.filename for i in infos if i.flag_bits & 0x1]
        if encrypted:
            raise WorkbookRefused(f"zip member {encrypted[0]!r} is encrypted; save an unprotected copy as .xlsx")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED_BYTES:
            raise WorkbookRefused(f"unpacks to {total:,} bytes; a spec workbook may unpack to at most "
                                  f"{MAX_UNPACKED_BYTES:,} bytes (specs.workbook.MAX_UNPACKED_BYTES): a zip bomb, "
                                  "or far more than a spec")
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > MAX_COMPRESSION_RATIO:
                raise WorkbookRefused(f"zip member {info.filename!r} unpacks {ratio:,.0f} times its packed size "
                                      f"({info.file_size:,} bytes); at most {MAX_COMPRESSION_RATIO} times is "
                                      "accepted (specs.workbook.MAX_COMPRESSION_RATIO): a zip bomb")
        names = {i.filename for i in infos}
        workbook = _workbook_part(archive, names)
        return _sheets(archive, names, workbook)


def _central_directory_count(path: Path) -> int | None:
    """Entries the zip says it holds, read from its end record before zipfile builds a list of them all."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65_557))
            tail = handle.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) < at + 22:
                return None
            count = struct.unpack("<H", tail[at + 10:at + 12])[0]
            if count != 0xFFFF:
                return count
            locator = tail.rfind(b"PK\x06\x07", 0, at)
            if locator < 0:
                return None
            offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
            handle.seek(offset)
            record = handle.read(40)
            if record[:4] != b"PK\x06\x06":
                return None
            return struct.unpack("<Q", record[32:40])[0]
    except (OSError, struct.error, OverflowError):
        return None


def _read_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = archive.getinfo(name)
    if info.file_size > _PART_LIMIT:
        raise WorkbookRefused(f"zip member {name!r} is {info.file_size:,} bytes; this part of a workbook is a few "
                              "kB: the file is damaged or not a workbook")
    try:
        return ElementTree.fromstring(archive.read(name))
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise WorkbookRefused(f"zip member {name!r} cannot be read ({error}); the workbook is damaged") from None


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The zip member holding the workbook (via _rels/.rels, as Office finds it)."""
    target = None
    if "_rels/.rels" in names:
        for rel in _read_part(archive, "_rels/.rels"):
            if str(rel.get("Type", "")).endswith(_OFFICE_DOCUMENT):
                target = _resolve("", rel.get("Target", ""))
                break
    if target is None and "xl/workbook.xml" in names:
        target = "xl/workbook.xml"
    if target is None or target not in names:
        raise WorkbookRefused(f"is a zip archive, but not a workbook ({_what_zip(archive, names)}): save the "
                              "spec as an Excel workbook (.xlsx)")
    return target


def _what_zip(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
        mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
        if "opendocument.spreadsheet" in mimetype:
            return "an OpenDocument spreadsheet (.ods)"
        return f"an OpenDocument file ({mimetype})"
    if "word/document.xml" in names:
        return "a Word document"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    return "it holds no workbook part such as xl/workbook.xml"


def _resolve(base_dir: str, target: str) -> str:
    """A relationship target as a zip member name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in PurePosixPath(base_dir, target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _sheets(archive: zipfile.ZipFile, names: set[str], workbook: str) -> Package:
    base = workbook.rpartition("/")[0]
    rels_name = f"{base}/_rels/{workbook.rpartition('/')[2]}.rels" if base else f"_rels/{workbook}.rels"
    targets: dict[str, str] = {}
    if rels_name in names:
        for rel in _read_part(archive, rels_name):
            if rel.get("Id") is not None and rel.get("TargetMode") != "External":
                targets[rel.get("Id")] = _resolve(base, rel.get("Target", ""))
    package = Package(workbook_part=workbook)
    for element in _read_part(archive, workbook).iter():
        if _local(element.tag) != "sheet":
            continue
        title, rid = element.get("name"), element.get(f"{{{_NS_REL}}}id")
        if title is None or rid not in targets:
            continue
        member = targets[rid]
        (package.sheet_parts if member in names else package.missing_parts)[title] = member
    return package


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# --- reading rows under the limits ---------------------------------------------------------------------


class Cells:
    """Counts the cells kept across the sheets of one workbook."""

    def __init__(self) -> None:
        self.count = 0


def read_rows(sheet_rows: Iterable[tuple[Any, ...]], title: str, cells: Cells) -> list[tuple[Any, ...]]:
    """A sheet's rows as value tuples (row 1 first), under the row and cell limits."""
    rows: list[tuple[Any, ...]] = []
    for values in sheet_rows:
        if len(rows) == MAX_SHEET_ROWS:
            raise WorkbookRefused(f"the sheet has rows beyond row {MAX_SHEET_ROWS:,}; a spec sheet may have at most "
                                  f"{MAX_SHEET_ROWS:,} rows (specs.workbook.MAX_SHEET_ROWS): delete the rows below "
                                  "the table (they may look blank but hold formatting)", title)
        cells.count += len(values)
        if cells.count > MAX_CELLS:
            raise WorkbookRefused(f"the sheets read hold more than {MAX_CELLS:,} cells (each row counted up to its "
                                  f"last cell; reached at row {len(rows) + 1} of this sheet); the limit is "
                                  "specs.workbook.MAX_CELLS: delete the unused columns and rows", title)
        rows.append(values)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()  # rows that hold only formatting
    return rows


# --- formula results and merged cells from the sheet XML ------------------------------------------------


def scan_sheet(path: Path, member: str) -> SheetScan:
    """Formulas without a cached result and merged ranges in one sheet part (empty scan when it has neither)."""
    scan = SheetScan()
    with zipfile.ZipFile(path) as archive:
        with archive.open(member) as stream:
            if not _mentions_formula_or_merge(stream):
                return scan
        with archive.open(member) as stream:
            _scan(stream, scan)
    return scan


def _mentions_formula_or_merge(stream: IO[bytes]) -> bool:
    tail = b""
    while chunk := stream.read(_CHUNK):
        if _FORMULA_OR_MERGE.search(tail + chunk):
            return True
        tail = chunk[-64:]
    return False


def _scan(stream: IO[bytes], scan: SheetScan) -> None:
    row_number = column = 0
    sheet_data = None
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row_number = _int(element.get("r"), row_number + 1)
                column = 0
            elif tag == "sheetData":
                sheet_data = element
            continue
        if tag == "c":
            row_number, column = _position(element.get("r"), row_number, column + 1)
            if _formula_without_result(element):
                scan.uncached.append((row_number, column - 1))
        elif tag == "row" and sheet_data is not None:
            sheet_data.clear()  # finished rows are not needed again
        elif tag == "mergeCell" and ":" in (element.get("ref") or ""):
            scan.merged.append(element.get("ref"))


def _formula_without_result(cell: ElementTree.Element) -> bool:
    children = {_local(child.tag): child for child in cell}
    if "f" not in children:
        return False
    value = children.get("v")
    # Excel stores an empty text result as t="str" with an empty <v>; a program that never calculated the
    # workbook leaves <v> out or empty on a cell without t="str"
    return (value is None or not value.text) and cell.get("t") != "str"


def _position(ref: str | None, row: int, column: int) -> tuple[int, int]:
    match = _REF.match(ref or "")
    if not match:
        return row, column
    letters, digits = match.groups()
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return int(digits), number


def _int(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def column_letter(index: int) -> str:
    """0-based column index -> A, B, ..., AA."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

