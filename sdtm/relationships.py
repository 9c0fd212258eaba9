"""SUPP-- and RELREC: non-standard variables and links between records, built from the mapped domains."""

from __future__ import annotations

import pandas as pd

from sdtm.frames import as_text
from specs.errors import MappingError

SUPP_COLUMNS = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
RELREC_COLUMNS = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID"]
# Dataset-level links (SDTMIG 8.3): (domain, variable, RELTYPE) pairs joined by one RELID.
DATASET_LINKS = (
    ("TUTR", ("TU", "TULNKID", "ONE"), ("TR", "TRLNKID", "MANY")),
    ("TRRS", ("TR", "TRLNKGRP", "MANY"), ("RS", "RSLNKGRP", "ONE")),
)


def build_supp(spec, parent: str, frame: pd.DataFrame) -> pd.DataFrame:
    """SUPP<parent> from the parent's `supp` Mapping rows: one record per non-blank value.

    IDVAR is the parent's --SEQ (blank for DM, one record per subject); QLABEL, QORIG and QEVAL come
    from the row's arguments (qlabel=, qorig=, qeval=).
    """
    rows = [r for r in spec.mappings_of(parent) if r.is_supp]
    pieces = []
    idvar = None if parent == "DM" else f"{parent}SEQ"
    if idvar and idvar not in frame.columns and rows:
        raise MappingError(f"SUPP{parent}: {parent} has no {idvar} to point at; derive it before SUPP records")
    for qnam in dict.fromkeys(r.argument("qnam") or r.variable for r in rows):
        row = next(r for r in rows if (r.argument("qnam") or r.variable) == qnam)
        column = f"__supp__{row.variable}"
        if column not in frame.columns:
            continue
        present = frame[frame[column].notna() & frame[column].astype(str).str.strip().ne("")]
        piece = pd.DataFrame({
            "STUDYID": present["STUDYID"].to_numpy() if "STUDYID" in present else spec.study.name,
            "RDOMAIN": parent,
            "USUBJID": present["USUBJID"].to_numpy(),
            "IDVAR": idvar,
            "IDVARVAL": present[idvar].astype(int).astype(str).to_numpy() if idvar else None,
            "QNAM": qnam,
            "QLABEL": row.argument("qlabel") or qnam,
            "QVAL": present[column].astype(str).to_numpy(),
            "QORIG": row.argument("qorig") or "Collected",
            "QEVAL": row.argument("qeval"),
            "__file": present["__file"].to_numpy() if "__file" in present else None,
            "__row": present["__row"].to_numpy() if "__row" in present else None,
        })
        pieces.append(piece)
    if not pieces:
        return pd.DataFrame(columns=SUPP_COLUMNS)
    supp = pd.concat(pieces, ignore_index=True)
    supp = supp.sort_values(["USUBJID", "QNAM", "IDVARVAL"], kind="mergesort", key=_natural).reset_index(drop=True)
    for column in SUPP_COLUMNS:
        supp[column] = as_text(supp[column])
    return supp


def _natural(column: pd.Series) -> pd.Series:
    """IDVARVAL holds --SEQ as text: sort it as a number."""
    if column.name == "IDVARVAL":
        return pd.to_numeric(column, errors="coerce")
    return column


def build_relrec(spec, domains: dict[str, pd.DataFrame], links=None) -> pd.DataFrame:
    """Dataset-level links between the link variables present in the built domains."""
    records = []
    studyid = spec.study.name
    for relid, *ends in links or DATASET_LINKS:
        if all(domain in domains and variable in domains[domain].columns for domain, variable, _ in ends):
            for domain, variable, reltype in ends:
                records.append({"STUDYID": studyid, "RDOMAIN": domain, "USUBJID": None, "IDVAR": variable,
                                "IDVARVAL": None, "RELTYPE": reltype, "RELID": relid})
    frame = pd.DataFrame(records, columns=RELREC_COLUMNS)
    return frame.astype(object).where(frame.notna(), None)
