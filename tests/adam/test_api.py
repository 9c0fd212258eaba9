import importlib.util
import logging
from pathlib import Path

import pandas as pd
import pytest

from adam.api import DATASETS, derive_all
from specs.errors import DerivationError
from tests.adam.fixtures import PARAMS

REPO = Path(__file__).resolve().parents[2]


def test_derive_all_builds_every_dataset_its_sdtm_allows(adam):
    # the fixture study has no LB, CP or PC: ADLB, ADPC and ADPP are left out
    assert list(adam) == [name for name in DATASETS if name not in ("ADLB", "ADPC", "ADPP")]
    assert {name: len(frame) for name, frame in adam.items()} == {
        "ADSL": 15, "ADAE": 16, "ADRS": 146, "ADTTE": 41, "ADTR": 13}


def _labs_and_kinetics(sdtm) -> dict[str, pd.DataFrame]:
    """One LB and three PC records of the first infused fixture subject (no CP)."""
    ex = sdtm["EX"]
    subject = ex["USUBJID"].iloc[0]
    day = pd.to_datetime(ex.loc[ex["USUBJID"] == subject, "EXSTDTC"].str[:10]).min()
    dates = [(day + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (-3, 2, 7, 14)]
    lb = pd.DataFrame({"STUDYID": ex["STUDYID"].iloc[0], "USUBJID": subject, "LBSEQ": [1, 2],
                       "LBTESTCD": "ALT", "LBTEST": "Alanine Aminotransferase", "LBSTRESN": [20.0, 130.0],
                       "LBSTRESC": ["20", "130"], "LBSTRESU": "U/L", "LBSTNRLO": 0.0, "LBSTNRHI": 40.0,
                       "LBDTC": dates[:2]})
    pc = pd.DataFrame({"STUDYID": ex["STUDYID"].iloc[0], "USUBJID": subject, "PCSEQ": [1, 2, 3],
                       "PCTESTCD": "AB", "PCTEST": "Antibody", "PCSTRESN": [5.0, 9.0, 3.0],
                       "PCSTRESC": ["5", "9", "3"], "PCSTRESU": "ug/L", "PCSPEC": "SERUM", "PCDTC": dates[1:]})
    return {**sdtm, "LB": lb, "PC": pc}


def test_labs_and_kinetics_are_derived_when_their_sdtm_is_given(sdtm, caplog):
    with caplog.at_level(logging.INFO, logger="adam.api"):
        adam = derive_all(_labs_and_kinetics(sdtm), params=PARAMS)
    assert list(adam) == list(DATASETS)
    assert list(adam["ADLB"]["ATOXGRH"]) == ["0", "2"]  # ALT 130 U/L with ULN 40: > 3 x ULN
    assert len(adam["ADPC"]) == 3 and set(adam["ADPP"]["PARCAT1"]) == {"AB"}
    cmax = adam["ADPP"].loc[adam["ADPP"]["PARAMCD"] == "CMAX", "AVAL"]
    assert list(cmax) == [9.0]
    assert "ADPC from SDTM PC only: CP not given" in caplog.text


def test_kinetics_need_cp_or_pc(sdtm):
    subset = derive_all(_labs_and_kinetics(sdtm), params=PARAMS, only=["ADPP"])
    assert set(subset) == {"ADSL", "ADPC", "ADPP"}
    with pytest.raises(DerivationError, match="ADPC needs SDTM dataset CP or PC"):
        derive_all(sdtm, params=PARAMS, only=["ADPC"])


def test_inputs_are_not_modified_and_keys_are_case_insensitive(sdtm, adam):
    copies = {name: frame.copy() for name, frame in sdtm.items()}
    again = derive_all({name.lower(): frame for name, frame in sdtm.items()}, params=PARAMS)
    for name, frame in sdtm.items():
        pd.testing.assert_frame_equal(frame, copies[name])
    for name in adam:
        pd.testing.assert_frame_equal(again[name], adam[name])


def test_missing_inputs_are_all_named_at_once(sdtm):
    with pytest.raises(DerivationError) as caught:
        derive_all({"DM": sdtm["DM"]}, params=PARAMS, only=DATASETS)
    text = str(caught.value)
    for domain in ("EX", "AE", "RS", "TR", "TU", "LB", "CP or PC"):
        assert f"SDTM dataset {domain}" in text


def test_without_only_a_dataset_whose_sdtm_is_absent_is_left_out_with_a_warning(sdtm, caplog):
    with caplog.at_level(logging.WARNING):
        adam = derive_all({k: v for k, v in sdtm.items() if k not in ("RS", "AE")}, params=PARAMS)
    assert set(adam) == {"ADSL", "ADTR"}
    assert "ADAE not derived: SDTM AE not given" in caplog.text
    assert "ADRS not derived: SDTM RS not given" in caplog.text
    with pytest.raises(DerivationError, match="ADSL needs SDTM dataset EX"):
        derive_all({"DM": sdtm["DM"]}, params=PARAMS)


def test_only_derives_a_subset_with_its_dependencies(sdtm):
    subset = derive_all({k: sdtm[k] for k in ("DM", "EX", "RS", "CM", "TU")}, only=["adtte"], params=PARAMS)
    assert set(subset) == {"ADSL", "ADRS", "ADTTE"}
    with pytest.raises(DerivationError, match="ADXX"):
        derive_all(sdtm, only=["ADXX"], params=PARAMS)


def test_every_adam_record_traces_back_to_sdtm(sdtm, adam):
    def keys(frame, seq):
        return set(zip(frame["USUBJID"], pd.to_numeric(frame[seq]).astype(float)))

    assert set(adam["ADSL"]["USUBJID"]) == set(sdtm["DM"]["USUBJID"])
    assert keys(adam["ADAE"], "AESEQ") == keys(sdtm["AE"], "AESEQ")
    adrs = adam["ADRS"]
    from_rs = adrs[adrs["SRCDOM"] == "RS"]
    assert keys(from_rs, "SRCSEQ") <= keys(sdtm["RS"], "RSSEQ")
    assert (adrs["SRCDOM"].isin(["RS", "ADSL"]) | adrs["AVALC"].isin(["N", "MISSING"])).all()
    adtr = adam["ADTR"]
    single = adtr[adtr["SRCSEQ"].notna()]
    assert keys(single, "SRCSEQ") <= keys(sdtm["TR"], "TRSEQ")
    groups = set(zip(sdtm["TR"]["USUBJID"], sdtm["TR"]["TRLNKGRP"]))
    grouped = adtr[adtr["SRCSEQ"].isna()]
    assert set(zip(grouped["USUBJID"], grouped["TRLNKGRP"])) <= groups
    adtte = adam["ADTTE"]
    assert keys(adtte[adtte["SRCDOM"] == "ADRS"], "SRCSEQ") <= keys(adrs, "ASEQ")
    assert set(adtte.loc[adtte["SRCDOM"] == "ADSL", "SRCVAR"]) <= set(adam["ADSL"].columns)


def _benchmark_module():
    path = REPO / "benchmarks" / "adam.py"
    spec = importlib.util.spec_from_file_location("adam_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_random_study_keeps_the_invariants():
    """A small synthetic study from the benchmark's maker: structure rules that must always hold."""
    sdtm = _benchmark_module().make_sdtm(60, seed=7)
    adam = derive_all(sdtm, params=PARAMS)
    assert len(adam["ADSL"]) == 60 and len(adam["ADAE"]) == len(sdtm["AE"])
    for name in ("ADRS", "ADTTE", "ADTR"):
        assert not adam[name].duplicated(["USUBJID", "ASEQ"]).any(), name
    adtte = adam["ADTTE"]
    assert (adtte["AVAL"] >= 1).all() and (adtte["CNSR"] >= 0).all() and (adtte["ADT"] >= adtte["STARTDT"]).all()
    assert not adtte.duplicated(["USUBJID", "PARAMCD"]).any()
    adrs = adam["ADRS"]
    treated = set(adam["ADSL"].loc[adam["ADSL"]["SAFFL"] == "Y", "USUBJID"])
    for paramcd in ("BOR", "CBOR", "RSP", "CRSP", "PD", "DEATH", "LSTA"):
        assert set(adrs.loc[adrs["PARAMCD"] == paramcd, "USUBJID"]) == treated, paramcd
    cbor = adrs[adrs["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVAL"]
    bor = adrs[adrs["PARAMCD"] == "BOR"].set_index("USUBJID")["AVAL"]
    assert (cbor >= bor.reindex(cbor.index)).all()  # confirmation never improves a response
    adtr = adam["ADTR"]
    assert (adtr.groupby("USUBJID")["ABLFL"].apply(lambda s: (s == "Y").sum()) <= 1).all()


@pytest.mark.parametrize("name, extra", [("ADRS", ("ENRLFL",)), ("ADTTE", ()), ("ADTR", ())])
def test_bds_datasets_carry_the_adsl_subject_variables_and_trta(adam, name, extra):
    frame, adsl = adam[name], adam["ADSL"].set_index("USUBJID")
    for variable in ("SUBJID", "SITEID", "SAFFL", "EFFFL", "TRTSDT", *extra):
        pd.testing.assert_series_equal(frame[variable], frame["USUBJID"].map(adsl[variable]), check_names=False)
    pd.testing.assert_series_equal(frame["TRTA"], frame["USUBJID"].map(adsl["TRT01A"]), check_names=False)
    assert {"TRT01P", "TRT01A"}.isdisjoint(frame.columns)
    assert list(frame.columns[:4]) == ["STUDYID", "USUBJID", "SUBJID", "SITEID"]
