"""The mapping engine: a domain is its spec's Mapping rows applied to the raw forms they name.

How rows turn into records:
- Every raw form named by a row of the dataset is a record source. When some of that form's rows
  carry a Where Clause (e.g. `RSTESTCD EQ OVRLRESP`), each distinct clause yields one record per
  source row (a horizontal form becomes a vertical domain); rows without a Where Clause apply to all.
- A `select` row's Condition keeps only the source rows that should become records; the others are
  excluded with the reason the row's Arguments give (`reason=...`), so nothing is dropped silently.
- Other rows fill their variable; a Condition restricts the records a value is set on. Rows with the
  argument `join=subject` do not make records: they look the value up in their form by subject.
- `derive` rows run named domain steps (sdtm.steps) after the records exist, in spec order.
Every record keeps `__file` and `__row`, the raw record it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sdtm.controlled_terms import map_values
from sdtm.dates import to_iso8601
from sdtm.frames import as_text, blank_to_none
from specs.errors import MappingError, Problem

log = logging.getLogger(__name__)

PROVENANCE = ("__file", "__row")
# Raw context kept on every record for the domain steps (visit, USUBJID), dropped before writing.
CONTEXT = {"Subject": "__subject", "Folder": "__folder", "InstanceName": "__instance"}
TRIAL_DESIGN_SOURCES = frozenset({"TS", "TA", "TE", "TV", "TI"})
RECORD_ALGORITHMS = frozenset({"assign_no_ct", "assign_ct", "hardcode_no_ct", "hardcode_ct", "assign_datetime",
                               "assign_numeric", "supp", "select"})


@dataclass(frozen=True)
class MappingFinding:
    """A record the engine mapped with a problem: an unmapped term, an invalid date, an unknown unit."""

    dataset: str
    variable: str
    file: str | None
    row: int | None
    value: Any
    message: str
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "variable": self.variable, "file": self.file, "row": self.row,
                "value": None if self.value is None else str(self.value), "message": self.message,
                "severity": self.severity}


@dataclass
class DomainContext:
    """What a domain's steps may read: the spec, built domains, the study's lookups."""

    spec: Any
    raw: Mapping[str, pd.DataFrame]
    domains: dict[str, pd.DataFrame] = field(default_factory=dict)
    lookups: dict[str, Any] = field(default_factory=dict)
    findings: list[MappingFinding] = field(default_factory=list)

    @property
    def studyid(self) -> str:
        return self.spec.study.name

    def domain(self, name: str) -> pd.DataFrame:
        if name not in self.domains:
            raise MappingError(f"{name} is needed here but has not been built; check the domain order in the spec")
        return self.domains[name]

    def report(self, dataset: str, variable: str, frame: pd.DataFrame, mask: pd.Series, message: str | Callable,
               values: pd.Series | None = None, severity: str = "error") -> None:
        """Add one finding per masked record (message may be a function of the value)."""
        if not mask.any():
            return
        chosen = frame.loc[mask]
        shown = (values if values is not None else pd.Series([None] * len(frame), index=frame.index))[mask]
        for file, row, value in zip(chosen.get("__file", [None] * len(chosen)),
                                    chosen.get("__row", [None] * len(chosen)), shown):
            text = message(value) if callable(message) else message
            self.findings.append(MappingFinding(dataset, variable, file, None if row is None else int(row), value,
                                                text, severity))


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
    pieces: list[pd.DataFrame] = []
    exclusions: list[pd.DataFrame] = []
    for form in dict.fromkeys(r.source_form for r in record_rows):
        source = _raw(ctx, dataset, form)
        form_rows = [r for r in record_rows if r.source_form == form]
        groups = list(dict.fromkeys(str(r.where) for r in form_rows if r.where is not None)) or [None]
        for group in groups:
            applicable = [r for r in form_rows if r.where is None or str(r.where) == group]
            records, excluded = _records_from_form(dataset, source, applicable, ctx, group)
            pieces.append(records)
            exclusions.append(excluded)
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=[*PROVENANCE])
    joined: list[pd.DataFrame] = []
    for row in rows:
        if row.argument("join"):
            frame, used = _join(dataset, frame, row, ctx)
            joined.append(used)
    frame, duplicates = _drop_duplicates(dataset, frame)
    exclusions.append(duplicates)
    frame = run_derive_rows(dataset, frame, ctx, steps, lambda name: name not in defer)
    excluded = pd.concat([e for e in exclusions if len(e)], ignore_index=True) if any(
        len(e) for e in exclusions) else pd.DataFrame(columns=[*PROVENANCE, "dataset", "reason"])
    used = pd.concat(joined, ignore_index=True) if joined else pd.DataFrame(columns=[*PROVENANCE])
    return DomainResult(dataset, frame, excluded, used)


def _makes_records(row) -> bool:
    return (bool(row.source_form) and row.source_form.upper() not in TRIAL_DESIGN_SOURCES
            and row.algorithm in RECORD_ALGORITHMS and not row.argument("join"))


def _raw(ctx: DomainContext, dataset: str, form: str) -> pd.DataFrame:
    if form not in ctx.raw:
        raise MappingError(f"{dataset}: the spec maps from raw form {form}, which was not read")
    return ctx.raw[form]


def _records_from_form(dataset: str, source: pd.DataFrame, rows: list, ctx: DomainContext,
                       group: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = pd.Series(True, index=source.index)
    reasons = pd.Series([None] * len(source), index=source.index, dtype=object)
    for row in rows:
        if row.algorithm != "select":
            continue
        meets = row.condition.mask(source) if row.condition is not None else pd.Series(True, index=source.index)
        newly_out = keep & ~meets
        reasons[newly_out] = row.argument("reason") or f"does not meet {row.condition} (Mapping row {row.row})"
        keep &= meets
    excluded = source.loc[~keep, list(PROVENANCE)].assign(dataset=dataset, reason=reasons[~keep])
    if group:
        excluded["reason"] = excluded["reason"] + f" [{group}]"
    chosen = source.loc[keep]
    records = pd.DataFrame({name: chosen[name].to_numpy() for name in PROVENANCE})
    for raw_name, hidden in CONTEXT.items():
        if raw_name in chosen.columns:
            records[hidden] = chosen[raw_name].to_numpy()
    chosen = chosen.reset_index(drop=True)
    for row in rows:
        if row.algorithm in ("select", "not_submitted"):
            continue
        target = f"__supp__{row.variable}" if row.algorithm == "supp" else row.variable
        value = _value(dataset, row, chosen, records, ctx)
        if row.condition is not None:
            value = value.where(row.condition.mask(chosen).to_numpy(), None)
        if target in records.columns:  # several rows fill one variable under different conditions
            value = records[target].where(records[target].notna(), value)
        records[target] = _stored(value)
    return records, excluded


def _stored(values: pd.Series) -> pd.Series:
    """Numbers stay numeric; everything else becomes object text with None for missing."""
    return values if pd.api.types.is_numeric_dtype(values) else as_text(values)


def _value(dataset: str, row, source: pd.DataFrame, records: pd.DataFrame, ctx: DomainContext) -> pd.Series:
    algorithm = row.algorithm
    if algorithm in ("hardcode_no_ct", "hardcode_ct"):
        value = row.argument("value")
        if value is None:
            raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} ({algorithm}) needs value=...")
        if algorithm == "hardcode_ct":
            _check_term(dataset, row, value, ctx)
        return pd.Series([value] * len(source), dtype=object)
    field_values = _field(dataset, row, source)
    if algorithm in ("assign_no_ct", "supp"):
        return blank_to_none(field_values)
    if algorithm == "assign_ct":
        mapped, unmapped = map_values(field_values, _lookup(dataset, row.variable, ctx))
        ctx.report(dataset, row.variable, records, pd.Series(unmapped.to_numpy(), index=records.index),
                   lambda v: f"{v!r} is not a term of codelist {_codelist_id(dataset, row.variable, ctx)} "
                             f"(nor one of its synonyms or collected spellings)",
                   pd.Series(field_values.to_numpy(), index=records.index))
        return mapped
    if algorithm == "assign_datetime":
        time_field = row.argument("time")
        times = source[time_field] if time_field else None
        if time_field and time_field not in source.columns:
            raise MappingError(f"{dataset}.{row.variable}: time field {time_field} is not in form {row.source_form}")
        iso, problems = to_iso8601(field_values, times)
        ctx.report(dataset, row.variable, records, pd.Series(problems.notna().to_numpy(), index=records.index),
                   lambda v: v, pd.Series(problems.to_numpy(), index=records.index))
        return iso
    if algorithm == "assign_numeric":
        text = blank_to_none(field_values)
        number = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & number.isna()
        ctx.report(dataset, row.variable, records, pd.Series(bad.to_numpy(), index=records.index),
                   lambda v: f"{v!r} is not a number", pd.Series(text.to_numpy(), index=records.index))
        return number.astype(float)
    raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} names unknown algorithm {algorithm!r}")


def _field(dataset: str, row, source: pd.DataFrame) -> pd.Series:
    if not row.source_field or row.source_field not in source.columns:
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} reads field {row.source_field!r}, "
                           f"which form {row.source_form} does not have")
    return source[row.source_field]


def _lookup(dataset: str, variable: str, ctx: DomainContext) -> dict[str, str]:
    key = f"ct:{dataset}.{variable}"
    if key not in ctx.lookups:
        from sdtm.codelists import lookup_for_variable

        ctx.lookups[key] = lookup_for_variable(ctx.spec, dataset, variable)
    return ctx.lookups[key]


def _codelist_id(dataset: str, variable: str, ctx: DomainContext) -> str:
    return ctx.spec.variable(dataset, variable).codelist if ctx.spec.has_variable(dataset, variable) else "?"


def _check_term(dataset: str, row, value: str, ctx: DomainContext) -> None:
    lookup = _lookup(dataset, row.variable, ctx)
    if value not in lookup.values():
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row} hard-codes {value!r}, which is not a "
                           f"term of codelist {_codelist_id(dataset, row.variable, ctx)}")


def _join(dataset: str, frame: pd.DataFrame, row, ctx: DomainContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill a variable from another form, one value per subject (e.g. DM.RFICDTC from the consent form)."""
    key = row.argument("join").lower()
    if key != "subject":
        raise MappingError(f"{dataset}.{row.variable}: Mapping row {row.row}: join={key!r}; only join=subject")
    source = _raw(ctx, dataset, row.source_form)
    if row.condition is not None:
        source = source[row.condition.mask(source)]
    several = source["Subject"].duplicated(keep=False)
    if several.any():
        ctx.report(dataset, row.variable, source, several & source["Subject"].duplicated(keep="first"),
                   f"more than one {row.source_form} record for the subject; the first is used")
    source = source[~source["Subject"].duplicated(keep="first")].reset_index(drop=True)
    scratch = pd.DataFrame({name: source[name] for name in PROVENANCE})
    value = _value(dataset, row, source, scratch, ctx)
    lookup = pd.Series(value.to_numpy(), index=source["Subject"].to_numpy())
    frame = frame.copy()
    joined = frame["__subject"].map(lookup)
    target = f"__supp__{row.variable}" if row.algorithm == "supp" else row.variable
    if target in frame.columns:
        joined = frame[target].where(frame[target].notna(), joined)
    frame[target] = _stored(joined)
    used = source.loc[source["Subject"].isin(frame["__subject"]), list(PROVENANCE)]
    return frame, used


