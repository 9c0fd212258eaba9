"""A hand-built SDTM study (15 subjects) that holds every hard case the ADaM derivations must get right.

Dates are written as offsets from each subject's CAR-T infusion (offset 0 = infusion = study day 1), so
the expectations in the tests can be checked by hand. The subjects:

 001  PR +42, CR +84, CR +126, PD +168; CRS twice, neurotoxicity; occurrence-flag case; 2 target lesions
 002  CR +49, PR +91: CR then PR, the CR meets the SD minimum (admiralonco#275)
 003  CR +35, PR +77: CR then PR, the CR is before the SD minimum (admiralonco#275)
 004  PR +37, PD +60: PR then PD before the SD minimum (admiralonco#244); 1 target lesion
 005  PR +42, NE +84, NE +126, PR +168: two NEs between responses
 006  PR +42, SD +84, new anti-cancer therapy +100, PR +126, PR +168: response after new therapy
 007  dies +20, no assessment: death before the first assessment; fatal AE with a partial end date
 008  SD +42, missed (NOT DONE) +84, PD +150: event after two missed assessments
 009  SD +42, PD +84 and new therapy +84 (same day), dies +120 on the last day known alive
 010  PR +42, PR +84, SD +126; partial AE start/end dates around the lymphodepletion start; 2 targets
 011  never infused, never lymphodepleted (ARMNRS "ASSIGNED, NOT TREATED")
 012  lymphodepleted, died before infusion; partial death date
 013  non-target disease only: NON-CR/NON-PD +42, +84
 014  infused, no assessment, withdrew +60
 015  SD +30 only (before the SD minimum), then nothing
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from trialforge.example_study import example_parameters

STUDYID = "MESOCART-PD1"
# the fixture study follows the example study's conventions (EXCATs, CMCAT, CRS terms, assessment schedule,
# data cut-off): the derivations read them from what the example states (its ADaM spec, then its parameters
# file), not from the library's defaults
PARAMS = example_parameters()
INFUSION = {
    "001": dt.date(2024, 1, 10), "002": dt.date(2024, 2, 1), "003": dt.date(2024, 2, 15),
    "004": dt.date(2024, 3, 1), "005": dt.date(2024, 3, 20), "006": dt.date(2024, 4, 1),
    "007": dt.date(2024, 5, 2), "008": dt.date(2024, 5, 15), "009": dt.date(2024, 6, 3),
    "010": dt.date(2024, 3, 15), "011": None, "012": None, "013": dt.date(2024, 7, 15),
    "014": dt.date(2024, 8, 1), "015": dt.date(2024, 8, 20),
}
LD_ONLY_START = dt.date(2024, 7, 1)  # subject 012: lymphodepletion without infusion
SCREENING_011 = dt.date(2024, 6, 1)
# overall responses (offset, RSSTRESC); None = missed assessment recorded as RSSTAT NOT DONE
RESPONSES = {
    "001": [(42, "PR"), (84, "CR"), (126, "CR"), (168, "PD")],
    "002": [(49, "CR"), (91, "PR")],
    "003": [(35, "CR"), (77, "PR")],
    "004": [(37, "PR"), (60, "PD")],
    "005": [(42, "PR"), (84, "NE"), (126, "NE"), (168, "PR")],
    "006": [(42, "PR"), (84, "SD"), (126, "PR"), (168, "PR")],
    "008": [(42, "SD"), (84, None), (150, "PD")],
    "009": [(42, "SD"), (84, "PD")],
    "010": [(42, "PR"), (84, "PR"), (126, "SD")],
    "013": [(42, "NON-CR/NON-PD"), (84, "NON-CR/NON-PD")],
    "015": [(30, "SD")],
}
NEW_THERAPY = {"006": 100, "009": 84}
DEATH = {"007": 20, "009": 120}
TUMOR = {"001": "MESOTHELIOMA", "004": "OVARIAN CANCER", "010": "PANCREATIC CANCER", "013": "LUNG CANCER"}


def usubjid(subject: str) -> str:
    return f"{STUDYID}-{subject}"


def day(subject: str, offset: int) -> dt.date:
    """The date `offset` days after the subject's infusion."""
    return INFUSION[subject] + dt.timedelta(days=offset)


