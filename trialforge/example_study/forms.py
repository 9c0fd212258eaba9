"""The raw EDC extract layout of the example study: one CSV per CRF form.

This is the contract between the example-study generator (which writes these files) and the
study's SDTM spec workbook (whose Mapping sheet names these forms and fields). Column names follow
the conventions of a Medidata-Rave-style export: a block of EDC context columns, then the CRF
fields in upper case. Every value is written as collected text: dates are raw strings as the site
typed them ("12 JAN 2024", "UN JAN 2024", "2024-03", "UNK-UNK-1961"), codes are free text where
the CRF had free text.
"""

from __future__ import annotations

from dataclasses import dataclass

# EDC context columns present in every form, in this order.
CONTEXT_COLUMNS: tuple[str, ...] = (
    "Project",  # EDC project name
    "SiteNumber",  # site number as text, e.g. "01"
    "Subject",  # subject number as on the CRF, e.g. "01-005"
    "Folder",  # visit folder OID (see VISIT_FOLDERS); "UNS" for unscheduled; "LOG" for log forms
    "InstanceName",  # folder instance label, e.g. "Week 6", "Unscheduled 2"
    "DataPageName",  # CRF page name
    "RecordPosition",  # 0 for a single-record page; 1..n within a log page
)


@dataclass(frozen=True)
class Field:
    name: str
    description: str


@dataclass(frozen=True)
class Form:
    oid: str  # file name is <oid lowercased>.csv
    page_name: str  # value of DataPageName
    description: str
    fields: tuple[Field, ...]
    log_form: bool = False  # True: many records per subject/folder (RecordPosition 1..n)


def _f(*pairs: tuple[str, str]) -> tuple[Field, ...]:
    return tuple(Field(n, d) for n, d in pairs)


# Planned visit folders: OID, label, protocol day (CAR-T infusion is protocol day 0).
# SDTM has no day 0: protocol day 0 becomes study day 1 (see TV in the SDTM spec).
VISIT_FOLDERS: tuple[tuple[str, str, int], ...] = (
    ("SCR", "Screening", -28),
    ("APH", "Leukapheresis", -21),
    ("LD", "Lymphodepletion", -5),
    ("D0", "Day 0", 0),
    ("D1", "Day 1", 1),
    ("D4", "Day 4", 4),
    ("D7", "Day 7", 7),
    ("D14", "Day 14", 14),
    ("D21", "Day 21", 21),
    ("D28", "Day 28", 28),
    ("W6", "Week 6", 42),
    ("W12", "Week 12", 84),
    ("W18", "Week 18", 126),
    ("W24", "Week 24", 168),
    ("M9", "Month 9", 273),
    ("M12", "Month 12", 365),
    ("M15", "Month 15", 456),
    ("M18", "Month 18", 547),
    ("M21", "Month 21", 638),
    ("M24", "Month 24", 730),
)
UNSCHEDULED_FOLDER = "UNS"
LOG_FOLDER = "LOG"
# Folders at which RECIST 1.1 tumour assessments are planned (baseline at screening).
TUMOR_ASSESSMENT_FOLDERS = ("SCR", "W6", "W12", "W18", "W24", "M9", "M12", "M15", "M18", "M21", "M24")
# Folders at which CAR-T expansion (flow) and anti-PD-1 antibody (ELISA) are sampled; 6 months.
KINETICS_FOLDERS = ("LD", "D0", "D1", "D4", "D7", "D14", "D21", "D28", "W6", "W12", "W18", "W24")

