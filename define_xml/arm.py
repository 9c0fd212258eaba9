"""Analysis Results Metadata (ARM 1.0 for Define-XML 2.1) from the Analysis Displays / Results sheets.

Each result names its variables as DATASET.VARIABLE and its record selection as a where clause over
one or more datasets (`ADRS.PARAMCD EQ ORR and ADRS.EFFFL EQ Y`); the selection becomes one
def:WhereClauseDef per dataset. `strip_arm` takes the ARM back out for readers that validate against
the plain Define-XML 2.1 schema, which has no place for it.
"""

from __future__ import annotations

import copy
import logging

from lxml import etree

from define_xml.context import Context
from define_xml.items import range_check
from define_xml.oids import oid_part
from define_xml.xmlns import ARM, NS, arm, description, dfn, element, sub
from specs.model import AnalysisResult
from specs.whereclause import Condition, WhereClauseError, parse_where

log = logging.getLogger(__name__)


def analysis_results(ctx: Context, described: set[str]) -> etree._Element | None:
    """arm:AnalysisResultDisplays, or None when the spec has no analysis results.

    `described` holds the datasets this define describes; results over other datasets are left out.
    """
    spec = ctx.spec
    displays = []
    for display in spec.analysis_displays:
        results = [r for r in spec.analysis_results if r.display == display.id]
        made = [node for node in (_result(ctx, r, described) for r in results) if node is not None]
        if not made:
            log.warning("%s: analysis display %s has no usable analysis result; left out", spec.source, display.id)
            continue
        node = element(arm("ResultDisplay"), {"OID": ctx.oids.display(display.id), "Name": display.id})
        node.append(description(display.title or display.id))
        ref = ctx.document_ref(display.document, display.pages, title=display.id)
        if ref is not None:
            node.append(ref)
        for result in made:
            node.append(result)
        displays.append(node)
    orphans = {r.display for r in spec.analysis_results} - {d.id for d in spec.analysis_displays}
    for orphan in sorted(orphans):
        log.warning("%s: analysis results name display %s, which Analysis Displays lacks", spec.source, orphan)
    return element(arm("AnalysisResultDisplays"), {}, *displays) if displays else None


def _result(ctx: Context, result: AnalysisResult, described: set[str]) -> etree._Element | None:
    conditions = _selection(ctx, result)
    variables: dict[str, list[str]] = {}
    for text in result.variables:
        dataset, _, name = text.rpartition(".")
        dataset = (dataset or _first_dataset(conditions) or "").upper()
        if not dataset:
            log.warning("%s: analysis result %s: variable %r names no dataset; left out", ctx.spec.source,
                        result.id, text)
            continue
        if not ctx.spec.has_variable(dataset, name):
            log.warning("%s: analysis result %s: %s is not in the Variables sheet; left out", ctx.spec.source,
                        result.id, text)
            continue
        variables.setdefault(dataset, []).append(name.upper())
    for dataset in conditions:
        variables.setdefault(dataset, [])
    missing = [d for d in variables if d not in described]
    if missing:
        log.warning("%s: analysis result %s uses %s, not described in this define; left out",
                    ctx.spec.source, result.id, ", ".join(missing))
        return None
    if not variables:
        log.warning("%s: analysis result %s names no dataset; left out", ctx.spec.source, result.id)
        return None
    parameter = next((ctx.oids.item(d, "PARAMCD") for d, conds in conditions.items()
                      if any(c.variable == "PARAMCD" for c in conds) and ctx.spec.has_variable(d, "PARAMCD")), None)
    node = element(arm("AnalysisResult"), {
        "OID": ctx.oids.result(result.id), "ParameterOID": parameter,
        "AnalysisReason": result.reason or "", "AnalysisPurpose": result.purpose or ""})
    node.append(description(result.description or result.id))
    join = ctx.add_comment(f"{result.id}.JOIN", result.join_comment) if result.join_comment else None
    datasets = sub(node, arm("AnalysisDatasets"), {dfn("CommentOID"): join})
    for dataset, names in variables.items():
        entry = sub(datasets, arm("AnalysisDataset"), {"ItemGroupOID": ctx.oids.dataset(dataset)})
        if conditions.get(dataset):
            sub(entry, dfn("WhereClauseRef"), {"WhereClauseOID": _where(ctx, result, dataset, conditions[dataset])})
        for name in names:
            sub(entry, arm("AnalysisVariable"), {"ItemOID": ctx.oids.item(dataset, name)})
    _documentation(ctx, node, result)
    _programming(ctx, node, result)
    return node


