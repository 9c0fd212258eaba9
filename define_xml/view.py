"""A define.xml as the tables a reviewer reads: the data behind our define.html template.

Everything links by OID: datasets to their variables, variables to codelists, methods, comments and
value-level metadata, page references to the documents (`acrf.pdf#page=12`).
"""

from __future__ import annotations

import re
from typing import Any

from formats.definexml import DefineDoc, ItemDef, ItemRef, PageRef

PREVIEW_TERMS = 5  # codelist terms shown in a variable's row before "more"
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these, so "java\tscript:" is javascript:


def safe_href(href: str | None) -> str:
    """`href` when it is a relative link (a file beside define.xml, `#anchor`) or an http(s)/mailto URL;
    "" (no link; the title is still shown) for anything a browser would run or fetch otherwise, such as
    `javascript:` or `data:` URLs a spec's Documents sheet could carry. The template escapes the rest."""
    text = (href or "").strip()
    match = _SCHEME.match(_IGNORED_IN_URLS.sub("", text))
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        return ""
    return text


def define_view(doc: DefineDoc) -> dict[str, Any]:
    groups = [_group(doc, g) for g in doc.groups]
    return {
        "study": {"name": doc.study_name, "description": doc.study_description, "protocol": doc.protocol_name},
        "mdv": {"name": doc.mdv_name, "description": doc.mdv_description, "define_version": doc.define_version,
                "context": doc.context, "created": doc.created},
        "standards": [s.__dict__ for s in doc.standards],
        "annotated_crf": [_doc_link(doc, r) for r in doc.annotated_crf],
        "supplemental_docs": [_doc_link(doc, r) for r in doc.supplemental_docs],
        "datasets": groups,
        "value_lists": [_value_list(doc, oid, refs) for oid, refs in doc.value_lists.items()],
        "codelists": [_codelist(c) for c in doc.codelists.values() if not c.external],
        "dictionaries": [_codelist(c) for c in doc.codelists.values() if c.external],
        "methods": [{"oid": m.oid, "name": m.name, "type": m.type, "description": m.description,
                     "expressions": [{"context": c, "code": code} for c, code in m.expressions],
                     "refs": _links(doc, m.refs)} for m in doc.methods.values()],
        "comments": [{"oid": c.oid, "description": c.description, "refs": _links(doc, c.refs)}
                     for c in doc.comments.values()],
        "displays": [_display(doc, d) for d in doc.displays],
        "stylesheet": doc.stylesheet,
    }


def _doc_link(doc: DefineDoc, ref: PageRef) -> dict[str, Any]:
    href, title = doc.leaves.get(ref.leaf, ("", ref.leaf))
    title = title or href
    href = safe_href(href)
    return {"leaf": ref.leaf, "href": href, "title": title or ref.leaf, "pages": _pages(href, ref)}


def _pages(href: str, ref: PageRef) -> list[dict[str, str]]:
    pages = []
    for page in ref.pages:
        first = page.split("-", 1)[0]
        anchor = f"page={first}" if ref.kind == "PhysicalRef" else f"nameddest={page}"
        pages.append({"label": page, "href": f"{href}#{anchor}" if href else ""})
    return pages


def _links(doc: DefineDoc, refs) -> list[dict[str, Any]]:
    return [_doc_link(doc, r) for r in refs]


def _group(doc: DefineDoc, group) -> dict[str, Any]:
    keys = [doc.items[k].name for k in group.keys if k in doc.items]
    standard = next((s for s in doc.standards if s.oid == group.standard), None)
    return {
        "oid": group.oid, "name": group.name, "label": group.label, "class": group.class_name,
        "subclasses": list(group.subclasses), "structure": group.structure, "purpose": group.purpose,
        "repeating": group.repeating, "reference_data": group.reference_data, "key_variables": keys,
        "standard": f"{standard.name} {standard.version}" if standard else "", "has_no_data": group.has_no_data,
        "comment": _comment(doc, group.comment),
        "href": safe_href(group.href), "title": group.title or group.href,
        "variables": [_variable(doc, ref) for ref in group.items if ref.item in doc.items],
    }


def _variable(doc: DefineDoc, ref: ItemRef) -> dict[str, Any]:
    item = doc.items[ref.item]
    return {**_item(doc, item, ref), "key_sequence": ref.key_sequence, "role": ref.role,
            "value_list": item.value_list if item.value_list in doc.value_lists else ""}


