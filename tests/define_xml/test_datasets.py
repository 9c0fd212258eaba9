"""The facts define.xml takes from the data (define_xml.datasets): present values, text lengths, used
terms and decimals, made once per column, the same through the Arrow path as through the plain one."""

from __future__ import annotations

import pandas as pd
import pytest

from define_xml.datasets import DatasetInfo, decimals, present, text_length, used_terms

UGLY = ["a", " ", "", None, "  b ", "\u3000", "\x1c", " \t", "\t", "é ", "日本", "1"]


def _plain_present(series: pd.Series) -> pd.Series:
    values = series.dropna()
    return values[values.astype("str").str.strip() != ""]


@pytest.mark.parametrize("dtype", ["str", object])
def test_present_drops_missing_and_all_whitespace_text(dtype):
    series = pd.Series(UGLY, dtype=dtype)
    assert present(series).tolist() == _plain_present(series).tolist() == ["a", "  b ", "é ", "日本", "1"]


def test_present_keeps_numbers_and_returns_the_column_itself_when_nothing_is_dropped():
    assert present(pd.Series([1.0, float("nan"), 0.0])).tolist() == [1.0, 0.0]
    full = pd.Series(["x", "y"], dtype="str")
    assert present(full) is full


@pytest.mark.parametrize("dtype", ["str", object])
def test_text_length_is_the_longest_value_in_utf8_bytes_without_trailing_blanks(dtype):
    assert text_length(pd.Series(UGLY, dtype=dtype)) == 6  # "日本"; "  b " counts 3, "é " 2
    assert text_length(pd.Series([None, " "], dtype=dtype)) is None
    assert text_length(None) is None


def test_text_length_and_decimals_of_numbers_count_what_define_writes():
    numbers = pd.Series([1.0, 12.5, 12.5, 3.125, float("nan")])
    assert text_length(numbers) == 5  # "3.125"
    assert decimals(numbers) == 3
    assert decimals(pd.Series(["1", "2.50", "x", None], dtype="str")) == 1


def test_dataset_facts_are_made_once_per_column_and_match_the_functions():
    frame = pd.DataFrame({"SEV": pd.Series(["MILD", "", "SEVERE", "MILD"], dtype="str"),
                          "EMPTY": pd.Series(["", " ", "", ""], dtype="str"), "N": [1.0, 2.0, 1.0, 1.0]})
    info = DatasetInfo(name="AE", href="ae.xpt", columns=(), frame=frame)
    assert info.used_terms("sev") == used_terms(frame["SEV"]) == {"MILD", "SEVERE"}
    assert info.used_terms("N") == {"1", "2"}
    assert info.present("SEV") is info.present("sev"), "made once"
    assert info.is_empty("EMPTY") and not info.is_empty("SEV") and not info.is_empty("ABSENT")
    assert info.used_terms("ABSENT") is None and info.values("ABSENT") is None
    terms = info.used_terms("SEV")
    terms.add("MODERATE")  # callers may add to what they get; the next caller gets the data's terms
    assert info.used_terms("SEV") == {"MILD", "SEVERE"}
    assert DatasetInfo(name="AE", href="ae.xpt", columns=()).used_terms("SEV") is None


def test_the_first_column_of_an_upper_case_name_is_the_one_read():
    frame = pd.DataFrame([[1.0, 2.0]], columns=["aeseq", "AESEQ"])
    info = DatasetInfo(name="AE", href="ae.xpt", columns=(), frame=frame)
    assert info.values("AESEQ").tolist() == [1.0]
