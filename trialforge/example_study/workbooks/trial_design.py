"""Trial design of the example study: TS, TA, TE, TV and TI sheet content.

TV is built from the EDC visit folders of `trialforge.example_study.forms` (copied here as data so the
spec never imports the generator): protocol day 0 (CAR-T infusion) is study day 1 and later protocol
days shift by one, because SDTM has no day 0; days before infusion keep their value.
"""

from __future__ import annotations

from trialforge.example_study.workbooks.common import ARM, ARMCD, COLUMNS, PRODUCT, SPONSOR, Row, pipe_table
from specs.terminology import CT_VERSION, Terminology

# EDC folder OID, visit label, protocol day, visit window in days (+/-).
VISIT_FOLDERS: tuple[tuple[str, str, int, int], ...] = (
    ("SCR", "Screening", -28, 0), ("APH", "Leukapheresis", -21, 0), ("LD", "Lymphodepletion", -5, 0),
    ("D0", "Day 0", 0, 0), ("D1", "Day 1", 1, 0), ("D4", "Day 4", 4, 1), ("D7", "Day 7", 7, 1),
    ("D14", "Day 14", 14, 2), ("D21", "Day 21", 21, 2), ("D28", "Day 28", 28, 3), ("W6", "Week 6", 42, 7),
    ("W12", "Week 12", 84, 7), ("W18", "Week 18", 126, 7), ("W24", "Week 24", 168, 7),
    ("M9", "Month 9", 273, 14), ("M12", "Month 12", 365, 14), ("M15", "Month 15", 456, 14),
    ("M18", "Month 18", 547, 14), ("M21", "Month 21", 638, 14), ("M24", "Month 24", 730, 14),
)


def study_day(protocol_day: int) -> int:
    """SDTM planned study day of a protocol day counted from infusion = day 0."""
    return protocol_day + 1 if protocol_day >= 0 else protocol_day


def tv_rows() -> list[Row]:
    rows = []
    for number, (folder, label, day, window) in enumerate(VISIT_FOLDERS, start=1):
        if folder == "SCR":
            start, end = "Within 28 days before CAR-T infusion (protocol day -28 to -22)", "End of screening"
        elif folder == "APH":
            start, end = "Leukapheresis, about 21 days before CAR-T infusion", "End of leukapheresis day"
        elif folder == "LD":
            start, end = "First day of lymphodepletion, 5 days before CAR-T infusion", "Last lymphodepletion dose"
        elif folder == "D0":
            start, end = "Day of CAR-T infusion (protocol day 0)", "End of infusion day"
        else:
            start = f"{day} day{'s' if day > 1 else ''} after CAR-T infusion (protocol day {day})"
            end = f"Visit window +/- {window} days" if window else "End of visit day"
        rows.append({"VISITNUM": str(number), "VISIT": label.upper(), "VISITDY": str(study_day(day)),
                     "ARMCD": ARMCD, "TVSTRL": start, "TVENRL": end, "FOLDER": folder})
    return rows


ELEMENTS = pipe_table("""
SCRN | Screening            | Informed consent                               | Leukapheresis                      | P7D
APH  | Leukapheresis        | Start of leukapheresis                         | Start of lymphodepletion           | P16D
LD   | Lymphodepletion      | First dose of fludarabine or cyclophosphamide  | Start of CAR-T infusion            | P5D
CART | CAR-T Infusion       | Start of CAR-T infusion                        | 1 day after start of CAR-T infusion | P1D
FU   | Follow-up            | 1 day after start of CAR-T infusion            | End of study (month 24), death or withdrawal | P24M
""", COLUMNS["TE"])

_EPOCHS = {"SCRN": "SCREENING", "APH": "LEUKAPHERESIS", "LD": "TREATMENT", "CART": "TREATMENT", "FU": "FOLLOW-UP"}
_TRANSITIONS = {
    "APH": "If the CAR-T product cannot be manufactured or the subject can no longer be treated, go to FU",
    "LD": "If CAR-T cells are not infused, go to FU",
}


