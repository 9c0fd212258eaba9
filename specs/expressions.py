"""The spec's expression language: parsed once when the spec is read, evaluated on whole columns.

Used by the Mapping sheet's `Condition` (a test over the raw form's fields: `AEONGO == 'Yes'`) and
`Source Field` (any value; a plain field name is the simplest expression). The grammar is in
`specs.expression_syntax`, the functions in `specs.expression_functions`.

Meaning:
- Field names resolve exactly (case included) to the frame's columns; an unknown one is a MappingError
  naming the columns there are. Values from the data are text, and blank text counts as null.
- Null propagates through operators and functions (concat and coalesce excepted). A comparison with a
  null operand is false, except `!=` (and `not in`), which is true. `and`, `or`, `not` work on tests.
- A comparison is numeric when either side is a number (`AGE >= 18`), else it compares text.
- `evaluate(frame)` returns the values and, per row, the first problem (text that is not a number,
  division by zero, no match of regex_extract), which the engine reports as findings. A problem counts
  only where its part of the expression is used: `if`, `case`, `coalesce`, `and` and `or` pass on the
  problems of a branch only on the rows that take it.

`Expression.issues` holds what is wrong beyond syntax (an unknown function, a wrong number of arguments,
a value where a test is needed, a comparison with a blank text); `specs.checks` reports them.
"""

from __future__ import annotations

import difflib
import operator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from specs.errors import MappingError
from specs.expression_functions import ANY, FUNCTIONS, function_reference
from specs.expression_syntax import (
    Binary, Call, Case, Compare, ExpressionError, Field, InList, IsNull, Literal, Logical, Negate, Node, Not, parse,
    walk,
)
from specs.expression_values import (
    NULL, NUMBER, TEST, TEXT, VARIABLE, Value, as_kind, blank_to_null, column, common_kind, constant, merge_problems,
    nulls, problems_on, to_number, to_text,
)

__all__ = ["Expression", "ExpressionError", "FUNCTIONS", "Issue", "UnknownFieldError", "function_reference",
           "parse_expression"]

# What a part of an expression stands for, as the checks see it.
IS_TEST, IS_VALUE, IS_NULL = "test", "value", "null"


@dataclass(frozen=True, slots=True)
class Issue:
    position: int  # 1-based character of the part concerned
    message: str

    def __str__(self) -> str:
        return f"at character {self.position}: {self.message}"


class UnknownFieldError(MappingError):
    """An expression names a field the frame has no column for."""

    def __init__(self, name: str, columns: list[str]):
        self.field, self.columns = name, columns
        super().__init__(f"{name!r} is not a column of the data (columns: {self.columns_text})")

    @property
    def columns_text(self) -> str:
        return ", ".join(self.columns[:40]) + (", ..." if len(self.columns) > 40 else "") or "none"


@dataclass(frozen=True, slots=True)
class Expression:
    text: str  # as written, trimmed
    node: Node = field(repr=False)
    fields: tuple[str, ...] = field(compare=False)  # the field names it reads, in order of first use
    kind: str = field(compare=False)  # IS_TEST, IS_VALUE or IS_NULL
    issues: tuple[Issue, ...] = field(compare=False)

    def __str__(self) -> str:
        return self.text

    @property
    def plain_field(self) -> str | None:
        """The field name when the expression is nothing but one field."""
        return self.node.name if isinstance(self.node, Field) else None

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.name for n in walk(self.node) if isinstance(n, Call)))

    def evaluate(self, frame: pd.DataFrame, text: bool = False) -> tuple[pd.Series, pd.Series]:
        """(values, problems) over `frame.index`: text (`str`, null for missing), numbers (float64) or, for a
        test, bool; problems `str`, missing where the row has none. A lone field gives its column as read.
        `text=True` gives a computed number as text (without a trailing .0), for a text variable."""
        if self.issues:
            raise MappingError(f"the expression {self.text!r} cannot be evaluated: "
                               + "; ".join(str(issue) for issue in self.issues))
        if isinstance(self.node, Field):
            return _column(frame, self.node.name), nulls(frame.index)
        value = _Evaluator(frame, self.text).eval(self.node)
        if value.kind == NUMBER and text:
            value = to_text(value)
        if value.kind == TEXT:
            data = blank_to_null(value.data.astype("str"))
        elif value.kind == NULL:
            data = nulls(frame.index)
        else:
            data = value.data
        return data, value.problems if value.problems is not None else nulls(frame.index)

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """The rows of `frame` where this test holds (problems are dropped: use `evaluate` to report them)."""
        if self.kind != IS_TEST:
            raise MappingError(f"the expression {self.text!r} is not a test (true/false)")
        return self.evaluate(frame)[0]


