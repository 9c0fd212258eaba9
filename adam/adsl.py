"""ADSL: one record per enrolled subject.

Needs DM and EX. DS, MH, TU and CM are optional; without them, in order: EOSSTT/EOSDT/DCSREAS/DTHCAUS
stay null; TUMTYPE stays null; MDISFL stays null and EFFFL falls back to SAFFL (logged); NACTDT stays
null (so later stages make no new-therapy exclusion). Other SDTM domains given in `other_domains`
feed LSTALVDT; a PR domain among them gives APHDT (leukapheresis date), which is absent otherwise.

Key derivations (study conventions in `StudyParameters`):
- TRTSDT/TRTSDTM = first dose of the study treatment (EX with EXCAT = cart_excat, any EXCAT when it is not
  set; a dose not 0, EXOCCUR not "N"); a subject without such a record falls back to DM.RFSTDTC. Only
  complete dates count: treatment dates are never imputed (the time is, flag TRTSTMF).
- TRTEDT/TRTEDTM (flag TRTETMF) = end of the last such dose (EXENDTC, else EXSTDTC; missing time
  parts imputed to their last value). DOSE01A = total dose (sum of EXDOSE), DOSE01U = EXDOSU.
- AGEGR1/AGEGR1N from `age_group_cuts`.
- LDSTDT = first dose of EXCAT lymphodepletion_excat (any EXCAT when not set), fallback DM.RFXSTDTC.
- ENRLFL = "Y" for a subject with a `leukapheresis_prtrt` procedure when that is set and a PR domain is
  given, else unless ARMNRS is a not-enrolled reason; SAFFL = received the study treatment (TRTSDT present);
  EFFFL = SAFFL and MDISFL = "Y" (>= 1 TARGET lesion identified in TU on or before TRTSDT; TU records
  with an unknown date count when TULOBXFL = "Y").
- DTHDT = DM.DTHDTC (else the DS death record's date) imputed to the first of the month/year but not
  before the last complete date the subject was seen alive (flag DTHDTF).
- LSTALVDT = latest complete date among `alive_date_sources` (DS death records excluded), never after
  DTHDT nor the data cut-off.
- EOSSTT from the last DS disposition event: COMPLETED, DISCONTINUED (DCSREAS = DSDECOD) or, with no
  disposition event, ONGOING.

DM's ARMNRS and RF* dates are read (ENRLFL, fallbacks) but not carried into ADSL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from adam.dates import complete_dates, compute_dt, compute_dtm
from adam.derive_common import (
    assert_inputs, column, compute_y_or_null, compute_yn, filter_extreme, lookup, upper_text, warn_absent,
)
from adam.parameters import StudyParameters
from formats.isodates import study_day
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

# SDTMIG Required variables of DM the derivations read; AGE, AGEU, RACE (Expected) degrade with a warning
DM_REQUIRED = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "SEX")
DM_EXPECTED = ("AGE", "AGEU", "RACE", "ETHNIC", "COUNTRY", "ARM", "ACTARM")
# optional inputs and what is left null (or how the derivation degrades) without them: one warning each
DM_OPTIONAL = {
    "ARMNRS": "ENRLFL = Y for every subject (no not-enrolled reason)",
    "RFSTDTC": "no fallback for TRTSDT when EX has no dose",
    "RFXSTDTC": "no fallback for LDSTDT when EX has no dose",
    "DTHDTC": "DTHDT only from a DS death record",
    "DTHFL": "DTHFL only from DTHDT",
}
EX_OPTIONAL = {
    "EXDOSE": "DOSE01A left null; every EX record counts as a dose",
    "EXDOSU": "DOSE01U left null",
    "EXENDTC": "TRTEDT/TRTEDTM from EXSTDTC",
}
EX_REQUIRED = ("USUBJID", "EXSTDTC")  # EXCAT only when cart_excat or lymphodepletion_excat names a category
DM_CARRIED = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "COUNTRY",
              "ARM", "ACTARM")
# DM variables read by the derivations but not part of ADSL (ADSL's dates are TRTSDT, LDSTDT, ...)
DM_INTERNAL = ("ARMNRS", "RFSTDTC", "RFXSTDTC")


def create_adsl(
    dm: pd.DataFrame,
    ex: pd.DataFrame,
    ds: pd.DataFrame | None = None,
    mh: pd.DataFrame | None = None,
    tu: pd.DataFrame | None = None,
    cm: pd.DataFrame | None = None,
    *,
    other_domains: Mapping[str, pd.DataFrame] | None = None,
    params: StudyParameters | None = None,
) -> pd.DataFrame:
    """Build ADSL from DM + EX (+ optional DS, MH, TU, CM; other domains only for LSTALVDT)."""
    params = params or StudyParameters()
    assert_inputs({"DM": dm, "EX": ex}, {"DM": DM_REQUIRED, "EX": EX_REQUIRED}, "ADSL")
    duplicated = dm["USUBJID"][dm["USUBJID"].duplicated()]
    if len(duplicated):
        raise DerivationError("cannot derive ADSL: DM has more than one record per subject",
                              [Problem("DM", f"USUBJID {u!r} occurs more than once") for u in duplicated.unique()[:10]])
    adsl = dm[[c for c in DM_CARRIED + DM_INTERNAL if c in dm.columns]].reset_index(drop=True)
    also = {"AGE": " (and AGEGR1, AGEGR1N)", "ARM": " (and TRT01P)", "ACTARM": " (and TRT01A)"}
    warn_absent(dm, "DM", {name: f"ADSL.{name} left null{also.get(name, '')}" for name in DM_EXPECTED} | DM_OPTIONAL)
    warn_absent(ex, "EX", EX_OPTIONAL)
    for name in DM_EXPECTED:
        if name not in dm.columns:
            adsl[name] = pd.Series(np.nan if name == "AGE" else None, index=adsl.index,
                                   dtype=float if name == "AGE" else "str")
    adsl = _derive_age_group(adsl, params)
    adsl = _derive_treatment(adsl, ex, params)
    adsl = _derive_populations(adsl, tu, params)
    adsl["TUMTYPE"] = _primary_tumor_type(adsl, mh, params)
    adsl = _derive_disposition(adsl, ds, params)
    if params.randomization_dsdecod is not None:
        adsl["RANDDT"] = _randomization_date(adsl, ds, params)
    adsl["NACTDT"], adsl["NACTDTF"] = compute_new_therapy_date(adsl, cm, params)
    adsl = _derive_death_and_last_alive(adsl, dm, ds, other_domains or {}, params)
    procedures = (other_domains or {}).get("PR")
    if procedures is None and params.leukapheresis_prtrt:
        log.warning("PR not given: APHDT not derived, ENRLFL from DM.ARMNRS")
    if procedures is not None and params.leukapheresis_prtrt:
        adsl["APHDT"] = _leukapheresis_date(adsl, procedures, params)
        # DESIGN.md: enrolled = leukapheresed; without a PR domain the ARMNRS rule above stands
        adsl["ENRLFL"] = compute_yn(adsl["APHDT"].notna() | _has_procedure(adsl, procedures, params))
    return adsl.drop(columns=[c for c in DM_INTERNAL if c in adsl.columns])


def _has_procedure(adsl: pd.DataFrame, pr: pd.DataFrame, params: StudyParameters) -> pd.Series:
    """A leukapheresis record, even with a partial date, makes the subject enrolled."""
    name = upper_text(column(pr, "PRDECOD")).fillna(upper_text(pr["PRTRT"]))
    return adsl["USUBJID"].isin(pr.loc[name == params.leukapheresis_prtrt.upper(), "USUBJID"])


def _leukapheresis_date(adsl: pd.DataFrame, pr: pd.DataFrame, params: StudyParameters) -> pd.Series:
    assert_inputs({"PR": pr}, {"PR": ("USUBJID", "PRTRT")}, "ADSL.APHDT")
    if "PRSTDTC" not in pr.columns:
        log.warning("PR has no PRSTDTC: APHDT left null")
        return pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]")
    name = upper_text(column(pr, "PRDECOD")).fillna(upper_text(pr["PRTRT"]))
    procedures = pr[name == params.leukapheresis_prtrt.upper()]
    first = complete_dates(procedures["PRSTDTC"]).groupby(procedures["USUBJID"]).min()
    return adsl["USUBJID"].map(first).astype("datetime64[ns]")


def _derive_age_group(adsl: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """AGEGR1/AGEGR1N from the cut points: (65,) gives "<65" (1) and ">=65" (2)."""
    cuts = sorted(params.age_group_cuts)
    out = adsl.copy()
    if not cuts:
        return out
    labels = np.array([f"<{cuts[0]}"] + [f"{lo}-{hi - 1}" for lo, hi in zip(cuts, cuts[1:])] + [f">={cuts[-1]}"],
                      dtype=object)
    age = pd.to_numeric(out["AGE"], errors="coerce").to_numpy(float)
    number = np.searchsorted(np.array(cuts, dtype=float), age, side="right") + 1
    known = ~np.isnan(age)
    out["AGEGR1"] = pd.Series(np.where(known, labels[number - 1], None), index=out.index, dtype="str")
    out["AGEGR1N"] = pd.Series(np.where(known, number, np.nan), index=out.index).astype("Int64")
    return out


def _valid_exposure(ex: pd.DataFrame, params: StudyParameters) -> pd.Series:
    """Doses that were given: EXOCCUR not "N" and EXDOSE not 0 (unless EXTRT is one of `placebo_extrt`)."""
    dose = pd.to_numeric(column(ex, "EXDOSE"), errors="coerce")
    occurred = upper_text(column(ex, "EXOCCUR")).fillna("Y") != "N"
    placebo = upper_text(column(ex, "EXTRT")).isin([t.upper() for t in params.placebo_extrt])
    return (dose.isna() | (dose > 0) | ((dose == 0) & placebo)) & occurred


def _derive_treatment(adsl: pd.DataFrame, ex: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    ex = ex[_valid_exposure(ex, params)]
    cart = _with_category(ex, params.cart_excat, "cart_excat").copy()
    cart["START"], _, cart["STARTTMF"] = compute_dtm(cart["EXSTDTC"])
    end_text = column(cart, "EXENDTC").where(column(cart, "EXENDTC").notna(), cart["EXSTDTC"])
    cart["END"], _, cart["ENDTMF"] = compute_dtm(end_text, time_imputation="last")
    cart["EXDOSE"] = pd.to_numeric(column(cart, "EXDOSE"), errors="coerce")
    cart["EXDOSU"] = column(cart, "EXDOSU")
    cart = cart[cart["START"].notna()]
    first = filter_extreme(cart, ["USUBJID"], [("START", True)]).set_index("USUBJID")
    last = filter_extreme(cart, ["USUBJID"], [("END", True)], mode="last").set_index("USUBJID")
    dose = cart.groupby("USUBJID")["EXDOSE"].sum(min_count=1)

    out = adsl.copy()
    subjects = out["USUBJID"]
    out["TRTSDTM"] = lookup(subjects, first["START"].astype("datetime64[ns]"))
    out["TRTSTMF"] = lookup(subjects, first["STARTTMF"].astype("str"))
    fallback_dtm, _, fallback_tmf = compute_dtm(column(out, "RFSTDTC"))
    fallback_dtm = fallback_dtm.astype("datetime64[ns]")
    use_fallback = out["TRTSDTM"].isna() & fallback_dtm.notna()
    if use_fallback.any():
        log.warning("%d subject(s) have no study-treatment EX record (cart_excat) with a complete date; TRTSDT "
                    "taken from DM.RFSTDTC", int(use_fallback.sum()))
    out["TRTSDTM"] = out["TRTSDTM"].where(~use_fallback, fallback_dtm)
    out["TRTSTMF"] = out["TRTSTMF"].where(~use_fallback, fallback_tmf.astype("str"))
    out["TRTSDT"] = out["TRTSDTM"].dt.floor("D")
    out["TRTEDTM"] = lookup(subjects, last["END"].astype("datetime64[ns]")).where(~use_fallback, out["TRTSDTM"])
    out["TRTETMF"] = lookup(subjects, last["ENDTMF"].astype("str")).where(~use_fallback, out["TRTSTMF"])
    out["TRTEDT"] = out["TRTEDTM"].dt.floor("D")
    out["DOSE01A"] = lookup(subjects, dose.astype(float))
    out["DOSE01U"] = lookup(subjects, first["EXDOSU"].astype("str"))

    lymphodepletion = _with_category(ex, params.lymphodepletion_excat, "lymphodepletion_excat")
    ld_start = complete_dates(lymphodepletion["EXSTDTC"]).groupby(lymphodepletion["USUBJID"]).min()
    out["LDSTDT"] = lookup(subjects, ld_start.astype("datetime64[ns]"))
    rfx = complete_dates(column(out, "RFXSTDTC")).astype("datetime64[ns]")
    out["LDSTDT"] = out["LDSTDT"].where(out["LDSTDT"].notna(), rfx)
    return out


def _with_category(ex: pd.DataFrame, excat: str | None, parameter: str) -> pd.DataFrame:
    """The EX records of category `excat` (case-insensitive); every record when no category is set."""
    if excat is None:
        return ex
    if "EXCAT" not in ex.columns:
        raise DerivationError(f"cannot derive ADSL: {parameter} = {excat!r} selects EX records by EXCAT, which EX "
                              f"does not have", [Problem("EX", f"EX.EXCAT is missing; set {parameter} to null to "
                                                               f"use every EX record", column="EXCAT")])
    return ex[upper_text(ex["EXCAT"]) == excat.upper()]


def _randomization_date(adsl: pd.DataFrame, ds: pd.DataFrame | None, params: StudyParameters) -> pd.Series:
    """RANDDT: the first complete DSSTDTC of the DS records with DSDECOD = randomization_dsdecod."""
    if ds is None or "DSSTDTC" not in ds.columns or "DSDECOD" not in ds.columns:
        log.warning("%s: ADSL.RANDDT left null", "DS not given" if ds is None else "DS has no DSDECOD/DSSTDTC")
        return pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]")
    chosen = ds[upper_text(ds["DSDECOD"]) == params.randomization_dsdecod.upper()]
    first = complete_dates(chosen["DSSTDTC"]).groupby(chosen["USUBJID"]).min()
    return lookup(adsl["USUBJID"], first.astype("datetime64[ns]"))


def _derive_populations(adsl: pd.DataFrame, tu: pd.DataFrame | None, params: StudyParameters) -> pd.DataFrame:
    out = adsl.copy()
    not_enrolled = upper_text(column(out, "ARMNRS")).isin([t.upper() for t in params.not_enrolled_armnrs])
    out["ENRLFL"] = compute_yn(~not_enrolled)
    treated = out["TRTSDT"].notna()
    out["SAFFL"] = compute_yn(treated)
    out["TRT01P"] = out["ARM"]
    out["TRT01A"] = out["ACTARM"].where(treated)
    out["MDISFL"] = compute_measurable_disease(out, tu, params)
    if tu is None or out["MDISFL"].isna().all():
        log.warning("%s: EFFFL = SAFFL", "TU not given: MDISFL not derived" if tu is None else "no MDISFL")
        out["EFFFL"] = out["SAFFL"]
    else:
        out["EFFFL"] = compute_yn(treated & (out["MDISFL"] == "Y"))
    return out


def compute_measurable_disease(adsl: pd.DataFrame, tu: pd.DataFrame | None, params: StudyParameters) -> pd.Series:
    if tu is None:
        return pd.Series(None, index=adsl.index, dtype="str")
    assert_inputs({"TU": tu}, {"TU": ("USUBJID", "TUTESTCD")}, "ADSL.MDISFL")
    if "TUSTRESC" not in tu.columns:
        log.warning("TU has no TUSTRESC: MDISFL not derived (target lesions unknown)")
        return pd.Series(None, index=adsl.index, dtype="str")
    warn_absent(tu, "TU", {"TUDTC": "MDISFL counts the target lesions flagged TULOBXFL = Y",
                           "TULOBXFL": "MDISFL counts only target lesions dated on or before TRTSDT"})
    target = tu[(upper_text(tu["TUTESTCD"]) == params.tumor_identification_testcd.upper())
                & (upper_text(tu["TUSTRESC"]) == params.target_tustresc.upper())]
    when = complete_dates(column(target, "TUDTC"))
    trtsdt = target["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    at_baseline = (when.notna() & (trtsdt.isna() | (when <= trtsdt))) | (
        when.isna() & (upper_text(column(target, "TULOBXFL")) == "Y"))
    subjects = set(target.loc[at_baseline, "USUBJID"])
    return compute_yn(adsl["USUBJID"].isin(subjects))


def _primary_tumor_type(adsl: pd.DataFrame, mh: pd.DataFrame | None, params: StudyParameters) -> pd.Series:
    if mh is None or params.primary_diagnosis_mhcat is None:
        log.warning("%s: TUMTYPE not derived", "MH not given" if mh is None else "no primary_diagnosis_mhcat")
        return pd.Series(None, index=adsl.index, dtype="str")
    absent = [name for name in ("MHCAT", params.tumor_type_variable) if name not in mh.columns]
    if absent:
        log.warning("MH has no %s: TUMTYPE not derived", " or ".join(absent))
        return pd.Series(None, index=adsl.index, dtype="str")
    primary = mh[upper_text(mh["MHCAT"]) == params.primary_diagnosis_mhcat.upper()].copy()
    primary["MHSEQ"] = pd.to_numeric(column(primary, "MHSEQ"), errors="coerce")
    several = primary["USUBJID"].duplicated(keep=False)
    if several.any():
        log.warning("%d subject(s) have more than one primary diagnosis in MH; the first by MHSEQ is used",
                    primary.loc[several, "USUBJID"].nunique())
    first = filter_extreme(primary, ["USUBJID"], [("MHSEQ", True)]).set_index("USUBJID")[params.tumor_type_variable]
    return adsl["USUBJID"].map(first).astype("str")


def _derive_disposition(adsl: pd.DataFrame, ds: pd.DataFrame | None, params: StudyParameters) -> pd.DataFrame:
    out = adsl.copy()
    if ds is None:
        log.warning("DS not given: EOSSTT, EOSDT, DCSREAS and DTHCAUS not derived")
        for name in ("EOSSTT", "DCSREAS", "DTHCAUS"):
            out[name] = pd.Series(None, index=out.index, dtype="str")
        out["EOSDT"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        return out
    assert_inputs({"DS": ds}, {"DS": ("USUBJID", "DSDECOD")}, "ADSL.EOSSTT")
    warn_absent(ds, "DS", {"DSSTDTC": "EOSDT left null, the last disposition event taken by DSSEQ, no death date "
                                      "from DS",
                           "DSCAT": "every DS record taken as a disposition event"})
    events = _disposition_events(ds, params)
    last = filter_extreme(events, ["USUBJID"], [("DATE", True), ("DSSEQ", True)], mode="last").set_index("USUBJID")
    decod = out["USUBJID"].map(last["DSDECOD"])
    completed = upper_text(decod) == params.completed_dsdecod.upper()
    out["EOSSTT"] = pd.Series(np.select([decod.isna().to_numpy(), completed.to_numpy()],
                                        ["ONGOING", "COMPLETED"], "DISCONTINUED"), index=out.index, dtype="str")
    out["EOSDT"] = out["USUBJID"].map(last["DATE"]).astype("datetime64[ns]")
    out["DCSREAS"] = decod.where(decod.notna() & ~completed).astype("str")
    death = events[upper_text(events["DSDECOD"]) == params.death_dsdecod.upper()]
    cause = filter_extreme(death, ["USUBJID"], [("DSSEQ", True)]).set_index("USUBJID")
    out["DTHCAUS"] = out["USUBJID"].map(column(cause, "DSTERM")).astype("str")
    return out


def _disposition_events(ds: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    category = upper_text(column(ds, "DSCAT"))
    events = ds[category.isna() | (category == params.disposition_dscat.upper())].copy()
    events["DATE"] = complete_dates(column(events, "DSSTDTC"))
    events["DSSEQ"] = pd.to_numeric(column(events, "DSSEQ"), errors="coerce")
    return events


def compute_new_therapy_date(adsl: pd.DataFrame, cm: pd.DataFrame | None,
                       params: StudyParameters) -> tuple[pd.Series, pd.Series]:
    if cm is None or params.new_therapy_cmcat is None:
        log.warning("%s: NACTDT not derived, no new anti-cancer therapy exclusion or censoring",
                    "CM not given" if cm is None else "no new_therapy_cmcat")
        return (pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]"),
                pd.Series(None, index=adsl.index, dtype="str"))
    assert_inputs({"CM": cm}, {"CM": ("USUBJID",)}, "ADSL.NACTDT")
    absent = [name for name in ("CMCAT", "CMSTDTC") if name not in cm.columns]
    if absent:
        log.warning("CM has no %s: NACTDT not derived, no new anti-cancer therapy exclusion or censoring",
                    " or ".join(absent))
        return (pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]"),
                pd.Series(None, index=adsl.index, dtype="str"))
    therapy = cm[upper_text(cm["CMCAT"]) == params.new_therapy_cmcat.upper()].copy()
    trtsdt = therapy["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    # a partial start is taken as early as possible, but not before the infusion it follows
    therapy["DATE"], therapy["DTF"] = compute_dt(therapy["CMSTDTC"], "first", min_dates=[trtsdt])
    first = filter_extreme(therapy[therapy["DATE"].notna()], ["USUBJID"], [("DATE", True)]).set_index("USUBJID")
    return (adsl["USUBJID"].map(first["DATE"]).astype("datetime64[ns]"),
            adsl["USUBJID"].map(first["DTF"]).astype("str"))


def _derive_death_and_last_alive(adsl: pd.DataFrame, dm: pd.DataFrame, ds: pd.DataFrame | None,
                                 other: Mapping[str, pd.DataFrame], params: StudyParameters) -> pd.DataFrame:
    out = adsl.copy()
    domains = {**other, "DM": dm}
    if ds is not None:
        domains["DS"] = ds[upper_text(ds["DSDECOD"]) != params.death_dsdecod.upper()]
    alive = _latest_alive_date(domains, params)
    seen_alive = out["USUBJID"].map(alive).astype("datetime64[ns]")
    dm_by_subject = dm.set_index("USUBJID")
    death_text = out["USUBJID"].map(column(dm_by_subject, "DTHDTC"))
    if ds is not None:
        death_ds = _disposition_events(ds, params)
        death_ds = death_ds[upper_text(death_ds["DSDECOD"]) == params.death_dsdecod.upper()]
        ds_text = column(filter_extreme(death_ds, ["USUBJID"], [("DSSEQ", True)]).set_index("USUBJID"), "DSSTDTC")
        death_text = death_text.where(death_text.notna(), out["USUBJID"].map(ds_text))
    out["DTHDT"], out["DTHDTF"] = compute_dt(death_text.rename("DTHDTC"), "first", min_dates=[seen_alive])
    died = out["DTHDT"].notna() | (upper_text(out["USUBJID"].map(column(dm_by_subject, "DTHFL"))) == "Y")
    out["DTHFL"] = compute_y_or_null(died)
    out["DTHADY"] = study_day(out["DTHDT"], out["TRTSDT"])
    cutoff = params.cutoff()
    last_alive = seen_alive.where(seen_alive.isna() | (seen_alive <= cutoff), cutoff)
    capped = out["DTHDT"].notna() & (last_alive > out["DTHDT"])
    out["LSTALVDT"] = last_alive.where(~capped, out["DTHDT"]).astype("datetime64[ns]")
    return out


def _latest_alive_date(domains: Mapping[str, pd.DataFrame], params: StudyParameters) -> pd.Series:
    """Latest complete date per subject over the configured DOMAIN.VARIABLE sources that exist."""
    pieces = []
    for source in params.alive_date_sources:
        name, _, variable = source.partition(".")
        frame = domains.get(name)
        if frame is not None and variable not in frame.columns:
            log.warning("%s has no %s: LSTALVDT is derived without it", name, variable)
        if frame is None or variable not in frame.columns or "USUBJID" not in frame.columns:
            continue
        dates = complete_dates(frame[variable])
        pieces.append(pd.DataFrame({"USUBJID": frame["USUBJID"].to_numpy(), "DATE": dates.to_numpy()}))
    if not pieces:
        return pd.Series(dtype="datetime64[ns]")
    return pd.concat(pieces, ignore_index=True).dropna().groupby("USUBJID")["DATE"].max()
