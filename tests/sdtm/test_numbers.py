import math

import pandas as pd
import pytest

from sdtm.numbers import number_problem, to_numbers


@pytest.mark.parametrize("text, words", [
    ("1e400", "too large"), ("-1e400", "too large"), ("1E+999", "too large"),
    ("nan", "not a finite"), ("NaN", "not a finite"), ("inf", "not a finite"), ("-Infinity", "not a finite"),
    ("1e-400", "too small"), ("-2.5e-999", "too small"),
    ("abc", "not a number"), ("1,5", "not a number"),
])
def test_values_that_are_no_number_a_dataset_can_hold(text, words):
    number, problem = to_numbers(pd.Series([text, "2"]))
    assert math.isnan(number[0]) and number[1] == 2.0
    assert words in problem[0] and repr(text) in problem[0] and problem[1] is None


@pytest.mark.parametrize("text, value", [("0", 0.0), ("0.000", 0.0), ("-0", 0.0), ("0e10", 0.0), ("1e308", 1e308),
                                         (" 3.5 ", 3.5), ("1e-300", 1e-300)])
def test_representable_numbers_are_kept(text, value):
    number, problem = to_numbers(pd.Series([text]))
    assert number[0] == value and problem[0] is None


def test_blank_is_missing_without_a_problem():
    number, problem = to_numbers(pd.Series(["", None, "  "]))
    assert number.isna().all() and problem.isna().all()


def test_number_problem_direct():
    assert number_problem("5", 5.0) is None
    assert "too large" in number_problem("1e400", float("inf"))
