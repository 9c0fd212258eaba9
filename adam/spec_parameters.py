"""The ADaM spec as the source of the study parameters: its Mapping rows set them, overrides are written back.

A study parameter (adam.parameters.StudyParameters) that a Mapping row can state is bound to that row here:

- an argument binding: the argument of a derivation, e.g. `ref_confirm` of `derive_param_confirmed_bor` is
  `confirm_days`; rows of several variables or derivations may state one parameter, and they must agree;
- a condition binding: the Condition of one variable's row, `COLUMN == 'value'`, names the records the
  derivation reads, e.g. ADSL.TRTSDT's `EXCAT == 'CAR-T'` is `cart_excat`; no Condition means every record.

The parameters of a build are, in this order of precedence: the library's defaults, the spec's rows, the
study's parameter file, `--param-file`, `--param`. The spec the package is published with (define.xml, the
exported spec) carries the values the data was derived with: overridden values are written back into their
rows, and `{parameter}` in a Methods or Comments description is replaced by the parameter's value, so method
text and data cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adam.derivations import DERIVATIONS
from adam.parameters import StudyParameters
from specs.errors import DerivationError, Problem
from specs.expressions import parse_expression
from specs.model import MappingRow, Spec


@dataclass(frozen=True)
class ArgumentBinding:
    derivation: str
    argument: str
    parameter: str
    variables: tuple[str, ...] = ()  # only the rows of these variables; () any row of the derivation


@dataclass(frozen=True)
class ConditionBinding:
    dataset: str
    variables: tuple[str, ...]  # their rows' Conditions must agree
    column: str  # the Condition's one `column == 'value'` gives the parameter's value; none: every record
    parameter: str


ARGUMENT_BINDINGS: tuple[ArgumentBinding, ...] = (
    ArgumentBinding("derive_param_confirmed_resp", "ref_confirm", "confirm_days"),
    ArgumentBinding("derive_param_confirmed_bor", "ref_confirm", "confirm_days"),
    ArgumentBinding("derive_param_confirmed_resp", "max_nr_ne", "max_nr_ne"),
    ArgumentBinding("derive_param_confirmed_bor", "max_nr_ne", "max_nr_ne"),
    ArgumentBinding("derive_param_confirmed_bor", "accept_sd", "accept_sd"),
    ArgumentBinding("derive_param_bor", "ref_start_window", "sd_min_days"),
    ArgumentBinding("derive_param_confirmed_bor", "ref_start_window", "sd_min_days"),
    ArgumentBinding("derive_param_bor", "reference", "response_reference_date"),
    ArgumentBinding("derive_param_confirmed_bor", "reference", "response_reference_date"),
    ArgumentBinding("derive_param_tte", "missed_assessments", "missed_assessments"),
    ArgumentBinding("derive_param_tte", "early_interval", "early_assessment_interval_days"),
    ArgumentBinding("derive_param_tte", "early_period", "early_period_days"),
    ArgumentBinding("derive_param_tte", "late_interval", "late_assessment_interval_days"),
    ArgumentBinding("derive_param_tte", "window", "assessment_window_days"),
    ArgumentBinding("derive_param_tte", "assessment_days", "assessment_days"),
    ArgumentBinding("derive_param_tte", "late_window", "late_assessment_window_days"),
    ArgumentBinding("derive_var_group", "cuts", "age_group_cuts", ("AGEGR1", "AGEGR1N")),
    ArgumentBinding("derive_var_lstalvdt", "sources", "alive_date_sources"),
    ArgumentBinding("derive_vars_supp", "qnam", "astct_grade_qnam", ("ASTCTGR",)),
    ArgumentBinding("derive_var_cq", "name", "crs_query_name", ("CQ01NAM",)),
    ArgumentBinding("derive_var_cq", "name", "neurotoxicity_query_name", ("CQ02NAM",)),
    ArgumentBinding("derive_var_resolved_flag", "outcomes", "resolved_aeout"),
    ArgumentBinding("derive_var_ablfl", "flag", "lab_baseline_flag"),
    ArgumentBinding("derive_var_atoxgr", "version", "ctcae_version"),
    ArgumentBinding("derive_var_atoxgr", "terms", "lab_toxicity_terms"),
    ArgumentBinding("derive_var_ontrtfl", "window", "lab_ontrt_window_days"),
    ArgumentBinding("derive_var_blqfl", "results", "pk_blq_results"),
    ArgumentBinding("derive_var_alloq", "lloq", "pk_lloq"),
    ArgumentBinding("derive_var_aval_blq", "before_first", "nca_blq_before_first"),
    ArgumentBinding("derive_var_aval_blq", "between", "nca_blq_between"),
    ArgumentBinding("derive_var_aval_blq", "after_last", "nca_blq_after_last"),
    ArgumentBinding("derive_var_frlt", "unit", "pk_time_unit"),
    ArgumentBinding("derive_var_frlt", "tptnum_unit", "pk_tptnum_unit"),
    ArgumentBinding("derive_var_nca_flag", "time", "nca_time"),
    ArgumentBinding("derive_param_nca", "time", "nca_time"),
    ArgumentBinding("derive_param_nca", "method", "nca_auc_method"),
    ArgumentBinding("derive_param_nca", "time_zero", "nca_time_zero"),
    ArgumentBinding("derive_param_nca", "partial_end", "nca_partial_auc_end"),
)

_TREATMENT = ("SAFFL", "TRTSDT", "TRTSDTM", "TRTSTMF", "TRTEDT", "TRTEDTM", "TRTETMF", "DOSE01A", "DOSE01U")
CONDITION_BINDINGS: tuple[ConditionBinding, ...] = (
    ConditionBinding("ADSL", _TREATMENT, "EXCAT", "cart_excat"),
    ConditionBinding("ADSL", ("LDSTDT",), "EXCAT", "lymphodepletion_excat"),
    ConditionBinding("ADSL", ("NACTDT", "NACTDTF"), "CMCAT", "new_therapy_cmcat"),
    ConditionBinding("ADSL", ("TUMTYPE",), "MHCAT", "primary_diagnosis_mhcat"),
    ConditionBinding("ADSL", ("APHDT", "ENRLFL"), "PRTRT", "leukapheresis_prtrt"),
)

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_EQUALS = r"""\b{}\s*==\s*(?:'([^']*)'|"([^"]*)")"""  # one comparison of the bound column
_FIELDS = {f.name for f in dataclasses.fields(StudyParameters)}


