"""ADTTE: OS, PFS, DOR and TTR, each from a list of event and censoring sources (see `tte`).

Needs ADSL and ADRS. Populations and origins: OS, PFS and TTR for SAFFL = "Y" from STARTDT = TRTSDT;
DOR for confirmed responders (ADRS CRSP = "Y") from the first confirmed CR/PR date.

PFS (FDA guidance conventions, DESIGN.md): event = first PD (ADRS PD, so before any new anti-cancer
therapy) or death (on or before new therapy and the data cut-off). Censoring, in priority order:
  CNSR 4  the first PD/death came after >= `missed_assessments` missed assessments: censored at the last
          adequate assessment before it. Missed means: the gap from that assessment (or STARTDT) to the
          event exceeds missed_assessments x the scheduled interval at that time (early interval during the
          first `early_period_days` after TRTSDT, late interval afterwards) + `assessment_window_days`;
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


def create_adtte(adsl: pd.DataFrame, adrs: pd.DataFrame, params: StudyParameters | None = None) -> pd.DataFrame:
    """Build ADTTE (OS, PFS, DOR, TTR) from ADSL and ADRS."""
    params = params or StudyParameters()
    assert_inputs({"ADSL": adsl, "ADRS": adrs}, {"ADSL": ADSL_REQUIRED, "ADRS": ADRS_REQUIRED}, "ADTTE")
    adsl = adsl.copy()
    if "NACTDT" not in adsl.columns:
        adsl["NACTDT"] = pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]")
    treated = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRTSDT"]].rename(columns={"TRTSDT": "STARTDT"})
    responders = adrs.loc[(adrs["PARAMCD"] == "CRSP") & (adrs["AVALC"] == "Y"), ["USUBJID", "ADT"]]
    responders = responders.rename(columns={"ADT": "STARTDT"})
    sources = {"ADSL": adsl, "ADRS": adrs}
    context = compute_pfs_context(adsl, adrs, params)
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


def compute_pfs_context(adsl: pd.DataFrame, adrs: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """Per subject: was the first PD/death after missed assessments (PFS_MISSED), the last adequate
    assessment date before it (PFS_PREVADT, else TRTSDT) and the new-therapy start (PFS_NACTDT)."""
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
    missed = event.notna() & ((event - previous).dt.days > _missed_allowance(previous - subject["TRTSDT"], params))
    return pd.DataFrame({"USUBJID": subject.index,
                         "PFS_MISSED": np.where(missed, "Y", "N"),
                         "PFS_PREVADT": previous.astype("datetime64[ns]").to_numpy(),
                         "PFS_NACTDT": subject["NACTDT"].astype("datetime64[ns]").to_numpy()})


def _missed_allowance(since_start: pd.Series, params: StudyParameters) -> np.ndarray:
    """Days from the last adequate assessment beyond which the next event counts as after missed
    assessments; without an assessment schedule, never (the rule is not applied)."""
    schedule = (params.early_period_days, params.early_assessment_interval_days,
                params.late_assessment_interval_days)
    if any(value is None for value in schedule):
        log.info("no assessment schedule (early_period_days, early_assessment_interval_days, "
                 "late_assessment_interval_days): PFS censoring for missed assessments is not applied")
        return np.full(len(since_start), np.inf)
    interval = np.where(since_start.dt.days < params.early_period_days, params.early_assessment_interval_days,
                        params.late_assessment_interval_days)
    return params.missed_assessments * interval + params.assessment_window_days
