"""The Mapping sheet: how each pharmaverseraw field becomes the pilot's SDTM (DM, AE, DS, EX, VS, SV).

Each dataset is a pipe table: Variable | Source Form | Source Field | Algorithm | Arguments | Where Clause |
Condition | Comment. Source Field and Condition are expressions over the raw form's fields (a bare name
is the simplest one; names with dots like IT.AETERM are plain identifiers). The tables use `concat()`,
never the `||` operator, because `|` separates their cells. Forms: DM = dm_raw, AE = ae_raw, DS = ds_raw,
EC = ec_raw (exposure as collected), VS = vs_raw (see the Sources sheet).

Conventions of the pilot this follows (learnt from pharmaverseraw's data-raw scripts and its SDTM):
- USUBJID is `01-` + PATNUM; SITEID and SUBJID are the two parts of PATNUM (`701-1015`).
- Reference dates come from the mapped domains: RFSTDTC/RFXSTDTC the first EX start, RFXENDTC the last EX
  end, RFENDTC the last disposition event of a randomized subject, RFPENDTC the latest date of any record.
- Study days count from RFSTDTC; visits are TV's, matched by name (case ignored); an unscheduled visit's
  number is in its name (`Unscheduled 3.1`). SV holds every visit VS and DS record, on the day they record
  (EX's visit is the one that dispensed the patches, which are applied from the next day: no visit date).
- VS is collected one row per time point with one column per test: one record set per test. The extract
  has no unit columns: BP, pulse and weight are in the CRF's units; a temperature below 50 is Celsius and
  a height above 100 is centimetres (physically no Fahrenheit or inch value is), else F and IN.
- The tables DSDECOD uses depend on DSCAT (ValueLevel sheet); the raw record says which category it is.
"""

from __future__ import annotations

from pilot_spec.study import USUBJID
from trialforge.example_study.workbooks.common import Row, pipe_table

_COLUMNS = ("Variable", "Source Form", "Source Field", "Algorithm", "Arguments", "Where Clause", "Condition",
            "Comment")

# Every `derive` function this sheet names, with what it computes here.
DERIVE_FUNCTIONS: dict[str, str] = {
    "seq": "--SEQ = 1..n per USUBJID in the order of `keys`",
    "study_day": "--DY of the date in `dtc` from DM.RFSTDTC (no day 0; null for partial dates)",
    "visit": "VISITNUM/VISIT/VISITDY from TV by the collected visit name; unscheduled numbered from the name",
    "reference_date": "a DM reference date picked (first/last) from the dates of built domains",
    "dthfl": "DTHFL = Y when DTHDTC is present",
    "stresu": "--STRESU = `unit`; `from` lists other units as unit:factor[:offset]",
    "stresc": "--STRESC from --ORRES converted to the standard unit, rounded to `decimals`",
    "stresn": "--STRESN = numeric --STRESC",
}


def _identity(dataset: str, form: str) -> str:
    return f"""
STUDYID  | {form} | STUDY     | assign_no_ct
DOMAIN   | {form} |           | hardcode_no_ct | value={dataset}
USUBJID  | {form} | {USUBJID} | assign_no_ct   | | | | 01 is the pilot's study number
"""


def _visit(dtc: str | None, variables: tuple[str, ...] = ("VISITNUM", "VISIT", "VISITDY")) -> str:
    """The visit rows; `dtc` is the record's date that SV takes the visit's dates from (None: the records
    are no evidence of the visit's date, as an exposure that starts the day after its dispensing visit)."""
    dated = f"; dtc={dtc}" if dtc else ""
    return "\n".join(f"{v} | | | derive | function=visit; unscheduled=from_name{dated}" for v in variables)


def _day(dy: str, dtc: str) -> str:
    return f"{dy} | | | derive | function=study_day; dtc={dtc}"


