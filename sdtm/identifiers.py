"""Identifiers and timing shared by every domain: USUBJID, --SEQ, EPOCH (visits: sdtm.visits).

All functions are pure: they take frames and return new Series or frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from formats.isodates import complete_date, period_bounds


def compute_usubjid(studyid: str | pd.Series, subject: pd.Series) -> pd.Series:
    """USUBJID = STUDYID-subject number as on the CRF: unique across the submission."""
    return studyid + "-" + subject.astype(str).str.strip()


def derive_seq(frame: pd.DataFrame, domain: str, keys: Sequence[str]) -> pd.Series:
    """--SEQ numbered 1..n per USUBJID after a stable sort on the natural key.

    Ties on the natural key are broken by every other column's value, never by extract row order, so
    the same records always get the same numbers whatever order the EDC exported them in.
    """
    seq_name = f"{domain}SEQ"
    keys = [k for k in keys if k in frame.columns and k != seq_name]
    rest = sorted(c for c in frame.columns if c not in keys and c != seq_name and not c.startswith("__"))
    head = ["USUBJID", *[k for k in keys if k != "USUBJID"]]
    sortable = pd.DataFrame({c: _sort_key(frame[c]) for c in head}, index=frame.index)
    if sortable.duplicated().any():  # ties on the key: the other columns decide (only then made sortable)
        sortable = sortable.assign(**{c: _sort_key(frame[c]) for c in rest})
    ordered = sortable.sort_values(list(sortable.columns), kind="mergesort", na_position="first")
    numbers = ordered.groupby("USUBJID", sort=False).cumcount() + 1
    return numbers.reindex(frame.index).astype("int64")


def _sort_key(column: pd.Series) -> pd.Series:
    """Numbers sort as numbers, everything else as text; nulls first."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    return column.astype("string")


def derive_epoch(dtc: pd.Series, usubjid: pd.Series, elements: pd.DataFrame) -> pd.Series:
    """EPOCH of the subject's actual element (SE) in which the record's date falls.

    `elements`: SE-shaped frame with USUBJID, SESTDTC, SEENDTC, EPOCH. A date on the day one element
    ends and the next starts belongs to the later element (the infusion day is in the treatment
    epoch). A partial date (`2024-03`) gets the epoch when its whole period lies in that one epoch (its
    first and last day fall in the same one); null when the period spans two epochs, or the date lies
    before the subject's first element (SDTMIG 4.1.3.1).
    """
    first, last = period_bounds(dtc)
    se = pd.DataFrame({"USUBJID": elements["USUBJID"].astype(str), "start": complete_date(elements["SESTDTC"]),
                       "end": complete_date(elements["SEENDTC"]), "EPOCH": elements["EPOCH"]})
    se = se.dropna(subset=["start"]).sort_values(["start"], kind="mergesort")
    at_first = _epoch_on(first, usubjid, se)
    same = at_first.eq(_epoch_on(last, usubjid, se)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(np.where(same, at_first.to_numpy(dtype=object), None), index=dtc.index, dtype=object)


def _epoch_on(days: pd.Series, usubjid: pd.Series, se: pd.DataFrame) -> pd.Series:
    """EPOCH of the subject's element on each day (positional; null before the first element or after an end)."""
    records = pd.DataFrame({"USUBJID": usubjid.astype(str).to_numpy(), "when": days.to_numpy(),
                            "pos": np.arange(len(days))})
    known = records.dropna(subset=["when"]).sort_values("when", kind="mergesort")
    epoch = pd.Series([None] * len(days), dtype=object)
    if known.empty or se.empty:
        return epoch
    matched = pd.merge_asof(known, se, left_on="when", right_on="start", by="USUBJID", direction="backward",
                            allow_exact_matches=True)
    inside = matched["end"].isna() | (matched["when"] <= matched["end"])
    hits = matched[inside & matched["EPOCH"].notna()]
    epoch.iloc[hits["pos"].to_numpy()] = hits["EPOCH"].to_numpy()
    return epoch
