"""SDTM datasets and variables of the example study (SDTMIG 3.4): Datasets and Variables sheet content.

Each dataset's variables are a pipe table in SDTMIG order. Shorthand lines expand to the usual blocks:
`@ID` = STUDYID, DOMAIN, USUBJID; `@SEQ` = --SEQ; `@VISIT` = VISITNUM, VISIT, VISITDY. Lengths of text
variables are left blank (the writer sizes them to the data); numbers get 8. Pages of collected
variables and assigned values come from the Mapping sheet (see `sdtm_workbook`).
"""

from __future__ import annotations

from trialforge.example_study.workbooks.common import STD_SDTMIG, Row, pipe_table

DATASETS = pipe_table("""
DM     | Demographics                            | SPECIAL PURPOSE | One record per subject | STUDYID, USUBJID
SUPPDM | Supplemental Qualifiers for DM          | RELATIONSHIP    | One record per supplemental qualifier per related parent domain record(s) | STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, QNAM
AE     | Adverse Events                          | EVENTS          | One record per adverse event per subject | STUDYID, USUBJID, AEDECOD, AESTDTC
SUPPAE | Supplemental Qualifiers for AE          | RELATIONSHIP    | One record per supplemental qualifier per related parent domain record(s) | STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, QNAM
EX     | Exposure                                | INTERVENTIONS   | One record per protocol-specified study treatment, constant-dosing interval, per subject | STUDYID, USUBJID, EXTRT, EXSTDTC
CM     | Concomitant/Prior Medications           | INTERVENTIONS   | One record per recorded intervention occurrence or constant-dosing interval per subject | STUDYID, USUBJID, CMCAT, CMTRT, CMSTDTC
PR     | Procedures                              | INTERVENTIONS   | One record per recorded procedure per occurrence per subject | STUDYID, USUBJID, PRTRT, PRSTDTC
DS     | Disposition                             | EVENTS          | One record per disposition status or protocol milestone per subject | STUDYID, USUBJID, DSSTDTC, DSCAT, DSSCAT, DSDECOD
MH     | Medical History                         | EVENTS          | One record per medical history event per subject | STUDYID, USUBJID, MHCAT, MHTERM
IE     | Inclusion/Exclusion Criteria Not Met    | FINDINGS        | One record per inclusion/exclusion criterion not met per subject | STUDYID, USUBJID, IETESTCD
LB     | Laboratory Test Results                 | FINDINGS        | One record per lab test per time point per visit per subject | STUDYID, USUBJID, LBCAT, LBTESTCD, LBSPEC, VISITNUM, LBDTC
CP     | Cell Phenotype Findings                 | FINDINGS        | One record per test per specimen per timepoint per visit per subject | STUDYID, USUBJID, CPTESTCD, CPSPEC, VISITNUM, CPDTC
PC     | Pharmacokinetics Concentrations         | FINDINGS        | One record per sample characteristic or time-point concentration per reference time point or per analyte per subject | STUDYID, USUBJID, PCTESTCD, PCSPEC, VISITNUM, PCDTC
TU     | Tumor/Lesion Identification             | FINDINGS        | One record per identified tumor per subject per assessor | STUDYID, USUBJID, TUEVAL, TULNKID, TUTESTCD
TR     | Tumor/Lesion Results                    | FINDINGS        | One record per tumor measurement/assessment per visit per subject per assessor | STUDYID, USUBJID, TREVAL, TRLNKID, TRTESTCD, VISITNUM, TRDTC
RS     | Disease Response and Clin Classification | FINDINGS       | One record per response assessment or clinical classification assessment per time point per visit per subject per assessor per medical evaluator | STUDYID, USUBJID, RSCAT, RSTESTCD, RSEVAL, VISITNUM, RSDTC
SV     | Subject Visits                          | SPECIAL PURPOSE | One record per actual or planned visit per subject | STUDYID, USUBJID, VISITNUM
SE     | Subject Elements                        | SPECIAL PURPOSE | One record per actual Element per subject | STUDYID, USUBJID, SESTDTC, ETCD
TS     | Trial Summary                           | TRIAL DESIGN    | One record per trial summary parameter value | STUDYID, TSPARMCD, TSSEQ
TA     | Trial Arms                              | TRIAL DESIGN    | One record per planned Element per Arm | STUDYID, ARMCD, TAETORD
TE     | Trial Elements                          | TRIAL DESIGN    | One record per planned Element | STUDYID, ETCD
TV     | Trial Visits                            | TRIAL DESIGN    | One record per planned Visit per Arm | STUDYID, VISITNUM, ARMCD
TI     | Trial Inclusion/Exclusion Criteria      | TRIAL DESIGN    | One record per I/E criterion | STUDYID, IETESTCD, TIVERS
RELREC | Related Records                         | RELATIONSHIP    | One record per related record, group of records or dataset | STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, RELID
""", ("Dataset", "Label", "Class", "Structure", "Key Variables"))

