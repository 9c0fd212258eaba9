"""ADTTE: OS, PFS, DOR and TTR, each from a list of event and censoring sources (see `tte`).

Needs ADSL and ADRS. Populations and origins: OS, PFS and TTR for SAFFL = "Y" from STARTDT = TRTSDT;
DOR for confirmed responders (ADRS CRSP = "Y") from the first confirmed CR/PR date.

PFS (FDA guidance conventions, DESIGN.md): event = first PD (ADRS PD, so before any new anti-cancer
therapy) or death (on or before new therapy and the data cut-off). Censoring, in priority order:
  CNSR 4  the first PD/death came after >= `missed_assessments` missed scheduled assessments: censored at
          the last adequate assessment before it (STARTDT when there is none). Missed assessments are
          counted against the planned schedule, see `count_missed_assessments` and `assessment_schedule`;
  CNSR 3  new anti-cancer therapy started (ADSL.NACTDT) before any PD/death: last adequate assessment
          before it (STARTDT when there is none);
  CNSR 1  alive without progression: last adequate assessment;
  CNSR 2  no adequate post-baseline assessment (and no event): STARTDT.
Adequate assessment = ADRS OVR with ANL01FL = "Y" and a response other than NE.
DOR uses the PFS sources from the response date. OS: death (CNSR 0) or last known alive (CNSR 1).
TTR: first confirmed response (CNSR 0), else last adequate assessment (1), else STARTDT (2).
The codes above are written only with `censor_codes_by_reason`; by default every censoring is CNSR 1
(the convention reviewers' tools check: CNSR in {0, 1}) and EVNTDESC/CNSDTDSC carry the reason.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from adam.derive_common import assert_inputs, derive_var_obs_number, merge_adsl, order_columns
from adam.parameters import StudyParameters
from adam.tte import CensorSource, EventSource, derive_param_tte

log = logging.getLogger(__name__)

ADSL_REQUIRED = ("STUDYID", "USUBJID", "TRTSDT", "SAFFL", "DTHDT", "LSTALVDT")
ADRS_REQUIRED = ("USUBJID", "PARAMCD", "AVALC", "ADT", "ANL01FL", "ASEQ")
ADEQUATE = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD")
PARAMS = {
    "OS": (1, "Overall Survival (days)"),
    "PFS": (2, "Progression-Free Survival by Investigator (days)"),
    "DOR": (3, "Duration of Confirmed Response by Investigator (days)"),
    "TTR": (4, "Time to First Confirmed Response by Investigator (days)"),
}
ADSL_CARRIED = ("STUDYID", "SUBJID", "SITEID", "SAFFL", "EFFFL", "TRTA", "TRTSDT")
LAST_ASSESSMENT = "LAST ADEQUATE TUMOR ASSESSMENT"


def _adequate(frame: pd.DataFrame) -> pd.Series:
    return (frame["PARAMCD"] == "OVR") & (frame["ANL01FL"] == "Y") & frame["AVALC"].isin(ADEQUATE)


def os_sources(params: StudyParameters) -> tuple[list[EventSource], list[CensorSource]]:
    cutoff = params.cutoff()
    events = [EventSource("death", "ADSL", "DTHDT", lambda f: f["DTHDT"] <= cutoff,
                          {"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": "DTHDT"})]
    censors = [CensorSource("alive", "ADSL", "LSTALVDT", None,
                            {"EVNTDESC": "ALIVE", "CNSDTDSC": "LAST DATE KNOWN ALIVE", "SRCDOM": "ADSL",
                             "SRCVAR": "LSTALVDT"}, censor=1)]
    return events, censors


def pfs_sources(params: StudyParameters) -> tuple[list[EventSource], list[CensorSource]]:
    cutoff = params.cutoff()
    not_missed = lambda f: f["PFS_MISSED"] != "Y"  # noqa: E731
    events = [
        EventSource("first progression", "ADRS", "ADT",
                    lambda f: (f["PARAMCD"] == "PD") & (f["AVALC"] == "Y") & not_missed(f),
                    {"EVNTDESC": "DISEASE PROGRESSION", "SRCDOM": "ADRS", "SRCVAR": "ADT"}, seq_var="ASEQ"),
        EventSource("death before new therapy and data cut-off", "ADSL", "DTHDT",
                    lambda f: (f["DTHDT"] <= cutoff) & (f["PFS_NACTDT"].isna() | (f["DTHDT"] <= f["PFS_NACTDT"]))
                    & not_missed(f),
                    {"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": "DTHDT"}),
    ]
    missed = {"EVNTDESC": f"PD OR DEATH AFTER >= {params.missed_assessments} MISSED ASSESSMENTS"}
    nact = {"EVNTDESC": "NEW ANTI-CANCER THERAPY BEFORE PD OR DEATH"}
    censors = [
        CensorSource("event after missed assessments", "ADRS", "ADT",
                     lambda f: _adequate(f) & (f["PFS_MISSED"] == "Y") & (f["ADT"] <= f["PFS_PREVADT"]),
                     {**missed, "CNSDTDSC": "LAST ADEQUATE TUMOR ASSESSMENT BEFORE THE MISSED ASSESSMENTS",
                      "SRCDOM": "ADRS", "SRCVAR": "ADT"}, seq_var="ASEQ", censor=4),
        CensorSource("event after missed assessments, none adequate before", "ADSL", "STARTDT",
                     lambda f: f["PFS_MISSED"] == "Y",
                     {**missed, "CNSDTDSC": params.start_date_description, "SRCDOM": "ADSL", "SRCVAR": "TRTSDT"}, censor=4),
        CensorSource("new anti-cancer therapy", "ADRS", "ADT", lambda f: _adequate(f) & f["PFS_NACTDT"].notna(),
                     {**nact, "CNSDTDSC": "LAST ADEQUATE TUMOR ASSESSMENT BEFORE NEW ANTI-CANCER THERAPY",
                      "SRCDOM": "ADRS", "SRCVAR": "ADT"}, seq_var="ASEQ", censor=3),
        CensorSource("new anti-cancer therapy, no adequate assessment before", "ADSL", "STARTDT",
                     lambda f: f["PFS_NACTDT"].notna(),
                     {**nact, "CNSDTDSC": params.start_date_description, "SRCDOM": "ADSL", "SRCVAR": "TRTSDT"}, censor=3),
        CensorSource("alive without progression", "ADRS", "ADT", _adequate,
                     {"EVNTDESC": "ALIVE WITHOUT PROGRESSION", "CNSDTDSC": LAST_ASSESSMENT, "SRCDOM": "ADRS",
                      "SRCVAR": "ADT"}, seq_var="ASEQ", censor=1),
        CensorSource("no adequate post-baseline assessment", "ADSL", "STARTDT", None,
                     {"EVNTDESC": "NO ADEQUATE POST-BASELINE TUMOR ASSESSMENT", "CNSDTDSC": params.start_date_description,
                      "SRCDOM": "ADSL", "SRCVAR": "TRTSDT"}, censor=2),
    ]
    return events, censors


def ttr_sources(params: StudyParameters) -> tuple[list[EventSource], list[CensorSource]]:
    events = [EventSource("first confirmed response", "ADRS", "ADT",
                          lambda f: (f["PARAMCD"] == "CRSP") & (f["AVALC"] == "Y"),
                          {"EVNTDESC": "CONFIRMED RESPONSE (CR OR PR)", "SRCDOM": "ADRS", "SRCVAR": "ADT"},
                          seq_var="ASEQ")]
    censors = [
        CensorSource("no confirmed response", "ADRS", "ADT", _adequate,
                     {"EVNTDESC": "NO CONFIRMED RESPONSE", "CNSDTDSC": LAST_ASSESSMENT, "SRCDOM": "ADRS",
                      "SRCVAR": "ADT"}, seq_var="ASEQ", censor=1),
        CensorSource("no adequate post-baseline assessment", "ADSL", "STARTDT", None,
                     {"EVNTDESC": "NO ADEQUATE POST-BASELINE TUMOR ASSESSMENT", "CNSDTDSC": params.start_date_description,
                      "SRCDOM": "ADSL", "SRCVAR": "TRTSDT"}, censor=2),
    ]
    return events, censors


def create_adtte(adsl: pd.DataFrame, adrs: pd.DataFrame, params: StudyParameters | None = None,
                 tv: pd.DataFrame | None = None) -> pd.DataFrame:
    """Build ADTTE (OS, PFS, DOR, TTR) from ADSL and ADRS.

    `tv` (SDTM TV, optional) gives the planned tumour assessment days of the missed-assessment rule when
    `params.assessment_days` is not set (see `assessment_schedule`)."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "ADRS": adrs}, {"ADSL": ADSL_REQUIRED, "ADRS": ADRS_REQUIRED}, "ADTTE")
    adsl = adsl.copy()
    if "NACTDT" not in adsl.columns:
        adsl["NACTDT"] = pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]")
    treated = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRTSDT"]].rename(columns={"TRTSDT": "STARTDT"})
    responders = adrs.loc[(adrs["PARAMCD"] == "CRSP") & (adrs["AVALC"] == "Y"), ["USUBJID", "ADT"]]
    responders = responders.rename(columns={"ADT": "STARTDT"})
    sources = {"ADSL": adsl, "ADRS": adrs}
    context = compute_pfs_context(adsl, adrs, params, tv)
    parts = [
        derive_param_tte(treated, sources, *os_sources(params), "OS"),
        derive_param_tte(treated, sources, *pfs_sources(params), "PFS", context),
        derive_param_tte(responders, sources, *pfs_sources(params), "DOR", context),
        derive_param_tte(treated, sources, *ttr_sources(params), "TTR"),
    ]
    adtte = pd.concat(parts, ignore_index=True)
    adtte["PARAMN"] = adtte["PARAMCD"].map({k: v[0] for k, v in PARAMS.items()}).astype("Int64")
    adtte["PARAM"] = adtte["PARAMCD"].map({k: v[1] for k, v in PARAMS.items()}).astype("str")
    adtte = merge_adsl(adtte, adsl, ADSL_CARRIED, what="ADTTE records")
    adtte = derive_var_obs_number(adtte, ["USUBJID"], [("PARAMN", True)])
    order = ["STUDYID", "USUBJID", *ADSL_CARRIED[1:], "ASEQ", "PARAMCD", "PARAM", "PARAMN", "STARTDT", "ADT",
             "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]
    if not params.censor_codes_by_reason:  # one censoring code; EVNTDESC/CNSDTDSC still give the reason
        adtte["CNSR"] = adtte["CNSR"].clip(upper=1)
    return order_columns(adtte.sort_values(["USUBJID", "ASEQ"]).reset_index(drop=True), order)


def compute_pfs_context(adsl: pd.DataFrame, adrs: pd.DataFrame, params: StudyParameters,
                        tv: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per subject: was the first PD/death after missed assessments (PFS_MISSED), the last adequate
    assessment date before it (PFS_PREVADT, else TRTSDT) and the new-therapy start (PFS_NACTDT).

    PFS_MISSED = "Y" when `count_missed_assessments` finds >= `params.missed_assessments` scheduled
    assessments missed between PFS_PREVADT and the event; days are counted from TRTSDT (the schedule's origin)."""
    cutoff = params.cutoff()
    subject = adsl.set_index("USUBJID")
    first_pd = adrs[(adrs["PARAMCD"] == "PD") & (adrs["AVALC"] == "Y")].groupby("USUBJID")["ADT"].min()
    death = subject["DTHDT"].where((subject["DTHDT"] <= cutoff)
                                   & (subject["NACTDT"].isna() | (subject["DTHDT"] <= subject["NACTDT"])))
    event = pd.concat([first_pd.reindex(subject.index), death], axis=1).min(axis=1)
    adequate = adrs.loc[_adequate(adrs), ["USUBJID", "ADT", "AVALC"]]
    adequate = adequate.assign(EVENT=adequate["USUBJID"].map(event))
    before = adequate[(adequate["ADT"] < adequate["EVENT"])
                      | ((adequate["ADT"] == adequate["EVENT"]) & (adequate["AVALC"] != "PD"))]
    previous = before.groupby("USUBJID")["ADT"].max().reindex(subject.index)
    previous = previous.where(previous.notna(), subject["TRTSDT"])
    last_day = (previous - subject["TRTSDT"]).dt.days.to_numpy(dtype=float)
    event_day = (event - subject["TRTSDT"]).dt.days.to_numpy(dtype=float)
    horizon = int(np.nanmax(event_day)) if np.isfinite(event_day).any() else 0
    schedule = assessment_schedule(params, adrs, tv, horizon)
    if schedule is None:
        missed = np.zeros(len(subject), dtype=bool)
    else:
        counts = count_missed_assessments(last_day, event_day, *schedule)
        missed = counts >= params.missed_assessments
        log.info("PFS: %d first PD/death(s) after >= %d missed scheduled assessments (censored)",
                 int(missed.sum()), params.missed_assessments)
    return pd.DataFrame({"USUBJID": subject.index,
                         "PFS_MISSED": np.where(missed, "Y", "N"),
                         "PFS_PREVADT": previous.astype("datetime64[ns]").to_numpy(),
                         "PFS_NACTDT": subject["NACTDT"].astype("datetime64[ns]").to_numpy()})


def count_missed_assessments(last_day: np.ndarray, event_day: np.ndarray, nominal_days: np.ndarray,
                             windows: np.ndarray) -> np.ndarray:
    """Per subject, the number of scheduled assessments missed between the last adequate assessment and the event.

    All days count from STARTDT (day 0). `last_day`: the last adequate assessment before the event (0 when
    there is none); `event_day`: the first PD/death (NaN: no event, count 0); `nominal_days` (ascending,
    > 0) and `windows`: the schedule, each assessment due on nominal day +/- window.

    The rule: the last adequate assessment stands for the scheduled visit nearest to it (STARTDT counts
    as a visit on day 0; on a tie, the later visit), so an assessment done early or late in - or just
    outside - its window is that visit and not a missed one. A scheduled assessment after that visit is
    missed when its whole window lies after the last adequate assessment (nominal - window > last_day)
    and had ended before the event (nominal + window < event_day): it should have been done and was not.
    An event inside a visit's window (edges included) does not make that visit missed. An unscheduled
    adequate assessment is a last adequate assessment like any other, so it restarts the count.
    """
    last_day = np.asarray(last_day, dtype=float)
    event_day = np.asarray(event_day, dtype=float)
    nominal = np.asarray(nominal_days, dtype=float)
    windows = np.asarray(windows, dtype=float)
    if nominal.size == 0:
        return np.zeros(len(last_day), dtype=int)
    visits = np.concatenate([[0.0], nominal])  # position 0: STARTDT itself
    distance = np.abs(visits[None, :] - last_day[:, None])
    # argmin on the reversed columns finds the last of equal minima: ties go to the later visit
    stands_for = visits.size - 1 - np.argmin(distance[:, ::-1], axis=1)
    position = np.arange(1, visits.size)
    with np.errstate(invalid="ignore"):  # NaN days (no event, no TRTSDT) compare False: nothing missed
        missed = ((position[None, :] > stands_for[:, None])
                  & ((nominal - windows)[None, :] > last_day[:, None])
                  & ((nominal + windows)[None, :] < event_day[:, None]))
    return missed.sum(axis=1)


def assessment_schedule(params: StudyParameters, adrs: pd.DataFrame, tv: pd.DataFrame | None,
                        horizon: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The planned tumour assessments as (nominal days after STARTDT, +/- windows), or None (logged) when
    the study gives no schedule and the missed-assessment rule is therefore not applied.

    Source, first that applies: `params.assessment_days`; TV's planned visits (VISITDY, study day of
    RFSTDTC = the PFS origin, no day 0) at which ADRS holds overall responses (ADRS VISITNUM, else AVISITN);
    the interval parameters (every `early_assessment_interval_days` up to `early_period_days`, then every
    `late_assessment_interval_days` from there, generated up to `horizon` days). Windows: assessments
    scheduled more than `early_period_days` after STARTDT use `late_assessment_window_days` when given,
    all others `assessment_window_days`."""
    if params.assessment_days:
        days = np.array(sorted(set(params.assessment_days)), dtype=float)
        log.info("PFS missed-assessment rule: schedule from the assessment_days parameter (%d assessments)", days.size)
    else:
        days = _tv_assessment_days(tv, adrs)
        if days is not None:
            log.info("PFS missed-assessment rule: schedule from TV's planned visits with tumour assessments "
                     "(%d visits)", days.size)
        else:
            days = _interval_assessment_days(params, horizon)
            if days is None:
                log.info("no tumour assessment schedule (assessment_days, TV planned visits with ADRS overall "
                         "responses, or early_period_days, early_assessment_interval_days and "
                         "late_assessment_interval_days): PFS censoring for missed assessments is not applied")
                return None
            log.info("PFS missed-assessment rule: schedule from the assessment interval parameters")
    days = days[days > 0]
    windows = np.full(days.size, float(params.assessment_window_days))
    if params.late_assessment_window_days is not None and params.early_period_days is not None:
        windows[days > params.early_period_days] = params.late_assessment_window_days
    return days, windows


def _tv_assessment_days(tv: pd.DataFrame | None, adrs: pd.DataFrame) -> np.ndarray | None:
    """Days after STARTDT of the TV visits at which tumour responses were collected; None if TV cannot say."""
    if tv is None or not {"VISITNUM", "VISITDY"} <= set(tv.columns):
        return None
    visit_var = next((v for v in ("VISITNUM", "AVISITN") if v in adrs.columns), None)
    if visit_var is None:
        return None
    collected = pd.to_numeric(adrs.loc[adrs["PARAMCD"] == "OVR", visit_var], errors="coerce").dropna().unique()
    planned = tv.assign(VISITNUM=pd.to_numeric(tv["VISITNUM"], errors="coerce"),
                        VISITDY=pd.to_numeric(tv["VISITDY"], errors="coerce"))
    planned = planned[planned["VISITNUM"].isin(collected) & planned["VISITDY"].notna()]
    studydays = planned.drop_duplicates(["VISITNUM", "VISITDY"])
    if studydays["VISITNUM"].duplicated().any():  # e.g. arm-specific days: one schedule cannot hold them
        log.warning("TV gives several VISITDY for one VISITNUM: TV not used for the PFS assessment schedule")
        return None
    studydays = studydays["VISITDY"].to_numpy(dtype=float)
    days = np.where(studydays >= 1, studydays - 1, studydays)  # study day 1 = STARTDT = day 0 (no day 0)
    days = np.unique(days[days > 0])
    return days if days.size else None


def _interval_assessment_days(params: StudyParameters, horizon: int) -> np.ndarray | None:
    early, period, late = (params.early_assessment_interval_days, params.early_period_days,
                           params.late_assessment_interval_days)
    if early is None or period is None or late is None or early <= 0 or late <= 0:
        return None
    days = list(range(early, period + 1, early))
    days += list(range(period + late, max(horizon, period) + late + 1, late))
    return np.array(days, dtype=float)
