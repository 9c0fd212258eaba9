"""Values of the expression language: columns and literals, conversions between text and numbers with their
problems, the first-problem-wins rule, and running a function once per distinct parameter value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from specs.errors import MappingError
from specs.expression_values import (
    NULL, NUMBER, TEST, TEXT, VARIABLE, Value, as_kind, column, common_kind, constant, merge_problems, per_parameters,
    to_number, to_text,
)


def plain(series):
    return [None if (not isinstance(v, (bool, np.bool_)) and pd.isna(v)) else v for v in series]


def test_columns_text_with_blanks_as_null_numbers_as_numbers():
    text = column(pd.Series(["a", "", "  ", None, " b "], dtype="str"))
    assert text.kind == TEXT and plain(text.data) == ["a", None, None, None, " b "] and text.scalar is VARIABLE
    mixed = column(pd.Series(["x", None, 3], dtype=object))
    assert mixed.kind == TEXT and plain(mixed.data) == ["x", None, "3"]
    nullable = column(pd.Series(["x", pd.NA], dtype="string"))  # pandas' NA-backed text becomes NaN-backed
    assert nullable.kind == TEXT and plain(nullable.data) == ["x", None]
    numbers = column(pd.Series(pd.array([1, None], dtype="Int64")))
    assert numbers.kind == NUMBER and numbers.data.dtype == "float64" and plain(numbers.data) == [1.0, None]


def test_constants():
    index = pd.RangeIndex(3)
    assert constant("  ", index).kind == TEXT and constant("  ", index).scalar == "  "  # literals as written
    assert constant(2.0, index).kind == NUMBER and plain(constant(2.0, index).data) == [2.0] * 3
    assert constant(True, index).kind == TEST and constant(None, index).kind == NULL
    assert constant(None, index).scalar is None


def test_text_to_number_and_back():
    value = to_number(Value(pd.Series(["1", " 2.50", "x", None], dtype="str"), TEXT))
    assert plain(value.data) == [1.0, 2.5, None, None]
    assert plain(value.problems) == [None, None, "'x' is not a number", None]
    assert to_number(constant(" 7 ", pd.RangeIndex(2))).scalar == 7.0
    assert to_number(constant("seven", pd.RangeIndex(2))).scalar is None
    assert to_text(constant(7.0, pd.RangeIndex(1))).scalar == "7"
    assert plain(to_text(Value(pd.Series([1.5, np.nan, 2.0]), NUMBER)).data) == ["1.5", None, "2"]
    with pytest.raises(MappingError, match="a test"):
        to_text(constant(True, pd.RangeIndex(1)))


def test_first_problem_wins():
    first = pd.Series(["a", None, None], dtype="str")
    second = pd.Series(["b", "b", None], dtype="str")
    assert plain(merge_problems(None, first, second)) == ["a", "b", None]
    assert merge_problems(None, None) is None


@pytest.mark.parametrize("kinds, kind", [
    ([TEXT, NUMBER], TEXT), ([NUMBER, NULL], NUMBER), ([NULL, NULL], NULL), ([TEST, NULL], TEST), ([TEXT], TEXT),
])
def test_common_kind(kinds, kind):
    assert common_kind(kinds) == kind


def test_a_null_test_does_not_hold():
    assert plain(as_kind(constant(None, pd.RangeIndex(2)), TEST).data) == [False, False]


def test_per_parameters_calls_once_per_distinct_value():
    calls = []

    def take(data, n):
        calls.append(n)
        return data.str.slice(0, int(n)), None

    data = pd.Series(["abc", "abc", "abc", "abc"], dtype="str")
    lengths = Value(pd.Series([1.0, 2.0, 1.0, np.nan]), NUMBER)
    values, problems = per_parameters(take, data, lengths)
    assert sorted(calls) == [1.0, 2.0] and plain(values) == ["a", "ab", "a", None] and problems.isna().all()
    calls.clear()
    values, _ = per_parameters(take, data, constant(2.0, data.index))
    assert calls == [2.0] and plain(values) == ["ab"] * 4
    values, _ = per_parameters(take, data, constant(None, data.index))
    assert plain(values) == [None] * 4
