"""One call for the CLI and the build: validate a folder, add raw-data findings, write reports, gate.

    outcome = run_validation("pkg/sdtm", define="pkg/sdtm/define.xml", out_dir="pkg/audit/validation",
                             fail_on="error")
    sys.exit(outcome.exit_code)

The exit code is 0, or 1 when findings at or above `fail_on` exist (or a rule crashed: an unchecked rule
is not a passed one) so nightly CI can fail the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from validation.engine import validate_folder
from validation.model import Finding, ValidationResult

log = logging.getLogger(__name__)

EXIT_PASSED = 0
EXIT_GATE_FAILED = 1


@dataclass(frozen=True)
class GateOutcome:
    result: ValidationResult
    reports: tuple[Path, ...]
    exit_code: int


def run_validation(data_dir: str | Path, define: str | Path | None = None, out_dir: str | Path | None = None,
                   fail_on: str | None = None, standard: str | None = None, rules=None,
                   raw_dir: str | Path | None = None, raw_suite: str | Path | None = None,
                   raw_docs_dir: str | Path | None = None, findings: Iterable[Finding] = (),
                   validate: Callable[..., ValidationResult] = validate_folder) -> GateOutcome:
    """Validate `data_dir`; with `raw_dir` and `raw_suite`, also check the raw extracts against that
    raw-data expectation suite and report its findings in the same result (with `raw_docs_dir`,
    great-expectations' data docs go there); with `out_dir`, write Excel, JSON and HTML reports there.
    `findings` made before validation (raw-data expectations checked earlier, SDTM mapping findings) join
    the result first, so the log line, the gate and the reports all count the same findings. `validate`:
    what validates the folders, called as `validate_folder` is (the build passes one that takes the result
    of a forked job when it has one)."""
    if (raw_dir is None) != (raw_suite is None):
        raise ValueError("raw_dir and raw_suite go together: there is no default raw-data expectation suite")
    result = validate(data_dir, define=define, rules=rules, standard=standard)
    result.add_findings(list(findings))
    if raw_dir is not None:
        from validation.raw_expectations import run_raw_expectations

        result.add_findings(run_raw_expectations(raw_dir, raw_suite, raw_docs_dir))
        result.run["raw_data"] = str(raw_dir)
    reports: tuple[Path, ...] = ()
    if out_dir is not None:
        from validation.reports import write_reports

        reports = tuple(write_reports(result, out_dir))
    failed = result.fails(fail_on)
    counts = result.counts()
    log.info("validation: %d errors, %d warnings, %d notices; %d rules in error%s", counts["error"],
             counts["warning"], counts["notice"], result.status_counts()["error"],
             f"; gate --fail-on {fail_on} {'FAILED' if failed else 'passed'}" if fail_on else "")
    return GateOutcome(result, reports, EXIT_GATE_FAILED if failed else EXIT_PASSED)
