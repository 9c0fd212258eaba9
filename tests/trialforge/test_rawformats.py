"""Raw forms in Excel workbooks and SAS datasets: every value as text, provenance rows, and every cell that
would read wrong (a formula without its result, a merged range, an Excel error) a problem naming its cell."""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from trialforge.rawformats import number_text, read_excel_form, read_sas_form, value_text


# --- values as text -----------------------------------------------------------------------------------------------

def test_numbers_as_text_without_a_trailing_zero():
    values = pd.Series([3.0, -2.0, 1.5, 0.1, 1e-05, 123456789012.0, np.nan, 2.0 ** 60, 1 / 3])
    assert number_text(values).tolist() == ["3", "-2", "1.5", "0.1", "0.00001", "123456789012", "",
                                            "1152921504606847000", "0.3333333333333333"]


@pytest.mark.parametrize("value, text", [
    (None, ""), ("x", "x"), (True, "TRUE"), (False, "FALSE"), (7, "7"), (2.50, "2.5"), (float("nan"), ""),
    (datetime(2024, 1, 12), "2024-01-12"), (datetime(2024, 1, 12, 14, 30), "2024-01-12T14:30:00"),
    (date(2024, 1, 12), "2024-01-12"), (time(8, 5), "08:05:00"), (pd.NaT, ""),
])
def test_one_value_as_text(value, text):
    assert value_text(value) == text


# --- Excel --------------------------------------------------------------------------------------------------------

def workbook(tmp_path, sheets: dict[str, list[list]], name="forms.xlsx", change=None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if change:
            change(title, sheet)
    path = tmp_path / name
    book.save(path)
    return path


AE_ROWS = [
    [None],  # a title row left blank
    ["Subject", "AETERM", "AESTDT", "AETOXGR", "AEDOSE", "AESER", "AETIME"],
    ["01-001", "Headache", datetime(2024, 1, 12), 3, 1.5, True, time(14, 30)],
    [],  # a blank row is not a record
    ["01-002", None, datetime(2024, 2, 1, 9, 5), 2.0, 0.1, False, None],
    ["01-003", "  spaced  ", "UN JAN 2024", None, None, None, "08:00"],
]


def test_a_sheet_as_text_with_its_rows(tmp_path):
    path = workbook(tmp_path, {"AE": AE_ROWS, "CM": [["Subject"], ["x"]]})
    frame, header, problems = read_excel_form(path, "ae", None, "forms.xlsx")  # the sheet named as the form
    assert problems == [] and header == ["Subject", "AETERM", "AESTDT", "AETOXGR", "AEDOSE", "AESER", "AETIME"]
    assert frame[header].values.tolist() == [
        ["01-001", "Headache", "2024-01-12", "3", "1.5", "TRUE", "14:30:00"],
        ["01-002", "", "2024-02-01T09:05:00", "2", "0.1", "FALSE", ""],
        ["01-003", "  spaced  ", "UN JAN 2024", "", "", "", "08:00"],
    ]
    assert frame["__row"].tolist() == [3, 5, 6] and frame["__row"].dtype == np.int64
    assert set(frame["__file"]) == {"forms.xlsx[AE]"}


def test_the_sheet_option_and_the_only_sheet(tmp_path):
    path = workbook(tmp_path, {"Data": [["Subject"], ["01"]]})
    assert read_excel_form(path, "DM", None, "f.xlsx")[0]["Subject"].tolist() == ["01"]  # the only sheet
    assert read_excel_form(path, "DM", "data", "f.xlsx")[0]["__file"].tolist() == ["f.xlsx[Data]"]
    two = workbook(tmp_path, {"A": [["x"]], "B": [["y"]]}, name="two.xlsx")
    _, _, problems = read_excel_form(two, "DM", None, "two.xlsx")
    assert "2 sheets and none is named 'DM'" in problems[0].message and "sheet=NAME" in problems[0].message
    _, _, problems = read_excel_form(two, "DM", "C", "two.xlsx")
    assert "no sheet 'C'" in problems[0].message and "A, B" in problems[0].message


def test_a_header_only_sheet_has_no_records(tmp_path):
    frame, header, problems = read_excel_form(workbook(tmp_path, {"LB": [["Subject", "LBTEST"]]}), "LB", None, "x")
    assert problems == [] and header == ["Subject", "LBTEST"] and len(frame) == 0


def _merge_and_formula(title, sheet):
    sheet["D3"] = "=B3*2"  # openpyxl stores no result: reads as blank
    sheet.merge_cells("A4:B4")


@pytest.mark.parametrize("rows, change, found", [
    ([["Subject", "X"], ["01", "#N/A"]], None, [(2, "X", "Excel error #N/A")]),
    ([["Subject", None, "X"], ["01", "lost", "y"]], None, [(1, "B", "holds values but has no header")]),
    ([["Subject", "X"], ["01", "y", "beyond"]], None, [(1, "C", "holds values but has no header")]),
    ([["Subject", "X"], ["01", "bell\x85"]], None, [(2, "X", "U+0085")]),
    ([["Subject", "X", "Y"], ["01", 2, None], ["02", 3, None]], _merge_and_formula,
     [(3, "D", "formula without a stored result"), (4, None, "cells A4:B4 are merged")]),
    ([], None, [(None, None, "the sheet is empty")]),
])
def test_cells_that_would_read_wrong_are_problems_naming_row_and_column(tmp_path, rows, change, found):
    frame, _, problems = read_excel_form(workbook(tmp_path, {"LB": rows}, change=change), "LB", None, "x.xlsx")
    assert frame is None
    assert [(p.row, p.column) for p in problems] == [(row, column) for row, column, _ in found]
    for problem, (_, _, words) in zip(problems, found):
        assert words in problem.message
        assert problem.file.endswith("forms.xlsx[LB]") or problem.row is None  # the sheet, where a row is named


@pytest.mark.parametrize("data, words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Excel 97-2003"),
    (b"Subject,AETERM\n01,x\n", "not an xlsx workbook"),
    (b"PK\x03\x04broken", "corrupt"),
])
def test_files_that_are_not_workbooks(tmp_path, data, words):
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    frame, _, problems = read_excel_form(path, "AE", None, "x.xlsx")
    assert frame is None and words in problems[0].message


