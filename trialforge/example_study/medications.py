"""Concomitant medications and subsequent anti-cancer therapy (the CM form), driven by events and progression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialforge.example_study.forms import LOG_FOLDER
from trialforge.example_study.draws import Draws
from trialforge.example_study.rawtext import date_text, partial_date, pick_one
from trialforge.example_study.recist import TumourCourse
from trialforge.example_study.table import LOG_INSTANCE, FormRows, Planted
from trialforge.example_study.timeline import DONE, FOLDER_INDEX, NO_DAY, Cohort, VisitPlan

CONCOMITANT = "CONCOMITANT MEDICATION"
SUBSEQUENT = "SUBSEQUENT ANTI-CANCER THERAPY"
UNMAPPABLE_ROUTE = "Per PEG"
_ROUTES = {"IV": ("IV", "Intravenous", "iv"), "PO": ("PO", "Oral", "oral"), "SC": ("SC", "Subcutaneous")}
_HISTORY = (  # medication, dose, route, indication
    ("Oxycodone", "10 mg q12h", "PO", "Cancer pain"), ("Omeprazole", "20 mg qd", "PO", "Gastric protection"),
    ("Amlodipine", "5 mg qd", "PO", "Hypertension"), ("Metformin", "500 mg bid", "PO", "Type 2 diabetes"),
    ("Paracetamol", "500 mg prn", "PO", "Pain"), ("Lactulose", "10 mL bid", "PO", "Constipation"),
)
_NEXT_LINE = {  # per tumour type: therapy, dose
    0: (("Pemetrexed", "500 mg/m2 q3w"), ("Gemcitabine", "1000 mg/m2 d1,8 q3w"), ("Nivolumab", "240 mg q2w")),
    1: (("Paclitaxel", "80 mg/m2 weekly"), ("Bevacizumab", "15 mg/kg q3w"),
        ("Pegylated liposomal doxorubicin", "40 mg/m2 q4w")),
    2: (("Gemcitabine + nab-paclitaxel", "1000 mg/m2 + 125 mg/m2 d1,8,15 q4w"), ("FOLFIRINOX", "per protocol q2w")),
    3: (("Docetaxel", "75 mg/m2 q3w"), ("Pembrolizumab", "200 mg q3w")),
}
_INFECTIONS = {"Pneumonia", "Sepsis", "Urinary tract infection", "Febrile neutropenia",
               "Upper respiratory tract infection"}


@dataclass
class _Med:
    name: str
    dose: str
    route: str  # key of _ROUTES
    indication: str
    start: int
    end: int  # NO_DAY = still taking
    category: str = CONCOMITANT
    partial_start: str = ""  # partial-date style, "" for a full date


def _medications(c: Cohort, i: int, plan: VisitPlan, course: TumourCourse, events: list[tuple[str, int, int]],
                 rng: Draws) -> list[_Med]:
    d0 = int(c.day0[i])
    meds: list[_Med] = []
    for k in rng.choice(len(_HISTORY), size=int(rng.integers(1, 4)), replace=False):
        name, dose, route, why = _HISTORY[k]
        start = int(c.consent[i]) - int(rng.integers(30, 1500))
        style = pick_one(rng, ("", "", "YYYY", "MON YYYY", "UN MON YYYY"))
        meds.append(_Med(name, dose, route, why, start, NO_DAY, partial_start=style))
    if c.had_ld[i]:
        meds.append(_Med("Acyclovir", "400 mg bid", "PO", "Antiviral prophylaxis", d0 - 5, d0 + 180))
        meds.append(_Med("Ondansetron", "8 mg", "IV", "Nausea prophylaxis", d0 - 5, d0 - 3))
    if not c.infused[i]:
        return meds
    meds.append(_Med("Paracetamol", "650 mg", "PO", "Premedication", d0, d0))
    meds.append(_Med("Chlorphenamine", "10 mg", "IV", "Premedication", d0, d0))
    if rng.random() < 0.5:
        meds.append(_Med("Sulfamethoxazole/trimethoprim", "960 mg three times weekly", "PO", "PJP prophylaxis",
                         d0, d0 + 180))
    for pt, start, grade in events:
        if pt == "Cytokine release syndrome" and (grade >= 2 and rng.random() < 0.9 or rng.random() < 0.2):
            when = start + int(rng.integers(0, 2))
            meds.append(_Med(pick_one(rng, ("Tocilizumab", "tocilizumab", "TOCILIZUMAB"), (0.8, 0.1, 0.1)),
                             "8 mg/kg", "IV", pick_one(rng, ("Cytokine release syndrome", "CRS")), when,
                             when + (1 if grade >= 3 and rng.random() < 0.5 else 0)))
        if (pt == "Cytokine release syndrome" and grade >= 3) or \
                (pt in ("Immune effector cell-associated neurotoxicity syndrome", "Encephalopathy",
                        "Confusional state", "Aphasia") and grade >= 2):
            meds.append(_Med("Dexamethasone", "10 mg q6h", "IV", "ICANS" if pt != "Cytokine release syndrome"
                             else "CRS", start + 1, start + 1 + int(rng.integers(2, 6))))
        if pt == "Neutropenia" and grade >= 4 and rng.random() < 0.6:
            when = d0 + int(rng.integers(7, 15))
            meds.append(_Med("Filgrastim", "300 ug qd", "SC", "Neutropenia", when, when + int(rng.integers(3, 8))))
        if pt in _INFECTIONS:
            drug, dose = (("Meropenem", "1 g q8h"), ("Piperacillin/tazobactam", "4.5 g q8h"))[int(rng.integers(0, 2))]
            meds.append(_Med(drug, dose, "IV", pt, start, start + int(rng.integers(5, 11))))
        if pt in ("Pneumonitis", "Colitis") and grade >= 2:
            meds.append(_Med("Methylprednisolone", "1 mg/kg qd", "IV", pt, start + 1,
                             start + 1 + int(rng.integers(5, 15))))
        if pt == "Hypothyroidism":
            meds.append(_Med("Levothyroxine", "50 ug qd", "PO", pt, start + 7, NO_DAY))
    meds.extend(_next_line(c, i, plan, course, rng))
    unique = {(m.name.lower(), m.start): m for m in meds}  # two triggers the same day: one prescription
    return list(unique.values())


def _next_line(c: Cohort, i: int, plan: VisitPlan, course: TumourCourse, rng: Draws) -> list[_Med]:
    """Subsequent anti-cancer therapy: after PD for most progressors, before PD for a few responders."""
    options = _NEXT_LINE[int(c.tumour[i])]
    name, dose = options[int(rng.integers(0, len(options)))]
    style = pick_one(rng, ("", "MON YYYY", "YYYY-MM", "UN MON YYYY"), (0.4, 0.2, 0.2, 0.2))
    last = int(min(c.last_day[i], c.death[i]))
    if c.scenario[i] == "therapy_before_pd":
        w18 = FOLDER_INDEX["W18"]
        if plan.state[i, w18] == DONE:
            return [_Med(name, dose, "IV", "Consolidation after response", int(plan.day[i, w18]) + 10, NO_DAY,
                         SUBSEQUENT)]
        return []
    if course.pd_day < NO_DAY and rng.random() < 0.65:
        start = course.pd_day + int(rng.integers(14, 61))
        return [_Med(name, dose, "IV", "Disease progression", start, NO_DAY, SUBSEQUENT, style)] \
            if start <= last else []
    responded = [d for d, r in course.responses if r in ("CR", "PR")]
    if responded and course.pd_day >= NO_DAY and not c.no_random_events[i] and rng.random() < 0.08:
        start = responded[0] + int(rng.integers(60, 200))
        return [_Med(name, dose, "IV", "Consolidation after response", start, NO_DAY, SUBSEQUENT, style)] \
            if start <= last else []
    return []


def build_medications(c: Cohort, plan: VisitPlan, courses: list[TumourCourse],
                      events: list[list[tuple[str, int, int]]], generator: np.random.Generator,
                      planted: Planted) -> FormRows:
    rng = Draws(generator)
    rows = FormRows("CM")
    route_planted = False
    target = int(rng.integers(0, c.n))  # the subject whose first oral medication gets an unmappable route
    for i in range(c.n):
        last = int(min(c.last_day[i], c.death[i]))
        meds = [m for m in _medications(c, i, plan, courses[i], events[i], rng) if m.start <= last]
        meds.sort(key=lambda m: (m.start, m.name))
        for pos, m in enumerate(meds, start=1):
            ongoing = m.end > last
            route = pick_one(rng, _ROUTES[m.route])
            if not route_planted and i >= target and m.route == "PO":
                route, route_planted = UNMAPPABLE_ROUTE, True
                planted.add("unmappable_route", {"form": "CM", "subject": str(c.subject[i]), "CMTRT": m.name,
                                                 "CMROUTE": route})
            start = partial_date(m.start, m.partial_start) if m.partial_start else date_text(m.start)
            rows.add(str(c.subject[i]), LOG_FOLDER, LOG_INSTANCE, pos, {
                "CMTRT": m.name, "CMCAT": m.category, "CMINDC": m.indication, "CMDOSTXT": m.dose,
                "CMROUTE": route, "CMSTDAT": start, "CMENDAT": "" if ongoing else date_text(m.end),
                "CMONGO": "Yes" if ongoing else "No"})
    return rows
