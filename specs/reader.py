"""Read a P21-style spec workbook (layout A or B, plus our Mapping and trial-design sheets) into a `Spec`.

Reading never stops at the first fault: every cell that cannot be used becomes a `Problem` with sheet,
1-based row and column, the model is built from what could be read, and the cross-reference checks of
`specs.checks` run over it. `check_spec` hands back all problems; `read_spec` raises one `SpecError`
listing the errors. Headers and sheet names match after trimming, case-folding and collapsing blanks,
nothing looser; unknown sheets and columns are ignored.

The file is opened through `specs.workbook`, which refuses what is not a workbook or would cost too much
(zip bombs, millions of rows; the limits are named constants there) and finds formulas whose result the
workbook does not store, which openpyxl would hand over as blank cells. `check_spec(purpose=...)` says what
the workbook is for: metadata only, a review (`spec check`), or a build, which needs an SDTM Mapping sheet.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from specs import sheetxml, workbook
from specs.checks import is_analysis_spec, run_checks
from specs.errors import Problem, SpecError
from specs.model import (
    DATA_TYPES, ORIGINS, SHEETS, TRIAL_DESIGN_SHEETS, AnalysisDisplay, AnalysisResult, Codelist, CodelistItem,
    Comment, DatasetDef, Dictionary, Document, MappingRow, Method, SourceDef, Spec, Standard, StudyInfo,
    TrialDesignTable, ValueLevelDef, VariableDef,
)
from specs.expressions import Expression, ExpressionError, parse_expression
from specs.rawfields import check_condition_fields
from specs import sources
from specs.whereclause import (
    COMPARATORS, Condition, WhereClause, WhereClauseError, condition_from_parts, parse_where, where_from_conditions,
)

logger = logging.getLogger(__name__)

# Sheet names as found in the wild (normalised key -> our name).
_SHEET_NAMES: dict[str, str] = {
    "study": "Study", "define": "Define", "standards": "Standards", "datasets": "Datasets",
    "variables": "Variables", "valuelevel": "ValueLevel", "value level": "ValueLevel",
    "whereclauses": "WhereClauses", "where clauses": "WhereClauses", "codelists": "Codelists",
    "dictionaries": "Dictionaries", "methods": "Methods", "comments": "Comments", "documents": "Documents",
    "analysis displays": "Analysis Displays", "analysisdisplays": "Analysis Displays",
    "analysis results": "Analysis Results", "analysisresults": "Analysis Results", "mapping": "Mapping",
    "sources": "Sources",
    **{name.casefold(): name for name in TRIAL_DESIGN_SHEETS},
}
_REQUIRED_SHEETS = ("Datasets", "Variables")
# Per sheet: columns that must exist, and headers other P21 versions use for the same column.
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Standards": ("oid", "name", "type", "version"),
    "Datasets": ("name", "label", "dataset_class", "structure", "key_variables"),
    "Variables": ("dataset", "name", "label", "data_type", "length", "mandatory", "origin"),
    "ValueLevel": ("dataset", "variable", "where_clause_id", "data_type"),
    "WhereClauses": ("id", "dataset", "variable", "comparator", "values"),
    "Codelists": ("codelist", "name", "data_type", "term"),
    "Dictionaries": ("id", "name", "dictionary"),
    "Methods": ("id", "description"),
    "Comments": ("id", "description"),
    "Documents": ("id", "title", "href"),
    "Analysis Displays": ("id", "title"),
    "Analysis Results": ("display", "id"),
    "Mapping": ("dataset", "variable", "algorithm"),
    "Sources": ("form",),
}
_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Datasets", "label"): ("Description",),
    ("ValueLevel", "label"): ("Description",),
}
# Cells that must not be blank in a row that has any content; a row without them is skipped.
_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "Standards": ("oid",), "Datasets": ("name",), "Variables": ("dataset", "name"),
    "ValueLevel": ("dataset", "variable", "where_clause_id"), "WhereClauses": ("id",),
    "Codelists": ("codelist", "term"), "Dictionaries": ("id",), "Methods": ("id",), "Comments": ("id",),
    "Documents": ("id",), "Analysis Displays": ("id",), "Analysis Results": ("display", "id"),
    "Mapping": ("dataset", "variable", "algorithm"), "Sources": ("form",),
}
_EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})
_DATA_TYPES = {t.casefold(): t for t in DATA_TYPES}
_ORIGINS = {o.casefold(): o for o in ORIGINS} | {"crf": "Collected", "edt": "Collected"}
_CODELIST_DATA_TYPES = ("text", "integer", "float")
_STUDY_FIELDS = {
    "studyname": "name", "studydescription": "description", "protocolname": "protocol_name",
    "language": "language", "standardname": "standard_name", "standardversion": "standard_version",
    "rawdataexpectations": "raw_expectations", "raw data expectations": "raw_expectations",
}
_BLANKS = re.compile(r"\s+")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


PURPOSES: tuple[str, ...] = ("metadata", "review", "build")
KINDS: tuple[str, ...] = ("sdtm", "adam")


def read_spec(path: str | Path, purpose: str = "metadata", kind: str | None = None) -> Spec:
    """The spec in `path`; raises SpecError listing every error-level problem at once (see `check_spec`)."""
    spec, problems = check_spec(path, purpose=purpose, kind=kind)
    errors = [p for p in problems if p.severity == "error"]
    if spec is None:
        raise SpecError(f"{path}: the spec workbook cannot be used ({len(errors)} problem(s))", errors)
    for warning in spec.warnings:
        logger.warning("%s", warning)
    return spec


def check_spec(path: str | Path, purpose: str = "metadata",
               kind: str | None = None) -> tuple[Spec | None, list[Problem]]:
    """(spec, problems): the spec is None when any problem is an error; warnings come with a spec.

    `purpose` says what the workbook is for, which decides what it must hold besides datasets:

    - "metadata" (default): it describes datasets (define.xml, review, ADaM from other SDTM); a P21 workbook
      without trialforge's Mapping sheet is complete.
    - "review" (`trialforge spec check`): as "metadata", plus warnings a spec author wants: an SDTM workbook
      without (rows on) a Mapping sheet cannot drive a build; a Condition names a raw column that no Mapping
      row of its form declares.
    - "build" (`trialforge build`): an SDTM workbook must have a Mapping sheet with rows; it is an error
      otherwise. An ADaM workbook needs none (the ADaM derivations are code; its Mapping rows document them).

    `kind` ("sdtm" or "adam") is what the caller takes the workbook for; None infers it from the workbook
    (its StandardName, or datasets all named AD...). A workbook clearly of the other kind is an error.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
    if kind not in (None, *KINDS):
        raise ValueError(f"kind {kind!r}; expected one of {', '.join(KINDS)} or None")
    path = Path(path)
    problems: list[Problem] = []
    sheets = _load_sheets(path, problems)
    if sheets is None:
        return None, problems
    spec = _Builder(str(path), sheets, problems).build()
    problems.extend(run_checks(spec))
    problems.extend(_purpose_problems(spec, sheets, purpose, kind))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return replace(spec, warnings=tuple(problems)), problems


