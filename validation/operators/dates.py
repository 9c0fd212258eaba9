"""Record operators on ISO 8601 dates: validity, completeness, study days, order of two dates.

Dates are compared as ISO text at the precision both sides know ("2024-03" vs "2024-03-15" compares
months): a comparison never guesses a missing day. Dates from another dataset (DM.RFSTDTC, DM.DTHDTC)
are joined by key with a hash map, never a per-record loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formats.isodates import study_day
from validation.context import NotApplicable, RuleContext
from validation.operators import operator

_Y, _M, _D = r"(\d{4}|-)", r"(0[1-9]|1[0-2]|-)", r"(0[1-9]|[12]\d|3[01]|-)"
_HH, _MM, _SS = r"([01]\d|2[0-3]|-)", r"([0-5]\d|-)", r"([0-5]\d(\.\d+)?|-)"
_TZ = r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?"
_DATETIME = rf"{_Y}(-{_M}(-{_D}(T{_HH}(:{_MM}(:{_SS})?)?{_TZ})?)?)?"
ISO_8601 = rf"{_DATETIME}(/{_DATETIME})?"
_NUM = r"\d+(\.\d+)?"
ISO_DURATION = rf"-?P(({_NUM}Y)?({_NUM}M)?({_NUM}D)?(T({_NUM}H)?({_NUM}M)?({_NUM}S)?)?|{_NUM}W)"
# The leading part of a date/time that is known (no placeholder): what comparisons may use.
_KNOWN = r"^(\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2})?)?)?)?)?)"
_PRECISIONS = (19, 16, 13, 10, 7, 4)


def _iso_valid_values(text: pd.Series) -> pd.Series:
    shaped = text.str.fullmatch(ISO_8601).fillna(False).astype(bool)
    dangling = (text.str.endswith("-") | text.str.endswith("T") | text.str.endswith(":")).fillna(False)
    head = text.str.slice(0, 10)
    full = head.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    calendar_ok = ~full | pd.to_datetime(head.where(full), format="%Y-%m-%d", errors="coerce").notna()
    return shaped & ~dangling & calendar_ok


def iso_valid(ctx: RuleContext, variable: str) -> pd.Series:
    """True where the value is valid ISO 8601 (date, date-time, partial, placeholders, interval)."""
    return ctx.per_value(variable, "iso_valid", _iso_valid_values, iso=True)


def known_prefix(ctx: RuleContext, variable: str, dataset=None) -> pd.Series:
    """The known leading part of each ISO value ("2003---15" -> "2003"); "" where nothing is known."""
    return ctx.per_value(variable, "known", lambda t: t.str.extract(_KNOWN, expand=False).fillna("").astype("str"),
                         dataset, iso=True)


@operator("invalid_iso8601")
def invalid_iso8601(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not ISO 8601 (shape, placeholders, or an impossible calendar date)."""
    variable = params["variable"]
    return ctx.present(variable) & ~iso_valid(ctx, variable)


