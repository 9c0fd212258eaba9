import pandas as pd
import pytest

from adam.adae import compute_arel, create_adae
from adam.parameters import StudyParameters
from specs.errors import DerivationError
from tests.adam.fixtures import PARAMS, one, ts


@pytest.fixture(scope="module")
def adae(adam):
    return adam["ADAE"]


def flags(adae, subject, seq):
    row = one(adae, subject, AESEQ=seq)
    names = ("AOCCFL", "AOCCSFL", "AOCCPFL", "AOCCIFL", "AOCCSIFL", "AOCCPIFL")
    return "".join("Y" if row[n] == "Y" else "." for n in names)


def test_one_record_per_ae_record(adae, sdtm):
    assert len(adae) == len(sdtm["AE"])
    assert sorted(zip(adae["USUBJID"], adae["AESEQ"])) == sorted(zip(sdtm["AE"]["USUBJID"], sdtm["AE"]["AESEQ"]))


def test_partial_start_dates_around_the_lymphodepletion_start(adae):
    # subject 010: lymphodepletion 2024-03-10, infusion 2024-03-15
    expected = {
        1: ("2024-03-10", "D", "Y"),  # "2024-03": the month holds LDSTDT -> imputed to it
        2: ("2024-02-01", "D", None),  # "2024-02": first of the month
        3: ("2024-01-01", "M", None),  # "2024" but ended 2024-03-05, before LDSTDT
        4: ("2024-03-10", "M", "Y"),  # "2024", no end date
    }
    for seq, (astdt, flag, trtemfl) in expected.items():
        row = one(adae, "010", AESEQ=seq)
        assert (row["ASTDT"], row["ASTDTF"]) == (pd.Timestamp(astdt), flag), seq
        assert (row["TRTEMFL"] if row["TRTEMFL"] == "Y" else None) == trtemfl, seq
    assert one(adae, "010", AESEQ=1)["ASTDY"] == -5  # five days before the infusion


def test_partial_end_dates(adae):
    anaemia = one(adae, "010", AESEQ=5)
    assert (anaemia["AENDT"], anaemia["AENDTF"], anaemia["AENDY"]) == (pd.Timestamp("2024-05-31"), "D", 78)
    sepsis = one(adae, "007", AESEQ=1)  # "2024-05" ends on the death date, not the month's end
    assert (sepsis["AENDT"], sepsis["AENDTF"]) == (ts("007", 20), "D")


def test_treatment_emergence(adae):
    assert one(adae, "001", AESEQ=6)["TRTEMFL"] != "Y"  # before lymphodepletion
    assert one(adae, "010", AESEQ=6)["TRTEMFL"] == "Y"  # no start date, ended after LDSTDT
    assert one(adae, "011", AESEQ=1)["TRTEMFL"] != "Y"  # never treated
    assert one(adae, "012", AESEQ=1)["TRTEMFL"] == "Y"  # after lymphodepletion, never infused
    assert pd.isna(one(adae, "012", AESEQ=1)["ASTDY"])


def test_relationship_grade_and_queries(adae):
    assert one(adae, "001", AESEQ=2)["AREL"] == "RELATED"  # POSSIBLY RELATED
    assert one(adae, "001", AESEQ=5)["AREL"] == "NOT RELATED"  # UNLIKELY RELATED
    assert one(adae, "010", AESEQ=6)["AREL"] == "RELATED"  # missing -> related (conservative)
    assert compute_arel(pd.Series([None]), StudyParameters(missing_relationship_is_related=False)).isna().all()
    row = one(adae, "001", AESEQ=4)
    assert (row["ATOXGR"], row["ATOXGRN"], row["AESER"]) == ("3", 3, "Y")
    assert (row["CQ01NAM"], row["ASTCTGR"]) == ("CYTOKINE RELEASE SYNDROME", "2")
    assert one(adae, "001", AESEQ=5)["CQ02NAM"] == "NEUROTOXICITY"
    assert one(adae, "001", AESEQ=3)["AERELLD"] == "Y"
    assert pd.isna(one(adae, "001", AESEQ=2)["CQ01NAM"])


