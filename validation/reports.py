"""Write a validation result as the reports reviewers and machines read: Excel, JSON and one HTML page.

Excel carries the sheets reviewers know from CORE and P21 (Conformance Details, Dataset Details, Issue
Summary, Issue Details, Rules Report). Any text cell that a spreadsheet would run as a formula (starting
with = + - @, a tab or a carriage return) is written as text behind a leading apostrophe. The HTML page is
self-contained: inline CSS and a small inline script to filter findings, no external assets.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from formats.clock import reproducible
from validation.model import SEVERITIES, Finding, ValidationResult

log = logging.getLogger(__name__)

REPORT_NAME = "validation-report"
EXCEL_MAX_ROWS = 1_000_000  # Excel holds 1,048,576 rows per sheet
HTML_MAX_FINDINGS = 20_000  # beyond this the page gets slow; the Excel and JSON keep everything
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_reports(result: ValidationResult, out_dir: str | Path, formats=("xlsx", "json", "html"),
                  name: str = REPORT_NAME) -> list[Path]:
    """Write the requested report formats into `out_dir` (created if needed); return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers = {"xlsx": write_excel, "json": write_json, "html": write_html}
    unknown = set(formats) - set(writers)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)}; use {sorted(writers)}")
    paths = [writers[fmt](result, out / f"{name}.{fmt}") for fmt in formats]
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return paths


# --- rows shared by the formats ----------------------------------------------------------------------------

def conformance_details(result: ValidationResult) -> list[tuple[str, Any]]:
    run = result.run
    counts = result.counts()
    statuses = result.status_counts()
    raw = sum(1 for f in result.findings if f.source == "expectation")
    mapping = sum(1 for f in result.findings if f.source == "mapping")
    return [
        ("Run date (UTC)", run.get("run_date", "")),
        ("Runtime (seconds)", "" if reproducible() else round(result.timings.get("total", 0.0), 2)),
        ("Engine", run.get("engine", "")),
        ("Engine version", run.get("engine_version", "")),
        ("Standards", ", ".join(run.get("standards", []))),
        ("Controlled terminology", ", ".join(run.get("ct_versions", []))),
        ("Define-XML file", run.get("define_file", "") or "(none)"),
        ("Define-XML version", run.get("define_version", "")),
        ("Data", run.get("data", "")),
        ("Datasets", run.get("datasets", len(result.datasets))),
        ("Records", run.get("records", sum(d.records for d in result.datasets))),
        ("Rules run", run.get("rules", len(result.statuses))),
        ("Rules passed", statuses["passed"]),
        ("Rules with issues", statuses["issues"]),
        ("Rules not applicable", statuses["not applicable"]),
        ("Rules in error", statuses["error"]),
        ("Errors", counts["error"]),
        ("Warnings", counts["warning"]),
        ("Notices", counts["notice"]),
        ("Raw-data expectation findings", raw),
        ("SDTM mapping findings", mapping),
    ]


def issue_summary(result: ValidationResult) -> list[dict[str, Any]]:
    """One row per dataset and rule with findings, exact even where details were capped."""
    rows = []
    for status in result.statuses:
        for dataset, count in status.dataset_findings:
            rows.append({"dataset": dataset, "rule_id": status.rule_id, "severity": status.severity,
                         "implements": ", ".join(status.implements), "title": status.title, "count": count})
    others = [f for f in result.findings if f.source != "rule"]  # expectations, mapping: no rule status, count them
    counted = Counter((f.dataset or "", f.rule_id, f.severity, f.source) for f in others)
    first_message = {}
    for f in others:
        first_message.setdefault((f.dataset or "", f.rule_id, f.severity, f.source), f.message)
    for key, count in counted.items():
        dataset, rule_id, severity, source = key
        rows.append({"dataset": dataset, "rule_id": rule_id, "severity": severity,
                     "implements": _SOURCE_TEXT.get(source, source), "title": first_message[key], "count": count})
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rows, key=lambda r: (r["dataset"], order.get(r["severity"], 9), r["rule_id"]))


_SOURCE_TEXT = {"expectation": "raw-data expectation", "mapping": "SDTM mapping"}


def dataset_rows(result: ValidationResult) -> list[dict[str, Any]]:
    per: dict[str, Counter] = defaultdict(Counter)
    for status in result.statuses:
        for dataset, count in status.dataset_findings:
            per[dataset][status.severity] += count
    for finding in result.findings:  # mapping findings name their SDTM dataset; raw ones a file, not listed
        if finding.source != "rule" and finding.dataset:
            per[finding.dataset][finding.severity] += 1
    return [{**d.as_dict(), **{s: per[d.name][s] for s in SEVERITIES}} for d in result.datasets]


