"""What was actually written per dataset, and the facts define.xml takes from the data.

`DatasetInfo` is filled by the caller (from the XPT files or straight from the writer); the functions
here read it: text lengths in bytes, the decimals of floats, the codelist terms a column uses.
Numbers and text are compared as define.xml writes them: whole floats as integers ("1", not "1.0").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specs.errors import SpecError
from specs.whereclause import WhereClause

log = logging.getLogger(__name__)

DATE_TYPES = frozenset({
    "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime", "incompleteDatetime",
    "incompleteDate", "incompleteTime", "durationDatetime", "intervalDatetime",
})
NUMERIC_TYPES = frozenset({"integer", "float"})


@dataclass(frozen=True)
class DatasetInfo:
    """One written dataset: its file (href relative to define.xml), its columns and, optionally, its rows.

    `columns` are XptColumn-like objects: `name`, `label`, `type` ("char"/"num"), `length`, `format`.
    """

    name: str
    href: str
    columns: tuple[Any, ...]
    frame: pd.DataFrame | None = None
    label: str | None = None

    def column(self, name: str) -> Any | None:
        wanted = name.upper()
        return next((c for c in self.columns if c.name.upper() == wanted), None)

    def values(self, name: str) -> pd.Series | None:
        """The column's values, or None when the rows were not given or the column is absent."""
        if self.frame is None:
            return None
        found = next((c for c in self.frame.columns if str(c).upper() == name.upper()), None)
        return None if found is None else self.frame[found]


def index_datasets(datasets: Mapping[str, DatasetInfo] | None) -> dict[str, DatasetInfo] | None:
    """Datasets keyed by upper-case name (None stays None: a spec-only define)."""
    if datasets is None:
        return None
    return {name.upper(): info for name, info in datasets.items()}


def present(series: pd.Series) -> pd.Series:
    """Values that are there: not missing and, for text, not blank (XPT cannot tell blank from missing)."""
    values = series.dropna()
    if values.empty:
        return values
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    return values[values.astype("str").str.strip() != ""]


def text_length(series: pd.Series | None) -> int | None:
    """Longest value in UTF-8 bytes (trailing blanks do not count), None when there is no value."""
    if series is None:
        return None
    values = present(series)
    if values.empty:
        return None
    texts = values.map(term_text) if pd.api.types.is_numeric_dtype(values) else values.astype("str").str.rstrip(" ")
    return int(texts.map(lambda t: len(t.encode("utf-8"))).max())


def term_text(value: Any) -> str:
    """A value as define.xml writes a coded value: numbers without a trailing '.0'."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return np.format_float_positional(float(value), trim="-")
    return str(value).rstrip(" ")


def same_term(a: str, b: str) -> bool:
    """Coded values match as text, or as numbers when both are numbers ("1" and "1.0")."""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def used_terms(series: pd.Series | None) -> set[str]:
    if series is None:
        return set()
    return {term_text(v) for v in present(series).unique()}


def decimals(series: pd.Series | None, limit: int = 12) -> int | None:
    """Most decimals any value needs (rounded to `limit` places first), None without numeric values."""
    if series is None:
        return None
    numbers = pd.to_numeric(present(series), errors="coerce").dropna()
    numbers = numbers[np.isfinite(numbers.to_numpy(dtype="float64"))]
    if numbers.empty:
        return None
    texts = numbers.round(limit).map(lambda v: np.format_float_positional(float(v), trim="-"))
    return int(texts.map(lambda t: len(t.split(".", 1)[1]) if "." in t else 0).max())


def masked(info: DatasetInfo | None, variable: str, where: WhereClause | None) -> pd.Series | None:
    """`variable`'s values in the rows `where` selects; None when rows or columns are not there."""
    if info is None or info.frame is None or where is None:
        return None
    values = info.values(variable)
    if values is None:
        return None
    try:
        mask = where.mask(info.frame)
    except SpecError as error:  # a where clause naming a column the data lacks: no data-driven facts
        log.debug("%s: %s", info.name, error)
        return None
    return values[mask]
