"""Who the subjects are and what happens to them when: the latent truth every form is written from.

Everything is drawn per subject as numpy arrays (one slot per subject, in enrolment order), then the
visit plan is laid over it. Forms never draw their own timelines: they read this one, so a death, a
withdrawal or the data cut-off silences every form at the same date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from trialforge.example_study.forms import VISIT_FOLDERS
from trialforge.example_study.rawtext import calendar_date, day_number

STUDY_ID = "MESOCART-PD1"
SITE = "01"
DATA_CUTOFF = day_number(date(2025, 12, 31))
_CONSENT_FIRST = day_number(date(2023, 1, 3))
_CONSENT_LAST = day_number(date(2024, 12, 20))
NO_DAY = 10**7  # "never": later than any real date

TUMOURS = ("MESOTHELIOMA", "OVARIAN", "PANCREATIC", "LUNG")
_TUMOUR_P = (0.40, 0.25, 0.20, 0.15)
RESPONDER, STABLE, PROGRESSOR = 0, 1, 2
_CLASS_P = (0.30, 0.38, 0.32)
NOT_INFUSED_REASONS = ("MANUFACTURING", "PROGRESSION", "DEATH")
_NOT_INFUSED_SHARE = 0.10
_WAIVER_SHARE = 0.04
WAIVER_CODES = ("IN04", "IN03")  # no measurable disease; mesothelin below 50%
DOSE_LEVELS = (1.0, 3.0, 10.0)  # x10^6 CAR+ cells/kg, escalated in enrolment order

# Visit windows (+/- days) of the planned folders, as in the trial design's TV sheet.
WINDOWS = {"SCR": 0, "APH": 1, "LD": 0, "D0": 0, "D1": 0, "D4": 1, "D7": 1, "D14": 2, "D21": 2, "D28": 3,
           "W6": 7, "W12": 7, "W18": 7, "W24": 7, "M9": 14, "M12": 14, "M15": 14, "M18": 14, "M21": 14, "M24": 14}
FOLDERS = tuple(f for f, _, _ in VISIT_FOLDERS)
FOLDER_INDEX = {f: i for i, f in enumerate(FOLDERS)}
FOLDER_LABEL = {f: label for f, label, _ in VISIT_FOLDERS}
FOLDER_PDAY = np.array([d for _, _, d in VISIT_FOLDERS], dtype=np.int64)
NOT_DUE, DONE, MISSED = 0, 1, 2
_MISS_RATE = 0.03  # share of follow-up visits (week 6 on) that do not happen
_DROPOUT_SHARE = 0.07  # infused subjects who leave the study alive

# Hard cases the example must contain whatever the draw (forced onto chosen subjects).
HARD_CASES = (
    "death_before_first_assessment",
    "event_after_missed_assessments",
    "therapy_before_pd",
    "cr_then_pr",
    "pr_then_pd_before_day42",
)


@dataclass
class Cohort:
    """Latent per-subject truth. Dates are day numbers; `pday` values are protocol days (infusion = 0)."""

    n: int
    subject: np.ndarray
    tumour: np.ndarray
    female: np.ndarray
    birth: np.ndarray
    age: np.ndarray
    weight: np.ndarray
    consent: np.ndarray
    screen: np.ndarray
    enrolled: np.ndarray
    aph: np.ndarray
    day0: np.ndarray
    infused: np.ndarray
    not_infused: np.ndarray  # index into NOT_INFUSED_REASONS, -1 when infused
    had_ld: np.ndarray
    dose_level: np.ndarray
    waiver: np.ndarray  # "" or a criterion code not met (with waiver)
    # efficacy: relative tumour burden g(t) = 1 - depth*(1-exp(-t/tau)), growing at `rate`/month after tp
    response_class: np.ndarray
    depth: np.ndarray
    tau: np.ndarray
    tp: np.ndarray
    rate: np.ndarray
    pd_mode: np.ndarray  # how progression shows: "sum", "new" lesion, "ntl" unequivocal progression
    # safety
    crs_grade: np.ndarray
    crs_onset: np.ndarray
    crs_days: np.ndarray
    icans_grade: np.ndarray
    icans_onset: np.ndarray
    neut_grade: np.ndarray
    plt_grade: np.ndarray
    hgb_grade: np.ndarray
    alt_grade: np.ndarray
    alt_onset: np.ndarray
    early_death_pday: np.ndarray  # treatment-related death (fatal AE), NO_DAY when none
    early_death_cause: np.ndarray  # PT of the fatal AE
    # outcome (filled by settle_outcomes)
    death: np.ndarray = field(default=None)
    death_cause: np.ndarray = field(default=None)
    dropout: np.ndarray = field(default=None)  # last contact of a subject who left early
    dropout_kind: np.ndarray = field(default=None)
    eot: np.ndarray = field(default=None)  # date of the infused / not-infused decision
    last_day: np.ndarray = field(default=None)  # no record of the subject is dated after this
    ds_status: np.ndarray = field(default=None)  # "" while ongoing at the data cut
    ds_day: np.ndarray = field(default=None)
    fatal_ae: np.ndarray = field(default=None)  # the death is the outcome of a (treatment-related) AE
    scenario: np.ndarray = field(default=None)  # hard case forced onto the subject, "" otherwise
    no_random_events: np.ndarray = field(default=None)


def subject_ids(n: int) -> np.ndarray:
    width = max(3, len(str(n)))
    return np.array([f"{SITE}-{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def draw_cohort(n: int, rng: np.random.Generator) -> Cohort:
    consent = np.sort(rng.integers(_CONSENT_FIRST, _CONSENT_LAST + 1, n)).astype(np.int64)
    day0 = consent + rng.integers(30, 36, n)
    screen = day0 - rng.integers(25, 29, n)
    enrolled = screen + rng.integers(1, 3, n)
    aph = day0 - 21 + rng.integers(-1, 2, n)
    tumour = rng.choice(len(TUMOURS), size=n, p=_TUMOUR_P)
    female = np.where(tumour == 1, True, rng.random(n) < np.where(tumour == 0, 0.30, 0.45))
    age_drawn = np.clip(np.rint(rng.normal(57, 10, n)), 28, 75).astype(int)
    birth_offset = rng.integers(0, 365, n)
    birth = np.array([_birth_day(int(c), int(a), int(o)) for c, a, o in zip(consent, age_drawn, birth_offset)],
                     dtype=np.int64)
    age = np.array([_age_at(int(b), int(c)) for b, c in zip(birth, consent)], dtype=np.int64)
    weight = np.round(np.where(female, rng.normal(58, 8, n), rng.normal(68, 9, n)).clip(40, 110), 1)

    not_infused = np.full(n, -1)
    k = int(round(_NOT_INFUSED_SHARE * n)) if n >= 5 else 0
    chosen = rng.choice(n, size=k, replace=False)
    reasons = np.concatenate([np.arange(min(k, 3)), rng.choice(3, size=max(k - 3, 0), p=(0.5, 0.3, 0.2))])
    not_infused[chosen] = reasons
    infused = not_infused < 0
    had_ld = infused | ((not_infused == 2) & (rng.random(n) < 0.5))
    had_ld[chosen[reasons == 2][:1]] = True  # at least one death after lymphodepletion began

    order = np.arange(n) / max(n, 1)
    dose_level = np.where(order < 0.06, DOSE_LEVELS[0], np.where(order < 0.18, DOSE_LEVELS[1], DOSE_LEVELS[2]))

    waiver = np.full(n, "", dtype=object)
    k = int(round(_WAIVER_SHARE * n))
    pool = np.flatnonzero(infused)
    if k and len(pool):
        picked = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False))
        waiver[picked] = [WAIVER_CODES[i % len(WAIVER_CODES)] for i in range(len(picked))]

    response_class = rng.choice(3, size=n, p=_CLASS_P)
    depth = np.select([response_class == RESPONDER, response_class == STABLE],
                      [rng.uniform(0.35, 1.0, n), rng.uniform(-0.15, 0.28, n)], rng.uniform(-0.4, 0.05, n))
    tau = np.select([response_class == RESPONDER], [rng.uniform(20, 60, n)], rng.uniform(25, 50, n))
    tp = np.select([response_class == RESPONDER, response_class == STABLE],
                   [60 + rng.exponential(420, n), 90 + rng.exponential(150, n)], rng.uniform(0, 35, n))
    rate = np.select([response_class == PROGRESSOR], [rng.uniform(0.4, 0.9, n)], rng.uniform(0.2, 0.5, n))
    pd_mode = np.array(("sum", "new", "ntl"), dtype=object)[
        rng.choice(3, size=n, p=(0.5, 0.35, 0.15))]

    crs_grade = np.where(rng.random(n) < 0.70,
                         rng.choice([1, 2, 3, 4, 5], size=n, p=(0.40, 0.38, 0.17, 0.04, 0.01)), 0)
    crs_onset = rng.choice(np.arange(1, 8), size=n, p=(0.30, 0.25, 0.15, 0.10, 0.08, 0.07, 0.05))
    crs_days = rng.integers(2, 11, n)
    icans_p = np.where(crs_grade >= 2, 0.27, 0.12)
    icans_grade = np.where(rng.random(n) < icans_p, rng.choice([1, 2, 3, 4], size=n, p=(0.45, 0.35, 0.17, 0.03)), 0)
    icans_onset = crs_onset + rng.integers(1, 5, n)
    neut_grade = rng.choice(5, size=n, p=(0.10, 0.05, 0.15, 0.35, 0.35))
    plt_grade = rng.choice(5, size=n, p=(0.40, 0.20, 0.15, 0.15, 0.10))
    hgb_grade = rng.choice(4, size=n, p=(0.40, 0.20, 0.25, 0.15))
    alt_grade = np.where(rng.random(n) < 0.12, rng.choice([1, 2, 3, 4], size=n, p=(0.4, 0.3, 0.25, 0.05)), 0)
    alt_onset = rng.integers(21, 151, n)

    early_death_pday = np.full(n, NO_DAY, dtype=np.int64)
    early_death_cause = np.full(n, "", dtype=object)
    fatal_crs = crs_grade == 5
    early_death_pday[fatal_crs] = crs_onset[fatal_crs] + rng.integers(3, 9, fatal_crs.sum())
    early_death_cause[fatal_crs] = "Cytokine release syndrome"
    other_fatal = (~fatal_crs) & (rng.random(n) < 0.015)
    early_death_pday[other_fatal] = rng.integers(10, 34, other_fatal.sum())
    early_death_cause[other_fatal] = np.array(("Sepsis", "Pneumonitis"), dtype=object)[
        rng.integers(0, 2, other_fatal.sum())]

    return Cohort(
        n=n, subject=subject_ids(n), tumour=tumour, female=female, birth=birth, age=age, weight=weight,
        consent=consent, screen=screen, enrolled=enrolled, aph=aph, day0=day0, infused=infused,
        not_infused=not_infused, had_ld=had_ld, dose_level=dose_level, waiver=waiver,
        response_class=response_class, depth=depth, tau=tau, tp=tp, rate=rate, pd_mode=pd_mode,
        crs_grade=crs_grade, crs_onset=crs_onset, crs_days=crs_days, icans_grade=icans_grade,
        icans_onset=icans_onset, neut_grade=neut_grade, plt_grade=plt_grade, hgb_grade=hgb_grade,
        alt_grade=alt_grade, alt_onset=alt_onset, early_death_pday=early_death_pday,
        early_death_cause=early_death_cause, scenario=np.full(n, "", dtype=object),
        no_random_events=np.zeros(n, dtype=bool),
    )


def _birth_day(consent: int, age: int, offset: int) -> int:
    c = calendar_date(consent)
    try:
        anniversary = c.replace(year=c.year - age)
    except ValueError:  # 29 February
        anniversary = c.replace(year=c.year - age, day=28)
    return day_number(anniversary) - offset


def _age_at(birth: int, on: int) -> int:
    b, d = calendar_date(birth), calendar_date(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def force_hard_cases(cohort: Cohort, rng: np.random.Generator) -> dict[str, str]:
    """Put each hard case on its own infused subject with long follow-up; returns case -> subject id."""
    c = cohort
    early = c.consent <= day_number(date(2024, 3, 31))
    eligible = c.infused & (c.waiver == "")
    pool = list(rng.permutation(np.flatnonzero(eligible & early))) + \
        list(rng.permutation(np.flatnonzero(eligible & ~early)))
    placed: dict[str, str] = {}
    for case, i in zip(HARD_CASES, pool):
        c.scenario[i] = case
        c.no_random_events[i] = True
        c.crs_grade[i] = min(int(c.crs_grade[i]), 3)
        c.early_death_pday[i] = NO_DAY
        c.early_death_cause[i] = ""
        if case == "death_before_first_assessment":
            c.crs_grade[i], c.crs_onset[i], c.neut_grade[i] = 2, 2, 4
            c.early_death_pday[i], c.early_death_cause[i] = 20, "Sepsis"
        elif case == "event_after_missed_assessments":
            _set_course(c, i, STABLE, depth=0.05, tau=40, tp=140, rate=0.3, mode="new")
        elif case == "therapy_before_pd":
            _set_course(c, i, RESPONDER, depth=0.6, tau=30, tp=NO_DAY, rate=0.3, mode="sum")
        elif case == "cr_then_pr":
            _set_course(c, i, RESPONDER, depth=1.0, tau=20, tp=NO_DAY, rate=0.3, mode="sum")
        elif case == "pr_then_pd_before_day42":
            _set_course(c, i, RESPONDER, depth=0.55, tau=8, tp=30, rate=0.05, mode="new")
        placed[case] = str(c.subject[i])
    return placed


def _set_course(c: Cohort, i: int, klass: int, *, depth: float, tau: float, tp: float, rate: float,
                mode: str) -> None:
    c.response_class[i], c.depth[i], c.tau[i], c.tp[i], c.rate[i], c.pd_mode[i] = klass, depth, tau, tp, rate, mode


def settle_outcomes(c: Cohort, rng: np.random.Generator) -> None:
    """Deaths, early leavers, end-of-treatment decisions and the last date each subject can have data."""
    n = c.n
    never = ~c.infused
    # Never infused: the decision falls between leukapheresis and the planned infusion.
    reason = c.not_infused
    decision_pday = np.select(
        [reason == 0, reason == 1, (reason == 2) & c.had_ld],
        [rng.integers(-10, -5, n), rng.integers(-14, -5, n), rng.integers(-2, 0, n)],
        rng.integers(-15, -6, n))
    death_pday = np.full(n, NO_DAY, dtype=np.int64)
    death_pday[never & (reason == 2)] = decision_pday[never & (reason == 2)]
    # Infused: treatment-related deaths, deaths after progression, a few deaths without progression.
    gap = 30 + rng.exponential(240, n)
    after_pd = np.where(c.tp < 5000, c.tp + gap, NO_DAY)
    other = np.where((rng.random(n) < 0.03) & ~c.no_random_events, rng.integers(60, 700, n), NO_DAY)
    infused_death = np.minimum(np.minimum(c.early_death_pday, after_pd.astype(np.int64)), other)
    floor = np.where(c.scenario == "event_after_missed_assessments", 300, 0)
    infused_death = np.where(c.early_death_pday < NO_DAY, infused_death, np.maximum(infused_death, floor))
    death_pday = np.where(c.infused, infused_death, death_pday)
    death = np.where(death_pday < NO_DAY, c.day0 + death_pday, NO_DAY)
    death = np.where(death <= DATA_CUTOFF, death, NO_DAY)

    dropout, dropout_kind = _dropouts(c, death_pday, rng)
    death = np.where(dropout < NO_DAY, NO_DAY, death)  # a death after the subject left is never learnt
    eot = np.where(c.infused, c.day0, c.day0 + decision_pday)
    death_cause = np.full(n, "", dtype=object)
    has_death = death < NO_DAY
    causes = np.array(("Disease progression", "Progressive disease", "Tumour progression"), dtype=object)
    death_cause[has_death] = causes[rng.integers(0, 3, has_death.sum())]
    unrelated = has_death & c.infused & (death == c.day0 + other) & (other < after_pd)
    death_cause[unrelated] = np.array(("Unknown", "Cardiac arrest", "Pulmonary embolism"), dtype=object)[
        rng.integers(0, 3, unrelated.sum())]
    early = has_death & c.infused & (death == c.day0 + c.early_death_pday)
    death_cause[early] = c.early_death_cause[early]
    c.fatal_ae = early
    never_death = has_death & never
    death_cause[never_death] = "Disease progression before CAR-T infusion"

    c.death, c.death_cause, c.dropout, c.dropout_kind, c.eot = death, death_cause, dropout, dropout_kind, eot
    last = np.minimum(np.minimum(death, dropout), DATA_CUTOFF)
    # Never infused leave the study a few days after the decision (on the day of death if they died).
    never_end = np.where(has_death, death, np.minimum(eot + rng.integers(0, 6, n), c.day0 - 1))
    c.last_day = np.where(never, never_end, last)
    status = np.full(n, "", dtype=object)
    status[never & (reason == 0)] = "Physician decision"
    status[never & (reason == 1)] = "Progressive disease"
    status[dropout < NO_DAY] = dropout_kind[dropout < NO_DAY]
    status[has_death] = "Death"
    c.ds_status = status
    c.ds_day = np.where(status != "", c.last_day, NO_DAY)


def _dropouts(c: Cohort, death_pday: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Infused subjects who leave alive (lost to follow-up or withdrawn), at least one of each from 20 up."""
    n = c.n
    latest = np.minimum(np.minimum(death_pday - 1, 700), DATA_CUTOFF - c.day0)
    pool = np.flatnonzero(c.infused & ~c.no_random_events & (latest > 60))
    k = int(round(_DROPOUT_SHARE * c.infused.sum()))
    k = min(max(k, 2 if n >= 20 else 0), len(pool))
    chosen = np.sort(rng.choice(pool, size=k, replace=False)) if k else np.array([], dtype=int)
    dropout = np.full(n, NO_DAY, dtype=np.int64)
    dropout[chosen] = c.day0[chosen] + rng.integers(30, latest[chosen])
    kinds = np.array(("Lost to follow-up", "Withdrawal by subject"), dtype=object)
    dropout_kind = np.full(n, "", dtype=object)
    first = np.array([0, 1][:k], dtype=int)
    dropout_kind[chosen] = kinds[np.concatenate([first, (rng.random(max(k - 2, 0)) < 0.6).astype(int)])]
    return dropout, dropout_kind


