"""CDISC Dataset-JSON v1.1: write a dataset as .json or .ndjson beside its XPT, and read either back.

Values follow the Dataset-JSON data types: text as strings, integers as JSON integers, floats as
JSON numbers (shortest exact form), SDTM ISO 8601 dates as the text they are. ADaM numeric dates
(SAS days/seconds under a date format) are written as ISO strings with `targetDataType: integer` and
their `displayFormat`, so a receiver can rebuild the SAS numbers. Missing values are null; XPT cannot
tell a blank from a missing text value, so text read from XPT keeps its "" (as CDISC's examples do).

The reader returns the frame the way `formats.xpt.read_xpt` does: text as `str`, every number as
float64 and ADaM dates back as SAS numbers, so the .json and the .xpt of a dataset read alike.

`columns_from_define` gives the columns of a dataset as a define.xml describes them, so that
`define_xml.package.write_folder_dataset_json` writes every XPT of a package folder with the OIDs,
labels, lengths and keys of its define.xml: the two always agree.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formats.sasdates import from_sas, sas_format_kind, seconds_since_epoch
from specs.errors import ExportError, InputError, Problem

log = logging.getLogger(__name__)

DATASET_JSON_VERSION = "1.1.0"
DATA_TYPES = frozenset({"string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time",
                        "URI"})
# Define-XML DataType -> Dataset-JSON dataType for text-held values (ISO 8601 partials stay strings).
_TEXT_TYPES = {"text": "string", "date": "date", "datetime": "datetime", "time": "time", "URI": "URI"}


@dataclass(frozen=True)
class JsonColumn:
    """One column of a Dataset-JSON file (its `columns` entry)."""

    item_oid: str
    name: str
    label: str
    data_type: str
    target_data_type: str | None = None
    length: int | None = None
    display_format: str | None = None
    key_sequence: int | None = None

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"itemOID": self.item_oid, "name": self.name, "label": self.label,
                                 "dataType": self.data_type}
        for key, value in (("targetDataType", self.target_data_type), ("length", self.length),
                           ("displayFormat", self.display_format), ("keySequence", self.key_sequence)):
            if value is not None and value != "":
                entry[key] = value
        return entry


# --- writing ----------------------------------------------------------------------------------------


def write_dataset_json(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    name: str,
    label: str,
    columns: Sequence[JsonColumn],
    study_oid: str,
    metadata_version_oid: str,
    created: datetime,
    item_group_oid: str | None = None,
    ndjson: bool = False,
    originator: str = "trialforge",
    source_system: tuple[str, str] | None = None,
    metadata_ref: str | None = "define.xml",
    file_oid: str | None = None,
) -> Path:
    """Write `frame` as Dataset-JSON v1.1 (`ndjson=True`: metadata line, then one row per line).

    `columns` give the order, OIDs and types; every column must be in `frame`. Values that cannot be
    written as their type (text in an integer column, 1.5 as an integer, infinity) raise ExportError
    naming every column and the first row at fault.
    """
    target = Path(path)
    where = str(target)
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise ExportError(f"cannot write {name} as Dataset-JSON",
                          [Problem(where, f"column {m} is not in the data", column=m) for m in missing])
    problems: list[Problem] = []
    cells = [_json_values(frame[c.name], c, where, problems) for c in columns]
    if problems:
        raise ExportError(f"cannot write {name} as Dataset-JSON without losing information", problems)
    metadata: dict[str, Any] = {
        "datasetJSONCreationDateTime": created.replace(microsecond=0, tzinfo=None).isoformat(),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": file_oid or f"{metadata_version_oid}.{name}",
        "originator": originator,
    }
    if source_system:
        metadata["sourceSystem"] = {"name": source_system[0], "version": source_system[1]}
    metadata.update({"studyOID": study_oid, "metaDataVersionOID": metadata_version_oid})
    if metadata_ref:
        metadata["metaDataRef"] = metadata_ref
    metadata.update({"itemGroupOID": item_group_oid or f"IG.{name}", "records": len(frame), "name": name,
                     "label": label, "columns": [c.as_dict() for c in columns]})
    rows = (json.dumps(list(row), ensure_ascii=False, allow_nan=False) for row in zip(*cells)) if cells else \
        ("[]" for _ in range(len(frame)))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as handle:
            _write(handle, metadata, rows, ndjson)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    log.debug("wrote %s: %d rows x %d columns", target, len(frame), len(columns))
    return target


def _write(handle, metadata: dict[str, Any], rows: Iterable[str], ndjson: bool) -> None:
    head = json.dumps(metadata, ensure_ascii=False)
    if ndjson:
        handle.write(head + "\n")
        for row in rows:
            handle.write(row + "\n")
        return
    handle.write(head[:-1] + ', "rows": [')
    for n, row in enumerate(rows):
        handle.write(("\n" if n == 0 else ",\n") + row)
    handle.write("\n]}\n")


def _json_values(series: pd.Series, column: JsonColumn, where: str, problems: list[Problem]) -> list[Any]:
    kind = column.data_type
    if column.target_data_type == "integer" and kind in ("date", "datetime", "time"):
        return _iso_from_sas(series, kind, column, where, problems)
    if kind in ("integer", "float", "double"):
        return _numbers(series, kind, column, where, problems)
    if kind == "decimal":
        return [None if _missing(v) else (v if isinstance(v, str) else np.format_float_positional(float(v), trim="-"))
                for v in series.tolist()]
    if kind == "boolean":
        return [None if _missing(v) else bool(v) for v in series.tolist()]
    return [None if _missing(v) else (v.isoformat() if isinstance(v, (pd.Timestamp, datetime)) else str(v))
            for v in series.tolist()]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _numbers(series, kind, column, where, problems) -> list[Any]:
    numbers = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & numbers.isna() & series.astype("str").str.strip().ne("")
    if bad.any():
        problems.append(_problem(where, column, bad, series, f"is {kind} but holds text"))
        return []
    values = numbers.astype("float64").to_numpy()
    infinite = ~np.isfinite(values) & ~np.isnan(values)
    if infinite.any():
        problems.append(_problem(where, column, pd.Series(infinite, index=series.index), series, "holds infinity"))
        return []
    if kind == "integer":
        fractional = ~np.isnan(values) & (np.round(values) != values)
        if fractional.any():
            problems.append(_problem(where, column, pd.Series(fractional, index=series.index), series,
                                     "is integer but holds a fraction"))
            return []
        return [None if math.isnan(v) else int(v) for v in values.tolist()]
    return [None if math.isnan(v) else v for v in values.tolist()]


def _iso_from_sas(series, kind, column, where, problems) -> list[Any]:
    """SAS days (dates) or seconds (datetimes, times), or datetime64 values, as ISO 8601 text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        bad = series.notna() & numbers.isna()
        if bad.any():
            problems.append(_problem(where, column, bad, series, f"is a SAS {kind} but holds text"))
            return []
        if kind == "time":
            return [None if math.isnan(v) else _clock(v) for v in numbers.astype("float64").tolist()]
        stamps = from_sas(numbers.astype("float64"), kind)
    if kind == "date":
        return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in stamps]
    return [None if pd.isna(v) else v.isoformat() for v in stamps]


