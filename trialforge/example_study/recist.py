"""RECIST 1.1 tumour course of each subject: lesions, measurements, and the investigator's responses.

A latent relative tumour burden g(t) = 1 - depth*(1 - exp(-t/tau)) drives every target lesion (each with
its own exponent and measurement noise); after the progression time tp the burden grows by `rate` per
month, and progression may instead show as an unequivocal new lesion or unequivocal progression of a
non-target lesion. The responses on the RS form are then DERIVED from the recorded measurements with the
RECIST 1.1 rules below, so they always agree with TL/NTL/NL. Assessments stop at the first PD.

Conventions of this CRF: "TOO SMALL TO MEASURE" counts as 5 mm in the sum; a lesion not evaluated has a
blank diameter and makes the sum blank; NEWLIND is "Yes" only for an UNEQUIVOCAL new lesion (an
equivocal one is recorded on NL but is not progression until a later scan confirms it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from trialforge.example_study.table import FormRows
from trialforge.example_study.timeline import (
    FOLDER_INDEX, FOLDER_LABEL, FOLDERS, DONE, NO_DAY, Cohort, VisitPlan)
from trialforge.example_study.draws import Draws
from trialforge.example_study.rawtext import date_text, pick_one
from trialforge.example_study.forms import TUMOR_ASSESSMENT_FOLDERS, UNSCHEDULED_FOLDER

TOO_SMALL = "TOO SMALL TO MEASURE"
TOO_SMALL_MM = 5.0
PR_FRACTION = 0.70  # PR: sum at most 70% of baseline (>= 30% decrease)
PD_FRACTION = 1.20  # PD: sum at least 120% of nadir ...
PD_ABSOLUTE_MM = 5.0  # ... and at least 5 mm above it
NODE_NORMAL_MM = 10.0  # a target node below this short axis counts as gone
NTL_ABSENT_BELOW = 0.15  # burden under which non-target lesions are no longer seen

# Disease sites per tumour type: location as written, organ (max 2 targets each), nodal.
_SITES: dict[int, tuple[tuple[str, str, bool], ...]] = {
    0: (("Pleura, right", "pleura", False), ("Pleural rind, right lower", "pleura", False),
        ("Peritoneum", "peritoneum", False), ("Lymph node, mediastinal", "node", True),
        ("Lymph node, internal mammary", "node", True), ("Lung, right lower lobe", "lung", False),
        ("Chest wall", "chest wall", False)),
    1: (("Peritoneum", "peritoneum", False), ("Omentum", "omentum", False), ("Liver", "liver", False),
        ("Liver, segment VI", "liver", False), ("Lymph node, para-aortic", "node", True),
        ("Lymph node, pelvic", "node", True), ("Pelvic mass", "pelvis", False)),
    2: (("Pancreas, head", "pancreas", False), ("Liver", "liver", False), ("Liver, segment VIII", "liver", False),
        ("Lymph node, peripancreatic", "node", True), ("Peritoneum", "peritoneum", False),
        ("Lung, left lower lobe", "lung", False)),
    3: (("Lung, right upper lobe", "lung", False), ("Lung, left lower lobe", "lung", False),
        ("Lymph node, mediastinal", "node", True), ("Lymph node, hilar", "node", True),
        ("Liver", "liver", False), ("Adrenal gland, left", "adrenal", False)),
}
_NON_TARGET_ONLY = {
    0: ("Pleural effusion", "Lymph node, supraclavicular", "Bone, rib"),
    1: ("Ascites", "Lymph node, inguinal", "Peritoneum, pelvic"),
    2: ("Ascites", "Liver, multiple small lesions", "Lymph node, coeliac"),
    3: ("Pleural effusion", "Bone, vertebra T8", "Lymph node, supraclavicular"),
}
_NEW_SITES = ("Liver", "Lung, left upper lobe", "Bone, pelvis", "Brain", "Lymph node, axillary", "Adrenal gland, right")
_METHODS = ("CT", "CT SCAN", "MRI", "CT scan")
_METHOD_P = (0.70, 0.15, 0.10, 0.05)


# --- RECIST 1.1 rules (pure) -------------------------------------------------------------------------

def lesion_mm(recorded: str) -> float | None:
    """A recorded diameter as mm: TOO SMALL TO MEASURE = 5 mm; blank (not evaluated) = None."""
    text = recorded.strip()
    if not text:
        return None
    return TOO_SMALL_MM if text.upper() == TOO_SMALL else float(text)


def target_response(recorded: list[str], nodal: list[bool], baseline_sum: float,
                    nadir: float) -> tuple[str, float | None]:
    """(TRGRESP, sum of diameters or None when a lesion was not evaluated)."""
    if not recorded:
        return "", None
    values = [lesion_mm(r) for r in recorded]
    measured = sum(v for v in values if v is not None)
    complete = all(v is not None for v in values)
    if measured >= PD_FRACTION * nadir and measured - nadir >= PD_ABSOLUTE_MM:
        return "PD", measured if complete else None  # already PD on what was measured
    if not complete:
        return "NE", None
    gone = all((v < NODE_NORMAL_MM) if node else (v == 0) for v, node in zip(values, nodal))
    if gone:
        return "CR", measured
    if measured <= PR_FRACTION * baseline_sum:
        return "PR", measured
    return "SD", measured


def nontarget_response(statuses: list[str]) -> str:
    if not statuses:
        return ""
    if "UNEQUIVOCAL PROGRESSION" in statuses:
        return "PD"
    if "NOT EVALUATED" in statuses:
        return "NE"
    if all(s == "ABSENT" for s in statuses):
        return "CR"
    return "NON-CR/NON-PD"


def overall_response(target: str, nontarget: str, new_lesion: bool) -> str:
    """RECIST 1.1 time-point response (digest section 4), with or without target disease."""
    if target == "PD" or nontarget == "PD" or new_lesion:
        return "PD"
    if not target:  # non-target disease only
        return {"CR": "CR", "NON-CR/NON-PD": "NON-CR/NON-PD"}.get(nontarget, "NE")
    if target == "NE":
        return "NE"
    if target == "CR":
        return "CR" if nontarget in ("CR", "") else "PR"
    return target  # PR or SD


# --- simulation ---------------------------------------------------------------------------------------

@dataclass
class _Lesion:
    number: str
    location: str
    organ: str
    nodal: bool
    baseline: float = 0.0
    exponent: float = 1.0
    floor: float = 0.0


@dataclass
class TumourCourse:
    """What the tumour forms say about one subject, for the forms that depend on it (CM, checks)."""

    pd_day: int = NO_DAY
    responses: list[tuple[int, str]] = field(default_factory=list)  # (date, OVRLRESP) of done assessments
    measurable: bool = True


@dataclass
class TumourForms:
    tl: FormRows = field(default_factory=lambda: FormRows("TL"))
    ntl: FormRows = field(default_factory=lambda: FormRows("NTL"))
    nl: FormRows = field(default_factory=lambda: FormRows("NL"))
    rs: FormRows = field(default_factory=lambda: FormRows("RS"))
    courses: list[TumourCourse] = field(default_factory=list)


def simulate_tumours(c: Cohort, plan: VisitPlan, generator: np.random.Generator) -> TumourForms:
    rng = Draws(generator)
    out = TumourForms()
    uns_by_subject: dict[int, list[tuple[int, int]]] = {}
    for s, d, k, t in zip(plan.uns_subject, plan.uns_day, plan.uns_number, plan.uns_tumour):
        if t:
            uns_by_subject.setdefault(int(s), []).append((int(d), int(k)))
    assessment_cols = [FOLDER_INDEX[f] for f in TUMOR_ASSESSMENT_FOLDERS if f != "SCR"]
    for i in range(c.n):
        visits = []
        if c.infused[i]:
            for col in assessment_cols:
                if plan.state[i, col] == DONE:
                    visits.append((int(plan.day[i, col]), FOLDERS[col], FOLDER_LABEL[FOLDERS[col]],
                                   bool(plan.tumour_not_done[i, col])))
            for d, k in uns_by_subject.get(i, []):
                visits.append((d, UNSCHEDULED_FOLDER, f"Unscheduled {k}", False))
            visits.sort()
        out.courses.append(_simulate_subject(c, i, visits, rng, out))
    return out


def _choose_lesions(c: Cohort, i: int, rng: Draws) -> tuple[list[_Lesion], list[_Lesion]]:
    sites = list(_SITES[int(c.tumour[i])])
    order = rng.permutation(len(sites))
    n_target = pick_one(rng, (1, 2, 3, 4, 5), (0.2, 0.3, 0.25, 0.15, 0.1))
    n_nontarget = pick_one(rng, (0, 1, 2, 3), (0.25, 0.35, 0.25, 0.15))
    if c.waiver[i] == "IN04":  # waiver for no measurable disease: non-target lesions only
        n_target, n_nontarget = 0, max(n_nontarget, 1)
    if c.scenario[i] == "cr_then_pr":
        n_nontarget = max(n_nontarget, 1)
    targets: list[_Lesion] = []
    per_organ: dict[str, int] = {}
    rest = []
    for k in order:
        location, organ, nodal = sites[k]
        fits = per_organ.get(organ, 0) < 2 and not (nodal and c.scenario[i] == "cr_then_pr")
        if len(targets) < n_target and fits:
            per_organ[organ] = per_organ.get(organ, 0) + 1
            size = rng.uniform(15, 35) if nodal else min(max(rng.lognormal(math.log(28), 0.5), 10.0), 120.0)
            targets.append(_Lesion(f"T{len(targets) + 1:02d}", location, organ, nodal, round(size),
                                   rng.uniform(0.8, 1.25), rng.uniform(4, 9.5)))
        else:
            rest.append(location)
    candidates = rest + list(_NON_TARGET_ONLY[int(c.tumour[i])])
    nontargets = [_Lesion(f"NT{k + 1:02d}", loc, "", "Lymph node" in loc)
                  for k, loc in enumerate(candidates[:n_nontarget])]
    return targets, nontargets


def _burden(c: Cohort, i: int, pday: float) -> float:
    t = max(pday, 0.0)
    tp = float(c.tp[i])
    shrink = lambda x: 1.0 - float(c.depth[i]) * (1.0 - math.exp(-x / float(c.tau[i])))  # noqa: E731
    if t <= tp:
        return max(shrink(t), 0.0)
    return max(shrink(tp), 0.0) * (1.0 + float(c.rate[i]) * (t - tp) / 30.0) + 0.02 * (t - tp) / 30.0


def _record(lesion: _Lesion, size: float, rng: Draws) -> str:
    if lesion.nodal:
        return str(int(round(max(size, lesion.floor))))
    if size < 2.5:
        return "0"
    if size < 5 and rng.random() < 0.5:
        return TOO_SMALL
    return str(int(round(size)))


def _simulate_subject(c: Cohort, i: int, visits: list, rng: Draws, out: TumourForms) -> TumourCourse:
    subject = str(c.subject[i])
    course = TumourCourse()
    targets, nontargets = _choose_lesions(c, i, rng)
    course.measurable = bool(targets)
    method = pick_one(rng, _METHODS, _METHOD_P)
    random_events = not c.no_random_events[i]
    baseline_day = int(c.screen[i]) + rng.integers(0, 3)
    nodal = [t.nodal for t in targets]
    recorded = [str(int(t.baseline)) for t in targets]
    _write_lesions(out, subject, "SCR", FOLDER_LABEL["SCR"], baseline_day, method, targets, recorded,
                   nontargets, ["PRESENT"] * len(nontargets))
    baseline_sum = sum(lesion_mm(r) for r in recorded)
    nadir = baseline_sum
    mode = str(c.pd_mode[i]) if (nontargets or c.pd_mode[i] != "ntl") else "sum"
    new_number = 0
    equivocal_pending: str | None = None
    complete_responses = 0
    equivocal_first = random_events and mode == "new" and rng.random() < 0.3
    for k, (day, folder, instance, not_done) in enumerate(visits):
        if day >= c.death[i]:
            break
        pday = day - int(c.day0[i])
        if not_done:
            out.rs.add(subject, folder, instance, 1, {"RSNDYN": "Yes", "RSREASND": "Scan not performed"})
            continue
        scan_method = method if rng.random() > 0.05 else pick_one(rng, _METHODS, _METHOD_P)
        g = _burden(c, i, pday)
        progressing = pday >= c.tp[i]
        sizes = [t.baseline * g ** t.exponent * math.exp(rng.normal(0, 0.04)) for t in targets]
        recorded = [_record(t, s, rng) for t, s in zip(targets, sizes)]
        if random_events:
            recorded = [("" if rng.random() < 0.015 else r) for r in recorded]
        statuses = ["ABSENT" if g < NTL_ABSENT_BELOW else "PRESENT" for _ in nontargets]
        if c.scenario[i] == "cr_then_pr" and complete_responses >= 2:
            statuses = ["PRESENT" for _ in nontargets]  # disease seen again in a non-target site
        if random_events:
            statuses = [("NOT EVALUATED" if rng.random() < 0.02 else s) for s in statuses]
        if mode == "ntl" and progressing:
            statuses[0] = "UNEQUIVOCAL PROGRESSION"
        new_rows: list[tuple[str, str, str]] = []
        if mode == "new" and progressing:
            if equivocal_pending is None:
                new_number += 1
                equivocal_pending = (f"NEW{new_number:02d}", pick_one(rng, _NEW_SITES))
            new_rows.append((*equivocal_pending, "UNEQUIVOCAL"))
        elif equivocal_first and mode == "new" and k + 1 < len(visits) and pday >= 42 and \
                visits[k + 1][0] - int(c.day0[i]) >= c.tp[i] and equivocal_pending is None:
            new_number += 1
            equivocal_pending = (f"NEW{new_number:02d}", pick_one(rng, _NEW_SITES))
            new_rows.append((*equivocal_pending, "EQUIVOCAL"))
        _write_lesions(out, subject, folder, instance, day, scan_method, targets, recorded, nontargets, statuses)
        for pos, (number, location, equiv) in enumerate(new_rows, start=1):
            out.nl.add(subject, folder, instance, pos, {
                "NLDAT": date_text(day), "NLNUM": number, "NLLOC": location, "NLMETH": scan_method,
                "NLEQUIV": equiv})
        trg, total = target_response(recorded, nodal, baseline_sum, nadir)
        ntrg = nontarget_response(statuses)
        unequivocal = any(e == "UNEQUIVOCAL" for _, _, e in new_rows)
        overall = overall_response(trg, ntrg, unequivocal)
        if total is not None and trg != "PD":
            nadir = min(nadir, total)
        complete_responses += overall == "CR"
        out.rs.add(subject, folder, instance, 1, {
            "RSDAT": date_text(day), "TLSUM": "" if total is None else str(int(total)), "TRGRESP": trg,
            "NTRGRESP": ntrg, "NEWLIND": "Yes" if unequivocal else "No", "OVRLRESP": overall})
        course.responses.append((day, overall))
        if overall == "PD":
            course.pd_day = day
            break
    return course


def _write_lesions(out: TumourForms, subject: str, folder: str, instance: str, day: int, method: str,
                   targets: list[_Lesion], recorded: list[str], nontargets: list[_Lesion],
                   statuses: list[str]) -> None:
    when = date_text(day)
    for pos, (t, r) in enumerate(zip(targets, recorded), start=1):
        out.tl.add(subject, folder, instance, pos, {
            "TLDAT": when, "TLNUM": t.number, "TLLOC": t.location, "TLNODAL": "Yes" if t.nodal else "No",
            "TLMETH": method, "TLDIAM": r})
    for pos, (t, s) in enumerate(zip(nontargets, statuses), start=1):
        out.ntl.add(subject, folder, instance, pos, {
            "NTLDAT": when, "NTLNUM": t.number, "NTLLOC": t.location, "NTLMETH": method, "NTLSTAT": s})
