"""Where clauses: parsed from inline text or WhereClauses-sheet rows into one form, applied to frames.

Inline grammar (case-insensitive keywords, values case-sensitive):

    clause    := condition ( AND condition )*
    condition := [DATASET "."] VARIABLE comparator operand
    operand   := value                        for EQ NE LT LE GT GE
               | "(" value ( "," value )* ")"  for IN NOTIN
    value     := "quoted text" | 'quoted text' | bare-word

A bare value holds no comma, parenthesis or leading quote. After EQ, NE, LT, LE, GT or GE it runs on
until AND or the end of the text, blanks included, as P21 workbooks write it (`DSCAT EQ DISPOSITION
EVENT`); inside an IN list, commas separate the values, so bare values there may hold blanks too. A doubled quote
inside a quoted value stands for one quote. OR is not part of the grammar: Define-XML's where clauses
are conjunctions, so alternatives are written with IN or as separate value-level rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from specs.errors import SpecError

if TYPE_CHECKING:
    import pandas as pd

COMPARATORS: tuple[str, ...] = ("EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE")
LIST_COMPARATORS = frozenset({"IN", "NOTIN"})
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BARE = re.compile(r"[^\s(),\"']([^\s(),]*)\Z")
_KEYWORDS = frozenset({"and", "or"})


class WhereClauseError(SpecError):
    """A where clause that cannot be parsed; names the text and the 1-based position."""

    def __init__(self, text: str, position: int, reason: str):
        self.text = text
        self.position = position  # 1-based character position in `text`
        self.reason = reason
        super().__init__(f"cannot parse where clause {text!r} at position {position}: {reason}")


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison: `[dataset.]variable comparator values` (one value unless IN/NOTIN)."""

    dataset: str | None
    variable: str
    comparator: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        subject = f"{self.dataset}.{self.variable}" if self.dataset else self.variable
        if self.comparator in LIST_COMPARATORS:
            return f"{subject} {self.comparator} ({', '.join(quote_value(v) for v in self.values)})"
        return f"{subject} {self.comparator} {quote_value(self.values[0])}"

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of `frame` meeting this condition; the dataset prefix is not consulted."""
        return _condition_mask(self, frame)


@dataclass(frozen=True, slots=True)
class WhereClause:
    """A conjunction of conditions, with the id it is referenced by and where it was defined."""

    id: str
    conditions: tuple[Condition, ...]
    sheet: str | None = None
    row: int | None = None  # first row defining it
    text: str | None = None  # the inline text as written, None for WhereClauses-sheet clauses

    def __str__(self) -> str:
        return " AND ".join(str(c) for c in self.conditions)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.variable for c in self.conditions))

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Boolean Series over `frame.index`: True where every condition holds.

        A clause without conditions holds everywhere (the empty conjunction); the spec checks warn
        about such clauses, so they do not reach engines unnoticed.
        """
        import pandas as pd

        result = pd.Series(True, index=frame.index)
        for condition in self.conditions:
            result &= condition.mask(frame)
        return result


def parse_where(
    text: str, *, id: str | None = None, sheet: str | None = None, row: int | None = None
) -> WhereClause:
    """Parse inline where-clause text; raises WhereClauseError naming the text and position."""
    if text is None or not str(text).strip():
        raise WhereClauseError(str(text or ""), 1, "the where clause is empty")
    text = str(text)
    tokens = _tokenize(text)
    conditions = []
    pos = 0
    while True:
        condition, pos = _parse_condition(text, tokens, pos)
        conditions.append(condition)
        if pos == len(tokens):
            break
        kind, value, start, _ = tokens[pos]
        if kind == "word" and value.casefold() == "and":
            pos += 1
            if pos == len(tokens):
                raise WhereClauseError(text, len(text.rstrip()) + 1, "expected a condition after AND")
            continue
        if kind == "word" and value.casefold() == "or":
            raise WhereClauseError(text, start + 1, "OR is not supported; use IN (...) or separate value-level rows")
        raise WhereClauseError(
            text, start + 1, f"expected AND or the end of the text, found {value!r}; quote values that contain blanks"
        )
    canonical = " AND ".join(str(c) for c in conditions)
    return WhereClause(id=id or canonical, conditions=tuple(conditions), sheet=sheet, row=row, text=text.strip())


