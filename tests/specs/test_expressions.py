"""Evaluating expressions on whole columns: null semantics, comparisons, arithmetic, case, problems kept to the
rows that use them, unknown fields, and the checks beyond syntax (`Expression.issues`, `kind`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from specs.errors import MappingError
from specs.expressions import UnknownFieldError, parse_expression
from specs.reader import check_spec, read_spec

# Raw frames are text; blank cells are "" (or whitespace), missing ones NaN.
RAW = pd.DataFrame({
    "AEONGO": ["Yes", "", "No", None, "  "],
    "AGE": ["17", "18", "abc", "", " 40 "],
    "IT.SITE": ["US-101", "FR-7", "", "DE", "JP-9-2"],
    "Visit Name": ["Day 1", "Screening", "Unscheduled 1", "Día 8", "Screening"],
    "TERM": ["Fièvre", "headache", "NAUSÉE", "", "Rash"],
}, dtype="str", index=[10, 11, 12, 13, 14])  # a non-default index: results keep it


def values(expression, frame=RAW, **options):
    result, problems = parse_expression(expression).evaluate(frame, **options)
    assert list(result.index) == list(frame.index) and list(problems.index) == list(frame.index)
    return [None if (not isinstance(v, (bool, np.bool_)) and pd.isna(v)) else v for v in result], \
        [None if pd.isna(p) else p for p in problems]


def test_a_plain_field_is_its_column_as_read():
    result, problems = parse_expression("AEONGO").evaluate(RAW)
    assert result.equals(RAW["AEONGO"]) and result.dtype == RAW["AEONGO"].dtype  # blanks kept as read
    assert problems.isna().all()
    assert parse_expression(" `Visit Name` ").plain_field == "Visit Name"
    assert parse_expression("upper(AEONGO)").plain_field is None


@pytest.mark.parametrize("text, expected", [
    # blank text is null: == with a null operand is false, != true
    ("AEONGO == 'Yes'", [True, False, False, False, False]),
    ("AEONGO != 'Yes'", [False, True, True, True, True]),
    ("AEONGO = 'No' or AEONGO <> 'No'", [True] * 5),  # <> is != : true for null
    ("AEONGO is null", [False, True, False, True, True]),
    ("AEONGO is not null", [True, False, True, False, False]),
    ("AEONGO in ('Yes', 'No')", [True, False, True, False, False]),
    ("AEONGO not in ('Yes')", [False, True, True, True, True]),
    ("not AEONGO == 'Yes'", [False, True, True, True, True]),
    ("AEONGO == 'yes'", [False] * 5),  # values compare exactly
    ("null is null", [True] * 5),
    # a number on either side: numeric comparison; text that is no number is false (and a problem)
    ("AGE >= 18", [False, True, False, False, True]),
    ("AGE == 40", [False, False, False, False, True]),
    ("AGE in (17, 40)", [True, False, False, False, True]),
    ("AGE != 18", [True, False, True, True, True]),
    # text with text: text order
    ("TERM < 'N'", [True, False, False, False, False]),  # 'headache' > 'N' (lower case sorts after)
    ("`Visit Name` >= 'S'", [False, True, True, False, True]),
    # and / or / not over tests
    ("AEONGO == 'Yes' or AGE > 30", [True, False, False, False, True]),
    ("AEONGO is null and AGE is not null", [False, True, False, False, True]),
    ("true and not false", [True] * 5),
    ("matches(IT.SITE, '^[A-Z]{2}-') and split_part(IT.SITE, '-', 2) == '7'", [False, True, False, False, False]),
])
def test_tests(text, expected):
    result, _ = values(text)
    assert result == expected
    assert parse_expression(text).mask(RAW).tolist() == expected


def test_problems_of_a_comparison_name_the_value_and_the_part_of_the_expression():
    _, problems = values("AGE >= 18")
    assert problems == [None, None, "'abc' is not a number (in AGE >= 18)", None, None]
    _, problems = values("number(AGE) > 1 or AGE in (3, 4)")
    assert problems[2] == "'abc' is not a number (in number(AGE))"  # the first problem of a row wins


@pytest.mark.parametrize("text, expected", [
    ("upper(TERM)", ["FIÈVRE", "HEADACHE", "NAUSÉE", None, "RASH"]),
    ("TERM || '!'", ["Fièvre!", "headache!", "NAUSÉE!", None, "Rash!"]),  # null propagates through ||
    ("concat(TERM, '!')", ["Fièvre!", "headache!", "NAUSÉE!", "!", "Rash!"]),  # but not through concat
    ("IT.SITE || '/' || `Visit Name`", ["US-101/Day 1", "FR-7/Screening", None, "DE/Día 8", "JP-9-2/Screening"]),
    ("number(AGE) + 1", [18.0, 19.0, None, None, 41.0]),
    ("-number(AGE) * 2", [-34.0, -36.0, None, None, -80.0]),
    ("AGE / 4", [4.25, 4.5, None, None, 10.0]),
    ("AGE - 1 - 1", [15.0, 16.0, None, None, 38.0]),  # left to right
    ("'n=' || AGE * 2", ["n=34", "n=36", None, None, "n=80"]),  # numbers as text without .0
    ("coalesce(AEONGO, TERM, 'none')", ["Yes", "headache", "No", "none", "Rash"]),
    ("if(AEONGO == 'Yes', 'ONGOING', null)", ["ONGOING", None, None, None, None]),
    ("null", [None] * 5),
    ("''", [None] * 5),  # a blank result is null
    ("strip('  ') || 'x'", [None] * 5),
])
def test_values(text, expected):
    assert values(text)[0] == expected


def test_arithmetic_problems():
    result, problems = values("100 / (number(AGE) - 18)")
    assert result[0] == -100.0 and result[1] is None and result[4] == pytest.approx(100 / 22)
    assert problems == [None, "division by zero (in 100 / (number(AGE) - 18))",
                        "'abc' is not a number (in number(AGE))", None, None]
    _, problems = values("AGE * 1e308 * 10")
    assert problems[4] == "the result is not a finite number (in AGE * 1e308)"


def test_case_takes_the_first_holding_branch_and_nests():
    text = """case when AGE is null then 'unknown'
                   when number(AGE) < 18 then 'minor'
                   when number(AGE) < 30 then case when AEONGO == 'Yes' then 'young, ongoing' else 'young' end
                   else 'adult' end"""
    result, problems = values(text)
    assert result == ["minor", "young", "adult", "unknown", "adult"]  # 'abc' < 18 does not hold: a problem
    assert problems == [None, None, "'abc' is not a number (in number(AGE))", None, None]
    assert values("case when AEONGO == 'Yes' then 1 end")[0] == [1.0, None, None, None, None]  # no else: null
    assert values("case when AEONGO == 'Yes' then 1 else 'no' end")[0] == ["1", "no", "no", "no", "no"]
    tests = parse_expression("case when AGE is null then false else AEONGO is null end")
    assert tests.kind == "test" and tests.mask(RAW).tolist() == [False, True, False, False, True]


def test_problems_count_only_where_their_part_is_used():
    guarded = "case when matches(AGE, '^ *[0-9]+ *$') then number(AGE) end"
    assert values(guarded) == ([17.0, 18.0, None, None, 40.0], [None] * 5)
    assert values("if(AGE == 'abc', 0, number(AGE))")[1] == [None] * 5
    assert values("coalesce(AEONGO, number(AGE))")[1] == [None] * 5  # row 12 takes AEONGO
    assert values("matches(AGE, '^[0-9]+$') and number(AGE) > 1")[1] == [None] * 5
    assert values("AGE == 'abc' or number(AGE) > 1")[1] == [None] * 5
    assert values("AGE != 'abc' and number(AGE) > 1 or number(AGE) < 0")[1][2] == \
        "'abc' is not a number (in number(AGE))"  # the `or` branch is evaluated where the `and` failed


def test_numeric_columns_stay_numbers():
    frame = pd.DataFrame({"N": [1.0, np.nan, 2.5], "I": pd.array([3, None, 4], dtype="Int64"),
                          "T": ["1", "x", ""]})
    assert values("N + I", frame)[0] == [4.0, None, 6.5]
    assert values("text(N) || '/' || I", frame)[0] == ["1/3", None, "2.5/4"]
    assert values("N == T", frame) == ([True, False, False], [None, "'x' is not a number (in N == T)", None])
    assert values("I is null", frame)[0] == [False, True, False]


def test_text_option_gives_computed_numbers_as_text():
    assert values("number(AGE) * 2", text=True)[0] == ["34", "36", None, None, "80"]
    assert values("number(AGE) / 8", text=True)[0][0] == "2.125"


def test_an_empty_frame_gives_empty_results():
    empty = RAW.iloc[:0]
    for text in ("AEONGO == 'x'", "upper(TERM)", "number(AGE) + 1", "substr(TERM, 2)", "case when AGE > 1 then 1 end",
                 "split_part(IT.SITE, '-', 1)", "AGE in ('a', 1)"):
        result, problems = parse_expression(text).evaluate(empty)
        assert len(result) == 0 and len(problems) == 0, text


def test_an_unknown_field_is_a_mapping_error_naming_it_and_the_columns():
    with pytest.raises(UnknownFieldError) as error:
        parse_expression("upper(AETERM) || TERM").evaluate(RAW.assign(__row=1))
    assert error.value.field == "AETERM" and isinstance(error.value, MappingError)
    assert "'AETERM' is not a column of the data (columns: AEONGO, AGE, IT.SITE, Visit Name, TERM)" in str(error.value)
    with pytest.raises(UnknownFieldError, match="'aeongo'"):  # names match exactly
        parse_expression("aeongo == 'Yes'").mask(RAW)


def test_mask_needs_a_test_and_evaluate_refuses_an_expression_with_issues():
    with pytest.raises(MappingError, match="is not a test"):
        parse_expression("upper(TERM)").mask(RAW)
    with pytest.raises(MappingError, match="unknown function 'uper'"):
        parse_expression("uper(TERM)").evaluate(RAW)


def test_text_fields_and_functions_of_an_expression():
    expression = parse_expression("  coalesce(A, `B c`) == upper(A) and IT.X in (1)  ")
    assert str(expression) == expression.text == "coalesce(A, `B c`) == upper(A) and IT.X in (1)"
    assert expression.fields == ("A", "B c", "IT.X") and expression.functions == ("coalesce", "upper")
    assert expression == parse_expression("coalesce(A, `B c`) == upper(A) and IT.X in (1)")


@pytest.mark.parametrize("text, kind", [
    ("A", "value"), ("A == 1", "test"), ("null", "null"), ("true", "test"), ("upper(A)", "value"),
    ("matches(A, 'x')", "test"), ("if(A == 1, null, null)", "null"), ("case when A == 1 then true end", "test"),
    ("case when A == 1 then null end", "null"), ("A || 1", "value"), ("not A == 1", "test"),
])
def test_kind(text, kind):
    assert parse_expression(text).kind == kind and not parse_expression(text).issues


@pytest.mark.parametrize("text, position, fragment", [
    ("uper(A)", 1, "unknown function 'uper'; did you mean upper?"),
    ("zzz(A)", 1, "known: abs, coalesce"),
    ("upper(A, B)", 1, "upper takes 1 argument (upper(s)), not 2"),
    ("substr(A)", 1, "substr takes 2 to 3 arguments"),
    ("coalesce(A)", 1, "coalesce takes 2 or more arguments (coalesce(a, b, ...)), not 1"),
    ("A and B == 1", 1, "expected a test (true/false) such as X == 'Y', found 'A'"),
    ("not A", 5, "expected a test"),
    ("if(A, 1, 2)", 4, "expected a test"),
    ("upper(A == 1)", 7, "is a test (true/false), not a value"),
    ("(A == 1) + 1", 1, "'(A == 1)' is a test"),
    ("(A == 1) == true", 13, "'true' is a test"),
    ("A == ''", 6, "'' is blank, and blank text counts as null"),
    ("A in ('x', ' ')", 12, "is blank"),
    ("A != null", 6, "a comparison with null is never true; write 'is null' or 'is not null'"),
    ("case when A == 1 then true else 'x' end", 23, "'true' is a test, but other branches of the case give values"),
    ("case when A then 1 end", 11, "expected a test"),
    ("regex_extract(A, B)", 18, "argument 2 of regex_extract must be a text in quotes"),
    ("regex_extract(A, '(')", 1, "regex_extract: '(' is not a regular expression"),
    ("regex_extract(A, 'a(b)', 2)", 1, "the group must be a whole number from 0 to 1"),
    ("regex_replace(A, 'a', '\\2')", 1, "does not fit the pattern 'a': invalid group reference 2"),
    ("matches(A, '[')", 1, "is not a regular expression"),
    ("substr(A, 0)", 1, "substr: the start must be a whole number of 1 or more, not 0"),
    ("substr(A, 1, 2.5)", 1, "the length must be a whole number of 0 or more"),
    ("substr(A, 'x')", 1, "the start must be a number"),
    ("split_part(A, '', 1)", 1, "the separator must not be empty"),
    ("split_part(A, '-', 0)", 1, "the part must be a whole number other than 0"),
    ("lpad(A, 3, 'ab')", 1, "the padding must be one character"),
    ("rpad(A, -1)", 1, "the width must be a whole number of 0 or more"),
    ("round(A, 0.5)", 1, "the number of decimals must be a whole number"),
])
def test_issues_name_the_character_and_the_problem(text, position, fragment):
    issues = parse_expression(text).issues
    assert any(i.position == position and fragment in i.message for i in issues), [str(i) for i in issues]
    assert all(str(i).startswith(f"at character {i.position}: ") for i in issues)


def test_literal_arguments_run_the_function_once_over_the_column():
    frame = pd.DataFrame({"S": [f"ab{i % 7}cd" for i in range(200_000)]}, dtype="str")
    result, problems = parse_expression("upper(substr(S, 2, 3)) || split_part(S, 'c', -1)").evaluate(frame)
    assert result.iloc[8] == "B1Cd" and problems.isna().all() and len(result) == 200_000


def test_per_row_arguments_are_grouped_by_value():
    frame = pd.DataFrame({"S": ["abcdef", "abcdef", "xyz", "abc", None], "N": ["2", "3", "2", "0", "1"]}, dtype="str")
    result, problems = parse_expression("substr(S, number(N))").evaluate(frame)
    assert [None if pd.isna(v) else v for v in result] == ["bcdef", "cdef", "yz", None, None]
    assert [None if pd.isna(p) else p for p in problems] == [
        None, None, None, "the start must be a whole number of 1 or more, not 0 (in substr(S, number(N)))", None]
    assert math.isnan(parse_expression("lpad(S, number(N))").evaluate(frame)[0].iloc[4])


# --- in a spec workbook: Condition and Source Field cells ---------------------------------------------------

def _mapping_cells(condition=None, source_field="AETERM"):
    """A change for the conftest `book` fixture: one more AE Mapping row (spreadsheet row 10)."""
    def change(sheets):
        header = sheets["Mapping"][0]
        row = [6, "AE", "AETERM", "AE", source_field, "assign_no_ct", None, None, condition, None]
        sheets["Mapping"].append(row[:len(header)])
    return change


def _problems(book, **cells):
    _, problems = check_spec(book(_mapping_cells(**cells)))
    return [(p.sheet, p.row, p.column, p.message) for p in problems if p.severity == "error"]


def test_the_reader_parses_condition_and_source_field_once(book):
    spec = read_spec(book(_mapping_cells(condition="AESER == 'Y' or upper(AESEV) in ('SEVERE')",
                                         source_field="concat(AETERM, ' (', `AE Term`, ')')")))
    row = spec.mappings_of("AE")[-1]
    assert row.source_field == "concat(AETERM, ' (', `AE Term`, ')')"  # the cell as written
    assert row.source_expr.fields == ("AETERM", "AE Term") and row.condition.fields == ("AESER", "AESEV")
    assert row.condition.kind == "test"


def test_a_syntax_error_names_sheet_row_column_and_character(book):
    assert _problems(book, condition="AESER == 'Y' and (AESEV") == [
        ("Mapping", 10, "Condition", "cannot read the expression \"AESER == 'Y' and (AESEV\" at character 24: "
                                     "expected ')' closing the '(' at character 18, found the end of the text")]
    assert _problems(book, source_field="AETERM AESEV")[0][:3] == ("Mapping", 10, "Source Field")


@pytest.mark.parametrize("cells, column, fragment", [
    ({"condition": "AESER"}, "Condition", "the Condition must be a test (true/false) such as AEONGO == 'Yes'"),
    ({"condition": "null"}, "Condition", "the Condition must be a test"),
    ({"source_field": "AESER == 'Y'"}, "Source Field", "is a test (true/false), not a value"),
    ({"condition": "uppr(AESER) == 'Y'"}, "Condition", "unknown function 'uppr'; did you mean upper?"),
    ({"source_field": "substr(AETERM)"}, "Source Field", "substr takes 2 to 3 arguments"),
    ({"condition": "AESER == ''"}, "Condition", "blank text counts as null"),
])
def test_the_spec_checks_report_what_the_expression_means(book, cells, column, fragment):
    problems = _problems(book, **cells)
    assert len(problems) == 1 and problems[0][:3] == ("Mapping", 10, column), problems
    assert fragment in problems[0][3]