def _purpose_problems(spec: Spec, sheets: dict[str, _Sheet], purpose: str, kind: str | None) -> list[Problem]:
    file = spec.source
    problems: list[Problem] = []
    analysis = is_analysis_spec(spec)
    if kind == "sdtm" and analysis:
        problems.append(Problem(file, "this is an ADaM spec workbook (" + _dataset_names(spec) + "), given as the "
                                      "SDTM spec", "Datasets"))
    elif kind == "adam" and spec.datasets and not any(d.name.upper().startswith("AD") for d in spec.datasets):
        problems.append(Problem(file, "this is an SDTM spec workbook (" + _dataset_names(spec) + "), given as the "
                                      "ADaM spec", "Datasets"))
    if purpose == "metadata" or (kind or ("adam" if analysis else "sdtm")) == "adam":
        return problems
    severity = "error" if purpose == "build" else "warning"
    if "Mapping" not in sheets:
        problems.append(Problem(
            file, "no 'Mapping' sheet: this workbook describes datasets but cannot drive a build from raw data; "
                  "add trialforge's Mapping sheet (Dataset, Variable, Source Form, Source Field, Algorithm, "
                  "Arguments, Where Clause, Condition; see the README, 'Your own study')"
                  + ("" if purpose == "build" else "; for define.xml or review alone it is not needed"),
            "Mapping", None, None, severity))
    elif not spec.mappings:
        problems.append(Problem(file, "the Mapping sheet has no mapping rows, so a build would map no raw data",
                                sheets["Mapping"].title, None, None, severity))
    if purpose == "review":
        problems.extend(check_condition_fields(spec))
    return problems


def _dataset_names(spec: Spec) -> str:
    names = [d.name for d in spec.datasets]
    return "datasets " + ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


# --- opening the file -----------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str  # our name
    title: str  # as written in the workbook
    rows: list[tuple[Any, ...]]
    uncached: tuple[tuple[int, int], ...] = ()  # (1-based row, 0-based column) of formulas without a result
    merged: tuple[str, ...] = ()  # merged ranges, e.g. "B2:B6"


