"""Study constants and the sheets that say what the study is and where its raw data lives: Define,
Standards and Sources.

The raw data is pharmaverseraw's export of the CDISC pilot (one CSV per CRF: dm_raw, ae_raw, ds_raw,
ec_raw, vs_raw). Its subject column is PATNUM (`701-1015`: site 701, subject 1015); forms collected at a
visit name it in INSTANCE (VISITNAME on the exposure form); each form writes its dates its own way.
"""

from __future__ import annotations

from specs.terminology import CT_VERSION
from trialforge.example_study.workbooks.common import Row, pipe_table
from trialforge.example_study.workbooks.sdtm_workbook import standard_row

STUDYID = "CDISCPILOT01"
STUDY_DESCRIPTION = ("Safety and Efficacy of the Xanomeline Transdermal Therapeutic System (TTS) in Patients with "
                     "Mild to Moderate Alzheimer's Disease")
SPONSOR = "CDISC"
# USUBJID is "01-" + PATNUM in the pilot's submission: 01 is its study number, PATNUM is site-subject.
USUBJID = "concat('01-', PATNUM)"

STD_SDTMIG = "STD.SDTMIG.3.4"
STD_CT_SDTM = f"STD.CT.SDTM.{CT_VERSION}"

SOURCE_COLUMNS = ("Form", "File", "Format", "Options", "Subject Column", "Site Column", "Visit Column",
                  "Instance Column", "Date Formats", "Date Failure Threshold")

# One row per raw form. AE start dates are MM/DD/YYYY or, when only the year is known, YYYY.
SOURCES = pipe_table("""
DM | dm_raw.csv | csv | | PATNUM | |           | | MM/DD/YYYY  | 0
AE | ae_raw.csv | csv | | PATNUM | |           | | MM/DD/YYYY  | 0
DS | ds_raw.csv | csv | | PATNUM | | INSTANCE  | | DSDTCOL=MM-DD-YYYY; IT.DSSTDAT=MM-DD-YYYY; DEATHDT=MM/DD/YYYY | 0
EC | ec_raw.csv | csv | | PATNUM | | VISITNAME | | DD-MON-YYYY | 0
VS | vs_raw.csv | csv | | PATNUM | | INSTANCE  | | DD-MON-YYYY | 0
""", SOURCE_COLUMNS)


def define_rows() -> list[Row]:
    return [{"Attribute": a, "Value": v} for a, v in (
        ("StudyName", STUDYID), ("StudyDescription", STUDY_DESCRIPTION), ("ProtocolName", STUDYID),
        ("StandardName", "SDTMIG"), ("StandardVersion", "3.4"), ("Language", "en"), ("CTVersion", CT_VERSION),
        ("DefineVersion", "2.1.0"), ("Sponsor", SPONSOR))]


def standard_rows() -> list[Row]:
    return [standard_row(STD_SDTMIG, "SDTMIG", "IG", "", "3.4"),
            standard_row(STD_CT_SDTM, "CDISC/NCI", "CT", "SDTM", CT_VERSION)]
