"""ADaM datasets and variables of the example study (ADaMIG 1.3): Datasets and Variables sheet content.

Types: `date` / `datetime` are SAS numeric dates (integer with DATE9. / DATETIME20.). Origin Predecessor
rows name their source in the Method/Predecessor column (e.g. `DM.AGE`); Derived rows name a method.
Core is blank for sponsor-defined variables (not in ADaMIG 1.3).
"""

from __future__ import annotations

from trialforge.example_study.workbooks.common import STD_ADAMIG, Row, pipe_table

DATASETS = pipe_table("""
ADSL  | Subject-Level Analysis Dataset        | SUBJECT LEVEL ANALYSIS DATASET |                | One record per subject | STUDYID, USUBJID
ADAE  | Adverse Events Analysis Dataset       | OCCURRENCE DATA STRUCTURE      | ADVERSE EVENT  | One record per adverse event per subject | STUDYID, USUBJID, AEDECOD, ASTDT, AESEQ
ADRS  | Tumor Response Analysis Dataset       | BASIC DATA STRUCTURE           |                | One record per subject per parameter per analysis date | STUDYID, USUBJID, PARAMCD, ADT, ASEQ
ADTTE | Time-to-Event Analysis Dataset        | BASIC DATA STRUCTURE           | TIME-TO-EVENT  | One record per subject per parameter | STUDYID, USUBJID, PARAMCD
ADTR  | Tumor Measurement Analysis Dataset    | BASIC DATA STRUCTURE           |                | One record per subject per parameter per analysis visit per analysis date | STUDYID, USUBJID, PARAMCD, AVISITN, ADT
ADLB  | Laboratory Analysis Dataset           | BASIC DATA STRUCTURE           |                | One record per subject per parameter per LB record | STUDYID, USUBJID, PARAMCD, ADT, LBSEQ
ADPC  | Kinetics Concentrations Analysis Data | BASIC DATA STRUCTURE           |                | One record per subject per analyte per sample | STUDYID, USUBJID, SRCDOM, PARAMCD, SRCSEQ
ADPP  | Kinetic Parameters Analysis Dataset   | BASIC DATA STRUCTURE           |                | One record per subject per analyte per NCA parameter | STUDYID, USUBJID, PARCAT1, PARCAT3, PARAMCD
""", ("Dataset", "Label", "Class", "Subclass", "Structure", "Key Variables"))

_COLUMNS = ("Variable", "Label", "Data Type", "Core", "Codelist", "Origin", "Source", "Comment")

_SUBJECT = """
STUDYID  | Study Identifier                        | text     | Req  |          | Predecessor | ADSL.STUDYID
USUBJID  | Unique Subject Identifier               | text     | Req  |          | Predecessor | ADSL.USUBJID
SUBJID   | Subject Identifier for the Study        | text     | Perm |          | Predecessor | ADSL.SUBJID
SITEID   | Study Site Identifier                   | text     | Perm |          | Predecessor | ADSL.SITEID
"""
_TREATMENT = """
TRTA     | Actual Treatment                        | text     | Cond | TRT      | Predecessor | ADSL.TRT01A
TRTSDT   | Date of First Exposure to Treatment     | date     | Perm |          | Predecessor | ADSL.TRTSDT
"""

