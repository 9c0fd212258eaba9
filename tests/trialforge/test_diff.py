"""`trialforge diff`: two builds whose raw data differ by one AE record report exactly that record."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.robustness.conftest import run_cli
from trialforge.diff import _multiset_minus, diff_packages
from trialforge.example_study import example_spec

SPECS = ("--sdtm-spec", example_spec("sdtm"), "--adam-spec", example_spec("adam"))
SUBJECT = "01-004"


def _rewrite_ae(raw: Path, change) -> dict:
    """Rewrite raw ae.csv with `change(rows, header)` applied; returns the row it picked."""
    with (raw / "ae.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0])
    picked = change(rows)
    with (raw / "ae.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return picked


def _drop_last_ae(rows: list[dict]) -> dict:
    """Remove the subject's AE that sorts last (define keys: USUBJID, AEDECOD, AESTDTC), so no AESEQ shifts."""
    last = max((r for r in rows if r["Subject"] == SUBJECT), key=lambda r: (r["AEDECOD"], r["AESTDAT"]))
    rows.remove(last)
    return last


def _alter_outcome(rows: list[dict]) -> dict:
    row = next(r for r in rows if r["Subject"] == SUBJECT and r["AEOUT"].lower().startswith("recovered"))
    row["AEOUT"] = "Not Recovered/Not Resolved"
    return row


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Packages of the same raw data twice, of it minus one AE record, and (SDTM) of one AE outcome changed."""
    from trialforge.example_study.generator import generate_study

    root = tmp_path_factory.mktemp("diff")
    generate_study(root / "raw", subjects=5, seed=20240101)
    shutil.copytree(root / "raw", root / "raw-dropped")
    dropped = _rewrite_ae(root / "raw-dropped", _drop_last_ae)
    shutil.copytree(root / "raw", root / "raw-altered")
    altered = _rewrite_ae(root / "raw-altered", _alter_outcome)
    for raw, out, extra in (("raw", "base", ()), ("raw", "again", ()), ("raw-dropped", "dropped", ()),
                            ("raw", "base-sdtm", ("--stages", "sdtm")),
                            ("raw-altered", "altered", ("--stages", "sdtm"))):
        result = run_cli("build", "--study", root / raw, *SPECS, *extra, "--out", root / out)
        assert result.code == 0, result.text
    return root, dropped, altered


def _by_name(diff) -> dict:
    return {d.name: d for d in diff.datasets}


def test_identical_builds_report_nothing(builds):
    root = builds[0]
    result = run_cli("diff", root / "base", root / "again")
    assert result.code == 0, result.text
    assert "0 of 31 datasets differ; findings: 0 new, 0 resolved" in result.out
    assert not diff_packages(root / "base", root / "again").differs


def test_one_removed_ae_record_is_reported_as_exactly_that_record(builds):
    root, dropped, _ = builds
    diff = diff_packages(root / "base", root / "dropped")
    datasets = _by_name(diff)
    usubjid = f"MESOCART-PD1-{SUBJECT}"
    ae = datasets["AE"]
    assert ae.keys == ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC")
    assert ae.removed == [{"STUDYID": "MESOCART-PD1", "USUBJID": usubjid, "AEDECOD": dropped["AEDECOD"],
                           "AESTDTC": ae.removed[0]["AESTDTC"]}]
    assert not ae.added and not ae.changed and not ae.metadata
    assert (ae.old_records, ae.new_records) == (25, 24)
    # its consequences: the record's SUPPAE qualifiers and its ADAE record go; the subject's other ADAE
    # records may change flags derived across records (first occurrence); nothing else differs
    suppae = datasets["SUPPAE"]
    assert suppae.removed and not suppae.added and not suppae.changed
    assert {(r["USUBJID"], r["IDVARVAL"]) for r in suppae.removed} == {(usubjid, str(_seq_of(root, dropped)))}
    adae = datasets["ADAE"]
    assert [(r["USUBJID"], r["AEDECOD"]) for r in adae.removed] == [(usubjid, dropped["AEDECOD"])]
    assert not adae.added and all(c["key"]["USUBJID"] == usubjid for c in adae.changed)
    assert {d.name for d in diff.datasets if d.differs} == {"AE", "SUPPAE", "ADAE"}
    assert not diff.findings_new  # findings about the removed record are resolved, nothing else
    assert all(f["dataset"] in ("AE", "ADAE", "SUPPAE") for f in diff.findings_resolved)


def _seq_of(root: Path, dropped: dict) -> int:
    from formats.folder import read_dataset

    ae = read_dataset(root / "base" / "m5/datasets/MESOCART-PD1/tabulations/sdtm/ae.xpt").frame
    match = ae[(ae.USUBJID == f"MESOCART-PD1-{SUBJECT}") & (ae.AEDECOD == dropped["AEDECOD"])]
    assert len(match) == 1
    return int(match.AESEQ.iloc[0])


def test_one_changed_ae_value_is_reported_as_variable_old_new(builds):
    root, _, altered = builds
    result = run_cli("diff", root / "base-sdtm", root / "altered", "--json", root / "altered.json")
    assert result.code == 1, result.text
    assert "AE: 25 -> 25 records; 0 added, 0 removed, 1 changed" in result.out
    assert "AEOUT: 'RECOVERED/RESOLVED' -> 'NOT RECOVERED/NOT RESOLVED'" in result.out
    document = json.loads((root / "altered.json").read_text(encoding="utf-8"))
    ae = next(d for d in document["datasets"] if d["name"] == "AE")
    assert [c["changes"] for c in ae["changed"]] == [[["AEOUT", "RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED"]]]
    assert ae["changed"][0]["key"]["AEDECOD"] == altered["AEDECOD"]
    assert [d["name"] for d in document["datasets"] if d["differs"]] == ["AE"]


def test_text_output_is_capped_but_counts_are_exact(builds):
    root = builds[0]
    result = run_cli("diff", root / "base", root / "dropped", "--limit", "1")
    assert result.code == 1
    assert "SUPPAE: 53 -> 51 records; 0 added, 2 removed" in result.out
    assert "... and 1 more removed" in result.out


def test_html_report_is_self_contained_and_never_clobbers(builds, tmp_path):
    root = builds[0]
    page = tmp_path / "diff.html"
    assert run_cli("diff", root / "base", root / "dropped", "--html", page).code == 1
    html = page.read_text(encoding="utf-8")
    assert "AEDECOD=" in html and "http://" not in html and "https://" not in html and "<script" not in html
    assert run_cli("diff", root / "base", root / "dropped", "--html", page).code == 1  # ours: replaced
    mine = tmp_path / "mine.html"
    mine.write_text("my notes")
    result = run_cli("diff", root / "base", root / "dropped", "--html", mine)
    assert result.code == 2 and "not a report trialforge diff wrote" in result.text
    assert mine.read_text() == "my notes"
    assert run_cli("diff", root / "base", root / "dropped", "--html", tmp_path).code == 2


def test_html_escapes_values(builds):
    from trialforge.diff import DatasetDiff, PackageDiff
    from trialforge.diff_report import to_html

    hostile = DatasetDiff("AE", keys=("USUBJID",), old_records=1, new_records=1,
                          changed=[{"key": {"USUBJID": "<b>x</b>"}, "changes": [["AETERM", "<script>", "&"]]}])
    html = to_html(PackageDiff("old<", "new>", [hostile]))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html


def test_bad_inputs_are_input_errors(builds, tmp_path):
    root = builds[0]
    (tmp_path / "empty").mkdir()
    for old, new in ((root / "base", tmp_path / "empty"), (tmp_path / "nowhere", root / "base")):
        result = run_cli("diff", old, new)
        assert result.code == 3 and "Traceback" not in result.text, result.text


def test_findings_match_by_content_not_row_number():
    old = [{"rule_id": "R1", "dataset": "AE", "usubjid": "S1", "variables": ["AESTDTC"], "values": ["x"], "row": 3},
           {"rule_id": "R2", "dataset": "AE", "usubjid": "S1", "variables": ["AEDECOD"], "values": ["y"], "row": 4}]
    new = [{**old[0], "row": 2}, {**old[0], "row": 9}]
    assert _multiset_minus(new, old) == [new[1]]  # a second copy of R1 is new
    assert _multiset_minus(old, new) == [old[1]]  # R2 is resolved


def test_build_compare_to_prints_the_summary(builds, tmp_path):
    root = builds[0]
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", root / "raw-altered", "--sdtm-spec", example_spec("sdtm"), "--stages", "sdtm",
                     "--out", out, "--compare-to", root / "base-sdtm")
    assert result.code == 0, result.text
    assert "compared to" in result.out and "AE: 25 -> 25 records; 0 added, 0 removed, 1 changed" in result.out
    again = run_cli("build", "--study", root / "raw-altered", "--sdtm-spec", example_spec("sdtm"), "--stages",
                    "sdtm", "--out", out, "--compare-to", out)  # PREVIOUS is --out itself
    assert again.code == 0, again.text
    assert "0 of " in again.out and "datasets differ" in again.out
    bad = run_cli("build", "--study", root / "raw", "--sdtm-spec", example_spec("sdtm"), "--stages", "sdtm",
                  "--out", tmp_path / "other", "--compare-to", tmp_path)
    assert bad.code == 3 and "not a trialforge package" in bad.text and not (tmp_path / "other").exists()
