"""Reading a study folder of raw EDC extracts, every value kept as text.

Which file holds a form and how it is read is the SDTM spec's Sources sheet (`Spec.source_of`): by
default `<form>.csv`, comma-separated UTF-8; a form's File may also be another CSV dialect (Options
delimiter, quotechar, encoding), a sheet of an Excel workbook, a SAS dataset (sas7bdat, xpt) or a form of
an ODM 1.3 file (those three in `trialforge.rawformats` and `formats.odm`). A File must stay inside the
study folder (symbolic links followed).

Each frame carries its provenance in two columns, `__file` (the file's path in the study folder; for
a workbook with the sheet, `labs.xlsx[LB]`) and `__row`: for CSV the line number a text editor shows
for the *first* line of that record, counting the header as line 1 and counting every physical line,
so blank lines and line breaks inside a quoted value shift the numbers of the records after them
exactly as they shift the editor's (a CR LF pair is one line end); for Excel the sheet row; for SAS the
record number; for ODM the line the record's ItemGroupData starts on.

What a raw CSV extract must be, checked before any record is used (each problem names file, line and
column; all of them are reported at once in one InputError):
- UTF-8 text (a byte-order mark is allowed), or the encoding its Sources row declares, with a header
  row of unique column names;
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from specs.errors import InputError, Problem
from specs.model import SOURCE_OPTIONS, SourceDef, default_file, default_source
from specs.rawfields import missing_raw_fields
from specs.sources import option_character, option_problems

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
class Dialect:
    """How a CSV file is written: its separator, quote character and text encoding (the Sources sheet's
    csv Options). The default is RFC 4180 in UTF-8."""

    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"

    @property
    def sep(self) -> int:
        return ord(self.delimiter)

    @property
    def quote(self) -> int:
        return ord(self.quotechar)

    @property
    def blank(self) -> bytes:
        """The characters of a blank line (one of only separators is a record of empty values)."""
        return bytes(b for b in (_SPACE, _TAB) if b != self.sep)

    def reader(self, text: str):
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, quotechar=self.quotechar,
                          strict=True)


COMMA = Dialect()


@dataclass(frozen=True)
class RawForm:
    oid: str
    path: Path
    frame: "object"  # pandas.DataFrame; typed loosely to keep pandas out of CLI start-up

    @property
    def rows(self) -> int:
        return len(self.frame)


def form_path(study_dir: Path, oid: str, mapping_rows: Iterable[int] = (), suffix: str = ".csv") -> Path:
    """The file of form `oid` inside the study folder named after the form: `<oid in lower case><suffix>`.

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
        path = study_dir / f"{name.lower()}{suffix}"
        if _inside(path, study_dir):
            return path
        reason = "names a file outside the study folder"
    problem = Problem("SDTM spec", f"Source Form {oid!r} {reason}{f' ({where})' if len(rows) > 1 else ''}; expected "
                      f"the name of a raw form whose extract <form>{suffix} is in the study folder {study_dir}",
                      sheet="Mapping",
                      row=rows[0] if len(rows) == 1 else None, column="Source Form")
    raise InputError(f"Source Form {oid!r} ({where}) cannot be read: it {reason}", [problem])


def source_path(study_dir: Path, source: SourceDef, mapping_rows: Iterable[int] = ()) -> Path:
    """The file `source` (a `Spec.source_of` answer) names inside the study folder.

    A file named after the form is checked as `form_path` checks it; a File from the Sources sheet must be
    relative, without `..`, and must not resolve (symbolic links followed) outside the study folder, or it
    is an InputError naming the Sources row and its File cell.
    """
    study_dir = Path(study_dir)
    file = source.file or default_file(source.form, source.format)
    if source.row is None or file == default_file(source.form, source.format):
        return form_path(study_dir, source.form, mapping_rows, suffix=file[len(source.form):])
    parts = file.replace("\\", "/").split("/")
    if (PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute() or PureWindowsPath(file).drive
            or "\x00" in file):
        reason = "is an absolute path"
    elif ".." in parts:
        reason = "holds '..'"
    else:
        path = study_dir.joinpath(*parts)
        if _inside(path, study_dir):
            return path
        reason = "resolves to a file outside the study folder"
    problem = Problem("SDTM spec", f"File {file!r} of form {source.form} {reason}; expected a file inside the study "
                                   f"folder {study_dir}", sheet=source.sheet, row=source.row, column="File")
    raise InputError(f"form {source.form} cannot be read: its File {file!r} {reason}", [problem])


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop, an unreadable folder
        return False