def _drop_duplicates(dataset: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records identical in every mapped variable are one record: keep the first, log the others."""
    content = [c for c in frame.columns if not c.startswith("__") or c.startswith("__supp__") or c == "__subject"]
    if frame.empty or not content:
        return frame, pd.DataFrame(columns=[*PROVENANCE, "dataset", "reason"])
    duplicated = frame.duplicated(subset=content, keep="first")
    if not duplicated.any():
        return frame, pd.DataFrame(columns=[*PROVENANCE, "dataset", "reason"])
    first_row = frame.groupby(content, dropna=False, sort=False)["__row"].transform("first")
    dropped = frame.loc[duplicated, list(PROVENANCE)].assign(
        dataset=dataset, reason=[f"exact duplicate of {f} row {r}" for f, r in
                                 zip(frame.loc[duplicated, "__file"], first_row[duplicated])])
    log.info("%s: %d exact duplicate records excluded", dataset, int(duplicated.sum()))
    return frame.loc[~duplicated].reset_index(drop=True), dropped


def run_derive_rows(dataset: str, frame: pd.DataFrame, ctx: DomainContext, steps: Mapping[str, Step],
                    wanted: Callable[[str | None], bool] = lambda name: True) -> pd.DataFrame:
    """Run the dataset's derive rows whose function name `wanted` accepts, in spec order."""
    for row in ctx.spec.mappings_of(dataset):
        if row.algorithm == "derive" and wanted(row.argument("function")):
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
    frame = frame.copy()
    if isinstance(result, pd.DataFrame):
        for column in result.columns:
            frame[column] = result[column].to_numpy()
    elif isinstance(result, pd.Series):
        frame[row.variable] = result.to_numpy()
    return frame


def problems_from_findings(findings: list[MappingFinding]) -> list[Problem]:
    return [Problem(f.file or f.dataset, f"{f.dataset}.{f.variable}: {f.message}", row=f.row, column=f.variable)
            for f in findings]
