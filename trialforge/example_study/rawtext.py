"""Dates, times and free-text spellings as an EDC site types them, vectorised over numpy arrays.

Dates inside the generator are whole day numbers since 1970-01-01 (int64), so timelines are plain
integer arithmetic; they become text only when a form is written.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

import numpy as np

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - _EPOCH).days


def calendar_date(day: int) -> date:
    return _EPOCH + timedelta(days=int(day))


# Every date the study can hold outside birth dates; a lookup table makes formatting a single take().
_TABLE_FIRST = day_number(date(2015, 1, 1))
_TABLE_LAST = day_number(date(2027, 12, 31))
_DMY = np.array([f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}" for d in
                 (calendar_date(n) for n in range(_TABLE_FIRST, _TABLE_LAST + 1))], dtype=object)


_DMY_LIST = _DMY.tolist()


def date_text(days: np.ndarray | int) -> np.ndarray | str:
    """Complete dates as "12 JAN 2024" (the site's usual format)."""
    if isinstance(days, (int, np.integer)):
        k = int(days) - _TABLE_FIRST
        return _DMY_LIST[k] if 0 <= k < len(_DMY_LIST) else full_date(int(days))
    arr = np.asarray(days, dtype=np.int64)
    if arr.size and (arr.min() < _TABLE_FIRST or arr.max() > _TABLE_LAST):
        return _format_slow(arr)
    out = _DMY[arr - _TABLE_FIRST]
    return out if arr.ndim else str(out)


def _format_slow(arr: np.ndarray) -> np.ndarray | str:
    flat = [full_date(int(n)) for n in arr.ravel()]
    out = np.array(flat, dtype=object).reshape(arr.shape)
    return out if arr.ndim else str(out)


def full_date(day: int) -> str:
    d = calendar_date(day)
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


# Partial-date styles seen on CRFs; each keeps only what the site knew.
PARTIAL_STYLES = ("UN MON YYYY", "MON YYYY", "YYYY-MM", "YYYY", "UNK-UNK-YYYY")


def partial_date(day: int, style: str) -> str:
    """One date written with its day (and maybe month) unknown."""
    d = calendar_date(day)
    month = MONTHS[d.month - 1]
    if style == "UN MON YYYY":
        return f"UN {month} {d.year}"
    if style == "MON YYYY":
        return f"{month} {d.year}"
    if style == "YYYY-MM":
        return f"{d.year}-{d.month:02d}"
    if style == "YYYY":
        return str(d.year)
    if style == "UNK-UNK-YYYY":
        return f"UNK-UNK-{d.year}"
    raise ValueError(f"unknown partial date style {style!r}")


def time_text(minutes: np.ndarray) -> np.ndarray:
    """Minutes after midnight -> "HH:MM"."""
    minutes = np.asarray(minutes, dtype=np.int64) % 1440
    table = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)
    return table[minutes]


def pick(rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...] | None,
         size: int) -> np.ndarray:
    """`size` spellings drawn from `options` with relative `weights` (object array of str)."""
    table = np.array(options, dtype=object)
    if weights is None:
        return table[rng.integers(0, len(options), size)]
    p = np.asarray(weights, dtype=float)
    return table[rng.choice(len(options), size=size, p=p / p.sum())]


_CUMULATIVE: dict[tuple[float, ...], list[float]] = {}


def pick_one(rng: np.random.Generator, options, weights: tuple[float, ...] | None = None):
    """One option (scalar fast path of `pick`: one uniform draw, no numpy call overhead)."""
    if weights is None:
        return options[int(rng.random() * len(options))]
    cumulative = _CUMULATIVE.get(weights)
    if cumulative is None:
        cumulative = _CUMULATIVE.setdefault(weights, list(accumulate(weights)))
    return options[min(bisect_right(cumulative, rng.random() * cumulative[-1]), len(options) - 1)]


def number_text(values: np.ndarray, digits: int) -> list[str]:
    """Numbers with a fixed count of decimals, as a lab report prints them."""
    spec = f"%.{digits}f"
    return [spec % v for v in np.asarray(values, dtype=float).tolist()]