def _clock(seconds: float) -> str:
    whole = int(seconds)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    fraction = seconds - whole
    return text + (np.format_float_positional(fraction, trim="-")[1:] if fraction else "")


def _problem(where: str, column: JsonColumn, mask: pd.Series, series: pd.Series, what: str) -> Problem:
    first = int(np.flatnonzero(mask.to_numpy())[0])
    return Problem(where, f"{column.name} {what} ({int(mask.sum())} rows; first: row {first + 1}, "
                          f"value {series.iloc[first]!r})", column=column.name)


# --- reading ----------------------------------------------------------------------------------------

MAX_PROBLEMS = 20  # problems listed per file (with a count of the rest): enough to fix, not a flood
_SHOWN = 60  # characters of a value shown in a message
_MAX_EXACT = 2**53  # beyond this a float64 cannot hold every integer
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2})(?::(\d{2}(?:\.\d+)?))?)?")
_NONE = type(None)
_TARGET_TYPES = (None, "integer", "decimal")
_EXPECTED = "a Dataset-JSON v1.1 object with 'columns' and 'rows'"


class _Unreadable(str):
    """A token Python's json module takes but a Dataset-JSON value cannot be (NaN, Infinity, an integer
    of more digits than Python converts): kept as its text, so the check of its column names the row."""


