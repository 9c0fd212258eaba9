"""Assembles the SDTM spec workbook's sheets from the study content modules."""

from __future__ import annotations

from trialforge.example_study.workbooks import RAW_EXPECTATIONS
from trialforge.example_study.workbooks.common import (
    COLUMNS, FORM_PAGES, PROTOCOL_NAME, SPONSOR, STD_CT_DEFINE, STD_CT_SDTM, STD_SDTMIG, STUDY_DESCRIPTION, STUDYID,
    Row, sheet_rows,
)
from trialforge.example_study.workbooks.sdtm_codelists import DICTIONARIES, sdtm_codelist_rows
from trialforge.example_study.workbooks.sdtm_datasets import dataset_rows, variable_rows
from trialforge.example_study.workbooks.sdtm_mapping import mapping_rows
from trialforge.example_study.workbooks.sdtm_metadata import DOCUMENTS, comment_rows, method_rows, valuelevel_rows
from trialforge.example_study.workbooks.trial_design import ELEMENTS, paired_name, ta_rows, ti_rows, ts_rows, tv_rows
from trialforge.example_study.workbooks.lab_tests import LAB_TESTS
from specs.terminology import CT_VERSION, Terminology

TRIAL_DESIGN_SHEETS = ("TS", "TA", "TE", "TV", "TI")


def define_rows(standard: str, version: str) -> list[Row]:
    return [{"Attribute": a, "Value": v} for a, v in (
        ("StudyName", STUDYID), ("StudyDescription", STUDY_DESCRIPTION), ("ProtocolName", PROTOCOL_NAME),
        ("StandardName", standard), ("StandardVersion", version), ("Language", "en"),
        ("CTVersion", CT_VERSION), ("DefineVersion", "2.1.0"), ("Sponsor", SPONSOR))]


def standard_row(oid: str, name: str, kind: str, publishing_set: str, version: str) -> Row:
    return {"OID": oid, "Name": name, "Type": kind, "Publishing Set": publishing_set, "Version": version,
            "Status": "Final", "Comment": ""}


def _fill_from_mapping(variables: list[Row], mapping: list[Row]) -> None:
    """Pages of collected variables and Assigned Value of constants, read off the Mapping sheet."""
    by_variable: dict[tuple[str, str], list[Row]] = {}
    for m in mapping:
        by_variable.setdefault((m["Dataset"], m["Variable"]), []).append(m)
    for v in variables:
        rows = by_variable.get((v["Dataset"], v["Variable"]), [])
        if v["Origin"] == "Collected":
            forms = dict.fromkeys(m.get("Source Form", "") for m in rows)
            v["Pages"] = " ".join(FORM_PAGES[f] for f in forms if f in FORM_PAGES)
        values = {m.get("Arguments", "") for m in rows}
        constant = rows and all(m["Algorithm"].startswith("hardcode") and not m.get("Where Clause")
                                and not m.get("Condition") for m in rows) and len(values) == 1
        if constant:
            v["Assigned Value"] = values.pop().removeprefix("value=")
        if v["Variable"] == "USUBJID" and v["Method"] == "MT.USUBJID" or v["Variable"] == "STUDYID":
            v["Common"] = "Yes"
        elif v["Common"]:
            v["Common"] = ""


# Every form's context columns (the Rave-style export's) and date format; forms whose date fields mix shapes
# a site typed ("2024-03" beside "UN MAR 2024") declare no format, so every shape is read.
_CONTEXT = {"Subject Column": "Subject", "Site Column": "SiteNumber", "Visit Column": "Folder",
            "Instance Column": "InstanceName"}
_MIXED_DATE_SHAPES = ("AE", "CM", "DX")


def source_rows() -> list[Row]:
    """The Sources sheet: the defaults of every form (`*`: <form>.csv), and the forms with mixed date shapes."""
    return [{"Form": "*", "Format": "csv", **_CONTEXT, "Date Formats": "DD-MON-YYYY"}] + [
        {"Form": form, "Format": "csv", **_CONTEXT} for form in _MIXED_DATE_SHAPES]


def build_sdtm_sheets(ct: Terminology) -> dict[str, list[list[str]]]:
    """Every sheet of the SDTM workbook, in order, as rows of text cells (header first)."""
    ts = ts_rows(ct)
    mapping = mapping_rows({s: COLUMNS[s] for s in TRIAL_DESIGN_SHEETS})
    variables = variable_rows()
    _fill_from_mapping(variables, mapping)
    lb_names = {t.testcd: paired_name(ct, "LBTESTCD", "LBTEST", t.testcd) for t in LAB_TESTS}
    te = [{**e} for e in ELEMENTS]
    return {
        "Define": sheet_rows("Define", define_rows("SDTMIG", "3.4") + [
            {"Attribute": "RawDataExpectations", "Value": RAW_EXPECTATIONS}]),  # the YAML beside the workbook
        "Standards": sheet_rows("Standards", [
            standard_row(STD_SDTMIG, "SDTMIG", "IG", "", "3.4"),
            standard_row(STD_CT_SDTM, "CDISC/NCI", "CT", "SDTM", CT_VERSION),
            standard_row(STD_CT_DEFINE, "CDISC/NCI", "CT", "DEFINE-XML", CT_VERSION)]),
        "Datasets": sheet_rows("Datasets", dataset_rows()),
        "Variables": sheet_rows("Variables", variables),
        "ValueLevel": sheet_rows("ValueLevel", valuelevel_rows(lb_names)),
        "Codelists": sheet_rows("Codelists", sdtm_codelist_rows(ct, list(dict.fromkeys(r["TSPARMCD"] for r in ts)))),
        "Dictionaries": sheet_rows("Dictionaries", DICTIONARIES),
        "Methods": sheet_rows("Methods", method_rows()),
        "Comments": sheet_rows("Comments", comment_rows()),
        "Documents": sheet_rows("Documents", DOCUMENTS),
        "Sources": sheet_rows("Sources", source_rows()),
        "Mapping": sheet_rows("Mapping", mapping),
        "TS": sheet_rows("TS", ts),
        "TA": sheet_rows("TA", ta_rows()),
        "TE": sheet_rows("TE", te),
        "TV": sheet_rows("TV", tv_rows()),
        "TI": sheet_rows("TI", ti_rows()),
    }