@dataclass(frozen=True)
class Stated:
    """One value a spec row states for a parameter."""

    parameter: str
    text: str  # as written
    row: MappingRow
    column: str  # "Arguments" or "Condition"
    argument: str | None = None

    @property
    def where(self) -> str:
        said = f"{self.argument}={self.text}" if self.argument else f"Condition {self.row.condition or '(none)'}"
        return f"{self.row.sheet} row {self.row.row} ({self.row.dataset}.{self.row.variable} {self.row.algorithm}: {said})"


def stated_values(spec: Spec) -> tuple[list[Stated], list[Problem]]:
    """Every parameter value the spec's Mapping rows state, and the problems of those rows: a derivation the
    library does not have, an argument it does not accept, a bound Condition that is not `COLUMN == 'value'`."""
    stated: list[Stated] = []
    problems: list[Problem] = []
    for row in spec.mappings:
        derivation = DERIVATIONS.get(row.algorithm)
        if derivation is None:
            problems.append(_problem(spec, row, "Algorithm", f"{row.algorithm!r} is not an ADaM derivation of "
                                     f"trialforge; known: {', '.join(sorted(DERIVATIONS))}"))
            continue
        for name, text in row.arguments:
            if name not in derivation.arguments:
                accepted = ", ".join(derivation.arguments) or "none"
                problems.append(_problem(spec, row, "Arguments", f"{row.algorithm} does not accept the argument "
                                         f"{name!r} (it accepts: {accepted})"))
                continue
            for binding in ARGUMENT_BINDINGS:
                if (binding.derivation, binding.argument) == (row.algorithm, name) and (
                        not binding.variables or row.variable.upper() in binding.variables):
                    stated.append(Stated(binding.parameter, text, row, "Arguments", name))
        for binding in CONDITION_BINDINGS:
            if row.dataset.upper() != binding.dataset or row.variable.upper() not in binding.variables:
                continue
            found = re.findall(_EQUALS.format(binding.column), row.condition.text if row.condition else "")
            if len(found) > 1:
                problems.append(_problem(spec, row, "Condition", f"the Condition names the {binding.column} of the "
                                         f"records {row.variable} is derived from more than once; write one "
                                         f"`{binding.column} == 'value'`, or none for every record"))
                continue
            value = "" if not found else found[0][0] if found[0][1] == "" else found[0][1]
            stated.append(Stated(binding.parameter, value, row, "Condition"))
    return stated, problems


def check_adam_spec(spec: Spec) -> list[Problem]:
    """Spec-check errors of an ADaM spec's Mapping rows and descriptions (see `stated_values`), a value that
    is not of its parameter's type, two rows stating one parameter differently, and a `{name}` in a Methods or
    Comments description that is no parameter."""
    _, problems = _spec_parameters(spec)
    for item, kind in [*((m, "Methods") for m in spec.methods), *((c, "Comments") for c in spec.comments)]:
        for name in _PLACEHOLDER.findall(item.description or ""):
            if name not in _FIELDS:
                problems.append(Problem(spec.source, f"{{{name}}} in the description of {item.id} is not a study "
                                        f"parameter; known: {', '.join(sorted(_FIELDS))}", item.sheet, item.row,
                                        "Description"))
    return problems


