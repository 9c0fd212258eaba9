"""The CORE coverage table: statuses from hand-made rules, the CSV round trip, the refresh from a clone of
cdisc-open-rules, and the committed validation/coverage.md being what the generator makes today."""

from __future__ import annotations

from pathlib import Path

import pytest

from specs.errors import InputError
from validation import coverage as cov
from validation.rulebook import load_rules, parse_rule

ROOT = Path(__file__).resolve().parents[2]


def core(core_id="CORE-000001", guideline_ids=("CG0001",), domains=("ALL",), exclude_domains=(), classes=("ALL",),
         exclude_classes=(), needs_domains=(), category="", note="", checks="X == Y"):
    return cov.CoreRule(core_id=core_id, authorities=("CDISC",), standards=("SDTMIG 3.4",),
                        guideline_ids=tuple(guideline_ids), rule_type="Record Data", domains=tuple(domains),
                        exclude_domains=tuple(exclude_domains), classes=tuple(classes),
                        exclude_classes=tuple(exclude_classes), checks=checks, needs_domains=tuple(needs_domains),
                        category=category, note=note)


def rule(rule_id, *implements):
    problems = []
    parsed = parse_rule({
        "id": rule_id, "title": "t", "standard": ["SDTMIG 3.4"], "severity": "error", "message": "m",
        "sensitivity": "record", "check": {"variable": "AESER", "operator": "empty"},
        "implements": [{"authority": a, "id": i} for a, i in implements]}, "test", problems)
    assert not problems, problems
    return parsed


PRODUCED = {"AE": "EVENTS", "DM": "SPECIAL PURPOSE", "LB": "FINDINGS", "SUPPAE": "RELATIONSHIP"}


def test_statuses_direct_via_cg_not_produced_library_and_not_yet():
    core_rules = [
        core("CORE-000001", ["CG0001"]),  # named directly
        core("CORE-000002", ["CG0002", "FB0101"]),  # through its CG id
        core("CORE-000003", ["CG0003"], domains=["EC"]),  # EC is not produced
        core("CORE-000004", ["CG0004"], classes=["FINDINGS ABOUT"]),  # no Findings About dataset
        core("CORE-000005", ["CG0005"], domains=["DM"], needs_domains=["DD"]),  # reads DD
        core("CORE-000006", ["CG0006"], category="library"),
        core("CORE-000007", ["CG0007"], domains=["SUPP--"]),  # a family: SUPPAE is produced
        core("CORE-000008", ["CG0008"], domains=["ALL"], exclude_domains=["AE", "DM", "LB", "SUPP--"]),
    ]
    rules = [rule("TF-1", ("CDISC CORE", "CORE-000001"), ("CDISC CG", "CG0002")),
             rule("TF-2", ("CDISC CG", "CG0002"), ("FDA", "FB0101")),  # FDA ids do not count
             rule("TF-3", ("CDISC CG", "CG0099"))]
    rows = {row.rule.core_id: row for row in cov.coverage(core_rules, rules, PRODUCED)}
    assert (rows["CORE-000001"].status, rows["CORE-000001"].direct, rows["CORE-000001"].via) == (
        cov.IMPLEMENTED, ("TF-1",), ())
    assert (rows["CORE-000002"].status, rows["CORE-000002"].direct, rows["CORE-000002"].via) == (
        cov.IMPLEMENTED, (), (("TF-1", "CG0002"), ("TF-2", "CG0002")))
    assert (rows["CORE-000003"].status, rows["CORE-000003"].reason) == (cov.NOT_PRODUCED, "scope EC (all)")
    assert rows["CORE-000004"].status == cov.NOT_PRODUCED
    assert (rows["CORE-000005"].status, rows["CORE-000005"].reason) == (cov.NOT_PRODUCED, "the check reads DD")
    assert rows["CORE-000006"].status == cov.CATEGORIES["library"]
    assert rows["CORE-000007"].status == cov.NOT_YET
    assert rows["CORE-000008"].status == cov.NOT_PRODUCED


def test_applies_to_reads_domains_classes_and_their_exclusions():
    assert cov.applies_to(core(domains=["ALL"], classes=["FINDINGS", "EVENTS"]), PRODUCED) == ["AE", "LB"]
    assert cov.applies_to(core(domains=[], classes=["ALL"], exclude_classes=["RELATIONSHIP"]), PRODUCED) == [
        "AE", "DM", "LB"]
    assert cov.applies_to(core(domains=["SUPP--", "DM"], classes=["ALL"]), PRODUCED) == ["DM", "SUPPAE"]
    assert cov.applies_to(core(domains=["AP--"], classes=["ALL"]), PRODUCED) == []


def test_render_counts_escapes_and_names_the_via_id():
    rows = cov.coverage(
        [core("CORE-000001", ["CG0001"], checks="A matches regex (X|Y)", note="a note"),
         core("CORE-000002", ["CG0002"], domains=["EC"]),
         core("CORE-000003", ["CG0003"])],
        [rule("TF-1", ("CDISC CG", "CG0001"))], PRODUCED)
    text = cov.render(rows, PRODUCED, "somewhere at commit abc")
    assert "somewhere at commit abc" in text
    assert "| apply to SDTMIG 3.4 | 3 |" in text
    assert "| implemented | 1 (1 of them through a CG id only) |" in text
    assert f"| not implemented: {cov.NOT_PRODUCED} | 1 |" in text
    assert f"| {cov.NOT_YET} | 1 |" in text
    assert "| apply to datasets our studies produce | 2 (1 implemented) |" in text
    row = "| CORE-000001 | CG0001 | ALL (all) | A matches regex (X\\|Y) | TF-1 (via CG0001) | implemented. a note |"
    assert row in text
    assert "AE (events), DM (special purpose), LB (findings), SUPPAE (relationship)" in text