def _values_text(finding: Finding) -> str:
    return "; ".join(f"{var}={_shown(val)}" for var, val in zip(finding.variables, finding.values)) or \
        ", ".join(_shown(v) for v in finding.values)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- Excel -------------------------------------------------------------------------------------------------

def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as written: formula-like text gets a leading apostrophe; characters
    the xlsx format cannot hold are dropped."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
        return value
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def preload() -> None:
    """Import the Excel writer now (a sixth of a second), e.g. while the rules still run elsewhere."""
    import openpyxl.cell  # noqa: F401
    import openpyxl.styles  # noqa: F401
    import openpyxl.utils  # noqa: F401


def write_excel(result: ValidationResult, path: str | Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows, widths: list[int]):
        ws = workbook.create_sheet(title)
        for column, width in enumerate(widths, start=1):
            ws.column_dimensions[_letter(column)].width = width
        ws.freeze_panes = "A2"
        ws.append([_header_cell(ws, text, bold) for text in header])
        written = 0
        for row in rows:
            if written >= EXCEL_MAX_ROWS:
                ws.append([safe_cell(f"... {title}: more rows than a sheet can hold; see the JSON report")])
                break
            ws.append([safe_cell(v) for v in row])
            written += 1
        return ws

    sheet("Conformance Details", ["Item", "Value"], conformance_details(result), [34, 90])
    sheet("Dataset Details",
          ["Dataset", "Label", "Standard", "Class", "Records", "Variables", "File", "Format", "Size (bytes)",
           "Errors", "Warnings", "Notices"],
          ([d["name"], d["label"], d["standard"], d["class"], d["records"], d["variables"], d["file"],
            d["file_format"], d["size_bytes"], d["error"], d["warning"], d["notice"]] for d in dataset_rows(result)),
          [12, 36, 10, 30, 10, 10, 50, 8, 14, 8, 10, 8])
    sheet("Issue Summary", ["Dataset", "Rule ID", "Severity", "Implements", "Rule", "Findings"],
          ([r["dataset"], r["rule_id"], r["severity"], r["implements"], r["title"], r["count"]]
           for r in issue_summary(result)), [12, 14, 10, 40, 60, 10])
    sheet("Issue Details",
          ["Rule ID", "Implements", "Severity", "Dataset", "USUBJID", "Row", "SEQ", "Raw file", "Raw row", "Variables",
           "Values", "Message"],
          ([f.rule_id, ", ".join(f.implements), f.severity, f.dataset, f.usubjid, f.row, f.seq, f.file, f.raw_row,
            ", ".join(f.variables), _values_text(f), f.message] for f in result.findings),
          [14, 36, 10, 10, 26, 8, 8, 14, 8, 28, 40, 90])
    sheet("Rules Report",
          ["Rule ID", "Rule", "Implements", "Standard", "Severity", "Status", "Datasets", "Findings",
           "Reason / error", "Seconds"],
          ([s.rule_id, s.title, ", ".join(s.implements), ", ".join(s.standard), s.severity, s.status,
            ", ".join(s.datasets), s.findings, s.reason, None if reproducible() else round(s.seconds, 3)]
           for s in result.statuses),
          [14, 50, 40, 22, 10, 14, 30, 10, 60, 9])
    workbook.save(path)
    return path


def _header_cell(ws, text: str, font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.font = font
    return cell


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


# --- JSON --------------------------------------------------------------------------------------------------

def write_json(result: ValidationResult, path: str | Path) -> Path:
    path = Path(path)
    document = result.as_dict()
    if reproducible():
        document["timings"] = {}
        for rule in document["rules"]:
            rule["seconds"] = None
    document["conformance_details"] = dict(conformance_details(result))
    document["issue_summary"] = issue_summary(result)
    path.write_text(json.dumps(document, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
    return path


# --- HTML --------------------------------------------------------------------------------------------------

def write_html(result: ValidationResult, path: str | Path) -> Path:
    import jinja2

    path = Path(path)
    source = (resources.files("validation") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    findings = result.findings[:HTML_MAX_FINDINGS]
    page = env.from_string(source).render(
        details=conformance_details(result), counts=result.counts(), statuses=result.status_counts(),
        datasets=dataset_rows(result), summary=issue_summary(result), rules=result.statuses,
        findings=[{**f.as_dict(), "values_text": _values_text(f), "implements_text": ", ".join(f.implements)}
                  for f in findings],
        shown=len(findings), total=len(result.findings),
        dataset_names=sorted({f.dataset or "" for f in findings}))
    path.write_text(page, encoding="utf-8")
    return path
