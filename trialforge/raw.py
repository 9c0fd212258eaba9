"""Reading a study folder of raw EDC extracts: one CSV per CRF form, every value kept as text.

Each frame carries its provenance in two columns, `__file` (the CSV's name) and `__row`: the line
number a text editor shows for the *first* line of that record, counting the header as line 1 and
counting every physical line, so blank lines and line breaks inside a quoted value shift the numbers
of the records after them exactly as they shift the editor's (a CR LF pair is one line end).

What a raw extract must be, checked before any record is used (each problem names file, line and
column; all of them are reported at once in one InputError):
- UTF-8 text (a byte-order mark is allowed) with a header row of unique column names;
- every record has as many fields as the header (pandas would silently pad a short record);
- no control characters in any value (NUL, the other C0 controls except TAB, DEL, and the C1
  controls): they are the mark of a corrupt extract and must not reach SDTM or XPT.
Blank lines (empty, or only spaces and tabs) are not records and are skipped. A record whose every
field is empty is read as a record; the SDTM mapping excludes it with a reason, so it is reconciled.
Line ends may be LF, CR LF or (old Mac) CR.

How: one vectorised pass over the bytes finds every record, its first line and its field count
(`_scan`); the values are then read by pyarrow's CSV reader. A file whose quoting is not plain RFC 4180
(a quote inside an unquoted value) or that uses CR line ends is parsed by the csv module instead
(`_parse_exact`, slower but exact), as is any file where the two counts of records disagree.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from specs.rawfields import missing_raw_fields
from specs.errors import InputError, Problem

log = logging.getLogger(__name__)

PROVENANCE_FILE = "__file"
PROVENANCE_ROW = "__row"
# Problems of one kind listed per file before the rest are summed up in one line.
MAX_LISTED = 10

_NL, _CR, _QUOTE, _SEP, _SPACE, _TAB = 10, 13, 34, 44, 32, 9
# C0 controls except TAB, LF, CR; DEL; the C1 controls as UTF-8 (U+0080-U+009F)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (_TAB, _NL, _CR)) + b"\x7f"
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_KEEP_ONLY_CONTROLS = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


@dataclass(frozen=True)
class RawForm:
    oid: str
    path: Path
    frame: "object"  # pandas.DataFrame; typed loosely to keep pandas out of CLI start-up

    @property
    def rows(self) -> int:
        return len(self.frame)


def form_path(study_dir: Path, oid: str, mapping_rows: Iterable[int] = ()) -> Path:
    """The CSV file of form `oid` inside the study folder: `<oid in lower case>.csv`.

    A form name is a name, not a path: one with a path separator, a drive, `..`, or whose file resolves
    (symbolic links followed) outside the study folder is refused with an InputError naming the form and
    the Mapping rows that name it, so a spec cannot make trialforge read a file elsewhere.
    """
    study_dir = Path(study_dir)
    rows = sorted(set(mapping_rows))
    where = (f"Mapping row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}" if rows
             else "the spec's Mapping sheet")
    name = oid or ""
    reason = None
    if not name.strip():
        reason = "is empty"
    elif PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        reason = "is an absolute path"
    elif "/" in name or "\\" in name or "\x00" in name:
        reason = "contains a path separator (or NUL); a form name may not name a folder"
    elif name.strip(".") == "":
        reason = "is not a name"
    if reason is None:
        path = study_dir / f"{name.lower()}.csv"
        try:
            inside = path.resolve().is_relative_to(study_dir.resolve())
        except (OSError, RuntimeError):  # a symbolic-link loop, an unreadable folder
            inside = False
        if inside:
            return path
        reason = "names a file outside the study folder"
    problem = Problem("SDTM spec", f"Source Form {oid!r} {reason}{f' ({where})' if len(rows) > 1 else ''}; expected "
                      f"the name of a raw form whose extract <form>.csv is in the study folder {study_dir}",
                      sheet="Mapping",
                      row=rows[0] if len(rows) == 1 else None, column="Source Form")
    raise InputError(f"Source Form {oid!r} ({where}) cannot be read: it {reason}", [problem])


def read_raw_study(study_dir: Path, required: Mapping[str, Iterable[str]],
                   mapping_rows: Mapping[str, Iterable[int]] | None = None) -> dict[str, RawForm]:
    """Read every form named in `required` (form OID -> fields the spec maps from it).

    `mapping_rows` (form OID -> Mapping sheet rows naming it) only sharpens messages about a form name.
    All problems (missing folder, form names that are paths, missing file, missing columns, unreadable
    text, records with the wrong number of fields, control characters) are reported at once in one
    InputError, each naming file, row (the line an editor shows) and column.
    """
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise InputError(f"study folder {study_dir} does not exist or is not a folder")
    problems: list[Problem] = []
    forms: dict[str, RawForm] = {}
    for oid in sorted(required):
        try:
            path = form_path(study_dir, oid, (mapping_rows or {}).get(oid, ()))
        except InputError as exc:
            problems += exc.problems
            continue
        if not path.is_file():
            problems.append(Problem(str(path), f"raw extract of form {oid} is missing (the spec maps from it)"))
            continue
        frame, header, found = read_form(path)
        problems += found
        if frame is None:
            continue
        missing = missing_raw_fields(required[oid], header)
        for field_name, message in missing:
            problems.append(Problem(str(path), message, row=1, column=field_name))
        duplicated = sorted({c for c in header if header.count(c) > 1})
        for column in duplicated:
            problems.append(Problem(str(path), "column name appears more than once", row=1, column=column))
        if missing or duplicated:
            continue
        forms[oid] = RawForm(oid=oid, path=path, frame=frame)
        log.debug("read %s: %d rows", path.name, len(frame))
    if problems:
        raise InputError(f"the raw extracts in {study_dir} cannot be used as they are", problems)
    return forms


def read_form(path: Path):
    """One raw extract -> (frame or None, header, problems). The frame has every value as text plus the
    provenance columns; it is None when the file has problems (all of them are returned)."""
    import pandas as pd

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [], [Problem(str(path), f"cannot be read: {exc.strerror or exc}")]
    layout = _scan(data)
    rows = None
    if layout is None:  # quoting or line ends the fast scan cannot vouch for: parse with the csv module
        try:
            layout, rows = _parse_exact(data)
        except UnicodeDecodeError as exc:
            return None, [], [_not_utf8(path, data, exc)]
        except _Unreadable as exc:
            return None, [], [Problem(str(path), str(exc), row=exc.line)]
    if layout.header is None:
        return None, [], [Problem(str(path), "the file is empty; expected a header row of column names")]
    try:
        header = _decode_header(data, layout)
    except UnicodeDecodeError as exc:
        return None, [], [_not_utf8(path, data, exc)]
    problems = _field_count_problems(path, layout, len(header))
    problems += _control_problems(path, data, layout, header, rows)
    if problems:
        return None, header, problems
    if rows is None:
        frame = _read_arrow(data, layout, header)
        if frame is None:
            try:
                frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False,
                                    encoding="utf-8")
            except UnicodeDecodeError as exc:
                return None, header, [_not_utf8(path, data, exc)]
            except (pd.errors.ParserError, csv.Error, pd.errors.EmptyDataError) as exc:
                return None, header, [Problem(str(path), f"not a readable CSV file: {exc}")]
        if len(frame) != len(layout.lines) or len(frame.columns) != len(header):
            log.debug("%s: %d records read, the scan found %d; parsing exactly", path.name, len(frame),
                      len(layout.lines))
            try:
                layout, rows = _parse_exact(data)
            except (UnicodeDecodeError, _Unreadable) as exc:  # pragma: no cover - the scan accepted the file
                return None, header, [Problem(str(path), f"not a readable CSV file: {exc}")]
        else:
            frame.columns = header  # as the csv module reads them (pandas renames blank and repeated names)
    if rows is not None:
        frame = pd.DataFrame(rows, columns=header, dtype="str") if rows else pd.DataFrame(
            {name: pd.Series([], dtype="str") for name in dict.fromkeys(header)})
    frame[PROVENANCE_FILE] = path.name
    frame[PROVENANCE_ROW] = layout.lines
    return frame, header, []


def _read_arrow(data: bytes, layout: _Layout, header: list[str]):
    """The data records with pyarrow's CSV reader (several times faster than pandas' C parser), or None
    when the file has something only pandas reads as intended (blank lines of spaces) or pyarrow refuses
    it (text that is not UTF-8): the caller then uses pandas, whose errors name the problem.

    Only called on files the scan vouched for (plain RFC 4180 quoting, the header's field count in every
    record, no control characters), where both readers agree value for value.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if layout.spaced_lines or len(header) != len(set(header)) or not len(layout.lines):
        return None
    names = [f"f{i}" for i in range(len(header))]
    try:
        table = pcsv.read_csv(
            pa.BufferReader(memoryview(data)[int(layout.starts[0]):]),
            read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=layout.quoted_newlines),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    text = pd.Series(["x"], dtype=str).dtype  # pandas' own text dtype (Arrow-backed `str` in pandas 3)
    mapper = {pa.string(): text, pa.large_string(): text}.get if isinstance(text, pd.StringDtype) else None
    return table.to_pandas(types_mapper=mapper)