@dataclass
class VisitPlan:
    """Planned folders per subject (n x folders) and the unscheduled visits that happened."""

    day: np.ndarray  # date of each planned visit (jittered within its window)
    state: np.ndarray  # NOT_DUE, DONE or MISSED
    uns_subject: np.ndarray
    uns_day: np.ndarray
    uns_number: np.ndarray  # "Unscheduled <k>" within the subject
    uns_tumour: np.ndarray  # an unscheduled tumour assessment was done at this visit
    tumour_not_done: np.ndarray  # (n x folders) visit happened but the scan was not done


def plan_visits(c: Cohort, rng: np.random.Generator) -> VisitPlan:
    n, nf = c.n, len(FOLDERS)
    day = c.day0[:, None] + FOLDER_PDAY[None, :]
    windows = np.array([WINDOWS[f] for f in FOLDERS])
    jitter = np.clip(np.rint(rng.normal(0, windows / 2.0 + 1e-9, (n, nf))), -windows, windows).astype(np.int64)
    day = day + jitter
    day[:, FOLDER_INDEX["SCR"]] = c.screen
    day[:, FOLDER_INDEX["APH"]] = c.aph
    forced_pr_pd = np.flatnonzero(c.scenario == "pr_then_pd_before_day42")
    day[forced_pr_pd, FOLDER_INDEX["W6"]] = c.day0[forced_pr_pd] + 36

    limit = np.minimum(c.last_day, c.death - 1)
    due = day <= limit[:, None]
    pre = np.zeros(nf, dtype=bool)
    pre[[FOLDER_INDEX["SCR"], FOLDER_INDEX["APH"]]] = True
    due = np.where(c.infused[:, None], due, pre[None, :] | ((np.arange(nf) == FOLDER_INDEX["LD"]) & c.had_ld[:, None]))
    state = np.where(due, DONE, NOT_DUE)
    follow_up = np.arange(nf) >= FOLDER_INDEX["W6"]
    missed = due & follow_up[None, :] & (rng.random((n, nf)) < _MISS_RATE) & ~c.no_random_events[:, None]
    missed[:, FOLDER_INDEX["M24"]] = False
    state[missed] = MISSED
    tumour_not_done = (state == DONE) & follow_up[None, :] & (rng.random((n, nf)) < 0.02) \
        & ~c.no_random_events[:, None]
    for i in np.flatnonzero(c.scenario == "event_after_missed_assessments"):
        state[i, FOLDER_INDEX["W12"]] = MISSED
        tumour_not_done[i, FOLDER_INDEX["W18"]] = True

    # Completing month 24 ends the study for the subject.
    m24 = FOLDER_INDEX["M24"]
    completed = state[:, m24] == DONE
    c.last_day = np.where(completed, day[:, m24], c.last_day)
    c.ds_status = np.where(completed, "Completed", c.ds_status).astype(object)
    c.ds_day = np.where(completed, day[:, m24], c.ds_day)
    after = completed & (c.death > day[:, m24])  # not collected once the subject completed
    c.death[after], c.death_cause[after], c.fatal_ae[after] = NO_DAY, "", False

    uns = _unscheduled(c, day, state, rng)
    return VisitPlan(day, state, *uns, tumour_not_done)