def iso(subject: str, offset: int) -> str:
    return day(subject, offset).isoformat()


def ts(subject: str, offset: int) -> pd.Timestamp:
    return pd.Timestamp(day(subject, offset))


def one(frame: pd.DataFrame, subject: str, **where) -> pd.Series:
    """The single record of `subject` matching `where` (fails the test if there is not exactly one)."""
    rows = frame[frame["USUBJID"] == usubjid(subject)]
    for name, value in where.items():
        rows = rows[rows[name] == value]
    assert len(rows) == 1, f"expected one record for {subject} {where}, found {len(rows)}"
    return rows.iloc[0]


def fixture_study() -> dict[str, pd.DataFrame]:
    """The SDTM frames of the fixture study, keyed by domain."""
    return {"DM": _dm(), "EX": _ex(), "AE": _ae(), "SUPPAE": _suppae(), "RS": _rs(), "TU": _tu(),
            "TR": _tr(), "DS": _ds(), "CM": _cm(), "MH": _mh()}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "STUDYID", STUDYID)
    return frame


def _dm() -> pd.DataFrame:
    rows = []
    for number, (subject, infusion) in enumerate(INFUSION.items()):
        treated = infusion is not None
        row = {"USUBJID": usubjid(subject), "SUBJID": subject, "SITEID": "01", "AGE": 45 + 2 * number,
               "AGEU": "YEARS", "SEX": "F" if number % 2 else "M", "RACE": "WHITE",
               "ETHNIC": "NOT HISPANIC OR LATINO", "COUNTRY": "CHN",
               "ARMCD": "MESOCART", "ARM": "MESOCART", "ACTARMCD": "MESOCART" if treated else None,
               "ACTARM": "MESOCART" if treated else None, "ARMNRS": None if treated else "ASSIGNED, NOT TREATED",
               "RFICDTC": iso_or(subject, -30),
               "RFSTDTC": f"{infusion.isoformat()}T10:30" if treated else None,
               "RFXSTDTC": iso_or(subject, -5) if treated else None, "DTHDTC": None, "DTHFL": None}
        if subject in DEATH:
            row["DTHDTC"], row["DTHFL"] = iso(subject, DEATH[subject]), "Y"
        rows.append(row)
    dm = _frame(rows)
    s012 = dm["SUBJID"] == "012"
    dm.loc[s012, ["RFXSTDTC", "DTHDTC", "DTHFL"]] = [LD_ONLY_START.isoformat(), "2024-07", "Y"]
    dm.loc[s012, "RFICDTC"] = "2024-06-01"
    dm.loc[dm["SUBJID"] == "011", "RFICDTC"] = SCREENING_011.isoformat()
    return dm


def iso_or(subject: str, offset: int) -> str | None:
    return iso(subject, offset) if INFUSION[subject] else None


def _ex() -> pd.DataFrame:
    rows = []
    for subject, infusion in INFUSION.items():
        if subject == "012":
            starts = [LD_ONLY_START + dt.timedelta(days=k) for k in range(3)]
        elif infusion is None:
            continue
        else:
            starts = [day(subject, -5 + k) for k in range(3)]
        seq = 0
        for drug, dose in (("FLUDARABINE", 30.0), ("CYCLOPHOSPHAMIDE", 500.0)):
            for start in starts:
                seq += 1
                rows.append({"USUBJID": usubjid(subject), "EXSEQ": seq, "EXTRT": drug, "EXCAT": "LYMPHODEPLETION",
                             "EXDOSE": dose, "EXDOSU": "mg/m2", "EXSTDTC": start.isoformat(),
                             "EXENDTC": start.isoformat()})
        if infusion is not None:
            rows.append({"USUBJID": usubjid(subject), "EXSEQ": seq + 1, "EXTRT": "MESOCART", "EXCAT": "CAR-T",
                         "EXDOSE": 100.0, "EXDOSU": "10^6 Therapeutic Cells",
                         "EXSTDTC": f"{infusion.isoformat()}T10:30", "EXENDTC": f"{infusion.isoformat()}T11:00"})
    return _frame(rows)