def read_raw_study(study_dir: Path, required: Mapping[str, Iterable[str]],
                   mapping_rows: Mapping[str, Iterable[int]] | None = None,
                   source_of: Callable[[str], SourceDef] | None = None) -> dict[str, RawForm]:
    """Read every form named in `required` (form OID -> fields the spec maps from it).

    `source_of` (the SDTM spec's `Spec.source_of`) says per form which file holds it and how to read it (see
    the Sources sheet); without it every form is `<form>.csv`, comma-separated UTF-8. `mapping_rows` (form
    OID -> Mapping sheet rows naming it) only sharpens messages about a form name. All problems (missing
    folder, files outside the folder, missing file, missing columns, unreadable text, records with the wrong
    number of fields, control characters) are reported at once in one InputError, each naming file, row (the
    line an editor shows, a sheet row, a record number) and column.
    """
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise InputError(f"study folder {study_dir} does not exist or is not a folder")
    source_of = source_of or default_source
    problems: list[Problem] = []
    forms: dict[str, RawForm] = {}
    odm_files: dict[Path, _OdmFile] = {}  # one parse per ODM file, however many forms it holds
    absent: set[Path] = set()
    for oid in sorted(required):
        source = source_of(oid)
        try:
            path = source_path(study_dir, source, (mapping_rows or {}).get(oid, ()))
        except InputError as exc:
            problems += exc.problems
            continue
        if not path.is_file():
            if path not in absent:  # one file of several forms (ODM, a workbook) is reported once
                absent.add(path)
                row = "" if source.row is None else f"; Sources row {source.row}"
                problems.append(Problem(str(path), f"raw extract of form {oid} is missing (the spec maps from it{row})"))
            continue
        frame, header, found = _read_source(study_dir, path, source, odm_files)
        problems += found
        if frame is None:
            continue
        missing = missing_raw_fields(required[oid], header)
        for field_name, message in missing:
            problems.append(Problem(str(path), message, row=1 if source.format == "csv" else None, column=field_name))
        duplicated = sorted({c for c in header if header.count(c) > 1})
        for column in duplicated:
            problems.append(Problem(str(path), "column name appears more than once", row=1, column=column))
        if missing or duplicated:
            continue
        forms[oid] = RawForm(oid=oid, path=path, frame=frame)
        log.debug("read %s: %d rows", path.name, len(frame))
    _note_unread_odm_forms(odm_files)
    if problems:
        raise InputError(f"the raw extracts in {study_dir} cannot be used as they are", problems)
    return forms


def _read_source(study_dir: Path, path: Path, source: SourceDef, odm_files: dict):
    """(frame or None, header, problems) of one form read as its Sources row says."""
    from trialforge import rawformats

    name = path.relative_to(study_dir).as_posix() if path.is_relative_to(study_dir) else path.name
    unusable = option_problems(source.format, source.options, source.form) if source.format in SOURCE_OPTIONS \
        else [("format", f"unknown format {source.format!r}")]
    if unusable:  # the spec reader refuses these; a SourceDef made in code may hold them
        return None, [], [Problem(str(path), f"form {source.form}: {message}", source.sheet, source.row, "Options")
                          for _, message in unusable]
    if source.format == "csv":
        dialect = Dialect(delimiter=option_character(source.option("delimiter", ",")),
                          quotechar=option_character(source.option("quotechar", '"')),
                          encoding=source.option("encoding", "utf-8"))
        return read_form(path, dialect, name)
    if source.format == "excel":  # __file names the sheet too: "labs.xlsx[LB]"
        return rawformats.read_excel_form(path, source.form, source.option("sheet"), name)
    if source.format in ("sas7bdat", "xpt"):
        return rawformats.read_sas_form(path, source.format, source.option("encoding"), name)
    return _odm_form(path, source, name, odm_files)


@dataclass
class _OdmFile:
    """One ODM file of the study: what it holds (or why it cannot be read) and which forms were taken."""

    data: object = None  # formats.odm.OdmData
    problems: list[Problem] | None = None
    used: set[str] = field(default_factory=set)


def _odm_form(path: Path, source: SourceDef, name: str, odm_files: dict[Path, _OdmFile]):
    from formats.odm import read_odm

    known = odm_files.get(path)
    if known is None:
        known = odm_files[path] = _OdmFile()
        try:
            known.data = read_odm(path)
        except InputError as exc:
            known.problems = list(exc.problems or [Problem(str(path), str(exc))])
            return None, [], known.problems  # reported once, not once per form the file holds
    if known.data is None:
        return None, [], []
    form_oid = source.option("form", source.form)
    known.used.add(form_oid)
    frame = known.data.forms.get(form_oid)
    if frame is None:
        held = ", ".join(sorted(known.data.forms)) or "none"
        return None, [], [Problem(str(path), f"holds no FormData with FormOID {form_oid!r} (form {source.form}); its "
                                             f"forms: {held} (say which with the Sources row's Options form=OID)")]
    if known.data.rows != "line" and len(known.used) == 1:
        log.warning("%s: several item groups share a line, so __row numbers the records in file order, not by line",
                    name)
    frame = frame.copy()
    frame.insert(len(frame.columns) - 1, PROVENANCE_FILE, name)
    header = [c for c in frame.columns if c not in (PROVENANCE_FILE, PROVENANCE_ROW)]
    return frame, header, []


