"""A small SDTM spec and data to build define.xml from, with the ugly cases a real study has.

DM (codelist with NCI codes, a sponsor extension), AE (MedDRA dictionary, dates), LB (value-level
metadata by LBTESTCD, a float without significant digits in the spec), SUPPAE (value level by QNAM),
an aCRF and a reviewer's guide, a method used twice and one never used, comments. And a small ADaM spec
with analysis displays and results (one over a dataset it lacks) for ARM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from define_xml.datasets import DatasetInfo
from specs.model import (
    AnalysisDisplay, AnalysisResult, Codelist, CodelistItem, Comment, DatasetDef, Dictionary, Document, Method, Spec,
    Standard, StudyInfo, ValueLevelDef, VariableDef,
)
from specs.whereclause import parse_where
from formats.xpt import XptColumn, read_xpt, write_xpt

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DEFINE_STANDARDS = SHARED / "standards" / "define-xml-2.1"
SCHEMA = DEFINE_STANDARDS / "schema" / "cdisc-define-2.1" / "define2-1-0.xsd"
SCHEMA_DIR = DEFINE_STANDARDS / "schema"


def _dataset(name, label, cls, structure, keys, comment=None, has_no_data=None):
    return DatasetDef(name=name, label=label, dataset_class=cls, subclass=None, structure=structure, purpose=None,
                      key_variables=tuple(keys), standard="STD.SDTMIG", repeating=None, reference_data=None,
                      has_no_data=has_no_data, comment=comment, developer_notes=None, sheet="Datasets", row=2)


def _var(ds, name, order, label, data_type="text", length=None, *, codelist=None, origin="Collected", source=None,
         pages=None, method=None, comment=None, key=None, mandatory=False, sig=None, fmt=None, role=None):
    return VariableDef(dataset=ds, name=name, order=order, label=label, data_type=data_type, length=length,
                       significant_digits=sig, display_format=fmt, mandatory=mandatory, assigned_value=None,
                       codelist=codelist, common=None, origin=origin, source=source, pages=pages, method=method,
                       predecessor=None, role=role, core=None, comment=comment, developer_notes=None,
                       has_no_data=None, key_sequence=key, sheet="Variables", row=order + 1)


def _vlm(ds, var, where, label, data_type="text", length=None, *, codelist=None, origin="Collected", method=None):
    return ValueLevelDef(dataset=ds, variable=var, where_clause_id=where, where=parse_where(where), order=None,
                         label=label, data_type=data_type, length=length, significant_digits=None,
                         display_format=None, mandatory=False, assigned_value=None, codelist=codelist, origin=origin,
                         source=None, pages="12" if origin == "Collected" else None, method=method,
                         predecessor=None, comment=None, developer_notes=None, sheet="ValueLevel", row=2)


def _codelist(cid, name, items, nci=None, decoded=False, data_type="text"):
    made = tuple(CodelistItem(term=t, nci_code=c, decode=(d if decoded else None), order=i, collected_values=(),
                              extended=bool(nci) and c is None, sheet="Codelists", row=i + 2)
                 for i, (t, c, d) in enumerate(items, start=1))
    return Codelist(id=cid, name=name, nci_code=nci, data_type=data_type,
                    terminology="STD.CT.SDTM" if nci else None, items=made, sheet="Codelists", row=2)


def small_spec() -> Spec:
    datasets = (
        _dataset("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", ["STUDYID", "USUBJID"]),
        _dataset("AE", "Adverse Events", "EVENTS", "One record per adverse event per subject",
                 ["STUDYID", "USUBJID", "AEDECOD", "AESTDTC"], comment="COM.AE"),
        _dataset("LB", "Laboratory Test Results", "FINDINGS", "One record per lab test per visit per subject",
                 ["STUDYID", "USUBJID", "LBTESTCD", "VISITNUM"]),
        _dataset("SUPPAE", "Supplemental Qualifiers for AE", "RELATIONSHIP",
                 "One record per supplemental qualifier per related parent domain record",
                 ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]),
        _dataset("MB", "Microbiology Specimen", "FINDINGS", "One record per test per specimen per subject",
                 ["STUDYID", "USUBJID"], has_no_data=True),
    )
    common = lambda ds: [  # noqa: E731
        _var(ds, "STUDYID", 1, "Study Identifier", origin="Protocol", source="Sponsor", key=1, mandatory=True,
             role="Identifier"),
        _var(ds, "DOMAIN" if not ds.startswith("SUPP") else "RDOMAIN", 2,
             "Domain Abbreviation" if not ds.startswith("SUPP") else "Related Domain Abbreviation",
             origin="Assigned", source="Sponsor", mandatory=True, key=2 if ds.startswith("SUPP") else None),
        _var(ds, "USUBJID", 3, "Unique Subject Identifier", origin="Derived", method="MT.USUBJID",
             key=3 if ds.startswith("SUPP") else 2, mandatory=True),
    ]
    variables = (
        *common("DM"),
        _var("DM", "SEX", 4, "Sex", codelist="SEX", source="Investigator", pages="3", mandatory=True),
        _var("DM", "AGE", 5, "Age", "integer", 8, origin="Derived", method="AGE", comment="COM.DM.AGE"),
        _var("DM", "COUNTRY", 6, "Country", codelist="COUNTRY", origin="Assigned", source="Sponsor"),
        *common("AE"),
        _var("AE", "AESEQ", 4, "Sequence Number", "integer", 8, origin="Derived", method="MT.SEQ", mandatory=True),
        _var("AE", "AETERM", 5, "Reported Term for the Adverse Event", source="Investigator", pages="7 8",
             mandatory=True),
        _var("AE", "AEDECOD", 6, "Dictionary-Derived Term", codelist="MEDDRA", origin="Assigned", source="Sponsor",
             key=3),
        _var("AE", "AESTDTC", 7, "Start Date/Time of Adverse Event", "datetime", source="Investigator",
             pages="7-9", key=4),
        *common("LB"),
        _var("LB", "LBTESTCD", 4, "Lab Test or Examination Short Name", codelist="LBTESTCD", key=3,
             mandatory=True, source="Vendor"),
        _var("LB", "LBORRES", 5, "Result or Finding in Original Units", source="Vendor"),
        _var("LB", "LBSTRESN", 6, "Numeric Result/Finding in Standard Units", "float", 8, origin="Derived",
             method="MT.STRESN"),
        _var("LB", "VISITNUM", 7, "Visit Number", "float", 8, origin="Assigned", sig=1, key=4),
        *common("SUPPAE"),
        _var("SUPPAE", "IDVAR", 4, "Identifying Variable", origin="Assigned", key=4),
        _var("SUPPAE", "IDVARVAL", 5, "Identifying Variable Value", origin="Assigned", key=5),
        _var("SUPPAE", "QNAM", 6, "Qualifier Variable Name", codelist="QNAM_AE", origin="Assigned", key=6,
             mandatory=True),
        _var("SUPPAE", "QLABEL", 7, "Qualifier Variable Label", origin="Assigned", mandatory=True),
        _var("SUPPAE", "QVAL", 8, "Data Value", mandatory=True),
        _var("MB", "STUDYID", 1, "Study Identifier", origin="Protocol", key=1),
        _var("MB", "USUBJID", 2, "Unique Subject Identifier", origin="Derived", method="MT.USUBJID", key=2),
    )
    value_level = (
        _vlm("LB", "LBORRES", "LBTESTCD EQ HGB", "Hemoglobin result"),
        _vlm("LB", "LBORRES", "LBTESTCD EQ ALB", "Albumin result"),
        _vlm("LB", "LBSTRESN", "LBTESTCD EQ HGB", "Hemoglobin (g/dL)", "float", 8, origin="Derived",
             method="MT.STRESN"),
        _vlm("SUPPAE", "QVAL", "QNAM EQ AEASTCGR", "ASTCT Consensus Grade", codelist="ASTCTGR"),
        _vlm("SUPPAE", "QVAL", 'QNAM EQ "AETRTEM"', "Treatment Emergent Flag", codelist="NY_Y", origin="Derived",
             method="MT.TRTEM"),
    )
    codelists = (
        _codelist("SEX", "Sex", [("F", "C16576", None), ("M", "C20197", None), ("U", "C17998", None)], nci="C66731"),
        _codelist("LBTESTCD", "Laboratory Test Code", [("ALB", "C64431", "Albumin"), ("HGB", "C64848", "Hemoglobin"),
                                                       ("CAR", None, "CAR+ T cells")], nci="C65047", decoded=True),
        _codelist("QNAM_AE", "SUPPAE Qualifier Names", [("AEASTCGR", None, "ASTCT Consensus Grade"),
                                                         ("AETRTEM", None, "Treatment Emergent Flag")], decoded=True),
        _codelist("ASTCTGR", "ASTCT Grade", [("1", None, None), ("2", None, None), ("3", None, None)],
                  data_type="text"),
        _codelist("NY_Y", "No Yes Response (Yes only)", [("Y", "C49488", None)], nci="C66742"),
    )
    return Spec(
        source="small_spec.xlsx", layout="B",
        study=StudyInfo(name="SMALL-1", description="A small study & its <edge> cases", protocol_name="SMALL-1",
                        attributes=(("StudyName", "SMALL-1"), ("Sponsor", "Test Sponsor"))),
        standards=(Standard(oid="STD.SDTMIG", name="SDTMIG", type="IG", publishing_set=None, version="3.4",
                            status="Final", comment=None, sheet="Standards", row=2),
                   Standard(oid="STD.CT.SDTM", name="CDISC/NCI", type="CT", publishing_set="SDTM",
                            version="2025-03-28", status="Final", comment=None, sheet="Standards", row=3)),
        datasets=datasets, variables=variables, value_level=value_level, codelists=codelists,
        dictionaries=(Dictionary(id="MEDDRA", name="MedDRA", data_type="text", dictionary="MedDRA", version="27.0",
                                 sheet="Dictionaries", row=2),
                      Dictionary(id="COUNTRY", name="ISO 3166-1 alpha-3", data_type="text", dictionary="ISO 3166",
                                 version="2020", sheet="Dictionaries", row=3)),
        methods=(
            Method(id="MT.USUBJID", name="Algorithm for USUBJID", type="Computation",
                   description="STUDYID, a hyphen and the subject number.", expression_context=None,
                   expression_code=None, document=None, pages=None, sheet="Methods", row=2),
            Method(id="MT.SEQ", name="Algorithm for --SEQ", type="computation", description="Numbers records 1, 2, ...",
                   expression_context="Python", expression_code="frame.groupby('USUBJID').cumcount() + 1",
                   document=None, pages=None, sheet="Methods", row=3),
            Method(id="AGE", name=None, type=None, description="Age at informed consent in whole years.",
                   expression_context=None, expression_code=None, document="CSDRG", pages="4", sheet="Methods", row=4),
            Method(id="MT.STRESN", name="Standard numeric result", type="Computation",
                   description="LBORRES as a number, converted to the standard unit.", expression_context=None,
                   expression_code=None, document=None, pages=None, sheet="Methods", row=5),
            Method(id="MT.TRTEM", name="Treatment emergence", type="Computation",
                   description="Y when the AE starts on or after the first dose.", expression_context=None,
                   expression_code=None, document=None, pages=None, sheet="Methods", row=6),
            Method(id="MT.UNUSED", name="Never referenced", type="Computation", description="Not used.",
                   expression_context=None, expression_code=None, document=None, pages=None, sheet="Methods", row=7),
        ),
        comments=(Comment(id="COM.AE", description="AEs are coded with MedDRA 27.0.", document="CSDRG", pages="5",
                          sheet="Comments", row=2),
                  Comment(id="COM.DM.AGE", description="Age is derived, not collected.", document=None, pages=None,
                          sheet="Comments", row=3)),
        documents=(Document(id="ACRF", title="Annotated Case Report Form", href="acrf.pdf", sheet="Documents", row=2),
                   Document(id="CSDRG", title="Clinical Study Data Reviewer's Guide", href="csdrg.pdf",
                            sheet="Documents", row=3)),
    )


def small_frames() -> dict[str, pd.DataFrame]:
    dm = pd.DataFrame({"STUDYID": ["SMALL-1"] * 3, "DOMAIN": ["DM"] * 3,
                       "USUBJID": ["SMALL-1-001", "SMALL-1-002", "SMALL-1-003"], "SEX": ["F", "M", "F"],
                       "AGE": [54.0, 61.0, np.nan], "COUNTRY": ["USA", "USA", "CAN"]})
    ae = pd.DataFrame({"STUDYID": ["SMALL-1"] * 2, "DOMAIN": ["AE"] * 2, "USUBJID": ["SMALL-1-001", "SMALL-1-003"],
                       "AESEQ": [1.0, 1.0], "AETERM": ["Cytokine release syndrome", "Fever"],
                       "AEDECOD": ["Cytokine release syndrome", "Pyrexia"], "AESTDTC": ["2024-03-01", "2024-03"]})
    lb = pd.DataFrame({"STUDYID": ["SMALL-1"] * 4, "DOMAIN": ["LB"] * 4,
                       "USUBJID": ["SMALL-1-001", "SMALL-1-001", "SMALL-1-002", "SMALL-1-002"],
                       "LBTESTCD": ["HGB", "ALB", "HGB", "ALB"], "LBORRES": ["12.5", "40", "9.25", ""],
                       "LBSTRESN": [12.5, 40.0, 9.25, np.nan], "VISITNUM": [1.0, 1.0, 1.0, 1.0]})
    suppae = pd.DataFrame({"STUDYID": ["SMALL-1"] * 3, "RDOMAIN": ["AE"] * 3,
                           "USUBJID": ["SMALL-1-001", "SMALL-1-001", "SMALL-1-003"],
                           "IDVAR": ["AESEQ"] * 3, "IDVARVAL": ["1", "1", "1"],
                           "QNAM": ["AEASTCGR", "AETRTEM", "AETRTEM"],
                           "QLABEL": ["ASTCT Consensus Grade", "Treatment Emergent Flag", "Treatment Emergent Flag"],
                           "QVAL": ["2", "Y", "Y"]})
    return {"DM": dm, "AE": ae, "LB": lb, "SUPPAE": suppae}


def write_small_xpts(folder: Path, spec: Spec, frames: dict[str, pd.DataFrame] | None = None) -> dict[str, DatasetInfo]:
    """Write each frame as XPT with the spec's labels and types; return what was written, read back."""
    frames = small_frames() if frames is None else frames
    infos = {}
    for name, frame in frames.items():
        described = {v.name: v for v in spec.variables_of(name)} if spec.has_dataset(name) else {}
        columns = [XptColumn(name=c, label=described[c].label if c in described else c,
                             type="num" if pd.api.types.is_numeric_dtype(frame[c]) else "char",
                             format=(described[c].display_format or "") if c in described else "")
                   for c in frame.columns]
        label = spec.dataset(name).label if spec.has_dataset(name) else name
        path = folder / f"{name.lower()}.xpt"
        write_xpt(frame, path, name=name, label=label, columns=columns)
        data, meta = read_xpt(path)
        infos[name] = DatasetInfo(name=name, href=path.name, columns=meta.columns, frame=data, label=meta.label)
    return infos


