"""Reports: the Excel sheets reviewers know, no formula injection, JSON for machines, one HTML page."""

from __future__ import annotations

import json
import re

import openpyxl
import pandas as pd
import pytest

from validation.engine import validate_datasets
from validation.model import Finding
from validation.reports import safe_cell, write_reports
from validation.rulebook import load_rules


@pytest.fixture
def result():
    rules = [r for r in load_rules() if r.id in ("TF-SD-1002", "TF-SD-0102", "TF-SD-0104", "TF-CT-0001", "TF-SD-2001")]
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["S1", "S1", "S2"],
                       "AESEQ": [1, 1, 1], "AETERM": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)"],
                       "AEDECOD": ["-2", "Rash", "Rash"], "AESTDTC": ["2024-01-02", "02JAN2024", ""]})
    dm = pd.DataFrame({"USUBJID": ["S1"], "SEX": ["X"]})
    outcome = validate_datasets({"AE": ae, "DM": dm}, rules=rules)
    outcome.add_findings([Finding("RAW-DM-01", "error", "Subject missing in dm.csv record 3", dataset="dm.csv",
                                  row=3, variables=("Subject",), values=(None,), source="expectation"),
                          Finding("RAW-AE-01", "warning", '=HYPERLINK("http://x")', dataset="ae.csv", row=1,
                                  usubjid="+1", variables=("AETERM",), values=("@SUM(A1)",), source="expectation")])
    return outcome


def test_safe_cell_quotes_formula_like_text():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1" and safe_cell("-2") == "'-2" and safe_cell("@A1") == "'@A1"
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx"
    assert safe_cell("Rash") == "Rash" and safe_cell(-2) == -2 and safe_cell(float("nan")) is None
    assert safe_cell("bad\x01char") == "badchar"


def test_excel_has_the_reviewer_sheets_and_no_formulas(result, tmp_path):
    (xlsx,) = write_reports(result, tmp_path, formats=("xlsx",))
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Conformance Details", "Dataset Details", "Issue Summary", "Issue Details",
                               "Rules Report"]
    details = {row[0]: row[1] for row in book["Conformance Details"].iter_rows(min_row=2, values_only=True)}
    assert details["Engine version"] and details["Run date (UTC)"] and "CDISC CT" in details["Controlled terminology"]
    assert details["Raw-data expectation findings"] == 2
    cells = [c for row in book["Issue Details"].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'=HYPERLINK(\"http://x\")" in texts and "'+1" in texts  # written as text, not run
    header = [c.value for c in book["Issue Details"][1]]
    assert header == ["Rule ID", "Implements", "Severity", "Dataset", "USUBJID", "Row", "SEQ", "Raw file", "Raw row",
                      "Variables", "Values", "Message"]
    rules = {row[0]: row[5] for row in book["Rules Report"].iter_rows(min_row=2, values_only=True)}
    assert rules == {"TF-SD-1002": "issues", "TF-SD-0102": "passed", "TF-SD-0104": "not applicable",
                     "TF-CT-0001": "issues", "TF-SD-2001": "issues"}
    summary = [row for row in book["Issue Summary"].iter_rows(min_row=2, values_only=True)]
    assert ("AE", "TF-SD-1002", "error") in {r[:3] for r in summary}
    assert ("dm.csv", "RAW-DM-01", "error") in {r[:3] for r in summary}


def test_a_formula_in_a_value_is_stored_as_text(tmp_path):
    rules = [r for r in load_rules() if r.id == "TF-SD-1012"]  # --TERM OTHER/MULTIPLE reports the term
    ae = pd.DataFrame({"AETERM": ["other"]})
    outcome = validate_datasets({"AE": ae}, rules=rules)
    outcome.findings[0] = Finding(**{**outcome.findings[0].__dict__, "usubjid": "=cmd|' /C calc'!A0"})
    (xlsx,) = write_reports(outcome, tmp_path, formats=("xlsx",))
    sheet = openpyxl.load_workbook(xlsx)["Issue Details"]
    cell = sheet.cell(row=2, column=5)
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"


def test_json_report_is_complete(result, tmp_path):
    (path,) = write_reports(result, tmp_path, formats=("json",))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) >= {"run", "summary", "datasets", "rules", "findings", "conformance_details",
                             "issue_summary"}
    assert document["summary"]["findings"]["error"] == result.counts()["error"]
    assert len(document["rules"]) == 5
    assert {f["source"] for f in document["findings"]} == {"rule", "expectation"}
    assert document["conformance_details"]["Raw-data expectation findings"] == 2


