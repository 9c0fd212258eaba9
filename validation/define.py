"""Read what define.xml (2.0 or 2.1) says about the datasets, to check data against it.

Only the parts rules use: datasets (name, label, class, standard, keys), their variables (type,
length, label, codelist, mandatory), codelists (coded values, sponsor extensions, NCI code) and the
declared standards. Elements are matched by local name so both Define-XML versions read alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from specs.errors import InputError, Problem

log = logging.getLogger(__name__)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NUMERIC_TYPES = frozenset({"integer", "float"})


@dataclass(frozen=True)
class DefineVariable:
    name: str
    oid: str
    data_type: str
    length: int | None
    label: str
    codelist: str  # CodeList OID or ""
    mandatory: bool
    key_sequence: int | None
    order: int | None

    @property
    def xpt_type(self) -> str:
        """Define DataType as an XPT type: integer and float are numeric, everything else text."""
        return "num" if self.data_type in NUMERIC_TYPES else "char"


@dataclass(frozen=True)
class DefineDataset:
    name: str
    oid: str
    label: str
    dataset_class: str
    standard: str  # "SDTM", "ADaM" or ""
    variables: tuple[DefineVariable, ...]
    href: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        keyed = sorted((v.key_sequence, v.name) for v in self.variables if v.key_sequence is not None)
        return tuple(name for _, name in keyed)

    def variable(self, name: str) -> DefineVariable | None:
        return next((v for v in self.variables if v.name == name), None)


@dataclass(frozen=True)
class DefineCodelist:
    oid: str
    name: str
    nci_code: str
    values: frozenset[str]
    extended: frozenset[str]  # values flagged def:ExtendedValue="Yes"
    external: str = ""  # dictionary name for an ExternalCodeList (MedDRA, ...)


@dataclass(frozen=True)
class Define:
    path: str
    define_version: str
    standards: tuple[dict[str, str], ...]
    datasets: dict[str, DefineDataset] = field(default_factory=dict)
    codelists: dict[str, DefineCodelist] = field(default_factory=dict)

    def codelist_for(self, dataset: str, variable: str) -> DefineCodelist | None:
        described = self.datasets.get(dataset)
        item = described.variable(variable) if described else None
        return self.codelists.get(item.codelist) if item and item.codelist else None

    def ct_versions(self) -> list[str]:
        return [f"{s.get('PublishingSet') or s.get('Name')} {s.get('Version')}".strip()
                for s in self.standards if s.get("Type") == "CT"]

    def ig_versions(self) -> list[str]:
        return [f"{s.get('Name')} {s.get('Version')}" for s in self.standards if s.get("Type") == "IG"]


def merge_defines(defines: list[Define]) -> Define:
    """One Define for datasets described by several define.xml files (SDTM and ADaM validated together).

    Codelist OIDs are per file: where two files use one OID for different codelists, the later file's
    codelist is renamed and its variables re-pointed, so no dataset is checked against another file's terms.
    """
    import dataclasses

    if len(defines) == 1:
        return defines[0]
    datasets: dict[str, DefineDataset] = {}
    codelists: dict[str, DefineCodelist] = {}
    for number, define in enumerate(defines):
        renamed = {oid: f"{oid}@{number}" for oid, codelist in define.codelists.items()
                   if oid in codelists and codelists[oid] != codelist}
        for oid, codelist in define.codelists.items():
            new_oid = renamed.get(oid, oid)
            codelists[new_oid] = dataclasses.replace(codelist, oid=new_oid)
        for name, dataset in define.datasets.items():
            variables = tuple(dataclasses.replace(v, codelist=renamed.get(v.codelist, v.codelist))
                              for v in dataset.variables)
            datasets.setdefault(name, dataclasses.replace(dataset, variables=variables))
    standards = tuple(dict(t) for t in dict.fromkeys(tuple(sorted(s.items())) for d in defines for s in d.standards))
    return Define(path=", ".join(d.path for d in defines), define_version=defines[0].define_version,
                  standards=standards, datasets=datasets, codelists=codelists)


def read_define(path: str | Path) -> Define:
    """What the define.xml at `path` says about the datasets. It is parsed without expanding entities or
    loading anything (see define_xml.safexml); a file that is not a define.xml raises InputError."""
    from define_xml.safexml import parse_user_xml  # one hardened parser for every XML a user gives

    path = Path(path)
    tree = parse_user_xml(path, "define.xml", "a Define-XML 2.0 or 2.1 document (ODM with a MetaDataVersion)")
    root = tree.getroot()
    mdv = _first(root, "MetaDataVersion")
    if mdv is None:
        raise InputError(f"{path}: not a define.xml", [Problem(
            str(path), f"no MetaDataVersion element (the root is <{_local(root.tag) or root.tag}>); expected a "
                       "Define-XML 2.0 or 2.1 document")])
    standards = tuple({_local(k): v for k, v in s.attrib.items()} for s in _all(mdv, "Standard"))
    standard_names = {s.get("OID", ""): s.get("Name", "") for s in standards}
    version = next((v for k, v in mdv.attrib.items() if _local(k) == "DefineVersion"), "")
    items = {i.get("OID"): i for i in _children(mdv, "ItemDef")}
    datasets = {}
    for group in _children(mdv, "ItemGroupDef"):
        name = (group.get("Name") or group.get("SASDatasetName") or "").upper()
        datasets[name] = DefineDataset(
            name=name, oid=group.get("OID", ""), label=_description(group) or _attr(group, "Label"),
            dataset_class=_dataset_class(group),
            standard=_standard_family(standard_names.get(_attr(group, "StandardOID"), ""), name),
            variables=tuple(_variable(ref, items) for ref in _children(group, "ItemRef")
                            if ref.get("ItemOID") in items),
            href=_leaf_href(group))
    codelists = {c.get("OID"): _codelist(c) for c in _children(mdv, "CodeList")}
    log.info("read %s: %d datasets, %d codelists", path, len(datasets), len(codelists))
    return Define(str(path), version, standards, datasets, codelists)


def _variable(ref, items) -> DefineVariable:
    item = items[ref.get("ItemOID")]
    codelist_ref = _first(item, "CodeListRef")
    return DefineVariable(
        name=(item.get("Name") or "").upper(), oid=item.get("OID", ""), data_type=item.get("DataType", ""),
        length=_int(item.get("Length")), label=_description(item),
        codelist=codelist_ref.get("CodeListOID", "") if codelist_ref is not None else "",
        mandatory=ref.get("Mandatory") == "Yes", key_sequence=_int(ref.get("KeySequence")),
        order=_int(ref.get("OrderNumber")))


def _codelist(element) -> DefineCodelist:
    values, extended = set(), set()
    for item in element:
        if _local(item.tag) in ("CodeListItem", "EnumeratedItem"):
            coded = item.get("CodedValue", "")
            values.add(coded)
            if _attr(item, "ExtendedValue") == "Yes":
                extended.add(coded)
    alias = next((a.get("Name", "") for a in element if _local(a.tag) == "Alias"
                  and a.get("Context") == "nci:ExtCodeID"), "")
    external = _first(element, "ExternalCodeList")
    return DefineCodelist(element.get("OID", ""), element.get("Name", ""), alias, frozenset(values),
                          frozenset(extended), external.get("Dictionary", "") if external is not None else "")


def _dataset_class(group) -> str:
    attribute = _attr(group, "Class")  # Define-XML 2.0 keeps the class in an attribute
    if attribute:
        return attribute.upper()
    element = next((c for c in group if _local(c.tag) == "Class"), None)
    return (element.get("Name", "") if element is not None else "").upper()


def _standard_family(standard_name: str, dataset: str) -> str:
    name = standard_name.upper()
    if name.startswith("ADAM"):
        return "ADaM"
    if name.startswith("SDTM"):
        return "SDTM"
    return ""


def _leaf_href(group) -> str:
    leaf = next((c for c in group if _local(c.tag) == "leaf"), None)
    if leaf is None:
        return ""
    return next((v for k, v in leaf.attrib.items() if _local(k) == "href"), "")


def _description(element) -> str:
    description = next((c for c in element if _local(c.tag) == "Description"), None)
    if description is None:
        return ""
    texts = [t for t in description if _local(t.tag) == "TranslatedText"]
    english = next((t for t in texts if t.get(_XML_LANG, "en").startswith("en")), texts[0] if texts else None)
    return (english.text or "").strip() if english is not None else ""


def _attr(element, local_name: str) -> str:
    return next((v for k, v in element.attrib.items() if _local(k) == local_name), "")


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(element, local_name: str):
    return [c for c in element if _local(c.tag) == local_name]


def _first(element, local_name: str):
    return next(element.iter(f"{{*}}{local_name}"), None)


def _all(element, local_name: str):
    return list(element.iter(f"{{*}}{local_name}"))


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None
