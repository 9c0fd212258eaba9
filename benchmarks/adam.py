"""Time the ADaM stage on a large study; print seconds per dataset and the total.

Usage: python benchmarks/adam.py [--subjects 5000] [--seed 20240101] [--synthetic]

By default the SDTM comes from the generated example study: generated, mapped to SDTM by the build's own
SDTM stage (not timed), then each ADaM dataset is timed. `--synthetic` uses the seeded synthetic SDTM
maker below instead (vectorised numpy, our conventions; the ADaM tests use it for an invariants check).
Target: every dataset (ADSL, ADAE, ADRS, ADTTE, ADTR, ADLB, ADPC, ADPP) for 5,000 subjects in under 20 s on a
2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adam.adae import create_adae  # noqa: E402
from adam.adlb import create_adlb  # noqa: E402
from adam.adpc import create_adpc, create_adpp  # noqa: E402
from adam.adrs import create_adrs  # noqa: E402
from adam.adsl import create_adsl  # noqa: E402
from adam.adtr import create_adtr  # noqa: E402
from adam.adtte import create_adtte  # noqa: E402

TARGET_SECONDS = 20.0
STUDYID = "MESOCART-PD1"
VISIT_DAYS = np.array([42, 84, 126, 168, 259, 350, 441, 532, 623, 714])
RESPONSES = np.array(["CR", "PR", "SD", "PD", "NE"])
TERMS = np.array(["Cytokine release syndrome", "Pyrexia", "Neutropenia", "Anaemia", "Fatigue", "Nausea",
                  "Encephalopathy", "Headache", "Hypotension", "Thrombocytopenia", "Tremor", "Diarrhoea"])


def make_sdtm(subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """Synthetic SDTM frames for `subjects` subjects (same seed, same frames)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{STUDYID}-{i:05d}" for i in range(1, subjects + 1)])
    infusion = np.datetime64("2023-01-01") + rng.integers(0, 500, subjects).astype("timedelta64[D]")
    treated = rng.random(subjects) > 0.05
    death_day = np.where(rng.random(subjects) < 0.3, rng.integers(10, 700, subjects), -1)

    def iso(days: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(days, unit="D").astype(object)

    dm = pd.DataFrame({
        "STUDYID": STUDYID, "USUBJID": ids, "SUBJID": [i[-5:] for i in ids], "SITEID": "01",
        "AGE": rng.integers(25, 80, subjects), "AGEU": "YEARS", "SEX": rng.choice(["F", "M"], subjects),
        "RACE": "ASIAN", "ETHNIC": "NOT HISPANIC OR LATINO", "COUNTRY": "CHN", "ARMCD": "MESOCART",
        "ARM": "MESOCART", "ACTARMCD": np.where(treated, "MESOCART", None),
        "ACTARM": np.where(treated, "MESOCART", None),
        "ARMNRS": np.where(treated, None, "ASSIGNED, NOT TREATED"),
        "RFSTDTC": np.where(treated, iso(infusion), None), "RFXSTDTC": np.where(treated, iso(infusion - 5), None),
        "RFICDTC": iso(infusion - 30),
        "DTHDTC": np.where(death_day > 0, iso(infusion + np.maximum(death_day, 0)), None),
        "DTHFL": np.where(death_day > 0, "Y", None),
    })
    t_ids, t_inf = ids[treated], infusion[treated]
    ex_ld = pd.DataFrame({
        "USUBJID": np.repeat(t_ids, 6), "EXTRT": np.tile(["FLUDARABINE"] * 3 + ["CYCLOPHOSPHAMIDE"] * 3, len(t_ids)),
        "EXCAT": "LYMPHODEPLETION", "EXDOSE": 30.0, "EXDOSU": "mg/m2",
        "EXSTDTC": iso(np.repeat(t_inf, 6) - np.tile([5, 4, 3, 5, 4, 3], len(t_ids))),
    })
    ex_car = pd.DataFrame({"USUBJID": t_ids, "EXTRT": "MESOCART", "EXCAT": "CAR-T", "EXDOSE": 100.0,
                           "EXDOSU": "10^6 Therapeutic Cells", "EXSTDTC": [f"{d}T10:30" for d in iso(t_inf)]})
    ex = pd.concat([ex_ld, ex_car], ignore_index=True)
    ex["EXENDTC"] = ex["EXSTDTC"]
    ex.insert(0, "STUDYID", STUDYID)
    ex["EXSEQ"] = ex.groupby("USUBJID").cumcount() + 1

    n_ae = rng.poisson(15, subjects)
    ae_subject = np.repeat(np.arange(subjects), n_ae)
    onset = infusion[ae_subject] + rng.integers(-20, 300, len(ae_subject)).astype("timedelta64[D]")
    start = iso(onset)
    partial = rng.random(len(start)) < 0.05
    start = np.where(partial, [s[:7] for s in start], start)
    ae = pd.DataFrame({
        "STUDYID": STUDYID, "USUBJID": ids[ae_subject], "AEDECOD": rng.choice(TERMS, len(ae_subject)),
        "AEBODSYS": "SOC", "AESTDTC": start, "AEENDTC": iso(onset + rng.integers(0, 20, len(ae_subject))),
        "AETOXGR": rng.choice(["1", "2", "3", "4"], len(ae_subject)),
        "AEREL": rng.choice(["RELATED", "POSSIBLY RELATED", "NOT RELATED"], len(ae_subject)), "AESER": "N",
    })
    ae["AEBODSYS"] = ae["AEDECOD"].str[:4].str.upper()
    ae["AESEQ"] = ae.groupby("USUBJID").cumcount() + 1

    # RECIST schedule: each treated subject has visits until a random stop; responses drift
    n_visits = rng.integers(0, len(VISIT_DAYS) + 1, len(t_ids))
    v_subject = np.repeat(np.arange(len(t_ids)), n_visits)
    v_number = np.concatenate([np.arange(k) for k in n_visits]) if len(n_visits) else np.array([], int)
    v_date = t_inf[v_subject] + VISIT_DAYS[v_number].astype("timedelta64[D]") + rng.integers(-3, 4, len(v_subject))
    v_resp = RESPONSES[rng.choice(5, len(v_subject), p=[0.15, 0.3, 0.35, 0.1, 0.1])]
    rs_parts = []
    for testcd in ("OVRLRESP", "TRGRESP", "NTRGRESP", "NEWLIND"):
        rs_parts.append(pd.DataFrame({
            "USUBJID": t_ids[v_subject], "RSTESTCD": testcd, "RSCAT": "RECIST 1.1", "RSEVAL": "INVESTIGATOR",
            "RSSTRESC": v_resp if testcd != "NEWLIND" else "N", "RSDTC": iso(v_date),
            "VISITNUM": v_number + 11.0, "VISIT": [f"ASSESSMENT {k + 1}" for k in v_number]}))
    rs = pd.concat(rs_parts, ignore_index=True).sort_values(["USUBJID", "VISITNUM"], kind="mergesort")
    rs.insert(0, "STUDYID", STUDYID)
    rs["RSSEQ"] = rs.groupby("USUBJID").cumcount() + 1

    lesions = ["T01", "T02", "T03", "NT01", "NT02"]
    tu = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": np.repeat(ids, 5), "TULNKID": np.tile(lesions, subjects),
                       "TUTESTCD": "TUMIDENT", "TUSTRESC": np.tile(["TARGET"] * 3 + ["NON-TARGET"] * 2, subjects),
                       "TUDTC": iso(np.repeat(infusion - 20, 5)), "VISITNUM": 10.0})
    tu["TUSEQ"] = tu.groupby("USUBJID").cumcount() + 1
    a_subject = np.concatenate([np.arange(len(t_ids)), v_subject])  # baseline + visits
    a_date = np.concatenate([t_inf - 20, v_date])
    a_visit = np.concatenate([np.full(len(t_ids), 10.0), v_number + 11.0])
    tr = pd.DataFrame({
        "USUBJID": np.repeat(t_ids[a_subject], 6), "TRLNKID": np.tile(lesions + [None], len(a_subject)),
        "TRTESTCD": np.tile(["DIAMETER"] * 3 + ["TUMSTATE"] * 2 + ["SUMDIAM"], len(a_subject)),
        "TRSTRESN": rng.integers(5, 60, 6 * len(a_subject)).astype(float), "TRDTC": iso(np.repeat(a_date, 6)),
        "VISITNUM": np.repeat(a_visit, 6), "TRLNKGRP": np.repeat([f"A{int(v)}" for v in a_visit], 6),
    }).sort_values(["USUBJID", "VISITNUM"], kind="mergesort")
    tr.insert(0, "STUDYID", STUDYID)
    tr["TRSEQ"] = tr.groupby("USUBJID").cumcount() + 1

    died = death_day > 0
    ds = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": ids[died], "DSSEQ": 1, "DSCAT": "DISPOSITION EVENT",
                       "DSTERM": "DEATH", "DSDECOD": "DEATH", "DSSTDTC": dm.loc[died, "DTHDTC"].to_numpy()})
    nact = rng.random(len(t_ids)) < 0.2
    cm = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": t_ids[nact], "CMSEQ": 1, "CMTRT": "CHEMOTHERAPY",
                       "CMCAT": "SUBSEQUENT ANTI-CANCER THERAPY",
                       "CMSTDTC": iso(t_inf[nact] + rng.integers(60, 400, int(nact.sum())))})
    mh = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": ids, "MHSEQ": 1, "MHCAT": "PRIMARY DIAGNOSIS",
                       "MHSCAT": rng.choice(["MESOTHELIOMA", "OVARIAN CANCER", "PANCREATIC CANCER", "LUNG CANCER"],
                                             subjects)})
    # 50 lab samples per subject every 10 days, cycling through five graded tests (code, name, unit, LLN, ULN)
    tests = [("ALT", "Alanine Aminotransferase", "U/L", 0, 40), ("CREAT", "Creatinine", "umol/L", 45, 90),
             ("HGB", "Hemoglobin", "g/dL", 12, 16), ("PLAT", "Platelets", "10^9/L", 150, 400),
             ("NEUT", "Neutrophils", "10^9/L", 2, 7.5)]
    pick = np.tile(np.arange(50) % len(tests), subjects)
    low, high = (np.array([t[i] for t in tests], dtype=float)[pick] for i in (3, 4))
    value = np.round((low + high) / 2 * rng.lognormal(0, 0.6, len(pick)), 2)
    lb = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": np.repeat(ids, 50), "LBSEQ": np.tile(np.arange(1, 51), subjects),
                       "LBTESTCD": np.array([t[0] for t in tests])[pick], "LBTEST": np.array([t[1] for t in tests])[pick],
                       "LBSTRESN": value, "LBSTRESC": value.astype(str), "LBSTRESU": np.array([t[2] for t in tests])[pick],
                       "LBSTNRLO": low, "LBSTNRHI": high,
                       "LBDTC": iso(np.repeat(infusion, 50) + np.tile(np.arange(-10, 490, 10), subjects))})
    # anti-PD-1 antibody at 8 samples per subject from the infusion, rising to a peak then falling
    days = np.array([-5, 1, 4, 7, 14, 21, 28, 56])
    conc = np.round(np.clip(40 * np.exp(-np.abs(days - 10) / 12) * rng.lognormal(0, 0.3, (subjects, 8)), 0, None), 2)
    pc = pd.DataFrame({"STUDYID": STUDYID, "USUBJID": np.repeat(ids, 8), "PCSEQ": np.tile(np.arange(1, 9), subjects),
                       "PCTESTCD": "APD1AB", "PCTEST": "Anti-PD-1 Antibody", "PCSTRESN": conc.ravel(),
                       "PCSTRESC": conc.ravel().astype(str), "PCSTRESU": "ug/L", "PCSPEC": "SERUM", "PCLLOQ": 1.56,
                       "PCDTC": iso(np.repeat(infusion, 8) + np.tile(days, subjects))})
    return {"DM": dm, "EX": ex, "AE": ae, "RS": rs, "TU": tu, "TR": tr, "DS": ds, "CM": cm, "MH": mh, "LB": lb,
            "PC": pc}