def _parse_int(text: str) -> int | _Unreadable:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return _Unreadable(text)


_DECODER = json.JSONDecoder(parse_constant=_Unreadable)
_CAREFUL_DECODER = json.JSONDecoder(parse_constant=_Unreadable, parse_int=_parse_int)


def _decode(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long to convert: decode again, keeping it as text to report
        return _CAREFUL_DECODER.decode(text)


def read_dataset_json(path: str | os.PathLike, *, blank_missing_text: bool = False) -> tuple[pd.DataFrame, dict]:
    """Read a Dataset-JSON v1.1 file (.json or .ndjson): the frame and its metadata (everything but rows).

    Text comes back as `str` (null as missing, or as "" with `blank_missing_text`, which is what XPT
    reading gives), numbers as float64, ADaM dates (`targetDataType: integer`) as SAS numbers,
    ISO 8601 text dates as text, booleans as `boolean`.

    Anything that is not Dataset-JSON raises InputError naming the file and, for a value, the row
    (1-based, as in `rows`; for NDJSON also the line), the column, the value and what its dataType
    expects: text in a float column, a number in a string column, rows longer or shorter than the
    columns, NaN, a number too large for its type. Nothing is coerced to missing.
    """
    where = str(path)
    metadata, rows, lines = _load(Path(path))
    columns = _column_definitions(metadata, where)
    _check_row_shapes(rows, columns, where, lines)
    problems: list[Problem] = []
    transposed = list(zip(*rows)) if rows else [()] * len(columns)
    data = {}
    for column, values in zip(columns, transposed):
        data[column["name"]] = _column(values, column, blank_missing_text, where, lines, problems)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = f" (the first {len(shown)} shown)" if len(problems) > len(shown) else ""
        raise InputError(f"{where}: {len(problems)} column(s) hold values their dataType does not allow{more}",
                         shown)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    records = metadata.get("records")
    if isinstance(records, int) and not isinstance(records, bool) and records != len(rows):
        log.warning("%s: 'records' says %d but the file holds %d rows", where, records, len(rows))
    return frame, metadata


def _load(path: Path) -> tuple[dict, list, list[int] | None]:
    """(metadata, rows, file line of each row for NDJSON or None)."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"{where}: cannot be read", [Problem(where, error.strerror or str(error))]) from None
    if not raw.strip():
        raise InputError(f"{where}: the file is empty", [Problem(where, f"expected {_EXPECTED}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not Dataset-JSON (not UTF-8 text)", [Problem(
            where, f"byte {raw[error.start]:#04x} at offset {error.start} is not UTF-8; expected {_EXPECTED} "
                   "as UTF-8 text")]) from None
    if path.suffix.lower() == ".ndjson":
        return _load_ndjson(text, where)
    try:
        document = _decode(text)
    except (ValueError, RecursionError) as error:
        raise InputError(f"{where}: not valid JSON", [_json_problem(where, error, text, f"expected {_EXPECTED}")]
                         ) from None
    if not isinstance(document, dict):
        raise InputError(f"{where}: not Dataset-JSON", [Problem(
            where, f"the top level is {_kind(document)}; expected {_EXPECTED}")])
    if "rows" not in document:
        raise InputError(f"{where}: not Dataset-JSON", [Problem(where, "no 'rows'; expected an array of rows, "
                                                                       "each an array of values")])
    rows = document.pop("rows")
    if not isinstance(rows, list):
        raise InputError(f"{where}: not Dataset-JSON", [Problem(
            where, f"'rows' is {_kind(rows)}; expected an array of rows, each an array of values")])
    return document, rows, None


def _load_ndjson(text: str, where: str) -> tuple[dict, list, list[int]]:
    metadata: dict | None = None
    rows: list = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        expected = "the metadata object" if metadata is None else "one row: an array of values"
        try:
            value = _decode(line)
        except (ValueError, RecursionError) as error:
            problem = _json_problem(where, error, line, f"expected {expected}", line_number=number)
            raise InputError(f"{where}: line {number} is not valid JSON", [problem]) from None
        if metadata is None:
            if not isinstance(value, dict):
                raise InputError(f"{where}: not Dataset-JSON NDJSON", [Problem(
                    where, f"line {number} is {_kind(value)}; expected the metadata object (with 'columns') "
                           "on the first line, then one row per line")])
            metadata = value
            continue
        rows.append(value)
        lines.append(number)
    if metadata is None:  # only blank lines: _load has ruled out an empty file, but not a blank one
        raise InputError(f"{where}: the file is empty", [Problem(where, f"expected {_EXPECTED}")])
    metadata.pop("rows", None)
    return metadata, rows, lines


def _json_problem(where: str, error: Exception, text: str, expected: str, line_number: int | None = None
                  ) -> Problem:
    if isinstance(error, RecursionError):
        at = f" at line {line_number}" if line_number is not None else ""
        return Problem(where, f"not readable JSON: arrays or objects nested too deeply{at}; {expected}")
    if isinstance(error, json.JSONDecodeError):
        # Python says "Unterminated string" only when the text ends inside one
        ends_early = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string")
        what = "the text ends before the JSON does (a truncated file?)" if ends_early else error.msg
        line = line_number if line_number is not None else error.lineno
        return Problem(where, f"not valid JSON: {what} (line {line}, column {error.colno}); {expected}")
    at = f" (line {line_number})" if line_number is not None else ""
    return Problem(where, f"not valid JSON: {error}{at}; {expected}")


def _column_definitions(metadata: dict, where: str) -> list[dict]:
    """The 'columns' entries, each checked: a name (unique, case-insensitively, as SAS names are),
    a known dataType and, when given, a known targetDataType."""
    columns = metadata.get("columns")
    if not isinstance(columns, list):
        what = "no 'columns'" if columns is None else f"'columns' is {_kind(columns)}"
        raise InputError(f"{where}: not Dataset-JSON", [Problem(
            where, f"{what}; expected an array of column definitions (itemOID, name, label, dataType, ...)")])
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, column in enumerate(columns, start=1):
        if not isinstance(column, dict):
            problems.append(Problem(where, f"columns entry {number} is {_kind(column)}; expected an object with "
                                           "name and dataType"))
            continue
        name = column.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(where, f"columns entry {number} has no name (name: {_describe(name)})"))
            continue
        if name.upper() in seen:
            problems.append(Problem(where, f"defined twice (columns entries {seen[name.upper()]} "
                                           f"and {number}); column names must be unique", column=name))
        seen.setdefault(name.upper(), number)
        kind = column.get("dataType")
        if kind not in DATA_TYPES:
            problems.append(Problem(where, f"dataType {_describe(kind)} is not one of "
                                           f"{', '.join(sorted(DATA_TYPES))}", column=name))
        target = column.get("targetDataType")
        if target not in _TARGET_TYPES:
            problems.append(Problem(where, f"targetDataType {_describe(target)} is not integer or "
                                           "decimal", column=name))
    if problems:
        raise InputError(f"{where}: the column definitions are not Dataset-JSON", problems[:MAX_PROBLEMS])
    return columns


def _check_row_shapes(rows: list, columns: list[dict], where: str, lines: list[int] | None) -> None:
    width = len(columns)
    problems: list[Problem] = []
    count = 0
    for n, row in enumerate(rows):
        if isinstance(row, list) and len(row) == width:
            continue
        count += 1
        if len(problems) < MAX_PROBLEMS:
            got = f"{len(row)} values" if isinstance(row, list) else _kind(row)
            problems.append(Problem(where, f"row {n + 1}{_on_line(lines, n)} has {got}; expected an array of "
                                           f"{width} values, one per column"))
    if problems:
        raise InputError(f"{where}: {count} row(s) do not match the {width} columns", problems)


def _column(values: tuple, column: dict, blank_missing_text: bool, where: str, lines: list[int] | None,
            problems: list[Problem]) -> pd.Series | None:
    kind = column["dataType"]
    target = column.get("targetDataType")
    check = _Check(column, where, lines, problems)
    if target == "integer" and kind in ("date", "datetime", "time"):
        if not check.text(values, f"an ISO 8601 {kind} as text (or null)"):
            return None
        return _sas_from_iso(values, kind, check)
    if kind == "integer":
        return check.numbers(values, integer=True, expected="a JSON integer (or null)")
    if kind in ("float", "double"):
        return check.numbers(values, expected="a JSON number (or null)")
    if kind == "decimal" or target in ("integer", "decimal"):
        return check.numbers(values, text_ok=True, integer=target == "integer",
                             expected="a decimal number as text, e.g. \"2.50\" (or null)")
    if kind == "boolean":
        if not check.typed(values, (bool,), "true, false or null"):
            return None
        return pd.Series([pd.NA if v is None else v for v in values], dtype="boolean")
    if not check.text(values, "text (or null)"):
        return None
    fill = "" if blank_missing_text else None
    return pd.Series([fill if v is None else v for v in values], dtype="str")


@dataclass
class _Check:
    """Checks one column's values against its dataType; each failure adds one Problem naming the first
    row at fault, its value and what was expected (and how many rows fail in all)."""

    column: dict
    where: str
    lines: list[int] | None
    problems: list[Problem]

    def fail(self, values: Sequence, bad: Sequence[int], expected: str, why: str = "") -> None:
        first = int(bad[0])
        name, kind = self.column["name"], self.column["dataType"]
        target = self.column.get("targetDataType")
        typed = f"dataType {kind}" + (f", targetDataType {target}" if target else "")
        more = f" ({len(bad)} rows in all)" if len(bad) > 1 else ""
        self.problems.append(Problem(
            self.where, f"row {first + 1}{_on_line(self.lines, first)} ({typed}): value "
                        f"{_describe(values[first])}{why}; expected {expected}{more}", column=name))

    def typed(self, values: Sequence, types: tuple[type, ...], expected: str) -> bool:
        allowed = {*types, _NONE}
        if set(map(type, values)) <= allowed:
            return True
        self.fail(values, [i for i, v in enumerate(values) if type(v) not in allowed], expected)
        return False

    def text(self, values: Sequence, expected: str) -> bool:
        return self.typed(values, (str,), expected)

    def numbers(self, values: Sequence, *, expected: str, integer: bool = False, text_ok: bool = False
                ) -> pd.Series | None:
        numbers = np.full(len(values), np.nan)
        bad: list[int] = []
        for i, value in enumerate(values):
            kind = type(value)
            if value is None:
                continue
            if kind is float or kind is int:
                try:
                    numbers[i] = value
                except OverflowError:  # an integer beyond the float range
                    bad.append(i)
            elif kind is str and text_ok:
                text = value.strip()
                if text and _DECIMAL.fullmatch(text):
                    numbers[i] = float(text)
                elif text:
                    bad.append(i)
            else:
                bad.append(i)
        if bad:
            self.fail(values, bad, expected)
            return None
        infinite = np.flatnonzero(np.isinf(numbers))
        if len(infinite):
            self.fail(values, infinite, "a number within the range of a double (|x| < 1.8e308)")
            return None
        if integer:
            fractional = np.flatnonzero(~np.isnan(numbers) & (np.floor(numbers) != numbers))
            if len(fractional):
                self.fail(values, fractional, expected, " has a fraction")
                return None
            large = np.flatnonzero(np.abs(numbers) > _MAX_EXACT)
            if len(large):
                self.fail(values, large, f"an integer of at most 2**53 in size", " is too large to hold exactly")
                return None
        return pd.Series(numbers, dtype="float64")


def _sas_from_iso(values: tuple, kind: str, check: _Check) -> pd.Series | None:
    """ISO 8601 text as SAS days (dates) or seconds (datetimes, times); "" and null are missing."""
    present = [v not in (None, "") for v in values]
    if kind == "time":
        seconds = np.full(len(values), np.nan)
        bad = []
        for i, value in enumerate(values):
            if not present[i]:
                continue
            match = _TIME.fullmatch(value.strip())
            if match is None or int(match.group(1)) > 24 or int(match.group(2) or 0) > 59:
                bad.append(i)
                continue
            seconds[i] = int(match.group(1)) * 3600 + int(match.group(2) or 0) * 60 + float(match.group(3) or 0)
        if bad:
            check.fail(values, bad, "an ISO 8601 time, e.g. \"13:45:00\"")
            return None
        return pd.Series(seconds, dtype="float64")
    stamps = pd.to_datetime(pd.Series([v if p else None for v, p in zip(values, present)], dtype="object"),
                            errors="coerce", format="ISO8601")
    bad = np.flatnonzero(stamps.isna().to_numpy() & np.array(present, dtype=bool))
    if len(bad):
        example = "\"2024-03-01\"" if kind == "date" else "\"2024-03-01T13:45:00\""
        check.fail(values, bad, f"a complete ISO 8601 {kind}, e.g. {example}")
        return None
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    delta = seconds_since_epoch(stamps)
    return (delta / 86400.0 if kind == "date" else delta).astype("float64")


def _on_line(lines: list[int] | None, index: int) -> str:
    return f" (line {lines[index]})" if lines else ""


def _kind(value: Any) -> str:
    """What a JSON value is, for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _describe(value)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, _Unreadable):
        return f"{_clip(str(value))} (not a number Dataset-JSON can hold)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, float) and math.isinf(value):
        return "a number too large for a double (read as infinity)"
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) or abs(value) < 10**_SHOWN else f"a {len(str(value))}-digit"
        return f"{_clip(text)} (a number)"
    if isinstance(value, str):
        return f"{_clip(value)!r} (text)"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _clip(repr(value))


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


