import numpy as np
import pandas as pd
import pytest

from adam.adtr import create_adtr
from specs.errors import DerivationError
from tests.adam.fixtures import PARAMS, one, ts, usubjid


@pytest.fixture(scope="module")
def adtr(adam):
    return adam["ADTR"]


def series(adtr, subject, name):
    rows = adtr[adtr["USUBJID"] == usubjid(subject)].sort_values("ADT")
    return [None if pd.isna(v) else v for v in rows[name]]


def test_one_parameter_sumdiam_numbered_1(adtr):
    assert adtr["PARAMCD"].eq("SUMDIAM").all() and adtr["PARAMN"].eq(1).all()


def test_sums_baseline_change_and_nadir_for_a_responder(adtr):
    # subject 001: T01 + T02 = 30+20, 20+10, 0+0, 0+0, 10+5
    assert series(adtr, "001", "AVAL") == [50.0, 30.0, 0.0, 0.0, 15.0]
    assert series(adtr, "001", "ABLFL") == ["Y", None, None, None, None]
    assert series(adtr, "001", "BASE") == [50.0] * 5
    assert series(adtr, "001", "CHG") == [None, -20.0, -50.0, -50.0, -35.0]
    assert series(adtr, "001", "PCHG") == [None, -40.0, -100.0, -100.0, -70.0]
    assert series(adtr, "001", "NADIR") == [None, 50.0, 30.0, 0.0, 0.0]


def test_single_lesion_keeps_the_tr_record_and_progression_is_measured_from_nadir(adtr, sdtm):
    assert series(adtr, "004", "AVAL") == [40.0, 25.0, 40.0]
    assert series(adtr, "004", "NADIR") == [None, 40.0, 25.0]
    row = one(adtr, "004", AVISITN=12.0)
    source = sdtm["TR"][(sdtm["TR"]["USUBJID"] == usubjid("004")) & (sdtm["TR"]["TRSEQ"] == row["SRCSEQ"])]
    assert source[["TRTESTCD", "TRSTRESN"]].values.tolist() == [["DIAMETER", 40.0]]


def test_a_missing_measurement_leaves_the_sum_null(adtr):
    assert series(adtr, "010", "AVAL") == [42.0, 25.0, None, 28.0]
    assert series(adtr, "010", "ANL01FL") == ["Y", "Y", None, "Y"]
    assert series(adtr, "010", "NADIR")[3] == 25.0  # the incomplete assessment is skipped
    assert np.isclose(series(adtr, "010", "PCHG")[1], -17 / 42 * 100)


def test_multi_lesion_sums_name_their_record_group(adtr):
    row = one(adtr, "001", AVISITN=11.0)
    assert pd.isna(row["SRCSEQ"]) and row["TRLNKGRP"] == "A1" and row["SRCDOM"] == "TR"


def test_never_infused_subject_has_no_baseline(adtr):
    row = one(adtr, "011")
    assert row["AVAL"] == 45.0 and pd.isna(row["ABLFL"]) and pd.isna(row["BASE"]) and pd.isna(row["ANL01FL"])


def test_investigator_sums_and_non_target_lesions_are_ignored(adtr):
    assert set(adtr["PARAMCD"]) == {"SUMDIAM"}
    assert len(adtr) == 5 + 3 + 4 + 1
    assert one(adtr, "004", AVISITN=10.0)["ADY"] == -20 and one(adtr, "004", AVISITN=10.0)["ADT"] == ts("004", -20)


def test_required_inputs(adam, sdtm):
    with pytest.raises(DerivationError, match="TU"):
        create_adtr(adam["ADSL"], sdtm["TR"], None, params=PARAMS)
