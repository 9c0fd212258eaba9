"""Named domain steps that `derive` Mapping rows call: what a spec row cannot say as a simple assignment.

Each step is `step(frame, ctx, dataset, variable, **arguments)` and returns a Series (for `variable`)
or a DataFrame (several variables). Arguments come from the Mapping row as text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from formats.isodates import complete_date, study_day as compute_study_day
from sdtm import findings, identifiers
from sdtm.engine import DomainContext
from sdtm.frames import as_text
from specs.errors import MappingError

STEPS: dict[str, Callable] = {}


def step(name: str):
    def register(fn: Callable) -> Callable:
        STEPS[name] = fn
        return fn
    return register


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _need(frame: pd.DataFrame, dataset: str, step_name: str, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MappingError(f"{dataset}: step {step_name} needs {', '.join(missing)}, which no earlier Mapping row "
                           f"fills")


def _by_subject(ctx: DomainContext, frame: pd.DataFrame, domain: str, variable: str) -> pd.Series:
    source = ctx.domain(domain)
    return frame["USUBJID"].map(pd.Series(source[variable].to_numpy(), index=source["USUBJID"].to_numpy()))


@step("usubjid")
def usubjid(frame, ctx, dataset, variable, **_):
    _need(frame, dataset, "usubjid", "__subject")
    studyid = frame["STUDYID"].astype(str) if "STUDYID" in frame.columns else ctx.studyid
    return as_text(identifiers.compute_usubjid(studyid, frame["__subject"]))


@step("seq")
def seq(frame, ctx, dataset, variable, keys=None, **_):
    keys = _columns(keys) or list(ctx.spec.dataset(dataset).key_variables)
    prefix = dataset[4:] if dataset.startswith("SUPP") else dataset
    return identifiers.derive_seq(frame, prefix, keys)


@step("study_day")
def study_day(frame, ctx, dataset, variable, dtc, **_):
    _need(frame, dataset, "study_day", dtc, "USUBJID")
    return compute_study_day(frame[dtc], _by_subject(ctx, frame, "DM", "RFSTDTC")).astype("Float64")


@step("epoch")
def epoch(frame, ctx, dataset, variable, dtc, **_):
    _need(frame, dataset, "epoch", dtc, "USUBJID")
    return identifiers.derive_epoch(frame[dtc], frame["USUBJID"], ctx.domain("SE"))


@step("visit")
def visit(frame, ctx, dataset, variable, date=None, dtc=None, **_):
    """VISITNUM, VISIT, VISITDY of the record's EDC folder; SV defines the subject's visits, others look up."""
    _need(frame, dataset, "visit", "__subject", "__folder", "__instance")
    date = date or dtc
    if "visits" not in ctx.lookups:
        if not date:
            raise MappingError(f"{dataset}: the visit step that defines the visits needs date=<variable>")
        ctx.lookups["visits"] = identifiers.number_unscheduled_visits(
            pd.DataFrame({"USUBJID": frame["__subject"], "FOLDER": frame["__folder"],
                          "INSTANCE": frame["__instance"], "DATE": frame[date]}),
            planned_visits(ctx.spec))
    table = ctx.lookups["visits"].drop_duplicates(["USUBJID", "FOLDER", "INSTANCE"])
    keyed = pd.DataFrame({"USUBJID": frame["__subject"].to_numpy(), "FOLDER": frame["__folder"].to_numpy(),
                          "INSTANCE": frame["__instance"].to_numpy()})
    found = keyed.merge(table, on=["USUBJID", "FOLDER", "INSTANCE"], how="left")
    missing = found["VISITNUM"].isna() & keyed["FOLDER"].notna() & (keyed["FOLDER"] != "LOG")
    ctx.report(dataset, "VISITNUM", frame, pd.Series(missing.to_numpy(), index=frame.index),
               lambda v: f"visit {v!r} has no visit-date record in SV", pd.Series(
                   (keyed["FOLDER"] + " / " + keyed["INSTANCE"]).to_numpy(), index=frame.index), severity="warning")
    return pd.DataFrame({"VISITNUM": found["VISITNUM"].astype(float).to_numpy(),
                         "VISIT": as_text(found["VISIT"]).to_numpy(),
                         "VISITDY": found["VISITDY"].astype(float).to_numpy()}, index=frame.index)


def planned_visits(spec) -> pd.DataFrame:
    """TV rows with the EDC folder each planned visit is collected in (the TV sheet's FOLDER column)."""
    tv = pd.DataFrame(list(spec.trial_design_table("TV").records()))
    if "FOLDER" not in tv.columns:
        raise MappingError("the TV sheet needs a FOLDER column naming the EDC folder of each planned visit")
    return tv.assign(VISITNUM=pd.to_numeric(tv["VISITNUM"]), VISITDY=pd.to_numeric(tv.get("VISITDY")))


@step("lobxfl")
def lobxfl(frame, ctx, dataset, variable, by, dtc, result=None, **_):
    result = result or f"{dataset}ORRES"
    group = ["USUBJID", *_columns(by)]
    _need(frame, dataset, "lobxfl", *group, dtc, result)
    return findings.last_observation_before_exposure(frame, group, dtc, result,
                                                     _by_subject(ctx, frame, "DM", "RFXSTDTC"))


@step("nrind")
def nrind(frame, ctx, dataset, variable, **_):
    d = dataset
    _need(frame, dataset, "nrind", f"{d}STRESN")
    low = frame.get(f"{d}STNRLO", pd.Series(np.nan, index=frame.index))
    high = frame.get(f"{d}STNRHI", pd.Series(np.nan, index=frame.index))
    return findings.reference_range_indicator(frame[f"{d}STRESN"], low, high)


@step("copy")
def copy(frame, ctx, dataset, variable, source, **_):
    """Copy another variable of the same record (e.g. --ENDTC = --STDTC for a single administration)."""
    _need(frame, dataset, "copy", source)
    return frame[source]


@step("dm_reference_dates")
def dm_reference_dates(frame, ctx, dataset, variable, treatment_category=None,
                       first_exposure_categories=None, end_of_study="STUDY PARTICIPATION", **_):
    """RFSTDTC = the first dose of EXCAT `treatment_category` (without one, the first EX record of any
    category); RFXSTDTC/RFXENDTC = first/last protocol treatment (any EX); RFENDTC = the
    end-of-study disposition date (DS with DSSCAT `end_of_study`), else RFXENDTC (method MT.DM.RFENDTC);
    RFPENDTC = the last date the subject is known in the study (any complete date in the built domains)."""
    ex = ctx.domain("EX")
    infusion = ex if treatment_category is None else ex[ex["EXCAT"] == treatment_category]
    first_infusion = _first_by_subject(infusion, "EXSTDTC", last=False)
    exposures = ex if not first_exposure_categories else ex[ex["EXCAT"].isin(_columns(first_exposure_categories))]
    first = _first_by_subject(exposures, "EXSTDTC", last=False)
    last = _first_by_subject(exposures, "EXENDTC", last=True)
    subjects = frame["USUBJID"]
    out = pd.DataFrame(index=frame.index)
    out["RFSTDTC"] = as_text(subjects.map(first_infusion))
    out["RFXSTDTC"] = as_text(subjects.map(first))
    out["RFXENDTC"] = as_text(subjects.map(last))
    ds = ctx.domains.get("DS")
    ended = pd.Series(dtype=object)
    if ds is not None and {"DSSCAT", "DSSTDTC", "USUBJID"} <= set(ds.columns):
        ended = _first_by_subject(ds[ds["DSSCAT"] == end_of_study], "DSSTDTC", last=True)
    out["RFENDTC"] = as_text(subjects.map(ended)).fillna(out["RFXENDTC"])
    out["RFPENDTC"] = as_text(subjects.map(last_known_dates(ctx, frame)))
    return out[["RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFPENDTC"]]


def _first_by_subject(frame: pd.DataFrame, dtc: str, last: bool) -> pd.Series:
    """Earliest (or latest) ISO value per USUBJID, compared as text (ISO 8601 sorts as text)."""
    values = frame[["USUBJID", dtc]].dropna()
    values = values[values[dtc].astype(str).str.len() > 0]
    grouped = values.groupby("USUBJID")[dtc]
    return grouped.max() if last else grouped.min()


def last_known_dates(ctx: DomainContext, dm: pd.DataFrame) -> pd.Series:
    """Latest complete date per subject over every --DTC of the domains built so far and DM's own dates."""
    candidates = []
    for name, domain in [*ctx.domains.items(), ("DM", dm)]:
        for column in domain.columns:
            if column.endswith("DTC") and "USUBJID" in domain.columns:
                when = complete_date(domain[column])
                candidates.append(pd.DataFrame({"USUBJID": domain["USUBJID"].to_numpy(), "when": when.to_numpy()}))
    if not candidates:
        return pd.Series(dtype=object)
    stacked = pd.concat(candidates).dropna()
    latest = stacked.groupby("USUBJID")["when"].max()
    return latest.dt.strftime("%Y-%m-%d")


@step("stresu")
def stresu(frame, ctx, dataset, variable, unit, **arguments):
    """--STRESU = `unit` on records with a result (SD0029: no unit without a value); `from` = "unit:factor,
    ..." converts other units to it (kept for stresc/stnr)."""
    result = frame.get(f"{dataset}ORRES", pd.Series("x", index=frame.index))
    has_result = result.notna() & (result.astype("str").str.strip() != "")
    return pd.DataFrame({variable: pd.Series(unit, index=frame.index, dtype="str").where(has_result),
                         "__conversions": arguments.get("from", "")}, index=frame.index)


def _standardized(frame, dataset, orres_column, too_small=None):
    d = dataset
    orresu = frame.get(f"{d}ORRESU", pd.Series([None] * len(frame), index=frame.index))
    stresu = frame.get(f"{d}STRESU", pd.Series([None] * len(frame), index=frame.index))
    conversions = frame.get("__conversions", pd.Series([""] * len(frame), index=frame.index))
    return findings.standardize_results(frame[orres_column], orresu, stresu, conversions, too_small=too_small)


@step("stresc")
def stresc(frame, ctx, dataset, variable, too_small=None, **_):
    """--STRESC from --ORRES in the standard unit: numbers converted, qualifiers such as "<" kept."""
    _need(frame, dataset, "stresc", f"{dataset}ORRES")
    _after_stresu(frame, ctx, dataset, "stresc")
    out = _standardized(frame, dataset, f"{dataset}ORRES", too_small)
    ctx.report_problems(dataset, variable, frame, out["PROBLEM"], frame[f"{dataset}ORRES"])
    return out["STRESC"]


def _after_stresu(frame, ctx, dataset: str, step_name: str) -> None:
    """Converting before the standard unit is set would label unconverted numbers with it: refuse."""
    sets_unit = any(r.argument("function") == "stresu" for r in ctx.spec.mappings_of(dataset))
    if sets_unit and f"{dataset}STRESU" not in frame.columns:
        raise MappingError(f"{dataset}: the {step_name} step runs before any stresu row sets {dataset}STRESU; "
                           f"order the Mapping sheet so that stresu rows come first")


@step("stresn")
def stresn(frame, ctx, dataset, variable, **_):
    """--STRESN = --STRESC as a number when it holds one without a qualifier (FDAB031)."""
    _need(frame, dataset, "stresn", f"{dataset}STRESC")
    text = frame[f"{dataset}STRESC"].astype("string").str.strip()
    plain = text.str.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?").fillna(False).astype(bool)
    return pd.to_numeric(text.where(plain), errors="coerce").astype(float)


@step("stnr")
def stnr(frame, ctx, dataset, variable, orres, **_):
    """--STNRLO/--STNRHI: the collected range limit in `orres`, converted like the result."""
    _need(frame, dataset, "stnr", orres)
    _after_stresu(frame, ctx, dataset, "stnr")
    out = _standardized(frame, dataset, orres)
    ctx.report_problems(dataset, variable, frame, out["NUMBER_PROBLEM"], frame[orres])
    return out["STRESN"]


@step("toxgr")
def toxgr(frame, ctx, dataset, variable, **_):
    """AETOXGR: the grade number 1-5 of a raw grade ("Grade 3", "3", "G3"); anything else is reported."""
    _need(frame, dataset, "toxgr", variable)
    raw = frame[variable].astype("string").str.strip()
    number = raw.str.extract(r"^(?:GRADE|GR|G)?\s*([1-5])$", flags=2)[0]  # re.IGNORECASE
    bad = raw.notna() & raw.ne("") & number.isna()
    ctx.report(dataset, variable, frame, bad.fillna(False).astype(bool),
               lambda v: f"{v!r} is not a CTCAE grade 1-5", raw)
    return as_text(number)


_COUNTRIES = {"CHINA": "CHN", "CHN": "CHN", "CN": "CHN", "PEOPLE'S REPUBLIC OF CHINA": "CHN", "PRC": "CHN",
              "UNITED STATES": "USA", "USA": "USA", "US": "USA", "UNITED STATES OF AMERICA": "USA",
              "JAPAN": "JPN", "JPN": "JPN", "GERMANY": "DEU", "DEU": "DEU", "UNITED KINGDOM": "GBR", "GBR": "GBR",
              "FRANCE": "FRA", "FRA": "FRA", "CANADA": "CAN", "CAN": "CAN", "KOREA, REPUBLIC OF": "KOR",
              "SOUTH KOREA": "KOR", "KOR": "KOR", "TAIWAN": "TWN", "TWN": "TWN", "AUSTRALIA": "AUS", "AUS": "AUS"}


@step("iso3166_alpha3")
def iso3166_alpha3(frame, ctx, dataset, variable, **_):
    """COUNTRY as ISO 3166-1 alpha-3 from a country name or code as collected; unknown names reported."""
    _need(frame, dataset, "iso3166_alpha3", variable)
    raw = frame[variable].astype("string").str.strip().str.upper()
    code = raw.map(_COUNTRIES)
    bad = raw.notna() & raw.ne("") & code.isna()
    ctx.report(dataset, variable, frame, bad.fillna(False).astype(bool),
               lambda v: f"{v!r} is not a country name or ISO 3166 code trialforge knows", raw)
    return as_text(code)


@step("ietest")
def ietest(frame, ctx, dataset, variable, **_):
    """IETEST: the criterion text of the record's IETESTCD from the TI sheet."""
    _need(frame, dataset, "ietest", "IETESTCD")
    ti = pd.DataFrame(list(ctx.spec.trial_design_table("TI").records()))
    return as_text(frame["IETESTCD"].map(pd.Series(ti["IETEST"].to_numpy(), index=ti["IETESTCD"].to_numpy())))


@step("tu_lnkid")
def tu_lnkid(frame, ctx, dataset, variable, **_):
    """--LNKID: the lesion identifier as collected, upper case, number zero-padded ("t1" -> "T01")."""
    _need(frame, dataset, "tu_lnkid", variable)
    raw = frame[variable].astype("string").str.strip().str.upper()
    parts = raw.str.extract(r"^([A-Z]+)\s*0*(\d+)$")
    padded = parts[0] + parts[1].str.zfill(2)
    return as_text(padded.where(parts[1].notna(), raw))


@step("lnkgrp")
def lnkgrp(frame, ctx, dataset, variable, **_):
    """--LNKGRP: the assessment a record belongs to, named by its visit ("V12"); same in TR and RS."""
    _need(frame, dataset, "lnkgrp", "VISITNUM")
    group = as_text(frame["VISITNUM"].map(lambda v: None if pd.isna(v) else f"V{v:g}"))
    status = frame.get(f"{dataset}STAT")
    if status is not None:  # an assessment not done has no measurements to link to
        group = group.mask(status.astype("str").str.upper() == "NOT DONE")
    return group


@step("armcd")
def armcd(frame, ctx, dataset, variable, **_):
    """ARMCD/ARM for every subject who reached leukapheresis (the only arm, from TA); ACTARMCD/ACTARM for
    those infused (RFSTDTC). Otherwise ARMNRS: "ASSIGNED, NOT TREATED" (or "NOT ASSIGNED" before
    leukapheresis), ACTARMUD left null (CT C142179; SDTMIG 3.4 DM assumption 4)."""
    _need(frame, dataset, "armcd", "RFSTDTC", "USUBJID")
    ta = pd.DataFrame(list(ctx.spec.trial_design_table("TA").records()))
    arms = ta[["ARMCD", "ARM"]].drop_duplicates()
    if len(arms) != 1:
        raise MappingError("armcd assigns the single arm of a single-arm study; TA has "
                           f"{len(arms)} arms, so ARMCD needs to be collected and mapped instead")
    code, name = arms.iloc[0]["ARMCD"], arms.iloc[0]["ARM"]
    assigned = frame["USUBJID"].isin(ctx.domain("PR")["USUBJID"]) if "PR" in ctx.domains else \
        pd.Series(True, index=frame.index)
    treated = frame["RFSTDTC"].notna()
    out = pd.DataFrame(index=frame.index)
    out["ARMCD"] = np.where(assigned, code, None)
    out["ARM"] = np.where(assigned, name, None)
    out["ACTARMCD"] = np.where(treated, code, None)
    out["ACTARM"] = np.where(treated, name, None)
    out["ARMNRS"] = np.where(treated, None, np.where(assigned, "ASSIGNED, NOT TREATED", "NOT ASSIGNED"))
    out["ACTARMUD"] = None
    return out.astype(object).where(out.notna(), None)


@step("dthfl")
def dthfl(frame, ctx, dataset, variable, dtc="DTHDTC", **_):
    """DTHFL = Y when DTHDTC is present, DS has a DEATH record, or an AE was fatal (SD1254/SD1255)."""
    dead = frame[dtc].notna() if dtc in frame.columns else pd.Series(False, index=frame.index)
    if "DS" in ctx.domains and "DSDECOD" in ctx.domains["DS"].columns:
        ds = ctx.domains["DS"]
        dead |= frame["USUBJID"].isin(ds.loc[ds["DSDECOD"] == "DEATH", "USUBJID"])
    if "AE" in ctx.domains:
        ae = ctx.domains["AE"]
        fatal = ae.get("AESDTH", pd.Series(dtype=object)).eq("Y") | ae.get("AEOUT", pd.Series(dtype=object)).eq(
            "FATAL")
        dead |= frame["USUBJID"].isin(ae.loc[fatal.reindex(ae.index, fill_value=False), "USUBJID"])
    return pd.Series(np.where(dead, "Y", None), index=frame.index, dtype=object)
