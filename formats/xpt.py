"""SAS XPORT version 5 (SAS TS-140) writer and reader, byte-compatible with files SAS writes.

Layout: 80-byte records. Library header, two real-header records, member and descriptor headers,
the member's two data records (name, label), the NAMESTR header with the variable count, one
140-byte NAMESTR per variable (blank-padded to a record boundary), the OBS header, then the
observations as fixed-width rows, back to back, the last record padded with blanks.

Conventions chosen here (documented because XPORT itself cannot say them):
- Character values are right-padded with blanks; reading strips trailing blanks, so "" and a
  missing value are the same thing (an all-blank field reads as "").
- Numbers are 8-byte IBM floats (see `xpt_ibm`); NaN is SAS missing '.'. Special missing values
  `.A`-`.Z` and `._` travel beside the frame: `write_xpt(..., special_missing={"COL": letters})`
  where `letters` is a Series indexed by frame index labels holding "A".."Z" or "_" (".A" works
  too) for the rows that are special; rows it leaves out or holds NA for are plain '.'; the frame
  itself must hold NaN there. When the file has any, `read_xpt` returns them the same way in
  `frame.attrs["special_missing"]` (one Series per column, indexed by row), ready to write back.
- Numbers are exact (see `xpt_ibm`); |x| >= 16**63 and infinities are refused; |x| < 16**-65
  becomes 0. Integers beyond 2**53 are refused (a double cannot hold them).
- Dates/datetimes (datetime64, date objects) are written only when declared `num`, as days since
  1960 under a date format (DATE9., E8601DA., ...) or seconds under a datetime format (DATETIME20.,
  E8601DT., ...); `formats.sasdates.sas_date`/`sas_datetime` convert explicitly.
- Header datetimes are written as ddMMMyy:hh:mm:ss in UTC (aware datetimes are converted, naive
  ones taken as they are) and read back as naive datetimes, two-digit years as 1960-2059.
- Formats/informats are given as text ("DATE9.", "8.2", "$CHAR20.", "E8601DA.") and split into the
  NAMESTR's name, width and decimals; justification (nfj) is always written as 0.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.errors import ExportError, InputError, Problem
from formats.clock import build_timestamp
from formats.sasdates import sas_date, sas_datetime, sas_format_kind
from formats.xpt_ibm import SPECIAL_MISSING_LETTERS, beyond_ibm_range, ibm_to_ieee, ieee_to_ibm, missing_words

log = logging.getLogger(__name__)

RECORD = 80
NAMESTR_SIZE = 140
MAX_NAME = 8
MAX_LABEL = 40
MAX_CHAR_LENGTH = 200
MAX_VARIABLES = 9999
DEFAULT_SAS_VERSION = "9.4"
DEFAULT_OS_NAME = "PYTHON"  # identifies the writing system; SAS puts its host name here (e.g. X64_7PRO)
CHUNK_BYTES = 4 << 20  # observation rows are built and written this many bytes at a time
MAX_CHUNK_ROWS = 100_000
SHOWN_CHARS = 60  # characters of a refused value quoted in a message
# Control characters refused in text: the C0 controls (NUL, TAB, LF, CR, ...) and DEL. XPORT text is
# blank-padded and SAS reads a NUL as the end of the value; the others break every tool that shows the data.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_RE2 = r"[\x00-\x1f\x7f]"

Origin = Callable[[int], "str | None"]  # record position (0-based) -> where it came from: "raw file ae.csv, row 12"

_HEADER = "HEADER RECORD*******{:<8}HEADER RECORD!!!!!!!{}  "
_LIBRARY_HEADER = _HEADER.format("LIBRARY", "0" * 30)
_MEMBER_HEADER = _HEADER.format("MEMBER", "00000000000000000160" + "0000000140")
_DESCRIPTOR_HEADER = _HEADER.format("DSCRPTR", "0" * 30)
_OBS_HEADER = _HEADER.format("OBS", "0" * 30)
_NAMESTR_HEADER_PREFIX = _HEADER.format("NAMESTR", "")[:48]
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_SAS_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")
_FORMAT = re.compile(r"(\$?(?:[A-Z_][A-Z0-9_]*?)?)(\d*)(?:\.(\d*))?")

# One NAMESTR record, as TS-140 lays it out (big-endian shorts, a 4-byte position, 52 zero bytes).
_NAMESTR_DTYPE = np.dtype(
    [
        ("ntype", ">i2"), ("nhfun", ">i2"), ("nlng", ">i2"), ("nvar0", ">i2"),
        ("nname", "S8"), ("nlabel", "S40"), ("nform", "S8"),
        ("nfl", ">i2"), ("nfd", ">i2"), ("nfj", ">i2"), ("nfill", "V2"),
        ("niform", "S8"), ("nifl", ">i2"), ("nifd", ">i2"), ("npos", ">i4"), ("rest", "V52"),
    ]
)  # fmt: skip
assert _NAMESTR_DTYPE.itemsize == NAMESTR_SIZE


@dataclass(frozen=True)
class XptColumn:
    """Metadata of one variable. `length` None: 8 for numbers, the longest value (bytes) for text."""

    name: str
    label: str = ""
    type: Literal["char", "num"] = "char"
    length: int | None = None
    format: str = ""  # e.g. "DATE9.", "8.2", "$CHAR20."
    informat: str = ""


@dataclass(frozen=True)
class XptDataset:
    """What a file says about its dataset besides the values."""

    name: str
    label: str
    columns: tuple[XptColumn, ...]
    created: datetime
    modified: datetime
    sas_version: str
    os_name: str


# ---------------------------------------------------------------------------------------------
# Writer


@dataclass(frozen=True)
class _Planned:
    """A column ready to write: resolved metadata, its offset in a row, and its values."""

    column: XptColumn
    position: int
    values: object  # float64 numpy array (num) or pyarrow string/binary (chunked) array (char)
    ascii: bool = True  # char only: every value is one byte per character
    special: np.ndarray | None = None  # num only: special-missing letter bytes per row, 0 for none


def write_xpt(
    frame: pd.DataFrame,
    path: str | os.PathLike | BinaryIO,
    *,
    name: str,
    label: str = "",
    columns: Sequence[XptColumn] | None = None,
    encoding: str = "ascii",
    created: datetime | None = None,
    modified: datetime | None = None,
    special_missing: Mapping[str, pd.Series] | None = None,
    sas_version: str = DEFAULT_SAS_VERSION,
    os_name: str = DEFAULT_OS_NAME,
    origin: Origin | None = None,
    shown_as: str | None = None,
) -> XptDataset:
    """Write `frame` as the one dataset of an XPORT v5 file and return the metadata written.

    `columns` fixes order, types, lengths, labels and formats (the spec's job); without it they are
    inferred (text -> char of the longest value's length, numbers/booleans -> num). Everything that
    cannot be written without loss is refused with one ExportError listing every problem found.
    `created` defaults to the build clock (SOURCE_DATE_EPOCH or now), `modified` to `created`.

    A refused value is named by its record (1-based position in `frame`), variable and value (cut to
    SHOWN_CHARS); `origin(position)` may add where the record came from (a raw file and row). Messages
    name the file as `shown_as` when given (e.g. its path in the package rather than a staging folder).
    Text may not hold control characters (NUL, TAB, LF, CR, the other C0 controls, DEL).
    """
    target = path if hasattr(path, "write") else str(path)
    where = str(getattr(path, "name", "<stream>")) if hasattr(path, "write") else target
    where = shown_as or where
    problems: list[Problem] = []
    name_bytes = _header_text(name, "dataset name", encoding, MAX_NAME, where, problems, sas_name=True)
    label_bytes = _header_text(label, "dataset label", encoding, MAX_LABEL, where, problems)
    version_bytes = _header_text(sas_version, "SAS version", "ascii", 8, where, problems)
    os_bytes = _header_text(os_name, "operating system name", "ascii", 8, where, problems)
    specs = _column_specs(frame, columns, name, encoding, where, problems)
    if len(specs) > MAX_VARIABLES:
        problems.append(Problem(where, f"{len(specs)} variables; XPORT v5 holds at most {MAX_VARIABLES}"))
        specs = []  # nothing more worth checking
    elif not specs and not problems:
        problems.append(Problem(where, "a dataset needs at least one variable"))
    letters = _special_missing_codes(frame, special_missing or {}, specs, name, where, problems, origin)
    planned = _plan_columns(frame, specs, letters, encoding, name, where, problems, origin)
    if problems:
        raise ExportError(f"cannot write dataset {name!r} as XPORT v5", problems)

    created_at = _header_datetime(created if created is not None else build_timestamp())
    modified_at = _header_datetime(modified) if modified is not None else created_at
    header = _file_header(
        name_bytes, label_bytes, version_bytes, os_bytes, created_at, modified_at, planned, encoding
    )
    row_length = sum(p.column.length for p in planned)
    _warn_if_tail_looks_like_padding(planned, row_length, len(frame), where)
    if hasattr(target, "write"):
        _write_file(target, header, planned, row_length, len(frame))
    else:
        try:
            with open(target, "wb") as handle:
                _write_file(handle, header, planned, row_length, len(frame))
        except BaseException:
            Path(target).unlink(missing_ok=True)  # never leave half a file behind
            raise
    log.debug("wrote %s: %d rows x %d variables, row length %d", where, len(frame), len(planned), row_length)
    return XptDataset(
        name=name,
        label=label.rstrip(" "),
        columns=tuple(p.column for p in planned),
        created=created_at,
        modified=modified_at,
        sas_version=sas_version,
        os_name=os_name,
    )


def _warn_if_tail_looks_like_padding(planned: list[_Planned], row_length: int, rows: int, where: str) -> None:
    """All-blank rows at the end of an all-text dataset look like the blank padding of the last
    record: with rows shorter than 80 bytes no reader (SAS's neither) can tell them apart, and
    ReadStat (pyreadstat, haven) drops them whatever the row length. Say so rather than lose them."""
    if not rows or any(p.column.type == "num" for p in planned):
        return
    window = min(rows, RECORD)
    tail = [p.values.slice(rows - window, window).to_pylist() for p in planned]
    blank = 0
    for i in range(window - 1, -1, -1):
        if not all(_is_blank(column[i]) for column in tail):
            break
        blank += 1
    if blank:
        log.warning(
            "%s: the last %s row(s) are entirely blank; XPORT readers may take them for the padding of "
            "the final record and drop them (ReadStat-based readers always do; with %d-byte rows %s)",
            where, f"{blank}+" if blank == window < rows else blank, row_length,
            "every reader does" if row_length < RECORD else "SAS and trialforge keep them",
        )


def _is_blank(value: str | bytes | None) -> bool:
    return value is None or not value.strip(b" " if isinstance(value, bytes) else " ")


def _header_text(text, what, encoding, limit, where, problems, *, sas_name=False) -> bytes:
    """`text` encoded for a fixed header field, or b"" after recording why it cannot be."""
    if not isinstance(text, str):
        problems.append(Problem(where, f"{what} must be text, got {text!r}"))
        return b""
    if sas_name and not _SAS_NAME.fullmatch(text):
        problems.append(
            Problem(where, f"{what} {text!r} is not a SAS name (1-8 of A-Z, 0-9, _, not starting with a digit)")
        )
        return b""
    control = _CONTROL.search(text)
    if control:
        problems.append(Problem(where, f"{what} {_shown(text)} holds the control character {control.group()!r}; "
                                       "XPORT text may not hold control characters"))
        return b""
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        problems.append(Problem(where, f"{what} {_shown(text)} cannot be encoded as {encoding}"))
        return b""
    if len(raw) > limit:
        problems.append(Problem(where, f"{what} {_shown(text)} is {len(raw)} bytes; at most {limit} fit"))
    return raw[:limit]


def _column_specs(frame, columns, dataset, encoding, where, problems) -> list[XptColumn]:
    """The columns to write, in order: given (checked against the frame) or inferred from it."""
    if columns is None:
        specs = []
        for col in frame.columns:
            kind = "num" if _holds_numbers(frame[col]) else "char"
            specs.append(XptColumn(name=col if isinstance(col, str) else repr(col), type=kind))
    else:
        specs = list(columns)
        declared = {c.name for c in specs}
        extra = [c for c in frame.columns if c not in declared]
        missing = [c.name for c in specs if c.name not in frame.columns]
        if extra:
            problems.append(Problem(where, f"{dataset}: frame columns {extra} are not among the declared columns"))
        if missing:
            problems.append(Problem(where, f"{dataset}: declared columns {missing} are not in the frame"))
    if frame.columns.has_duplicates:
        dups = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        problems.append(Problem(where, f"{dataset}: duplicate frame columns {dups}"))
    seen: set[str] = set()
    for spec in specs:
        var = f"{dataset}.{spec.name}"
        if not isinstance(spec.name, str) or not _SAS_NAME.fullmatch(spec.name):
            problems.append(
                Problem(where, f"{var}: not a SAS variable name (1-8 of A-Z, 0-9, _, not starting with a digit)")
            )
        if spec.name in seen:
            problems.append(Problem(where, f"{var}: declared twice", column=spec.name))
        seen.add(spec.name)
        _header_text(spec.label, f"{var} label", encoding, MAX_LABEL, where, problems)
        if spec.type not in ("char", "num"):
            problems.append(Problem(where, f"{var}: type must be 'char' or 'num', not {spec.type!r}", column=spec.name))
        if spec.length is not None:
            low, high = (2, 8) if spec.type == "num" else (1, MAX_CHAR_LENGTH)
            if not isinstance(spec.length, (int, np.integer)) or not low <= spec.length <= high:
                message = f"{var}: length {spec.length!r} outside {low}-{high} for {spec.type}"
                problems.append(Problem(where, message, column=spec.name))
        for what in ("format", "informat"):
            text = getattr(spec, what)
            if text and _split_format(text) is None:
                problems.append(
                    Problem(where, f"{var}: {what} {text!r} is not NAMEw.d with a name of at most 8", column=spec.name)
                )
    return specs


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_complex_dtype(series.dtype)


def _holds_numbers(series: pd.Series) -> bool:
    """Numeric or boolean dtype, or Python numbers in an object column."""
    if _is_numeric(series) or pd.api.types.is_bool_dtype(series.dtype):
        return True
    kinds = {"floating", "integer", "mixed-integer-float", "boolean"}
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in kinds


def _special_missing_codes(frame, special_missing, specs, dataset, where, problems, origin=None
                           ) -> dict[str, np.ndarray]:
    """Per column, uint8 codes (letter byte, 0 for none) of the requested special missing values."""
    codes: dict[str, np.ndarray] = {}
    types = {s.name: s.type for s in specs}
    for col, letters in special_missing.items():
        var = f"{dataset}.{col}"
        if types.get(col) != "num":
            problems.append(Problem(where, f"{var}: special missing values need a numeric column", column=col))
            continue
        if not frame.index.is_unique:
            problems.append(Problem(where, f"{var}: special missing values need a frame with a unique index"))
            continue
        given = pd.Series(letters).dropna().astype(str).str.removeprefix(".")
        given = given[given != ""]
        positions = frame.index.get_indexer(given.index)
        if (positions < 0).any():
            unknown = given.index[positions < 0].tolist()[:5]
            problems.append(Problem(where, f"{var}: special missing rows {unknown} not in the frame", column=col))
            continue
        bad = ~given.isin(list(SPECIAL_MISSING_LETTERS)).to_numpy()
        if bad.any():
            pos = positions[_first(bad)]
            problems.append(
                Problem(where, f"{var}: {_record(frame.index, pos, origin)} special missing "
                               f"{given.iloc[_first(bad)]!r} is not one of A-Z or _", column=col)
            )
            continue
        clash = frame[col].iloc[positions].notna().to_numpy() if col in frame.columns else bad
        if clash.any():
            pos = positions[_first(clash)]
            problems.append(
                Problem(where, f"{var}: {_record(frame.index, pos, origin)} has value "
                               f"{_shown(_plain(frame[col].iloc[pos]))} and special missing "
                               f".{given.iloc[_first(clash)]}; a special missing row must hold NaN", column=col)
            )  # fmt: skip
            continue
        codes[col] = np.zeros(len(frame), np.uint8)
        codes[col][positions] = np.frombuffer("".join(given).encode("ascii"), np.uint8)
    return codes


def _plan_columns(frame, specs, letters, encoding, dataset, where, problems, origin=None) -> list[_Planned]:
    """Convert every column once (numbers to IBM words, text to an arrow array) and lay out a row."""
    planned: list[_Planned] = []
    position = 0
    for spec in specs:
        if spec.name not in frame.columns or frame.columns.has_duplicates:
            continue
        before = len(problems)
        if spec.type == "num":
            item = _plan_numeric(frame[spec.name], spec, dataset, where, problems, origin)
        else:
            item = _plan_char(frame[spec.name], spec, encoding, dataset, where, problems, origin)
        if item is None or len(problems) > before:
            continue
        column, values, ascii_only = item
        column = replace(  # as the file holds it: blank-padded label, canonical formats
            column,
            label=column.label.rstrip(" "),
            format=_canonical_format(column.format),
            informat=_canonical_format(column.informat),
        )
        special = letters.get(spec.name) if spec.type == "num" else None
        planned.append(_Planned(column, position, values, ascii_only, special))
        position += column.length
    return planned


def _arrow(series: pd.Series) -> pa.Array:
    """The column as arrow data, left chunked as pandas holds it (zero-copy for the str dtype)."""
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise _MixedValues(str(exc)) from exc
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


class _MixedValues(Exception):
    """A column arrow cannot hold as one type (e.g. text mixed with numbers)."""


def _plain(value):
    """numpy scalars as Python values, so messages read 1.0 rather than np.float64(1.0)."""
    return value.item() if isinstance(value, np.generic) else value


def _shown(value) -> str:
    """A value for a message: its repr, cut to SHOWN_CHARS characters (a 10 kB value would bury the message)."""
    text = repr(_plain(value))
    if len(text) <= SHOWN_CHARS:
        return text
    quote = text[-1] if text[-1] in "'\"" else ""
    return text[: SHOWN_CHARS - 4] + "..." + quote


def _record(index: pd.Index, pos: int, origin: Origin | None) -> str:
    """'record 3' (1-based), with the frame's index label when it is not the position, and where the
    record came from when `origin` knows."""
    notes = []
    label = _plain(index[pos])
    if label != pos:
        notes.append(f"index {label!r}")
    source = origin(pos) if origin is not None else None
    if source:
        notes.append(source)
    return f"record {pos + 1}" + (f" ({'; '.join(notes)})" if notes else "")


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _plan_numeric(series, spec, dataset, where, problems, origin=None):
    var = f"{dataset}.{spec.name}"
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or _is_numeric(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if pd.api.types.is_integer_dtype(dtype):
            inexact = ((series > 2**53) | (series < -(2**53))).fillna(False).to_numpy(dtype=bool)
            if inexact.any():
                pos = _first(inexact)
                problems.append(
                    Problem(where, f"{var}: {_record(series.index, pos, origin)} integer {series.iloc[pos]} exceeds "
                                   "2**53 and would lose digits", column=spec.name)
                )
                return None
    elif _is_datetime_like(series):
        values = _datetime_to_sas(series, spec, var, where, problems)
        if values is None:
            return None
    else:
        try:
            arr = _arrow(series)
        except _MixedValues:
            arr = None
        if arr is not None and arr.null_count == len(arr):
            values = np.full(len(series), np.nan)  # an all-missing column of any dtype is all missing
        elif arr is not None and (pa.types.is_floating(arr.type) or pa.types.is_boolean(arr.type)):
            values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)  # Python numbers in objects
        elif arr is not None and pa.types.is_integer(arr.type):
            return _plan_numeric(series.astype("Int64"), spec, dataset, where, problems, origin)
        else:
            problems.append(
                Problem(where, f"{var}: declared num but holds {dtype} values "
                               f"(first: {_shown(_first_value(series))})", column=spec.name)
            )
            return None
    too_large = beyond_ibm_range(values)  # converted chunk by chunk later; checked whole now
    if too_large.any():
        pos = _first(too_large)
        problems.append(
            Problem(where, f"{var}: {_record(series.index, pos, origin)} value {_shown(values[pos])} is beyond the "
                           "IBM float range (|x| < 7.2e75)", column=spec.name)
        )
        return None
    length = spec.length if spec.length is not None else 8
    return replace(spec, length=int(length)), values, True


def _is_datetime_like(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return True
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_temporal(dtype.pyarrow_dtype):
        return True
    return dtype == object and pd.api.types.infer_dtype(series, skipna=True) in {"date", "datetime", "time"}


def _datetime_to_sas(series, spec, var, where, problems) -> np.ndarray | None:
    """Dates/datetimes declared numeric become SAS dates or datetimes, as their format says."""
    kind = sas_format_kind(spec.format)
    try:
        if kind == "date":
            return sas_date(series).to_numpy()
        if kind == "datetime":
            return sas_datetime(series).to_numpy()
    except ExportError as exc:
        problems.append(Problem(where, f"{var}: {exc}", column=spec.name))
        return None
    problems.append(
        Problem(where, f"{var}: date/time values need a DATE-like or DATETIME-like format (e.g. DATE9., "
                       f"E8601DT.) to say whether they become days or seconds; got format {spec.format!r}. "
                       "Or convert them with sas_date()/sas_datetime() first", column=spec.name)
    )
    return None


def _first_value(series: pd.Series):
    present = series.dropna()
    return present.iloc[0] if len(present) else None


def _plan_char(series, spec, encoding, dataset, where, problems, origin=None):
    var = f"{dataset}.{spec.name}"
    if _is_datetime_like(series):
        problems.append(
            Problem(where, f"{var}: holds dates/times but is not declared numeric; declare type 'num' with a "
                           "date format, or format them as ISO 8601 text", column=spec.name)
        )
        return None
    if _is_numeric(series) or pd.api.types.is_bool_dtype(series.dtype):
        if series.notna().any():
            problems.append(
                Problem(where, f"{var}: declared char but holds {series.dtype} values "
                               f"(first: {_shown(_first_value(series))})", column=spec.name)
            )
            return None
        arr = pa.nulls(len(series), pa.large_string())
    else:
        try:
            arr = _arrow(series)
        except _MixedValues:
            arr = None
        if arr is not None and pa.types.is_null(arr.type):
            arr = arr.cast(pa.large_string())
        if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            first = next((v for v in series.dropna() if not isinstance(v, str)), _first_value(series))
            problems.append(
                Problem(where, f"{var}: declared char but holds non-text values (first: {_shown(first)})",
                        column=spec.name)
            )
            return None
    control = _first_control(arr)
    if control is not None:
        value = arr[control].as_py()
        char = _CONTROL.search(value).group()
        problems.append(
            Problem(where, f"{var}: {_record(series.index, control, origin)} value {_shown(value)} holds the control "
                           f"character {char!r}; XPORT text may not hold control characters (NUL, TAB, line "
                           "breaks, ...): remove or replace them in the source", column=spec.name)
        )
        return None
    ascii_only, longest = _text_profile(arr)
    if not ascii_only:
        arr = _encode_text(series, arr, encoding, var, spec.name, where, problems, origin)
        if arr is None:
            return None
        longest = int(pc.max(pc.binary_length(arr)).as_py() or 0)
    limit = spec.length if spec.length is not None else MAX_CHAR_LENGTH
    if longest > limit:
        widths = pc.binary_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
        pos = _first(widths > limit)
        why = "than the declared length" if spec.length is not None else "than XPORT v5 allows for text"
        problems.append(
            Problem(where, f"{var}: {_record(series.index, pos, origin)} value {_shown(series.iloc[pos])} is "
                           f"{widths[pos]} bytes, longer {why} ({limit}); refusing to truncate",
                    column=spec.name)
        )
        return None
    length = spec.length if spec.length is not None else max(1, longest)
    return replace(spec, length=int(length)), arr, ascii_only


def _text_profile(arr: pa.Array | pa.ChunkedArray) -> tuple[bool, int]:
    """(all values ASCII, longest value in bytes), read straight off arrow's buffers."""
    ascii_only, longest = True, 0
    for piece in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if not len(piece):
            continue
        if piece.null_count:  # a null slot's bytes are undefined: ask arrow, which skips them
            ascii_only &= pc.all(pc.string_is_ascii(piece)).as_py() in (True, None)
            longest = max(longest, int(pc.max(pc.binary_length(piece)).as_py() or 0))
            continue
        offsets, data = _buffers(piece)
        longest = max(longest, int(np.diff(offsets).max()))
        ascii_only &= not len(data) or int(data.max()) < 0x80
    return ascii_only, longest


def _buffers(piece: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string/binary array's offsets (rows + 1) and the data bytes they cover."""
    wide = pa.types.is_large_string(piece.type) or pa.types.is_large_binary(piece.type)
    kind = np.int64 if wide else np.int32
    _, offset_buf, data_buf = piece.buffers()
    offsets = np.frombuffer(offset_buf, kind, count=len(piece) + 1, offset=piece.offset * kind().itemsize)
    if data_buf is None:
        return offsets, np.zeros(0, np.uint8)
    return offsets, np.frombuffer(data_buf, np.uint8)[offsets[0] : offsets[-1]]


def _first_control(arr: pa.Array | pa.ChunkedArray) -> int | None:
    """Position of the first value holding a control character, or None. Values without nulls are
    checked on arrow's data buffer (one numpy pass); UTF-8 multi-byte characters are all >= 0x80."""
    offset = 0
    for piece in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if len(piece):
            if piece.null_count:
                found = pc.any(pc.match_substring_regex(piece, _CONTROL_RE2)).as_py()
            else:
                data = _buffers(piece)[1]
                found = bool(len(data)) and (int(data.min()) < 0x20 or bool((data == 0x7F).any()))
            if found:
                hits = pc.match_substring_regex(piece.fill_null(""), _CONTROL_RE2)
                return offset + _first(hits.to_numpy(zero_copy_only=False))
        offset += len(piece)
    return None


def _encode_text(series, arr, encoding, var, column, where, problems, origin=None) -> pa.Array | None:
    """Non-ASCII text as bytes of `encoding` (slow path: one Python encode per value)."""
    arr = arr.fill_null("")
    if encoding.lower().replace("-", "").replace("_", "") in {"ascii", "usascii"}:
        pos = _first(~pc.string_is_ascii(arr).to_numpy(zero_copy_only=False))
        value = arr[pos].as_py()
        char = next(c for c in value if ord(c) > 127)
        problems.append(
            Problem(where, f"{var}: {_record(series.index, pos, origin)} value {_shown(value)} has non-ASCII "
                           f"character {char!r}; XPT v5 text is written as ASCII, as the FDA's data standards catalog "
                           "asks: replace the character in the raw data or the spec", column=column)
        )
        return None
    encoded = []
    for pos, value in enumerate(arr.to_pylist()):
        try:
            encoded.append(value.encode(encoding))
        except UnicodeEncodeError as exc:
            problems.append(
                Problem(where, f"{var}: {_record(series.index, pos, origin)} value {_shown(value)} cannot be "
                               f"encoded as {encoding} ({exc.reason} at {value[exc.start]!r})", column=column)
            )
            return None
    return pa.array(encoded, pa.large_binary())


def _header_datetime(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise ExportError(f"header timestamps must be datetimes, got {moment!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _sas_timestamp(moment: datetime) -> bytes:
    return (f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}").encode("ascii")


def _file_header(name, label, version, os_name, created, modified, planned, encoding) -> bytes:
    """Everything before the first observation."""
    stamp_created, stamp_modified = _sas_timestamp(created), _sas_timestamp(modified)
    parts = [
        _LIBRARY_HEADER.encode("ascii"),
        b"SAS     SAS     SASLIB  " + version.ljust(8) + os_name.ljust(8) + b" " * 24 + stamp_created,
        stamp_modified.ljust(RECORD),
        _MEMBER_HEADER.encode("ascii"),
        _DESCRIPTOR_HEADER.encode("ascii"),
        b"SAS     " + name.ljust(8) + b"SASDATA " + version.ljust(8) + os_name.ljust(8) + b" " * 24 + stamp_created,
        stamp_modified + b" " * 16 + label.ljust(MAX_LABEL) + b" " * 8,
        (_NAMESTR_HEADER_PREFIX + f"000000{len(planned):04d}" + "0" * 20 + "  ").encode("ascii"),
    ]
    namestrs = np.zeros(len(planned), dtype=_NAMESTR_DTYPE)
    for i, item in enumerate(planned):
        col = item.column
        fmt_name, fmt_width, fmt_decimals = _split_format(col.format) if col.format else ("", 0, 0)
        inf_name, inf_width, inf_decimals = _split_format(col.informat) if col.informat else ("", 0, 0)
        namestrs[i] = (
            1 if col.type == "num" else 2, 0, col.length, i + 1,
            col.name.encode("ascii").ljust(8), col.label.encode(encoding).ljust(MAX_LABEL),
            fmt_name.encode("ascii").ljust(8), fmt_width, fmt_decimals, 0, b"\0\0",
            inf_name.encode("ascii").ljust(8), inf_width, inf_decimals, item.position, b"\0" * 52,
        )  # fmt: skip
    body = namestrs.tobytes()
    parts.append(body + b" " * (-len(body) % RECORD))
    parts.append(_OBS_HEADER.encode("ascii"))
    return b"".join(parts)


def _split_format(text: str) -> tuple[str, int, int] | None:
    """("DATE", 9, 0) for "DATE9.", ("", 8, 2) for "8.2"; None when it is not a SAS format."""
    match = _FORMAT.fullmatch(text.strip().upper())
    if match is None or not text.strip():
        return None
    fmt_name, width, decimals = match.group(1) or "", match.group(2), match.group(3)
    if len(fmt_name) > 8 or (not fmt_name and not width):
        return None
    width_n, decimals_n = int(width or 0), int(decimals or 0)
    if width_n > 32767 or decimals_n > 32767:
        return None
    return fmt_name, width_n, decimals_n


def _canonical_format(text: str) -> str:
    """The format as the file will hold it and `read_xpt` will return it ("date9" -> "DATE9.")."""
    parts = _split_format(text) if text else None
    return _join_format(*parts) if parts else text  # an invalid one was already reported


def _join_format(fmt_name: str, width: int, decimals: int) -> str:
    if not fmt_name and not width and not decimals:
        return ""
    return f"{fmt_name}{width or ''}.{decimals or ''}"


def _write_file(handle: BinaryIO, header: bytes, planned: list[_Planned], row_length: int, rows: int) -> None:
    """Stream the header and the observations, chunk by chunk, then blank-pad the last record."""
    handle.write(header)
    chunk_rows = max(1, min(MAX_CHUNK_ROWS, CHUNK_BYTES // row_length))
    block = np.empty((min(chunk_rows, rows), row_length), dtype=np.uint8)
    layout = _row_layout([p.column.length for p in planned])
    records = block.view(layout).reshape(-1)
    for start in range(0, rows, chunk_rows):
        count = min(chunk_rows, rows - start)
        for i, item in enumerate(planned):
            _fill(records[f"v{i}"][:count], item, start, count)
        handle.write(memoryview(block[:count]).cast("B"))
    tail = -(rows * row_length) % RECORD
    handle.write(b" " * tail)


def _row_layout(lengths: list[int]) -> np.dtype:
    """A row as one opaque fixed-width field per variable, v0, v1, ...: numpy then moves a whole
    field per row at once, several times faster than a strided 2-d byte slice."""
    return np.dtype(
        {
            "names": [f"v{i}" for i in range(len(lengths))],
            "formats": [f"V{n}" for n in lengths],
            "offsets": np.cumsum([0, *lengths[:-1]]).tolist(),
            "itemsize": sum(lengths),
        }
    )


def _fill(field: np.ndarray, item: _Planned, start: int, count: int) -> None:
    """Copy one column's rows [start, start+count) into its field (a 1-d void view of the rows)."""
    width = item.column.length
    if item.column.type == "num":
        words, _ = ieee_to_ibm(item.values[start : start + count])
        if item.special is not None:
            letters = item.special[start : start + count]
            words = np.where(letters != 0, missing_words(letters), words)
        big_endian = words.astype(">u8")
        if width < 8:  # SAS keeps the leading bytes of a shortened number
            big_endian = np.ascontiguousarray(big_endian.view(np.uint8).reshape(count, 8)[:, :width])
        field[:] = big_endian.view(f"V{width}").reshape(-1)
        return
    values = item.values.slice(start, count)
    row = 0
    for piece in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        rows = len(piece)
        if not rows:
            continue
        if piece.null_count:
            piece = piece.fill_null("")
        offsets, data = _buffers(piece)
        if len(data) == rows * width:  # every value already fills the field (ISO dates, ids)
            dense = data
        elif item.ascii:  # one byte per character: arrow pads every value to exactly `width` bytes
            dense = _buffers(pc.ascii_rpad(piece, width=width, padding=" "))[1]
        else:
            dense = _blank_padded(offsets, data, width)
        field[row : row + rows] = dense.view(f"V{width}")
        row += rows


def _blank_padded(offsets: np.ndarray, data: np.ndarray, width: int) -> np.ndarray:
    """Variable-length byte strings laid out in fixed-width, blank-padded slots (flat uint8)."""
    lengths = np.diff(offsets)
    dense = np.full((len(lengths), width), 0x20, dtype=np.uint8)
    dense[np.arange(width) < lengths[:, None]] = data
    return dense.reshape(-1)


# ---------------------------------------------------------------------------------------------
# Reader


def read_xpt(path: str | os.PathLike, *, encoding: str = "ascii") -> tuple[pd.DataFrame, XptDataset]:
    """Read the one dataset of an XPORT v5 file: the frame (text as str, numbers as float64) and
    its metadata. Text must be ASCII unless another `encoding` (e.g. "cp1252") is named."""
    where = str(path)
    raw = Path(path).read_bytes()
    dataset, first_obs = _read_header(raw, where, encoding)
    row_length = sum(c.length for c in dataset.columns)
    end = _data_end(raw, first_obs, where)
    rows = _row_count(raw, first_obs, end, row_length)
    fields = _gather_fields(raw, first_obs, rows, [c.length for c in dataset.columns])
    del raw
    data: dict[str, pd.Series] = {}
    specials: dict[str, pd.Series] = {}
    for col, field in zip(dataset.columns, fields):
        if col.type == "num":
            data[col.name], codes = _read_numeric(field)
            special = (codes != 0) & (codes != ord("."))
            if special.any():
                rows_at = np.flatnonzero(special)
                specials[col.name] = pd.Series([chr(c) for c in codes[rows_at]], index=rows_at, dtype="str")
        else:
            data[col.name] = _read_char(field, encoding, f"{where}: {dataset.name}.{col.name}")
    frame = pd.DataFrame(data, index=pd.RangeIndex(rows))
    if specials:
        frame.attrs["special_missing"] = specials
    log.debug("read %s: %d rows x %d variables", where, rows, len(dataset.columns))
    return frame, dataset


def _gather_fields(raw: bytes, first_obs: int, rows: int, lengths: list[int]) -> list[np.ndarray]:
    """Each variable's bytes as a contiguous (rows, length) matrix. Rows are gathered a cache-sized
    block at a time: one pass over the file instead of one strided pass per variable."""
    if not lengths:
        return []
    layout = _row_layout(lengths)
    fields = [np.empty((rows, n), np.uint8) for n in lengths]
    slots = [f.view(f"V{n}").reshape(rows) for f, n in zip(fields, lengths)]
    step = max(1, CHUNK_BYTES // layout.itemsize)
    for start in range(0, rows, step):
        count = min(step, rows - start)
        block = np.frombuffer(raw, layout, count=count, offset=first_obs + start * layout.itemsize)
        for i, slot in enumerate(slots):
            slot[start : start + count] = block[f"v{i}"]
    return fields


def _read_header(raw: bytes, where: str, encoding: str) -> tuple[XptDataset, int]:
    def record(i: int) -> bytes:
        return raw[i * RECORD : (i + 1) * RECORD]

    if len(raw) < 8 * RECORD or record(0) != _LIBRARY_HEADER.encode("ascii"):
        raise InputError(f"{where}: not a SAS XPORT v5 file (no library header record)")
    if record(3)[:48] != _MEMBER_HEADER.encode("ascii")[:48] or record(7)[:48] != _NAMESTR_HEADER_PREFIX.encode():
        raise InputError(f"{where}: unexpected header layout (member or NAMESTR header missing)")
    if record(3)[74:78] != b"0140":
        raise InputError(f"{where}: NAMESTR records of {record(3)[74:78]!r} bytes; only 140 is supported")
    real, member, member2 = record(1), record(5), record(6)
    try:
        nvars = int(record(7)[54:58])
    except ValueError as exc:
        raise InputError(f"{where}: unreadable variable count {record(7)[54:58]!r}") from exc
    start = 8 * RECORD
    size = nvars * NAMESTR_SIZE
    if len(raw) < start + size + (-size % RECORD) + RECORD:
        raise InputError(f"{where}: the file ends inside its header ({nvars} variables declared, {len(raw)} bytes); "
                         "it was cut short")
    namestrs = np.frombuffer(raw, _NAMESTR_DTYPE, count=nvars, offset=start) if nvars else np.zeros(0, _NAMESTR_DTYPE)
    obs_at = start + size + (-size % RECORD)
    if raw[obs_at : obs_at + 48] != _OBS_HEADER.encode("ascii")[:48]:
        raise InputError(f"{where}: OBS header record not found after {nvars} NAMESTR records")

    def text(field: bytes, enc: str = "ascii") -> str:
        try:
            return field.decode(enc).rstrip(" \0")
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: header text {field!r} is not {enc} text; the file is damaged or "
                             "not an XPT v5 file") from exc

    columns = []
    for ns in namestrs:
        kind = {1: "num", 2: "char"}.get(int(ns["ntype"]))
        if kind is None:
            raise InputError(f"{where}: variable {ns['nname']!r} has unknown type {int(ns['ntype'])}")
        columns.append(
            XptColumn(
                name=text(ns["nname"]),
                label=text(ns["nlabel"], encoding),
                type=kind,
                length=int(ns["nlng"]),
                format=_join_format(text(ns["nform"]), int(ns["nfl"]), int(ns["nfd"])),
                informat=_join_format(text(ns["niform"]), int(ns["nifl"]), int(ns["nifd"])),
            )
        )
    expected = np.cumsum([0] + [c.length for c in columns[:-1]])
    if len(columns) and not np.array_equal(namestrs["npos"], expected):
        raise InputError(f"{where}: variables are not stored back to back in NAMESTR order; unsupported")
    dataset = XptDataset(
        name=text(member[8:16]),
        label=text(member2[32:72], encoding),
        columns=tuple(columns),
        created=_parse_timestamp(real[64:80], where),
        modified=_parse_timestamp(record(2)[:16], where),
        sas_version=text(real[24:32]),
        os_name=text(real[32:40]),
    )
    return dataset, obs_at + RECORD


def _parse_timestamp(field: bytes, where: str) -> datetime:
    match = re.fullmatch(rb"(\d\d)([A-Z]{3})(\d\d):(\d\d):(\d\d):(\d\d)", field)
    if match is None or match.group(2).decode() not in _MONTHS:
        raise InputError(f"{where}: header timestamp {field!r} is not ddMMMyy:hh:mm:ss")
    day, month, year, hour, minute, second = match.groups()
    yy = int(year)
    return datetime(
        (1900 if yy >= 60 else 2000) + yy, _MONTHS.index(month.decode()) + 1, int(day),
        int(hour), int(minute), int(second),
    )  # fmt: skip


def _data_end(raw: bytes, first_obs: int, where: str) -> int:
    """End of the observations: end of file, unless a second member follows (refused). A file that
    does not end on an 80-byte record boundary was cut short (or added to): its last rows cannot be
    trusted, so it is refused rather than read with a row silently missing."""
    if len(raw) % RECORD:
        raise InputError(f"{where}: the file is {len(raw)} bytes, not a whole number of {RECORD}-byte records; "
                         "it was cut short (an interrupted copy or download?) or has bytes appended")
    marker = _MEMBER_HEADER.encode("ascii")[:48]
    at = raw.find(marker, first_obs)
    while at != -1 and (at - first_obs) % RECORD:
        at = raw.find(marker, at + 1)
    if at != -1:
        raise InputError(f"{where}: the file holds more than one dataset; read_xpt reads files of exactly one")
    return len(raw)


def _row_count(raw: bytes, first_obs: int, end: int, row_length: int) -> int:
    """Rows in the observation area: trailing all-blank rows inside the final record are padding."""
    size = end - first_obs
    if row_length == 0 or size <= 0:
        return 0
    rows = size // row_length
    # the writer padded only the last record, so the true count needs more than size - 80 bytes
    floor_rows = max(0, (size - RECORD) // row_length + 1)
    while rows > floor_rows:
        last = raw[first_obs + (rows - 1) * row_length : first_obs + rows * row_length]
        if last.strip(b" "):
            break
        rows -= 1
    return rows


def _read_numeric(field: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    rows, width = field.shape
    if width == 8:
        words = field.view(">u8").ravel()
    else:  # truncated numbers: the dropped low-order bytes were zero
        full = np.zeros((rows, 8), dtype=np.uint8)
        full[:, :width] = field
        words = full.view(">u8").ravel()
    values, codes = ibm_to_ieee(words.astype(np.uint64))
    return pd.Series(values, dtype="float64"), codes


def _read_char(field: np.ndarray, encoding: str, what: str) -> pd.Series:
    rows, width = field.shape
    dense = field
    if not (dense.max(initial=0) >= 0x80):
        offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64)
        arr = pa.Array.from_buffers(pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(dense)])
        if dense.min(initial=0x20) >= 0x20:  # no control characters: blanks are the only whitespace
            return pc.ascii_rtrim_whitespace(arr).to_pandas()
        return pc.utf8_rtrim(arr, characters=" ").to_pandas()
    try:
        text = np.char.decode(dense.view(f"S{width}").ravel(), encoding)
    except UnicodeDecodeError as exc:
        row = _first((dense >= 0x80).any(axis=1))
        raise InputError(
            f"{what}: record {row + 1} value {bytes(dense[row])!r} is not {encoding} text ({exc.reason}); "
            "XPT v5 text is ASCII (trialforge also reads Windows-1252)"
        ) from exc
    return pd.Series(np.char.rstrip(text, " "), dtype="str")
