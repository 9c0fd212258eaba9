"""Time-to-event parameters from event and censoring sources given as data.

A source names a dataset, a condition on its records, the date variable, and the values to set
(EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR or any other variable; CNSR is the source's `censor` code and
SRCSEQ comes from `seq_var`). For each subject:

1. every event source offers its earliest qualifying record; the event is the earliest of these, and on
   the same date the source listed first wins (admiral#2639 asked which one is taken: list order);
2. every censoring source offers its latest qualifying record (or earliest, `mode="first"`); the
   censoring is the offer of the source listed first - list order is priority, so specific reasons
   (new therapy, missed assessments) go before the generic one (last assessment);
3. a subject with an event gets the event, whatever the censoring date - also when both fall on the
   same date: the event wins (our answer to admiral#2639's event-versus-censoring tie). Rules that
   must turn an event into a censoring (FDA: death after new therapy, PD after missed assessments)
   are written into the event sources' conditions, never decided by dates here;
4. ADT before STARTDT is moved to STARTDT (logged); AVAL = ADT - STARTDT + 1 days.

Conditions are callables (frame -> boolean Series) or small where-clauses evaluated with
`DataFrame.eval`, e.g. "PARAMCD == 'PD' and AVALC == 'Y'". A `context` frame (one row per subject)
is joined onto every source first, so conditions can use per-subject facts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from adam.dates import compute_duration_days
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

Condition = Callable[[pd.DataFrame], pd.Series] | str | None


@dataclass(frozen=True)
class EventSource:
    """Records of `dataset_name` that are events (CNSR = 0)."""

    description: str
    dataset_name: str
    date: str
    condition: Condition = None
    set_values: Mapping[str, object] = field(default_factory=dict)
    seq_var: str | None = None
    censor: int = 0
    mode: str = "first"

    def __post_init__(self) -> None:
        if self.censor != 0:
            raise ValueError(f"event source {self.description!r}: CNSR of an event is 0")
        _check_set_values(self)


@dataclass(frozen=True)
class CensorSource:
    """Records of `dataset_name` that are censorings (CNSR = `censor` >= 1, one code per reason)."""

    description: str
    dataset_name: str
    date: str
    condition: Condition = None
    set_values: Mapping[str, object] = field(default_factory=dict)
    seq_var: str | None = None
    censor: int = 1
    mode: str = "last"

    def __post_init__(self) -> None:
        if self.censor < 1:
            raise ValueError(f"censoring source {self.description!r}: CNSR must be >= 1")
        if self.mode not in ("first", "last"):
            raise ValueError(f"censoring source {self.description!r}: mode must be 'first' or 'last'")
        _check_set_values(self)


def _check_set_values(source: EventSource | CensorSource) -> None:
    derived = {"USUBJID", "STARTDT", "ADT", "AVAL", "CNSR", "SRCSEQ", "PARAMCD"}
    clash = derived & set(source.set_values)
    if clash:
        raise ValueError(f"source {source.description!r}: {', '.join(sorted(clash))} cannot be set by a source")


TteSource = EventSource | CensorSource
SET_VARIABLES = ("EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR")


def derive_param_tte(
    subjects: pd.DataFrame,
    sources: Mapping[str, pd.DataFrame],
    events: Sequence[EventSource],
    censors: Sequence[CensorSource],
    paramcd: str,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One record per subject of `subjects` (USUBJID, STARTDT): the chosen event or censoring."""
    _check_sources(sources, [*events, *censors], paramcd)
    start = subjects[["USUBJID", "STARTDT"]].drop_duplicates("USUBJID")
    event = _pick(_offers(events, sources, start, context, 0), by_date=True)
    censor = _pick(_offers(censors, sources, start, context, len(events)), by_date=False)
    chosen = pd.concat([event, censor[~censor["USUBJID"].isin(event["USUBJID"])]], ignore_index=True)
    out = start.merge(chosen, on="USUBJID", how="left")
    lost = out["ADT"].isna()
    if lost.any():
        log.warning("%s: %d subject(s) have neither an event nor a censoring and get no record",
                    paramcd, int(lost.sum()))
        out = out[~lost]
    early = out["ADT"] < out["STARTDT"]
    if early.any():
        log.info("%s: %d date(s) before STARTDT set to STARTDT", paramcd, int(early.sum()))
        out.loc[early, "ADT"] = out.loc[early, "STARTDT"]
    all_sources = [*events, *censors]
    index = out["PRIORITY"].astype(int).to_numpy()
    out["CNSR"] = np.array([s.censor for s in all_sources])[index]
    extra = sorted({k for s in all_sources for k in s.set_values} - set(SET_VARIABLES))
    for name in (*SET_VARIABLES, *extra):
        values = np.array([s.set_values.get(name) for s in all_sources], dtype=object)[index]
        out[name] = pd.Series(values, index=out.index, dtype="str")
    out["PARAMCD"] = paramcd
    out["AVAL"] = compute_duration_days(out["STARTDT"], out["ADT"])
    out["SRCSEQ"] = out["SRCSEQ"].astype("float64")
    out["ADT"] = out["ADT"].astype("datetime64[ns]")
    out["STARTDT"] = out["STARTDT"].astype("datetime64[ns]")
    return out.drop(columns="PRIORITY").reset_index(drop=True)


