"""The build's define stage for one package folder: read the XPTs there, write define.xml and define.html.

ARM and the plain schema: the Define-XML 2.1 schema (define2-1-0.xsd) has no place for Analysis Results
Metadata; ARM needs its own schema (arm1-0-0.xsd). By default define.xml is therefore written without
ARM, so it validates against the plain schema most tools use, and the ARM displays are shown in
define.html; `arm_in_define=True` writes them into define.xml as well.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from define_xml.arm import has_arm, strip_arm
from define_xml.build import build_define
from define_xml.checks import assert_references, load_schema, validate_schema
from define_xml.datasets import DatasetInfo
from define_xml.html import render_define_html
from define_xml.writer import write_define
from formats.datasetjson import columns_from_define, write_dataset_json
from formats.definexml import read_define_tree
from formats.folder import load_folder
from formats.safexml import parse_user_xml
from specs.errors import InputError, Problem
from specs.model import Spec

log = logging.getLogger(__name__)

DEFINE_NAME = "define.xml"
HTML_NAME = "define.html"
DEFAULT_STYLESHEET = "define2-1.xsl"


def read_folder_datasets(folder: str | os.PathLike, *, encoding: str = "utf-8") -> dict[str, DatasetInfo]:
    """Every XPT in `folder` as a DatasetInfo (href = the file name), keyed by upper-case dataset name."""
    return {name: DatasetInfo(name=name, href=dataset.file.name, columns=tuple(dataset.columns.values()),
                              frame=dataset.frame, label=dataset.label or None)
            for name, dataset in load_folder(folder, suffixes=(".xpt",), encoding=encoding).items()}


def write_package_define(
    spec: Spec,
    folder: str | os.PathLike,
    kind: str,
    created: datetime,
    stylesheet: str | os.PathLike | None = None,
    *,
    context: str = "Submission",
    arm_in_define: bool = False,
    schema: str | os.PathLike | None = None,
    encoding: str = "utf-8",
) -> dict[str, Any]:
    """Write define.xml and define.html for the XPTs in `folder`; return a JSON-ready summary.

    The tree must not refer to OIDs it does not define (ExportError, nothing written). Whether it agrees
    with the data is for the conformance rules (validation, TF-DF-*). `stylesheet`: a user-supplied XSL
    copied beside define.xml and named by its xml-stylesheet instruction (the project ships none).
    `schema`: the Define-XML schema file or folder to validate with; without it, schema validation is
    skipped (and said so in the summary).
    """
    if kind not in ("sdtm", "adam"):
        raise ValueError(f"kind must be 'sdtm' or 'adam', not {kind!r}")
    check_define_inputs(stylesheet, schema, arm_in_define=arm_in_define)  # before anything is written
    folder = Path(folder)
    datasets = read_folder_datasets(folder, encoding=encoding)
    stylesheet_href = Path(stylesheet).name if stylesheet else DEFAULT_STYLESHEET
    full = build_define(spec, datasets, context=context, created=created, stylesheet_href=stylesheet_href,
                        kind=kind, arm=True)
    tree = full if arm_in_define else strip_arm(full)
    assert_references(tree, str(folder / DEFINE_NAME))  # our own tree: a dangling OID is never written
    define_path = write_define(tree, folder / DEFINE_NAME)
    render_define_html(full, folder / HTML_NAME)
    if stylesheet and Path(stylesheet).resolve() != (folder / stylesheet_href).resolve():
        shutil.copyfile(stylesheet, folder / stylesheet_href)
    # define.xml against the data is checked by the conformance rules (TF-DF-*) in the validate stage
    schema_problems = [str(p) for p in validate_schema(define_path, schema)] if schema else None
    for problem in schema_problems or ():
        log.error("%s", problem)
    return {
        "kind": kind, "define": DEFINE_NAME, "html": HTML_NAME,
        "stylesheet": stylesheet_href if stylesheet else None,
        "datasets": sorted(datasets), "arm_in_define": has_arm(tree), "arm_displays": _displays(full),
        "schema_validated": schema is not None, "schema_problems": schema_problems or [],
    }


def check_define_inputs(stylesheet: str | os.PathLike | None = None, schema: str | os.PathLike | None = None, *,
                        arm_in_define: bool = False) -> None:
    """Refuse a user's stylesheet or schema that cannot be used, with an InputError naming the file and line,
    before a build spends minutes on the data: the stylesheet must be well-formed XSL with a file name that
    can stand in define.xml's xml-stylesheet instruction, the schema a readable XML Schema. Neither may
    declare entities or refer to an external DTD (see formats.safexml); nothing is fetched."""
    if stylesheet:
        name = Path(stylesheet).name
        if not _HREF_NAME.fullmatch(name):
            raise InputError(f"{stylesheet}: the stylesheet's file name cannot be used in define.xml",
                             [Problem(str(stylesheet), f"define.xml names the stylesheet by its file name, and "
                                                       f"{name!r} holds characters other than letters, digits, "
                                                       "'.', '_' and '-'; rename it, e.g. define2-1.xsl")])
        tree = parse_user_xml(stylesheet, "stylesheet", _XSL_EXPECTED, character_entities=True)
        root = tree.getroot()
        if root.tag not in (f"{{{_XSL}}}stylesheet", f"{{{_XSL}}}transform"):
            raise InputError(f"{stylesheet}: not an XSL stylesheet", [Problem(
                str(stylesheet), f"the root element is {root.tag!r}; expected {_XSL_EXPECTED}")])
    if schema:
        load_schema(schema, arm=arm_in_define)


_XSL = "http://www.w3.org/1999/XSL/Transform"
_XSL_EXPECTED = "an XSL stylesheet (xsl:stylesheet or xsl:transform), such as CDISC's define2-1.xsl"
_HREF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _displays(tree) -> int:
    from define_xml.xmlns import ARM

    return len(tree.getroot().findall(f".//{{{ARM}}}ResultDisplay"))


def write_folder_dataset_json(
    folder: str | os.PathLike,
    *,
    created: datetime,
    ndjson: bool = False,
    define_path: str | os.PathLike | None = None,
    encoding: str = "utf-8",
    source_system: tuple[str, str] | None = None,
) -> list[Path]:
    """Every XPT in `folder` also as Dataset-JSON (.json, or .ndjson), with define.xml's metadata."""
    folder = Path(folder)
    define_file = Path(define_path) if define_path else folder / "define.xml"
    if not define_file.is_file():
        raise InputError(f"{folder}: no define.xml to take Dataset-JSON metadata from",
                         [Problem(str(define_file), "write define.xml first")])
    define = read_define_tree(define_file)
    reference = os.path.relpath(define_file, folder).replace(os.sep, "/")
    written = []
    for name, dataset in load_folder(folder, suffixes=(".xpt",), encoding=encoding).items():
        group_oid, label, columns = columns_from_define(define, name, tuple(dataset.columns.values()))
        target = dataset.file.with_suffix(".ndjson" if ndjson else ".json")
        written.append(write_dataset_json(
            dataset.frame, target, name=name, label=label, columns=columns, study_oid=define.study_oid,
            metadata_version_oid=define.mdv_oid, item_group_oid=group_oid, ndjson=ndjson, created=created,
            source_system=source_system, metadata_ref=reference))
    log.info("wrote %d Dataset-JSON files in %s", len(written), folder)
    return written