def _note_unread_odm_forms(odm_files: dict[Path, _OdmFile]) -> None:
    for path, known in odm_files.items():
        unread = sorted(set(known.data.forms) - known.used) if known.data is not None else []
        if unread:
            log.warning("%s: no spec mapping reads its forms %s; none of their records will be in SDTM", path.name,
                        ", ".join(unread))


def read_form(path: Path, dialect: Dialect = COMMA, name: str | None = None):
    """One raw extract -> (frame or None, header, problems). The frame has every value as text plus the
    provenance columns (`__file` is `name`, by default the file's name); it is None when the file has
    problems (all of them are returned)."""
    import pandas as pd

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [], [Problem(str(path), f"cannot be read: {exc.strerror or exc}")]
    if codecs.lookup(dialect.encoding).name not in ("utf-8", "utf-8-sig"):
        try:  # read as UTF-8 from here on: the line breaks, and so the line numbers, stay as they are
            data = data.decode(dialect.encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [], [_not_decodable(path, data, exc, dialect.encoding)]
    layout = _scan(data, dialect)
    rows = None
    if layout is None:  # quoting or line ends the fast scan cannot vouch for: parse with the csv module
        try:
            layout, rows = _parse_exact(data, dialect)
        except UnicodeDecodeError as exc:
            return None, [], [_not_utf8(path, data, exc)]
        except _Unreadable as exc:
            return None, [], [Problem(str(path), str(exc), row=exc.line)]
    if layout.header is None:
        return None, [], [Problem(str(path), "the file is empty; expected a header row of column names")]
    try:
        header = _decode_header(data, layout, dialect)
    except UnicodeDecodeError as exc:
        return None, [], [_not_utf8(path, data, exc)]
    problems = _field_count_problems(path, layout, len(header))
    problems += _control_problems(path, data, layout, header, rows, dialect)
    if problems:
        return None, header, problems
    if rows is None:
        frame = _read_arrow(data, layout, header, dialect)
        if frame is None:
            try:
                frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False,
                                    encoding="utf-8", sep=dialect.delimiter, quotechar=dialect.quotechar)
            except UnicodeDecodeError as exc:
                return None, header, [_not_utf8(path, data, exc)]
            except (pd.errors.ParserError, csv.Error, pd.errors.EmptyDataError) as exc:
                return None, header, [Problem(str(path), f"not a readable CSV file: {exc}")]
        if len(frame) != len(layout.lines) or len(frame.columns) != len(header):
            log.debug("%s: %d records read, the scan found %d; parsing exactly", path.name, len(frame),
                      len(layout.lines))
            try:
                layout, rows = _parse_exact(data, dialect)
            except (UnicodeDecodeError, _Unreadable) as exc:  # pragma: no cover - the scan accepted the file
                return None, header, [Problem(str(path), f"not a readable CSV file: {exc}")]
        else:
            frame.columns = header  # as the csv module reads them (pandas renames blank and repeated names)
    if rows is not None:
        frame = pd.DataFrame(rows, columns=header, dtype="str") if rows else pd.DataFrame(
            {name: pd.Series([], dtype="str") for name in dict.fromkeys(header)})
    frame[PROVENANCE_FILE] = name or path.name
    frame[PROVENANCE_ROW] = layout.lines
    return frame, header, []


def _read_arrow(data: bytes, layout: _Layout, header: list[str], dialect: Dialect = COMMA):
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
            parse_options=pcsv.ParseOptions(delimiter=dialect.delimiter, quote_char=dialect.quotechar,
                                            newlines_in_values=layout.quoted_newlines),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    text = pd.Series(["x"], dtype=str).dtype  # pandas' own text dtype (Arrow-backed `str` in pandas 3)
    mapper = {pa.string(): text, pa.large_string(): text}.get if isinstance(text, pd.StringDtype) else None
    return table.to_pandas(types_mapper=mapper)


RAW_SUFFIXES = (".csv", ".xlsx", ".sas7bdat", ".xpt", ".xml")


