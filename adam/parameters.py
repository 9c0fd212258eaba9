"""Study parameters of the ADaM stage: every threshold and every study convention in one frozen object.

Derivations never hold study-specific literals; they read them from `StudyParameters`. The defaults are
the library's: CDISC CT terms, RECIST 1.1 and FDA-guidance thresholds, and for every study-specific
selector None (or no terms), meaning "not used" or "all records" as each field says. A study sets its own
values with a mapping (a parameters file read by the CLI) or with `key=value` strings (`--param
confirm_days=21`); the example study's are in `trialforge/example_study/parameters.yaml`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from specs.errors import DerivationError, InputError, Problem


@dataclass(frozen=True)
class StudyParameters:
    """Thresholds and conventions the ADaM derivations read (library defaults; see the module doc)."""

    # --- general -----------------------------------------------------------------------------
    data_cutoff: dt.date | None = None  # None: no data cut-off
    # --- ADSL --------------------------------------------------------------------------------
    cart_excat: str | None = None  # EXCAT of the study treatment: TRTSDT/TRTSDTM/DOSE01A; None: every EX record
    # EXTRT values (case-insensitive) whose EXDOSE = 0 records are doses all the same (a placebo); by default a
    # zero dose is no dose
    placebo_extrt: tuple[str, ...] = ()
    randomization_dsdecod: str | None = None  # DS.DSDECOD whose DSSTDTC is RANDDT; None: RANDDT not derived
    lymphodepletion_excat: str | None = None  # EXCAT whose first dose is LDSTDT (TEAE start); None: every EX record
    not_enrolled_armnrs: tuple[str, ...] = ("SCREEN FAILURE", "NOT ASSIGNED")  # ENRLFL = "N"
    age_group_cuts: tuple[int, ...] = (65,)  # AGEGR1: "<65", ">=65"
    primary_diagnosis_mhcat: str | None = None  # MHCAT of the primary diagnosis -> TUMTYPE; None: not derived
    tumor_type_variable: str = "MHSCAT"  # MH variable holding the grouped primary tumour type -> TUMTYPE
    disposition_dscat: str = "DISPOSITION EVENT"
    completed_dsdecod: str = "COMPLETED"
    death_dsdecod: str = "DEATH"
    target_tustresc: str = "TARGET"
    tumor_identification_testcd: str = "TUMIDENT"
    # TRTESTCDs of a target lesion's measurement: one per lesion per assessment (longest diameter, or the
    # short axis for nodes). A study recording LDIAM and LPERP for the same node must narrow this.
    diameter_testcds: tuple[str, ...] = ("DIAMETER", "LDIAM", "LPERP")
    # "DOMAIN.VARIABLE" dates (complete ones only) that show a subject alive: LSTALVDT
    alive_date_sources: tuple[str, ...] = (
        "DM.RFICDTC", "DM.RFSTDTC", "DM.RFXSTDTC", "DM.RFXENDTC",
        "EX.EXSTDTC", "EX.EXENDTC", "AE.AESTDTC", "AE.AEENDTC", "RS.RSDTC", "TR.TRDTC",
        "TU.TUDTC", "LB.LBDTC", "CP.CPDTC", "PC.PCDTC", "VS.VSDTC", "SV.SVSTDTC",
        "CM.CMSTDTC", "DS.DSSTDTC",
    )
    new_therapy_cmcat: str | None = None  # CMCAT of the records giving NACTDT; None: NACTDT not derived
    # PR records (PRDECOD, else PRTRT) giving APHDT and ENRLFL; None: APHDT not derived, ENRLFL from ARMNRS
    leukapheresis_prtrt: str | None = None
    # --- ADAE --------------------------------------------------------------------------------
    related_aerel: tuple[str, ...] = ("RELATED", "PROBABLY RELATED", "POSSIBLY RELATED")
    missing_relationship_is_related: bool = True  # AREL for a null AEREL (conservative)
    # customized queries: PTs (AEDECOD) in the terms get the query name in CQ01NAM / CQ02NAM; no terms: null
    crs_terms: tuple[str, ...] = ()
    crs_query_name: str | None = None
    neurotoxicity_terms: tuple[str, ...] = ()
    neurotoxicity_query_name: str | None = None
    astct_grade_qnam: str | None = None  # SUPPAE QNAM of the ASTCT grade -> ASTCTGR; None: not derived
    # AEOUT terms of an event that resolved (ADAE RESOLFL = Y; the other outcomes are N, a missing one null)
    resolved_aeout: tuple[str, ...] = ("RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE")
    # --- ADRS --------------------------------------------------------------------------------
    response_testcd: str = "OVRLRESP"
    response_category: str = "RECIST 1.1"
    response_evaluator: str = "INVESTIGATOR"  # a null RSEVAL counts as the investigator
    confirm_days: int = 28  # a CR/PR is confirmed by a CR(/PR) at least this many days later
    max_nr_ne: int = 1  # NE assessments allowed between a response and its confirmation
    accept_sd: bool = False  # may one SD lie between a PR and its confirmation?
    sd_min_days: int = 42  # SD (and NON-CR/NON-PD) counts only this many days after TRTSDT
    reappearance_after_cr_is_pd: bool = True  # RECIST 1.1: PR/SD after a CR is progression (CBOR)
    # ADSL date the response derivations count from: ANL01FL starts on it, SD needs sd_min_days after it
    # (a randomized study may use RANDDT, derived with randomization_dsdecod)
    response_reference_date: str = "TRTSDT"
    # ADSL flag whose "Y" subjects get the per-subject response parameters (BOR = MISSING, RSP = N, ... when they
    # have no assessment); None: every ADSL subject
    response_population_flag: str | None = "SAFFL"
    # --- ADTTE -------------------------------------------------------------------------------
    # CNSR 1 for every censoring (reason in EVNTDESC/CNSDTDSC), or one code per reason (2, 3, 4: ADaMIG allows it)
    censor_codes_by_reason: bool = False
    missed_assessments: int = 2  # PD/death after this many missed assessments is censored
    # the protocol's tumour assessment schedule; None (any of the three): the missed-assessment rule is not applied
    early_assessment_interval_days: int | None = None  # scheduled interval in the first period after TRTSDT
    early_period_days: int | None = None  # length of that first period
    late_assessment_interval_days: int | None = None  # scheduled interval afterwards
    assessment_window_days: int = 7  # +/- window of a scheduled tumour assessment (missed-assessment rule)
    # explicit schedule: days after STARTDT of the scheduled tumour assessments; when given it is used instead
    # of TV's planned visits and of the three interval fields above
    assessment_days: tuple[int, ...] = ()
    # +/- window of the assessments scheduled more than early_period_days after STARTDT; None: assessment_window_days
    late_assessment_window_days: int | None = None
    start_date_description: str = "DATE OF FIRST DOSE"  # CNSDTDSC of a censoring at STARTDT (TRTSDT)
    # --- ADLB --------------------------------------------------------------------------------
    ctcae_version: str = "4.0"  # CTCAE version of the lab toxicity grades (criteria shipped in adam/data)
    # "LBTESTCD/L=CTCAE term" (or /H) entries over the library's test -> term map (adam/data/ctcae_v4_lab_terms.csv);
    # "LBTESTCD/H=" (no term) stops grading that test in that direction
    lab_toxicity_terms: tuple[str, ...] = ()
    # SDTM flag giving the lab baseline (LBLOBXFL or LBBLFL); None: the last non-missing value on/before TRTSDT
    lab_baseline_flag: str | None = None
    lab_ontrt_window_days: int | None = None  # ONTRTFL up to TRTEDT + this many days; None: every record after TRTSDT
    # --- ADPC / ADPP (concentrations and cellular kinetics; NCA in adam/nca.py) ---------------------
    pk_time_unit: str = "HOURS"  # HOURS or DAYS: NFRLT, AFRLT (FRLTU) and the NCA's times and AUC units
    # unit of --TPTNUM when it is the planned time after the dose within the visit (HOURS, DAYS or MINUTES);
    # None: --TPTNUM is an order number only (the planned time then comes from --ELTM, else VISITDY alone)
    pk_tptnum_unit: str | None = None
    # "TESTCD=value" LLOQs (in the standard unit) of tests whose records carry no --LLOQ (CP has no CPLLOQ)
    pk_lloq: tuple[str, ...] = ()
    # --STRESC results that mean "below the LLOQ" (besides any result starting with "<"), case-insensitive
    pk_blq_results: tuple[str, ...] = ("BLQ", "BQL", "BLOQ", "LLOQ", "NQ", "BELOW LLOQ")
    # what a BLQ sample's AVAL is, by its position among the measurable samples of the profile (after the dose):
    # ZERO, MISSING (not used), HALF_LLOQ or LLOQ; the defaults are PKNCA's (first 0, middle dropped, last 0)
    nca_blq_before_first: str = "ZERO"
    nca_blq_between: str = "MISSING"
    nca_blq_after_last: str = "ZERO"
    nca_auc_method: str = "LINUP_LOGDOWN"  # or LINEAR (trapezoid)
    nca_time: str = "ACTUAL"  # the NCA's time: ACTUAL (AFRLT) or NOMINAL (NFRLT)
    nca_time_zero: str = "ZERO"  # ZERO: concentration 0 at the dose when no sample is at time 0; NONE: nothing added
    nca_partial_auc_end: int | None = None  # ADPP AUC from 0 to this time (pk_time_unit): AUC28D; None: not derived

    def cutoff(self) -> pd.Timestamp:
        """The data cut-off as a Timestamp; without one, a time after every date (nothing is cut off)."""
        return pd.Timestamp.max if self.data_cutoff is None else pd.Timestamp(self.data_cutoff)

    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, values: Mapping[str, object], source: str = "parameters") -> StudyParameters:
        """Parameters from a mapping (e.g. a parsed YAML/JSON file); unknown keys or bad values fail."""
        return cls().replace(values, source)

    @classmethod
    def from_file(cls, path: str | Path, base: StudyParameters | None = None) -> StudyParameters:
        """Parameters from a YAML or JSON file holding one mapping (applied over `base`, else the defaults)."""
        return (base or cls()).replace(read_parameter_file(path), str(path))

    def with_overrides(self, assignments: Iterable[str]) -> StudyParameters:
        """A copy with `key=value` strings applied (the CLI's `--param`).

        Lists of terms are separated by "|" (`crs_terms=Cytokine release syndrome|CRS`), lists of
        numbers by "," or "|" (`age_group_cuts=50,65`).
        """
        values: dict[str, object] = {}
        problems = []
        for text in assignments:
            key, sep, value = text.partition("=")
            if not sep or not key.strip():
                problems.append(Problem("--param", f"{text!r} is not of the form key=value"))
                continue
            values[key.strip()] = value.strip()
        return self._replace_all(values, "--param", problems)

    def overridden(self, origin: str, given: Mapping[str, object] | list[str]) -> StudyParameters:
        """A copy with one override applied: a parsed parameters file (a mapping, `origin` its path) or
        `--param` strings (a list of `key=value`)."""
        return self.with_overrides(given) if isinstance(given, list) else self.replace(given, origin)

    def replace(self, values: Mapping[str, object], source: str = "parameters") -> StudyParameters:
        """A copy with the given fields changed; every problem is reported at once."""
        return self._replace_all(values, source, [])

    def _replace_all(self, values: Mapping[str, object], source: str, problems: list[Problem]) -> StudyParameters:
        hints = _type_hints(type(self))
        known = {f.name for f in dataclasses.fields(self)}
        changes: dict[str, object] = {}
        for key, raw in values.items():
            if key not in known:
                problems.append(Problem(source, f"unknown parameter {key!r}; known: {', '.join(sorted(known))}",
                                        column=str(key)))
                continue
            try:
                changes[key] = _convert(raw, hints[key])
            except (TypeError, ValueError) as err:
                problems.append(Problem(source, f"parameter {key!r}: {err}", column=key))
        if problems:
            raise DerivationError("bad study parameters", problems)
        return dataclasses.replace(self, **changes)


@functools.cache
def _type_hints(cls: type) -> dict[str, object]:
    """The fields' types, resolved once per class (resolving them takes milliseconds; a spec replaces
    parameters one by one, a hundred times per build)."""
    return typing.get_type_hints(cls)


def read_parameter_file(path: str | Path) -> dict[str, object]:
    """The mapping of name: value a YAML or JSON parameters file holds; InputError when it holds none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read parameters file {path}: {err}") from err
    try:
        values = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise InputError(f"parameters file {path} cannot be parsed: {err}") from err
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise InputError(f"parameters file {path} must hold one mapping of name: value")
    return dict(values)


def _convert(raw: object, hint: object) -> object:
    """Convert a value from a file or a command line to the field's declared type."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):  # `X | None`: empty, "none" or "null" is None
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(raw, inner)
    if origin is tuple:
        (item_type, _) = typing.get_args(hint)
        # terms may hold commas ("ASSIGNED, NOT TREATED"): text lists are split at "|", numbers also at ","
        separator = "|" if item_type is str or "|" in str(raw) else ","
        items = raw.split(separator) if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"expected a list, got {raw!r}")
        return tuple(_convert(item.strip() if isinstance(item, str) else item, item_type) for item in items)
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "yes", "y", "1"}:
            return True
        if text in {"false", "no", "n", "0"}:
            return False
        raise ValueError(f"expected true/false, got {raw!r}")
    if hint is int:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(f"expected a whole number, got {raw!r}")
        try:
            value = int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if value < 0:
            raise ValueError(f"expected a number >= 0, got {raw!r}")
        return value
    if hint is dt.date:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"expected a complete ISO 8601 date (YYYY-MM-DD), got {raw!r}") from None
    if hint is str:
        if not isinstance(raw, str):
            raise TypeError(f"expected text, got {raw!r}")
        return raw
    return raw
