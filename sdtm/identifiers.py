"""Identifiers and timing shared by every domain: USUBJID, --SEQ, EPOCH (visits: sdtm.visits).

All functions are pure: they take frames and return new Series or frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from formats.isodates import complete_date


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
    order_columns = ["USUBJID", *[k for k in keys if k != "USUBJID"], *rest]
    sortable = pd.DataFrame({c: _sort_key(frame[c]) for c in order_columns}, index=frame.index)
    ordered = sortable.sort_values(order_columns, kind="mergesort", na_position="first")
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
    epoch). Null when the date is partial or before the subject's first element (SDTMIG 4.1.3.1).
    """
    when = complete_date(dtc)
    records = pd.DataFrame({"USUBJID": usubjid.astype(str).to_numpy(), "when": when.to_numpy(),
                            "pos": np.arange(len(dtc))})
    se = pd.DataFrame({"USUBJID": elements["USUBJID"].astype(str), "start": complete_date(elements["SESTDTC"]),
                       "end": complete_date(elements["SEENDTC"]), "EPOCH": elements["EPOCH"]})
    se = se.dropna(subset=["start"]).sort_values(["start"], kind="mergesort")
    known = records.dropna(subset=["when"]).sort_values("when", kind="mergesort")
    if known.empty or se.empty:
        return pd.Series([None] * len(dtc), index=dtc.index, dtype=object)
    matched = pd.merge_asof(known, se, left_on="when", right_on="start", by="USUBJID", direction="backward",
                            allow_exact_matches=True)
    inside = matched["end"].isna() | (matched["when"] <= matched["end"])
    epoch = pd.Series([None] * len(dtc), dtype=object)
    hits = matched[inside & matched["EPOCH"].notna()]
    epoch.iloc[hits["pos"].to_numpy()] = hits["EPOCH"].to_numpy()
    epoch.index = dtc.index
    return epoch
