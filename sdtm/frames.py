"""Small helpers that keep text columns in one shape: pandas' `str` dtype, NaN for missing.

pandas 3 stores text as a pyarrow-backed `str` dtype and infers it whenever a Series is built from
strings. Keeping every SDTM text column in that dtype avoids converting millions of values between
Python objects and Arrow at each step (measured: the conversions were most of the SDTM stage's time
at 5,000 subjects). Missing text is NaN: test with `isna()`, never `is None`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_text(series: pd.Series) -> pd.Series:
    """The Series as pandas `str` (NaN for missing); blank strings stay as they are."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is not pd.NA:
        return series
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.map(lambda v: v if pd.isna(v) else str(v)).astype("str")
    missing = series.isna()
    if series.dtype == object and not missing.any():  # nothing to make None first (None, NaN, NaT)
        return series.astype("str")
    return series.astype(object).where(~missing, None).astype("str")


def nulls(index: pd.Index) -> pd.Series:
    """A `str` Series of missing values."""
    return pd.Series(np.nan, index=index, dtype="str")  # not a list of None: each would be converted


def blank_to_none(series: pd.Series) -> pd.Series:
    """Trim text; empty after trimming becomes None (vectorised string methods, not a Python loop)."""
    text = as_text(series).str.strip()
    return text.mask(text == "")


def value_codes(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each column's values as integer codes, equal where the values are equal as text (missing is its own
    code): what `frame[columns].astype("string").fillna(...)` would compare, without building the text (a
    hash per value; this ran for every raw form and every domain)."""
    codes = {}
    for position, column in enumerate(columns):
        values = frame[column]
        if not (isinstance(values.dtype, pd.StringDtype)
                or values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")):
            values = values.astype("string")  # numbers and mixed objects compare as their text
        codes[position] = pd.factorize(values, use_na_sentinel=True)[0]
    return pd.DataFrame(codes, index=frame.index)