SOC = {
    "Cytokine release syndrome": "Immune system disorders", "Pyrexia": "General disorders",
    "Neutropenia": "Blood and lymphatic system disorders", "Encephalopathy": "Nervous system disorders",
    "Fatigue": "General disorders", "Nausea": "Gastrointestinal disorders", "Headache": "Nervous system disorders",
    "Back pain": "Musculoskeletal disorders", "Anaemia": "Blood and lymphatic system disorders",
    "Rash": "Skin disorders", "Sepsis": "Infections", "Dyspnoea": "Respiratory disorders",
    "Febrile neutropenia": "Blood and lymphatic system disorders",
}


def _ae() -> pd.DataFrame:
    # (subject, AESEQ, AEDECOD, AESTDTC, AEENDTC, AETOXGR, AEREL, AESER)
    s1 = lambda k: iso("001", k)  # noqa: E731
    events = [
        ("001", 1, "Cytokine release syndrome", s1(1), s1(4), "2", "RELATED", "N"),
        ("001", 2, "Pyrexia", s1(1), s1(2), "1", "POSSIBLY RELATED", "N"),
        ("001", 3, "Neutropenia", s1(10), s1(30), "3", "PROBABLY RELATED", "N"),
        ("001", 4, "Cytokine release syndrome", s1(30), s1(33), "3", "RELATED", "Y"),
        ("001", 5, "Encephalopathy", s1(5), s1(9), "2", "UNLIKELY RELATED", "N"),
        ("001", 6, "Fatigue", s1(-10), s1(-8), "1", "NOT RELATED", "N"),
        # 010: lymphodepletion starts 2024-03-10
        ("010", 1, "Nausea", "2024-03", "2024-03-20", "1", "NOT RELATED", "N"),
        ("010", 2, "Headache", "2024-02", "2024-02-10", "1", "NOT RELATED", "N"),
        ("010", 3, "Back pain", "2024", "2024-03-05", "2", "NOT RELATED", "N"),
        ("010", 4, "Fatigue", "2024", None, "1", "NOT RELATED", "N"),
        ("010", 5, "Anaemia", "2024-04-02", "2024-05", "2", "POSSIBLY RELATED", "N"),
        ("010", 6, "Rash", None, "2024-04-20", "1", None, "N"),
        # 007 dies at +20 = 2024-05-22
        ("007", 1, "Sepsis", iso("007", 15), "2024-05", "5", "NOT RELATED", "Y"),
        # 009: the fatal AE ends on the day of death, the last day known alive
        ("009", 1, "Dyspnoea", iso("009", 110), iso("009", 120), "5", "NOT RELATED", "Y"),
        ("011", 1, "Dyspnoea", "2024-06-10", "2024-06-12", "1", "NOT RELATED", "N"),
        ("012", 1, "Febrile neutropenia", "2024-07-05", "2024-07-08", "4", "NOT RELATED", "Y"),
    ]
    rows = [{"USUBJID": usubjid(s), "AESEQ": seq, "AETERM": decod.upper(), "AEDECOD": decod,
             "AEBODSYS": SOC[decod], "AESOC": SOC[decod], "AESTDTC": start, "AEENDTC": end, "AETOXGR": grade,
             "AEREL": rel, "AESER": ser, "AESDTH": "Y" if grade == "5" else "N"}
            for s, seq, decod, start, end, grade, rel, ser in events]
    return _frame(rows)


def _suppae() -> pd.DataFrame:
    rows = [
        {"RDOMAIN": "AE", "USUBJID": usubjid("001"), "IDVAR": "AESEQ", "IDVARVAL": "1", "QNAM": "AEASTCGR",
         "QLABEL": "ASTCT Grade", "QVAL": "1"},
        {"RDOMAIN": "AE", "USUBJID": usubjid("001"), "IDVAR": "AESEQ", "IDVARVAL": "4", "QNAM": "AEASTCGR",
         "QLABEL": "ASTCT Grade", "QVAL": "2"},
        {"RDOMAIN": "AE", "USUBJID": usubjid("001"), "IDVAR": "AESEQ", "IDVARVAL": "3", "QNAM": "AERELLD",
         "QLABEL": "Related to Lymphodepletion", "QVAL": "Y"},
    ]
    return _frame(rows)


