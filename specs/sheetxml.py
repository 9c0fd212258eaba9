"""Spec sheets read straight from the workbook's XML: the values openpyxl's read-only mode gives
(`data_only=True`, dimensions reset), in one pass that also finds formulas without a stored result and
merged ranges (specs.workbook.SheetScan).

Why not openpyxl itself: it builds a dict and a coordinate tuple per cell and reads the styles into
objects; spec workbooks are read on every build, and this reader takes about half the time
(`python benchmarks/spec_read.py` prints the ratio) and imports openpyxl only for a workbook with custom
number formats or date cells. What a cell means is still openpyxl's: its tests decide which custom formats
are dates, the built-in ones are those it finds (checked by a test), its calendar functions convert them,
and tests/specs/test_sheetxml.py checks that both readers give the same rows for every workbook at hand.

Rows come as openpyxl gives them: row 1 first, a missing row as (), each row as wide as its last cell.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from lxml import etree

from specs.workbook import SheetScan, WorkbookRefused, _resolve

_SHARED_STRINGS = "/sharedStrings"
_STYLES = "/styles"
# The built-in number formats (ECMA-376 Part 1, 18.8.30) that show a date or time, and the one that shows a
# duration ([h]:mm:ss), as openpyxl classes them (tests/specs/test_sheetxml.py checks): known here, a
# workbook without custom formats or date cells is read without importing openpyxl (0.15 s of every build).
BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
BUILTIN_DURATIONS = frozenset({46})


class Workbook:
    """The parts every sheet needs (shared strings, which styles are dates, the calendar), read once."""

    def __init__(self, archive: zipfile.ZipFile, workbook_part: str) -> None:
        self.archive = archive
        names = set(archive.namelist())
        parts = _related_parts(archive, names, workbook_part)
        self.strings = _shared_strings(archive, parts.get(_SHARED_STRINGS))
        self.dates, self.durations = _date_styles(archive, parts.get(_STYLES, "xl/styles.xml"), names)
        self.epoch = _epoch(archive, workbook_part)  # True: the 1904 date system

    def sheet(self, member: str, scan: SheetScan) -> Iterator[tuple[Any, ...]]:
        """The rows of the sheet part `member`; `scan` gets its uncached formulas and merged ranges."""
        expected = 1
        with self.archive.open(member) as stream:
            for number, values in _rows(stream, self, scan):
                if number < expected:  # a row numbered out of order: openpyxl drops it too
                    continue
                yield from ((),) * (number - expected)
                yield values
                expected = number + 1


def _related_parts(archive: zipfile.ZipFile, names: set[str], workbook_part: str) -> dict[str, str]:
    """Relationship type suffix (e.g. /sharedStrings) -> zip member, from the workbook part's relationships."""
    base, _, file = workbook_part.rpartition("/")
    rels = f"{base}/_rels/{file}.rels" if base else f"_rels/{file}.rels"
    parts: dict[str, str] = {}
    if rels in names:
        for rel in _parse(archive, rels):
            kind, target = rel.get("Type", ""), rel.get("Target", "")
            if rel.get("TargetMode") != "External" and target:
                parts.setdefault("/" + kind.rpartition("/")[2], _resolve(base, target))
    return {kind: member for kind, member in parts.items() if member in names}


def _parse(archive: zipfile.ZipFile, member: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(archive.read(member), parser)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise WorkbookRefused(f"zip member {member!r} cannot be read ({error}); the workbook is damaged") from None


def _text(element: etree._Element) -> str | None:
    """A string item's text as openpyxl reads it: its own <t> and its runs' <t>, phonetic runs left out;
    None when it has none."""
    ns = _namespace(element.tag)
    pieces = [child.text or "" if child.tag == ns + "t" else child.findtext(ns + "t") or ""
              for child in element if child.tag in (ns + "t", ns + "r")]
    return "".join(pieces) if pieces else None


def _namespace(tag: Any) -> str:
    return tag[:tag.index("}") + 1] if isinstance(tag, str) and tag.startswith("{") else ""


def _shared_strings(archive: zipfile.ZipFile, member: str | None) -> list[str]:
    if member is None:
        return []
    return [(_text(item) or "").replace("x005F_", "") for item in _parse(archive, member)
            if _local(item.tag) == "si"]


def _date_styles(archive: zipfile.ZipFile, member: str, names: set[str]) -> tuple[frozenset[int], frozenset[int]]:
    """The cell style indexes (cellXfs) whose number format is a date, and those that are a duration."""
    if member not in names:
        return frozenset(), frozenset()
    root = _parse(archive, member)
    custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in root.iter("{*}numFmt")}
    dates, durations = set(), set()
    for section in root.iter("{*}cellXfs"):
        for index, xf in enumerate(x for x in section if _local(x.tag) == "xf"):
            number = int(xf.get("numFmtId", 0) or 0)
            if number in custom:
                from openpyxl.styles.numbers import is_date_format, is_timedelta_format

                is_date, is_duration = is_date_format(custom[number]), is_timedelta_format(custom[number])
            else:
                is_date, is_duration = number in BUILTIN_DATES, number in BUILTIN_DURATIONS
            if is_date:
                dates.add(index)
            if is_duration:
                durations.add(index)
    return frozenset(dates), frozenset(durations)