# --- ADaM with analysis results -------------------------------------------------------------


def _adam_dataset(name, cls, subclass=None):
    return DatasetDef(name=name, label=f"{name} label", dataset_class=cls, subclass=subclass,
                      structure="One record per subject", purpose=None, key_variables=("USUBJID",), standard=None,
                      repeating=None, reference_data=None, has_no_data=None, comment=None, developer_notes=None,
                      sheet="Datasets", row=2)


def _adam_var(ds, name, order, data_type="text", predecessor=None):
    return VariableDef(dataset=ds, name=name, order=order, label=name, data_type=data_type, length=8 if
                       data_type != "text" else None, significant_digits=None, display_format=None, mandatory=False,
                       assigned_value=None, codelist=None, common=None,
                       origin="Predecessor" if predecessor else "Derived", source=None, pages=None, method=None,
                       predecessor=predecessor, role=None, core=None, comment=None, developer_notes=None,
                       has_no_data=None, key_sequence=1 if name == "USUBJID" else None, sheet="Variables", row=order)


def _result(display, rid, variables, selection, *, join=None, code=None, reason="SPECIFIED IN SAP",
            purpose="PRIMARY OUTCOME MEASURE"):
    return AnalysisResult(display=display, id=rid, description=f"{rid} description", variables=tuple(variables),
                          reason=reason, purpose=purpose, selection_criteria=selection, join_comment=join,
                          documentation="Counted once per subject.", documentation_refs=("SAP",),
                          programming_context="Python" if code else None, programming_code=code,
                          programming_document=None, pages="3", sheet="Analysis Results", row=2)


