"""The mapping engine: a domain is its spec's Mapping rows applied to the raw forms they name.

The rules (also in the README of the bundled study workbooks):
- For a dataset and a raw form, the rows that set the dataset's topic variable (Role "Topic" in the
  Variables sheet) define the records: each makes one record per source row that passes its Condition,
  and its Where Clause names that record set (a horizontal form becomes a vertical domain: one set per
  RSTESTCD). A form with no topic row makes one record per source row. Source rows a topic row's
  Condition keeps out are excluded with that reason, so nothing is dropped silently.
- Every other row of that dataset and form fills the records of the set its Where Clause names, or,
  when its Where Clause names no set, the records the clause matches (blank = all). A Condition on
  such a row restricts which records get the value. Constants are set first, then rows in spec order.
- Subject-level datasets (Structure "One record per subject") take their records from their first form;
  every other form is joined on Subject, as is any row with the argument `join=subject`.
- Rows without a Source Form (and `derive` rows) run after the records exist, over the records their
  Where Clause matches; `derive` rows call named domain steps (sdtm.steps).
- A raw record whose every field is empty makes no record: it is excluded with that reason (see
  `empty_record_exclusions`), so it is still reconciled.
- A subject-level dataset with two different records for one subject cannot be mapped: MappingError naming
  the raw file, both rows and the subject (exact duplicates are excluded as duplicates, as in every dataset).
Every record keeps `__file` and `__row`, the raw record it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sdtm.controlled_terms import map_values
from sdtm.dates import (check_failure_share, date_failure_threshold, date_range_problems, declared_date_format,
                        to_iso8601)
from sdtm.frames import as_text, blank_to_none, nulls, value_codes
from sdtm.numbers import to_numbers
from specs.errors import MappingError, Problem
from specs.expressions import UnknownFieldError
from specs.findings import Finding
from specs.rawfields import required_raw_fields

log = logging.getLogger(__name__)

PROVENANCE = ("__file", "__row")
# Raw context kept on every record for the domain steps (USUBJID, visit), dropped before writing: the hidden
# column and the SourceDef attribute naming the raw column a form's Sources row declares for it.
CONTEXT_COLUMNS = (("__subject", "subject_column"), ("__site", "site_column"), ("__visit", "visit_column"),
                   ("__instance", "instance_column"))
TRIAL_DESIGN_SOURCES = frozenset({"TS", "TA", "TE", "TV", "TI"})
EMPTY_RECORD = "every field of the raw record is empty"
RECORD_ALGORITHMS = frozenset({"assign_no_ct", "assign_ct", "hardcode_no_ct", "hardcode_ct", "assign_datetime",
                               "assign_numeric", "supp", "select"})


MAPPING_CT = "TF-MAP-CT"  # a collected value that is no term (nor synonym) of its codelist
DERIVED_NULL = "TF-MAP-NULL"  # a derive row that produced no value at all: a silent failure made visible
MAPPING_VALUE = "TF-MAP-VAL"  # any other record mapped with a problem: a date, a number, a unit, a subject


def mapping_finding(dataset: str, variable: str, file: str | None, row: int | None, value: Any, message: str,
                    severity: str = "error", rule_id: str = MAPPING_VALUE) -> Finding:
    """A record the engine mapped with a problem, as the one Finding type: the raw file and line in
    `file`/`raw_row` (the SDTM record number is not known while mapping)."""
    return Finding(rule_id=rule_id, severity=severity, message=message, dataset=dataset, variables=(variable,),
                   values=(value,), source="mapping", file=file, raw_row=None if row is None else int(row))


@dataclass
class DomainContext:
    """What a domain's steps may read: the spec, built domains, the study's lookups."""

    spec: Any
    raw: Mapping[str, pd.DataFrame]
    domains: dict[str, pd.DataFrame] = field(default_factory=dict)
    lookups: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # source "mapping"
    today: date | None = None  # the build date: collected dates after it are flagged (None: not checked)

    @property
    def studyid(self) -> str:
        return self.spec.study.name

    def domain(self, name: str) -> pd.DataFrame:
        if name not in self.domains:
            raise MappingError(f"{name} is needed here but has not been built; check the domain order in the spec")
        return self.domains[name]

    def report(self, dataset: str, variable: str, frame: pd.DataFrame, mask: pd.Series, message: str | Callable,
               values: pd.Series | None = None, severity: str = "error", rule_id: str = MAPPING_VALUE) -> None:
        """Add one finding per masked record (message may be a function of the value)."""
        if not mask.any():
            return
        chosen = frame.loc[mask]
        shown = (values if values is not None else pd.Series([None] * len(frame), index=frame.index))[mask]
        for file, row, value in zip(chosen.get("__file", [None] * len(chosen)),
                                    chosen.get("__row", [None] * len(chosen)), shown):
            text = message(value) if callable(message) else message
            self.findings.append(mapping_finding(dataset, variable, file, row, value, text, severity, rule_id))

    def report_problems(self, dataset: str, variable: str, frame: pd.DataFrame, problems: pd.Series,
                        values: pd.Series, severity: str = "error") -> None:
        """One finding per record with a problem text (null = no problem), showing the value as collected."""
        for text in problems.dropna().unique():
            self.report(dataset, variable, frame, problems.eq(text).fillna(False).astype(bool), str(text), values,
                        severity)


@dataclass
class DomainResult:
    name: str
    frame: pd.DataFrame
    exclusions: pd.DataFrame  # __file, __row, dataset, reason
    joined_rows: pd.DataFrame  # __file, __row of raw rows whose values were joined in


Step = Callable[..., "pd.Series | pd.DataFrame | None"]


def map_domain(dataset: str, ctx: DomainContext, steps: Mapping[str, Step],
               defer: frozenset[str] = frozenset()) -> DomainResult:
    """Build one domain from its Mapping rows. Raises MappingError for a spec the engine cannot run.

    Derive rows whose function is in `defer` are skipped; run them later with `run_derive_rows`
    (steps that need DM or SE, for the domains DM and SE are built from).
    """
    rows = ctx.spec.mappings_of(dataset)
    if not rows:
        raise MappingError(f"the spec has no Mapping rows for {dataset}")
    record_rows = [r for r in rows if _makes_records(r)]
    forms = list(dict.fromkeys(r.source_form for r in record_rows))
    if _subject_level(ctx.spec, dataset) and forms:
        forms, joins = forms[:1], [r for r in record_rows if r.source_form != forms[0]]
        record_rows = [r for r in record_rows if r.source_form == forms[0]]
    else:
        joins = []
    joins += [r for r in rows if r.argument("join") and r.algorithm != "derive"]
    topics = _topic_variables(ctx.spec, dataset)
    pieces: list[pd.DataFrame] = []
    exclusions: list[pd.DataFrame] = []
    for form in forms:
        form_rows = [r for r in record_rows if r.source_form == form]
        carried = [r for r in rows if r.algorithm == "derive" and r.source_form == form and r.source_field]
        records, excluded = _records_from_form(dataset, _raw(ctx, dataset, form), form_rows, topics, ctx)
        for piece in records:  # a derive row naming a raw field starts from the value as collected
            for row in carried:
                if row.variable not in piece.columns and row.source_field in context_columns(ctx.spec, form).values():
                    continue
                if row.variable not in piece.columns:
                    source = _raw(ctx, dataset, form)
                    values, problems = _field(dataset, row, source)
                    by_row = source["__row"].to_numpy()
                    piece[row.variable] = as_text(piece["__row"].map(values.set_axis(by_row)))
                    if problems.notna().any():
                        shown = _collected(row.source_expr, source, values).set_axis(by_row)
                        ctx.report_problems(dataset, row.variable, piece, piece["__row"].map(problems.set_axis(by_row)),
                                            piece["__row"].map(shown))
        pieces += records
        exclusions += excluded
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=[*PROVENANCE])
    joined: list[pd.DataFrame] = []
    for row in joins:
        frame, used = _join(dataset, frame, row, ctx)
        joined.append(used)
    frame = _fill_formless(dataset, frame, [r for r in rows if not r.source_form and r.algorithm != "derive"], ctx)
    for row in rows:  # a variable no record received a value for (or no records at all) still exists
        target = f"__supp__{row.variable}" if row.algorithm == "supp" else row.variable
        if row.algorithm not in ("derive", "select", "not_submitted") and target not in frame.columns:
            frame[target] = nulls(frame.index)
    _report_identical_records(dataset, frame, ctx)
    if _subject_level(ctx.spec, dataset):
        assert_one_record_per_subject(dataset, frame, context_columns(ctx.spec, forms[0]).get("__subject")
                                      if forms else None)
    frame = run_derive_rows(dataset, frame, ctx, steps, lambda name: name not in defer)
    excluded = pd.concat([e for e in exclusions if len(e)], ignore_index=True) if any(
        len(e) for e in exclusions) else pd.DataFrame(columns=[*PROVENANCE, "dataset", "reason"])
    used = pd.concat(joined, ignore_index=True) if joined else pd.DataFrame(columns=[*PROVENANCE])
    return DomainResult(dataset, frame, excluded, used)


def _makes_records(row) -> bool:
    return (bool(row.source_form) and row.source_form.upper() not in TRIAL_DESIGN_SOURCES
            and row.algorithm in RECORD_ALGORITHMS and not row.argument("join"))


def _subject_level(spec, dataset: str) -> bool:
    structure = (spec.dataset(dataset).structure or "") if spec.has_dataset(dataset) else ""
    return structure.strip().casefold() == "one record per subject"


def _topic_variables(spec, dataset: str) -> set[str]:
    topics = {v.name for v in spec.variables_of(dataset) if (v.role or "").casefold() == "topic"}
    return topics or {f"{dataset}TESTCD", f"{dataset}TERM", f"{dataset}TRT"}


def _raw(ctx: DomainContext, dataset: str, form: str) -> pd.DataFrame:
    """The raw form's records that hold something: all-empty records make no SDTM record (they are
    excluded with a reason by the study build, see `empty_record_exclusions`)."""
    if form not in ctx.raw:
        raise MappingError(f"{dataset}: the spec maps from raw form {form}, which was not read")
    key = f"raw:{form}"
    if key not in ctx.lookups:
        source = ctx.raw[form]
        missing = [c for c in context_columns(ctx.spec, form).values() if c not in source.columns]
        if missing:
            raise MappingError(f"{dataset}: the Sources sheet declares column(s) {', '.join(missing)} of form {form}, "
                               f"which its raw file does not have (it has {', '.join(map(str, source.columns[:40]))})")
        unused = empty_records(source) | duplicate_records(source, fields_read(ctx.spec, form, source))[0]
        ctx.lookups[key] = source.loc[~unused].reset_index(drop=True) if unused.any() else source
    return ctx.lookups[key]


def context_columns(spec, form: str) -> dict[str, str]:
    """Hidden record column -> the raw column the form's Sources row (or the `*` row) declares for it."""
    source = spec.source_of(form)
    return {hidden: getattr(source, attribute) for hidden, attribute in CONTEXT_COLUMNS
            if getattr(source, attribute, None)}