MAPPING: dict[str, str] = {
    "DM": _identity("DM", "DM") + f"""
SUBJID   | DM | split_part(PATNUM, '-', 2) | assign_no_ct
SITEID   | DM | split_part(PATNUM, '-', 1) | assign_no_ct
AGE      | DM | IT.AGE        | assign_numeric
AGEU     | DM |               | hardcode_ct    | value=YEARS
SEX      | DM | IT.SEX        | assign_ct
RACE     | DM | IT.RACE       | assign_ct
ETHNIC   | DM | IT.ETHNIC     | assign_ct
ARMCD    | DM | PLANNED_ARMCD | assign_ct
ARM      | DM | PLANNED_ARM   | assign_ct
ACTARMCD | DM | ACTUAL_ARMCD  | assign_ct
ACTARM   | DM | ACTUAL_ARM    | assign_ct
ARMNRS   | DM |               | hardcode_ct    | value=SCREEN FAILURE | | PLANNED_ARMCD == 'Scrnfail'
COUNTRY  | DM | COUNTRY       | assign_no_ct   | | | | ISO 3166-1 alpha-3 as collected
DMDTC    | DM | COL_DT        | assign_datetime
RFICDTC  | DM | IC_DT         | assign_datetime
DTHDTC   | DS | DEATHDT       | assign_datetime | join=subject | | DEATHDT is not null and IT.DSDECOD == 'Death' | the death date of the subject's DEATH disposition record
RFSTDTC  |    |               | derive | function=reference_date; domain=EX; date=EXSTDTC; pick=first
RFXSTDTC |    |               | derive | function=reference_date; domain=EX; date=EXSTDTC; pick=first
RFXENDTC |    |               | derive | function=reference_date; domain=EX; date=EXENDTC; pick=last
RFENDTC  |    |               | derive | function=reference_date; domain=DS; date=DSSTDTC; pick=last; where=DSCAT == 'DISPOSITION EVENT' | ARMCD NE Scrnfail
RFPENDTC |    |               | derive | function=reference_date; domain=*; pick=last
DTHFL    |    |               | derive | function=dthfl
{_day("DMDY", "DMDTC")}
ITT      | DM | case when PLANNED_ARMCD != 'Scrnfail' then 'Y' end | supp | qnam=ITT; qlabel=Intent to Treat Population Flag; qorig=DERIVED; qeval=CLINICAL STUDY SPONSOR
SAFETY   | DM | case when ACTUAL_ARMCD != 'Scrnfail' then 'Y' end  | supp | qnam=SAFETY; qlabel=Safety Population Flag; qorig=DERIVED; qeval=CLINICAL STUDY SPONSOR
""",
    "AE": _identity("AE", "AE") + f"""
AETERM   | AE | upper(IT.AETERM) | assign_no_ct | | | | the site's verbatim term, in upper case as the pilot writes it
AELLT    | AE | AELLT    | assign_no_ct
AELLTCD  | AE | AELLTCD  | assign_numeric
AEDECOD  | AE | AEDECOD  | assign_no_ct
AEPTCD   | AE | AEPTCD   | assign_numeric
AEHLT    | AE | AEHLT    | assign_no_ct
AEHLTCD  | AE | AEHLTCD  | assign_numeric
AEHLGT   | AE | AEHLGT   | assign_no_ct
AEHLGTCD | AE | AEHLGTCD | assign_numeric
AEBODSYS | AE | AEBODSYS | assign_no_ct
AEBDSYCD | AE | AESOCCD  | assign_numeric | | | | AEBODSYS is the primary SOC, so its code is the primary SOC code
AESOC    | AE | AESOC    | assign_no_ct
AESOCCD  | AE | AESOCCD  | assign_numeric
AESEV    | AE | IT.AESEV | assign_ct
AESER    | AE | IT.AESER | assign_ct
AEACN    | AE | IT.AEACN | assign_ct
AEREL    | AE | IT.AEREL | assign_ct
AEOUT    | AE | AEOUTCOME | assign_ct
AESCAN   | AE | AESCAN   | assign_ct
AESCONG  | AE | AESCNO   | assign_ct
AESDISAB | AE | AEDIS    | assign_ct
AESDTH   | AE | IT.AESDTH | assign_ct
AESHOSP  | AE | IT.AESHOSP | assign_ct
AESLIFE  | AE | IT.AESLIFE | assign_ct
AESOD    | AE | AESOD    | assign_ct
AEDTC    | AE | AEDTCOL  | assign_datetime
AESTDTC  | AE | IT.AESTDAT | assign_datetime
AEENDTC  | AE | IT.AEENDAT | assign_datetime
FOLDER   | AE | FOLDER   | not_submitted | reason=the EDC folder of the AE log form (always AE)
FOLDERL  | AE | FOLDERL  | not_submitted | reason=the label of FOLDER
{_day("AESTDY", "AESTDTC")}
{_day("AEENDY", "AEENDTC")}
AESEQ    |    |  | derive | function=seq; keys=AEDTC, AESTDTC, AETERM
AETRTEM  |    |  | derive | function=expression; expr=case when AESTDTC >= DM.RFSTDTC then 'Y' when AESTDTC < DM.RFSTDTC then 'N' end; qnam=AETRTEM; qlabel=TREATMENT EMERGENT FLAG; qorig=DERIVED; qeval=CLINICAL STUDY SPONSOR | | | treatment emergent: started on or after the first dose (ISO dates compare as text)
""",
    "DS": _identity("DS", "DS") + f"""
DSTERM   | DS | upper(IT.DSTERM)      | assign_no_ct   | | DSCAT EQ "PROTOCOL MILESTONE" | IT.DSDECOD == 'Randomized'
DSDECOD  | DS | IT.DSDECOD            | assign_ct      | | DSCAT EQ "PROTOCOL MILESTONE"
DSCAT    | DS |                       | hardcode_ct    | value=PROTOCOL MILESTONE | DSCAT EQ "PROTOCOL MILESTONE"
DSTERM   | DS | upper(IT.DSTERM)      | assign_no_ct   | | DSCAT EQ "DISPOSITION EVENT" | IT.DSDECOD is not null and IT.DSDECOD != 'Randomized'
DSDECOD  | DS | IT.DSDECOD            | assign_ct      | | DSCAT EQ "DISPOSITION EVENT"
DSCAT    | DS |                       | hardcode_ct    | value=DISPOSITION EVENT | DSCAT EQ "DISPOSITION EVENT"
DSTERM   | DS | upper(OTHERSP)        | assign_no_ct   | | DSCAT EQ "OTHER EVENT" | OTHERSP is not null
DSDECOD  | DS | OTHERSP               | assign_ct      | | DSCAT EQ "OTHER EVENT"
DSCAT    | DS |                       | hardcode_ct    | value=OTHER EVENT | DSCAT EQ "OTHER EVENT"
{_visit("DSDTC")}
DSDTC    | DS | DSDTCOL    | assign_datetime | time=DSTMCOL
DSSTDTC  | DS | IT.DSSTDAT | assign_datetime
DEATHDT  | DS | DEATHDT    | not_submitted   | reason=the death date goes to DM.DTHDTC
SITENM   | DS | SITENM     | not_submitted   | reason=one site name for every record (the pilot's name), SITEID comes from PATNUM
FORM     | DS | FORM       | not_submitted   | reason=the EDC form identifier (always DISC1)
FORML    | DS | FORML      | not_submitted   | reason=the label of FORM
{_day("DSSTDY", "DSSTDTC")}
DSSEQ    |    |  | derive | function=seq; keys=DSSTDTC, DSCAT
""",
    "EX": _identity("EX", "EC") + f"""
EXTRT    | EC | DRUGAD     | assign_ct
EXDOSE   | EC | IT.ECDSTXT | assign_numeric
EXDOSU   | EC | IT.ECDOSU  | assign_ct
EXDOSFRM | EC | DOSFM      | assign_ct
EXDOSFRQ | EC | DOSFRQ     | assign_ct
EXROUTE  | EC | IT.ECROUTE | assign_ct
{_visit(None)}
EXSTDTC  | EC | IT.ECSTDAT | assign_datetime
EXENDTC  | EC | IT.ECENDAT | assign_datetime
IT.ECREFID | EC | IT.ECREFID | not_submitted | reason=the kit reference of the exposure form, the same for every record
FOLDER   | EC | FOLDER     | not_submitted | reason=the EDC folder of the exposure form (always EC)
FOLDERL  | EC | FOLDERL    | not_submitted | reason=the label of FOLDER
{_day("EXSTDY", "EXSTDTC")}
{_day("EXENDY", "EXENDTC")}
EXSEQ    |    |  | derive | function=seq; keys=EXSTDTC, EXTRT
""",
}

