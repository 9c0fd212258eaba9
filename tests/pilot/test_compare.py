"""The pilot comparison itself (compare.py), on small hand-made frames: no ../shared needed."""

from __future__ import annotations

import pandas as pd

from tests.pilot import compare


def test_numbers_compare_by_value_and_blanks_by_absence():
    values = pd.Series(["1", 1.0, "036.2", " 8", None, "", float("nan"), "2014-01-02", "E07", 36.06000000000001])
    assert compare.normalise(values).tolist() == ["1", "1", "36.2", "8", "", "", "", "2014-01-02", "E07", "36.06"]


def test_duplicate_keys_pair_like_with_like():
    ours = pd.DataFrame({"USUBJID": ["S1", "S1"], "AETERM": ["COUGH", "COUGH"], "AESTDTC": ["2013", "2013"],
                         "AELLT": ["TICKLY COUGH", "COUGH"]})
    expected = ours.iloc[::-1].reset_index(drop=True)  # the same records in the other order
    result = compare.compare("AE", ours, expected)
    assert result.matched == 2 and result.shares["AELLT"] == 1.0


def test_a_record_whose_excused_key_differs_pairs_on_the_rest_of_the_key():
    ours = pd.DataFrame({"USUBJID": ["S1", "S2"], "AETERM": ["RASH", "COUGH"], "AESTDTC": [None, "2013-01-02"],
                         "AESEV": ["MILD", "MILD"]})
    expected = ours.assign(AESTDTC=["2013-02", "2013-01-02"], AESEV=["MILD", "SEVERE"])
    result = compare.compare("AE", ours, expected)
    assert result.matched == 2
    assert result.shares["AESTDTC"] == 0.5 and result.shares["AESEV"] == 0.5


def test_an_expected_record_never_made_counts_against_every_variable_and_a_missing_variable_is_blank():
    ours = pd.DataFrame({"USUBJID": ["S1"], "AGE": [63.0]})
    expected = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": ["63", "70"], "ACTARMUD": [None, None]})
    result = compare.compare("DM", ours, expected)
    assert (result.made, result.expected, result.matched) == (1, 2, 1)
    assert result.shares == {"USUBJID": 0.5, "AGE": 0.5, "ACTARMUD": 0.5}
    assert result.missing == ["ACTARMUD"]


def test_a_partly_supported_dataset_is_measured_on_the_records_in_scope():
    ours = pd.DataFrame({"USUBJID": ["S1"], "QNAM": ["ITT"], "QVAL": ["Y"]})
    expected = pd.DataFrame({"USUBJID": ["S1", "S1"], "QNAM": ["ITT", "EFFICACY"], "QVAL": ["Y", "Y"]})
    scope = compare.supported("SUPPDM", expected)
    assert scope.tolist() == [True, False]
    result = compare.compare("SUPPDM", ours, expected, scope)
    assert result.in_scope == 1 and result.shares["QVAL"] == 1.0
    nothing = compare.compare("SUPPDM", ours.iloc[0:0], expected, scope)
    assert nothing.shares["QVAL"] == 0.0  # nothing made is not "all identical"