def subject_column(spec, form: str, needed_by: str) -> str:
    """The raw column holding each record's subject; MappingError when the spec declares none."""
    column = context_columns(spec, form).get("__subject")
    if column is None:
        raise MappingError(f"{needed_by} needs the subject of each {form} record: declare its Subject Column in the "
                           f"Sources sheet (a row for {form}, or the `*` row)")
    return column


def empty_records(source: pd.DataFrame) -> pd.Series:
    """True for each raw record whose every field (provenance aside) is empty or blanks only."""
    columns = [c for c in source.columns if not str(c).startswith("__")]
    empty = pd.Series(bool(columns), index=source.index)
    for column in columns:
        if not empty.any():
            break
        values = source.loc[empty, column]
        empty[empty] = (values.isna() | values.astype("str").str.strip().eq("")).to_numpy(dtype=bool)
    return empty


def fields_read(spec, form: str, source: pd.DataFrame) -> list[str]:
    """The columns of a raw form the spec reads (any Mapping row, Condition or argument naming them, and the
    declared subject/site/visit/instance columns), as the form's header spells them."""
    fields = [f.find(source.columns) for f in required_raw_fields(spec).get(form, ())]
    fields += list(context_columns(spec, form).values())
    return [c for c in dict.fromkeys(fields) if c is not None and c in source.columns]


