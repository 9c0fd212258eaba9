"""Raw text -> numbers, with a problem for every value that is not a number a dataset can hold.

A result typed as "1e400" is a number no double can hold (pandas would make it `inf`), "1e-400" one that
would silently become 0, "nan"/"inf" text no measurement: each gives a problem naming the value and a null
number, never a quiet `inf`, `nan` or 0. Pure functions over Series, vectorised over distinct values.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

_NON_FINITE_TEXT = re.compile(r"^[-+]?(?:nan|inf|infinity)$", re.IGNORECASE)
_NONZERO_MANTISSA = re.compile(r"^[^eE]*[1-9]")


def number_problem(text: str, number: float) -> str | None:
    """Why `number` (parsed from `text`) cannot stand for it, or None when it can."""
    if _NON_FINITE_TEXT.match(text.strip()):
        return f"{text!r} is not a finite number"
    if math.isinf(number):
        return f"{text!r} is too large for a number a dataset can hold (it would become infinite)"
    if math.isnan(number):
        return f"{text!r} is not a number"
    if number == 0 and _NONZERO_MANTISSA.match(text.strip()):
        return f"{text!r} is too small for a number a dataset can hold (it would become 0)"
    return None


def to_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float per record, problem text or None per record). Blank text is a missing number, no problem."""
    values = text.astype("string").str.strip()
    number = pd.to_numeric(values.mask(values.eq("")), errors="coerce").astype(float)
    problem = pd.Series([None] * len(text), index=text.index, dtype=object)
    filled = values.notna() & values.ne("")
    suspect = filled.fillna(False).astype(bool) & (~np.isfinite(number) | number.eq(0))
    if suspect.any():
        for value in values[suspect].unique():
            first = number[suspect & values.eq(value)].iloc[0]
            found = number_problem(str(value), float(first))
            if found:
                problem[suspect & values.eq(value)] = found
        number = number.mask(problem.notna())
    return number, problem
