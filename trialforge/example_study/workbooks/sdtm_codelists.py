"""Codelists and dictionaries of the SDTM spec: only the terms the study uses, with the EDC's raw spellings.

`Collected Values` (the `term(..., collected=...)` argument) lists the spellings sites type that map to
a term; the SDTM engine also accepts the term itself and its CDISC synonyms. Codes come from CT.
"""

from __future__ import annotations

from trialforge.example_study.workbooks.codelist_model import Codelist, codelist_rows, term, terms
from trialforge.example_study.workbooks.common import ARM, ARMCD, PRODUCT, STD_CT_SDTM, Row
from trialforge.example_study.workbooks.lab_tests import LAB_CATEGORIES, LAB_TESTS
from trialforge.example_study.workbooks.trial_design import CRITERIA, ELEMENTS, EPOCHS, paired_name
from specs.terminology import Terminology

YES_NO = (term("N", "No", "No|no|NO|N"), term("Y", "Yes", "Yes|yes|YES|Y"))

UNIT_SPELLINGS: dict[str, str] = {
    "g/dL": "g/dl", "g/L": "g/l", "10^9/L": "x10^9/L|10E9/L|10*9/L", "U/L": "IU/L|U/l",
    "umol/L": "umol/l|micromol/L", "mg/dL": "mg/dl", "mg/L": "mg/l", "ug/L": "ng/mL|ng/ml",
    "ng/L": "pg/mL|pg/ml", "%": "percent", "mm": "", "mg/m2": "mg/m^2",
    "10^6 Therapeutic Cells": "x10^6 cells|10^6 cells|x 10^6 cells|x10^6 CAR-T cells",
}

# Anatomical locations of lesions, with the free-text spellings sites use.
LOCATIONS: dict[str, str] = {
    "PLEURA": "Pleura|Pleural|Pleural mass|Pleural thickening|Pleura, right|Pleural rind, right lower",
    "PLEURAL CAVITY": "Pleural effusion",
    "LUNG": "Lung|Pulmonary|Lung nodule|Lung, right upper lobe|Lung, right lower lobe|Lung, left upper lobe|"
            "Lung, left lower lobe",
    "LIVER": "Liver|Hepatic|Liver metastasis|Liver, multiple small lesions",
    # Couinaud segments VI and VIII
    "LIVER, RIGHT LOBE POSTEROINFERIOR SEGMENT": "Liver, segment VI",
    "LIVER, RIGHT LOBE POSTEROSUPERIOR SEGMENT": "Liver, segment VIII",
    "LYMPH NODE": "Lymph node|LN",
    "MEDIASTINAL LYMPH NODE": "Mediastinal lymph node|Mediastinal LN|Lymph node, mediastinal",
    "HILAR LYMPH NODE": "Hilar lymph node|Hilar LN|Lymph node, hilar",
    "INTERNAL MAMMARY LYMPH NODE": "Lymph node, internal mammary",
    "PARA-AORTIC LYMPH NODE": "Lymph node, para-aortic",
    "PELVIC LYMPH NODE": "Lymph node, pelvic",
    "PERIPANCREATIC LYMPH NODE": "Lymph node, peripancreatic",
    "SUPRACLAVICULAR LYMPH NODE": "Lymph node, supraclavicular",
    "INGUINAL LYMPH NODE": "Lymph node, inguinal",
    "CELIAC LYMPH NODE": "Lymph node, coeliac|Lymph node, celiac",
    "AXILLARY LYMPH NODE": "Lymph node, axillary",
    "PERITONEUM": "Peritoneum|Peritoneal|Peritoneal nodule|Peritoneum, pelvic",
    "PERITONEAL CAVITY": "Ascites",
    "OMENTUM": "Omentum|Omental|Omental cake",
    "RETROPERITONEUM": "Retroperitoneum|Retroperitoneal",
    "PELVIS": "Pelvic mass",
    "CHEST WALL": "Chest wall",
    "ABDOMINAL WALL": "Abdominal wall",
    "PANCREAS": "Pancreas|Pancreatic|Pancreas, head",
    "OVARY": "Ovary|Ovarian",
    "ADRENAL GLAND": "Adrenal|Adrenal gland|Adrenal gland, left|Adrenal gland, right",
    "BRAIN": "Brain",
    "BONE": "Bone|Bone lesion",
    "RIB": "Bone, rib",
    "THORACIC VERTEBRA": "Bone, vertebra T8",
    "PELVIC BONE": "Bone, pelvis",
}

