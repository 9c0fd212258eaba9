import logging

import pandas as pd
import pytest

from adam.adsl import create_adsl
from specs.errors import DerivationError
from tests.adam.fixtures import INFUSION, PARAMS, one, ts, usubjid


@pytest.fixture(scope="module")
def adsl(adam):
    return adam["ADSL"]


def test_one_record_per_dm_subject(adsl, sdtm):
    assert len(adsl) == len(sdtm["DM"]) == 15
    assert adsl["USUBJID"].is_unique


def test_treatment_dates_come_from_the_car_t_infusion(adsl):
    row = one(adsl, "001")
    assert row["TRTSDTM"] == pd.Timestamp("2024-01-10 10:30")
    assert row["TRTSDT"] == pd.Timestamp("2024-01-10")
    assert row["TRTSTMF"] == "S"  # seconds not collected
    assert row["TRTEDTM"] == pd.Timestamp("2024-01-10 11:00:59")
    assert row["LDSTDT"] == pd.Timestamp("2024-01-05")  # first fludarabine dose, 5 days before
    assert (row["DOSE01A"], row["DOSE01U"]) == (100.0, "10^6 Therapeutic Cells")


def test_population_flags_are_never_null(adsl):
    for flag in ("ENRLFL", "SAFFL", "EFFFL"):
        assert set(adsl[flag]) <= {"Y", "N"}
    assert adsl["ENRLFL"].eq("Y").all()
    never_infused = adsl["USUBJID"].isin([usubjid("011"), usubjid("012")])
    assert adsl.loc[never_infused, "SAFFL"].eq("N").all() and adsl.loc[~never_infused, "SAFFL"].eq("Y").all()
    # 013 has only non-target disease; 011 has measurable disease but was never infused
    assert one(adsl, "013")[["MDISFL", "EFFFL"]].tolist() == ["N", "N"]
    assert one(adsl, "011")[["MDISFL", "EFFFL"]].tolist() == ["Y", "N"]
    assert adsl["EFFFL"].eq("Y").sum() == 12


def test_never_infused_subjects(adsl):
    s011, s012 = one(adsl, "011"), one(adsl, "012")
    assert pd.isna(s011["TRTSDT"]) and pd.isna(s011["TRT01A"]) and s011["TRT01P"] == "MESOCART"
    assert pd.isna(s011["LDSTDT"])
    assert pd.isna(s012["TRTSDT"]) and s012["LDSTDT"] == pd.Timestamp("2024-07-01")


def test_death_and_partial_death_date(adsl):
    s007 = one(adsl, "007")
    assert s007["DTHDT"] == ts("007", 20) and s007["DTHFL"] == "Y" and pd.isna(s007["DTHDTF"])
    assert s007["DTHADY"] == 21  # infusion = day 1
    assert s007["DTHCAUS"] == "DEATH DUE TO SEPSIS"
    # DTHDTC "2024-07": first of the month would precede the last day known alive (AE end 2024-07-08)
    s012 = one(adsl, "012")
    assert s012["DTHDT"] == pd.Timestamp("2024-07-08") and s012["DTHDTF"] == "D"
    assert pd.isna(s012["DTHADY"])  # no infusion, no study day
    assert pd.isna(one(adsl, "002")["DTHFL"])


def test_last_known_alive_is_capped_at_death(adsl):
    assert one(adsl, "009")["LSTALVDT"] == ts("009", 120) == one(adsl, "009")["DTHDT"]
    # 007's last complete date alive is the fatal AE's start; the partial AE end date does not count
    assert one(adsl, "007")["LSTALVDT"] == ts("007", 15)
    assert one(adsl, "014")["LSTALVDT"] == ts("014", 60)  # the withdrawal date
    assert one(adsl, "001")["LSTALVDT"] == ts("001", 700)  # completion


