"""The state one define.xml build shares: the spec, the written data, OIDs, and what got referenced.

Methods, comments, documents and codelists are written only when something refers to them, so the
builders record each reference here and `build` writes the referenced definitions at the end.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from lxml import etree

from define_xml.datasets import DatasetInfo
from define_xml.oids import Oids
from define_xml.xmlns import dfn, element
from specs.model import Spec

log = logging.getLogger(__name__)

ADAM_CLASSES = frozenset({
    "SUBJECT LEVEL ANALYSIS DATASET", "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE", "ADAM OTHER",
    "DEVICE LEVEL ANALYSIS DATASET", "MEDICAL DEVICE BASIC DATA STRUCTURE",
    "MEDICAL DEVICE OCCURRENCE DATA STRUCTURE",
})
_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)\Z")


@dataclass
class Context:
    spec: Spec
    data: dict[str, DatasetInfo] | None
    kind: str  # "sdtm" or "adam"
    oids: Oids = field(default_factory=Oids)
    ig_standard: str | None = None  # OID of the IG def:Standard
    standard_oids: dict[str, str] = field(default_factory=dict)  # spec Standards OID -> OID written
    ct_standards: list[tuple[str, str | None]] = field(default_factory=list)  # (OID written, PublishingSet)
    acrf: str | None = None  # document id of the annotated CRF
    methods: dict[str, None] = field(default_factory=dict)  # referenced method ids, in first-use order
    comments: dict[str, None] = field(default_factory=dict)
    extra_comments: dict[str, str] = field(default_factory=dict)  # comment id -> text (made by the build)
    documents: dict[str, None] = field(default_factory=dict)
    codelists: dict[str, None] = field(default_factory=dict)
    terms_used: dict[str, set[str]] = field(default_factory=dict)  # codelist id -> values the data uses
    where_defs: list[etree._Element] = field(default_factory=list)
    wheres: dict[tuple, str] = field(default_factory=dict)  # (dataset, clause key) -> WhereClauseDef OID

    def __post_init__(self) -> None:
        self._methods = {m.id: m for m in self.spec.methods}
        self._comments = {c.id: c for c in self.spec.comments}
        self._documents = {d.id: d for d in self.spec.documents}
        self._codelists = {c.id for c in self.spec.codelists} | {d.id for d in self.spec.dictionaries}

    # --- references: each returns the OID to write, or None when the spec does not define the target ---

    def method_ref(self, identifier: str | None) -> str | None:
        if not identifier:
            return None
        if identifier not in self._methods:
            log.warning("%s: method %r is referenced but not defined; left out", self.spec.source, identifier)
            return None
        self.methods.setdefault(identifier)
        return self.oids.method(identifier)

    def comment_ref(self, identifier: str | None) -> str | None:
        if not identifier:
            return None
        if identifier not in self._comments and identifier not in self.extra_comments:
            log.warning("%s: comment %r is referenced but not defined; left out", self.spec.source, identifier)
            return None
        self.comments.setdefault(identifier)
        return self.oids.comment(identifier)

    def add_comment(self, identifier: str, text: str) -> str:
        self.extra_comments[identifier] = text
        return self.comment_ref(identifier)

    def codelist_ref(self, identifier: str | None) -> str | None:
        if not identifier:
            return None
        if identifier not in self._codelists:
            log.warning("%s: codelist %r is referenced but not defined; left out", self.spec.source, identifier)
            return None
        self.codelists.setdefault(identifier)
        return self.oids.codelist(identifier)

    def note_terms(self, codelist: str | None, terms: set[str] | None) -> None:
        """Record codelist terms the written data uses (only the used terms go into define.xml)."""
        if codelist and terms is not None:
            self.terms_used.setdefault(codelist, set()).update(terms)

    def document(self, identifier: str):
        return self._documents.get(identifier)

    def document_ref(self, identifier: str | None, pages: str | None = None,
                     title: str | None = None) -> etree._Element | None:
        """`def:DocumentRef` to a spec document, with `def:PDFPageRef` when pages are given."""
        if not identifier:
            return None
        if identifier not in self._documents:
            log.warning("%s: document %r is referenced but not defined; left out", self.spec.source, identifier)
            return None
        self.documents.setdefault(identifier)
        ref = element(dfn("DocumentRef"), {"leafID": self.oids.leaf("doc", identifier)})
        page_ref = pdf_page_ref(pages, title)
        if page_ref is not None:
            ref.append(page_ref)
        return ref

    def has_data(self, dataset: str) -> bool:
        return self.data is not None and dataset.upper() in self.data

    def info(self, dataset: str) -> DatasetInfo | None:
        return None if self.data is None else self.data.get(dataset.upper())


def pdf_page_ref(pages: str | None, title: str | None = None) -> etree._Element | None:
    """Pages as the spec writes them ("12", "3 5", "3, 5", "10-12", or named destinations) as a PDFPageRef."""
    if not pages or not str(pages).strip():
        return None if not title else element(dfn("PDFPageRef"), {"Type": "PhysicalRef", "Title": title})
    tokens = [t for t in re.split(r"\s*[,;]\s*|\s+", _join_ranges(str(pages).strip())) if t]
    if len(tokens) == 1 and (found := _RANGE.match(tokens[0])):
        return element(dfn("PDFPageRef"), {"FirstPage": found.group(1), "LastPage": found.group(2),
                                           "Type": "PhysicalRef", "Title": title})
    numeric = all(t.isdigit() or _RANGE.match(t) for t in tokens)
    if numeric:
        expanded = []
        for token in tokens:
            found = _RANGE.match(token)
            expanded += [str(p) for p in range(int(found.group(1)), int(found.group(2)) + 1)] if found else [token]
        return element(dfn("PDFPageRef"), {"PageRefs": " ".join(expanded), "Type": "PhysicalRef", "Title": title})
    return element(dfn("PDFPageRef"), {"PageRefs": " ".join(tokens), "Type": "NamedDestination", "Title": title})


def _join_ranges(text: str) -> str:
    """'10 - 12' -> '10-12', so ranges survive splitting on blanks."""
    return re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", text)


def detect_kind(spec: Spec) -> str:
    """"adam" when the spec's IG standard or its dataset classes are ADaM, else "sdtm"."""
    names = [(s.name or "").upper() for s in spec.standards if (s.type or "").upper() == "IG"]
    names.append((spec.study.standard_name or "").upper())
    if any(n.startswith("ADAM") for n in names):
        return "adam"
    if any(n.startswith("SDTM") for n in names):
        return "sdtm"
    classes = [(d.dataset_class or "").upper() for d in spec.datasets]
    if classes and sum(c in ADAM_CLASSES for c in classes) * 2 > len(classes):
        return "adam"
    return "sdtm"