def condition_from_parts(dataset: str | None, variable: str, comparator: str, value: str) -> Condition:
    """One WhereClauses-sheet row as a Condition; IN/NOTIN values are comma-separated (quotes allowed).

    Raises WhereClauseError when a part is invalid, so the reader can report the row.
    """
    comparator_text = (comparator or "").strip().upper()
    if comparator_text not in COMPARATORS:
        raise WhereClauseError(comparator or "", 1, f"unknown comparator; expected one of {', '.join(COMPARATORS)}")
    name = (variable or "").strip().upper()
    if not _NAME.match(name):
        raise WhereClauseError(variable or "", 1, "expected a variable name (letter first, then letters, digits, _)")
    ds = (dataset or "").strip().upper() or None
    if ds is not None and not _NAME.match(ds):
        raise WhereClauseError(dataset or "", 1, "expected a dataset name (letter first, then letters, digits, _)")
    value_text = "" if value is None else str(value)
    if comparator_text in LIST_COMPARATORS:
        values = _split_list(value_text)
    else:
        values = (_unquote_single(value_text),)
    return Condition(ds, name, comparator_text, values)


def where_from_conditions(
    id: str, conditions: Iterable[Condition], *, sheet: str | None = None, row: int | None = None
) -> WhereClause:
    """A where clause from several WhereClauses-sheet rows that share one ID (they are ANDed)."""
    return WhereClause(id=id, conditions=tuple(conditions), sheet=sheet, row=row, text=None)


# --- tokenizer and parser -------------------------------------------------------------------------


def _tokenize(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, value, start, end) with kind in word/quoted/punct; positions 0-based."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(("punct", ch, i, i + 1))
            i += 1
        elif ch in "\"'":
            value, end = _read_quoted(text, i)
            tokens.append(("quoted", value, i, end))
            i = end
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "(),":
                j += 1
            tokens.append(("word", text[i:j], i, j))
            i = j
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars = []
    i = start + 1
    while i < len(text):
        if text[i] == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                chars.append(quote)
                i += 2
                continue
            return "".join(chars), i + 1
        chars.append(text[i])
        i += 1
    raise WhereClauseError(text, start + 1, f"the quoted value starting here has no closing {quote}")


def _parse_condition(text: str, tokens: list, pos: int) -> tuple[Condition, int]:
    end_position = len(text.rstrip()) + 1
    if pos >= len(tokens):
        raise WhereClauseError(text, end_position, "expected a variable name")
    kind, subject, start, _ = tokens[pos]
    if kind != "word":
        raise WhereClauseError(text, start + 1, f"expected a variable name, found {subject!r}")
    dataset, variable = _split_subject(text, subject, start)
    pos += 1
    if pos >= len(tokens):
        raise WhereClauseError(text, end_position, f"expected a comparator ({', '.join(COMPARATORS)}) after {subject}")
    kind, comparator, start, _ = tokens[pos]
    comparator = comparator.upper()
    if kind != "word" or comparator not in COMPARATORS:
        raise WhereClauseError(
            text, start + 1, f"expected a comparator ({', '.join(COMPARATORS)}), found {tokens[pos][1]!r}"
        )
    pos += 1
    if comparator in LIST_COMPARATORS:
        values, pos = _parse_list(text, tokens, pos, comparator)
    else:
        if pos >= len(tokens):
            raise WhereClauseError(text, end_position, f"expected a value after {comparator}")
        kind, value, start, end = tokens[pos]
        if kind == "punct":
            hint = "; use IN for a list of values" if value == "(" else ""
            raise WhereClauseError(text, start + 1, f"expected a value after {comparator}, found {value!r}{hint}")
        pos += 1
        if kind == "word":
            # P21 writes single values unquoted even with blanks ("DSCAT EQ DISPOSITION EVENT"): a bare value
            # runs on until AND or the end of the text
            while pos < len(tokens) and tokens[pos][0] == "word" and tokens[pos][1].casefold() not in _KEYWORDS:
                end = tokens[pos][3]
                pos += 1
            value = text[start:end]
        values = (value,)
    return Condition(dataset, variable, comparator, values), pos


def _split_subject(text: str, subject: str, start: int) -> tuple[str | None, str]:
    parts = subject.split(".")
    if len(parts) > 2 or not all(_NAME.match(p) for p in parts):
        raise WhereClauseError(
            text, start + 1,
            f"expected VARIABLE or DATASET.VARIABLE (letter first, then letters, digits, _), found {subject!r}",
        )
    if len(parts) == 2:
        return parts[0].upper(), parts[1].upper()
    return None, parts[0].upper()


