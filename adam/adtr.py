"""ADTR: sum of target-lesion diameters per assessment, for waterfall and spider plots.

Needs ADSL, TR and TU. Target lesions are the TU records with TUTESTCD = tumor_identification_testcd
and TUSTRESC = target_tustresc; their TR DIAMETER measurements (linked by TRLNKID = TULNKID) are summed
per subject and assessment (VISITNUM, date). The investigator-recorded SUMDIAM is not used: sums are
derived in ADaM (SDTMIG TR assumption 3).

- AVAL = the sum, null when any of the subject's target lesions lacks a measurement at that assessment
  (the sum would understate the tumour burden; RECIST calls such an assessment not evaluable).
- ABLFL on the last assessment with a complete sum on or before TRTSDT (imaging on the infusion day
  precedes the infusion); BASE from it; CHG, PCHG (null when BASE = 0) on the later assessments.
- NADIR = the smallest complete sum before this assessment, baseline included (null on the baseline).
- ANL01FL = baseline and later assessments with a complete sum, not after the first new anti-cancer
  therapy (ADSL.NACTDT, when there) nor the data cut-off.
- SRCDOM "TR", SRCVAR "TRSTRESN" and SRCSEQ = TRSEQ when the sum comes from one record; otherwise
  SRCSEQ is null and TRLNKGRP (when TR carries it) names the group of records summed.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from adam.dates import complete_dates
from adam.derive_common import (
    assert_inputs, column, compute_chg, compute_pchg, compute_y_or_null, derive_var_obs_number, lookup, merge_adsl,
    order_columns, upper_text, warn_absent,
)
from adam.parameters import StudyParameters
from formats.isodates import study_day

log = logging.getLogger(__name__)

TR_REQUIRED = ("USUBJID", "TRSEQ", "TRLNKID", "TRTESTCD", "TRSTRESN", "TRDTC", "VISITNUM")
TU_REQUIRED = ("USUBJID", "TULNKID", "TUTESTCD", "TUSTRESC")
ADSL_REQUIRED = ("STUDYID", "USUBJID", "TRTSDT")
ADSL_CARRIED = ("STUDYID", "SUBJID", "SITEID", "SAFFL", "EFFFL", "TRTA", "TRTSDT")
PARAMCD, PARAM, PARAMN = "SUMDIAM", "Sum of Diameters of Target Lesions (mm)", 1


def create_adtr(adsl: pd.DataFrame, tr: pd.DataFrame, tu: pd.DataFrame,
                params: StudyParameters | None = None) -> pd.DataFrame:
    """Build ADTR (PARAMCD SUMDIAM) from ADSL + TR + TU."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "TR": tr, "TU": tu},
                  {"ADSL": ADSL_REQUIRED, "TR": TR_REQUIRED, "TU": TU_REQUIRED}, "ADTR")
    warn_absent(tr, "TR", {"VISIT": "AVISIT left null", "TRLNKGRP": "TRLNKGRP left null"})
    sums = compute_target_sums(tr, tu, params)
    adtr = merge_adsl(sums, adsl, ADSL_CARRIED, what="ADTR records")
    adtr["PARAMCD"], adtr["PARAM"] = PARAMCD, PARAM
    adtr["PARAMN"] = pd.Series(PARAMN, index=adtr.index, dtype="Int64")
    adtr["ADY"] = study_day(adtr["ADT"], adtr["TRTSDT"])
    adtr = derive_baseline_and_nadir(adtr)
    nactdt = adtr["USUBJID"].map(adsl.set_index("USUBJID")["NACTDT"]) if "NACTDT" in adsl.columns else None
    in_window = adtr["ADT"] <= params.cutoff()
    if nactdt is not None:
        in_window &= nactdt.isna() | (adtr["ADT"] <= nactdt)
    analysed = adtr["AVAL"].notna() & ((adtr["ABLFL"] == "Y") | (adtr["BASE"].notna() & (adtr["ADT"] > adtr["BASEDT"])))
    adtr["ANL01FL"] = compute_y_or_null(analysed & in_window)
    adtr = derive_var_obs_number(adtr, ["USUBJID"], [("ADT", True), ("AVISITN", True)])
    order = ["STUDYID", "USUBJID", *ADSL_CARRIED[1:], "ASEQ", "PARAMCD", "PARAM", "PARAMN", "AVAL", "ADT", "ADY",
             "AVISIT", "AVISITN", "ABLFL", "BASE", "CHG", "PCHG", "NADIR", "ANL01FL", "SRCDOM", "SRCVAR", "SRCSEQ",
             "TRLNKGRP"]
    adtr = adtr.drop(columns="BASEDT").sort_values(["USUBJID", "ASEQ"]).reset_index(drop=True)
    return order_columns(adtr, order)


