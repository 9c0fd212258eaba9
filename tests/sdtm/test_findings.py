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
