"""Visits from the collected visit names: TV and its visit map, the two unscheduled rules."""

import pandas as pd
import pytest

from sdtm.visits import (assign_visits, match_planned, number_unscheduled_visits, planned_visits, visit_table,
                         visits_in_domains)
from specs.errors import MappingError


class _Table:
    def __init__(self, columns, rows):
        self.columns, self.rows, self.sheet = tuple(columns), tuple(rows), "TV"

    def records(self):
        return tuple(dict(zip(self.columns, r)) for r in self.rows)


class _Spec:
    def __init__(self, columns, rows):
        self.table = _Table(columns, rows)

    def trial_design_table(self, name):
        return self.table


TV = _Spec(["VISITNUM", "VISIT", "VISITDY", "FOLDER"],
           [(1.0, "SCREENING", -28, "SCR | Screening 1"), (2.0, "DAY 0", 1, "D0"), (3.0, "WEEK 6", 43, None)])


def test_collected_visits_match_tv_by_name_or_visit_map_ignoring_case_and_blanks():
    planned = planned_visits(TV)
    collected = pd.Series([" scr", "SCREENING 1", "screening", "Week 6 ", "D0", None, "", "Unscheduled 2.1"])
    found = match_planned(collected, planned)
    assert found["VISITNUM"].tolist()[:5] == [1.0, 1.0, 1.0, 3.0, 2.0]
    assert found["VISIT"].tolist()[:5] == ["SCREENING", "SCREENING", "SCREENING", "WEEK 6", "DAY 0"]
    assert found["VISITNUM"].iloc[5:].isna().all()


def test_a_name_mapped_to_two_planned_visits_is_an_error():
    spec = _Spec(["VISITNUM", "VISIT", "FOLDER"], [(1.0, "SCREENING", "SCR"), (2.0, "DAY 0", "scr")])
    with pytest.raises(MappingError, match="'scr' to several planned visits"):
        planned_visits(spec)


def test_from_name_takes_the_collected_number_not_a_computed_one():
    planned = planned_visits(TV)
    collected = pd.Series(["Unscheduled 3.1", "Week 6", "Unscheduled", None])
    subject = pd.Series(["A"] * 4)
    found, problems = assign_visits(subject, collected, None, planned, "from_name", None)
    assert found["VISITNUM"].tolist()[:2] == [3.1, 3.0]
    assert found["VISIT"].tolist()[:2] == ["UNSCHEDULED 3.1", "WEEK 6"]
    assert pd.isna(found["VISITNUM"].iloc[2]) and "carries no visit number" in problems.iloc[2]
    assert pd.isna(found["VISITNUM"].iloc[3]) and problems.iloc[3] is None  # no visit: no warning
    assert pd.isna(found["VISITDY"].iloc[0]) and found["VISITDY"].iloc[1] == 43


def test_after_previous_numbers_unscheduled_visits_between_planned_ones_in_date_order():
    visits = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "A", "B"],
        "VISIT_COLLECTED": ["SCR", "D0", "UNS", "UNS", "Week 6", "UNS"],
        "INSTANCE": ["Screening", "Day 0", "Unscheduled 2", "Unscheduled 1", "Week 6", "Unscheduled 1"],
        "DATE": ["2024-01-01", "2024-02-01", "2024-02-10", "2024-02-05", "2024-03-15", ""],
    })
    out = number_unscheduled_visits(visits, planned_visits(TV))
    assert out["VISITNUM"].tolist() == [1.0, 2.0, 2.02, 2.01, 3.0, 0.01]
    assert out["VISIT"].tolist()[2:4] == ["UNSCHEDULED 2.02", "UNSCHEDULED 2.01"]
    assert out["VISITDY"].isna().tolist() == [False, False, True, True, False, True]


def test_after_previous_looks_up_the_visit_defining_table_and_flags_visits_it_lacks():
    planned = planned_visits(TV)
    table = visit_table(pd.Series(["A", "A"]), pd.Series(["D0", "UNS"]), pd.Series(["Day 0", "Uns 1"]),
                        pd.Series(["2024-02-01", "2024-02-03"]), planned)
    found, problems = assign_visits(pd.Series(["A", "A", "B"]), pd.Series(["UNS", "Week 6", "UNS"]),
                                    pd.Series(["Uns 1", "Week 6", "Uns 1"]), planned, "after_previous", table)
    assert found["VISITNUM"].tolist()[:2] == [2.01, 3.0]
    assert pd.isna(found["VISITNUM"].iloc[2]) and "not among the visits" in problems.iloc[2]


def test_an_unknown_rule_is_an_error():
    with pytest.raises(MappingError, match="unscheduled='next'"):
        assign_visits(pd.Series(["A"]), pd.Series(["X"]), None, planned_visits(TV), "next", None)


def test_visits_in_domains_take_first_and_last_day_from_each_domains_own_date():
    from tests.sdtm.spec_builder import mapping, spec

    study = spec(mappings=[mapping("VS", "VISITNUM", "VS", "INSTANCE", "derive", "function=visit; dtc=VSDTC"),
                           mapping("EX", "VISITNUM", "EX", "VISIT", "derive", "function=visit; date=EXSTDTC")])
    vs = pd.DataFrame({"USUBJID": ["A", "A", "A"], "VISITNUM": [1.0, 1.0, None], "VISIT": ["SCREENING"] * 2 + [None],
                       "VISITDY": [-28.0, -28.0, None], "VSDTC": ["2024-01-03T10:00", "2024-01-02", "2024-05-01"]})
    ex = pd.DataFrame({"USUBJID": ["A"], "VISITNUM": [2.0], "VISIT": ["DAY 0"], "VISITDY": [1.0],
                       "EXSTDTC": ["2024-02"]})
    found = visits_in_domains(study, {"VS": vs, "EX": ex, "AE": pd.DataFrame({"USUBJID": ["A"]})})
    assert found[["VISITNUM", "SVSTDTC", "SVENDTC"]].values.tolist() == [[1.0, "2024-01-02", "2024-01-03"],
                                                                        [2.0, None, None]]
