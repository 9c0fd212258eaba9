"""define.xml read into plain, typed data: what define.html, the Dataset-JSON export and the conformance
rules work from. The one reader of define.xml in trialforge.

It reads any Define-XML 2.1 or 2.0 document (ours or another tool's): a 2.0 document's def namespace is
read as 2.1's, so both read alike. The file is parsed by the hardened parser (`formats.safexml`): no
entity is expanded, nothing is loaded.
"""

from __future__ import annotations

import os
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from formats.safexml import parse_user_xml
from specs.errors import InputError, Problem

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
DEF_20 = "http://www.cdisc.org/ns/def/v2.0"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
NS = {"odm": ODM, "def": DEF, "xlink": XLINK, "arm": ARM}  # prefixes for XPath look-ups
EXPECTED = "a Define-XML 2.1 or 2.0 document (ODM with a Study and its MetaDataVersion)"


def odm(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def translated(node: etree._Element | None) -> str:
    """The English (or first) TranslatedText under `node`'s Description/Decode child, or ''."""
    if node is None:
        return ""
    texts = node.findall(f"{odm('TranslatedText')}")
    if not texts:
        wrapper = node.find(odm("Description"))
        if wrapper is None:
            wrapper = node.find(odm("Decode"))
        texts = wrapper.findall(odm("TranslatedText")) if wrapper is not None else []
    if not texts:
        return ""
    english = next((t for t in texts if (t.get(f"{{{XML}}}lang") or "en").startswith("en")), texts[0])
    return (english.text or "").strip()


_DEF = f"{{{DEF}}}"


@dataclass(frozen=True)
class PageRef:
    leaf: str
    pages: tuple[str, ...] = ()
    kind: str = "PhysicalRef"  # or NamedDestination
    title: str = ""


@dataclass(frozen=True)
class Origin:
    type: str
    source: str = ""
    description: str = ""
    refs: tuple[PageRef, ...] = ()


@dataclass(frozen=True)
class ItemDef:
    oid: str
    name: str
    data_type: str
    length: int | None
    significant_digits: int | None
    display_format: str
    label: str
    codelist: str  # CodeList OID or ""
    origins: tuple[Origin, ...]
    value_list: str  # ValueListDef OID or ""
    comment: str


@dataclass(frozen=True)
class ItemRef:
    item: str
    order: int | None
    mandatory: bool
    key_sequence: int | None
    method: str
    role: str
    where: tuple[str, ...] = ()  # WhereClauseDef OIDs (value-level)
    has_no_data: bool = False


@dataclass(frozen=True)
class Condition:
    item: str  # ItemDef OID
    comparator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class WhereClause:
    oid: str
    conditions: tuple[Condition, ...]
    comment: str = ""


@dataclass(frozen=True)
class ItemGroup:
    oid: str
    name: str
    label: str
    domain: str
    repeating: bool
    reference_data: bool
    purpose: str
    structure: str
    class_name: str
    subclasses: tuple[str, ...]
    standard: str
    has_no_data: bool
    is_non_standard: bool
    comment: str
    leaf: str  # def:leaf ID
    href: str
    title: str
    items: tuple[ItemRef, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        keyed = sorted((r.key_sequence, r.item) for r in self.items if r.key_sequence is not None)
        return tuple(item for _, item in keyed)


@dataclass(frozen=True)
class Term:
    coded: str
    decode: str | None
    order: int | None
    nci_code: str
    extended: bool


@dataclass(frozen=True)
class CodeList:
    oid: str
    name: str
    data_type: str
    nci_code: str
    standard: str
    is_non_standard: bool
    terms: tuple[Term, ...]
    dictionary: str = ""  # ExternalCodeList
    version: str = ""
    href: str = ""

    @property
    def external(self) -> bool:
        return bool(self.dictionary)


@dataclass(frozen=True)
class Method:
    oid: str
    name: str
    type: str
    description: str
    expressions: tuple[tuple[str, str], ...]  # (context, code)
    refs: tuple[PageRef, ...]


@dataclass(frozen=True)
class Comment:
    oid: str
    description: str
    refs: tuple[PageRef, ...]


@dataclass(frozen=True)
class Standard:
    oid: str
    name: str
    type: str
    publishing_set: str
    version: str
    status: str


@dataclass(frozen=True)
class AnalysisDataset:
    group: str
    where: str
    variables: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisResult:
    oid: str
    description: str
    parameter: str
    reason: str
    purpose: str
    datasets: tuple[AnalysisDataset, ...]
    join_comment: str
    documentation: str
    documentation_refs: tuple[PageRef, ...]
    code_context: str
    code: str
    code_refs: tuple[PageRef, ...]


@dataclass(frozen=True)
class ResultDisplay:
    oid: str
    name: str
    description: str
    refs: tuple[PageRef, ...]
    results: tuple[AnalysisResult, ...]


@dataclass(frozen=True)
class DefineDoc:
    study_oid: str
    study_name: str
    study_description: str
    protocol_name: str
    mdv_oid: str
    mdv_name: str
    mdv_description: str
    define_version: str
    context: str
    created: str
    standards: tuple[Standard, ...]
    annotated_crf: tuple[PageRef, ...]
    supplemental_docs: tuple[PageRef, ...]
    groups: tuple[ItemGroup, ...]
    items: dict[str, ItemDef]
    value_lists: dict[str, tuple[ItemRef, ...]]
    where_clauses: dict[str, WhereClause]
    codelists: dict[str, CodeList]
    methods: dict[str, Method]
    comments: dict[str, Comment]
    leaves: dict[str, tuple[str, str]]  # ID -> (href, title)
    displays: tuple[ResultDisplay, ...] = ()
    stylesheet: str = ""
    group_by_oid: dict[str, ItemGroup] = field(default_factory=dict)

    def group(self, name: str) -> ItemGroup | None:
        return next((g for g in self.groups if g.name.upper() == name.upper()), None)


def read_define_tree(source: etree._ElementTree | etree._Element | str | Path) -> DefineDoc:
    """Read a define.xml (a tree, its root, or a path) into a DefineDoc."""
    where = "define.xml"
    if isinstance(source, (str, os.PathLike)):
        where = str(source)
        source = parse_user_xml(source, "define.xml", EXPECTED)
    root = source.getroot() if hasattr(source, "getroot") else source
    study = root.find(odm("Study"))
    if study is None or study.find(odm("MetaDataVersion")) is None:
        raise InputError(f"{where}: not a define.xml", [Problem(
            where, f"no ODM Study/MetaDataVersion (namespace {ODM}; the root is <{local(root.tag) or root.tag}>); "
                   f"expected {EXPECTED}")])
    if DEF_20 in root.nsmap.values():
        root = _as_define_21(root)
        study = root.find(odm("Study"))
    mdv = study.find(odm("MetaDataVersion"))
    glob = study.find(odm("GlobalVariables"))
    groups = tuple(_group(g) for g in mdv.iterfind(odm("ItemGroupDef")))
    doc = DefineDoc(
        study_oid=study.get("OID", ""), study_name=_text(glob, "StudyName"),
        study_description=_text(glob, "StudyDescription"), protocol_name=_text(glob, "ProtocolName"),
        mdv_oid=mdv.get("OID", ""), mdv_name=mdv.get("Name", ""), mdv_description=mdv.get("Description", ""),
        define_version=mdv.get(_DEF + "DefineVersion", ""), context=root.get(_DEF + "Context", ""),
        created=root.get("CreationDateTime", ""),
        standards=tuple(Standard(s.get("OID", ""), s.get("Name", ""), s.get("Type", ""), s.get("PublishingSet", ""),
                                 s.get("Version", ""), s.get("Status", ""))
                        for s in mdv.iterfind("def:Standards/def:Standard", NS)),
        annotated_crf=tuple(_page_ref(r) for r in mdv.iterfind("def:AnnotatedCRF/def:DocumentRef", NS)),
        supplemental_docs=tuple(_page_ref(r) for r in mdv.iterfind("def:SupplementalDoc/def:DocumentRef", NS)),
        groups=groups,
        items={i.get("OID"): _item(i) for i in mdv.iterfind(odm("ItemDef"))},
        value_lists={v.get("OID"): tuple(_item_ref(r) for r in v.iterfind(odm("ItemRef")))
                     for v in mdv.iterfind("def:ValueListDef", NS)},
        where_clauses={w.get("OID"): _where(w) for w in mdv.iterfind("def:WhereClauseDef", NS)},
        codelists={c.get("OID"): _codelist(c) for c in mdv.iterfind(odm("CodeList"))},
        methods={m.get("OID"): _method(m) for m in mdv.iterfind(odm("MethodDef"))},
        comments={c.get("OID"): Comment(c.get("OID"), translated(c), _refs(c))
                  for c in mdv.iterfind("def:CommentDef", NS)},
        leaves={leaf.get("ID"): (leaf.get(f"{{{XLINK}}}href", ""), _text(leaf, "title", DEF))
                for leaf in mdv.iter(_DEF + "leaf")},
        displays=tuple(_display(d) for d in mdv.iterfind("arm:AnalysisResultDisplays/arm:ResultDisplay", NS)),
        stylesheet=_stylesheet(root),
        group_by_oid={g.oid: g for g in groups},
    )
    return doc


def _text(parent, tag: str, namespace: str | None = None) -> str:
    if parent is None:
        return ""
    found = parent.find(f"{{{namespace}}}{tag}" if namespace else odm(tag))
    return (found.text or "").strip() if found is not None else ""


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def _page_ref(ref) -> PageRef:
    page = ref.find("def:PDFPageRef", NS)
    if page is None:
        return PageRef(ref.get("leafID", ""))
    pages = tuple((page.get("PageRefs") or "").split())
    if not pages and page.get("FirstPage"):
        pages = (f"{page.get('FirstPage')}-{page.get('LastPage') or page.get('FirstPage')}",)
    return PageRef(ref.get("leafID", ""), pages, page.get("Type", "PhysicalRef"), page.get("Title", ""))


def _refs(node) -> tuple[PageRef, ...]:
    return tuple(_page_ref(r) for r in node.iterfind("def:DocumentRef", NS))


def _group(node) -> ItemGroup:
    class_node = node.find("def:Class", NS)
    leaf = node.find("def:leaf", NS)
    return ItemGroup(
        oid=node.get("OID", ""), name=node.get("Name") or node.get("SASDatasetName", ""), label=translated(node),
        domain=node.get("Domain", ""),
        repeating=node.get("Repeating") == "Yes", reference_data=node.get("IsReferenceData") == "Yes",
        purpose=node.get("Purpose", ""), structure=node.get(_DEF + "Structure", ""),
        class_name=class_node.get("Name", "") if class_node is not None else node.get(_DEF + "Class", ""),
        subclasses=tuple(s.get("Name", "") for s in class_node.iterfind("def:SubClass", NS))
        if class_node is not None else (),
        standard=node.get(_DEF + "StandardOID", ""), has_no_data=node.get(_DEF + "HasNoData") == "Yes",
        is_non_standard=node.get(_DEF + "IsNonStandard") == "Yes", comment=node.get(_DEF + "CommentOID", ""),
        leaf=leaf.get("ID", "") if leaf is not None else node.get(_DEF + "ArchiveLocationID", ""),
        href=leaf.get(f"{{{XLINK}}}href", "") if leaf is not None else "",
        title=_text(leaf, "title", DEF) if leaf is not None else "",
        items=tuple(_item_ref(r) for r in node.iterfind(odm("ItemRef"))))


def _item_ref(node) -> ItemRef:
    return ItemRef(
        item=node.get("ItemOID", ""), order=_int(node.get("OrderNumber")), mandatory=node.get("Mandatory") == "Yes",
        key_sequence=_int(node.get("KeySequence")), method=node.get("MethodOID", ""), role=node.get("Role", ""),
        where=tuple(w.get("WhereClauseOID", "") for w in node.iterfind("def:WhereClauseRef", NS)),
        has_no_data=node.get(_DEF + "HasNoData") == "Yes")


def _item(node) -> ItemDef:
    codelist = node.find(odm("CodeListRef"))
    value_list = node.find("def:ValueListRef", NS)
    return ItemDef(
        oid=node.get("OID", ""), name=node.get("Name", ""), data_type=node.get("DataType", ""),
        length=_int(node.get("Length")), significant_digits=_int(node.get("SignificantDigits")),
        display_format=node.get(_DEF + "DisplayFormat", ""), label=translated(node),
        codelist=codelist.get("CodeListOID", "") if codelist is not None else "",
        origins=tuple(Origin(o.get("Type", ""), o.get("Source", ""), translated(o), _refs(o))
                      for o in node.iterfind("def:Origin", NS)),
        value_list=value_list.get("ValueListOID", "") if value_list is not None else "",
        comment=node.get(_DEF + "CommentOID", ""))


def _where(node) -> WhereClause:
    return WhereClause(node.get("OID", ""), tuple(
        Condition(r.get(_DEF + "ItemOID", ""), r.get("Comparator", ""),
                  tuple((v.text or "") for v in r.iterfind(odm("CheckValue"))))
        for r in node.iterfind(odm("RangeCheck"))), node.get(_DEF + "CommentOID", ""))


def _codelist(node) -> CodeList:
    terms = []
    for item in node:
        if local(item.tag) not in ("CodeListItem", "EnumeratedItem"):
            continue
        alias = item.find(odm("Alias"))
        decode = item.find(odm("Decode"))
        terms.append(Term(item.get("CodedValue", ""), translated(decode) if decode is not None else None,
                          _int(item.get("OrderNumber")), alias.get("Name", "") if alias is not None else "",
                          item.get(_DEF + "ExtendedValue") == "Yes"))
    alias = next((a for a in node.iterfind(odm("Alias")) if a.get("Context") == "nci:ExtCodeID"), None)
    external = node.find(odm("ExternalCodeList"))
    return CodeList(
        oid=node.get("OID", ""), name=node.get("Name", ""), data_type=node.get("DataType", ""),
        nci_code=alias.get("Name", "") if alias is not None else "", standard=node.get(_DEF + "StandardOID", ""),
        is_non_standard=node.get(_DEF + "IsNonStandard") == "Yes", terms=tuple(terms),
        dictionary=external.get("Dictionary", "") if external is not None else "",
        version=external.get("Version", "") if external is not None else "",
        href=external.get("href", "") if external is not None else "")


def _method(node) -> Method:
    return Method(node.get("OID", ""), node.get("Name", ""), node.get("Type", ""), translated(node),
                  tuple((f.get("Context", ""), (f.text or "").strip()) for f in node.iterfind(odm("FormalExpression"))),
                  _refs(node))


def _display(node) -> ResultDisplay:
    results = []
    for result in node.iterfind("arm:AnalysisResult", NS):
        datasets = result.find("arm:AnalysisDatasets", NS)
        documentation = result.find("arm:Documentation", NS)
        code = result.find("arm:ProgrammingCode", NS)
        results.append(AnalysisResult(
            oid=result.get("OID", ""), description=translated(result), parameter=result.get("ParameterOID", ""),
            reason=result.get("AnalysisReason", ""), purpose=result.get("AnalysisPurpose", ""),
            datasets=tuple(
                AnalysisDataset(d.get("ItemGroupOID", ""),
                                next((w.get("WhereClauseOID", "") for w in d.iterfind("def:WhereClauseRef", NS)), ""),
                                tuple(v.get("ItemOID", "") for v in d.iterfind("arm:AnalysisVariable", NS)))
                for d in (datasets.iterfind("arm:AnalysisDataset", NS) if datasets is not None else ())),
            join_comment=datasets.get(_DEF + "CommentOID", "") if datasets is not None else "",
            documentation=translated(documentation) if documentation is not None else "",
            documentation_refs=_refs(documentation) if documentation is not None else (),
            code_context=code.get("Context", "") if code is not None else "",
            code=_text(code, "Code", ARM) if code is not None else "",
            code_refs=_refs(code) if code is not None else ()))
    return ResultDisplay(node.get("OID", ""), node.get("Name", ""), translated(node), _refs(node), tuple(results))


def _stylesheet(root) -> str:
    node = root.getprevious()
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
            return node.get("href") or ""
        node = node.getprevious()
    return ""


def _as_define_21(root: etree._Element) -> etree._Element:
    """A copy of a Define-XML 2.0 document with its def elements and attributes in the 2.1 namespace (the
    names this reader uses are the same in both versions; 2.0's def:Class attribute is read as such)."""
    copy = deepcopy(root.getroottree()).getroot()  # the document, with the stylesheet instruction before it
    old, new = f"{{{DEF_20}}}", f"{{{DEF}}}"
    for node in copy.iter():
        if isinstance(node.tag, str) and node.tag.startswith(old):
            node.tag = new + node.tag[len(old):]
        for name in [n for n in node.attrib if n.startswith(old)]:
            node.attrib[new + name[len(old):]] = node.attrib.pop(name)
    return copy