def ta_rows() -> list[Row]:
    return [{"ARMCD": ARMCD, "ARM": ARM, "TAETORD": str(order), "ETCD": e["ETCD"], "ELEMENT": e["ELEMENT"],
             "TABRANCH": "", "TATRANS": _TRANSITIONS.get(e["ETCD"], ""), "EPOCH": _EPOCHS[e["ETCD"]]}
            for order, e in enumerate(ELEMENTS, start=1)]


EPOCHS: tuple[str, ...] = tuple(dict.fromkeys(_EPOCHS.values()))

CRITERIA = pipe_table("""
IN01 | INCLUSION | Aged 18 to 75 years at informed consent
IN02 | INCLUSION | Histologically confirmed advanced, recurrent or refractory mesothelioma, ovarian, pancreatic or non-small cell lung cancer after at least one prior line of standard systemic therapy
IN03 | INCLUSION | Mesothelin expression in at least 50% of tumor cells by immunohistochemistry
IN04 | INCLUSION | At least one measurable lesion according to RECIST 1.1
IN05 | INCLUSION | ECOG performance status 0 or 1
IN06 | INCLUSION | Life expectancy of at least 12 weeks
IN07 | INCLUSION | ANC >= 1.0 x 10^9/L, platelets >= 75 x 10^9/L, hemoglobin >= 8 g/dL, creatinine clearance >= 50 mL/min, ALT and AST <= 2.5 x ULN, total bilirubin <= 1.5 x ULN
IN08 | INCLUSION | Adequate venous access for leukapheresis and no contraindication to leukapheresis
EX01 | EXCLUSION | Active or untreated central nervous system metastases
EX02 | EXCLUSION | Prior genetically modified T-cell therapy or prior mesothelin-targeted therapy
EX03 | EXCLUSION | Active autoimmune disease that required systemic immunosuppressive treatment within the past 2 years
EX04 | EXCLUSION | Systemic corticosteroids above 10 mg/day prednisone equivalent within 14 days before leukapheresis
EX05 | EXCLUSION | Active hepatitis B, hepatitis C or HIV infection, or uncontrolled systemic infection
EX06 | EXCLUSION | NYHA class III or IV heart failure or left ventricular ejection fraction below 50%
EX07 | EXCLUSION | Symptomatic pericardial effusion or pericardial involvement by tumor
EX08 | EXCLUSION | Pregnancy or breast-feeding
""", ("IETESTCD", "IECAT", "IETEST"))


def ti_rows() -> list[Row]:
    return [{**c, "TIVERS": "1.0"} for c in CRITERIA]


