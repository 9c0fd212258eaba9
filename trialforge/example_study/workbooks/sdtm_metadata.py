"""SDTM spec metadata besides datasets and variables: value-level rows, methods, comments, documents."""

from __future__ import annotations

from trialforge.example_study.workbooks.common import FORM_PAGES, Row, pipe_table
from trialforge.example_study.workbooks.lab_tests import LAB_TESTS

# Dataset | Variable | Where Clause | Label | Data Type | Significant Digits | Codelist | Origin | Source form | Method
_VLM = """
SUPPDM | QVAL     | QNAM EQ PROTVER  | Protocol Version Consented              | text    |   |             | Collected | ENR |
SUPPDM | QVAL     | QNAM EQ DXSTAGE  | Disease Stage at Screening              | text    |   |             | Collected | DX  |
SUPPDM | QVAL     | QNAM EQ MSLNPCT  | Mesothelin IHC Positive Tumor Cells (%) | integer |   |             | Collected | DX  |
SUPPDM | QVAL     | QNAM EQ PRIORLN  | Number of Prior Systemic Therapy Lines  | integer |   |             | Collected | DX  |
SUPPDM | QVAL     | QNAM EQ DTHCAUS  | Primary Cause of Death                  | text    |   |             | Collected | DTH |
SUPPAE | QVAL     | QNAM EQ AEASTCGR | ASTCT Consensus Grade                   | text    |   | ASTCTGR     | Collected | AE  |
SUPPAE | QVAL     | QNAM EQ AERELLD  | Relationship to Lymphodepletion         | text    |   | AEREL       | Collected | AE  |
SUPPAE | QVAL     | QNAM EQ AETRTEM  | Treatment Emergent Flag                 | text    |   | NY          | Derived   |     | MT.AETRTEM
DS     | DSDECOD  | DSCAT EQ "DISPOSITION EVENT"  | Standardized Disposition Term | text |  | NCOMPLT     | Collected | EOT DS |
DS     | DSDECOD  | DSCAT EQ "PROTOCOL MILESTONE" | Standardized Disposition Term | text |  | PROTMLST    | Assigned  |     |
CP     | CPORRES  | CPTESTCD EQ TLSTLY | CAR+ T Cells of CD3+ T Cells (%)      | text    |   |             | Collected | CP  |
CP     | CPSTRESN | CPTESTCD EQ TLSTLY | CAR+ T Cells of CD3+ T Cells (%)      | float   | 1 |             | Derived   |     | MT.STRESN
PC     | PCORRES  | PCTESTCD EQ APD1AB | Secreted Anti-PD-1 Antibody (ug/L)    | text    |   |             | Collected | PC  |
PC     | PCSTRESN | PCTESTCD EQ APD1AB | Secreted Anti-PD-1 Antibody (ug/L)    | float   | 2 |             | Derived   |     | MT.STRESN
TR     | TRORRES  | TRTESTCD IN (LDIAM, LPERP, SUMDIAM) | Lesion Diameter (mm) | text    |   |             | Collected | TL RS |
TR     | TRORRES  | TRTESTCD EQ TUMSTATE | Tumor State                         | text    |   |             | Collected | NTL NL |
TR     | TRSTRESC | TRTESTCD IN (LDIAM, LPERP, SUMDIAM) | Lesion Diameter (mm) | text    |   |             | Derived   |     | MT.STRESC
TR     | TRSTRESC | TRTESTCD EQ TUMSTATE | Tumor State                         | text    |   | TRPROPRS    | Collected | NTL NL |
TR     | TRSTRESN | TRTESTCD IN (LDIAM, LPERP, SUMDIAM) | Lesion Diameter (mm) | float   | 0 |             | Derived   |     | MT.STRESN
RS     | RSORRES  | RSTESTCD EQ TRGRESP  | Target Response                     | text    |   |             | Collected | RS  |
RS     | RSORRES  | RSTESTCD EQ NTRGRESP | Non-target Response                 | text    |   |             | Collected | RS  |
RS     | RSORRES  | RSTESTCD EQ NEWLIND  | New Lesion Indicator                | text    |   |             | Collected | RS  |
RS     | RSORRES  | RSTESTCD EQ OVRLRESP | Overall Response                    | text    |   |             | Collected | RS  |
RS     | RSSTRESC | RSTESTCD EQ TRGRESP  | Target Response                     | text    |   | ONCRSR_TRG  | Collected | RS  |
RS     | RSSTRESC | RSTESTCD EQ NTRGRESP | Non-target Response                 | text    |   | ONCRSR_NTRG | Collected | RS  |
RS     | RSSTRESC | RSTESTCD EQ NEWLIND  | New Lesion Indicator                | text    |   | NY          | Collected | RS  |
RS     | RSSTRESC | RSTESTCD EQ OVRLRESP | Overall Response                    | text    |   | ONCRSR_OVR  | Collected | RS  |
"""
_VLM_COLUMNS = ("Dataset", "Variable", "Where Clause", "Label", "Data Type", "Significant Digits", "Codelist",
                "Origin", "Forms", "Method")


