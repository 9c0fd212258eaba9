"""ADLB (BDS, laboratory): one record per LB record, with baseline, reference-range indicators and CTCAE grades.

Needs ADSL (USUBJID, TRTSDT) and LB (STUDYID, USUBJID, LBSEQ, LBTESTCD, LBTEST, LBDTC and LBSTRESN); LB's
other variables are kept (except DOMAIN and LBDY). SUBJID, SITEID, AGE, SEX, SAFFL, TRTA, TRTSDT and TRTEDT
come from ADSL.

- PARAMCD = LBTESTCD; PARAM = LBTEST with the standard unit in brackets ("Creatinine (umol/L)"; a record
  without a unit, e.g. not done, takes its test's one unit); a test reported in more than one unit gives
  several PARAMs for one PARAMCD: logged as a warning with counts.
  PARCAT1 = LBCAT. AVAL = LBSTRESN; AVALC = LBSTRESC where AVAL is null.
- ADT = the complete date of LBDTC (no imputation); ADY relative to TRTSDT (no day 0). AVISIT/AVISITN =
  VISIT/VISITNUM.
- ABLFL = "Y" on the last record with a non-null AVAL dated on or before TRTSDT per subject and PARAMCD
  (by ADT, VISITNUM, LBSEQ), or, when `lab_baseline_flag` names an SDTM flag (LBLOBXFL, LBBLFL), on the
  record carrying it. BASE, BNRIND, BTOXGRL, BTOXGRH from that record. CHG and PCHG on post-baseline
  records (ADT after TRTSDT); PCHG null when BASE is 0.
- ANRLO/ANRHI = LBSTNRLO/LBSTNRHI; ANRIND = LOW (AVAL < ANRLO), HIGH (AVAL > ANRHI), else NORMAL when at
  least one limit is known; null without AVAL or without both limits.
- ATOXDSCL/ATOXDSCH: the CTCAE term graded for low/high values (the library's LBTESTCD map, changed by
  `lab_toxicity_terms`); ATOXGRL/ATOXGRH "0".."4" by the criteria table of `ctcae_version`
  (`adam.ctcae`). A value that has a term but cannot be graded (no ULN/LLN, no baseline, unit not
  convertible) is null and counted in a WARNING per parameter, direction and reason.
- ONTRTFL = "Y" for records after TRTSDT (up to TRTEDT + `lab_ontrt_window_days` when set).
- ANL01FL = "Y" on the baseline record and on the last on-treatment record (by ADT, LBSEQ) with an AVAL
  per subject, PARAMCD and AVISIT.
- WGRLOFL/WGRHIFL = "Y" on the on-treatment record with the worst (highest) ATOXGRL/ATOXGRH per subject
  and PARAMCD, the earliest one when tied.
- SHIFT1 = "BNRIND to ANRIND", SHIFT2 = "BTOXGRL to ATOXGRL", SHIFT3 = "BTOXGRH to ATOXGRH" on
  post-baseline records where both ends are known (e.g. "NORMAL to HIGH", "0 to 3").
- ASEQ 1..n per subject by PARAMCD, ADT, LBSEQ.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from adam.ctcae import Criteria, compute_toxgr, load_criteria, resolve_terms
from adam.dates import complete_dates
from adam.derive_common import (
    assert_inputs, column, compute_chg, compute_pchg, compute_y_or_null, derive_var_extreme_flag,
    derive_var_base, derive_var_obs_number, lookup_join, merge_adsl, order_columns, upper_text, warn_absent,
)
from adam.parameters import StudyParameters
from formats.isodates import study_day
from specs.errors import DerivationError

log = logging.getLogger(__name__)

LB_REQUIRED = ("STUDYID", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBDTC", "LBSTRESN")
LB_OPTIONAL = {
    "LBSTRESU": "PARAM without unit; criteria with a unit cannot grade",
    "LBSTNRLO": "ANRLO null: grades needing the LLN are null",
    "LBSTNRHI": "ANRHI null: grades needing the ULN are null",
    "VISITNUM": "AVISITN null; ANL01FL per AVISIT only",
    "VISIT": "AVISIT null",
    "LBCAT": "PARCAT1 null",
    "LBSTRESC": "AVALC null",
}
ADSL_REQUIRED = ("USUBJID", "TRTSDT")
ADSL_MERGED = ("SUBJID", "SITEID", "AGE", "SEX", "SAFFL", "TRTA", "TRTSDT", "TRTEDT")
LB_DROPPED = ("DOMAIN", "LBDY")
KEY = ["USUBJID", "PARAMCD"]
FIRST = ("STUDYID", "USUBJID", *ADSL_MERGED, "ASEQ", "LBSEQ", "PARAMCD", "PARAM", "PARCAT1", "AVAL", "AVALC",
         "ADT", "ADY", "AVISIT", "AVISITN", "ABLFL", "BASE", "CHG", "PCHG", "ANRLO", "ANRHI", "ANRIND", "BNRIND",
         "ATOXDSCL", "ATOXGRL", "BTOXGRL", "ATOXDSCH", "ATOXGRH", "BTOXGRH", "SHIFT1", "SHIFT2", "SHIFT3",
         "ONTRTFL", "ANL01FL", "WGRLOFL", "WGRHIFL")


def create_adlb(adsl: pd.DataFrame, lb: pd.DataFrame, params: StudyParameters | None = None) -> pd.DataFrame:
    """Build ADLB from ADSL + LB (see the module doc)."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "LB": lb}, {"ADSL": ADSL_REQUIRED, "LB": LB_REQUIRED}, "ADLB")
    warn_absent(lb, "LB", LB_OPTIONAL)
    criteria = load_criteria(params.ctcae_version)
    terms = resolve_terms(criteria, params.lab_toxicity_terms)
    adlb = lb.drop(columns=[c for c in LB_DROPPED if c in lb.columns]).reset_index(drop=True)
    adlb["LBSEQ"] = pd.to_numeric(adlb["LBSEQ"], errors="coerce")
    adlb = merge_adsl(adlb, adsl, ADSL_MERGED, what="LB records")
    adlb = derive_vars_param(adlb)
    adlb = derive_analysis_values(adlb)
    adlb = derive_baseline(adlb, params)
    adlb = derive_toxicity_grades(adlb, terms, criteria)
    adlb = derive_flags(adlb, params)
    adlb = derive_shifts(adlb)
    adlb = derive_var_obs_number(adlb, ["USUBJID"], [("PARAMCD", True), ("ADT", True), ("LBSEQ", True)])
    adlb = order_columns(adlb, FIRST)
    return adlb.sort_values(["USUBJID", "ASEQ"], kind="mergesort").reset_index(drop=True)