def _item(doc: DefineDoc, item: ItemDef, ref: ItemRef) -> dict[str, Any]:
    codelist = doc.codelists.get(item.codelist)
    method = doc.methods.get(ref.method)
    return {
        "oid": item.oid, "name": item.name, "label": item.label, "data_type": item.data_type,
        "length": item.length, "significant_digits": item.significant_digits,
        "display_format": item.display_format, "mandatory": ref.mandatory, "has_no_data": ref.has_no_data,
        "codelist": _codelist_ref(codelist) if codelist else None,
        "origins": [{"type": o.type, "source": o.source, "description": o.description, "refs": _links(doc, o.refs)}
                    for o in item.origins],
        "method": {"oid": method.oid, "name": method.name, "description": method.description} if method else None,
        "comment": _comment(doc, item.comment),
    }


def _comment(doc: DefineDoc, oid: str) -> dict[str, Any] | None:
    comment = doc.comments.get(oid)
    return {"oid": comment.oid, "description": comment.description} if comment else None


def _codelist_ref(codelist) -> dict[str, Any]:
    terms = [t.coded if t.decode is None else f"{t.coded} = {t.decode}" for t in codelist.terms]
    return {"oid": codelist.oid, "name": codelist.name, "external": codelist.external,
            "dictionary": f"{codelist.dictionary} {codelist.version}".strip(),
            "preview": terms[:PREVIEW_TERMS], "more": max(0, len(terms) - PREVIEW_TERMS)}


def _value_list(doc: DefineDoc, oid: str, refs) -> dict[str, Any]:
    parent = next((i for i in doc.items.values() if i.value_list == oid), None)
    group = next((g for g in doc.groups if parent is not None and any(r.item == parent.oid for r in g.items)), None)
    rows = []
    for ref in refs:
        item = doc.items.get(ref.item)
        if item is None:
            continue
        rows.append({**_item(doc, item, ref), "where": " and ".join(where_text(doc, w) for w in ref.where)})
    return {"oid": oid, "dataset": group.name if group else "", "variable": parent.name if parent else oid,
            "rows": rows}


def where_text(doc: DefineDoc, oid: str, qualify: bool = False) -> str:
    clause = doc.where_clauses.get(oid)
    if clause is None:
        return oid
    parts = []
    for condition in clause.conditions:
        item = doc.items.get(condition.item)
        name = item.name if item else condition.item
        if qualify:
            group = next((g for g in doc.groups if any(r.item == condition.item for r in g.items)), None)
            name = f"{group.name}.{name}" if group else name
        values = ", ".join(f'"{v}"' if not v or any(c in v for c in ' ,"()') else v for v in condition.values)
        values = f"({values})" if condition.comparator in ("IN", "NOTIN") else values
        parts.append(f"{name} {condition.comparator} {values}")
    return " and ".join(parts)


def _codelist(codelist) -> dict[str, Any]:
    return {
        "oid": codelist.oid, "name": codelist.name, "data_type": codelist.data_type,
        "nci_code": codelist.nci_code, "is_non_standard": codelist.is_non_standard,
        "dictionary": codelist.dictionary, "version": codelist.version, "href": safe_href(codelist.href),
        "decoded": any(t.decode is not None for t in codelist.terms),
        "terms": [{"coded": t.coded, "decode": t.decode, "nci_code": t.nci_code, "extended": t.extended}
                  for t in codelist.terms],
    }


def _display(doc: DefineDoc, display) -> dict[str, Any]:
    results = []
    for result in display.results:
        datasets = []
        for dataset in result.datasets:
            group = doc.group_by_oid.get(dataset.group)
            datasets.append({
                "oid": dataset.group, "name": group.name if group else dataset.group,
                "where": where_text(doc, dataset.where, qualify=True) if dataset.where else "",
                "variables": [{"oid": v, "name": doc.items[v].name if v in doc.items else v}
                              for v in dataset.variables]})
        parameter = doc.items.get(result.parameter)
        results.append({
            "oid": result.oid, "description": result.description, "reason": result.reason,
            "purpose": result.purpose, "parameter": parameter.name if parameter else "", "datasets": datasets,
            "join_comment": doc.comments[result.join_comment].description if result.join_comment in doc.comments
            else "",
            "documentation": result.documentation, "documentation_refs": _links(doc, result.documentation_refs),
            "code_context": result.code_context, "code": result.code, "code_refs": _links(doc, result.code_refs)})
    return {"oid": display.oid, "name": display.name, "description": display.description,
            "refs": _links(doc, display.refs), "results": results}
