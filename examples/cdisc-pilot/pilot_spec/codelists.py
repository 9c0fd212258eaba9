"""Codelists sheet: the terms the pilot uses, with the spellings its EDC export writes (Collected Values).

CDISC codelists name their CT codelist and get every NCI code from the bundled CT (`codelist_model`);
sponsor codelists (ARM, AEREL, ...) have none. Matching ignores case, so `Not Recovered/not Resolved`
needs no collected spelling for NOT RECOVERED/NOT RESOLVED. Two units are the pilot's own upper-case
spellings of CT's `beats/min` and `in` (the CT of its time), kept as sponsor extensions of UNIT so that
the SDTM reads as the pilot's does.
"""

from __future__ import annotations

from pilot_spec.study import STD_CT_SDTM
from specs.terminology import Terminology
from trialforge.example_study.workbooks.codelist_model import Codelist, codelist_rows, term, terms
from trialforge.example_study.workbooks.common import Row

ARMS = (("Pbo", "Placebo", ""), ("Xan_Hi", "Xanomeline High Dose", "Xan High"),
        ("Xan_Lo", "Xanomeline Low Dose", "Xan Low"), ("Scrnfail", "Screen Failure", ""))


def _cdisc(id: str, name: str, *values: term) -> Codelist:
    return Codelist(id, name, id, tuple(values), standard=STD_CT_SDTM)


CODELISTS: tuple[Codelist, ...] = (
    Codelist("NY_Y", "No Yes Response (Y only)", "NY", terms("Y"), standard=STD_CT_SDTM),
    _cdisc("NY", "No Yes Response", *terms("N", "Y")),
    _cdisc("AGEU", "Age Unit", *terms("YEARS")),
    _cdisc("SEX", "Sex", *terms("F", "M")),
    _cdisc("RACE", "Race", *terms("AMERICAN INDIAN OR ALASKA NATIVE", "ASIAN", "BLACK OR AFRICAN AMERICAN", "WHITE")),
    _cdisc("ETHNIC", "Ethnic Group", *terms("HISPANIC OR LATINO", "NOT HISPANIC OR LATINO")),
    Codelist("ARMCD", "Planned Arm Code", None, tuple(term(code, name) for code, name, _ in ARMS)),
    Codelist("ARM", "Description of Planned Arm", None, tuple(term(name, "", collected) for _, name, collected in ARMS)),
    _cdisc("ARMNULRS", "Reason Arm is Null", *terms("SCREEN FAILURE")),
    _cdisc("AESEV", "Severity/Intensity Scale for Adverse Events",
           term("MILD", "", "Mild Adverse Event"), term("MODERATE", "", "Moderate Adverse Event"),
           term("SEVERE", "", "Severe Adverse Event")),
    _cdisc("ACN", "Action Taken with Study Treatment", *terms("DOSE NOT CHANGED", "DRUG WITHDRAWN")),
    Codelist("AEREL", "Causality", None, (term("NONE", "", "Not Related"), term("REMOTE"),
                                          term("POSSIBLE", "", "Possibly Related"),
                                          term("PROBABLE", "", "Probably Related"))),
    _cdisc("OUT", "Outcome of Event", *terms("FATAL", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED")),
    _cdisc("DSCAT", "Category for Disposition Event", *terms("DISPOSITION EVENT", "OTHER EVENT", "PROTOCOL MILESTONE")),
    _cdisc("NCOMPLT", "Completion/Reason for Non-Completion",
           *terms("ADVERSE EVENT", "COMPLETED", "DEATH", "LACK OF EFFICACY", "LOST TO FOLLOW-UP", "PHYSICIAN DECISION",
                  "PROTOCOL VIOLATION", "SCREEN FAILURE", "STUDY TERMINATED BY SPONSOR", "WITHDRAWAL BY SUBJECT")),
    _cdisc("PROTMLST", "Protocol Milestone", *terms("RANDOMIZED")),
    Codelist("OTHEREVT", "Other Disposition Events", None, terms("FINAL LAB VISIT", "FINAL RETRIEVAL VISIT")),
    Codelist("EXTRT", "Name of Treatment", None, terms("PLACEBO", "XANOMELINE")),
    _cdisc("UNIT", "Unit", term("BEATS/MIN", extension=True), term("C"), term("cm"), term("F"),
           term("IN", extension=True), term("kg"), term("LB"), term("mg"), term("mmHg")),
    _cdisc("FRM", "Pharmaceutical Dosage Form", *terms("PATCH")),
    _cdisc("FREQ", "Frequency", *terms("QD")),
    _cdisc("ROUTE", "Route of Administration Response", *terms("TRANSDERMAL")),
    _cdisc("VSTESTCD", "Vital Signs Test Code", *terms("DIABP", "HEIGHT", "PULSE", "SYSBP", "TEMP", "WEIGHT")),
    _cdisc("VSTEST", "Vital Signs Test Name", *terms("Diastolic Blood Pressure", "Height", "Pulse Rate",
                                                      "Systolic Blood Pressure", "Temperature", "Weight")),
    _cdisc("POSITION", "Position", *terms("STANDING", "SUPINE")),
    _cdisc("LOC", "Anatomical Location", *terms("EAR", "ORAL CAVITY")),
    Codelist("VSTPT", "Vital Signs Planned Time Point", None, terms(
        "AFTER LYING DOWN FOR 5 MINUTES", "AFTER STANDING FOR 1 MINUTE", "AFTER STANDING FOR 3 MINUTES")),
    Codelist("ETCD", "Element Code", None, terms("SCRN", "PBO", "HIS", "HIM", "HIE", "LO", "FOLO")),
)


def codelist_sheet_rows(ct: dict[str, Terminology]) -> list[Row]:
    return codelist_rows(list(CODELISTS), ct)
