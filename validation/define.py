"""Read what define.xml (2.0 or 2.1) says about the datasets, to check data against it.

Only the parts rules use: datasets (name, label, class, standard, keys, file, HasNoData), their
variables (type, length, label, codelist, mandatory, order, value-level metadata with its where
clauses), codelists (coded values, sponsor extensions, NCI code) and the declared standards. The file
is read by `formats.definexml`, the one define.xml reader (define.html and the Dataset-JSON export read
it there too); this module keeps what the rules need of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from formats.definexml import DefineDoc, read_define_tree
from specs.errors import SpecError
from specs.whereclause import COMPARATORS, Condition, WhereClause

log = logging.getLogger(__name__)

NUMERIC_TYPES = frozenset({"integer", "float"})


@dataclass(frozen=True)
class DefineValue:
    """One value-level ItemDef of a variable: what its values are on the records `where` selects (any of
    the where clauses; each a conjunction). A clause naming an item that is not defined selects nothing."""

    oid: str
    name: str
    data_type: str
    length: int | None
    codelist: str
    where: tuple[WhereClause, ...]

    def mask(self, frame) -> "pd.Series | None":
        """Records of `frame` this value-level entry applies to; None when a clause names a column the
        data does not have (nothing can be checked)."""
        selected = pd.Series(False, index=frame.index)
        for clause in self.where:
            if not clause.conditions or any(not c.variable for c in clause.conditions):
                continue
            if any(c.comparator not in COMPARATORS or not c.values for c in clause.conditions):
                return None
            try:
                selected |= clause.mask(frame)
            except SpecError:
                return None
        return selected


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
    values: tuple[DefineValue, ...] = ()  # value-level metadata (def:ValueListRef), in ValueListDef order

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
    has_no_data: bool = False  # def:HasNoData="Yes": described, but no dataset is expected

    @property
    def keys(self) -> tuple[str, ...]:
        keyed = sorted((v.key_sequence, v.name) for v in self.variables if v.key_sequence is not None)
        return tuple(name for _, name in keyed)

    def variable(self, name: str) -> DefineVariable | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, DefineVariable]:
        found: dict[str, DefineVariable] = {}
        for variable in self.variables:  # the first of a name, as a scan would find it
            found.setdefault(variable.name, variable)
        return found


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
            variables = tuple(dataclasses.replace(
                v, codelist=renamed.get(v.codelist, v.codelist),
                values=tuple(dataclasses.replace(x, codelist=renamed.get(x.codelist, x.codelist)) for x in v.values))
                for v in dataset.variables)
            datasets.setdefault(name, dataclasses.replace(dataset, variables=variables))
    standards = tuple(dict(t) for t in dict.fromkeys(tuple(sorted(s.items())) for d in defines for s in d.standards))
    return Define(path=", ".join(d.path for d in defines), define_version=defines[0].define_version,
                  standards=standards, datasets=datasets, codelists=codelists)


def read_define(path: str | Path) -> Define:
    """What the define.xml at `path` says about the datasets, read by trialforge's one define.xml reader
    (`formats.definexml`: Define-XML 2.1 or 2.0, parsed without expanding entities or loading anything); a
    file that is not a define.xml raises InputError."""
    doc = read_define_tree(Path(path))
    define = define_from_doc(doc, str(path))
    log.info("read %s: %d datasets, %d codelists", path, len(define.datasets), len(define.codelists))
    return define


def define_from_doc(doc: DefineDoc, path: str = "") -> Define:
    """The parts of a read define.xml that the rules use."""
    standards = tuple({key: value for key, value in (
        ("OID", s.oid), ("Name", s.name), ("Type", s.type), ("PublishingSet", s.publishing_set),
        ("Version", s.version), ("Status", s.status)) if value} for s in doc.standards)
    standard_names = {s.oid: s.name for s in doc.standards}
    where_clauses = {oid: _where_clause(clause, doc) for oid, clause in doc.where_clauses.items()}
    value_lists = {oid: tuple(_value(ref, doc, where_clauses) for ref in refs if ref.item in doc.items)
                   for oid, refs in doc.value_lists.items()}
    datasets = {}
    for group in doc.groups:
        name = group.name.upper()
        datasets[name] = DefineDataset(
            name=name, oid=group.oid, label=group.label, dataset_class=group.class_name.upper(),
            standard=_standard_family(standard_names.get(group.standard, "")),
            variables=tuple(_variable(ref, doc.items[ref.item], value_lists) for ref in group.items
                            if ref.item in doc.items),
            href=group.href, has_no_data=group.has_no_data)
    codelists = {oid: DefineCodelist(oid, c.name, c.nci_code, frozenset(t.coded for t in c.terms),
                                     frozenset(t.coded for t in c.terms if t.extended), c.dictionary)
                 for oid, c in doc.codelists.items()}
    return Define(path, doc.define_version, standards, datasets, codelists)


def _variable(ref, item, value_lists) -> DefineVariable:
    return DefineVariable(
        name=item.name.upper(), oid=item.oid, data_type=item.data_type, length=item.length, label=item.label,
        codelist=item.codelist, mandatory=ref.mandatory, key_sequence=ref.key_sequence, order=ref.order,
        values=value_lists.get(item.value_list, ()) if item.value_list else ())


def _value(ref, doc: DefineDoc, where_clauses: dict[str, WhereClause]) -> DefineValue:
    item = doc.items[ref.item]
    return DefineValue(oid=item.oid, name=item.name.upper(), data_type=item.data_type, length=item.length,
                       codelist=item.codelist,
                       where=tuple(where_clauses.get(oid) or WhereClause(oid, ()) for oid in ref.where))


def _where_clause(clause, doc: DefineDoc) -> WhereClause:
    """A def:WhereClauseDef as a where clause on variable names; a RangeCheck on an undefined item keeps an
    empty variable name."""
    return WhereClause(clause.oid, tuple(
        Condition(None, doc.items[c.item].name.upper() if c.item in doc.items else "", c.comparator, c.values)
        for c in clause.conditions))


def _standard_family(standard_name: str) -> str:
    name = standard_name.upper()
    if name.startswith("ADAM"):
        return "ADaM"
    if name.startswith("SDTM"):
        return "SDTM"
    return ""
