"""Raw forms in Excel workbooks and SAS datasets (sas7bdat, xpt), as the same frames the CSV reader gives.

Every value is text, "" when missing, and each frame has the provenance columns `__file` and `__row`:

- Excel (.xlsx, read with openpyxl after `specs.workbook` checked the zip against its limits): one sheet
  per form; the first row that is not blank is the header; `__row` is the sheet's row number. Values as
  stored, not as displayed: numbers without a trailing ".0" (a cell formatted "0.0" holding 1 is "1"),
  dates as ISO 8601 (a date "2024-01-12", a date with a time "2024-01-12T14:30:00", a time "14:30:00"),
  TRUE/FALSE as such. A formula without a stored result, a merged range, an Excel error value (#N/A, ...),
  a value beyond the header's columns or a control character is a problem naming sheet row and column.
- SAS (.sas7bdat, .xpt, read with pyreadstat): `__row` is the record number (1 for the first). Numbers as
  text without a trailing ".0" (shortest form that reads back as the same number); missing numbers
  (".", ".A"-".Z") are "". A variable whose SAS format is a date, datetime or time format (DATE9.,
  DATETIME20., TIME8., ...) is read as a date and written as ISO 8601 text like Excel's; any other number
  stays the number the file holds, whatever it means (a SAS date without a date format stays e.g. "23021").
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from specs import workbook
from specs.errors import Problem

PROVENANCE_FILE = "__file"
PROVENANCE_ROW = "__row"
MAX_LISTED = 10
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                           "#GETTING_DATA"})
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Result = tuple["pd.DataFrame | None", list[str], list[Problem]]


# --- values as text ---------------------------------------------------------------------------------------------


def number_text(values: pd.Series) -> pd.Series:
    """Numbers as text: whole numbers without ".0", others in the shortest positional form that reads back as
    the same float (0.1 -> "0.1", 1e-05 -> "0.00001"); missing (NaN) as ""."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    out = pd.Series("", index=values.index, dtype=object)
    finite = np.isfinite(numbers.to_numpy())
    whole = finite & (numbers.to_numpy() == np.round(numbers.to_numpy())) & (np.abs(numbers.to_numpy()) < 2 ** 53)
    out[whole] = numbers[whole].astype("int64").astype(str).to_numpy()
    other = finite & ~whole
    if other.any():
        shown = {v: _float_text(v) for v in pd.unique(numbers[other])}
        out[other] = numbers[other].map(shown).to_numpy()
    return out


def value_text(value) -> str:
    """One cell or SAS value as text (see the module notes)."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):  # an Excel duration: [h]:mm:ss
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value))
    return str(value)


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    return np.format_float_positional(value, trim="-")


def text_column(values: pd.Series) -> pd.Series:
    """A column of mixed Python values as text ("" for missing); numeric columns vectorised."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return number_text(values)
    kinds = values.map(lambda v: "text" if v is None or isinstance(v, str) else
                       "number" if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                       else "other")
    if (kinds == "text").all():
        return values.fillna("").astype(object)
    if (kinds == "number").all():
        return number_text(values)
    return values.map(value_text).astype(object)


def control_problems(file: str, frame: pd.DataFrame, rows: np.ndarray, what: str = "row") -> list[Problem]:
    """One problem per value holding a control character, naming its row and column."""
    found = []
    for column in frame.columns:
        hits = frame[column].astype(str).str.contains(_CONTROL_TEXT)
        for index in np.flatnonzero(hits.to_numpy())[:MAX_LISTED]:
            value = str(frame[column].iloc[index])
            char = _CONTROL_TEXT.search(value).group()
            found.append(Problem(file, f"the value {value!r} in {what} {int(rows[index])} holds the control character "
                                       f"U+{ord(char):04X}; a raw value may not hold control characters (a corrupt "
                                       "extract?)", row=int(rows[index]), column=str(column)))
    return found[:MAX_LISTED] + ([Problem(file, f"... and {len(found) - MAX_LISTED} more values holding control "
                                                "characters")] if len(found) > MAX_LISTED else [])


def _finish(frame: pd.DataFrame, rows, name: str) -> pd.DataFrame:
    frame = frame.astype({c: "str" for c in frame.columns}) if len(frame.columns) else frame
    frame[PROVENANCE_FILE] = name
    frame[PROVENANCE_ROW] = np.asarray(rows, dtype=np.int64)
    return frame


# --- Excel -----------------------------------------------------------------------------------------------------