def derive_vars_param(adlb: pd.DataFrame) -> pd.DataFrame:
    """PARAMCD, PARAM (with the unit), PARCAT1; warns when one PARAMCD has several PARAMs (units)."""
    out = adlb.copy()
    out["PARAMCD"] = adlb["LBTESTCD"].astype("str").str.strip()
    unit = column(adlb, "LBSTRESU").astype("str").str.strip().replace("", None)
    # a record without a unit (no result: not done, text only) takes its test's unit when the test has one
    known = pd.DataFrame({"code": out["PARAMCD"], "unit": unit}).dropna().drop_duplicates()
    single = known[~known["code"].duplicated(keep=False)].set_index("code")["unit"]
    unit = unit.astype(object).where(unit.notna(), out["PARAMCD"].map(single).astype(object)).astype("str")
    test = adlb["LBTEST"].astype("str").str.strip()
    out["PARAM"] = test.where(unit.isna() | (unit == ""), test + " (" + unit + ")")
    out["PARCAT1"] = column(adlb, "LBCAT").astype("str")
    pairs = out[["PARAMCD", "PARAM"]].dropna().drop_duplicates()
    several = pairs[pairs.duplicated("PARAMCD", keep=False)]
    for paramcd, group in several.groupby("PARAMCD"):
        counts = out.loc[out["PARAMCD"] == paramcd, "PARAM"].value_counts()
        log.warning("ADLB PARAMCD %s has %d PARAMs (units differ): %s; PARAMCD and PARAM are not one to one",
                    paramcd, len(group), "; ".join(f"{p}: {n} records" for p, n in counts.items()))
    return out