VARIABLES: dict[str, str] = {
    "ADSL": """
STUDYID  | Study Identifier                        | text     | Req  |          | Predecessor | DM.STUDYID
USUBJID  | Unique Subject Identifier               | text     | Req  |          | Predecessor | DM.USUBJID
SUBJID   | Subject Identifier for the Study        | text     | Req  |          | Predecessor | DM.SUBJID
SITEID   | Study Site Identifier                   | text     | Req  |          | Predecessor | DM.SITEID
AGE      | Age                                     | integer  | Req  |          | Predecessor | DM.AGE
AGEU     | Age Units                               | text     | Req  | AGEU     | Predecessor | DM.AGEU
AGEGR1   | Pooled Age Group 1                      | text     | Perm | AGEGR1   | Derived     | MT.ADSL.AGEGR1
AGEGR1N  | Pooled Age Group 1 (N)                  | integer  | Perm | AGEGR1N  | Derived     | MT.ADSL.AGEGR1
SEX      | Sex                                     | text     | Req  | SEX      | Predecessor | DM.SEX
RACE     | Race                                    | text     | Req  | RACE     | Predecessor | DM.RACE
ETHNIC   | Ethnicity                               | text     | Perm | ETHNIC   | Predecessor | DM.ETHNIC
COUNTRY  | Country                                 | text     | Perm | COUNTRY  | Predecessor | DM.COUNTRY
ENRLFL   | Enrolled Population Flag                | text     | Cond | NY       | Derived     | MT.ADSL.ENRLFL
SAFFL    | Safety Population Flag                  | text     | Cond | NY       | Derived     | MT.ADSL.SAFFL
EFFFL    | Efficacy Evaluable Population Flag      | text     |      | NY       | Derived     | MT.ADSL.EFFFL
MDISFL   | Measurable Disease at Baseline Flag     | text     |      | NY       | Derived     | MT.ADSL.MDISFL
ARM      | Description of Planned Arm              | text     | Req  |          | Predecessor | DM.ARM
ACTARM   | Description of Actual Arm               | text     | Perm |          | Predecessor | DM.ACTARM
TRT01P   | Planned Treatment for Period 01         | text     | Req  | TRT      | Predecessor | DM.ARM
TRT01A   | Actual Treatment for Period 01          | text     | Cond | TRT      | Predecessor | DM.ACTARM
DOSE01A  | Actual Treatment Dose for Period 01     | float    | Perm |          | Derived     | MT.ADSL.DOSE01A
DOSE01U  | Units for Dose for Period 01            | text     | Perm | UNIT     | Derived     | MT.ADSL.DOSE01A
APHDT    | Date of Leukapheresis                   | date     |      |          | Derived     | MT.ADSL.APHDT
LDSTDT   | Date of First Lymphodepletion Dose      | date     |      |          | Derived     | MT.ADSL.LDSTDT
TRTSDTM  | Datetime of First Exposure to Treatment | datetime | Cond |          | Derived     | MT.ADSL.TRTSDTM | COM.ADSL.TRTSDT
TRTSTMF  | Time of First Exposure Imput. Flag      | text     | Cond | TIMEFL   | Derived     | MT.ADSL.TRTSDTM
TRTSDT   | Date of First Exposure to Treatment     | date     | Cond |          | Derived     | MT.ADSL.TRTSDT | COM.ADSL.TRTSDT
TRTEDTM  | Datetime of Last Exposure to Treatment  | datetime | Cond |          | Derived     | MT.ADSL.TRTEDTM
TRTETMF  | Time of Last Exposure Imput. Flag       | text     | Cond | TIMEFL   | Derived     | MT.ADSL.TRTEDTM
TRTEDT   | Date of Last Exposure to Treatment      | date     | Cond |          | Derived     | MT.ADSL.TRTEDTM
TUMTYPE  | Primary Tumor Type                      | text     |      | TUMTYPE  | Derived     | MT.ADSL.TUMTYPE
EOSSTT   | End of Study Status                     | text     | Perm | SBJTSTAT | Derived     | MT.ADSL.EOSSTT
EOSDT    | End of Study Date                       | date     | Perm |          | Derived     | MT.ADSL.EOSDT
DCSREAS  | Reason for Discontinuation from Study   | text     | Perm | NCOMPLT  | Derived     | MT.ADSL.DCSREAS
NACTDT   | Date of First New Anti-Cancer Therapy   | date     |      |          | Derived     | MT.ADSL.NACTDT
NACTDTF  | First New Therapy Date Imput. Flag      | text     |      | DATEFL   | Derived     | MT.ADSL.NACTDT
DTHFL    | Subject Death Flag                      | text     |      | NY_Y     | Predecessor | DM.DTHFL
DTHDT    | Date of Death                           | date     | Perm |          | Derived     | MT.ADSL.DTHDT
DTHDTF   | Date of Death Imputation Flag           | text     | Cond | DATEFL   | Derived     | MT.ADSL.DTHDT
DTHCAUS  | Cause of Death                          | text     | Perm |          | Predecessor | SUPPDM.QVAL | COM.ADSL.DTHCAUS
DTHADY   | Relative Day of Death                   | integer  |      |          | Derived     | MT.ADSL.DTHADY
LSTALVDT | Date Last Known Alive                   | date     | Perm |          | Derived     | MT.ADSL.LSTALVDT
""",
    "ADAE": _SUBJECT + """
AGE      | Age                                     | integer  | Perm |          | Predecessor | ADSL.AGE
SEX      | Sex                                     | text     | Perm | SEX      | Predecessor | ADSL.SEX
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
""" + _TREATMENT + """
LDSTDT   | Date of First Lymphodepletion Dose      | date     |      |          | Predecessor | ADSL.LDSTDT
AESEQ    | Sequence Number                         | integer  | Req  |          | Predecessor | AE.AESEQ
AETERM   | Reported Term for the Adverse Event     | text     | Req  |          | Predecessor | AE.AETERM
AELLT    | Lowest Level Term                       | text     | Perm | MEDDRA   | Predecessor | AE.AELLT
AELLTCD  | Lowest Level Term Code                  | integer  | Perm |          | Predecessor | AE.AELLTCD
AEDECOD  | Dictionary-Derived Term                 | text     | Req  | MEDDRA   | Predecessor | AE.AEDECOD
AEPTCD   | Preferred Term Code                     | integer  | Perm |          | Predecessor | AE.AEPTCD
AEHLT    | High Level Term                         | text     | Perm | MEDDRA   | Predecessor | AE.AEHLT
AEHLTCD  | High Level Term Code                    | integer  | Perm |          | Predecessor | AE.AEHLTCD
AEHLGT   | High Level Group Term                   | text     | Perm | MEDDRA   | Predecessor | AE.AEHLGT
AEHLGTCD | High Level Group Term Code              | integer  | Perm |          | Predecessor | AE.AEHLGTCD
AEBODSYS | Body System or Organ Class              | text     | Req  | MEDDRA   | Predecessor | AE.AEBODSYS
AEBDSYCD | Body System or Organ Class Code         | integer  | Perm |          | Predecessor | AE.AEBDSYCD
AESOC    | Primary System Organ Class              | text     | Perm | MEDDRA   | Predecessor | AE.AESOC
AESOCCD  | Primary System Organ Class Code         | integer  | Perm |          | Predecessor | AE.AESOCCD
AESER    | Serious Event                           | text     | Perm | NY       | Predecessor | AE.AESER
AEACN    | Action Taken with Study Treatment       | text     | Perm | ACN      | Predecessor | AE.AEACN
AEREL    | Causality                               | text     | Perm | AEREL    | Predecessor | AE.AEREL
AEOUT    | Outcome of Adverse Event                | text     | Perm | OUT      | Predecessor | AE.AEOUT
AESCONG  | Congenital Anomaly or Birth Defect      | text     | Perm | NY       | Predecessor | AE.AESCONG
AESDISAB | Persist or Signif Disability/Incapacity | text     | Perm | NY       | Predecessor | AE.AESDISAB
AESDTH   | Results in Death                        | text     | Perm | NY       | Predecessor | AE.AESDTH
AESHOSP  | Requires or Prolongs Hospitalization    | text     | Perm | NY       | Predecessor | AE.AESHOSP
AESLIFE  | Is Life Threatening                     | text     | Perm | NY       | Predecessor | AE.AESLIFE
AESMIE   | Other Medically Important Serious Event | text     | Perm | NY       | Predecessor | AE.AESMIE
AETOXGR  | Standard Toxicity Grade                 | text     | Perm | CTCAE    | Predecessor | AE.AETOXGR
AEASTCGR | ASTCT Consensus Grade                   | text     |      | ASTCTGR  | Predecessor | SUPPAE.QVAL
AERELLD  | Relationship to Lymphodepletion         | text     |      | AEREL    | Predecessor | SUPPAE.QVAL
AETRTEM  | Treatment Emergent Flag                 | text     |      | NY       | Predecessor | SUPPAE.QVAL
EPOCH    | Epoch                                   | text     | Perm | EPOCH    | Predecessor | AE.EPOCH
AESTDTC  | Start Date/Time of Adverse Event        | text     | Perm |          | Predecessor | AE.AESTDTC
AEENDTC  | End Date/Time of Adverse Event          | text     | Perm |          | Predecessor | AE.AEENDTC
AEENRTPT | End Relative to Reference Time Point    | text     | Perm | STENRF   | Predecessor | AE.AEENRTPT
AEENTPT  | End Reference Time Point                | text     | Perm |          | Predecessor | AE.AEENTPT
ASTDT    | Analysis Start Date                     | date     | Cond |          | Derived     | MT.ADAE.ASTDT
ASTDTF   | Analysis Start Date Imputation Flag     | text     | Cond | DATEFL   | Derived     | MT.ADAE.ASTDT
ASTDY    | Analysis Start Relative Day             | integer  | Cond |          | Derived     | MT.ADY
AENDT    | Analysis End Date                       | date     | Cond |          | Derived     | MT.ADAE.AENDT
AENDTF   | Analysis End Date Imputation Flag       | text     | Cond | DATEFL   | Derived     | MT.ADAE.AENDT
AENDY    | Analysis End Relative Day               | integer  | Cond |          | Derived     | MT.ADY
TRTEMFL  | Treatment Emergent Analysis Flag        | text     | Cond | NY_Y     | Derived     | MT.ADAE.TRTEMFL
AREL     | Analysis Causality                      | text     | Cond | AREL     | Derived     | MT.ADAE.AREL
ATOXGR   | Analysis Toxicity Grade                 | text     | Cond | CTCAE    | Predecessor | AE.AETOXGR
ATOXGRN  | Analysis Toxicity Grade (N)             | integer  | Perm | TOXGRN   | Derived     | MT.ADAE.ATOXGRN
ASTCTGR  | Analysis ASTCT Consensus Grade          | text     |      | ASTCTGR  | Derived     | MT.ADAE.ASTCTGR
AOCCFL   | 1st Occurrence within Subject Flag      | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCFL
AOCCSFL  | 1st Occurrence of SOC Flag              | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCSFL
AOCCPFL  | 1st Occurrence of Preferred Term Flag   | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCPFL
AOCCIFL  | 1st Max Sev./Int. Occurrence Flag       | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCIFL
AOCCSIFL | 1st Max Sev./Int. Occur Within SOC Flag | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCSIFL
AOCCPIFL | 1st Max Sev./Int. Occur Within PT Flag  | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCCPIFL
CQ01NAM  | Customized Query 01 Name                | text     | Cond | CQ01NAM  | Derived     | MT.ADAE.CQ01NAM
CQ02NAM  | Customized Query 02 Name                | text     | Cond | CQ02NAM  | Derived     | MT.ADAE.CQ02NAM
ASTCTGRN | Analysis ASTCT Consensus Grade (N)      | integer  |      | ASTCTGRN | Derived     | MT.ADAE.ASTCTGRN
ADURN    | Analysis Duration (N)                   | integer  | Perm |          | Derived     | MT.ADAE.ADURN
ADURU    | Analysis Duration Units                 | text     | Perm | ADURU    | Derived     | MT.ADAE.ADURN
RESOLFL  | Event Resolved Flag                     | text     |      | NY       | Derived     | MT.ADAE.RESOLFL
AOCC01FL | 1st Max ASTCT Grade Occurrence in CQ01  | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCC01FL
AOCC02FL | 1st Max ASTCT Grade Occurrence in CQ02  | text     | Perm | NY_Y     | Derived     | MT.ADAE.AOCC02FL
""",
    "ADRS": _SUBJECT + """
ENRLFL   | Enrolled Population Flag                | text     | Perm | NY       | Predecessor | ADSL.ENRLFL
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
EFFFL    | Efficacy Evaluable Population Flag      | text     |      | NY       | Predecessor | ADSL.EFFFL
""" + _TREATMENT + """
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ASEQ
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADRS | Derived | MT.ADRS.PARAMCD
PARAM    | Parameter                               | text     | Req  | PARAM_ADRS | Derived   | MT.PARAM
PARAMN   | Parameter (N)                           | integer  | Perm |          | Derived     | MT.PARAM
PARCAT1  | Parameter Category 1                    | text     | Perm | ONCRSCAT | Derived     | MT.ADRS.PARCAT1
AVALC    | Analysis Value (C)                      | text     | Cond |          | Derived     | MT.ADRS.AVALC
AVAL     | Analysis Value                          | integer  | Cond |          | Derived     | MT.ADRS.AVAL
ADT      | Analysis Date                           | date     | Cond |          | Derived     | MT.ADRS.ADT
ADTF     | Analysis Date Imputation Flag           | text     | Cond | DATEFL   | Derived     | MT.ADRS.ADT
ADY      | Analysis Relative Day                   | integer  | Cond |          | Derived     | MT.ADY
AVISIT   | Analysis Visit                          | text     | Cond |          | Predecessor | RS.VISIT
AVISITN  | Analysis Visit (N)                      | float    | Perm |          | Predecessor | RS.VISITNUM
ANL01FL  | Analysis Flag 01                        | text     | Cond | NY_Y     | Derived     | MT.ADRS.ANL01FL
SRCDOM   | Source Data                             | text     | Perm |          | Derived     | MT.SRC
SRCVAR   | Source Variable                         | text     | Perm |          | Derived     | MT.SRC
SRCSEQ   | Source Sequence Number                  | integer  | Perm |          | Derived     | MT.SRC
""",
    "ADTTE": _SUBJECT + """
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
EFFFL    | Efficacy Evaluable Population Flag      | text     |      | NY       | Predecessor | ADSL.EFFFL
""" + _TREATMENT + """
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ASEQ
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADTTE | Derived | MT.ADTTE.PARAMCD
PARAM    | Parameter                               | text     | Req  | PARAM_ADTTE | Derived  | MT.PARAM
PARAMN   | Parameter (N)                           | integer  | Perm |          | Derived     | MT.PARAM
AVAL     | Analysis Value                          | integer  | Cond |          | Derived     | MT.ADTTE.AVAL
STARTDT  | Time-to-Event Origin Date for Subject   | date     | Perm |          | Derived     | MT.ADTTE.STARTDT
ADT      | Analysis Date                           | date     | Cond |          | Derived     | MT.ADTTE.ADT
CNSR     | Censor                                  | integer  | Cond | CNSR     | Derived     | MT.ADTTE.ADT
EVNTDESC | Event or Censoring Description          | text     | Perm | EVNTDESC | Derived     | MT.ADTTE.ADT
CNSDTDSC | Censor Date Description                 | text     | Perm | CNSDTDSC | Derived     | MT.ADTTE.ADT
SRCDOM   | Source Data                             | text     | Perm |          | Derived     | MT.SRC
SRCVAR   | Source Variable                         | text     | Perm |          | Derived     | MT.SRC
SRCSEQ   | Source Sequence Number                  | integer  | Perm |          | Derived     | MT.SRC
""",
    "ADTR": _SUBJECT + """
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
EFFFL    | Efficacy Evaluable Population Flag      | text     |      | NY       | Predecessor | ADSL.EFFFL
""" + _TREATMENT + """
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ASEQ
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADTR | Derived  | MT.ADTR.AVAL
PARAM    | Parameter                               | text     | Req  | PARAM_ADTR | Derived    | MT.PARAM
PARAMN   | Parameter (N)                           | integer  | Perm |          | Derived     | MT.PARAM
AVAL     | Analysis Value                          | float    | Cond |          | Derived     | MT.ADTR.AVAL
ADT      | Analysis Date                           | date     | Cond |          | Derived     | MT.ADTR.AVAL
ADY      | Analysis Relative Day                   | integer  | Cond |          | Derived     | MT.ADY
AVISIT   | Analysis Visit                          | text     | Cond |          | Predecessor | TR.VISIT
AVISITN  | Analysis Visit (N)                      | float    | Perm |          | Predecessor | TR.VISITNUM
ABLFL    | Baseline Record Flag                    | text     | Cond | NY_Y     | Derived     | MT.ADTR.ABLFL | COM.ADTR.ABLFL
BASE     | Baseline Value                          | float    | Cond |          | Derived     | MT.BASE
CHG      | Change from Baseline                    | float    | Perm |          | Derived     | MT.CHG
PCHG     | Percent Change from Baseline            | float    | Perm |          | Derived     | MT.PCHG
NADIR    | Nadir Analysis Value                    | float    |      |          | Derived     | MT.ADTR.NADIR
ANL01FL  | Analysis Flag 01                        | text     | Cond | NY_Y     | Derived     | MT.ADTR.ANL01FL
SRCDOM   | Source Data                             | text     | Perm |          | Derived     | MT.ADTR.SRC
SRCVAR   | Source Variable                         | text     | Perm |          | Derived     | MT.ADTR.SRC
SRCSEQ   | Source Sequence Number                  | integer  | Perm |          | Derived     | MT.ADTR.SRC
TRLNKGRP | Link Group                              | text     | Perm |          | Predecessor | TR.TRLNKGRP
""",
    "ADLB": _SUBJECT + """
AGE      | Age                                     | integer  | Perm |          | Predecessor | ADSL.AGE
SEX      | Sex                                     | text     | Perm | SEX      | Predecessor | ADSL.SEX
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
""" + _TREATMENT + """
TRTEDT   | Date of Last Exposure to Treatment      | date     | Perm |          | Predecessor | ADSL.TRTEDT
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ADLB.ASEQ
LBSEQ    | Sequence Number                         | integer  | Perm |          | Predecessor | LB.LBSEQ
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADLB | Predecessor | LB.LBTESTCD
PARAM    | Parameter                               | text     | Req  | PARAM_ADLB | Derived    | MT.ADLB.PARAM
PARCAT1  | Parameter Category 1                    | text     | Perm | LBCAT    | Predecessor | LB.LBCAT
AVAL     | Analysis Value                          | float    | Cond |          | Predecessor | LB.LBSTRESN
AVALC    | Analysis Value (C)                      | text     | Cond |          | Predecessor | LB.LBSTRESC | COM.ADLB.AVALC
ADT      | Analysis Date                           | date     | Cond |          | Derived     | MT.ADLB.ADT
ADY      | Analysis Relative Day                   | integer  | Cond |          | Derived     | MT.ADY
AVISIT   | Analysis Visit                          | text     | Cond |          | Predecessor | LB.VISIT
AVISITN  | Analysis Visit (N)                      | float    | Perm |          | Predecessor | LB.VISITNUM
ABLFL    | Baseline Record Flag                    | text     | Cond | NY_Y     | Derived     | MT.ADLB.ABLFL
BASE     | Baseline Value                          | float    | Cond |          | Derived     | MT.BASE
CHG      | Change from Baseline                    | float    | Perm |          | Derived     | MT.CHG
PCHG     | Percent Change from Baseline            | float    | Perm |          | Derived     | MT.PCHG
ANRLO    | Analysis Normal Range Lower Limit       | float    | Perm |          | Predecessor | LB.LBSTNRLO
ANRHI    | Analysis Normal Range Upper Limit       | float    | Perm |          | Predecessor | LB.LBSTNRHI
ANRIND   | Analysis Reference Range Indicator      | text     | Perm | NRIND    | Derived     | MT.ADLB.ANRIND
BNRIND   | Baseline Reference Range Indicator      | text     | Perm | NRIND    | Derived     | MT.ADLB.BNRIND
ATOXDSCL | Analysis Toxicity Description Low       | text     | Perm |          | Derived     | MT.ADLB.ATOXGR
ATOXGRL  | Analysis Toxicity Grade Low             | text     | Perm | TOXGR    | Derived     | MT.ADLB.ATOXGR
BTOXGRL  | Baseline Toxicity Grade Low             | text     | Perm | TOXGR    | Derived     | MT.ADLB.BTOXGR
ATOXDSCH | Analysis Toxicity Description High      | text     | Perm |          | Derived     | MT.ADLB.ATOXGR
ATOXGRH  | Analysis Toxicity Grade High            | text     | Perm | TOXGR    | Derived     | MT.ADLB.ATOXGR
BTOXGRH  | Baseline Toxicity Grade High            | text     | Perm | TOXGR    | Derived     | MT.ADLB.BTOXGR
SHIFT1   | Shift 1                                 | text     | Perm |          | Derived     | MT.ADLB.SHIFT
SHIFT2   | Shift 2                                 | text     | Perm |          | Derived     | MT.ADLB.SHIFT
SHIFT3   | Shift 3                                 | text     | Perm |          | Derived     | MT.ADLB.SHIFT
ONTRTFL  | On Treatment Record Flag                | text     | Cond | NY_Y     | Derived     | MT.ADLB.ONTRTFL
ANL01FL  | Analysis Flag 01                        | text     | Cond | NY_Y     | Derived     | MT.ADLB.ANL01FL
WGRLOFL  | Worst Low Grade Flag                    | text     |      | NY_Y     | Derived     | MT.ADLB.WGRFL
WGRHIFL  | Worst High Grade Flag                   | text     |      | NY_Y     | Derived     | MT.ADLB.WGRFL
LBTESTCD | Lab Test or Examination Short Name      | text     | Perm | LBTESTCD | Predecessor | LB.LBTESTCD
LBTEST   | Lab Test or Examination Name            | text     | Perm | LBTEST   | Predecessor | LB.LBTEST
LBCAT    | Category for Lab Test                   | text     | Perm | LBCAT    | Predecessor | LB.LBCAT
LBORRES  | Result or Finding in Original Units     | text     | Perm |          | Predecessor | LB.LBORRES
LBORRESU | Original Units                          | text     | Perm | UNIT     | Predecessor | LB.LBORRESU
LBORNRLO | Normal Range Lower Limit-Original Units | text     | Perm |          | Predecessor | LB.LBORNRLO
LBORNRHI | Normal Range Upper Limit-Original Units | text     | Perm |          | Predecessor | LB.LBORNRHI
LBSTRESC | Character Result/Finding in Std Format  | text     | Perm |          | Predecessor | LB.LBSTRESC
LBSTRESN | Numeric Result/Finding in Standard Units | float   | Perm |          | Predecessor | LB.LBSTRESN
LBSTRESU | Standard Units                          | text     | Perm | UNIT     | Predecessor | LB.LBSTRESU
LBSTNRLO | Normal Range Lower Limit-Std Units      | float    | Perm |          | Predecessor | LB.LBSTNRLO
LBSTNRHI | Normal Range Upper Limit-Std Units      | float    | Perm |          | Predecessor | LB.LBSTNRHI
LBNRIND  | Reference Range Indicator               | text     | Perm | NRIND    | Predecessor | LB.LBNRIND
LBSTAT   | Completion Status                       | text     | Perm | ND       | Predecessor | LB.LBSTAT
LBREASND | Reason Test Not Done                    | text     | Perm |          | Predecessor | LB.LBREASND
LBSPEC   | Specimen Type                           | text     | Perm | SPECTYPE | Predecessor | LB.LBSPEC
LBLOBXFL | Last Observation Before Exposure Flag   | text     | Perm | NY_Y     | Predecessor | LB.LBLOBXFL
VISITNUM | Visit Number                            | float    | Perm |          | Predecessor | LB.VISITNUM
VISIT    | Visit Name                              | text     | Perm |          | Predecessor | LB.VISIT
VISITDY  | Planned Study Day of Visit              | integer  | Perm |          | Predecessor | LB.VISITDY
EPOCH    | Epoch                                   | text     | Perm | EPOCH    | Predecessor | LB.EPOCH
LBDTC    | Date/Time of Specimen Collection        | text     | Perm |          | Predecessor | LB.LBDTC
""",
    "ADPC": _SUBJECT + """
AGE      | Age                                     | integer  | Perm |          | Predecessor | ADSL.AGE
SEX      | Sex                                     | text     | Perm | SEX      | Predecessor | ADSL.SEX
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADSL.SAFFL
""" + _TREATMENT + """
TRTSDTM  | Datetime of First Exposure to Treatment | datetime | Perm |          | Predecessor | ADSL.TRTSDTM
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ADPC.ASEQ
SRCDOM   | Source Data                             | text     | Perm |          | Derived     | MT.SRC
SRCVAR   | Source Variable                         | text     | Perm |          | Derived     | MT.SRC
SRCSEQ   | Source Sequence Number                  | integer  | Perm |          | Derived     | MT.SRC
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADPC | Derived | MT.ADPC.PARAM
PARAM    | Parameter                               | text     | Req  | PARAM_ADPC | Derived   | MT.ADPC.PARAM
PARCAT1  | Parameter Category 1                    | text     | Perm | SPECTYPE | Derived     | MT.ADPC.PARAM
AVAL     | Analysis Value                          | float    | Cond |          | Derived     | MT.ADPC.AVAL
AVALU    | Analysis Value Unit                     | text     | Perm | UNIT     | Derived     | MT.ADPC.PARAM
ALLOQ    | Analysis Lower Limit of Quantitation    | float    | Perm |          | Derived     | MT.ADPC.ALLOQ
BLQFL    | Below Lower Limit of Quantitation Flag  | text     |      | NY_Y     | Derived     | MT.ADPC.BLQFL
ADTM     | Analysis Datetime                       | datetime | Cond |          | Derived     | MT.ADPC.ADTM
ADT      | Analysis Date                           | date     | Cond |          | Derived     | MT.ADPC.ADTM
ADY      | Analysis Relative Day                   | integer  | Cond |          | Derived     | MT.ADY
AVISIT   | Analysis Visit                          | text     | Cond |          | Derived     | MT.ADPC.AVISIT
AVISITN  | Analysis Visit (N)                      | float    | Perm |          | Derived     | MT.ADPC.AVISIT
NFRLT    | Nominal Rel Time from First Dose        | float    |      |          | Derived     | MT.ADPC.NFRLT
AFRLT    | Actual Rel Time from First Dose         | float    |      |          | Derived     | MT.ADPC.AFRLT
FRLTU    | Rel Time from First Dose Unit           | text     |      | FRLTU    | Derived     | MT.ADPC.AFRLT
ANL01FL  | Analysis Flag 01                        | text     | Cond | NY_Y     | Derived     | MT.ADPC.ANL01FL
""",
    "ADPP": _SUBJECT + """
AGE      | Age                                     | integer  | Perm |          | Predecessor | ADPC.AGE
SEX      | Sex                                     | text     | Perm | SEX      | Predecessor | ADPC.SEX
SAFFL    | Safety Population Flag                  | text     | Perm | NY       | Predecessor | ADPC.SAFFL
TRTA     | Actual Treatment                        | text     | Cond | TRT      | Predecessor | ADPC.TRTA
TRTSDT   | Date of First Exposure to Treatment     | date     | Perm |          | Predecessor | ADPC.TRTSDT
TRTSDTM  | Datetime of First Exposure to Treatment | datetime | Perm |          | Predecessor | ADPC.TRTSDTM
ASEQ     | Analysis Sequence Number                | integer  | Perm |          | Derived     | MT.ADPP.ASEQ
SRCDOM   | Source Data                             | text     | Perm |          | Predecessor | ADPC.SRCDOM
PARCAT1  | Parameter Category 1                    | text     | Perm | PARAMCD_ADPC | Predecessor | ADPC.PARAMCD
PARCAT2  | Parameter Category 2                    | text     | Perm | SPECTYPE | Predecessor | ADPC.PARCAT1
PARCAT3  | Parameter Category 3                    | text     | Perm | PARAM_ADPC | Predecessor | ADPC.PARAM
PARAMCD  | Parameter Code                          | text     | Req  | PARAMCD_ADPP | Derived | MT.ADPP.PARAMCD
PARAM    | Parameter                               | text     | Req  | PARAM_ADPP | Derived   | MT.PARAM
AVAL     | Analysis Value                          | float    | Cond |          | Derived     | MT.ADPP.AVAL
AVALU    | Analysis Value Unit                     | text     | Perm |          | Derived     | MT.ADPP.AVALU
""",
}