def read_excel_form(path: Path, form: str, sheet: str | None, name: str) -> Result:
    """The sheet `sheet` (default: the sheet named as the form, or the only sheet) of workbook `path`."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return None, [], [Problem(file, f"cannot be read: {exc.strerror or exc}")]
    if head.startswith(_OLE_MAGIC):
        return None, [], [Problem(file, "is a legacy Excel 97-2003 (.xls) file; save it as an Excel workbook (.xlsx)")]
    if not head.startswith(_ZIP_MAGIC):
        return None, [], [Problem(file, "is not an xlsx workbook (an .xlsx file is a zip archive); its Sources row "
                                        "says Format excel")]
    try:
        package = workbook.open_package(path)
    except workbook.WorkbookRefused as refused:
        return None, [], [Problem(file, refused.message, refused.sheet)]
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged files; all mean the same here
        return None, [], [Problem(file, f"cannot be opened as an xlsx workbook ({type(exc).__name__}: {exc})")]
    try:
        titles = book.sheetnames
        chosen = _choose_sheet(titles, form, sheet)
        if chosen is None:
            wanted = f"no sheet {sheet!r}" if sheet else f"{len(titles)} sheets and none is named {form!r}"
            return None, [], [Problem(file, f"the workbook has {wanted}; its sheets: {', '.join(titles)} (say which "
                                            "with the Sources row's Options sheet=NAME)")]
        worksheet = book[chosen]
        worksheet.reset_dimensions()  # some writers store a wrong size; read what is there
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = [tuple(values) for values in worksheet.iter_rows(values_only=True)]
    except Exception as exc:  # damaged sheet XML surfaces only while iterating
        return None, [], [Problem(file, f"cannot be read; the workbook is corrupt ({type(exc).__name__}: {exc})")]
    finally:
        book.close()
    where = f"{file}[{chosen}]"
    problems = _sheet_problems(path, package.sheet_parts.get(chosen), where)
    frame, header, found = _sheet_frame(rows, where, f"{name}[{chosen}]")
    return (None if problems or found else frame), header, problems + found


def _choose_sheet(titles: list[str], form: str, sheet: str | None) -> str | None:
    if sheet:
        return next((t for t in titles if t == sheet), None) or next(
            (t for t in titles if t.casefold() == sheet.casefold()), None)
    named = next((t for t in titles if t.casefold() == form.casefold()), None)
    return named or (titles[0] if len(titles) == 1 else None)


def _sheet_problems(path: Path, member: str | None, where: str) -> list[Problem]:
    """Formulas without a stored result and merged ranges: both read as blank cells."""
    if member is None:
        return []
    scan = workbook.scan_sheet(path, member)
    problems = [Problem(where, f"cell {workbook.column_letter(column)}{row} holds a formula without a stored result, "
                               "which reads as blank; open and save the workbook in Excel so its results are stored",
                        row=row, column=workbook.column_letter(column)) for row, column in scan.uncached[:MAX_LISTED]]
    for ref in scan.merged[:MAX_LISTED]:
        first_row = int(re.sub(r"\D", "", ref.split(":")[0]) or 1)
        problems.append(Problem(where, f"cells {ref} are merged: only the first holds the value and the others read "
                                       "as blank; unmerge them and fill in every cell", row=first_row))
    return problems


def _sheet_frame(rows: list[tuple], where: str, name: str) -> Result:
    numbers = [n for n, values in enumerate(rows, start=1) if any(v is not None and v != "" for v in values)]
    if not numbers:
        return None, [], [Problem(where, "the sheet is empty; expected a header row of column names")]
    header_number, body = numbers[0], numbers[1:]
    raw_header = list(rows[header_number - 1])
    width = max((len(rows[n - 1]) for n in numbers), default=0)
    raw_header += [None] * (width - len(raw_header))
    used = [i for i in range(width) if raw_header[i] not in (None, "")
            or any(i < len(rows[n - 1]) and rows[n - 1][i] not in (None, "") for n in body)]
    problems = [Problem(where, f"column {workbook.column_letter(i)} holds values but has no header", row=header_number,
                        column=workbook.column_letter(i)) for i in used if raw_header[i] in (None, "")]
    header = [value_text(raw_header[i]).strip() for i in used]
    if problems:
        return None, header, problems
    grid = pd.DataFrame([[(rows[n - 1][i] if i < len(rows[n - 1]) else None) for i in used] for n in body],
                        columns=range(len(used)), dtype=object)
    frame = pd.DataFrame({k: text_column(grid[k]) for k in range(len(used))} if body else
                         {k: pd.Series([], dtype=object) for k in range(len(used))})
    frame.columns = header
    lines = np.asarray(body, dtype=np.int64)
    problems += _error_values(where, frame, lines) + control_problems(where, frame, lines)
    return _finish(frame, lines, name), header, problems


def _error_values(where: str, frame: pd.DataFrame, rows: np.ndarray) -> list[Problem]:
    found = []
    for column in frame.columns:
        for index in np.flatnonzero(frame[column].isin(_EXCEL_ERRORS).to_numpy())[:MAX_LISTED]:
            found.append(Problem(where, f"the cell holds the Excel error {frame[column].iloc[index]}; expected a value",
                                 row=int(rows[index]), column=str(column)))
    return found[:MAX_LISTED]


# --- SAS -----------------------------------------------------------------------------------------------------


def read_sas_form(path: Path, format: str, encoding: str | None, name: str) -> Result:
    """A SAS dataset (`format` "sas7bdat" or "xpt") as text; `__row` is the record number."""
    import pyreadstat

    file = str(path)
    reader = pyreadstat.read_sas7bdat if format == "sas7bdat" else pyreadstat.read_xport
    try:
        data, _ = reader(str(path), encoding=encoding) if encoding else reader(str(path))
    except Exception as exc:  # pyreadstat's ReadstatError and friends for files it cannot read
        kind = "SAS7BDAT" if format == "sas7bdat" else "SAS XPORT"
        return None, [], [Problem(file, f"cannot be read as a {kind} file ({type(exc).__name__}: {exc}); check the "
                                        "file and its Sources row's Format (and Options encoding=)")]
    header = [str(c) for c in data.columns]
    frame = pd.DataFrame({c: text_column(data[c]) for c in data.columns})
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    problems = control_problems(file, frame, rows, "record")
    return (None if problems else _finish(frame, rows, name)), header, problems
