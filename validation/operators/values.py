"""Record operators on the values of one record: presence, comparisons, patterns, numbers, text."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from validation.context import RuleContext
from validation.operators import operator


def _all(frame: pd.DataFrame, value: bool) -> pd.Series:
    return pd.Series(value, index=frame.index, dtype=bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


@operator("exists", params=())
def exists(frame, params, ctx: RuleContext) -> pd.Series:
    """The variable is a column of the dataset (True on every record)."""
    return _all(frame, params["variable"] in frame.columns)


@operator("not_exists", params=())
def not_exists(frame, params, ctx: RuleContext) -> pd.Series:
    """The variable is not a column of the dataset (True on every record)."""
    return _all(frame, params["variable"] not in frame.columns)


@operator("empty")
def empty(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is missing (NaN, "" or blanks). An optional variable (`--STAT?`) that is not a column
    counts as missing on every record."""
    if params.get("variable_absent"):
        return _all(frame, True)
    return ctx.null(params["variable"])


@operator("non_empty")
def non_empty(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present (never, for an optional variable that is not a column)."""
    if params.get("variable_absent"):
        return _all(frame, False)
    return ~ctx.null(params["variable"])


def _equal(params, ctx: RuleContext) -> pd.Series:
    variable = params["variable"]
    case_insensitive = params.get("case_insensitive", False)
    if "other" in params:
        both = ~ctx.null(variable) & ~ctx.null(params["other"])
        left, right = ctx.column(variable), ctx.column(params["other"])
        if pd.api.types.is_numeric_dtype(left.dtype) or pd.api.types.is_numeric_dtype(right.dtype):
            same = ctx.numeric(variable) == ctx.numeric(params["other"])
        else:
            left, right = ctx.text(variable), ctx.text(params["other"])
            same = left.str.upper() == right.str.upper() if case_insensitive else left == right
        return both & same.fillna(False).astype(bool)
    value = params["value"]
    present = ~ctx.null(variable)
    if _is_number(value):
        return present & (ctx.numeric(variable) == float(value)).fillna(False)
    text = ctx.text(variable)
    same = text.str.upper() == str(value).upper() if case_insensitive else text == str(value)
    return present & same.fillna(False).astype(bool)


@operator("equal_to", params=("value", "other", "case_insensitive"))
def equal_to(frame, params, ctx: RuleContext) -> pd.Series:
    """The value equals `value` (a number compares numerically) or the record's `other` variable.
    Missing values never equal anything."""
    return _equal(params, ctx)


@operator("not_equal_to", params=("value", "other", "case_insensitive"))
def not_equal_to(frame, params, ctx: RuleContext) -> pd.Series:
    """The value differs from `value` (a missing value differs), or from the `other` variable (records
    where both are missing are not findings)."""
    equal = _equal(params, ctx)
    if "other" in params:
        both_null = ctx.null(params["variable"]) & ctx.null(params["other"])
        return ~equal & ~both_null
    return ~equal


def _isin(params, ctx: RuleContext) -> pd.Series:
    values = params["value"]
    if not isinstance(values, (list, tuple)):
        raise ValueError("`in`/`not_in` need a list in `value`")
    if values and all(_is_number(v) for v in values):
        return ctx.numeric(params["variable"]).isin([float(v) for v in values])
    if params.get("case_insensitive"):
        return ctx.text(params["variable"]).str.upper().isin([str(v).upper() for v in values])
    return ctx.text(params["variable"]).isin([str(v) for v in values])


@operator("in", required=("value",), params=("case_insensitive",))
def is_in(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is one of the listed values."""
    return _isin(params, ctx) & ~ctx.null(params["variable"])


@operator("not_in", required=("value",), params=("case_insensitive",))
def not_in(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and none of the listed values (missing values are left to presence rules)."""
    return ~_isin(params, ctx) & ~ctx.null(params["variable"])


def _fullmatch(params, ctx: RuleContext) -> pd.Series:
    pattern = params["value"]
    return ctx.per_value(params["variable"], f"fullmatch:{pattern}",
                         lambda t: t.str.fullmatch(pattern).fillna(False).astype(bool)).astype(bool)


@operator("matches_regex", required=("value",))
def matches_regex(frame, params, ctx: RuleContext) -> pd.Series:
    """The value matches the regular expression (whole value; RE2 syntax: no look-arounds)."""
    return _fullmatch(params, ctx) & ~ctx.null(params["variable"])


@operator("not_matches_regex", required=("value",))
def not_matches_regex(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and does not match the regular expression (whole value)."""
    return ~_fullmatch(params, ctx) & ~ctx.null(params["variable"])


@operator("longer_than", required=("value",), params=("bytes",))
def longer_than(frame, params, ctx: RuleContext) -> pd.Series:
    """The text is longer than `value` characters (or UTF-8 bytes with `bytes: true`); numbers are not text."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    text = ctx.text(params["variable"])
    if params.get("bytes"):
        lengths = byte_lengths(text)
    else:
        lengths = text.str.len()
    return (lengths > int(params["value"])).fillna(False).astype(bool)


def arrow_text(text: pd.Series) -> pa.ChunkedArray:
    """The text column as an Arrow array, without a copy when pandas already keeps it in Arrow."""
    if hasattr(text.array, "__arrow_array__"):
        try:
            return pa.chunked_array(text.array.__arrow_array__())
        except (TypeError, pa.ArrowInvalid):
            pass
    return pa.chunked_array([pa.array(text.astype("str"), type=pa.large_string(), from_pandas=True)])


def _mask(array: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    values = array.to_numpy(zero_copy_only=False)
    return pd.Series(np.asarray(values, dtype=object).astype(bool) if values.dtype == object else values,
                     index=index).fillna(False).astype(bool)


def text_matches(text: pd.Series, pattern: str) -> pd.Series:
    """True where the text contains a match of the RE2 `pattern` (one Arrow pass, no Python loop)."""
    return _mask(pc.fill_null(pc.match_substring_regex(arrow_text(text), pattern), False), text.index)


def byte_lengths(text: pd.Series) -> pd.Series:
    """UTF-8 byte length of each value, computed by Arrow."""
    lengths = pc.fill_null(pc.binary_length(arrow_text(text)), 0)
    return pd.Series(lengths.to_numpy(zero_copy_only=False), index=text.index)


def _compare(params, ctx: RuleContext, op) -> pd.Series:
    left = ctx.numeric(params["variable"])
    right = ctx.numeric(params["other"]) if "other" in params else float(params["value"])
    return op(left, right).fillna(False).astype(bool)


@operator("greater_than", params=("value", "other"))
def greater_than(frame, params, ctx: RuleContext) -> pd.Series:
    """Numerically greater than `value` or the `other` variable (missing on either side: no finding)."""
    return _compare(params, ctx, lambda a, b: a > b)


@operator("greater_than_or_equal_to", params=("value", "other"))
def greater_than_or_equal_to(frame, params, ctx: RuleContext) -> pd.Series:
    """Numerically greater than or equal to `value` or `other`."""
    return _compare(params, ctx, lambda a, b: a >= b)


@operator("less_than", params=("value", "other"))
def less_than(frame, params, ctx: RuleContext) -> pd.Series:
    """Numerically less than `value` or `other`."""
    return _compare(params, ctx, lambda a, b: a < b)


@operator("less_than_or_equal_to", params=("value", "other"))
def less_than_or_equal_to(frame, params, ctx: RuleContext) -> pd.Series:
    """Numerically less than or equal to `value` or `other`."""
    return _compare(params, ctx, lambda a, b: a <= b)


NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


def looks_numeric(text: pd.Series) -> pd.Series:
    """True where the text is a plain number ("12", "-0.5", "1e3"); "<0.1", "BLQ" and "" are not."""
    return text.str.strip().str.fullmatch(NUMBER).fillna(False).astype(bool)


def numeric_text(ctx: RuleContext, variable: str) -> pd.Series:
    """`looks_numeric` of a column, computed once per distinct value and cached."""
    return ctx.per_value(variable, "looks_numeric", looks_numeric).astype(bool)


@operator("is_numeric")
def is_numeric(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and a plain number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["variable"]).dtype):
        return ~ctx.null(params["variable"])
    return numeric_text(ctx, params["variable"])


@operator("not_numeric")
def not_numeric(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not a plain number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["variable"]).dtype):
        return _all(frame, False)
    return ~numeric_text(ctx, params["variable"]) & ~ctx.null(params["variable"])


@operator("not_integer")
def not_integer(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not a whole number."""
    numbers_ = ctx.numeric(params["variable"])
    fractional = numbers_.notna() & (np.mod(numbers_.fillna(0), 1) != 0)
    return (numbers_.isna() & ~ctx.null(params["variable"])) | fractional


@operator("numeric_mismatch", required=("other",), params=("tolerance",))
def numeric_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """The numeric `variable` (e.g. --STRESN) does not carry the number written in the text `other`
    (e.g. --STRESC): missing although `other` is a plain number, or a different number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["other"]).dtype):
        is_number = ~ctx.null(params["other"])
    else:
        is_number = numeric_text(ctx, params["other"])
    expected = ctx.numeric(params["other"]).where(is_number)
    actual = ctx.numeric(params["variable"])
    tolerance = float(params.get("tolerance", 1e-9))
    differs = (actual - expected).abs() > tolerance * np.maximum(1.0, expected.abs())
    return is_number & (actual.isna() | differs.fillna(False))


@operator("difference_mismatch", required=("minuend", "subtrahend"), params=("tolerance",))
def difference_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """`variable` (e.g. CHG) is not `minuend` - `subtrahend` (AVAL - BASE), all three present."""
    result = ctx.numeric(params["variable"])
    expected = ctx.numeric(ctx.expand(params["minuend"])) - ctx.numeric(ctx.expand(params["subtrahend"]))
    tolerance = float(params.get("tolerance", 1e-6))
    differs = (result - expected).abs() > tolerance * np.maximum(1.0, expected.abs())
    return (result.notna() & expected.notna() & differs).fillna(False).astype(bool)


@operator("percent_change_mismatch", required=("current", "base"), params=("tolerance",))
def percent_change_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """`variable` (PCHG) is not (current - base) / base * 100 where base is present and not zero."""
    result = ctx.numeric(params["variable"])
    base = ctx.numeric(ctx.expand(params["base"]))
    current = ctx.numeric(ctx.expand(params["current"]))
    expected = (current - base) / base.where(base != 0) * 100
    tolerance = float(params.get("tolerance", 1e-4))
    differs = (result - expected).abs() > tolerance * np.maximum(1.0, expected.abs())
    return (result.notna() & expected.notna() & differs).fillna(False).astype(bool)


def _numeric_column(ctx: RuleContext, variable: str) -> bool:
    return pd.api.types.is_numeric_dtype(ctx.column(variable).dtype)


@operator("non_ascii")
def non_ascii(frame, params, ctx: RuleContext) -> pd.Series:
    """The text holds a character outside printable ASCII (32-126)."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    array = arrow_text(ctx.text(params["variable"]))
    printable = pc.and_(pc.string_is_ascii(array), pc.ascii_is_printable(array))
    return ~_mask(pc.fill_null(printable, True), frame.index)


@operator("unexpected_characters")
def unexpected_characters(frame, params, ctx: RuleContext) -> pd.Series:
    """The text starts with a blank, holds a line break or tab, or is only a period."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    array = arrow_text(ctx.text(params["variable"]))
    bad = pc.or_(pc.or_(pc.starts_with(array, " "), pc.equal(array, ".")), pc.invert(pc.utf8_is_printable(array)))
    return _mask(pc.fill_null(bad, False), frame.index) & ~ctx.null(params["variable"])