def _rs() -> pd.DataFrame:
    rows = []
    for subject, responses in RESPONSES.items():
        seq = 0
        for visit, (offset, result) in enumerate(responses, start=1):
            seq += 1
            base = {"USUBJID": usubjid(subject), "RSCAT": "RECIST 1.1", "RSEVAL": "INVESTIGATOR",
                    "VISITNUM": float(visit + 10), "VISIT": f"ASSESSMENT {visit}", "RSLNKGRP": f"A{visit}"}
            if result is None:
                rows.append({**base, "RSSEQ": seq, "RSTESTCD": "OVRLRESP", "RSTEST": "Overall Response",
                             "RSSTRESC": None, "RSSTAT": "NOT DONE", "RSDTC": None})
                continue
            rows.append({**base, "RSSEQ": seq, "RSTESTCD": "OVRLRESP", "RSTEST": "Overall Response",
                         "RSSTRESC": result, "RSSTAT": None, "RSDTC": iso(subject, offset)})
            seq += 1  # a target response record on the same visit must be ignored
            rows.append({**base, "RSSEQ": seq, "RSTESTCD": "TRGRESP", "RSTEST": "Target Response",
                         "RSSTRESC": result, "RSSTAT": None, "RSDTC": iso(subject, offset)})
    # an independent reviewer's read must be ignored (investigator data only)
    rows.append({"USUBJID": usubjid("001"), "RSCAT": "RECIST 1.1", "RSEVAL": "INDEPENDENT ASSESSOR",
                 "VISITNUM": 11.0, "VISIT": "ASSESSMENT 1", "RSLNKGRP": "A1", "RSSEQ": 99, "RSTESTCD": "OVRLRESP",
                 "RSTEST": "Overall Response", "RSSTRESC": "SD", "RSSTAT": None, "RSDTC": iso("001", 42)})
    return _frame(rows)


# target lesion diameters in mm: {subject: {lesion: [baseline, visit 1, ...]}}; None = not measured
TARGETS = {
    "001": {"T01": [30, 20, 0, 0, 10], "T02": [20, 10, 0, 0, 5]},
    "004": {"T01": [40, 25, 40]},
    "010": {"T01": [20, 12, 12, 14], "T02": [22, 13, None, 14]},
    "011": {"T01": [45]},
}
TARGET_OFFSETS = {"001": [-20, 42, 84, 126, 168], "004": [-20, 37, 60], "010": [-20, 42, 84, 126]}
BASELINE_011 = dt.date(2024, 6, 5)
EFFICACY_TARGET_SUBJECTS = ("002", "003", "005", "006", "007", "008", "009", "014", "015")


def _tu() -> pd.DataFrame:
    rows = []

    def lesion(subject, seq, link, kind, date):
        rows.append({"USUBJID": usubjid(subject), "TUSEQ": seq, "TULNKID": link, "TUTESTCD": "TUMIDENT",
                     "TUTEST": "Tumor Identification", "TUSTRESC": kind, "TULOC": "LUNG", "TUDTC": date,
                     "VISITNUM": 1.0})

    for subject, lesions in TARGETS.items():
        date = BASELINE_011.isoformat() if subject == "011" else iso(subject, -20)
        for seq, link in enumerate(lesions, start=1):
            lesion(subject, seq, link, "TARGET", date)
        lesion(subject, len(lesions) + 1, "NT01", "NON-TARGET", date)
    for subject in EFFICACY_TARGET_SUBJECTS:
        lesion(subject, 1, "T01", "TARGET", iso(subject, -20))
    lesion("013", 1, "NT01", "NON-TARGET", iso("013", -20))
    lesion("001", 4, "NEW01", "NEW", iso("001", 168))
    return _frame(rows)


