"""The datasets to validate, classified: each knows its standard (SDTM or ADaM), class and domain.

Files are read by `formats.folder` (one `Dataset` type, one convention for every format); here the
datasets are classified from their names and columns, and frames already in memory are wrapped the
same way. define.xml, when given, overrides the guesses made from the name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from formats.folder import Dataset, normalize_frame

# SDTMIG classes of the domains we may meet; anything else falls back to the dataset's define class or "".
SDTM_CLASSES: dict[str, tuple[str, ...]] = {
    "FINDINGS": ("BS", "CP", "CV", "DA", "DD", "EG", "FA", "FT", "GF", "IE", "IS", "LB", "MB", "MI", "MK", "MS",
                 "NV", "OE", "PC", "PE", "PP", "QS", "RE", "RP", "RS", "SC", "SR", "SS", "TR", "TU", "UR", "VS"),
    "EVENTS": ("AE", "BE", "CE", "DS", "DV", "HO", "MH"),
    "INTERVENTIONS": ("AG", "CM", "EC", "EX", "ML", "PR", "SU"),
    "SPECIAL PURPOSE": ("CO", "DM", "SE", "SM", "SV"),
    "TRIAL DESIGN": ("TA", "TD", "TE", "TI", "TM", "TS", "TV"),
    "RELATIONSHIP": ("RELREC", "RELSPEC", "RELSUB"),
}
_CLASS_OF_DOMAIN = {domain: cls for cls, domains in SDTM_CLASSES.items() for domain in domains}
ADSL_CLASS = "SUBJECT LEVEL ANALYSIS DATASET"
BDS_CLASS = "BASIC DATA STRUCTURE"
OCCDS_CLASS = "OCCURRENCE DATA STRUCTURE"


def datasets_from_frames(frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str] | None = None) -> dict[
        str, Dataset]:
    """Wrap in-memory frames (e.g. a build's results or a test's records) as datasets."""
    out = {}
    for name, frame in frames.items():
        dataset = Dataset(name=name.upper(), frame=normalize_frame(frame), label=(labels or {}).get(name, ""))
        out[dataset.name] = classify(dataset)
    return out


def classify(dataset: Dataset, define_class: str = "", define_standard: str = "") -> Dataset:
    """Fill standard, class and domain from the name and columns, unless define.xml said otherwise."""
    name = dataset.name
    frame = dataset.frame
    if define_standard:
        dataset.standard = define_standard
    elif not dataset.standard:
        dataset.standard = "ADaM" if name.startswith("AD") else "SDTM"
    if dataset.standard == "ADaM":
        dataset.domain = name
        if name == "ADSL":
            guessed = ADSL_CLASS
        elif "PARAMCD" in frame.columns:
            guessed = BDS_CLASS
        else:
            guessed = OCCDS_CLASS
    else:
        if name.startswith("SUPP") or name in ("RELREC", "RELSPEC", "RELSUB"):
            dataset.domain = name
            guessed = "RELATIONSHIP"
        else:
            domain = name[:2]
            if "DOMAIN" in frame.columns and len(frame):
                first = str(frame["DOMAIN"].iloc[0])
                domain = first if len(first) == 2 and name.startswith(first) else domain
            dataset.domain = domain
            guessed = _CLASS_OF_DOMAIN.get(domain, "")
    dataset.dataset_class = (define_class or dataset.dataset_class or guessed).upper()
    return dataset
