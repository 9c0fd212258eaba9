"""The function registry: every documented example evaluates to its documented result (so the generated
spec-language docs cannot drift), and each function's edge cases: nulls, blanks, unicode, bad values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from specs.expression_functions import FUNCTIONS, function_reference
from specs.expression_values import format_numbers
from specs.expressions import parse_expression


def run(expression, **columns):
    """Values and problems of `expression` over a frame of the given text columns (None = missing)."""
    frame = pd.DataFrame(columns, dtype="str")
    result, problems = parse_expression(expression).evaluate(frame)
    clean = [None if (not isinstance(v, (bool, np.bool_)) and pd.isna(v)) else v for v in result]
    return clean, [None if pd.isna(p) else p for p in problems]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_example_gives_its_documented_result(name):
    function = FUNCTIONS[name]
    expression, row, expected = function.example
    parsed = parse_expression(expression)
    assert not parsed.issues and name in parsed.functions, (expression, parsed.issues)
    result, problems = run(expression, **{k: [v] for k, v in row.items()})
    assert result == [expected] and problems == [None]
    assert type(result[0]) is type(expected) or isinstance(result[0], (bool, np.bool_)) == isinstance(expected, bool)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_signature_and_arity_agree(name):
    function = FUNCTIONS[name]
    assert function.name == name and function.signature.startswith(f"{name}(") and function.description
    inside = function.signature[len(name) + 1:-1]
    required = [p for p in inside.split("[")[0].split(",") if p.strip()]
    optional = inside.count("[")
    assert function.min_args == len(required) - ("..." in inside)  # "a, b, ...": a and b at least
    assert function.max_args == (None if "..." in inside else len(required) + optional)


def test_function_reference_lists_every_function_by_name():
    reference = function_reference()
    assert [r["name"] for r in reference] == sorted(FUNCTIONS)
    substr = next(r for r in reference if r["name"] == "substr")
    assert substr == {"name": "substr", "signature": "substr(s, start[, length])",
                      "description": FUNCTIONS["substr"].description, "example": "substr(AESTDAT, 4, 3)",
                      "input": {"AESTDAT": "12-MAR-2024"}, "result": "MAR"}


# --- text -----------------------------------------------------------------------------------------------

S = ["Fièvre", "  a b  ", "", None, "ö"]


def test_case_and_blanks():
    assert run("upper(S)", S=S)[0] == ["FIÈVRE", "  A B  ", None, None, "Ö"]
    assert run("lower(S)", S=S)[0] == ["fièvre", "  a b  ", None, None, "ö"]
    assert run("strip(S)", S=S)[0] == ["Fièvre", "a b", None, None, "ö"]
    assert run("lstrip(S)", S=S)[0] == ["Fièvre", "a b  ", None, None, "ö"]
    assert run("rstrip(S)", S=S)[0] == ["Fièvre", "  a b", None, None, "ö"]
    assert run("length(S)", S=S)[0] == [6.0, 7.0, None, None, 1.0]
    assert run("upper(number(S))", S=["1.50"])[0] == ["1.5"]  # a number argument of a text function is text


def test_substr():
    assert run("substr(S, 2)", S=S)[0] == ["ièvre", " a b  ", None, None, None]
    assert run("substr(S, 2, 2)", S=["abcdef", "a", "ab"])[0] == ["bc", None, "b"]  # past the end: null
    assert run("substr(S, 1, 0)", S=["abc"])[0] == [None]
    assert run("substr(S, null)", S=["abc"])[0] == [None]


def test_split_part():
    sites = ["US-101-004", "FR", "", None, "a--b"]
    assert run("split_part(S, '-', 1)", S=sites)[0] == ["US", "FR", None, None, "a"]
    assert run("split_part(S, '-', 3)", S=sites)[0] == ["004", None, None, None, "b"]
    assert run("split_part(S, '-', 2)", S=sites)[0] == ["101", None, None, None, None]  # an empty part is null
    assert run("split_part(S, '-', -1)", S=sites)[0] == ["004", "FR", None, None, "b"]
    assert run("split_part(S, '.', 2)", S=["a.b"])[0] == ["b"]  # the separator is text, not a pattern


def test_regex_extract():
    doses = ["2.5 mg daily", "10mg", "ten mg", "", None]
    result, problems = run("regex_extract(S, '([0-9.]+) *mg')", S=doses)
    assert result == ["2.5", "10", None, None, None]
    assert problems == [None, None, "'ten mg' does not match '([0-9.]+) *mg' (in regex_extract(S, '([0-9.]+) *mg'))",
                        None, None]
    assert run("regex_extract(S, '[0-9]+')", S=["ab12cd34"])[0] == ["12"]  # no group: the whole first match
    assert run("regex_extract(S, '([a-z]+)([0-9]+)', 2)", S=["ab12"])[0] == ["12"]
    assert run("regex_extract(S, '([a-z]+)([0-9]+)', 0)", S=["xab12"])[0] == ["xab12"]
    assert run("regex_extract(S, '(?i)(mg)')", S=["10 MG"])[0] == ["MG"]  # global flags stay in front
    assert run("regex_extract(S, '(?P<n>[0-9]+)')", S=["v7"])[0] == ["7"]
    assert run("regex_extract(S, 'a(x)?b')", S=["ab"]) == ([None], [None])  # matched; the group did not take part


def test_regex_replace_and_matches():
    assert run("regex_replace(S, '^<\\s*', '')", S=["< 5", "<10", "5", None])[0] == ["5", "10", "5", None]
    assert run("regex_replace(S, '([0-9]+)/([0-9]+)', '\\2 of \\1')", S=["1/3"])[0] == ["3 of 1"]
    assert run("regex_replace(S, '.*', '')", S=["abc"])[0] == [None]  # nothing left: null
    assert run("matches(S, '^UNS')", S=["UNS1", "SCR", "", None])[0] == [True, False, False, False]
    assert run("matches(S, '(?i)^uns')", S=["UNS1"])[0] == [True]


def test_concat_and_pad():
    assert run("concat(A, '-', B)", A=["x", None, None], B=["y", "y", None])[0] == ["x-y", "-y", "-"]
    assert run("concat(A, B)", A=[None, ""], B=["", None])[0] == [None, None]  # nothing at all: null
    assert run("concat(A, 1.50, 2)", A=["n"])[0] == ["n1.52"]
    assert run("lpad(S, 3, '0')", S=["7", "1234", "", None])[0] == ["007", "1234", None, None]
    assert run("rpad(S, 3)", S=["é"])[0] == ["é  "]


# --- choosing and numbers -------------------------------------------------------------------------------

def test_coalesce_and_if():
    assert run("coalesce(A, B)", A=["a", "", None], B=["b", "b", None])[0] == ["a", "b", None]
    assert run("coalesce(number(A), 0)", A=["2", "", "x"]) == (
        [2.0, 0.0, 0.0], [None, None, "'x' is not a number (in number(A))"])  # a problem where A was used
    assert run("if(A == 'y', B, 'none')", A=["y", "n", None], B=["b", "b", "b"])[0] == ["b", "none", "none"]


def test_number_and_text():
    texts = ["42", " 42 ", "4.20", "-1e3", "abc", "", None, "inf", "nan", "1,5", "0x10"]
    result, problems = run("number(S)", S=texts)
    assert result == [42.0, 42.0, 4.2, -1000.0, None, None, None, None, None, None, None]
    assert problems == [None] * 4 + ["'abc' is not a number (in number(S))", None, None,
                                     "'inf' is not a number (in number(S))", "'nan' is not a number (in number(S))",
                                     "'1,5' is not a number (in number(S))", "'0x10' is not a number (in number(S))"]
    assert run("text(number(S))", S=["3.0", "2.50", "-0", "1e20", "0.1", "1e-7", "123456789012"])[0] == [
        "3", "2.5", "0", "1e+20", "0.1", "1e-7", "123456789012"]


def test_round_halves_away_from_zero_and_abs():
    values = ["2.5", "-2.5", "2.675", "1.005", "0.125", None, "1234.5"]
    assert run("round(number(S))", S=values)[0] == [3.0, -3.0, 3.0, 1.0, 0.0, None, 1235.0]
    assert run("round(number(S), 2)", S=values)[0] == [2.5, -2.5, 2.68, 1.01, 0.13, None, 1234.5]
    assert run("round(number(S), -2)", S=values)[0] == [0.0, -0.0, 0.0, 0.0, 0.0, None, 1200.0]
    assert run("abs(number(S))", S=["-1.5", "2", None])[0] == [1.5, 2.0, None]


def test_format_numbers_vectorised():
    numbers = pd.Series([3.0, np.nan, -2.25, 1e15, 7.0], index=[5, 6, 7, 8, 9])
    formatted = format_numbers(numbers)
    assert list(formatted.index) == [5, 6, 7, 8, 9]
    assert [None if pd.isna(v) else v for v in formatted] == ["3", None, "-2.25", "1e+15", "7"]


def test_descriptions_are_one_line_and_examples_name_their_fields():
    for function in FUNCTIONS.values():
        assert "\n" not in function.description and len(function.description) < 250
        expression, row, _ = function.example
        assert set(parse_expression(expression).fields) == set(row), function.name
        assert all(isinstance(v, str) for v in row.values())  # raw data is text
        assert re.match(r"[a-z_]+\(", function.signature)
