"""Datasets and Variables sheets: the domains the pilot's raw data supports, in SDTMIG 3.4 order.

Each dataset's variables are a pipe table (Variable | Label | Data Type | Core | Role | Codelist | Origin |
Source | Method | Comment). `@ID` stands for STUDYID, DOMAIN, USUBJID; `@SEQ` for --SEQ; `@VISIT` for
VISITNUM, VISIT, VISITDY. Text variables have no Length (the XPT writer sizes them to the data).
Variables the raw data cannot fill are left out, not kept empty: BRTHDTC (no birth date is collected),
AESPID and DSSPID (no sponsor identifiers in the extracts), DM's population flags that need
questionnaire data (see mapping.py).
"""

from __future__ import annotations

from pilot_spec.study import STD_SDTMIG
from trialforge.example_study.workbooks.common import Row, pipe_table

DATASETS = pipe_table("""
DM     | Demographics                     | SPECIAL PURPOSE | One record per subject | STUDYID, USUBJID
SUPPDM | Supplemental Qualifiers for DM   | RELATIONSHIP    | One record per supplemental qualifier per related parent domain record(s) | STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, QNAM
AE     | Adverse Events                   | EVENTS          | One record per adverse event per subject | STUDYID, USUBJID, AEDTC, AESTDTC, AEDECOD
SUPPAE | Supplemental Qualifiers for AE   | RELATIONSHIP    | One record per supplemental qualifier per related parent domain record(s) | STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, QNAM
DS     | Disposition                      | EVENTS          | One record per disposition status or protocol milestone per subject | STUDYID, USUBJID, DSSTDTC, DSCAT, DSDECOD
EX     | Exposure                         | INTERVENTIONS   | One record per constant dosing interval per subject | STUDYID, USUBJID, EXSTDTC, EXTRT
VS     | Vital Signs                      | FINDINGS        | One record per vital sign measurement per time point per visit per subject | STUDYID, USUBJID, VSTESTCD, VISITNUM, VSTPTNUM
SV     | Subject Visits                   | SPECIAL PURPOSE | One record per actual visit per subject | STUDYID, USUBJID, VISITNUM
TS     | Trial Summary                    | TRIAL DESIGN    | One record per trial summary parameter value | STUDYID, TSPARMCD, TSSEQ
TA     | Trial Arms                       | TRIAL DESIGN    | One record per planned Element per Arm | STUDYID, ARMCD, TAETORD
TE     | Trial Elements                   | TRIAL DESIGN    | One record per planned Element | STUDYID, ETCD
TV     | Trial Visits                     | TRIAL DESIGN    | One record per planned Visit per Arm | STUDYID, VISITNUM, ARMCD
""", ("Dataset", "Label", "Class", "Structure", "Key Variables"))

_COLUMNS = ("Variable", "Label", "Data Type", "Core", "Role", "Codelist", "Origin", "Source", "Method", "Comment")

_SHORTHAND = {
    "@ID": """
STUDYID  | Study Identifier                   | text     | Req  | Identifier | | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                | text     | Req  | Identifier | | Assigned | Sponsor
USUBJID  | Unique Subject Identifier          | text     | Req  | Identifier | | Derived  | | MT.USUBJID""",
    "@SEQ": "{d}SEQ | Sequence Number | integer | Req | Identifier | | Derived | | MT.SEQ",
    "@VISIT": """
VISITNUM | Visit Number                       | float    | Exp  | Timing     | | Derived  | | MT.VISIT
VISIT    | Visit Name                         | text     | Perm | Timing     | | Derived  | | MT.VISIT
VISITDY  | Planned Study Day of Visit         | integer  | Perm | Timing     | | Derived  | | MT.VISIT""",
}