RESPONSES: dict[str, str] = {
    "CR": "CR|Complete response", "PR": "PR|Partial response", "SD": "SD|Stable disease",
    "NON-CR/NON-PD": "NON-CR/NON-PD|Non-CR/Non-PD", "PD": "PD|Progressive disease|Progression",
    "NE": "NE|Not evaluable|Not evaluated",
}


def _responses(*values: str) -> tuple:
    return tuple(term(v, "", RESPONSES[v]) for v in values)


def _lab_codelists(ct: Terminology) -> list[Codelist]:
    codes = [term(t.testcd, paired_name(ct, "LBTESTCD", "LBTEST", t.testcd), "|".join(t.collected))
             for t in LAB_TESTS]
    names = [term(paired_name(ct, "LBTESTCD", "LBTEST", t.testcd), "", "|".join(t.collected)) for t in LAB_TESTS]
    return [
        Codelist("LBTESTCD", "Laboratory Test Code", "LBTESTCD", tuple(codes)),
        Codelist("LBTEST", "Laboratory Test Name", "LBTEST", tuple(names)),
        Codelist("LBCAT", "Category for Lab Test", None, tuple(
            term(c, "", {"HEMATOLOGY": "Hematology|Haematology", "CHEMISTRY": "Chemistry|Biochemistry",
                         "CRS MARKERS": "CRS markers|CRS Markers"}[c]) for c in LAB_CATEGORIES)),
    ]


