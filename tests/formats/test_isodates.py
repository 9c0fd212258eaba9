"""ISO 8601 dates and the one study day that SDTM, ADaM and the validation rules share."""

from __future__ import annotations

import pandas as pd

from formats.isodates import complete_date, study_day


def _dates(*values):
    return pd.Series([pd.Timestamp(v) if v else pd.NaT for v in values]).astype("datetime64[ns]")


def test_complete_date_only_counts_dates_complete_to_the_day():
    got = complete_date(pd.Series(["2024-01-10T08:00", "2024-01", "2024-02-30", "", None]))
    assert got.iloc[0] == pd.Timestamp("2024-01-10") and got.iloc[1:].isna().all()


def test_study_day_of_iso_text_has_no_day_zero_and_is_null_for_partial_dates():
    ref = pd.Series(["2024-01-10"] * 6)
    dtc = pd.Series(["2024-01-10", "2024-01-11", "2024-01-09", "2024-01-01T08:00", "2024-01", None])
    assert study_day(dtc, ref).tolist() == [1, 2, -1, -9, pd.NA, pd.NA]
    assert study_day(pd.Series(["2024-01-12"]), pd.Series(["2024-01"])).tolist() == [pd.NA]


def test_study_day_of_datetimes_counts_their_date_part():
    reference = _dates(*["2024-01-10"] * 5)
    result = study_day(_dates("2024-01-10 23:59", "2024-01-11", "2024-01-09", "2023-12-31", None), reference)
    assert result.tolist() == [1, 2, -1, -10, pd.NA]


def test_text_and_datetimes_give_the_same_day():
    text = pd.Series(["2024-03-01", "2024-02-28"])
    assert study_day(text, pd.Series(["2024-02-29"] * 2)).tolist() == \
        study_day(_dates("2024-03-01", "2024-02-28"), _dates("2024-02-29", "2024-02-29")).tolist() == [2, -1]


def test_period_bounds_of_complete_and_partial_dates():
    from formats.isodates import period_bounds

    first, last = period_bounds(pd.Series(["2024-02-10T08:00", "2024-02", "2023", "2024-02-30", "", None, "UNK"]))
    shown = [None if pd.isna(v) else str(v.date()) for v in first], [None if pd.isna(v) else str(v.date()) for v in last]
    assert shown[0] == ["2024-02-10", "2024-02-01", "2023-01-01", None, None, None, None]
    assert shown[1] == ["2024-02-10", "2024-02-29", "2023-12-31", None, None, None, None]