def _unscheduled(c: Cohort, day: np.ndarray, state: np.ndarray, rng: np.random.Generator):
    subjects, days, numbers, tumour = [], [], [], []
    first, last = FOLDER_INDEX["D0"], FOLDER_INDEX["W24"]
    draws = rng.random(c.n)
    for i in range(c.n):
        if c.scenario[i] == "pr_then_pd_before_day42":
            subjects.append(i), days.append(int(c.day0[i]) + 24), numbers.append(1), tumour.append(True)
            continue
        if not c.infused[i] or draws[i] >= 0.10 or c.no_random_events[i]:
            continue
        done = [int(day[i, f]) for f in range(first, last + 1) if state[i, f] == DONE]
        gaps = [(a, b) for a, b in zip(done, done[1:]) if b - a >= 3]
        if not gaps:
            continue
        count = min(len(gaps), int(rng.integers(1, 3)))
        for k, g in enumerate(sorted(rng.choice(len(gaps), size=count, replace=False)), start=1):
            a, b = gaps[g]
            subjects.append(i), days.append(int(rng.integers(a + 1, b))), numbers.append(k), tumour.append(False)
    return (np.array(subjects, dtype=np.int64), np.array(days, dtype=np.int64),
            np.array(numbers, dtype=np.int64), np.array(tumour, dtype=bool))