def sdtm_codelists(ct: Terminology, ts_parameters: list[str]) -> list[Codelist]:
    """Every codelist the SDTM spec references, in sheet order."""
    units = sorted({t.unit for t in LAB_TESTS} | {u for t in LAB_TESTS for u, _ in t.conversions}
                   | {"%", "mm", "mg/m2", "10^6 Therapeutic Cells"}, key=str.casefold)
    cp_name = paired_name(ct, "CPTESTCD", "CPTEST", "TLSTLY")
    cp_spellings = "CAR+ T cells of CD3+ T cells|CAR+ T cells (% of CD3+)|CAR+ T cells|CAR-T %"
    return [
        Codelist("AGEU", "Age Unit", "AGEU", terms("YEARS")),
        Codelist("SEX", "Sex", "SEX", (term("F", "Female", "Female|female|FEMALE|F|f"),
                                       term("M", "Male", "Male|male|MALE|M|m"))),
        Codelist("RACE", "Race", "RACE", (
            term("ASIAN", "", "Asian|asian|Chinese|Han Chinese"), term("WHITE", "", "White|white|Caucasian"),
            term("BLACK OR AFRICAN AMERICAN", "", "Black|Black or African American|African American"),
            term("OTHER", "", "Other|other"), term("NOT REPORTED", "", "Not reported|Not Reported"),
            term("UNKNOWN", "", "Unknown|unknown"))),
        Codelist("ETHNIC", "Ethnic Group", "ETHNIC", (
            term("HISPANIC OR LATINO", "", "Hispanic|Hispanic or Latino|Latino"),
            term("NOT HISPANIC OR LATINO", "", "Not Hispanic or Latino|Non-Hispanic|Not Hispanic|not hispanic"),
            term("NOT REPORTED", "", "Not reported|Not Reported"), term("UNKNOWN", "", "Unknown|unknown"))),
        Codelist("NY", "No Yes Response", "NY", YES_NO),
        Codelist("NY_Y", "No Yes Response (Yes only)", "NY", (term("Y", "Yes"),)),
        Codelist("ARMCD", "Arm Code", None, (term(ARMCD, ARM),)),
        Codelist("ARMNULRS", "Arm Null Reason", "ARMNULRS", terms(
            "SCREEN FAILURE", "ASSIGNED, NOT TREATED", "UNPLANNED TREATMENT")),
        Codelist("ETCD", "Element Code", None, tuple(term(e["ETCD"], e["ELEMENT"]) for e in ELEMENTS)),
        Codelist("EPOCH", "Epoch", "EPOCH", tuple(
            term(e, extension=(e == "LEUKAPHERESIS")) for e in EPOCHS)),
        Codelist("OUT", "Outcome of Event", "OUT", (
            term("RECOVERED/RESOLVED", "", "Recovered|Resolved|Recovered/Resolved"),
            term("RECOVERING/RESOLVING", "", "Recovering|Resolving|Recovering/Resolving|Improving"),
            term("NOT RECOVERED/NOT RESOLVED", "", "Not recovered|Not resolved|Not Recovered/Not Resolved|Ongoing"),
            term("RECOVERED/RESOLVED WITH SEQUELAE", "", "Recovered with sequelae|Resolved with sequelae"),
            term("FATAL", "", "Fatal|Death|Died"), term("UNKNOWN", "", "Unknown|unknown"))),
        Codelist("ACN", "Action Taken with Study Treatment", "ACN", (
            term("DOSE NOT CHANGED", "", "None|No action|No action taken|Dose not changed"),
            term("DRUG INTERRUPTED", "", "Interrupted|Infusion interrupted|Drug interrupted"),
            term("DRUG WITHDRAWN", "", "Withdrawn|Drug withdrawn|Infusion stopped|Permanently discontinued"),
            term("NOT APPLICABLE", "", "Not applicable|N/A|NA"), term("UNKNOWN", "", "Unknown|unknown"))),
        Codelist("AEREL", "Causality", None, (
            term("NOT RELATED", "", "Not related|not related|Unrelated|No"),
            term("UNLIKELY RELATED", "", "Unlikely related|Unlikely"),
            term("POSSIBLY RELATED", "", "Possibly related|Possible|Possibly"),
            term("PROBABLY RELATED", "", "Probably related|Probable|Probably"),
            term("RELATED", "", "Related|related|Definitely related|Definite|Yes"))),
        Codelist("ASTCTGR", "ASTCT Consensus Grade", None, tuple(
            term(str(g), f"Grade {g}", f"Grade {g}|G{g}|{g}") for g in range(1, 6))),
        Codelist("QNAM_AE", "SUPPAE Qualifier Variable Name", None, (
            term("AEASTCGR", "ASTCT Consensus Grade"), term("AERELLD", "Relationship to Lymphodepletion"),
            term("AETRTEM", "Treatment Emergent Flag"))),
        Codelist("QNAM_DM", "SUPPDM Qualifier Variable Name", None, (
            term("DTHCAUS", "Primary Cause of Death"), term("DXSTAGE", "Disease Stage at Screening"),
            term("MSLNPCT", "Mesothelin IHC Positive Tumor Cells (%)"),
            term("PRIORLN", "Number of Prior Systemic Therapy Lines"),
            term("PROTVER", "Protocol Version Consented"))),
        Codelist("STENRF", "Relation to Reference Period", "STENRF", terms("ONGOING")),
        Codelist("EXTRT", "Name of Treatment", None, (
            term("FLUDARABINE", "", "Fludarabine|fludarabine|FLU|Flu|Fludarabine phosphate"),
            term("CYCLOPHOSPHAMIDE", "", "Cyclophosphamide|cyclophosphamide|Cy|CY|CTX"),
            term(PRODUCT))),
        Codelist("EXCAT", "Category of Treatment", None, terms("LYMPHODEPLETION", "CAR-T")),
        Codelist("ROUTE", "Route of Administration Response", "ROUTE", (
            term("INTRAVENOUS", "", "IV|iv|Intravenous|intravenous|i.v."),
            term("ORAL", "", "PO|Oral|oral|p.o."), term("SUBCUTANEOUS", "", "SC|SQ|Subcutaneous|s.c."),
            term("INTRAMUSCULAR", "", "IM|Intramuscular"))),
        Codelist("FRM", "Dosage Form", "FRM", terms("INJECTION, SOLUTION", "INJECTION, SUSPENSION")),
        Codelist("FREQ", "Frequency", "FREQ", terms("ONCE", "QD")),
        Codelist("UNIT", "Unit", "UNIT", tuple(term(u, "", "|".join(
            s for s in [u, UNIT_SPELLINGS.get(u, "")] if s)) for u in units)),
        *_lab_codelists(ct),
        Codelist("SPECTYPE", "Specimen Type", "SPECTYPE", terms("BLOOD", "SERUM")),
        Codelist("NRIND", "Reference Range Indicator", "NRIND", terms("LOW", "NORMAL", "HIGH")),
        Codelist("ND", "Not Done", "ND", terms("NOT DONE")),
        Codelist("METHOD", "Method", "METHOD", (
            term("CT SCAN", "", "CT|CT scan|CT SCAN|Computed tomography|ct"),
            term("MRI", "", "MRI|MR|Magnetic resonance imaging"),
            term("PET/CT SCAN", "", "PET-CT|PET/CT|PET CT"), term("X-RAY", "", "X-ray|Chest X-ray|CXR"),
            term("FLOW CYTOMETRY"), term("ELISA"))),
        Codelist("CPTESTCD", "Cell Phenotyping Test Code", "CPTESTCD", (term("TLSTLY", cp_name, cp_spellings),)),
        Codelist("CPTEST", "Cell Phenotyping Test Name", "CPTEST", (term(cp_name, "", cp_spellings),)),
        Codelist("CPCAT", "Category for Cell Phenotyping", "CPCAT", terms("IMMUNOPHENOTYPING")),
        Codelist("PCTESTCD", "Pharmacokinetic Test Code", None, (term("APD1AB", "Secreted Anti-PD-1 Antibody"),)),
        Codelist("PCTEST", "Pharmacokinetic Test Name", None, terms("Secreted Anti-PD-1 Antibody")),
        Codelist("LOC", "Anatomical Location", "LOC", tuple(term(k, "", v) for k, v in LOCATIONS.items())),
        Codelist("TUTESTCD", "Tumor or Lesion Identification Test Code", "TUTESTCD",
                 (term("TUMIDENT", "Tumor Identification"),)),
        Codelist("TUTEST", "Tumor or Lesion Identification Test Name", "TUTEST", terms("Tumor Identification")),
        Codelist("TUIDRS", "Tumor or Lesion Identification Test Results", "TUIDRS", terms(
            "TARGET", "NON-TARGET", "NEW")),
        Codelist("TRTESTCD", "Tumor or Lesion Properties Test Code", "TRTESTCD", tuple(
            term(c, paired_name(ct, "TRTESTCD", "TRTEST", c)) for c in ("LDIAM", "LPERP", "SUMDIAM", "TUMSTATE"))),
        Codelist("TRTEST", "Tumor or Lesion Properties Test Name", "TRTEST", tuple(
            term(paired_name(ct, "TRTESTCD", "TRTEST", c)) for c in ("LDIAM", "LPERP", "SUMDIAM", "TUMSTATE"))),
        Codelist("TRPROPRS", "Tumor or Lesion Properties Test Result", "TRPROPRS", (
            term("PRESENT", "", "PRESENT|Present"), term("ABSENT", "", "ABSENT|Absent"),
            term("EQUIVOCAL", "", "EQUIVOCAL|Equivocal"),
            term("UNEQUIVOCAL", "", "UNEQUIVOCAL|Unequivocal|UNEQUIVOCAL PROGRESSION|Unequivocal progression"),
            term("NE", "", "NOT EVALUATED|Not evaluated"))),
        Codelist("ONCRTSCD", "Oncology Response Assessment Test Code", "ONCRTSCD", tuple(
            term(c, paired_name(ct, "ONCRTSCD", "ONCRTS", c)) for c in ("TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"))),
        Codelist("ONCRTS", "Oncology Response Assessment Test Name", "ONCRTS", tuple(
            term(paired_name(ct, "ONCRTSCD", "ONCRTS", c)) for c in ("TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"))),
        Codelist("ONCRSR_TRG", "Oncology Response Assessment Result (Target)", "ONCRSR",
                 _responses("CR", "PR", "SD", "PD", "NE")),
        Codelist("ONCRSR_NTRG", "Oncology Response Assessment Result (Non-target)", "ONCRSR",
                 _responses("CR", "NON-CR/NON-PD", "PD", "NE")),
        Codelist("ONCRSR_OVR", "Oncology Response Assessment Result (Overall)", "ONCRSR",
                 _responses("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")),
        Codelist("ONCRSCAT", "Category of Oncology Response Assessment", "ONCRSCAT", terms("RECIST 1.1")),
        Codelist("EVAL", "Evaluator", "EVAL", terms("INVESTIGATOR")),
        Codelist("DSCAT", "Category of Disposition Event", "DSCAT", terms("DISPOSITION EVENT", "PROTOCOL MILESTONE")),
        Codelist("DSSCAT", "Subcategory for Disposition Event", "DSSCAT", terms("STUDY PARTICIPATION",
                                                                                "STUDY TREATMENT")),
        Codelist("NCOMPLT", "Completion/Reason for Non-Completion", "NCOMPLT", (
            term("COMPLETED", "", "Completed|completed|Study completed"),
            term("DEATH", "", "Death|death|Died|Death before infusion|Patient died before infusion"),
            term("LOST TO FOLLOW-UP", "", "Lost to follow-up|Lost to follow up|Lost to Follow-up|LTFU"),
            term("WITHDRAWAL OF CONSENT", "", "Withdrew consent|Withdrawal of consent|Consent withdrawn"),
            term("WITHDRAWAL BY SUBJECT", "", "Withdrawal by subject|Subject withdrew consent"),
            term("PROGRESSIVE DISEASE", "", "Progression|progression|Disease progression|Progressive disease|"
                 "Rapid disease progression|Disease progression before infusion"),
            term("ADVERSE EVENT", "", "Adverse event|AE"),
            term("PHYSICIAN DECISION", "", "Physician decision|Investigator decision"),
            term("MANUFACTURING FAILURE", "", "Manufacturing failure|manufacturing failure|"
                 "Product manufacturing failure|Out of specification product|CAR-T product failed release testing",
                 extension=True))),
        Codelist("PROTMLST", "Protocol Milestone", "PROTMLST", terms("INFORMED CONSENT OBTAINED",
                                                                    "ELIGIBILITY CRITERIA MET")),
        Codelist("IECAT", "Category of Inclusion/Exclusion", "IECAT", (
            term("EXCLUSION", "", "Exclusion|EXCLUSION"), term("INCLUSION", "", "Inclusion|INCLUSION"))),
        Codelist("IETESTCD", "Inclusion/Exclusion Criterion Short Name", None, tuple(
            term(c["IETESTCD"], c["IETEST"]) for c in CRITERIA)),
        Codelist("MHCAT", "Category for Medical History", None, terms("PRIMARY DIAGNOSIS")),
        Codelist("TUMTYPE", "Primary Tumor Type", None, (
            term("MESOTHELIOMA", "", "mesothelioma|Mesothelioma|Malignant pleural mesothelioma|"
                 "Pleural mesothelioma|Peritoneal mesothelioma|Mesothelioma, epithelioid"),
            term("OVARIAN CANCER", "", "ovarian|Ovarian cancer|Ovarian carcinoma|Epithelial ovarian cancer|"
                 "ovarian ca|High-grade serous ovarian carcinoma"),
            term("PANCREATIC CANCER", "", "pancreatic|Pancreatic cancer|Pancreatic adenocarcinoma|"
                 "Pancreatic ductal adenocarcinoma"),
            term("LUNG CANCER", "", "lung|Lung cancer|Lung adenocarcinoma|NSCLC|Non-small cell lung cancer"))),
        Codelist("CMCAT", "Category for Medication", None, (
            term("CONCOMITANT MEDICATION", "", "Concomitant medication"),
            term("SUBSEQUENT ANTI-CANCER THERAPY", "", "Subsequent anti-cancer therapy"))),
        Codelist("RELTYPE", "Relationship Type", "RELTYPE", terms("ONE", "MANY")),
        Codelist("DOMAIN", "SDTM Domain Abbreviation", "DOMAIN", terms("AE", "DM", "RS", "TR", "TU")),
        Codelist("TSPARMCD", "Trial Summary Parameter Test Code", "TSPARMCD", tuple(
            term(p, paired_name(ct, "TSPARMCD", "TSPARM", p)) for p in ts_parameters)),
        Codelist("TSPARM", "Trial Summary Parameter Test Name", "TSPARM", tuple(
            term(paired_name(ct, "TSPARMCD", "TSPARM", p)) for p in ts_parameters)),
    ]


DICTIONARIES: list[Row] = [
    {"ID": "MEDDRA", "Name": "MedDRA", "Data Type": "text", "Dictionary": "MedDRA", "Version": "27.0"},
    {"ID": "CTCAE", "Name": "CTCAE grade", "Data Type": "text", "Dictionary": "CTCAE", "Version": "4.0"},
    {"ID": "COUNTRY", "Name": "ISO 3166-1 alpha-3", "Data Type": "text", "Dictionary": "ISO 3166",
     "Version": "2020"},
]


def sdtm_codelist_rows(ct: Terminology, ts_parameters: list[str]) -> list[Row]:
    lists = [Codelist(cl.id, cl.name, cl.cdisc, cl.terms, cl.data_type, cl.package, STD_CT_SDTM)
             for cl in sdtm_codelists(ct, ts_parameters)]
    return codelist_rows(lists, {"sdtm": ct})
