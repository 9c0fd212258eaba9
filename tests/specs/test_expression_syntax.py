"""The expression language's syntax: tokens, precedence, literals and names, and errors that name the character."""

from __future__ import annotations

import pytest

from specs.errors import SpecError
from specs.expression_syntax import (
    Binary, Call, Case, Compare, ExpressionError, Field, InList, IsNull, Literal, Logical, Negate, Not, children,
    parse, walk,
)


def shape(node):
    """A compact, position-free picture of a tree."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Field):
        return f"<{node.name}>"
    if isinstance(node, Call):
        return (node.name, *map(shape, node.args))
    if isinstance(node, (Binary, Compare)):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, Logical):
        return (node.op, *map(shape, node.operands))
    if isinstance(node, Not):
        return ("not", shape(node.operand))
    if isinstance(node, Negate):
        return ("neg", shape(node.operand))
    if isinstance(node, IsNull):
        return ("is not null" if node.negated else "is null", shape(node.operand))
    if isinstance(node, InList):
        return ("not in" if node.negated else "in", shape(node.operand), *map(shape, node.items))
    if isinstance(node, Case):
        return ("case", *[(shape(t), shape(v)) for t, v in node.whens], shape(node.default) if node.default else None)
    raise AssertionError(node)


@pytest.mark.parametrize("text, expected", [
    ("a or b and c", ("or", "<a>", ("and", "<b>", "<c>"))),
    ("a and b or c and d", ("or", ("and", "<a>", "<b>"), ("and", "<c>", "<d>"))),
    ("not a == 1 and b", ("and", ("not", ("==", "<a>", 1.0)), "<b>")),
    ("not not a", ("not", ("not", "<a>"))),
    ("1 + 2 * 3 - 4 / 5", ("-", ("+", 1.0, ("*", 2.0, 3.0)), ("/", 4.0, 5.0))),
    ("(1 + 2) * 3", ("*", ("+", 1.0, 2.0), 3.0)),
    ("'a' || 1 + 2", ("||", "a", ("+", 1.0, 2.0))),  # || binds looser than +
    ("a || b = c || d", ("==", ("||", "<a>", "<b>"), ("||", "<c>", "<d>"))),
    ("-x * 2", ("*", ("neg", "<x>"), 2.0)),
    ("- -3", 3.0),  # a negative number is a literal
    ("x - -1", ("-", "<x>", -1.0)),
    ("a <> 'b'", ("!=", "<a>", "b")),
    ("a != 'b'", ("!=", "<a>", "b")),
    ("a = 'b'", ("==", "<a>", "b")),
    ("a >= 1 AND b < 2", ("and", (">=", "<a>", 1.0), ("<", "<b>", 2.0))),
    ("x IS NOT NULL", ("is not null", "<x>")),
    ("x is null or y Is Null", ("or", ("is null", "<x>"), ("is null", "<y>"))),
    ("x in ('a', 'b')", ("in", "<x>", "a", "b")),
    ("x NOT IN (1, -2)", ("not in", "<x>", 1.0, -2.0)),
    ("not x in (1)", ("not", ("in", "<x>", 1.0))),
    ("UPPER(a) == Lower('B')", ("==", ("upper", "<a>"), ("lower", "B"))),
    ("coalesce(a, null, 'x')", ("coalesce", "<a>", None, "x")),
    ("f()", ("f",)),
    ("true and FALSE", ("and", True, False)),
    ("case when a == 1 then 'one' when a == 2 then 'two' else 'many' end",
     ("case", (("==", "<a>", 1.0), "one"), (("==", "<a>", 2.0), "two"), "many")),
    ("CASE WHEN a THEN case when b then 1 end END", ("case", ("<a>", ("case", ("<b>", 1.0), None)), None)),
])
def test_precedence_and_shapes(text, expected):
    assert shape(parse(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("'it''s'", "it's"),
    ('"say ""hi"""', 'say "hi"'),
    ("'a\"b'", 'a"b'),
    ("''", ""),
    ("'  '", "  "),  # kept as written: a blank separator is a blank
    ("'Fièvre ≥ 38 °C'", "Fièvre ≥ 38 °C"),
    ("12", 12.0), ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), ("2.5E-1", 0.25), ("5.", 5.0),
    ("null", None), ("NULL", None), ("true", True), ("False", False),
])
def test_literals(text, expected):
    node = parse(text)
    assert isinstance(node, Literal) and node.value == expected and type(node.value) is type(expected)