def _check_sources(sources: Mapping[str, pd.DataFrame], wanted: Sequence[TteSource], paramcd: str) -> None:
    problems = []
    for source in wanted:
        frame = sources.get(source.dataset_name)
        if frame is None:
            problems.append(Problem(source.dataset_name, f"source {source.description!r} needs dataset "
                                                         f"{source.dataset_name}"))
    if problems:
        raise DerivationError(f"cannot derive {paramcd}: a source dataset is missing", problems)


def _offers(wanted: Sequence[TteSource], sources: Mapping[str, pd.DataFrame], start: pd.DataFrame,
            context: pd.DataFrame | None, first_priority: int) -> pd.DataFrame:
    """Per source, per subject: its earliest (events) or latest/earliest (censorings) qualifying record."""
    pieces = []
    prepared: dict[str, pd.DataFrame] = {}  # each dataset is restricted and joined once
    for offset, source in enumerate(wanted):
        name = source.dataset_name
        if name not in prepared:
            frame = sources[name]
            frame = frame[frame["USUBJID"].isin(start["USUBJID"])]
            frame = frame.merge(start, on="USUBJID", how="left", suffixes=("", "_TTE"))
            if context is not None:
                frame = frame.merge(context, on="USUBJID", how="left", suffixes=("", "_CTX"))
            prepared[name] = frame
        frame = prepared[name]
        missing = [v for v in (source.date, source.seq_var) if v and v not in frame.columns]
        if missing:
            raise DerivationError(f"source {source.description!r}: {source.dataset_name} lacks {', '.join(missing)}")
        qualifies = _evaluate(source.condition, frame, source) & frame[source.date].notna()
        rows = pd.DataFrame({
            "USUBJID": frame.loc[qualifies, "USUBJID"],
            "ADT": pd.to_datetime(frame.loc[qualifies, source.date]),
            "SRCSEQ": pd.to_numeric(frame.loc[qualifies, source.seq_var], errors="coerce")
            if source.seq_var else np.nan,
        })
        rows = rows.sort_values(["USUBJID", "ADT", "SRCSEQ"], kind="mergesort")
        rows = rows.drop_duplicates("USUBJID", keep="first" if source.mode == "first" else "last")
        pieces.append(rows.assign(PRIORITY=first_priority + offset))
    if not pieces:
        return pd.DataFrame({"USUBJID": pd.Series(dtype="str"), "ADT": pd.Series(dtype="datetime64[ns]"),
                             "SRCSEQ": pd.Series(dtype=float), "PRIORITY": pd.Series(dtype=int)})
    return pd.concat(pieces, ignore_index=True)


def _pick(offers: pd.DataFrame, by_date: bool) -> pd.DataFrame:
    order = ["USUBJID", "ADT", "PRIORITY"] if by_date else ["USUBJID", "PRIORITY"]
    return offers.sort_values(order, kind="mergesort").drop_duplicates("USUBJID", keep="first")


def _evaluate(condition: Condition, frame: pd.DataFrame, source: TteSource) -> pd.Series:
    if condition is None:
        return pd.Series(True, index=frame.index)
    try:
        result = frame.eval(condition, engine="python") if isinstance(condition, str) else condition(frame)
    except Exception as err:  # a user's condition: report which source failed and why
        raise DerivationError(f"condition of source {source.description!r} on {source.dataset_name} "
                              f"failed: {err}") from err
    return pd.Series(result, index=frame.index).fillna(False).astype(bool)
