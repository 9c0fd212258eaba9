"""ItemGroupDefs, ItemDefs, value-level metadata (def:ValueListDef) and def:WhereClauseDefs.

Metadata comes from the spec; what only the written data can say comes from `DatasetInfo`: the length
of text variables (the XPT's), significant digits of floats the spec leaves open, the longest value of
each value-level definition, and which codelist terms are used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from define_xml.context import Context
from define_xml.datasets import DATE_TYPES, DatasetInfo, decimals, masked, text_length, used_terms
from define_xml.oids import where_readable
from define_xml.support import leaf
from define_xml.xmlns import description, dfn, element, odm, sub
from specs.model import DatasetDef, ValueLevelDef, VariableDef
from specs.whereclause import Condition, WhereClause

log = logging.getLogger(__name__)

ORIGIN_TYPES = frozenset({"Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available", "Other"})
ORIGIN_SOURCES = frozenset({"Investigator", "Sponsor", "Subject", "Vendor"})
SUBCLASSES = frozenset({"ADVERSE EVENT", "MEDICAL DEVICE TIME-TO-EVENT", "NON-COMPARTMENTAL ANALYSIS",
                        "POPULATION PHARMACOKINETIC ANALYSIS", "TIME-TO-EVENT"})
# Class names found in older workbooks -> the Define-XML 2.1 controlled term.
_CLASS_ALIASES = {
    "SPECIAL-PURPOSE": "SPECIAL PURPOSE", "SPECIAL PURPOSE DOMAINS": "SPECIAL PURPOSE",
    "TRIAL DESIGN DOMAINS": "TRIAL DESIGN", "RELATIONSHIPS": "RELATIONSHIP",
    "ADSL": "SUBJECT LEVEL ANALYSIS DATASET", "BDS": "BASIC DATA STRUCTURE", "OCCDS": "OCCURRENCE DATA STRUCTURE",
    "OTHER": "ADAM OTHER",
}


@dataclass
class DatasetDefs:
    """What one dataset contributes: its ItemGroupDef, ItemDefs and ValueListDefs."""

    group: etree._Element
    items: list[etree._Element]
    value_lists: list[etree._Element]


def dataset_defs(ctx: Context, dataset: DatasetDef) -> DatasetDefs:
    info = ctx.info(dataset.name)
    variables = ctx.spec.variables_of(dataset.name)
    group = _item_group(ctx, dataset, info)
    items, value_lists = [], []
    value_level = _value_level_by_variable(ctx, dataset.name, {v.name for v in variables})
    for order, variable in enumerate(variables, start=1):
        item_oid = ctx.oids.item(dataset.name, variable.name)
        method = ctx.method_ref(variable.method)
        group.append(element(odm("ItemRef"), {
            "ItemOID": item_oid, "OrderNumber": order, "Mandatory": _yes_no(variable.mandatory),
            "KeySequence": variable.key_sequence, "MethodOID": method,
            "Role": variable.role if ctx.kind == "sdtm" and variable.role else None,
            dfn("HasNoData"): "Yes" if variable.has_no_data or _empty(info, variable.name) else None}))
        rows = value_level.get(variable.name, [])
        value_list_oid = ctx.oids.value_list(dataset.name, variable.name) if rows else None
        items.append(_item_def(ctx, dataset.name, variable, info, item_oid, value_list_oid))
        if rows:
            value_list, value_items = _value_list(ctx, dataset.name, variable, rows, info, value_list_oid)
            value_lists.append(value_list)
            items += value_items
    _finish_group(ctx, dataset, group, info)
    return DatasetDefs(group, items, value_lists)


def _item_group(ctx: Context, dataset: DatasetDef, info: DatasetInfo | None) -> etree._Element:
    name = dataset.name.upper()
    standard = ctx.standard_oids.get(dataset.standard or "", ctx.ig_standard)
    has_no_data = dataset.has_no_data or (ctx.data is not None and info is None)
    class_name = dataset_class(dataset.dataset_class)
    attributes = {
        "OID": ctx.oids.dataset(name), "Name": name, "SASDatasetName": name if len(name) <= 8 else None,
        "Domain": _domain(ctx, dataset, info) if ctx.kind == "sdtm" else None,
        "Repeating": _yes_no(dataset.repeating if dataset.repeating is not None else _repeats(dataset)),
        "IsReferenceData": _yes_no(dataset.reference_data if dataset.reference_data is not None
                                   else class_name == "TRIAL DESIGN"),
        "Purpose": dataset.purpose or ("Analysis" if ctx.kind == "adam" else "Tabulation"),
        dfn("Structure"): dataset.structure or "", dfn("StandardOID"): standard,
        dfn("HasNoData"): "Yes" if has_no_data else None,
        dfn("CommentOID"): ctx.comment_ref(dataset.comment),
        dfn("ArchiveLocationID"): None if has_no_data else ctx.oids.leaf("dataset", name),
    }
    group = element(odm("ItemGroupDef"), attributes)
    group.append(description(dataset.label or (info.label if info else None) or name))
    return group


def _finish_group(ctx: Context, dataset: DatasetDef, group: etree._Element, info: DatasetInfo | None) -> None:
    """Alias, def:Class and def:leaf come after the ItemRefs."""
    name = dataset.name.upper()
    if ctx.kind == "sdtm" and name.startswith("SUPP") and ctx.spec.has_dataset(name[4:]):
        parent = ctx.spec.dataset(name[4:])
        group.append(element(odm("Alias"), {"Context": "DomainDescription", "Name": parent.label or parent.name}))
    class_name = dataset_class(dataset.dataset_class)
    if class_name:
        node = sub(group, dfn("Class"), {"Name": class_name})
        subclass = (dataset.subclass or "").strip().upper()
        if subclass in SUBCLASSES:
            sub(node, dfn("SubClass"), {"Name": subclass})
        elif subclass:
            log.warning("%s: %s subclass %r is not a Define-XML 2.1 term; left out", ctx.spec.source, name, subclass)
    if group.get(dfn("ArchiveLocationID")):
        href = info.href if info is not None else f"{name.lower()}.xpt"
        group.append(leaf(ctx.oids.leaf("dataset", name), href, href))


def dataset_class(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    name = " ".join(text.strip().upper().split())
    return _CLASS_ALIASES.get(name, name)


def _domain(ctx: Context, dataset: DatasetDef, info: DatasetInfo | None) -> str:
    name = dataset.name.upper()
    if name.startswith("SUPP") and len(name) > 4:
        return name[4:]
    if info is not None and (values := info.values("DOMAIN")) is not None:
        domains = {str(v).strip() for v in values.dropna().unique() if str(v).strip()}
        if len(domains) == 1:
            return domains.pop()
    assigned = next((v.assigned_value for v in ctx.spec.variables_of(name) if v.name == "DOMAIN"), None)
    return assigned or name


def _empty(info: DatasetInfo | None, variable: str) -> bool:
    """Written, but without a single value (Define-XML 2.1 says so with def:HasNoData on the ItemRef)."""
    return info is not None and info.is_empty(variable)


def _repeats(dataset: DatasetDef) -> bool:
    return "one record per subject" not in (dataset.structure or "").casefold().rstrip(".")


def _yes_no(flag: bool | None) -> str:
    return "Yes" if flag else "No"


# --- ItemDefs ---------------------------------------------------------------------------------------


def _item_def(ctx: Context, dataset: str, variable: VariableDef, info: DatasetInfo | None, oid: str,
              value_list_oid: str | None) -> etree._Element:
    column = info.column(variable.name) if info else None
    values = info.values(variable.name) if info else None
    data_type = variable.data_type or ("float" if column is not None and column.type == "num" else "text")
    length = _length(data_type, variable.length, column)
    digits = variable.significant_digits
    if data_type == "float" and digits is None:
        digits = decimals(values)
    display = variable.display_format or (getattr(column, "format", "") or None if column is not None else None)
    node = element(odm("ItemDef"), {
        "OID": oid, "Name": variable.name, "DataType": data_type, "Length": length,
        "SignificantDigits": digits if data_type == "float" else None,
        "SASFieldName": variable.name if len(variable.name) <= 8 else None,
        dfn("DisplayFormat"): display, dfn("CommentOID"): ctx.comment_ref(variable.comment)})
    node.append(description(variable.label or variable.name))
    _codelist_ref(ctx, node, variable.codelist, lambda: info.used_terms(variable.name) if info else None)
    origin = origin_element(ctx, variable.origin, variable.source, variable.pages, variable.predecessor)
    if origin is not None:
        node.append(origin)
    if value_list_oid:
        sub(node, dfn("ValueListRef"), {"ValueListOID": value_list_oid})
    return node


def _length(data_type: str, spec_length: int | None, column) -> int | None:
    """Text and numbers have a Length (text: the XPT's, i.e. the data's; numbers: 8); ISO dates none."""
    if data_type in DATE_TYPES:
        return None
    if column is not None and getattr(column, "length", None):
        return int(column.length)
    return spec_length


def _codelist_ref(ctx: Context, node: etree._Element, codelist: str | None,
                  terms: Callable[[], set[str] | None]) -> None:
    """The CodeListRef, and the terms the data uses noted for the codelist (`terms`: asked only when
    there is a codelist; None when the rows are not there)."""
    oid = ctx.codelist_ref(codelist)
    if oid is None:
        return
    sub(node, odm("CodeListRef"), {"CodeListOID": oid})
    used = terms()
    if used is not None:
        ctx.note_terms(codelist, used)


def origin_element(ctx: Context, origin: str | None, source: str | None, pages: str | None,
                   predecessor: str | None) -> etree._Element | None:
    if not origin:
        return None
    if origin not in ORIGIN_TYPES:
        log.warning("%s: origin %r is not a Define-XML 2.1 origin type; left out", ctx.spec.source, origin)
        return None
    node = element(dfn("Origin"), {"Type": origin, "Source": source if source in ORIGIN_SOURCES else None})
    if origin == "Predecessor" and predecessor:
        node.append(description(predecessor))
    if origin == "Collected" and pages and ctx.acrf:
        node.append(ctx.document_ref(ctx.acrf, pages))
    return node


# --- value-level metadata ---------------------------------------------------------------------------


def _value_level_by_variable(ctx: Context, dataset: str, variables: set[str]) -> dict[str, list[ValueLevelDef]]:
    rows: dict[str, list[ValueLevelDef]] = {}
    for row in ctx.spec.value_level_of(dataset):
        if row.where is None or not row.where.conditions:
            log.warning("%s: value-level row %s.%s has no usable where clause; left out",
                        ctx.spec.source, dataset, row.variable)
        elif row.variable not in variables:
            log.warning("%s: value-level row for %s.%s, which the Variables sheet does not describe; left out",
                        ctx.spec.source, dataset, row.variable)
        else:
            rows.setdefault(row.variable, []).append(row)
    return rows


def _value_list(ctx: Context, dataset: str, variable: VariableDef, rows: list[ValueLevelDef],
                info: DatasetInfo | None, oid: str) -> tuple[etree._Element, list[etree._Element]]:
    value_list = element(dfn("ValueListDef"), {"OID": oid})
    items = []
    column = info.column(variable.name) if info else None
    seen: set[str] = set()
    for order, row in enumerate(rows, start=1):
        where_oid = where_clause(ctx, dataset, row.where)
        item_oid = ctx.oids.value_item(dataset, variable.name, where_oid)
        if item_oid in seen:
            log.warning("%s: two value-level rows for %s.%s where %s; the second is left out",
                        ctx.spec.source, dataset, variable.name, row.where)
            continue
        seen.add(item_oid)
        ref = sub(value_list, odm("ItemRef"), {
            "ItemOID": item_oid, "OrderNumber": order, "Mandatory": _yes_no(row.mandatory),
            "MethodOID": ctx.method_ref(row.method)})
        sub(ref, dfn("WhereClauseRef"), {"WhereClauseOID": where_oid})
        items.append(_value_item(ctx, dataset, variable, row, info, column, item_oid))
    return value_list, items


def _value_item(ctx: Context, dataset: str, variable: VariableDef, row: ValueLevelDef, info, column,
                oid: str) -> etree._Element:
    values = masked(info, variable.name, row.where)
    data_type = row.data_type or variable.data_type
    if data_type in DATE_TYPES:
        length = None
    elif column is not None and column.type == "char":
        length = text_length(values) or row.length or _length(data_type, variable.length, column)
    else:
        length = row.length or _length(data_type, variable.length, column)
    digits = row.significant_digits
    if data_type == "float" and digits is None:
        digits = decimals(values)
    node = element(odm("ItemDef"), {
        "OID": oid, "Name": variable.name, "DataType": data_type, "Length": length,
        "SignificantDigits": digits if data_type == "float" else None,
        "SASFieldName": variable.name if len(variable.name) <= 8 else None,
        dfn("DisplayFormat"): row.display_format, dfn("CommentOID"): ctx.comment_ref(row.comment)})
    node.append(description(row.label or variable.label or variable.name))
    _codelist_ref(ctx, node, row.codelist, lambda: None if values is None else used_terms(values))
    origin = origin_element(ctx, row.origin, row.source, row.pages, row.predecessor)
    if origin is not None:
        node.append(origin)
    return node


def where_clause(ctx: Context, dataset: str, where: WhereClause, key: object | None = None,
                 readable: str | None = None) -> str:
    """The OID of a def:WhereClauseDef for `where` in `dataset`, made on first use."""
    key = (dataset.upper(), key if key is not None else str(where))
    found = ctx.wheres.get(key)
    if found is not None:
        return found
    if readable is None:  # inline clauses read as their conditions; WhereClauses-sheet ones keep their ID
        readable = where_readable(where.conditions) if where.text is not None else _without_prefix(where.id, dataset)
    oid = ctx.oids.where(dataset, key, readable)
    ctx.wheres[key] = oid
    node = element(dfn("WhereClauseDef"), {"OID": oid})
    for condition in where.conditions:
        node.append(range_check(ctx, dataset, condition))
    ctx.where_defs.append(node)
    return oid


def _without_prefix(identifier: str, dataset: str) -> str:
    head = f"{dataset.upper()}."
    return identifier[len(head):] if identifier.upper().startswith(head) else identifier


def range_check(ctx: Context, dataset: str, condition: Condition) -> etree._Element:
    target = condition.dataset or dataset
    node = element(odm("RangeCheck"), {"Comparator": condition.comparator, "SoftHard": "Soft",
                                       dfn("ItemOID"): ctx.oids.item(target, condition.variable)})
    for value in condition.values:
        sub(node, odm("CheckValue"), text=value)
    return node
