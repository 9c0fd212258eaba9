"""def:Standards, documents (aCRF, supplemental, def:leaf), MethodDefs and def:CommentDefs."""

from __future__ import annotations

import logging

from lxml import etree

from define_xml.context import Context
from define_xml.xmlns import description, dfn, element, odm, sub, xlink

log = logging.getLogger(__name__)

DEFAULT_IG_VERSIONS = {"sdtm": "3.4", "adam": "1.3"}  # the project's defaults (DESIGN.md) when a spec says none
IG_NAMES = {"sdtm": "SDTMIG", "adam": "ADaMIG"}
STANDARD_NAMES = frozenset({
    "ADaM-OCCDSIG", "ADaMIG", "ADaMIG-MD", "ADaMIG-NCA", "ADaMIG-popPK", "BIMO", "CDISC/NCI", "SDTMIG",
    "SDTMIG-AP", "SDTMIG-MD", "SENDIG", "SENDIG-AR", "SENDIG-DART", "SENDIG-GENETOX",
})
METHOD_TYPES = frozenset({"Computation", "Imputation", "Transpose", "Other"})


def standards(ctx: Context) -> etree._Element:
    """def:Standards from the spec's Standards sheet, or the IG (and CT, when the spec names its version)."""
    spec = ctx.spec
    container = element(dfn("Standards"))
    rows = list(spec.standards)
    if rows:
        for row in rows:
            oid = ctx.oids.standard(row.oid)
            ctx.standard_oids[row.oid] = oid
            container.append(element(dfn("Standard"), {
                "OID": oid, "Name": _standard_name(row.name), "Type": (row.type or "IG").upper(),
                "PublishingSet": row.publishing_set, "Version": row.version or "",
                "Status": row.status or "Final", dfn("CommentOID"): ctx.comment_ref(row.comment)}))
            if (row.type or "").upper() == "CT":
                ctx.ct_standards.append((oid, row.publishing_set))
            elif ctx.ig_standard is None:
                ctx.ig_standard = oid
    if ctx.ig_standard is None:
        name = IG_NAMES[ctx.kind]
        version = spec.study.standard_version if _names_ig(spec.study.standard_name) else None
        if not version:
            version = DEFAULT_IG_VERSIONS[ctx.kind]
            log.warning("%s: the spec names no %s version; define.xml declares %s %s",
                        spec.source, name, name, version)
        ctx.ig_standard = ctx.oids.standard(f"{name}.{version}")
        container.insert(0, element(dfn("Standard"), {"OID": ctx.ig_standard, "Name": name, "Type": "IG",
                                                      "Version": version, "Status": "Final"}))
    if not ctx.ct_standards and (ct_version := spec.study.attribute("CTVersion")):
        sets = ["SDTM"] if ctx.kind == "sdtm" else ["ADaM", "SDTM"]
        for publishing_set in sets:
            oid = ctx.oids.standard(f"CT.{publishing_set}.{ct_version}")
            ctx.ct_standards.append((oid, publishing_set))
            container.append(element(dfn("Standard"), {"OID": oid, "Name": "CDISC/NCI", "Type": "CT",
                                                       "PublishingSet": publishing_set, "Version": ct_version,
                                                       "Status": "Final"}))
    return container


def _standard_name(name: str | None) -> str:
    if not name:
        return "CDISC/NCI"
    folded = {n.casefold(): n for n in STANDARD_NAMES}
    return folded.get(name.strip().casefold(), name.strip())


def _names_ig(name: str | None) -> bool:
    """Layout-A Study sheets say StandardName "CDISC" or "SDTMIG"; either way the version is the IG's."""
    return (name or "").strip().upper() in {"", "CDISC", "SDTM", "SDTMIG", "ADAM", "ADAMIG"}


def find_acrf(ctx: Context) -> str | None:
    """The document that is the annotated CRF: id or title says so (SDTM only)."""
    if ctx.kind != "sdtm":
        return None
    for doc in ctx.spec.documents:
        text = f"{doc.id} {doc.title or ''}".casefold()
        if "crf" in text or "case report form" in text:
            return doc.id
    return None


def document_sections(ctx: Context) -> list[etree._Element]:
    """def:AnnotatedCRF (the aCRF) and def:SupplementalDoc (every other document of the spec)."""
    sections = []
    if ctx.acrf:
        sections.append(element(dfn("AnnotatedCRF"), {}, ctx.document_ref(ctx.acrf)))
    others = [d.id for d in ctx.spec.documents if d.id != ctx.acrf]
    if others:
        sections.append(element(dfn("SupplementalDoc"), {}, *[ctx.document_ref(d) for d in others]))
    return sections


def method_defs(ctx: Context) -> list[etree._Element]:
    made = []
    for identifier in ctx.methods:
        method = ctx.spec.method(identifier)
        kind = (method.type or "Computation").strip().capitalize()
        node = element(odm("MethodDef"), {
            "OID": ctx.oids.method(identifier), "Name": method.name or identifier,
            "Type": kind if kind in METHOD_TYPES else "Computation"})
        node.append(description(method.description or method.name or identifier))
        if method.expression_code:
            sub(node, odm("FormalExpression"), {"Context": method.expression_context or "Text"},
                text=method.expression_code)
        ref = ctx.document_ref(method.document, method.pages)
        if ref is not None:
            node.append(ref)
        made.append(node)
    return made


def comment_defs(ctx: Context) -> list[etree._Element]:
    made = []
    for identifier in ctx.comments:
        node = element(dfn("CommentDef"), {"OID": ctx.oids.comment(identifier)})
        if identifier in ctx.extra_comments:
            node.append(description(ctx.extra_comments[identifier]))
        else:
            comment = ctx.spec.comment(identifier)
            node.append(description(comment.description))
            ref = ctx.document_ref(comment.document, comment.pages)
            if ref is not None:
                node.append(ref)
        made.append(node)
    return made


def leaf(leaf_id: str, href: str, title: str) -> etree._Element:
    node = element(dfn("leaf"), {"ID": leaf_id, xlink("href"): href})
    sub(node, dfn("title"), text=title)
    return node


def document_leaves(ctx: Context) -> list[etree._Element]:
    return [leaf(ctx.oids.leaf("doc", d), ctx.document(d).href or f"{d.lower()}.pdf", ctx.document(d).title or d)
            for d in ctx.documents]