def test_disposition(adsl):
    assert one(adsl, "001")[["EOSSTT"]].tolist() == ["COMPLETED"] and pd.isna(one(adsl, "001")["DCSREAS"])
    s014 = one(adsl, "014")
    assert (s014["EOSSTT"], s014["DCSREAS"], s014["EOSDT"]) == ("DISCONTINUED", "WITHDRAWAL BY SUBJECT", ts("014", 60))
    assert one(adsl, "002")["EOSSTT"] == "ONGOING"


def test_tumor_type_new_therapy_and_age_group(adsl):
    assert one(adsl, "004")["TUMTYPE"] == "OVARIAN CANCER"
    assert one(adsl, "006")["NACTDT"] == ts("006", 100)
    assert pd.isna(one(adsl, "001")["NACTDT"])  # tocilizumab is a concomitant medication
    assert one(adsl, "001")[["AGE", "AGEGR1", "AGEGR1N"]].tolist() == [45, "<65", 1]
    assert one(adsl, "011")[["AGE", "AGEGR1", "AGEGR1N"]].tolist() == [65, ">=65", 2]


def test_optional_domains_degrade_as_documented(sdtm, caplog):
    with caplog.at_level(logging.WARNING):
        adsl = create_adsl(sdtm["DM"], sdtm["EX"], params=PARAMS)
    assert adsl["EFFFL"].tolist() == adsl["SAFFL"].tolist()
    assert adsl["MDISFL"].isna().all() and adsl["TUMTYPE"].isna().all() and adsl["EOSSTT"].isna().all()
    assert adsl["NACTDT"].isna().all()
    assert one(adsl, "007")["DTHDT"] == ts("007", 20)  # DM alone still gives deaths
    for name in ("TU", "MH", "DS", "CM"):
        assert f"{name} not given" in caplog.text


def test_new_therapy_partial_start_is_never_before_the_infusion(sdtm):
    cm = pd.DataFrame({"USUBJID": [usubjid("001")], "CMCAT": ["SUBSEQUENT ANTI-CANCER THERAPY"],
                       "CMSTDTC": [INFUSION["001"].strftime("%Y-%m")]})
    adsl = create_adsl(sdtm["DM"], sdtm["EX"], cm=cm, params=PARAMS)
    assert one(adsl, "001")[["NACTDT", "NACTDTF"]].tolist() == [ts("001", 0), "D"]


def test_zero_dose_or_not_occurred_infusion_does_not_make_a_subject_treated(sdtm):
    ex = sdtm["EX"].copy()
    dm = sdtm["DM"].copy()
    dm.loc[dm["SUBJID"].isin(["002", "003"]), "RFSTDTC"] = None
    ex.loc[(ex["USUBJID"] == usubjid("002")) & (ex["EXCAT"] == "CAR-T"), "EXDOSE"] = 0.0
    ex["EXOCCUR"] = None
    ex.loc[(ex["USUBJID"] == usubjid("003")) & (ex["EXCAT"] == "CAR-T"), "EXOCCUR"] = "N"
    adsl = create_adsl(dm, ex, params=PARAMS)
    assert one(adsl, "002")["SAFFL"] == "N" and one(adsl, "003")["SAFFL"] == "N"
    assert one(adsl, "004")["SAFFL"] == "Y"


def test_rfstdtc_is_the_fallback_when_ex_lacks_the_infusion(sdtm, caplog):
    ex = sdtm["EX"][~((sdtm["EX"]["USUBJID"] == usubjid("004")) & (sdtm["EX"]["EXCAT"] == "CAR-T"))]
    with caplog.at_level(logging.WARNING):
        adsl = create_adsl(sdtm["DM"], ex, params=PARAMS)
    assert one(adsl, "004")["TRTSDTM"] == pd.Timestamp("2024-03-01 10:30")
    assert "taken from DM.RFSTDTC" in caplog.text


