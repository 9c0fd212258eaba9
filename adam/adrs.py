"""ADRS: investigator overall response per visit (OVR) and the per-subject response parameters.

Needs ADSL and RS; TU (for MDIS) and CM (new anti-cancer therapy) are optional: ADSL's MDISFL and NACTDT are
used when ADSL has them (ours does), else they are derived from TU and CM here; without TU, MDIS is not
derived, without CM no assessment is excluded for new therapy (each logged once).

OVR: one record per RS record with RSTESTCD = response_testcd, RSCAT = response_category (or null) and
RSEVAL = response_evaluator (or null); records with RSSTAT = "NOT DONE" are missed assessments, not
responses, and are left out (count logged). ADT from RSDTC, a missing day imputed to the last of the
month (flag ADTF); a missing month leaves ADT null. ANL01FL = "Y" when ADT is on/after the reference date
(`response_reference_date`: TRTSDT by default, RANDDT in a randomized study), not after the first PD on/after
it, on or before the first new anti-cancer therapy (a scan on the day the new therapy starts is taken before
it, and an event on that day wins - admiral#2639 decision) and not after the data cut-off.

Per subject of the response population (`response_population_flag` = "Y", SAFFL by default; every ADSL
subject when it is None): BOR, CBOR (see `recist`), RSP (any CR/PR), CRSP (confirmed CR/PR), PD (first PD),
DEATH, LSTA (last analysis assessment). A subject of the population without any assessment gets them too
(BOR/CBOR/LSTA = MISSING, RSP/CRSP/PD = N), so counting a parameter's records gives the denominator.
MDIS for subjects with MDISFL; ORR (CBOR in CR/PR) for EFFFL = "Y" among them. Every record keeps
SRCDOM/SRCVAR/SRCSEQ of the record it came from.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from adam.adsl import compute_new_therapy_date, compute_measurable_disease
from adam.dates import compute_dt
from adam.derive_common import (
    assert_inputs, column, derive_var_obs_number, lookup, merge_adsl, order_columns, upper_text, warn_absent,
)
from adam.parameters import StudyParameters
from adam.recist import (
    RESPONSE_CODES, ResponseEvent, bor_events, confirmed_bor_events, derive_param_extreme_event, prepare_assessments,
)
from formats.isodates import study_day
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

RS_REQUIRED = ("USUBJID", "RSSEQ", "RSTESTCD", "RSSTRESC", "RSDTC")
ADSL_REQUIRED = ("STUDYID", "USUBJID", "TRTSDT", "SAFFL", "EFFFL")
PARAMS = {  # PARAMCD: (PARAMN, PARAM)
    "OVR": (1, "Overall Response by Investigator"),
    "BOR": (2, "Best Overall Response by Investigator"),
    "CBOR": (3, "Best Confirmed Overall Response by Investigator"),
    "RSP": (4, "Response (CR or PR) by Investigator"),
    "CRSP": (5, "Confirmed Response (CR or PR) by Investigator"),
    "PD": (6, "Disease Progression by Investigator"),
    "DEATH": (7, "Death"),
    "LSTA": (8, "Last Disease Assessment by Investigator"),
    "MDIS": (9, "Measurable Disease at Baseline by Investigator"),
    "ORR": (10, "Objective Response (Confirmed CR or PR) by Investigator"),
}
ADSL_CARRIED = ("STUDYID", "SUBJID", "SITEID", "ENRLFL", "SAFFL", "EFFFL", "TRTA", "TRTSDT")


def create_adrs(
    adsl: pd.DataFrame,
    rs: pd.DataFrame,
    tu: pd.DataFrame | None = None,
    cm: pd.DataFrame | None = None,
    params: StudyParameters | None = None,
) -> pd.DataFrame:
    """Build ADRS from ADSL + RS (+ TU for MDIS, + CM for the new-therapy exclusion)."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "RS": rs}, {"ADSL": ADSL_REQUIRED, "RS": RS_REQUIRED}, "ADRS")
    warn_absent(rs, "RS", {
        "RSCAT": f"every {params.response_testcd} record taken as {params.response_category}",
        "RSEVAL": f"every {params.response_testcd} record taken as the {params.response_evaluator.lower()}'s",
        "RSSTAT": "no record taken as a missed (NOT DONE) assessment",
        "VISIT": "AVISIT left null", "VISITNUM": "AVISITN left null"})
    adsl = adsl.copy()
    if "NACTDT" not in adsl.columns:  # ADSL made elsewhere: NACTDT from CM (a missing CM is logged there)
        adsl["NACTDT"], _ = compute_new_therapy_date(adsl, cm, params)
    if tu is not None and "MDISFL" not in adsl.columns:
        adsl["MDISFL"] = compute_measurable_disease(adsl, tu, params)
    reference = params.response_reference_date
    if reference not in adsl.columns:
        raise DerivationError(f"cannot derive ADRS: response_reference_date = {reference!r} is not a variable of "
                              "ADSL", [Problem("ADSL", f"ADSL has no {reference}" + (
                                  " (set randomization_dsdecod to derive it from DS)" if reference == "RANDDT"
                                  else ""), column=reference)])

    ovr = derive_ovr(adsl, rs, params)
    analysed = ovr[ovr["ANL01FL"] == "Y"]
    treated = response_population(adsl, params)
    cbor_input = prepare_assessments(analysed, confirmed_rules=True, params=params)
    bor_input = prepare_assessments(analysed, confirmed_rules=False, params=params)
    cbor = derive_param_extreme_event(cbor_input, treated, confirmed_bor_events(params))
    records = [
        ovr,
        _response_param(derive_param_extreme_event(bor_input, treated, bor_events(params)), "BOR"),
        _response_param(cbor, "CBOR"),
        _flag_param(bor_input, treated, lambda a: a["RESP"].isin(["CR", "PR"]), "RSP"),
        _flag_param(cbor_input, treated, lambda a: a["RESP"].isin(["CR", "PR"]) & a["CONFIRMED"], "CRSP"),
        _flag_param(bor_input, treated, lambda a: a["RESP"] == "PD", "PD"),
        _death_param(adsl, treated),
        _response_param(_last_assessment(bor_input, treated), "LSTA"),
    ]
    if "MDISFL" in adsl.columns and adsl["MDISFL"].notna().any():
        records.append(_mdis_param(adsl))
    else:
        log.warning("no MDISFL (TU not given): parameter MDIS not derived")
    effective = adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"]
    orr = cbor[cbor["USUBJID"].isin(effective)]
    records.append(_yes_no(orr["USUBJID"], orr["AVALC"].isin(["CR", "PR"]), orr, "ORR", "RS", "RSSTRESC"))

    adrs = pd.concat(records, ignore_index=True).drop(columns="REFDT", errors="ignore")
    adrs = merge_adsl(adrs, adsl, ADSL_CARRIED, what="ADRS records")
    adrs["PARAMN"] = adrs["PARAMCD"].map({k: v[0] for k, v in PARAMS.items()}).astype("Int64")
    adrs["PARAM"] = adrs["PARAMCD"].map({k: v[1] for k, v in PARAMS.items()}).astype("str")
    adrs["ADY"] = study_day(adrs["ADT"], adrs["TRTSDT"])
    adrs["ANL01FL"] = adrs["ANL01FL"].where(adrs["PARAMCD"] == "OVR", "Y").astype("str")
    not_recist = adrs["PARAMCD"].isin(["DEATH", "MDIS"]).to_numpy()
    adrs["PARCAT1"] = pd.Series(np.where(not_recist, None, params.response_category), dtype="str")
    for name in ("SRCDOM", "SRCVAR"):
        adrs[name] = adrs[name].astype("str")
    adrs = derive_var_obs_number(adrs, ["USUBJID"], [("PARAMN", True), ("ADT", True), ("SRCSEQ", True)])
    order = ["STUDYID", "USUBJID", *ADSL_CARRIED[1:], "ASEQ", "PARAMCD", "PARAM", "PARAMN", "PARCAT1", "AVALC",
             "AVAL", "ADT", "ADTF", "ADY", "AVISIT", "AVISITN", "ANL01FL", "SRCDOM", "SRCVAR", "SRCSEQ"]
    return order_columns(adrs.sort_values(["USUBJID", "ASEQ"]).reset_index(drop=True), order)