def generated_sdtm(subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """The example study generated and mapped to SDTM exactly as `trialforge build` does."""
    import tempfile

    from sdtm.study import build_sdtm
    from specs.reader import read_spec
    from trialforge.example_study.generator import generate_study
    from trialforge.raw import read_raw_study
    from trialforge.example_study import example_spec

    spec = read_spec(example_spec("sdtm"))
    with tempfile.TemporaryDirectory() as scratch:
        generate_study(Path(scratch), subjects=subjects, seed=seed)
        required = {r.source_form: [] for r in spec.mappings if r.source_form and r.source_form not in
                    ("TS", "TA", "TE", "TV", "TI")}
        raw = {oid: form.frame for oid, form in read_raw_study(Path(scratch), required).items()}
    return build_sdtm(spec, raw).domains


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--synthetic", action="store_true", help="use the synthetic SDTM maker")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sdtm = make_sdtm(args.subjects, args.seed) if args.synthetic else generated_sdtm(args.subjects, args.seed)
    kind = "synthetic" if args.synthetic else "generated example study's"
    print(f"{kind} SDTM for {args.subjects} subjects: {sum(len(f) for f in sdtm.values()):,} records "
          f"in {time.perf_counter() - started:.1f} s (not counted)")
    from trialforge.example_study import example_parameters

    params = example_parameters()  # the example study's (its ADaM spec, then its parameters file), as its build uses
    steps = [
        ("ADSL", lambda r: create_adsl(sdtm["DM"], sdtm["EX"], sdtm["DS"], sdtm["MH"], sdtm["TU"], sdtm["CM"],
                                       other_domains=sdtm, params=params)),
        ("ADAE", lambda r: create_adae(r["ADSL"], sdtm["AE"], sdtm.get("SUPPAE"), params)),
        ("ADRS", lambda r: create_adrs(r["ADSL"], sdtm["RS"], sdtm["TU"], sdtm["CM"], params)),
        ("ADTTE", lambda r: create_adtte(r["ADSL"], r["ADRS"], params)),
        ("ADTR", lambda r: create_adtr(r["ADSL"], sdtm["TR"], sdtm["TU"], params)),
        ("ADLB", lambda r: create_adlb(r["ADSL"], sdtm["LB"], params)),
        ("ADPC", lambda r: create_adpc(r["ADSL"], sdtm.get("CP"), sdtm.get("PC"), params)),
        ("ADPP", lambda r: create_adpp(r["ADPC"], params)),
    ]
    results: dict[str, pd.DataFrame] = {}
    total = 0.0
    for name, build in steps:
        begin = time.perf_counter()
        results[name] = build(results)
        seconds = time.perf_counter() - begin
        total += seconds
        print(f"{name:6s} {len(results[name]):>9,} records  {seconds:6.2f} s")
    verdict = "within" if total < TARGET_SECONDS else "OVER"
    print(f"total  {total:6.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
