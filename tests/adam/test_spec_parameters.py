"""The ADaM spec's Mapping rows state the study parameters; overrides are written back into the spec."""

from __future__ import annotations

import dataclasses

import pytest

from adam.spec_parameters import check_adam_spec, published_spec, resolve_parameters, stated_values
from specs.errors import DerivationError
from specs.expressions import parse_expression
from specs.reader import read_spec
from trialforge.example_study import example_spec


@pytest.fixture(scope="module")
def spec():
    return read_spec(example_spec("adam"))


def _rows(spec, algorithm):
    return [r for r in spec.mappings if r.algorithm == algorithm]


def _with_row(spec, old, **changes):
    new = dataclasses.replace(old, **changes)
    return dataclasses.replace(spec, mappings=tuple(new if r is old else r for r in spec.mappings))


def _with_argument(spec, row, name, value):
    arguments = tuple((k, value if k == name else v) for k, v in row.arguments)
    if name not in dict(row.arguments):
        arguments += ((name, value),)
    return _with_row(spec, row, arguments=arguments)


def test_the_example_spec_states_its_parameters_without_a_problem(spec):
    assert check_adam_spec(spec) == []
    params = resolve_parameters(spec).params
    assert (params.confirm_days, params.sd_min_days, params.max_nr_ne, params.accept_sd) == (28, 42, 1, False)
    assert (params.cart_excat, params.lymphodepletion_excat) == ("CAR-T", "LYMPHODEPLETION")
    assert params.new_therapy_cmcat == "SUBSEQUENT ANTI-CANCER THERAPY"
    assert params.astct_grade_qnam == "AEASTCGR"
    assert (params.early_assessment_interval_days, params.early_period_days,
            params.late_assessment_interval_days, params.assessment_window_days) == (42, 168, 91, 7)
    assert params.alive_date_sources[0] == "DM.RFICDTC" and params.alive_date_sources[-1] == "DS.DSSTDTC"


def test_an_argument_the_derivation_does_not_accept_is_an_error(spec):
    row = _rows(spec, "derive_param_confirmed_bor")[0]
    problems = check_adam_spec(_with_argument(spec, row, "confirm_dayz", "21"))
    assert len(problems) == 1
    assert problems[0].row == row.row and problems[0].column == "Arguments"
    assert "does not accept the argument 'confirm_dayz'" in problems[0].message and "ref_confirm" in problems[0].message


def test_a_derivation_the_library_does_not_have_is_an_error(spec):
    row = _rows(spec, "derive_param_bor")[0]
    problems = check_adam_spec(_with_row(spec, row, algorithm="derive_param_best_guess"))
    assert [p.column for p in problems] == ["Algorithm"]
    assert "not an ADaM derivation" in problems[0].message


def test_rows_stating_one_parameter_differently_are_an_error(spec):
    row = _rows(spec, "derive_param_confirmed_resp")[0]
    problems = check_adam_spec(_with_argument(spec, row, "ref_confirm", "21"))
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "confirm_days" in problems[0].message and "must agree" in problems[0].message
    with pytest.raises(DerivationError):
        resolve_parameters(_with_argument(spec, row, "ref_confirm", "21"))


def test_a_value_not_of_the_parameters_type_is_an_error(spec):
    row = _rows(spec, "derive_param_bor")[0]
    problems = check_adam_spec(_with_argument(spec, row, "ref_start_window", "six weeks"))
    assert any("ref_start_window" in p.message and "whole number" in p.message for p in problems)


def test_a_placeholder_that_is_no_parameter_is_an_error(spec):
    method = spec.methods[0]
    changed = dataclasses.replace(spec, methods=(dataclasses.replace(method, description="at least {confirm_dayz} d"),
                                                 *spec.methods[1:]))
    problems = check_adam_spec(changed)
    assert len(problems) == 1 and "{confirm_dayz}" in problems[0].message and problems[0].sheet == method.sheet