def duplicate_records(source: pd.DataFrame, fields: list[str]) -> tuple[pd.Series, pd.Series]:
    """Raw records identical, as collected, in every field the spec reads from their form (before any
    transformation: two different dates that both fail to parse are not duplicates): True for every copy
    after the first, and the raw row of that first record."""
    if source.empty or not fields:
        return pd.Series(False, index=source.index), pd.Series(dtype=object)
    keyed = value_codes(source, fields)  # missing and blank stay distinct from any text
    copies = keyed.duplicated(keep="first")
    if not copies.any():
        return copies, pd.Series(dtype=object)
    first_row = source.groupby([keyed[c] for c in keyed.columns], sort=False)["__row"].transform("first")
    return copies, first_row


def raw_exclusions(spec, raw: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The raw records that make no SDTM record at all, with the reason: every field empty, or an exact
    duplicate of an earlier record of the same form."""
    pieces = []
    for form, source in raw.items():
        empty = empty_records(source)
        if empty.any():
            pieces.append(source.loc[empty, list(PROVENANCE)].assign(dataset=None, reason=EMPTY_RECORD))
        copies, first_row = duplicate_records(source.loc[~empty], fields_read(spec, form, source))
        if copies.any():
            chosen = source.loc[~empty].loc[copies]
            reasons = [f"exact duplicate of {f} row {r} (identical in every field the spec reads from {form})"
                       for f, r in zip(chosen["__file"], first_row[copies])]
            pieces.append(chosen[list(PROVENANCE)].assign(dataset=None, reason=reasons))
            log.warning("%s: %d exact duplicate records excluded (audit/sdtm/excluded-records.csv)", form,
                        int(copies.sum()))
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=[*PROVENANCE, "dataset", "reason"])


def assert_one_record_per_subject(dataset: str, frame: pd.DataFrame, column: str | None = None) -> None:
    """A subject-level dataset (DM) cannot hold two different records for one subject: MappingError naming
    the raw file, every row of the subject and the variables in which the records differ."""
    key = "__subject" if "__subject" in frame.columns else "USUBJID"
    if key not in frame.columns or frame.empty:
        return
    several = frame[key].duplicated(keep=False)
    if not several.any():
        return
    content = [c for c in frame.columns if not str(c).startswith("__") or str(c).startswith("__supp__")]
    problems = []
    for subject, group in frame.loc[several].groupby(key, sort=False, dropna=False):
        rows = [int(r) for r in group["__row"]]
        files = list(dict.fromkeys(str(f) for f in group["__file"]))
        differ = [c.removeprefix("__supp__") for c in content if group[c].astype("str").nunique(dropna=False) > 1]
        problems.append(Problem(
            files[0], f"subject {subject!r} has {len(rows)} records, on rows {', '.join(map(str, rows))}"
                      f"{' of ' + ' and '.join(files) if len(files) > 1 else ''}"
                      f"{', which differ in ' + ', '.join(differ) if differ else ''}; {dataset} holds one record "
                      f"per subject: keep one of them in the raw extract", row=rows[1], column=column or key))
    raise MappingError(f"{dataset} has one record per subject, but the raw data has several for "
                       f"{len(problems)} subject(s)", problems)


def _records_from_form(dataset: str, source: pd.DataFrame, rows: list, topics: set[str],
                       ctx: DomainContext) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The record sets one raw form makes for a dataset, and the source rows each set leaves out."""
    topic_rows = [r for r in rows if r.variable in topics and r.algorithm != "supp"] + \
        [r for r in rows if r.algorithm == "select"]
    set_names = list(dict.fromkeys(str(r.where) if r.where is not None else None for r in topic_rows)) or [None]
    named_sets = {name for name in set_names if name is not None}
    pieces, exclusions = [], []
    for set_name in set_names:
        keep = pd.Series(True, index=source.index)
        reasons = pd.Series([None] * len(source), index=source.index, dtype=object)
        for row in (r for r in topic_rows if (str(r.where) if r.where is not None else None) == set_name):
            if row.argument("first_by"):
                order = row.argument("order")
                first = _first_occurrence(source, row, keep,
                                          ctx.spec.source_of(row.source_form).date_format_of(order) if order else None)
                reasons[keep & ~first] = row.argument("reason") or (
                    f"{dataset}: already recorded from an earlier {row.source_form} record with the same "
                    f"{row.argument('first_by')} (Mapping row {row.row})")
                keep &= first
            if row.condition is None:
                continue
            meets = _condition(dataset, row, source, ctx)
            reasons[keep & ~meets] = row.argument("reason") or (
                f"{dataset}{' [' + set_name + ']' if set_name else ''}: does not meet {row.condition} "
                f"(Mapping row {row.row})")
            keep &= meets
        exclusions.append(source.loc[~keep, list(PROVENANCE)].assign(dataset=dataset, reason=reasons[~keep]))
        chosen = source.loc[keep].reset_index(drop=True)
        records = chosen[list(PROVENANCE)].copy()  # Series assignment keeps Arrow text as it is
        for hidden, raw_name in context_columns(ctx.spec, rows[0].source_form).items():
            records[hidden] = chosen[raw_name]
        value_rows = [r for r in rows if r.algorithm not in ("select", "not_submitted")]
        # constants that apply to every record first (a where clause may test them), then spec order
        constants = [r for r in value_rows if r.algorithm in ("hardcode_no_ct", "hardcode_ct") and r.where is None
                     and r.condition is None]
        for row in constants + [r for r in value_rows if r not in constants]:
            where = str(row.where) if row.where is not None else None
            if where is not None and where != set_name and where in named_sets:
                continue  # the row fills another record set of this form
            applies = pd.Series(True, index=records.index)
            if where is not None and where != set_name:
                applies = _mask(row.where, records)
            if row.condition is not None:
                applies &= pd.Series(_condition(dataset, row, chosen, ctx).to_numpy(), index=records.index)
            _assign(dataset, row, records, chosen, applies, ctx)
        pieces.append(records)
    return pieces, exclusions


def _first_occurrence(source: pd.DataFrame, row, keep: pd.Series, date_format: str | None = None) -> pd.Series:
    """`first_by=A, B; order=DATEFIELD`: only the earliest source row of each (A, B) makes a record (a new
    lesion is identified once, at the first scan that shows it); ties and undated rows go by raw row."""
    by = [c.strip() for c in row.argument("first_by").split(",") if c.strip()]
    missing = [c for c in by if c not in source.columns]
    if missing:
        raise MappingError(f"Mapping row {row.row}: first_by names {missing}, not fields of form {row.source_form}")
    order = row.argument("order")
    when = to_iso8601(source[order], None, date_format)[0] if order else pd.Series("", index=source.index)
    ranked = source.loc[keep, by].assign(_when=when[keep].fillna("9999"), _row=source.loc[keep, "__row"])
    ranked = ranked.sort_values(["_when", "_row"], kind="mergesort")
    first = ~ranked.duplicated(by, keep="first")
    result = pd.Series(False, index=source.index)
    result[ranked.index[first.to_numpy()]] = True
    return result


def _mask(where, records: pd.DataFrame) -> pd.Series:
    """A where clause over the records built so far; a variable not filled yet matches nothing."""
    if any(c.variable not in records.columns for c in where.conditions):
        return pd.Series(False, index=records.index)
    return pd.Series(where.mask(records).to_numpy(), index=records.index)


def _assign(dataset: str, row, records: pd.DataFrame, source: pd.DataFrame, applies: pd.Series,
            ctx: DomainContext) -> None:
    """Set one row's value on the records it applies to (earlier values elsewhere are kept)."""
    if not applies.any():
        return
    target = f"__supp__{row.variable}" if row.algorithm == "supp" else row.variable
    value = _value(dataset, row, source, records, ctx, applies)
    if applies.all():  # the common case: nothing to keep or blank
        pass
    elif target in records.columns:
        value = value.where(applies.to_numpy(), records[target])
    else:
        value = value.where(applies.to_numpy(), None) if not pd.api.types.is_numeric_dtype(value) else \
            value.where(applies.to_numpy())
    records[target] = _stored(value)


def fill_constants(dataset: str, frame: pd.DataFrame, ctx: DomainContext) -> pd.DataFrame:
    """The dataset's rows without a Source Form (constants such as STUDYID, DOMAIN) over `frame`."""
    return _fill_formless(dataset, frame, [r for r in ctx.spec.mappings_of(dataset)
                                           if not r.source_form and r.algorithm != "derive"], ctx)


def _fill_formless(dataset: str, frame: pd.DataFrame, rows: list, ctx: DomainContext) -> pd.DataFrame:
    """Rows without a Source Form (constants) over the records their Where Clause matches."""
    if not rows:
        return frame
    frame = frame.copy()
    for row in rows:
        applies = _mask(row.where, frame) if row.where is not None else pd.Series(True, index=frame.index)
        _assign(dataset, row, frame, frame, applies, ctx)
    return frame


def _positional(values: pd.Series, index: pd.Index) -> pd.Series:
    """`values` by position on `index`. Arrow text keeps its Arrow array: a round trip through Python
    objects (to_numpy, then back to `str`) was a third of the SDTM stage at 5,000 subjects."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is not pd.NA:
        return values.set_axis(index)
    return pd.Series(values.to_numpy(), index=index)


def _stored(values: pd.Series) -> pd.Series:
    """Numbers stay numeric; everything else becomes object text with None for missing."""
    return values if pd.api.types.is_numeric_dtype(values) else as_text(values)


def _value(dataset: str, row, source: pd.DataFrame, records: pd.DataFrame, ctx: DomainContext,
           applies: pd.Series | None = None) -> pd.Series:
    """The row's value for every source row; problems are reported only where the value applies."""
    algorithm = row.algorithm
    applies = pd.Series(True, index=records.index) if applies is None else applies
    if algorithm in ("hardcode_no_ct", "hardcode_ct"):
        value = row.argument("value")
        if value is None:
            raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} ({algorithm}) needs value=...")
        if algorithm == "hardcode_ct":
            _check_term(dataset, row, value, ctx)
        return pd.Series([value] * len(source), dtype=object)
    field_values, expression_problems = _field(dataset, row, source)
    if expression_problems.notna().any():  # e.g. number(X) of a text that is no number
        ctx.report_problems(dataset, row.variable, records, expression_problems.set_axis(records.index).where(applies),
                            _collected(row.source_expr, source, field_values).set_axis(records.index))
    if algorithm == "supp" and _supp_codelist(dataset, row, ctx):
        return _map_ct(dataset, row, field_values, records, ctx, applies)
    if algorithm in ("assign_no_ct", "supp"):
        return blank_to_none(field_values)
    if algorithm == "assign_ct":
        return _map_ct(dataset, row, field_values, records, ctx, applies)
    if algorithm == "assign_datetime":
        time_field = row.argument("time")
        if time_field and time_field not in source.columns:
            raise MappingError(f"{dataset}.{row.variable}: time field {time_field} is not in form {row.source_form}")
        times = source[time_field] if time_field else None
        date_format = declared_date_format(ctx.spec, row)
        iso, problems = to_iso8601(field_values, times, date_format)
        shown = field_values.set_axis(records.index)
        if times is not None:  # show date and time as collected
            clock = times.fillna("").astype(str).str.strip().set_axis(records.index)
            shown = shown.where(clock.eq(""), shown.astype(str) + " " + clock)
        problems = problems.set_axis(records.index).where(applies)
        ctx.report_problems(dataset, row.variable, records, problems, shown)
        threshold = date_failure_threshold(ctx.spec, row.source_form)
        if threshold is not None:  # a form whose dates mostly fail is read wrongly: stop, say how
            lost = problems.where(iso.set_axis(records.index).isna())  # an invalid time keeps its date: not lost
            check_failure_share(row.source_form, row.source_field, field_values.set_axis(records.index).where(applies),
                                lost, records, threshold, date_format)
        if ctx.today is not None:
            ranged = date_range_problems(iso, ctx.today).set_axis(records.index).where(applies)
            ctx.report_problems(dataset, row.variable, records, ranged, shown, severity="warning")
        return iso
    if algorithm == "assign_numeric":
        text = blank_to_none(field_values)
        number, problems = to_numbers(text)
        ctx.report_problems(dataset, row.variable, records, problems.set_axis(records.index).where(applies),
                            text.set_axis(records.index))
        return number.astype(float)
    raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} names unknown algorithm {algorithm!r}")


