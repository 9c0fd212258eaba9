"""ADAE (OCCDS, adverse events): one record per AE record, with analysis dates, flags and groupings.

Needs ADSL and AE; SUPPAE is optional (its QNAMs become variables, ASTCTGR from `astct_grade_qnam`).
The AE variables are kept (except DOMAIN and the SDTM study days); SUBJID, SITEID, AGE, SEX, SAFFL, TRTSDT,
LDSTDT and TRTA (= ADSL.TRT01A) come from ADSL.

- ASTDT/ASTDTF: AESTDTC imputed to the first possible date, raised to LDSTDT when the partial date's
  range contains it (so an AE starting "in the month of lymphodepletion" may be treatment-emergent),
  and never after the AE's own complete end date (see `dates.compute_dt`).
- AENDT/AENDTF: AEENDTC imputed to the last possible date, but not after death or the data cut-off.
- ASTDY/AENDY relative to TRTSDT, no day 0.
- TRTEMFL = "Y" when ASTDT >= LDSTDT (first dose of `lymphodepletion_excat`, else of any EX record). An AE
  with no start date at all is treatment-emergent when its end is unknown or on/after LDSTDT (conservative,
  as admiral's default).
- AREL = "RELATED" when AEREL is one of `related_aerel`, "NOT RELATED" otherwise; a missing AEREL
  counts as related when `missing_relationship_is_related` (else AREL stays null).
- ATOXGR/ATOXGRN from AETOXGR.
- Occurrence flags among TRTEMFL = "Y": AOCCFL/AOCCSFL/AOCCPFL first by ASTDT, AESEQ within subject /
  SOC (AEBODSYS) / PT (AEDECOD); AOCCIFL/AOCCSIFL/AOCCPIFL first by highest ATOXGRN, then ASTDT, AESEQ.
- CQ01NAM = crs_query_name for PTs in `crs_terms`, CQ02NAM = neurotoxicity_query_name for PTs in
  `neurotoxicity_terms` (case-insensitive); null when the study sets no query name.
- Cell-therapy toxicities (CRS, ICANS) are read through those groups with both grades: ATOXGRN (CTCAE) and
  ASTCTGRN (the ASTCT consensus grade, numeric). Onset is ASTDY (from TRTSDT, the infusion); ADURN/ADURU =
  AENDT - ASTDT + 1 in DAYS (null while the event is ongoing or its start unknown); RESOLFL = "Y" when
  AEOUT is one of `resolved_aeout`, "N" for another outcome, null without one.
- AOCC01FL/AOCC02FL = "Y" on the subject's first treatment-emergent event of CQ01/CQ02 with the highest
  ASTCT grade (then the highest CTCAE grade, then by ASTDT, AESEQ): the event a "worst grade" table counts.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from adam.dates import complete_dates, compute_dt
from adam.derive_common import (
    assert_inputs, column, compute_y_or_null, derive_var_extreme_flag, merge_adsl, order_columns, upper_text,
    warn_absent,
)
from adam.parameters import StudyParameters
from formats.isodates import study_day

log = logging.getLogger(__name__)

AE_REQUIRED = ("STUDYID", "USUBJID", "AESEQ", "AEDECOD")
AE_OPTIONAL = {
    "AESTDTC": "ASTDT, ASTDY left null (TRTEMFL from the end date, as for an unknown start)",
    "AEENDTC": "AENDT, AENDY left null",
    "AEREL": "AREL from missing_relationship_is_related for every AE",
    "AETOXGR": "ATOXGR, ATOXGRN left null (AOCC*IFL by date)",
    "AEBODSYS": "AOCCSFL, AOCCSIFL left null",
    "AEOUT": "RESOLFL left null",
}
ADSL_REQUIRED = ("USUBJID", "TRTSDT", "LDSTDT")
ADSL_MERGED = ("SUBJID", "SITEID", "AGE", "SEX", "SAFFL", "TRTA", "TRTSDT", "LDSTDT")
# read by the derivations only: DTHDT bounds AENDT. SDTM's DOMAIN and study days (AESTDY/AEENDY, relative
# to RFSTDTC) are not carried: ASTDY/AENDY are the analysis days.
ADSL_INTERNAL = ("DTHDT",)
AE_DROPPED = ("DOMAIN", "AESTDY", "AEENDY")


def create_adae(adsl: pd.DataFrame, ae: pd.DataFrame, suppae: pd.DataFrame | None = None,
                params: StudyParameters | None = None) -> pd.DataFrame:
    """Build ADAE from ADSL + AE (+ SUPPAE)."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "AE": ae}, {"ADSL": ADSL_REQUIRED, "AE": AE_REQUIRED}, "ADAE")
    warn_absent(ae, "AE", AE_OPTIONAL)
    adae = ae.drop(columns=[c for c in AE_DROPPED if c in ae.columns]).reset_index(drop=True)
    adae["AESEQ"] = pd.to_numeric(adae["AESEQ"], errors="coerce")
    if suppae is not None and len(suppae):
        adae = merge_supp(adae, suppae, "AE")
    if params.astct_grade_qnam and params.astct_grade_qnam in adae.columns:
        adae["ASTCTGR"] = adae[params.astct_grade_qnam]
    elif params.astct_grade_qnam:
        log.warning("%s: ASTCTGR not derived", "SUPPAE not given" if suppae is None
                    else f"SUPPAE has no QNAM {params.astct_grade_qnam}")
    adae = merge_adsl(adae, adsl, ADSL_MERGED + ADSL_INTERNAL, what="AE records")
    adae = derive_analysis_dates(adae, params)
    adae["TRTEMFL"] = compute_trtemfl(adae["ASTDT"], adae["AENDT"], adae["LDSTDT"])
    adae["AREL"] = compute_arel(column(adae, "AEREL"), params)
    adae["ATOXGR"] = column(adae, "AETOXGR").astype("str")
    adae["ATOXGRN"] = pd.to_numeric(adae["ATOXGR"], errors="coerce").astype("Int64")
    adae = derive_occurrence_flags(adae)
    decod = upper_text(adae["AEDECOD"])
    adae["CQ01NAM"] = _query(decod, params.crs_terms, params.crs_query_name)
    adae["CQ02NAM"] = _query(decod, params.neurotoxicity_terms, params.neurotoxicity_query_name)
    adae = derive_cell_therapy_toxicity(adae, params)
    adae = adae.drop(columns=[c for c in ADSL_INTERNAL if c in adae.columns])
    adae = order_columns(adae, ("STUDYID", "USUBJID", *ADSL_MERGED))
    return adae.sort_values(["USUBJID", "AESEQ"], kind="mergesort").reset_index(drop=True)


