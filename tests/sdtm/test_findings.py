import math

import pandas as pd

from sdtm.findings import last_observation_before_exposure, reference_range_indicator, standardize_results

UNITS = {"CREAT": "mg/dL", "CRP": "mg/L", "HGB": "g/dL"}
FACTORS = {("CREAT", "umol/L", "mg/dL"): 1 / 88.42, ("*", "g/L", "g/dL"): 0.1}


def test_conversion_qualifiers_and_text_results():
    out = standardize_results(
        orres=pd.Series(["88.42", "1.10", "<0.1", "NOT DETECTED", "130", "5", ""]),
        orresu=pd.Series(["umol/L", "mg/dL", "mg/L", "", "g/L", "mmol/L", ""]),
        testcd=pd.Series(["CREAT", "CREAT", "CRP", "CRP", "HGB", "CREAT", "HGB"]),
        standard_units=UNITS, factors=FACTORS)
    assert out["STRESC"].tolist() == ["1", "1.1", "<0.1", "NOT DETECTED", "13", None, None]
    assert out["STRESN"].tolist()[:2] == [1.0, 1.1]
    assert math.isnan(out["STRESN"][2]) and math.isnan(out["STRESN"][3])
    assert out["STRESN"][4] == 13.0
    assert out["STRESU"].tolist() == ["mg/dL", "mg/dL", "mg/L", None, "g/dL", None, None]
    assert out["PROBLEM"][5] == "no conversion from 'mmol/L' to standard unit 'mg/dL' for test CREAT"
    assert out["PROBLEM"].notna().sum() == 1


def test_converted_values_rounded_to_significant_digits():
    out = standardize_results(pd.Series(["97"]), pd.Series(["umol/L"]), pd.Series(["CREAT"]), UNITS, FACTORS)
    assert out["STRESC"][0] == "1.097" and abs(out["STRESN"][0] - 97 / 88.42) < 1e-12


def test_nrind():
    ind = reference_range_indicator(pd.Series([1, 5, 11, None, 3]), pd.Series([2, 2, 2, 2, None]),
                                    pd.Series([10, 10, 10, 10, None]))
    assert ind.tolist() == ["LOW", "NORMAL", "HIGH", None, None]


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
    assert flag.tolist() == [None, "Y", None, None, None, "Y", None]


def test_bundled_conversion_table_converts_creatinine():
    from sdtm.units import conversion_factors

    out = standardize_results(pd.Series(["88.4"]), pd.Series(["umol/L"]), pd.Series(["CREAT"]),
                              {"CREAT": "mg/dL"}, conversion_factors())
    assert out["STRESC"][0] == "1" and abs(out["STRESN"][0] - 1.0) < 1e-4
