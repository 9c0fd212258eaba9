"""ValueLevel and Methods sheets."""

from __future__ import annotations

from trialforge.example_study.workbooks.common import Row, pipe_table

# DSDECOD's terms depend on the category of the disposition record.
VALUE_LEVEL = pipe_table("""
DS | DSDECOD | DSCAT EQ "DISPOSITION EVENT"  | NCOMPLT  | Collected
DS | DSDECOD | DSCAT EQ "PROTOCOL MILESTONE" | PROTMLST | Collected
DS | DSDECOD | DSCAT EQ "OTHER EVENT"        | OTHEREVT | Collected
""", ("Dataset", "Variable", "Where Clause", "Codelist", "Origin"))

METHODS = pipe_table("""
MT.USUBJID     | USUBJID         | Computation   | "01-" followed by the collected patient number PATNUM (site-subject)
MT.SEQ         | Sequence number | Computation   | 1, 2, ... per subject in the order of the dataset's sort keys
MT.VISIT       | Visit           | Computation   | The collected visit name matched, case ignored, to TV's VISIT; an unscheduled visit is numbered by the number in its name (Unscheduled 3.1 is 3.1), VISITDY null
MT.DY          | Study day       | Computation   | Date minus DM.RFSTDTC plus 1 on or after RFSTDTC, date minus RFSTDTC before it; null for partial dates
MT.DM.SUBJID   | Site and subject | Computation  | SITEID is the part of PATNUM before the hyphen, SUBJID the part after it
MT.DM.RFSTDTC  | RFSTDTC         | Computation   | The first EX.EXSTDTC of the subject
MT.DM.RFXSTDTC | RFXSTDTC        | Computation   | The first EX.EXSTDTC of the subject
MT.DM.RFXENDTC | RFXENDTC        | Computation   | The last EX.EXENDTC of the subject
MT.DM.RFENDTC  | RFENDTC         | Computation   | The last DS.DSSTDTC of a disposition event (DSCAT DISPOSITION EVENT) of a randomized subject; null for screen failures
MT.DM.RFPENDTC | RFPENDTC        | Computation   | The latest complete date of any record of the subject
MT.DM.DTHFL    | DTHFL           | Computation   | Y when DTHDTC is present
MT.DM.ARMNRS   | ARMNRS          | Computation   | SCREEN FAILURE when the planned arm is Scrnfail
MT.SUPP        | Supplemental qualifier | Computation | ITT: Y for subjects randomized to an arm; SAFETY: Y for subjects treated (actual arm not Scrnfail)
MT.VS.VSORRESU | VS original unit | Computation  | The CRF unit of each test (mmHg, BEATS/MIN, LB); TEMP: C when the value is below 50 else F; HEIGHT: cm when the value is above 100 else IN
MT.STRESU      | Standard unit   | Computation   | mmHg, BEATS/MIN, C, kg, cm by test
MT.STRESC      | Standard result | Computation   | VSORRES in the standard unit: F to C as (F - 32) x 5/9, LB x 0.4536 (the pilot's factor), IN x 2.54, rounded to 2 decimals
MT.STRESN      | Standard numeric result | Computation | VSSTRESC as a number
MT.VS.VSBLFL   | Baseline flag   | Computation   | Y on the records of the Baseline visit
MT.VS.VSTPT    | Time point      | Computation   | VSTPTNUM 815, 816, 817, VSELTM PT5M, PT1M, PT3M and VSTPTREF PATIENT SUPINE / PATIENT STANDING by the collected time point
MT.SV          | Subject visits  | Computation   | One record per subject and visit collected on any form; SVSTDTC and SVENDTC the first and last date collected at it
""", ("ID", "Name", "Type", "Description"))


def value_level_rows() -> list[Row]:
    return [{"Order": str(i), **r, "Data Type": "text", "Mandatory": "Yes"} for i, r in enumerate(VALUE_LEVEL, 1)]


def method_rows() -> list[Row]:
    return list(METHODS)
