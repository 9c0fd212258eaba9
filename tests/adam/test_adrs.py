import logging

import pandas as pd
import pytest

from adam.adrs import create_adrs
from adam.adsl import create_adsl
from tests.adam.fixtures import PARAMS, RESPONSES, one, ts, usubjid


@pytest.fixture(scope="module")
def adrs(adam):
    return adam["ADRS"]


def value(adrs, subject, paramcd):
    row = one(adrs, subject, PARAMCD=paramcd)
    offset = None if pd.isna(row["ADT"]) else (row["ADT"] - ts(subject, 0)).days
    return row["AVALC"], offset


def test_one_ovr_record_per_investigator_overall_response(adrs, sdtm):
    rs = sdtm["RS"]
    expected = rs[(rs["RSTESTCD"] == "OVRLRESP") & (rs["RSEVAL"] == "INVESTIGATOR") & rs["RSSTAT"].isna()]
    ovr = adrs[adrs["PARAMCD"] == "OVR"]
    assert len(ovr) == len(expected)
    assert sorted(zip(ovr["USUBJID"], ovr["SRCSEQ"])) == sorted(zip(expected["USUBJID"], expected["RSSEQ"]))
    assert ovr["SRCDOM"].eq("RS").all() and ovr["SRCVAR"].eq("RSSTRESC").all()
    row = one(adrs, "001", PARAMCD="OVR", SRCSEQ=1.0)
    assert (row["AVALC"], row["AVAL"], row["ADY"], row["AVISIT"], row["AVISITN"]) == ("PR", 2.0, 43, "ASSESSMENT 1", 11.0)


def test_aval_codes(adrs):
    codes = adrs[adrs["PARAMCD"].isin(["OVR", "BOR", "CBOR", "LSTA"])].groupby("AVALC")["AVAL"].unique()
    assert {k: list(v) for k, v in codes.items()} == {
        "CR": [1.0], "PR": [2.0], "SD": [3.0], "NON-CR/NON-PD": [4.0], "PD": [5.0], "NE": [6.0], "MISSING": [7.0]}
    flags = adrs[adrs["PARAMCD"].isin(["RSP", "CRSP", "PD", "DEATH", "MDIS", "ORR"])]
    assert (flags["AVAL"] == flags["AVALC"].map({"Y": 1.0, "N": 0.0})).all()


def test_assessments_after_new_therapy_are_not_analysed(adrs):
    ovr = adrs[(adrs["USUBJID"] == usubjid("006")) & (adrs["PARAMCD"] == "OVR")].sort_values("ADT")
    assert ovr["ANL01FL"].fillna("").tolist() == ["Y", "Y", "", ""]  # new therapy on day +100
    assert value(adrs, "006", "CBOR") == ("SD", 42)  # the later PRs do not confirm the first


def test_assessment_on_the_day_new_therapy_starts_is_analysed(adrs):
    ovr = adrs[(adrs["USUBJID"] == usubjid("009")) & (adrs["PARAMCD"] == "OVR")]
    assert ovr["ANL01FL"].eq("Y").all()
    assert value(adrs, "009", "PD") == ("Y", 84)


def test_response_parameters_per_subject(adrs):
    expected = {  # subject: (BOR, CBOR, RSP, CRSP, PD, LSTA) as (AVALC, days after infusion)
        "001": (("CR", 84), ("CR", 84), ("Y", 42), ("Y", 42), ("Y", 168), ("PD", 168)),
        "002": (("CR", 49), ("SD", 49), ("Y", 49), ("N", None), ("N", None), ("PR", 91)),
        "003": (("CR", 35), ("PD", 77), ("Y", 35), ("N", None), ("N", None), ("PR", 77)),
        "004": (("PR", 37), ("PD", 60), ("Y", 37), ("N", None), ("Y", 60), ("PD", 60)),
        "005": (("PR", 42), ("SD", 42), ("Y", 42), ("N", None), ("N", None), ("PR", 168)),
        "007": (("MISSING", None), ("MISSING", None), ("N", None), ("N", None), ("N", None), ("MISSING", None)),
        "008": (("SD", 42), ("SD", 42), ("N", None), ("N", None), ("Y", 150), ("PD", 150)),
        "010": (("PR", 42), ("PR", 42), ("Y", 42), ("Y", 42), ("N", None), ("SD", 126)),
        "013": (("NON-CR/NON-PD", 42),) * 2 + (("N", None),) * 3 + (("NON-CR/NON-PD", 84),),
        "014": (("MISSING", None),) * 2 + (("N", None),) * 3 + (("MISSING", None),),
        "015": (("NE", 30), ("NE", 30), ("N", None), ("N", None), ("N", None), ("SD", 30)),
    }
    for subject, values in expected.items():
        got = tuple(value(adrs, subject, p) for p in ("BOR", "CBOR", "RSP", "CRSP", "PD", "LSTA"))
        assert got == values, subject