_SUPP = """
STUDYID  | Study Identifier                   | text     | Req  | Identifier         | | Protocol | Sponsor
RDOMAIN  | Related Domain Abbreviation        | text     | Req  | Identifier         | | Assigned | Sponsor
USUBJID  | Unique Subject Identifier          | text     | Req  | Identifier         | | Derived  | | MT.USUBJID
IDVAR    | Identifying Variable               | text     | Exp  | Identifier         | | Assigned | Sponsor
IDVARVAL | Identifying Variable Value         | text     | Exp  | Identifier         | | Derived  | | MT.SUPP
QNAM     | Qualifier Variable Name            | text     | Req  | Topic              | | Assigned | Sponsor
QLABEL   | Qualifier Variable Label           | text     | Req  | Synonym Qualifier  | | Assigned | Sponsor
QVAL     | Data Value                         | text     | Req  | Result Qualifier   | | Derived  | | MT.SUPP
QORIG    | Origin                             | text     | Req  | Record Qualifier   | | Assigned | Sponsor
QEVAL    | Evaluator                          | text     | Exp  | Record Qualifier   | | Assigned | Sponsor
"""

VARIABLES: dict[str, str] = {
    "DM": """
@ID
SUBJID   | Subject Identifier for the Study   | text     | Req  | Topic              |          | Derived   | | MT.DM.SUBJID
RFSTDTC  | Subject Reference Start Date/Time  | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFSTDTC
RFENDTC  | Subject Reference End Date/Time    | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFENDTC
RFXSTDTC | Date/Time of First Study Treatment | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFXSTDTC
RFXENDTC | Date/Time of Last Study Treatment  | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFXENDTC
RFICDTC  | Date/Time of Informed Consent      | date     | Exp  | Record Qualifier   |          | Collected | Investigator
RFPENDTC | Date/Time of End of Participation  | datetime | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFPENDTC
DTHDTC   | Date/Time of Death                 | date     | Exp  | Record Qualifier   |          | Collected | Investigator
DTHFL    | Subject Death Flag                 | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.DM.DTHFL
SITEID   | Study Site Identifier              | text     | Req  | Record Qualifier   |          | Derived   | | MT.DM.SUBJID
AGE      | Age                                | integer  | Exp  | Record Qualifier   |          | Collected | Investigator
AGEU     | Age Units                          | text     | Exp  | Variable Qualifier | AGEU     | Assigned  | Sponsor
SEX      | Sex                                | text     | Req  | Record Qualifier   | SEX      | Collected | Investigator
RACE     | Race                               | text     | Exp  | Record Qualifier   | RACE     | Collected | Investigator
ETHNIC   | Ethnicity                          | text     | Perm | Record Qualifier   | ETHNIC   | Collected | Investigator
ARMCD    | Planned Arm Code                   | text     | Exp  | Record Qualifier   | ARMCD    | Collected | Investigator
ARM      | Description of Planned Arm         | text     | Exp  | Synonym Qualifier  | ARM      | Collected | Investigator
ACTARMCD | Actual Arm Code                    | text     | Exp  | Record Qualifier   | ARMCD    | Collected | Investigator
ACTARM   | Description of Actual Arm          | text     | Exp  | Synonym Qualifier  | ARM      | Collected | Investigator
ARMNRS   | Reason Arm and/or Actual Arm is Null | text   | Exp  | Record Qualifier   | ARMNULRS | Derived   | | MT.DM.ARMNRS
COUNTRY  | Country                            | text     | Req  | Record Qualifier   |          | Collected | Investigator
DMDTC    | Date/Time of Collection            | date     | Perm | Timing             |          | Collected | Investigator
DMDY     | Study Day of Collection            | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "SUPPDM": "@SUPP",
    "AE": """
@ID
@SEQ
AETERM   | Reported Term for the Adverse Event | text    | Req  | Topic              |          | Collected | Investigator
AELLT    | Lowest Level Term                  | text     | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AELLTCD  | Lowest Level Term Code             | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEDECOD  | Dictionary-Derived Term            | text     | Req  | Synonym Qualifier  |          | Assigned  | Sponsor
AEPTCD   | Preferred Term Code                | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLT    | High Level Term                    | text     | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLTCD  | High Level Term Code               | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLGT   | High Level Group Term              | text     | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLGTCD | High Level Group Term Code         | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEBODSYS | Body System or Organ Class         | text     | Exp  | Record Qualifier   |          | Assigned  | Sponsor
AEBDSYCD | Body System or Organ Class Code    | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AESOC    | Primary System Organ Class         | text     | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AESOCCD  | Primary System Organ Class Code    | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AESEV    | Severity/Intensity                 | text     | Perm | Record Qualifier   | AESEV    | Collected | Investigator
AESER    | Serious Event                      | text     | Exp  | Record Qualifier   | NY       | Collected | Investigator
AEACN    | Action Taken with Study Treatment  | text     | Exp  | Record Qualifier   | ACN      | Collected | Investigator
AEREL    | Causality                          | text     | Exp  | Record Qualifier   | AEREL    | Collected | Investigator
AEOUT    | Outcome of Adverse Event           | text     | Perm | Record Qualifier   | OUT      | Collected | Investigator
AESCAN   | Involves Cancer                    | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESCONG  | Congenital Anomaly or Birth Defect | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESDISAB | Persist or Signif Disability/Incapacity | text | Perm | Record Qualifier  | NY       | Collected | Investigator
AESDTH   | Results in Death                   | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESHOSP  | Requires or Prolongs Hospitalization | text   | Perm | Record Qualifier   | NY       | Collected | Investigator
AESLIFE  | Is Life Threatening                | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESOD    | Occurred with Overdose             | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AEDTC    | Date/Time of Collection            | date     | Perm | Timing             |          | Collected | Investigator
AESTDTC  | Start Date/Time of Adverse Event   | date     | Exp  | Timing             |          | Collected | Investigator
AEENDTC  | End Date/Time of Adverse Event     | date     | Exp  | Timing             |          | Collected | Investigator
AESTDY   | Study Day of Start of Adverse Event | integer | Perm | Timing             |          | Derived   | | MT.DY
AEENDY   | Study Day of End of Adverse Event  | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "SUPPAE": "@SUPP",
    "DS": """
@ID
@SEQ
DSTERM   | Reported Term for the Disposition Event | text | Req | Topic             |          | Collected | Investigator
DSDECOD  | Standardized Disposition Term      | text     | Req  | Synonym Qualifier  |          | Collected | Investigator
DSCAT    | Category for Disposition Event     | text     | Exp  | Grouping Qualifier | DSCAT    | Assigned  | Sponsor
VISITNUM | Visit Number                       | float    | Perm | Timing             |          | Derived   | | MT.VISIT
VISIT    | Visit Name                         | text     | Perm | Timing             |          | Derived   | | MT.VISIT
VISITDY  | Planned Study Day of Visit         | integer  | Perm | Timing             |          | Derived   | | MT.VISIT
DSDTC    | Date/Time of Collection            | datetime | Perm | Timing             |          | Collected | Investigator
DSSTDTC  | Start Date/Time of Disposition Event | date   | Exp  | Timing             |          | Collected | Investigator
DSSTDY   | Study Day of Start of Disposition Event | integer | Perm | Timing          |          | Derived   | | MT.DY
""",
    "EX": """
@ID
@SEQ
EXTRT    | Name of Treatment                  | text     | Req  | Topic              | EXTRT    | Collected | Investigator
EXDOSE   | Dose                               | float    | Exp  | Record Qualifier   |          | Collected | Investigator
EXDOSU   | Dose Units                         | text     | Exp  | Variable Qualifier | UNIT     | Collected | Investigator
EXDOSFRM | Dose Form                          | text     | Exp  | Variable Qualifier | FRM      | Collected | Investigator
EXDOSFRQ | Dosing Frequency per Interval      | text     | Perm | Record Qualifier   | FREQ     | Collected | Investigator
EXROUTE  | Route of Administration            | text     | Perm | Variable Qualifier | ROUTE    | Collected | Investigator
@VISIT
EXSTDTC  | Start Date/Time of Treatment       | date     | Exp  | Timing             |          | Collected | Investigator
EXENDTC  | End Date/Time of Treatment         | date     | Exp  | Timing             |          | Collected | Investigator
EXSTDY   | Study Day of Start of Treatment    | integer  | Perm | Timing             |          | Derived   | | MT.DY
EXENDY   | Study Day of End of Treatment      | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "VS": """
@ID
@SEQ
VSTESTCD | Vital Signs Test Short Name        | text     | Req  | Topic              | VSTESTCD | Assigned  | Sponsor
VSTEST   | Vital Signs Test Name              | text     | Req  | Synonym Qualifier  | VSTEST   | Assigned  | Sponsor
VSPOS    | Vital Signs Position of Subject    | text     | Perm | Record Qualifier   | POSITION | Collected | Investigator
VSORRES  | Result or Finding in Original Units | text    | Exp  | Result Qualifier   |          | Collected | Investigator
VSORRESU | Original Units                     | text     | Exp  | Variable Qualifier | UNIT     | Derived   | | MT.VS.VSORRESU
VSSTRESC | Character Result/Finding in Std Format | text | Exp  | Result Qualifier   |          | Derived   | | MT.STRESC
VSSTRESN | Numeric Result/Finding in Standard Units | float | Exp | Result Qualifier  |          | Derived   | | MT.STRESN
VSSTRESU | Standard Units                     | text     | Exp  | Variable Qualifier | UNIT     | Derived   | | MT.STRESU
VSLOC    | Location of Vital Signs Measurement | text    | Perm | Record Qualifier   | LOC      | Collected | Investigator
VSBLFL   | Baseline Flag                      | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.VS.VSBLFL
@VISIT
VSDTC    | Date/Time of Measurements          | date     | Exp  | Timing             |          | Collected | Investigator
VSDY     | Study Day of Vital Signs           | integer  | Perm | Timing             |          | Derived   | | MT.DY
VSTPT    | Planned Time Point Name            | text     | Perm | Timing             | VSTPT    | Collected | Investigator
VSTPTNUM | Planned Time Point Number          | integer  | Perm | Timing             |          | Derived   | | MT.VS.VSTPT
VSELTM   | Planned Elapsed Time from Time Point Ref | text | Perm | Timing           |          | Derived   | | MT.VS.VSTPT
VSTPTREF | Time Point Reference               | text     | Perm | Timing             |          | Derived   | | MT.VS.VSTPT
""",
    "SV": """
@ID
VISITNUM | Visit Number                       | float    | Req  | Topic              |          | Derived   | | MT.VISIT
VISIT    | Visit Name                         | text     | Perm | Synonym Qualifier  |          | Derived   | | MT.VISIT
VISITDY  | Planned Study Day of Visit         | integer  | Perm | Timing             |          | Derived   | | MT.VISIT
SVSTDTC  | Start Date/Time of Visit           | date     | Exp  | Timing             |          | Derived   | | MT.SV
SVENDTC  | End Date/Time of Visit             | date     | Exp  | Timing             |          | Derived   | | MT.SV
""",
    "TS": """
STUDYID  | Study Identifier                   | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                | text     | Req  | Identifier         |          | Assigned | Sponsor
TSSEQ    | Sequence Number                    | integer  | Req  | Identifier         |          | Protocol | Sponsor
TSPARMCD | Trial Summary Parameter Short Name | text     | Req  | Topic              |          | Protocol | Sponsor
TSPARM   | Trial Summary Parameter            | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
TSVAL    | Parameter Value                    | text     | Exp  | Result Qualifier   |          | Protocol | Sponsor
""",
    "TA": """
STUDYID  | Study Identifier                   | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                | text     | Req  | Identifier         |          | Assigned | Sponsor
ARMCD    | Planned Arm Code                   | text     | Req  | Topic              | ARMCD    | Protocol | Sponsor
ARM      | Description of Planned Arm         | text     | Req  | Synonym Qualifier  | ARM      | Protocol | Sponsor
TAETORD  | Planned Order of Element within Arm | integer | Req  | Timing             |          | Protocol | Sponsor
ETCD     | Element Code                       | text     | Req  | Record Qualifier   | ETCD     | Protocol | Sponsor
ELEMENT  | Description of Element             | text     | Perm | Synonym Qualifier  |          | Protocol | Sponsor
TABRANCH | Branch                             | text     | Exp  | Rule               |          | Protocol | Sponsor
TATRANS  | Transition Rule                    | text     | Exp  | Rule               |          | Protocol | Sponsor
EPOCH    | Epoch                              | text     | Req  | Timing             |          | Protocol | Sponsor
""",
    "TE": """
STUDYID  | Study Identifier                   | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                | text     | Req  | Identifier         |          | Assigned | Sponsor
ETCD     | Element Code                       | text     | Req  | Topic              | ETCD     | Protocol | Sponsor
ELEMENT  | Description of Element             | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
TESTRL   | Rule for Start of Element          | text     | Req  | Rule               |          | Protocol | Sponsor
TEENRL   | Rule for End of Element            | text     | Perm | Rule               |          | Protocol | Sponsor
TEDUR    | Planned Duration of Element        | text     | Perm | Timing             |          | Protocol | Sponsor
""",
    "TV": """
STUDYID  | Study Identifier                   | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                | text     | Req  | Identifier         |          | Assigned | Sponsor
VISITNUM | Visit Number                       | float    | Req  | Topic              |          | Protocol | Sponsor
VISIT    | Visit Name                         | text     | Perm | Synonym Qualifier  |          | Protocol | Sponsor
VISITDY  | Planned Study Day of Visit         | integer  | Perm | Timing             |          | Protocol | Sponsor
ARMCD    | Planned Arm Code                   | text     | Exp  | Record Qualifier   | ARMCD    | Protocol | Sponsor
ARM      | Description of Planned Arm         | text     | Perm | Synonym Qualifier  | ARM      | Protocol | Sponsor
TVSTRL   | Visit Start Rule                   | text     | Req  | Rule               |          | Protocol | Sponsor
TVENRL   | Visit End Rule                     | text     | Perm | Rule               |          | Protocol | Sponsor
""",
}

SIGNIFICANT_DIGITS = {"VISITNUM": "2", "EXDOSE": "0", "VSSTRESN": "2"}


def _lines(dataset: str) -> str:
    text = _SUPP if VARIABLES[dataset].strip() == "@SUPP" else VARIABLES[dataset]
    domain = dataset.removeprefix("SUPP")
    return "\n".join(_SHORTHAND[line.strip()].format(d=domain) if line.strip() in _SHORTHAND else line
                     for line in text.strip("\n").splitlines())


def dataset_rows() -> list[Row]:
    return [{**d, "Standard": STD_SDTMIG, "Repeating": "No" if d["Dataset"] in ("DM", "TS", "TA", "TE", "TV") else "Yes",
             "Reference Data": "Yes" if d["Class"] == "TRIAL DESIGN" else "No"} for d in DATASETS]


def variable_rows() -> list[Row]:
    rows: list[Row] = []
    for dataset in (d["Dataset"] for d in DATASETS):
        for order, v in enumerate(pipe_table(_lines(dataset), _COLUMNS), start=1):
            numeric = v["Data Type"] in ("integer", "float")
            rows.append({
                "Order": str(order), "Dataset": dataset, "Variable": v["Variable"], "Label": v["Label"],
                "Data Type": v["Data Type"], "Length": "8" if numeric else "",
                "Significant Digits": SIGNIFICANT_DIGITS.get(v["Variable"], "") if v["Data Type"] == "float" else "",
                "Mandatory": "Yes" if v["Core"] == "Req" else "No", "Codelist": v["Codelist"],
                "Common": "Yes" if v["Variable"] in ("STUDYID", "USUBJID") else "", "Origin": v["Origin"],
                "Source": v["Source"], "Method": v["Method"], "Role": v["Role"], "Core": v["Core"],
                "Comment": v["Comment"],
            })
    return rows