def _load_sheets(path: Path, problems: list[Problem]) -> dict[str, _Sheet] | None:
    file = str(path)

    def fail(message: str, sheet: str | None = None) -> None:
        problems.append(Problem(file, message, sheet))

    try:
        if not path.exists():
            return fail("no such file; expected a spec workbook (.xlsx)")
        if path.is_dir():
            return fail("is a directory; expected a spec workbook (.xlsx)")
        if not path.is_file():
            return fail("is not a regular file (a device, pipe or socket); expected a spec workbook (.xlsx)")
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        return fail(f"cannot be read: {error.strerror or error}")
    if not head:
        return fail("the file is empty (0 bytes); expected a spec workbook (.xlsx)")
    if size > workbook.MAX_WORKBOOK_BYTES:
        return fail(f"the file is {size:,} bytes; a spec workbook may be at most {workbook.MAX_WORKBOOK_BYTES:,} "
                    "bytes (specs.workbook.MAX_WORKBOOK_BYTES)")
    if head.startswith(_OLE_MAGIC):
        try:
            encrypted = "EncryptionInfo".encode("utf-16-le") in path.read_bytes()
        except OSError as error:
            return fail(f"cannot be read: {error.strerror or error}")
        if encrypted:
            return fail("the workbook is password-protected (encrypted); save an unprotected copy as .xlsx")
        return fail("is a legacy Excel 97-2003 (.xls) or other OLE file; save it as an Excel workbook (.xlsx)")
    if not head.startswith(_ZIP_MAGIC):
        kind = "a text file" if _looks_like_text(head) else "not a zip archive"
        return fail(f"is not an xlsx workbook ({kind}; an .xlsx file is a zip archive): save it as .xlsx")
    try:
        package = workbook.open_package(path)
    except workbook.WorkbookRefused as refused:
        return fail(refused.message, refused.sheet)
    except OSError as error:
        return fail(f"cannot be read: {error.strerror or error}")
    for title, member in package.missing_parts.items():
        if _SHEET_NAMES.get(_normalise(title)) is not None:
            fail(f"the workbook lists sheet {title!r}, but its part {member} is missing from the file: the "
                 "workbook is damaged; open and repair it in Excel, or restore a copy", title)
    sheets: dict[str, _Sheet] = {}
    cells = workbook.Cells()
    current = None
    try:
        with zipfile.ZipFile(path) as archive:
            book = sheetxml.Workbook(archive, package.workbook_part)
            for title, member in package.sheet_parts.items():
                name = _SHEET_NAMES.get(_normalise(title))
                if name is None:
                    logger.debug("%s: sheet %r is not part of the spec; ignored", file, title)
                    continue
                if name in sheets:
                    problems.append(Problem(file, f"two sheets are the {name!r} sheet: {sheets[name].title!r} and "
                                                  f"{title!r}; keep one", title))
                    continue
                current = title
                scan = workbook.SheetScan()
                rows = workbook.read_rows(book.sheet(member, scan), title, cells)
                sheets[name] = _Sheet(name, title, rows, tuple(scan.uncached), tuple(scan.merged))
    except workbook.WorkbookRefused as refused:
        return fail(refused.message, refused.sheet or current)
    except Exception as error:  # a damaged part surfaces as many types; all mean the same here
        return fail(f"cannot be read; the workbook is corrupt ({type(error).__name__}: {error})", current)
    return sheets


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 9 for b in head)


def _normalise(text: str) -> str:
    return _BLANKS.sub(" ", str(text)).strip().casefold()


# --- cells ------------------------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    """A cell as trimmed text (None when blank); numbers without a spurious '.0', dates as ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    return text or None


class _Row:
    """One data row of a sheet; typed getters report problems at the cell and return None."""

    def __init__(self, builder: _Builder, sheet: _Sheet, number: int, cells: dict[str, str | None],
                 headers: dict[str, str]):
        self.builder, self.sheet, self.number, self.cells, self.headers = builder, sheet, number, cells, headers

    def report(self, field: str, message: str, severity: str = "error") -> None:
        column = self.headers.get(field, field)
        self.builder.problems.append(
            Problem(self.builder.file, message, self.sheet.title, self.number, column, severity))

    def has(self, field: str) -> bool:
        return field in self.headers

    def text(self, field: str) -> str | None:
        return self.cells.get(field)

    def int(self, field: str, minimum: int | None = None) -> int | None:
        text = self.cells.get(field)
        if text is None:
            return None
        number = _to_int(text)
        if number is None or (minimum is not None and number < minimum):
            expected = {None: "a whole number", 0: "a whole number >= 0", 1: "a positive whole number"}[minimum]
            self.report(field, f"{text!r} is not {expected}")
            return None
        return number

    def bool(self, field: str) -> bool | None:
        text = self.cells.get(field)
        if text is None:
            return None
        folded = text.casefold()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        self.report(field, f"{text!r} is not a yes/no value; expected Yes or No (Y/N also accepted)")
        return None

    def list(self, field: str) -> tuple[str, ...]:
        text = self.cells.get(field)
        return tuple(p.strip() for p in text.split(",") if p.strip()) if text else ()

    def choice(self, field: str, allowed: dict[str, str], what: str, shown: Iterable[str]) -> str | None:
        text = self.cells.get(field)
        if text is None:
            return None
        value = allowed.get(text.casefold())
        if value is None:
            self.report(field, f"unknown {what} {text!r}; expected one of: {', '.join(shown)}")
        return value


