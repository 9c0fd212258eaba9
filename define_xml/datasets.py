"""What was actually written per dataset, and the facts define.xml takes from the data.

`DatasetInfo` is filled by the caller (from the XPT files or straight from the writer); the functions
here read it: text lengths in bytes, the decimals of floats, the codelist terms a column uses.
Numbers and text are compared as define.xml writes them: whole floats as integers ("1", not "1.0").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    What define.xml takes from a column (its present values, used terms) is computed once per column:
    the frame must not change after the DatasetInfo is made.
    """

    name: str
    href: str
    columns: tuple[Any, ...]
    frame: pd.DataFrame | None = None
    label: str | None = None
    _facts: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def column(self, name: str) -> Any | None:
        wanted = name.upper()
        return next((c for c in self.columns if c.name.upper() == wanted), None)

    def values(self, name: str) -> pd.Series | None:
        """The column's values, or None when the rows were not given or the column is absent."""
        if self.frame is None:
            return None
        by_name = self._fact("names", lambda: _first_by_upper_name(self.frame.columns))
        found = by_name.get(name.upper())
        return None if found is None else self._fact(("values", found), lambda: self.frame[found])

    def present(self, name: str) -> pd.Series | None:
        """`present` of the column's values, computed once; None as for `values`."""
        values = self.values(name)
        return None if values is None else self._fact(("present", name.upper()), lambda: present(values))

    def is_empty(self, name: str) -> bool:
        """The column is there with rows, but without a single present value."""
        values = self.values(name)
        return values is not None and not values.empty and self.present(name).empty

    def used_terms(self, name: str) -> set[str] | None:
        """`used_terms` of the column, computed once (a copy: callers may add to it); None when the rows
        or the column are not there."""
        if self.values(name) is None:
            return None
        return set(self._fact(("terms", name.upper()), lambda: terms_of(self.present(name))))

    def _fact(self, key: Any, make: Any) -> Any:
        if key not in self._facts:
            self._facts[key] = make()
        return self._facts[key]


def _first_by_upper_name(columns) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for column in columns:
        found.setdefault(str(column).upper(), column)
    return found


def index_datasets(datasets: Mapping[str, DatasetInfo] | None) -> dict[str, DatasetInfo] | None:
    """Datasets keyed by upper-case name (None stays None: a spec-only define)."""
    if datasets is None:
        return None
    return {name.upper(): info for name, info in datasets.items()}


def present(series: pd.Series) -> pd.Series:
    """Values that are there: not missing and, for text, not blank (XPT cannot tell blank from missing)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        # the same test as below without six pandas steps: pandas' str.strip is Arrow's utf8_trim_whitespace,
        # and a value it strips to "" is "" or all Unicode whitespace (utf8_is_space, which copies nothing)
        array = pa.chunked_array(series.array.__arrow_array__())
        blank = pc.or_(pc.equal(array, ""), pc.utf8_is_space(array))
        filled = pc.fill_null(pc.invert(blank), False)
        mask = filled.to_numpy(zero_copy_only=False)
        return series if mask.all() else series[mask]
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
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":  # no Python per value
        array = pa.chunked_array(values.array.__arrow_array__())
        return int(pc.max(pc.binary_length(pc.utf8_rtrim(array, characters=" "))).as_py())
    distinct = pd.Series(values.unique())  # the longest value is among the distinct ones
    texts = distinct.map(term_text) if pd.api.types.is_numeric_dtype(values) else distinct.astype("str").str.rstrip(" ")
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
    return terms_of(present(series))


def terms_of(present_values: pd.Series) -> set[str]:
    """The distinct values (already `present`) as define.xml writes coded values."""
    return {term_text(v) for v in present_values.unique()}


def decimals(series: pd.Series | None, limit: int = 12) -> int | None:
    """Most decimals any value needs (rounded to `limit` places first), None without numeric values."""
    if series is None:
        return None
    numbers = pd.to_numeric(pd.Series(present(series).unique()), errors="coerce").dropna()  # distinct: same most
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