def _parse_list(text: str, tokens: list, pos: int, comparator: str) -> tuple[tuple[str, ...], int]:
    end_position = len(text.rstrip()) + 1
    if pos >= len(tokens) or tokens[pos][1] != "(" or tokens[pos][0] != "punct":
        where = tokens[pos][2] + 1 if pos < len(tokens) else end_position
        raise WhereClauseError(text, where, f"expected '(' after {comparator}: {comparator} takes a list like (A, B)")
    open_at = tokens[pos][2]
    pos += 1
    values: list[str] = []
    item: list[tuple[str, str, int, int]] = []
    while True:
        if pos >= len(tokens):
            raise WhereClauseError(text, open_at + 1, "the list opened here has no closing ')'")
        token = tokens[pos]
        kind, value, start, _ = token
        if kind == "punct" and value in ",)":
            if not item:
                raise WhereClauseError(text, start + 1, "expected a value in the list")
            values.append(_list_item(text, item))
            item = []
            pos += 1
            if value == ")":
                return tuple(values), pos
        elif kind == "punct":
            raise WhereClauseError(text, start + 1, "unexpected '(' inside a list")
        else:
            if item and (item[0][0] == "quoted" or kind == "quoted"):
                raise WhereClauseError(text, start + 1, "expected ',' or ')' after a quoted value")
            item.append(token)
            pos += 1


def _list_item(text: str, item: list[tuple[str, str, int, int]]) -> str:
    if item[0][0] == "quoted":
        return item[0][1]
    # several bare words between commas form one value; keep its inner blanks as written
    return text[item[0][2] : item[-1][3]]


def _split_list(value: str) -> tuple[str, ...]:
    """Comma-separated values of a WhereClauses-sheet cell, optionally quoted, optionally in parentheses."""
    inner = value.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    if not inner.strip():
        raise WhereClauseError(value, 1, "expected at least one value")
    prefix = "X IN ("
    try:
        clause = parse_where(f"{prefix}{inner})")
    except WhereClauseError as error:
        position = max(1, error.position - len(prefix) + value.find(inner))
        raise WhereClauseError(value, position, error.reason) from None
    return clause.conditions[0].values


def _unquote_single(value: str) -> str:
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] in "\"'" and stripped[-1] == stripped[0]:
        inner, end = _read_quoted(stripped, 0)
        if end == len(stripped):
            return inner
    return stripped


def quote_value(value: str) -> str:
    """`value` as the canonical text writes it: bare when it is one plain word, else in double quotes."""
    if _BARE.match(value) and value.casefold() not in _KEYWORDS:
        return value
    return '"' + value.replace('"', '""') + '"'


# --- masks ------------------------------------------------------------------------------------------


def _condition_mask(condition: Condition, frame: pd.DataFrame) -> pd.Series:
    import pandas as pd
    from pandas.api import types

    name = condition.variable
    if name not in frame.columns:  # raw EDC columns are mixed case ("Folder"); variable names are upper
        name = next((c for c in frame.columns if str(c).casefold() == name.casefold()), None)
    if name is None:
        raise SpecError(
            f"where condition {condition} names {condition.variable}, which is not a column of the data "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    column = frame[name]
    op = condition.comparator
    numeric = types.is_numeric_dtype(column) and not types.is_bool_dtype(column)
    if types.is_datetime64_any_dtype(column):
        try:
            targets = [pd.Timestamp(v) for v in condition.values]
        except ValueError as error:
            raise SpecError(f"where condition {condition}: {error}; {condition.variable} holds dates") from None
        series = column
    elif numeric:
        targets = [_number(v) for v in condition.values]
        series = column.astype("float64")
    elif op in {"LT", "LE", "GT", "GE"} and _number(condition.values[0]) is not None:
        # a text column compared with a number: compare numerically where the text is a number
        targets = [_number(condition.values[0])]
        series = pd.to_numeric(column, errors="coerce")
    else:
        targets = list(condition.values)
        series = column.astype("string")

    if op in {"EQ", "IN"}:
        result = series.isin([t for t in targets if t is not None])
    elif op in {"NE", "NOTIN"}:
        result = ~series.isin([t for t in targets if t is not None])
    else:
        target = targets[0]
        if target is None:
            raise SpecError(f"where condition {condition}: {condition.values[0]!r} is not a number, "
                            f"but {condition.variable} is numeric")
        compare = {"LT": series.lt, "LE": series.le, "GT": series.gt, "GE": series.ge}[op]
        result = compare(target)
    result = result.fillna(False) if result.dtype != bool else result
    return result.astype(bool).set_axis(frame.index)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
