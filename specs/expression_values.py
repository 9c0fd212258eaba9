"""Values of the expression language: one Series over a frame's rows, with its kind and its problems.

Kinds: text (pandas `str`, missing = null), number (float64, NaN = null), test (bool, never null) and
null (the literal `null`). Text read from the data counts as null when it is blank. Text and numbers
convert into each other where an operator or function needs the other kind: text that is not a finite
number becomes null with a problem; a number becomes text without a trailing `.0`. Problems are per row
(`str`, missing = none; a row keeps its first problem) so the engine can report each one as a finding
with its raw record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from specs.errors import MappingError

TEXT, NUMBER, TEST, NULL = "text", "number", "test", "null"
VARIABLE = object()  # Value.scalar of a value that may differ between rows


@dataclass(slots=True)
class Value:
    data: pd.Series
    kind: str  # TEXT, NUMBER, TEST or NULL
    problems: pd.Series | None = None  # `str`, missing where the row has no problem
    scalar: Any = VARIABLE  # the value of every row when it is one constant (None for null)


def constant(value: str | float | bool | None, index: pd.Index) -> Value:
    """A literal on every row. Text is kept as written (a blank separator means a blank)."""
    if isinstance(value, bool):
        return Value(pd.Series(value, index=index, dtype=bool), TEST, scalar=value)
    if isinstance(value, float):
        return Value(pd.Series(value, index=index, dtype="float64"), NUMBER, scalar=value)
    if value is None:
        return Value(nulls(index), NULL, scalar=None)
    return Value(pd.Series(value, index=index, dtype="str"), TEXT, scalar=value)


def column(series: pd.Series) -> Value:
    """A frame column: numbers stay numbers, anything else is text with blanks as null."""
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return Value(series.astype("float64"), NUMBER)
    if isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA:
        text = series
    else:
        text = series.astype(object).where(series.notna(), None).astype("str")
    return Value(blank_to_null(text), TEXT)


def nulls(index: pd.Index) -> pd.Series:
    return pd.Series(np.nan, index=index, dtype="str")


def blank_to_null(text: pd.Series) -> pd.Series:
    return text.mask(text.str.strip().eq(""))


def merge_problems(*problems: pd.Series | None) -> pd.Series | None:
    """Per row the first problem among `problems` (None stands for no problems at all)."""
    merged = None
    for p in problems:
        if p is not None:
            merged = p if merged is None else merged.where(merged.notna(), p)
    return merged


def problems_on(rows: pd.Series, messages: pd.Series | str) -> pd.Series | None:
    """Problems on the rows where `rows` is true: one text for all of them or a text per row."""
    mask = rows.to_numpy(dtype=bool)
    if not mask.any():
        return None
    if isinstance(messages, str):
        return pd.Series(np.where(mask, messages, None), index=rows.index, dtype="str")
    return messages.astype("str").where(mask)


def describe_rows(data: pd.Series, rows: pd.Series, template: str) -> pd.Series | None:
    """`template` with {value} filled in (quoted) for each row of `rows`."""
    if not rows.any():
        return None
    texts = data[rows].map(lambda value: template.format(value=repr(value)))
    return problems_on(rows, texts.reindex(data.index))


def to_text(value: Value) -> Value:
    if value.kind == TEXT:
        return value
    if value.kind == NULL:
        return Value(value.data, TEXT, value.problems, None)
    if value.kind == NUMBER:
        scalar = value.scalar
        if scalar is not VARIABLE and scalar is not None:
            scalar = format_numbers(pd.Series([scalar])).iloc[0]
        return Value(format_numbers(value.data), TEXT, value.problems, scalar)
    raise MappingError("a test (true/false) stands where a value is expected")


def to_number(value: Value) -> Value:
    """Numbers from text; text that is not a finite number is null with a problem."""
    if value.kind == NUMBER:
        return value
    index = value.data.index
    if value.kind == NULL:
        return Value(pd.Series(np.nan, index=index, dtype="float64"), NUMBER, value.problems, None)
    if value.kind != TEXT:
        raise MappingError("a test (true/false) stands where a value is expected")
    numbers = pd.to_numeric(value.data.str.strip(), errors="coerce").astype("float64")
    bad = value.data.notna() & ~np.isfinite(numbers)
    problems = describe_rows(value.data, bad, "{value} is not a number")
    scalar = value.scalar
    if scalar is not VARIABLE and scalar is not None:
        number = pd.to_numeric(pd.Series([scalar.strip()]), errors="coerce").astype("float64").iloc[0]
        scalar = float(number) if np.isfinite(number) else None
    return Value(numbers.where(~bad), NUMBER, merge_problems(value.problems, problems), scalar)


def format_numbers(numbers: pd.Series) -> pd.Series:
    """Numbers as text: whole numbers without a decimal point, others in their shortest exact form."""
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    result = np.full(len(values), None, dtype=object)
    finite = np.isfinite(values)
    whole = finite & (np.floor(values) == values) & (np.abs(values) < 1e15)
    result[whole] = values[whole].astype(np.int64).astype(str)
    other = finite & ~whole
    if other.any():
        result[other] = pc.cast(pa.array(values[other]), pa.string()).to_numpy(zero_copy_only=False)
    return pd.Series(result, index=numbers.index, dtype="str")


def common_kind(kinds: list[str]) -> str:
    """The kind of one value chosen among values of `kinds`: text wins over numbers; null if all are null."""
    known = {k for k in kinds if k != NULL}
    if not known:
        return NULL
    if TEST in known:
        return TEST
    return NUMBER if known == {NUMBER} else TEXT


def as_kind(value: Value, kind: str) -> Value:
    if kind == TEXT:
        return to_text(value)
    if kind == NUMBER:
        return to_number(value)
    if kind == TEST and value.kind == NULL:  # a missing test does not hold
        return Value(pd.Series(False, index=value.data.index), TEST, value.problems, False)
    return value


def per_parameters(fn: Callable, data: pd.Series, *params: Value) -> tuple[pd.Series, pd.Series | None]:
    """`fn(data, *scalars) -> (values, problems or None)` once per distinct combination of parameter values
    (a single call when they are literals); rows with a null parameter are null."""
    if all(p.scalar is not VARIABLE for p in params):
        scalars = [p.scalar for p in params]
        if any(s is None for s in scalars):
            return pd.Series(np.nan, index=data.index, dtype=object), None
        return fn(data, *scalars)
    keys = pd.DataFrame({i: p.data.to_numpy() for i, p in enumerate(params)})
    values = np.full(len(data), None, dtype=object)
    problems = np.full(len(data), None, dtype=object)
    for key, positions in keys.groupby(list(keys.columns), sort=False, dropna=True).indices.items():
        part, trouble = fn(data.iloc[positions], *(key if isinstance(key, tuple) else (key,)))
        values[positions] = part.to_numpy(dtype=object)
        if trouble is not None:
            problems[positions] = trouble.to_numpy(dtype=object)
    return pd.Series(values, index=data.index), pd.Series(problems, index=data.index, dtype="str")


def whole(number: float, smallest: int, what: str) -> str | None:
    """Why `number` cannot be the whole-number parameter `what` (None when it can)."""
    if number != int(number) or number < smallest:
        return f"{what} must be a whole number of {smallest} or more, not {number:g}"
    return None