def test_condition_restates_a_core_check_in_short():
    check = {"all": [{"name": "IECAT", "operator": "equal_to", "value": "INCLUSION"},
                     {"any": [{"name": "IEORRES", "operator": "not_equal_to", "value": "N"},
                              {"name": "IESTRESC", "operator": "empty"}]},
                     {"not": {"name": "IETESTCD", "operator": "is_contained_by", "value": ["A", "B", "C", "D", "E"]}}]}
    assert cov.condition(check) == ("IECAT == INCLUSION and (IEORRES != N or IESTRESC is empty) and "
                                    "not (IETESTCD in (A, B, C, D, ...))")
    long = {"all": [{"name": f"VARIABLE{n}", "operator": "non_empty"} for n in range(20)]}
    assert len(cov.condition(long)) == 110 and cov.condition(long).endswith("...")
    assert cov.condition({"name": "X", "operator": "date_greater_than", "value": "Y"}) == "X date greater than Y"


def test_csv_round_trip_and_a_bad_category_names_its_row(tmp_path):
    rules = [core("CORE-000001", classes=["SPECIAL PURPOSE", "FINDINGS ABOUT"], needs_domains=["DD"],
                  note="n, with comma"),
             core("CORE-000002", category="library")]
    path = tmp_path / "core.csv"
    cov.write_core_rules(rules, "a clone", path)
    assert cov.read_core_rules(path) == (rules, "a clone")
    path.write_text(path.read_text().replace(",library,", ",dictionaries,"))
    with pytest.raises(InputError) as raised:
        cov.read_core_rules(path)
    assert "row 4" in str(raised.value) and "'dictionaries'" in str(raised.value)


RULE_YML = """
Authorities:
  - Organization: CDISC
    Standards:
      - Name: SDTMIG
        Version: "{version}"
        References:
          - Rule Identifier: {{Id: CG0176}}
      - Name: TIG
        Version: "1.0"
        References:
          - Rule Identifier: {{Id: TIG0405}}
Check:
  all:
    - {{name: IECAT, operator: equal_to, value: INCLUSION}}
    - {{name: IEORRES, operator: not_equal_to, value: N}}
Core: {{Id: {core_id}, Status: Published}}
Rule Type: Record Data
Scope:
  Classes: {{Include: [FINDINGS]}}
  Domains: {{Include: [IE]}}
"""


def test_refresh_reads_published_sdtmig34_rules_and_keeps_our_columns(tmp_path):
    clone = tmp_path / "clone"
    for core_id, version in (("CORE-000001", "3.4"), ("CORE-000002", "3.3")):
        folder = clone / "Published" / core_id
        folder.mkdir(parents=True)
        (folder / "rule.yml").write_text(RULE_YML.format(core_id=core_id, version=version))
    csv_path = tmp_path / "core.csv"
    cov.write_core_rules([core("CORE-000001", checks="old", note="our note", category="library")], "old", csv_path)
    refreshed = cov.refresh(clone, csv_path, source="a test clone")
    assert [r.core_id for r in refreshed] == ["CORE-000001"]  # CORE-000002 names SDTMIG 3.3 only
    got = cov.read_core_rules(csv_path)[0][0]
    assert (got.checks, got.note, got.category) == ("IECAT == INCLUSION and IEORRES != N", "our note", "library")
    assert (got.guideline_ids, got.domains, got.classes, got.standards) == (
        ("CG0176",), ("IE",), ("FINDINGS",), ("SDTMIG 3.4", "TIG 1.0"))
    assert cov.read_core_rules(csv_path)[1] == "a test clone"


def test_bundled_csv_holds_each_sdtmig34_rule_once_and_every_core_id_our_rules_cite():
    core_rules, source = cov.read_core_rules()
    ids = [r.core_id for r in core_rules]
    assert len(ids) == len(set(ids)) >= 300
    assert all("SDTMIG 3.4" in r.standards for r in core_rules)
    assert "cdisc-open-rules" in source
    cited = {ident for r in load_rules() if "SDTM" in r.families for a, ident in r.implements if a == "CDISC CORE"}
    assert cited <= set(ids), f"our rules cite CORE ids that are not published SDTMIG 3.4 rules: {cited - set(ids)}"


def test_committed_coverage_md_is_what_the_generator_makes():
    committed = (ROOT / "validation" / "coverage.md").read_text(encoding="utf-8")
    assert committed == cov.coverage_markdown(), (
        "validation/coverage.md is stale: run `python -m validation.coverage > validation/coverage.md`")


def test_cli_prints_the_table_and_reports_a_bad_spec_without_a_traceback(capsys, tmp_path):
    assert cov.main(["--spec", str(ROOT / "examples" / "cdisc-pilot" / "pilot_sdtm_spec.xlsx")]) == 0
    assert capsys.readouterr().out.startswith("# CDISC CORE rules for SDTMIG 3.4")
    assert cov.main(["--spec", str(tmp_path / "missing.xlsx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_refresh_refuses_an_unreadable_rule_file_or_a_folder_without_rules(tmp_path):
    (tmp_path / "Published" / "CORE-000009").mkdir(parents=True)
    (tmp_path / "Published" / "CORE-000009" / "rule.yml").write_text("Check: [unclosed")
    with pytest.raises(InputError, match="CORE-000009"):
        cov.rules_from_clone(tmp_path)
    with pytest.raises(InputError, match="no Published"):
        cov.rules_from_clone(tmp_path / "empty")
