"""SE: each subject's actual path through the trial's elements, from the dates the elements start.

An element ends where the subject's next element starts; the last one ends at the end of the
subject's participation (RFPENDTC). An element whose start date is unknown is left out rather than
guessed (SDTMIG: SE records what happened).
"""

from __future__ import annotations

import pandas as pd

from formats.isodates import complete_date
from sdtm.frames import as_text


def derive_subject_elements(starts: pd.DataFrame, ta: pd.DataFrame, te: pd.DataFrame,
                            participation_end: pd.Series) -> pd.DataFrame:
    """SE records from element start dates.

    `starts`: USUBJID, ETCD, SESTDTC (ISO, may carry a time); one row per element a subject entered.
    `ta`: TA rows (ETCD, TAETORD, EPOCH) of the subject's arm; `te`: TE rows (ETCD, ELEMENT).
    `participation_end`: RFPENDTC indexed by USUBJID.
    """
    se = starts.dropna(subset=["SESTDTC"]).copy()
    se = se[se["SESTDTC"].astype(str).str.strip() != ""]
    se = se.merge(ta[["ETCD", "TAETORD", "EPOCH"]].drop_duplicates("ETCD"), on="ETCD", how="left")
    se = se.merge(te[["ETCD", "ELEMENT"]], on="ETCD", how="left")
    se["_when"] = complete_date(se["SESTDTC"])
    se = se.sort_values(["USUBJID", "_when", "TAETORD"], kind="mergesort")
    following = se.groupby("USUBJID", sort=False)["SESTDTC"].shift(-1)
    end = se["USUBJID"].map(participation_end)
    se["SEENDTC"] = as_text(following.where(following.notna(), end))
    columns = ["USUBJID", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]
    return se[columns + [c for c in se.columns if c.startswith("__")]].reset_index(drop=True)


def shift_days(dtc: pd.Series, days: int) -> pd.Series:
    """ISO date `days` after each complete date (the time of day is dropped); null for partial dates."""
    shifted = complete_date(dtc) + pd.Timedelta(days=days)
    return as_text(shifted.dt.strftime("%Y-%m-%d"))