def _pages(forms: str) -> str:
    return " ".join(FORM_PAGES[f] for f in forms.split())


def _vlm_row(r: dict[str, str]) -> Row:
    numeric = r["Data Type"] in ("integer", "float")
    return {
        "Dataset": r["Dataset"], "Variable": r["Variable"], "Where Clause": r["Where Clause"], "Label": r["Label"],
        "Data Type": r["Data Type"], "Length": "8" if numeric else "", "Significant Digits": r["Significant Digits"],
        "Mandatory": "No", "Codelist": r["Codelist"], "Origin": r["Origin"],
        "Source": {"Collected": "Vendor" if r["Dataset"] in ("CP", "PC") else "Investigator",
                   "Assigned": "Sponsor"}.get(r["Origin"], ""),
        "Pages": _pages(r["Forms"]) if r["Origin"] == "Collected" else "", "Method": r["Method"],
    }


def valuelevel_rows(lb_names: dict[str, str]) -> list[Row]:
    """ValueLevel rows: LB by test first (built from the lab test catalog), then the table above."""
    rows: list[Row] = []
    for t in LAB_TESTS:
        name = lb_names[t.testcd]
        rows.append({"Dataset": "LB", "Variable": "LBORRES", "Where Clause": f"LBTESTCD EQ {t.testcd}",
                     "Label": f"{name} result"[:40], "Data Type": "text", "Mandatory": "No",
                     "Origin": "Collected", "Source": "Investigator", "Pages": FORM_PAGES["LB"]})
    for t in LAB_TESTS:
        name = lb_names[t.testcd]
        rows.append({"Dataset": "LB", "Variable": "LBSTRESN", "Where Clause": f"LBTESTCD EQ {t.testcd}",
                     "Label": f"{name} ({t.unit})"[:40], "Data Type": "float", "Length": "8",
                     "Significant Digits": str(t.digits), "Mandatory": "No", "Origin": "Derived",
                     "Method": "MT.STRESN"})
    rows += [_vlm_row(r) for r in pipe_table(_VLM, _VLM_COLUMNS)]
    order: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["Dataset"], row["Variable"])
        order[key] = order.get(key, 0) + 1
        row["Order"] = str(order[key])
    return rows


