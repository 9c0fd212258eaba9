"""Adverse events and medications, subject by subject, from the latent safety profile in the cohort.

CAR-T course: cytopenias after lymphodepletion, CRS in most infused subjects (days 1-7, ASTCT grade
beside the CTCAE grade), neurotoxicity in some, on-target off-tumour serositis (mesothelin is on pleura
and pericardium), PD-1-antibody immune-related events later, infections. Medications follow the events
(tocilizumab for CRS, dexamethasone for ICANS, antibiotics for infections), plus subsequent anti-cancer
therapy after progression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialforge.example_study.meddra import code_llt
from trialforge.example_study.draws import Draws
from trialforge.example_study.rawtext import date_text, partial_date, pick_one
from trialforge.example_study.table import LOG_INSTANCE, FormRows, Planted
from trialforge.example_study.timeline import NO_DAY, Cohort
from trialforge.example_study.forms import LOG_FOLDER

# Verbatim spellings per PT: (verbatim as the site wrote it, LLT the coders chose).
VERBATIMS: dict[str, tuple[tuple[str, str], ...]] = {
    "Cytokine release syndrome": (("Cytokine release syndrome", "Cytokine release syndrome"), ("CRS", "CRS"),
                                  ("cytokine release syndrome", "Cytokine release syndrome")),
    "Immune effector cell-associated neurotoxicity syndrome": (
        ("ICANS", "ICANS"), ("Immune effector cell-associated neurotoxicity syndrome",
                             "Immune effector cell-associated neurotoxicity syndrome")),
    "Encephalopathy": (("Encephalopathy", "Encephalopathy"),),
    "Confusional state": (("Confusion", "Confusion"), ("Confusional state", "Confusional state")),
    "Tremor": (("Tremor", "Tremor"), ("tremor", "Tremor")),
    "Aphasia": (("Aphasia", "Aphasia"), ("Expressive aphasia", "Aphasia")),
    "Headache": (("Headache", "Headache"), ("headache", "Headache")),
    "Insomnia": (("Insomnia", "Insomnia"),),
    "Neutropenia": (("Neutropenia", "Neutropenia"), ("neutropenia", "Neutropenia")),
    "Febrile neutropenia": (("Febrile neutropenia", "Febrile neutropenia"),),
    "Anaemia": (("Anaemia", "Anaemia"), ("Anemia", "Anemia")),
    "Thrombocytopenia": (("Thrombocytopenia", "Thrombocytopenia"), ("Low platelets", "Thrombocytopenia")),
    "Lymphocyte count decreased": (("Lymphopenia", "Lymphopenia"),
                                   ("Lymphocyte count decreased", "Lymphocyte count decreased")),
    "Alanine aminotransferase increased": (("ALT increased", "ALT increased"),
                                           ("Elevated ALT", "ALT increased")),
    "Aspartate aminotransferase increased": (("AST increased", "AST increased"),),
    "Pyrexia": (("Fever", "Fever"), ("Pyrexia", "Pyrexia"), ("fever", "Fever")),
    "Fatigue": (("Fatigue", "Fatigue"), ("Tiredness", "Tiredness")),
    "Chills": (("Chills", "Chills"),),
    "Nausea": (("Nausea", "Nausea"), ("nausea", "Nausea")),
    "Vomiting": (("Vomiting", "Vomiting"),),
    "Diarrhoea": (("Diarrhoea", "Diarrhoea"), ("Diarrhea", "Diarrhea")),
    "Constipation": (("Constipation", "Constipation"),),
    "Colitis": (("Colitis", "Colitis"), ("Immune-related colitis", "Colitis")),
    "Hypotension": (("Hypotension", "Hypotension"), ("Low blood pressure", "Low blood pressure")),
    "Hypoxia": (("Hypoxia", "Hypoxia"),),
    "Pneumonitis": (("Pneumonitis", "Pneumonitis"), ("Immune-related pneumonitis", "Pneumonitis")),
    "Pleurisy": (("Pleuritis", "Pleuritis"), ("Pleurisy", "Pleurisy")),
    "Pleural effusion": (("Pleural effusion", "Pleural effusion"),),
    "Pericarditis": (("Pericarditis", "Pericarditis"),),
    "Tachycardia": (("Tachycardia", "Tachycardia"), ("Sinus tachycardia", "Tachycardia")),
    "Pneumonia": (("Pneumonia", "Pneumonia"), ("Lung infection", "Lung infection")),
    "Upper respiratory tract infection": (("URTI", "Upper respiratory tract infection"),
                                          ("Upper respiratory tract infection", "Upper respiratory tract infection")),
    "Urinary tract infection": (("UTI", "Urinary tract infection"),
                                ("Urinary tract infection", "Urinary tract infection")),
    "Sepsis": (("Sepsis", "Sepsis"),),
    "Decreased appetite": (("Decreased appetite", "Decreased appetite"), ("Loss of appetite", "Loss of appetite")),
    "Hypothyroidism": (("Hypothyroidism", "Hypothyroidism"),),
    "Cancer pain": (("Cancer pain", "Cancer pain"), ("Tumour pain", "Tumour pain")),
    "Malignant neoplasm progression": (("Disease progression", "Disease progression"),),
}
_RELATED = ("Related", "Possibly Related", "probably related", "Related")
_UNRELATED = ("Not Related", "Unlikely related", "Not Related")
_RECOVERED = ("Recovered", "recovered/resolved", "Recovered/Resolved")
_NOT_RECOVERED = ("Not recovered", "Recovering")
_PARTIAL_AE = ("UN MON YYYY", "MON YYYY", "YYYY-MM")
_LATE_MINOR = {"Fatigue", "Decreased appetite", "Constipation", "Insomnia", "Diarrhoea", "Headache"}


@dataclass
class _Event:
    pt: str
    start: int
    duration: int
    grade: int
    astct: int = 0
    product_related: bool = False
    ld_related: bool = False
    fatal: bool = False
    allow_partial: bool = False


def _profile_events(c: Cohort, i: int, rng: Draws) -> list[_Event]:
    """Events of subject i with absolute start dates (before the death/last-day filter)."""
    d0 = int(c.day0[i])
    ev: list[_Event] = []
    r = rng.random
    # Screening events: before lymphodepletion, never treatment-emergent.
    if r() < 0.30:
        window = max(int(d0 - 6 - c.consent[i]), 1)
        for pt in rng.choice(["Cancer pain", "Fatigue", "Constipation", "Insomnia", "Decreased appetite"],
                             size=int(rng.integers(1, 3)), replace=False):
            ev.append(_Event(str(pt), int(c.consent[i]) + int(rng.integers(0, window)), int(rng.integers(5, 120)),
                             int(rng.integers(1, 3)), allow_partial=True))
    if c.had_ld[i] and r() < 0.30:
        ev.append(_Event("Nausea", d0 - 5 + int(rng.integers(0, 3)), int(rng.integers(1, 5)),
                         int(rng.integers(1, 3)), ld_related=True))
    if not c.infused[i]:
        if c.death[i] < NO_DAY:
            ev.append(_Event("Malignant neoplasm progression", int(c.death[i]) - int(rng.integers(5, 15)), 0, 5,
                             fatal=True))
        return ev
    # Cytopenias after lymphodepletion (also related to the CAR-T once infused).
    for pt, grade, lo, hi in (("Neutropenia", c.neut_grade[i], 3, 5), ("Thrombocytopenia", c.plt_grade[i], 2, 5),
                              ("Anaemia", c.hgb_grade[i], 2, 4)):
        if grade >= lo:
            ev.append(_Event(pt, d0 + int(rng.integers(-2, 6)), int(rng.integers(7, 29)), int(min(grade, hi - 1)),
                             product_related=True, ld_related=True))
    if r() < 0.5:
        ev.append(_Event("Lymphocyte count decreased", d0 + int(rng.integers(-3, 1)), int(rng.integers(10, 40)),
                         int(rng.integers(3, 5)), product_related=True, ld_related=True))
    if c.neut_grade[i] >= 3 and r() < 0.12:
        ev.append(_Event("Febrile neutropenia", d0 + int(rng.integers(3, 11)), int(rng.integers(2, 7)), 3,
                         product_related=True, ld_related=True))
    # CRS and what comes with it.
    crs = int(c.crs_grade[i])
    if crs:
        onset = d0 + int(c.crs_onset[i])
        astct = min(max(crs + int(rng.choice([-1, 0, 0, 0, 1])), 1), 4)
        ev.append(_Event("Cytokine release syndrome", onset, int(c.crs_days[i]), crs, astct, product_related=True))
        if r() < 0.25:
            ev.append(_Event("Pyrexia", onset - int(rng.integers(0, 2)), int(rng.integers(1, 4)), 1,
                             product_related=True))
        if crs >= 2 and r() < 0.7:
            ev.append(_Event("Hypotension", onset + int(rng.integers(0, 2)), int(rng.integers(1, 5)),
                             min(crs, 4), product_related=True))
        if crs >= 3:
            ev.append(_Event("Hypoxia", onset + 1, int(rng.integers(2, 6)), 3, product_related=True))
        if r() < 0.3:
            ev.append(_Event("Tachycardia", onset, int(rng.integers(1, 4)), int(rng.integers(1, 3)),
                             product_related=True))
    icans = int(c.icans_grade[i])
    if icans:
        terms = ["Immune effector cell-associated neurotoxicity syndrome", "Encephalopathy", "Confusional state",
                 "Tremor", "Aphasia"]
        for pt in rng.choice(terms, size=int(rng.integers(1, 3)), replace=False,
                             p=(0.25, 0.2, 0.25, 0.15, 0.15)):
            grade = min(icans, 3) if pt in ("Tremor", "Aphasia") else icans
            ev.append(_Event(str(pt), d0 + int(c.icans_onset[i]), int(rng.integers(2, 15)), grade, icans,
                             product_related=True))
    # Common events.
    for pt, p, lo, hi, dur, related in (
            ("Fatigue", 0.35, 1, 90, 30, True), ("Headache", 0.20, 1, 14, 5, True),
            ("Diarrhoea", 0.15, 1, 90, 5, False),
            ("Decreased appetite", 0.15, 1, 60, 20, True), ("Chills", 0.10, 0, 3, 2, True),
            ("Vomiting", 0.10, 0, 10, 2, False), ("Constipation", 0.10, 5, 120, 10, False),
            ("Insomnia", 0.08, 5, 200, 30, False)):
        if r() < p:
            ev.append(_Event(pt, d0 + int(rng.integers(lo, hi + 1)), int(rng.integers(1, dur + 1)),
                             int(rng.choice([1, 1, 2])), product_related=related and r() < 0.5,
                             allow_partial=pt in _LATE_MINOR))
    if r() < 0.25:
        pt = str(rng.choice(["Pneumonia", "Upper respiratory tract infection", "Urinary tract infection", "Sepsis"],
                            p=(0.35, 0.35, 0.2, 0.1)))
        ev.append(_Event(pt, d0 + int(rng.integers(7, 181)), int(rng.integers(5, 15)),
                         3 if pt in ("Sepsis", "Pneumonia") else int(rng.integers(1, 3))))
    # On-target off-tumour serositis.
    if r() < (0.20 if c.tumour[i] == 0 else 0.06):
        ev.append(_Event("Pleurisy", d0 + int(rng.integers(3, 22)), int(rng.integers(5, 30)),
                         int(rng.choice([1, 2, 2, 3])), product_related=True))
    if r() < 0.10:
        ev.append(_Event("Pleural effusion", d0 + int(rng.integers(3, 30)), int(rng.integers(7, 40)),
                         int(rng.integers(1, 4)), product_related=r() < 0.5))
    if r() < 0.05:
        ev.append(_Event("Pericarditis", d0 + int(rng.integers(3, 22)), int(rng.integers(5, 30)),
                         int(rng.integers(2, 4)), product_related=True))
    # PD-1 antibody immune-related events.
    if c.alt_grade[i]:
        onset = d0 + int(c.alt_onset[i])
        ev.append(_Event("Alanine aminotransferase increased", onset, int(rng.integers(10, 35)), int(c.alt_grade[i]),
                         product_related=True))
        if r() < 0.7:
            ev.append(_Event("Aspartate aminotransferase increased", onset, int(rng.integers(7, 30)),
                             max(int(c.alt_grade[i]) - 1, 1), product_related=True))
    if r() < 0.05:
        ev.append(_Event("Pneumonitis", d0 + int(rng.integers(21, 151)), int(rng.integers(14, 45)),
                         int(rng.integers(2, 4)), product_related=True))
    if r() < 0.04:
        ev.append(_Event("Colitis", d0 + int(rng.integers(30, 151)), int(rng.integers(7, 30)),
                         int(rng.integers(2, 4)), product_related=True))
    if r() < 0.05:
        ev.append(_Event("Hypothyroidism", d0 + int(rng.integers(42, 201)), 400, 2, product_related=True))
    # The fatal event of a treatment-related death.
    if c.fatal_ae[i]:
        cause = str(c.death_cause[i])
        death = int(c.death[i])
        match = [e for e in ev if e.pt == cause and e.start < death]
        if match:
            match[0].grade, match[0].fatal, match[0].duration = 5, True, death - match[0].start
            match[0].astct = 4 if match[0].astct else 0
        else:
            start = death - int(rng.integers(3, 8))
            ev.append(_Event(cause, start, death - start, 5, product_related=True, fatal=True))
    return ev


def _ae_values(c: Cohort, i: int, e: _Event, rng: Draws) -> tuple[dict[str, str], int, int | None]:
    """CRF fields of one event, (start date, end date or None) for sorting and planting."""
    d0 = int(c.day0[i])
    last = int(min(c.last_day[i], c.death[i]))
    end = e.start + e.duration
    if e.fatal:
        end = int(c.death[i]) if c.death[i] < NO_DAY else end
    ongoing = end > last and not e.fatal
    verbatim, llt = VERBATIMS[e.pt][int(rng.integers(0, len(VERBATIMS[e.pt])))]
    partial = e.allow_partial and rng.random() < 0.2
    start_text = partial_date(e.start, pick_one(rng, _PARTIAL_AE)) if partial else date_text(e.start)
    if ongoing:
        end_text = ""
    elif partial and rng.random() < 0.5:
        end_text = partial_date(end, pick_one(rng, _PARTIAL_AE))
    else:
        end_text = date_text(end)
    grade = str(e.grade) if rng.random() < 0.8 else f"Grade {e.grade}"
    serious = e.fatal or e.grade >= 4 or (e.grade >= 3 and rng.random() < 0.85) or \
        (e.pt == "Cytokine release syndrome" and e.grade >= 2) or (e.astct >= 2 and e.pt != "Cytokine release syndrome")
    before_product = e.start < d0 or not c.infused[i]
    values = {
        "AETERM": verbatim, **code_llt(llt).as_fields(),
        "AESTDAT": start_text, "AEENDAT": end_text, "AEONGO": "Yes" if ongoing else "No",
        "AETOXGR": grade, "AEASTCGR": str(e.astct) if e.astct else "",
        "AESER": "Yes" if serious else "No",
        "AEREL": pick_one(rng, _UNRELATED) if before_product or not e.product_related else pick_one(rng, _RELATED),
        "AERELLD": pick_one(rng, ("Related", "Possibly related")) if e.ld_related and c.had_ld[i]
        else pick_one(rng, _UNRELATED),
        "AEACN": "Dose not changed" if d0 - 5 <= e.start < d0 and c.had_ld[i] else "Not Applicable",
        "AEOUT": "Fatal" if e.fatal else (pick_one(rng, _NOT_RECOVERED) if ongoing else pick_one(rng, _RECOVERED)),
    }
    if serious:
        values.update({"AESDTH": "Yes" if e.fatal else "No", "AESLIFE": "Yes" if e.grade == 4 else "No",
                       "AESHOSP": "No" if e.fatal or e.grade == 4 else "Yes", "AESDISAB": "No", "AESCONG": "No",
                       "AESMIE": "Yes" if e.fatal or e.grade == 4 else "No"})
    return values, e.start, None if ongoing else end


def build_adverse_events(c: Cohort, generator: np.random.Generator,
                         planted: Planted) -> tuple[FormRows, list[list[tuple[str, int, int]]]]:
    """The AE form, and per subject the (PT, start date, grade) of every event written (for CM)."""
    rng = Draws(generator)
    rows = FormRows("AE")
    events: list[list[tuple[str, int, int]]] = []
    records: list[tuple[int, list[tuple[int, dict[str, str], int | None]]]] = []
    for i in range(c.n):
        last = int(min(c.last_day[i], c.death[i]))
        kept = []
        for e in _profile_events(c, i, rng):
            if e.start > last or (e.start >= c.death[i] and not e.fatal):
                continue
            values, start, end = _ae_values(c, i, e, rng)
            kept.append((start, values, end))
        kept.sort(key=lambda k: (k[0], k[1]["AEDECOD"], k[1]["AETERM"]))
        records.append((i, kept))
        events.append([(v["AEDECOD"], start, int(v["AETOXGR"].removeprefix("Grade "))) for start, v, _ in kept])
    _plant_ae_issues(c, records, rng, planted)
    for i, kept in records:
        for pos, (_, values, _) in enumerate(kept, start=1):
            rows.add(str(c.subject[i]), LOG_FOLDER, LOG_INSTANCE, pos, values)
    return rows, events


def _plant_ae_issues(c: Cohort, records, rng: Draws, planted: Planted) -> None:
    """An end date typed before the start date, and an AE entered twice (same record, next position)."""
    order = rng.permutation(len(records))
    reversed_done = duplicate_done = False
    for k in order:
        i, kept = records[k]
        for j, (start, values, end) in enumerate(kept):
            full = len(values["AESTDAT"]) == 11 and len(values["AEENDAT"]) == 11
            if not reversed_done and full and end is not None and end - start >= 2 and values["AEOUT"] != "Fatal":
                values["AEENDAT"] = date_text(start - 10)
                planted.add("ae_end_before_start", {
                    "form": "AE", "subject": str(c.subject[i]), "AETERM": values["AETERM"],
                    "AESTDAT": values["AESTDAT"], "AEENDAT": values["AEENDAT"]})
                reversed_done = True
                break
        if reversed_done:
            break
    for k in order[::-1]:
        i, kept = records[k]
        crs = [x for x in kept if x[1]["AEDECOD"] == "Cytokine release syndrome"]
        if crs and not duplicate_done:
            kept.insert(kept.index(crs[0]) + 1, (crs[0][0], dict(crs[0][1]), crs[0][2]))
            planted.add("duplicate_ae", {"form": "AE", "subject": str(c.subject[i]),
                                         "AETERM": crs[0][1]["AETERM"], "AESTDAT": crs[0][1]["AESTDAT"]})
            duplicate_done = True
            break
