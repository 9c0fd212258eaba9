"""CodeLists: CDISC and sponsor codelists with NCI codes, and external dictionaries (MedDRA, CTCAE, ...).

With data, a codelist lists only the terms the data uses (what reviewers and FDA expect); a codelist
no written value uses keeps every term of the spec, since an empty CodeList is not allowed.
"""

from __future__ import annotations

import logging

from lxml import etree

from define_xml.context import Context
from define_xml.datasets import same_term
from define_xml.xmlns import description, dfn, element, odm, sub

log = logging.getLogger(__name__)

CODELIST_DATA_TYPES = frozenset({"text", "integer", "float", "string"})
NCI = "nci:ExtCodeID"


def codelist_defs(ctx: Context) -> list[etree._Element]:
    made = []
    dictionaries = {d.id: d for d in ctx.spec.dictionaries}
    codelists = {c.id: c for c in ctx.spec.codelists}
    for identifier in ctx.codelists:
        if identifier in codelists:
            made.append(_codelist(ctx, codelists[identifier]))
        else:
            made.append(_dictionary(ctx, dictionaries[identifier]))
    return made


def _codelist(ctx: Context, codelist) -> etree._Element:
    standard = _standard_of(ctx, codelist)
    node = element(odm("CodeList"), {
        "OID": ctx.oids.codelist(codelist.id), "Name": codelist.name or codelist.id,
        "DataType": _data_type(codelist.data_type), dfn("StandardOID"): standard,
        dfn("IsNonStandard"): None if standard else "Yes"})
    items = _items_to_list(ctx, codelist)
    enumerated = all(item.decode is None for _, item in items)
    for order, item in items:
        attributes = {"CodedValue": item.term, "OrderNumber": order,
                      dfn("ExtendedValue"): "Yes" if item.extended else None}
        if enumerated:
            entry = sub(node, odm("EnumeratedItem"), attributes)
        else:
            entry = sub(node, odm("CodeListItem"), attributes)
            entry.append(description(item.decode if item.decode is not None else item.term, odm("Decode")))
        if item.nci_code:
            sub(entry, odm("Alias"), {"Context": NCI, "Name": item.nci_code})
    if codelist.nci_code:
        sub(node, odm("Alias"), {"Context": NCI, "Name": codelist.nci_code})
    return node


def _items_to_list(ctx: Context, codelist) -> list[tuple[int, object]]:
    """(OrderNumber, item) for the terms to write: the used ones when the data says which."""
    ordered, seen = [], set()
    for n, item in enumerate(codelist.items, start=1):
        if item.term in seen:  # CodedValues must be unique; the spec checks report the duplicate
            log.warning("%s: codelist %s lists %r twice; written once", ctx.spec.source, codelist.id, item.term)
            continue
        seen.add(item.term)
        ordered.append((n, item))
    used = ctx.terms_used.get(codelist.id)
    if not used:
        return ordered
    kept = [(n, item) for n, item in ordered if any(same_term(item.term, value) for value in used)]
    if not kept:
        log.info("%s: no written value uses a term of codelist %s; all its terms are listed",
                 ctx.spec.source, codelist.id)
        return ordered
    return kept


def _standard_of(ctx: Context, codelist) -> str | None:
    """The CT def:Standard a codelist comes from: the one its Terminology names, else, for a codelist
    with an NCI code, the CT package of this define's kind."""
    if codelist.terminology and codelist.terminology in ctx.standard_oids:
        return ctx.standard_oids[codelist.terminology]
    if codelist.terminology:
        log.warning("%s: codelist %s names terminology %r, which the Standards sheet lacks",
                    ctx.spec.source, codelist.id, codelist.terminology)
    if not codelist.nci_code or not ctx.ct_standards:
        return None
    wanted = "ADAM" if ctx.kind == "adam" else "SDTM"
    return next((oid for oid, subset in ctx.ct_standards if (subset or "").upper() == wanted),
                ctx.ct_standards[0][0])


def _dictionary(ctx: Context, dictionary) -> etree._Element:
    node = element(odm("CodeList"), {
        "OID": ctx.oids.codelist(dictionary.id), "Name": dictionary.name or dictionary.dictionary or dictionary.id,
        "DataType": _data_type(dictionary.data_type), dfn("IsNonStandard"): "Yes"})
    sub(node, odm("ExternalCodeList"), {"Dictionary": dictionary.dictionary or dictionary.name or dictionary.id,
                                        "Version": dictionary.version})
    return node


def _data_type(text: str | None) -> str:
    kind = (text or "text").strip().lower()
    return kind if kind in CODELIST_DATA_TYPES else "text"