FORMS: tuple[Form, ...] = (
    Form("ENR", "Enrollment", "Informed consent and enrollment (one per subject, folder SCR)", _f(
        ("ICDAT", "date informed consent signed"),
        ("ENRDAT", "date enrolled (eligibility confirmed)"),
        ("PROTVER", "protocol version consented"),
    )),
    Form("DM", "Demographics", "Demographics (one per subject, folder SCR)", _f(
        ("BRTHDAT", "birth date, often partial"),
        ("AGE", "age in years at consent as recorded"),
        ("SEX", "sex, free text (Male, M, female, ...)"),
        ("RACE", "race, free text"),
        ("ETHNIC", "ethnicity, free text"),
        ("COUNTRY", "country of site, free text"),
    )),
    Form("IE", "Eligibility", "Eligibility; one row per criterion not met (log, folder SCR)", _f(
        ("IEYN", "were all eligibility criteria met (Yes/No)"),
        ("IECAT", "INCLUSION or EXCLUSION (blank when all met)"),
        ("IETESTCD", "criterion identifier not met, e.g. IN03 (blank when all met)"),
        ("IEWAIVER", "waiver granted (Yes/No)"),
    ), log_form=True),
    Form("DX", "Primary Diagnosis", "Primary tumour diagnosis (one per subject, folder SCR)", _f(
        ("DXTERM", "primary tumour type, free text (mesothelioma, ovarian, pancreatic, lung)"),
        ("DXDAT", "date of initial diagnosis, often partial"),
        ("DXSTAGE", "stage at screening, free text"),
        ("MSLNPCT", "mesothelin IHC, % tumour cells positive"),
        ("PRIORLN", "number of prior systemic lines"),
    )),
    Form("APH", "Leukapheresis", "Leukapheresis procedure (folder APH)", _f(
        ("APHDAT", "date of leukapheresis"),
        ("APHSTTIM", "start time HH:MM"),
        ("APHVOL", "blood volume processed (L)"),
    )),
    Form("LD", "Lymphodepletion", "Lymphodepleting chemotherapy, one row per drug per day (log, folder LD)", _f(
        ("LDTRT", "drug, free text spelling (Fludarabine, FLU, cyclophosphamide, Cy, ...)"),
        ("LDDOSE", "dose given"),
        ("LDDOSU", "dose unit as written (mg/m2)"),
        ("LDROUTE", "route (IV)"),
        ("LDDAT", "date given"),
        ("LDPDAY", "protocol day (-5, -4, -3)"),
    ), log_form=True),
    Form("INF", "CAR-T Infusion", "CAR-T cell infusion (folder D0); absent for never-infused", _f(
        ("INFDAT", "infusion date"),
        ("INFSTTIM", "infusion start time HH:MM"),
        ("INFDOSE", "total CAR-T cells infused, in units of INFDOSU"),
        ("INFDOSU", "dose unit as written (x10^6 cells)"),
        ("INFLOT", "product lot number"),
    )),
    Form("AE", "Adverse Events", "Adverse events, MedDRA-coded by the coding team (log)", _f(
        ("AETERM", "verbatim term"),
        ("AELLT", "MedDRA lowest level term"), ("AELLTCD", "LLT code"),
        ("AEDECOD", "MedDRA preferred term"), ("AEPTCD", "PT code"),
        ("AEHLT", "high level term"), ("AEHLTCD", "HLT code"),
        ("AEHLGT", "high level group term"), ("AEHLGTCD", "HLGT code"),
        ("AESOC", "primary system organ class"), ("AESOCCD", "SOC code"),
        ("AESTDAT", "start date, may be partial"),
        ("AEENDAT", "end date, may be partial or blank"),
        ("AEONGO", "ongoing (Yes/No)"),
        ("AETOXGR", "CTCAE v4.0 grade as written (\"3\", \"Grade 3\")"),
        ("AEASTCGR", "ASTCT consensus grade for CRS/ICANS, blank otherwise"),
        ("AESER", "serious (Yes/No)"),
        ("AESDTH", "results in death (Yes/No)"), ("AESLIFE", "life threatening (Yes/No)"),
        ("AESHOSP", "hospitalisation (Yes/No)"), ("AESDISAB", "disability (Yes/No)"),
        ("AESCONG", "congenital anomaly (Yes/No)"), ("AESMIE", "other medically important (Yes/No)"),
        ("AEREL", "relationship to CAR-T, free text (Related, Possibly related, Not related, ...)"),
        ("AERELLD", "relationship to lymphodepletion, free text"),
        ("AEACN", "action taken with study treatment, free text"),
        ("AEOUT", "outcome, free text"),
    ), log_form=True),
    Form("LB", "Local Laboratory", "Haematology, chemistry and CRS-marker results (per visit, log)", _f(
        ("LBDAT", "collection date"), ("LBTIM", "collection time HH:MM"),
        ("LBCAT", "panel: HEMATOLOGY, CHEMISTRY, CRS MARKERS"),
        ("LBTEST", "test name, free text"),
        ("LBORRES", "result as recorded"), ("LBORRESU", "unit as recorded"),
        ("LBORNRLO", "normal range lower limit"), ("LBORNRHI", "normal range upper limit"),
        ("LBNDYN", "not done (Yes/blank)"), ("LBREASND", "reason not done"),
    ), log_form=True),
    Form("CP", "CAR-T Expansion", "CAR+ T cells in blood by flow cytometry (per visit)", _f(
        ("CPDAT", "sample date"), ("CPTIM", "sample time HH:MM"),
        ("CPTEST", "analyte, free text (CAR+ T cells of CD3+ T cells)"),
        ("CPORRES", "result"), ("CPORRESU", "unit (%)"),
        ("CPNDYN", "not done (Yes/blank)"), ("CPREASND", "reason not done"),
    ), log_form=True),
    Form("PC", "Anti-PD-1 Antibody", "Secreted anti-PD-1 antibody in serum by ELISA (per visit)", _f(
        ("PCDAT", "sample date"), ("PCTIM", "sample time HH:MM"),
        ("PCORRES", "concentration as reported, or \"<LLOQ\"/\"BLQ\""),
        ("PCORRESU", "unit (ng/mL)"),
        ("PCLLOQ", "lower limit of quantitation, ng/mL"),
        ("PCNDYN", "not done (Yes/blank)"), ("PCREASND", "reason not done"),
    ), log_form=True),
    Form("TL", "Target Lesions", "RECIST 1.1 target lesions, one row per lesion per assessment (log)", _f(
        ("TLDAT", "assessment (scan) date"),
        ("TLNUM", "lesion identifier T01..T05"),
        ("TLLOC", "anatomical location, free text"),
        ("TLNODAL", "lymph node (Yes/No)"),
        ("TLMETH", "imaging method (CT, MRI, CT SCAN, ...)"),
        ("TLDIAM", "longest diameter (short axis for nodes), mm; or TOO SMALL TO MEASURE; blank if not evaluated"),
    ), log_form=True),
    Form("NTL", "Non-target Lesions", "RECIST 1.1 non-target lesions, one row per lesion per assessment (log)", _f(
        ("NTLDAT", "assessment date"),
        ("NTLNUM", "lesion identifier NT01.."),
        ("NTLLOC", "anatomical location, free text"),
        ("NTLMETH", "imaging method"),
        ("NTLSTAT", "PRESENT, ABSENT, UNEQUIVOCAL PROGRESSION, NOT EVALUATED"),
    ), log_form=True),
    Form("NL", "New Lesions", "New lesions, one row per new lesion (log)", _f(
        ("NLDAT", "assessment date"),
        ("NLNUM", "lesion identifier NEW01.."),
        ("NLLOC", "anatomical location, free text"),
        ("NLMETH", "imaging method"),
        ("NLEQUIV", "EQUIVOCAL or UNEQUIVOCAL"),
    ), log_form=True),
    Form("RS", "Tumor Response", "Investigator RECIST 1.1 response at each assessment", _f(
        ("RSDAT", "assessment date"),
        ("TLSUM", "sum of diameters recorded by investigator, mm"),
        ("TRGRESP", "target response (CR, PR, SD, PD, NE)"),
        ("NTRGRESP", "non-target response (CR, NON-CR/NON-PD, PD, NE)"),
        ("NEWLIND", "new lesions (Yes/No)"),
        ("OVRLRESP", "overall response (CR, PR, SD, PD, NE)"),
        ("RSNDYN", "assessment not done (Yes/blank)"), ("RSREASND", "reason the assessment was not done"),
    ), log_form=True),
    Form("CM", "Medications and Anti-cancer Therapy", "Concomitant medications and subsequent anti-cancer therapy (log)", _f(
        ("CMTRT", "medication or therapy, free text"),
        ("CMCAT", "CONCOMITANT MEDICATION or SUBSEQUENT ANTI-CANCER THERAPY"),
        ("CMINDC", "indication"),
        ("CMDOSTXT", "dose as text"),
        ("CMROUTE", "route, free text"),
        ("CMSTDAT", "start date, may be partial"),
        ("CMENDAT", "end date, may be partial"),
        ("CMONGO", "ongoing (Yes/No)"),
    ), log_form=True),
    Form("EOT", "Treatment Status", "Whether CAR-T was infused, and why not (one per subject)", _f(
        ("EOTSTAT", "INFUSED or NOT INFUSED"),
        ("EOTREAS", "reason not infused, free text (manufacturing failure, progression, death)"),
        ("EOTDAT", "date of decision"),
    )),
    Form("DS", "End of Study", "Study completion or discontinuation (one per subject)", _f(
        ("DSSTAT", "end-of-study status, free text (Completed, Death, Lost to follow-up, Withdrew consent)"),
        ("DSSTDAT", "date of completion or discontinuation"),
        ("DSREAS", "details"),
    )),
    Form("DTH", "Death", "Death report (one per dead subject)", _f(
        ("DTHDAT", "date of death, may be partial"),
        ("DTHCAUS", "primary cause of death, free text"),
    )),
    Form("SV", "Visit Date", "Visit date page in every visit folder", _f(
        ("VISDAT", "visit date"),
        ("VISYN", "did the visit occur (Yes/No)"),
        ("VISREAS", "reason visit did not occur"),
    )),
)

FORMS_BY_OID = {form.oid: form for form in FORMS}


def columns(form: Form) -> tuple[str, ...]:
    """All columns of a form's CSV, context first."""
    return CONTEXT_COLUMNS + tuple(f.name for f in form.fields)