def unread_forms(study_dir: Path, read: Iterable[str]) -> list[str]:
    """CSV files in the study folder that no spec mapping reads: reported so nothing is lost silently."""
    known = {f"{oid.lower()}.csv" for oid in read}
    return sorted(p.name for p in Path(study_dir).glob("*.csv") if p.name not in known)


# --- the record layout of a CSV file ---------------------------------------------------------------------------


class _Unreadable(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class _Layout:
    """Where the records of a CSV file are. Byte offsets are None when the csv module parsed the file."""

    header: tuple[int, int] | None  # byte span of the header record, or None for an empty file
    header_fields: int
    lines: "object"  # numpy int64: first line of each data record (header = line 1)
    fields: "object"  # numpy int64: fields in each data record
    starts: "object" = None  # numpy int64 byte offsets of each data record (fast scan only)
    ends: "object" = None
    header_text: list[str] | None = None  # the csv module's header (exact parse only)
    spaced_lines: int = 0  # blank lines holding spaces or tabs (pyarrow does not skip them; pandas does)
    quoted_newlines: bool = False  # a quoted value holds a line break


def _scan(data: bytes) -> _Layout | None:
    """The layout of an RFC 4180 file, vectorised over the bytes (a million records in a few tenths of a second).

    Returns None when the file's quoting or line ends are not plain RFC 4180 (a quote inside an unquoted
    value, an odd number of quotes, a lone CR as a line end): the caller then parses it with the csv module.
    """
    import numpy as np

    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    empty = np.zeros(0, dtype=np.int64)
    size = len(data)
    if size <= start:
        return _Layout(None, 0, empty, empty)
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == _NL)
    seps = np.flatnonzero(arr == _SEP)
    quoted = b'"' in data
    if quoted:
        quotes = np.flatnonzero(arr == _QUOTE)
        if not _plain_quoting(arr, quotes, start):
            return None
        # a byte is inside a quoted value exactly when an odd number of quotes precede it
        ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        seps = seps[np.searchsorted(quotes, seps) % 2 == 0]
    else:
        ends = newlines
    if len(ends) == 0 or ends[-1] != size - 1:
        ends = np.append(ends, size)  # the last record has no line end
    starts = np.concatenate(([start], ends[:-1] + 1))
    has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
    content_end = ends - has_cr
    length = content_end - starts
    # the line of a record's first byte: one more than the line ends before it (every record is one line
    # when no value is quoted)
    lines = np.searchsorted(newlines, starts) + 1 if quoted else np.arange(1, len(starts) + 1)
    # separators per record: records are contiguous and a line end is never a separator
    before = np.searchsorted(seps, ends)
    fields = np.diff(before, prepend=np.searchsorted(seps, start)) + 1
    blank = length == 0
    first = arr[np.minimum(starts, size - 1)]
    spaced = 0
    for i in np.flatnonzero(~blank & ((first == _SPACE) | (first == _TAB))):
        blank[i] = data[starts[i]:content_end[i]].strip(b" \t") == b""
        spaced += bool(blank[i])
    records = np.flatnonzero(~blank)
    if not len(records):
        return _Layout(None, 0, empty, empty)
    head, body = records[0], records[1:]
    return _Layout((int(starts[head]), int(content_end[head])), int(fields[head]), lines[body].astype(np.int64),
                   fields[body].astype(np.int64), starts[body], content_end[body], spaced_lines=spaced,
                   quoted_newlines=quoted and len(ends) < len(newlines))


