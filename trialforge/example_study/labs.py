"""Laboratory (LB), CAR-T expansion (CP) and anti-PD-1 antibody (PC) results, vectorised over all samples.

Every result is subject baseline x course effect x measurement noise, where the course effects follow
the latent profile: lymphodepletion empties the blood counts (deepest for lymphocytes, depth of
neutropenia/thrombocytopenia/anaemia from the subject's grades), CRS markers spike with CRS onset and
grade, ALT/AST rise with the immune-related hepatitis, CAR+ cells expand to a peak at day 7-14 and
decline, and the secreted antibody follows the cells with a lag.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from trialforge.example_study.forms import FORMS_BY_OID, KINETICS_FOLDERS
from trialforge.example_study.rawtext import date_text, day_number, number_text, time_text
from trialforge.example_study.table import Planted, form_frame
from trialforge.example_study.timeline import Cohort, VisitRows

# testcd | category | spellings (first is the usual one) | unit | normal low | high | decimals | baseline
# median | between-subject sd (log) | within-subject noise sd (log)
_LAB_TESTS = (
    ("WBC", "HEMATOLOGY", ("WBC", "White blood cells", "Leukocytes"), "10^9/L", "3.5", "9.5", 2, 6.5, 0.25, 0.10),
    ("HGB", "HEMATOLOGY", ("Hemoglobin", "Haemoglobin", "HGB"), "g/dL", "11.5", "16.0", 1, 11.8, 0.10, 0.04),
    ("PLAT", "HEMATOLOGY", ("Platelets", "PLT", "Platelet count"), "10^9/L", "125", "350", 0, 240, 0.30, 0.08),
    ("NEUT", "HEMATOLOGY", ("Neutrophils", "ANC"), "10^9/L", "1.8", "6.3", 2, 4.2, 0.30, 0.12),
    ("LYM", "HEMATOLOGY", ("Lymphocytes", "ALC"), "10^9/L", "1.1", "3.2", 2, 1.3, 0.30, 0.12),
    ("ALT", "CHEMISTRY", ("ALT", "Alanine aminotransferase", "SGPT"), "U/L", "7", "40", 0, 22, 0.35, 0.12),
    ("AST", "CHEMISTRY", ("AST", "Aspartate aminotransferase"), "U/L", "13", "35", 0, 24, 0.30, 0.12),
    ("CREAT", "CHEMISTRY", ("Creatinine", "Serum creatinine", "CREAT"), "mg/dL", "0.57", "1.11", 2, 0.80, 0.20, 0.06),
    ("BILI", "CHEMISTRY", ("Total bilirubin", "Bilirubin", "TBIL"), "umol/L", "3.4", "20.5", 1, 9.0, 0.35, 0.12),
    ("ALB", "CHEMISTRY", ("Albumin", "ALB"), "g/L", "35", "55", 0, 38, 0.08, 0.04),
    ("INTLK6", "CRS MARKERS", ("IL-6", "Interleukin-6", "IL6"), "ng/L", "0", "7", 1, 4.0, 0.70, 0.20),
    ("CRP", "CRS MARKERS", ("CRP", "C-reactive protein"), "mg/L", "0", "5", 1, 6.0, 1.00, 0.20),
    ("FERRITIN", "CRS MARKERS", ("Ferritin",), "ug/L", "30", "400", 0, 350, 0.60, 0.10),
)
# A second laboratory reported creatinine in umol/L for samples taken in this period.
CREATININE_SI_FROM = day_number(date(2024, 5, 1))
CREATININE_SI_TO = day_number(date(2024, 7, 31))
CREATININE_SI = ("umol/L", "53", "97", 88.4)
CREATININE_NAMES = next(t[2] for t in _LAB_TESTS if t[0] == "CREAT")
_CRS_MARKER_LAST_PDAY = 84  # CRS markers are drawn up to week 12
_NOT_DONE_REASONS = ("Sample haemolysed", "Sample not collected", "Insufficient sample", "Lab error")
# CTCAE v4.0 bands (low, high) of the nadir per grade; grade 0 stays above the lower limit of normal.
_NEUT_BANDS = {0: (1.9, 9.9), 1: (1.5, 1.8), 2: (1.0, 1.5), 3: (0.5, 1.0), 4: (0.05, 0.5)}
_PLAT_BANDS = {0: (130, 999), 1: (75, 125), 2: (50, 75), 3: (25, 50), 4: (5, 25)}
_HGB_BANDS = {0: (11.6, 99), 1: (10.0, 11.5), 2: (8.0, 10.0), 3: (6.5, 8.0)}
CAR_TEST = "CAR+ T cells of CD3+ T cells"
PC_LLOQ = 1.56
BELOW_LLOQ = ("<LLOQ", "BLQ")


def _dip(t: np.ndarray, depth: np.ndarray, nadir: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Fractional fall of a count after lymphodepletion (starts at protocol day -5)."""
    x = t + 5.0
    nx = nadir + 5.0
    rising = depth * np.clip(x / nx, 0, 1)
    falling = depth * np.exp(-np.clip(x - nx, 0, None) / tau)
    return np.where(x < 0, 0.0, np.where(x <= nx, rising, falling))