def _spec_parameters(spec: Spec) -> tuple[dict[str, tuple[Any, Stated]], list[Problem]]:
    stated, problems = stated_values(spec)
    values: dict[str, tuple[Any, Stated]] = {}
    for item in stated:
        try:
            value = getattr(StudyParameters().replace({item.parameter: _as_input(item.parameter, item.text)},
                                                      "spec"), item.parameter)
        except DerivationError as error:
            problems.append(_problem(spec, item.row, item.column, f"{item.argument or item.parameter}: "
                                     + "; ".join(p.message for p in error.problems)))
            continue
        if item.parameter in values and values[item.parameter][0] != value:
            first = values[item.parameter][1]
            problems.append(_problem(spec, item.row, item.column, f"states {item.parameter} as {item.text!r}, but "
                                     f"{first.where} states {first.text!r}: the rows of one parameter must agree"))
            continue
        values.setdefault(item.parameter, (value, item))
    return values, problems


def _as_input(parameter: str, text: str) -> object:
    """Spec text as the parameter's input: lists in a spec are comma-separated."""
    if isinstance(getattr(StudyParameters(), parameter), tuple):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


@dataclass(frozen=True)
class Resolved:
    params: StudyParameters
    spec: Spec  # the spec as published: every bound row and description carries the values used
    sources: dict[str, dict[str, object]]  # parameter -> {"value", "from"} for every value not the library's
    stated: frozenset[str]  # the parameters the spec's rows state


def resolve_parameters(spec: Spec, overrides: Iterable[tuple[str, Mapping[str, object] | list[str]]] = ()
                       ) -> Resolved:
    """The study parameters of a derivation: the library's defaults, the spec's rows, then each override in
    turn (("file path", mapping) or ("--param", ["key=value", ...])). DerivationError lists every problem."""
    values, problems = _spec_parameters(spec)
    if problems:
        raise DerivationError(f"the ADaM spec {spec.source} states its parameters wrongly", problems)
    params = StudyParameters().replace({name: value for name, (value, _) in values.items()}, spec.source)
    sources = {name: {"value": _text(value), "from": f"ADaM spec, {item.where}"} for name, (value, item)
               in values.items()}
    for origin, given in overrides:
        before = params
        params = params.overridden(origin, given)
        for name in _FIELDS:
            if getattr(params, name) != getattr(before, name) or (name in _changed_keys(given) and name not in sources):
                sources[name] = {"value": _text(getattr(params, name)), "from": origin}
    return Resolved(params, published_spec(spec, params), dict(sorted(sources.items())), frozenset(values))


def _changed_keys(given: Mapping[str, object] | list[str]) -> set[str]:
    if isinstance(given, list):
        return {text.partition("=")[0].strip() for text in given}
    return set(given)


def published_spec(spec: Spec, params: StudyParameters) -> Spec:
    """`spec` with every bound argument and Condition set to the value in `params`, and `{parameter}` in
    Methods and Comments descriptions replaced by its value."""
    stated, _ = stated_values(spec)
    by_row: dict[int, list[Stated]] = {}
    for item in stated:
        by_row.setdefault(id(item.row), []).append(item)
    mappings = tuple(_with_values(row, by_row.get(id(row), ()), params) for row in spec.mappings)

    def described(item):
        text = item.description or ""
        filled = _PLACEHOLDER.sub(lambda m: _text(getattr(params, m.group(1))) if m.group(1) in _FIELDS
                                  else m.group(0), text)
        return item if filled == text else dataclasses.replace(item, description=filled)

    return dataclasses.replace(spec, mappings=mappings, methods=tuple(described(m) for m in spec.methods),
                               comments=tuple(described(c) for c in spec.comments))


def _with_values(row: MappingRow, stated: Iterable[Stated], params: StudyParameters) -> MappingRow:
    arguments, condition = list(row.arguments), row.condition
    for item in stated:
        value = getattr(params, item.parameter)
        if item.argument:
            arguments = [(name, _text(value) if name == item.argument else text) for name, text in arguments]
        else:
            binding = next(b for b in CONDITION_BINDINGS if b.parameter == item.parameter)
            condition = _with_comparison(condition, binding.column, value)
    if arguments == list(row.arguments) and condition is row.condition:
        return row
    return dataclasses.replace(row, arguments=tuple(arguments), condition=condition)


def _with_comparison(condition, column: str, value: object):
    """The Condition with its `column == '...'` comparison set to `value` (added when missing, dropped when
    `value` is None: every record)."""
    text = condition.text if condition is not None else ""
    comparison = re.compile(_EQUALS.format(column))
    if value is None:
        text = re.sub(r"^\s*(?:and\s+)?|\s+and\s*$", "", comparison.sub("", text, count=1).replace("  ", " "))
        text = re.sub(r"\band\s+and\b", "and", text).strip()
    else:
        new = f"{column} == {_quoted(str(value))}"
        text = comparison.sub(lambda _: new, text, count=1) if comparison.search(text) else \
            (f"{new} and {text}" if text else new)
    if condition is not None and text == condition.text:
        return condition
    return parse_expression(text) if text else None


def _quoted(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


def _text(value: object) -> str:
    """A parameter value as a spec cell writes it."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, tuple):
        return ", ".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _problem(spec: Spec, row: MappingRow, column: str, message: str) -> Problem:
    return Problem(spec.source, f"{row.dataset}.{row.variable}: {message}", row.sheet, row.row, column)