_FORMATS = {"date": ("integer", "DATE9."), "datetime": ("integer", "DATETIME20.")}
SIGNIFICANT_DIGITS = {"DOSE01A": "1", "AVISITN": "2", "AVAL": "1", "BASE": "1", "CHG": "1", "PCHG": "1",
                      "NADIR": "1", "ANRLO": "2", "ANRHI": "2", "LBSTRESN": "2", "LBSTNRLO": "2", "LBSTNRHI": "2",
                      "VISITNUM": "2", "ALLOQ": "2", "NFRLT": "2", "AFRLT": "4"}


def dataset_rows() -> list[Row]:
    comments = {"ADTTE": "COM.ADTTE", "ADRS": "COM.ADRS", "ADPP": "COM.ADPP"}
    return [{**d, "Standard": STD_ADAMIG, "Repeating": "No" if d["Dataset"] == "ADSL" else "Yes",
             "Reference Data": "No", "Comment": comments.get(d["Dataset"], "")} for d in DATASETS]


def variable_rows() -> list[Row]:
    rows: list[Row] = []
    for dataset in (d["Dataset"] for d in DATASETS):
        for order, v in enumerate(pipe_table(VARIABLES[dataset], _COLUMNS), start=1):
            data_type, display = _FORMATS.get(v["Data Type"], (v["Data Type"], ""))
            numeric = data_type in ("integer", "float")
            derived = v["Origin"] == "Derived"
            rows.append({
                "Order": str(order), "Dataset": dataset, "Variable": v["Variable"], "Label": v["Label"],
                "Data Type": data_type, "Length": "8" if numeric else "",
                "Significant Digits": SIGNIFICANT_DIGITS.get(v["Variable"], "") if data_type == "float" else "",
                "Format": display, "Mandatory": "Yes" if v["Core"] == "Req" else "No", "Assigned Value": "",
                "Codelist": v["Codelist"], "Common": "", "Origin": v["Origin"], "Source": "",
                "Pages": "", "Method": v["Source"] if derived else "",
                "Predecessor": "" if derived else v["Source"], "Role": "", "Core": v["Core"],
                "Comment": v["Comment"], "Developer Notes": "",
            })
    return rows
