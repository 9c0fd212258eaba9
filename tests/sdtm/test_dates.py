import pandas as pd
import pytest

from sdtm.dates import DateProblem, iso_date, iso_datetime, iso_time, to_iso8601


@pytest.mark.parametrize("raw, iso", [
    ("12 JAN 2024", "2024-01-12"),
    ("12-jan-2024", "2024-01-12"),
    ("12JAN2024", "2024-01-12"),
    ("1 Feb 2024", "2024-02-01"),
    ("UN JAN 2024", "2024-01"),
    ("UN-JAN-2024", "2024-01"),
    ("UNK-JAN-2024", "2024-01"),
    ("JAN 2024", "2024-01"),
    ("UNK-UNK-1961", "1961"),
    ("UN UNK 1961", "1961"),
    ("1961", "1961"),
    ("2024-03", "2024-03"),
    ("2024-03-09", "2024-03-09"),
    ("2024/3/9", "2024-03-09"),
    ("2024-UN-UN", "2024"),
    ("15 UNK 2003", "2003---15"),  # day known, month unknown: hyphen placeholder
    ("29 FEB 2024", "2024-02-29"),
    ("", None),
    ("  ", None),
    ("UNK", None),
    ("UN-UN-UN", None),
])
def test_iso_date(raw, iso):
    assert iso_date(raw) == iso


@pytest.mark.parametrize("raw", ["31 FEB 2024", "29 FEB 2023", "12 JANX 2024", "yesterday", "2024-13", "32 JAN 2024"])
def test_invalid_dates_raise(raw):
    with pytest.raises(DateProblem):
        iso_date(raw)


def test_times_and_datetimes():
    assert iso_time("9:05") == "09:05"
    assert iso_time("14:30:15") == "14:30:15"
    assert iso_time("UN:30") == "-:30"  # unknown hour keeps its place
    assert iso_time("") is None
    assert iso_datetime("12 JAN 2024", "14:30") == "2024-01-12T14:30"
    assert iso_datetime("UN JAN 2024", "14:30") == "2024-01"  # never a time after a partial date
    assert iso_datetime("12 JAN 2024", "") == "2024-01-12"
    with pytest.raises(DateProblem):
        iso_time("25:00")


def test_vectorised_conversion_reports_problems_per_record():
    dates = pd.Series(["12 JAN 2024", "31 FEB 2024", "", "12 JAN 2024"], index=[10, 11, 12, 13])
    times = pd.Series(["08:00", "", "", "09:00"], index=[10, 11, 12, 13])
    iso, problems = to_iso8601(dates, times)
    assert iso.tolist() == ["2024-01-12T08:00", None, None, "2024-01-12T09:00"]
    assert list(iso.index) == [10, 11, 12, 13]
    assert problems[11].startswith("'31 FEB 2024'") and problems[10] is None and problems[12] is None


# --- issue 9: a bad time never costs the date; dates that cannot be true ----------------------------------------

from datetime import date  # noqa: E402

from sdtm.dates import date_range_problems, split_time  # noqa: E402


@pytest.mark.parametrize("raw_date, raw_time, kept", [
    ("2024-03-05T25:99", "", "2024-03-05"),
    ("05 MAR 2024", "25:99", "2024-03-05"),
    ("05 MAR 2024", "24:10", "2024-03-05"),
    ("05 MAR 2024", "12:60", "2024-03-05"),
    ("05 MAR 2024", "noon", "2024-03-05"),
    ("2024-03-05T14", "", "2024-03-05"),
    ("MAR 2024", "25:00", "2024-03"),
])
def test_invalid_time_keeps_the_date(raw_date, raw_time, kept):
    with pytest.raises(DateProblem) as caught:
        iso_datetime(raw_date, raw_time)
    assert caught.value.kept == kept and "kept without the time" in str(caught.value)
    iso, problems = to_iso8601(pd.Series([raw_date]), pd.Series([raw_time]))
    assert iso.tolist() == [kept] and "time" in problems[0]


@pytest.mark.parametrize("raw, expected", [
    ("2024-03-05T14:30", "2024-03-05T14:30"),
    ("2024-03-05T14:30:59", "2024-03-05T14:30:59"),
    ("12 JAN 2024 14:30", "2024-01-12T14:30"),
    ("12 JAN 2024", "2024-01-12"),
])
def test_a_date_field_may_carry_its_time(raw, expected):
    assert iso_datetime(raw) == expected


def test_separate_time_field_wins_and_split_time():
    assert iso_datetime("2024-03-05T14:30", "09:00") == "2024-03-05T09:00"
    assert split_time("12 JAN 2024") == ("12 JAN 2024", "")
    assert split_time("2024-03-05t25:99") == ("2024-03-05", "25:99")


def test_invalid_date_still_gives_no_value():
    iso, problems = to_iso8601(pd.Series(["31 FEB 2024"]), pd.Series(["25:99"]))
    assert iso.tolist() == [None] and "calendar date" in problems[0]


def test_date_range_problems_flag_future_and_pre_1900_dates():
    today = date(2025, 6, 30)
    iso = pd.Series(["2099", "2025-07", "2025-06", "2025-06-30", "2025-07-01T08:00", "1850-01-01", "1899", "1900",
                     None, "2099---15"])
    problems = date_range_problems(iso, today).tolist()
    assert ["after" in p if p else p for p in problems] == [True, True, None, None, True, False, False, None, None,
                                                            True]
    assert "before 1900" in problems[5] and "before 1900" in problems[6]
    assert "2025-06-30" in problems[0]
