"""PFS/DOR censoring for PD or death after missed assessments, counted against the planned schedule.

Every subject starts on the same day; assessments and deaths are given as days after STARTDT (TRTSDT,
day 0), so the expectations can be checked by hand. The schedule used by most tests is the one of a
typical CAR-T protocol: every 6 weeks to week 24 (days 42, 84, 126, 168), then months 9 and 12 (days
273, 365), each +/- 7 days. Windows: 42 [35, 49], 84 [77, 91], 126 [119, 133], 168 [161, 175],
273 [266, 280], 365 [358, 372].
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from adam.adtte import count_missed_assessments, create_adtte
from adam.parameters import StudyParameters

START = pd.Timestamp("2024-01-01")
SCHEDULE = (42, 84, 126, 168, 273, 365)
PARAMS = StudyParameters(assessment_days=SCHEDULE, assessment_window_days=7, censor_codes_by_reason=True)
MISSED = "PD OR DEATH AFTER >= 2 MISSED ASSESSMENTS"
# TV of such a protocol: visit numbers 10-15 carry the tumour assessments; 9 (DAY 28) and 12.5 (a
# lab-only visit on day 105) do not, so they must not become scheduled tumour assessments
TV = pd.DataFrame({"VISITNUM": [9.0, 10.0, 11.0, 12.0, 12.5, 13.0, 14.0, 15.0],
                   "VISIT": ["DAY 28", "WEEK 6", "WEEK 12", "WEEK 18", "DAY 105", "WEEK 24", "MONTH 9", "MONTH 12"],
                   "VISITDY": [29.0, 43.0, 85.0, 127.0, 106.0, 169.0, 274.0, 366.0]})
VISITNUM = {42: 10.0, 84: 11.0, 126: 12.0, 168: 13.0, 273: 14.0, 365: 15.0}


def date(offset: int | None) -> pd.Timestamp:
    return pd.NaT if offset is None else START + pd.Timedelta(days=offset)


def study(subjects: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADSL and ADRS of subjects given as {id: {"rs": [(day, response, visit day or None = unscheduled)],
    "death": day, "confirmed": day of the confirmed response}}."""
    adsl, adrs = [], []
    for subject, spec in subjects.items():
        usubjid = f"S-{subject}"
        rs = spec.get("rs", [])
        last = max([d for d, _, _ in rs] + [spec.get("death") or 0])
        adsl.append({"STUDYID": "S", "USUBJID": usubjid, "TRTSDT": START, "SAFFL": "Y",
                     "DTHDT": date(spec.get("death")), "LSTALVDT": date(last), "NACTDT": pd.NaT})
        seq = 0
        for day, response, visit in rs:
            seq += 1
            adrs.append({"USUBJID": usubjid, "PARAMCD": "OVR", "AVALC": response, "ADT": date(day),
                         "ANL01FL": "Y", "ASEQ": seq,
                         "AVISITN": VISITNUM[visit] if visit is not None else 90.0 + seq / 100})
        first_pd = next((d for d, response, _ in rs if response == "PD"), None)
        seq += 1
        adrs.append({"USUBJID": usubjid, "PARAMCD": "PD", "AVALC": "N" if first_pd is None else "Y",
                     "ADT": date(first_pd), "ANL01FL": "Y", "ASEQ": seq, "AVISITN": np.nan})
        seq += 1
        confirmed = spec.get("confirmed")
        adrs.append({"USUBJID": usubjid, "PARAMCD": "CRSP", "AVALC": "N" if confirmed is None else "Y",
                     "ADT": date(confirmed), "ANL01FL": "Y", "ASEQ": seq, "AVISITN": np.nan})
    adsl_frame = pd.DataFrame(adsl)
    for name in ("TRTSDT", "DTHDT", "LSTALVDT", "NACTDT"):
        adsl_frame[name] = adsl_frame[name].astype("datetime64[ns]")
    adrs_frame = pd.DataFrame(adrs)
    adrs_frame["ADT"] = adrs_frame["ADT"].astype("datetime64[ns]")
    return adsl_frame, adrs_frame


