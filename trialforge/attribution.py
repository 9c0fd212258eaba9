"""Conformance findings traced back to the raw record they come from.

A rule sees the written datasets, whose records carry no provenance; the build still has the frames it
wrote, in the same order, with `__file`/`__row` of each SDTM record. A finding on SDTM record n names the
raw file and line of that record; a finding on an ADaM record that keeps its SDTM record's --SEQ (ADAE's
AESEQ) names the raw record of that SDTM record. An auditor then goes from the finding to the CRF line.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sdtm.engine import PROVENANCE
from specs.findings import Finding


def attribute_to_raw(findings: Iterable[Finding], sdtm: Mapping[str, pd.DataFrame],
                     adam: Mapping[str, pd.DataFrame] | None = None) -> list[Finding]:
    """`findings` with `file`/`raw_row` filled where a record's raw origin is known (others unchanged).
    Only the records findings name are looked up (5,000 subjects: a few thousand of 2.5 million)."""
    out = list(findings)
    wanted: dict[str, list[int]] = defaultdict(list)  # dataset -> the findings on one of its records
    for at, finding in enumerate(out):
        if finding.file is None and finding.row is not None and finding.dataset is not None:
            wanted[finding.dataset].append(at)
    for name, ats in wanted.items():
        positions = np.array([out[at].row - 1 for at in ats], dtype=np.int64)
        if name in sdtm and _has_provenance(sdtm[name]):
            files, rows = _origins(sdtm[name], positions)
        elif adam is not None and name in adam:
            files, rows = _origins_through_seq(adam[name], positions, sdtm)
        else:
            continue
        for at, file, raw_row in zip(ats, files, rows):
            if file is not None:
                out[at] = dataclasses.replace(out[at], file=file, raw_row=raw_row)
    return out


def attribution_columns(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each frame cut to what `attribute_to_raw` reads (provenance, USUBJID, --SEQ), rows as they were: once
    the datasets are written, a build keeps these instead of the whole frames (at 5,000 subjects the SDTM and
    ADaM frames are gigabytes the validation stage would otherwise hold beside its own copies). Text is kept
    in Arrow buffers, not as a Python string per record, so the memory the frames held can go back to the
    system (a million USUBJID strings left scattered over the heap would keep most of it)."""
    return {name: frame[[c for c in frame.columns if c in PROVENANCE or c == "USUBJID" or c.endswith("SEQ")]]
            .apply(_compact) for name, frame in frames.items()}


def _compact(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.copy()
    return column.astype("string[pyarrow]")


def _has_provenance(frame: pd.DataFrame) -> bool:
    return not frame.empty and all(c in frame.columns for c in PROVENANCE)


def _origins(frame: pd.DataFrame, positions: np.ndarray) -> tuple[list, list]:
    """(raw file, raw line) of the records at `positions` (0-based; None for a position outside the frame or
    a record without a raw origin)."""
    inside = (positions >= 0) & (positions < len(frame))
    at = np.where(inside, positions, 0)
    files = frame["__file"].to_numpy(dtype=object, na_value=None)[at] if len(frame) else np.full(len(at), None)
    rows = _numbers(frame["__row"])[at] if len(frame) else at * np.nan
    return ([str(f) if ok and f is not None else None for f, ok in zip(files, inside)],
            [int(r) if ok and not np.isnan(r) else None for r, ok in zip(rows, inside)])


def _numbers(column: pd.Series, errors: str = "raise") -> np.ndarray:
    return pd.to_numeric(column, errors=errors).to_numpy(dtype=float, na_value=np.nan)


def _origins_through_seq(frame: pd.DataFrame, positions: np.ndarray, sdtm: Mapping[str, pd.DataFrame]):
    """The raw origin of the SDTM record that the records at `positions` name by USUBJID and <DOMAIN>SEQ
    (the first SDTM domain whose --SEQ the frame has); None where there is none."""
    nothing = [None] * len(positions), [None] * len(positions)
    if "USUBJID" not in frame.columns:
        return nothing
    for domain, source in sdtm.items():
        seq = f"{domain}SEQ"
        if seq in frame.columns and seq in source.columns and _has_provenance(source):
            if frame.empty:
                return nothing
            inside = (positions >= 0) & (positions < len(frame))
            at = np.where(inside, positions, 0)
            named = inside & frame["USUBJID"].iloc[at].notna().to_numpy()
            keys = pd.DataFrame({"USUBJID": frame["USUBJID"].iloc[at].astype(str).to_numpy(),
                                 "SEQ": _numbers(frame[seq].iloc[at], errors="coerce")})
            known = pd.DataFrame({"USUBJID": source["USUBJID"].astype(str).to_numpy(), "SEQ": _numbers(source[seq]),
                                  "AT": np.arange(len(source))})[source["USUBJID"].notna().to_numpy()]
            known = known.dropna(subset=["SEQ"]).drop_duplicates(["USUBJID", "SEQ"], keep="last")
            found = keys.merge(known, how="left", on=["USUBJID", "SEQ"])["AT"].to_numpy(dtype=float)
            return _origins(source, np.where(named & ~np.isnan(found), np.nan_to_num(found, nan=-1), -1).astype(np.int64))
    return nothing
