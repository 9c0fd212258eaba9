"""Record operators for SUPP--, RELREC and CO: do RDOMAIN, IDVAR and IDVARVAL point at real records?

They loop over the few distinct (RDOMAIN, IDVAR) pairs, never over records: each pair is one hashed
look-up into the parent dataset.
"""

from __future__ import annotations

import pandas as pd

from validation.context import RuleContext
from validation.operators import operator
from validation.operators.dates import key


def _parent(ctx: RuleContext, rdomain: str):
    """The dataset holding RDOMAIN's records: the dataset of that name, or one whose domain it is."""
    found = ctx.datasets.get(rdomain)
    if found is not None:
        return found
    return next((d for d in ctx.datasets.values() if d.domain == rdomain and d.standard == "SDTM"), None)


@operator("not_a_dataset")
def not_a_dataset(frame, params, ctx: RuleContext) -> pd.Series:
    """The value (e.g. RDOMAIN) names no dataset or domain of the study."""
    known = set(ctx.datasets) | {d.domain for d in ctx.datasets.values()}
    return (~ctx.text(params["variable"]).isin(known) & ctx.present(params["variable"])).astype(bool)


@operator("idvar_not_in_parent", params=("domain",))
def idvar_not_in_parent(frame, params, ctx: RuleContext) -> pd.Series:
    """The value (IDVAR) is not a variable of the dataset named by `domain` (default RDOMAIN)."""
    return _not_a_parent_column(params, ctx)


@operator("is_parent_variable", params=("domain",))
def is_parent_variable(frame, params, ctx: RuleContext) -> pd.Series:
    """The value (e.g. QNAM) is already a variable of the parent dataset named by `domain` (RDOMAIN)."""
    variable = params["variable"]
    domains = ctx.text(ctx.expand(params.get("domain", "RDOMAIN")))
    values = ctx.text(variable)
    out = pd.Series(False, index=frame.index)
    for rdomain in domains.unique():
        parent = _parent(ctx, rdomain)
        if parent is None:
            continue
        rows = domains == rdomain
        out |= rows & values.isin(set(parent.frame.columns))
    return out & ctx.present(variable)


def _not_a_parent_column(params, ctx: RuleContext) -> pd.Series:
    variable = params["variable"]
    domains = ctx.text(ctx.expand(params.get("domain", "RDOMAIN")))
    values = ctx.text(variable)
    out = pd.Series(False, index=ctx.frame.index)
    for rdomain in domains.unique():
        parent = _parent(ctx, rdomain)
        if parent is None:
            continue  # an unknown RDOMAIN is its own finding
        rows = domains == rdomain
        out |= rows & ~values.isin(set(parent.frame.columns))
    return out & ctx.present(variable)


@operator("parent_record_missing")
def parent_record_missing(frame, params, ctx: RuleContext) -> pd.Series:
    """RDOMAIN + USUBJID + IDVAR + IDVARVAL do not identify a record of the parent dataset. Without
    IDVAR (subject-level qualifiers) the subject must be in the parent; without USUBJID and IDVARVAL
    (dataset-level RELREC links) only IDVAR must be a variable of the parent."""
    domains = ctx.text("RDOMAIN")
    idvars = ctx.text("IDVAR") if "IDVAR" in frame.columns else pd.Series("", index=frame.index)
    idvarvals = ctx.text("IDVARVAL") if "IDVARVAL" in frame.columns else pd.Series("", index=frame.index)
    subjects = ctx.text("USUBJID") if "USUBJID" in frame.columns else pd.Series("", index=frame.index)
    out = pd.Series(False, index=frame.index)
    pairs = pd.DataFrame({"rdomain": domains, "idvar": idvars}).drop_duplicates()
    for rdomain, idvar in pairs.itertuples(index=False):  # distinct pairs, a handful per study
        rows = (domains == rdomain) & (idvars == idvar)
        parent = _parent(ctx, rdomain)
        if parent is None:
            out |= rows & (rdomain != "")
            continue
        if idvar and idvar not in parent.frame.columns:
            out |= rows
            continue
        dataset_level = rows & (subjects == "") & (idvarvals == "")
        record_rows = rows & ~dataset_level
        if not record_rows.any():
            continue
        if not idvar:
            if "USUBJID" not in parent.frame.columns:
                out |= record_rows
                continue
            out |= record_rows & ~subjects.isin(set(ctx.text("USUBJID", parent)))
            continue
        if "USUBJID" not in parent.frame.columns:
            out |= record_rows
            continue
        parent_keys = key(ctx, ["USUBJID", idvar], parent)  # text: IDVARVAL is text, AESEQ a number
        here = pd.util.hash_pandas_object(pd.DataFrame({0: subjects, 1: idvarvals.str.strip()}), index=False)
        out |= record_rows & ~pd.Series(here.isin(parent_keys.unique()).to_numpy(), index=ctx.frame.index)
    return out
