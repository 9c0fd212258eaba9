"""The one finding type of trialforge: what mapping, raw-data expectations and conformance rules report.

It lives in `specs`, the bottom of the import graph, beside the errors, so the SDTM engine and the
validation engine make the same record and every report and the build log count the same things.
Problems that stop a run are exceptions (specs.errors); findings are reported and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES: tuple[str, ...] = ("error", "warning", "notice")
# Who made the finding: a conformance rule, a raw-data expectation, or the SDTM mapping.
SOURCES: tuple[str, ...] = ("rule", "expectation", "mapping")


@dataclass(frozen=True)
class Finding:
    """One issue: a record (row is its 1-based number in `dataset`) or a whole dataset (row is None).

    `file` and `raw_row` name the raw record an issue comes from where one does (mapping findings: the
    raw file and the line a text editor shows for the record); `row` is the record in `dataset`.
    """

    rule_id: str
    severity: str
    message: str
    dataset: str | None = None
    row: int | None = None
    usubjid: str | None = None
    seq: float | int | None = None
    variables: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    implements: tuple[str, ...] = ()  # "P21 SD0005", "CDISC CORE CORE-000544", ...
    source: str = "rule"  # one of SOURCES
    file: str | None = None
    raw_row: int | None = None

    @property
    def variable(self) -> str | None:
        """The first variable (a mapping finding names one)."""
        return self.variables[0] if self.variables else None

    @property
    def value(self) -> Any:
        """The first value (a mapping finding shows the value as collected)."""
        return self.values[0] if self.values else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id, "severity": self.severity, "message": self.message,
            "dataset": self.dataset, "row": self.row, "usubjid": self.usubjid, "seq": plain(self.seq),
            "variables": list(self.variables), "values": [plain(v) for v in self.values],
            "implements": list(self.implements), "source": self.source, "file": self.file,
            "raw_row": self.raw_row,
        }


def plain(value: Any) -> Any:
    """JSON-friendly scalars: numpy numbers become Python numbers, NaN becomes None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
