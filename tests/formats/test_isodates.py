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


def test_repeated_dates_are_parsed_once_and_spread_back_on_every_record_in_place():
    from formats.isodates import complete_date, period_bounds

    iso = pd.Series(["2024-03", "2024-01-31", None, "2024-03", "2024-01-31", "", "2023-02-29"] * 3,
                    index=range(100, 121), name="AESTDTC", dtype="str")
    day = complete_date(iso)
    first, last = period_bounds(iso)
    assert list(day.index) == list(iso.index) and day.name == "AESTDTC"
    assert day.tolist()[:7] == [pd.NaT, pd.Timestamp("2024-01-31"), pd.NaT, pd.NaT, pd.Timestamp("2024-01-31"),
                                pd.NaT, pd.NaT]
    assert first.tolist()[:4] == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-01-31"), pd.NaT,
                                  pd.Timestamp("2024-03-01")]
    assert last.tolist()[:4] == [pd.Timestamp("2024-03-31"), pd.Timestamp("2024-01-31"), pd.NaT,
                                 pd.Timestamp("2024-03-31")]
    assert day.tolist()[7:14] == day.tolist()[:7]
