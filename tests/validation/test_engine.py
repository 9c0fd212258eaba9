"""The engine: scope, crash isolation, not-applicable reasons, finding details, caps and the gate."""

from __future__ import annotations

import pandas as pd
import pytest

from validation import operators
from validation.engine import format_message, validate_datasets
from validation.model import Finding, RuleStatus, ValidationResult
from validation.rulebook import load_rules


def _rules(tmp_path, body: str):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + body, encoding="utf-8")
    return load_rules(path)


RULE = """
  - id: {id}
    title: t
    implements: [{{authority: P21, id: SD0001}}]
    standard: [{standard}]
    {extra}
    check: {check}
    severity: {severity}
    message: "{message}"
    sensitivity: {sensitivity}
"""


def rule(id="TF-X-1", check="{variable: --SEQ, operator: is_not_unique, by: [USUBJID]}", standard="SDTMIG 3.4",
         extra="", severity="error", message="{variable} {value}", sensitivity="record") -> str:
    return RULE.format(id=id, check=check, standard=standard, extra=extra, severity=severity, message=message,
                       sensitivity=sensitivity)


@pytest.fixture
def boom():
    """An operator that always crashes, registered for one test only."""
    @operators.operator("test_boom")
    def _boom(frame, params, ctx):
        raise ZeroDivisionError("boom")

    yield
    del operators.REGISTRY["test_boom"]


def test_a_crashing_rule_is_an_error_status_and_the_others_still_run(tmp_path, boom):
    rules = _rules(tmp_path, rule("TF-X-1", check="{variable: AESEQ, operator: test_boom}") + rule("TF-X-2"))
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 1]})
    result = validate_datasets({"AE": ae}, rules=rules)
    statuses = {s.rule_id: s for s in result.statuses}
    assert statuses["TF-X-1"].status == "error"
    assert "ZeroDivisionError: boom" in statuses["TF-X-1"].reason
    assert statuses["TF-X-2"].status == "issues" and statuses["TF-X-2"].findings == 2
    assert result.fails("warning") and result.fails("error")  # a crashed rule never passes a gate


def test_findings_carry_record_subject_seq_variables_and_values(tmp_path):
    rules = _rules(tmp_path, rule(message="{dataset} {variable}={value} for {USUBJID}"))
    ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1, 2, 2], "AETERM": ["a", "b", "c"]})
    lb = pd.DataFrame({"USUBJID": ["S1", "S1"], "LBSEQ": [7, 7]})
    result = validate_datasets({"AE": ae, "LB": lb}, rules=rules)
    (finding, other) = result.findings
    assert (finding.dataset, finding.row, finding.usubjid, finding.seq) == ("LB", 1, "S1", 7)
    assert finding.variables == ("LBSEQ",) and finding.values == (7,)
    assert finding.message == "LB LBSEQ=7 for S1"
    assert finding.implements == ("P21 SD0001",)
    assert other.row == 2
    assert result.statuses[0].dataset_findings == (("LB", 2),)


def test_missing_variable_makes_the_rule_not_applicable_with_the_reason(tmp_path):
    rules = _rules(tmp_path, rule())
    result = validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"]})}, rules=rules)
    status = result.statuses[0]
    assert status.status == "not applicable"
    assert "AESEQ" in status.reason


def test_missing_lookup_dataset_is_not_applicable(tmp_path):
    rules = _rules(tmp_path, rule(check="{variable: USUBJID, operator: not_in_lookup, lookup: {dataset: DM}}",
                                  extra="requires_datasets: [DM]"))
    result = validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"]})}, rules=rules)
    assert result.statuses[0].status == "not applicable" and "DM" in result.statuses[0].reason


