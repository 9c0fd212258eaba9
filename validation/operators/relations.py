"""Record operators across records and datasets: uniqueness, one-to-one relationships, look-ups.

All of them hash keys (duplicated, groupby, isin, map): O(n) or O(n log n) in records, whatever the
size of the study, which is what keeps a large LB or SUPP-- from stalling the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from validation.context import RuleContext
from validation.operators import operator
from validation.operators.dates import group_codes, join_as_text, key, lookup_series


def _where(params, ctx: RuleContext) -> pd.Series:
    """Records the operator considers: all, or those where the `where` subtree holds."""
    if "where" in params:
        return ctx.evaluate(params["where"]).astype(bool)
    return pd.Series(True, index=ctx.frame.index)


def _key_columns(params, ctx: RuleContext) -> list[str]:
    names = [params["variable"]] if params.get("variable") else []
    columns = names + ctx.expand_all(params.get("by", []))
    if not columns:
        raise ValueError(f"{params['operator']} needs `variable` or `by`")
    return columns


@operator("is_not_unique", params=("by", "where"))
def is_not_unique(frame, params, ctx: RuleContext) -> pd.Series:
    """The record shares its key (`variable` plus `by` columns) with another record; only records where
    `where` holds take part, and records with a missing `variable` are ignored."""
    columns = _key_columns(params, ctx)
    considered = _where(params, ctx)
    if params.get("variable"):
        considered &= ctx.present(params["variable"])
    codes = group_codes(ctx, columns).to_numpy()
    taking = considered.to_numpy(dtype=bool)
    counts = np.bincount(codes[taking], minlength=int(codes.max()) + 1 if len(codes) else 0)
    return pd.Series(taking & (counts[codes] > 1), index=frame.index)


@operator("is_not_unique_relationship", required=("other",), params=("within", "where"))
def is_not_unique_relationship(frame, params, ctx: RuleContext) -> pd.Series:
    """Within `within` groups, one value of `variable` goes with more than one value of `other`
    (e.g. a VISITNUM with two VISIT names). Records where either is missing are ignored."""
    within = ctx.expand_all(params.get("within", []))
    variable, other = params["variable"], params["other"]
    considered = _where(params, ctx) & ctx.present(variable) & ctx.present(other)
    taking = considered.to_numpy(dtype=bool)
    left = group_codes(ctx, within + [variable]).to_numpy()
    right = group_codes(ctx, [other]).to_numpy()
    if not taking.any():
        return pd.Series(False, index=frame.index)
    width = int(right[taking].max()) + 1
    pairs = np.unique(left[taking].astype(np.int64) * width + right[taking])  # each (left, right) pair once
    lefts, counts = np.unique(pairs // width, return_counts=True)
    return pd.Series(taking & np.isin(left, lefts[counts > 1]), index=frame.index)


def _lookup_membership(params, ctx: RuleContext) -> pd.Series:
    lookup = params["lookup"]
    target = ctx.other(lookup["dataset"])
    here = [params["variable"]] + ctx.expand_all(params.get("by", []))
    if lookup.get("variables"):
        there_names = list(lookup["variables"])
    elif lookup.get("variable"):
        there_names = [lookup["variable"]] + list(lookup.get("by", params.get("by", [])))
    else:
        there_names = here
    there = ctx.expand_all(there_names, target)
    if len(there) != len(here):
        raise ValueError(f"lookup into {target.name} names {len(there)} variables for {len(here)} here")
    as_text = join_as_text(ctx, here, there, target)
    allowed = key(ctx, there, target, as_text=as_text)
    if "where" in lookup:
        allowed = allowed[ctx.evaluate(lookup["where"], target).astype(bool)]
    if len(here) == 1 and as_text[0]:  # one text key: each distinct value looked up once
        return ~ctx.outside(here[0], set(allowed.unique()))
    return key(ctx, here, as_text=as_text).isin(allowed.unique())


@operator("not_in_lookup", required=("lookup",), params=("by",))
def not_in_lookup(frame, params, ctx: RuleContext) -> pd.Series:
    """The value (with the `by` values) is not found in another dataset: `lookup: {dataset, variable or
    variables, where}`; variables default to the same names. Missing values are not findings."""
    return ~_lookup_membership(params, ctx) & ctx.present(params["variable"])


@operator("in_lookup", required=("lookup",), params=("by",))
def in_lookup(frame, params, ctx: RuleContext) -> pd.Series:
    """The value (with the `by` values) is found in another dataset (records it selects with `where`)."""
    return _lookup_membership(params, ctx) & ctx.present(params["variable"])


@operator("lookup_not_equal", required=("lookup",), params=("value",))
def lookup_not_equal(frame, params, ctx: RuleContext) -> pd.Series:
    """The value in another dataset, joined on `lookup.by` (default USUBJID), differs from this record's
    `variable` (or from a fixed `value`). Records without a match are not findings here."""
    lookup = params["lookup"]
    other_variable = lookup.get("variable", params.get("variable"))
    if other_variable is None or ("value" not in params and not params.get("variable")):
        raise ValueError("lookup_not_equal needs `variable` here or `lookup.variable` with a `value`")
    found = lookup_series(ctx, lookup, lambda c, d: c.text(other_variable, d))
    matched = found.notna()
    if "value" in params:
        expected = pd.Series(str(params["value"]), index=frame.index)
    else:
        expected = ctx.text(params["variable"])
    return (matched & (found.fillna("").astype("str") != expected)).astype(bool)


@operator("group_size_less_than", required=("value",), params=("by", "where"))
def group_size_less_than(frame, params, ctx: RuleContext) -> pd.Series:
    """The record's group (`variable` plus `by`) has fewer than `value` records."""
    considered = _where(params, ctx)
    keys = group_codes(ctx, _key_columns(params, ctx))[considered]
    sizes = keys.map(keys.value_counts())
    out = pd.Series(False, index=frame.index)
    out[sizes.index[sizes < int(params["value"])]] = True
    return out


@operator("group_lacks", required=("where",), params=("by", "among"))
def group_lacks(frame, params, ctx: RuleContext) -> pd.Series:
    """No record of the group (`variable` plus `by`, e.g. a subject's test) satisfies `where`; the
    group's first record is the finding. With `among`, only records satisfying it form the groups."""
    keys = group_codes(ctx, _key_columns(params, ctx))
    considered = ctx.evaluate(params["among"]).astype(bool) if "among" in params else pd.Series(
        True, index=frame.index)
    satisfied = ctx.evaluate(params["where"]).astype(bool)
    good_groups = keys[satisfied].unique()
    keys = keys[considered]
    first = ~keys.duplicated()
    flagged = first & ~keys.isin(good_groups)
    out = pd.Series(False, index=frame.index)
    out[flagged[flagged].index] = True
    return out
