"""Record operators on the values of one record: presence, comparisons, patterns, numbers, text."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from validation.context import RuleContext, arrow_text, byte_lengths  # noqa: F401 - byte_lengths: for operators
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
    return ctx.present(params["variable"])


def _equal(params, ctx: RuleContext) -> pd.Series:
    variable = params["variable"]
    case_insensitive = params.get("case_insensitive", False)
    if "other" in params:
        both = ctx.present(variable) & ctx.present(params["other"])
        left, right = ctx.column(variable), ctx.column(params["other"])
        if pd.api.types.is_numeric_dtype(left.dtype) or pd.api.types.is_numeric_dtype(right.dtype):
            same = ctx.numeric(variable) == ctx.numeric(params["other"])
        else:
            left, right = ctx.text(variable), ctx.text(params["other"])
            same = left.str.upper() == right.str.upper() if case_insensitive else left == right
        return both & _bool(same)
    value = params["value"]
    present = ctx.present(variable)
    if _is_number(value):
        return present & (ctx.numeric(variable) == float(value)).fillna(False)
    text = ctx.text(variable)
    same = text.str.upper() == str(value).upper() if case_insensitive else text == str(value)
    return present & _bool(same)


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
    return _isin(params, ctx) & ctx.present(params["variable"])


@operator("not_in", required=("value",), params=("case_insensitive",))
def not_in(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and none of the listed values (missing values are left to presence rules)."""
    return ~_isin(params, ctx) & ctx.present(params["variable"])


def _fullmatch(params, ctx: RuleContext) -> pd.Series:
    pattern = params["value"]
    return ctx.per_value(params["variable"], f"fullmatch:{pattern}",
                         lambda t: t.str.fullmatch(pattern).fillna(False).astype(bool)).pipe(_bool)


@operator("matches_regex", required=("value",))
def matches_regex(frame, params, ctx: RuleContext) -> pd.Series:
    """The value matches the regular expression (whole value; RE2 syntax: no look-arounds)."""
    return _fullmatch(params, ctx) & ctx.present(params["variable"])


@operator("not_matches_regex", required=("value",))
def not_matches_regex(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and does not match the regular expression (whole value)."""
    return ~_fullmatch(params, ctx) & ctx.present(params["variable"])


@operator("longer_than", required=("value",), params=("bytes",))
def longer_than(frame, params, ctx: RuleContext) -> pd.Series:
    """The text is longer than `value` characters (or UTF-8 bytes with `bytes: true`); numbers are not text."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    if params.get("bytes"):
        lengths = ctx.byte_lengths(params["variable"])
    else:
        lengths = ctx.text(params["variable"]).str.len()
    return _bool(lengths > int(params["value"]))


def _mask(array: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    values = array.to_numpy(zero_copy_only=False)
    if values.dtype == bool:  # no nulls: nothing to fill
        return pd.Series(values, index=index)
    return pd.Series(np.asarray(values, dtype=object).astype(bool) if values.dtype == object else values,
                     index=index).fillna(False).astype(bool)


def both(left: pd.Series, right: pd.Series) -> pd.Series:
    """`left & right` for two bool masks of one frame, as numpy does it (pandas' `&` costs ten times more)."""
    return pd.Series(left.to_numpy() & right.to_numpy(), index=left.index)


def _bool(mask: pd.Series) -> pd.Series:
    """The mask as plain bool, missing as False (spared two copies when it is plain bool already)."""
    return mask if mask.dtype == bool else mask.fillna(False).astype(bool)


def text_matches(text: pd.Series, pattern: str) -> pd.Series:
    """True where the text contains a match of the RE2 `pattern` (one Arrow pass, no Python loop)."""
    return _mask(pc.fill_null(pc.match_substring_regex(arrow_text(text), pattern), False), text.index)


def _compare(params, ctx: RuleContext, op) -> pd.Series:
    left = ctx.numeric(params["variable"])
    right = ctx.numeric(params["other"]) if "other" in params else float(params["value"])
    return _bool(op(left, right))


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
    return _bool(ctx.per_value(variable, "looks_numeric", looks_numeric))


@operator("is_numeric")
def is_numeric(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and a plain number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["variable"]).dtype):
        return ctx.present(params["variable"])
    return numeric_text(ctx, params["variable"])


@operator("not_numeric")
def not_numeric(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not a plain number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["variable"]).dtype):
        return _all(frame, False)
    return ~numeric_text(ctx, params["variable"]) & ctx.present(params["variable"])


@operator("not_integer")
def not_integer(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not a whole number."""
    numbers_ = ctx.numeric(params["variable"])
    fractional = numbers_.notna() & (np.mod(numbers_.fillna(0), 1) != 0)
    return (numbers_.isna() & ctx.present(params["variable"])) | fractional


@operator("numeric_mismatch", required=("other",), params=("tolerance",))
def numeric_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """The numeric `variable` (e.g. --STRESN) does not carry the number written in the text `other`
    (e.g. --STRESC): missing although `other` is a plain number, or a different number."""
    if pd.api.types.is_numeric_dtype(ctx.column(params["other"]).dtype):
        is_number = ctx.present(params["other"])
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
    return _bool(result.notna() & expected.notna() & differs)


@operator("percent_change_mismatch", required=("current", "base"), params=("tolerance",))
def percent_change_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """`variable` (PCHG) is not (current - base) / base * 100 where base is present and not zero."""
    result = ctx.numeric(params["variable"])
    base = ctx.numeric(ctx.expand(params["base"]))
    current = ctx.numeric(ctx.expand(params["current"]))
    expected = (current - base) / base.where(base != 0) * 100
    tolerance = float(params.get("tolerance", 1e-4))
    differs = (result - expected).abs() > tolerance * np.maximum(1.0, expected.abs())
    return _bool(result.notna() & expected.notna() & differs)


def _numeric_column(ctx: RuleContext, variable: str) -> bool:
    return pd.api.types.is_numeric_dtype(ctx.column(variable).dtype)


@operator("non_ascii")
def non_ascii(frame, params, ctx: RuleContext) -> pd.Series:
    """The text holds a character outside printable ASCII (32-126)."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    return ctx.per_value(params["variable"], "non_ascii", _non_ascii, keep=False)


def _non_ascii(text: pd.Series) -> pd.Series:
    array = arrow_text(text)
    printable = pc.and_(pc.string_is_ascii(array), pc.ascii_is_printable(array))
    return pd.Series(~_mask(pc.fill_null(printable, True), text.index).to_numpy(), index=text.index)


@operator("unexpected_characters")
def unexpected_characters(frame, params, ctx: RuleContext) -> pd.Series:
    """The text starts with a blank, holds a line break or tab, or is only a period."""
    if _numeric_column(ctx, params["variable"]):
        return _all(frame, False)
    bad = ctx.per_value(params["variable"], "unexpected_characters", _unexpected, keep=False)
    return both(bad, ctx.present(params["variable"]))


def _unexpected(text: pd.Series) -> pd.Series:
    array = arrow_text(text)
    bad = pc.or_(pc.or_(pc.starts_with(array, " "), pc.equal(array, ".")), pc.invert(pc.utf8_is_printable(array)))
    return _mask(pc.fill_null(bad, False), text.index)
