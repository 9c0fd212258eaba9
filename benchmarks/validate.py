"""Time the whole conformance rule set on a study of 5,000 subjects.

    python benchmarks/validate.py                      # synthesised SDTM + ADaM for 5,000 subjects
    python benchmarks/validate.py --subjects 1000
    python benchmarks/validate.py --from pkg/m5/datasets/MESOCART-PD1/tabulations/sdtm
                                                       # replicate a real build's folder to 5,000 subjects
    python benchmarks/validate.py --scaling            # also run a quarter of the study: per-rule growth

Prints the time, records per second and the slowest rules; with --scaling, each rule's time ratio
between the full and the quarter study (about 4 means linear; much more would be worse than n log n).
Target: under 60 s on a 2-core machine (CDISC CORE takes about 60 s for 185 rules on the 10 MB pilot).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formats.folder import load_folder  # noqa: E402
from validation.datasets import datasets_from_frames  # noqa: E402
from validation.engine import validate_datasets  # noqa: E402
from validation.rulebook import load_rules  # noqa: E402

STUDY = "MESOCART-PD1"
LAB_TESTS = [("HGB", "Hemoglobin", "g/L", "HEMATOLOGY"), ("WBC", "Leukocytes", "10^9/L", "HEMATOLOGY"),
             ("PLAT", "Platelets", "10^9/L", "HEMATOLOGY"), ("NEUT", "Neutrophils", "10^9/L", "HEMATOLOGY"),
             ("LYM", "Lymphocytes", "10^9/L", "HEMATOLOGY"), ("ALT", "Alanine Aminotransferase", "U/L", "CHEMISTRY"),
             ("AST", "Aspartate Aminotransferase", "U/L", "CHEMISTRY"), ("BILI", "Bilirubin", "umol/L", "CHEMISTRY"),
             ("CREAT", "Creatinine", "umol/L", "CHEMISTRY"), ("ALB", "Albumin", "g/L", "CHEMISTRY"),
             ("SODIUM", "Sodium", "mmol/L", "CHEMISTRY"), ("K", "Potassium", "mmol/L", "CHEMISTRY"),
             ("IL6", "Interleukin 6", "ng/L", "CRS MARKERS"), ("CRP", "C Reactive Protein", "mg/L", "CRS MARKERS"),
             ("FERRITIN", "Ferritin", "ug/L", "CRS MARKERS"), ("LDH", "Lactate Dehydrogenase", "U/L", "CHEMISTRY"),
             ("GGT", "Gamma Glutamyl Transferase", "U/L", "CHEMISTRY"),
             ("ALP", "Alkaline Phosphatase", "U/L", "CHEMISTRY"),
             ("UREA", "Urea", "mmol/L", "CHEMISTRY"), ("CA", "Calcium", "mmol/L", "CHEMISTRY")]
VISITS = [(1, "SCREENING", -28), (2, "LEUKAPHERESIS", -21), (3, "LYMPHODEPLETION", -5), (4, "DAY 0", 1),
          (5, "DAY 1", 2), (6, "DAY 4", 5), (7, "DAY 7", 8), (8, "DAY 14", 15), (9, "DAY 21", 22), (10, "DAY 28", 29),
          (11, "WEEK 6", 43), (12, "WEEK 12", 85), (13, "WEEK 18", 127), (14, "WEEK 24", 169), (15, "MONTH 12", 366)]
AE_TERMS = [("Cytokine release syndrome", "Immune system disorders", 10011286, 10021428),
            ("Pyrexia", "General disorders and administration site conditions", 10037660, 10018065),
            ("Fatigue", "General disorders and administration site conditions", 10016256, 10018065),
            ("Neutropenia", "Blood and lymphatic system disorders", 10029354, 10005329),
            ("Anaemia", "Blood and lymphatic system disorders", 10002034, 10005329),
            ("Nausea", "Gastrointestinal disorders", 10028813, 10017947),
            ("Headache", "Nervous system disorders", 10019211, 10029205),
            ("Pleural effusion", "Respiratory, thoracic and mediastinal disorders", 10035598, 10038738)]


# --- synthetic study ---------------------------------------------------------------------------------------

def iso_dates(days: np.ndarray, base: str = "2023-01-01") -> pd.Series:
    return (pd.Timestamp(base) + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d").astype("str")


def study_day(days: np.ndarray, ref: np.ndarray) -> np.ndarray:
    diff = (days - ref).astype("float64")
    return diff + (diff >= 0)


def synthesise(subjects: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = subjects
    ids = np.array([f"{STUDY}-{1 + i // 1000:02d}-{i:05d}" for i in range(n)])
    start = rng.integers(0, 700, n)  # day of infusion (RFSTDTC), days since 2023-01-01
    dead = rng.random(n) < 0.4
    death = start + rng.integers(60, 700, n)
    frames: dict[str, pd.DataFrame] = {}
    frames["DM"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": ids, "SUBJID": [i[-5:] for i in ids],
        "RFSTDTC": iso_dates(start), "RFENDTC": iso_dates(np.where(dead, death, start + 730)),
        "RFXSTDTC": iso_dates(start - 5), "RFXENDTC": iso_dates(start), "RFICDTC": iso_dates(start - 35),
        "RFPENDTC": iso_dates(np.where(dead, death, start + 730)),
        "DTHDTC": np.where(dead, iso_dates(death), ""), "DTHFL": np.where(dead, "Y", ""),
        "SITEID": "01", "BRTHDTC": iso_dates(start - 365 * rng.integers(25, 80, n)),
        "AGE": rng.integers(25, 80, n).astype(float), "AGEU": "YEARS",
        "SEX": rng.choice(["F", "M"], n), "RACE": "ASIAN", "ETHNIC": "NOT HISPANIC OR LATINO",
        "ARMCD": "MESOCART", "ARM": "MesoCAR-T", "ACTARMCD": "MESOCART", "ACTARM": "MesoCAR-T",
        "ARMNRS": "", "ACTARMUD": "", "COUNTRY": "CHN"})
    # LB: every test at every visit
    v = len(VISITS) * len(LAB_TESTS)
    subj = np.repeat(np.arange(n), v)
    visit_idx = np.tile(np.repeat(np.arange(len(VISITS)), len(LAB_TESTS)), n)
    test_idx = np.tile(np.arange(len(LAB_TESTS)), n * len(VISITS))
    vnum = np.array([x[0] for x in VISITS], float)[visit_idx]
    vday = np.array([x[2] for x in VISITS])[visit_idx]
    days = start[subj] + vday - (vday > 0)
    result = np.round(rng.normal(50, 15, len(subj)), 1)
    below = (test_idx == 12) & (rng.random(len(subj)) < 0.2)
    stresc = np.where(below, "<0.1", result.astype(str))
    lb = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": ids[subj],
        "LBSEQ": (np.arange(len(subj)) % v + 1).astype(float),
        "LBTESTCD": np.array([t[0] for t in LAB_TESTS])[test_idx],
        "LBTEST": np.array([t[1] for t in LAB_TESTS])[test_idx],
        "LBCAT": np.array([t[3] for t in LAB_TESTS])[test_idx], "LBORRES": stresc,
        "LBORRESU": np.array([t[2] for t in LAB_TESTS])[test_idx], "LBORNRLO": "10", "LBORNRHI": "90",
        "LBSTRESC": stresc, "LBSTRESN": np.where(below, np.nan, result),
        "LBSTRESU": np.array([t[2] for t in LAB_TESTS])[test_idx], "LBSTNRLO": 10.0, "LBSTNRHI": 90.0,
        "LBNRIND": np.where(result > 90, "HIGH", np.where(result < 10, "LOW", "NORMAL")),
        "LBSTAT": "", "LBREASND": "", "LBSPEC": np.where(test_idx < 5, "BLOOD", "SERUM"),
        "LBLOBXFL": np.where(visit_idx == 2, "Y", ""), "VISITNUM": vnum,
        "VISIT": np.array([x[1] for x in VISITS])[visit_idx],
        "VISITDY": np.array([x[2] for x in VISITS], float)[visit_idx],
        "EPOCH": np.where(vday < -21, "SCREENING", np.where(vday < 1, "TREATMENT", "FOLLOW-UP")),
        "LBDTC": iso_dates(days) + "T08:00", "LBDY": study_day(days, start[subj])})
    frames["LB"] = lb
    # AE: ten per subject
    k = 10
    subj = np.repeat(np.arange(n), k)
    term = rng.integers(0, len(AE_TERMS), len(subj))
    onset = start[subj] + rng.integers(-3, 200, len(subj))
    end = onset + rng.integers(1, 30, len(subj))
    ongoing = rng.random(len(subj)) < 0.1
    terms = np.array([t[0] for t in AE_TERMS])
    socs = np.array([t[1] for t in AE_TERMS])
    frames["AE"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": ids[subj], "AESEQ": (np.arange(len(subj)) % k + 1).astype(float),
        "AETERM": terms[term], "AELLT": terms[term], "AELLTCD": np.array([t[2] for t in AE_TERMS], float)[term],
        "AEDECOD": terms[term], "AEPTCD": np.array([t[2] for t in AE_TERMS], float)[term], "AEHLT": terms[term],
        "AEHLTCD": 1.0, "AEHLGT": terms[term], "AEHLGTCD": 2.0, "AEBODSYS": socs[term],
        "AEBDSYCD": np.array([t[3] for t in AE_TERMS], float)[term], "AESOC": socs[term],
        "AESOCCD": np.array([t[3] for t in AE_TERMS], float)[term], "AESER": "N", "AEACN": "NOT APPLICABLE",
        "AEREL": "RELATED", "AEOUT": np.where(ongoing, "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"),
        "AETOXGR": rng.choice(["1", "2", "3"], len(subj)), "AESDTH": "N", "AESHOSP": "N",
        "EPOCH": "FOLLOW-UP", "AESTDTC": iso_dates(onset), "AEENDTC": np.where(ongoing, "", iso_dates(end)),
        "AESTDY": study_day(onset, start[subj]), "AEENDY": np.where(ongoing, np.nan, study_day(end, start[subj]))})
    frames["SUPPAE"] = pd.DataFrame({
        "STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": ids[subj], "IDVAR": "AESEQ",
        "IDVARVAL": (np.arange(len(subj)) % k + 1).astype(str), "QNAM": "AETRTEM", "QLABEL": "Treatment Emergent Flag",
        "QVAL": "Y", "QORIG": "Derived", "QEVAL": ""})
    # EX, SV, SE, DS, TU/TR/RS, CM: per-subject blocks
    frames["EX"] = _per_subject(ids, start, {"EXTRT": ["FLUDARABINE"] * 3 + ["CYCLOPHOSPHAMIDE"] * 3 + ["MESOCART-PD1"],
                                              "OFFSET": [-5, -4, -3, -5, -4, -3, 0]}, "EX")
    frames["SV"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "SV", "USUBJID": np.repeat(ids, len(VISITS)),
        "VISITNUM": np.tile([x[0] for x in VISITS], n).astype(float), "VISIT": np.tile([x[1] for x in VISITS], n),
        "SVPRESP": "Y", "SVOCCUR": "Y",
        "SVSTDTC": iso_dates(np.repeat(start, len(VISITS)) + np.tile([x[2] for x in VISITS], n)),
        "SVENDTC": iso_dates(np.repeat(start, len(VISITS)) + np.tile([x[2] for x in VISITS], n))})
    lesions = 5
    tu_subj = np.repeat(np.arange(n), lesions)
    frames["TU"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "TU", "USUBJID": ids[tu_subj],
        "TUSEQ": np.tile(np.arange(1, lesions + 1), n).astype(float),
        "TULNKID": np.tile([f"T0{i}" for i in range(1, lesions + 1)], n), "TUTESTCD": "TUMIDENT",
        "TUTEST": "Tumor Identification", "TUORRES": "TARGET", "TUSTRESC": "TARGET", "TULOC": "PLEURA",
        "TUMETHOD": "CT SCAN", "TULOBXFL": "Y", "TUEVAL": "INVESTIGATOR", "VISITNUM": 1.0, "VISIT": "SCREENING",
        "TUDTC": iso_dates(start[tu_subj] - 28)})
    assess = 8
    tr_subj = np.repeat(np.arange(n), lesions * assess)
    tr_visit = np.tile(np.repeat(np.arange(assess), lesions), n)
    diam = np.round(rng.uniform(10, 60, len(tr_subj)))
    frames["TR"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "TR", "USUBJID": ids[tr_subj],
        "TRSEQ": np.tile(np.arange(1, lesions * assess + 1), n).astype(float),
        "TRLNKID": np.tile([f"T0{i}" for i in range(1, lesions + 1)], n * assess),
        "TRLNKGRP": np.array([f"V{i}" for i in range(assess)])[tr_visit], "TRTESTCD": "LDIAM",
        "TRTEST": "Longest Diameter", "TRORRES": diam.astype(str), "TRORRESU": "mm", "TRSTRESC": diam.astype(str),
        "TRSTRESN": diam, "TRSTRESU": "mm", "TRMETHOD": "CT SCAN", "TRLOBXFL": np.where(tr_visit == 0, "Y", ""),
        "TREVAL": "INVESTIGATOR", "VISITNUM": (tr_visit + 11).astype(float),
        "EPOCH": "FOLLOW-UP", "TRDTC": iso_dates(start[tr_subj] + 42 * tr_visit)})
    rs_subj = np.repeat(np.arange(n), assess)
    rs_visit = np.tile(np.arange(assess), n)
    frames["RS"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "RS", "USUBJID": ids[rs_subj],
        "RSSEQ": np.tile(np.arange(1, assess + 1), n).astype(float),
        "RSLNKGRP": np.array([f"V{i}" for i in range(assess)])[rs_visit], "RSTESTCD": "OVRLRESP",
        "RSTEST": "Overall Response", "RSCAT": "RECIST 1.1", "RSORRES": rng.choice(["PR", "SD", "PD"], len(rs_subj)),
        "RSEVAL": "INVESTIGATOR", "VISITNUM": (rs_visit + 11).astype(float), "EPOCH": "FOLLOW-UP",
        "RSDTC": iso_dates(start[rs_subj] + 42 * rs_visit)})
    frames["RS"]["RSSTRESC"] = frames["RS"]["RSORRES"]
    frames["DS"] = pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": "DS", "USUBJID": ids, "DSSEQ": 1.0,
        "DSTERM": np.where(dead, "DEATH", "COMPLETED"), "DSDECOD": np.where(dead, "DEATH", "COMPLETED"),
        "DSCAT": "DISPOSITION EVENT", "EPOCH": "FOLLOW-UP", "DSSTDTC": iso_dates(np.where(dead, death, start + 730))})
    frames["TA"] = pd.DataFrame({"STUDYID": STUDY, "DOMAIN": "TA", "ARMCD": "MESOCART", "ARM": "MesoCAR-T",
                                 "TAETORD": [1.0, 2.0, 3.0], "ETCD": ["SCRN", "TRT", "FU"],
                                 "ELEMENT": ["Screening", "Treatment", "Follow-up"],
                                 "TABRANCH": "", "TATRANS": "", "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"]})
    frames["TE"] = pd.DataFrame({"STUDYID": STUDY, "DOMAIN": "TE", "ETCD": ["SCRN", "TRT", "FU"],
                                 "ELEMENT": ["Screening", "Treatment", "Follow-up"],
                                 "TESTRL": ["Consent", "First dose", "Infusion"], "TEDUR": ["P28D", "P6D", "P24M"]})
    frames["TV"] = pd.DataFrame({"STUDYID": STUDY, "DOMAIN": "TV", "VISITNUM": [float(x[0]) for x in VISITS],
                                 "VISIT": [x[1] for x in VISITS], "VISITDY": [float(x[2]) for x in VISITS],
                                 "ARMCD": "MESOCART", "TVSTRL": "Planned"})
    frames["TS"] = pd.DataFrame({"STUDYID": STUDY, "DOMAIN": "TS", "TSSEQ": 1.0,
                                 "TSPARMCD": ["SSTDTC", "SDTIGVER", "TITLE", "TPHASE"], "TSPARM": ["Study Start Date",
                                 "SDTM IG Version", "Trial Title", "Trial Phase Classification"],
                                 "TSVAL": ["2023-01-01", "3.4", "MesoCAR-T", "PHASE I/II TRIAL"],
                                 "TSVALCD": "", "TSVCDREF": "", "TSVCDVER": ""})
    frames.update(_adam(frames, ids, start, dead, death, rng))
    return frames


def _per_subject(ids: np.ndarray, start: np.ndarray, spec: dict, domain: str) -> pd.DataFrame:
    k = len(spec["OFFSET"])
    n = len(ids)
    days = np.repeat(start, k) + np.tile(spec["OFFSET"], n)
    return pd.DataFrame({
        "STUDYID": STUDY, "DOMAIN": domain, "USUBJID": np.repeat(ids, k),
        f"{domain}SEQ": np.tile(np.arange(1, k + 1), n).astype(float), f"{domain}TRT": np.tile(spec["EXTRT"], n),
        f"{domain}DOSE": 25.0, f"{domain}DOSU": "mg/m2", f"{domain}DOSFRM": "INJECTION, SOLUTION",
        "EPOCH": "TREATMENT", f"{domain}STDTC": iso_dates(days), f"{domain}ENDTC": iso_dates(days)})


def _adam(sdtm: dict, ids, start, dead, death, rng) -> dict[str, pd.DataFrame]:
    dm = sdtm["DM"]
    sas = (pd.Timestamp("2023-01-01") - pd.Timestamp("1960-01-01")).days
    adsl = dm[["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM"]].copy()
    adsl["TRT01P"] = "MesoCAR-T"
    adsl["SAFFL"] = "Y"
    adsl["ENRLFL"] = "Y"
    adsl["TRTSDT"] = (start + sas).astype(float)
    adsl["TRTEDT"] = (start + sas).astype(float)
    ae = sdtm["AE"]
    adae = ae[["STUDYID", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AETOXGR"]].copy()
    adae["TRTEMFL"] = "Y"
    adae["ASTDY"] = ae["AESTDY"]
    n = len(ids)
    tte = pd.DataFrame({
        "STUDYID": STUDY, "USUBJID": np.repeat(ids, 3), "PARAMCD": np.tile(["OS", "PFS", "DOR"], n),
        "PARAM": np.tile(["Overall Survival (days)", "Progression-Free Survival (days)",
                          "Duration of Response (days)"], n),
        "TRTA": "MesoCAR-T", "STARTDT": np.repeat(start + sas, 3).astype(float)})
    tte["ADT"] = tte["STARTDT"] + rng.integers(10, 700, len(tte))
    tte["AVAL"] = tte["ADT"] - tte["STARTDT"] + 1
    tte["CNSR"] = rng.integers(0, 3, len(tte)).astype(float)
    tr = sdtm["TR"]
    adtr = pd.DataFrame({"STUDYID": STUDY, "USUBJID": tr["USUBJID"], "PARAMCD": "LDIAM",
                         "PARAM": "Longest Diameter (mm)",
                         "TRTA": "MesoCAR-T", "AVAL": tr["TRSTRESN"], "AVISIT": tr["TRLNKGRP"],
                         "AVISITN": tr["VISITNUM"], "ABLFL": np.where(tr["TRLOBXFL"] == "Y", "Y", "")})
    return {"ADSL": adsl, "ADAE": adae, "ADTTE": tte, "ADTR": adtr}


# --- replicate a real build --------------------------------------------------------------------------------

def replicate(folder: Path, subjects: int) -> dict[str, pd.DataFrame]:
    """Copy every subject of a real SDTM/ADaM folder until the study has `subjects` subjects."""
    loaded = load_folder(folder)
    base = loaded["DM"].frame["USUBJID"].nunique() if "DM" in loaded else loaded["ADSL"].frame["USUBJID"].nunique()
    copies = max(1, -(-subjects // base))
    out = {}
    for name, dataset in loaded.items():
        frame = dataset.frame
        if "USUBJID" not in frame.columns or not frame["USUBJID"].ne("").any():
            out[name] = frame
            continue
        parts = []
        for copy in range(copies):
            part = frame.copy()
            filled = part["USUBJID"] != ""
            part.loc[filled, "USUBJID"] = part.loc[filled, "USUBJID"] + f"-{copy:03d}"
            if "SUBJID" in part.columns:
                part["SUBJID"] = part["SUBJID"] + f"-{copy:03d}"
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def warm_terminology(rules) -> None:
    """Load the CT the rules use before timing: a one-off cost, not a per-record one."""
    from validation import ct

    def leaves(node):
        if isinstance(node, dict):
            yield node
            for child in [*node.get("all", []), *node.get("any", []), node.get("not")]:
                yield from leaves(child)

    for rule in rules:
        for leaf in leaves(rule.check):
            for key in ("ct", "ct_other"):
                if leaf.get(key):
                    ct.terms(str(leaf[key]))
                    ct.extensible(str(leaf[key]))


def run(frames: dict[str, pd.DataFrame], rules) -> tuple[float, object]:
    datasets = datasets_from_frames(frames)
    started = time.perf_counter()
    result = validate_datasets(datasets, rules=rules)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--from", dest="source", type=Path, help="replicate this SDTM/ADaM folder")
    parser.add_argument("--scaling", action="store_true", help="also time a quarter of the study, per rule")
    args = parser.parse_args(argv)

    rules = load_rules()
    warm_terminology(rules)
    build = (lambda n: replicate(args.source, n)) if args.source else synthesise
    made = time.perf_counter()
    frames = build(args.subjects)
    records = sum(len(f) for f in frames.values())
    print(f"study: {args.subjects} subjects, {len(frames)} datasets, {records:,} records "
          f"(LB {len(frames.get('LB', [])):,}, AE {len(frames.get('AE', [])):,}); built in "
          f"{time.perf_counter() - made:.1f} s")
    seconds, result = run(frames, rules)
    counts = result.status_counts()
    print(f"validated with {len(rules)} rules in {seconds:.1f} s: {records / seconds:,.0f} records/s; "
          f"rules {counts}; findings {result.counts()}")
    slowest = sorted(((v, k[5:]) for k, v in result.timings.items() if k.startswith("rule:")), reverse=True)[:10]
    print("slowest rules: " + ", ".join(f"{rule} {sec:.2f}s" for sec, rule in slowest))
    if args.scaling:
        quarter = build(max(1, args.subjects // 4))
        q_seconds, q_result = run(quarter, rules)
        print(f"quarter study: {q_seconds:.1f} s (full/quarter = {seconds / q_seconds:.1f})")
        ratios = []
        for key, full in result.timings.items():
            small = q_result.timings.get(key)
            if key.startswith("rule:") and small and full > 0.05:
                ratios.append((full / small, key[5:], full))
        for ratio, rule, full in sorted(ratios, reverse=True)[:10]:
            print(f"  {rule}: {full:.2f} s, x{ratio:.1f} for 4x the records")
    return 0 if seconds < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