@operator("invalid_iso_duration")
def invalid_iso_duration(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not an ISO 8601 duration (P2Y, P1DT2H, PT30M, P4W, -PT15M)."""
    text = ctx.text(params["variable"])
    shaped = text.str.fullmatch(ISO_DURATION).fillna(False).astype(bool)
    empty_body = text.isin(["P", "-P"]) | text.str.endswith("T")
    return ctx.present(params["variable"]) & ~(shaped & ~empty_body)


@operator("not_complete_date")
def not_complete_date(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is missing or its date part is not a complete, valid date (YYYY-MM-DD)."""
    return ctx.dates(params["variable"]).isna()


# --- values from another dataset -------------------------------------------------------------------------

def lookup_series(ctx: RuleContext, lookup: dict, values_of) -> pd.Series:
    """For each record, a value from another dataset joined on `lookup['by']` (default USUBJID).

    `values_of(context, dataset)` gives the looked-up dataset's values; the first record per key wins.
    """
    target = ctx.other(lookup.get("dataset", "DM"))
    by = lookup.get("by", ["USUBJID"])
    by = [by] if isinstance(by, str) else list(by)
    here_keys = ctx.expand_all(by)
    there_keys = ctx.expand_all(lookup.get("by_there", by), target)
    source = values_of(ctx, target)
    as_text = join_as_text(ctx, here_keys, there_keys, target)
    key_there = key(ctx, there_keys, target, as_text=as_text)
    keep = ~key_there.duplicated()
    mapping = pd.Series(source.to_numpy()[keep.to_numpy()], index=key_there[keep].to_numpy())
    return key(ctx, here_keys, as_text=as_text).map(mapping)


def key(ctx: RuleContext, variables: list[str], dataset=None, *, as_text=True) -> pd.Series:
    """One join key per record from one or more variables (cached): the value itself for one variable,
    a 64-bit hash of the values for several. `as_text` (one flag, or one per variable) compares numbers
    as text so a numeric AESEQ meets a text IDVARVAL; two keys are comparable when built alike."""
    dataset = dataset or ctx.dataset
    flags = tuple(as_text) if isinstance(as_text, (list, tuple)) else (as_text,) * len(variables)

    def make() -> pd.Series:
        parts = {i: (ctx.text(v, dataset) if text else _raw(ctx, v, dataset))
                 for i, (v, text) in enumerate(zip(variables, flags))}
        if len(parts) == 1:
            return parts[0]
        hashed = pd.util.hash_pandas_object(pd.DataFrame(parts), index=False)
        return pd.Series(hashed.to_numpy(), index=dataset.frame.index)

    return ctx.cache.get((id(dataset.frame), tuple(variables), "key", flags), make)


def _raw(ctx: RuleContext, variable: str, dataset) -> pd.Series:
    column = ctx.column(variable, dataset)
    return column.astype("float64") if pd.api.types.is_numeric_dtype(column.dtype) else ctx.text(variable, dataset)


def group_codes(ctx: RuleContext, variables: list[str], dataset=None) -> pd.Series:
    """An integer per record identifying its group of values of `variables` within one dataset (cached)."""
    dataset = dataset or ctx.dataset

    def make() -> pd.Series:
        # each column's distinct values (made once per column, shared with other rules), then the distinct
        # combinations: the same groups as a groupby of the values (a number and its text are one-to-one)
        combined = None
        for variable in variables:
            codes, uniques = ctx.factorized(variable, dataset)
            if combined is None:
                combined = codes.astype(np.int64)
            else:
                combined = pd.factorize(combined * (len(uniques) + 1) + codes)[0]
        if combined is not None and len(combined) < 2**31:  # codes count records at most: half the memory
            combined = combined.astype(np.int32)
        return pd.Series(combined, index=dataset.frame.index)

    return ctx.cache.get((id(dataset.frame), tuple(variables), "groups"), make)


def join_as_text(ctx: RuleContext, here: list[str], there: list[str], target) -> tuple[bool, ...]:
    """Per key column: join as numbers when the column is numeric on both sides, else as text."""
    return tuple(not (pd.api.types.is_numeric_dtype(ctx.column(a).dtype)
                      and pd.api.types.is_numeric_dtype(ctx.column(b, target).dtype))
                 for a, b in zip(here, there))


def _reference_dates(params, ctx: RuleContext) -> pd.Series:
    reference = params.get("reference") or {}
    if "variable" in reference and "dataset" not in reference:  # a date on the same record (ADaM TRTSDT)
        return ctx.dates(ctx.expand(reference["variable"]))
    lookup = {"dataset": "DM", "variable": "RFSTDTC", **reference}
    return lookup_series(ctx, lookup, lambda c, d: c.dates(lookup["variable"], d))


def expected_study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """The study day as float64 (NaN where a date is missing), to compare with the numbers in the data."""
    return study_day(dates, reference).astype("float64")


@operator("study_day_mismatch", required=("date",), params=("reference",))
def study_day_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """The study day is populated and differs from the one computed from `date` and the reference date
    (DM.RFSTDTC by USUBJID unless `reference` says otherwise); only where both dates are complete."""
    expected = expected_study_day(ctx.dates(ctx.expand(params["date"])), _reference_dates(params, ctx))
    actual = ctx.numeric(params["variable"])
    return (actual.notna() & expected.notna() & (actual != expected)).astype(bool)


@operator("study_day_missing", required=("date",), params=("reference",))
def study_day_missing(frame, params, ctx: RuleContext) -> pd.Series:
    """The study day is missing although `date` and the reference date are both complete dates."""
    expected = expected_study_day(ctx.dates(ctx.expand(params["date"])), _reference_dates(params, ctx))
    return (ctx.numeric(params["variable"]).isna() & expected.notna()).astype(bool)


def is_after(left: pd.Series, right: pd.Series) -> pd.Series:
    """left > right on the known ISO prefixes, at the precision both sides know."""
    left = left.fillna("").astype("str")
    right = right.fillna("").astype("str")
    common = np.minimum(left.str.len().to_numpy(), right.str.len().to_numpy())
    result = np.zeros(len(left), dtype=bool)
    decided = np.zeros(len(left), dtype=bool)
    for precision in _PRECISIONS:
        rows = (common >= precision) & ~decided
        if rows.any():
            a = left[rows].str.slice(0, precision)
            b = right[rows].str.slice(0, precision)
            result[rows] = (a > b).to_numpy(dtype=bool)
            decided |= rows
    return pd.Series(result, index=left.index)


def _other_prefix(params, ctx: RuleContext) -> pd.Series:
    if "other" in params:
        return known_prefix(ctx, params["other"])
    if "lookup" in params:
        lookup = params["lookup"]
        if "variable" not in lookup:
            raise ValueError("a date lookup needs `variable`")
        return lookup_series(ctx, lookup, lambda c, d: known_prefix(c, lookup["variable"], d))
    if "value" in params:
        return pd.Series(str(params["value"]), index=ctx.frame.index)
    raise ValueError("date comparison needs `other`, `lookup` or `value`")


@operator("date_after", params=("other", "lookup", "value"))
def date_after(frame, params, ctx: RuleContext) -> pd.Series:
    """The date is after the `other` date on the record, a `lookup` date in another dataset, or a fixed
    `value`, compared at the precision both know."""
    return is_after(known_prefix(ctx, params["variable"]), _other_prefix(params, ctx))


@operator("date_before", params=("other", "lookup", "value"))
def date_before(frame, params, ctx: RuleContext) -> pd.Series:
    """The date is before the `other`/`lookup`/`value` date, compared at the precision both know."""
    return is_after(_other_prefix(params, ctx), known_prefix(ctx, params["variable"]))


@operator("date_after_death", params=("lookup",))
def date_after_death(frame, params, ctx: RuleContext) -> pd.Series:
    """The date is after the subject's DM.DTHDTC (at the precision both know)."""
    lookup = {"dataset": "DM", "variable": "DTHDTC", "by": ["USUBJID"], **(params.get("lookup") or {})}
    if not ctx.has(lookup["variable"], ctx.other(lookup["dataset"])):
        raise NotApplicable(f"{lookup['dataset']} has no {lookup['variable']}")
    return date_after(frame, {**params, "lookup": lookup}, ctx)
