"""adam/nca.py: every parameter against values computed by hand (the arithmetic is written out)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adam.nca import BlqRules, apply_blq_rules, blq_positions, interpolate, interval_auc, nca

LN2 = math.log(2)
T = [0, 1, 2, 4]
C = [0, 10, 5, 2.5]


def test_linear_trapezoid():
    r = nca(T, C, method="LINEAR")
    assert (r.cmax, r.tmax, r.clast, r.tlast) == (10, 1, 2.5, 4)
    assert r.auclast == pytest.approx(1 * 10 / 2 + 1 * (10 + 5) / 2 + 2 * (5 + 2.5) / 2)  # 5 + 7.5 + 7.5 = 20
    assert r.reasons == {"time_above_lloq": "no LLOQ"} and math.isnan(r.time_above_lloq)


def test_linear_up_log_down():
    r = nca(T, C, method="LINUP_LOGDOWN")
    # rising 0 -> 10 linear; 10 -> 5 and 5 -> 2.5 log: dt * (c1 - c2) / ln(c1 / c2)
    assert r.auclast == pytest.approx(5 + 1 * 5 / LN2 + 2 * 2.5 / LN2)


def test_partial_auc_interpolates_on_the_interval_s_curve():
    linear = nca(T, C, method="LINEAR", partial_end=3)
    # c(3) = 5 + (2.5 - 5) / 2 = 3.75; area 2..3 = (5 + 3.75) / 2
    assert linear.auc_partial == pytest.approx(5 + 7.5 + (5 + 3.75) / 2)
    log = nca(T, C, method="LINUP_LOGDOWN", partial_end=3)
    c3 = 5 * math.exp(0.5 * math.log(0.5))  # halfway along the log line from 5 to 2.5
    assert log.auc_partial == pytest.approx(5 + 5 / LN2 + (5 - c3) / math.log(5 / c3))
    assert nca(T, C, partial_end=4).auc_partial == pytest.approx(nca(T, C).auclast)  # ends on a point
    assert nca(T, C, partial_end=1).auc_partial == pytest.approx(5)
    beyond = nca(T, C, partial_end=5)
    assert math.isnan(beyond.auc_partial) and "ends before" in beyond.reasons["auc_partial"]


def test_every_point_blq():
    r = nca([0, 1, 2], [0.5, 0.2, np.nan], lloq=1, blq=[True, True, True], partial_end=2)
    for name in ("cmax", "tmax", "clast", "tlast", "auclast"):
        assert math.isnan(getattr(r, name)) and r.reasons[name] == "no measurable concentration"
    assert r.auc_partial == 0 and r.time_above_lloq == 0  # every BLQ point is "before the first": 0
    rules = BlqRules(before_first="MISSING")
    dropped = nca([0, 1, 2], [0.5, 0.2, 0.3], lloq=1, rules=rules, partial_end=2)
    assert dropped.n_points == 1 and "ends before" in dropped.reasons["auc_partial"]  # only the added (0, 0) is left


def test_one_measurable_point():
    r = nca([0, 2, 4], [np.nan, 5, np.nan], lloq=1, blq=[True, False, True], method="LINUP_LOGDOWN", partial_end=3)
    assert (r.cmax, r.tmax, r.clast, r.tlast) == (5, 2, 5, 2)
    assert r.auclast == pytest.approx(2 * 5 / 2)
    assert r.auc_partial == pytest.approx(5 + (5 + 2.5) / 2)  # falls to the BLQ-after-last 0 linearly: c(3) = 2.5
    # above 1 from 0.4 (0 -> 5 over 0..2 crosses 1 at 2/5 * 1 ... = 0.4) to 3.6 (5 -> 0 over 2..4 at 2 + 4/5 * 2)
    assert r.time_above_lloq == pytest.approx((2 - 0.4) + (3.6 - 2))
    ended = nca([0, 2, 4], [np.nan, 5, np.nan], lloq=1, blq=[True, False, True],
                rules=BlqRules(after_last="MISSING"), partial_end=3)
    assert ended.time_above_lloq == pytest.approx(1.6) and math.isnan(ended.auc_partial)


def test_cmax_tie_takes_the_first_time():
    r = nca([0, 1, 2, 3], [0, 4, 4, 1])
    assert (r.cmax, r.tmax, r.tlast) == (4, 1, 3)


def test_zero_and_negative_concentrations_fall_back_to_linear():
    r = nca([0, 1, 2, 3], [0, 4, 0, -1], method="LINUP_LOGDOWN", partial_end=3)
    assert (r.clast, r.tlast) == (4, 1)  # zero and negative values are never measurable
    assert r.auclast == pytest.approx(2)
    assert r.auc_partial == pytest.approx(2 + 2 + (0 - 1) / 2)  # 4 -> 0 and 0 -> -1 linear
    assert any("negative" in note for note in r.notes)
    assert interval_auc(0, 1, 4, 0, "LINUP_LOGDOWN") == 2  # no log of 0
    assert interpolate(0.5, 0, 1, 4, 0, "LINUP_LOGDOWN") == 2


def test_unsorted_times_give_the_same_result():
    order = [2, 0, 3, 1]
    shuffled = nca([T[i] for i in order], [C[i] for i in order], partial_end=3)
    assert shuffled.as_dict() == pytest.approx(nca(T, C, partial_end=3).as_dict(), nan_ok=True)


def test_points_without_time_or_concentration_are_dropped_and_named():
    r = nca([0, 1, np.nan, 2, 4, 5], [0, 10, 99, 5, 2.5, np.nan], method="LINEAR")
    assert r.auclast == pytest.approx(20) and r.cmax == 10
    assert any("without a time" in note for note in r.notes)
    assert any("without a concentration" in note for note in r.notes)


def test_blq_between_measurable_points():
    t, c, blq = [0, 1, 2, 3], [0, 8, np.nan, 2], [False, False, True, False]
    assert nca(t, c, blq=blq, lloq=1, method="LINEAR").auclast == pytest.approx(4 + 2 * (8 + 2) / 2)  # dropped
    zero = nca(t, c, blq=blq, lloq=1, method="LINEAR", rules=BlqRules(between="ZERO"))
    assert zero.auclast == pytest.approx(4 + 4 + 1)
    half = nca(t, c, blq=blq, lloq=1, method="LINEAR", rules=BlqRules(between="HALF_LLOQ"))
    assert half.auclast == pytest.approx(4 + (8 + 0.5) / 2 + (0.5 + 2) / 2)


def test_blq_rule_values_and_positions():
    t = [0, 1, 2, 3, 4, np.nan]
    c = [0.1, 3, 0.2, 2, 0.3, 0.4]
    blq = [True, False, True, False, True, True]
    assert list(blq_positions(t, c, blq)) == ["before_first", "", "between", "", "after_last", "before_first"]
    rules = BlqRules(before_first="LLOQ", between="HALF_LLOQ", after_last="MISSING")
    out = apply_blq_rules(t, c, blq, 0.5, rules)
    assert list(out[:4]) == [0.5, 3, 0.25, 2] and np.isnan(out[4])
    assert np.isnan(apply_blq_rules([0], [0.1], [True], None, BlqRules(before_first="LLOQ"))[0])  # no LLOQ
    per_point = apply_blq_rules([0, 1], [0.1, 1], [True, False], [0.4, 0.5], BlqRules(before_first="HALF_LLOQ"))
    assert per_point[0] == pytest.approx(0.2)


def test_blq_flag_wins_over_a_numeric_value():
    # a pre-dose "<BLQ" record may carry a numeric 0 or a value: the flag decides, the rule gives the value
    r = nca([0, 1, 2], [0.05, 1, 0.5], blq=[True, False, False], lloq=0.01, method="LINEAR",
            rules=BlqRules(before_first="LLOQ"))
    assert r.auclast == pytest.approx((0.01 + 1) / 2 + (1 + 0.5) / 2)
    derived = nca([0, 1, 2], [0.005, 1, 0.5], lloq=0.01, method="LINEAR")  # no flags: below the LLOQ is BLQ
    assert derived.auclast == pytest.approx(0.5 + 0.75)


def test_time_zero():
    predose = nca([-0.5, 0.5, 1], [np.nan, 2, 1], blq=[True, False, False], lloq=0.1, method="LINEAR")
    assert predose.auclast == pytest.approx(0.5 * 2 / 2 + 0.5 * 3 / 2)  # (0, 0) added; the pre-dose point dropped
    assert any("pre-dose" in note for note in predose.notes)
    none = nca([1, 2], [4, 2], method="LINEAR", time_zero="NONE", partial_end=2)
    assert none.auclast == pytest.approx(3) and none.reasons["auc_partial"] == "no concentration at time 0"
    measured = nca([0, 1], [3, 1], method="LINEAR")  # a sample at 0 is kept as it is
    assert measured.auclast == pytest.approx(2) and measured.n_points == 2


def test_time_above_lloq_on_the_method_s_curve():
    # flags given (not BLQ), so 2 keeps its value although below 4:
    # 0 -> 8 over 0..1 crosses 4 at 0.5; 8 -> 2 over 1..3 crosses 4 halfway on the log line (8 * (1/4)^0.5 = 4)
    flags = [False, False, False]
    assert nca([0, 1, 3], [0, 8, 2], blq=flags, lloq=4, method="LINUP_LOGDOWN").time_above_lloq == pytest.approx(1.5)
    # linearly it crosses at 1 + (8 - 4) / (8 - 2) * 2
    assert nca([0, 1, 3], [0, 8, 2], blq=flags, lloq=4, method="LINEAR").time_above_lloq == pytest.approx(0.5 + 4 / 3)
    # without flags 2 < 4 is BLQ, after the last measurable point: 0 by the default rule, the fall is linear
    assert nca([0, 1, 3], [0, 8, 2], lloq=4).time_above_lloq == pytest.approx(0.5 + 1)
    # a BLQ point imputed at the LLOQ is below it, the crossing is at the point itself
    at_lloq = nca([0, 1, 2], [np.nan, 8, np.nan], blq=[True, False, True], lloq=4,
                  rules=BlqRules(before_first="LLOQ", after_last="LLOQ"))
    assert at_lloq.time_above_lloq == pytest.approx(2)


def test_duplicated_times_are_named():
    r = nca([0, 1, 1, 2], [0, 4, 6, 2], method="LINEAR")
    assert r.cmax == 6 and r.tmax == 1 and any("duplicated" in note for note in r.notes)
    assert r.auclast == pytest.approx(2 + 0 + 4)


def test_bad_arguments_fail():
    with pytest.raises(ValueError, match="AUC method"):
        nca([0], [1], method="LOG")
    with pytest.raises(ValueError, match="BLQ rule"):
        BlqRules(between="HALF")
    with pytest.raises(ValueError, match="time_zero"):
        nca([0], [1], time_zero="FIRST")
    with pytest.raises(ValueError, match="2 times"):
        nca([0, 1], [1])
