"""ADLB and the CTCAE grading rule: small frames with hand-computed expectations."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from adam.adlb import compute_anrind, create_adlb
from adam.ctcae import compute_toxgr, load_criteria, resolve_terms
from adam.parameters import StudyParameters
from specs.errors import DerivationError

CRIT = load_criteria("4.0")
NA = np.nan


def grade(term, direction, aval, unit=None, lln=NA, uln=NA, base=NA, **extra):
    """Grade and reason of one value."""
    frame = pd.DataFrame({"AVAL": [aval], "AVALU": [unit], "ANRLO": [lln], "ANRHI": [uln], "BASE": [base],
                          **{k: [v] for k, v in extra.items()}})
    g, r = compute_toxgr(frame, pd.Series([term]), direction, CRIT)
    return (None if pd.isna(g[0]) else g[0]), (None if pd.isna(r[0]) else r[0])


# --- the criteria table --------------------------------------------------------------------------------


def test_criteria_table_loads_and_every_default_term_has_criteria():
    assert {"Anemia", "Creatinine increased", "Hypokalemia"} <= CRIT.term_names("L") | CRIT.term_names("H")
    mapping = resolve_terms(CRIT)
    assert mapping[("CREAT", "H")] == "Creatinine increased"
    assert mapping[("HGB", "L")] == "Anemia"


def test_term_overrides_replace_remove_and_reject_unknown_terms():
    mapping = resolve_terms(CRIT, ["LYM/L=CD4 lymphocytes decreased", "lym/H=", "CAION/H=Hypercalcemia "
                                                                               "(ionized calcium)"])
    assert mapping[("LYM", "L")] == "CD4 lymphocytes decreased"
    assert ("LYM", "H") not in mapping
    assert mapping[("CAION", "H")] == "Hypercalcemia (ionized calcium)"
    with pytest.raises(DerivationError) as err:
        resolve_terms(CRIT, ["ALT/H=Liver trouble", "ALT-H=Anemia", "HGB/L=Hemoglobin increased"])
    assert len(err.value.problems) == 3  # unknown term, malformed entry, term of the other direction


def test_unknown_ctcae_version_fails():
    with pytest.raises(DerivationError):
        load_criteria("9.9")


# --- ULN multiples, boundaries, missing limits ------------------------------------------------------------


@pytest.mark.parametrize(("aval", "expected"), [
    (40, "0"),  # exactly ULN: CTCAE grade 1 is "> ULN"
    (40.01, "1"),
    (120, "1"),  # exactly 3.0 x ULN stays grade 1
    (120.01, "2"),
    (200, "2"), (200.5, "3"), (800, "3"), (801, "4"),
])
def test_alt_grades_at_uln_multiples(aval, expected):
    assert grade("Alanine aminotransferase increased", "H", aval, "U/L", uln=40) == (expected, None)


def test_boundary_is_exact_despite_binary_fractions():
    # 3 x 0.1 is 0.30000000000000004 in binary: the value 0.3 is still "not above 3 x ULN"
    assert grade("Alanine aminotransferase increased", "H", 0.3, uln=0.1)[0] == "1"
    assert grade("Blood bilirubin increased", "H", 0.3, uln=0.1)[0] == "2"  # > 1.5 x, not > 3.0 x


def test_missing_uln_is_not_graded_and_says_why():
    assert grade("Alanine aminotransferase increased", "H", 500, "U/L") == (None, "no ULN")


def test_missing_value_is_not_graded():
    assert grade("Alanine aminotransferase increased", "H", NA, "U/L", uln=40) == (None, "no numeric result")


# --- absolute thresholds, units -------------------------------------------------------------------------


def test_absolute_grade_is_given_even_without_the_lln():
    assert grade("Anemia", "L", 4.5, "mmol/L") == ("3", None)  # < 4.9 mmol/L
    assert grade("Anemia", "L", 5.0, "mmol/L") == ("2", None)  # < 6.2 mmol/L
    assert grade("Anemia", "L", 7.0, "mmol/L") == (None, "no LLN")  # grade 0 or 1 depends on the LLN
    assert grade("Anemia", "L", 7.0, "mmol/L", lln=7.5) == ("1", None)
    assert grade("Anemia", "L", 7.5, "mmol/L", lln=7.5) == ("0", None)  # on the LLN is not below it


def test_units_convert_by_prefix_and_count_unit_only():
    assert grade("Anemia", "L", 9.5, "g/dL", lln=12) == ("2", None)  # < 10.0 g/dL
    assert grade("Anemia", "L", 95, "g/L", lln=120) == ("2", None)  # same in g/L
    assert grade("Platelet count decreased", "L", 60000, "/mm3", lln=150000) == ("2", None)
    assert grade("Platelet count decreased", "L", 60, "GI/L", lln=150) == ("2", None)
    assert grade("Hyperkalemia", "H", 5.8, "MMOL/L", uln=5.1) == ("2", None)  # units compare case-insensitively
    assert grade("Hyperuricemia", "H", 600, "umol/L", uln=420) == ("4", None)  # > 0.59 mmol/L


def test_unit_that_does_not_convert_is_not_graded():
    g, why = grade("Hypokalemia", "L", 12.0, "mg/dL", lln=3.5)  # potassium thresholds are in mmol/L only
    assert g is None and why.startswith("unit mg/dL not convertible")
    g, why = grade("Hemoglobin increased", "H", 9.0, "mmol/L", uln=10.0)  # CTCAE words the increase in g/dL
    assert g is None and "g/dL" in why
    g, why = grade("Hypocalcemia", "L", 2.1, None, lln=2.2)
    assert g is None and why.startswith("unit (none)")


def test_alt_needs_no_unit():
    assert grade("Alanine aminotransferase increased", "H", 130, None, uln=40) == ("2", None)


# --- baseline-relative criteria ------------------------------------------------------------------------


@pytest.mark.parametrize(("aval", "uln", "base", "expected"), [
    (80, 100, 50, ("2", None)),  # > 1.5 x baseline (75) though below the ULN
    (75, 100, 50, ("1", None)),  # exactly 1.5 x baseline: grade 1 (> 1 x baseline)
    (50, 100, 50, ("0", None)),  # equal to baseline, under the ULN
    (160, 100, NA, ("2", None)),  # > 1.5 x ULN: graded although the baseline is missing
    (90, 100, NA, (None, "no baseline")),  # could be > baseline: cannot say 0
    (90, NA, 80, ("1", None)),  # > baseline, no ULN
    (70, NA, 80, (None, "no ULN")),
    (700, 100, 300, ("4", None)),  # > 6 x ULN
    (310, 100, 100, ("3", None)),  # > 3 x baseline and > 3 x ULN
])
def test_creatinine_by_baseline_or_uln(aval, uln, base, expected):
    assert grade("Creatinine increased", "H", aval, "umol/L", uln=uln, base=base) == expected


def test_hemoglobin_increase_counts_from_baseline_when_baseline_is_above_uln():
    assert grade("Hemoglobin increased", "H", 195, "g/L", uln=160, base=170) == ("2", None)  # 25 over baseline
    assert grade("Hemoglobin increased", "H", 185, "g/L", uln=160, base=170) == ("1", None)  # 15 over baseline
    assert grade("Hemoglobin increased", "H", 185, "g/L", uln=160, base=150) == ("2", None)  # 25 over the ULN
    assert grade("Hemoglobin increased", "H", 185, "g/L", uln=160) == ("2", None)  # no baseline: the ULN
    assert grade("Hemoglobin increased", "H", 18.5, "g/dL", uln=16, base=15) == ("2", None)
    assert grade("Hemoglobin increased", "H", 160, "g/L", uln=160, base=150) == ("0", None)
    assert grade("Hemoglobin increased", "H", 200, "g/L", base=150) == (None, "no ULN")


def test_fibrinogen_decrease_from_baseline():
    assert grade("Fibrinogen decreased", "L", 1.5, "g/L", lln=2.0, base=2.0) == ("2", None)  # 25% decrease
    assert grade("Fibrinogen decreased", "L", 0.4, "g/L", lln=2.0, base=3.0) == ("4", None)  # < 50 mg/dL


# --- conditions and the worse of two grades sharing a range --------------------------------------------


def test_hyperglycemia_grades_1_and_2_need_a_fasting_value():
    assert grade("Hyperglycemia", "H", 10.0, "mmol/L", uln=6.1) == ("0", None)  # not fasting: 3-4 only
    assert grade("Hyperglycemia", "H", 10.0, "mmol/L", uln=6.1, LBFAST="Y") == ("2", None)
    assert grade("Hyperglycemia", "H", 15.0, "mmol/L", uln=6.1) == ("3", None)
    assert grade("Hyperglycemia", "H", 7.0, "mmol/L", LBFAST="Y") == (None, "no ULN")


def test_hypokalemia_below_lln_is_the_worse_grade():
    assert grade("Hypokalemia", "L", 3.2, "mmol/L", lln=3.5) == ("2", None)
    assert grade("Hypokalemia", "L", 2.9, "mmol/L", lln=3.5) == ("3", None)


def test_inr_baseline_rows_apply_on_anticoagulation_only():
    assert grade("INR increased", "H", 2.0, uln=1.2, base=1.1) == ("2", None)  # 1.67 x ULN
    assert grade("INR increased", "H", 3.0, uln=1.2, base=2.5, ANTICOAG="Y") == ("2", None)  # = 2.5 x ULN
    assert grade("INR increased", "H", 3.1, uln=1.2, base=2.5, ANTICOAG="Y") == ("3", None)  # > 2.5 x ULN
    assert grade("INR increased", "H", 2.6, uln=3.0, base=1.0, ANTICOAG="Y") == ("3", None)  # 2.6 x baseline
    assert grade("INR increased", "H", 2.6, uln=3.0, base=1.0) == ("0", None)


# --- ADLB ----------------------------------------------------------------------------------------------


def _lb(rows):
    columns = ["USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI",
               "LBDTC", "VISITNUM", "VISIT"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "STUDYID", "S1")
    frame.insert(1, "DOMAIN", "LB")
    frame["LBSTRESC"] = frame["LBSTRESN"].map(lambda v: None if pd.isna(v) else str(v))
    return frame


ADSL = pd.DataFrame({"STUDYID": "S1", "USUBJID": ["S1-01", "S1-02"], "SUBJID": ["01", "02"],
                     "TRTSDT": pd.to_datetime(["2024-01-10", "2024-02-01"]),
                     "TRTEDT": pd.to_datetime(["2024-01-10", "2024-02-01"]), "TRT01A": "CAR-T"})

LB = _lb([
    # subject 01 creatinine: screening, a baseline on TRTSDT without a value, then rises
    ("S1-01", 1, "CREAT", "Creatinine", 60.0, "umol/L", 45, 90, "2024-01-02", 1, "SCREENING"),
    ("S1-01", 2, "CREAT", "Creatinine", NA, "umol/L", 45, 90, "2024-01-10", 2, "DAY 1"),
    ("S1-01", 3, "CREAT", "Creatinine", 100.0, "umol/L", 45, 90, "2024-01-17", 3, "DAY 8"),
    ("S1-01", 4, "CREAT", "Creatinine", 200.0, "umol/L", 45, 90, "2024-01-24", 4, "DAY 15"),
    ("S1-01", 5, "CREAT", "Creatinine", 150.0, "umol/L", 45, 90, "2024-01-24T18:00", 4, "DAY 15"),
    # subject 01 potassium: baseline low (grade 2), then a value with no LLN, and one in mg/dL
    ("S1-01", 6, "K", "Potassium", 3.2, "mmol/L", 3.5, 5.1, "2024-01-09", 1, "SCREENING"),
    ("S1-01", 7, "K", "Potassium", 2.8, "mmol/L", NA, 5.1, "2024-01-17", 3, "DAY 8"),
    ("S1-01", 8, "K", "Potassium", 15.0, "mg/dL", NA, NA, "2024-01-24", 4, "DAY 15"),
    # subject 02 ALT: no baseline value at all; two grade-2 values tie for the worst
    ("S1-02", 1, "ALT", "Alanine Aminotransferase", 130.0, "U/L", 0, 40, "2024-02-08", 3, "DAY 8"),
    ("S1-02", 2, "ALT", "Alanine Aminotransferase", 150.0, "U/L", 0, 40, "2024-02-15", 4, "DAY 15"),
    ("S1-02", 3, "ALT", "Alanine Aminotransferase", 0.0, "U/L", 0, 40, "2024-01-20", 1, "SCREENING"),
])


@pytest.fixture(scope="module")
def adlb():
    return create_adlb(ADSL, LB).set_index(["USUBJID", "LBSEQ"])


def test_params_and_values(adlb):
    assert adlb.loc[("S1-01", 1), "PARAMCD"] == "CREAT"
    assert adlb.loc[("S1-01", 1), "PARAM"] == "Creatinine (umol/L)"
    assert adlb.loc[("S1-01", 3), "ADY"] == 8 and adlb.loc[("S1-01", 1), "ADY"] == -8
    assert len(adlb) == len(LB)  # every LB record, none dropped


def test_baseline_is_last_nonmissing_on_or_before_trtsdt(adlb):
    assert adlb.loc[("S1-01", 1), "ABLFL"] == "Y"  # the TRTSDT record has no value
    assert pd.isna(adlb.loc[("S1-01", 2), "ABLFL"])
    assert adlb.loc[("S1-01", 4), "BASE"] == 60.0
    assert adlb.loc[("S1-01", 4), "CHG"] == 140.0
    assert adlb.loc[("S1-01", 4), "PCHG"] == pytest.approx(233.333333)
    assert pd.isna(adlb.loc[("S1-01", 1), "CHG"])  # CHG on post-baseline records only
    assert adlb.loc[("S1-02", 3), "ABLFL"] == "Y" and adlb.loc[("S1-02", 3), "BASE"] == 0.0
    assert pd.isna(adlb.loc[("S1-02", 1), "PCHG"])  # BASE 0: no PCHG
    assert adlb.loc[("S1-02", 1), "CHG"] == 130.0


def test_creatinine_grades_use_baseline(adlb):
    assert adlb.loc[("S1-01", 1), "ATOXGRH"] == "0"
    assert adlb.loc[("S1-01", 3), "ATOXGRH"] == "2"  # 100 > 1.5 x 60 (and > ULN 90)
    assert adlb.loc[("S1-01", 4), "ATOXGRH"] == "3"  # 200 > 3 x 60
    assert adlb.loc[("S1-01", 4), "BTOXGRH"] == "0"
    assert adlb.loc[("S1-01", 4), "SHIFT3"] == "0 to 3"
    assert adlb.loc[("S1-01", 4), "SHIFT1"] == "NORMAL to HIGH"
    assert pd.isna(adlb.loc[("S1-01", 1), "SHIFT3"])  # not post-baseline
    assert adlb.loc[("S1-01", 1), "ATOXDSCH"] == "Creatinine increased"
    assert pd.isna(adlb.loc[("S1-01", 1), "ATOXDSCL"])


def test_potassium_missing_lln_and_unit_mismatch(adlb):
    assert adlb.loc[("S1-01", 6), "ATOXGRL"] == "2" and adlb.loc[("S1-01", 7), "BTOXGRL"] == "2"
    assert adlb.loc[("S1-01", 7), "ATOXGRL"] == "3"  # < 3.0 mmol/L needs no LLN
    assert pd.isna(adlb.loc[("S1-01", 8), "ATOXGRL"])  # mg/dL: not graded
    assert pd.isna(adlb.loc[("S1-01", 8), "ATOXGRH"])
    assert adlb.loc[("S1-01", 6), "ANRIND"] == "LOW" and adlb.loc[("S1-01", 7), "BNRIND"] == "LOW"
    # a range with one limit is one-sided: 2.8 is under no LLN, and not above the ULN
    assert adlb.loc[("S1-01", 7), "ANRIND"] == "NORMAL"


def test_ungradable_values_are_counted_in_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="adam.adlb"):
        create_adlb(ADSL, LB)
    text = caplog.text
    assert "ADLB K: 1 value(s) without a CTCAE grade for low values (ATOXGRL): unit mg/dL" in text
    assert "ADLB K: 1 value(s) without a CTCAE grade for high values (ATOXGRH): unit mg/dL" in text
    assert "PARAMCD K has 2 PARAMs" in text


def test_flags(adlb):
    # worst post-baseline grade: ALT 130 and 150 are both grade 2; the earlier one is flagged
    assert adlb.loc[("S1-02", 1), "WGRHIFL"] == "Y" and pd.isna(adlb.loc[("S1-02", 2), "WGRHIFL"])
    assert adlb.loc[("S1-01", 4), "WGRHIFL"] == "Y"
    assert adlb.loc[("S1-01", 7), "WGRLOFL"] == "Y"
    assert pd.isna(adlb.loc[("S1-01", 6), "WGRLOFL"])  # baseline is not post-baseline
    assert adlb.loc[("S1-01", 3), "ONTRTFL"] == "Y" and pd.isna(adlb.loc[("S1-01", 2), "ONTRTFL"])
    # ANL01FL: baseline, and the last of the two DAY 15 creatinine values (the later time)
    assert adlb.loc[("S1-01", 1), "ANL01FL"] == "Y"
    assert adlb.loc[("S1-01", 5), "ANL01FL"] == "Y" and pd.isna(adlb.loc[("S1-01", 4), "ANL01FL"])


def test_baseline_from_sdtm_flag_and_ontreatment_window():
    lb = LB.assign(LBBLFL=np.where(LB["LBSEQ"].eq(6) & LB["USUBJID"].eq("S1-01"), "Y", None))
    params = StudyParameters().replace({"lab_baseline_flag": "LBBLFL", "lab_ontrt_window_days": 7})
    out = create_adlb(ADSL, lb, params).set_index(["USUBJID", "LBSEQ"])
    assert out.loc[("S1-01", 6), "ABLFL"] == "Y"
    assert out["ABLFL"].eq("Y").sum() == 1  # only potassium has a flagged baseline
    assert out.loc[("S1-01", 3), "ONTRTFL"] == "Y"  # day 8 = TRTEDT + 7
    assert pd.isna(out.loc[("S1-01", 4), "ONTRTFL"])  # day 15 is outside the window


def test_anrind():
    value = pd.Series([1.0, 5.0, 10.0, NA, 5.0, 5.0])
    low = pd.Series([2.0, 2.0, 2.0, 2.0, NA, NA])
    high = pd.Series([8.0, 8.0, 8.0, 8.0, 4.0, NA])
    assert compute_anrind(value, low, high).tolist()[:3] == ["LOW", "NORMAL", "HIGH"]
    result = compute_anrind(value, low, high)
    assert pd.isna(result[3]) and result[4] == "HIGH" and pd.isna(result[5])


def test_required_input_missing_fails():
    with pytest.raises(DerivationError):
        create_adlb(ADSL, LB.drop(columns=["LBSTRESN"]))