def merge_supp(parent: pd.DataFrame, supp: pd.DataFrame, domain: str) -> pd.DataFrame:
    """Supplemental qualifiers as variables of the parent records (by IDVAR/IDVARVAL; IDVAR null = subject)."""
    assert_inputs({f"SUPP{domain}": supp}, {f"SUPP{domain}": ("USUBJID", "QNAM", "QVAL")}, f"AD{domain}")
    out = parent
    warn_absent(supp, f"SUPP{domain}", {"IDVAR": "every qualifier taken as a subject-level one"})
    idvar = column(supp, "IDVAR")
    if "IDVARVAL" not in supp.columns and idvar.notna().any():
        log.warning("SUPP%s has no IDVARVAL: its record-level qualifiers (IDVAR %s) are left null", domain,
                    ", ".join(sorted(idvar.dropna().astype(str).unique())))
        supp, idvar = supp[idvar.isna()], idvar[idvar.isna()]
    for name, group in supp.groupby(idvar.fillna(""), sort=True):
        wide = group.pivot_table(index=["USUBJID", "IDVARVAL"] if name else ["USUBJID"], columns="QNAM",
                                 values="QVAL", aggfunc="first").reset_index()
        wide.columns.name = None
        keys = ["USUBJID"]
        if name:
            if name not in parent.columns:
                log.warning("SUPP%s IDVAR %s is not a variable of %s; those qualifiers are ignored", domain, name, domain)
                continue
            wide[name] = _like(wide.pop("IDVARVAL"), parent[name])
            keys.append(name)
        qnams = [c for c in wide.columns if c not in keys]
        out = out.drop(columns=[q for q in qnams if q in out.columns]).merge(wide, on=keys, how="left")
    return out


def _like(values: pd.Series, target: pd.Series) -> pd.Series:
    """IDVARVAL text converted to the type of the parent variable it points at."""
    if pd.api.types.is_numeric_dtype(target):
        return pd.to_numeric(values, errors="coerce")
    return values.astype("str").str.strip()


