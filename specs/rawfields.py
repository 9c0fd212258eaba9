"""Which raw EDC columns an SDTM spec reads, and where the spec names each one.

The spec does not list the columns of a raw form; it names them where it uses them on the Mapping sheet:

- `Source Field` and `Condition`: expressions (specs.expressions) over the raw record; every field
  name they use (`AETERM`, `upper(AETERM)`, `AEONGO == 'Yes'`) is a column, matched exactly as the
  engine reads it;
- `Arguments` `time=`, `order=` (one column) and `first_by=` (a comma-separated list): columns of the
  same form the engine reads (the time part of a date, the order and key of first occurrences).

A row's `Where Clause` is not here: it tests SDTM variables of the records built so far, not raw columns,
and `specs.checks` checks it against the Variables sheet. Trial-design rows (Source Form TS, TA, TE, TV,
TI) read spec sheets, not raw forms.

`required_raw_fields(spec)` gives form -> fields for the raw reader; `missing_raw_fields` matches them
against a CSV header; `check_condition_fields` warns when a Condition names a column no row of the
form declares as a Source Field (a spelling mistake the spec alone can reveal).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from specs.errors import Problem
from specs.model import TRIAL_DESIGN_SHEETS, MappingRow, Spec

# Arguments whose value names one raw column, and those naming a comma-separated list of them.
FIELD_ARGUMENTS: tuple[str, ...] = ("time", "order")
FIELD_LIST_ARGUMENTS: tuple[str, ...] = ("first_by",)


@dataclass(frozen=True, slots=True)
class RawField:
    """One raw column a spec reads: its form, its name as the spec writes it, and the cell naming it."""

    form: str
    name: str
    sheet: str
    row: int
    column: str  # the Mapping sheet column that names it: Source Field, Condition or Arguments

    def __str__(self) -> str:
        return self.name

    @property
    def where(self) -> str:
        return f"sheet {self.sheet!r}, row {self.row}, column {self.column!r}"

    def find(self, header: Iterable[str]) -> str | None:
        """The header entry this field reads, or None when the header lacks it (names match exactly)."""
        return self.name if self.name in list(header) else None


def is_raw_form(source_form: str | None) -> bool:
    """A Source Form naming a raw extract (not blank, not a trial-design sheet)."""
    return bool(source_form) and source_form.upper() not in TRIAL_DESIGN_SHEETS


def fields_of_row(row: MappingRow) -> list[RawField]:
    """The raw columns one Mapping row reads, in the order the row names them."""
    if not is_raw_form(row.source_form):
        return []
    form = row.source_form

    def field(name: str, column: str) -> RawField:
        return RawField(form=form, name=name, sheet=row.sheet, row=row.row, column=column)

    found = [field(name, "Source Field") for name in (row.source_expr.fields if row.source_expr else ())]
    found += [field(name, "Condition") for name in (row.condition.fields if row.condition else ())]
    for key in FIELD_ARGUMENTS:
        if value := (row.argument(key) or "").strip():
            found.append(field(value, "Arguments"))
    for key in FIELD_LIST_ARGUMENTS:
        found += [field(name.strip(), "Arguments") for name in (row.argument(key) or "").split(",") if name.strip()]
    return found


def required_raw_fields(spec: Spec) -> dict[str, tuple[RawField, ...]]:
    """Raw form -> the columns the spec reads from it (first naming row first; no duplicates).

    Every raw form a Mapping row names is a key, even when no row names a column of it. The answer for the
    last spec asked about is kept: a build asks once per form and a spec is immutable.
    """
    if _last_answer and _last_answer[0] is spec:
        return dict(_last_answer[1])
    answer = _required_raw_fields(spec)
    _last_answer[:] = [spec, answer]
    return dict(answer)


_last_answer: list = []  # [spec, its answer]


def _required_raw_fields(spec: Spec) -> dict[str, tuple[RawField, ...]]:
    fields: dict[str, dict[str, RawField]] = {}
    for row in spec.mappings:
        if not is_raw_form(row.source_form):
            continue
        known = fields.setdefault(row.source_form, {})
        for new in fields_of_row(row):
            known.setdefault(new.name, new)
    return {form: tuple(found.values()) for form, found in fields.items()}


def missing_raw_fields(fields: Iterable[RawField | str], header: Sequence[str]) -> list[tuple[str, str]]:
    """(column, message) for every field `header` lacks; plain strings are matched exactly."""
    missing: list[tuple[str, str]] = []
    seen: set[str] = set()
    for field in fields:
        if isinstance(field, RawField):
            if field.find(header) is None and field.name not in seen:
                seen.add(field.name)
                missing.append((field.name, f"column is missing; the spec reads it ({field.where})"))
        elif field and field not in header and field not in seen:
            seen.add(field)
            missing.append((field, "column is missing; the spec maps from it"))
    return missing


def check_condition_fields(spec: Spec) -> list[Problem]:
    """Warnings: a Condition names a column that no Mapping row of its Source Form declares as Source Field.

    The spec alone cannot know a raw form's columns, but a name used only in Conditions is often a typo;
    the build reads the raw data and stops when the column is really missing. One warning per form and
    name, at its first row, listing the other rows.
    """
    declared: dict[str, set[str]] = {}
    for row in spec.mappings:
        if is_raw_form(row.source_form) and row.source_expr is not None:
            declared.setdefault(row.source_form.casefold(), set()).update(row.source_expr.fields)
    uses: dict[tuple[str, str], list[MappingRow]] = {}
    for row in spec.mappings:
        if not is_raw_form(row.source_form) or row.condition is None:
            continue
        for name in row.condition.fields:
            if name not in declared.get(row.source_form.casefold(), set()):
                rows = uses.setdefault((row.source_form, name), [])
                if row not in rows:
                    rows.append(row)
    problems = []
    for (form, name), rows in uses.items():
        first, others = rows[0], rows[1:]
        also = f" (also rows {', '.join(str(r.row) for r in others)})" if others else ""
        problems.append(Problem(
            spec.source, f"the Condition names {name}, which no Mapping row of Source Form {form} declares as a "
                         f"Source Field{also}; the build needs raw form {form} to have this column: check the "
                         f"spelling, or declare the column (e.g. a not_submitted row)",
            first.sheet, first.row, "Condition", "warning"))
    return problems

