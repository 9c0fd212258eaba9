"""Operators on small hand-computed frames, ugly cases included."""

from __future__ import annotations

import pandas as pd
import pytest

from validation import operators
from validation.context import Cache, RuleContext, as_text, null_mask
from validation.datasets import datasets_from_frames
from validation.define import Define, DefineCodelist, DefineDataset, DefineVariable
from validation.engine import evaluate


def run(check: dict, dataset: str, frames: dict[str, pd.DataFrame], define: Define | None = None) -> list[bool]:
    datasets = datasets_from_frames(frames)
    ctx = RuleContext(datasets, define, Cache(), datasets[dataset], evaluate=evaluate)
    return evaluate(check, ctx).tolist()


@pytest.mark.parametrize("value, valid", [
    ("2024-03-15", True), ("2024-03", True), ("2024", True), ("2024-03-15T13:45", True),
    ("2024-03-15T13:45:30.5", True), ("2024-03-15T13:45:30+01:00", True), ("2024-03-15T13:45Z", True),
    ("2003---15", True), ("2003-12-15T-:15", True), ("2024-01-01/2024-01-10", True),
    ("15 MAR 2024", False), ("2024-3-15", False), ("2024-13-01", False), ("2023-02-29", False),
    ("2024-02-29", True), ("2024-03-15T", False), ("2024-03-15T25:00", False), ("2024-", False),
    ("20240315", False), ("2024-03-15 13:45", False),
])
def test_iso8601_validity(value, valid):
    frame = pd.DataFrame({"AESTDTC": [value]})
    assert run({"variable": "AESTDTC", "operator": "invalid_iso8601"}, "AE", {"AE": frame}) == [not valid]


@pytest.mark.parametrize("value, valid", [
    ("P2Y", True), ("P1DT2H", True), ("PT30M", True), ("P4W", True), ("-PT15M", True), ("P1.5D", True),
    ("P", False), ("PT", False), ("2 days", False), ("P1DT", False), ("1D", False),
])
def test_iso_duration_validity(value, valid):
    frame = pd.DataFrame({"TEDUR": [value]})
    assert run({"variable": "TEDUR", "operator": "invalid_iso_duration"}, "TE", {"TE": frame}) == [not valid]


def test_study_day_has_no_day_zero_and_ignores_partial_dates():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2024-03-10T09:00", "2024-03"]})
    lb = pd.DataFrame({"USUBJID": ["S1", "S1", "S1", "S1", "S2", "S9"],
                       "LBDTC": ["2024-03-10", "2024-03-09", "2024-03-11T23:59", "2024-03", "2024-03-20", "2024-03-20"],
                       "LBDY": [1, -1, 3, 5, 11, 11]})
    check = {"variable": "LBDY", "operator": "study_day_mismatch", "date": "LBDTC"}
    # day 3 is wrong (2 days after day 1 is day... 2024-03-11 is day 2); partial dates and unknown subjects skip
    assert run(check, "LB", {"DM": dm, "LB": lb}) == [False, False, True, False, False, False]


def test_study_day_against_a_date_on_the_same_record():
    adae = pd.DataFrame({"ASTDT": [23436.0, 23430.0], "TRTSDT": [23436.0, 23436.0], "ASTDY": [1.0, -5.0]})
    check = {"variable": "ASTDY", "operator": "study_day_mismatch", "date": "ASTDT",
             "reference": {"variable": "TRTSDT"}}
    assert run(check, "ADAE", {"ADAE": adae}) == [False, True]  # 6 days before is day -6


def test_date_order_compares_at_the_precision_both_sides_know():
    ae = pd.DataFrame({"AESTDTC": ["2024-03-14", "2024-04", "2024-03", "2024-03-14T10:00", "2024", "2025"],
                       "AEENDTC": ["2024-03-13", "2024-03-30", "2024-03-01", "2024-03-14", "", "2024-12-31"]})
    check = {"variable": "AESTDTC", "operator": "date_after", "other": "AEENDTC"}
    assert run(check, "AE", {"AE": ae}) == [True, True, False, False, False, True]


def test_date_after_death_uses_dm():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "DTHDTC": ["2024-05-02", ""]})
    ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S3"], "AESTDTC": ["2024-05-02", "2024-05-03", "2030", "2030"]})
    check = {"variable": "AESTDTC", "operator": "date_after_death"}
    assert run(check, "AE", {"DM": dm, "AE": ae}) == [False, True, False, False]


def _define_with_epoch(extended: list[str]) -> Define:
    variable = DefineVariable("EPOCH", "IT.AE.EPOCH", "text", 20, "Epoch", "CL.EPOCH", False, None, 1)
    return Define("d.xml", "2.1.0", (), {"AE": DefineDataset("AE", "IG.AE", "Adverse Events", "EVENTS", "SDTM",
                                                             (variable,))},
                  {"CL.EPOCH": DefineCodelist("CL.EPOCH", "Epoch", "C99079", frozenset(["SCREENING", *extended]),
                                              frozenset(extended))})


def test_extensible_codelist_accepts_extensions_declared_in_define():
    ae = pd.DataFrame({"EPOCH": ["SCREENING", "LEUKAPHERESIS", "MANUFACTURE", ""]})
    check = {"variable": "EPOCH", "operator": "not_in_codelist", "ct": "C99079"}
    assert run(check, "AE", {"AE": ae}) == [False, True, True, False]
    assert run(check, "AE", {"AE": ae}, _define_with_epoch(["LEUKAPHERESIS"])) == [False, False, True, False]


