"""The Mapping sheet of the SDTM spec: how every raw EDC field becomes SDTM (or why it does not).

Rules the SDTM engine follows (they are ours, documented in `trialforge/example_study/workbooks/README.md`):
- A row with a Source Form makes or fills records from that form's rows. For a dataset and form, the
  rows that set the dataset's topic variable define the records: one record per source row for each
  such row (its Where Clause names the record set; a blank one means one record per source row).
  Every other row of that dataset and form fills the records its Where Clause matches (blank = all).
- A row without a Source Form runs after all forms are mapped, over the records its Where Clause matches.
- Condition filters the source rows a row uses: a test in the spec's expression language over raw field
  names (`AEONGO == 'Yes'`, `NTRGRESP is not null`); a record is made only from source rows that pass the
  Condition of its topic-variable row.
- Subject-level datasets (DM) have one record per subject: their forms are joined on Subject.
- `supp` rows name their parent dataset; Variable is the QNAM; the value goes to SUPP-- linked to the
  parent record made from the same source row.
"""

from __future__ import annotations

from trialforge.example_study.workbooks.common import PRODUCT, STUDYID, Row, pipe_table
from trialforge.example_study.workbooks.lab_tests import LAB_TESTS
from trialforge.example_study.workbooks.trial_design import TS_FROM_DATA

# Every `derive` function the SDTM Mapping sheet names, with what it computes.
DERIVE_FUNCTIONS: dict[str, str] = {
    "usubjid": "USUBJID = STUDYID-Subject, from the EDC Subject column",
    "seq": "--SEQ = 1..n per USUBJID after sorting by the dataset's Key Variables",
    "study_day": "--DY from the date in `dtc` and DM.RFSTDTC (no day 0; null for partial dates)",
    "epoch": "EPOCH of the subject's SE element containing the date in `dtc`",
    "visit": "VISITNUM/VISIT/VISITDY from TV through the form's Visit Column (the TV FOLDER column maps EDC "
             "folders); unscheduled folders numbered between the planned visits around the date in `dtc` "
             "(VISITDY null)",
    "lobxfl": "--LOBXFL = Y on the last record before DM.RFXSTDTC with a result, per USUBJID and `by`",
    "stresu": "--STRESU = `unit`; `from` lists other units as unit:factor[:offset] (standard = collected x "
              "factor + offset)",
    "stresc": "--STRESC from --ORRES in the standard unit (numbers converted, qualifiers such as < kept; "
              "`too_small` = value for TOO SMALL TO MEASURE)",
    "stresn": "--STRESN = numeric --STRESC without a qualifier",
    "stnr": "--STNRLO/--STNRHI = the original range limit in `orres` converted like the result",
    "nrind": "--NRIND = LOW/NORMAL/HIGH comparing --STRESN with --STNRLO/--STNRHI",
    "toxgr": "AETOXGR = the grade number 1-5 of a raw grade such as 'Grade 3' or '3'",
    "iso3166_alpha3": "ISO 3166-1 alpha-3 code of a country name or code as collected",
    "reference_date": "the first (or last, pick=last) complete date per subject among the `date` variables of "
                      "the `domain` records that `where` selects (domain=*: every domain, the date kept as "
                      "collected, time included)",
    "expression": "the value of the expression `expr` over the record's own variables",
    "dthfl": "DTHFL = Y when DM.DTHDTC is present, a DS DEATH record or a fatal AE exists",
    "armcd": "ARMCD/ARM from leukapheresis (PR), ACTARMCD/ACTARM from the CAR-T infusion (EX); ARMNRS: "
             "NOT ASSIGNED, ASSIGNED, NOT TREATED or (lymphodepletion only) UNPLANNED TREATMENT with ACTARMUD "
             "(see MT.DM.ARMNRS)",
    "ietest": "IETEST = TI.IETEST of the record's IETESTCD",
    "tu_lnkid": "--LNKID = the lesion identifier as collected, upper case, number zero-padded (T1 -> T01)",
    "lnkgrp": "--LNKGRP = 'V' + VISITNUM of the assessment: groups TR measurements with the RS response",
    "subject_elements": "SE records from element start dates, `starts` = ETCD:DOMAIN.VARIABLE[VAR=VALUE]+DAYS "
                        "items (earliest such date per subject); each element ends where the next starts, "
                        "the last at RFPENDTC",
    "relrec_links": "RELREC dataset-level records for each link in `links` (DOMAIN.IDVAR:RELTYPE pairs)",
    "ts_from_data": "TSVAL from the data: SSTDTC = earliest RFICDTC, SENDTC and DCUTDTC = latest RFPENDTC, "
                    "ACTSUB = number of subjects with ARMCD",
}

_COLUMNS = ("Dataset", "Variable", "Source Form", "Source Field", "Algorithm", "Arguments", "Where Clause",
            "Condition", "Comment")