def compute_target_sums(tr: pd.DataFrame, tu: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """One row per subject and assessment: AVAL (sum or null), ADT, AVISIT(N), source identifiers."""
    targets = tu[(upper_text(tu["TUTESTCD"]) == params.tumor_identification_testcd.upper())
                 & (upper_text(tu["TUSTRESC"]) == params.target_tustresc.upper())][["USUBJID", "TULNKID"]]
    targets = targets.drop_duplicates()
    expected = targets.groupby("USUBJID").size()
    diameters = tr[upper_text(tr["TRTESTCD"]).isin([t.upper() for t in params.diameter_testcds])]
    diameters = diameters.merge(targets, left_on=["USUBJID", "TRLNKID"], right_on=["USUBJID", "TULNKID"])
    rows = pd.DataFrame({
        "USUBJID": diameters["USUBJID"],
        "AVISITN": pd.to_numeric(diameters["VISITNUM"], errors="coerce"),
        "AVISIT": column(diameters, "VISIT"),
        "DATE": complete_dates(diameters["TRDTC"]),
        "VALUE": pd.to_numeric(diameters["TRSTRESN"], errors="coerce"),
        "TRSEQ": pd.to_numeric(diameters["TRSEQ"], errors="coerce"),
        "TRLNKGRP": column(diameters, "TRLNKGRP"),
    })
    keys = ["USUBJID", "AVISITN"]
    sums = rows.groupby(keys, dropna=False).agg(
        AVAL=("VALUE", "sum"), MEASURED=("VALUE", "count"), RECORDS=("TRSEQ", "size"),
        ADT=("DATE", "max"), AVISIT=("AVISIT", "first"), TRSEQ=("TRSEQ", "first"),
        TRLNKGRP=("TRLNKGRP", "first"), GROUPS=("TRLNKGRP", "nunique"),
    ).reset_index()
    complete = sums["MEASURED"] == sums["USUBJID"].map(expected)
    incomplete = int((~complete).sum())
    if incomplete:
        log.info("%d assessment(s) lack a measurement of some target lesion: AVAL left null", incomplete)
    sums["AVAL"] = sums["AVAL"].where(complete)
    single = sums["RECORDS"] == 1
    sums["SRCDOM"] = pd.Series("TR", index=sums.index, dtype="str")
    sums["SRCVAR"] = pd.Series("TRSTRESN", index=sums.index, dtype="str")
    sums["SRCSEQ"] = sums["TRSEQ"].where(single)
    sums["TRLNKGRP"] = sums["TRLNKGRP"].where(sums["GROUPS"] == 1).astype("str")
    sums["ADT"] = sums["ADT"].astype("datetime64[ns]")
    return sums.drop(columns=["MEASURED", "RECORDS", "TRSEQ", "GROUPS"])


def derive_baseline_and_nadir(adtr: pd.DataFrame) -> pd.DataFrame:
    """ABLFL, BASE, CHG, PCHG and NADIR (see module doc); vectorised over subjects."""
    out = adtr.sort_values(["USUBJID", "ADT", "AVISITN"], kind="mergesort").copy()
    eligible = out["AVAL"].notna() & out["ADT"].notna() & out["TRTSDT"].notna() & (out["ADT"] <= out["TRTSDT"])
    last_eligible = out[eligible].drop_duplicates("USUBJID", keep="last").index
    out["ABLFL"] = compute_y_or_null(pd.Series(out.index.isin(last_eligible), index=out.index))
    baseline = out.loc[out["ABLFL"] == "Y"].set_index("USUBJID")
    out["BASE"] = lookup(out["USUBJID"], baseline["AVAL"])
    out["BASEDT"] = lookup(out["USUBJID"], baseline["ADT"])
    post = out["ADT"] > out["BASEDT"]
    out["CHG"] = compute_chg(out["AVAL"], out["BASE"]).where(post)
    out["PCHG"] = compute_pchg(out["AVAL"], out["BASE"]).where(post)
    # running minimum over baseline and later complete sums, taken before each assessment
    counted = out["AVAL"].where((out["ABLFL"] == "Y") | post)
    running = counted.fillna(np.inf).groupby(out["USUBJID"]).cummin()
    before = running.groupby(out["USUBJID"]).shift(1)
    out["NADIR"] = before.where(post & np.isfinite(before))
    return out
