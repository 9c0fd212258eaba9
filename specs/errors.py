"""The one exception hierarchy of trialforge.

It lives in `specs`, the bottom of the import graph, so every package can raise it. Validation
produces findings, not exceptions; these are for input that cannot be processed at all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located as precisely as the input allows."""

    file: str
    message: str  # what is wrong and what was expected
    sheet: str | None = None
    row: int | None = None  # 1-based row as a spreadsheet or text editor shows it
    column: str | None = None
    severity: str = "error"  # "error" stops a build; "warning" is reported and the build goes on

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class TrialforgeError(Exception):
    """Base of every error trialforge raises on purpose."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        self.problems = tuple(problems)
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class SpecError(TrialforgeError):
    """A spec workbook cannot be read or is inconsistent."""


class InputError(TrialforgeError):
    """Raw input (EDC extracts, SDTM folders, parameter files) cannot be read."""


class MappingError(TrialforgeError):
    """Raw data cannot be mapped to SDTM as the spec says."""


class DerivationError(TrialforgeError):
    """An ADaM derivation cannot run (missing inputs, inconsistent data)."""


class ExportError(TrialforgeError):
    """A dataset cannot be written in the requested format without losing information."""


class UsageError(TrialforgeError):
    """The command asks for something trialforge refuses to do (e.g. replace a folder it did not write)."""
