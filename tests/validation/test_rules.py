"""Every bundled rule fires on its crafted bad records and stays silent on its good ones.

One parametrized test runs each rule's inline `examples`; a rule without both kinds fails, so no rule
can be added untested. The meta-tests count the rules and check their metadata against the CT.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from validation import ct
from validation.examples import run_example
from validation.rulebook import bundled_rule_files, load_rules

RULES = load_rules()


def _describe(result) -> str:
    status = result.statuses[0]
    found = [(f.dataset, f.row, f.variables, f.values) for f in result.findings[:8]]
    return f"status={status.status} reason={status.reason!r} findings={found}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_fires_on_bad_records_and_stays_silent_on_good_ones(rule):
    fires, silent = rule.examples.get("fires"), rule.examples.get("silent")
    assert fires and silent, f"{rule.id} ({rule.source}) needs examples that fire and examples that stay silent"
    for number, example in enumerate(fires, start=1):
        result = run_example(rule, example)
        assert result.statuses[0].status == "issues", f"fires example {number}: {_describe(result)}"
        if "rows" in example:
            dataset = example.get("dataset") or result.findings[0].dataset
            rows = sorted(f.row for f in result.findings if f.dataset == dataset)
            assert rows == sorted(example["rows"]), f"fires example {number} points at {rows}: {_describe(result)}"
    for number, example in enumerate(silent, start=1):
        result = run_example(rule, example)
        assert result.statuses[0].status == "passed", f"silent example {number}: {_describe(result)}"


def test_at_least_150_rules_and_unique_ids():
    ids = [rule.id for rule in RULES]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


def test_every_theme_file_contributes_rules():
    by_file = Counter(Path(rule.source).stem for rule in RULES)
    themes = {p.stem for p in bundled_rule_files()}
    assert themes >= {"presence", "identifiers", "timing", "findings", "events", "terminology", "relationships",
                      "trial_design", "oncology", "adam", "define", "xpt"}
    assert all(by_file[theme] for theme in themes)


def test_codelist_rules_are_errors_for_closed_lists_and_warnings_for_extensible_ones():
    checked = 0
    for rule in RULES:
        leaves = _leaves(rule.check)
        codes = [leaf["ct"] for leaf in leaves if leaf.get("operator") == "not_in_codelist"]
        for code in codes:
            expected = "warning" if ct.extensible(str(code)) else "error"
            kind = "extensible" if expected == "warning" else "not extensible"
            assert rule.severity == expected, f"{rule.id}: codelist {code} is {kind}"
            checked += 1
    assert checked >= 40


def _leaves(node):
    if isinstance(node, dict):
        if "operator" in node:
            return [node]
        out = []
        for key in ("all", "any"):
            for child in node.get(key, []):
                out.extend(_leaves(child))
        if "not" in node:
            out.extend(_leaves(node["not"]))
        return out
    return []