_DATASET_COMMENTS = {
    "DM": "COM.DM", "EX": "COM.EX", "CP": "COM.CP", "PC": "COM.PC", "SUPPAE": "COM.SUPPAE",
}

_COLUMNS = ("Variable", "Label", "Data Type", "Core", "Role", "Codelist", "Origin", "Source", "Method", "Comment")

_SHORTHAND = {
    "@ID": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier | | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier | | Assigned | Sponsor
USUBJID  | Unique Subject Identifier               | text     | Req  | Identifier | | Derived  | | MT.USUBJID""",
    "@SEQ": "{d}SEQ | Sequence Number | integer | Req | Identifier | | Derived | | MT.SEQ",
    "@VISIT": """
VISITNUM | Visit Number                            | float    | {vcore} | Timing | | Derived | | MT.VISIT
VISIT    | Visit Name                              | text     | Perm | Timing     | | Derived | | MT.VISIT
VISITDY  | Planned Study Day of Visit              | integer  | Perm | Timing     | | Derived | | MT.VISIT""",
}

VARIABLES: dict[str, str] = {
    "DM": """
@ID
SUBJID   | Subject Identifier for the Study        | text     | Req  | Topic              |          | Collected | Investigator
RFSTDTC  | Subject Reference Start Date/Time       | datetime | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFSTDTC | COM.DM.RFSTDTC
RFENDTC  | Subject Reference End Date/Time         | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFENDTC
RFXSTDTC | Date/Time of First Study Treatment      | datetime | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFXSTDTC
RFXENDTC | Date/Time of Last Study Treatment       | datetime | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFXENDTC
RFICDTC  | Date/Time of Informed Consent           | date     | Exp  | Record Qualifier   |          | Collected | Investigator
RFPENDTC | Date/Time of End of Participation       | date     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.RFPENDTC
DTHDTC   | Date/Time of Death                      | date     | Exp  | Record Qualifier   |          | Collected | Investigator
DTHFL    | Subject Death Flag                      | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.DM.DTHFL
SITEID   | Study Site Identifier                   | text     | Req  | Record Qualifier   |          | Assigned  | Sponsor
BRTHDTC  | Date/Time of Birth                      | date     | Perm | Record Qualifier   |          | Collected | Investigator
AGE      | Age                                     | integer  | Exp  | Record Qualifier   |          | Collected | Investigator
AGEU     | Age Units                               | text     | Exp  | Variable Qualifier | AGEU     | Assigned  | Sponsor
SEX      | Sex                                     | text     | Req  | Record Qualifier   | SEX      | Collected | Investigator
RACE     | Race                                    | text     | Exp  | Record Qualifier   | RACE     | Collected | Investigator
ETHNIC   | Ethnicity                               | text     | Perm | Record Qualifier   | ETHNIC   | Collected | Investigator
ARMCD    | Planned Arm Code                        | text     | Exp  | Record Qualifier   | ARMCD    | Derived   | | MT.DM.ARM
ARM      | Description of Planned Arm              | text     | Exp  | Synonym Qualifier  |          | Derived   | | MT.DM.ARM
ACTARMCD | Actual Arm Code                         | text     | Exp  | Record Qualifier   | ARMCD    | Derived   | | MT.DM.ARM
ACTARM   | Description of Actual Arm               | text     | Exp  | Synonym Qualifier  |          | Derived   | | MT.DM.ARM
ARMNRS   | Reason Arm and/or Actual Arm is Null    | text     | Exp  | Record Qualifier   | ARMNULRS | Derived   | | MT.DM.ARMNRS
ACTARMUD | Description of Unplanned Actual Arm     | text     | Exp  | Record Qualifier   |          | Derived   | | MT.DM.ARMNRS
COUNTRY  | Country                                 | text     | Req  | Record Qualifier   | COUNTRY  | Collected | Investigator | | COM.DM.COUNTRY
""",
    "SUPPDM": "@SUPP DM",
    "AE": """
@ID
@SEQ
AETERM   | Reported Term for the Adverse Event     | text     | Req  | Topic              |          | Collected | Investigator
AELLT    | Lowest Level Term                       | text     | Exp  | Variable Qualifier | MEDDRA   | Assigned  | Sponsor
AELLTCD  | Lowest Level Term Code                  | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEDECOD  | Dictionary-Derived Term                 | text     | Req  | Synonym Qualifier  | MEDDRA   | Assigned  | Sponsor
AEPTCD   | Preferred Term Code                     | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLT    | High Level Term                         | text     | Exp  | Variable Qualifier | MEDDRA   | Assigned  | Sponsor
AEHLTCD  | High Level Term Code                    | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEHLGT   | High Level Group Term                   | text     | Exp  | Variable Qualifier | MEDDRA   | Assigned  | Sponsor
AEHLGTCD | High Level Group Term Code              | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AEBODSYS | Body System or Organ Class              | text     | Exp  | Record Qualifier   | MEDDRA   | Assigned  | Sponsor | | COM.AE.AEBODSYS
AEBDSYCD | Body System or Organ Class Code         | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AESOC    | Primary System Organ Class              | text     | Exp  | Variable Qualifier | MEDDRA   | Assigned  | Sponsor
AESOCCD  | Primary System Organ Class Code         | integer  | Exp  | Variable Qualifier |          | Assigned  | Sponsor
AESER    | Serious Event                           | text     | Exp  | Record Qualifier   | NY       | Collected | Investigator
AEACN    | Action Taken with Study Treatment       | text     | Exp  | Record Qualifier   | ACN      | Collected | Investigator | | COM.AE.AEACN
AEREL    | Causality                               | text     | Exp  | Record Qualifier   | AEREL    | Collected | Investigator | | COM.AE.AEREL
AEOUT    | Outcome of Adverse Event                | text     | Perm | Record Qualifier   | OUT      | Collected | Investigator
AESCONG  | Congenital Anomaly or Birth Defect      | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESDISAB | Persist or Signif Disability/Incapacity | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESDTH   | Results in Death                        | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESHOSP  | Requires or Prolongs Hospitalization    | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESLIFE  | Is Life Threatening                     | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AESMIE   | Other Medically Important Serious Event | text     | Perm | Record Qualifier   | NY       | Collected | Investigator
AETOXGR  | Standard Toxicity Grade                 | text     | Perm | Record Qualifier   | CTCAE    | Collected | Investigator | | COM.AE.AETOXGR
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
AESTDTC  | Start Date/Time of Adverse Event        | date     | Exp  | Timing             |          | Collected | Investigator
AEENDTC  | End Date/Time of Adverse Event          | date     | Exp  | Timing             |          | Collected | Investigator
AESTDY   | Study Day of Start of Adverse Event     | integer  | Perm | Timing             |          | Derived   | | MT.DY
AEENDY   | Study Day of End of Adverse Event       | integer  | Perm | Timing             |          | Derived   | | MT.DY
AEENRTPT | End Relative to Reference Time Point    | text     | Perm | Timing             | STENRF   | Collected | Investigator
AEENTPT  | End Reference Time Point                | text     | Perm | Timing             |          | Assigned  | Sponsor
""",
    "SUPPAE": "@SUPP AE",
    "EX": """
@ID
@SEQ
EXTRT    | Name of Treatment                       | text     | Req  | Topic              | EXTRT    | Collected | Investigator
EXCAT    | Category of Treatment                   | text     | Perm | Grouping Qualifier | EXCAT    | Assigned  | Sponsor
EXDOSE   | Dose                                    | float    | Exp  | Record Qualifier   |          | Collected | Investigator
EXDOSU   | Dose Units                              | text     | Exp  | Variable Qualifier | UNIT     | Collected | Investigator
EXDOSFRM | Dose Form                               | text     | Exp  | Variable Qualifier | FRM      | Assigned  | Sponsor
EXDOSFRQ | Dosing Frequency per Interval           | text     | Perm | Record Qualifier   | FREQ     | Assigned  | Sponsor
EXROUTE  | Route of Administration                 | text     | Perm | Variable Qualifier | ROUTE    | Collected | Investigator
EXLOT    | Lot Number                              | text     | Perm | Record Qualifier   |          | Collected | Investigator
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
EXSTDTC  | Start Date/Time of Treatment            | datetime | Exp  | Timing             |          | Collected | Investigator
EXENDTC  | End Date/Time of Treatment              | datetime | Exp  | Timing             |          | Collected | Investigator
EXSTDY   | Study Day of Start of Treatment         | integer  | Perm | Timing             |          | Derived   | | MT.DY
EXENDY   | Study Day of End of Treatment           | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "CM": """
@ID
@SEQ
CMTRT    | Reported Name of Drug, Med, or Therapy  | text     | Req  | Topic              |          | Collected | Investigator
CMCAT    | Category for Medication                 | text     | Perm | Grouping Qualifier | CMCAT    | Collected | Investigator
CMINDC   | Indication                              | text     | Perm | Record Qualifier   |          | Collected | Investigator
CMDOSTXT | Dose Description                        | text     | Perm | Record Qualifier   |          | Collected | Investigator
CMROUTE  | Route of Administration                 | text     | Perm | Variable Qualifier | ROUTE    | Collected | Investigator
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
CMSTDTC  | Start Date/Time of Medication           | date     | Perm | Timing             |          | Collected | Investigator
CMENDTC  | End Date/Time of Medication             | date     | Perm | Timing             |          | Collected | Investigator
CMSTDY   | Study Day of Start of Medication        | integer  | Perm | Timing             |          | Derived   | | MT.DY
CMENDY   | Study Day of End of Medication          | integer  | Perm | Timing             |          | Derived   | | MT.DY
CMENRTPT | End Relative to Reference Time Point    | text     | Perm | Timing             | STENRF   | Collected | Investigator
CMENTPT  | End Reference Time Point                | text     | Perm | Timing             |          | Assigned  | Sponsor
""",
    "PR": """
@ID
@SEQ
PRTRT    | Reported Name of Procedure              | text     | Req  | Topic              |          | Assigned  | Sponsor
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
PRSTDTC  | Start Date/Time of Procedure            | datetime | Exp  | Timing             |          | Collected | Investigator
PRSTDY   | Study Day of Start of Procedure         | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "DS": """
@ID
@SEQ
DSTERM   | Reported Term for the Disposition Event | text     | Req  | Topic              |          | Collected | Investigator
DSDECOD  | Standardized Disposition Term           | text     | Req  | Synonym Qualifier  |          | Collected | Investigator
DSCAT    | Category for Disposition Event          | text     | Exp  | Grouping Qualifier | DSCAT    | Assigned  | Sponsor
DSSCAT   | Subcategory for Disposition Event       | text     | Perm | Grouping Qualifier | DSSCAT   | Assigned  | Sponsor
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
DSSTDTC  | Start Date/Time of Disposition Event    | date     | Exp  | Timing             |          | Collected | Investigator
DSSTDY   | Study Day of Start of Disposition Event | integer  | Exp  | Timing             |          | Derived   | | MT.DY
""",
    "MH": """
@ID
@SEQ
MHTERM   | Reported Term for the Medical History   | text     | Req  | Topic              |          | Collected | Investigator
MHCAT    | Category for Medical History            | text     | Perm | Grouping Qualifier | MHCAT    | Assigned  | Sponsor
MHSCAT   | Subcategory for Medical History         | text     | Perm | Grouping Qualifier | TUMTYPE  | Collected | Investigator | | COM.MH.MHSCAT
MHSTDTC  | Start Date/Time of Medical History Event | date    | Perm | Timing             |          | Collected | Investigator
MHSTDY   | Study Day of Start of Observation       | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "IE": """
@ID
@SEQ
IETESTCD | Inclusion/Exclusion Criterion Short Name | text    | Req  | Topic              | IETESTCD | Collected | Investigator
IETEST   | Inclusion/Exclusion Criterion           | text     | Req  | Synonym Qualifier  |          | Derived   | | MT.IE.IETEST
IECAT    | Inclusion/Exclusion Category            | text     | Req  | Grouping Qualifier | IECAT    | Collected | Investigator
IEORRES  | I/E Criterion Original Result           | text     | Req  | Result Qualifier   | NY       | Derived   | | MT.IE.IEORRES
IESTRESC | I/E Criterion Result in Std Format      | text     | Req  | Result Qualifier   | NY       | Derived   | | MT.IE.IEORRES
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
""",
    "LB": """
@ID
@SEQ
LBTESTCD | Lab Test or Examination Short Name      | text     | Req  | Topic              | LBTESTCD | Collected | Investigator
LBTEST   | Lab Test or Examination Name            | text     | Req  | Synonym Qualifier  | LBTEST   | Collected | Investigator
LBCAT    | Category for Lab Test                   | text     | Exp  | Grouping Qualifier | LBCAT    | Collected | Investigator
LBORRES  | Result or Finding in Original Units     | text     | Exp  | Result Qualifier   |          | Collected | Investigator
LBORRESU | Original Units                          | text     | Exp  | Variable Qualifier | UNIT     | Collected | Investigator
LBORNRLO | Reference Range Lower Limit in Orig Unit | text    | Exp  | Variable Qualifier |          | Collected | Investigator
LBORNRHI | Reference Range Upper Limit in Orig Unit | text    | Exp  | Variable Qualifier |          | Collected | Investigator
LBSTRESC | Character Result/Finding in Std Format  | text     | Exp  | Result Qualifier   |          | Derived   | | MT.STRESC
LBSTRESN | Numeric Result/Finding in Standard Units | float   | Exp  | Result Qualifier   |          | Derived   | | MT.STRESN
LBSTRESU | Standard Units                          | text     | Exp  | Variable Qualifier | UNIT     | Derived   | | MT.STRESU
LBSTNRLO | Reference Range Lower Limit-Std Units   | float    | Exp  | Variable Qualifier |          | Derived   | | MT.STNR
LBSTNRHI | Reference Range Upper Limit-Std Units   | float    | Exp  | Variable Qualifier |          | Derived   | | MT.STNR
LBNRIND  | Reference Range Indicator               | text     | Exp  | Variable Qualifier | NRIND    | Derived   | | MT.NRIND
LBSTAT   | Completion Status                       | text     | Perm | Record Qualifier   | ND       | Collected | Investigator
LBREASND | Reason Test Not Done                    | text     | Perm | Record Qualifier   |          | Collected | Investigator
LBSPEC   | Specimen Type                           | text     | Perm | Record Qualifier   | SPECTYPE | Assigned  | Sponsor
LBLOBXFL | Last Observation Before Exposure Flag   | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.LOBXFL
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
LBDTC    | Date/Time of Specimen Collection        | datetime | Exp  | Timing             |          | Collected | Investigator
LBDY     | Study Day of Specimen Collection        | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "CP": """
@ID
@SEQ
CPTESTCD | Test or Examination Short Name          | text     | Req  | Topic              | CPTESTCD | Collected | Vendor
CPTEST   | Name of Measurement, Test or Examination | text    | Req  | Synonym Qualifier  | CPTEST   | Collected | Vendor
CPSBMRKS | Sublineage Marker String                | text     | Perm | Variable Qualifier |          | Assigned  | Sponsor
CPMRKSTR | Marker String                           | text     | Exp  | Record Qualifier   |          | Assigned  | Sponsor
CPCAT    | Category                                | text     | Perm | Grouping Qualifier | CPCAT    | Assigned  | Sponsor
CPORRES  | Result or Finding in Original Units     | text     | Exp  | Result Qualifier   |          | Collected | Vendor
CPORRESU | Original Units                          | text     | Perm | Variable Qualifier | UNIT     | Collected | Vendor
CPSTRESC | Result or Finding in Standard Format    | text     | Exp  | Result Qualifier   |          | Derived   | | MT.STRESC
CPSTRESN | Numeric Result/Finding in Standard Units | float   | Perm | Result Qualifier   |          | Derived   | | MT.STRESN
CPSTRESU | Standard Units                          | text     | Perm | Variable Qualifier | UNIT     | Derived   | | MT.STRESU
CPSTAT   | Completion Status                       | text     | Perm | Record Qualifier   | ND       | Collected | Vendor
CPREASND | Reason Not Done                         | text     | Perm | Record Qualifier   |          | Collected | Vendor
CPSPEC   | Specimen Type                           | text     | Perm | Record Qualifier   | SPECTYPE | Assigned  | Sponsor
CPMETHOD | Method of Test or Examination           | text     | Perm | Record Qualifier   | METHOD   | Assigned  | Sponsor
CPLOBXFL | Last Observation Before Exposure Flag   | text     | Perm | Record Qualifier   | NY_Y     | Derived   | | MT.LOBXFL
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
CPDTC    | Date/Time of Collection                 | datetime | Exp  | Timing             |          | Collected | Vendor
CPDY     | Study Day of Visit/Collection/Exam      | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "PC": """
@ID
@SEQ
PCTESTCD | Pharmacokinetic Test Short Name         | text     | Req  | Topic              | PCTESTCD | Assigned  | Sponsor
PCTEST   | Pharmacokinetic Test Name               | text     | Req  | Synonym Qualifier  | PCTEST   | Assigned  | Sponsor
PCORRES  | Result or Finding in Original Units     | text     | Exp  | Result Qualifier   |          | Collected | Vendor
PCORRESU | Original Units                          | text     | Exp  | Variable Qualifier | UNIT     | Collected | Vendor
PCSTRESC | Character Result/Finding in Std Format  | text     | Exp  | Result Qualifier   |          | Derived   | | MT.STRESC | COM.PC.PCSTRESC
PCSTRESN | Numeric Result/Finding in Standard Units | float   | Exp  | Result Qualifier   |          | Derived   | | MT.STRESN
PCSTRESU | Standard Units                          | text     | Exp  | Variable Qualifier | UNIT     | Derived   | | MT.STRESU
PCSTAT   | Completion Status                       | text     | Perm | Record Qualifier   | ND       | Collected | Vendor
PCREASND | Reason Not Done                         | text     | Perm | Record Qualifier   |          | Collected | Vendor
PCNAM    | Vendor Name                             | text     | Exp  | Record Qualifier   |          | Assigned  | Sponsor
PCSPEC   | Specimen Material Type                  | text     | Exp  | Record Qualifier   | SPECTYPE | Assigned  | Sponsor
PCMETHOD | Method of Test or Examination           | text     | Perm | Record Qualifier   | METHOD   | Assigned  | Sponsor
PCLLOQ   | Lower Limit of Quantitation             | float    | Exp  | Variable Qualifier |          | Collected | Vendor
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
PCDTC    | Date/Time of Specimen Collection        | datetime | Exp  | Timing             |          | Collected | Vendor
PCDY     | Actual Study Day of Specimen Collection | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "TU": """
@ID
@SEQ
TULNKID  | Link ID                                 | text     | Exp  | Identifier         |          | Derived   | | MT.LNKID
TUTESTCD | Tumor/Lesion ID Short Name              | text     | Req  | Topic              | TUTESTCD | Assigned  | Sponsor
TUTEST   | Tumor/Lesion ID Test Name               | text     | Req  | Synonym Qualifier  | TUTEST   | Assigned  | Sponsor
TUORRES  | Tumor/Lesion ID Result                  | text     | Exp  | Result Qualifier   | TUIDRS   | Collected | Investigator
TUSTRESC | Tumor/Lesion ID Result Std. Format      | text     | Exp  | Result Qualifier   | TUIDRS   | Collected | Investigator
TULOC    | Location of the Tumor/Lesion            | text     | Exp  | Record Qualifier   | LOC      | Collected | Investigator
TUMETHOD | Method of Identification                | text     | Exp  | Record Qualifier   | METHOD   | Collected | Investigator
TULOBXFL | Last Observation Before Exposure Flag   | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.LOBXFL
TUEVAL   | Evaluator                               | text     | Exp  | Record Qualifier   | EVAL     | Assigned  | Sponsor
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
TUDTC    | Date/Time of Tumor/Lesion Identification | date    | Exp  | Timing             |          | Collected | Investigator
TUDY     | Study Day of Tumor/Lesion Identification | integer | Perm | Timing             |          | Derived   | | MT.DY
""",
    "TR": """
@ID
@SEQ
TRLNKID  | Link ID                                 | text     | Exp  | Identifier         |          | Derived   | | MT.LNKID
TRLNKGRP | Link Group                              | text     | Perm | Identifier         |          | Derived   | | MT.LNKGRP
TRTESTCD | Tumor/Lesion Assessment Short Name      | text     | Req  | Topic              | TRTESTCD | Assigned  | Sponsor | | COM.TR.TRTESTCD
TRTEST   | Tumor/Lesion Assessment Test Name       | text     | Req  | Synonym Qualifier  | TRTEST   | Assigned  | Sponsor
TRORRES  | Result or Finding in Original Units     | text     | Exp  | Result Qualifier   |          | Collected | Investigator
TRORRESU | Original Units                          | text     | Exp  | Variable Qualifier | UNIT     | Assigned  | Sponsor
TRSTRESC | Character Result/Finding in Std Format  | text     | Exp  | Result Qualifier   |          | Derived   | | MT.STRESC
TRSTRESN | Numeric Result/Finding in Standard Units | float   | Exp  | Result Qualifier   |          | Derived   | | MT.STRESN
TRSTRESU | Standard Units                          | text     | Exp  | Variable Qualifier | UNIT     | Derived   | | MT.STRESU
TRSTAT   | Completion Status                       | text     | Perm | Record Qualifier   | ND       | Assigned  | Sponsor
TRREASND | Reason Not Done                         | text     | Perm | Record Qualifier   |          | Assigned  | Sponsor
TRMETHOD | Method Used to Identify the Tumor/Lesion | text    | Exp  | Record Qualifier   | METHOD   | Collected | Investigator
TRLOBXFL | Last Observation Before Exposure Flag   | text     | Exp  | Record Qualifier   | NY_Y     | Derived   | | MT.LOBXFL
TREVAL   | Evaluator                               | text     | Exp  | Record Qualifier   | EVAL     | Assigned  | Sponsor
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
TRDTC    | Date/Time of Tumor/Lesion Measurement   | date     | Exp  | Timing             |          | Collected | Investigator
TRDY     | Study Day of Tumor/Lesion Measurement   | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "RS": """
@ID
@SEQ
RSLNKGRP | Link Group ID                           | text     | Perm | Identifier         |          | Derived   | | MT.LNKGRP
RSTESTCD | Assessment Short Name                   | text     | Req  | Topic              | ONCRTSCD | Assigned  | Sponsor
RSTEST   | Assessment Name                         | text     | Req  | Synonym Qualifier  | ONCRTS   | Assigned  | Sponsor
RSCAT    | Category for Assessment                 | text     | Exp  | Grouping Qualifier | ONCRSCAT | Assigned  | Sponsor
RSORRES  | Result or Finding in Original Units     | text     | Exp  | Result Qualifier   |          | Collected | Investigator
RSSTRESC | Character Result/Finding in Std Format  | text     | Exp  | Result Qualifier   |          | Collected | Investigator
RSSTAT   | Completion Status                       | text     | Perm | Record Qualifier   | ND       | Collected | Investigator
RSREASND | Reason Not Done                         | text     | Perm | Record Qualifier   |          | Collected | Investigator
RSEVAL   | Evaluator                               | text     | Perm | Record Qualifier   | EVAL     | Assigned  | Sponsor
@VISIT
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.EPOCH
RSDTC    | Date/Time of Assessment                 | date     | Exp  | Timing             |          | Collected | Investigator
RSDY     | Study Day of Assessment                 | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "SV": """
@ID
@VISIT_SV
SVPRESP  | Pre-specified                           | text     | Exp  | Variable Qualifier | NY_Y     | Assigned  | Sponsor
SVOCCUR  | Occurrence                              | text     | Exp  | Record Qualifier   | NY       | Collected | Investigator
SVREASOC | Reason for Occur Value                  | text     | Perm | Record Qualifier   |          | Collected | Investigator
VISITDY  | Planned Study Day of Visit              | integer  | Perm | Timing             |          | Derived   | | MT.VISIT
SVSTDTC  | Start Date/Time of Observation          | date     | Exp  | Timing             |          | Collected | Investigator
SVENDTC  | End Date/Time of Observation            | date     | Exp  | Timing             |          | Collected | Investigator
SVSTDY   | Study Day of Start of Observation       | integer  | Perm | Timing             |          | Derived   | | MT.DY
SVENDY   | Study Day of End of Observation         | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "SE": """
@ID
@SEQ
ETCD     | Element Code                            | text     | Req  | Topic              | ETCD     | Derived   | | MT.SE
ELEMENT  | Description of Element                  | text     | Perm | Synonym Qualifier  |          | Derived   | | MT.SE
TAETORD  | Planned Order of Element within Arm     | integer  | Perm | Timing             |          | Derived   | | MT.SE
EPOCH    | Epoch                                   | text     | Perm | Timing             | EPOCH    | Derived   | | MT.SE
SESTDTC  | Start Date/Time of Element              | datetime | Req  | Timing             |          | Derived   | | MT.SE
SEENDTC  | End Date/Time of Element                | datetime | Exp  | Timing             |          | Derived   | | MT.SE
SESTDY   | Study Day of Start of Element           | integer  | Perm | Timing             |          | Derived   | | MT.DY
SEENDY   | Study Day of End of Element             | integer  | Perm | Timing             |          | Derived   | | MT.DY
""",
    "TS": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier         |          | Assigned | Sponsor
TSSEQ    | Sequence Number                         | integer  | Req  | Identifier         |          | Protocol | Sponsor
TSGRPID  | Group ID                                | text     | Perm | Identifier         |          | Protocol | Sponsor
TSPARMCD | Trial Summary Parameter Short Name      | text     | Req  | Topic              | TSPARMCD | Protocol | Sponsor
TSPARM   | Trial Summary Parameter                 | text     | Req  | Synonym Qualifier  | TSPARM   | Protocol | Sponsor
TSVAL    | Parameter Value                         | text     | Exp  | Result Qualifier   |          | Protocol | Sponsor | | COM.TS.TSVAL
TSVALNF  | Parameter Value Null Flavor             | text     | Perm | Result Qualifier   |          | Protocol | Sponsor
TSVALCD  | Parameter Value Code                    | text     | Exp  | Result Qualifier   |          | Protocol | Sponsor
TSVCDREF | Name of the Reference Terminology       | text     | Exp  | Result Qualifier   |          | Protocol | Sponsor
TSVCDVER | Version of the Reference Terminology    | text     | Exp  | Result Qualifier   |          | Protocol | Sponsor
""",
    "TA": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier         |          | Assigned | Sponsor
ARMCD    | Planned Arm Code                        | text     | Req  | Topic              | ARMCD    | Protocol | Sponsor
ARM      | Description of Planned Arm              | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
TAETORD  | Planned Order of Element within Arm     | integer  | Req  | Timing             |          | Protocol | Sponsor
ETCD     | Element Code                            | text     | Req  | Record Qualifier   | ETCD     | Protocol | Sponsor
ELEMENT  | Description of Element                  | text     | Perm | Synonym Qualifier  |          | Protocol | Sponsor
TABRANCH | Branch                                  | text     | Exp  | Rule               |          | Protocol | Sponsor
TATRANS  | Transition Rule                         | text     | Exp  | Rule               |          | Protocol | Sponsor
EPOCH    | Epoch                                   | text     | Req  | Timing             | EPOCH    | Protocol | Sponsor
""",
    "TE": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier         |          | Assigned | Sponsor
ETCD     | Element Code                            | text     | Req  | Topic              | ETCD     | Protocol | Sponsor
ELEMENT  | Description of Element                  | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
TESTRL   | Rule for Start of Element               | text     | Req  | Rule               |          | Protocol | Sponsor
TEENRL   | Rule for End of Element                 | text     | Perm | Rule               |          | Protocol | Sponsor
TEDUR    | Planned Duration of Element             | text     | Perm | Timing             |          | Protocol | Sponsor
""",
    "TV": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier         |          | Assigned | Sponsor
VISITNUM | Visit Number                            | float    | Req  | Topic              |          | Protocol | Sponsor
VISIT    | Visit Name                              | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
VISITDY  | Planned Study Day of Visit              | integer  | Perm | Timing             |          | Protocol | Sponsor | | COM.TV.VISITDY
ARMCD    | Planned Arm Code                        | text     | Exp  | Record Qualifier   | ARMCD    | Protocol | Sponsor
TVSTRL   | Visit Start Rule                        | text     | Req  | Rule               |          | Protocol | Sponsor
TVENRL   | Visit End Rule                          | text     | Perm | Rule               |          | Protocol | Sponsor
""",
    "TI": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
DOMAIN   | Domain Abbreviation                     | text     | Req  | Identifier         |          | Assigned | Sponsor
IETESTCD | Incl/Excl Criterion Short Name          | text     | Req  | Topic              | IETESTCD | Protocol | Sponsor
IETEST   | Inclusion/Exclusion Criterion           | text     | Req  | Synonym Qualifier  |          | Protocol | Sponsor
IECAT    | Inclusion/Exclusion Category            | text     | Req  | Grouping Qualifier | IECAT    | Protocol | Sponsor
TIVERS   | Protocol Criteria Versions              | text     | Perm | Record Qualifier   |          | Protocol | Sponsor
""",
    "RELREC": """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
RDOMAIN  | Related Domain Abbreviation             | text     | Req  | Identifier         | DOMAIN   | Derived  | | MT.RELREC
USUBJID  | Unique Subject Identifier               | text     | Exp  | Identifier         |          | Derived  | | MT.RELREC
IDVAR    | Identifying Variable                    | text     | Req  | Identifier         |          | Derived  | | MT.RELREC
IDVARVAL | Identifying Variable Value              | text     | Exp  | Identifier         |          | Derived  | | MT.RELREC
RELTYPE  | Relationship Type                       | text     | Exp  | Record Qualifier   | RELTYPE  | Derived  | | MT.RELREC
RELID    | Relationship Identifier                 | text     | Req  | Record Qualifier   |          | Derived  | | MT.RELREC
""",
}

_SUPP = """
STUDYID  | Study Identifier                        | text     | Req  | Identifier         |          | Protocol | Sponsor
RDOMAIN  | Related Domain Abbreviation             | text     | Req  | Identifier         | DOMAIN   | Assigned | Sponsor
USUBJID  | Unique Subject Identifier               | text     | Req  | Identifier         |          | Derived  | | MT.USUBJID
IDVAR    | Identifying Variable                    | text     | Exp  | Identifier         |          | Assigned | Sponsor
IDVARVAL | Identifying Variable Value              | text     | Exp  | Identifier         |          | Derived  | | MT.SUPP
QNAM     | Qualifier Variable Name                 | text     | Req  | Topic              | QNAM_{d} | Assigned | Sponsor
QLABEL   | Qualifier Variable Label                | text     | Req  | Synonym Qualifier  |          | Assigned | Sponsor
QVAL     | Data Value                              | text     | Req  | Result Qualifier   |          | Collected | Investigator
QORIG    | Origin                                  | text     | Req  | Record Qualifier   |          | Assigned | Sponsor
QEVAL    | Evaluator                               | text     | Exp  | Record Qualifier   |          | Assigned | Sponsor
"""

# Significant digits of float variables (Define-XML SignificantDigits); value-level rows refine them.
SIGNIFICANT_DIGITS = {"VISITNUM": "2", "EXDOSE": "1", "LBSTRESN": "2", "LBSTNRLO": "2", "LBSTNRHI": "2",
                      "CPSTRESN": "1", "PCSTRESN": "2", "PCLLOQ": "2", "TRSTRESN": "0"}
COMMON = {"STUDYID", "USUBJID", "VISITNUM", "VISIT", "VISITDY", "EPOCH"}


def _expand(dataset: str, text: str) -> str:
    domain = dataset[4:] if dataset.startswith("SUPP") else dataset
    if text.startswith("@SUPP"):
        return _SUPP.replace("{d}", domain)
    vcore = "Exp" if dataset in ("LB", "PC", "TU", "TR", "RS") else "Perm"
    lines = []
    for line in text.strip("\n").splitlines():
        key = line.strip()
        if key == "@VISIT_SV":
            lines.append("VISITNUM | Visit Number | float | Req | Topic | | Derived | | MT.VISIT")
            lines.append("VISIT    | Visit Name   | text  | Perm | Synonym Qualifier | | Derived | | MT.VISIT")
        elif key in _SHORTHAND:
            lines.append(_SHORTHAND[key].format(d=domain, vcore=vcore))
        else:
            lines.append(line)
    return "\n".join(lines)


def dataset_rows() -> list[Row]:
    return [{**d, "Subclass": "", "Standard": STD_SDTMIG, "Repeating": "No" if d["Dataset"] in (
        "DM", "TS", "TA", "TE", "TV", "TI") else "Yes",
        "Reference Data": "Yes" if d["Class"] == "TRIAL DESIGN" else "No",
        "Comment": _DATASET_COMMENTS.get(d["Dataset"], "")} for d in DATASETS]


def variable_rows() -> list[Row]:
    """Variables-sheet rows before the Mapping-derived columns (Pages, Assigned Value) are filled in."""
    rows: list[Row] = []
    for dataset in (d["Dataset"] for d in DATASETS):
        for order, v in enumerate(pipe_table(_expand(dataset, VARIABLES[dataset]), _COLUMNS), start=1):
            numeric = v["Data Type"] in ("integer", "float")
            rows.append({
                "Order": str(order), "Dataset": dataset, "Variable": v["Variable"], "Label": v["Label"],
                "Data Type": v["Data Type"], "Length": "8" if numeric else "",
                "Significant Digits": SIGNIFICANT_DIGITS.get(v["Variable"], "") if v["Data Type"] == "float" else "",
                "Format": "", "Mandatory": "Yes" if v["Core"] == "Req" else "No", "Assigned Value": "",
                "Codelist": v["Codelist"], "Common": "Yes" if v["Variable"] in COMMON else "",
                "Origin": v["Origin"], "Source": v["Source"], "Pages": "", "Method": v["Method"],
                "Predecessor": "", "Role": v["Role"], "Core": v["Core"], "Comment": v["Comment"],
                "Developer Notes": "",
            })
    return rows
