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


# --- issue 11: declared date formats, the failure threshold -----------------------------------------------------

from dataclasses import replace  # noqa: E402

from sdtm.dates import (DATE_FORMATS, check_failure_share, date_failure_threshold, date_format,  # noqa: E402
                        declared_date_format, declared_datetime)
from specs.errors import MappingError  # noqa: E402
from specs.model import SourceDef  # noqa: E402
from tests.sdtm.spec_builder import dataset, mapping, spec, variable  # noqa: E402


@pytest.mark.parametrize("fmt, raw, iso", [
    ("YYYY-MM-DD", "2014-01-02", "2014-01-02"),
    ("YYYY-MM-DD", "2014-01", "2014-01"),
    ("YYYY-MM-DD", "2014", "2014"),
    ("YYYY-MM-DD", "2014-01-02T10:30", "2014-01-02T10:30"),
    ("YYYY-MM-DD", "2014-01-02T10:30:00", "2014-01-02T10:30:00"),
    ("YYYY-MM-DD", "2014-UN-UN", "2014"),
    ("DD-MON-YYYY", "26-Dec-2013", "2013-12-26"),
    ("DD-MON-YYYY", "26-dec-2013", "2013-12-26"),
    ("DD-MON-YYYY", "26 DEC 2013", "2013-12-26"),  # EDC print of the same format
    ("DD-MON-YYYY", "UN-JAN-2014", "2014-01"),
    ("DD-MON-YYYY", "UNK-UNK-2014", "2014"),
    ("DD-MON-YYYY", "XX-JAN-2014", "2014-01"),
    ("DD-MON-YYYY", "UK-JAN-2014", "2014-01"),
    ("DD-MON-YYYY", "---JAN-2014", "2014-01"),  # "--" for the day
    ("DD-MON-YYYY", "JAN-2014", "2014-01"),
    ("DD-MON-YYYY", "2014", "2014"),
    ("DD-MON-YYYY", "26-Dec-2013 9:05", "2013-12-26T09:05"),
    ("DDMONYYYY", "26DEC2013", "2013-12-26"),
    ("DDMONYYYY", "UNJAN2014", "2014-01"),
    ("DDMONYYYY", "UNKUNK2014", "2014"),
    ("MM/DD/YYYY", "01/16/2014", "2014-01-16"),
    ("MM/DD/YYYY", "1/6/2014", "2014-01-06"),
    ("MM/DD/YYYY", "01/16/2014 10:30", "2014-01-16T10:30"),
    ("MM/DD/YYYY", "01/UN/2014", "2014-01"),
    ("MM/DD/YYYY", "01/2014", "2014-01"),
    ("DD/MM/YYYY", "16/01/2014", "2014-01-16"),
    ("DD/MM/YYYY", "UNK/UNK/2014", "2014"),
    ("MM-DD-YYYY", "01-02-2014", "2014-01-02"),
    ("DD.MM.YYYY", "16.01.2014", "2014-01-16"),
    ("DD.MM.YYYY", "29.02.2024", "2024-02-29"),
    ("YYYY/MM/DD", "2014/01/02", "2014-01-02"),
    ("YYYY/MM/DD", "2014/01", "2014-01"),
    ("DD-MON-YYYY", "", None),
    ("DD-MON-YYYY", "UNK-UNK-UNK", None),
])
def test_declared_formats(fmt, raw, iso):
    assert declared_datetime(raw, "", fmt) == iso
    assert to_iso8601(pd.Series([raw]), format=fmt)[0].tolist() == [iso]


@pytest.mark.parametrize("fmt, raw, words", [
    ("MM/DD/YYYY", "13/45/2014", "'13/45/2014' is not a date in the declared format MM/DD/YYYY"),
    ("DD/MM/YYYY", "01/16/2014", "'01/16/2014' is not a date in the declared format DD/MM/YYYY: month 16"),
    ("MM/DD/YYYY", "02/30/2014", "'02/30/2014' is not a calendar date (declared format MM/DD/YYYY)"),
    ("DD.MM.YYYY", "29.02.2023", "'29.02.2023' is not a calendar date (declared format DD.MM.YYYY)"),
    ("MM/DD/YYYY", "16.01.2014", "not a date in the declared format MM/DD/YYYY"),  # another convention
    ("MM-DD-YYYY", "01/02/2014", "not a date in the declared format MM-DD-YYYY"),
    ("DD-MON-YYYY", "2014-03", "not a date in the declared format DD-MON-YYYY"),
    ("DD-MON-YYYY", "26-DEX-2013", "'DEX' is not a month"),
    ("DDMONYYYY", "26-DEC-2013", "not a date in the declared format DDMONYYYY"),
    ("YYYY-MM-DD", "26-DEC-2013", "not a date in the declared format YYYY-MM-DD"),
    ("YYYY-MM-DD", "2014-01-32", "day 32 is out of range 1-31"),
    ("YYYY/MM/DD", "yesterday", "not a date in the declared format YYYY/MM/DD"),
])
def test_declared_format_failures_name_the_format(fmt, raw, words):
    with pytest.raises(DateProblem) as caught:
        declared_datetime(raw, "", fmt)
    assert words in str(caught.value) and caught.value.kept is None
    iso, problems = to_iso8601(pd.Series([raw, "x"]), format=fmt)
    assert iso.tolist() == [None, None] and words in problems[0]