# --- a package folder, with the metadata of its define.xml ------------------------------------------------


def columns_from_define(define, dataset: str, xpt_columns: Sequence[Any]) -> tuple[str, str, list[JsonColumn]]:
    """(itemGroupOID, label, columns) of `dataset` as the define.xml (a DefineDoc) describes it;
    a column define.xml does not describe gets a type from its XPT metadata."""
    group = define.group(dataset)
    refs = {define.items[r.item].name.upper(): r for r in (group.items if group else ()) if r.item in define.items}
    made = []
    for column in xpt_columns:
        ref = refs.get(column.name.upper())
        item = define.items.get(ref.item) if ref else None
        data_type, target, fmt = _json_type(item.data_type if item else None, column)
        length = (item.length if item and item.length else None) if data_type != "string" else \
            (item.length if item and item.length else column.length)
        made.append(JsonColumn(
            item_oid=item.oid if item else f"IT.{dataset.upper()}.{column.name}", name=column.name,
            label=(item.label if item and item.label else column.label) or column.name, data_type=data_type,
            target_data_type=target, length=length if data_type in ("string", "decimal") else None,
            display_format=fmt, key_sequence=ref.key_sequence if ref else None))
    label = (group.label if group and group.label else None) or dataset
    return (group.oid if group else f"IG.{dataset.upper()}"), label, made


def _json_type(define_type: str | None, column) -> tuple[str, str | None, str | None]:
    fmt = (getattr(column, "format", "") or None)
    if column.type == "num":
        kind = sas_format_kind(fmt)
        if kind:
            return kind, "integer", fmt
        if define_type == "integer":
            return "integer", None, fmt
        return "float", None, fmt
    return _TEXT_TYPES.get(define_type or "text", "string"), None, None
