"""Small helpers that keep text columns in one shape: object dtype, None for missing.

pandas 3 stores text as a `str` dtype whose missing value is NaN; SDTM text columns here are object
columns holding str or None, so tests, writers and checks see one kind of null.
"""

from __future__ import annotations

import pandas as pd


def as_text(series: pd.Series) -> pd.Series:
    """Object Series of str or None; blank strings stay as they are."""
    out = series.astype(object)
    return out.where(out.notna(), None)


def nulls(index: pd.Index) -> pd.Series:
    """An object Series of None (pandas 3 turns Series(None, dtype=object) into NaN)."""
    return pd.Series([None] * len(index), index=index, dtype=object)


def blank_to_none(series: pd.Series) -> pd.Series:
    """Trim text; empty after trimming becomes None (vectorised string methods, not a Python loop)."""
    text = series.astype("string").str.strip()
    return as_text(text.mask(text == ""))