def test_html_report_is_self_contained_and_escaped(result, tmp_path):
    (path,) = write_reports(result, tmp_path, formats=("html",))
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert "<script>" in page and "f-severity" in page
    assert "HYPERLINK(&#34;http://x&#34;)" in page or "HYPERLINK(&quot;http://x&quot;)" in page
    assert "TF-SD-1002" in page and "RAW-DM-01" in page


def test_unknown_format_is_refused(result, tmp_path):
    with pytest.raises(ValueError):
        write_reports(result, tmp_path, formats=("pdf",))


def test_reports_are_identical_under_source_date_epoch(result, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result.run["run_date"] = "2023-11-14T22:13:20+00:00"
    first = [p.read_bytes() for p in write_reports(result, tmp_path / "a", formats=("json", "html"))]
    result.timings["total"] = 99.0
    second = [p.read_bytes() for p in write_reports(result, tmp_path / "b", formats=("json", "html"))]
    assert first == second


PLANTED = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>')


def live_markup(page: str) -> list[str]:
    """Elements or attributes in an HTML page that the PLANTED values (or a javascript: link) made live."""
    import lxml.html

    found = [p for p in ("<script>alert", "<img src=x") if p in page]
    for element in lxml.html.fromstring(page).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and "alert(1)" in (element.text or ""):
            found.append("script element")
        if element.tag == "img" and element.get("src") == "x":
            found.append("img element")
        for name, value in element.attrib.items():
            if (name.lower().startswith("on") and "alert(" in value) or \
                    value.strip().lower().startswith("javascript:"):
                found.append(f"{element.tag} {name}={value!r}")
    return found


def test_planted_markup_in_data_and_findings_is_shown_as_text(tmp_path):
    rules = [r for r in load_rules() if r.id in ("TF-CT-0001", "TF-SD-1002")]
    dm = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DM", "DM"], "USUBJID": ["S1", "S2"], "SEX": list(PLANTED)})
    outcome = validate_datasets({"DM": dm}, rules=rules)
    outcome.add_findings([Finding("RAW-DM-07", "warning", f"Sex '{PLANTED[0]}' is not a known spelling",
                                  dataset=PLANTED[1], row=1, usubjid=PLANTED[1], variables=("SEX",),
                                  values=(PLANTED[0],), source="expectation")])
    (path,) = write_reports(outcome, tmp_path, formats=("html",))
    page = path.read_text(encoding="utf-8")
    assert live_markup(page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text


def test_every_report_counts_mapping_and_raw_findings_as_the_summary_does(result, tmp_path):
    from validation.reports import dataset_rows, issue_summary

    ae_before = next(d for d in dataset_rows(result) if d["name"] == "AE")["error"]
    result.add_findings([Finding("TF-MAP-CT", "error", "'Per PEG' is not a term of codelist ROUTE", dataset="AE",
                                 variables=("AEROUTE",), values=("Per PEG",), source="mapping", file="ae.csv",
                                 raw_row=7)])
    xlsx, path = write_reports(result, tmp_path, formats=("xlsx", "json"))
    document = json.loads(path.read_text(encoding="utf-8"))
    counts = result.counts()
    assert document["summary"]["findings"] == counts
    for severity in counts:
        in_summary = sum(r["count"] for r in document["issue_summary"] if r["severity"] == severity)
        assert in_summary == counts[severity], severity
    assert document["conformance_details"]["Errors"] == counts["error"]
    assert document["conformance_details"]["SDTM mapping findings"] == 1
    assert ("AE", "TF-MAP-CT", "SDTM mapping") in {(r["dataset"], r["rule_id"], r["implements"])
                                                  for r in issue_summary(result)}
    assert next(d for d in dataset_rows(result) if d["name"] == "AE")["error"] == ae_before + 1
    mapped = next(f for f in document["findings"] if f["source"] == "mapping")
    assert (mapped["file"], mapped["raw_row"], mapped["row"]) == ("ae.csv", 7, None)
    rows = list(openpyxl.load_workbook(xlsx)["Issue Details"].iter_rows(min_row=2, values_only=True))
    assert ("TF-MAP-CT", "ae.csv", 7) in {(r[0], r[7], r[8]) for r in rows}