def parse_expression(text: str) -> Expression:
    """`text` as an Expression; raises ExpressionError (a SpecError) naming the character and what was expected."""
    text = str(text).strip()
    node = parse(text)
    issues: list[Issue] = []
    kind = _Checker(text, issues).kind(node)
    fields = tuple(dict.fromkeys(n.name for n in walk(node) if isinstance(n, Field)))
    return Expression(text, node, fields, kind, tuple(issues))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise UnknownFieldError(name, [str(c) for c in frame.columns if not str(c).startswith("__")])
    return frame[name]


# --- checks beyond syntax ---------------------------------------------------------------------------------

class _Checker:
    def __init__(self, text: str, issues: list[Issue]):
        self.text, self.issues = text, issues

    def add(self, node: Node, message: str) -> None:
        self.issues.append(Issue(node.start + 1, message))

    def part(self, node: Node) -> str:
        return self.text[node.start:node.end]

    def test(self, node: Node) -> None:
        if self.kind(node) != IS_TEST:
            self.add(node, f"expected a test (true/false) such as X == 'Y', found {self.part(node)!r}")

    def value(self, node: Node) -> str:
        kind = self.kind(node)
        if kind == IS_TEST:
            self.add(node, f"{self.part(node)!r} is a test (true/false), not a value; if(test, 'Y', 'N') makes one")
        return kind

    def compared(self, node: Node) -> None:
        self.value(node)
        if isinstance(node, Literal) and node.value is None:
            self.add(node, "a comparison with null is never true; write 'is null' or 'is not null'")
        elif isinstance(node, Literal) and isinstance(node.value, str) and not node.value.strip():
            self.add(node, f"{self.part(node)} is blank, and blank text counts as null, so this comparison never "
                           "holds; write 'is null' or 'is not null'")

    def kind(self, node: Node) -> str:
        if isinstance(node, Literal):
            return IS_TEST if isinstance(node.value, bool) else IS_NULL if node.value is None else IS_VALUE
        if isinstance(node, Field):
            return IS_VALUE
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, (Negate, Binary)):
            for operand in (node.operand,) if isinstance(node, Negate) else (node.left, node.right):
                self.value(operand)
            return IS_VALUE
        if isinstance(node, Compare):
            self.compared(node.left)
            self.compared(node.right)
        elif isinstance(node, InList):
            self.value(node.operand)
            for item in node.items:
                self.compared(item)
        elif isinstance(node, IsNull):
            self.value(node.operand)
        elif isinstance(node, (Logical, Not)):
            for operand in node.operands if isinstance(node, Logical) else (node.operand,):
                self.test(operand)
        elif isinstance(node, Case):
            return self.case(node)
        return IS_TEST

    def call(self, node: Call) -> str:
        function = FUNCTIONS.get(node.name)
        if function is None:
            close = difflib.get_close_matches(node.name, FUNCTIONS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(FUNCTIONS))}"
            self.add(node, f"unknown function {node.name!r}{hint}")
            for arg in node.args:
                self.kind(arg)
            return IS_VALUE
        count, low, high = len(node.args), function.min_args, function.max_args
        if count < low or (high is not None and count > high):
            wanted = f"{low}" if low == high else f"{low} or more" if high is None else f"{low} to {high}"
            self.add(node, f"{function.name} takes {wanted} argument{'s' * (wanted != '1')} ({function.signature}), "
                           f"not {count}")
        kinds = [self.test(arg) if i in function.tests else self.value(arg) for i, arg in enumerate(node.args)]
        for i in function.literal_only:
            if i < count and not (isinstance(node.args[i], Literal) and isinstance(node.args[i].value, str)):
                self.add(node.args[i], f"argument {i + 1} of {function.name} must be a text in quotes")
        if function.check is not None and low <= count:
            literals = tuple(a.value if isinstance(a, Literal) else VARIABLE for a in node.args)
            if why := function.check(literals):
                self.add(node, f"{function.name}: {why}")
        if function.returns == TEST:
            return IS_TEST
        if function.returns == ANY and kinds and all(k == IS_NULL for k in kinds if k is not None):
            return IS_NULL
        return IS_VALUE

    def case(self, node: Case) -> str:
        for test, _ in node.whens:
            self.test(test)
        results = [(value, self.kind(value)) for _, value in node.whens]
        if node.default is not None:
            results.append((node.default, self.kind(node.default)))
        kinds = {kind for _, kind in results} - {IS_NULL}
        if len(kinds) > 1:
            first_test = next(value for value, kind in results if kind == IS_TEST)
            self.add(first_test, f"{self.part(first_test)!r} is a test, but other branches of the case give values")
        return kinds.pop() if len(kinds) == 1 else IS_NULL if not kinds else IS_VALUE