def _identity(dataset: str, form: str) -> list[Row]:
    return [
        {"Dataset": dataset, "Variable": "STUDYID", "Source Form": form, "Algorithm": "hardcode_no_ct",
         "Arguments": f"value={STUDYID}"},
        {"Dataset": dataset, "Variable": "DOMAIN", "Source Form": form, "Algorithm": "hardcode_no_ct",
         "Arguments": f"value={dataset}"},
        {"Dataset": dataset, "Variable": "USUBJID", "Source Form": form, "Source Field": "Subject",
         "Algorithm": "derive", "Arguments": "function=usubjid"},
    ]


def _visit(dataset: str, form: str, dtc: str | None) -> list[Row]:
    args = f"function=visit; dtc={dtc}" if dtc else "function=visit"
    return [{"Dataset": dataset, "Variable": v, "Source Form": form, "Source Field": "Folder",
             "Algorithm": "derive", "Arguments": args} for v in ("VISITNUM", "VISIT", "VISITDY")]


def _expand(dataset: str, text: str) -> list[Row]:
    rows: list[Row] = []
    for line in text.strip("\n").splitlines():
        parts = line.split()
        if line.startswith("@ID"):
            rows += _identity(dataset, parts[1])
        elif line.startswith("@VISIT"):
            rows += _visit(dataset, parts[1], parts[2] if len(parts) > 2 else None)
        elif line.startswith("@SEQ"):
            rows.append({"Dataset": dataset, "Variable": f"{dataset}SEQ", "Algorithm": "derive",
                         "Arguments": "function=seq"})
        elif line.startswith("@DY"):  # @DY DYVAR DTCVAR
            rows.append({"Dataset": dataset, "Variable": parts[1], "Algorithm": "derive",
                         "Arguments": f"function=study_day; dtc={parts[2]}"})
        elif line.startswith("@EPOCH"):  # @EPOCH [DTCVAR]: without one, the date of the record's visit
            rows.append({"Dataset": dataset, "Variable": "EPOCH", "Algorithm": "derive",
                         "Arguments": f"function=epoch; dtc={parts[1]}" if len(parts) > 1 else "function=epoch"})
        else:
            rows += [{"Dataset": dataset, **r} for r in pipe_table(line, _COLUMNS[1:])]
    return rows


_NOT_DONE = "hardcode_ct | value=NOT DONE"

