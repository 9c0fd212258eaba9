"""Seeded raw EDC extract of the example study (MESOCART-PD1): one CSV per CRF form plus manifest.json.

`raw_format="odm"` writes the same records as one CDISC ODM 1.3 file instead (`odm.xml`): every CSV column
is an ItemData of the same name, so the same Mapping rows read it; the example's SDTM spec reads it with a
Sources `*` row of Format odm and File odm.xml.

The same seed and subject count give byte-identical files (no timestamps, one random stream per part
of the simulation). The clinical story comes from `timeline` (who, when, death, withdrawal, visits),
`recist` (tumours and investigator responses), `safety`/`medications` (AE, CM) and `labs` (LB, CP, PC);
this module writes the subject-level forms, plants the documented data problems and writes the files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from formats.odm import write_odm
from specs.errors import InputError
from trialforge.example_study import labs, medications, recist, safety, timeline
from trialforge.example_study.forms import FORMS, FORMS_BY_OID, LOG_FOLDER, UNSCHEDULED_FOLDER
from trialforge.example_study.rawtext import (
    calendar_date, date_text, day_number, full_date, partial_date, pick, pick_one, time_text)
from trialforge.example_study.table import LOG_INSTANCE, FormRows, Planted, form_frame, write_form
from trialforge.example_study.timeline import (
    DATA_CUTOFF, FOLDER_LABEL, FOLDERS, MISSED, NO_DAY, STUDY_ID, Cohort, VisitPlan)
from trialforge.twocores import beside_the_build, in_two

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1.0"
MANIFEST = "manifest.json"
RAW_FORMATS = ("csv", "odm")
ODM_FILE = "odm.xml"
_STREAMS = ("cohort", "hard_cases", "outcomes", "visits", "tumours", "ae", "cm", "labs", "kinetics", "forms")
_EXAMPLES_PER_ISSUE = 20


@dataclass(frozen=True)
class PlantedIssue:
    id: str
    forms: tuple[str, ...]
    description: str


# Data problems planted on purpose; the manifest lists where each one landed (up to 20 examples).
PLANTED_ISSUES: tuple[PlantedIssue, ...] = (
    PlantedIssue("partial_dates", ("DM", "DX", "AE", "CM", "DTH", "DS"),
                 "Partial or unknown dates as typed: 'UNK-UNK-1961', '1961', 'MAR 1958', 'UN JAN 2024', "
                 "'JAN 2024', '2024-03' (birth, diagnosis, AE start/end, CM start, death)."),
    PlantedIssue("free_text_spellings", ("DM", "DX", "LD", "AE", "LB", "CM", "TL", "NTL", "NL", "DS"),
                 "Free text that needs controlled-terminology mapping: SEX 'M'/'male'/'Female', RACE 'ASIAN', "
                 "COUNTRY 'CHN', LDTRT 'FLU'/'Cy', routes 'IV'/'Oral', AEREL/AEOUT spellings, AETOXGR 'Grade 3', "
                 "lab test names 'Haemoglobin'/'HGB', imaging 'CT SCAN', tumour type spellings."),
    PlantedIssue("duplicate_ae", ("AE",),
                 "One AE entered twice: every CRF field identical, next RecordPosition."),
    PlantedIssue("duplicate_lab_row", ("LB",),
                 "One LB record exported twice: the two lines are identical byte for byte."),
    PlantedIssue("unscheduled_visits", ("SV", "LB", "TL", "NTL", "NL", "RS"),
                 "Unscheduled visits: Folder 'UNS', InstanceName 'Unscheduled <k>', dated between planned visits."),
    PlantedIssue("creatinine_si_units", ("LB",),
                 "Creatinine in umol/L (normal range 53-97) for samples analysed by a second laboratory "
                 "(2024-05-01 to 2024-07-31); mg/dL elsewhere."),
    PlantedIssue("ae_end_before_start", ("AE",), "One AE whose end date is 10 days before its start date."),
    PlantedIssue("unmappable_route", ("CM",), f"One CM route no ROUTE term matches: {medications.UNMAPPABLE_ROUTE!r}."),
    PlantedIssue("below_lloq_pc", ("PC",),
                 "Anti-PD-1 antibody below the LLOQ (PCLLOQ 1.56 ng/mL) written '<LLOQ' or 'BLQ': every "
                 "pre-infusion sample and some late ones."),
    PlantedIssue("below_detection_lab", ("LB",), "IL-6 or CRP results written '<0.1'."),
    PlantedIssue("partial_death_date", ("DTH", "DS"), "One death date known to the month only ('UN MON YYYY')."),
    PlantedIssue("missed_visits", ("SV",), "Visits that did not happen: VISYN 'No' with a reason, no other data."),
    PlantedIssue("tumour_assessment_not_done", ("RS",), "A scan not done at a visit: RS row with RSNDYN 'Yes' and a reason only."),
    PlantedIssue("lesion_not_evaluated", ("TL",),
                 "A target lesion not evaluated: blank TLDIAM, TLSUM blank, TRGRESP NE."),
    PlantedIssue("too_small_to_measure", ("TL",), "TLDIAM 'TOO SMALL TO MEASURE' (counts as 5 mm in TLSUM)."),
    PlantedIssue("lab_not_done", ("LB", "CP", "PC"),
                 "Samples not done: --NDYN 'Yes' with a reason, result blank."),
)


def generate_study(out_dir: Path, subjects: int = 50, seed: int = 20240101, raw_format: str = "csv") -> dict:
    """Write the raw extract of `subjects` enrolled subjects into `out_dir` (one CSV per form, or with
    `raw_format="odm"` one ODM file of every form); returns the manifest."""
    if raw_format not in RAW_FORMATS:
        raise InputError(f"raw format {raw_format!r}; expected one of {', '.join(RAW_FORMATS)}")
    if isinstance(subjects, bool) or not isinstance(subjects, (int, np.integer)) or subjects < 1:
        raise InputError(f"subjects must be a whole number of at least 1, not {subjects!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number of at least 0, not {seed!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))

    cohort = timeline.draw_cohort(int(subjects), rng["cohort"])
    hard_cases = timeline.force_hard_cases(cohort, rng["hard_cases"])
    timeline.settle_outcomes(cohort, rng["outcomes"])
    plan = timeline.plan_visits(cohort, rng["visits"])
    visits = timeline.done_visits(cohort, plan)
    planted = Planted([issue.id for issue in PLANTED_ISSUES], _EXAMPLES_PER_ISSUE)

    # each form draws from its own random stream, so the order below changes no value; where two record
    # planted issues of the same kind, they keep the order of the examples (AE before CM); LB's are its own
    with beside_the_build() as beside:  # the tumour courses on the second core meanwhile
        simulated = beside(lambda: recist.simulate_tumours(cohort, plan, rng["tumours"]))
        ae, events = safety.build_adverse_events(cohort, rng["ae"], planted)
        lb = labs.build_labs(cohort, visits, rng["labs"], planted)
        cp, pc = labs.build_kinetics(cohort, visits, rng["kinetics"])
        tumours = simulated()
    cm = medications.build_medications(cohort, plan, tumours.courses, events, rng["cm"], planted)
    frames = _subject_forms(cohort, plan, rng["forms"], planted)
    frames.update({"AE": ae.frame(), "CM": cm.frame(), "LB": lb, "CP": cp, "PC": pc, "TL": tumours.tl.frame(),
                   "NTL": tumours.ntl.frame(), "NL": tumours.nl.frame(), "RS": tumours.rs.frame()})
    _locate_issues(frames, planted)

    written = {}
    if raw_format == "odm":
        data = write_odm({form.oid: frames[form.oid] for form in FORMS}, out_dir / ODM_FILE, STUDY_ID,
                         "Subject", "Folder", "InstanceName", site_column="SiteNumber",
                         created=f"{_iso_date(DATA_CUTOFF)}T00:00:00")
        digest = hashlib.sha256(data).hexdigest()
        written = {form.oid: {"file": ODM_FILE, "rows": len(frames[form.oid]), "sha256": digest} for form in FORMS}
    if raw_format == "csv":  # each form's file on whichever core is free
        by_oid = {form.oid: form for form in FORMS}
        done = in_two(list(by_oid), lambda oid: frames[oid].size, lambda oid: write_form(out_dir, by_oid[oid],
                                                                                          frames[oid]))
        written = {oid: {"file": name, "rows": rows, "sha256": digest} for oid, (name, rows, digest) in done.items()}
    manifest = {
        "study_id": STUDY_ID, "project": STUDY_ID, "seed": int(seed), "subjects": int(subjects),
        "generator_version": GENERATOR_VERSION, "data_cutoff": _iso_date(DATA_CUTOFF), "raw_format": raw_format,
        "forms": written,
        "hard_cases": {**hard_cases, **_cohort_cases(cohort)},
        "planted_issues": {issue.id: {"description": issue.description, "forms": list(issue.forms),
                                      "count": planted.count[issue.id], "examples": planted.examples[issue.id]}
                           for issue in PLANTED_ISSUES},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=True) + "\n"
    (out_dir / MANIFEST).write_bytes(text.encode("utf-8"))
    log.info("example study: %d subjects, seed %d, %d records in %d forms", subjects, seed,
             sum(f["rows"] for f in written.values()), len(written))
    return manifest


def _iso_date(day: int) -> str:
    return calendar_date(day).isoformat()


def _cohort_cases(c: Cohort) -> dict[str, list[str]]:
    never = ~c.infused
    return {
        "never_infused": [str(s) for s in c.subject[never]],
        "died_before_infusion": [str(s) for s in c.subject[never & (c.death < NO_DAY)]],
        "eligibility_waiver": [str(s) for s in c.subject[c.waiver != ""]],
        "non_measurable_disease": [str(s) for s in c.subject[c.waiver == "IN04"]],
    }


# --- subject-level forms -----------------------------------------------------------------------------

_SEX = {True: (("Female", "F", "female"), (0.6, 0.25, 0.15)), False: (("Male", "M", "male"), (0.6, 0.25, 0.15))}
_RACE = (("Asian", "ASIAN", "asian", "White", "Black or African American", "Other"),
         (0.70, 0.15, 0.05, 0.04, 0.01, 0.05))
_ETHNIC = (("Not Hispanic or Latino", "NOT HISPANIC OR LATINO", "Not reported"), (0.8, 0.1, 0.1))
_COUNTRY = (("China", "CHN", "CHINA"), (0.7, 0.2, 0.1))
_DX_TERMS = {
    0: ("Malignant pleural mesothelioma", "mesothelioma", "Mesothelioma, epithelioid"),
    1: ("Ovarian cancer", "ovarian ca", "High-grade serous ovarian carcinoma"),
    2: ("Pancreatic adenocarcinoma", "pancreatic cancer", "Pancreatic ductal adenocarcinoma"),
    3: ("NSCLC", "Lung adenocarcinoma", "Non-small cell lung cancer"),
}
_DX_STAGES = {0: ("Stage IV", "IV", "Stage IIIB"), 1: ("FIGO IIIC", "FIGO IV", "IIIC"),
              2: ("Stage IV", "IV", "Stage III"), 3: ("Stage IVA", "IVB", "Stage IV")}
_LD_DRUGS = ((("Fludarabine", "FLU", "fludarabine"), "30"),
             (("Cyclophosphamide", "Cy", "cyclophosphamide", "CTX"), "500"))
_NOT_INFUSED_TEXT = {0: ("Manufacturing failure", "CAR-T product failed release testing"),
                     1: ("Rapid disease progression", "Disease progression before infusion"),
                     2: ("Death before infusion", "Patient died before infusion")}
_DS_TEXT = {"Completed": ("Completed", "Completed month 24 visit"),
            "Death": ("Death", "Subject died"),
            "Lost to follow-up": ("Lost to follow-up", "Unable to contact subject after 3 attempts"),
            "Withdrawal by subject": ("Withdrawal by subject", "Subject withdrew consent"),
            "Physician decision": ("Physician decision", "Not infused: CAR-T product could not be manufactured"),
            "Progressive disease": ("Progressive disease", "Not infused: disease progression before infusion")}
_AMENDMENT_2 = day_number(date(2024, 3, 1))  # subjects consented from then on signed protocol version 2.0
_MISSED_REASONS = ("Patient unable to attend", "Hospitalised elsewhere", "Patient decision", "Travel restrictions")


def _one_per_subject(oid: str, c: Cohort, rows: np.ndarray, folder, instance, data: dict) -> pd.DataFrame:
    return form_frame(FORMS_BY_OID[oid], c.subject[rows], folder, instance,
                      np.full(len(rows), 1 if FORMS_BY_OID[oid].log_form else 0), data)


def _subject_forms(c: Cohort, plan: VisitPlan, rng: np.random.Generator, planted: Planted) -> dict:
    n, everyone = c.n, np.arange(c.n)
    scr = FOLDER_LABEL["SCR"]
    frames = {}
    frames["ENR"] = _one_per_subject("ENR", c, everyone, "SCR", scr, {
        "ICDAT": date_text(c.consent), "ENRDAT": date_text(c.enrolled),
        "PROTVER": np.where(c.consent >= _AMENDMENT_2, "2.0", "1.0").astype(object)})
    styles = pick(rng, ("FULL", "UNK-UNK-YYYY", "YYYY", "MON YYYY"), (0.5, 0.25, 0.15, 0.1), n)
    birth = [full_date(int(b)) if s == "FULL" else partial_date(int(b), s) for b, s in zip(c.birth, styles)]
    sex = np.array([pick_one(rng, *_SEX[bool(f)]) for f in c.female], dtype=object)
    frames["DM"] = _one_per_subject("DM", c, everyone, "SCR", scr, {
        "BRTHDAT": np.array(birth, dtype=object), "AGE": c.age.astype(str).astype(object), "SEX": sex,
        "RACE": pick(rng, *_RACE, n), "ETHNIC": pick(rng, *_ETHNIC, n), "COUNTRY": pick(rng, *_COUNTRY, n)})
    waived = c.waiver != ""
    frames["IE"] = _one_per_subject("IE", c, everyone, "SCR", scr, {
        "IEYN": np.where(waived, "No", "Yes").astype(object),
        "IECAT": np.where(waived, np.where(np.char.startswith(c.waiver.astype(str), "EX"), "EXCLUSION", "INCLUSION"),
                          "").astype(object),
        "IETESTCD": c.waiver, "IEWAIVER": np.where(waived, "Yes", "").astype(object)})
    frames["DX"] = _diagnosis(c, rng)
    frames["APH"] = _one_per_subject("APH", c, everyone, "APH", FOLDER_LABEL["APH"], {
        "APHDAT": date_text(c.aph), "APHSTTIM": time_text(8 * 60 + 15 * rng.integers(0, 12, n)),
        "APHVOL": np.array([f"{v:.1f}" for v in rng.uniform(8, 15, n)], dtype=object)})
    frames["LD"] = _lymphodepletion(c, rng)
    inf = np.flatnonzero(c.infused)
    dose = np.rint(c.dose_level[inf] * c.weight[inf] * rng.uniform(0.95, 1.02, len(inf))).astype(int)
    frames["INF"] = _one_per_subject("INF", c, inf, "D0", FOLDER_LABEL["D0"], {
        "INFDAT": date_text(c.day0[inf]), "INFSTTIM": time_text(10 * 60 + 5 * rng.integers(0, 48, len(inf))),
        "INFDOSE": dose.astype(str).astype(object), "INFDOSU": "x10^6 cells",
        "INFLOT": np.array([f"MC{calendar_date(int(d)).year % 100:02d}-{k:04d}"
                            for k, d in zip(inf + 1, c.day0[inf])], dtype=object)})
    reason = [_NOT_INFUSED_TEXT[int(r)][int(rng.integers(0, 2))] if r >= 0 else "" for r in c.not_infused]
    frames["EOT"] = _one_per_subject("EOT", c, everyone, LOG_FOLDER, LOG_INSTANCE, {
        "EOTSTAT": np.where(c.infused, "INFUSED", "NOT INFUSED").astype(object),
        "EOTREAS": np.array(reason, dtype=object), "EOTDAT": date_text(c.eot)})
    frames["DS"], frames["DTH"] = _end_of_study(c, rng, planted)
    frames["SV"] = _visit_dates(c, plan, rng)
    return frames


def _diagnosis(c: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    n = c.n
    diagnosed = c.consent - rng.integers(180, 1800, n)
    styles = pick(rng, ("FULL", "MON YYYY", "UN MON YYYY", "YYYY", "YYYY-MM"), (0.3, 0.3, 0.2, 0.1, 0.1), n)
    dxdat = [date_text(int(d)) if s == "FULL" else partial_date(int(d), s) for d, s in zip(diagnosed, styles)]
    term = [pick_one(rng, _DX_TERMS[int(t)], (0.6, 0.25, 0.15)) for t in c.tumour]
    stage = [pick_one(rng, _DX_STAGES[int(t)], (0.6, 0.25, 0.15)) for t in c.tumour]
    msln = np.where(c.waiver == "IN03", 40, 5 * rng.integers(10, 21, n))
    prior = rng.choice([1, 2, 3, 4, 5], size=n, p=(0.3, 0.3, 0.2, 0.12, 0.08))
    return _one_per_subject("DX", c, np.arange(n), "SCR", FOLDER_LABEL["SCR"], {
        "DXTERM": np.array(term, dtype=object), "DXDAT": np.array(dxdat, dtype=object),
        "DXSTAGE": np.array(stage, dtype=object), "MSLNPCT": msln.astype(str).astype(object),
        "PRIORLN": prior.astype(str).astype(object)})


def _lymphodepletion(c: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    rows = FormRows("LD")
    for i in np.flatnonzero(c.had_ld):
        route = pick_one(rng, ("IV", "Intravenous"), (0.7, 0.3))
        reduced = rng.random() < 0.05  # renal impairment: both drugs at 80%
        pos = 0
        for pday in (-5, -4, -3):
            for spellings, dose in _LD_DRUGS:
                pos += 1
                given = str(int(round(int(dose) * 0.8))) if reduced else dose
                rows.add(str(c.subject[i]), "LD", FOLDER_LABEL["LD"], pos, {
                    "LDTRT": pick_one(rng, spellings), "LDDOSE": given, "LDDOSU": "mg/m2", "LDROUTE": route,
                    "LDDAT": date_text(int(c.day0[i]) + pday), "LDPDAY": str(pday)})
    return rows.frame()


def _end_of_study(c: Cohort, rng: np.random.Generator, planted: Planted) -> tuple[pd.DataFrame, pd.DataFrame]:
    dead = np.flatnonzero(c.death < NO_DAY)
    partial = {}
    progression_deaths = [i for i in dead if c.infused[i] and not c.fatal_ae[i] and not c.scenario[i]]
    if progression_deaths:
        i = int(rng.choice(progression_deaths))
        partial[i] = partial_date(int(c.death[i]), "UN MON YYYY")
        planted.add("partial_death_date", {"form": "DTH", "subject": str(c.subject[i]), "DTHDAT": partial[i]})
    dthdat = [partial.get(int(i), date_text(int(c.death[i]))) for i in dead]
    dth = _one_per_subject("DTH", c, dead, LOG_FOLDER, LOG_INSTANCE, {
        "DTHDAT": np.array(dthdat, dtype=object), "DTHCAUS": c.death_cause[dead]})
    ended = np.flatnonzero(c.ds_status != "")
    texts = [_DS_TEXT[str(c.ds_status[i])] for i in ended]
    ds_dates = [partial.get(int(i), date_text(int(c.ds_day[i]))) for i in ended]
    ds = _one_per_subject("DS", c, ended, LOG_FOLDER, LOG_INSTANCE, {
        "DSSTAT": np.array([t[0] for t in texts], dtype=object), "DSSTDAT": np.array(ds_dates, dtype=object),
        "DSREAS": np.array([t[1] for t in texts], dtype=object)})
    return ds, dth


def _visit_dates(c: Cohort, plan: VisitPlan, rng: np.random.Generator) -> pd.DataFrame:
    s, f = np.nonzero(plan.state != timeline.NOT_DUE)
    missed = plan.state[s, f] == MISSED
    folders = np.array(FOLDERS, dtype=object)
    labels = np.array([FOLDER_LABEL[x] for x in FOLDERS], dtype=object)
    k = len(plan.uns_subject)
    subject = np.concatenate([s, plan.uns_subject])
    day = np.concatenate([plan.day[s, f], plan.uns_day])
    order = np.concatenate([f, np.full(k, len(FOLDERS))])
    sort = np.lexsort((order, day, subject))
    folder = np.concatenate([folders[f], np.full(k, UNSCHEDULED_FOLDER, dtype=object)])[sort]
    instance = np.concatenate([labels[f], np.array([f"Unscheduled {u}" for u in plan.uns_number], dtype=object)])[sort]
    missed = np.concatenate([missed, np.zeros(k, dtype=bool)])[sort]
    day = day[sort]
    reasons = pick(rng, _MISSED_REASONS, None, len(day))
    return form_frame(FORMS_BY_OID["SV"], c.subject[subject[sort]], folder, instance, np.zeros(len(day), dtype=int), {
        "VISDAT": np.where(missed, "", date_text(day)).astype(object),
        "VISYN": np.where(missed, "No", "Yes").astype(object),
        "VISREAS": np.where(missed, reasons, "").astype(object)})


# --- where the planted issues landed ------------------------------------------------------------------

def _locate_issues(frames: dict[str, pd.DataFrame], planted: Planted) -> None:
    """Record where the issues that arise from the simulation itself landed."""
    for oid, field in (("DM", "BRTHDAT"), ("DX", "DXDAT"), ("AE", "AESTDAT"), ("AE", "AEENDAT"), ("CM", "CMSTDAT"),
                       ("DTH", "DTHDAT")):
        values = frames[oid][field].astype(str)
        partial = (values != "") & ~values.str.fullmatch(r"\d{2} [A-Z]{3} \d{4}")
        planted.add_rows("partial_dates", oid, frames[oid], partial, field)
    for oid, field in (("DM", "SEX"), ("DM", "RACE"), ("DM", "COUNTRY"), ("LD", "LDTRT"), ("CM", "CMROUTE"),
                       ("AE", "AEREL"), ("AE", "AEOUT"), ("AE", "AETOXGR"), ("LB", "LBTEST"), ("TL", "TLMETH"),
                       ("DX", "DXTERM")):
        planted.add("free_text_spellings", {"form": oid, "field": field,
                                            "values": sorted(set(frames[oid][field].unique().tolist()) - {""})})
    for oid in ("SV", "LB", "RS"):
        planted.add_rows("unscheduled_visits", oid, frames[oid], frames[oid]["Folder"] == UNSCHEDULED_FOLDER,
                         "InstanceName")
    lb, tl, pc = frames["LB"], frames["TL"], frames["PC"]
    creatinine_si = (lb["LBORRESU"] == labs.CREATININE_SI[0]) & lb["LBTEST"].isin(labs.CREATININE_NAMES)
    planted.add_rows("creatinine_si_units", "LB", lb, creatinine_si, "LBTEST", "LBDAT", "LBORRES")
    planted.add_rows("below_lloq_pc", "PC", pc, pc["PCORRES"].isin(labs.BELOW_LLOQ), "PCDAT", "PCORRES")
    planted.add_rows("missed_visits", "SV", frames["SV"], frames["SV"]["VISYN"] == "No", "InstanceName", "VISREAS")
    planted.add_rows("tumour_assessment_not_done", "RS", frames["RS"], frames["RS"]["RSNDYN"] == "Yes",
                     "InstanceName")
    planted.add_rows("lesion_not_evaluated", "TL", tl, tl["TLDIAM"] == "", "TLNUM", "TLDAT")
    planted.add_rows("too_small_to_measure", "TL", tl, tl["TLDIAM"] == recist.TOO_SMALL, "TLNUM", "TLDAT")
    for oid, flag in (("LB", "LBNDYN"), ("CP", "CPNDYN"), ("PC", "PCNDYN")):
        planted.add_rows("lab_not_done", oid, frames[oid], frames[oid][flag] == "Yes")