def _field(dataset: str, row, source: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The row's Source Field (an expression; a plain field name is its column) over the source records:
    (values, per-row problem texts)."""
    if row.source_expr is None:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} ({row.algorithm}) needs a Source Field")
    try:
        return row.source_expr.evaluate(source, text=True)
    except UnknownFieldError as error:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} reads field {error.field!r}, which form "
                           f"{row.source_form} does not have (columns: {error.columns_text})") from None


def _condition(dataset: str, row, source: pd.DataFrame, ctx: DomainContext) -> pd.Series:
    """Where the row's Condition holds over `source`; its problems (a value that is not a number) are findings."""
    try:
        holds, problems = row.condition.evaluate(source)
    except UnknownFieldError as error:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row}: the Condition {row.condition} names "
                           f"field {error.field!r}, which form {row.source_form} does not have (columns: "
                           f"{error.columns_text})") from None
    if problems.notna().any():
        ctx.report_problems(dataset, row.variable, source, problems, _collected(row.condition, source, holds))
    return holds


def _collected(expression, source: pd.DataFrame, values: pd.Series) -> pd.Series:
    """What a finding shows as collected: the one raw field the expression reads, else each field it reads as
    NAME=value (or the expression's value when it reads none)."""
    names = [name for name in expression.fields if name in source.columns]
    if len(names) == 1:
        return source[names[0]]
    shown = None
    for name in names:
        part = name + "=" + as_text(source[name]).fillna("")
        shown = part if shown is None else shown + "; " + part
    return values if shown is None else shown