def test_changing_the_spec_changes_the_parameter(spec):
    edited = spec
    for algorithm in ("derive_param_confirmed_resp", "derive_param_confirmed_bor"):
        row = next(r for r in edited.mappings if r.algorithm == algorithm)
        edited = _with_argument(edited, row, "ref_confirm", "35")
    assert resolve_parameters(edited).params.confirm_days == 35


def test_overrides_come_after_the_spec_and_are_written_back_into_it(spec):
    resolved = resolve_parameters(spec, [("study.yaml", {"confirm_days": 30, "data_cutoff": "2025-06-30"}),
                                         ("--param", ["confirm_days=21"])])
    assert resolved.params.confirm_days == 21 and str(resolved.params.data_cutoff) == "2025-06-30"
    assert resolved.sources["confirm_days"] == {"value": "21", "from": "--param"}
    assert resolved.sources["data_cutoff"]["from"] == "study.yaml"
    assert resolved.sources["sd_min_days"]["from"].startswith("ADaM spec, Mapping row")
    assert "confirm_days" in resolved.stated and "data_cutoff" not in resolved.stated
    confirmations = [dict(r.arguments)["ref_confirm"] for r in resolved.spec.mappings if "ref_confirm" in dict(r.arguments)]
    assert confirmations == ["21", "21"]
    avalc = next(m for m in resolved.spec.methods if m.id == "MT.ADRS.AVALC")
    assert "at least 21 days later with at most 1 NE" in avalc.description and "{" not in avalc.description
    assert "{confirm_days}" in next(m for m in spec.methods if m.id == "MT.ADRS.AVALC").description  # untouched


def test_a_condition_binding_is_rewritten_in_simple_and_compound_conditions(spec):
    params = dataclasses.replace(resolve_parameters(spec).params, cart_excat="CELL PRODUCT")
    published = published_spec(spec, params)
    conditions = {r.variable: r.condition.text for r in published.mappings if r.dataset == "ADSL" and r.condition}
    assert conditions["TRTSDT"] == "EXCAT == 'CELL PRODUCT'"
    assert conditions["DOSE01A"].startswith("EXCAT == 'CELL PRODUCT' and EXOCCUR != 'N'")
    assert conditions["LDSTDT"] == "EXCAT == 'LYMPHODEPLETION'"  # another parameter, untouched
    every_record = published_spec(spec, dataclasses.replace(params, cart_excat=None))
    after = {r.variable: r.condition for r in every_record.mappings if r.dataset == "ADSL"}
    assert after["TRTSDT"] is None
    assert after["DOSE01A"].text == "EXOCCUR != 'N' and EXDOSE != 0"
    assert resolve_parameters(every_record).params.cart_excat is None  # the published spec states what was used


def test_a_missing_condition_means_every_record(spec):
    rows = [r for r in spec.mappings if r.dataset == "ADSL" and r.variable == "LDSTDT"]
    edited = _with_row(spec, rows[0], condition=None)
    assert resolve_parameters(edited).params.lymphodepletion_excat is None
    twice = _with_row(spec, rows[0], condition=parse_expression("EXCAT == 'A' or EXCAT == 'B'"))
    stated, problems = stated_values(twice)
    assert len(problems) == 1 and "more than once" in problems[0].message


def test_the_assessment_schedule_is_stated_on_the_time_to_event_rows(spec):
    params = resolve_parameters(spec).params
    assert params.late_assessment_window_days == 14 and params.assessment_days == ()
    row = next(r for r in spec.mappings if r.algorithm == "derive_param_tte" and dict(r.arguments).get("value") == "PFS")
    edited = _with_argument(spec, row, "assessment_days", "42, 84, 126, 168, 259")
    other = next(r for r in edited.mappings if r.algorithm == "derive_param_tte"
                 and dict(r.arguments).get("value") == "DOR")
    edited = _with_argument(edited, other, "assessment_days", "42, 84, 126, 168, 259")
    assert resolve_parameters(edited).params.assessment_days == (42, 84, 126, 168, 259)
