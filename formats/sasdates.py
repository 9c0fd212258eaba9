"""SAS dates and datetimes: numbers counted from 1960-01-01, the SAS formats that show them, and the
conversions to and from pandas. XPT, Dataset-JSON and the validation rules all use these, so the epoch
and the list of date formats exist once.

A SAS date is days since 1960-01-01, a SAS datetime (and a time) seconds; which one a number is comes
from its format (DATE9. -> date, DATETIME20. -> datetime, TIME8. -> time) or, in ADaM, from its name
(*DT a date, *DTM a datetime).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from specs.errors import ExportError

SAS_EPOCH = pd.Timestamp("1960-01-01")
_EPOCH_US = np.datetime64("1960-01-01T00:00:00", "us")

# SAS format names (without width and decimals) that show a number as a date, a datetime or a time.
DATE_FORMATS = frozenset({"DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "YYMMDDN", "MMDDYY", "DDMMYY", "DAY",
                          "MONYY", "WEEKDATE"})
DATETIME_FORMATS = frozenset({"DATETIME", "E8601DT", "IS8601DT", "B8601DT", "E8601DN", "DATEAMPM"})
TIME_FORMATS = frozenset({"TIME", "E8601TM", "IS8601TM", "B8601TM", "TOD", "HHMM"})


def sas_format_kind(display_format: str | None) -> str | None:
    """'date', 'datetime' or 'time' when a SAS format shows numbers as such, else None."""
    name = (display_format or "").upper().lstrip("$").rstrip("0123456789.")
    for kind, names in (("datetime", DATETIME_FORMATS), ("date", DATE_FORMATS), ("time", TIME_FORMATS)):
        if name in names:
            return kind
    return None


def sas_date(series) -> pd.Series:
    """Days since 1960-01-01 (float, NaN for missing) for dates/datetimes; a time part is dropped."""
    stamps = _as_datetime64(series)
    days = stamps.astype("datetime64[D]") - _EPOCH_US.astype("datetime64[D]")
    return _with_missing(days.astype(np.int64).astype(np.float64), np.isnat(stamps), series)


def sas_datetime(series) -> pd.Series:
    """Seconds since 1960-01-01T00:00:00 (float, microsecond precision, NaN for missing)."""
    stamps = _as_datetime64(series)
    micros = (stamps - _EPOCH_US).astype(np.int64)
    return _with_missing(micros / 1e6, np.isnat(stamps), series)


def seconds_since_epoch(stamps: pd.Series) -> pd.Series:
    """datetime64 values as float seconds since 1960-01-01 (fractions kept; NaN for NaT)."""
    return (stamps - SAS_EPOCH).dt.total_seconds().astype("float64")


def from_sas(numbers: pd.Series, kind: str) -> pd.Series:
    """SAS numbers as datetime64: days for kind "date", seconds for "datetime"; NaN becomes NaT."""
    if kind not in ("date", "datetime"):
        raise ValueError(f"kind must be 'date' or 'datetime', not {kind!r}")
    return SAS_EPOCH + pd.to_timedelta(numbers, unit="D" if kind == "date" else "s")


def _as_datetime64(series) -> np.ndarray:
    """Wall-clock datetime64[us] of date-like values; text is refused (it may be a partial date)."""
    s = series if isinstance(series, pd.Series) else pd.Series(series)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in {"datetime64", "datetime", "date", "empty"}:
        raise ExportError(
            f"expected dates or datetimes, got {kind} values (first: {s.dropna().iloc[0]!r}); "
            "ISO text must be parsed on purpose before it becomes a SAS date"
        )
    stamps = pd.to_datetime(s)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[us]")


def _with_missing(values: np.ndarray, missing: np.ndarray, like) -> pd.Series:
    values[missing] = np.nan
    index = like.index if isinstance(like, pd.Series) else None
    return pd.Series(values, index=index, dtype="float64")