@pytest.mark.parametrize("text, name", [
    ("AETERM", "AETERM"), ("IT.AETERM", "IT.AETERM"), ("_x1.y_2", "_x1.y_2"), ("Folder", "Folder"),
    ("`Visit Name`", "Visit Name"), ("`a``b`", "a`b"), ("`année`", "année"), ("`and`", "and"),
    ("`upper`", "upper"), ("`1st visit`", "1st visit"),
])
def test_field_names_bare_dotted_or_in_backticks(text, name):
    node = parse(text)
    assert isinstance(node, Field) and node.name == name


def test_a_backticked_name_is_never_a_function_or_keyword():
    assert shape(parse("`upper` || 'x'")) == ("||", "<upper>", "x")
    assert shape(parse("`null` is null")) == ("is null", "<null>")
    with pytest.raises(ExpressionError) as error:
        parse("`upper`(x)")
    assert error.value.position == 8


def test_nodes_know_where_they_stand_in_the_text():
    text = "upper(IT.AETERM) == 'X' and AGE > 1"
    node = parse(text)
    parts = {text[n.start:n.end] for n in walk(node)}
    assert {"upper(IT.AETERM)", "IT.AETERM", "'X'", "upper(IT.AETERM) == 'X'", "AGE > 1", text} <= parts
    assert children(node)[0].left.name == "upper"


def test_function_names_are_lower_case_in_the_tree():
    assert parse("SUBSTR(x, 1)").name == "substr"


@pytest.mark.parametrize("text, position, fragment", [
    ("", 1, "the expression is empty"),
    ("   ", 1, "the expression is empty"),
    ("A ==", 5, "expected a value"),
    ("upper(A", 8, "expected ',' or ')' closing the arguments of upper"),
    ("concat(A, B C)", 13, "expected ',' or ')'"),
    ("(A", 3, "')' closing the '(' at character 1"),
    ("A == 'x", 6, "the text starting here has no closing '"),
    ('A == "x', 6, 'no closing "'),
    ("`A", 1, "the name starting here has no closing `"),
    ("A !x", 3, "unexpected character '!'"),
    ("A | B", 3, "unexpected character '|'"),
    ("A ; B", 3, "unexpected character ';'"),
    ("A < B < C", 7, "comparisons do not chain"),
    ("A is null == B", 11, "comparisons do not chain"),
    ("A not null", 3, "'is not null' tests for a value"),
    ("A is B", 6, "expected null"),
    ("A in 'x'", 6, "'(' opening the list"),
    ("A in ('x' 'y')", 11, "',' or ')' closing the list"),
    ("A in ()", 7, "expected a value"),
    ("case A end", 6, "'when' after 'case'"),
    ("case when A then 1", 19, "'when', 'else' or 'end' closing the case"),
    ("case when A 1 end", 13, "'then' after the test of 'when'"),
    ("A B", 3, "expected an operator or the end of the expression, found 'B'"),
    ("3abc", 2, "found 'abc'"),
    ("1e999", 1, "too large"),
    ("A == 'x' 'y'", 10, "found the text 'y'"),
    ("and A", 1, "expected a value"),
    ("A, B", 2, "found ','"),
    ("AEONGO EQ Yes", 8, "EQ is where-clause spelling: here write X == 'A', with text in quotes"),
    ("X notin (A)", 3, "here write X not in ('A', 'B')"),
])
def test_errors_name_the_character_and_what_was_expected(text, position, fragment):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    assert error.value.position == position and fragment in error.value.reason, str(error.value)
    assert str(error.value).startswith(f"at character {position}: ")
    assert isinstance(error.value, SpecError)  # reported like every other spec problem