def test_a_known_day_in_an_unknown_month_keeps_only_the_year():
    with pytest.raises(DateProblem) as caught:
        declared_datetime("15-UNK-2014", "", "DD-MON-YYYY")
    assert caught.value.kept == "2014" and "has a day but no month" in str(caught.value)
    iso, problems = to_iso8601(pd.Series(["15/UN/2014"]), format="DD/MM/YYYY")
    assert iso.tolist() == ["2014"] and "declared format DD/MM/YYYY" in problems[0]


def test_declared_format_with_a_separate_time_field_and_invalid_times():
    dates = pd.Series(["01/16/2014", "01/16/2014", "01/16/2014", "01/UN/2014", "", "01/16/2014 25:00"])
    times = pd.Series(["9:05", "10:30:15", "25:61", "10:30", "10:30", ""])
    iso, problems = to_iso8601(dates, times, "MM/DD/YYYY")
    assert iso.tolist() == ["2014-01-16T09:05", "2014-01-16T10:30:15", "2014-01-16", "2014-01", None, "2014-01-16"]
    assert problems[2].startswith("invalid time: '25:61'") and "2014-01-16 is kept without the time" in problems[2]
    assert problems[3] is None  # a partial date takes no time (SDTMIG 4.4)
    assert "has no date" in problems[4] and "kept without the time" in problems[5]


def test_vectorised_results_agree_with_the_one_value_functions():
    dates = ["12 JAN 2024", "2024-03", "31 FEB 2024", "", "UN JAN 2024", "2024-03-05T25:99", "12 JAN 2024 14:30",
             "15 UNK 2003", "nonsense", "12 JAN 2024"]
    times = ["08:00", "", "09:00", "", "14:30", "", "", "", "", "7:5"]
    for fmt in (None, "DD-MON-YYYY"):
        iso, problems = to_iso8601(pd.Series(dates), pd.Series(times), fmt)
        for k, (d, t) in enumerate(zip(dates, times)):
            try:
                expected = declared_datetime(d, t, fmt) if fmt else iso_datetime(d, t)
                assert (iso[k], problems[k]) == (expected, None)
            except DateProblem as exc:
                assert (iso[k], problems[k]) == (exc.kept, str(exc))


def test_without_a_declared_format_every_known_shape_is_read():
    iso, problems = to_iso8601(pd.Series(["2024-03", "12 JAN 2024", "UN JAN 2024"]))
    assert iso.tolist() == ["2024-03", "2024-01-12", "2024-01"] and problems.isna().all()
    iso, problems = to_iso8601(pd.Series(["2024-03", "12 JAN 2024"]), format="DD-MON-YYYY")
    assert iso.tolist() == [None, "2024-01-12"] and "declared format DD-MON-YYYY" in problems[0]


def test_format_names():
    assert date_format("dd-mon-yyyy").name == "DD-MON-YYYY"
    assert date_format("DD-MMM-YYYY").name == "DD-MON-YYYY"
    assert date_format("MM/DD/YYYY HH:MM").name == "MM/DD/YYYY"
    assert date_format("YYYY-MM-DDTHH:MM:SS").name == "YYYY-MM-DD"
    assert all(date_format(name).name == name for name in DATE_FORMATS)
    with pytest.raises(ValueError, match="'D/M/Y' is not a date format .* MM/DD/YYYY"):
        date_format("D/M/Y")


def _row(arguments="", field="AESTDAT", form="AE"):
    return mapping("AE", "AESTDTC", form, field, "assign_datetime", arguments, row=7)


def _spec_with(**source):
    return spec(sources=(SourceDef(form="AE", sheet="Sources", row=3, **source),))