def _map_ct(dataset: str, row, values: pd.Series, records: pd.DataFrame, ctx: DomainContext,
            applies: pd.Series) -> pd.Series:
    """Map collected text through the codelist that governs each record (value-level first)."""
    values = values.set_axis(records.index)
    mapped = pd.Series([None] * len(records), index=records.index, dtype=object)
    for codelist_id, subset in _codelists_for(dataset, row, records, ctx):
        part, unmapped = map_values(values[subset], _lookup(codelist_id, dataset, row, ctx))
        mapped[subset] = part.to_numpy()
        bad = pd.Series(False, index=records.index)
        bad[subset] = unmapped.to_numpy()
        ctx.report(dataset, row.variable, records, bad & applies,
                   lambda v, c=codelist_id: f"{v!r} is not a term of codelist {c} (nor one of its synonyms or "
                                            f"collected spellings)", values, rule_id=MAPPING_CT)
    return mapped


def _codelists_for(dataset: str, row, records: pd.DataFrame, ctx: DomainContext):
    """(codelist id, record mask) pairs: an argument codelist=, value-level rows, then the variable's."""
    explicit = row.argument("codelist") or (_supp_codelist(dataset, row, ctx) if row.algorithm == "supp" else None)
    if explicit:
        return [(explicit, pd.Series(True, index=records.index))]
    remaining = pd.Series(True, index=records.index)
    pairs = []
    for vlm in ctx.spec.value_level_of(dataset, row.variable):
        if not vlm.codelist or vlm.where is None:
            continue
        same = row.where is not None and str(row.where) == str(vlm.where)
        subset = remaining.copy() if same else remaining & _mask(vlm.where, records)
        if subset.any():
            pairs.append((vlm.codelist, subset))
            remaining = remaining & ~subset
    if remaining.any():
        variable = ctx.spec.variable(dataset, row.variable) if ctx.spec.has_variable(dataset, row.variable) else None
        if variable is None or not variable.codelist:
            if not pairs:
                raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} maps with controlled "
                                   f"terminology but the variable has no codelist in the spec")
        else:
            pairs.append((variable.codelist, remaining))
    return pairs