def test_cbor_record_traces_to_the_assessment_it_came_from(adrs, sdtm):
    row = one(adrs, "003", PARAMCD="CBOR")  # PD because the PR after the CR is progression
    source = sdtm["RS"][(sdtm["RS"]["USUBJID"] == usubjid("003")) & (sdtm["RS"]["RSSEQ"] == row["SRCSEQ"])]
    assert source["RSSTRESC"].tolist() == ["PR"] and source["RSDTC"].tolist() == [ts("003", 77).strftime("%Y-%m-%d")]


def test_death_mdis_and_orr(adrs):
    assert value(adrs, "007", "DEATH") == ("Y", 20)
    assert one(adrs, "007", PARAMCD="DEATH")[["SRCDOM", "SRCVAR"]].tolist() == ["ADSL", "DTHDT"]
    assert value(adrs, "002", "DEATH") == ("N", None)
    assert one(adrs, "013", PARAMCD="MDIS")["AVALC"] == "N"
    orr = adrs[adrs["PARAMCD"] == "ORR"].set_index("USUBJID")["AVALC"]
    assert len(orr) == 12  # EFFFL subjects only: not 011/012 (never infused) nor 013 (no target lesion)
    assert sorted(orr[orr == "Y"].index) == [usubjid("001"), usubjid("010")]


def test_derived_parameters_only_for_infused_subjects(adrs):
    never = adrs[adrs["USUBJID"].isin([usubjid("011"), usubjid("012")])]
    assert never["PARAMCD"].tolist() == ["MDIS", "MDIS"]


def test_aseq_unique_and_param_one_to_one(adrs):
    assert not adrs.duplicated(["USUBJID", "ASEQ"]).any()
    assert (adrs.groupby("PARAMCD")["PARAM"].nunique() == 1).all()
    assert (adrs.groupby("PARAM")["PARAMCD"].nunique() == 1).all()
    assert adrs.loc[adrs["PARAMCD"] != "OVR", "ANL01FL"].eq("Y").all()


def test_without_cm_and_tu_later_responses_count(sdtm, caplog):
    with caplog.at_level(logging.WARNING):
        adsl = create_adsl(sdtm["DM"], sdtm["EX"], params=PARAMS)  # no CM -> no NACTDT; no TU -> no MDISFL
        adrs = create_adrs(adsl, sdtm["RS"], params=PARAMS)
    assert value(adrs, "006", "CBOR") == ("PR", 126)  # PR +126 confirmed by PR +168
    assert "MDIS" not in set(adrs["PARAMCD"])
    assert "no new anti-cancer therapy exclusion" in caplog.text
    with caplog.at_level(logging.WARNING):
        create_adrs(adsl.drop(columns="NACTDT"), sdtm["RS"], params=PARAMS)
    assert "CM not given: NACTDT not derived" in caplog.text


def test_not_done_records_and_unknown_responses(sdtm, adam, caplog):
    rs = sdtm["RS"].copy()
    rs.loc[(rs["USUBJID"] == usubjid("015")) & (rs["RSTESTCD"] == "OVRLRESP"), "RSSTRESC"] = "NOT ALL EVALUATED"
    with caplog.at_level(logging.WARNING):
        adrs = create_adrs(adam["ADSL"], rs, sdtm["TU"], sdtm["CM"], params=PARAMS)
    row = one(adrs, "015", PARAMCD="OVR")
    assert pd.isna(row["AVAL"]) and pd.isna(row["ANL01FL"])
    assert value(adrs, "015", "BOR") == ("MISSING", None)
    assert "outside" in caplog.text
    assert len(RESPONSES["008"]) - 1 == len(adrs[(adrs["USUBJID"] == usubjid("008")) & (adrs["PARAMCD"] == "OVR")])
