"""The shapes validation produces: findings, rule statuses, dataset details and the run's result.

Findings are plain frozen records so reports, the CLI and the build can consume them without pandas.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from specs.findings import SEVERITIES, Finding, plain as _plain  # the one finding type (re-exported here)

STATUSES: tuple[str, ...] = ("passed", "issues", "not applicable", "error")


@dataclass(frozen=True)
class RuleStatus:
    """What happened to one rule: passed, issues, not applicable (with the reason) or error (with the text)."""

    rule_id: str
    status: str
    severity: str
    title: str = ""
    standard: tuple[str, ...] = ()
    implements: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()  # datasets the rule ran on
    findings: int = 0  # all findings, including those beyond the detail cap
    reason: str = ""  # why not applicable, the error text, or that details were capped
    seconds: float = 0.0
    dataset_findings: tuple[tuple[str, int], ...] = ()  # exact count per dataset with findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id, "status": self.status, "severity": self.severity, "title": self.title,
            "standard": list(self.standard), "implements": list(self.implements), "datasets": list(self.datasets),
            "findings": self.findings, "reason": self.reason, "seconds": round(self.seconds, 4),
            "dataset_findings": dict(self.dataset_findings),
        }


@dataclass(frozen=True)
class DatasetDetail:
    name: str
    label: str
    standard: str  # "SDTM", "ADaM" or "" when unknown
    dataset_class: str
    records: int
    variables: int
    file: str = ""
    file_format: str = ""  # xpt, csv, json, ndjson or memory
    size_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "standard": self.standard, "class": self.dataset_class,
            "records": self.records, "variables": self.variables, "file": self.file,
            "file_format": self.file_format, "size_bytes": self.size_bytes,
        }


@dataclass
class ValidationResult:
    """Everything one run produced. `run` holds the Conformance Details facts (dates, versions, inputs)."""

    findings: list[Finding] = field(default_factory=list)
    statuses: list[RuleStatus] = field(default_factory=list)
    datasets: list[DatasetDetail] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (0 when none), counting capped details too."""
        counted = Counter()
        for status in self.statuses:
            counted[status.severity] += status.findings
        for finding in self.findings:
            if finding.source != "rule":  # raw expectations and mapping findings have no rule status line
                counted[finding.severity] += 1
        return {severity: counted.get(severity, 0) for severity in SEVERITIES}

    def status_counts(self) -> dict[str, int]:
        counted = Counter(s.status for s in self.statuses)
        return {status: counted.get(status, 0) for status in STATUSES}

    def add_findings(self, findings: list[Finding]) -> None:
        """Append findings from elsewhere (raw-data expectations, SDTM mapping) so they land in the same report
        and in the same counts."""
        self.findings.extend(findings)

    def fails(self, fail_on: str | None) -> bool:
        """True when the run has findings at or above `fail_on` ("error" or "warning"), or a rule crashed.

        A crashed rule fails the gate at any level: an unchecked rule is not a passed rule.
        """
        if fail_on is None:
            return False
        if fail_on not in ("error", "warning"):
            raise ValueError(f"fail_on must be 'error' or 'warning', not {fail_on!r}")
        counts = self.counts()
        levels = ("error",) if fail_on == "error" else ("error", "warning")
        crashed = any(s.status == "error" for s in self.statuses)
        return crashed or any(counts[level] for level in levels)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": {k: _plain(v) for k, v in self.run.items()},
            "summary": {"findings": self.counts(), "rules": self.status_counts()},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "datasets": [d.as_dict() for d in self.datasets],
            "rules": [s.as_dict() for s in self.statuses],
            "findings": [f.as_dict() for f in self.findings],
        }