# --- evaluation -------------------------------------------------------------------------------------------

_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, text: str):
        self.frame, self.text, self.index = frame, text, frame.index
        self.columns: dict[str, Value] = {}

    def eval(self, node: Node) -> Value:
        if isinstance(node, Literal):
            return constant(node.value, self.index)
        if isinstance(node, Field):
            if node.name not in self.columns:
                self.columns[node.name] = column(_column(self.frame, node.name))
            return self.columns[node.name]
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _own(self, node: Node, value: Value, *inherited: pd.Series | None) -> Value:
        """`value` with its own problems quoting the part of the expression, after those of its operands."""
        own = value.problems
        if own is not None:
            own = own.where(own.isna(), own + f" (in {self.text[node.start:node.end]})")
        return Value(value.data, value.kind, merge_problems(*inherited, own))

    def _bare(self, node: Node) -> tuple[Value, pd.Series | None]:
        value = self.eval(node)
        return Value(value.data, value.kind, None, value.scalar), value.problems

    def _call(self, node: Call) -> Value:
        function = FUNCTIONS[node.name]  # an unknown name is an issue, and evaluate refuses expressions with issues
        if function.masks_problems:
            return function.implementation([self.eval(arg) for arg in node.args])
        pairs = [self._bare(arg) for arg in node.args]
        result = function.implementation([value for value, _ in pairs])
        return self._own(node, result, *(problems for _, problems in pairs))

    def _negate(self, node: Negate) -> Value:
        operand, inherited = self._bare(node.operand)
        number = to_number(operand)
        return self._own(node, Value(-number.data, NUMBER, number.problems), inherited)

    def _binary(self, node: Binary) -> Value:
        (left, p_left), (right, p_right) = self._bare(node.left), self._bare(node.right)
        if node.op == "||":
            joined = to_text(left).data + to_text(right).data
            return Value(blank_to_null(joined), TEXT, merge_problems(p_left, p_right))
        a, b = to_number(left), to_number(right)
        problems = merge_problems(a.problems, b.problems)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = _ARITHMETIC[node.op](a.data, b.data)
        if node.op == "/":
            problems = merge_problems(problems, problems_on(b.data.eq(0) & a.data.notna(), "division by zero"))
        broken = a.data.notna() & b.data.notna() & ~np.isfinite(result)
        problems = merge_problems(problems, problems_on(broken & ~b.data.eq(0), "the result is not a finite number"))
        return self._own(node, Value(result.where(~broken), NUMBER, problems), p_left, p_right)

    def _compare(self, node: Compare) -> Value:
        (left, p_left), (right, p_right) = self._bare(node.left), self._bare(node.right)
        return self._own(node, self.comparison(node.op, left, right), p_left, p_right)

    def comparison(self, op: str, left: Value, right: Value) -> Value:
        """`left op right` as a test with the conversion problems it met (not those of its operands)."""
        if NULL in (left.kind, right.kind):
            return Value(pd.Series(op == "!=", index=self.index), TEST)
        problems = None
        if NUMBER in (left.kind, right.kind):
            left, right = to_number(left), to_number(right)
            problems = merge_problems(left.problems, right.problems)
        a = left.data
        b = right.scalar if right.scalar is not VARIABLE else right.data
        known = (a.notna() & (right.data.notna() if right.scalar is VARIABLE else True)).to_numpy(dtype=bool)
        if op in ("==", "!="):
            equal = np.asarray(a == b, dtype=bool) & known
            result = ~equal if op == "!=" else equal
        else:
            result = np.asarray(_ORDER[op](a, b), dtype=bool) & known
        return Value(pd.Series(result, index=self.index), TEST, problems)

    def _inlist(self, node: InList) -> Value:
        operand, inherited = self._bare(node.operand)
        items = [self._bare(item) for item in node.items]
        problems = merge_problems(inherited, *(p for _, p in items))
        scalars = [item.scalar for item, _ in items]
        if operand.kind == TEXT and all(item.kind == TEXT and item.scalar is not VARIABLE for item, _ in items):
            hit = operand.data.isin(scalars).to_numpy(dtype=bool) & operand.data.notna().to_numpy(dtype=bool)
            found = Value(pd.Series(hit, index=self.index), TEST)
        else:
            tests = [self.comparison("==", operand, item) for item, _ in items]
            hit = np.logical_or.reduce([t.data.to_numpy(dtype=bool) for t in tests])
            found = Value(pd.Series(hit, index=self.index), TEST, merge_problems(*(t.problems for t in tests)))
        if node.negated:
            found.data = ~found.data
        return self._own(node, found, problems)

    def _isnull(self, node: IsNull) -> Value:
        value = self.eval(node.operand)
        missing = value.data.isna().to_numpy(dtype=bool)
        return Value(pd.Series(~missing if node.negated else missing, index=self.index), TEST, value.problems)

    def _not(self, node: Not) -> Value:
        value = self.eval(node.operand)
        return Value(~as_kind(value, TEST).data, TEST, value.problems)

    def _logical(self, node: Logical) -> Value:
        """`and`/`or`: a later operand's problems count only where the earlier ones left the answer open."""
        conjunction = node.op == "and"
        result = np.full(len(self.index), conjunction)
        problems = None
        for operand in node.operands:
            value = as_kind(self.eval(operand), TEST)
            open_rows = result if conjunction else ~result
            if value.problems is not None:
                problems = merge_problems(problems, value.problems.where(open_rows))
            data = value.data.to_numpy(dtype=bool)
            result = result & data if conjunction else result | data
        return Value(pd.Series(result, index=self.index), TEST, problems)

    def _case(self, node: Case) -> Value:
        """Each row takes the value of its first holding `when` (else the `else`, else null); problems only
        from the parts a row uses."""
        values = [self.eval(value) for _, value in node.whens]
        default = self.eval(node.default) if node.default is not None else constant(None, self.index)
        kind = common_kind([v.kind for v in values] + [default.kind])
        remaining = np.ones(len(self.index), dtype=bool)
        problems, taken = None, []
        for (test_node, _), value in zip(node.whens, values):
            test = as_kind(self.eval(test_node), TEST)
            value = as_kind(value, kind)
            holds = test.data.to_numpy(dtype=bool)
            take = remaining & holds
            for found, rows in ((test.problems, remaining), (value.problems, take)):
                if found is not None:
                    problems = merge_problems(problems, found.where(rows))
            taken.append((take, value.data))
            remaining = remaining & ~holds
        default = as_kind(default, kind)
        if default.problems is not None:
            problems = merge_problems(problems, default.problems.where(remaining))
        result = default.data
        for take, data in taken:
            result = data.where(take, result)
        return Value(result, kind, problems)