def derive_analysis_values(adlb: pd.DataFrame) -> pd.DataFrame:
    """AVAL, AVALC, ADT, ADY, AVISIT, AVISITN, ANRLO, ANRHI, ANRIND."""
    out = adlb.copy()
    out["AVAL"] = pd.to_numeric(adlb["LBSTRESN"], errors="coerce")
    out["AVALC"] = column(adlb, "LBSTRESC").astype("str").where(out["AVAL"].isna())
    out["ADT"] = complete_dates(adlb["LBDTC"])
    out["ADY"] = study_day(out["ADT"], out["TRTSDT"])
    out["AVISIT"] = column(adlb, "VISIT").astype("str")
    out["AVISITN"] = pd.to_numeric(column(adlb, "VISITNUM"), errors="coerce")
    out["ANRLO"] = pd.to_numeric(column(adlb, "LBSTNRLO"), errors="coerce")
    out["ANRHI"] = pd.to_numeric(column(adlb, "LBSTNRHI"), errors="coerce")
    out["ANRIND"] = compute_anrind(out["AVAL"], out["ANRLO"], out["ANRHI"])
    return out


def compute_anrind(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW / HIGH / NORMAL against the reference range; null without a value or without both limits."""
    result = np.select(
        [value.isna() | (low.isna() & high.isna()), value < low, value > high],
        [None, "LOW", "HIGH"], default="NORMAL")
    return pd.Series(result, index=value.index, dtype="str")


def derive_baseline(adlb: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """ABLFL, BASE, BNRIND, CHG, PCHG."""
    if params.lab_baseline_flag:
        if params.lab_baseline_flag not in adlb.columns:
            raise DerivationError(f"lab_baseline_flag {params.lab_baseline_flag} is not a variable of LB")
        flagged = upper_text(adlb[params.lab_baseline_flag]).eq("Y") & adlb["AVAL"].notna()
        out = derive_var_extreme_flag(adlb, KEY, [("ADT", True), ("AVISITN", True), ("LBSEQ", True)], "ABLFL",
                                      mode="last", where=flagged)
        doubled = int(flagged.sum() - (out["ABLFL"] == "Y").sum())
        if doubled:
            log.warning("%s marks more than one record per subject and test: %d records not taken as baseline "
                        "(the last one is)", params.lab_baseline_flag, doubled)
    else:
        eligible = adlb["AVAL"].notna() & adlb["ADT"].notna() & (adlb["ADT"] <= adlb["TRTSDT"])
        out = derive_var_extreme_flag(adlb, KEY, [("ADT", True), ("AVISITN", True), ("LBSEQ", True)], "ABLFL",
                                      mode="last", where=eligible)
    base = out.loc[out["ABLFL"] == "Y", KEY + ["AVAL", "ANRIND"]].rename(columns={"AVAL": "BASE",
                                                                                  "ANRIND": "BNRIND"})
    out = lookup_join(out, base, KEY, ["BASE", "BNRIND"])[0]
    out["BNRIND"] = out["BNRIND"].astype("str")
    post = _post_baseline(out)
    out["CHG"] = compute_chg(out["AVAL"], out["BASE"]).where(post)
    out["PCHG"] = compute_pchg(out["AVAL"], out["BASE"]).where(post)
    return out


def _post_baseline(adlb: pd.DataFrame) -> pd.Series:
    return (adlb["ADT"] > adlb["TRTSDT"]).fillna(False).astype(bool)


def derive_toxicity_grades(adlb: pd.DataFrame, terms: dict[tuple[str, str], str],
                           criteria: Criteria) -> pd.DataFrame:
    """ATOXDSCL/ATOXDSCH, ATOXGRL/ATOXGRH, BTOXGRL/BTOXGRH; ungradable values counted in warnings."""
    out = adlb.copy()
    testcd = upper_text(adlb["LBTESTCD"])
    graded = adlb.assign(AVALU=column(adlb, "LBSTRESU"))
    for direction, dsc, grade, base in (("L", "ATOXDSCL", "ATOXGRL", "BTOXGRL"),
                                        ("H", "ATOXDSCH", "ATOXGRH", "BTOXGRH")):
        table = pd.Series({code: term for (code, d), term in terms.items() if d == direction}, dtype="str")
        out[dsc] = pd.Series(table.reindex(testcd.to_numpy()).to_numpy(), index=adlb.index, dtype="str")
        out[grade], reason = compute_toxgr(graded, out[dsc], direction, criteria)
        _log_ungraded(out, reason, direction)
        out = derive_var_base(out, KEY, grade, new_var=base)
        out[base] = out[base].astype("str")
    return out


def _log_ungraded(adlb: pd.DataFrame, reason: pd.Series, direction: str) -> None:
    found = reason.notna()
    if not found.any():
        return
    counts = pd.DataFrame({"PARAMCD": adlb.loc[found, "PARAMCD"], "reason": reason[found]}).value_counts()
    for (paramcd, why), count in counts.sort_index().items():
        level = logging.INFO if why == "no numeric result" else logging.WARNING
        log.log(level, "ADLB %s: %d value(s) without a CTCAE grade for %s values (%s): %s", paramcd, count,
                "low" if direction == "L" else "high", "ATOXGRL" if direction == "L" else "ATOXGRH", why)


def derive_flags(adlb: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """ONTRTFL, ANL01FL, WGRLOFL, WGRHIFL."""
    out = adlb.copy()
    on = _post_baseline(out)
    if params.lab_ontrt_window_days is not None:
        end = pd.to_datetime(column(out, "TRTEDT")).fillna(out["TRTSDT"])
        on &= (out["ADT"] <= end + pd.Timedelta(days=params.lab_ontrt_window_days)).fillna(False)
    out["ONTRTFL"] = compute_y_or_null(on)
    last = derive_var_extreme_flag(out, KEY + ["AVISIT"], [("ADT", True), ("LBSEQ", True)], "_LAST", mode="last",
                                   where=on & out["AVAL"].notna())
    out["ANL01FL"] = compute_y_or_null((out["ABLFL"] == "Y") | (last["_LAST"] == "Y"))
    for grade, flag in (("ATOXGRL", "WGRLOFL"), ("ATOXGRH", "WGRHIFL")):
        numeric = pd.to_numeric(out[grade], errors="coerce")
        ranked = out.assign(_GRADE=numeric)
        flagged = derive_var_extreme_flag(ranked, KEY, [("_GRADE", False), ("ADT", True), ("LBSEQ", True)], flag,
                                          where=on & numeric.notna())
        out[flag] = flagged[flag]
    return out


def derive_shifts(adlb: pd.DataFrame) -> pd.DataFrame:
    """SHIFT1 (reference range), SHIFT2 (low grade), SHIFT3 (high grade) on post-baseline records."""
    out = adlb.copy()
    post = _post_baseline(out)
    for new, start, end in (("SHIFT1", "BNRIND", "ANRIND"), ("SHIFT2", "BTOXGRL", "ATOXGRL"),
                            ("SHIFT3", "BTOXGRH", "ATOXGRH")):
        both = post & out[start].notna() & out[end].notna()
        out[new] = (out[start].astype("str") + " to " + out[end].astype("str")).where(both).astype("str")
    return out
