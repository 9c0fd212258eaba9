import logging

import numpy as np
import pandas as pd
import pytest

from adam.dates import compute_dt, compute_dtm, compute_duration_days, parse_dtc


def dates(*values):
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[ns]")


def test_parse_splits_partial_and_hyphenated_values():
    parsed = parse_dtc(pd.Series(["2003-12-15T13:15:17", "2003---15", "2003-12-15T-:15", "--12-15", None]))
    assert list(parsed.year[:3]) == [2003, 2003, 2003] and np.isnan(parsed.year[3])
    assert np.isnan(parsed.month[1]) and parsed.day[1] == 15
    assert np.isnan(parsed.hour[2]) and parsed.minute[2] == 15
    assert not parsed.invalid.any()


def test_complete_dates_are_kept_and_partials_are_null_without_imputation():
    result, flag = compute_dt(pd.Series(["2024-03-15", "2024-03-15T08:00", "2024-03", "2024", None, ""]))
    assert list(result) == list(dates("2024-03-15", "2024-03-15", None, None, None, None))
    assert flag.isna().all()


def test_first_and_last_imputation_with_flags():
    text = pd.Series(["2024-02", "2024", "2024---15", "2024-02-10"])
    first, first_flag = compute_dt(text, "first")
    last, last_flag = compute_dt(text, "last")
    assert list(first) == list(dates("2024-02-01", "2024-01-01", "2024-01-01", "2024-02-10"))
    assert list(last) == list(dates("2024-02-29", "2024-12-31", "2024-12-31", "2024-02-10"))  # leap year
    assert list(first_flag.fillna("")) == ["D", "M", "M", ""]
    assert list(last_flag.fillna("")) == ["D", "M", "M", ""]


def test_highest_imputation_day_leaves_a_missing_month_null():
    result, flag = compute_dt(pd.Series(["2024-02", "2024"]), "last", highest_imputation="D")
    assert result.iloc[0] == pd.Timestamp("2024-02-29") and flag.iloc[0] == "D"
    assert pd.isna(result.iloc[1]) and pd.isna(flag.iloc[1])


def test_min_date_inside_the_partial_range_raises_the_first_imputation():
    # lymphodepletion started 2024-03-10; partial AE starts in that month / year are imputed to it
    ld = pd.Series(pd.to_datetime(["2024-03-10"] * 4))
    result, flag = compute_dt(pd.Series(["2024-03", "2024", "2024-02", "2024-04"]), "first", min_dates=[ld])
    assert list(result) == list(dates("2024-03-10", "2024-03-10", "2024-02-01", "2024-04-01"))
    assert list(flag) == ["D", "M", "D", "D"]


def test_max_date_shrinks_the_range_before_the_min_date_applies():
    # AE "2024" ended 2024-03-05, before lymphodepletion (03-10): it cannot have started on 03-10
    result, _ = compute_dt(pd.Series(["2024", "2024"]), "first",
                           min_dates=[pd.Timestamp("2024-03-10")],
                           max_dates=[dates("2024-03-05", "2024-03-20")])
    assert list(result) == list(dates("2024-01-01", "2024-03-10"))


def test_last_imputation_is_capped_by_max_dates_inside_the_range_only():
    death = dates("2024-05-22", "2024-07-01", None)
    result, flag = compute_dt(pd.Series(["2024-05", "2024-05", "2024-05"]), "last",
                              max_dates=[death, pd.Timestamp("2025-12-31")])
    assert list(result) == list(dates("2024-05-22", "2024-05-31", "2024-05-31"))
    assert list(flag) == ["D", "D", "D"]


def test_invalid_text_is_null_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="adam.dates"):
        result, _ = compute_dt(pd.Series(["2024-02-30", "31/01/2024", "2024-13", "2024-01-05/2024-01-09"],
                                         name="AESTDTC"), "first")
    assert result.isna().all()
    assert "4 value(s) of AESTDTC" in caplog.text


def test_datetime_with_time_imputation_flags():
    dtm, dflag, tflag = compute_dtm(pd.Series(["2024-01-12T14:30:15", "2024-01-12T14:30", "2024-01-12T14",
                                               "2024-01-12", "2024-01", None]), date_imputation="first")
    assert list(dtm[:5]) == [pd.Timestamp(t) for t in ("2024-01-12 14:30:15", "2024-01-12 14:30", "2024-01-12 14:00",
                                                        "2024-01-12", "2024-01-01")]
    assert list(tflag.fillna("")) == ["", "S", "M", "H", "H", ""]
    assert list(dflag.fillna("")) == ["", "", "", "", "D", ""]
    last, _, _ = compute_dtm(pd.Series(["2024-01-12T14"]), time_imputation="last")
    assert last.iloc[0] == pd.Timestamp("2024-01-12 14:59:59")


def test_duration_counts_both_ends():
    assert compute_duration_days(dates("2024-01-10"), dates("2024-01-10")).tolist() == [1.0]
    assert compute_duration_days(dates("2024-01-10"), dates("2024-02-10")).tolist() == [32.0]


def test_bad_imputation_argument_is_refused():
    with pytest.raises(ValueError):
        compute_dt(pd.Series(["2024"]), "middle")