def outcome(subjects: dict[str, dict], subject: str, params: StudyParameters = PARAMS,
            tv: pd.DataFrame | None = None, paramcd: str = "PFS") -> tuple:
    """(CNSR, ADT as days after STARTDT, AVAL, EVNTDESC) of one subject's PFS (or `paramcd`) record."""
    adtte = create_adtte(*study(subjects), params, tv=tv)
    row = adtte[(adtte["USUBJID"] == f"S-{subject}") & (adtte["PARAMCD"] == paramcd)]
    assert len(row) == 1
    row = row.iloc[0]
    return int(row["CNSR"]), (row["ADT"] - START).days, float(row["AVAL"]), row["EVNTDESC"]


def sd(*days: int) -> list[tuple[int, str, int]]:
    """SD at the scheduled visits `days` (assessed on the nominal day)."""
    return [(d, "SD", d) for d in days]


# --- the two cases of the issue ------------------------------------------------------------------

def test_early_in_window_assessment_is_its_visit_and_one_missed_visit_keeps_the_event():
    # Week 12 done on day 77 (first day of its window), Week 18 missed, PD at Week 24 on day 170: the
    # old rule (170 - 77 = 93 > 2 x 42 + 7) censored it; one missed assessment is not two
    subjects = {"1": {"rs": [(42, "SD", 42), (77, "SD", 84), (170, "PD", 168)]}}
    assert outcome(subjects, "1", tv=TV, params=StudyParameters(censor_codes_by_reason=True)) == (
        0, 170, 171.0, "DISEASE PROGRESSION")


def test_next_visit_after_the_early_period_is_on_the_late_schedule():
    # Week 24 done on day 166 (still in the 6-weekly period), next visit Month 9 (day 273); PD there on
    # day 275: nothing was missed, although 275 - 166 > 2 x 42 + 7
    subjects = {"1": {"rs": [*sd(42, 84, 126), (166, "SD", 168), (275, "PD", 273)]}}
    assert outcome(subjects, "1", tv=TV, params=StudyParameters(censor_codes_by_reason=True)) == (
        0, 275, 276.0, "DISEASE PROGRESSION")


# --- counting ----------------------------------------------------------------------------------

def test_exactly_two_missed_assessments_censor_at_the_last_adequate_assessment():
    # last SD at Week 12 (84); Week 18 [119, 133] and Week 24 [161, 175] both over before the PD on 180
    adtte = create_adtte(*study({"1": {"rs": [*sd(42, 84), (180, "PD", None)]}}), PARAMS)
    row = adtte[adtte["PARAMCD"] == "PFS"].iloc[0]
    assert (int(row["CNSR"]), (row["ADT"] - START).days, row["AVAL"], row["EVNTDESC"]) == (4, 84, 85.0, MISSED)
    assert (row["CNSDTDSC"], row["SRCDOM"], row["SRCVAR"], row["SRCSEQ"]) == (
        "LAST ADEQUATE TUMOR ASSESSMENT BEFORE THE MISSED ASSESSMENTS", "ADRS", "ADT", 2.0)


def test_exactly_one_missed_assessment_is_an_event():
    # Week 18 missed; the PD on 172 falls in Week 24's window, which has not ended
    assert outcome({"1": {"rs": [*sd(42, 84), (172, "PD", 168)]}}, "1") == (0, 172, 173.0, "DISEASE PROGRESSION")


def test_missed_assessments_threshold_is_the_parameter():
    subjects = {"1": {"rs": [*sd(42, 84), (180, "PD", None)]}}  # two missed, as above
    three = PARAMS.replace({"missed_assessments": 3})
    assert outcome(subjects, "1", params=three) == (0, 180, 181.0, "DISEASE PROGRESSION")
    assert outcome(subjects, "1", params=PARAMS.replace({"missed_assessments": 1}))[:3] == (4, 84, 85.0)


def test_event_on_the_last_day_of_a_window_is_inside_it_one_day_later_is_not():
    # last SD at Week 6; Week 12 [77, 91] missed; Week 18's window ends on 133
    inside = {"1": {"rs": [(42, "SD", 42), (133, "PD", 126)]}}
    outside = {"1": {"rs": [(42, "SD", 42), (134, "PD", None)]}}
    assert outcome(inside, "1") == (0, 133, 134.0, "DISEASE PROGRESSION")
    assert outcome(outside, "1") == (4, 42, 43.0, MISSED)