def _plain_quoting(arr, quotes, start: int) -> bool:
    """True when every quote opens a value, closes it, or is half of a doubled quote (RFC 4180)."""
    import numpy as np

    if len(quotes) % 2:
        return False
    size = len(arr)
    opens, closes = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(opens - 1, 0)]
    open_ok = (opens == start) | (before == _SEP) | (before == _NL)
    open_ok[1:] |= opens[1:] - 1 == closes[:-1]  # "" inside a quoted value: close and reopen
    after = arr[np.minimum(closes + 1, size - 1)]
    close_ok = (closes == size - 1) | (after == _SEP) | (after == _NL) | (after == _CR)
    close_ok[:-1] |= closes[:-1] + 1 == opens[1:]
    return bool(open_ok.all() and close_ok.all())


def _parse_exact(data: bytes) -> tuple[_Layout, list[list[str]]]:
    """The csv module's reading of the whole file (slow, exact): layout and the data records' values."""
    import numpy as np

    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    next_line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _Unreadable(f"not a readable CSV file: the record starting on line {next_line}: {exc}",
                              next_line) from None
        first_line, next_line = next_line, reader.line_num + 1
        if not record or (len(record) == 1 and record[0].strip(" \t") == ""):
            continue  # a blank line (pandas skips them too)
        if header is None:
            header = record
            continue
        rows.append(record)
        lines.append(first_line)
    layout = _Layout((0, 0) if header is not None else None, len(header or ()), np.asarray(lines, dtype=np.int64),
                     np.asarray([len(r) for r in rows], dtype=np.int64), header_text=header)
    return layout, rows


