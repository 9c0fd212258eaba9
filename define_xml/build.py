"""Spec (+ what was written) -> a Define-XML 2.1 document, as an lxml tree. Pure: nothing is read or written.

Element order inside MetaDataVersion is the schema's: def:Standards, def:AnnotatedCRF, def:SupplementalDoc,
def:ValueListDef*, def:WhereClauseDef*, ItemGroupDef*, ItemDef*, CodeList*, MethodDef*, def:CommentDef*,
def:leaf*, and last arm:AnalysisResultDisplays (ADaM).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from importlib import metadata

from lxml import etree

from define_xml.arm import analysis_results
from define_xml.codelists import codelist_defs
from define_xml.context import Context, detect_kind
from define_xml.datasets import DatasetInfo, index_datasets
from define_xml.items import dataset_defs
from define_xml.oids import oid_part
from define_xml.support import (
    comment_defs, document_leaves, document_sections, find_acrf, method_defs, standards,
)
from define_xml.xmlns import DEF, NSMAP, element, odm, sub
from specs.model import Spec

log = logging.getLogger(__name__)

DEFINE_VERSION = "2.1.0"
_DEFINE_VERSION = re.compile(r"2\.1\.(0|[1-9][0-9]*)\Z")


def build_define(
    spec: Spec,
    datasets: Mapping[str, DatasetInfo] | None = None,
    *,
    context: str = "Submission",
    created: datetime,
    stylesheet_href: str | None = "define2-1.xsl",
    kind: str | None = None,
    arm: bool = True,
) -> etree._ElementTree:
    """The define.xml of `spec`; with `datasets` (what was written, by name) it describes those datasets
    with their real lengths and used terms, without it (spec only) every dataset of the spec.

    `kind` ("sdtm"/"adam") is detected from the spec when not given; `arm` adds Analysis Results
    Metadata when the spec has Analysis Displays/Results (ADaM).
    """
    data = index_datasets(datasets)
    ctx = Context(spec, data, kind or detect_kind(spec))
    study = spec.study.name or oid_part(spec.source)
    standards_node = standards(ctx)
    ctx.acrf = find_acrf(ctx)
    chosen = _datasets_to_describe(spec, data)
    groups, items, value_lists = [], [], []
    for dataset in chosen:
        made = dataset_defs(ctx, dataset)
        groups.append(made.group)
        items += made.items
        value_lists += made.value_lists
    results = analysis_results(ctx, {d.name.upper() for d in chosen}) if arm else None
    codelists = codelist_defs(ctx)
    methods = method_defs(ctx)
    documents = document_sections(ctx)
    comments = comment_defs(ctx)  # after everything that may reference a comment
    leaves = document_leaves(ctx)  # after everything that may reference a document

    root = element(odm("ODM"), {
        "FileType": "Snapshot", "FileOID": f"DEF.{oid_part(study)}.{ctx.kind.upper()}",
        "CreationDateTime": created.replace(microsecond=0).isoformat(), "ODMVersion": "1.3.2",
        "Originator": spec.study.attribute("Sponsor") or spec.study.attribute("Originator") or "trialforge",
        "SourceSystem": "trialforge", "SourceSystemVersion": _version(), f"{{{DEF}}}Context": context})
    root = _with_namespaces(root)
    study_node = sub(root, odm("Study"), {"OID": f"STDY.{oid_part(study)}"})
    global_variables = sub(study_node, odm("GlobalVariables"))
    sub(global_variables, odm("StudyName"), text=study)
    sub(global_variables, odm("StudyDescription"), text=spec.study.description or study)
    sub(global_variables, odm("ProtocolName"), text=spec.study.protocol_name or study)
    mdv = sub(study_node, odm("MetaDataVersion"), {
        "OID": _mdv_oid(study, standards_node), "Name": f"Study {study}, {_label(ctx.kind)} Data Definitions",
        "Description": spec.study.description or None, f"{{{DEF}}}DefineVersion": _define_version(spec)})
    for node in [standards_node, *documents, *value_lists, *ctx.where_defs, *groups, *items, *codelists,
                 *methods, *comments, *leaves, results]:
        if node is not None:
            mdv.append(node)
    tree = etree.ElementTree(root)
    if stylesheet_href:
        root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{stylesheet_href}"'))
    log.info("define.xml for %s (%s): %d datasets, %d items, %d codelists", study, ctx.kind.upper(),
             len(groups), len(items), len(codelists))
    return tree


def _datasets_to_describe(spec: Spec, data: dict[str, DatasetInfo] | None):
    """Spec only: every dataset. With data: those written, plus those the spec says have no data."""
    if data is None:
        return list(spec.datasets)
    chosen = [d for d in spec.datasets if d.name.upper() in data or d.has_no_data]
    left = [d.name for d in spec.datasets if d not in chosen]
    if left:
        log.info("%s: not written, so not in define.xml: %s", spec.source, ", ".join(left))
    return chosen


def _with_namespaces(root: etree._Element) -> etree._Element:
    """Re-create the root with the Define-XML prefixes declared on it (xmlns, def, xlink, arm)."""
    made = etree.Element(root.tag, dict(root.attrib), nsmap=NSMAP)
    return made


def _mdv_oid(study: str, standards_node: etree._Element) -> str:
    ig = next((s for s in standards_node if s.get("Type") == "IG"), None)
    tail = f".{oid_part(ig.get('Name'))}.{oid_part(ig.get('Version'))}" if ig is not None else ""
    return f"MDV.{oid_part(study)}{tail}"


def _define_version(spec: Spec) -> str:
    wanted = (spec.study.attribute("DefineVersion") or "").strip()
    return wanted if _DEFINE_VERSION.match(wanted) else DEFINE_VERSION


def _label(kind: str) -> str:
    return "Analysis" if kind == "adam" else "Tabulation"


def _version() -> str | None:
    try:
        return metadata.version("trialforge")
    except metadata.PackageNotFoundError:  # running from a source checkout
        return None
