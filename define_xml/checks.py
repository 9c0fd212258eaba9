"""Checks of the define.xml we write, about the file itself: against the Define-XML 2.1 schemas, and that
every OID it refers to is defined in it (a build assertion: `assert_references`).

Both give `Problem`s (file and line where known). Whether define.xml agrees with the data is not checked
here: those checks are conformance rules (validation/rules/define.yaml, TF-DF-*), run by the validate
stage over any define.xml, so they live once and are counted once.
The package ships no schema: the caller names the schema file or the folder holding the CDISC schemas.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from lxml import etree

from define_xml.arm import has_arm
from formats.definexml import DefineDoc, read_define_tree
from formats.safexml import parse_user_xml
from specs.errors import ExportError, InputError, Problem

DEFINE_SCHEMA = "define2-1-0.xsd"
ARM_SCHEMA = "arm1-0-0.xsd"


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


def check_references(tree: etree._ElementTree | DefineDoc, where_file: str = "define.xml") -> list[Problem]:
    """Every OID the define refers to (items, codelists, methods, comments, where clauses, value lists,
    documents, standards) is defined in it; one problem per dangling reference."""
    doc = tree if isinstance(tree, DefineDoc) else read_define_tree(tree)
    findings: list[Problem] = []

    def need(kind: str, oid: str, defined: Mapping | set, where: str) -> None:
        if oid and oid not in defined:
            findings.append(Problem(where_file, f"{where} refers to {kind} {oid}, which is not defined"))

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


def assert_references(tree: etree._ElementTree | DefineDoc, where_file: str = "define.xml") -> None:
    """The build's assertion on the tree it is about to write: an ExportError naming every dangling
    reference, so no define.xml pointing at undefined OIDs is ever written."""
    problems = check_references(tree, where_file)
    if problems:
        raise ExportError(f"{where_file} would refer to {len(problems)} OID(s) it does not define", problems)