def test_assessment_one_day_before_its_window_still_stands_for_that_visit():
    # day 76 is outside Week 12's window [77, 91] but nearest to it: Week 12 is not missed, Week 18 is
    assert outcome({"1": {"rs": [(42, "SD", 42), (76, "SD", None), (170, "PD", 168)]}}, "1") == (
        0, 170, 171.0, "DISEASE PROGRESSION")


def test_death_without_pd_after_two_missed_assessments_is_censored():
    # SD at Week 6, Weeks 12 and 18 over, death on 140
    assert outcome({"1": {"rs": sd(42), "death": 140}}, "1") == (4, 42, 43.0, MISSED)


def test_death_without_pd_with_nothing_missed_is_an_event():
    adtte = create_adtte(*study({"1": {"rs": sd(42, 84), "death": 100}}), PARAMS)
    row = adtte[adtte["PARAMCD"] == "PFS"].iloc[0]
    assert (int(row["CNSR"]), (row["ADT"] - START).days, row["AVAL"], row["EVNTDESC"], row["SRCDOM"],
            row["SRCVAR"]) == (0, 100, 101.0, "DEATH", "ADSL", "DTHDT")


def test_unscheduled_adequate_assessment_restarts_the_count():
    # without it: SD at Week 6, Weeks 12 and 18 missed before the PD on 170 -> censored
    assert outcome({"1": {"rs": [(42, "SD", 42), (170, "PD", 168)]}}, "1") == (4, 42, 43.0, MISSED)
    # an unscheduled SD on day 100 stands for Week 12 (nearest): only Week 18 is missed
    with_unscheduled = {"1": {"rs": [(42, "SD", 42), (100, "SD", None), (170, "PD", 168)]}}
    assert outcome(with_unscheduled, "1") == (0, 170, 171.0, "DISEASE PROGRESSION")


def test_an_assessment_midway_between_visits_stands_for_the_later_one():
    # day 105 is 21 days from Week 12 and from Week 18: it is Week 18, so only Week 24 [161, 175] is missed
    # before day 180 (were it Week 12, Week 18 [119, 133] would be missed too)
    counts = count_missed_assessments(np.array([105.0, 104.0]), np.array([180.0, 180.0]),
                                      np.array(SCHEDULE, dtype=float), np.full(len(SCHEDULE), 7.0))
    assert counts.tolist() == [1, 2]


def test_a_visit_whose_window_holds_the_last_assessment_is_not_missed():
    # wide windows (+/- 25): day 59 is nearest day 42 but lies in the window of day 84 [59, 109], so only
    # day 126 [101, 151] is missed before day 200; day 58 lies before that window, so day 84 is missed too
    counts = count_missed_assessments(np.array([59.0, 58.0]), np.array([200.0, 200.0]),
                                      np.array([42.0, 84.0, 126.0]), np.full(3, 25.0))
    assert counts.tolist() == [1, 2]


def test_no_event_or_no_start_date_counts_nothing():
    counts = count_missed_assessments(np.array([42.0, np.nan]), np.array([np.nan, 300.0]),
                                      np.array(SCHEDULE, dtype=float), np.full(len(SCHEDULE), 7.0))
    assert counts.tolist() == [0, 0]


def test_no_adequate_assessment_counts_from_startdt():
    subjects = {
        "1": {"death": 100},  # Week 6 [35, 49] and Week 12 [77, 91] over: censored at STARTDT
        "2": {"death": 60},  # only Week 6 over: death is the event
        "3": {"rs": [(42, "NE", 42)], "death": 100},  # an NE is no adequate assessment
    }
    adtte = create_adtte(*study(subjects), PARAMS)
    pfs = adtte[adtte["PARAMCD"] == "PFS"].set_index("USUBJID")
    assert pfs.loc["S-1", ["CNSR", "AVAL", "EVNTDESC", "SRCDOM", "SRCVAR"]].tolist() == [4, 1.0, MISSED, "ADSL", "TRTSDT"]
    assert pfs.loc["S-1", "ADT"] == START and pfs.loc["S-3", "ADT"] == START
    assert pfs.loc["S-2", ["CNSR", "AVAL", "EVNTDESC"]].tolist() == [0, 61.0, "DEATH"]
    assert pfs.loc["S-3", ["CNSR", "AVAL", "EVNTDESC"]].tolist() == [4, 1.0, MISSED]