def test_occurrence_flags_among_treatment_emergent_events(adae):
    # columns: AOCCFL AOCCSFL AOCCPFL AOCCIFL AOCCSIFL AOCCPIFL
    assert flags(adae, "001", 1) == "YYY..."  # first CRS (grade 2, day 2, AESEQ 1 before pyrexia)
    assert flags(adae, "001", 2) == ".YY.YY"  # only general-disorders event
    assert flags(adae, "001", 3) == ".YYYYY"  # first of the highest grade (3) in the subject
    assert flags(adae, "001", 4) == "....YY"  # second CRS, grade 3: worst in its SOC and PT
    assert flags(adae, "001", 5) == ".YY.YY"
    assert flags(adae, "001", 6) == "......"  # not treatment-emergent


def test_parameters_and_required_inputs(adam, sdtm):
    params = PARAMS.with_overrides(["crs_terms=Pyrexia", "crs_query_name=FEVER"])
    adae = create_adae(adam["ADSL"], sdtm["AE"], None, params)
    assert one(adae, "001", AESEQ=2)["CQ01NAM"] == "FEVER"
    assert "ASTCTGR" not in adae.columns
    with pytest.raises(DerivationError, match="AEDECOD"):
        create_adae(adam["ADSL"], sdtm["AE"].drop(columns="AEDECOD"), params=PARAMS)
    # AESTDTC is Expected, not Required: without it ASTDT is null (one warning) and TRTEMFL comes from the end
    no_start = create_adae(adam["ADSL"], sdtm["AE"].drop(columns="AESTDTC"), params=PARAMS)
    assert no_start["ASTDT"].isna().all() and len(no_start) == len(sdtm["AE"])
    with pytest.raises(DerivationError, match="LDSTDT"):
        create_adae(adam["ADSL"].drop(columns="LDSTDT"), sdtm["AE"], params=PARAMS)


def test_subject_variables_come_from_adsl_and_trta_is_the_actual_treatment(adae, adam):
    adsl = adam["ADSL"].set_index("USUBJID")
    for name in ("SUBJID", "SITEID", "AGE", "SEX", "SAFFL", "TRTSDT", "LDSTDT"):
        pd.testing.assert_series_equal(adae[name], adae["USUBJID"].map(adsl[name]), check_names=False)
    pd.testing.assert_series_equal(adae["TRTA"], adae["USUBJID"].map(adsl["TRT01A"]), check_names=False)
    assert adae["TRTA"].isna().any() and adae["TRTA"].notna().any()  # 012 has AEs but was never infused
    assert list(adae.columns[:4]) == ["STUDYID", "USUBJID", "SUBJID", "SITEID"]
    assert {"TRT01P", "TRT01A", "TRTEDT", "DTHDT", "EFFFL", "ENRLFL"}.isdisjoint(adae.columns)


def test_sdtm_domain_and_study_days_are_not_carried(adam, sdtm):
    ae = sdtm["AE"].assign(DOMAIN="AE", AESTDY=1, AEENDY=2)
    adae = create_adae(adam["ADSL"], ae, params=PARAMS)
    assert {"DOMAIN", "AESTDY", "AEENDY"}.isdisjoint(adae.columns)
    assert {"ASTDY", "AENDY"} <= set(adae.columns)


# --- cell-therapy toxicities: CRS and ICANS with both grades, onset, duration, resolution ----------------

