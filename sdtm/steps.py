"""Named domain steps that `derive` Mapping rows call: what a spec row cannot say as a simple assignment.

Each step is `step(frame, ctx, dataset, variable, **arguments)` and returns a Series (for `variable`)
or a DataFrame (several variables). Arguments come from the Mapping row as text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sdtm import findings, identifiers
from sdtm.dates import complete_date, study_day as compute_study_day
from sdtm.engine import DomainContext
from sdtm.frames import as_text, nulls
from sdtm.units import conversion_factors
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
    studyid = frame["STUDYID"] if "STUDYID" in frame.columns else ctx.studyid
    return as_text(pd.Series(studyid, index=frame.index).astype(str) + "-" + frame["__subject"].astype(str).str.strip())


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
def visit(frame, ctx, dataset, variable, date=None, **_):
    """VISITNUM, VISIT, VISITDY of the record's EDC folder; SV defines the subject's visits, others look up."""
    _need(frame, dataset, "visit", "__subject", "__folder", "__instance")
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
def lobxfl(frame, ctx, dataset, variable, by, dtc, result, **_):
    group = ["USUBJID", *_columns(by)]
    _need(frame, dataset, "lobxfl", *group, dtc, result)
    return findings.last_observation_before_exposure(frame, group, dtc, result,
                                                     _by_subject(ctx, frame, "DM", "RFXSTDTC"))


@step("standard_results")
def standard_results(frame, ctx, dataset, variable, testcd=None, **_):
    """--STRESC/--STRESN/--STRESU (and converted --STNRLO/--STNRHI) in the spec's standard units."""
    d = dataset
    testcd = testcd or f"{d}TESTCD"
    _need(frame, dataset, "standard_results", f"{d}ORRES", testcd)
    units = standard_units(ctx.spec, d)
    orresu = frame.get(f"{d}ORRESU", pd.Series([None] * len(frame), index=frame.index))
    out = findings.standardize_results(frame[f"{d}ORRES"], orresu, frame[testcd], units, conversion_factors())
    ctx.report(d, f"{d}STRESC", frame, out["PROBLEM"].notna(), lambda v: v, out["PROBLEM"])
    result = pd.DataFrame({f"{d}STRESC": out["STRESC"], f"{d}STRESN": out["STRESN"], f"{d}STRESU": out["STRESU"]})
    for limit in ("NRLO", "NRHI"):
        if f"{d}OR{limit}" in frame.columns:
            converted = findings.standardize_results(frame[f"{d}OR{limit}"], orresu, frame[testcd], units,
                                                     conversion_factors())
            result[f"{d}ST{limit}"] = converted["STRESN"]
    return result


def standard_units(spec, dataset: str) -> dict[str, str]:
    """TESTCD -> standard unit from the value-level Assigned Value of --STRESU (`--TESTCD EQ X`)."""
    units: dict[str, str] = {}
    for vlm in spec.value_level_of(dataset, f"{dataset}STRESU"):
        if vlm.assigned_value and vlm.where is not None:
            for condition in vlm.where.conditions:
                if condition.variable == f"{dataset}TESTCD" and condition.comparator in ("EQ", "IN"):
                    units.update({value: vlm.assigned_value for value in condition.values})
    return units


@step("nrind")
def nrind(frame, ctx, dataset, variable, **_):
    d = dataset
    _need(frame, dataset, "nrind", f"{d}STRESN")
    low = frame.get(f"{d}STNRLO", pd.Series(np.nan, index=frame.index))
    high = frame.get(f"{d}STNRHI", pd.Series(np.nan, index=frame.index))
    return findings.reference_range_indicator(frame[f"{d}STRESN"], low, high)


@step("stat_not_done")
def stat_not_done(frame, ctx, dataset, variable, **_):
    """--STAT = NOT DONE where the record has no result (SDTMIG: ORRES null then)."""
    result = frame.get(f"{dataset}ORRES", pd.Series([None] * len(frame), index=frame.index))
    values = pd.Series(np.where(result.isna(), "NOT DONE", None), index=frame.index, dtype=object)
    return values.where(values.notna(), None)