def test_scope_by_standard_class_and_domain(tmp_path):
    rules = _rules(tmp_path,
                   rule("TF-X-1", check="{variable: USUBJID, operator: empty}", extra="scope: {classes: [EVENTS]}")
                   + rule("TF-X-2", check="{variable: USUBJID, operator: empty}", standard="ADaMIG 1.3")
                   + rule("TF-X-3", check="{variable: USUBJID, operator: empty}",
                          extra="scope: {domains: {exclude: [AE]}}"))
    frames = {"AE": pd.DataFrame({"USUBJID": [""]}), "LB": pd.DataFrame({"USUBJID": [""]}),
              "ADAE": pd.DataFrame({"USUBJID": [""]})}
    result = validate_datasets(frames, rules=rules)
    ran = {s.rule_id: s.datasets for s in result.statuses}
    assert ran == {"TF-X-1": ("AE",), "TF-X-2": ("ADAE",), "TF-X-3": ("LB",)}


def test_detail_cap_keeps_the_exact_count(tmp_path):
    rules = _rules(tmp_path, rule(check="{variable: LBORRES, operator: empty}"))
    lb = pd.DataFrame({"USUBJID": ["S1"] * 10, "LBORRES": [""] * 10})
    result = validate_datasets({"LB": lb}, rules=rules, max_details=3)
    assert len(result.findings) == 3
    assert result.statuses[0].findings == 10
    assert "capped" in result.statuses[0].reason
    assert result.counts()["error"] == 10


def test_dataset_sensitivity_reports_each_distinct_value_once(tmp_path):
    rules = _rules(tmp_path, rule(check="{variable: LBTESTCD, operator: not_in, value: [ALT]}", sensitivity="dataset"))
    lb = pd.DataFrame({"LBTESTCD": ["ALT", "XX", "XX", "YY", "XX"]})
    result = validate_datasets({"LB": lb}, rules=rules)
    assert [(f.row, f.values) for f in result.findings] == [(2, ("XX",)), (4, ("YY",))]
    assert result.statuses[0].findings == 2


def test_optional_variables_read_as_missing(tmp_path):
    check = ("{all: [{variable: LBREASND, operator: non_empty},"
             " {variable: 'LBSTAT?', operator: not_equal_to, value: NOT DONE}]}")
    rules = _rules(tmp_path, rule(check=check))
    result = validate_datasets({"LB": pd.DataFrame({"LBREASND": ["lost", ""]})}, rules=rules)
    assert [f.row for f in result.findings] == [1]


def test_standard_filter_runs_only_that_standard(tmp_path):
    rules = _rules(tmp_path, rule("TF-X-1") + rule("TF-X-2", standard="ADaMIG 1.3"))
    result = validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1]})}, rules=rules,
                               standard="ADaMIG 1.3")
    assert [s.rule_id for s in result.statuses] == ["TF-X-2"]


def test_run_facts_name_engine_standards_and_ct():
    result = validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"]})}, rules=[])
    assert result.run["engine_version"]
    assert result.run["ct_versions"] == ["CDISC CT 2025-03-28 (bundled)"]
    assert result.run["records"] == 1


def test_format_message_leaves_unknown_placeholders_and_stray_braces():
    assert format_message("{a} and {b}", {"a": 1.0}) == "1 and {b}"
    assert format_message("odd } brace {a", {"a": 1}) == "odd } brace {a"


def test_gate_levels():
    result = ValidationResult(statuses=[RuleStatus("R1", "issues", "warning", findings=2)])
    assert not result.fails(None)
    assert not result.fails("error")
    assert result.fails("warning")
    result.add_findings([Finding("RAW-1", "error", "m", source="expectation")])
    assert result.fails("error")
    with pytest.raises(ValueError):
        result.fails("notice")


def test_run_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"]})}, rules=[])
    assert result.run["run_date"] == "2023-11-14T22:13:20+00:00"


def test_a_bad_source_date_epoch_is_the_same_input_error_as_in_a_build(monkeypatch):
    from specs.errors import InputError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH='yesterday' is not a whole number"):
        validate_datasets({"AE": pd.DataFrame({"USUBJID": ["S1"]})}, rules=[])