def test_parameters_change_the_conventions(sdtm):
    params = PARAMS.with_overrides(["age_group_cuts=50,65", "not_enrolled_armnrs=ASSIGNED, NOT TREATED"])
    adsl = create_adsl(sdtm["DM"], sdtm["EX"], params=params)
    assert one(adsl, "004")["AGEGR1"] == "50-64"
    assert one(adsl, "011")["ENRLFL"] == "N"


def test_missing_inputs_are_named(sdtm):
    with pytest.raises(DerivationError, match="EXCAT"):
        create_adsl(sdtm["DM"], sdtm["EX"].drop(columns="EXCAT"), params=PARAMS)
    dm = pd.concat([sdtm["DM"], sdtm["DM"].head(1)])
    with pytest.raises(DerivationError, match="more than one record per subject"):
        create_adsl(dm, sdtm["EX"], params=PARAMS)


def test_leukapheresis_date_from_pr_when_given(sdtm):
    pr = pd.DataFrame({"USUBJID": [usubjid("001"), usubjid("001"), usubjid("002")],
                       "PRTRT": ["Leukapheresis", "Leukapheresis", "Bone marrow biopsy"],
                       "PRSTDTC": ["2023-11-20", "2023-11-02", "2023-12-01"]})
    adsl = create_adsl(sdtm["DM"], sdtm["EX"], other_domains={"PR": pr}, params=PARAMS)
    assert one(adsl, "001")["APHDT"] == pd.Timestamp("2023-11-02")
    assert pd.isna(one(adsl, "002")["APHDT"])
    assert "APHDT" not in create_adsl(sdtm["DM"], sdtm["EX"], params=PARAMS).columns


def test_age_groups_split_at_65_with_the_cut_in_the_upper_group(adsl):
    # 010 is 63, 011 exactly 65
    assert one(adsl, "010")[["AGE", "AGEGR1", "AGEGR1N"]].tolist() == [63, "<65", 1]
    assert one(adsl, "011")[["AGE", "AGEGR1", "AGEGR1N"]].tolist() == [65, ">=65", 2]


def test_dm_arm_codes_and_reference_dates_stay_out_of_adsl(adsl):
    internal = {"ARMCD", "ACTARMCD", "ARMNRS", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC"}
    assert internal.isdisjoint(adsl.columns)
    assert {"ARM", "ACTARM", "TRT01P", "TRT01A", "DOSE01A", "DOSE01U", "TRTEDTM", "TRTETMF"} <= set(adsl.columns)
    assert not {"CARTDOSE", "CARTDOSU"} & set(adsl.columns)


def test_partial_new_therapy_start_is_imputed_and_flagged(sdtm):
    cm = sdtm["CM"].copy()
    cm.loc[cm["USUBJID"] == usubjid("006"), "CMSTDTC"] = "2024-07"  # collected 2024-07-10
    adsl = create_adsl(sdtm["DM"], sdtm["EX"], sdtm["DS"], sdtm["MH"], sdtm["TU"], cm, params=PARAMS)
    s006 = one(adsl, "006")
    assert (s006["NACTDT"], s006["NACTDTF"]) == (pd.Timestamp("2024-07-01"), "D")
    assert pd.isna(one(adsl, "009")["NACTDTF"])  # complete date: no flag


def test_enrolled_means_leukapheresed_when_pr_is_given(sdtm):
    """DESIGN.md: ENRLFL = leukapheresed. Subject 001 has a leukapheresis record with a partial date,
    002 has none: only 001 is enrolled (without PR, ENRLFL falls back to the ARMNRS rule)."""
    pr = pd.DataFrame({"USUBJID": [usubjid("001")], "PRTRT": ["LEUKAPHERESIS"], "PRSTDTC": ["2024-01"]})
    adsl = create_adsl(sdtm["DM"], sdtm["EX"], other_domains={"PR": pr}, params=PARAMS)
    assert one(adsl, "001")["ENRLFL"] == "Y" and pd.isna(one(adsl, "001")["APHDT"])
    assert one(adsl, "002")["ENRLFL"] == "N"
