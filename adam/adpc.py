"""ADPC (BDS: one record per concentration sample) and ADPP (BDS: NCA parameters per subject and analyte).

`create_adpc(adsl, cp=None, pc=None, params)` reads CP (cellular kinetics, e.g. CAR+ T cells by flow
cytometry) and/or PC (concentrations, e.g. a secreted antibody by ELISA); `create_adpp(adpc, params)` runs
the NCA of `adam.nca` on every subject's profile of every analyte. Both are pure; every value that cannot
be derived is counted in a logged WARNING.

ADPC (needs ADSL USUBJID, TRTSDT; TRTSDTM when present. Per domain D in CP/PC: USUBJID, DSEQ, DTESTCD,
DTEST, DSTRESN, DDTC; optional DSTRESC, DSTRESU, DSPEC, DLLOQ, DSTAT, VISIT, VISITNUM, VISITDY, DTPT,
DTPTNUM, DELTM and for CP DSBMRKS, DCELSTA):

- An **analyte** is one (domain, --TESTCD, --SBMRKS, --CELSTA, --SPEC). PARAMCD = --TESTCD; PARAM = --TEST,
  the sub-markers and cell state when given, "in" --SPEC, and the unit in brackets ("TLym Sub/TLym MSLN-CAR+
  in BLOOD (%)"); PARCAT1 = --SPEC. Two analytes sharing a --TESTCD (one test in two specimens or two cell
  subsets) share PARAMCD: logged, and PARCAT1/PARAM tell them apart. AVALU = the analyte's --STRESU.
  SRCDOM/SRCVAR/SRCSEQ = domain, --STRESN, --SEQ.
- **BLQ**: BLQFL = "Y" when --STRESC starts with "<" or is one of `pk_blq_results`, or --STRESN is below the
  LLOQ. ALLOQ = --LLOQ, else the `pk_lloq` value of the test. A record with --STAT = NOT DONE has no
  result; a text result that is neither BLQ nor numeric (">ULOQ") has a null AVAL, counted.
- **AVAL** = --STRESN; a BLQ record gets the value of its position's rule (`nca_blq_before_first`,
  `nca_blq_between`, `nca_blq_after_last`: ZERO, MISSING = null, HALF_LLOQ, LLOQ), positions counted among
  the profile's measurable samples taken at or after the dose (by the NCA time); BLQ samples before the
  dose follow the before-first rule. The same rules are applied again, identically, by ADPP's NCA.
- **Times** (unit `pk_time_unit`, HOURS or DAYS, in FRLTU): AFRLT = ADTM - TRTSDTM (the dose: the infusion;
  TRTSDT at 00:00 when ADSL has no TRTSDTM, counted). A sample or dose without a time of day gives a null
  AFRLT in HOURS and the difference of the dates in DAYS (counted either way). NFRLT = the nominal day of
  the visit (VISITDY - 1 from day 1 on, VISITDY before it: SDTM has no day 0) plus the planned time within
  it: --ELTM (ISO 8601 duration) when present, else --TPTNUM when `pk_tptnum_unit` says it is a time. The
  nominal day counts from RFSTDTC (SDTM's reference); where ADSL's RFSTDTC date is not TRTSDT the records
  are counted in a warning.
- ADTM/ADT from --DTC (no imputation), ADY relative to TRTSDT. AVISIT/AVISITN = VISIT/VISITNUM,
  ATPT/ATPTN = --TPT/--TPTNUM.
- ANL01FL = "Y" on the records the NCA uses: a dosed subject (TRTSDT), NCA time (`nca_time`: ACTUAL =
  AFRLT, NOMINAL = NFRLT) at or after 0 and an AVAL. ADPP reads these records only.
- ASEQ 1..n per subject by PARAMCD, PARCAT1, time, SRCDOM, SRCSEQ.

ADPP (one record per subject, analyte and NCA parameter; `adam.nca` defines each):
PARAMCD CMAX, TMAX, CLST, TLST, AUCLST (CDISC PK parameter codes and names), AUC<n><H|D> (AUC from 0 to
`nca_partial_auc_end`, when set) and TALLOQ (time above LLOQ); PARCAT1 = the analyte's ADPC PARAMCD,
PARCAT2 = its specimen (ADPC PARCAT1), PARCAT3 = its ADPC PARAM (which tells cell subsets sharing a
--TESTCD apart; the profiles are per subject and ADPC PARAMCD, PARCAT1 and PARAM), PARAM = the
parameter's name; AVALU from the analyte's unit and
`pk_time_unit` ("h", "d"; AUC "h*ug/L"). The AUC method is `nca_auc_method`. A parameter the NCA cannot
derive has a null AVAL, counted in a WARNING per parameter and reason.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import numpy as np
import pandas as pd

from adam.dates import compute_dtm
from adam.derive_common import assert_inputs, column, compute_y_or_null, merge_adsl, order_columns, upper_text
from adam.nca import AUC_METHODS, TIME_ZERO, BlqRules, apply_blq_rules, blq_value, nca
from adam.parameters import StudyParameters
from formats.isodates import study_day
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

DOMAINS = ("CP", "PC")
ADSL_REQUIRED = ("USUBJID", "TRTSDT")
ADSL_MERGED = ("SUBJID", "SITEID", "AGE", "SEX", "SAFFL", "TRTA", "TRTSDT", "TRTSDTM")
TIME_UNITS = {"HOURS": pd.Timedelta(hours=1), "DAYS": pd.Timedelta(days=1), "MINUTES": pd.Timedelta(minutes=1)}
UNIT_SYMBOL = {"HOURS": "h", "DAYS": "d"}
ANALYTE = ["SRCDOM", "PARAMCD", "PARCAT1", "_SBMRKS", "_CELSTA"]
PROFILE = ["USUBJID", *ANALYTE]
NCA_PARAMETERS = (  # (PARAMCD, PARAM, NcaResult field, unit kind)
    ("CMAX", "Max Conc", "cmax", "conc"),
    ("TMAX", "Time of CMAX", "tmax", "time"),
    ("CLST", "Last Nonzero Conc", "clast", "conc"),
    ("TLST", "Time of Last Nonzero Conc", "tlast", "time"),
    ("AUCLST", "AUC to Last Nonzero Conc", "auclast", "auc"),
    ("TALLOQ", "Time Above LLOQ", "time_above_lloq", "time"),
)


# ------------------------------------------------------------------------------------------------ ADPC
def create_adpc(adsl: pd.DataFrame, cp: pd.DataFrame | None = None, pc: pd.DataFrame | None = None,
                params: StudyParameters | None = None) -> pd.DataFrame:
    """ADPC from CP and/or PC (see the module doc); at least one of them must be given."""
    params = params or StudyParameters()
    _check_parameters(params)
    sources = {name: frame for name, frame in (("CP", cp), ("PC", pc)) if frame is not None}
    if not sources:
        raise DerivationError("cannot derive ADPC: neither CP nor PC was given",
                              [Problem("CP/PC", "ADPC needs CP or PC")])
    required = {"ADSL": ADSL_REQUIRED}
    required.update({d: tuple(f"{d}{v}" if v != "USUBJID" else v for v in
                              ("USUBJID", "SEQ", "TESTCD", "TEST", "STRESN", "DTC")) for d in sources})
    assert_inputs({"ADSL": adsl, **sources}, required, "ADPC")
    lloq_by_test = _lloq_table(params.pk_lloq)
    records = pd.concat([_records(d, frame, params, lloq_by_test) for d, frame in sources.items()],
                        ignore_index=True)
    records = merge_adsl(records, adsl, [*ADSL_MERGED, "RFSTDTC"], "ADPC records")
    records = _derive_times(records, params)
    records = _derive_aval(records, params)
    records = records.sort_values(["USUBJID", "PARAMCD", "PARCAT1", "_NCATIME", "SRCDOM", "SRCSEQ"],
                                  kind="stable", na_position="last")
    records["ASEQ"] = records.groupby("USUBJID").cumcount() + 1
    records = records.drop(columns=[c for c in records.columns if c.startswith("_")] + ["RFSTDTC"],
                           errors="ignore").reset_index(drop=True)
    return order_columns(records, ["STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ", "SRCDOM", "SRCVAR", "SRCSEQ",
                                   "PARAMCD", "PARAM", "PARCAT1", "AVAL", "AVALU", "ALLOQ", "BLQFL", "ADTM", "ADT",
                                   "ADY", "AVISIT", "AVISITN", "ATPT", "ATPTN", "NFRLT", "AFRLT", "FRLTU",
                                   "ANL01FL"])


def _check_parameters(params: StudyParameters) -> None:
    problems = []
    if params.pk_time_unit not in UNIT_SYMBOL:
        problems.append(Problem("pk_time_unit", f"must be HOURS or DAYS, not {params.pk_time_unit!r}"))
    if params.pk_tptnum_unit is not None and params.pk_tptnum_unit not in TIME_UNITS:
        problems.append(Problem("pk_tptnum_unit", f"must be HOURS, DAYS or MINUTES, not {params.pk_tptnum_unit!r}"))
    if params.nca_auc_method not in AUC_METHODS:
        problems.append(Problem("nca_auc_method", f"must be one of {', '.join(AUC_METHODS)}"))
    if params.nca_time not in ("ACTUAL", "NOMINAL"):
        problems.append(Problem("nca_time", f"must be ACTUAL or NOMINAL, not {params.nca_time!r}"))
    if params.nca_time_zero not in TIME_ZERO:
        problems.append(Problem("nca_time_zero", f"must be one of {', '.join(TIME_ZERO)}"))
    try:
        _rules(params)
    except ValueError as err:
        problems.append(Problem("nca_blq_*", str(err)))
    if problems:
        raise DerivationError("bad ADPC/ADPP parameters", problems)


def _rules(params: StudyParameters) -> BlqRules:
    return BlqRules(params.nca_blq_before_first, params.nca_blq_between, params.nca_blq_after_last)


def _lloq_table(entries: tuple[str, ...]) -> dict[str, float]:
    table, problems = {}, []
    for entry in entries:
        test, sep, value = entry.partition("=")
        try:
            if not sep or not test.strip():
                raise ValueError
            table[test.strip().upper()] = float(value)
        except ValueError:
            problems.append(Problem("pk_lloq", f"{entry!r} is not TESTCD=number"))
    if problems:
        raise DerivationError("bad pk_lloq entries", problems)
    return table


def _records(domain: str, frame: pd.DataFrame, params: StudyParameters,
             lloq_by_test: dict[str, float]) -> pd.DataFrame:
    """One domain's records in ADPC's shape: analyte, result, BLQ flag, LLOQ, visit and time point."""
    d = domain
    for name, consequence in {f"{d}STRESU": "AVALU and the unit in PARAM null", f"{d}SPEC": "PARCAT1 null",
                              f"{d}STRESC": "BLQ only from STRESN < LLOQ", "VISITDY": "NFRLT null",
                              "VISIT": "AVISIT null", "VISITNUM": "AVISITN null"}.items():
        if name not in frame.columns:
            log.warning("%s has no %s: %s", d, name, consequence)

    def text(name: str) -> pd.Series:
        values = column(frame, name)
        return values.astype("str").str.strip().where(values.notna(), "").fillna("")

    out = pd.DataFrame({
        "STUDYID": column(frame, "STUDYID"), "USUBJID": frame["USUBJID"], "SRCDOM": d, "SRCVAR": f"{d}STRESN",
        "SRCSEQ": pd.to_numeric(frame[f"{d}SEQ"], errors="coerce"),
        "PARAMCD": text(f"{d}TESTCD"), "_TEST": text(f"{d}TEST"), "_SBMRKS": text(f"{d}SBMRKS"),
        "_CELSTA": text(f"{d}CELSTA"), "PARCAT1": text(f"{d}SPEC"), "_UNIT": text(f"{d}STRESU"),
        "_STRESN": pd.to_numeric(frame[f"{d}STRESN"], errors="coerce"), "_STRESC": text(f"{d}STRESC"),
        "_NOTDONE": upper_text(text(f"{d}STAT")) == "NOT DONE", "_DTC": frame[f"{d}DTC"],
        "AVISIT": column(frame, "VISIT"), "AVISITN": pd.to_numeric(column(frame, "VISITNUM"), errors="coerce"),
        "_VISITDY": pd.to_numeric(column(frame, "VISITDY"), errors="coerce"),
        "ATPT": column(frame, f"{d}TPT"), "ATPTN": pd.to_numeric(column(frame, f"{d}TPTNUM"), errors="coerce"),
        "_ELTM": column(frame, f"{d}ELTM"),
    }, index=frame.index)
    alloq = pd.to_numeric(column(frame, f"{d}LLOQ"), errors="coerce")
    fallback = out["PARAMCD"].str.upper().map(lloq_by_test)
    out["ALLOQ"] = alloq.where(alloq.notna(), fallback).astype(float)

    blq_text = upper_text(out["_STRESC"])
    blq = blq_text.str.startswith("<") | blq_text.isin([v.strip().upper() for v in params.pk_blq_results])
    blq |= out["_STRESN"].notna() & out["ALLOQ"].notna() & (out["_STRESN"] < out["ALLOQ"])
    blq &= ~out["_NOTDONE"]
    out["_BLQ"] = blq
    out["BLQFL"] = compute_y_or_null(blq)
    no_result = out["_STRESN"].isna() & ~blq
    not_done = no_result & out["_NOTDONE"]
    other_text = no_result & ~out["_NOTDONE"] & (out["_STRESC"] != "")
    empty = no_result & ~out["_NOTDONE"] & (out["_STRESC"] == "")
    if not_done.any():
        log.info("%s: %d record(s) not done (%sSTAT): AVAL null", d, int(not_done.sum()), d)
    if other_text.any():
        examples = ", ".join(repr(v) for v in sorted(out.loc[other_text, "_STRESC"].unique())[:5])
        log.warning("%s: %d record(s) with a text result that is neither numeric nor BLQ (%s): AVAL null",
                    d, int(other_text.sum()), examples)
    if empty.any():
        log.warning("%s: %d record(s) without a result and not marked NOT DONE: AVAL null", d, int(empty.sum()))
    no_lloq = blq & out["ALLOQ"].isna()
    if no_lloq.any():
        log.warning("%s: %d BLQ record(s) without an LLOQ (no %sLLOQ, no pk_lloq entry): rules needing the "
                    "LLOQ give null", d, int(no_lloq.sum()), d)

    # the analyte's PARAM and unit
    units = out[out["_UNIT"] != ""].groupby(ANALYTE, dropna=False)["_UNIT"].agg(lambda s: sorted(set(s)))
    several = units[units.map(len) > 1]
    for key, found in several.items():
        log.warning("%s: analyte %s reported in %d units (%s); AVALU is the first", d, key[1], len(found),
                    ", ".join(found))
    unit_of = units.map(lambda found: found[0])
    keys = pd.MultiIndex.from_frame(out[ANALYTE])
    out["AVALU"] = pd.Series(unit_of.reindex(keys).to_numpy(), index=out.index, dtype="str")
    described = (out["_TEST"] + (" " + out["_SBMRKS"]).where(out["_SBMRKS"] != "", "")
                 + (" " + out["_CELSTA"]).where(out["_CELSTA"] != "", "")
                 + (" in " + out["PARCAT1"]).where(out["PARCAT1"] != "", ""))
    out["PARAM"] = described + (" (" + out["AVALU"] + ")").where(out["AVALU"].notna(), "")
    shared = out.drop_duplicates(ANALYTE).groupby("PARAMCD").size()
    for code, count in shared[shared > 1].items():
        log.warning("%s: %d analytes share PARAMCD %s (specimens or cell subsets); PARCAT1 and PARAM tell them "
                    "apart", d, count, code)
    return out.reset_index(drop=True)


def _iso_duration(values: pd.Series, unit: pd.Timedelta) -> pd.Series:
    """ISO 8601 durations ("PT2H", "-PT30M", "P1DT6H") in `unit`; NaN where empty or not a duration."""
    pattern = re.compile(r"^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                         r"(?:(\d+(?:\.\d+)?)S)?)?$")

    def one(value: object) -> float:
        match = pattern.match(str(value).strip()) if isinstance(value, str) else None
        if not match or not any(match.groups()[1:]):
            return np.nan
        sign, days, hours, minutes, seconds = match.groups()
        total = pd.Timedelta(days=float(days or 0), hours=float(hours or 0), minutes=float(minutes or 0),
                             seconds=float(seconds or 0))
        return (-1 if sign else 1) * (total / unit)

    return values.map(one).astype(float)


def _derive_times(out: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    out = out.copy()
    unit = TIME_UNITS[params.pk_time_unit]
    out["FRLTU"] = params.pk_time_unit
    adtm, _, tmf = compute_dtm(out["_DTC"].astype("str").where(out["_DTC"].notna(), None))
    has_time = adtm.notna() & (tmf != "H")  # the hour is known (missing minutes/seconds are 0, flagged M/S)
    out["ADTM"] = adtm.where(has_time)
    out["ADT"] = adtm.dt.floor("D")
    trtsdt = pd.to_datetime(out["TRTSDT"]).dt.floor("D")
    out["ADY"] = study_day(out["ADT"], trtsdt)
    if "TRTSDTM" in out.columns:
        reference = pd.to_datetime(out["TRTSDTM"])
    else:
        reference = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    no_dose_time = reference.isna() & trtsdt.notna()
    if no_dose_time.any():
        log.warning("ADPC: %d record(s) of %d subject(s) without TRTSDTM: the dose is taken at 00:00 of TRTSDT",
                    int(no_dose_time.sum()), out.loc[no_dose_time, "USUBJID"].nunique())
    reference = reference.where(~no_dose_time, trtsdt)
    exact = has_time & ~no_dose_time & reference.notna()
    afrlt = (out["ADTM"] - reference) / unit
    if params.pk_time_unit == "DAYS":
        by_date = (out["ADT"] - trtsdt).dt.days.astype(float)
        afrlt = afrlt.where(exact, by_date)
        inexact = ~exact & by_date.notna()
        if inexact.any():
            log.warning("ADPC: %d record(s) without a sample or dose time of day: AFRLT is the difference of the "
                        "dates (days)", int(inexact.sum()))
    else:
        inexact = ~exact & out["ADT"].notna() & trtsdt.notna()
        afrlt = afrlt.where(exact)
        if inexact.any():
            log.warning("ADPC: %d record(s) without a sample or dose time of day: AFRLT null (hours need times)",
                        int(inexact.sum()))
    no_date = out["ADT"].isna() | trtsdt.isna()
    if no_date.any():
        log.warning("ADPC: %d record(s) without a complete sample date or without TRTSDT (not dosed): AFRLT null",
                    int(no_date.sum()))
    out["AFRLT"] = afrlt.astype(float)

    visitdy = out["_VISITDY"]
    day = visitdy.where(visitdy < 1, visitdy - 1)
    within = _iso_duration(out["_ELTM"], unit)
    if params.pk_tptnum_unit is not None:
        within = within.where(within.notna(), out["ATPTN"] * (TIME_UNITS[params.pk_tptnum_unit] / unit))
    out["NFRLT"] = (day * (pd.Timedelta(days=1) / unit) + within.fillna(0)).astype(float)
    if visitdy.isna().any():
        log.warning("ADPC: %d record(s) without VISITDY: NFRLT null", int(visitdy.isna().sum()))
    if "RFSTDTC" in out.columns:
        rfst = pd.to_datetime(out["RFSTDTC"].astype("str").str[:10], errors="coerce")
        shifted = rfst.notna() & trtsdt.notna() & (rfst != trtsdt)
        if shifted.any():
            log.warning("ADPC: %d record(s) of subjects whose RFSTDTC is not TRTSDT: NFRLT counts VISITDY from "
                        "RFSTDTC", int(shifted.sum()))
    # the NCA runs on dosed subjects only (a nominal time exists without a dose)
    out["_NCATIME"] = (out["AFRLT"] if params.nca_time == "ACTUAL" else out["NFRLT"]).where(trtsdt.notna())
    return out


def _derive_aval(out: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    out = out.copy()
    rules = _rules(params)
    aval = out["_STRESN"].where(~out["_BLQ"]).to_numpy(float, copy=True)
    time = out["_NCATIME"].to_numpy(float)
    post = np.isfinite(time) & (time >= 0)
    for _, rows in out.groupby(PROFILE, dropna=False, sort=False).indices.items():
        rows = np.asarray(rows)
        after = rows[post[rows]]
        if len(after):
            aval[after] = apply_blq_rules(time[after], out["_STRESN"].to_numpy(float)[after],
                                          out["_BLQ"].to_numpy(bool)[after], out["ALLOQ"].to_numpy(float)[after],
                                          rules)
    blq = out["_BLQ"].to_numpy(bool)
    before = blq & np.isfinite(time) & (time < 0)
    aval[before] = [blq_value(rules.before_first, limit) for limit in out["ALLOQ"].to_numpy(float)[before]]
    untimed = blq & ~np.isfinite(time)
    if untimed.any():
        log.warning("ADPC: %d BLQ record(s) without an NCA time (%s) or of a subject not dosed: AVAL null, their "
                    "position in the profile is unknown", int(untimed.sum()),
                    "AFRLT" if params.nca_time == "ACTUAL" else "NFRLT")
    out["AVAL"] = aval
    out["ANL01FL"] = compute_y_or_null(pd.Series(post & np.isfinite(aval), index=out.index))
    return out


# ------------------------------------------------------------------------------------------------ ADPP
def create_adpp(adpc: pd.DataFrame, params: StudyParameters | None = None) -> pd.DataFrame:
    """ADPP: the NCA parameters of every subject's profile of every analyte in ADPC (see the module doc)."""
    params = params or StudyParameters()
    _check_parameters(params)
    time_var = "AFRLT" if params.nca_time == "ACTUAL" else "NFRLT"
    assert_inputs({"ADPC": adpc}, {"ADPC": ("USUBJID", "PARAMCD", "AVAL", "BLQFL", "ALLOQ", "ANL01FL", time_var)},
                  "ADPP")
    frame = adpc.assign(PARCAT1=column(adpc, "PARCAT1"), PARAM=column(adpc, "PARAM"), AVALU=column(adpc, "AVALU"),
                        SRCDOM=column(adpc, "SRCDOM"), STUDYID=column(adpc, "STUDYID"))
    time = pd.to_numeric(frame[time_var], errors="coerce")
    blq = frame["BLQFL"] == "Y"
    # ANL01FL says which records the NCA uses; BLQ records the rules dropped (null AVAL) are not needed: the
    # rules, applied again by nca(), give the kept BLQ records the same values (their positions are unchanged)
    used = frame[(column(frame, "ANL01FL") == "Y") & time.notna() & (time >= 0)]
    rules = _rules(params)
    end = params.nca_partial_auc_end
    symbol = UNIT_SYMBOL[params.pk_time_unit]
    parameters = list(NCA_PARAMETERS)
    if end is not None:
        parameters.insert(5, (f"AUC{end}{symbol[0].upper()}", f"AUC from 0 to {end} {symbol}", "auc_partial", "auc"))
    too_long = [code for code, *_ in parameters if len(code) > 8]
    if too_long:
        raise DerivationError("ADPP PARAMCD longer than 8 characters",
                              [Problem("nca_partial_auc_end", f"{code} is longer than 8 characters")
                               for code in too_long])
    rows, unset, multi_lloq = [], Counter(), 0
    group_keys = ["STUDYID", "USUBJID", "SRCDOM", "PARAMCD", "PARCAT1", "PARAM"]
    # one pass over arrays sorted by profile (a groupby yields a sub-frame per profile: 20 times slower)
    ordered = used.sort_values(group_keys, kind="stable", na_position="last")
    profile_ids = ordered.groupby(group_keys, dropna=False, sort=False).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, profile_ids[1:] != profile_ids[:-1]]) if len(ordered) else np.array([], int)
    bounds = np.r_[starts, len(ordered)]
    key_columns = [[None if pd.isna(v) else v for v in ordered[c].to_numpy(object)[starts]] for c in group_keys]
    times = pd.to_numeric(ordered[time_var], errors="coerce").to_numpy(float)
    values = ordered["AVAL"].to_numpy(float)
    flags = (ordered["BLQFL"] == "Y").to_numpy(bool)
    limits_all = pd.to_numeric(ordered["ALLOQ"], errors="coerce").to_numpy(float)
    units_all = ordered["AVALU"].to_numpy(object)
    for number, (first, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        key = [column[number] for column in key_columns]
        limits = np.unique(limits_all[first:stop][~np.isnan(limits_all[first:stop])])
        if len(limits) > 1:
            multi_lloq += 1
        lloq = float(limits.max()) if len(limits) else None
        result = nca(times[first:stop], values[first:stop], lloq=lloq, blq=flags[first:stop], rules=rules,
                     method=params.nca_auc_method, partial_end=end, time_zero=params.nca_time_zero)
        unit = next((u for u in units_all[first:stop] if isinstance(u, str) and u), None)
        units = {"conc": unit, "time": symbol, "auc": f"{symbol}*{unit}" if unit else None}
        for code, name, attribute, kind in parameters:
            value = getattr(result, attribute)
            if np.isnan(value):
                unset[(code, result.reasons.get(attribute, "not derived"))] += 1
            rows.append({"STUDYID": key[0], "USUBJID": key[1], "SRCDOM": key[2], "PARCAT1": key[3],
                         "PARCAT2": key[4], "PARCAT3": key[5], "PARAMCD": code, "PARAM": name, "AVAL": value,
                         "AVALU": units[kind]})
    if multi_lloq:
        log.warning("ADPP: %d profile(s) with more than one LLOQ: the highest is used for TALLOQ", multi_lloq)
    for (code, reason), count in sorted(unset.items()):
        log.warning("ADPP: %s null for %d profile(s): %s", code, count, reason)
    columns = ["STUDYID", "USUBJID", "SRCDOM", "PARCAT1", "PARCAT2", "PARCAT3", "PARAMCD", "PARAM", "AVAL", "AVALU"]
    out = pd.DataFrame(rows, columns=columns)
    out["AVAL"] = out["AVAL"].astype(float)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    merged = [v for v in ("SUBJID", "SITEID", "AGE", "SEX", "SAFFL", "TRTA", "TRTSDT", "TRTSDTM")
              if v in adpc.columns]
    if merged:
        subjects = adpc.drop_duplicates("USUBJID")[["USUBJID", *merged]]
        out = out.merge(subjects, on="USUBJID", how="left")
    return order_columns(out, ["STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ", "PARCAT1", "PARCAT2", "PARAMCD",
                               "PARAM", "AVAL", "AVALU"])
