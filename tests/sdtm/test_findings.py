import math

import pandas as pd

from tests.sdtm.spec_builder import listed

from sdtm.findings import last_observation_before_exposure, reference_range_indicator, standardize_results

CONV = "umol/L:0.0113122"


def test_conversion_qualifiers_and_text_results():
    out = standardize_results(
        orres=pd.Series(["88.4", "1.10", "<0.1", "NOT DETECTED", "130", "5", ""]),
        orresu=pd.Series(["umol/L", "mg/dL", "mg/L", "", "g/L", "mmol/L", ""]),
        stresu=pd.Series(["mg/dL", "mg/dL", "mg/L", None, "g/dL", "mg/dL", "g/dL"]),
        conversions=pd.Series([CONV, CONV, "", "", "g/L:0.1", CONV, ""]))
    assert out["STRESC"].tolist() == ["1", "1.1", "<0.1", "NOT DETECTED", "13", None, None]
    assert out["STRESN"].tolist()[:2] == [1.0, 1.1]
    assert math.isnan(out["STRESN"][2]) and math.isnan(out["STRESN"][3])
    assert out["STRESN"][4] == 13.0
    assert out["PROBLEM"][5] == "no conversion from 'mmol/L' to standard unit 'mg/dL'"
    assert out["PROBLEM"].notna().sum() == 1


def test_converted_values_rounded_and_too_small_to_measure():
    out = standardize_results(pd.Series(["97", "TOO SMALL TO MEASURE"]), pd.Series(["umol/L", "mm"]),
                              pd.Series(["mg/dL", "mm"]), pd.Series([CONV, ""]), too_small="5")
    assert out["STRESC"].tolist() == ["1.097", "5"] and out["STRESN"].tolist() == [1.097, 5.0]


def test_nrind():
    ind = reference_range_indicator(pd.Series([1, 5, 11, None, 3]), pd.Series([2, 2, 2, 2, None]),
                                    pd.Series([10, 10, 10, 10, None]))
    assert listed(ind) == ["LOW", "NORMAL", "HIGH", None, None]


def test_lobxfl_last_non_missing_before_first_exposure():
    frame = pd.DataFrame({
        "USUBJID": ["A"] * 5 + ["B"] * 2,
        "LBTESTCD": ["ALT"] * 4 + ["AST"] + ["ALT"] * 2,
        "LBDTC": ["2024-01-01", "2024-01-08", "2024-01-09", "2024-01-20", "2024-01", "2024-01-01T08:00",
                  "2024-01-01T10:00"],
        "LBORRES": ["10", "12", "", "15", "30", "20", "21"],
    })
    ref = pd.Series(["2024-01-09"] * 5 + ["2024-01-01T09:00"] * 2)
    flag = last_observation_before_exposure(frame, ["USUBJID", "LBTESTCD"], "LBDTC", "LBORRES", ref)
    # A/ALT: 01-09 has no result, so 01-08 is the baseline; A/AST partial date; B: strictly before 09:00
    assert listed(flag) == [None, "Y", None, None, None, "Y", None]


def test_results_no_dataset_can_hold_leave_stresc_and_stresn_null_with_a_problem():
    orres = pd.Series(["1e400", "-1e400", "nan", "inf", "1e-400", ">inf", "5", "NEGATIVE", "1e300"])
    out = standardize_results(orres, pd.Series(["g/L"] * 8 + ["g/L"]), pd.Series(["g/L"] * 8 + ["mg/L"]),
                              pd.Series(["g/L:1e10"] * 9))
    assert listed(out["STRESC"]) == [None] * 6 + ["5", "NEGATIVE", None]
    assert out["STRESN"].isna().tolist() == [True] * 6 + [False, True, True]
    problems = out["PROBLEM"].tolist()
    assert "too large" in problems[0] and "too large" in problems[1] and "too small" in problems[4]
    assert all("not a finite" in p for p in problems[2:4] + problems[5:6])
    assert problems[6] is None and problems[7] is None and "converted to the standard unit" in problems[8]
    assert out["NUMBER_PROBLEM"].notna().tolist() == [True] * 6 + [False, False, True]


# --- issue 11: conversions with an offset, rounding per test ------------------------------------------------------

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sdtm.findings import Conversion, format_number, parse_conversions, rounded_text  # noqa: E402

F_TO_C = "F:5/9:-160/9"  # C = F x 5/9 - 160/9 = (F - 32) x 5/9


def test_parse_conversions_factor_offset_and_fractions():
    found = parse_conversions("F:5/9:-160/9, lb:0.45359237, in:2.54, umol/L:0.0113")
    assert found["f"] == Conversion(5 / 9, -160 / 9)
    assert found["lb"] == Conversion(0.45359237) and found["in"] == Conversion(2.54, 0.0)
    assert set(found) == {"f", "lb", "in", "umol/l"}  # spellings case-folded
    assert parse_conversions("ratio 1:2:10") == {"ratio 1": Conversion(2.0, 10.0)}  # the last parts are numbers
    assert parse_conversions("") == {} and parse_conversions(None) == {}