# VS: one record set per test; (VSTESTCD, raw field, unit expression).
VS_TESTS = (
    ("SYSBP", "SYS_BP", "'mmHg'"),
    ("DIABP", "DIA_BP", "'mmHg'"),
    ("PULSE", "PULSE", "'BEATS/MIN'"),
    ("TEMP", "IT.TEMP", "case when number(IT.TEMP) < 50 then 'C' else 'F' end"),
    ("WEIGHT", "IT.WEIGHT", "'LB'"),
    ("HEIGHT", "IT.HEIGHT_VSORRES", "case when number(IT.HEIGHT_VSORRES) > 100 then 'cm' else 'IN' end"),
)
VS_TEST_NAMES = {"SYSBP": "Systolic Blood Pressure", "DIABP": "Diastolic Blood Pressure", "PULSE": "Pulse Rate",
                 "TEMP": "Temperature", "WEIGHT": "Weight", "HEIGHT": "Height"}
# Standard unit and the conversions to it (unit:factor[:offset]); converted values keep 2 decimals (stresc).
VS_STANDARD_UNITS = {
    "SYSBP": ("mmHg", ""), "DIABP": ("mmHg", ""), "PULSE": ("BEATS/MIN", ""),
    "TEMP": ("C", "F:5/9:-160/9"), "WEIGHT": ("kg", "LB:0.4536"), "HEIGHT": ("cm", "IN:2.54"),
}
# The CRF's time points: collected text -> (number, elapsed time, reference).
VS_TIME_POINTS = {
    "after Lying Down for 5 Minutes": ("815", "PT5M", "PATIENT SUPINE"),
    "after Standing for 1 Minute": ("816", "PT1M", "PATIENT STANDING"),
    "after Standing for 3 Minutes": ("817", "PT3M", "PATIENT STANDING"),
}


