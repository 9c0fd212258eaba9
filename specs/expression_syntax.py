"""The syntax of the spec's expression language: tokens, the tree of frozen nodes, and the parser.

Grammar, lowest precedence first (keywords and function names in any case; field names exactly as the
data spells them):

    expression := or
    or         := and ('or' and)*
    and        := not ('and' not)*
    not        := 'not' not | comparison
    comparison := concat [ op concat | 'is' ['not'] 'null' | ['not'] 'in' '(' expression (',' expression)* ')' ]
                  op: == = != <> < <= > >=  (comparisons do not chain)
    concat     := sum ('||' sum)*
    sum        := product (('+' | '-') product)*
    product    := unary (('*' | '/') unary)*
    unary      := '-' unary | primary
    primary    := number | 'text' | "text" | null | true | false | field | function '(' [arguments] ')'
                | '(' expression ')' | 'case' ('when' expression 'then' expression)+ ['else' expression] 'end'
    field      := [A-Za-z_][A-Za-z0-9_.]* | `any name`      (a doubled quote or backtick stands for itself)

Every node keeps `start` and `end`, 0-based character offsets into the text, so problems found later
(a wrong argument, a value that is not a number) can quote the part of the expression they concern.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from specs.errors import SpecError

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false", "case", "when", "then", "else",
                      "end"})
COMPARISONS = {"==": "==", "=": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LEXEME = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>\|\||==|!=|<>|<=|>=|[-+*/<>=(),])
""", re.VERBOSE)
_QUOTES = {"'": "text", '"': "text", "`": "name"}
# The comparators of define.xml where clauses, which Conditions used before they were expressions.
_WHERE_CLAUSE_WORDS = {"EQ": "X == 'A'", "NE": "X != 'A'", "LT": "X < 1", "LE": "X <= 1", "GT": "X > 1",
                       "GE": "X >= 1", "NOTIN": "X not in ('A', 'B')"}


class ExpressionError(SpecError):
    """Text that is not an expression: names the 1-based character position and what was expected there."""

    def __init__(self, text: str, position: int, reason: str):
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(f"at character {position}: {reason}")


# --- nodes ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Literal:
    value: str | float | bool | None  # text, number, true/false, or None for null
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # lower case
    args: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ||
    left: Node
    right: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: Node
    right: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class InList:
    operand: Node
    items: tuple[Node, ...]
    negated: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class IsNull:
    operand: Node
    negated: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # and | or
    operands: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Case:
    whens: tuple[tuple[Node, Node], ...]  # (test, value)
    default: Node | None
    start: int
    end: int


Node = Literal | Field | Call | Negate | Binary | Compare | InList | IsNull | Logical | Not | Case


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly below `node`, left to right."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Negate, IsNull, Not)):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, Logical):
        return node.operands
    if isinstance(node, Case):
        return tuple(n for pair in node.whens for n in pair) + ((node.default,) if node.default else ())
    return ()


def walk(node: Node):
    """`node` and every node below it, depth first, left to right."""
    yield node
    for child in children(node):
        yield from walk(child)


