import pytest

from adam.adtte import create_adtte
from adam.api import derive_all
from tests.adam.fixtures import PARAMS, one, ts, usubjid


@pytest.fixture(scope="module")
def adtte(adam):
    return adam["ADTTE"]


def outcome(adtte, subject, paramcd):
    """(CNSR, ADT as days after infusion, AVAL, EVNTDESC)."""
    row = one(adtte, subject, PARAMCD=paramcd)
    return row["CNSR"], (row["ADT"] - ts(subject, 0)).days, row["AVAL"], row["EVNTDESC"]


def test_pfs_outcomes_follow_the_fda_conventions(adtte):
    expected = {
        "001": (0, 168, 169.0, "DISEASE PROGRESSION"),
        "004": (0, 60, 61.0, "DISEASE PROGRESSION"),
        "005": (1, 168, 169.0, "ALIVE WITHOUT PROGRESSION"),  # NEs are not adequate assessments
        "006": (1, 84, 85.0, "NEW ANTI-CANCER THERAPY BEFORE PD OR DEATH"),
        "007": (0, 20, 21.0, "DEATH"),  # death before the first assessment
        "008": (1, 42, 43.0, "PD OR DEATH AFTER >= 2 MISSED ASSESSMENTS"),  # PD 108 days after the last SD
        "009": (0, 84, 85.0, "DISEASE PROGRESSION"),  # PD on the day new therapy started: the event wins
        "014": (1, 0, 1.0, "NO ADEQUATE POST-BASELINE TUMOR ASSESSMENT"),
        "015": (1, 30, 31.0, "ALIVE WITHOUT PROGRESSION"),
    }
    for subject, values in expected.items():
        assert outcome(adtte, subject, "PFS") == values, subject
    assert one(adtte, "006", PARAMCD="PFS")["CNSDTDSC"] == "LAST ADEQUATE TUMOR ASSESSMENT BEFORE NEW ANTI-CANCER THERAPY"


def test_os_event_on_the_last_known_alive_date_wins(adtte):
    assert outcome(adtte, "009", "OS") == (0, 120, 121.0, "DEATH")
    assert outcome(adtte, "002", "OS") == (1, 91, 92.0, "ALIVE")
    assert one(adtte, "002", PARAMCD="OS")[["SRCDOM", "SRCVAR", "CNSDTDSC"]].tolist() == [
        "ADSL", "LSTALVDT", "LAST DATE KNOWN ALIVE"]


def test_dor_only_for_confirmed_responders_from_the_response_date(adtte):
    dor = adtte[adtte["PARAMCD"] == "DOR"]
    assert sorted(dor["USUBJID"]) == [usubjid("001"), usubjid("010")]
    s001 = one(adtte, "001", PARAMCD="DOR")
    assert (s001["STARTDT"], s001["ADT"], s001["AVAL"], s001["CNSR"]) == (ts("001", 42), ts("001", 168), 127.0, 0)
    s010 = one(adtte, "010", PARAMCD="DOR")
    assert (s010["STARTDT"], s010["ADT"], s010["AVAL"], s010["CNSR"]) == (ts("010", 42), ts("010", 126), 85.0, 1)


def test_ttr(adtte):
    assert outcome(adtte, "010", "TTR") == (0, 42, 43.0, "CONFIRMED RESPONSE (CR OR PR)")
    assert outcome(adtte, "004", "TTR") == (1, 60, 61.0, "NO CONFIRMED RESPONSE")
    assert outcome(adtte, "014", "TTR")[:2] == (1, 0)  # censored at STARTDT: no adequate assessment


def test_never_infused_subjects_have_no_time_to_event_records(adtte):
    assert not adtte["USUBJID"].isin([usubjid("011"), usubjid("012")]).any()
    assert adtte.groupby("PARAMCD").size().to_dict() == {"OS": 13, "PFS": 13, "TTR": 13, "DOR": 2}


def test_records_trace_back_to_their_source(adtte, adam):
    adrs = adam["ADRS"]
    from_adrs = adtte[adtte["SRCDOM"] == "ADRS"]
    merged = from_adrs.merge(adrs, left_on=["USUBJID", "SRCSEQ"], right_on=["USUBJID", "ASEQ"],
                             suffixes=("", "_ADRS"))
    assert len(merged) == len(from_adrs) and (merged["ADT"] == merged["ADT_ADRS"]).all()
    assert adtte["SRCDOM"].notna().all() and adtte["SRCVAR"].notna().all()
    assert adtte.loc[adtte["CNSR"] == 0, "CNSDTDSC"].isna().all()
    assert adtte.loc[adtte["CNSR"] > 0, "CNSDTDSC"].notna().all()
    assert (adtte["AVAL"] >= 1).all() and not adtte.duplicated(["USUBJID", "PARAMCD"]).any()


def test_missed_assessment_window_is_a_parameter(adam):
    # allowing 3 missed assessments: after the last SD (+42) only +84 and +126 were missed before the PD
    # on +150 (the +168 window had not opened)
    adtte = create_adtte(adam["ADSL"], adam["ADRS"], PARAMS.replace({"missed_assessments": 3}))
    assert outcome(adtte, "008", "PFS") == (0, 150, 151.0, "DISEASE PROGRESSION")


def test_death_after_new_therapy_and_after_cut_off_is_censored(sdtm, adam):
    cm = sdtm["CM"].copy()
    cm.loc[cm["USUBJID"] == usubjid("009"), "CMSTDTC"] = ts("009", 60).strftime("%Y-%m-%d")
    by_reason = PARAMS.with_overrides(["censor_codes_by_reason=true"])
    derived = derive_all({**sdtm, "CM": cm}, by_reason, only=["ADTTE"])
    # new therapy on +60: the PD on +84 is no longer analysed and the death on +120 follows the therapy
    assert outcome(derived["ADTTE"], "009", "PFS")[:2] == (3, 42)
    assert outcome(derived["ADTTE"], "009", "OS")[:2] == (0, 120)
    early_cutoff = create_adtte(adam["ADSL"], adam["ADRS"], by_reason.with_overrides(["data_cutoff=2024-05-21"]))
    assert outcome(early_cutoff, "007", "OS")[0] == 1  # death 2024-05-22 is after the cut-off
    assert outcome(early_cutoff, "007", "PFS")[0] == 2


def test_censor_codes_by_reason_or_one_code(sdtm, adam):
    """Reviewers' tools check CNSR in {0, 1}; ADaMIG also allows one positive code per censoring reason."""
    assert set(adam["ADTTE"]["CNSR"]) == {0, 1}
    by_reason = derive_all(sdtm, PARAMS.with_overrides(["censor_codes_by_reason=true"]), only=["ADTTE"])
    assert outcome(by_reason["ADTTE"], "006", "PFS")[0] == 3  # new anti-cancer therapy
    assert outcome(by_reason["ADTTE"], "008", "PFS")[0] == 4  # event after missed assessments
    assert outcome(by_reason["ADTTE"], "014", "PFS")[0] == 2  # no adequate post-baseline assessment