def _selection(ctx: Context, result: AnalysisResult) -> dict[str, list[Condition]]:
    """Selection criteria as conditions per dataset (a condition without a dataset joins the first)."""
    if not result.selection_criteria:
        return {}
    try:
        clause = parse_where(result.selection_criteria)
    except WhereClauseError as error:
        log.warning("%s: analysis result %s: %s; no record selection written", ctx.spec.source, result.id, error)
        return {}
    first = next((c.dataset for c in clause.conditions if c.dataset), None)
    if first is None and result.variables and "." in result.variables[0]:
        first = result.variables[0].rpartition(".")[0]
    grouped: dict[str, list[Condition]] = {}
    for condition in clause.conditions:
        dataset = (condition.dataset or first or "").upper()
        if dataset:
            grouped.setdefault(dataset, []).append(condition)
    return grouped


def _first_dataset(conditions: dict[str, list[Condition]]) -> str | None:
    return next(iter(conditions), None)


def _where(ctx: Context, result: AnalysisResult, dataset: str, conditions: list[Condition]) -> str:
    key = (dataset, ("arm", result.id))
    if key in ctx.wheres:
        return ctx.wheres[key]
    oid = ctx.oids.where(dataset, key[1], f"{oid_part(result.id)}")
    ctx.wheres[key] = oid
    node = element(dfn("WhereClauseDef"), {"OID": oid})
    for condition in conditions:
        node.append(range_check(ctx, dataset, condition))
    ctx.where_defs.append(node)
    return oid


def _documentation(ctx: Context, node: etree._Element, result: AnalysisResult) -> None:
    refs = [ctx.document_ref(d, None if result.programming_document else result.pages)
            for d in result.documentation_refs]
    refs = [r for r in refs if r is not None]
    if not result.documentation and not refs:
        return
    documentation = sub(node, arm("Documentation"))
    documentation.append(description(result.documentation or ""))
    for ref in refs:
        documentation.append(ref)


def _programming(ctx: Context, node: etree._Element, result: AnalysisResult) -> None:
    ref = ctx.document_ref(result.programming_document, result.pages)
    if not (result.programming_context or result.programming_code or ref is not None):
        return
    programming = sub(node, arm("ProgrammingCode"), {"Context": result.programming_context})
    if result.programming_code:
        sub(programming, arm("Code"), text=result.programming_code)
    if ref is not None:
        programming.append(ref)


def has_arm(tree: etree._ElementTree | etree._Element) -> bool:
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    return root.find(f".//{{{ARM}}}AnalysisResultDisplays") is not None


def strip_arm(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy of `tree` without ARM, and without the where clauses and comments only ARM used."""
    copied = copy.deepcopy(tree)
    root = copied.getroot()
    displays = root.find(f".//{{{ARM}}}AnalysisResultDisplays")
    if displays is None:
        return copied
    arm_refs = _referenced(displays)
    displays.getparent().remove(displays)
    still = _referenced(root)
    for tag in ("def:WhereClauseDef", "def:CommentDef"):
        for node in root.iterfind(f".//{tag}", NS):
            oid = node.get("OID")
            if oid in arm_refs and oid not in still:
                node.getparent().remove(node)
    return copied


def _referenced(node: etree._Element) -> set[str]:
    refs = set()
    for attribute in ("WhereClauseOID", f"{{{NS['def']}}}CommentOID"):
        refs.update(e.get(attribute) for e in node.iter() if e.get(attribute))
    return refs
