"""The Python API of the ADaM stage: SDTM frames in, ADaM frames out.

    from adam.api import derive_all
    from adam.parameters import StudyParameters

    adam = derive_all({"DM": dm, "EX": ex, "AE": ae, "RS": rs, ...},
                      StudyParameters().with_overrides(["confirm_days=21"]))
    adam["ADSL"], adam["ADAE"], adam["ADRS"], adam["ADTTE"], adam["ADTR"], adam["ADLB"], adam["ADPC"], ...

Domain keys are case-insensitive ("dm" or "DM"). What each dataset needs, and how optional inputs
degrade, is in the docstring of its `create_*` function: a missing optional variable or dataset is one
WARNING naming it and what is left null; a missing required dataset or variable raises `DerivationError`
naming it. `only=` derives a subset (ADTTE brings ADRS along, ADPP brings ADPC, everything brings ADSL);
without `only`, a dataset whose SDTM input is absent (ADAE without AE, ADRS and ADTTE without RS, ADTR
without TR/TU, ADLB without LB, ADPC and ADPP without both CP and PC) is left out with a warning, and asked
for by `only` it is an error.
Frames are never modified; every result is a new frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

import pandas as pd

from adam.adae import create_adae
from adam.adlb import create_adlb
from adam.adpc import create_adpc, create_adpp
from adam.adrs import create_adrs
from adam.adsl import create_adsl
from adam.adtr import create_adtr
from adam.adtte import create_adtte
from adam.parameters import StudyParameters
from specs.errors import DerivationError, Problem

log = logging.getLogger(__name__)

DATASETS = ("ADSL", "ADAE", "ADRS", "ADTTE", "ADTR", "ADLB", "ADPC", "ADPP")
NEEDS = {"ADSL": (), "ADAE": ("ADSL",), "ADRS": ("ADSL",), "ADTTE": ("ADSL", "ADRS"), "ADTR": ("ADSL",),
         "ADLB": ("ADSL",), "ADPC": ("ADSL",), "ADPP": ("ADSL", "ADPC")}
# each inner tuple: SDTM datasets of which at least one is needed (ADPC reads CP, PC or both)
REQUIRED_SDTM: dict[str, tuple[tuple[str, ...], ...]] = {
    "ADSL": (("DM",), ("EX",)), "ADAE": (("AE",),), "ADRS": (("RS",),), "ADTTE": (), "ADTR": (("TR",), ("TU",)),
    "ADLB": (("LB",),), "ADPC": (("CP", "PC"),), "ADPP": (("CP", "PC"),)}

__all__ = ["DATASETS", "StudyParameters", "create_adae", "create_adlb", "create_adpc", "create_adpp", "create_adrs",
           "create_adsl", "create_adtr", "create_adtte", "derive_all"]


def derive_all(
    sdtm: Mapping[str, pd.DataFrame],
    params: StudyParameters | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Derive every dataset of DATASETS (or the `only` subset, with what it depends on)."""
    params = params or StudyParameters()
    domains = {name.upper(): frame for name, frame in sdtm.items() if frame is not None}
    wanted = _with_dependencies(only)
    if only is None:  # everything that can be derived: a dataset whose SDTM input is absent is left out, logged
        for dataset in DATASETS:
            absent = _absent(dataset, domains)
            if absent and dataset in wanted and dataset != "ADSL":
                log.warning("%s not derived: SDTM %s not given", dataset, ", ".join(absent))
                wanted -= {dataset} | {d for d, needs in NEEDS.items() if dataset in needs}
    missing = [Problem(domain, f"{dataset} needs SDTM dataset {domain}, which was not given")
               for dataset in sorted(wanted) for domain in _absent(dataset, domains)]
    if missing:
        raise DerivationError("cannot derive ADaM: required SDTM input is missing", missing)
    for dataset in sorted(wanted):
        for needed in REQUIRED_SDTM[dataset]:
            absent = [d for d in needed if d not in domains]
            if absent and len(absent) < len(needed):  # a study may have one of them only (PC without CP)
                log.info("%s from SDTM %s only: %s not given", dataset, ", ".join(d for d in needed if d in domains),
                         ", ".join(absent))
    get = domains.get
    builders = {
        "ADSL": lambda out: create_adsl(get("DM"), get("EX"), get("DS"), get("MH"), get("TU"), get("CM"),
                                        other_domains=domains, params=params),
        "ADAE": lambda out: create_adae(out["ADSL"], get("AE"), get("SUPPAE"), params),
        "ADRS": lambda out: create_adrs(out["ADSL"], get("RS"), get("TU"), get("CM"), params),
        "ADTTE": lambda out: create_adtte(out["ADSL"], out["ADRS"], params, tv=get("TV")),
        "ADTR": lambda out: create_adtr(out["ADSL"], get("TR"), get("TU"), params),
        "ADLB": lambda out: create_adlb(out["ADSL"], get("LB"), params),
        "ADPC": lambda out: create_adpc(out["ADSL"], get("CP"), get("PC"), params),
        "ADPP": lambda out: create_adpp(out["ADPC"], params),
    }
    out: dict[str, pd.DataFrame] = {}
    for name in DATASETS:
        if name not in wanted:
            continue
        started = time.perf_counter()
        out[name] = builders[name](out)
        log.info("%s: %d records in %.2f s", name, len(out[name]), time.perf_counter() - started)
    return out


def _absent(dataset: str, domains: Mapping[str, pd.DataFrame]) -> list[str]:
    """The SDTM inputs `dataset` needs that are not given ("CP or PC" when neither of two is)."""
    return [" or ".join(needed) for needed in REQUIRED_SDTM[dataset] if not any(d in domains for d in needed)]


def _with_dependencies(only: Iterable[str] | None) -> set[str]:
    if only is None:
        return set(DATASETS)
    wanted = {name.upper() for name in only}
    unknown = wanted - set(DATASETS)
    if unknown:
        raise DerivationError(f"unknown ADaM dataset(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(DATASETS)}")
    for name in list(wanted):
        wanted.update(NEEDS[name])
    wanted.update(n for name in list(wanted) for n in NEEDS[name])
    return wanted