def test_non_extensible_codelist_ignores_declared_extensions():
    dm = pd.DataFrame({"SEX": ["F", "INTERSEX", "X"]})
    variable = DefineVariable("SEX", "IT.DM.SEX", "text", 1, "Sex", "CL.SEX", False, None, 1)
    define = Define("d.xml", "2.1.0", (), {"DM": DefineDataset("DM", "IG.DM", "", "", "SDTM", (variable,))},
                    {"CL.SEX": DefineCodelist("CL.SEX", "Sex", "C66731", frozenset(["F", "X"]), frozenset(["X"]))})
    check = {"variable": "SEX", "operator": "not_in_codelist", "ct": "C66731"}
    assert run(check, "DM", {"DM": dm}, define) == [False, False, True]  # INTERSEX is a CT term; X stays out


def test_numeric_results_are_not_checked_against_codelists():
    """metatools#57: a numeric --STRESC is a result, not a term."""
    rs = pd.DataFrame({"RSSTRESC": ["PR", "12", "0.5", "PARTIAL"]})
    check = {"variable": "RSSTRESC", "operator": "not_in_codelist", "ct": "C96785", "skip_numeric": True}
    assert run(check, "RS", {"RS": rs}) == [False, False, False, True]


def test_code_and_name_pairs_follow_the_nci_code():
    lb = pd.DataFrame({"LBTESTCD": ["ALB", "ALB", "ZZSPONS", "ALT"],
                       "LBTEST": ["Albumin", "Alanine Aminotransferase", "Sponsor test", ""]})
    check = {"variable": "LBTESTCD", "operator": "ct_pair_mismatch", "other": "LBTEST", "ct": "C65047",
             "ct_other": "C67154"}
    assert run(check, "LB", {"LB": lb}) == [False, True, False, False]


def test_one_to_one_relationship_flags_both_sides_of_a_conflict():
    sv = pd.DataFrame({"VISITNUM": [1, 1, 2, 3, 3], "VISIT": ["SCREEN", "SCREENING", "DAY 1", "DAY 7", ""]})
    check = {"variable": "VISITNUM", "operator": "is_not_unique_relationship", "other": "VISIT"}
    assert run(check, "SV", {"SV": sv}) == [True, True, False, False, False]


def test_lookup_joins_numbers_and_text_alike():
    """A numeric AESEQ must meet its text IDVARVAL and a numeric ADAE.AESEQ."""
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0]})
    adae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1.0, 3.0, 1.0]})
    check = {"variable": "AESEQ", "operator": "not_in_lookup", "by": ["USUBJID"], "lookup": {"dataset": "AE"}}
    assert run(check, "ADAE", {"AE": ae, "ADAE": adae}) == [False, True, True]
    supp = pd.DataFrame({"RDOMAIN": ["AE", "AE"], "USUBJID": ["S1", "S1"], "IDVAR": ["AESEQ", "AESEQ"],
                         "IDVARVAL": ["2", "2.0"]})
    assert run({"operator": "parent_record_missing"}, "SUPPAE", {"AE": ae, "SUPPAE": supp}) == [False, True]


def test_numeric_mismatch_between_stresc_and_stresn():
    lb = pd.DataFrame({"LBSTRESC": ["40", "40.0", "<0.1", "4e1", "41", ""], "LBSTRESN": [40, 40, None, 40, 40, None]})
    check = {"variable": "LBSTRESN", "operator": "numeric_mismatch", "other": "LBSTRESC"}
    assert run(check, "LB", {"LB": lb}) == [False, False, False, False, True, False]


def test_group_lacks_points_at_the_first_record_of_the_group():
    lb = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2"], "LBLOBXFL": ["", "", "", "Y"]})
    check = {"operator": "group_lacks", "by": ["USUBJID"], "where": {"variable": "LBLOBXFL", "operator": "equal_to",
                                                                      "value": "Y"}}
    assert run(check, "LB", {"LB": lb}) == [True, False, False, False]


def test_text_checks_for_ascii_blanks_and_bytes():
    cm = pd.DataFrame({"CMINDC": ["Fever", "Fièvre", " pain", ".", "a\tb", ""]})
    assert run({"variable": "CMINDC", "operator": "non_ascii"}, "CM", {"CM": cm}) == [False, True, False, False,
                                                                                     True, False]
    assert run({"variable": "CMINDC", "operator": "unexpected_characters"}, "CM", {"CM": cm}) == [
        False, False, True, True, True, False]
    assert run({"variable": "CMINDC", "operator": "longer_than", "value": 5, "bytes": True}, "CM", {"CM": cm}) == [
        False, True, False, False, False, False]


def test_equal_to_compares_numbers_numerically_and_never_matches_missing():
    tv = pd.DataFrame({"VISITDY": [0.0, None, 1.0], "VISIT": ["0", "", "X"]})
    assert run({"variable": "VISITDY", "operator": "equal_to", "value": 0}, "TV", {"TV": tv}) == [True, False, False]
    assert run({"variable": "VISIT", "operator": "not_equal_to", "value": "X"}, "TV", {"TV": tv}) == [True, True, False]


def test_null_mask_and_text_views():
    text = pd.Series(["a", "", "  ", " b", None], dtype="str")
    assert null_mask(text).tolist() == [False, True, True, False, True]
    numbers = pd.Series([1.0, 2.5, None, -3.0])
    assert as_text(numbers).tolist() == ["1", "2.5", "", "-3"]


def test_every_operator_is_documented():
    assert all(op.doc for op in operators.REGISTRY.values())