def test_the_declared_format_of_a_mapping_row():
    single = _spec_with(date_formats=(("*", "MM/DD/YYYY"),))
    per_field = _spec_with(date_formats=(("aestdat", "DD.MM.YYYY"), ("*", "YYYY-MM-DD")))
    assert declared_date_format(spec(sources=()), _row()) is None  # nothing declared: every known shape
    assert declared_date_format(single, _row()) == "MM/DD/YYYY"
    assert declared_date_format(single, _row("format=ddmonyyyy")) == "DDMONYYYY"  # the row wins
    assert declared_date_format(per_field, _row()) == "DD.MM.YYYY"  # field names case-insensitive
    assert declared_date_format(per_field, _row(field="AEENDAT")) == "YYYY-MM-DD"
    with pytest.raises(MappingError, match=r"Mapping row 7 \(AE.AESTDTC\): format='DMY' is not a date format"):
        declared_date_format(spec(), _row("format=DMY"))
    with pytest.raises(MappingError, match="format='HH:MM' is a time format"):
        declared_date_format(spec(), _row("format=HH:MM"))


def test_the_failure_threshold_of_a_form():
    assert date_failure_threshold(spec(sources=()), "AE") == 0  # no Sources row: no failure allowed
    assert date_failure_threshold(_spec_with(date_failure_threshold=0.25), "AE") == 0.25
    assert date_failure_threshold(spec(), None) is None


def _records(n):
    return pd.DataFrame({"__file": ["ae.csv"] * n, "__row": range(2, n + 2)}, index=range(10, 10 + n))


def test_check_failure_share_passes_at_or_below_the_threshold():
    values = pd.Series(["01/16/2014", "13/45/2014", "", None], index=range(10, 14))
    problems = pd.Series([None, "'13/45/2014' is not a date", None, None], index=range(10, 14))
    check_failure_share("AE", "AESTDAT", values, problems, _records(4), threshold=0.5)  # 1 of 2 filled
    with pytest.raises(MappingError):
        check_failure_share("AE", "AESTDAT", values, problems, _records(4), threshold=0.49)
    check_failure_share("AE", "AESTDAT", values[[12, 13]], problems[[12, 13]], _records(4).loc[[12, 13]], 0)


def test_check_failure_share_names_form_field_counts_share_threshold_and_examples():
    values = pd.Series([f"13/{d}/2014" for d in range(40, 47)] + ["01/16/2014"] * 3, index=range(10, 20))
    problems = pd.Series([f"'{v}' is not a date in the declared format MM/DD/YYYY" for v in values[:7]] + [None] * 3,
                         index=range(10, 20))
    with pytest.raises(MappingError) as caught:
        check_failure_share("AE", "AESTDAT", values, problems, _records(10), 0.2, "MM/DD/YYYY")
    text = str(caught.value)
    assert "form AE, field AESTDAT: 7 of 10 date values (70.00%, share 0.7)" in text
    assert "declared format MM/DD/YYYY" in text and "Date Failure Threshold 0.2" in text
    assert len(caught.value.problems) == 5 and "The first 5:" in text
    first = caught.value.problems[0]
    assert (first.file, first.row, first.column) == ("ae.csv", 2, "AESTDAT") and "'13/40/2014'" in first.message


def test_the_engine_reads_the_declared_format_and_stops_above_the_threshold():
    from sdtm.engine import DomainContext, map_domain
    from sdtm.steps import STEPS

    raw = pd.DataFrame({"AETERM": ["Fever", "Rash", "Cough"], "AESTDAT": ["01/16/2014", "02/30/2014", "03/01/2014"],
                        "__file": "ae.csv", "__row": [2, 3, 4]})
    base = spec(datasets=[dataset("AE")], variables=[variable("AE", "AETERM", 1), variable("AE", "AESTDTC", 2)],
                mappings=[mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct"),
                          mapping("AE", "AESTDTC", "AE", "AESTDAT", "assign_datetime", row=9)])

    def with_threshold(threshold):
        return replace(base, sources=(SourceDef(form="AE", date_formats=(("*", "MM/DD/YYYY"),),
                                                date_failure_threshold=threshold, sheet="Sources", row=2),))

    ctx = DomainContext(spec=with_threshold(0.5), raw={"AE": raw})
    frame = map_domain("AE", ctx, STEPS).frame
    assert [None if pd.isna(v) else v for v in frame["AESTDTC"]] == ["2014-01-16", None, "2014-03-01"]
    assert [(f.raw_row, f.message) for f in ctx.findings] == [
        (3, "'02/30/2014' is not a calendar date (declared format MM/DD/YYYY)")]
    with pytest.raises(MappingError, match=r"form AE, field AESTDAT: 1 of 3 date values .* Threshold 0\.3"):
        map_domain("AE", DomainContext(spec=with_threshold(0.3), raw={"AE": raw}), STEPS)
