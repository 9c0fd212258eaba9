"""CDISC Dataset-JSON v1.1: write a dataset as .json or .ndjson beside its XPT, and read either back.

Values follow the Dataset-JSON data types: text as strings, integers as JSON integers, floats as
JSON numbers (shortest exact form), SDTM ISO 8601 dates as the text they are. ADaM numeric dates
(SAS days/seconds under a date format) are written as ISO strings with `targetDataType: integer` and
their `displayFormat`, so a receiver can rebuild the SAS numbers. Missing values are null; XPT cannot
tell a blank from a missing text value, so text read from XPT keeps its "" (as CDISC's examples do).

The reader returns the frame the way `trialforge.xpt.read_xpt` does: text as `str`, every number as
float64 and ADaM dates back as SAS numbers, so the .json and the .xpt of a dataset read alike.

`write_folder_dataset_json` writes every XPT of a package folder as Dataset-JSON with the OIDs, labels,
lengths and keys of the define.xml in that folder, so the two always agree.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specs.errors import ExportError, InputError, Problem

log = logging.getLogger(__name__)

DATASET_JSON_VERSION = "1.1.0"
DATA_TYPES = frozenset({"string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time",
                        "URI"})
_SAS_EPOCH = pd.Timestamp("1960-01-01")
_DATE_FORMATS = ("DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "MMDDYY", "DDMMYY", "DAY", "MONYY", "WEEKDATE")
_DATETIME_FORMATS = ("DATETIME", "E8601DT", "IS8601DT", "B8601DT", "E8601DN", "DATEAMPM")
_TIME_FORMATS = ("TIME", "E8601TM", "IS8601TM", "B8601TM", "TOD", "HHMM")
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


def sas_format_kind(display_format: str | None) -> str | None:
    """'date', 'datetime' or 'time' when a SAS format shows numbers as such, else None."""
    name = (display_format or "").upper().rstrip("0123456789.")
    for kind, names in (("datetime", _DATETIME_FORMATS), ("date", _DATE_FORMATS), ("time", _TIME_FORMATS)):
        if name in names:
            return kind
    return None


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
        unit = "D" if kind == "date" else "s"
        stamps = _SAS_EPOCH + pd.to_timedelta(numbers.astype("float64"), unit=unit)
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


def read_dataset_json(path: str | os.PathLike, *, blank_missing_text: bool = False) -> tuple[pd.DataFrame, dict]:
    """Read a Dataset-JSON v1.1 file (.json or .ndjson): the frame and its metadata (everything but rows).

    Text comes back as `str` (null as missing, or as "" with `blank_missing_text`, which is what XPT
    reading gives), numbers as float64, ADaM dates (`targetDataType: integer`) as SAS numbers,
    ISO 8601 text dates as text, booleans as `boolean`.
    """
    where = str(path)
    metadata, rows = _load(Path(path))
    columns = metadata.get("columns")
    if not isinstance(columns, list) or any(not isinstance(c, dict) or "name" not in c for c in columns):
        raise InputError(f"{where}: not Dataset-JSON", [Problem(where, "no 'columns' list of named columns")])
    width = len(columns)
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise InputError(f"{where}: row {n} has {len(row) if isinstance(row, list) else 'no'} values, "
                             f"expected {width}", [Problem(where, "row length differs from the columns", row=n)])
    transposed = list(zip(*rows)) if rows else [()] * width
    data = {c["name"]: _column(values, c, blank_missing_text, where) for c, values in zip(columns, transposed)}
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    records = metadata.get("records")
    if isinstance(records, int) and records != len(rows):
        log.warning("%s: 'records' says %d but the file holds %d rows", where, records, len(rows))
    return frame, metadata


def _load(path: Path) -> tuple[dict, list]:
    where = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            if path.suffix.lower() == ".ndjson":
                first = handle.readline()
                metadata = json.loads(first)
                rows = [json.loads(line) for line in handle if line.strip()]
            else:
                metadata = json.load(handle)
                rows = metadata.pop("rows", []) if isinstance(metadata, dict) else []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{where}: cannot be read as Dataset-JSON", [Problem(where, str(error))]) from error
    if not isinstance(metadata, dict):
        raise InputError(f"{where}: not Dataset-JSON", [Problem(where, "the top level is not an object")])
    return metadata, rows


def _column(values: tuple, column: dict, blank_missing_text: bool, where: str) -> pd.Series:
    kind = column.get("dataType", "string")
    target = column.get("targetDataType")
    if target == "integer" and kind in ("date", "datetime", "time"):
        return _sas_from_iso(values, kind, column["name"], where)
    if kind in ("integer", "float", "double", "decimal") or target in ("integer", "decimal"):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if kind == "boolean":
        return pd.Series([pd.NA if v is None else bool(v) for v in values], dtype="boolean")
    fill = "" if blank_missing_text else None
    return pd.Series([fill if v is None else str(v) for v in values], dtype="str")


def _sas_from_iso(values: tuple, kind: str, name: str, where: str) -> pd.Series:
    if kind == "time":
        return pd.Series([np.nan if v is None else _seconds(v) for v in values], dtype="float64")
    stamps = pd.to_datetime(pd.Series([None if v in (None, "") else v for v in values], dtype="object"),
                            errors="coerce", format="ISO8601")
    if stamps.isna().sum() != sum(v in (None, "") for v in values):
        raise InputError(f"{where}: {name} holds values that are not ISO 8601 {kind}s",
                         [Problem(where, f"{name}: not ISO 8601", column=name)])
    delta = (stamps - _SAS_EPOCH).dt.total_seconds()
    return (delta / 86400.0 if kind == "date" else delta).astype("float64")


def _seconds(text: str) -> float:
    hours, minutes, seconds = (text.split(":") + ["0", "0"])[:3]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


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


def write_folder_dataset_json(
    folder: str | os.PathLike,
    *,
    created: datetime,
    ndjson: bool = False,
    define_path: str | os.PathLike | None = None,
    encoding: str = "utf-8",
) -> list[Path]:
    """Every XPT in `folder` also as Dataset-JSON (.json, or .ndjson), with define.xml's metadata."""
    from define_xml.model import read_define_tree
    from trialforge import __version__
    from trialforge.xpt import read_xpt

    folder = Path(folder)
    define_file = Path(define_path) if define_path else folder / "define.xml"
    if not define_file.is_file():
        raise InputError(f"{folder}: no define.xml to take Dataset-JSON metadata from",
                         [Problem(str(define_file), "write define.xml first")])
    define = read_define_tree(define_file)
    reference = os.path.relpath(define_file, folder).replace(os.sep, "/")
    written = []
    for xpt in sorted(folder.glob("*.xpt")):
        frame, meta = read_xpt(xpt, encoding=encoding)
        name = (meta.name or xpt.stem).upper()
        group_oid, label, columns = columns_from_define(define, name, meta.columns)
        target = xpt.with_suffix(".ndjson" if ndjson else ".json")
        written.append(write_dataset_json(
            frame, target, name=name, label=label, columns=columns, study_oid=define.study_oid,
            metadata_version_oid=define.mdv_oid, item_group_oid=group_oid, ndjson=ndjson, created=created,
            source_system=("trialforge", __version__), metadata_ref=reference))
    log.info("wrote %d Dataset-JSON files in %s", len(written), folder)
    return written