def _supp_codelist(dataset: str, row, ctx: DomainContext) -> str | None:
    """The codelist of the SUPP-- QVAL value-level row `QNAM EQ <qnam>` of a `supp` row, if it has one."""
    qnam = row.argument("qnam") or row.variable
    for vlm in ctx.spec.value_level_of(f"SUPP{dataset}", "QVAL"):
        conditions = vlm.where.conditions if vlm.where is not None else ()
        if vlm.codelist and any(c.variable == "QNAM" and c.comparator == "EQ" and tuple(c.values) == (qnam,)
                                for c in conditions):
            return vlm.codelist
    return None


def _lookup(codelist_id: str, dataset: str, row, ctx: DomainContext) -> dict[str, str]:
    key = f"ct:{codelist_id}"
    if key not in ctx.lookups:
        from sdtm.codelists import lookup_for_codelist

        ctx.lookups[key] = lookup_for_codelist(ctx.spec, codelist_id, f"{dataset}.{row.variable}")
    return ctx.lookups[key]


def _check_term(dataset: str, row, value: str, ctx: DomainContext) -> None:
    """A hard-coded term must belong to a codelist that may govern the variable (value-level included)."""
    candidates = [row.argument("codelist")] if row.argument("codelist") else [
        v.codelist for v in ctx.spec.value_level_of(dataset, row.variable) if v.codelist]
    if not row.argument("codelist") and ctx.spec.has_variable(dataset, row.variable):
        candidates.append(ctx.spec.variable(dataset, row.variable).codelist)
    candidates = [c for c in candidates if c]
    if not candidates:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} hard-codes a controlled term but "
                           f"the variable has no codelist in the spec")
    if not any(value in _lookup(c, dataset, row, ctx).values() for c in candidates):
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} hard-codes {value!r}, which is not a "
                           f"term of codelist {' or '.join(candidates)}")