# TS: parameter, value, (codelist of the value or reference), group. Values with a codelist get their
# NCI code from CT; `@data` marks values the SDTM build derives from the data (see the Mapping sheet).
_TS = pipe_table("""
TITLE    | PD-1 Antibody Expressing mesoCAR-T Cells for Mesothelin Positive Advanced Solid Tumor | |
TPHASE   | PHASE I/II TRIAL   | TPHASE   |
TTYPE    | SAFETY             | TTYPE    |
TTYPE    | EFFICACY           | TTYPE    |
TINDTP   | TREATMENT          | TINDTP   |
STYPE    | INTERVENTIONAL     | STYPE    |
INTMODEL | SINGLE GROUP       | INTMODEL |
INTTYPE  | BIOLOGIC           | INTTYPE  |
INTTYPE  | GENETIC            | INTTYPE  |
TBLIND   | OPEN LABEL         | TBLIND   |
TCNTRL   | NONE               | TCNTRL   |
RANDOM   | N                  | NY       |
ADDON    | N                  | NY       |
ADAPT    | N                  | NY       |
HLTSUBJI | N                  | NY       |
EXTTIND  | N                  | NY       |
PDSTIND  | N                  | NY       |
PDPSTIND | N                  | NY       |
PIPIND   | N                  | NY       |
RDIND    | N                  | NY       |
ONGOSIND | Y                  | NY       |
SEXPOP   | BOTH               | SEXPOP   |
AGEMIN   | P18Y               | ISO 8601 |
AGEMAX   | P75Y               | ISO 8601 |
LENGTH   | P24M               | ISO 8601 |
PLANSUB  | 50                 |          |
NARMS    | 1                  |          |
NCOHORT  | 1                  |          |
FCNTRY   | CHN                | ISO 3166 |
SPONSOR  | {sponsor}          |          |
TRT      | {product}          |          |
PCLAS    | Chimeric Antigen Receptor T-cell Therapy |    |
CURTRT   | Fludarabine and cyclophosphamide lymphodepletion before CAR-T infusion | |
THERAREA | ONCOLOGY           |          |
TDIGRP   | Mesothelin-positive advanced recurrent or refractory solid tumors | |
INDIC    | Mesothelin-positive advanced solid tumors | |
OBJPRIM  | To assess the safety of PD-1 antibody expressing mesoCAR-T cells by the incidence of treatment-related adverse events graded by NCI CTCAE v4.0 | |
OBJSEC   | To assess the objective response rate by RECIST 1.1, progression-free survival and overall survival | |
OBJSEC   | To characterize the expansion and persistence of CAR-T cells in blood and the level of secreted PD-1 antibody | |
OUTMSPRI | Incidence of treatment-related adverse events (NCI CTCAE v4.0) over 2 years | |
OUTMSSEC | Objective response rate (CR or PR by RECIST 1.1) over 2 years | |
OUTMSSEC | Progression-free survival over 2 years | |
OUTMSSEC | Overall survival over 2 years | |
OUTMSSEC | Proportion of CAR-T cells in peripheral blood by flow cytometry over 6 months | |
OUTMSSEC | Anti-PD-1 antibody level in peripheral blood by ELISA over 6 months | |
CRMDUR   | P28D               | ISO 8601 |
STOPRULE | Enrollment is paused if two of the first six infused subjects have a dose-limiting toxicity within 28 days of infusion | |
REGID    |                    |          | NI
SSTDTC   | @data              | ISO 8601 |
SENDTC   |                    | ISO 8601 | NAV
ACTSUB   | @data              |          |
DCUTDTC  | @data              | ISO 8601 |
DCUTDESC | Primary analysis data cut-off; subjects still in follow-up continue in the study | |
SDTIGVER | 3.4                |          |
SDTMVER  | 2.0                |          |
""", ("TSPARMCD", "TSVAL", "REF", "TSVALNF"))

# Parameters whose TSVAL the SDTM build derives from the data (see DERIVE_FUNCTIONS: ts_from_data).
TS_FROM_DATA: tuple[str, ...] = tuple(r["TSPARMCD"] for r in _TS if r["TSVAL"] == "@data")


def ts_rows(ct: Terminology) -> list[Row]:
    """TS sheet rows; TSPARM and the TSVALCD of coded values come from CDISC CT."""
    rows = []
    counts: dict[str, int] = {}
    for r in _TS:
        parmcd = r["TSPARMCD"]
        counts[parmcd] = counts.get(parmcd, 0) + 1
        value = r["TSVAL"].format(sponsor=SPONSOR, product=PRODUCT)
        ref = r["REF"]
        code, cdref, cdver = "", "", ""
        if ref in ("ISO 8601", "ISO 3166"):
            cdref = ref
            code = value if ref == "ISO 3166" else ""
        elif ref:
            code, cdref, cdver = ct.term_code(ref, value), "CDISC CT", CT_VERSION
        if value == "@data":
            value = ""
        rows.append({
            "TSSEQ": str(counts[parmcd]), "TSGRPID": "", "TSPARMCD": parmcd,
            "TSPARM": paired_name(ct, "TSPARMCD", "TSPARM", parmcd), "TSVAL": value, "TSVALNF": r["TSVALNF"],
            "TSVALCD": code, "TSVCDREF": cdref, "TSVCDVER": cdver,
        })
    return rows


def paired_name(ct: Terminology, code_codelist: str, name_codelist: str, value: str) -> str:
    """The test name paired with a test code (e.g. TSPARM for a TSPARMCD) through their shared NCI code."""
    names = ct.terms(name_codelist)
    return str(names[names["code"] == ct.term_code(code_codelist, value)].iloc[0]["submission_value"])