def _epoch(archive: zipfile.ZipFile, workbook_part: str) -> bool:
    """True for the 1904 date system (old Mac workbooks), False for Excel's 1900 one."""
    return any(element.get("date1904", "").lower() in ("1", "true")
               for element in _parse(archive, workbook_part).iter("{*}workbookPr"))


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _rows(stream, book: Workbook, scan: SheetScan) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) for each <row> of a sheet part, in the order written."""
    events = etree.iterparse(stream, events=("end",), tag=("{*}row", "{*}mergeCell"), resolve_entities=False,
                             no_network=True, huge_tree=False)
    number = 0
    tags = None
    for _, element in events:
        if tags is None or not element.tag.startswith(tags.ns):
            tags = _Tags(_namespace(element.tag))
        if element.tag == tags.merge:
            if ":" in (element.get("ref") or ""):
                scan.merged.append(element.get("ref"))
            continue
        number = _row_number(element.get("r"), number + 1)
        values: list[Any] = []
        column = 0
        for cell in element:
            if cell.tag != tags.cell:
                continue
            column = _column(cell.get("r"), column + 1)
            value, formula_without_result = _value(cell, book, tags)
            if formula_without_result:
                scan.uncached.append((number, column - 1))
            if column > len(values):
                values.extend([None] * (column - len(values)))
            values[column - 1] = value
        yield number, tuple(values)
        element.clear(keep_tail=False)
        while element.getprevious() is not None:  # rows already read
            del element.getparent()[0]


class _Tags:
    """The sheet's element names in its namespace, made once."""

    def __init__(self, ns: str) -> None:
        self.ns, self.cell, self.merge = ns, ns + "c", ns + "mergeCell"
        self.value, self.formula, self.inline = ns + "v", ns + "f", ns + "is"


def _value(cell: etree._Element, book: Workbook, tags: _Tags) -> tuple[Any, bool]:
    """(the cell's value, whether it is a formula without a stored result)."""
    kind = cell.get("t", "n")
    stored = formula = inline = None
    for child in cell:
        if child.tag == tags.value:
            stored = child.text
        elif child.tag == tags.formula:
            formula = child
        elif child.tag == tags.inline:
            inline = child
    # Excel stores an empty text result as t="str" with an empty <v>; a program that never calculated the
    # workbook leaves <v> out or empty on a cell without t="str"
    uncached = formula is not None and not stored and kind != "str"
    if kind == "inlineStr":
        return (_text(inline) or "" if inline is not None else None), uncached
    if not stored:
        return None, uncached
    if kind == "n":
        number = float(stored) if ("." in stored or "e" in stored or "E" in stored) else int(stored)
        style = int(cell.get("s", 0) or 0)
        if style in book.dates:
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

            try:
                epoch = CALENDAR_MAC_1904 if book.epoch else CALENDAR_WINDOWS_1900
                return from_excel(number, epoch, timedelta=style in book.durations), uncached
            except (OverflowError, ValueError):
                return "#VALUE!", uncached  # as openpyxl: a date serial outside the calendar is an error value
        return number, uncached
    if kind == "s":
        return book.strings[int(stored)], uncached
    if kind == "b":
        return bool(int(stored)), uncached
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return from_ISO8601(stored), uncached
    return stored, uncached  # "str" (a formula's text result), "e" (an error such as #N/A)


def _column(ref: str | None, default: int) -> int:
    """The 1-based column of a cell reference such as "AB12"; `default` when there is none."""
    number = 0
    for letter in ref or "":
        if "A" <= letter <= "Z":
            number = number * 26 + ord(letter) - 64
        elif "a" <= letter <= "z":
            number = number * 26 + ord(letter) - 96
        else:
            break
    return number or default


def _row_number(text: str | None, default: int) -> int:
    if text:
        try:
            value = float(text)
        except ValueError:
            return default
        if value.is_integer():
            return int(value)
    return default