def _to_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


# --- building the spec --------------------------------------------------------------------------------


class _Builder:
    def __init__(self, file: str, sheets: dict[str, _Sheet], problems: list[Problem]):
        self.file, self.sheets, self.problems = file, sheets, problems

    def problem(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None,
                severity: str = "error") -> None:
        self.problems.append(Problem(self.file, message, sheet, row, column, severity))

    def build(self) -> Spec:
        for sheet in self.sheets.values():
            self._cell_notes(sheet)
        layout, study = self._study()
        for name in _REQUIRED_SHEETS:
            if name not in self.sheets:
                found = ", ".join(repr(s.title) for s in self.sheets.values()) or "none that trialforge reads"
                self.problem(f"missing required sheet {name!r}; sheets found: {found}", name)
        datasets = self._read("Datasets", self._dataset)
        sheet = self.sheets.get("Datasets")
        if sheet is not None and not datasets and not any(p.sheet == sheet.title for p in self.problems):
            self.problem("the sheet lists no datasets (nothing below the header row); a spec workbook describes at "
                         "least one dataset", sheet.title, 2)
        keys = {d.name.upper(): [k.upper() for k in d.key_variables] for d in datasets}
        variables = self._read("Variables", lambda row: self._variable(row, keys))
        sheet_clauses = self._where_clause_sheet()
        value_level, inline_clauses = self._value_level(sheet_clauses)
        return Spec(
            source=self.file, layout=layout, study=study,
            standards=self._read("Standards", self._standard),
            datasets=datasets, variables=variables, value_level=value_level,
            where_clauses=tuple(sheet_clauses.values()) + tuple(inline_clauses.values()),
            codelists=self._codelists(),
            dictionaries=self._read("Dictionaries", lambda r: Dictionary(
                id=r.text("id"), name=r.text("name"), data_type=r.text("data_type"),
                dictionary=r.text("dictionary"), version=r.text("version"), **_at(r))),
            methods=self._read("Methods", lambda r: Method(
                id=r.text("id"), name=r.text("name"), type=r.text("type"), description=r.text("description"),
                expression_context=r.text("expression_context"), expression_code=r.text("expression_code"),
                document=r.text("document"), pages=r.text("pages"), **_at(r))),
            comments=self._read("Comments", lambda r: Comment(
                id=r.text("id"), description=r.text("description"), document=r.text("document"),
                pages=r.text("pages"), **_at(r))),
            documents=self._read("Documents", lambda r: Document(
                id=r.text("id"), title=r.text("title"), href=r.text("href"), **_at(r))),
            analysis_displays=self._read("Analysis Displays", lambda r: AnalysisDisplay(
                id=r.text("id"), title=r.text("title"), document=r.text("document"), pages=r.text("pages"),
                **_at(r))),
            analysis_results=self._read("Analysis Results", self._analysis_result),
            mappings=self._read("Mapping", self._mapping),
            sources=self._read("Sources", self._source),
            trial_design=self._trial_design(variables),
        )

    def _cell_notes(self, sheet: _Sheet) -> None:
        """Merged ranges, and formulas whose result the workbook does not store (openpyxl reads them as blank)."""
        for ref in sheet.merged:
            self.problem(f"cells {ref} are merged: only the first cell holds the value and the others read as "
                         "blank; unmerge them and fill in every cell", sheet.title, int(_digits(ref) or 1),
                         severity="warning")
        if not sheet.uncached:
            return
        header = sheet.rows[0] if sheet.rows else ()
        read = self._columns_read(sheet, header)
        for row, column in sheet.uncached:
            text = _clean(header[column]) if column < len(header) else None
            cell = f"{workbook.column_letter(column)}{row}"
            message = (f"formula without a cached value (cell {cell}): it reads as blank; open and save the "
                       "workbook in Excel (or LibreOffice) so its results are stored, or type the value")
            if row == 1 or column in read:
                self.problem(message, sheet.title, row, text or workbook.column_letter(column))
            else:
                self.problem(message + "; this column is not read, so nothing is lost", sheet.title, row,
                             text or workbook.column_letter(column), "warning")

    def _columns_read(self, sheet: _Sheet, header: tuple) -> set[int]:
        """0-based indexes of the columns the reader takes values from."""
        names = {index: _normalise(value) for index, value in enumerate(header) if _clean(value) is not None}
        if sheet.name in TRIAL_DESIGN_SHEETS:
            return set(names)
        if sheet.name in ("Study", "Define"):
            return {i for i, n in names.items() if n in ("attribute", "value")}
        schema = next((s for s in SHEETS if s.name == sheet.name), None)
        if schema is None:
            return set()
        known = {_normalise(h) for h, f in schema.columns} | {
            _normalise(a) for h, f in schema.columns for a in _ALIASES.get((schema.name, f), ())}
        return {i for i, n in names.items() if n in known}

    # generic sheet reading

    def _rows(self, name: str) -> Iterable[_Row]:
        sheet = self.sheets.get(name)
        if sheet is None:
            return
        schema = next(s for s in SHEETS if s.name == name)
        header = sheet.rows[0] if sheet.rows else ()
        positions = self._columns(sheet, schema, header)
        if positions is None:
            return
        headers = {f: str(header[i]).strip() for f, i in positions.items()}
        keys = _KEY_FIELDS.get(name, ())
        for offset, values in enumerate(sheet.rows[1:], start=2):
            cells = {f: _clean(values[i]) if i < len(values) else None for f, i in positions.items()}
            if all(text is None for text in cells.values()):
                continue  # blank, or filled only in columns the reader does not know
            for f, text in cells.items():
                if text is not None and text in _EXCEL_ERRORS:
                    self.problem(f"the cell holds the Excel error {text}; expected a value", sheet.title, offset,
                                 headers[f])
                    cells[f] = None
            row = _Row(self, sheet, offset, cells, headers)
            blank = [f for f in keys if f in positions and cells.get(f) is None]
            if blank:
                for f in blank:
                    row.report(f, f"{headers[f]} is blank; this row is skipped")
                continue
            if any(f not in positions for f in keys):
                continue  # the missing column was reported once for the sheet
            yield row

    def _columns(self, sheet: _Sheet, schema, header: tuple) -> dict[str, int] | None:
        """field -> column index, reporting missing required and duplicated headers."""
        if all(_clean(v) is None for v in header):
            has_data = any(_clean(v) is not None for row in sheet.rows[1:] for v in row)
            if has_data:
                self.problem("row 1 must hold the column headers but is blank", sheet.title, 1)
            elif schema.name in _REQUIRED_SHEETS:
                self.problem("the sheet is empty; expected column headers in row 1", sheet.title, 1)
            return None
        found: dict[str, int] = {}
        for index, value in enumerate(header):
            if _clean(value) is None:
                continue
            key = _normalise(value)
            if key in found:
                self.problem(f"the column header {str(value).strip()!r} appears twice; keep one", sheet.title, 1,
                             str(value).strip())
                continue
            found[key] = index
        positions: dict[str, int] = {}
        for header_name, f in schema.columns:
            for candidate in (header_name, *_ALIASES.get((schema.name, f), ())):
                if _normalise(candidate) in found:
                    positions[f] = found[_normalise(candidate)]
                    break
        for f in _REQUIRED_COLUMNS.get(schema.name, ()):
            if f not in positions:
                header_name = dict((fl, h) for h, fl in schema.columns)[f]
                alternatives = _ALIASES.get((schema.name, f), ())
                also = f" (or {', '.join(repr(a) for a in alternatives)})" if alternatives else ""
                present = ", ".join(repr(_clean(v)) for v in header if _clean(v) is not None)
                self.problem(f"missing required column {header_name!r}{also}; headers found: {present}",
                             sheet.title, 1, header_name)
        return positions

    def _read(self, name: str, make: Callable[[_Row], Any]) -> tuple:
        return tuple(make(row) for row in self._rows(name))

    # Study / Define

    def _study(self) -> tuple[str, StudyInfo]:
        if "Define" in self.sheets and "Study" in self.sheets:
            self.problem("both a 'Study' and a 'Define' sheet; reading 'Define' (layout B) and ignoring 'Study'",
                         self.sheets["Study"].title, severity="warning")
        if "Define" in self.sheets:
            layout, sheet = "B", self.sheets["Define"]
        elif "Study" in self.sheets:
            layout, sheet = "A", self.sheets["Study"]
        else:
            self.problem("neither a 'Study' sheet (P21 layout A) nor a 'Define' sheet (layout B); "
                         "is this a P21 spec workbook?", "Define")
            return "B", StudyInfo()
        header = [_normalise(v) if v is not None else None for v in (sheet.rows[0] if sheet.rows else ())]
        if "attribute" not in header or "value" not in header:
            self.problem("expected the column headers 'Attribute' and 'Value' in row 1", sheet.title, 1)
            return layout, StudyInfo(sheet=sheet.title)
        key_at, value_at = header.index("attribute"), header.index("value")
        attributes: list[tuple[str, str | None]] = []
        for number, values in enumerate(sheet.rows[1:], start=2):
            key = _clean(values[key_at]) if key_at < len(values) else None
            value = _clean(values[value_at]) if value_at < len(values) else None
            if key is None:
                if value is not None:
                    self.problem("a value without an Attribute; ignored", sheet.title, number, "Attribute", "warning")
                continue
            if any(k.casefold() == key.casefold() for k, _ in attributes):
                self.problem(f"attribute {key!r} appears twice; the first is used", sheet.title, number,
                             "Attribute", "warning")
                continue
            attributes.append((key, value))
        known = {_STUDY_FIELDS[k.casefold()]: v for k, v in attributes if k.casefold() in _STUDY_FIELDS}
        return layout, StudyInfo(**known, attributes=tuple(attributes), sheet=sheet.title)

    # rows

    def _standard(self, r: _Row) -> Standard:
        return Standard(oid=r.text("oid"), name=r.text("name"), type=r.text("type"),
                        publishing_set=r.text("publishing_set"), version=r.text("version"), status=r.text("status"),
                        comment=r.text("comment"), **_at(r))

    def _dataset(self, r: _Row) -> DatasetDef:
        return DatasetDef(
            name=r.text("name"), label=r.text("label"), dataset_class=r.text("dataset_class"),
            subclass=r.text("subclass"), structure=r.text("structure"), purpose=r.text("purpose"),
            key_variables=r.list("key_variables"), standard=r.text("standard"), repeating=r.bool("repeating"),
            reference_data=r.bool("reference_data"), has_no_data=r.bool("has_no_data"), comment=r.text("comment"),
            developer_notes=r.text("developer_notes"), **_at(r))

    def _variable(self, r: _Row, keys: dict[str, list[str]]) -> VariableDef:
        dataset, name = r.text("dataset"), r.text("name")
        key_list = keys.get(dataset.upper(), [])
        origin, source = self._origin(r)
        return VariableDef(
            dataset=dataset, name=name, order=r.int("order"), label=r.text("label"),
            data_type=self._data_type(r), length=r.int("length", 1),
            significant_digits=r.int("significant_digits", 0), display_format=r.text("display_format"),
            mandatory=bool(r.bool("mandatory")), assigned_value=r.text("assigned_value"),
            codelist=r.text("codelist"), common=r.bool("common"), origin=origin, source=source,
            pages=r.text("pages"), method=r.text("method"), predecessor=r.text("predecessor"), role=r.text("role"),
            core=r.text("core"), comment=r.text("comment"), developer_notes=r.text("developer_notes"),
            has_no_data=r.bool("has_no_data"),
            key_sequence=key_list.index(name.upper()) + 1 if name.upper() in key_list else None,
            **_at(r))

    def _data_type(self, r: _Row) -> str | None:
        if r.has("data_type") and r.text("data_type") is None:
            r.report("data_type", f"Data Type is blank; expected one of: {', '.join(DATA_TYPES)}")
        return r.choice("data_type", _DATA_TYPES, "Data Type", DATA_TYPES)

    def _origin(self, r: _Row) -> tuple[str | None, str | None]:
        origin = r.choice("origin", _ORIGINS, "Origin", (*ORIGINS, "CRF", "eDT"))
        source = r.text("source")
        if source is None and (r.text("origin") or "").casefold() == "edt":
            source = "Vendor"  # eDT is an electronic transfer from a vendor; Define-XML 2.1 says so in Source
        return origin, source

    def _where_clause_sheet(self) -> dict[str, WhereClause]:
        """Layout-A WhereClauses rows grouped by ID (rows sharing an ID are ANDed), in order of first row."""
        groups: dict[str, tuple[int, list[Condition]]] = {}
        for r in self._rows("WhereClauses"):
            first_row, conditions = groups.setdefault(r.text("id"), (r.number, []))
            comparator = (r.text("comparator") or "").upper()
            if comparator not in COMPARATORS:
                r.report("comparator", f"unknown comparator {r.text('comparator')!r}; expected one of: "
                                       f"{', '.join(COMPARATORS)}")
                continue
            if r.text("variable") is None:
                r.report("variable", "Variable is blank, so this row adds no condition to its where clause",
                         "warning")
                continue
            try:
                conditions.append(condition_from_parts(r.text("dataset"), r.text("variable"), comparator,
                                                       r.text("values") or ""))
            except WhereClauseError as error:
                field = "values" if error.text == (r.text("values") or "") else (
                    "variable" if error.text == r.text("variable") else "dataset")
                r.report(field, f"{error.text!r}: {error.reason}")
        sheet = self.sheets.get("WhereClauses")
        return {id: where_from_conditions(id, conds, sheet=sheet.title, row=first)
                for id, (first, conds) in groups.items()}

    def _value_level(self, sheet_clauses: dict[str, WhereClause]) -> tuple[tuple, dict[str, WhereClause]]:
        inline: dict[str, WhereClause] = {}
        rows = []
        for r in self._rows("ValueLevel"):
            text = r.text("where_clause_id")
            where = sheet_clauses.get(text)
            if where is None:
                try:
                    parsed = parse_where(text, sheet=r.sheet.title, row=r.number)
                    where = inline.setdefault(parsed.id, parsed)
                except WhereClauseError as error:
                    if sheet_clauses and " " not in text:
                        r.report("where_clause_id", f"where clause ID {text!r} is not on the WhereClauses sheet")
                    else:
                        r.report("where_clause_id", f"neither a WhereClauses ID nor a valid where clause: {error}")
            origin, source = self._origin(r)
            rows.append(ValueLevelDef(
                dataset=r.text("dataset"), variable=r.text("variable"),
                where_clause_id=where.id if where is not None else text, where=where, order=r.int("order"),
                label=r.text("label"), data_type=self._data_type(r), length=r.int("length", 1),
                significant_digits=r.int("significant_digits", 0), display_format=r.text("display_format"),
                mandatory=bool(r.bool("mandatory")), assigned_value=r.text("assigned_value"),
                codelist=r.text("codelist"), origin=origin, source=source, pages=r.text("pages"),
                method=r.text("method"), predecessor=r.text("predecessor"), comment=r.text("comment"),
                developer_notes=r.text("developer_notes"), **_at(r)))
        return tuple(rows), inline

    def _codelists(self) -> tuple[Codelist, ...]:
        headers: dict[str, dict[str, Any]] = {}
        items: dict[str, list[dict[str, Any]]] = {}
        for r in self._rows("Codelists"):
            id = r.text("codelist")
            header = headers.setdefault(id, {"row": r.number, "sheet": r.sheet.title})
            for f in ("name", "nci_codelist_code", "data_type", "terminology"):
                value = r.text(f)
                if f == "data_type" and value is not None:
                    value = r.choice(f, {t: t for t in _CODELIST_DATA_TYPES}, "codelist Data Type",
                                     _CODELIST_DATA_TYPES)
                if value is None:
                    continue
                if header.get(f) is None:
                    header[f] = value
                elif header[f] != value:
                    r.report(f, f"codelist {id}: {r.headers[f]} {value!r} differs from {header[f]!r} given in "
                                f"row {header['row']}; one codelist has one {r.headers[f]}")
            spellings = r.text("collected_values")
            items.setdefault(id, []).append({
                "term": r.text("term"), "nci_code": r.text("nci_code"), "decode": r.text("decode"),
                "order": r.int("order"),
                "collected_values": tuple(s.strip() for s in spellings.split("|") if s.strip()) if spellings else (),
                "sheet": r.sheet.title, "row": r.number,
            })
        return tuple(
            Codelist(id=id, name=h.get("name"), nci_code=h.get("nci_codelist_code"), data_type=h.get("data_type"),
                     terminology=h.get("terminology"), sheet=h["sheet"], row=h["row"],
                     items=tuple(CodelistItem(**i, extended=bool(h.get("nci_codelist_code")) and not i["nci_code"])
                                 for i in items[id]))
            for id, h in headers.items())

    def _analysis_result(self, r: _Row) -> AnalysisResult:
        return AnalysisResult(
            display=r.text("display"), id=r.text("id"), description=r.text("description"),
            variables=r.list("variables"), reason=r.text("reason"), purpose=r.text("purpose"),
            selection_criteria=r.text("selection_criteria"), join_comment=r.text("join_comment"),
            documentation=r.text("documentation"), documentation_refs=r.list("documentation_refs"),
            programming_context=r.text("programming_context"), programming_code=r.text("programming_code"),
            programming_document=r.text("programming_document"), pages=r.text("pages"), **_at(r))

    def _mapping(self, r: _Row) -> MappingRow:
        try:
            arguments = parse_arguments(r.text("arguments"))
        except ValueError as error:
            r.report("arguments", f"{error}; expected key=value; key=value")
            arguments = ()
        return MappingRow(
            order=r.int("order"), dataset=r.text("dataset"), variable=r.text("variable"),
            source_form=r.text("source_form"), source_field=r.text("source_field"),
            algorithm=r.text("algorithm").casefold(), arguments=arguments,
            where=self._inline_where(r, "where"), condition=self._expression(r, "condition"),
            comment=r.text("comment"), source_expr=self._expression(r, "source_field"), **_at(r))

    def _expression(self, r: _Row, field: str) -> Expression | None:
        """The cell as an expression (specs.expressions); what it means beyond syntax is checked by specs.checks."""
        text = r.text(field)
        if text is None:
            return None
        try:
            return parse_expression(text)
        except ExpressionError as error:
            r.report(field, f"cannot read the expression {text!r} {error}")
            return None

    def _source(self, r: _Row) -> SourceDef:
        """A Sources row; each cell that cannot be used is reported at its cell and left at its default."""
        form = r.text("form")
        format = sources.source_format(r.text("format"))
        if format is None:
            r.report("format", sources.format_problem(r.text("format")))
        file = r.text("file")
        if file is not None and (why := sources.file_problem(file, form, format or "csv")):
            r.report("file", why)
        try:
            options = parse_arguments(r.text("options_text"))
        except ValueError as error:
            r.report("options_text", f"{error}; expected key=value; key=value")
            options = ()
        for key, message in sources.option_problems(format, options, form) if format else ():
            r.report("options_text", message)
        try:
            date_formats = sources.parse_date_formats(r.text("date_formats_text"))
        except ValueError as error:
            r.report("date_formats_text", f"{error}; expected one format for every date field, or "
                                          "FIELD=FORMAT; FIELD=FORMAT")
            date_formats = ()
        try:
            threshold = sources.parse_threshold(r.text("date_failure_threshold"))
        except ValueError as error:
            r.report("date_failure_threshold", str(error))
            threshold = 0.0
        return SourceDef(
            form=form, file=sources.file_path(file) if file else None, format=format or "csv", options=options,
            subject_column=r.text("subject_column"), site_column=r.text("site_column"),
            visit_column=r.text("visit_column"), instance_column=r.text("instance_column"),
            date_formats=date_formats, date_failure_threshold=threshold, **_at(r))

    def _inline_where(self, r: _Row, field: str) -> WhereClause | None:
        text = r.text(field)
        if text is None:
            return None
        try:
            return parse_where(text, sheet=r.sheet.title, row=r.number)
        except WhereClauseError as error:
            r.report(field, str(error))
            return None

    def _trial_design(self, variables: tuple[VariableDef, ...]) -> tuple[TrialDesignTable, ...]:
        types = {(v.dataset.upper(), v.name.upper()): v.data_type for v in variables}
        tables = []
        for name in TRIAL_DESIGN_SHEETS:
            sheet = self.sheets.get(name)
            if sheet is None or not sheet.rows:
                continue
            columns: list[tuple[int, str]] = []
            for index, value in enumerate(sheet.rows[0]):
                header = _clean(value)
                if header is None:
                    continue
                if any(h == header.upper() for _, h in columns):
                    self.problem(f"the column header {header!r} appears twice; keep one", sheet.title, 1, header)
                    continue
                columns.append((index, header.upper()))
            rows, numbers = [], []
            for number, values in enumerate(sheet.rows[1:], start=2):
                if all(_clean(v) is None for v in values):
                    continue
                typed = []
                for index, column in columns:
                    raw = values[index] if index < len(values) else None
                    typed.append(self._typed(raw, types.get((name, column)), sheet.title, number, column))
                rows.append(tuple(typed))
                numbers.append(number)
            tables.append(TrialDesignTable(name=name, columns=tuple(c for _, c in columns), rows=tuple(rows),
                                           row_numbers=tuple(numbers), sheet=sheet.title))
        return tuple(tables)

    def _typed(self, raw: Any, data_type: str | None, sheet: str, row: int, column: str) -> Any:
        text = _clean(raw)
        if text is None or data_type not in ("integer", "float"):
            return text
        if data_type == "integer":
            number = _to_int(text)
            if number is None:
                self.problem(f"{text!r} is not a whole number, but {column} is an integer variable", sheet, row,
                             column)
            return number
        try:
            return float(text)
        except ValueError:
            self.problem(f"{text!r} is not a number, but {column} is a float variable", sheet, row, column)
            return None


def _digits(ref: str) -> str:
    return "".join(ch for ch in ref.partition(":")[0] if ch.isdigit())


def _at(r: _Row) -> dict[str, Any]:
    return {"sheet": r.sheet.title, "row": r.number}


def parse_arguments(text: str | None) -> tuple[tuple[str, str], ...]:
    """`key=value; key=value` -> ((key, value), ...); keys lower case; a value may be "quoted; with ;".

    Raises ValueError for a part without '=', an empty key or a repeated key.
    """
    if not text:
        return ()
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quoted:
        raise ValueError(f"unbalanced double quote in {text!r}")
    parts.append("".join(current))
    pairs: list[tuple[str, str]] = []
    for part in parts:
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        key, value = key.strip().casefold(), value.strip()
        if not equals or not key:
            raise ValueError(f"{part.strip()!r} is not key=value")
        if any(k == key for k, _ in pairs):
            raise ValueError(f"argument {key!r} is given twice")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        pairs.append((key, value))
    return tuple(pairs)