def _tr() -> pd.DataFrame:
    rows = []
    for subject, lesions in TARGETS.items():
        offsets = TARGET_OFFSETS.get(subject, [None])
        seq = 0
        for visit, offset in enumerate(offsets):
            date = BASELINE_011.isoformat() if offset is None else iso(subject, offset)
            for link, sizes in lesions.items():
                seq += 1
                size = sizes[visit]
                rows.append({"USUBJID": usubjid(subject), "TRSEQ": seq, "TRLNKID": link, "TRLNKGRP": f"A{visit}",
                             "TRTESTCD": "DIAMETER", "TRTEST": "Diameter",
                             "TRSTRESC": None if size is None else str(size),
                             "TRSTRESN": None if size is None else float(size), "TRSTRESU": "mm",
                             "TRSTAT": "NOT DONE" if size is None else None, "TRDTC": date,
                             "VISITNUM": float(visit + 10), "VISIT": "BASELINE" if visit == 0 else f"ASSESSMENT {visit}"})
            seq += 1
            total = sum(s[visit] for s in lesions.values() if s[visit] is not None)
            rows.append({"USUBJID": usubjid(subject), "TRSEQ": seq, "TRLNKID": None, "TRLNKGRP": f"A{visit}",
                         "TRTESTCD": "SUMDIAM", "TRTEST": "Sum of Diameter", "TRSTRESC": str(total),
                         "TRSTRESN": float(total), "TRSTRESU": "mm", "TRSTAT": None, "TRDTC": date,
                         "VISITNUM": float(visit + 10), "VISIT": "BASELINE" if visit == 0 else f"ASSESSMENT {visit}"})
    return _frame(rows)


def _ds() -> pd.DataFrame:
    rows = [
        {"USUBJID": usubjid("007"), "DSSEQ": 1, "DSCAT": "DISPOSITION EVENT", "DSTERM": "DEATH DUE TO SEPSIS",
         "DSDECOD": "DEATH", "DSSTDTC": iso("007", 20)},
        {"USUBJID": usubjid("009"), "DSSEQ": 1, "DSCAT": "DISPOSITION EVENT", "DSTERM": "DEATH DUE TO RESPIRATORY FAILURE",
         "DSDECOD": "DEATH", "DSSTDTC": iso("009", 120)},
        {"USUBJID": usubjid("012"), "DSSEQ": 1, "DSCAT": "DISPOSITION EVENT", "DSTERM": "DEATH DUE TO INFECTION",
         "DSDECOD": "DEATH", "DSSTDTC": "2024-07"},
        {"USUBJID": usubjid("014"), "DSSEQ": 1, "DSCAT": "PROTOCOL MILESTONE", "DSTERM": "INFORMED CONSENT",
         "DSDECOD": "INFORMED CONSENT OBTAINED", "DSSTDTC": iso("014", -30)},
        {"USUBJID": usubjid("014"), "DSSEQ": 2, "DSCAT": "DISPOSITION EVENT", "DSTERM": "PATIENT WITHDREW",
         "DSDECOD": "WITHDRAWAL BY SUBJECT", "DSSTDTC": iso("014", 60)},
        {"USUBJID": usubjid("001"), "DSSEQ": 1, "DSCAT": "DISPOSITION EVENT", "DSTERM": "COMPLETED",
         "DSDECOD": "COMPLETED", "DSSTDTC": iso("001", 700)},
    ]
    return _frame(rows)


def _cm() -> pd.DataFrame:
    rows = [
        {"USUBJID": usubjid("006"), "CMSEQ": 1, "CMTRT": "PEMBROLIZUMAB", "CMCAT": "SUBSEQUENT ANTI-CANCER THERAPY",
         "CMSTDTC": iso("006", NEW_THERAPY["006"])},
        {"USUBJID": usubjid("009"), "CMSEQ": 1, "CMTRT": "CARBOPLATIN", "CMCAT": "SUBSEQUENT ANTI-CANCER THERAPY",
         "CMSTDTC": iso("009", NEW_THERAPY["009"])},
        {"USUBJID": usubjid("001"), "CMSEQ": 1, "CMTRT": "TOCILIZUMAB", "CMCAT": "CONCOMITANT MEDICATION",
         "CMSTDTC": iso("001", 2)},
    ]
    return _frame(rows)


def _mh() -> pd.DataFrame:
    rows = [{"USUBJID": usubjid(s), "MHSEQ": 1, "MHCAT": "PRIMARY DIAGNOSIS", "MHTERM": t.lower(), "MHSCAT": t}
            for s, t in TUMOR.items()]
    rows.append({"USUBJID": usubjid("001"), "MHSEQ": 2, "MHCAT": "GENERAL MEDICAL HISTORY", "MHTERM": "asthma",
                 "MHSCAT": "Asthma"})
    return _frame(rows)
