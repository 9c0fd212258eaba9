"""ISO 8601 dates as SDTM and ADaM hold them, and the study day computed from them: pure format logic,
used alike by the SDTM mapping, the ADaM derivations and the validation rules.

SDTM dates are ISO 8601 text that may be partial ("2024", "2024-03", "2024---12"); only a date complete to
the day is a date one can count days with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def complete_date(iso: pd.Series) -> pd.Series:
    """datetime64 of the date part where the ISO 8601 text is complete to the day (calendar checked), else
    NaT: "2024-02-30", "2024-03" and "" are all NaT. Each distinct text is parsed once: a million records
    hold a few thousand dates."""
    codes, uniques = _distinct(iso)
    if not len(uniques):  # nothing but missing values: as the parser makes them
        return _complete_date(iso)
    return _spread(_complete_date(uniques), codes, iso)


def _complete_date(iso: pd.Series) -> pd.Series:
    text = iso.astype("string").str.slice(0, 10)
    full = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    return pd.to_datetime(text.where(full), format="%Y-%m-%d", errors="coerce")


def period_bounds(iso: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last day (datetime64) of the period an ISO 8601 date names: the day itself when complete,
    the month for `2024-03`, the year for `2024`; NaT for anything else (or an impossible date)."""
    codes, uniques = _distinct(iso)
    if not len(uniques):
        return _period_bounds(iso)
    first, last = _period_bounds(uniques)
    return _spread(first, codes, iso), _spread(last, codes, iso)


def _period_bounds(iso: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = iso.astype("string").str.slice(0, 10)
    day = _complete_date(iso)
    month = text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
    year = text.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    month_start = pd.to_datetime(text.where(month) + "-01", format="%Y-%m-%d", errors="coerce")
    year_start = pd.to_datetime(text.where(year) + "-01-01", format="%Y-%m-%d", errors="coerce")
    first = day.fillna(month_start).fillna(year_start)
    last = day.fillna(month_start + pd.offsets.MonthEnd(0)).fillna(year_start + pd.offsets.YearEnd(0))
    return first, last


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(a code per record, -1 where missing; the distinct values as a Series)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(uniques)


def _spread(per_value: pd.Series, codes: np.ndarray, like: pd.Series) -> pd.Series:
    """The per-value results back on every record of `like` (NaT where its value is missing)."""
    values = per_value.to_numpy()
    spread = np.where(codes >= 0, values[np.maximum(codes, 0)], np.datetime64("NaT"))
    return pd.Series(spread.astype(values.dtype), index=like.index, name=like.name)


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM --DY and ADaM *DY: date - reference + 1 on/after the reference, date - reference before it;
    there is no day 0 (SDTMIG 4.4.4, CG0007).

    Each side is datetime64 (its date part counts) or ISO 8601 text (only complete dates count). Null
    where either date is missing or partial. Nullable Int64, aligned on the index the two share.
    """
    days = (_day(dates) - _day(reference)).dt.days
    return days.where(days < 0, days + 1).astype("Int64")


def _day(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.floor("D")
    if pd.api.types.infer_dtype(values, skipna=True) in ("datetime64", "datetime", "date"):
        return pd.to_datetime(values).dt.floor("D")
    return complete_date(values)
