"""The functions of the expression language: a registry of name, signature, arity, a one-line description
and a worked example (expression, input row, expected result) that the tests evaluate and the docs print.

Each implementation takes the evaluated arguments (`Value`s over all rows) and returns a `Value`. Null
propagates: a null argument gives a null result (concat and coalesce excepted), and a blank result is
null. Arguments that steer a function (a position, a width, a pattern) are usually literals, so the
function runs once over the whole column; per-row arguments run once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specs.errors import MappingError
from specs.expression_values import (
    NUMBER, TEST, TEXT, VARIABLE, Value, as_kind, blank_to_null, common_kind, describe_rows, merge_problems,
    per_parameters, problems_on, to_number, to_text, whole,
)

ANY = "any"  # Function.returns: the common kind of its value arguments


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: str
    min_args: int
    max_args: int | None  # None: any number
    description: str
    example: tuple[str, dict[str, str], Any]  # (expression, input row, expected result; None = null)
    implementation: Callable[[list[Value]], Value]
    returns: str = TEXT  # TEXT, NUMBER, TEST or ANY
    tests: tuple[int, ...] = ()  # positions of arguments that are tests (true/false); the others are values
    literal_only: tuple[int, ...] = ()  # positions that must be written as a literal (a regular expression)
    check: Callable[[tuple[Any, ...]], str | None] | None = None  # the literal arguments (VARIABLE if not one)
    masks_problems: bool = False  # passes on only the problems of the arguments it uses, row by row


FUNCTIONS: dict[str, Function] = {}


def _register(signature: str, arity: tuple[int, int | None], description: str, example: tuple, **options):
    def add(implementation):
        name = signature.partition("(")[0]
        FUNCTIONS[name] = Function(name, signature, arity[0], arity[1], description, example, implementation,
                                   **options)
        return implementation
    return add


def _checks(*checks: tuple[int, Callable[[Any], str | None]]) -> Callable[[tuple[Any, ...]], str | None]:
    """A check of literal arguments from (position, check of that literal) pairs."""
    def check(literals: tuple[Any, ...]) -> str | None:
        for position, one in checks:
            if position < len(literals) and literals[position] not in (VARIABLE, None):
                if why := one(literals[position]):
                    return why
        return None
    return check


def _number_check(smallest: int, what: str) -> Callable[[Any], str | None]:
    return lambda v: whole(v, smallest, what) if isinstance(v, float) else f"{what} must be a number"


def _pattern(value: Any) -> str | None:
    if not isinstance(value, str):
        return "the pattern must be a text in quotes"
    try:
        re.compile(value)
    except re.error as error:
        return f"{value!r} is not a regular expression: {error}"
    return None


def _failing(data: pd.Series, why: str | None):
    """(nulls, the reason on every non-null row) when a per-row parameter is invalid, else None."""
    return (pd.Series(np.nan, index=data.index), problems_on(data.notna(), why)) if why else None


def _text_result(values: pd.Series, problems: pd.Series | None = None) -> Value:
    return Value(blank_to_null(values.astype("str")), TEXT, problems)


# --- text ----------------------------------------------------------------------------------------------

def _text_function(op: Callable[[pd.Series], pd.Series]) -> Callable[[list[Value]], Value]:
    return lambda args: _text_result(op(to_text(args[0]).data))


for _name, _op, _what, _example in (
    ("upper", lambda s: s.str.upper(), "in upper case", ("upper(AETERM)", {"AETERM": "Headache"}, "HEADACHE")),
    ("lower", lambda s: s.str.lower(), "in lower case", ("lower(RACE)", {"RACE": "ASIAN"}, "asian")),
    ("strip", lambda s: s.str.strip(), "without blanks at either end", ("strip(SITE)", {"SITE": " 101 "}, "101")),
    ("lstrip", lambda s: s.str.lstrip(), "without blanks at its start", ("lstrip(ID)", {"ID": "  7 "}, "7 ")),
    ("rstrip", lambda s: s.str.rstrip(), "without blanks at its end", ("rstrip(ID)", {"ID": "  7 "}, "  7")),
):
    _register(f"{_name}(s)", (1, 1), f"s {_what}", _example)(_text_function(_op))


@_register("substr(s, start[, length])", (2, 3), "the part of s from position start (1 = the first character), "
           "length characters long or to the end", ("substr(AESTDAT, 4, 3)", {"AESTDAT": "12-MAR-2024"}, "MAR"),
           check=_checks((1, _number_check(1, "the start")), (2, _number_check(0, "the length"))))
def _substr(args: list[Value]) -> Value:
    def part(data, start, length=None):
        why = whole(start, 1, "the start") or (whole(length, 0, "the length") if length is not None else None)
        if failed := _failing(data, why):
            return failed
        begin = int(start) - 1
        return data.str.slice(begin, None if length is None else begin + int(length)), None
    return _text_result(*per_parameters(part, to_text(args[0]).data, *map(to_number, args[1:])))


def _part_number(value: Any) -> str | None:
    if not isinstance(value, float) or value != int(value) or value == 0:
        return f"the part must be a whole number other than 0 (-1 = the last), not {value!r}"
    return None


@_register("split_part(s, sep, n)", (3, 3), "the n-th part of s split at each sep (1 = the first, -1 = the last); "
           "null when s has fewer parts", ("split_part(IT.SITE, '-', 2)", {"IT.SITE": "US-101-004"}, "101"),
           check=_checks((1, lambda v: "the separator must not be empty" if v == "" else None), (2, _part_number)))
def _split_part(args: list[Value]) -> Value:
    def part(data, separator, n):
        if failed := _failing(data, _part_number(n) or ("the separator is empty" if separator == "" else None)):
            return failed
        return data.str.split(separator, regex=False).str.get(int(n) - 1 if n > 0 else int(n)), None
    return _text_result(*per_parameters(part, to_text(args[0]).data, to_text(args[1]), to_number(args[2])))


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def _wrapped(pattern: str, template: str) -> str:
    """`pattern` inside `template` ('({})'), its leading global flags such as (?i) kept in front."""
    head = _GLOBAL_FLAGS.match(pattern)
    head = head.group() if head else ""
    return head + template.format(pattern[len(head):])


def _group_check(literals: tuple[Any, ...]) -> str | None:
    pattern, group = literals[1], literals[2] if len(literals) > 2 else VARIABLE
    if pattern is VARIABLE or (why := _pattern(pattern)):
        return None if pattern is VARIABLE else why
    if isinstance(group, float):
        groups = re.compile(pattern).groups
        if group != int(group) or not 0 <= group <= groups:
            return f"the group must be a whole number from 0 to {groups} (the groups of {pattern!r}), not {group:g}"
    return None


@_register("regex_extract(s, pattern[, group])", (2, 3), "the first match of the regular expression in s (its "
           "group-th group when given; else group 1 if it has groups, else the whole match); a problem when s does "
           "not match", ("regex_extract(DOSE, '([0-9.]+) *mg')", {"DOSE": "2.5 mg daily"}, "2.5"),
           literal_only=(1,), check=_group_check)
def _regex_extract(args: list[Value]) -> Value:
    def extract(data, pattern, group=None):
        groups = re.compile(pattern).groups
        chosen = (1 if groups else 0) if group is None else group
        if failed := _failing(data, _group_check((None, pattern, float(chosen)))):
            return failed
        found = data.str.extract(_wrapped(pattern, "({})"), expand=True)  # column 0: the whole match
        missed = data.notna() & found.iloc[:, 0].isna()
        return found.iloc[:, int(chosen)], describe_rows(data, missed, "{value} does not match " + repr(pattern))
    return _text_result(*per_parameters(extract, to_text(args[0]).data, to_text(args[1]),
                                        *map(to_number, args[2:])))


def _replacement_check(literals: tuple[Any, ...]) -> str | None:
    pattern, replacement = literals[1], literals[2]
    if pattern is VARIABLE or (why := _pattern(pattern)):
        return None if pattern is VARIABLE else why
    if not isinstance(replacement, str):
        return None
    try:  # the pattern or an empty match: the replacement is read once, so wrong group numbers show
        re.compile(_wrapped(pattern, "(?:{})|")).sub(replacement, "")
    except (re.error, IndexError) as error:
        return f"the replacement {replacement!r} does not fit the pattern {pattern!r}: {error}"
    return None


@_register("regex_replace(s, pattern, repl)", (3, 3), "s with every match of the regular expression replaced by "
           "repl (\\1 in repl stands for group 1)", ("regex_replace(LBORRES, '^<\\s*', '')", {"LBORRES": "< 5"}, "5"),
           literal_only=(1,), check=_replacement_check)
def _regex_replace(args: list[Value]) -> Value:
    def replace(data, pattern, replacement):
        if why := _replacement_check((None, pattern, replacement)):
            raise MappingError(f"regex_replace: {why}")
        return data.str.replace(pattern, replacement, regex=True), None
    return _text_result(*per_parameters(replace, to_text(args[0]).data, to_text(args[1]), to_text(args[2])))


@_register("matches(s, pattern)", (2, 2), "true when the regular expression matches somewhere in s (false for null)",
           ("matches(Folder, '^UNS')", {"Folder": "UNS2"}, True), returns=TEST, literal_only=(1,),
           check=_checks((1, _pattern)))
def _matches(args: list[Value]) -> Value:
    text, pattern = to_text(args[0]).data, to_text(args[1]).scalar
    if pattern is None or pattern is VARIABLE:
        raise MappingError("matches: the pattern must be a text in quotes")
    return Value(text.str.contains(pattern, regex=True).fillna(False).astype(bool), TEST)


@_register("concat(a, b, ...)", (2, None), "the values one after another, nulls as empty (null when all are null)",
           ("concat(AETERM, ' (', AESEV, ')')", {"AETERM": "Rash", "AESEV": ""}, "Rash ()"))
def _concat(args: list[Value]) -> Value:
    joined = to_text(args[0]).data.fillna("")
    for arg in args[1:]:
        joined = joined + to_text(arg).data.fillna("")
    return _text_result(joined)


def _pad_char(value: Any) -> str | None:
    return None if isinstance(value, str) and len(value) == 1 else f"the padding must be one character, not {value!r}"


def _pad(side: str) -> Callable[[list[Value]], Value]:
    def implementation(args: list[Value]) -> Value:
        def pad(data, width, char=" "):
            if failed := _failing(data, whole(width, 0, "the width") or _pad_char(char)):
                return failed
            return data.str.pad(int(width), side=side, fillchar=char), None
        return _text_result(*per_parameters(pad, to_text(args[0]).data, to_number(args[1]), *map(to_text, args[2:])))
    return implementation


for _name, _side, _where, _example in (
    ("lpad", "left", "in front", ("lpad(SUBJ, 4, '0')", {"SUBJ": "17"}, "0017")),
    ("rpad", "right", "at the end", ("rpad(CODE, 5, '_')", {"CODE": "AB"}, "AB___")),
):
    _register(f"{_name}(s, width[, char])", (2, 3), f"s with char (default a blank) added {_where} up to width "
              "characters; longer text stays as it is", _example,
              check=_checks((1, _number_check(0, "the width")), (2, _pad_char)))(_pad(_side))


@_register("length(s)", (1, 1), "the number of characters of s", ("length(AETERM)", {"AETERM": "Fièvre"}, 6.0),
           returns=NUMBER)
def _length(args: list[Value]) -> Value:
    return Value(to_text(args[0]).data.str.len().astype("float64"), NUMBER)


# --- choosing -------------------------------------------------------------------------------------------

@_register("coalesce(a, b, ...)", (2, None), "the first of the values that is not null",
           ("coalesce(AEENDAT, AESTDAT)", {"AEENDAT": "", "AESTDAT": "2024-03-12"}, "2024-03-12"), returns=ANY,
           masks_problems=True)
def _coalesce(args: list[Value]) -> Value:
    kind = common_kind([a.kind for a in args])
    args = [as_kind(a, kind) for a in args]
    result, problems = args[0].data, args[0].problems
    for arg in args[1:]:
        missing = result.isna()
        if arg.problems is not None:  # a later value's problem counts only where it is the one used
            problems = merge_problems(problems, arg.problems.where(missing))
        result = result.where(~missing, arg.data)
    return Value(result, kind, problems)


@_register("if(c, a, b)", (3, 3), "a where the test c holds, else b",
           ("if(AESER == 'Y', 'SERIOUS', 'NOT SERIOUS')", {"AESER": "N"}, "NOT SERIOUS"), returns=ANY, tests=(0,),
           masks_problems=True)
def _if(args: list[Value]) -> Value:
    test, kind = args[0], common_kind([args[1].kind, args[2].kind])
    yes, no = as_kind(args[1], kind), as_kind(args[2], kind)
    chosen = test.data.to_numpy(dtype=bool)
    problems = merge_problems(test.problems, None if yes.problems is None else yes.problems.where(chosen),
                              None if no.problems is None else no.problems.where(~chosen))
    return Value(yes.data.where(chosen, no.data), kind, problems)


# --- numbers --------------------------------------------------------------------------------------------

@_register("number(s)", (1, 1), "text as a number; a problem when it is not one",
           ("number(AGE) + 1", {"AGE": " 42 "}, 43.0), returns=NUMBER)
def _number(args: list[Value]) -> Value:
    return to_number(args[0])


@_register("text(x)", (1, 1), "a number as text, without a trailing .0",
           ("text(number(VISITNUM))", {"VISITNUM": "3.0"}, "3"))
def _text(args: list[Value]) -> Value:
    return _text_result(to_text(args[0]).data)


@_register("round(x[, n])", (1, 2), "x rounded to n decimals (default 0), halves away from zero",
           ("round(number(WEIGHT), 1)", {"WEIGHT": "70.25"}, 70.3), returns=NUMBER,
           check=_checks((1, _number_check(-15, "the number of decimals"))))
def _round(args: list[Value]) -> Value:
    def rounded(data, decimals=0.0):
        if failed := _failing(data, whole(decimals, -15, "the number of decimals")):
            return failed
        factor = 10.0 ** int(decimals)
        # scaled and rounded to 9 decimals first: 2.675 (2.67499.. in binary) rounds as the 2.675 written
        return np.sign(data) * np.floor(np.round(data.abs() * factor, 9) + 0.5) / factor, None
    values, problems = per_parameters(rounded, to_number(args[0]).data, *map(to_number, args[1:]))
    return Value(values.astype("float64"), NUMBER, problems)


@_register("abs(x)", (1, 1), "x without its sign", ("abs(number(CHG))", {"CHG": "-1.5"}, 1.5), returns=NUMBER)
def _abs(args: list[Value]) -> Value:
    return Value(to_number(args[0]).data.abs(), NUMBER)


def function_reference() -> list[dict[str, Any]]:
    """Every function for the docs, by name: name, signature, description, and the example with its input
    row and result."""
    return [{"name": f.name, "signature": f.signature, "description": f.description, "example": f.example[0],
             "input": dict(f.example[1]), "result": f.example[2]} for f in sorted(FUNCTIONS.values(),
                                                                                key=lambda f: f.name)]


__all__ = ["ANY", "FUNCTIONS", "Function", "function_reference"]
