"""Trial design sheets (TS, TA, TE, TV) as the CDISC pilot's submission states them.

The pilot's raw extracts hold no trial design: these tables are protocol content, copied from the
pilot's own TS, TA, TE and TV (text as published, except that XPT v5 text is ASCII: the curly apostrophe of Alzheimer’s is a straight one).
TV names each planned visit as the EDC writes it (`Screening 1`, `Ambul ECG Placement`): collected visits
match TV's VISIT ignoring case, so no visit map (FOLDER column) is needed; `Unscheduled 3.1` style names
carry their own number (the visit step's `unscheduled=from_name`).
"""

from __future__ import annotations

from trialforge.example_study.workbooks.common import Row, pipe_table

TS_COLUMNS = ("TSSEQ", "TSPARMCD", "TSPARM", "TSVAL")
TA_COLUMNS = ("ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "TATRANS", "EPOCH")
TE_COLUMNS = ("ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR")
TV_COLUMNS = ("VISITNUM", "VISIT", "VISITDY", "ARMCD", "ARM", "TVSTRL", "TVENRL")

TS = pipe_table("""
1 | ADDON    | Added on to Existing Treatments      | Y
1 | AGEMAX   | Planned Maximum Age of Subjects      | No maximum
1 | AGEMIN   | Planned Minimum Age of Subjects      | 50 years
1 | AGESPAN  | Age Group                            | ADULT (18-65)
2 | AGESPAN  | Age Group                            | ELDERLY (> 65)
1 | TBLIND   | Trial Blinding Schema                | DOUBLE BLIND
1 | COMPTRT  | Comparative Treatment Name           | Placebo
1 | TCNTRL   | Control Type                         | PLACEBO
1 | TDIGRP   | Diagnosis Group                      | Patients with Probable Mild to Moderate Alzheimer's Disease
1 | DOSE     | Dose per Administration              | 54
2 | DOSE     | Dose per Administration              | 81
1 | DOSFRQ   | Dosing Frequency                     | QD; 12 to 14 hours transdermal application
1 | DOSU     | Dose Units                           | mg
1 | INDIC    | Trial Indication                     | Mild to Moderate Alzheimer's Disease
1 | TINDTP   | Trial Indication Type                | TREATMENT
1 | LENGTH   | Trial Length                         | 26 weeks
1 | OBJPRIM  | Trial Primary Objective              | To determine if there is a statistically significant relationship between the change in both ADAS-Cog and CIBIC+ scores, and drug dose (0, 50 cm2 [54 mg], and 75 cm2 [81 mg])
2 | OBJPRIM  | Trial Primary Objective              | To document the safety profile of the xanomeline TTS.
1 | OBJSEC   | Trial Secondary Objective            | To assess the dose-dependent improvement in behavior. Improved scores on the Revised Neuropsychiatric Inventory (NPI-X) will indicate improvement in these areas.
2 | OBJSEC   | Trial Secondary Objective            | To assess the dose-dependent improvements in activities of daily living. Improved scores on the Disability Assessment for Dementia (DAD) will indicate improvement in these areas.
3 | OBJSEC   | Trial Secondary Objective            | To assess the dose-dependent improvements in an extended assessment of cognition that integrates attention/concentration tasks. The ADAS-Cog (14) will be used for this assessment.
4 | OBJSEC   | Trial Secondary Objective            | To assess the treatment response as a function of Apo E genotype.
1 | TPHASE   | Trial Phase Classification           | Phase II Trial
1 | PLANSUB  | Planned Number of Subjects           | 300
1 | RANDOM   | Trial is Randomized                  | Y
1 | ROUTE    | Route of Administration              | TRANSDERMAL
1 | SEXPOP   | Sex of Participants                  | BOTH
1 | SPONSOR  | Clinical Study Sponsor               | CDISCPILOT01
1 | TITLE    | Trial Title                          | Safety and Efficacy of the Xanomeline Transdermal Therapeutic System (TTS) in Patients with Mild to Moderate Alzheimer's Disease.
1 | TRT      | Investigational Therapy or Treatment | Xanomeline
1 | TTYPE    | Trial Type                           | SAFETY
2 | TTYPE    | Trial Type                           | EFFICACY
4 | TTYPE    | Trial Type                           | PHARMACOKINETIC
""", TS_COLUMNS)

TA = pipe_table("""
Pbo    | Placebo              | 1 | SCRN | Screen      | Randomized to Placebo   | | Screening
Pbo    | Placebo              | 2 | PBO  | Placebo     |                         | | Treatment
Xan_Hi | Xanomeline High Dose | 1 | SCRN | Screen      | Randomized to High Dose | | Screening
Xan_Hi | Xanomeline High Dose | 2 | HIS  | High_Start  |                         | | Treatment
Xan_Hi | Xanomeline High Dose | 3 | HIM  | High_Middle |                         | | Treatment
Xan_Hi | Xanomeline High Dose | 4 | HIE  | High_End    |                         | | Treatment
Xan_Lo | Xanomeline Low Dose  | 1 | SCRN | Screen      | Randomized to Low Dose  | | Screening
Xan_Lo | Xanomeline Low Dose  | 2 | LO   | Low         |                         | | Treatment
""", TA_COLUMNS)

TE = pipe_table("""
FOLO | Follow_up   | End of last scheduled visit on study (including early termination) | Completion of all specified followup activities (which vary on a patient-by-patient basis) |
HIE  | High_End    | Administration of first dose (from patches supplied at Visit 12) | | P2W
HIM  | High_Middle | Administration of first dose (from patches supplied at Visit 4)  | | P22W
HIS  | High_Start  | Administration of first dose | | P2W
LO   | Low         | Administration of first dose | | P26W
PBO  | Placebo     | Administration of first dose | | P26W
SCRN | Screen      | Informed consent | Completion of all screening activities and no more than 2 weeks from informed consent |
""", TE_COLUMNS)

TV = pipe_table("""
1   | SCREENING 1         | -7  | | | Start of Screen Epoch | completion of screening activities
2   | SCREENING 2         | -1  | | | Start of Visitnum 3 - 24H | subject leaves clinic after connection of ambulatory ECG machine
3   | BASELINE            | 1   | | | (Just Before) Start of Treatment Epoch | After application of first dose
3.5 | AMBUL ECG PLACEMENT | 13  | | | Start of Visitnum  4 - 24H |
4   | WEEK 2              | 14  | | | End of Visitnum  3 + 2W |
5   | WEEK 4              | 28  | | | End of Visitnum  3 + 4W |
6   | AMBUL ECG REMOVAL   | 30  | | | End of Visitnum  5 + 1D |
7   | WEEK 6              | 42  | | | End of Visitnum  3 + 6W |
8   | WEEK 8              | 56  | | | End of Visitnum  3 + 8W |
8.1 | WEEK 10 (T)         | 70  | | | End of Visitnum  8 + 2W |
9   | WEEK 12             | 84  | | | End of Visitnum  3 + 12W |
9.1 | WEEK 14 (T)         | 98  | | | End of Visitnum  9 + 2W |
10  | WEEK 16             | 112 | | | End of Visitnum  3 + 16W |
10.1| WEEK 18 (T)         | 126 | | | End of Visitnum  10 + 2W |
11  | WEEK 20             | 140 | | | End of Visitnum  3 + 20W |
11.1| WEEK 22 (T)         | 154 | | | End of Visitnum  11 + 2W |
12  | WEEK 24             | 168 | | | End of Visitnum  3 + 24W |
13  | WEEK 26             | 182 | | | End of Visitnum  3 + 26W |
101 | AE FOLLOW-UP        |     | | | When subject is terminated early, with followup visit scheduled by site |
201 | RETRIEVAL           | 168 | | | If subject stopped treatment early, before Visitnum 12, then Retrieval occurs End of Visitnum 3 + 24W |
501 | Rash followup       |     | | | If subject experienced rash, then Rash Followup occurs at End of last study visit + 2W |
""", TV_COLUMNS)


def sheet(rows: list[Row], columns: tuple[str, ...]) -> list[list[str]]:
    return [list(columns)] + [[r.get(c, "") for c in columns] for r in rows]
