"""Checks of a define.xml: against the Define-XML 2.1 schemas, within itself, and against the data written.

Schema problems are `Problem`s (file and line). Inconsistencies are `Finding`s, shaped like the
validation package's findings (`as_dict` gives the same keys), so a build can report them together:
- every dataset and variable in the data is described, and nothing described is missing;
- types match (integer/float are numbers, everything else text) and text lengths equal the data's;
- codelist terms the data uses are in the codelist (value-level codelists on the rows they apply to);
- value-level text is not longer than its Length; every OID a define refers to is defined.
The package ships no schema: the caller names the schema file or the folder holding the CDISC schemas.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from define_xml.arm import has_arm
from define_xml.datasets import NUMERIC_TYPES, DatasetInfo, index_datasets, present, same_term, term_text
from define_xml.model import DefineDoc, ItemDef, ItemGroup, read_define_tree
from define_xml.safexml import parse_user_xml
from specs.errors import InputError, Problem
from specs.whereclause import Condition, WhereClause

log = logging.getLogger(__name__)

DEFINE_SCHEMA = "define2-1-0.xsd"
ARM_SCHEMA = "arm1-0-0.xsd"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # "error" or "warning"
    message: str
    dataset: str | None = None
    variables: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "severity": self.severity, "message": self.message,
                "dataset": self.dataset, "row": None, "usubjid": None, "seq": None,
                "variables": list(self.variables), "values": [str(v) for v in self.values],
                "implements": [], "source": "define"}


# --- schema -----------------------------------------------------------------------------------------


def validate_schema(path: str | os.PathLike | etree._ElementTree, schema: str | os.PathLike) -> list[Problem]:
    """Problems of the define.xml at `path` (or a tree) against the Define-XML 2.1 schema.

    `schema` is the schema file (define2-1-0.xsd) or a folder holding it. A define with Analysis Results
    Metadata is validated against the ARM schema (arm1-0-0.xsd) found beside it, since the plain
    Define-XML schema has no place for ARM. A define.xml that cannot be read (or declares entities) is
    a problem; a schema that cannot be read or is not a schema raises InputError naming it.
    """
    if isinstance(path, etree._ElementTree):
        document, where = path, "define.xml"
    else:
        where = str(path)
        try:
            document = parse_user_xml(where, "define.xml", "a Define-XML 2.1 document")
        except InputError as error:
            return [Problem(where, f"define.xml cannot be read: {p.message}") for p in error.problems]
    schema_file = schema_for(Path(schema), arm=has_arm(document))
    validator = load_schema(schema_file)
    if validator.validate(document):
        return []
    return [Problem(where, f"{error.message} (schema {schema_file.name})", row=error.line or None)
            for error in validator.error_log]


def schema_for(schema: Path, *, arm: bool = False) -> Path:
    """The schema file to use: `schema` itself, or found under it; the ARM schema when `arm`."""
    wanted = ARM_SCHEMA if arm else DEFINE_SCHEMA
    if schema.is_file():
        if not arm or schema.name == ARM_SCHEMA:
            return schema
        beside = schema.parent.parent / "cdisc-arm-1.0" / ARM_SCHEMA  # the layout CDISC publishes
        return beside if beside.is_file() else schema
    if schema.is_dir():
        found = sorted(schema.rglob(wanted)) or ([] if not arm else sorted(schema.rglob(DEFINE_SCHEMA)))
        if found:
            return found[0]
    raise InputError(f"no Define-XML schema {wanted} at {schema}",
                     [Problem(str(schema), f"expected the file {wanted} or a folder holding it")])


def load_schema(schema: str | os.PathLike, *, arm: bool = False) -> etree.XMLSchema:
    """The compiled schema (a file, or the folder holding it; see `schema_for`). A file that is not
    well-formed XML, declares entities or is not an XML Schema raises InputError naming file and line."""
    path = schema_for(Path(schema), arm=arm)
    return _schema(str(path.resolve()))


@lru_cache(maxsize=4)
def _schema(path: str) -> etree.XMLSchema:
    expected = "an XML Schema (XSD) such as CDISC's define2-1-0.xsd"
    tree = parse_user_xml(path, "schema", expected)
    try:
        return etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as error:
        problems = [Problem(entry.filename or path, f"{entry.message.strip()}"
                                                    f"{f' at line {entry.line}' if entry.line else ''}; expected "
                                                    f"{expected}")
                    for entry in list(error.error_log)[:10]] or [Problem(path, f"{error}; expected {expected}")]
        raise InputError(f"{path}: not a usable XML Schema", problems) from None


# --- within the document ----------------------------------------------------------------------------


def check_references(tree: etree._ElementTree | DefineDoc) -> list[Finding]:
    """Every OID the define refers to (items, codelists, methods, comments, where clauses, value lists,
    documents, standards) is defined in it."""
    doc = tree if isinstance(tree, DefineDoc) else read_define_tree(tree)
    findings = []

    def need(kind: str, oid: str, defined: Mapping | set, where: str) -> None:
        if oid and oid not in defined:
            findings.append(Finding("DEFINE-REF", "error", f"{where} refers to {kind} {oid}, which is not defined"))

    standards = {s.oid for s in doc.standards}
    for group in doc.groups:
        need("standard", group.standard, standards, group.oid)
        need("comment", group.comment, doc.comments, group.oid)
        for ref in group.items:
            need("item", ref.item, doc.items, group.oid)
            need("method", ref.method, doc.methods, f"{group.oid} {ref.item}")
    for oid, refs in doc.value_lists.items():
        for ref in refs:
            need("item", ref.item, doc.items, oid)
            need("method", ref.method, doc.methods, f"{oid} {ref.item}")
            for where in ref.where:
                need("where clause", where, doc.where_clauses, f"{oid} {ref.item}")
    for item in doc.items.values():
        need("codelist", item.codelist, doc.codelists, item.oid)
        need("value list", item.value_list, doc.value_lists, item.oid)
        need("comment", item.comment, doc.comments, item.oid)
        for origin in item.origins:
            for ref in origin.refs:
                need("document", ref.leaf, doc.leaves, item.oid)
    for clause in doc.where_clauses.values():
        for condition in clause.conditions:
            need("item", condition.item, doc.items, clause.oid)
    for codelist in doc.codelists.values():
        need("standard", codelist.standard, standards, codelist.oid)
    for holder in [*doc.methods.values(), *doc.comments.values()]:
        for ref in holder.refs:
            need("document", ref.leaf, doc.leaves, holder.oid)
    for display in doc.displays:
        for result in display.results:
            need("item", result.parameter, doc.items, result.oid)
            need("comment", result.join_comment, doc.comments, result.oid)
            for dataset in result.datasets:
                need("dataset", dataset.group, doc.group_by_oid, result.oid)
                need("where clause", dataset.where, doc.where_clauses, result.oid)
                for variable in dataset.variables:
                    need("item", variable, doc.items, result.oid)
    return findings


# --- against the data -------------------------------------------------------------------------------


def check_against_data(tree: etree._ElementTree | DefineDoc, datasets: Mapping[str, DatasetInfo]) -> list[Finding]:
    """Inconsistencies between a define.xml and the datasets written beside it (see the module doc)."""
    doc = tree if isinstance(tree, DefineDoc) else read_define_tree(tree)
    data = index_datasets(datasets) or {}
    findings: list[Finding] = []
    described = {g.name.upper(): g for g in doc.groups}
    for name in sorted(set(data) - set(described)):
        findings.append(Finding("DEFINE-DATASET-UNDESCRIBED", "error",
                                f"{name} ({data[name].href}) is written but define.xml does not describe it", name))
    for name, group in described.items():
        info = data.get(name)
        if info is None:
            if not group.has_no_data:
                findings.append(Finding("DEFINE-DATASET-MISSING", "error",
                                        f"define.xml describes {name}, but no such dataset was written", name))
            continue
        findings += _check_dataset(doc, group, info)
    return findings


def _check_dataset(doc: DefineDoc, group: ItemGroup, info: DatasetInfo) -> list[Finding]:
    name = group.name.upper()
    findings = []
    if group.has_no_data:
        findings.append(Finding("DEFINE-HASNODATA", "error", f"{name} is written but define.xml says it has no data",
                                name))
    if group.href and Path(group.href).name.lower() != Path(info.href).name.lower():
        findings.append(Finding("DEFINE-LEAF", "error",
                                f"{name}: def:leaf points to {group.href}, but the dataset was written as {info.href}",
                                name, values=(group.href,)))
    items = [(ref, doc.items.get(ref.item)) for ref in group.items]
    by_name = {item.name.upper(): (ref, item) for ref, item in items if item is not None}
    columns = [c.name.upper() for c in info.columns]
    for column in columns:
        if column not in by_name:
            findings.append(Finding("DEFINE-VARIABLE-UNDESCRIBED", "error",
                                    f"{name}.{column} is in the data but not described in define.xml", name,
                                    (column,)))
    for variable in by_name:
        if variable not in columns:
            findings.append(Finding("DEFINE-VARIABLE-MISSING", "error",
                                    f"define.xml describes {name}.{variable}, which the data does not have", name,
                                    (variable,)))
    described_order = [v for v in by_name if v in columns]
    written_order = [c for c in columns if c in by_name]
    if described_order != written_order:
        findings.append(Finding("DEFINE-VARIABLE-ORDER", "warning",
                                f"{name}: variables are not in the order define.xml gives (OrderNumber)", name))
    if group.label and info.label and group.label != info.label:
        findings.append(Finding("DEFINE-DATASET-LABEL", "warning",
                                f"{name}: dataset label {info.label!r} differs from define.xml's {group.label!r}",
                                name, values=(info.label,)))
    for column in info.columns:
        found = by_name.get(column.name.upper())
        if found is not None:
            findings += _check_variable(doc, name, column, found[1], info)
    findings += _check_keys(group, doc, info)
    return findings


def _check_variable(doc: DefineDoc, dataset: str, column, item: ItemDef, info: DatasetInfo) -> list[Finding]:
    findings = []
    variable = column.name.upper()
    numeric = item.data_type in NUMERIC_TYPES
    if numeric != (column.type == "num"):
        findings.append(Finding("DEFINE-TYPE", "error",
                                f"{dataset}.{variable} is {'numeric' if column.type == 'num' else 'text'} in the data "
                                f"but {item.data_type} in define.xml", dataset, (variable,), (item.data_type,)))
        return findings
    if column.type == "char" and item.length is not None and column.length and item.length != column.length:
        findings.append(Finding("DEFINE-LENGTH", "error",
                                f"{dataset}.{variable} has length {column.length} in the data but {item.length} in "
                                f"define.xml", dataset, (variable,), (column.length, item.length)))
    if column.type == "char" and item.length is None and item.data_type in ("text", "integer", "float"):
        findings.append(Finding("DEFINE-LENGTH", "warning", f"{dataset}.{variable}: define.xml gives no Length",
                                dataset, (variable,)))
    if item.label and column.label and item.label != column.label:
        findings.append(Finding("DEFINE-LABEL", "warning",
                                f"{dataset}.{variable}: label {column.label!r} in the data, {item.label!r} in "
                                f"define.xml", dataset, (variable,), (column.label,)))
    values = info.values(variable)
    if values is None:
        return findings
    if item.data_type == "integer" and column.type == "num":
        numbers = pd.to_numeric(present(values), errors="coerce").dropna()
        fractional = numbers[numbers.round() != numbers]
        if not fractional.empty:
            findings.append(Finding("DEFINE-INTEGER", "error",
                                    f"{dataset}.{variable} is integer in define.xml but holds "
                                    f"{term_text(fractional.iloc[0])}", dataset, (variable,),
                                    tuple(fractional.unique()[:5])))
    findings += _check_terms(doc, dataset, variable, item, values, "")
    if item.value_list:
        findings += _check_value_level(doc, dataset, variable, item, info, values)
    return findings


def _check_terms(doc: DefineDoc, dataset: str, variable: str, item: ItemDef, values: pd.Series,
                 where: str) -> list[Finding]:
    codelist = doc.codelists.get(item.codelist)
    if codelist is None or codelist.external:
        return []
    terms = [t.coded for t in codelist.terms]
    unknown = sorted(v for v in {term_text(v) for v in present(values).unique()}
                     if not any(same_term(v, t) for t in terms))
    if not unknown:
        return []
    shown = ", ".join(repr(v) for v in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
    return [Finding("DEFINE-CODELIST-TERM", "error",
                    f"{dataset}.{variable}{where}: {shown} not in codelist {codelist.oid} ({codelist.name})",
                    dataset, (variable,), tuple(unknown))]


def _check_value_level(doc: DefineDoc, dataset: str, variable: str, item: ItemDef, info: DatasetInfo,
                       values: pd.Series) -> list[Finding]:
    findings = []
    for ref in doc.value_lists.get(item.value_list, ()):
        value_item = doc.items.get(ref.item)
        clauses = [doc.where_clauses[w] for w in ref.where if w in doc.where_clauses]
        if value_item is None or not clauses:
            continue
        mask = _mask(doc, clauses, info)
        if mask is None:
            continue
        rows = values[mask]
        where = f" where {' and '.join(_clause_text(doc, c) for c in clauses)}"
        findings += _check_terms(doc, dataset, variable, value_item, rows, where)
        column = info.column(variable)
        sized = value_item.data_type in NUMERIC_TYPES | {"text"} and value_item.length is not None
        if sized and column is not None and column.type == "char":
            longest = rows.dropna().astype("str").str.rstrip(" ").map(lambda t: len(t.encode("utf-8"))).max()
            if pd.notna(longest) and longest > value_item.length:
                findings.append(Finding("DEFINE-VLM-LENGTH", "error",
                                        f"{dataset}.{variable}{where}: values up to {int(longest)} long, but "
                                        f"{ref.item} has Length {value_item.length}", dataset, (variable,)))
    return findings


def _mask(doc: DefineDoc, clauses, info: DatasetInfo) -> pd.Series | None:
    conditions = []
    for clause in clauses:
        for condition in clause.conditions:
            target = doc.items.get(condition.item)
            if target is None:
                return None
            conditions.append(Condition(None, target.name.upper(), condition.comparator, condition.values))
    try:
        return WhereClause("check", tuple(conditions)).mask(info.frame)
    except Exception as error:  # a where clause over a column the data lacks: nothing to check
        log.debug("%s: %s", info.name, error)
        return None


def _clause_text(doc: DefineDoc, clause) -> str:
    parts = []
    for condition in clause.conditions:
        item = doc.items.get(condition.item)
        parts.append(f"{item.name if item else condition.item} {condition.comparator} {', '.join(condition.values)}")
    return " and ".join(parts)


def _check_keys(group: ItemGroup, doc: DefineDoc, info: DatasetInfo) -> list[Finding]:
    if info.frame is None:
        return []
    keys = [doc.items[k].name for k in group.keys if k in doc.items]
    columns = [next((c for c in info.frame.columns if str(c).upper() == k.upper()), None) for k in keys]
    if not keys or any(c is None for c in columns):
        return []
    duplicated = info.frame.duplicated(subset=columns, keep=False)
    if not duplicated.any():
        return []
    return [Finding("DEFINE-KEYS", "warning",
                    f"{group.name}: {int(duplicated.sum())} records share their key values "
                    f"({', '.join(keys)}); define.xml's keys do not identify a record", group.name, tuple(keys))]