def _case(position: int) -> str:
    """A case expression giving the time point's number (position 0, a number) or text (1, 2) by TMPTC."""
    whens = " ".join(f"when TMPTC == '{text}' then {repr(v[position]) if position else v[position]}"
                     for text, v in VS_TIME_POINTS.items())
    return f"case {whens} end"


def _vs() -> str:
    lines = [_identity("VS", "VS").strip("\n")]
    for testcd, field, unit in VS_TESTS:
        where = f"VSTESTCD EQ {testcd}"
        lines += [
            f"VSTESTCD | VS |  | hardcode_ct | value={testcd} | {where} | {field} is not null",
            f"VSTEST   | VS |  | hardcode_ct | value={VS_TEST_NAMES[testcd]} | {where}",
            f"VSORRES  | VS | {field} | assign_no_ct | | {where}",
            f"VSORRESU | VS | {unit} | assign_ct | | {where}",
        ]
    lines += [
        'VSPOS    | VS | SUBPOS      | assign_ct   | | VSTESTCD IN (SYSBP, DIABP, PULSE)',
        'VSLOC    | VS | IT.TEMP_LOC | assign_ct   | | VSTESTCD EQ TEMP',
        "VSBLFL   | VS |             | hardcode_ct | value=Y | | INSTANCE == 'Baseline' | the baseline visit's values",
        'VSTPT    | VS | TMPTC       | assign_ct   | | VSTESTCD IN (SYSBP, DIABP, PULSE)',
        f'VSTPTNUM | VS | {_case(0)} | assign_numeric | | VSTESTCD IN (SYSBP, DIABP, PULSE)',
        f'VSELTM   | VS | {_case(1)} | assign_no_ct   | | VSTESTCD IN (SYSBP, DIABP, PULSE)',
        f'VSTPTREF | VS | {_case(2)} | assign_no_ct   | | VSTESTCD IN (SYSBP, DIABP, PULSE)',
        "VSDTC    | VS | VTLD        | assign_datetime",
        _visit("VSDTC"),
        "FORM     | VS | FORM        | not_submitted | reason=the EDC form identifier (always VS)",
        "FORML    | VS | FORML       | not_submitted | reason=the label of FORM",
    ]
    for testcd, (unit, conversions) in VS_STANDARD_UNITS.items():
        arguments = f"function=stresu; unit={unit}" + (f"; from={conversions}" if conversions else "")
        lines.append(f"VSSTRESU |    |  | derive | {arguments} | VSTESTCD EQ {testcd}")
    lines += ["VSSTRESC |    |  | derive | function=stresc; decimals=2",
              "VSSTRESN |    |  | derive | function=stresn",
              _day("VSDY", "VSDTC"),
              "VSSEQ    |    |  | derive | function=seq; keys=VSTESTCD, VISITNUM, VSTPTNUM"]
    return "\n".join(lines)


MAPPING["VS"] = _vs()
# SV: every visit a domain records (by its visit rows' dtc), first and last date; no SV form in the extracts.
MAPPING["SV"] = """
STUDYID  |    |  | hardcode_no_ct | value=CDISCPILOT01
DOMAIN   |    |  | hardcode_no_ct | value=SV
"""


def _rows(dataset: str, text: str) -> list[Row]:
    return [{"Dataset": dataset, **r} for r in pipe_table(text.strip("\n"), _COLUMNS)]


def mapping_rows(trial_design_columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """Mapping-sheet rows in dataset order, numbered; trial design datasets read their sheets."""
    rows: list[Row] = []
    for dataset, text in MAPPING.items():
        rows += _rows(dataset, text)
    for dataset, columns in trial_design_columns.items():
        rows += [{"Dataset": dataset, "Variable": "STUDYID", "Source Form": dataset, "Algorithm": "hardcode_no_ct",
                  "Arguments": "value=CDISCPILOT01"},
                 {"Dataset": dataset, "Variable": "DOMAIN", "Source Form": dataset, "Algorithm": "hardcode_no_ct",
                  "Arguments": f"value={dataset}"}]
        rows += [{"Dataset": dataset, "Variable": c, "Source Form": dataset, "Source Field": c,
                  "Algorithm": "assign_numeric" if c in ("TSSEQ", "TAETORD", "VISITNUM", "VISITDY") else "assign_no_ct"}
                 for c in columns]
    return [{"Order": str(i), **{k: v for k, v in r.items() if v}} for i, r in enumerate(rows, start=1)]
