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
    assert_inputs, column, compute_y_or_null, compute_yn, filter_extreme, upper_text,
)
from adam.parameters import StudyParameters
from formats.isodates import study_day
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

DM_REQUIRED = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM", "ACTARM")
EX_REQUIRED = ("USUBJID", "EXCAT", "EXSTDTC")
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
    adsl = _derive_age_group(adsl, params)
    adsl = _derive_treatment(adsl, ex, params)
    adsl = _derive_populations(adsl, tu, params)
    adsl["TUMTYPE"] = _primary_tumor_type(adsl, mh, params)
    adsl = _derive_disposition(adsl, ds, params)
    adsl["NACTDT"], adsl["NACTDTF"] = compute_new_therapy_date(adsl, cm, params)
    adsl = _derive_death_and_last_alive(adsl, dm, ds, other_domains or {}, params)
    procedures = (other_domains or {}).get("PR")
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
    assert_inputs({"PR": pr}, {"PR": ("USUBJID", "PRTRT", "PRSTDTC")}, "ADSL.APHDT")
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


def _valid_exposure(ex: pd.DataFrame) -> pd.Series:
    dose = pd.to_numeric(column(ex, "EXDOSE"), errors="coerce")
    occurred = upper_text(column(ex, "EXOCCUR")).fillna("Y") != "N"
    return (dose.isna() | (dose > 0)) & occurred


def _derive_treatment(adsl: pd.DataFrame, ex: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    ex = ex[_valid_exposure(ex)]
    category = upper_text(ex["EXCAT"])
    cart = _with_category(ex, category, params.cart_excat).copy()
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
    out["TRTSDTM"] = subjects.map(first["START"]).astype("datetime64[ns]")
    out["TRTSTMF"] = subjects.map(first["STARTTMF"]).astype("str")
    fallback_dtm, _, fallback_tmf = compute_dtm(column(out, "RFSTDTC"))
    use_fallback = out["TRTSDTM"].isna() & fallback_dtm.notna()
    if use_fallback.any():
        log.warning("%d subject(s) have no study-treatment EX record (cart_excat) with a complete date; TRTSDT "
                    "taken from DM.RFSTDTC", int(use_fallback.sum()))
    out["TRTSDTM"] = out["TRTSDTM"].where(~use_fallback, fallback_dtm)
    out["TRTSTMF"] = out["TRTSTMF"].where(~use_fallback, fallback_tmf)
    out["TRTSDT"] = out["TRTSDTM"].dt.floor("D")
    out["TRTEDTM"] = subjects.map(last["END"]).astype("datetime64[ns]").where(~use_fallback, out["TRTSDTM"])
    out["TRTETMF"] = subjects.map(last["ENDTMF"]).astype("str").where(~use_fallback, out["TRTSTMF"])
    out["TRTEDT"] = out["TRTEDTM"].dt.floor("D")
    out["DOSE01A"] = subjects.map(dose).astype(float)
    out["DOSE01U"] = subjects.map(first["EXDOSU"]).astype("str")

    lymphodepletion = _with_category(ex, category, params.lymphodepletion_excat)
    ld_start = complete_dates(lymphodepletion["EXSTDTC"]).groupby(lymphodepletion["USUBJID"]).min()
    out["LDSTDT"] = subjects.map(ld_start).astype("datetime64[ns]")
    rfx = complete_dates(column(out, "RFXSTDTC"))
    out["LDSTDT"] = out["LDSTDT"].where(out["LDSTDT"].notna(), rfx)
    return out


def _with_category(ex: pd.DataFrame, category: pd.Series, excat: str | None) -> pd.DataFrame:
    """The EX records of category `excat` (case-insensitive); every record when no category is set."""
    return ex if excat is None else ex[category == excat.upper()]


def _derive_populations(adsl: pd.DataFrame, tu: pd.DataFrame | None, params: StudyParameters) -> pd.DataFrame:
    out = adsl.copy()
    not_enrolled = upper_text(column(out, "ARMNRS")).isin([t.upper() for t in params.not_enrolled_armnrs])
    out["ENRLFL"] = compute_yn(~not_enrolled)
    treated = out["TRTSDT"].notna()
    out["SAFFL"] = compute_yn(treated)
    out["TRT01P"] = out["ARM"]
    out["TRT01A"] = out["ACTARM"].where(treated)
    out["MDISFL"] = compute_measurable_disease(out, tu, params)
    if tu is None:
        log.warning("TU not given: MDISFL not derived and EFFFL = SAFFL")
        out["EFFFL"] = out["SAFFL"]
    else:
        out["EFFFL"] = compute_yn(treated & (out["MDISFL"] == "Y"))
    return out


def compute_measurable_disease(adsl: pd.DataFrame, tu: pd.DataFrame | None, params: StudyParameters) -> pd.Series:
    if tu is None:
        return pd.Series(None, index=adsl.index, dtype="str")
    assert_inputs({"TU": tu}, {"TU": ("USUBJID", "TUTESTCD", "TUSTRESC")}, "ADSL.MDISFL")
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
    assert_inputs({"MH": mh}, {"MH": ("USUBJID", "MHCAT", params.tumor_type_variable)}, "ADSL.TUMTYPE")
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
    assert_inputs({"DS": ds}, {"DS": ("USUBJID", "DSDECOD", "DSSTDTC")}, "ADSL.EOSSTT")
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
    events["DATE"] = complete_dates(events["DSSTDTC"])
    events["DSSEQ"] = pd.to_numeric(column(events, "DSSEQ"), errors="coerce")
    return events


def compute_new_therapy_date(adsl: pd.DataFrame, cm: pd.DataFrame | None,
                       params: StudyParameters) -> tuple[pd.Series, pd.Series]:
    if cm is None or params.new_therapy_cmcat is None:
        log.warning("%s: NACTDT not derived, no new anti-cancer therapy exclusion or censoring",
                    "CM not given" if cm is None else "no new_therapy_cmcat")
        return (pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]"),
                pd.Series(None, index=adsl.index, dtype="str"))
    assert_inputs({"CM": cm}, {"CM": ("USUBJID", "CMCAT", "CMSTDTC")}, "ADSL.NACTDT")
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
        ds_text = filter_extreme(death_ds, ["USUBJID"], [("DSSEQ", True)]).set_index("USUBJID")["DSSTDTC"]
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
        if frame is None or variable not in frame.columns or "USUBJID" not in frame.columns:
            continue
        dates = complete_dates(frame[variable])
        pieces.append(pd.DataFrame({"USUBJID": frame["USUBJID"].to_numpy(), "DATE": dates.to_numpy()}))
    if not pieces:
        return pd.Series(dtype="datetime64[ns]")
    return pd.concat(pieces, ignore_index=True).dropna().groupby("USUBJID")["DATE"].max()
