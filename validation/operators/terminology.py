"""Record operators on controlled terminology: membership in a CDISC codelist or in define.xml's codelist,
and code/name pairs (TESTCD/TEST) that must share one NCI code.

A finding points at the record and the value. Extensible codelists accept the sponsor extensions that
define.xml declares (def:ExtendedValue="Yes") for the variable; numeric-looking results can be exempted
(`skip_numeric`), since a number in --STRESC is a result, not a term.
"""

from __future__ import annotations

import pandas as pd

from validation import ct
from validation.context import NotApplicable, RuleContext
from validation.operators import operator
from validation.operators.values import both, numeric_text


@operator("not_in_codelist", required=("ct",), params=("skip_numeric", "allow_extensions"))
def not_in_codelist(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not a submission value of CDISC codelist `ct` (C-code or short name).
    For an extensible codelist, values define.xml declares as extensions of the variable's codelist pass."""
    variable = params["variable"]
    allowed = ct.terms(str(params["ct"]))
    if params.get("allow_extensions", True) and ct.extensible(str(params["ct"])) and ctx.define is not None:
        declared = ctx.define.codelist_for(ctx.dataset.name, variable)
        if declared is not None:
            allowed = allowed | declared.extended
    bad = both(ctx.outside(variable, allowed), ctx.present(variable))
    if params.get("skip_numeric"):
        bad &= ~numeric_text(ctx, variable)
    return bad.astype(bool)


@operator("not_in_define_codelist")
def not_in_define_codelist(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not in the codelist define.xml assigns to the variable (external
    dictionaries such as MedDRA are not checked here)."""
    if ctx.define is None:
        raise NotApplicable("no define.xml")
    variable = params["variable"]
    declared = ctx.define.codelist_for(ctx.dataset.name, variable)
    if declared is None or declared.external or not declared.values:
        return pd.Series(False, index=frame.index)
    return both(ctx.outside(variable, declared.values), ctx.present(variable))


@operator("not_in_value_level_codelist")
def not_in_value_level_codelist(frame, params, ctx: RuleContext) -> pd.Series:
    """The value is present and not in the codelist of the value-level ItemDef whose where clause selects
    the record (SUPP-- QVAL per QNAM, --ORRES per --TESTCD). Where several apply, the first in the value
    list decides, as it describes the record."""
    if ctx.define is None:
        raise NotApplicable("no define.xml")
    variable = params["variable"]
    described = ctx.define.datasets.get(ctx.dataset.name)
    item = described.variable(variable) if described is not None else None
    if item is None or not item.values:
        raise NotApplicable(f"no value-level metadata for {variable}")
    text = ctx.text(variable)
    bad = pd.Series(False, index=frame.index)
    decided = pd.Series(False, index=frame.index)
    for value in item.values:
        selected = value.mask(frame)
        if selected is None:
            continue
        selected = selected & ~decided
        decided |= selected
        codelist = ctx.define.codelists.get(value.codelist)
        if codelist is None or codelist.external or not codelist.values:
            continue
        bad |= selected & ~text.isin(codelist.values)
    return (bad & ctx.present(variable)).astype(bool)


@operator("ct_pair_mismatch", required=("other", "ct", "ct_other"))
def ct_pair_mismatch(frame, params, ctx: RuleContext) -> pd.Series:
    """A code (e.g. LBTESTCD) and its name (LBTEST) are both CDISC terms but not the same term: the
    name paired with the code through its NCI code differs. Sponsor codes outside CT are left alone."""
    mapping = ct.pairs(str(params["ct"]), str(params["ct_other"]))
    expected = ctx.text(params["variable"]).map(mapping)
    name = ctx.text(params["other"])
    return (expected.notna() & ctx.present(params["other"]) & (expected != name)).fillna(False).astype(bool)