def _decode_header(data: bytes, layout: _Layout) -> list[str]:
    if layout.header_text is not None:
        return list(layout.header_text)
    begin, end = layout.header
    return next(csv.reader(io.StringIO(data[begin:end].decode("utf-8"), newline="")))


# --- problems ----------------------------------------------------------------------------------------------------


def _field_count_problems(path: Path, layout: _Layout, expected: int) -> list[Problem]:
    import numpy as np

    wrong = np.flatnonzero(layout.fields != expected)
    problems = [Problem(str(path), f"the record on line {int(layout.lines[i])} has {int(layout.fields[i])} "
                                   f"field{'s' if layout.fields[i] != 1 else ''}, the header has {expected} "
                                   f"(a missing or extra separator, or an unquoted comma in a value?)",
                        row=int(layout.lines[i])) for i in wrong[:MAX_LISTED]]
    if len(wrong) > MAX_LISTED:
        problems.append(Problem(str(path), f"... and {len(wrong) - MAX_LISTED} more records whose number of "
                                           f"fields differs from the header's {expected}"))
    return problems


def _control_problems(path: Path, data: bytes, layout: _Layout, header: list[str],
                      rows: list[list[str]] | None) -> list[Problem]:
    """One problem per value holding a control character (NUL, ...), naming line, column and value."""
    if not data.translate(None, _KEEP_ONLY_CONTROLS) and not _C1_UTF8.search(data):
        return []
    import numpy as np

    found: list[tuple[int, str, str]] = []  # line, column, value
    if rows is not None:
        for line, record in zip(layout.lines, rows):
            for index, value in enumerate(record):
                if _CONTROL_TEXT.search(value):
                    found.append((int(line), _column(header, index), value))
    else:
        offsets = sorted({m.start() for m in re.finditer(b"[" + re.escape(_CONTROL_BYTES) + b"]", data)} |
                         {m.start() for m in _C1_UTF8.finditer(data)})
        records = sorted(set(np.searchsorted(layout.starts, offsets, side="right") - 1))
        begin, end = layout.header
        if any(begin <= o < end for o in offsets):
            found.append((1, "(header)", data[begin:end].decode("utf-8", "replace")))
        for i in records:
            if i < 0:
                continue
            text = data[layout.starts[i]:layout.ends[i]].decode("utf-8", "replace")
            record = next(csv.reader(io.StringIO(text, newline="")), [])
            for index, value in enumerate(record):
                if _CONTROL_TEXT.search(value):
                    found.append((int(layout.lines[i]), _column(header, index), value))
    if not found:  # pragma: no cover - every byte belongs to a record; never let a control character through
        return [Problem(str(path), "holds control characters (NUL, ...) that could not be located in a value")]
    problems = []
    for line, column, value in found[:MAX_LISTED]:
        char = _CONTROL_TEXT.search(value).group()
        problems.append(Problem(str(path), f"the value {value!r} on line {line} holds the control character "
                                           f"U+{ord(char):04X}{' (NUL)' if char == chr(0) else ''}; a raw value may "
                                           f"not hold control characters (a corrupt extract?)",
                                row=line, column=column))
    if len(found) > MAX_LISTED:
        problems.append(Problem(str(path), f"... and {len(found) - MAX_LISTED} more values holding control "
                                           f"characters"))
    return problems


def _column(header: list[str], index: int) -> str:
    return header[index] if index < len(header) else f"field {index + 1} (beyond the header)"


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError) -> Problem:
    """Where the first byte that is not UTF-8 is: line and byte offset in the file."""
    try:
        data.decode("utf-8")
        offset = exc.start
    except UnicodeDecodeError as whole:
        offset = whole.start
    line = data.count(b"\n", 0, offset) + 1
    return Problem(str(path), f"not UTF-8 text: byte {data[offset:offset + 1]!r} at offset {offset} (line {line}) "
                              f"cannot be decoded; save the extract as UTF-8", row=line)