MAPPING: dict[str, str] = {
    "DM": """
@ID DM
SUBJID   | DM   | Subject   | assign_no_ct
SITEID   | DM   | SiteNumber | assign_no_ct
BRTHDTC  | DM   | BRTHDAT   | assign_datetime
AGE      | DM   | AGE       | assign_numeric
AGEU     | DM   |           | hardcode_ct    | value=YEARS
SEX      | DM   | SEX       | assign_ct
RACE     | DM   | RACE      | assign_ct
ETHNIC   | DM   | ETHNIC    | assign_ct
COUNTRY  | DM   | COUNTRY   | derive         | function=iso3166_alpha3
RFICDTC  | ENR  | ICDAT     | assign_datetime
DTHDTC   | DTH  | DTHDAT    | assign_datetime
RFSTDTC  |      |           | derive         | function=reference_date; domain=EX; date=EXSTDTC; where=EXCAT == 'CAR-T'
RFXSTDTC |      |           | derive         | function=reference_date; domain=EX; date=EXSTDTC
RFSTDTC  |      |           | derive         | function=expression; expr=coalesce(RFSTDTC, RFXSTDTC)
RFXENDTC |      |           | derive         | function=reference_date; domain=EX; date=EXENDTC; pick=last
RFENDTC  |      |           | derive         | function=reference_date; domain=DS; date=DSSTDTC; pick=last; where=DSSCAT == 'STUDY PARTICIPATION'
RFENDTC  |      |           | derive         | function=expression; expr=coalesce(RFENDTC, RFXENDTC)
RFPENDTC |      |           | derive         | function=reference_date; domain=*; pick=last
DTHFL    |      |           | derive         | function=dthfl
ARMCD    |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
ARM      |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
ACTARMCD |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
ACTARM   |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
ARMNRS   |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
ACTARMUD |      |           | derive         | function=armcd; assigned_in=PR; full_treatment=EXCAT == 'CAR-T'; partial_description=LYMPHODEPLETION ONLY, NO CAR-T INFUSION
PROTVER  | ENR  | PROTVER   | supp           | qnam=PROTVER; qlabel=Protocol Version Consented; qorig=Collected
DXSTAGE  | DX   | DXSTAGE   | supp           | qnam=DXSTAGE; qlabel=Disease Stage at Screening; qorig=Collected
MSLNPCT  | DX   | MSLNPCT   | supp           | qnam=MSLNPCT; qlabel=Mesothelin IHC Positive Tumor Cells (%); qorig=Collected
PRIORLN  | DX   | PRIORLN   | supp           | qnam=PRIORLN; qlabel=Number of Prior Systemic Therapy Lines; qorig=Collected
DTHCAUS  | DTH  | DTHCAUS   | supp           | qnam=DTHCAUS; qlabel=Primary Cause of Death; qorig=Collected
""",
    "AE": """
@ID AE
AETERM   | AE | AETERM   | assign_no_ct
AELLT    | AE | AELLT    | assign_no_ct
AELLTCD  | AE | AELLTCD  | assign_numeric
AEDECOD  | AE | AEDECOD  | assign_no_ct
AEPTCD   | AE | AEPTCD   | assign_numeric
AEHLT    | AE | AEHLT    | assign_no_ct
AEHLTCD  | AE | AEHLTCD  | assign_numeric
AEHLGT   | AE | AEHLGT   | assign_no_ct
AEHLGTCD | AE | AEHLGTCD | assign_numeric
AEBODSYS | AE | AESOC    | assign_no_ct   | | | | Primary SOC is the SOC used for analysis
AEBDSYCD | AE | AESOCCD  | assign_numeric
AESOC    | AE | AESOC    | assign_no_ct
AESOCCD  | AE | AESOCCD  | assign_numeric
AESER    | AE | AESER    | assign_ct
AEACN    | AE | AEACN    | assign_ct
AEREL    | AE | AEREL    | assign_ct
AEOUT    | AE | AEOUT    | assign_ct
AESCONG  | AE | AESCONG  | assign_ct
AESDISAB | AE | AESDISAB | assign_ct
AESDTH   | AE | AESDTH   | assign_ct
AESHOSP  | AE | AESHOSP  | assign_ct
AESLIFE  | AE | AESLIFE  | assign_ct
AESMIE   | AE | AESMIE   | assign_ct
AETOXGR  | AE | AETOXGR  | derive         | function=toxgr
AESTDTC  | AE | AESTDAT  | assign_datetime
AEENDTC  | AE | AEENDAT  | assign_datetime
AEENRTPT | AE | AEONGO   | hardcode_ct    | value=ONGOING        | | AEONGO == 'Yes'
AEENTPT  | AE | AEONGO   | hardcode_no_ct | value=END OF STUDY   | | AEONGO == 'Yes'
AEASTCGR | AE | AEASTCGR | supp           | qnam=AEASTCGR; qlabel=ASTCT Consensus Grade; qorig=Collected
AERELLD  | AE | AERELLD  | supp           | qnam=AERELLD; qlabel=Relationship to Lymphodepletion; qorig=Collected
@EPOCH AESTDTC
@DY AESTDY AESTDTC
@DY AEENDY AEENDTC
@SEQ
AETRTEM  |    |          | derive         | function=expression; expr=case when substr(AESTDTC, 1, 10) >= substr(DM.RFXSTDTC, 1, 10) then 'Y' when AESTDTC < substr(DM.RFXSTDTC, 1, length(AESTDTC)) then 'N' end; qnam=AETRTEM; qlabel=Treatment Emergent Flag; qorig=Derived; qeval=SPONSOR | | | TEAE: onset on or after the first lymphodepletion dose (RFXSTDTC), by date; null when a partial start date leaves it open
""",
    "EX": f"""
@ID LD
@ID INF
EXTRT    | LD  | LDTRT    | assign_ct
EXCAT    | LD  |          | hardcode_ct    | value=LYMPHODEPLETION
EXDOSE   | LD  | LDDOSE   | assign_numeric
EXDOSU   | LD  | LDDOSU   | assign_ct
EXDOSFRM | LD  |          | hardcode_ct    | value=INJECTION, SOLUTION
EXDOSFRQ | LD  |          | hardcode_ct    | value=QD
EXROUTE  | LD  | LDROUTE  | assign_ct
EXSTDTC  | LD  | LDDAT    | assign_datetime
EXENDTC  | LD  | LDDAT    | assign_datetime
LDPDAY   | LD  | LDPDAY   | not_submitted  | reason=Protocol day of dosing is implied by EXSTDTC and the infusion date (EXSTDY)
EXTRT    | INF |          | hardcode_ct    | value={PRODUCT}
EXCAT    | INF |          | hardcode_ct    | value=CAR-T
EXDOSE   | INF | INFDOSE  | assign_numeric
EXDOSU   | INF | INFDOSU  | assign_ct
EXDOSFRM | INF |          | hardcode_ct    | value=INJECTION, SUSPENSION
EXDOSFRQ | INF |          | hardcode_ct    | value=ONCE
EXROUTE  | INF |          | hardcode_ct    | value=INTRAVENOUS
EXLOT    | INF | INFLOT   | assign_no_ct
EXSTDTC  | INF | INFDAT   | assign_datetime | time=INFSTTIM
EXENDTC  | INF | INFDAT   | assign_datetime
@EPOCH EXSTDTC
@DY EXSTDY EXSTDTC
@DY EXENDY EXENDTC
@SEQ
""",
    "CM": """
@ID CM
CMTRT    | CM | CMTRT    | assign_no_ct
CMCAT    | CM | CMCAT    | assign_ct
CMINDC   | CM | CMINDC   | assign_no_ct
CMDOSTXT | CM | CMDOSTXT | assign_no_ct
CMROUTE  | CM | CMROUTE  | assign_ct
CMSTDTC  | CM | CMSTDAT  | assign_datetime
CMENDTC  | CM | CMENDAT  | assign_datetime
CMENRTPT | CM | CMONGO   | hardcode_ct    | value=ONGOING      | | CMONGO == 'Yes'
CMENTPT  | CM | CMONGO   | hardcode_no_ct | value=END OF STUDY | | CMONGO == 'Yes'
@EPOCH CMSTDTC
@DY CMSTDY CMSTDTC
@DY CMENDY CMENDTC
@SEQ
""",
    "PR": """
@ID APH
PRTRT    | APH |          | hardcode_no_ct | value=LEUKAPHERESIS
PRSTDTC  | APH | APHDAT   | assign_datetime | time=APHSTTIM
APHVOL   | APH | APHVOL   | not_submitted  | reason=Volume processed is a manufacturing parameter, kept with the product batch record
@VISIT APH PRSTDTC
@EPOCH PRSTDTC
@DY PRSTDY PRSTDTC
@SEQ
""",
    "DS": """
@ID ENR
@ID EOT
@ID DS
DSTERM   | ENR |          | hardcode_no_ct | value=INFORMED CONSENT OBTAINED | DSDECOD EQ "INFORMED CONSENT OBTAINED"
DSDECOD  | ENR |          | hardcode_ct    | value=INFORMED CONSENT OBTAINED | DSDECOD EQ "INFORMED CONSENT OBTAINED"
DSSTDTC  | ENR | ICDAT    | assign_datetime |                                | DSDECOD EQ "INFORMED CONSENT OBTAINED"
DSTERM   | ENR |          | hardcode_no_ct | value=ELIGIBILITY CRITERIA MET  | DSDECOD EQ "ELIGIBILITY CRITERIA MET"
DSDECOD  | ENR |          | hardcode_ct    | value=ELIGIBILITY CRITERIA MET  | DSDECOD EQ "ELIGIBILITY CRITERIA MET"
DSSTDTC  | ENR | ENRDAT   | assign_datetime |                                | DSDECOD EQ "ELIGIBILITY CRITERIA MET"
DSCAT    | ENR |          | hardcode_ct    | value=PROTOCOL MILESTONE
DSTERM   | EOT | EOTSTAT  | hardcode_no_ct | value=CAR-T INFUSED   | DSDECOD EQ COMPLETED | EOTSTAT == 'INFUSED'
DSDECOD  | EOT | EOTSTAT  | hardcode_ct    | value=COMPLETED       | DSDECOD EQ COMPLETED
DSTERM   | EOT | EOTREAS  | assign_no_ct   |                       | DSDECOD NE COMPLETED | EOTSTAT == 'NOT INFUSED'
DSDECOD  | EOT | EOTREAS  | assign_ct      |                       | DSDECOD NE COMPLETED
DSCAT    | EOT |          | hardcode_ct    | value=DISPOSITION EVENT
DSSCAT   | EOT |          | hardcode_ct    | value=STUDY TREATMENT
DSSTDTC  | EOT | EOTDAT   | assign_datetime
DSTERM   | DS  | DSSTAT   | assign_no_ct
DSDECOD  | DS  | DSSTAT   | assign_ct
DSCAT    | DS  |          | hardcode_ct    | value=DISPOSITION EVENT
DSSCAT   | DS  |          | hardcode_ct    | value=STUDY PARTICIPATION
DSSTDTC  | DS  | DSSTDAT  | assign_datetime
DSREAS   | DS  | DSREAS   | not_submitted  | reason=Free-text details of the end-of-study status, DSTERM carries the status as reported
@EPOCH DSSTDTC
@DY DSSTDY DSSTDTC
@SEQ
""",
    "MH": """
@ID DX
MHTERM   | DX | DXTERM   | assign_no_ct
MHCAT    | DX |          | hardcode_ct    | value=PRIMARY DIAGNOSIS
MHSCAT   | DX | DXTERM   | assign_ct
MHSTDTC  | DX | DXDAT    | assign_datetime
@DY MHSTDY MHSTDTC
@SEQ
""",
    "IE": """
@ID IE
IETESTCD | IE | IETESTCD | assign_ct      |           |                       | IEYN == 'No'
IECAT    | IE | IECAT    | assign_ct      |           |                       | IEYN == 'No'
IETEST   |    |          | derive         | function=ietest
IEORRES  | IE |          | hardcode_ct    | value=N   | IECAT EQ INCLUSION    | IEYN == 'No'
IEORRES  | IE |          | hardcode_ct    | value=Y   | IECAT EQ EXCLUSION    | IEYN == 'No'
IESTRESC | IE |          | hardcode_ct    | value=N   | IECAT EQ INCLUSION    | IEYN == 'No'
IESTRESC | IE |          | hardcode_ct    | value=Y   | IECAT EQ EXCLUSION    | IEYN == 'No'
IEWAIVER | IE | IEWAIVER | not_submitted  | reason=Eligibility waivers are listed as protocol deviations in the cSDRG
@VISIT IE
@EPOCH
@SEQ
""",
    "LB": """
@ID LB
LBTESTCD | LB | LBTEST   | assign_ct
LBTEST   | LB | LBTEST   | assign_ct
LBCAT    | LB | LBCAT    | assign_ct
LBORRES  | LB | LBORRES  | assign_no_ct   |           |                       | LBNDYN != 'Yes'
LBORRESU | LB | LBORRESU | assign_ct      |           |                       | LBNDYN != 'Yes'
LBORNRLO | LB | LBORNRLO | assign_no_ct   |           |                       | LBNDYN != 'Yes'
LBORNRHI | LB | LBORNRHI | assign_no_ct   |           |                       | LBNDYN != 'Yes'
LBSTAT   | LB | LBNDYN   | {nd}          |                       | LBNDYN == 'Yes'
LBREASND | LB | LBREASND | assign_no_ct   |           |                       | LBNDYN == 'Yes'
LBDTC    | LB | LBDAT    | assign_datetime | time=LBTIM
@VISIT LB LBDTC
LBSTRESC |    |          | derive         | function=stresc
LBSTRESN |    |          | derive         | function=stresn
LBSTNRLO |    |          | derive         | function=stnr; orres=LBORNRLO
LBSTNRHI |    |          | derive         | function=stnr; orres=LBORNRHI
LBNRIND  |    |          | derive         | function=nrind
LBLOBXFL |    |          | derive         | function=lobxfl; by=LBTESTCD, LBSPEC; dtc=LBDTC
@EPOCH LBDTC
@DY LBDY LBDTC
@SEQ
""",
    "CP": """
@ID CP
CPTESTCD | CP | CPTEST   | assign_ct
CPTEST   | CP | CPTEST   | assign_ct
CPSBMRKS | CP |          | hardcode_no_ct | value=MSLN-CAR+
CPMRKSTR | CP |          | hardcode_no_ct | value=CD45+CD3+MSLN-CAR+
CPCAT    | CP |          | hardcode_ct    | value=IMMUNOPHENOTYPING
CPORRES  | CP | CPORRES  | assign_no_ct   |           |                       | CPNDYN != 'Yes'
CPORRESU | CP | CPORRESU | assign_ct      |           |                       | CPNDYN != 'Yes'
CPSTAT   | CP | CPNDYN   | {nd}          |                       | CPNDYN == 'Yes'
CPREASND | CP | CPREASND | assign_no_ct   |           |                       | CPNDYN == 'Yes'
CPSPEC   | CP |          | hardcode_ct    | value=BLOOD
CPMETHOD | CP |          | hardcode_ct    | value=FLOW CYTOMETRY
CPDTC    | CP | CPDAT    | assign_datetime | time=CPTIM
@VISIT CP CPDTC
CPSTRESU |    |          | derive         | function=stresu; unit=%
CPSTRESC |    |          | derive         | function=stresc
CPSTRESN |    |          | derive         | function=stresn
CPLOBXFL |    |          | derive         | function=lobxfl; by=CPTESTCD, CPSPEC; dtc=CPDTC
@EPOCH CPDTC
@DY CPDY CPDTC
@SEQ
""",
    "PC": """
@ID PC
PCTESTCD | PC |          | hardcode_ct    | value=APD1AB
PCTEST   | PC |          | hardcode_ct    | value=Secreted Anti-PD-1 Antibody
PCORRES  | PC | PCORRES  | assign_no_ct   |           |                       | PCNDYN != 'Yes'
PCORRESU | PC | PCORRESU | assign_ct      |           |                       | PCNDYN != 'Yes'
PCSTAT   | PC | PCNDYN   | {nd}          |                       | PCNDYN == 'Yes'
PCREASND | PC | PCREASND | assign_no_ct   |           |                       | PCNDYN == 'Yes'
PCNAM    | PC |          | hardcode_no_ct | value=SPONSOR BIOANALYTICAL LABORATORY
PCSPEC   | PC |          | hardcode_ct    | value=SERUM
PCMETHOD | PC |          | hardcode_ct    | value=ELISA
PCLLOQ   | PC | PCLLOQ   | assign_numeric
PCDTC    | PC | PCDAT    | assign_datetime | time=PCTIM
@VISIT PC PCDTC
PCSTRESU |    |          | derive         | function=stresu; unit=ug/L
PCSTRESC |    |          | derive         | function=stresc
PCSTRESN |    |          | derive         | function=stresn
@EPOCH PCDTC
@DY PCDY PCDTC
@SEQ
""",
    "TU": """
@ID TL
@ID NTL
@ID NL
TUTESTCD | TL  | TLNUM    | hardcode_ct    | value=TUMIDENT   |                  | Folder == 'SCR'
TUTEST   | TL  |          | hardcode_ct    | value=Tumor Identification
TUORRES  | TL  |          | hardcode_ct    | value=TARGET
TUSTRESC | TL  |          | hardcode_ct    | value=TARGET
TULNKID  | TL  | TLNUM    | derive         | function=tu_lnkid
TULOC    | TL  | TLLOC    | assign_ct
TUMETHOD | TL  | TLMETH   | assign_ct
TUDTC    | TL  | TLDAT    | assign_datetime
TUEVAL   | TL  |          | hardcode_ct    | value=INVESTIGATOR
@VISIT TL TUDTC
TUTESTCD | NTL | NTLNUM   | hardcode_ct    | value=TUMIDENT   |                  | Folder == 'SCR'
TUTEST   | NTL |          | hardcode_ct    | value=Tumor Identification
TUORRES  | NTL |          | hardcode_ct    | value=NON-TARGET
TUSTRESC | NTL |          | hardcode_ct    | value=NON-TARGET
TULNKID  | NTL | NTLNUM   | derive         | function=tu_lnkid
TULOC    | NTL | NTLLOC   | assign_ct
TUMETHOD | NTL | NTLMETH  | assign_ct
TUDTC    | NTL | NTLDAT   | assign_datetime
TUEVAL   | NTL |          | hardcode_ct    | value=INVESTIGATOR
@VISIT NTL TUDTC
TUTESTCD | NL  | NLNUM    | hardcode_ct    | value=TUMIDENT; first_by=Subject, NLNUM; order=NLDAT
TUTEST   | NL  |          | hardcode_ct    | value=Tumor Identification
TUORRES  | NL  |          | hardcode_ct    | value=NEW
TUSTRESC | NL  |          | hardcode_ct    | value=NEW
TULNKID  | NL  | NLNUM    | derive         | function=tu_lnkid
TULOC    | NL  | NLLOC    | assign_ct
TUMETHOD | NL  | NLMETH   | assign_ct
TUDTC    | NL  | NLDAT    | assign_datetime
TUEVAL   | NL  |          | hardcode_ct    | value=INVESTIGATOR
@VISIT NL TUDTC
TULOBXFL |     |          | derive         | function=lobxfl; by=TULNKID; dtc=TUDTC
@EPOCH TUDTC
@DY TUDY TUDTC
@SEQ
""",
    "TR": """
@ID TL
@ID NTL
@ID NL
@ID RS
TRTESTCD | TL  | TLNODAL  | hardcode_ct    | value=LDIAM      | TRTESTCD EQ LDIAM | TLNODAL != 'Yes'
TRTEST   | TL  |          | hardcode_ct    | value=Longest Diameter | TRTESTCD EQ LDIAM
TRTESTCD | TL  | TLNODAL  | hardcode_ct    | value=LPERP      | TRTESTCD EQ LPERP | TLNODAL == 'Yes'
TRTEST   | TL  |          | hardcode_ct    | value=Longest Perpendicular | TRTESTCD EQ LPERP
TRLNKID  | TL  | TLNUM    | derive         | function=tu_lnkid
TRORRES  | TL  | TLDIAM   | assign_no_ct
TRORRESU | TL  |          | hardcode_ct    | value=mm         |                   | TLDIAM is not null
TRSTAT   | TL  | TLDIAM   | {nd}          |                   | TLDIAM is null
TRREASND | TL  | TLDIAM   | hardcode_no_ct | value=LESION NOT EVALUATED | | TLDIAM is null
TRMETHOD | TL  | TLMETH   | assign_ct
TREVAL   | TL  |          | hardcode_ct    | value=INVESTIGATOR
TRDTC    | TL  | TLDAT    | assign_datetime
@VISIT TL TRDTC
TRTESTCD | NTL |          | hardcode_ct    | value=TUMSTATE
TRTEST   | NTL |          | hardcode_ct    | value=Tumor State
TRLNKID  | NTL | NTLNUM   | derive         | function=tu_lnkid
TRORRES  | NTL | NTLSTAT  | assign_no_ct
TRSTRESC | NTL | NTLSTAT  | assign_ct
TRMETHOD | NTL | NTLMETH  | assign_ct
TREVAL   | NTL |          | hardcode_ct    | value=INVESTIGATOR
TRDTC    | NTL | NTLDAT   | assign_datetime
@VISIT NTL TRDTC
TRTESTCD | NL  |          | hardcode_ct    | value=TUMSTATE
TRTEST   | NL  |          | hardcode_ct    | value=Tumor State
TRLNKID  | NL  | NLNUM    | derive         | function=tu_lnkid
TRORRES  | NL  | NLEQUIV  | assign_no_ct
TRSTRESC | NL  | NLEQUIV  | assign_ct
TRMETHOD | NL  | NLMETH   | assign_ct
TREVAL   | NL  |          | hardcode_ct    | value=INVESTIGATOR
TRDTC    | NL  | NLDAT    | assign_datetime
@VISIT NL TRDTC
TRTESTCD | RS  |          | hardcode_ct    | value=SUMDIAM; reason=no target lesions at baseline, or the assessment was not done: no sum of diameters | TRTESTCD EQ SUMDIAM | RSNDYN != 'Yes' and (TLSUM is not null or TRGRESP is not null)
TRTEST   | RS  |          | hardcode_ct    | value=Sum of Diameter | TRTESTCD EQ SUMDIAM
TRORRES  | RS  | TLSUM    | assign_no_ct
TRORRESU | RS  |          | hardcode_ct    | value=mm         |                   | TLSUM is not null
TRSTAT   | RS  | TLSUM    | {nd}          |                   | TLSUM is null
TRREASND | RS  | TLSUM    | hardcode_no_ct | value=A TARGET LESION NOT EVALUATED | | TLSUM is null
TREVAL   | RS  |          | hardcode_ct    | value=INVESTIGATOR
TRDTC    | RS  | RSDAT    | assign_datetime
@VISIT RS TRDTC
TRSTRESU |     |          | derive         | function=stresu; unit=mm | TRTESTCD IN (LDIAM, LPERP, SUMDIAM)
TRSTRESC |     |          | derive         | function=stresc; too_small=5 | TRTESTCD IN (LDIAM, LPERP, SUMDIAM)
TRSTRESN |     |          | derive         | function=stresn  | TRTESTCD IN (LDIAM, LPERP, SUMDIAM)
TRLNKGRP |     |          | derive         | function=lnkgrp
TRLOBXFL |     |          | derive         | function=lobxfl; by=TRLNKID, TRTESTCD; dtc=TRDTC
@EPOCH TRDTC
@DY TRDY TRDTC
@SEQ
""",
    "RS": """
@ID RS
RSTESTCD | RS | TRGRESP  | hardcode_ct    | value=TRGRESP; reason=no target lesions at baseline: no target response | RSTESTCD EQ TRGRESP | TRGRESP is not null or RSNDYN == 'Yes'
RSTEST   | RS |          | hardcode_ct    | value=Target Response | RSTESTCD EQ TRGRESP
RSORRES  | RS | TRGRESP  | assign_no_ct   |                  | RSTESTCD EQ TRGRESP | RSNDYN != 'Yes'
RSSTRESC | RS | TRGRESP  | assign_ct      |                  | RSTESTCD EQ TRGRESP | RSNDYN != 'Yes'
RSTESTCD | RS | NTRGRESP | hardcode_ct    | value=NTRGRESP; reason=no non-target lesions at baseline: no non-target response | RSTESTCD EQ NTRGRESP | NTRGRESP is not null
RSTEST   | RS |          | hardcode_ct    | value=Non-target Response | RSTESTCD EQ NTRGRESP
RSORRES  | RS | NTRGRESP | assign_no_ct   |                  | RSTESTCD EQ NTRGRESP | RSNDYN != 'Yes'
RSSTRESC | RS | NTRGRESP | assign_ct      |                  | RSTESTCD EQ NTRGRESP | RSNDYN != 'Yes'
RSTESTCD | RS |          | hardcode_ct    | value=NEWLIND    | RSTESTCD EQ NEWLIND
RSTEST   | RS |          | hardcode_ct    | value=New Lesion Indicator | RSTESTCD EQ NEWLIND
RSORRES  | RS | NEWLIND  | assign_no_ct   |                  | RSTESTCD EQ NEWLIND | RSNDYN != 'Yes'
RSSTRESC | RS | NEWLIND  | assign_ct      |                  | RSTESTCD EQ NEWLIND | RSNDYN != 'Yes'
RSTESTCD | RS |          | hardcode_ct    | value=OVRLRESP   | RSTESTCD EQ OVRLRESP
RSTEST   | RS |          | hardcode_ct    | value=Overall Response | RSTESTCD EQ OVRLRESP
RSORRES  | RS | OVRLRESP | assign_no_ct   |                  | RSTESTCD EQ OVRLRESP | RSNDYN != 'Yes'
RSSTRESC | RS | OVRLRESP | assign_ct      |                  | RSTESTCD EQ OVRLRESP | RSNDYN != 'Yes'
RSSTAT   | RS | RSNDYN   | {nd}          |                  | RSNDYN == 'Yes'
RSREASND | RS | RSREASND | assign_no_ct   |                  |                      | RSNDYN == 'Yes'
RSCAT    | RS |          | hardcode_ct    | value=RECIST 1.1
RSEVAL   | RS |          | hardcode_ct    | value=INVESTIGATOR
RSDTC    | RS | RSDAT    | assign_datetime
@VISIT RS RSDTC
RSLNKGRP |    |          | derive         | function=lnkgrp
@EPOCH RSDTC
@DY RSDY RSDTC
@SEQ
""",
    "SV": """
@ID SV
SVPRESP  | SV |          | hardcode_ct    | value=Y          |                  | Folder != 'UNS'
SVOCCUR  | SV | VISYN    | assign_ct      |                  |                  | Folder != 'UNS'
SVREASOC | SV | VISREAS  | assign_no_ct
SVSTDTC  | SV | VISDAT   | assign_datetime
SVENDTC  | SV | VISDAT   | assign_datetime
@VISIT SV SVSTDTC
@DY SVSTDY SVSTDTC
@DY SVENDY SVENDTC
""",
    "SE": """
STUDYID  |    |          | hardcode_no_ct | value={studyid}
DOMAIN   |    |          | hardcode_no_ct | value=SE
USUBJID  |    |          | derive         | function=subject_elements; starts=SCRN:DM.RFICDTC, APH:PR.PRSTDTC, LD:EX.EXSTDTC[EXCAT=LYMPHODEPLETION], CART:EX.EXSTDTC[EXCAT=CAR-T], FU:EX.EXSTDTC[EXCAT=CAR-T]+1
ETCD     |    |          | derive         | function=subject_elements
ELEMENT  |    |          | derive         | function=subject_elements
TAETORD  |    |          | derive         | function=subject_elements
EPOCH    |    |          | derive         | function=subject_elements
SESTDTC  |    |          | derive         | function=subject_elements
SEENDTC  |    |          | derive         | function=subject_elements
@DY SESTDY SESTDTC
@DY SEENDY SEENDTC
@SEQ
""",
    "RELREC": """
STUDYID  |    |          | hardcode_no_ct | value={studyid}
RDOMAIN  |    |          | derive         | function=relrec_links; links=TU.TULNKID:ONE-TR.TRLNKID:MANY, TR.TRLNKGRP:MANY-RS.RSLNKGRP:ONE
USUBJID  |    |          | derive         | function=relrec_links
IDVAR    |    |          | derive         | function=relrec_links
IDVARVAL |    |          | derive         | function=relrec_links
RELTYPE  |    |          | derive         | function=relrec_links
RELID    |    |          | derive         | function=relrec_links
""",
}