def _spike(t: np.ndarray, onset: np.ndarray, peak_day: np.ndarray, half_life: float) -> np.ndarray:
    """0..1 shape: linear rise from the day before onset to the peak, exponential decay after."""
    rise = np.clip((t - (onset - 1)) / np.maximum(peak_day - (onset - 1), 1), 0, 1)
    decay = np.exp(-np.log(2) * np.clip(t - peak_day, 0, None) / half_life)
    return np.where(t < peak_day, rise, decay)


def _target_depth(baseline: np.ndarray, grade: np.ndarray, bands: dict[int, tuple[float, float]],
                  rng: np.random.Generator) -> np.ndarray:
    """Depth of the dip so the nadir lands inside the CTCAE band (low, high) of the subject's grade."""
    n = len(baseline)
    lo = np.array([bands[int(g)][0] for g in grade])
    hi = np.minimum(np.array([bands[int(g)][1] for g in grade]), baseline * 0.95)
    target = np.where(hi > lo, lo + (hi - lo) * rng.uniform(0.2, 0.9, n), baseline * 0.9)
    return np.clip(1 - target / baseline, 0.0, 0.99)


def build_labs(c: Cohort, visits: VisitRows, rng: np.random.Generator, planted: Planted) -> pd.DataFrame:
    n = c.n
    keep_visit = visits.folder != "APH"
    v_subject, v_day, v_pday = visits.subject[keep_visit], visits.day[keep_visit], visits.pday[keep_visit]
    v_folder, v_instance = visits.folder[keep_visit], visits.instance[keep_visit]
    v_time = 7 * 60 + rng.integers(0, 150, len(v_subject))
    crs_visit = v_pday <= _CRS_MARKER_LAST_PDAY
    infused = c.infused.astype(bool)

    baselines = {t[0]: t[7] * np.exp(rng.normal(0, t[8], n)) for t in _LAB_TESTS}
    depth = {
        "NEUT": _target_depth(baselines["NEUT"], c.neut_grade, _NEUT_BANDS, rng),
        "PLAT": _target_depth(baselines["PLAT"], c.plt_grade, _PLAT_BANDS, rng),
        "HGB": _target_depth(baselines["HGB"], c.hgb_grade, _HGB_BANDS, rng),
        "LYM": rng.uniform(0.88, 0.98, n),
    }
    depth["WBC"] = 0.4 + 0.5 * depth["NEUT"]
    nadir = {"NEUT": rng.uniform(4, 10, n), "LYM": rng.uniform(-2, 1, n), "PLAT": rng.uniform(7, 14, n),
             "HGB": rng.uniform(10, 21, n)}
    nadir["WBC"] = nadir["NEUT"]
    tau = {"NEUT": rng.uniform(6, 15, n), "LYM": rng.uniform(20, 60, n), "PLAT": rng.uniform(10, 25, n),
           "HGB": rng.uniform(20, 40, n)}
    tau["WBC"] = tau["NEUT"]
    crs = np.where(infused, c.crs_grade, 0)
    onset = c.crs_onset.astype(float)
    alt_peak_uln = np.select([c.alt_grade == 1, c.alt_grade == 2, c.alt_grade == 3, c.alt_grade == 4],
                             [rng.uniform(1.5, 3, n), rng.uniform(3, 5, n), rng.uniform(5, 15, n),
                              rng.uniform(21, 30, n)], 0.0)

    pieces = []
    for k, (code, category, names, unit, lo, hi, digits, *_rest) in enumerate(_LAB_TESTS):
        rows = np.flatnonzero(crs_visit) if category == "CRS MARKERS" else np.arange(len(v_subject))
        s, t = v_subject[rows], v_pday[rows].astype(float)
        value = baselines[code][s] * np.exp(rng.normal(0, _LAB_TESTS[k][9], len(rows)))
        had_ld = c.had_ld[s]
        if code in depth:
            value = value * (1 - np.where(had_ld, _dip(t, depth[code][s], nadir[code][s], tau[code][s]), 0))
        g = crs[s]
        if code == "INTLK6":
            value = value * (1 + np.array([0, 8, 30, 100, 300, 500])[g] * _spike(t, onset[s], onset[s] + 1, 1.5))
        elif code == "CRP":
            value = value + g * rng.uniform(40, 80, len(rows)) * _spike(t, onset[s], onset[s] + 2, 3.0)
        elif code == "FERRITIN":
            value = value * (1 + np.array([0, 1, 3, 7, 14, 19])[g] * _spike(t, onset[s], onset[s] + 3, 7.0))
        elif code in ("ALT", "AST"):
            shape = np.where(infused[s], _spike(t, c.alt_onset[s].astype(float), c.alt_onset[s] + 5.0, 10.0), 0)
            peak = alt_peak_uln[s] * float(hi) * (1.0 if code == "ALT" else 0.7)
            value = np.maximum(value, peak * shape)
        elif code == "ALB":
            value = value * (1 - 0.15 * (g >= 2) * _spike(t, onset[s], onset[s] + 3, 7.0))
        elif code == "CREAT":
            value = value * (1 + 0.6 * (g >= 3) * _spike(t, onset[s], onset[s] + 2, 4.0))
        text = np.array(number_text(value, digits), dtype=object)
        units = np.full(len(rows), unit, dtype=object)
        low, high = np.full(len(rows), lo, dtype=object), np.full(len(rows), hi, dtype=object)
        if code == "CREAT":
            other_lab = (v_day[rows] >= CREATININE_SI_FROM) & (v_day[rows] <= CREATININE_SI_TO)
            si_unit, si_lo, si_hi, factor = CREATININE_SI
            text[other_lab] = number_text(value[other_lab] * factor, 0)
            units[other_lab], low[other_lab], high[other_lab] = si_unit, si_lo, si_hi
        if code in ("INTLK6", "CRP"):
            text[value < 0.1] = "<0.1"
        spelling = rng.choice(len(names), size=len(rows), p=_spelling_weights(len(names)))
        pieces.append({
            "row": rows, "test": np.full(len(rows), k), "LBCAT": np.full(len(rows), category, dtype=object),
            "LBTEST": np.array(names, dtype=object)[spelling], "LBORRES": text, "LBORRESU": units,
            "LBORNRLO": low, "LBORNRHI": high,
            "late_no_crs": (g == 0) & (category == "CRS MARKERS") & (code != "FERRITIN") & (t >= 28)})
    lab = {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
    order = np.lexsort((lab["test"], lab["row"]))
    lab = {key: values[order] for key, values in lab.items()}
    m = len(order)
    nd = rng.random(m) < 0.005
    _plant_low_values(lab, nd, v_subject, c, rng, planted)
    lab["LBNDYN"] = np.where(nd, "Yes", "").astype(object)
    lab["LBREASND"] = np.where(nd, np.array(_NOT_DONE_REASONS, dtype=object)[rng.integers(0, 4, m)], "").astype(object)
    for col in ("LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI"):
        lab[col] = np.where(nd, "", lab[col]).astype(object)
    row = lab["row"]
    frame = form_frame(FORMS_BY_OID["LB"], c.subject[v_subject[row]], v_folder[row], v_instance[row],
                       _positions(row), {
                           "LBDAT": date_text(v_day[row]), "LBTIM": time_text(v_time[row]),
                           **{col: lab[col] for col in ("LBCAT", "LBTEST", "LBORRES", "LBORRESU", "LBORNRLO",
                                                        "LBORNRHI", "LBNDYN", "LBREASND")}})
    return _duplicate_one_row(frame, rng, planted)


def _spelling_weights(k: int) -> np.ndarray:
    w = np.array([0.8] + [0.2 / (k - 1)] * (k - 1)) if k > 1 else np.array([1.0])
    return w / w.sum()


def _positions(keys: np.ndarray) -> np.ndarray:
    """1..k within runs of equal consecutive keys (the records of one CRF page)."""
    if not len(keys):
        return np.array([], dtype=np.int64)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    index = np.arange(len(keys))
    return index - np.maximum.accumulate(np.where(starts, index, 0)) + 1


def _plant_low_values(lab: dict[str, np.ndarray], not_done: np.ndarray, v_subject: np.ndarray, c: Cohort,
                      rng: np.random.Generator, planted: Planted) -> None:
    """A couple of IL-6/CRP results reported below the assay's limit ("<0.1") late after infusion."""
    candidates = np.flatnonzero(lab["late_no_crs"] & ~not_done)
    chosen = rng.choice(candidates, size=min(2, len(candidates)), replace=False) if len(candidates) else []
    lab["LBORRES"][chosen] = "<0.1"
    for k in np.flatnonzero((lab["LBORRES"] == "<0.1") & ~not_done):
        planted.add("below_detection_lab", {"form": "LB", "subject": str(c.subject[v_subject[lab["row"][k]]]),
                                            "LBTEST": str(lab["LBTEST"][k]), "LBORRES": "<0.1"})


def _duplicate_one_row(frame: pd.DataFrame, rng, planted: Planted) -> pd.DataFrame:
    """The lab export repeats one record byte for byte."""
    if not len(frame):
        return frame
    k = int(rng.integers(0, len(frame)))
    planted.add("duplicate_lab_row", {"form": "LB", "subject": frame.at[k, "Subject"],
                                      "Folder": frame.at[k, "Folder"], "LBTEST": frame.at[k, "LBTEST"]})
    return pd.concat([frame.iloc[: k + 1], frame.iloc[k:]], ignore_index=True)


def _kinetic_samples(c: Cohort, visits: VisitRows):
    keep = np.isin(visits.folder, KINETICS_FOLDERS) & c.infused[visits.subject]
    return (visits.subject[keep], visits.folder[keep], visits.instance[keep], visits.day[keep],
            visits.pday[keep].astype(float))


def build_kinetics(c: Cohort, visits: VisitRows, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(CP, PC): CAR+ T cells in % of CD3+ by flow, and anti-PD-1 antibody by ELISA, at the kinetics visits."""
    n = c.n
    s, folder, instance, day, t = _kinetic_samples(c, visits)
    m = len(s)
    times = time_text(7 * 60 + rng.integers(0, 120, m))
    peak = np.clip(rng.lognormal(np.log(12), 1.0, n) * (1 + 0.4 * c.crs_grade), 1, 60)
    tpeak = rng.uniform(7, 14, n)
    decay = rng.uniform(10, 30, n)
    plateau = peak * rng.uniform(0.005, 0.05, n)
    P, Tp, D, L = peak[s], tpeak[s], decay[s], plateau[s]
    rise = 0.05 * (P / 0.05) ** np.clip((t - 1) / (Tp - 1), 0, 1)
    fall = L + (P - L) * np.exp(-np.clip(t - Tp, 0, None) / D)
    car = np.where(t <= 0, 0.0, np.where(t < Tp, rise, fall)) * np.exp(rng.normal(0, 0.15, m))
    car_text = np.where(t <= 0, "0", np.array(number_text(car, 2), dtype=object)).astype(object)
    cp_nd = rng.random(m) < 0.02
    cp = form_frame(FORMS_BY_OID["CP"], c.subject[s], folder, instance, np.ones(m, dtype=np.int64), {
        "CPDAT": date_text(day), "CPTIM": times, "CPTEST": CAR_TEST,
        "CPORRES": np.where(cp_nd, "", car_text).astype(object), "CPORRESU": np.where(cp_nd, "", "%").astype(object),
        "CPNDYN": np.where(cp_nd, "Yes", "").astype(object), "CPREASND": _reasons_not_done(cp_nd)})

    cmax = np.clip(rng.lognormal(np.log(40), 0.9, n) * (peak / 12) ** 0.5, 3, 800)
    lag = rng.uniform(0, 7, n)
    half = rng.uniform(7, 30, n)
    C, Tc, H = cmax[s], tpeak[s] + lag[s], half[s]
    up = C * np.clip(t / Tc, 0, 1) ** 2
    down = C * np.exp(-np.log(2) * np.clip(t - Tc, 0, None) / H)
    conc = np.where(t <= 0, 0.0, np.where(t < Tc, up, down)) * np.exp(rng.normal(0, 0.2, m))
    below = conc < PC_LLOQ
    blq = np.array(BELOW_LLOQ, dtype=object)[rng.integers(0, 2, m)]
    pc_text = np.where(below, blq, np.array(number_text(conc, 2), dtype=object)).astype(object)
    pc_nd = rng.random(m) < 0.015
    pc = form_frame(FORMS_BY_OID["PC"], c.subject[s], folder, instance, np.ones(m, dtype=np.int64), {
        "PCDAT": date_text(day), "PCTIM": times, "PCORRES": np.where(pc_nd, "", pc_text).astype(object),
        "PCORRESU": "ng/mL", "PCLLOQ": f"{PC_LLOQ:.2f}", "PCNDYN": np.where(pc_nd, "Yes", "").astype(object),
        "PCREASND": _reasons_not_done(pc_nd)})
    return cp, pc


def _reasons_not_done(not_done: np.ndarray) -> np.ndarray:
    """A sample's reason not done, taken in turn from the list (no draw: the other data stay as they were)."""
    reasons = np.array(_NOT_DONE_REASONS[1:3], dtype=object)[np.arange(len(not_done)) % 2]
    return np.where(not_done, reasons, "").astype(object)