METHODS = pipe_table("""
MT.USUBJID    | Algorithm for USUBJID  | Computation | USUBJID is STUDYID, a hyphen and the subject number as shown on the CRF (EDC Subject), e.g. MESOCART-PD1-01-005.
MT.SEQ        | Algorithm for --SEQ    | Computation | --SEQ numbers the records of a subject 1, 2, ... after sorting them by the Key Variables of the dataset; ties are broken by the remaining variables, never by extract order.
MT.DY         | Algorithm for --DY     | Computation | Study day of a date relative to DM.RFSTDTC (the CAR-T infusion): date - RFSTDTC + 1 when on or after RFSTDTC, date - RFSTDTC when before. There is no day 0. Null when either date is incomplete.
MT.EPOCH      | Algorithm for EPOCH    | Computation | EPOCH of the subject's element in SE whose start and end contain the record's date (--DTC for findings, --STDTC for events and interventions). A date on the day one element ends and the next starts belongs to the later element. Null for incomplete dates and dates before the first element.
MT.VISIT      | Algorithm for VISITNUM, VISIT and VISITDY | Computation | Planned visits take VISITNUM, VISIT and VISITDY from TV through the EDC folder (TV FOLDER column of the spec). Unscheduled visits (EDC folder UNS) take the VISITNUM of the preceding planned visit by date plus 0.01 per unscheduled visit in date order, VISIT = UNSCHEDULED followed by that number, and a null VISITDY.
MT.LOBXFL     | Algorithm for --LOBXFL | Computation | Y on the last record per subject and test (per lesion for TU and TR) with a non-missing result whose date is before DM.RFXSTDTC (first lymphodepletion dose); null otherwise. A date-only record on the day of RFXSTDTC counts as before exposure.
MT.STRESU     | Algorithm for --STRESU | Computation | The standard unit of the test (LB per test; CP %, PC ug/L, TR mm) for every record with a numeric result.
MT.STRESC     | Algorithm for --STRESC | Computation | The result in the standard unit as text: numeric results in another unit are multiplied by the conversion factor of the Mapping sheet; a comparison qualifier (<, >) is kept; text results are copied; TOO SMALL TO MEASURE becomes 5 (mm) per RECIST 1.1.
MT.STRESN     | Algorithm for --STRESN | Computation | The numeric value of --STRESC when it is a number without qualifier; null otherwise.
MT.STNR       | Algorithm for --STNRLO and --STNRHI | Computation | The reference range limit in original units converted to the standard unit with the factor used for the result.
MT.NRIND      | Algorithm for --NRIND  | Computation | LOW when --STRESN is below --STNRLO, HIGH when above --STNRHI, NORMAL otherwise; null when the result or both limits are missing.
MT.DM.RFSTDTC | Algorithm for RFSTDTC  | Computation | Start date and time of the CAR-T infusion (EX where EXCAT = CAR-T); for a subject never infused, the first lymphodepletion dose (RFXSTDTC), so that exposure has study days.
MT.DM.RFENDTC | Algorithm for RFENDTC  | Computation | Date of the end-of-study disposition (DS where DSSCAT = STUDY PARTICIPATION); when missing, RFXENDTC.
MT.DM.RFXSTDTC | Algorithm for RFXSTDTC | Computation | Earliest EXSTDTC of the subject: the first lymphodepletion dose.
MT.DM.RFXENDTC | Algorithm for RFXENDTC | Computation | Latest EXSTDTC of the subject: the CAR-T infusion, or the last lymphodepletion dose when not infused.
MT.DM.RFPENDTC | Algorithm for RFPENDTC | Computation | Latest date of any record of the subject in any domain (end of participation).
MT.DM.DTHFL   | Algorithm for DTHFL    | Computation | Y when DTHDTC is present, when DS has a DEATH record or when an AE has AEOUT = FATAL or AESDTH = Y; null otherwise.
MT.DM.ARM     | Algorithm for ARMCD, ARM, ACTARMCD and ACTARM | Computation | Subjects who underwent leukapheresis (PR) are assigned to the single arm MESOCART. ACTARMCD and ACTARM are MESOCART when the subject received the CAR-T infusion (EX CAR-T), null otherwise.
MT.DM.ARMNRS  | Algorithm for ARMNRS and ACTARMUD | Computation | When ARMCD is null: SCREEN FAILURE. When ACTARMCD is null: ASSIGNED, NOT TREATED if the subject received no study treatment; UNPLANNED TREATMENT if lymphodepletion was given without CAR-T infusion, with ACTARMUD = LYMPHODEPLETION ONLY, NO CAR-T INFUSION.
MT.AETRTEM    | Algorithm for AETRTEM  | Computation | Y when the AE start date is on or after the first lymphodepletion dose (DM.RFXSTDTC), compared by date; N when it is before; null when a partial start date falls in the month (or year) of the first dose, which the ADAE imputation decides.
MT.IE.IETEST  | Algorithm for IETEST   | Computation | The criterion text of TI for the record's IETESTCD.
MT.IE.IEORRES | Algorithm for IEORRES and IESTRESC | Computation | N for an inclusion criterion not met, Y for an exclusion criterion met.
MT.LNKID      | Algorithm for TULNKID and TRLNKID | Computation | The lesion identifier as collected (T01-T05, NT01.., NEW01..) in upper case with the number zero-padded to two digits; it links each TR measurement to its TU lesion.
MT.LNKGRP     | Algorithm for TRLNKGRP and RSLNKGRP | Computation | V followed by VISITNUM of the assessment: the TR measurements and the RS responses of one tumor assessment share the value.
MT.SE         | Algorithm for SE       | Computation | One record per element the subject entered, starting at: SCRN informed consent (RFICDTC); APH leukapheresis (PR); LD first lymphodepletion dose (EX); CART start of infusion (EX); FU one day after the infusion. Each element ends when the next starts; the last ends at RFPENDTC. Elements without a start date are omitted.
MT.RELREC     | Algorithm for RELREC   | Computation | Dataset-level relationships: TU.TULNKID (ONE) to TR.TRLNKID (MANY), relationship TUTR; TR.TRLNKGRP (MANY) to RS.RSLNKGRP (ONE), relationship TRRS.
MT.SUPP       | Algorithm for IDVARVAL | Computation | The --SEQ of the parent record made from the same raw record; null for DM-level qualifiers.
""", ("ID", "Name", "Type", "Description"))