def test_without_a_schedule_the_rule_is_not_applied_and_logged(caplog):
    subjects = {"1": {"rs": [(42, "SD", 42), (300, "PD", None)]}}
    with caplog.at_level(logging.INFO, logger="adam.adtte"):
        assert outcome(subjects, "1", params=StudyParameters(censor_codes_by_reason=True)) == (
            0, 300, 301.0, "DISEASE PROGRESSION")
    assert "PFS censoring for missed assessments is not applied" in caplog.text


# --- where the schedule comes from -------------------------------------------------------------

INTERVALS = StudyParameters(early_assessment_interval_days=42, early_period_days=168,
                            late_assessment_interval_days=91, assessment_window_days=7,
                            censor_codes_by_reason=True)


def test_interval_parameters_still_give_a_schedule_and_tv_takes_precedence():
    # last SD at Week 24 (168), death on 368. Intervals: 259 [252, 266] and 350 [343, 357] are over ->
    # censored. TV: Month 9 [266, 280] is over, Month 12 [358, 372] is not -> the death is the event.
    subjects = {"1": {"rs": sd(42, 84, 126, 168), "death": 368}}
    assert outcome(subjects, "1", params=INTERVALS) == (4, 168, 169.0, MISSED)
    assert outcome(subjects, "1", params=INTERVALS, tv=TV) == (0, 368, 369.0, "DEATH")
    # an explicit assessment_days wins over TV
    explicit = INTERVALS.replace({"assessment_days": (42, 84, 126, 168, 259, 350)})
    assert outcome(subjects, "1", params=explicit, tv=TV) == (4, 168, 169.0, MISSED)


def test_tv_visits_without_tumour_assessments_are_not_scheduled_assessments():
    # TV's lab-only visit on day 105 would be a second missed assessment if it counted
    subjects = {"1": {"rs": [(42, "SD", 42), (84, "SD", 84), (170, "PD", 168)]}}
    assert outcome(subjects, "1", params=StudyParameters(), tv=TV) == (0, 170, 171.0, "DISEASE PROGRESSION")


def test_late_window_parameter_widens_the_windows_after_the_early_period():
    # last SD at Week 18; Week 24 [161, 175] missed; PD on 285: Month 9 is over with +/- 7 ([266, 280])
    # but not with +/- 14 ([259, 287])
    subjects = {"1": {"rs": [*sd(42, 84, 126), (285, "PD", None)]}}
    narrow = PARAMS.replace({"early_period_days": 168})
    assert outcome(subjects, "1", params=narrow) == (4, 126, 127.0, MISSED)
    wide = narrow.replace({"late_assessment_window_days": 14})
    assert outcome(subjects, "1", params=wide) == (0, 285, 286.0, "DISEASE PROGRESSION")


def test_dor_uses_the_same_rule_from_the_response_date():
    # confirmed PR from day 42; last PR at Week 12, Weeks 18 and 24 missed before the PD on 180
    subjects = {"1": {"rs": [(42, "PR", 42), (84, "PR", 84), (180, "PD", None)], "confirmed": 42},
                "2": {"rs": [(42, "PR", 42), (84, "PR", 84), (172, "PD", 168)], "confirmed": 42}}
    assert outcome(subjects, "1", paramcd="DOR") == (4, 84, 43.0, MISSED)
    assert outcome(subjects, "2", paramcd="DOR") == (0, 172, 131.0, "DISEASE PROGRESSION")


@pytest.mark.parametrize("parameters", [{"assessment_days": "42,84,126"}, {"assessment_days": [42, 84, 126]}])
def test_assessment_days_parameter_reads_from_a_file_or_the_command_line(parameters):
    assert StudyParameters.from_mapping(parameters).assessment_days == (42, 84, 126)
