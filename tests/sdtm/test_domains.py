"""SDTM domains of the hand-made fixture study (`fixture_study.py`) under the example spec, value by value.

Every expected value is computed by hand from the raw tables. Dates to keep in mind:
01-001 consent 2024-01-08, leukapheresis 01-18 08:30, lymphodepletion 02-05..02-07, CAR-T 02-10 11:30 (day 1),
lost to follow-up 04-15. 01-002 consent 01-15, leukapheresis 01-24 09:15, never infused, withdrew 03-01.
01-003 consent 01-05, leukapheresis 01-15 10:00, lymphodepletion 01-29..01-31, CAR-T 02-03 14:05, died 02-20.
"""

from __future__ import annotations

import csv
from dataclasses import replace

import pandas as pd
import pytest

from sdtm.study import build_sdtm
from specs.reader import read_spec
from tests.sdtm.fixture_study import RAW_TABLES, required_fields, write_fixture_study
from trialforge.example_study import example_spec
from trialforge.example_study.forms import FORMS, columns
from trialforge.raw import read_raw_study

S1, S2, S3, S99 = (f"MESOCART-PD1-01-{n}" for n in ("001", "002", "003", "099"))
ARMCD = "MESOCART"


@pytest.fixture(scope="module")
def spec():
    """The example spec, tolerating date failures: the fixture's planted bad dates are findings to check here."""
    example = read_spec(example_spec("sdtm"))
    return replace(example, sources=tuple(replace(s, date_failure_threshold=1.0) for s in example.sources))


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    return write_fixture_study(tmp_path_factory.mktemp("fixture_study"))


@pytest.fixture(scope="module")
def build(spec, study_dir):
    raw = {oid: form.frame for oid, form in read_raw_study(study_dir, required_fields()).items()}
    return build_sdtm(spec, raw)


def plain(value):
    """None for any kind of missing value, so expectations can be written as plain Python values."""
    return None if pd.isna(value) else value


def rows(frame: pd.DataFrame, variables: list[str], **where) -> list[tuple]:
    """The records matching `where` (variable=value), as tuples of `variables`, in frame order."""
    chosen = frame
    for variable, value in where.items():
        chosen = chosen[chosen[variable] == value]
    return [tuple(plain(v) for v in record) for record in chosen[variables].itertuples(index=False)]


def one(frame: pd.DataFrame, **where) -> pd.Series:
    chosen = frame
    for variable, value in where.items():
        chosen = chosen[chosen[variable] == value]
    assert len(chosen) == 1, f"{where}: {len(chosen)} records"
    return chosen.iloc[0]


# --- the fixture itself ------------------------------------------------------------------------------------------

def test_fixture_writes_every_form_with_exactly_its_columns(study_dir):
    for form in FORMS:
        with (study_dir / f"{form.oid.lower()}.csv").open(encoding="utf-8", newline="") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == columns(form)
        assert len(lines) - 1 == len(RAW_TABLES[form.oid])


# --- DM ----------------------------------------------------------------------------------------------------------