def derive_ovr(adsl: pd.DataFrame, rs: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """OVR records from RS, with ANL01FL (see module doc)."""
    testcd = upper_text(rs["RSTESTCD"])
    category = upper_text(column(rs, "RSCAT"))
    evaluator = upper_text(column(rs, "RSEVAL"))
    chosen = (testcd == params.response_testcd.upper()) & (
        category.isna() | (category == params.response_category.upper())) & (
        evaluator.isna() | (evaluator == params.response_evaluator.upper()))
    not_done = upper_text(column(rs, "RSSTAT")) == "NOT DONE"
    if (chosen & not_done).any():
        log.info("%d %s record(s) with RSSTAT = NOT DONE are missed assessments, not OVR records",
                 int((chosen & not_done).sum()), params.response_testcd)
    src = rs[chosen & ~not_done]
    ovr = pd.DataFrame({
        "USUBJID": src["USUBJID"].to_numpy(),
        "PARAMCD": "OVR",
        "AVALC": upper_text(src["RSSTRESC"]).to_numpy(),
        "AVISIT": column(src, "VISIT").to_numpy(),
        "AVISITN": pd.to_numeric(column(src, "VISITNUM"), errors="coerce").to_numpy(),
        "SRCDOM": "RS",
        "SRCVAR": "RSSTRESC",
        "SRCSEQ": pd.to_numeric(src["RSSEQ"], errors="coerce").to_numpy(),
    })
    adt, adtf = compute_dt(src["RSDTC"].reset_index(drop=True), "last", highest_imputation="D")
    ovr["ADT"], ovr["ADTF"] = adt, adtf
    ovr["AVAL"] = ovr["AVALC"].map(RESPONSE_CODES).astype(float)
    unknown = ovr["AVALC"].notna() & ovr["AVAL"].isna()
    if unknown.any():
        log.warning("%d OVR record(s) hold responses outside %s (e.g. %s); they are kept without ANL01FL",
                    int(unknown.sum()), "/".join(RESPONSE_CODES), sorted(set(ovr.loc[unknown, "AVALC"]))[:3])
    subject = adsl.set_index("USUBJID")
    trtsdt = lookup(ovr["USUBJID"], subject["TRTSDT"])
    refdt = lookup(ovr["USUBJID"], subject[params.response_reference_date])
    nactdt = lookup(ovr["USUBJID"], subject["NACTDT"])
    on_treatment = ovr["ADT"].notna() & (ovr["ADT"] >= refdt) & ovr["AVAL"].notna()
    first_pd = ovr[on_treatment & (ovr["AVALC"] == "PD")].groupby("USUBJID")["ADT"].min()
    pd_date = lookup(ovr["USUBJID"], first_pd)
    keep = (on_treatment & (pd_date.isna() | (ovr["ADT"] <= pd_date))
            & (nactdt.isna() | (ovr["ADT"] <= nactdt)) & (ovr["ADT"] <= params.cutoff()))
    ovr["ANL01FL"] = pd.Series(np.where(keep, "Y", None), dtype="str")
    ovr["TRTSDT"] = trtsdt.astype("datetime64[ns]")
    ovr["REFDT"] = refdt.astype("datetime64[ns]")  # the response reference date (recist: DAYS)
    return ovr


def response_population(adsl: pd.DataFrame, params: StudyParameters) -> pd.Series:
    """The subjects who get the per-subject response parameters, with or without an assessment (so that
    counting a parameter's records gives the population's denominator): response_population_flag = "Y"."""
    flag = params.response_population_flag
    if flag is None:
        return adsl["USUBJID"]
    if flag not in adsl.columns:
        raise DerivationError(f"cannot derive ADRS: response_population_flag = {flag!r} is not a variable of ADSL",
                              [Problem("ADSL", f"ADSL has no {flag}", column=flag)])
    return adsl.loc[upper_text(adsl[flag]) == "Y", "USUBJID"]


def _response_param(best: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    out = best[["USUBJID", "ADT", "SRCSEQ", "AVALC"]].copy()
    out["PARAMCD"] = paramcd
    out["AVAL"] = out["AVALC"].map(RESPONSE_CODES).astype(float)
    return _with_source(out, "RS", "RSSTRESC")


def _flag_param(assessments: pd.DataFrame, subjects: pd.Series, condition, paramcd: str) -> pd.DataFrame:
    """Y (first qualifying assessment's date and source) or N for each subject."""
    best = derive_param_extreme_event(assessments, subjects, [ResponseEvent(paramcd, condition, {"AVALC": "Y"})],
                                {"AVALC": "N"})
    return _yes_no(best["USUBJID"], best["AVALC"] == "Y", best, paramcd, "RS", "RSSTRESC")


def _yes_no(subjects: pd.Series, yes: pd.Series, source: pd.DataFrame, paramcd: str,
            srcdom: str | None = None, srcvar: str | None = None) -> pd.DataFrame:
    yes = yes.to_numpy(bool)
    out = pd.DataFrame({"USUBJID": subjects.to_numpy(), "PARAMCD": paramcd,
                        "AVALC": np.where(yes, "Y", "N"), "AVAL": np.where(yes, 1.0, 0.0)})
    out["ADT"] = source["ADT"].to_numpy() if "ADT" in source else pd.NaT
    out["ADT"] = out["ADT"].astype("datetime64[ns]")
    out["SRCSEQ"] = source["SRCSEQ"].to_numpy() if "SRCSEQ" in source else np.nan
    if srcdom is None:
        out["SRCDOM"], out["SRCVAR"] = source.get("SRCDOM", np.nan), source.get("SRCVAR", np.nan)
        return out
    return _with_source(out, srcdom, srcvar)


def _with_source(out: pd.DataFrame, srcdom: str, srcvar: str) -> pd.DataFrame:
    """SRCDOM/SRCVAR only where a source record exists."""
    has = out["SRCSEQ"].notna().to_numpy()
    out["SRCDOM"] = pd.Series(np.where(has, srcdom, None), index=out.index, dtype="str")
    out["SRCVAR"] = pd.Series(np.where(has, srcvar, None), index=out.index, dtype="str")
    out["SRCSEQ"] = pd.to_numeric(out["SRCSEQ"], errors="coerce")
    return out


def _death_param(adsl: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    rows = adsl.set_index("USUBJID").loc[subjects.to_numpy()]
    died = rows["DTHDT"].notna()
    source = pd.DataFrame({"ADT": rows["DTHDT"].to_numpy(), "SRCSEQ": np.nan,
                           "SRCDOM": np.where(died, "ADSL", None), "SRCVAR": np.where(died, "DTHDT", None)})
    return _yes_no(subjects, died, source, "DEATH")


def _mdis_param(adsl: pd.DataFrame) -> pd.DataFrame:
    rows = adsl[adsl["MDISFL"].notna()]
    source = pd.DataFrame({"ADT": pd.NaT, "SRCSEQ": np.nan, "SRCDOM": "ADSL", "SRCVAR": "MDISFL"}, index=rows.index)
    return _yes_no(rows["USUBJID"], rows["MDISFL"] == "Y", source, "MDIS")


def _last_assessment(assessments: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """The last analysis assessment of each subject (assessments are sorted by date), else MISSING."""
    last = assessments.drop_duplicates("USUBJID", keep="last").set_index("USUBJID")
    out = pd.DataFrame({"USUBJID": subjects.to_numpy()})
    out["ADT"] = out["USUBJID"].map(last["ADT"]).astype("datetime64[ns]")
    out["SRCSEQ"] = out["USUBJID"].map(last["SRCSEQ"])
    out["AVALC"] = out["USUBJID"].map(last["AVALC"]).fillna("MISSING")
    return out