def unread_forms(study_dir: Path, read: Iterable[str] | Mapping[str, RawForm]) -> list[str]:
    """Data files (RAW_SUFFIXES) in the study folder that no spec mapping reads: reported so nothing is lost
    silently. `read` is what `read_raw_study` returned, or form names whose files are `<form>.csv`."""
    study_dir = Path(study_dir)
    if isinstance(read, Mapping):
        known = {_resolved(form.path) for form in read.values()}
    else:
        known = {_resolved(study_dir / f"{oid.lower()}.csv") for oid in read}
    return sorted(p.name for p in study_dir.iterdir()
                  if p.suffix.lower() in RAW_SUFFIXES and p.is_file() and _resolved(p) not in known)


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(path)


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


def _scan(data: bytes, dialect: Dialect = COMMA) -> _Layout | None:
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
    seps = np.flatnonzero(arr == dialect.sep)
    quoted = bytes([dialect.quote]) in data
    if quoted:
        quotes = np.flatnonzero(arr == dialect.quote)
        if not _plain_quoting(arr, quotes, start, dialect.sep):
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
    for i in np.flatnonzero(~blank & np.isin(first, list(dialect.blank))):
        blank[i] = data[starts[i]:content_end[i]].strip(dialect.blank) == b""
        spaced += bool(blank[i])
    records = np.flatnonzero(~blank)
    if not len(records):
        return _Layout(None, 0, empty, empty)
    head, body = records[0], records[1:]
    return _Layout((int(starts[head]), int(content_end[head])), int(fields[head]), lines[body].astype(np.int64),
                   fields[body].astype(np.int64), starts[body], content_end[body], spaced_lines=spaced,
                   quoted_newlines=quoted and len(ends) < len(newlines))


def _plain_quoting(arr, quotes, start: int, sep: int = _SEP) -> bool:
    """True when every quote opens a value, closes it, or is half of a doubled quote (RFC 4180)."""
    import numpy as np

    if len(quotes) % 2:
        return False
    size = len(arr)
    opens, closes = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(opens - 1, 0)]
    open_ok = (opens == start) | (before == sep) | (before == _NL)
    open_ok[1:] |= opens[1:] - 1 == closes[:-1]  # "" inside a quoted value: close and reopen
    after = arr[np.minimum(closes + 1, size - 1)]
    close_ok = (closes == size - 1) | (after == sep) | (after == _NL) | (after == _CR)
    close_ok[:-1] |= closes[:-1] + 1 == opens[1:]
    return bool(open_ok.all() and close_ok.all())


def _parse_exact(data: bytes, dialect: Dialect = COMMA) -> tuple[_Layout, list[list[str]]]:
    """The csv module's reading of the whole file (slow, exact): layout and the data records' values."""
    import numpy as np

    text = data.decode("utf-8-sig")
    reader = dialect.reader(text)
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
        if not record or (len(record) == 1 and record[0].strip(dialect.blank.decode()) == ""):
            continue  # a blank line (pandas skips them too)
        if header is None:
            header = record
            continue
        rows.append(record)
        lines.append(first_line)
    layout = _Layout((0, 0) if header is not None else None, len(header or ()), np.asarray(lines, dtype=np.int64),
                     np.asarray([len(r) for r in rows], dtype=np.int64), header_text=header)
    return layout, rows


def _decode_header(data: bytes, layout: _Layout, dialect: Dialect = COMMA) -> list[str]:
    if layout.header_text is not None:
        return list(layout.header_text)
    begin, end = layout.header
    return next(dialect.reader(data[begin:end].decode("utf-8")))


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
                      rows: list[list[str]] | None, dialect: Dialect = COMMA) -> list[Problem]:
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
            record = next(dialect.reader(text), [])
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


def _not_decodable(path: Path, data: bytes, exc: UnicodeDecodeError, encoding: str) -> Problem:
    """Where the first byte the declared encoding cannot decode is."""
    line = data[:exc.start].decode(encoding, "replace").count("\n") + 1
    return Problem(str(path), f"not {encoding} text (the encoding its Sources row declares): byte "
                              f"{data[exc.start:exc.start + 1]!r} at offset {exc.start} (line {line}) cannot be "
                              "decoded; declare the file's encoding in Options (encoding=...)", row=line)


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError) -> Problem:
    """Where the first byte that is not UTF-8 is: line and byte offset in the file."""
    try:
        data.decode("utf-8")
        offset = exc.start
    except UnicodeDecodeError as whole:
        offset = whole.start
    line = data.count(b"\n", 0, offset) + 1
    return Problem(str(path), f"not UTF-8 text: byte {data[offset:offset + 1]!r} at offset {offset} (line {line}) "
                              f"cannot be decoded; save the extract as UTF-8, or declare its encoding on the "
                              f"Sources sheet (Options encoding=...)", row=line)