def _join(dataset: str, frame: pd.DataFrame, row, ctx: DomainContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill a variable from another form, one value per subject (e.g. DM.RFICDTC from the consent form)."""
    key = (row.argument("join") or "subject").lower()  # subject-level datasets join implicitly
    if key != "subject":
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row}: join={key!r}; only join=subject")
    source = _raw(ctx, dataset, row.source_form)
    if row.condition is not None:
        source = source[_condition(dataset, row, source, ctx)]
    subject = subject_column(ctx.spec, row.source_form, f"{dataset}.{row.variable} (Mapping row {row.row}, a join)")
    several = source[subject].duplicated(keep=False)
    if several.any():
        ctx.report(dataset, row.variable, source, several & source[subject].duplicated(keep="first"),
                   f"more than one {row.source_form} record for the subject; the first is used")
    source = source[~source[subject].duplicated(keep="first")].reset_index(drop=True)
    scratch = pd.DataFrame({name: source[name] for name in PROVENANCE})
    value = _value(dataset, row, source, scratch, ctx)
    lookup = pd.Series(value.to_numpy(), index=source[subject].to_numpy())
    frame = frame.copy()
    joined = frame["__subject"].map(lookup)
    target = f"__supp__{row.variable}" if row.algorithm == "supp" else row.variable
    if target in frame.columns:
        joined = frame[target].where(frame[target].notna(), joined)
    frame[target] = _stored(joined)
    used = source.loc[source[subject].isin(frame["__subject"]), list(PROVENANCE)]
    return frame, used


def _report_identical_records(dataset: str, frame: pd.DataFrame, ctx: DomainContext) -> None:
    """Records identical in every mapped variable that came from different raw records (raw duplicates are
    excluded before mapping): both are kept, since their raw records differ, and each later copy is a
    warning naming the first, for the data manager to resolve."""
    # the record's subject, visit and form instance are collected context: records apart in them are not copies
    context = ("__subject", "__visit", "__instance")
    content = [c for c in frame.columns if not c.startswith("__") or c.startswith("__supp__") or c in context]
    named = [c for c in content if not c.startswith("__")]
    if frame.empty or not named:
        return
    keyed = value_codes(frame, content)
    copies = keyed.duplicated(keep="first")
    if not copies.any():
        return
    first_row = frame.groupby([keyed[c] for c in keyed.columns], sort=False)["__row"].transform("first")
    ctx.report(dataset, named[0], frame, copies,
               lambda row: f"identical, once mapped, to the record from raw row {row} (the raw records differ in a "
                           f"field the mapping does not carry into {dataset}); both are kept", first_row,
               severity="warning")


def run_derive_rows(dataset: str, frame: pd.DataFrame, ctx: DomainContext, steps: Mapping[str, Step],
                    wanted: Callable[[str | None], bool] = lambda name: True) -> pd.DataFrame:
    """Run the dataset's derive rows whose function name `wanted` accepts, in spec order.

    A step that fills several variables (visit: VISITNUM, VISIT, VISITDY) runs once for its rows.
    """
    done: set[tuple] = set()
    for row in ctx.spec.mappings_of(dataset):
        if row.algorithm != "derive" or not wanted(row.argument("function")):
            continue
        key = (row.arguments, str(row.where))
        if key in done and row.variable in frame.columns:
            continue
        done.add(key)
        frame = _derive(dataset, frame, row, ctx, steps)
    return frame


def _derive(dataset: str, frame: pd.DataFrame, row, ctx: DomainContext, steps: Mapping[str, Step]) -> pd.DataFrame:
    name = row.argument("function")
    if not name or name not in steps:
        known = ", ".join(sorted(steps))
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} derives with unknown function "
                           f"{name!r}; known: {known}")
    args = {k: v for k, v in row.arguments if k != "function"}
    try:
        result = steps[name](frame, ctx, dataset=dataset, variable=row.variable, **args)
    except TypeError as exc:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row}: {name}({args}) failed: {exc}") from exc
    # the frame is the engine's own working copy (made by map_domain), so it is filled in place
    applies = _mask(row.where, frame).to_numpy() if row.where is not None else np.ones(len(frame), dtype=bool)
    produced = result if isinstance(result, pd.DataFrame) else (
        pd.DataFrame({row.variable: result.to_numpy()}, index=frame.index) if isinstance(result, pd.Series) else None)
    if produced is None:
        return frame
    if isinstance(result, pd.DataFrame):  # a step filling several variables fills those the dataset has
        declared = {v.name for v in ctx.spec.variables_of(dataset)} | {row.variable}
        produced = produced[[c for c in produced.columns if c in declared or str(c).startswith("__")]]
    if row.is_supp:  # a derived supplemental qualifier (relationships.build_supp writes it)
        produced = produced.rename(columns={row.variable: f"__supp__{row.variable}"})
    for column in produced.columns:
        values = _positional(produced[column], frame.index)
        if column.removeprefix("__supp__") == row.variable and len(frame) and applies.any() and \
                values[applies].isna().all():
            ctx.findings.append(mapping_finding(
                dataset, str(column), None, None, None, f"derived by {name} (Mapping row {row.row}) but null on "
                f"every one of the {int(applies.sum())} records it applies to", "warning", DERIVED_NULL))
        if column in frame.columns and not applies.all():
            values = values.where(applies, frame[column])
        elif not applies.all():
            values = values.where(applies)
        frame[column] = _stored(values)
    return frame