# --- SAS ----------------------------------------------------------------------------------------------------------

def sas_frame() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["01-001", "01-002", ""], "AGE": [34.0, np.nan, 71.0],
                         "WEIGHT": [70.25, 0.00001, 88.0], "BRTHDT": [date(1961, 3, 4), None, date(1950, 1, 1)],
                         "RAWDAY": [23021.0, 3.0, np.nan]})


@pytest.mark.parametrize("format, write", [("xpt", pyreadstat.write_xport), ("sas7bdat", pyreadstat.write_sas7bdat)])
def test_sas_datasets_as_text_with_record_numbers(tmp_path, format, write):
    path = tmp_path / f"dm.{format}"
    write(sas_frame(), str(path))
    frame, header, problems = read_sas_form(path, format, None, f"dm.{format}")
    assert problems == [] and header == ["USUBJID", "AGE", "WEIGHT", "BRTHDT", "RAWDAY"]
    assert frame[header].values.tolist() == [
        ["01-001", "34", "70.25", "1961-03-04", "23021"],  # a number without a date format stays a number
        ["01-002", "", "0.00001", "", "3"],
        ["", "71", "88", "1950-01-01", ""],
    ]
    assert frame["__row"].tolist() == [1, 2, 3] and set(frame["__file"]) == {f"dm.{format}"}


def test_a_sas_dataset_in_another_encoding(tmp_path):
    path = tmp_path / "ae.sas7bdat"
    pyreadstat.write_sas7bdat(pd.DataFrame({"AETERM": ["Übelkeit"]}), str(path))
    frame, _, problems = read_sas_form(path, "sas7bdat", "utf-8", "ae.sas7bdat")
    assert problems == [] and frame["AETERM"].tolist() == ["Übelkeit"]


def test_a_file_that_is_not_sas_is_a_problem(tmp_path):
    path = tmp_path / "dm.xpt"
    path.write_bytes(b"Subject,AGE\n01,34\n")
    frame, _, problems = read_sas_form(path, "xpt", None, "dm.xpt")
    assert frame is None and "cannot be read as a SAS XPORT file" in problems[0].message


def test_control_characters_in_sas_text_are_problems(tmp_path):
    path = tmp_path / "dm.xpt"
    pyreadstat.write_xport(pd.DataFrame({"X": ["ok", "bad\x01"]}), str(path))
    frame, _, problems = read_sas_form(path, "xpt", None, "dm.xpt")
    assert frame is None and (problems[0].row, problems[0].column) == (2, "X") and "record 2" in problems[0].message