@dataclass
class VisitRows:
    """Every visit that happened (planned and unscheduled), sorted by subject and date."""

    subject: np.ndarray  # subject index
    folder: np.ndarray
    instance: np.ndarray
    day: np.ndarray
    pday: np.ndarray
    order: np.ndarray  # folder index; unscheduled visits sort after the planned one of the same date


def done_visits(c: Cohort, plan: VisitPlan) -> VisitRows:
    s, f = np.nonzero(plan.state == DONE)
    folders = np.array(FOLDERS, dtype=object)
    labels = np.array([FOLDER_LABEL[x] for x in FOLDERS], dtype=object)
    subject = np.concatenate([s, plan.uns_subject])
    folder = np.concatenate([folders[f], np.full(len(plan.uns_subject), "UNS", dtype=object)])
    instance = np.concatenate([labels[f], np.array([f"Unscheduled {k}" for k in plan.uns_number], dtype=object)])
    day = np.concatenate([plan.day[s, f], plan.uns_day]).astype(np.int64)
    order = np.concatenate([f, np.full(len(plan.uns_subject), len(FOLDERS))])
    sort = np.lexsort((order, day, subject))
    return VisitRows(subject[sort], folder[sort], instance[sort], day[sort], (day - c.day0[subject])[sort],
                     order[sort])