COMMENTS = pipe_table("""
COM.DM          | One record per subject who signed informed consent. Subjects enrolled but never infused are kept, with ACTARMCD null and ARMNRS.
COM.DM.RFSTDTC  | RFSTDTC is the CAR-T infusion (protocol day 0, study day 1), or the first lymphodepletion dose for a subject never infused; RFXSTDTC is the first lymphodepletion dose. Study days count from RFSTDTC.
COM.DM.COUNTRY  | Country is collected as free text and converted to its ISO 3166-1 alpha-3 code.
COM.EX          | EX holds the lymphodepleting chemotherapy (EXCAT LYMPHODEPLETION, one record per drug per day) and the CAR-T infusion (EXCAT CAR-T). Lymphodepletion precedes the infusion (RFSTDTC), so its EXSTDY and EXENDY are negative by design (FDA FB3601 warnings expected).
COM.CP          | CAR+ T cells as a percentage of CD3+ T cells in peripheral blood by flow cytometry; CPSBMRKS identifies the mesothelin CAR.
COM.PC          | Secreted anti-PD-1 antibody in serum by ELISA. Results below the lower limit of quantitation keep the reported text in PCORRES and PCSTRESC with PCSTRESN null; the limit is in PCLLOQ.
COM.PC.PCSTRESC | Reported as collected when below the limit of quantitation (e.g. BLQ, <LLOQ).
COM.SUPPAE      | ASTCT consensus grade of cytokine release syndrome and ICANS events (AEASTCGR), relationship to lymphodepletion (AERELLD) and the treatment-emergent flag (AETRTEM).
COM.AE.AEBODSYS | The primary system organ class is the one used for analysis (AEBODSYS = AESOC).
COM.AE.AEACN    | Action taken with the CAR-T infusion, a single administration.
COM.AE.AEREL    | Relationship to the CAR-T product; relationship to lymphodepletion is in SUPPAE (QNAM AERELLD).
COM.AE.AETOXGR  | NCI CTCAE v4.0 grade; collected values such as Grade 3 are reduced to the grade number.
COM.MH.MHSCAT   | Primary tumor type grouped from the verbatim diagnosis.
COM.TR.TRTESTCD | LDIAM is the longest diameter of a non-nodal target lesion, LPERP the short axis of a nodal one; SUMDIAM is the sum of diameters recorded by the investigator; TUMSTATE is the state of a non-target or new lesion.
COM.TS.TSVAL    | SSTDTC, DCUTDTC and ACTSUB are derived from the data when the package is built. The study is ongoing at the data cut-off (ONGOSIND = Y): SENDTC has no value yet (TSVALNF NAV, ISO 21090 temporarily unavailable).
COM.TV.VISITDY  | Protocol day 0 (CAR-T infusion) is study day 1 and later protocol days shift by one, as SDTM has no day 0; days before the infusion keep their value.
""", ("ID", "Description"))

DOCUMENTS: list[Row] = [
    {"ID": "ACRF", "Title": "Annotated Case Report Form", "Href": "acrf.pdf"},
    {"ID": "CSDRG", "Title": "Clinical Study Data Reviewer's Guide", "Href": "csdrg.pdf"},
]


def method_rows() -> list[Row]:
    return [{**m, "Document": "CSDRG" if m["ID"] in ("MT.SE", "MT.DM.ARMNRS", "MT.VISIT") else ""}
            for m in METHODS]


def comment_rows() -> list[Row]:
    return [{**c, "Document": "CSDRG" if c["ID"] in ("COM.DM.RFSTDTC", "COM.TV.VISITDY") else ""}
            for c in COMMENTS]
