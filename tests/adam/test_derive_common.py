import logging

import numpy as np
import pandas as pd
import pytest

from adam.derive_common import (
    assert_inputs, compute_pchg, compute_y_or_null, compute_yn, derive_var_base, derive_var_extreme_flag,
    derive_var_obs_number, derive_vars_merged, filter_extreme, merge_adsl, order_columns,
)
from specs.errors import DerivationError


def records():
    return pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B", "B"],
        "GRADE": [2, 3, 3, np.nan, 1],
        "DAY": [5, 9, 2, 1, np.nan],
        "SEQ": [1, 2, 3, 1, 2],
    })


def test_assert_inputs_names_every_missing_dataset_and_variable():
    with pytest.raises(DerivationError) as caught:
        assert_inputs({"DM": pd.DataFrame({"USUBJID": []}), "EX": None},
                      {"DM": ("USUBJID", "AGE", "SEX"), "EX": ("EXCAT",)}, "ADSL")
    text = str(caught.value)
    assert "ADSL" in text and "AGE, SEX of DM" in text and "needs dataset EX" in text


def test_filter_extreme_first_and_last_with_missing_last():
    first = filter_extreme(records(), ["USUBJID"], [("DAY", True)])
    assert first.set_index("USUBJID")["SEQ"].to_dict() == {"A": 3, "B": 1}
    last = filter_extreme(records(), ["USUBJID"], [("DAY", True)], mode="last")
    assert last.set_index("USUBJID")["SEQ"].to_dict() == {"A": 2, "B": 2}  # missing DAY sorts last


def test_extreme_flag_by_descending_grade_then_day_among_eligible_rows():
    frame = records()
    flagged = derive_var_extreme_flag(frame, ["USUBJID"], [("GRADE", False), ("DAY", True)], "FL",
                                      where=frame["SEQ"] != 3)
    assert flagged["FL"].fillna("").tolist() == ["", "Y", "", "", "Y"]
    assert "FL" not in frame.columns  # input untouched


def test_obs_number_keeps_row_order():
    numbered = derive_var_obs_number(records(), ["USUBJID"], [("DAY", True)])
    assert numbered["ASEQ"].tolist() == [2, 3, 1, 1, 2]


def test_merge_refuses_duplicate_keys_and_logs_unmatched(caplog):
    left = pd.DataFrame({"USUBJID": ["A", "C"], "X": [1, 2]})
    with pytest.raises(DerivationError, match="more than one record"):
        derive_vars_merged(left, pd.DataFrame({"USUBJID": ["A", "A"], "Y": [1, 2]}), ["USUBJID"], ["Y"])
    with caplog.at_level(logging.WARNING):
        merged = derive_vars_merged(left, pd.DataFrame({"USUBJID": ["A"], "Y": [9]}), ["USUBJID"], ["Y"])
    assert merged["Y"].tolist()[0] == 9 and np.isnan(merged["Y"].tolist()[1])
    assert "1 records have no matching USUBJID" in caplog.text


def test_base_comes_from_the_flagged_record_and_must_be_unique():
    frame = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AVAL": [10.0, 7.0, 3.0], "ABLFL": ["Y", None, None]})
    assert derive_var_base(frame, ["USUBJID"])["BASE"].tolist()[:2] == [10.0, 10.0]
    frame.loc[1, "ABLFL"] = "Y"
    with pytest.raises(DerivationError, match="more than one ABLFL"):
        derive_var_base(frame, ["USUBJID"])


def test_pchg_is_null_when_base_is_zero():
    result = compute_pchg(pd.Series([5.0, 5.0, 5.0]), pd.Series([0.0, 10.0, np.nan]))
    assert np.isnan(result[0]) and result[1] == -50.0 and np.isnan(result[2])


def test_flag_helpers():
    mask = pd.Series([True, False, None], dtype=object)
    assert compute_yn(mask).tolist() == ["Y", "N", "N"]
    assert compute_y_or_null(mask).fillna("").tolist() == ["Y", "", ""]


def test_merge_adsl_takes_trta_from_trt01a_and_skips_absent_variables(caplog):
    frame = pd.DataFrame({"USUBJID": ["B", "A", "C"], "AVAL": [1.0, 2.0, 3.0]}, index=[10, 11, 12])
    adsl = pd.DataFrame({"USUBJID": ["A", "B"], "SITEID": ["01", "02"], "TRT01A": ["X", None]})
    with caplog.at_level(logging.WARNING):
        merged = merge_adsl(frame, adsl, ["SITEID", "TRTA", "AGE"])
    assert merged.index.tolist() == [10, 11, 12] and "AGE" not in merged.columns
    assert merged["SITEID"].tolist()[:2] == ["02", "01"] and pd.isna(merged.loc[12, "SITEID"])
    assert pd.isna(merged.loc[10, "TRTA"]) and merged.loc[11, "TRTA"] == "X"
    assert "1 records have no matching USUBJID record" in caplog.text
    assert "TRTA" not in merge_adsl(frame, adsl.drop(columns="TRT01A"), ["TRTA"]).columns


def test_order_columns_puts_the_named_ones_first_and_keeps_the_rest():
    frame = pd.DataFrame(columns=["C", "A", "D", "B"])
    assert list(order_columns(frame, ["B", "X", "A"]).columns) == ["B", "A", "C", "D"]
