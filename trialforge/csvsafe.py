"""CSV files a reviewer opens in Excel: no cell may run as a formula (CSV injection).

A text cell that starts with `=`, `@`, a tab or a carriage return, or with `+`/`-` when it is not a
plain number, is written with a leading apostrophe, as OWASP advises; Excel shows the text as it was
typed. Numbers such as `-5` or `+3.2` stay numbers. The xlsx reports do the same.
"""

from __future__ import annotations

import re

import pandas as pd

_FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9.]+(?:[eE][+-]?[0-9]+)?$))")
_FORMULA_FIRST = "=@\t\r+-"  # the first characters _FORMULA_START can match


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot be read as formulas; other cells unchanged."""
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string")
        # only a cell starting with one of these characters can be risky: the regex (with a look-ahead,
        # which Arrow's engine lacks, so Python's, cell by cell) runs on those few alone
        candidate = text.str.slice(0, 1).isin(list(_FORMULA_FIRST)).fillna(False).astype(bool)
        if not candidate.any():
            continue
        risky = pd.Series(False, index=text.index)
        risky[candidate] = text[candidate].str.contains(_FORMULA_START, na=False).astype(bool)
        if risky.any():
            changed[column] = values.astype("object").where(~risky, "'" + text[risky].astype("object"))
    return frame.assign(**changed) if changed else frame


def neutralise_cell(value: str) -> str:
    """One text value made inert for a spreadsheet (for writers that go cell by cell)."""
    return "'" + value if _FORMULA_START.match(value) else value
