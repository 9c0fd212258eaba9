"""ISO 8601 text -> ADaM dates: parsing and imputation with flags (the study day is `formats.isodates.study_day`).

Rules (ADaMIG *DTF/*TMF; the imputation choices follow admiral's `derive_vars_dt`, re-expressed here):
- a complete date is never changed and gets no flag;
- with `imputation="first"` a missing day becomes the 1st (flag "D"), a missing month (with or without a
  day) becomes 1 January (flag "M"); with `"last"` the last day of the month / 31 December;
- a missing year is never imputed: the date stays null;
- restrictions: the partial value stands for a range of possible dates [lo, hi]. Dates in `max_dates` that
  fall inside the range shrink its upper end, dates in `min_dates` inside the range raise its lower end.
  "first" then takes the (raised) lower end, "last" the (shrunk) upper end. So an AE starting "2024-03"
  when lymphodepletion began 2024-03-10 is imputed to 2024-03-10 (it may be treatment-emergent), unless
  the AE's own complete end date, given in `max_dates`, is earlier: then it is imputed to 2024-03-01;
- text that is not ISO 8601 (or names an impossible day) gives a null date and a logged warning.

Everything is vectorised; distinct strings are parsed once (`factorize`), so a million records of a few
thousand distinct dates cost little.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

_ISO = (
    r"^(?P<year>\d{4}|-)"
    r"(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-))?)?"
    r"(?:T(?P<hour>\d{2}|-)(?::(?P<minute>\d{2}|-)(?::(?P<second>\d{2})(?:\.\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?$"
)
_NAT = np.datetime64("NaT", "D")

DateLike = pd.Series | dt.date | pd.Timestamp | np.datetime64 | None


@dataclass(frozen=True)
class ParsedDtc:
    """Components of ISO 8601 values, one float array per component (NaN = not given)."""

    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    hour: np.ndarray
    minute: np.ndarray
    second: np.ndarray
    invalid: np.ndarray  # text present but not a valid ISO 8601 date


def parse_dtc(dtc: pd.Series) -> ParsedDtc:
    """Split ISO 8601 text into numeric components; distinct values are parsed once."""
    text = _as_text(dtc)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parts = pd.Series(uniques, dtype=object).str.extract(_ISO)
    numeric = {name: pd.to_numeric(parts[name].where(parts[name] != "-"), errors="coerce").to_numpy(float, copy=True)
               for name in ("year", "month", "day", "hour", "minute", "second")}
    bad = parts["year"].isna().to_numpy().copy()
    month, day = numeric["month"], numeric["day"]
    bad |= (month < 1) | (month > 12)
    with np.errstate(invalid="ignore"):
        dim = _days_in_month(numeric["year"], month)
    bad |= (day < 1) | (day > dim)
    bad |= (numeric["hour"] > 23) | (numeric["minute"] > 59) | (numeric["second"] > 59)
    missing = codes < 0
    take = np.where(missing, 0, codes)

    def spread(values: np.ndarray) -> np.ndarray:
        if len(values) == 0:
            return np.full(len(codes), np.nan)
        out = values[take].astype(float)
        out[missing] = np.nan
        return out

    invalid = spread(bad.astype(float)) == 1.0
    if invalid.any():
        examples = sorted(set(text[invalid].head(5)))
        log.warning("%d value(s) of %s are not ISO 8601 dates and are treated as missing, e.g. %s",
                    int(invalid.sum()), dtc.name or "a date column", examples)
    comp = {name: spread(values) for name, values in numeric.items()}
    for values in comp.values():
        values[invalid] = np.nan
    return ParsedDtc(invalid=invalid, **comp)


def compute_dt(
    dtc: pd.Series,
    imputation: str | None = None,
    min_dates: Sequence[DateLike] = (),
    max_dates: Sequence[DateLike] = (),
    highest_imputation: str = "M",
) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 text -> (date as datetime64[ns], imputation flag "D"/"M"/null); see module doc.

    `highest_imputation="D"` imputes only a missing day (a missing month leaves the date null).
    """
    if imputation not in (None, "first", "last"):
        raise ValueError(f"imputation must be None, 'first' or 'last', not {imputation!r}")
    if highest_imputation not in ("D", "M"):
        raise ValueError(f"highest_imputation must be 'D' or 'M', not {highest_imputation!r}")
    return _impute(parse_dtc(dtc), dtc, imputation, min_dates, max_dates, highest_imputation)


def _impute(parsed: ParsedDtc, dtc: pd.Series, imputation: str | None, min_dates: Sequence[DateLike],
            max_dates: Sequence[DateLike], highest: str = "M") -> tuple[pd.Series, pd.Series]:
    lo, hi, flag = _date_range(parsed)
    if highest == "D":
        flag = np.where(flag == "M", "Y", flag)  # treated like a missing year: not imputed
    if imputation is None:
        result = np.where(flag == "", lo, _NAT)
        flags = np.full(len(result), None, dtype=object)
    else:
        imputed = flag != ""
        for limit in _as_day_arrays(max_dates, len(lo)):
            inside = (limit >= lo) & (limit < hi)
            hi = np.where(inside, limit, hi)
        for limit in _as_day_arrays(min_dates, len(lo)):
            inside = (limit > lo) & (limit <= hi)
            lo = np.where(inside, limit, lo)
        chosen = lo if imputation == "first" else hi
        result = np.where(imputed, chosen, lo)
        allowed = flag != "Y"
        result = np.where(allowed, result, _NAT)
        flags = np.where(imputed & allowed, flag, None).astype(object)
    index = dtc.index
    return (pd.Series(result.astype("datetime64[ns]"), index=index, name=dtc.name),
            pd.Series(flags, index=index, dtype="str"))


