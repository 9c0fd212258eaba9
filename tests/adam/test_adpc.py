"""ADPC and ADPP from small inline CP/PC frames, with hand-computed expectations."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest

from adam.adpc import create_adpc, create_adpp
from adam.parameters import StudyParameters
from specs.errors import DerivationError

DAYS = StudyParameters(pk_time_unit="DAYS", nca_auc_method="LINEAR", nca_partial_auc_end=7)


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": "S", "USUBJID": ["S-1", "S-2"], "SUBJID": ["1", "2"],
        "TRTSDT": pd.to_datetime(["2024-01-01", None]),
        "TRTSDTM": pd.to_datetime(["2024-01-01 10:00", None]),
        "RFSTDTC": ["2024-01-01T10:00", None],
    })


def _pc() -> pd.DataFrame:
    rows = [  # USUBJID, SEQ, STRESC, STRESN, STAT, DTC, VISITDY
        ("S-1", 1, "<LLOQ", None, "", "2024-01-01T08:00", 1),
        ("S-1", 2, "4", 4.0, "", "2024-01-02T10:00", 2),
        ("S-1", 3, "BLQ", None, "", "2024-01-03T10:00", 3),
        ("S-1", 4, "2", 2.0, "", "2024-01-05T10:00", 5),
        ("S-1", 5, "BLQ", None, "", "2024-01-08T10:00", 8),
        ("S-1", 6, "", None, "NOT DONE", "2024-01-09T10:00", 9),
        ("S-1", 7, ">ULOQ", None, "", "2024-01-10T10:00", 10),
        ("S-2", 1, "BLQ", None, "", "2024-01-02T10:00", 2),
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "PCSEQ", "PCSTRESC", "PCSTRESN", "PCSTAT", "PCDTC", "VISITDY"])
    return frame.assign(STUDYID="S", PCTESTCD="AB", PCTEST="Antibody", PCSTRESU="ug/L", PCSPEC="SERUM",
                        PCLLOQ=1.0, VISIT=[f"V{d}" for d in frame["VISITDY"]], VISITNUM=frame["VISITDY"])


def _cp() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": "S", "USUBJID": "S-1", "CPSEQ": [1, 2, 3], "CPTESTCD": "TLSTLY", "CPTEST": "TLym Sub/TLym",
        "CPSBMRKS": "CAR+", "CPSTRESC": ["0", "0.2", "3"], "CPSTRESN": [0.0, 0.2, 3.0], "CPSTRESU": "%",
        "CPSPEC": "BLOOD", "CPDTC": ["2023-12-27", "2024-01-02", "2024-01-08"], "VISITDY": [-5, 2, 8],
    })


@pytest.fixture()
def adpc() -> pd.DataFrame:
    return create_adpc(_adsl(), pc=_pc(), params=DAYS)


def _pc1(adpc: pd.DataFrame) -> pd.DataFrame:
    return adpc[(adpc["USUBJID"] == "S-1") & (adpc["SRCDOM"] == "PC")].set_index("SRCSEQ")


def test_one_record_per_sample_with_param_and_source(adpc):
    assert len(adpc) == len(_pc())
    pc1 = _pc1(adpc)
    assert set(pc1["PARAMCD"]) == {"AB"} and set(pc1["PARAM"]) == {"Antibody in SERUM (ug/L)"}
    assert set(pc1["PARCAT1"]) == {"SERUM"} and set(pc1["AVALU"]) == {"ug/L"} and set(pc1["SRCVAR"]) == {"PCSTRESN"}
    assert list(pc1["ASEQ"]) == [1, 2, 3, 4, 5, 6, 7]


def test_blq_flags_and_rules(adpc):
    pc1 = _pc1(adpc)
    assert list(pc1["BLQFL"].fillna("")) == ["Y", "", "Y", "", "Y", "", ""]
    # pre-dose BLQ -> 0 (before first), day 2 BLQ between -> null, day 7 BLQ after last -> 0
    expected = [0, 4, np.nan, 2, 0, np.nan, np.nan]
    np.testing.assert_array_equal(pc1["AVAL"].to_numpy(float), np.array(expected, float))
    assert list(pc1["ANL01FL"].fillna("")) == ["", "Y", "", "Y", "Y", "", ""]


def test_times_from_the_infusion_in_days(adpc):
    pc1 = _pc1(adpc)
    assert pc1.loc[1, "AFRLT"] == pytest.approx(-2 / 24)
    assert list(pc1["AFRLT"].iloc[1:5]) == pytest.approx([1, 2, 4, 7])
    assert list(pc1["NFRLT"]) == [0, 1, 2, 4, 7, 8, 9]  # VISITDY - 1: SDTM has no day 0
    assert set(pc1["FRLTU"]) == {"DAYS"} and pc1.loc[2, "ADY"] == 2


def test_hours_and_planned_times():
    pc = _pc().assign(PCELTM=["-PT2H", "PT0H", None, None, None, None, None, None], PCTPTNUM=0.5)
    adpc = create_adpc(_adsl(), pc=pc, params=StudyParameters(pk_tptnum_unit="HOURS"))
    pc1 = _pc1(adpc)
    assert pc1.loc[1, "AFRLT"] == pytest.approx(-2) and pc1.loc[2, "AFRLT"] == pytest.approx(24)
    # ELTM wins over TPTNUM; without ELTM TPTNUM (0.5 h) is added to the visit's day
    assert list(pc1["NFRLT"].iloc[:3]) == pytest.approx([-2, 24, 48.5])


def test_warnings_name_what_is_not_derived(caplog):
    with caplog.at_level(logging.INFO, logger="adam.adpc"):
        create_adpc(_adsl(), pc=_pc(), params=DAYS)
    text = caplog.text
    # a sample not done has no result by design: told at INFO; a result that cannot be read is a WARNING
    assert [r.levelno for r in caplog.records if "not done" in r.getMessage()] == [logging.INFO]
    assert "1 record(s) not done" in text
    assert "neither numeric nor BLQ ('>ULOQ')" in text
    assert "1 record(s) without a complete sample date or without TRTSDT" in text  # S-2 was not dosed
    assert "1 BLQ record(s) without an NCA time" in text


def test_cp_without_lloq_takes_pk_lloq(caplog):
    params = DAYS.replace({"pk_lloq": ("TLSTLY=0.5",)})
    adpc = create_adpc(_adsl(), cp=_cp(), params=params)
    assert list(adpc["ALLOQ"]) == [0.5, 0.5, 0.5]
    assert list(adpc["BLQFL"].fillna("")) == ["Y", "Y", ""]  # 0 and 0.2 are below 0.5
    assert adpc["PARAM"].iloc[0] == "TLym Sub/TLym CAR+ in BLOOD (%)"
    no_lloq = create_adpc(_adsl(), cp=_cp(), params=DAYS)
    assert no_lloq["BLQFL"].isna().all() and list(no_lloq["AVAL"]) == [0, 0.2, 3]  # measured values as they are
    with pytest.raises(DerivationError):
        create_adpc(_adsl(), cp=_cp(), params=DAYS.replace({"pk_lloq": ("TLSTLY=low",)}))


def test_adpp_parameters(adpc):
    adpp = create_adpp(adpc, DAYS)
    s1 = adpp[adpp["USUBJID"] == "S-1"].set_index("PARAMCD")
    assert list(s1.index) == ["CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUC7D", "TALLOQ"]
    assert s1.loc["CMAX", "AVAL"] == 4 and s1.loc["TMAX", "AVAL"] == pytest.approx(1)
    assert s1.loc["CLST", "AVAL"] == 2 and s1.loc["TLST", "AVAL"] == pytest.approx(4)
    assert s1.loc["AUCLST", "AVAL"] == pytest.approx(1 * 4 / 2 + 3 * (4 + 2) / 2)  # (0, 0) added at the dose
    assert s1.loc["AUC7D", "AVAL"] == pytest.approx(11 + 3 * (2 + 0) / 2)  # to the day-7 BLQ (0)
    # above 1: 0.25..1 (0 -> 4), 1..4, 4..5.5 (2 -> 0 crosses 1 halfway)
    assert s1.loc["TALLOQ", "AVAL"] == pytest.approx(0.75 + 3 + 1.5)
    assert dict(s1["AVALU"]) == {"CMAX": "ug/L", "TMAX": "d", "CLST": "ug/L", "TLST": "d", "AUCLST": "d*ug/L",
                                 "AUC7D": "d*ug/L", "TALLOQ": "d"}
    assert set(s1["PARCAT1"]) == {"AB"} and set(s1["PARCAT2"]) == {"SERUM"} and s1.loc["AUC7D", "PARAM"] == (
        "AUC from 0 to 7 d")
    assert list(s1["ASEQ"]) == [1, 2, 3, 4, 5, 6, 7] and set(s1["SUBJID"]) == {"1"}
    assert (adpp["USUBJID"] == "S-2").sum() == 0  # not dosed: no NCA time, no profile


def test_adpp_log_down_and_nominal_time(adpc):
    log_down = create_adpp(adpc, DAYS.replace({"nca_auc_method": "LINUP_LOGDOWN"})).set_index("PARAMCD")
    assert log_down.loc["AUCLST", "AVAL"] == pytest.approx(2 + 3 * (4 - 2) / math.log(2))
    nominal = create_adpp(create_adpc(_adsl(), pc=_pc(), params=DAYS.replace({"nca_time": "NOMINAL"})),
                          DAYS.replace({"nca_time": "NOMINAL"})).set_index("PARAMCD")
    assert nominal.loc["AUCLST", "AVAL"] == pytest.approx(11)  # nominal = actual here


def test_adpp_all_blq_profile_is_null_and_logged(caplog):
    pc = _pc()
    pc = pc[pc["USUBJID"] == "S-1"].assign(PCSTRESC="BLQ", PCSTRESN=None, PCSTAT="")
    with caplog.at_level(logging.WARNING, logger="adam.adpc"):
        adpp = create_adpp(create_adpc(_adsl(), pc=pc, params=DAYS), DAYS).set_index("PARAMCD")
    assert adpp.loc[["CMAX", "TMAX", "CLST", "TLST", "AUCLST"], "AVAL"].isna().all()
    assert adpp.loc["AUC7D", "AVAL"] == 0 and adpp.loc["TALLOQ", "AVAL"] == 0
    assert "CMAX null for 1 profile(s): no measurable concentration" in caplog.text


def test_input_and_parameter_errors():
    with pytest.raises(DerivationError, match="neither CP nor PC"):
        create_adpc(_adsl())
    with pytest.raises(DerivationError, match="required input"):
        create_adpc(_adsl(), pc=_pc().drop(columns="PCDTC"))
    for change in ({"pk_time_unit": "WEEKS"}, {"nca_blq_between": "HALF"}, {"nca_auc_method": "LOG"},
                   {"nca_time": "PLANNED"}):
        with pytest.raises(DerivationError, match="bad ADPC/ADPP parameters"):
            create_adpc(_adsl(), pc=_pc(), params=StudyParameters().replace(change))
    with pytest.raises(DerivationError, match="longer than 8"):
        create_adpp(create_adpc(_adsl(), pc=_pc(), params=DAYS), DAYS.replace({"nca_partial_auc_end": 10000}))


def test_inputs_are_not_modified():
    pc, adsl = _pc(), _adsl()
    before_pc, before_adsl = pc.copy(), adsl.copy()
    create_adpp(create_adpc(adsl, pc=pc, params=DAYS), DAYS)
    pd.testing.assert_frame_equal(pc, before_pc)
    pd.testing.assert_frame_equal(adsl, before_adsl)