def test_dm_reference_dates(build):
    dm = build.domains["DM"]
    variables = ["USUBJID", "RFICDTC", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFPENDTC"]
    assert rows(dm, variables) == [
        # RFENDTC = end-of-study disposition (MT.DM.RFENDTC); RFXSTDTC = first lymphodepletion dose
        (S1, "2024-01-08", "2024-02-10T11:30", "2024-04-15", "2024-02-05", "2024-02-10", "2024-04-15"),
        (S2, "2024-01-15", None, "2024-03-01", None, None, "2024-03-01"),
        (S3, "2024-01-05", "2024-02-03T14:05", "2024-02-20", "2024-01-29", "2024-02-03", "2024-02-20"),
    ]


def test_dm_arms_death_and_demographics(build):
    dm = build.domains["DM"]
    variables = ["USUBJID", "ARMCD", "ACTARMCD", "ARMNRS", "ACTARMUD", "DTHDTC", "DTHFL"]
    assert rows(dm, variables) == [
        (S1, ARMCD, ARMCD, None, None, None, None),
        (S2, ARMCD, None, "ASSIGNED, NOT TREATED", None, None, None),
        (S3, ARMCD, ARMCD, None, None, "2024-02-20", "Y"),
    ]
    assert rows(dm, ["SUBJID", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "COUNTRY"]) == [
        ("01-001", "01", "1960", 63, "YEARS", "M", "ASIAN", "NOT HISPANIC OR LATINO", "CHN"),
        ("01-002", "01", "1955-03-25", 68, "YEARS", "F", "ASIAN", "NOT HISPANIC OR LATINO", "CHN"),
        ("01-003", "01", "1948-10-08", 75, "YEARS", "F", "ASIAN", "NOT HISPANIC OR LATINO", "CHN"),
    ]


def test_suppdm_has_one_record_per_subject_and_qualifier_without_idvar(build):
    supp = build.domains["SUPPDM"]
    assert rows(supp, ["QNAM", "QVAL"], USUBJID=S3) == [
        ("DTHCAUS", "Disease progression"), ("DXSTAGE", "Stage IV"), ("MSLNPCT", "40"), ("PRIORLN", "2"),
        ("PROTVER", "2.0")]
    assert sorted(supp.loc[supp["USUBJID"] == S1, "QNAM"]) == ["DXSTAGE", "MSLNPCT", "PRIORLN", "PROTVER"]
    assert supp["RDOMAIN"].eq("DM").all() and supp["IDVAR"].isna().all() and supp["IDVARVAL"].isna().all()


# --- study day, EX, SE and EPOCH ---------------------------------------------------------------------------------

def test_ex_study_days_count_from_the_infusion_as_day_one(build):
    ex = build.domains["EX"]
    # lymphodepletion on protocol days -5..-3 before a day-0 infusion: 02-05 - 02-10 = -5 (no shift before day 1)
    assert rows(ex, ["EXCAT", "EXTRT", "EXSTDTC", "EXSTDY", "EXENDY"], USUBJID=S1) == [
        ("LYMPHODEPLETION", "FLUDARABINE", "2024-02-05", -5, -5),
        ("LYMPHODEPLETION", "CYCLOPHOSPHAMIDE", "2024-02-05", -5, -5),
        ("LYMPHODEPLETION", "FLUDARABINE", "2024-02-06", -4, -4),  # raw "FLU"
        ("LYMPHODEPLETION", "CYCLOPHOSPHAMIDE", "2024-02-06", -4, -4),  # raw "Cy"
        ("LYMPHODEPLETION", "FLUDARABINE", "2024-02-07", -3, -3),
        ("LYMPHODEPLETION", "CYCLOPHOSPHAMIDE", "2024-02-07", -3, -3),
        ("CAR-T", "PD-1 AB-SECRETING MESOCAR-T CELLS", "2024-02-10T11:30", 1, 1),
    ]
    assert rows(ex, ["EXSTDY"], USUBJID=S3) == [(-5,), (-5,), (-4,), (-4,), (-3,), (-3,), (1,)]
    assert S2 not in set(ex["USUBJID"])
    infusion = one(ex, USUBJID=S1, EXCAT="CAR-T")
    assert (infusion["EXDOSE"], infusion["EXDOSU"], infusion["EXROUTE"], infusion["EXLOT"], infusion["EXENDTC"]) == (
        100, "10^6 Therapeutic Cells", "INTRAVENOUS", "MC24-0001", "2024-02-10")
    ld = ex[ex["EXCAT"] == "LYMPHODEPLETION"]
    assert set(ld["EXROUTE"]) == {"INTRAVENOUS"} and set(ld["EXDOSU"]) == {"mg/m2"}  # "IV", "Intravenous"
    assert ex["EPOCH"].eq("TREATMENT").all()
    # --SEQ follows the key variables (EXTRT, EXSTDTC), not the extract order
    assert rows(ex, ["EXSEQ"], USUBJID=S1) == [(4,), (1,), (5,), (2,), (6,), (3,), (7,)]


def test_day_before_infusion_is_minus_one_infusion_day_is_one_and_no_day_zero(build):
    ae = build.domains["AE"]
    assert rows(ae, ["AEDECOD", "AESTDTC", "AESTDY", "AEENDY"], USUBJID=S1) == [
        ("Fatigue", "2024-01-12", -29, -21),
        ("Nausea", "2024-02", None, 3),  # partial start: no study day
        ("Headache", "2024-02-09", -1, -1),
        ("Pyrexia", "2024-02-10", 1, 2),
        ("Cytokine release syndrome", "2024-02-11", 2, 5),
    ]
    for name, frame in build.domains.items():
        for column in (c for c in frame.columns if c.endswith("DY")):
            assert not frame[column].eq(0).any(), f"{name}.{column} has a day 0"


def test_never_infused_subject_has_no_study_days(build):
    for name, frame in build.domains.items():
        if "USUBJID" not in frame.columns:
            continue
        mine = frame[frame["USUBJID"] == S2]
        for column in (c for c in frame.columns if c.endswith("DY") and c != "VISITDY"):
            assert mine[column].isna().all(), f"{name}.{column} of {S2}"
    assert len(build.domains["SV"][build.domains["SV"]["USUBJID"] == S2]) == 3  # yet its visits are there


def test_subject_elements_start_where_the_spec_says(build, spec):
    se_row = next(r for r in spec.mappings_of("SE") if r.argument("starts"))
    assert se_row.argument("starts") == ("SCRN:DM.RFICDTC, APH:PR.PRSTDTC, LD:EX.EXSTDTC[EXCAT=LYMPHODEPLETION], "
                                         "CART:EX.EXSTDTC[EXCAT=CAR-T], FU:EX.EXSTDTC[EXCAT=CAR-T]+1")
    se = build.domains["SE"]
    variables = ["SESEQ", "ETCD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY"]
    assert rows(se, variables, USUBJID=S1) == [
        (1, "SCRN", "SCREENING", "2024-01-08", "2024-01-18T08:30", -33, -23),
        (2, "APH", "LEUKAPHERESIS", "2024-01-18T08:30", "2024-02-05", -23, -5),
        (3, "LD", "TREATMENT", "2024-02-05", "2024-02-10T11:30", -5, 1),
        (4, "CART", "TREATMENT", "2024-02-10T11:30", "2024-02-11", 1, 2),
        (5, "FU", "FOLLOW-UP", "2024-02-11", "2024-04-15", 2, 66),  # ends at RFPENDTC
    ]
    assert rows(se, variables, USUBJID=S2) == [
        (1, "SCRN", "SCREENING", "2024-01-15", "2024-01-24T09:15", None, None),
        (2, "APH", "LEUKAPHERESIS", "2024-01-24T09:15", "2024-03-01", None, None),
    ]
    assert rows(se, ["ETCD", "SESTDTC", "SEENDTC", "SEENDY"], USUBJID=S3)[-1] == ("FU", "2024-02-04", "2024-02-20", 18)


def test_epoch_of_records_before_and_after_lymphodepletion_and_infusion(build):
    ae, cm, lb, ds = (build.domains[n] for n in ("AE", "CM", "LB", "DS"))
    assert rows(ae, ["USUBJID", "AEDECOD", "EPOCH"]) == [
        (S1, "Fatigue", "SCREENING"),  # before leukapheresis
        (S1, "Nausea", None),  # partial date
        (S1, "Headache", "TREATMENT"),  # lymphodepletion element
        (S1, "Pyrexia", "TREATMENT"),  # infusion day: the CAR-T element, not the one ending that day
        (S1, "Cytokine release syndrome", "FOLLOW-UP"),  # the day after the infusion
        (S2, "Anaemia", "LEUKAPHERESIS"),
        (S3, "Sepsis", "FOLLOW-UP"),
        (S99, "Headache", None),  # no elements: not in DM
    ]
    assert rows(cm, ["CMTRT", "EPOCH"]) == [("Amlodipine", None), ("Omeprazole", "LEUKAPHERESIS"),
                                            ("Tocilizumab", "FOLLOW-UP")]
    assert rows(lb, ["VISIT", "EPOCH"], USUBJID=S1, LBTESTCD="CREAT") == [
        ("SCREENING", "SCREENING"), ("LYMPHODEPLETION", "TREATMENT"), ("DAY 7", "FOLLOW-UP"),
        ("UNSCHEDULED 7.01", "FOLLOW-UP")]
    assert rows(ds, ["DSDECOD", "EPOCH"], USUBJID=S1) == [
        ("INFORMED CONSENT OBTAINED", "SCREENING"), ("ELIGIBILITY CRITERIA MET", "SCREENING"),
        ("COMPLETED", "TREATMENT"), ("LOST TO FOLLOW-UP", "FOLLOW-UP")]
    epochs = set(build.domains["TA"]["EPOCH"])
    for name, frame in build.domains.items():
        if "EPOCH" in frame.columns:
            assert set(frame["EPOCH"].dropna()) <= epochs, name


# --- AE and SUPPAE -----------------------------------------------------------------------------------------------

def test_ae_grades_seriousness_outcome_and_ongoing(build):
    ae = build.domains["AE"]
    variables = ["AESEQ", "AEDECOD", "AETOXGR", "AESER", "AESDTH", "AEREL", "AEOUT", "AEENRTPT", "AEENTPT"]
    assert rows(ae, variables, USUBJID=S1)[4] == (
        1, "Cytokine release syndrome", "2", "Y", "N", "RELATED", "RECOVERED/RESOLVED", None, None)
    assert rows(ae, variables, USUBJID=S2) == [
        (1, "Anaemia", "2", "N", "N", "NOT RELATED", "NOT RECOVERED/NOT RESOLVED", "ONGOING", "END OF STUDY")]
    assert rows(ae, variables, USUBJID=S3) == [
        (1, "Sepsis", "5", "Y", "Y", "POSSIBLY RELATED", "FATAL", None, None)]
    assert rows(ae, ["AETOXGR"], AEDECOD="Pyrexia") == [("1",)]  # "Grade 1"
    # AESEQ by the key variables (AEDECOD, AESTDTC): CRS, Fatigue, Headache, Nausea, Pyrexia
    assert rows(ae, ["AESEQ"], USUBJID=S1) == [(2,), (4,), (3,), (5,), (1,)]


def test_suppae_records_point_at_their_parent_aeseq(build):
    ae, supp = build.domains["AE"], build.domains["SUPPAE"]
    crs = one(ae, USUBJID=S1, AEDECOD="Cytokine release syndrome")
    grade = one(supp, QNAM="AEASTCGR")
    assert (grade["USUBJID"], grade["RDOMAIN"], grade["IDVAR"], grade["IDVARVAL"]) == (S1, "AE", "AESEQ", "1")
    assert grade["IDVARVAL"] == str(crs["AESEQ"])
    assert (grade["QVAL"], grade["QLABEL"], grade["QORIG"]) == ("2", "ASTCT Consensus Grade", "Collected")
    # QVAL goes through the value-level codelist of its QNAM (ASTCTGR, AEREL)
    assert rows(supp, ["IDVARVAL", "QVAL"], USUBJID=S1, QNAM="AERELLD") == [
        ("1", "UNLIKELY RELATED"), ("2", "NOT RELATED"), ("3", "POSSIBLY RELATED"), ("4", "POSSIBLY RELATED"),
        ("5", "NOT RELATED")]
    parents = set(zip(ae["USUBJID"], ae["AESEQ"].astype(str), ae["__row"]))
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"], supp["__row"])) <= parents  # same raw record as the parent


# --- findings ----------------------------------------------------------------------------------------------------

def test_planted_problems_are_findings_naming_file_and_row_and_records_are_kept(build):
    found = {(f.dataset, f.variable, f.file, f.raw_row, f.value) for f in build.findings}
    assert {(f.source, f.row) for f in build.findings} == {("mapping", None)}  # the raw line, not a record
    assert found == {
        ("AE", "AEENDTC", "ae.csv", 9, "31 FEB 2024"),
        ("CM", "CMROUTE", "cm.csv", 3, "Per PEG"),
        ("AE", "USUBJID", "ae.csv", 10, S99),
        ("AE", "AERELLD", "ae.csv", 10, "Maybe"),  # a SUPPAE value goes through its value-level codelist
        ("MH", "MHSTDY", None, None, None),  # every fixture MH start date is partial: no study day at all
    }
    messages = {(f.dataset, f.variable): f.message for f in build.findings}
    assert "not a calendar date" in messages[("AE", "AEENDTC")]
    assert "codelist ROUTE" in messages[("CM", "CMROUTE")]
    assert "not in DM" in messages[("AE", "USUBJID")]
    assert "codelist AEREL" in messages[("AE", "AERELLD")]
    assert "null on every one of the 3 records" in messages[("MH", "MHSTDY")]
    assert S99 not in set(build.domains["SUPPAE"]["USUBJID"])  # its only qualifier did not map
    sepsis = one(build.domains["AE"], USUBJID=S3)
    assert (sepsis["AESTDTC"], plain(sepsis["AEENDTC"]), plain(sepsis["AEENDY"])) == ("2024-02-15", None, None)
    omeprazole = one(build.domains["CM"], CMTRT="Omeprazole")
    assert plain(omeprazole["CMROUTE"]) is None and omeprazole["CMSTDTC"] == "2024-01-25"
    assert rows(build.domains["AE"], ["AEDECOD", "AESTDTC"], USUBJID=S99) == [("Headache", "2024-03-01")]


# --- LB, CP, PC --------------------------------------------------------------------------------------------------

def test_lb_results_in_one_standard_unit_per_test_with_ranges_and_baseline(build, spec):
    lb = build.domains["LB"]
    units = {r.where.conditions[0].values[0]: r.argument("from") for r in spec.mappings_of("LB")
             if r.variable == "LBSTRESU"}
    assert (units["CREAT"], units["HGB"]) == ("mg/dL:88.4", "g/L:0.1")
    variables = ["VISITNUM", "LBORRES", "LBORRESU", "LBSTRESC", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI",
                 "LBNRIND", "LBLOBXFL"]
    assert rows(lb, variables, USUBJID=S1, LBTESTCD="CREAT") == [
        (1, "0.80", "mg/dL", "70.72", 70.72, "umol/L", 50.39, 98.12, "NORMAL", None),  # 0.57, 1.11 x 88.4
        (3, "75", "umol/L", "75", 75, "umol/L", 53, 97, "NORMAL", "Y"),  # LD day: pre-dose, last before RFXSTDTC
        (7, "1.50", "mg/dL", "132.6", 132.6, "umol/L", 50.39, 98.12, "HIGH", None),
        (7.01, "110", "umol/L", "110", 110, "umol/L", 53, 97, "HIGH", None),
    ]
    assert rows(lb, variables, USUBJID=S1, LBTESTCD="HGB") == [
        (1, "128", "g/L", "12.8", 12.8, "g/dL", 11.5, 16, "NORMAL", None),
        (3, "11.0", "g/dL", "11", 11, "g/dL", 11.5, 16, "LOW", "Y"),
        (7, "9.2", "g/dL", "9.2", 9.2, "g/dL", 11.5, 16, "LOW", None),
    ]
    # ALT not done on LD day: the screening value is the last one before exposure
    assert rows(lb, ["VISITNUM", "LBORRESU", "LBSTRESC", "LBSTAT", "LBREASND", "LBLOBXFL"], USUBJID=S1,
                LBTESTCD="ALT") == [(1, "U/L", "25", None, None, "Y"),
                                    (3, None, None, "NOT DONE", "Sample haemolysed", None)]
    assert rows(lb, ["LBLOBXFL"], USUBJID=S2) == [(None,)]  # never exposed: no baseline
    assert rows(lb, ["LBLOBXFL"], USUBJID=S3) == [("Y",), (None,)]
    assert lb.dropna(subset=["LBSTRESC"]).groupby("LBTESTCD")["LBSTRESU"].nunique().eq(1).all()
    assert rows(lb, ["LBTESTCD", "LBSPEC", "LBCAT"], USUBJID=S2) == [("CREAT", "SERUM", "CHEMISTRY")]


def test_cp_and_pc_keep_text_results_and_flag_the_pre_infusion_sample(build):
    cp, pc = build.domains["CP"], build.domains["PC"]
    assert rows(cp, ["VISITNUM", "CPTESTCD", "CPORRES", "CPSTRESC", "CPSTRESN", "CPSTRESU", "CPSTAT", "CPLOBXFL",
                     "CPDY"]) == [
        (3, "TLSTLY", "0", "0", 0, "%", None, "Y", -5),
        (7, "TLSTLY", "12.5", "12.5", 12.5, "%", None, None, 8),
        (8, "TLSTLY", None, None, None, None, "NOT DONE", None, 15),
    ]
    assert rows(pc, ["VISITNUM", "PCORRES", "PCORRESU", "PCSTRESC", "PCSTRESN", "PCSTRESU", "PCLLOQ", "PCDY"]) == [
        (3, "<LLOQ", "ug/L", "<LLOQ", None, "ug/L", 1.56, -5),  # ng/mL is CDISC's ug/L
        (7, "35.2", "ug/L", "35.2", 35.2, "ug/L", 1.56, 8),
        (8, "BLQ", "ug/L", "BLQ", None, "ug/L", 1.56, 15),
    ]


# --- visits ------------------------------------------------------------------------------------------------------

def test_sv_has_every_visit_including_the_unscheduled_one_between_d7_and_d14(build):
    sv = build.domains["SV"]
    variables = ["VISITNUM", "VISIT", "VISITDY", "SVSTDTC", "SVSTDY", "SVPRESP", "SVOCCUR"]
    assert rows(sv, variables, USUBJID=S1) == [
        (1, "SCREENING", -28, "2024-01-10", -31, "Y", "Y"),
        (2, "LEUKAPHERESIS", -21, "2024-01-18", -23, "Y", "Y"),
        (3, "LYMPHODEPLETION", -5, "2024-02-05", -5, "Y", "Y"),
        (4, "DAY 0", 1, "2024-02-10", 1, "Y", "Y"),
        (7, "DAY 7", 8, "2024-02-17", 8, "Y", "Y"),
        (7.01, "UNSCHEDULED 7.01", None, "2024-02-20", 11, None, None),  # SVOCCUR: planned visits only
        (8, "DAY 14", 15, "2024-02-24", 15, "Y", "Y"),
        (11, "WEEK 6", 43, "2024-03-23", 43, "Y", "Y"),
    ]
    assert rows(sv, ["VISITNUM", "SVOCCUR", "SVREASOC", "SVSTDTC"], USUBJID=S2)[-1] == (
        3, "N", "Product manufacturing failed", None)
    assert rows(sv, ["VISITNUM", "SVOCCUR", "SVREASOC", "SVSTDTC"], USUBJID=S3)[-1] == (
        11, "N", "Subject died", None)
    unscheduled = one(build.domains["LB"], VISITNUM=7.01)
    assert (unscheduled["VISIT"], plain(unscheduled["VISITDY"]), unscheduled["LBDY"]) == (
        "UNSCHEDULED 7.01", None, 11)


# --- tumours -----------------------------------------------------------------------------------------------------

def test_tu_identifies_baseline_and_new_lesions_only(build):
    tu = build.domains["TU"]
    assert rows(tu, ["TULNKID", "TUORRES", "TULOC", "TUMETHOD", "VISITNUM", "TUDTC", "TULOBXFL", "TUDY"]) == [
        ("T01", "TARGET", "PLEURA", "CT SCAN", 1, "2024-01-10", "Y", -31),
        ("T02", "TARGET", "MEDIASTINAL LYMPH NODE", "CT SCAN", 1, "2024-01-10", "Y", -31),  # raw "T2", "CT"
        ("NT01", "NON-TARGET", "PLEURAL CAVITY", "CT SCAN", 1, "2024-01-10", "Y", -31),
        ("NEW01", "NEW", "LIVER", "CT SCAN", 11, "2024-03-23", None, 43),
    ]


def test_tr_per_visit_and_rs_four_tests_linked_by_lnkgrp(build):
    tr, rs, tu = build.domains["TR"], build.domains["RS"], build.domains["TU"]
    variables = ["VISITNUM", "TRLNKID", "TRTESTCD", "TRORRES", "TRSTRESC", "TRSTRESN", "TRSTRESU", "TRLNKGRP",
                 "TRLOBXFL"]
    assert sorted(rows(tr, variables), key=lambda r: (r[0], r[2], r[1] or "")) == [
        (1, "T01", "LDIAM", "45", "45", 45, "mm", "V1", "Y"),
        (1, "T02", "LPERP", "18", "18", 18, "mm", "V1", "Y"),  # nodal target: short axis
        (1, "NT01", "TUMSTATE", "PRESENT", "PRESENT", None, None, "V1", "Y"),
        (11, "T01", "LDIAM", "38", "38", 38, "mm", "V11", None),
        (11, "T02", "LPERP", "TOO SMALL TO MEASURE", "5", 5, "mm", "V11", None),
        (11, None, "SUMDIAM", "43", "43", 43, "mm", "V11", None),
        (11, "NEW01", "TUMSTATE", "UNEQUIVOCAL", "UNEQUIVOCAL", None, None, "V11", None),
        (11, "NT01", "TUMSTATE", "PRESENT", "PRESENT", None, None, "V11", None),
    ]
    assert rows(rs, ["RSTESTCD", "RSORRES", "RSSTRESC", "RSLNKGRP", "VISITNUM", "RSDY"]) == [
        ("TRGRESP", "PR", "PR", "V11", 11, 43),
        ("NTRGRESP", "NON-CR/NON-PD", "NON-CR/NON-PD", "V11", 11, 43),
        ("NEWLIND", "Yes", "Y", "V11", 11, 43),
        ("OVRLRESP", "PD", "PD", "V11", 11, 43),
    ]
    assert set(tr.loc[tr["VISITNUM"] == 11, "TRLNKGRP"]) == set(rs["RSLNKGRP"])
    assert set(tr["TRLNKID"].dropna()) == set(tu["TULNKID"])
    assert one(tu, TULNKID="T01")["TULNKID"] == one(tr, TRLNKID="T01", VISITNUM=1)["TRLNKID"] == "T01"


def test_relrec_links_tu_tr_rs_at_dataset_level(build):
    relrec = build.domains["RELREC"]
    assert rows(relrec, ["RDOMAIN", "IDVAR", "RELTYPE", "RELID"]) == [
        ("TU", "TULNKID", "ONE", "TUTR"), ("TR", "TRLNKID", "MANY", "TUTR"),
        ("TR", "TRLNKGRP", "MANY", "TRRS"), ("RS", "RSLNKGRP", "ONE", "TRRS")]
    assert relrec["USUBJID"].isna().all() and relrec["IDVARVAL"].isna().all()


# --- DS, death, other domains ------------------------------------------------------------------------------------

def test_ds_milestones_and_dispositions(build):
    ds = build.domains["DS"]
    variables = ["DSSEQ", "DSCAT", "DSSCAT", "DSTERM", "DSDECOD", "DSSTDTC"]
    assert sorted(rows(ds, variables, USUBJID=S2)) == [
        (1, "PROTOCOL MILESTONE", None, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "2024-01-15"),
        (2, "PROTOCOL MILESTONE", None, "ELIGIBILITY CRITERIA MET", "ELIGIBILITY CRITERIA MET", "2024-01-22"),
        (3, "DISPOSITION EVENT", "STUDY TREATMENT", "Manufacturing failure", "MANUFACTURING FAILURE", "2024-02-20"),
        (4, "DISPOSITION EVENT", "STUDY PARTICIPATION", "Withdrew consent", "WITHDRAWAL OF CONSENT", "2024-03-01"),
    ]
    assert rows(ds, ["DSTERM", "DSDECOD", "DSSTDY"], USUBJID=S1, DSSCAT="STUDY TREATMENT") == [
        ("CAR-T INFUSED", "COMPLETED", 1)]
    assert rows(ds, ["DSDECOD", "DSSTDTC", "DSSTDY"], USUBJID=S3, DSSCAT="STUDY PARTICIPATION") == [
        ("DEATH", "2024-02-20", 18)]


def test_nothing_is_dated_after_death(build):
    death = "2024-02-20"
    for name, frame in build.domains.items():
        if "USUBJID" not in frame.columns:
            continue
        mine = frame[frame["USUBJID"] == S3]
        for column in (c for c in frame.columns if c.endswith("DTC")):
            assert (mine[column].dropna().str.slice(0, 10) <= death).all(), f"{name}.{column}"


def test_pr_mh_ie(build):
    assert rows(build.domains["PR"], ["USUBJID", "PRTRT", "PRSTDTC", "VISITNUM", "EPOCH", "PRSTDY"]) == [
        (S1, "LEUKAPHERESIS", "2024-01-18T08:30", 2, "LEUKAPHERESIS", -23),
        (S2, "LEUKAPHERESIS", "2024-01-24T09:15", 2, "LEUKAPHERESIS", None),
        (S3, "LEUKAPHERESIS", "2024-01-15T10:00", 2, "LEUKAPHERESIS", -19),
    ]
    assert rows(build.domains["MH"], ["MHTERM", "MHSCAT", "MHSTDTC"]) == [
        ("Malignant pleural mesothelioma", "MESOTHELIOMA", "2019-03"),
        ("Ovarian cancer", "OVARIAN CANCER", "2022-04-20"),
        ("Pancreatic adenocarcinoma", "PANCREATIC CANCER", "2022-11")]
    assert rows(build.domains["IE"], ["USUBJID", "IETESTCD", "IECAT", "IEORRES", "IESTRESC", "VISITNUM"]) == [
        (S3, "IN03", "INCLUSION", "N", "N", 1)]
    assert one(build.domains["IE"], USUBJID=S3)["IETEST"].startswith("Mesothelin expression in at least 50%")


def test_ts_values_derived_from_the_data(build):
    ts = build.domains["TS"]
    derived = {p: one(ts, TSPARMCD=p)["TSVAL"] for p in ("SSTDTC", "DCUTDTC", "ACTSUB")}
    # first consent (01-003), last date of participation (01-001), enrolled = assigned to the arm
    assert derived == {"SSTDTC": "2024-01-05", "DCUTDTC": "2024-04-15", "ACTSUB": "3"}
    # ongoing at the data cut-off: no study end date yet, said with a null flavour
    assert one(ts, TSPARMCD="ONGOSIND")["TSVAL"] == "Y"
    assert pd.isna(one(ts, TSPARMCD="SENDTC")["TSVAL"]) and one(ts, TSPARMCD="SENDTC")["TSVALNF"] == "NAV"


def test_a_completed_study_gets_its_end_date_from_the_data():
    from sdtm.study import fill_ts_from_data

    ts = pd.DataFrame({"TSPARMCD": ["SENDTC", "ONGOSIND"], "TSVAL": ["@data", "N"]})
    dm = pd.DataFrame({"RFICDTC": ["2024-01-05", "2024-01-09"], "RFPENDTC": ["2024-04-15T10:00", "2024-03"],
                       "ARMCD": ["A", None]})
    assert fill_ts_from_data(ts, {"DM": dm})["TSVAL"].tolist() == ["2024-04-15", "N"]


# --- reconciliation ----------------------------------------------------------------------------------------------

def test_every_raw_row_is_mapped_or_excluded_with_a_reason(build):
    table = build.reconciliation.set_index("form")
    assert set(table.index) == {f.oid for f in FORMS}
    assert (table["rows_read"] == table["rows_mapped"] + table["rows_excluded"]).all()
    assert table["rows_read"].to_dict() == {oid: len(rows_) for oid, rows_ in RAW_TABLES.items()}
    assert table.loc[table["rows_excluded"] > 0, "rows_excluded"].to_dict() == {"AE": 1, "IE": 2}
    excluded = build.exclusions
    assert len(excluded) == table["rows_excluded"].sum()
    assert excluded["reason"].notna().all() and excluded["reason"].str.strip().ne("").all()
    reasons = {(f, r): reason for f, r, reason in zip(excluded["__file"], excluded["__row"], excluded["reason"])}
    assert reasons[("ae.csv", 7)] == "exact duplicate of ae.csv row 6 (identical in every field the spec reads from AE)"
    assert "IEYN == 'No'" in reasons[("ie.csv", 2)] and "IEYN == 'No'" in reasons[("ie.csv", 3)]
    assert one(build.domains["AE"], USUBJID=S1, AEDECOD="Cytokine release syndrome")["__row"] == 6