def compute_dtm(
    dtc: pd.Series,
    date_imputation: str | None = None,
    time_imputation: str = "first",
    min_dates: Sequence[DateLike] = (),
    max_dates: Sequence[DateLike] = (),
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """ISO 8601 text -> (datetime64[ns], date flag, time flag "H"/"M"/"S").

    The time is imputed to 00:00:00 ("first") or 23:59:59 ("last"); a value whose date was imputed gets
    its whole time imputed (flag "H").
    """
    if time_imputation not in ("first", "last"):
        raise ValueError(f"time_imputation must be 'first' or 'last', not {time_imputation!r}")
    if date_imputation not in (None, "first", "last"):
        raise ValueError(f"imputation must be None, 'first' or 'last', not {date_imputation!r}")
    parsed = parse_dtc(dtc)
    dates, dflag = _impute(parsed, dtc, date_imputation, min_dates, max_dates)
    fill = {"first": (0, 0, 0), "last": (23, 59, 59)}[time_imputation]
    date_imputed = dflag.notna().to_numpy()
    hour = np.where(date_imputed, np.nan, parsed.hour)
    minute = np.where(np.isnan(hour), np.nan, parsed.minute)
    second = np.where(np.isnan(minute), np.nan, parsed.second)
    tflag = np.select([np.isnan(hour), np.isnan(minute), np.isnan(second)], ["H", "M", "S"], "")
    offset = (np.where(np.isnan(hour), fill[0], hour) * 3600 + np.where(np.isnan(minute), fill[1], minute) * 60
              + np.where(np.isnan(second), fill[2], second))
    dtm = dates + pd.to_timedelta(offset, unit="s")
    tflag = np.where((tflag == "") | dates.isna().to_numpy(), None, tflag).astype(object)
    return dtm.astype("datetime64[ns]"), dflag, pd.Series(tflag, index=dtc.index, dtype="str")


def compute_duration_days(start: pd.Series, end: pd.Series) -> pd.Series:
    """Days from start to end counting both ends (end - start + 1), as float (AVAL of a TTE parameter)."""
    return ((_to_day_series(end) - _to_day_series(start)).dt.days + 1).astype(float)


def complete_dates(dtc: pd.Series) -> pd.Series:
    """Only complete dates (no imputation), as datetime64[ns]."""
    return compute_dt(dtc)[0]


def _date_range(parsed: ParsedDtc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest and highest possible date of each partial value, and the flag imputation would set."""
    year, month, day = parsed.year, parsed.month, parsed.day
    has_year, has_month = ~np.isnan(year), ~np.isnan(month)
    has_day = has_month & ~np.isnan(day)  # a day without a month is ignored: the month is imputed
    first_month = np.where(has_month, month, 1)
    last_month = np.where(has_month, month, 12)
    safe_year = np.where(has_year, year, 1970)
    lo = _month_start(safe_year, first_month) + (np.where(has_day, day, 1) - 1).astype("timedelta64[D]")
    hi_start = _month_start(safe_year, last_month)
    last_day = _days_in_month(safe_year, last_month)
    hi = hi_start + (np.where(has_day, day, last_day) - 1).astype("timedelta64[D]")
    lo = np.where(has_year, lo, _NAT)
    hi = np.where(has_year, hi, _NAT)
    flag = np.select([~has_year, ~has_month, ~has_day], ["Y", "M", "D"], "")
    return lo, hi, flag


def _month_start(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    months = ((year - 1970) * 12 + (month - 1)).astype("int64")
    return months.astype("datetime64[M]").astype("datetime64[D]")


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    safe_year = np.where(np.isnan(year), 1970, year)
    safe_month = np.where(np.isnan(month) | (month < 1) | (month > 12), 1, month)
    start = _month_start(safe_year, safe_month)
    nxt = (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return (nxt - start).astype(int).astype(float)


def _as_text(values: pd.Series) -> pd.Series:
    """Text with blanks as missing (XPT cannot tell "" from missing)."""
    text = values.astype("str").str.strip()
    return text.where(text != "")


def _as_day_arrays(limits: Sequence[DateLike], size: int) -> list[np.ndarray]:
    arrays = []
    for limit in limits:
        if limit is None:
            continue
        if isinstance(limit, pd.Series):
            arrays.append(_to_day_series(limit).to_numpy().astype("datetime64[D]"))
        else:
            arrays.append(np.full(size, np.datetime64(pd.Timestamp(limit).date(), "D")))
    return arrays


def _to_day_series(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.floor("D")