def _lab_unit_rows() -> list[Row]:
    rows = []
    for t in LAB_TESTS:
        args = f"function=stresu; unit={t.unit}"
        if t.conversions:
            args += "; from=" + ", ".join(f"{u}:{f:g}" for u, f in t.conversions)
        rows.append({"Dataset": "LB", "Variable": "LBSTRESU", "Algorithm": "derive", "Arguments": args,
                     "Where Clause": f"LBTESTCD EQ {t.testcd}"})
        rows.append({"Dataset": "LB", "Variable": "LBSPEC", "Source Form": "LB", "Algorithm": "hardcode_ct",
                     "Arguments": f"value={t.specimen}", "Where Clause": f"LBTESTCD EQ {t.testcd}"})
    return rows


def _trial_design_rows(sheets: dict[str, tuple[str, ...]]) -> list[Row]:
    rows = []
    numeric = {"TSSEQ", "TAETORD", "VISITNUM", "VISITDY"}
    for dataset, columns in sheets.items():
        rows += [{"Dataset": dataset, "Variable": "STUDYID", "Source Form": dataset, "Algorithm": "hardcode_no_ct",
                  "Arguments": f"value={STUDYID}"},
                 {"Dataset": dataset, "Variable": "DOMAIN", "Source Form": dataset, "Algorithm": "hardcode_no_ct",
                  "Arguments": f"value={dataset}"}]
        for column in columns:
            if column == "FOLDER":
                continue
            row = {"Dataset": dataset, "Variable": column, "Source Form": dataset, "Source Field": column,
                   "Algorithm": "assign_numeric" if column in numeric else "assign_no_ct"}
            if dataset == "TS" and column == "TSVAL":
                rows.append({**row, "Where Clause": f"TSPARMCD NOTIN ({', '.join(TS_FROM_DATA)})"})
                rows.append({"Dataset": "TS", "Variable": "TSVAL", "Algorithm": "derive",
                             "Arguments": "function=ts_from_data",
                             "Where Clause": f"TSPARMCD IN ({', '.join(TS_FROM_DATA)})"})
            else:
                rows.append(row)
    return rows


def mapping_rows(trial_design_columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """Mapping-sheet rows in dataset order, numbered."""
    rows: list[Row] = []
    for dataset, text in MAPPING.items():
        expanded = _expand(dataset, text.replace("{nd}", _NOT_DONE).replace("{studyid}", STUDYID))
        if dataset == "LB":  # the standard unit (and its conversions) must be set before LBSTRESC uses it
            at = next(i for i, r in enumerate(expanded) if r.get("Variable") == "LBSTRESC")
            expanded[at:at] = _lab_unit_rows()
        rows += expanded
    rows += _trial_design_rows(trial_design_columns)
    return [{"Order": str(i), **{k: v for k, v in r.items() if v}} for i, r in enumerate(rows, start=1)]
