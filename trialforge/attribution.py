"""Conformance findings traced back to the raw record they come from.

A rule sees the written datasets, whose records carry no provenance; the build still has the frames it
wrote, in the same order, with `__file`/`__row` of each SDTM record. A finding on SDTM record n names the
raw file and line of that record; a finding on an ADaM record that keeps its SDTM record's --SEQ (ADAE's
AESEQ) names the raw record of that SDTM record. An auditor then goes from the finding to the CRF line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import pandas as pd

from sdtm.engine import PROVENANCE
from specs.findings import Finding


def attribute_to_raw(findings: Iterable[Finding], sdtm: Mapping[str, pd.DataFrame],
                     adam: Mapping[str, pd.DataFrame] | None = None) -> list[Finding]:
    """`findings` with `file`/`raw_row` filled where a record's raw origin is known (others unchanged)."""
    traced = {name: _origins(frame) for name, frame in sdtm.items() if _has_provenance(frame)}
    through_seq = {name: _origins_through_seq(frame, sdtm) for name, frame in (adam or {}).items()}
    out = []
    for finding in findings:
        origins = traced.get(finding.dataset) or through_seq.get(finding.dataset)
        if finding.file is None and finding.row is not None and origins is not None \
                and 1 <= finding.row <= len(origins):
            file, raw_row = origins[finding.row - 1]
            if file is not None:
                finding = dataclasses.replace(finding, file=file, raw_row=raw_row)
        out.append(finding)
    return out


def attribution_columns(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each frame cut to what `attribute_to_raw` reads (provenance, USUBJID, --SEQ), rows as they were: once
    the datasets are written, a build keeps these instead of the whole frames (at 5,000 subjects the SDTM and
    ADaM frames are gigabytes the validation stage would otherwise hold beside its own copies)."""
    return {name: frame[[c for c in frame.columns if c in PROVENANCE or c == "USUBJID" or c.endswith("SEQ")]]
            .copy() for name, frame in frames.items()}


def _has_provenance(frame: pd.DataFrame) -> bool:
    return not frame.empty and all(c in frame.columns for c in PROVENANCE)


def _origins(frame: pd.DataFrame) -> list[tuple[str | None, int | None]]:
    return [(str(f) if pd.notna(f) else None, int(r) if pd.notna(r) else None)
            for f, r in zip(frame["__file"], frame["__row"])]


def _origins_through_seq(frame: pd.DataFrame, sdtm: Mapping[str, pd.DataFrame]):
    """Per record, the raw origin of the SDTM record its USUBJID and <DOMAIN>SEQ name (None when it has none)."""
    if "USUBJID" not in frame.columns:
        return None
    for domain, source in sdtm.items():
        seq = f"{domain}SEQ"
        if seq in frame.columns and seq in source.columns and _has_provenance(source):
            keys = pd.MultiIndex.from_arrays([source["USUBJID"].astype(str), pd.to_numeric(source[seq])])
            by_key = dict(zip(keys, _origins(source)))
            return [by_key.get((str(u), s), (None, None)) if pd.notna(s) else (None, None)
                    for u, s in zip(frame["USUBJID"], pd.to_numeric(frame[seq], errors="coerce"))]
    return None
