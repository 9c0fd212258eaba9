"""The rule schema: every problem of a rule file is reported with file and rule; templates expand."""

from __future__ import annotations

import pytest

from specs.errors import InputError
from validation.rulebook import load_rules

GOOD = """
rules:
  - id: TF-T-0001
    title: t
    implements: [{authority: P21, id: SD0005}]
    standard: [SDTMIG 3.4]
    check: {variable: --SEQ, operator: is_not_unique, by: [USUBJID]}
    severity: error
    message: m
    sensitivity: record
"""


def _write(tmp_path, text: str, name: str = "rules.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_rules(_write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_a_valid_rule_loads_with_its_citations(tmp_path):
    (rule,) = load_rules(_write(tmp_path, GOOD))
    assert rule.id == "TF-T-0001"
    assert rule.citations == ("P21 SD0005",)
    assert rule.families == {"SDTM"}
    assert rule.level == "record"


def test_unknown_operator_is_reported_with_file_and_rule(tmp_path):
    problems = _problems(tmp_path, GOOD.replace("is_not_unique", "is_very_odd"))
    assert len(problems) == 1
    assert "rules.yaml" in problems[0] and "TF-T-0001" in problems[0] and "is_very_odd" in problems[0]


def test_every_problem_is_reported_at_once(tmp_path):
    text = GOOD.replace("    severity: error\n", "").replace("sensitivity: record", "sensitivity: subject")
    text += "    colour: blue\n"
    problems = _problems(tmp_path, text)
    joined = "\n".join(problems)
    assert "missing field `severity`" in joined
    assert "sensitivity 'subject'" in joined
    assert "unknown field `colour`" in joined


def test_operator_parameters_are_checked(tmp_path):
    problems = _problems(tmp_path, GOOD.replace("by: [USUBJID]", "by: [USUBJID], colour: red"))
    assert any("does not take `colour`" in p for p in problems)
    problems = _problems(tmp_path, GOOD.replace("{variable: --SEQ, operator: is_not_unique, by: [USUBJID]}",
                                                "{variable: --CAT, operator: not_in_codelist}"))
    assert any("needs `ct`" in p for p in problems)


def test_dataset_level_operators_cannot_be_combined(tmp_path):
    text = GOOD.replace("check: {variable: --SEQ, operator: is_not_unique, by: [USUBJID]}",
                        "check: {all: [{operator: variables_missing, value: [X]}, {variable: A, operator: empty}]}")
    assert any("cannot be combined" in p for p in _problems(tmp_path, text))


def test_duplicate_ids_across_files_are_refused(tmp_path):
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InputError) as caught:
        load_rules(tmp_path)
    assert "already used" in str(caught.value)


def test_templates_expand_with_typed_placeholders(tmp_path):
    text = """
templates:
  - template:
      id: TF-T-<<n>>
      title: <<domain>> required
      implements: [{authority: P21, id: SD0056}]
      standard: [SDTMIG 3.4]
      scope: {domains: [<<domain>>]}
      check: {operator: variables_missing, value: <<variables>>}
      severity: error
      message: "{variable} missing from <<domain>>"
      sensitivity: dataset
    for_each:
      - {n: '01', domain: AE, variables: [STUDYID, AESEQ]}
      - {n: '02', domain: LB, variables: [LBTESTCD]}
"""
    rules = load_rules(_write(tmp_path, text))
    assert [r.id for r in rules] == ["TF-T-01", "TF-T-02"]
    assert rules[0].check["value"] == ["STUDYID", "AESEQ"]  # a whole-string placeholder keeps its list
    assert rules[1].message == "{variable} missing from LB"  # {} placeholders are left for findings
    assert rules[1].scope.domains == (("LB",), ())


def test_a_template_row_without_a_value_is_reported(tmp_path):
    text = """
templates:
  - template: {id: 'X-<<n>>', title: '<<missing>>'}
    for_each: [{n: '1'}]
"""
    assert any("no value for <<missing>>" in p for p in _problems(tmp_path, text))


def test_dates_in_rule_files_stay_text(tmp_path):
    text = GOOD + "    examples: {fires: [{datasets: {AE: [{AESTDTC: 2024-02-30}]}}], silent: [{datasets: {AE: []}}]}\n"
    (rule,) = load_rules(_write(tmp_path, text))
    assert rule.examples["fires"][0]["datasets"]["AE"][0]["AESTDTC"] == "2024-02-30"


def test_each_variable_placeholder_needs_each_variable(tmp_path):
    text = GOOD.replace("{variable: --SEQ, operator: is_not_unique, by: [USUBJID]}",
                        "{variable: $each, operator: empty}")
    assert any("no `each_variable`" in p for p in _problems(tmp_path, text))