def _crs_icans():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1"], "TRTSDT": pd.to_datetime(["2024-03-15"]),
                         "LDSTDT": pd.to_datetime(["2024-03-10"]), "TRTA": "CAR-T"})
    rows = [  # AESEQ, AEDECOD, start, end, CTCAE, ASTCT, AEOUT
        (1, "Cytokine release syndrome", "2024-03-16", "2024-03-20", "2", "2", "RECOVERED/RESOLVED"),
        (2, "Cytokine release syndrome", "2024-03-25", None, "3", "3", "NOT RECOVERED/NOT RESOLVED"),
        (3, "Encephalopathy", "2024-03-18", "2024-03-18", "1", "1", None),
        (4, "Encephalopathy", "2024-03-05", "2024-03-06", "2", "4", "RECOVERED/RESOLVED"),  # before LDSTDT
        (5, "Cytokine release syndrome", "2024-03-22", "2024-03-23", "2", "3", "RECOVERED/RESOLVED WITH SEQUELAE"),
        (6, "Pyrexia", "2024-03-17", "2024-03-19", "1", None, "RECOVERED/RESOLVED"),
    ]
    ae = pd.DataFrame(rows, columns=["AESEQ", "AEDECOD", "AESTDTC", "AEENDTC", "AETOXGR", "_ASTCT", "AEOUT"])
    suppae = pd.DataFrame({"USUBJID": "S-1", "IDVAR": "AESEQ", "IDVARVAL": ae["AESEQ"].astype(str),
                           "QNAM": "AEASTCGR", "QVAL": ae["_ASTCT"]}).dropna(subset=["QVAL"])
    ae = ae.drop(columns="_ASTCT").assign(STUDYID="S", USUBJID="S-1", AEBODSYS="SOC", AEREL="RELATED")
    params = StudyParameters(crs_terms=("Cytokine release syndrome",), crs_query_name="CRS",
                             neurotoxicity_terms=("Encephalopathy",), neurotoxicity_query_name="ICANS",
                             astct_grade_qnam="AEASTCGR")
    return create_adae(adsl, ae, suppae, params).set_index("AESEQ")


def test_crs_and_icans_carry_onset_duration_resolution_and_both_grades():
    adae = _crs_icans()
    first = adae.loc[1]
    assert (first["CQ01NAM"], first["ATOXGRN"], first["ASTCTGRN"]) == ("CRS", 2, 2)
    assert (first["ASTDY"], first["ADURN"], first["ADURU"], first["RESOLFL"]) == (2, 5, "DAYS", "Y")
    ongoing = adae.loc[2]
    assert pd.isna(ongoing["ADURN"]) and pd.isna(ongoing["ADURU"]) and ongoing["RESOLFL"] == "N"
    assert adae.loc[3, "ADURN"] == 1 and pd.isna(adae.loc[3, "RESOLFL"])  # one day; no outcome recorded
    assert adae.loc[5, "RESOLFL"] == "Y"  # resolved with sequelae is resolved
    assert adae.loc[6, "ASTCTGRN"] is pd.NA and pd.isna(adae.loc[6, "CQ01NAM"])


def test_worst_grade_flags_per_group_rank_astct_then_ctcae_among_emergent_events():
    adae = _crs_icans()
    # CRS: ASTCT 3 twice (AESEQ 2 and 5); CTCAE 3 beats 2 although AESEQ 5 started earlier
    assert list(adae.index[adae["AOCC01FL"] == "Y"]) == [2]
    # ICANS: ASTCT 4 started before lymphodepletion (not treatment-emergent), so the grade-1 event counts
    assert adae.loc[4, "TRTEMFL"] != "Y"
    assert list(adae.index[adae["AOCC02FL"] == "Y"]) == [3]


def test_an_astct_grade_that_is_no_number_is_named(caplog):
    adsl = pd.DataFrame({"USUBJID": ["S-1"], "TRTSDT": pd.to_datetime(["2024-03-15"]),
                         "LDSTDT": pd.to_datetime(["2024-03-10"])})
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": "S-1", "AESEQ": [1], "AEDECOD": ["Cytokine release syndrome"],
                       "AESTDTC": ["2024-03-16"], "ASTCT": ["Grade II"]})
    with caplog.at_level("WARNING", logger="adam.adae"):
        adae = create_adae(adsl, ae, params=StudyParameters(astct_grade_qnam="ASTCT"))
    assert adae["ASTCTGRN"].isna().all()
    assert "1 ASTCT grade(s) are not numbers ('Grade II')" in caplog.text