def small_adam_spec() -> Spec:
    """ADSL, ADAE, ADTTE and three analysis displays, one over a dataset the spec lacks."""
    datasets = (_adam_dataset("ADSL", "SUBJECT LEVEL ANALYSIS DATASET"),
                _adam_dataset("ADAE", "OCCURRENCE DATA STRUCTURE", "ADVERSE EVENT"),
                _adam_dataset("ADTTE", "BASIC DATA STRUCTURE", "TIME-TO-EVENT"))
    variables = (
        _adam_var("ADSL", "USUBJID", 1, predecessor="DM.USUBJID"), _adam_var("ADSL", "SAFFL", 2),
        _adam_var("ADAE", "USUBJID", 1, predecessor="ADSL.USUBJID"), _adam_var("ADAE", "AEBODSYS", 2),
        _adam_var("ADAE", "AEDECOD", 3), _adam_var("ADAE", "TRTEMFL", 4),
        _adam_var("ADTTE", "USUBJID", 1, predecessor="ADSL.USUBJID"), _adam_var("ADTTE", "PARAMCD", 2),
        _adam_var("ADTTE", "AVAL", 3, "integer"), _adam_var("ADTTE", "CNSR", 4, "integer"),
    )
    displays = (
        AnalysisDisplay(id="T-14.3.1", title="TEAEs by SOC and PT", document="SAP", pages="12",
                        sheet="Analysis Displays", row=2),
        AnalysisDisplay(id="T-14.2.2", title="PFS", document=None, pages=None, sheet="Analysis Displays", row=3),
        AnalysisDisplay(id="T-99", title="Over a dataset this define lacks", document=None, pages=None,
                        sheet="Analysis Displays", row=4),
    )
    results = (
        _result("T-14.3.1", "AR.TEAE", ["ADAE.AEBODSYS", "ADAE.AEDECOD", "ADAE.NOTDESCRIBED"],
                "ADAE.TRTEMFL EQ Y and ADSL.SAFFL EQ Y", join="ADAE joins ADSL on USUBJID."),
        _result("T-14.2.2", "PFS", ["ADTTE.AVAL", "ADTTE.CNSR"], "ADTTE.PARAMCD EQ PFS",
                code="km = KaplanMeier(adtte.AVAL, adtte.CNSR == 0)", reason="SPECIFIED IN PROTOCOL"),
        _result("T-99", "AR.X", ["ADXX.AVAL"], "ADXX.PARAMCD EQ X"),
    )
    return Spec(source="adam_spec.xlsx", layout="B", study=StudyInfo(name="SMALL-1"), datasets=datasets,
                variables=variables, analysis_displays=displays, analysis_results=results,
                documents=(Document(id="SAP", title="Statistical Analysis Plan", href="sap.pdf",
                                    sheet="Documents", row=2),))


def write_small_adam_xpts(folder: Path, spec: Spec) -> None:
    frames = {
        "ADSL": pd.DataFrame({"USUBJID": ["S-1", "S-2"], "SAFFL": ["Y", "N"]}),
        "ADAE": pd.DataFrame({"USUBJID": ["S-1"], "AEBODSYS": ["Immune system disorders"],
                              "AEDECOD": ["Cytokine release syndrome"], "TRTEMFL": ["Y"]}),
        "ADTTE": pd.DataFrame({"USUBJID": ["S-1", "S-2"], "PARAMCD": ["PFS", "PFS"], "AVAL": [120.0, 33.0],
                               "CNSR": [0.0, 1.0]}),
    }
    for name, frame in frames.items():
        columns = [XptColumn(v.name, v.label, "num" if v.data_type == "integer" else "char")
                   for v in spec.variables_of(name)]
        write_xpt(frame, folder / f"{name.lower()}.xpt", name=name, label=f"{name} label", columns=columns)
