"""RECIST 1.1 best overall response, unconfirmed and confirmed, as data plus one vectorised engine.

A best response is chosen by a list of `ResponseEvent`s: the first event in the list that any of a
subject's assessments satisfies wins, and its earliest such assessment gives ADT and the source record.
Thresholds (`confirm_days`, `max_nr_ne`, `accept_sd`, `sd_min_days`) come from `StudyParameters`.

Confirmed BOR (the semantics of admiralonco's derive_param_confirmed_bor, re-derived here):
- a CR is confirmed by the first later CR >= confirm_days after it, with only CR/NE in between and at most
  max_nr_ne NE;
- a PR is confirmed by the first later CR or PR >= confirm_days after it, with only CR/PR/NE in between
  (plus at most one SD if accept_sd), at most max_nr_ne NE, and no PR after a CR;
- SD: a CR, PR or SD at least sd_min_days after the reference date (`response_reference_date`, TRTSDT by
  default); NON-CR/NON-PD likewise; then PD; then NE.
One deliberate difference (admiralonco#275; RECIST 1.1 BOR table, digest section 4): with
`reappearance_after_cr_is_pd`, a PR, SD or NON-CR/NON-PD after a CR means the disease came back, so that
assessment counts as PD for the confirmed BOR and later assessments are ignored. CR then PR therefore
gives SD when the CR met the SD minimum, else PD.

Confirmation is found without per-subject loops: each CR/PR assessment is joined to the later
assessments of the same subject (O(n*k), k = assessments per subject), then grouped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from adam.parameters import StudyParameters

RESPONSE_CODES: Mapping[str, int] = {
    "CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7,
}
RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
KEYS = ["USUBJID", "ADT", "SRCSEQ"]  # sort order of assessments within a subject


@dataclass(frozen=True)
class ResponseEvent:
    """One candidate outcome of a best-response derivation.

    `condition` receives the prepared assessments (AVALC, RESP, ADT, DAYS since the reference
    date, CONFIRMED)
    and returns which of them qualify; `set_values` is written on the resulting record.
    """

    description: str
    condition: Callable[[pd.DataFrame], pd.Series]
    set_values: Mapping[str, object] = field(default_factory=dict)
    dataset_name: str = "ADRS.OVR"


def bor_events(params: StudyParameters) -> list[ResponseEvent]:
    """Best overall response without confirmation (admiralonco BOR order)."""
    late = _late(params)
    return [
        ResponseEvent("complete response", lambda a: a["RESP"] == "CR", {"AVALC": "CR"}),
        ResponseEvent("partial response", lambda a: a["RESP"] == "PR", {"AVALC": "PR"}),
        ResponseEvent(f"stable disease >= {params.sd_min_days} days after {params.response_reference_date}",
                      lambda a: (a["RESP"] == "SD") & late(a), {"AVALC": "SD"}),
        ResponseEvent(f"NON-CR/NON-PD >= {params.sd_min_days} days after {params.response_reference_date}",
                      lambda a: (a["RESP"] == "NON-CR/NON-PD") & late(a), {"AVALC": "NON-CR/NON-PD"}),
        ResponseEvent("progressive disease", lambda a: a["RESP"] == "PD", {"AVALC": "PD"}),
        ResponseEvent("not evaluable (incl. SD too early)", lambda a: a["RESP"].isin(RESPONSES), {"AVALC": "NE"}),
    ]


def confirmed_bor_events(params: StudyParameters) -> list[ResponseEvent]:
    """Best overall response with confirmation (see module doc)."""
    late = _late(params)
    return [
        ResponseEvent(f"CR confirmed >= {params.confirm_days} days later",
                      lambda a: (a["RESP"] == "CR") & a["CONFIRMED"], {"AVALC": "CR"}),
        ResponseEvent(f"PR confirmed >= {params.confirm_days} days later",
                      lambda a: (a["RESP"] == "PR") & a["CONFIRMED"], {"AVALC": "PR"}),
        ResponseEvent(f"CR, PR or SD >= {params.sd_min_days} days after {params.response_reference_date}",
                      lambda a: a["RESP"].isin(["CR", "PR", "SD"]) & late(a), {"AVALC": "SD"}),
        ResponseEvent(f"NON-CR/NON-PD >= {params.sd_min_days} days after {params.response_reference_date}",
                      lambda a: (a["RESP"] == "NON-CR/NON-PD") & late(a), {"AVALC": "NON-CR/NON-PD"}),
        ResponseEvent("progressive disease", lambda a: a["RESP"] == "PD", {"AVALC": "PD"}),
        ResponseEvent("not evaluable (incl. unconfirmed or too early)",
                      lambda a: a["RESP"].isin(RESPONSES), {"AVALC": "NE"}),
    ]


def _late(params: StudyParameters) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda a: a["DAYS"] >= params.sd_min_days


def prepare_assessments(ovr: pd.DataFrame, confirmed_rules: bool, params: StudyParameters) -> pd.DataFrame:
    """Analysis assessments (USUBJID, ADT, SRCSEQ, AVALC, REFDT or TRTSDT) sorted, with RESP, DAYS, CONFIRMED.

    Input rows must already be the analysis records (ANL01FL: on/after REFDT, up to the first PD,
    not after new therapy). With `confirmed_rules`, the reappearance-after-CR rule is applied and
    records after the resulting first PD are dropped; CONFIRMED is then computed.
    """
    a = ovr.sort_values(KEYS, kind="mergesort").reset_index(drop=True)
    reference = a["REFDT"] if "REFDT" in a.columns else a["TRTSDT"]  # response_reference_date
    a["DAYS"] = (a["ADT"] - reference).dt.days
    a["RESP"] = a["AVALC"]
    if confirmed_rules:
        if params.reappearance_after_cr_is_pd:
            is_cr = (a["AVALC"] == "CR").astype(int)
            cr_before = (is_cr.groupby(a["USUBJID"]).cumsum() - is_cr) > 0
            reappeared = cr_before & a["AVALC"].isin(["PR", "SD", "NON-CR/NON-PD"])
            a["RESP"] = a["AVALC"].where(~reappeared, "PD")
        is_pd = (a["RESP"] == "PD").astype(int)
        after_pd = (is_pd.groupby(a["USUBJID"]).cumsum() - is_pd) > 0
        a = a[~after_pd].reset_index(drop=True)
        a["CONFIRMED"] = compute_confirmed(a, params)
    else:
        a["CONFIRMED"] = False
    return a


def compute_confirmed(a: pd.DataFrame, params: StudyParameters) -> pd.Series:
    """For each CR/PR assessment: is it confirmed? `a` sorted by subject and date, column RESP."""
    base = pd.DataFrame({"USUBJID": a["USUBJID"], "ADT": a["ADT"], "RESP": a["RESP"],
                         "POS": a.groupby("USUBJID").cumcount()})
    candidates = base[base["RESP"].isin(["CR", "PR"])].reset_index(names="ROW")
    if candidates.empty:
        return pd.Series(False, index=a.index)
    pairs = candidates.merge(base, on="USUBJID", suffixes=("", "_J"))
    pairs = pairs[pairs["POS_J"] > pairs["POS"]]
    gap = (pairs["ADT_J"] - pairs["ADT"]).dt.days
    is_cr = pairs["RESP"] == "CR"
    confirms = np.where(is_cr, pairs["RESP_J"] == "CR", pairs["RESP_J"].isin(["CR", "PR"])) & (gap >= params.confirm_days)
    first_confirmation = pairs[confirms].groupby("ROW")["POS_J"].min().rename("JSTAR")
    window = pairs.join(first_confirmation, on="ROW", how="inner")
    window = window[window["POS_J"] <= window["JSTAR"]]
    allowed_after_pr = ["CR", "PR", "NE"] + (["SD"] if params.accept_sd else [])
    bad = np.where(window["RESP"] == "CR", ~window["RESP_J"].isin(["CR", "NE"]),
                   ~window["RESP_J"].isin(allowed_after_pr))
    stats = pd.DataFrame({
        "ROW": window["ROW"],
        "BAD": bad.astype(int),
        "NE": (window["RESP_J"] == "NE").astype(int),
        "SD": (window["RESP_J"] == "SD").astype(int),
        "CRPOS": window["POS_J"].where(window["RESP_J"] == "CR"),
        "PRPOS": window["POS_J"].where(window["RESP_J"] == "PR"),
    }).groupby("ROW").agg(BAD=("BAD", "sum"), NE=("NE", "sum"), SD=("SD", "sum"),
                          CRPOS=("CRPOS", "min"), PRPOS=("PRPOS", "max"))
    pr_after_cr = stats["CRPOS"] < stats["PRPOS"]  # NaN comparisons are False
    ok = (stats["BAD"] == 0) & (stats["NE"] <= params.max_nr_ne) & (stats["SD"] <= 1) & ~pr_after_cr
    confirmed_rows = stats.index[ok]
    return pd.Series(a.index.isin(confirmed_rows), index=a.index)


def derive_param_extreme_event(
    assessments: pd.DataFrame,
    subjects: pd.Series,
    events: Sequence[ResponseEvent],
    missing_values: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """One record per subject in `subjects`: the first event in list order any assessment satisfies.

    The earliest qualifying assessment gives ADT and SRCSEQ. Subjects with no qualifying assessment
    get `missing_values` (default AVALC "MISSING") and no date.
    """
    pieces = []
    for priority, event in enumerate(events):
        hit = event.condition(assessments).fillna(False).astype(bool)
        rows = assessments.loc[hit, ["USUBJID", "ADT", "SRCSEQ"]].assign(PRIORITY=priority)
        pieces.append(rows)
    hits = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=["USUBJID", "ADT", "SRCSEQ",
                                                                                      "PRIORITY"])
    hits = hits.sort_values(["USUBJID", "PRIORITY", "ADT", "SRCSEQ"], kind="mergesort")
    best = hits.drop_duplicates("USUBJID", keep="first").set_index("USUBJID")
    out = pd.DataFrame({"USUBJID": subjects.to_numpy()})
    priority = out["USUBJID"].map(best["PRIORITY"])
    out["ADT"] = out["USUBJID"].map(best["ADT"]).astype("datetime64[ns]")
    out["SRCSEQ"] = out["USUBJID"].map(best["SRCSEQ"])
    missing_values = dict(missing_values or {"AVALC": "MISSING"})
    names = sorted({k for e in events for k in e.set_values} | set(missing_values))
    for name in names:
        lookup = np.array([e.set_values.get(name) for e in events] + [missing_values.get(name)], dtype=object)
        index = priority.fillna(len(events)).astype(int).to_numpy()
        out[name] = lookup[index]
    return out