@pytest.mark.parametrize("text, words", [
    ("F", "'F' is not a conversion; expected unit:factor[:offset]"),
    ("F:x", "is not a conversion"),
    ("F:1/0", "is not a conversion"),
    ("F:0", "non-zero finite factor"),
    (":3", "a unit"),
    ("lb:0.45, LB:0.5", "two different conversions"),
])
def test_parse_conversions_rejects_what_it_cannot_use(text, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_conversions(text)


def test_fahrenheit_to_celsius_with_an_offset():
    # hand: (96.9 - 32) x 5/9 = 36.0555.. ; (98.6 - 32) x 5/9 = 37 ; -40 F = -40 C ; (5 - 32) x 5/9 = -15
    out = standardize_results(pd.Series(["96.9", "98.6", "-40", "<5", "36.55"]), pd.Series(["F", "F", "F", "F", "C"]),
                              pd.Series(["C"] * 5), pd.Series([F_TO_C] * 5), decimals=2)
    assert listed(out["STRESC"]) == ["36.06", "37", "-40", "<-15", "36.55"]
    assert listed(out["STRESN"])[:3] == [36.06, 37.0, -40.0] and math.isnan(out["STRESN"][3])
    assert out["PROBLEM"].isna().all()


def test_pounds_to_kilograms_and_inches_to_centimetres():
    # hand: 165 lb x 0.45359237 = 74.84274.. ; 70 in x 2.54 = 177.8 ; 5.5 in x 2.54 = 13.97
    out = standardize_results(pd.Series(["165", "70", "5.5"]), pd.Series(["lb", "in", "IN"]),
                              pd.Series(["kg", "cm", "cm"]), pd.Series(["lb:0.45359237", "in:2.54", "in:2.54"]),
                              decimals=pd.Series([1, 0, np.nan]))
    assert listed(out["STRESC"]) == ["74.8", "178", "13.97"]  # the third: 4 significant digits, the default
    assert listed(out["STRESN"]) == [74.8, 178.0, 13.97]


def test_significant_digits_and_results_already_in_the_standard_unit():
    out = standardize_results(pd.Series(["165", "74.84274", "0.00123456"]), pd.Series(["lb", "kg", "g"]),
                              pd.Series(["kg"] * 3), pd.Series(["lb:0.45359237, g:0.001"] * 3), significant=3)
    # converted: 74.8 and 0.00000123456 -> 0.00000123; collected in kg: the digits as collected, not rounded
    assert listed(out["STRESC"]) == ["74.8", "74.84274", "0.00000123"]


def test_a_numeric_result_in_a_unit_without_conversion_is_a_finding():
    out = standardize_results(pd.Series(["11", "NEGATIVE"]), pd.Series(["stone", "stone"]), pd.Series(["kg", "kg"]),
                              pd.Series(["lb:0.45359237"] * 2), decimals=1)
    assert listed(out["STRESC"]) == [None, "NEGATIVE"] and math.isnan(out["STRESN"][0])
    assert listed(out["PROBLEM"]) == ["no conversion from 'stone' to standard unit 'kg'", None]


@pytest.mark.parametrize("value, decimals, significant, text", [
    (2.675, 2, None, "2.68"),     # the binary double is 2.67499..: rounded as written, half away from zero
    (1.005, 2, None, "1.01"),
    (0.125, 2, None, "0.13"),
    (-0.125, 2, None, "-0.13"),   # negative ties away from zero too
    (2.5, 0, None, "3"),          # not banker's rounding
    (-2.5, 0, None, "-3"),
    (-0.5, 0, None, "-1"),
    (-0.004, 2, None, "0"),       # no "-0"
    (36.1, 2, None, "36.1"),      # trailing zeros dropped
    (1234567.891, 2, None, "1234567.89"),
    (0.0125, None, 2, "0.013"),
    (12500, None, 2, "13000"),
    (-12500, None, 2, "-13000"),
    (0.0, None, 3, "0"),
    (1e20, None, 2, "100000000000000000000"),  # never an exponent
    (1e-7, None, 1, "0.0000001"),
])
def test_rounded_text_ties_and_negative_values(value, decimals, significant, text):
    assert rounded_text(value, significant, decimals) == text
    assert format_number(np.array([value, np.nan]), significant, decimals) == [text, None]


def test_converted_values_print_without_float_noise():
    # 0.3 mg/dL x 17.1 = 5.130000000000001 as a double; 0.1 x 3 = 0.30000000000000004
    out = standardize_results(pd.Series(["0.3", "0.1"]), pd.Series(["mg/dL", "x"]), pd.Series(["umol/L", "y"]),
                              pd.Series(["mg/dL:17.1", "x:3"]))
    assert listed(out["STRESC"]) == ["5.13", "0.3"] and listed(out["STRESN"]) == [5.13, 0.3]


# --- the stresu / stresc / stnr steps ----------------------------------------------------------------------------

from dataclasses import replace  # noqa: E402

from sdtm.engine import DomainContext  # noqa: E402
from sdtm.steps import STEPS  # noqa: E402
from specs.errors import MappingError  # noqa: E402
from tests.sdtm.spec_builder import dataset, mapping, spec, value_level, variable  # noqa: E402


def _vs(rows, vlm=(), stresn_digits=None):
    stresn = replace(variable("VS", "VSSTRESN", 5, "float"), significant_digits=stresn_digits)
    return spec(datasets=[dataset("VS")], mappings=rows, value_level=vlm,
                variables=[variable("VS", v, i) for i, v in enumerate(
                    ["VSTESTCD", "VSORRES", "VSORRESU", "VSSTRESC"], 1)] + [stresn])


VS = pd.DataFrame({"VSTESTCD": ["TEMP", "TEMP", "WEIGHT", "HEIGHT", "TEMP"],
                   "VSORRES": ["96.9", "37.25", "165", "70", "hot"],
                   "VSORRESU": ["F", "C", "lb", "in", "F"],
                   "VSSTRESU": ["C", "C", "kg", "cm", "C"],
                   "__conversions": [F_TO_C, F_TO_C, "lb:0.45359237", "in:2.54", F_TO_C],
                   "__file": "vs.csv", "__row": [2, 3, 4, 5, 6]})


def _run(name, rows, frame=VS, **spec_args):
    ctx = DomainContext(spec=_vs(rows, **spec_args), raw={})
    row = rows[0]
    args = {k: v for k, v in row.arguments if k != "function"}
    return STEPS[name](frame.copy(), ctx, dataset="VS", variable=row.variable, **args), ctx


def test_stresc_rounds_as_the_row_says():
    out, ctx = _run("stresc", [mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc; decimals=1")])
    assert listed(out) == ["36.1", "37.25", "74.8", "177.8", "hot"]
    out, _ = _run("stresc", [mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc; significant=2")])
    assert listed(out) == ["36", "37.25", "75", "180", "hot"]


def test_stresc_decimals_from_the_spec_significant_digits():
    vlm = [replace(value_level("VS", "VSSTRESN", "VSTESTCD EQ WEIGHT"), significant_digits=0)]
    out, _ = _run("stresc", [mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc; decimals=spec")],
                  vlm=vlm, stresn_digits=2)
    assert listed(out) == ["36.06", "37.25", "75", "177.8", "hot"]  # WEIGHT by its value-level row, others: 2
    out, _ = _run("stresc", [mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc")], vlm=vlm,
                  stresn_digits=2)
    assert listed(out) == ["36.06", "37.25", "74.84", "177.8", "hot"]  # without decimals=spec: 4 significant


def test_per_test_stresc_rows_report_each_problem_once_on_their_own_records():
    frame = VS.assign(VSORRES=["96.9", "37.25", "165", "70", "99"], VSORRESU=["F", "C", "stone", "in", "K"])
    rows = [mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc; decimals=1",
                    where="VSTESTCD EQ TEMP", row=4),
            mapping("VS", "VSSTRESC", None, None, "derive", "function=stresc; decimals=0",
                    where="VSTESTCD IN (WEIGHT, HEIGHT)", row=5)]
    ctx = DomainContext(spec=_vs(rows), raw={})
    for row in rows:
        args = {k: v for k, v in row.arguments if k != "function"}
        STEPS["stresc"](frame, ctx, dataset="VS", variable="VSSTRESC", **args)
        STEPS["stresc"](frame, ctx, dataset="VS", variable="VSSTRESC", **args)  # a second run reports nothing new
    assert sorted((f.raw_row, f.message) for f in ctx.findings) == [
        (4, "no conversion from 'stone' to standard unit 'kg'"), (6, "no conversion from 'K' to standard unit 'C'")]


def test_stnr_rounds_limits_like_the_result():
    frame = VS.assign(VSORNRLO=["95", "36", "100", "60", "95"])
    vlm = [replace(value_level("VS", "VSSTRESN", "VSTESTCD EQ TEMP"), significant_digits=1)]
    out, _ = _run("stnr", [mapping("VS", "VSSTNRLO", None, None, "derive", "function=stnr; orres=VSORNRLO; "
                                   "decimals=spec")], frame=frame, vlm=vlm)
    # 95 F = 35.0 C; 100 lb = 45.359237 kg (no digits declared: 4 significant); 60 in = 152.4 cm
    assert listed(out) == [35.0, 36.0, 45.36, 152.4, 35.0]


@pytest.mark.parametrize("name, arguments, words", [
    ("stresu", "function=stresu; unit=C; from=F:five", r"Mapping row 9: from='F:five': 'F:five' is not a conversion"),
    ("stresu", "function=stresu", "the stresu step needs unit="),
    ("stresc", "function=stresc; decimals=two", r"Mapping row 9: decimals='two'; expected a whole number 0-15 or spec"),
    ("stresc", "function=stresc; significant=0", "significant='0'; expected a whole number 1-15"),
    ("stresc", "function=stresc; decimals=1; significant=2", "give decimals= or significant=, not both"),
    ("stnr", "function=stnr", "the stnr step needs orres="),
])
def test_unit_steps_reject_arguments_they_cannot_use(name, arguments, words):
    with pytest.raises(MappingError, match=words):
        _run(name, [mapping("VS", "VSSTRESU", None, None, "derive", arguments, row=9)])