# --- tokens ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, text, name, keyword, op, end
    value: str | float
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if text[i] in _QUOTES:
            value, end = _quoted(text, i)
            tokens.append(_Token(_QUOTES[text[i]], value, i, end))
            i = end
            continue
        match = _LEXEME.match(text, i)
        if match is None:
            raise ExpressionError(text, i + 1, f"unexpected character {text[i]!r}")
        kind, lexeme = match.lastgroup, match.group()
        if kind == "number":
            if not math.isfinite(float(lexeme)):
                raise ExpressionError(text, i + 1, f"the number {lexeme} is too large")
            tokens.append(_Token("number", float(lexeme), i, match.end()))
        elif kind == "name" and lexeme.casefold() in KEYWORDS:
            tokens.append(_Token("keyword", lexeme.casefold(), i, match.end()))
        elif kind != "space":
            tokens.append(_Token(kind, lexeme, i, match.end()))
        i = match.end()
    tokens.append(_Token("end", "", len(text.rstrip()), len(text.rstrip())))
    return tokens


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The text between the quote at `start` and its closing quote (doubled quotes inside stand for one)."""
    quote, chars, i = text[start], [], start + 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                chars.append(quote)
                i += 2
                continue
            return "".join(chars), i + 1
        chars.append(text[i])
        i += 1
    what = "name" if quote == "`" else "text"
    raise ExpressionError(text, start + 1, f"the {what} starting here has no closing {quote}")


# --- parser ---------------------------------------------------------------------------------------------

def parse(text: str) -> Node:
    """The tree of `text`; raises ExpressionError naming the position and what was expected."""
    if not text.strip():
        raise ExpressionError(text, 1, "the expression is empty")
    parser = _Parser(text)
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        if token.kind == "op" and token.value in COMPARISONS and isinstance(node, (Compare, InList, IsNull)):
            parser.fail(token, "the end of the expression (comparisons do not chain: join them with 'and')")
        if token.value == "not" and parser.peek(1).value == "null":
            parser.fail(token, "an operator or the end of the expression ('is not null' tests for a value)")
        if token.kind == "name" and str(token.value).upper() in _WHERE_CLAUSE_WORDS:
            parser.fail(token, f"an operator ({token.value} is where-clause spelling: here write "
                               f"{_WHERE_CLAUSE_WORDS[str(token.value).upper()]}, with text in quotes)")
        parser.fail(token, "an operator or the end of the expression")
    return node


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.i += 1
        return token

    def accept(self, kind: str, *values: str) -> _Token | None:
        token = self.peek()
        if token.kind == kind and (not values or token.value in values):
            self.i += 1
            return token
        return None

    def expect(self, kind: str, value: str, expected: str) -> _Token:
        return self.accept(kind, value) or self.fail(self.peek(), expected)

    def fail(self, token: _Token, expected: str):
        if token.kind == "end":
            found = "the end of the text"
        elif token.kind == "text":
            found = f"the text {self.text[token.start:token.end]}"
        else:
            found = repr(self.text[token.start:token.end])
        raise ExpressionError(self.text, token.start + 1, f"expected {expected}, found {found}")

    # precedence levels, lowest first

    def expression(self) -> Node:
        return self._logical("or", self._and)

    def _and(self) -> Node:
        return self._logical("and", self._not)

    def _logical(self, op: str, operand) -> Node:
        items = [operand()]
        while self.accept("keyword", op):
            items.append(operand())
        if len(items) == 1:
            return items[0]
        return Logical(op, tuple(items), items[0].start, items[-1].end)

    def _not(self) -> Node:
        token = self.accept("keyword", "not")
        if token is None:
            return self._comparison()
        operand = self._not()
        return Not(operand, token.start, operand.end)

    def _comparison(self) -> Node:
        left = self._concat()
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISONS:
            self.take()
            right = self._concat()
            return Compare(COMPARISONS[token.value], left, right, left.start, right.end)
        if self.accept("keyword", "is"):
            negated = self.accept("keyword", "not") is not None
            end = self.expect("keyword", "null", "null (as in 'is null' or 'is not null')")
            return IsNull(left, negated, left.start, end.end)
        if token.kind == "keyword" and token.value == "not" and self.peek(1).value == "in" \
                and self.peek(1).kind == "keyword":
            self.i += 2
            return self._in_list(left, True)
        if self.accept("keyword", "in"):
            return self._in_list(left, False)
        return left

    def _in_list(self, operand: Node, negated: bool) -> Node:
        self.expect("op", "(", "'(' opening the list of values, as in x in ('A', 'B')")
        items = [self.expression()]
        while self.accept("op", ","):
            items.append(self.expression())
        end = self.expect("op", ")", "',' or ')' closing the list")
        return InList(operand, tuple(items), negated, operand.start, end.end)

    def _concat(self) -> Node:
        return self._binary(("||",), self._sum)

    def _sum(self) -> Node:
        return self._binary(("+", "-"), self._product)

    def _product(self) -> Node:
        return self._binary(("*", "/"), self._unary)

    def _binary(self, ops: tuple[str, ...], operand) -> Node:
        left = operand()
        while token := self.accept("op", *ops):
            right = operand()
            left = Binary(str(token.value), left, right, left.start, right.end)
        return left

    def _unary(self) -> Node:
        token = self.accept("op", "-")
        if token is None:
            return self._primary()
        operand = self._unary()
        if isinstance(operand, Literal) and isinstance(operand.value, float):  # -1 is a number, not an operation
            return Literal(-operand.value, token.start, operand.end)
        return Negate(operand, token.start, operand.end)

    def _primary(self) -> Node:
        token = self.peek()
        if token.kind in ("number", "text"):
            self.take()
            return Literal(token.value, token.start, token.end)
        if token.kind == "keyword" and token.value in ("null", "true", "false"):
            self.take()
            return Literal({"null": None, "true": True, "false": False}[token.value], token.start, token.end)
        if token.kind == "keyword" and token.value == "case":
            return self._case()
        if token.kind == "name":
            self.take()
            if self.text[token.start] != "`" and self.accept("op", "("):
                return self._call(token)
            return Field(str(token.value), token.start, token.end)
        if self.accept("op", "("):
            inner = self.expression()
            close = self.expect("op", ")", "')' closing the '(' at character " + str(token.start + 1))
            return replace(inner, start=token.start, end=close.end)  # quoted with its parentheses
        self.fail(token, "a value: a field name, a text in quotes, a number, null, a function call, case or '('")

    def _call(self, name: _Token) -> Node:
        args: list[Node] = []
        if not self.accept("op", ")"):
            args.append(self.expression())
            while self.accept("op", ","):
                args.append(self.expression())
            self.expect("op", ")", f"',' or ')' closing the arguments of {name.value}")
        return Call(str(name.value).casefold(), tuple(args), name.start, self.tokens[self.i - 1].end)

    def _case(self) -> Node:
        start = self.take().start
        whens = []
        while self.accept("keyword", "when"):
            test = self.expression()
            self.expect("keyword", "then", "'then' after the test of 'when'")
            whens.append((test, self.expression()))
        if not whens:
            self.fail(self.peek(), "'when' after 'case'")
        default = self.expression() if self.accept("keyword", "else") else None
        end = self.expect("keyword", "end", "'when', 'else' or 'end' closing the case")
        return Case(tuple(whens), default, start, end.end)