def derive_analysis_dates(adae: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """ASTDT/ASTDTF, AENDT/AENDTF, ASTDY, AENDY (see module doc)."""
    out = adae.copy()
    end_complete = complete_dates(column(out, "AEENDTC"))
    start = column(out, "AESTDTC").rename("AESTDTC")
    out["ASTDT"], out["ASTDTF"] = compute_dt(start, "first", min_dates=[out["LDSTDT"]], max_dates=[end_complete])
    cutoff = params.cutoff()
    out["AENDT"], out["AENDTF"] = compute_dt(column(out, "AEENDTC"), "last", min_dates=[out["ASTDT"]],
                                             max_dates=[column(out, "DTHDT"), cutoff])
    out["ASTDY"] = study_day(out["ASTDT"], out["TRTSDT"])
    out["AENDY"] = study_day(out["AENDT"], out["TRTSDT"])
    return out


def compute_trtemfl(astdt: pd.Series, aendt: pd.Series, ldstdt: pd.Series) -> pd.Series:
    """"Y" when the AE starts on/after the first lymphodepletion dose (see module doc for no start date)."""
    started_after = astdt.notna() & (astdt >= ldstdt)
    unknown_start = astdt.isna() & ldstdt.notna() & (aendt.isna() | (aendt >= ldstdt))
    return compute_y_or_null(started_after | unknown_start)


def compute_arel(aerel: pd.Series, params: StudyParameters) -> pd.Series:
    """AEREL sponsor terms -> RELATED / NOT RELATED."""
    text = upper_text(aerel)
    related = text.isin([t.upper() for t in params.related_aerel])
    values = np.where(related, "RELATED", "NOT RELATED").astype(object)
    missing = text.isna().to_numpy()
    values[missing] = "RELATED" if params.missing_relationship_is_related else None
    return pd.Series(values, index=aerel.index, dtype="str")


def derive_occurrence_flags(adae: pd.DataFrame) -> pd.DataFrame:
    """AOCC*FL (first occurrence) and AOCC*IFL (first of the highest grade) among TEAEs."""
    out = adae.copy()
    emergent = out["TRTEMFL"] == "Y"
    by_date = [("ASTDT", True), ("AESEQ", True)]
    by_grade = [("ATOXGRN", False), ("ASTDT", True), ("AESEQ", True)]
    levels = {"": ["USUBJID"], "S": ["USUBJID", "AEBODSYS"], "P": ["USUBJID", "AEBODSYS", "AEDECOD"]}
    for suffix, by in levels.items():
        if any(b not in out.columns for b in by):
            out[f"AOCC{suffix}FL"] = out[f"AOCC{suffix}IFL"] = pd.Series(None, index=out.index, dtype="str")
            continue
        out = derive_var_extreme_flag(out, by, by_date, f"AOCC{suffix}FL", where=emergent)
        out = derive_var_extreme_flag(out, by, by_grade, f"AOCC{suffix}IFL", where=emergent)
    return out


def derive_cell_therapy_toxicity(adae: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """ASTCTGRN, ADURN/ADURU, RESOLFL and the worst-grade flags of the CRS and ICANS groups (module doc)."""
    out = adae.copy()
    astct = column(out, "ASTCTGR")
    out["ASTCTGRN"] = pd.to_numeric(astct, errors="coerce").astype("Int64")
    unreadable = astct.notna() & (astct.astype("str").str.strip() != "") & out["ASTCTGRN"].isna()
    if unreadable.any():
        log.warning("ADAE: %d ASTCT grade(s) are not numbers (%s): ASTCTGRN left null", int(unreadable.sum()),
                    ", ".join(sorted(map(repr, astct[unreadable].astype("str").unique()))[:5]))
    days = (out["AENDT"] - out["ASTDT"]).dt.days + 1
    out["ADURN"] = days.astype("Int64")
    out["ADURU"] = pd.Series(np.where(days.notna(), "DAYS", None).astype(object), index=out.index, dtype="str")
    outcome = upper_text(column(out, "AEOUT"))
    resolved = outcome.isin([o.upper() for o in params.resolved_aeout])
    out["RESOLFL"] = pd.Series(np.where(outcome.isna(), None, np.where(resolved, "Y", "N")).astype(object),
                               index=out.index, dtype="str")
    emergent = out["TRTEMFL"] == "Y"
    order = [("ASTCTGRN", False), ("ATOXGRN", False), ("ASTDT", True), ("AESEQ", True)]
    for group, flag in (("CQ01NAM", "AOCC01FL"), ("CQ02NAM", "AOCC02FL")):
        out = derive_var_extreme_flag(out, ["USUBJID"], order, flag, where=emergent & out[group].notna())
    return out


def _query(decod: pd.Series, terms: tuple[str, ...], name: str | None) -> pd.Series:
    hit = decod.isin([t.upper() for t in terms]) & (name is not None)
    return pd.Series(np.where(hit, name, None).astype(object), index=decod.index, dtype="str")