@step("copy")
def copy(frame, ctx, dataset, variable, source, **_):
    """Copy another variable of the same record (e.g. --ENDTC = --STDTC for a single administration)."""
    _need(frame, dataset, "copy", source)
    return frame[source]


@step("dm_reference_dates")
def dm_reference_dates(frame, ctx, dataset, variable, treatment_category="CAR-T",
                       first_exposure_categories=None, **_):
    """RFSTDTC/RFENDTC = the CAR-T infusion; RFXSTDTC/RFXENDTC = first/last protocol treatment (any EX);
    RFPENDTC = the last date the subject is known in the study (any complete date in the built domains)."""
    ex = ctx.domain("EX")
    infusion = ex[ex["EXCAT"] == treatment_category]
    first_infusion = _first_by_subject(infusion, "EXSTDTC", last=False)
    exposures = ex if not first_exposure_categories else ex[ex["EXCAT"].isin(_columns(first_exposure_categories))]
    first = _first_by_subject(exposures, "EXSTDTC", last=False)
    last = _first_by_subject(exposures, "EXENDTC", last=True)
    subjects = frame["USUBJID"]
    out = pd.DataFrame(index=frame.index)
    out["RFSTDTC"] = as_text(subjects.map(first_infusion))
    out["RFENDTC"] = as_text(subjects.map(_first_by_subject(infusion, "EXENDTC", last=True)))
    out["RFXSTDTC"] = as_text(subjects.map(first))
    out["RFXENDTC"] = as_text(subjects.map(last))
    out["RFPENDTC"] = as_text(subjects.map(last_known_dates(ctx, frame)))
    return out


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


@step("arm")
def arm(frame, ctx, dataset, variable, armcd, arm, not_treated="ASSIGNED, NOT TREATED", **_):
    """Single-arm study: every enrolled subject is assigned ARMCD; ACTARMCD only for the treated (RFSTDTC),
    the never-infused get ARMNRS (SDTMIG 3.4 DM assumption; CT C142179)."""
    _need(frame, dataset, "arm", "RFSTDTC")
    treated = frame["RFSTDTC"].notna()
    out = pd.DataFrame(index=frame.index)
    out["ARMCD"] = armcd
    out["ARM"] = arm
    out["ACTARMCD"] = pd.Series(np.where(treated, armcd, None), index=frame.index, dtype=object)
    out["ACTARM"] = pd.Series(np.where(treated, arm, None), index=frame.index, dtype=object)
    out["ARMNRS"] = pd.Series(np.where(treated, None, not_treated), index=frame.index, dtype=object)
    return out.astype(object).where(out.notna(), None)


@step("dthfl")
def dthfl(frame, ctx, dataset, variable, dtc="DTHDTC", **_):
    _need(frame, dataset, "dthfl", dtc)
    return pd.Series(np.where(frame[dtc].notna(), "Y", None), index=frame.index, dtype=object)


@step("subject_elements")
def subject_elements(frame, ctx, dataset, variable, **_):
    raise MappingError("subject_elements builds SE as a whole; call sdtm.study.build_se instead")


@step("link_id")
def link_id(frame, ctx, dataset, variable, source, **_):
    """A link id (--LNKID) from a raw lesion number, upper-cased and trimmed ("t01" -> "T01")."""
    _need(frame, dataset, "link_id", source)
    return as_text(frame[source].astype("string").str.strip().str.upper())


@step("link_group")
def link_group(frame, ctx, dataset, variable, **_):
    """--LNKGRP: the assessment a record belongs to, named by its visit (same in TR and RS)."""
    _need(frame, dataset, "link_group", "VISITNUM")
    number = frame["VISITNUM"]
    text = number.map(lambda v: None if pd.isna(v) else f"V{v:g}")
    return as_text(text)


__all__ = ["STEPS", "planned_visits", "standard_units", "nulls"]
