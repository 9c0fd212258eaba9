import pandas as pd
import pytest

from sdtm.engine import DomainContext, map_domain, raw_exclusions
from sdtm.steps import STEPS
from specs.errors import MappingError
from tests.sdtm.spec_builder import RAVE_STYLE, codelist, dataset, listed, mapping, spec, trial_table, variable


def raw(rows, columns):
    frame = pd.DataFrame(rows, columns=columns)
    frame["__file"] = "form.csv"
    frame["__row"] = range(2, len(frame) + 2)
    return frame


AE_RAW = raw([
    ["01-001", "LOG", "", "Fever", "Yes", "UN JAN 2024", "Related"],
    ["01-001", "LOG", "", "Fever", "Yes", "UN JAN 2024", "Related"],      # exact duplicate entry
    ["01-002", "LOG", "", "Rash", "No", "31 FEB 2024", "maybe"],         # bad date, unmapped term
    ["01-002", "LOG", "", "", "", "", ""],                               # blank row: excluded by select
], ["Subject", "Folder", "InstanceName", "AETERM", "AESER", "AESTDAT", "AEREL"])

AE_SPEC = spec(
    datasets=[dataset("AE", ["STUDYID", "USUBJID", "AETERM", "AESTDTC"])],
    variables=[variable("AE", v, i, codelist={"AESER": "NY", "AEREL": "REL"}.get(v)) for i, v in
               enumerate(["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AESER", "AEREL", "AESTDTC"], 1)],
    codelists=[codelist("NY", ("Y", "C49488", ["Yes"]), ("N", "C49487", [])),
               codelist("REL", ("RELATED", None, ["Related"]), ("NOT RELATED", None, []))],
    mappings=[
        mapping("AE", "AETERM", "AE", None, "select", "reason=blank log line", condition="AETERM is not null"),
        mapping("AE", "STUDYID", "AE", None, "hardcode_no_ct", "value=STUDY1"),
        mapping("AE", "DOMAIN", "AE", None, "hardcode_no_ct", "value=AE"),
        mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct"),
        mapping("AE", "AESER", "AE", "AESER", "assign_ct"),
        mapping("AE", "AEREL", "AE", "AEREL", "assign_ct"),
        mapping("AE", "AESTDTC", "AE", "AESTDAT", "assign_datetime"),
        mapping("AE", "USUBJID", None, None, "derive", "function=usubjid"),
        mapping("AE", "AESEQ", None, None, "derive", "function=seq"),
    ])


def test_domain_from_spec_with_exclusions_duplicates_and_findings():
    ctx = DomainContext(spec=AE_SPEC, raw={"AE": AE_RAW})
    result = map_domain("AE", ctx, STEPS)
    frame = result.frame
    assert frame["USUBJID"].tolist() == ["STUDY1-01-001", "STUDY1-01-002"]
    assert frame["AESER"].tolist() == ["Y", "N"]
    assert listed(frame["AESTDTC"]) == ["2024-01", None]
    assert listed(frame["AEREL"]) == ["RELATED", None]
    assert frame["AESEQ"].tolist() == [1, 1]
    assert frame["__row"].tolist() == [2, 4]
    reasons = dict(zip(result.exclusions["__row"], result.exclusions["reason"]))
    assert reasons == {5: "blank log line"}
    duplicates = raw_exclusions(AE_SPEC, {"AE": AE_RAW})
    assert duplicates["__row"].tolist() == [3] and duplicates["reason"].str.startswith(
        "exact duplicate of form.csv row 2").all()
    messages = {(f.variable, f.raw_row): f.message for f in ctx.findings}
    assert "'maybe' is not a term of codelist REL" in messages[("AEREL", 4)]
    assert "not a calendar date" in messages[("AESTDTC", 4)]
    kinds = {f.variable: (f.rule_id, f.source, f.dataset, f.file, f.row) for f in ctx.findings}
    assert kinds == {"AEREL": ("TF-MAP-CT", "mapping", "AE", "form.csv", None),
                     "AESTDTC": ("TF-MAP-VAL", "mapping", "AE", "form.csv", None)}


def test_vertical_records_from_a_horizontal_form():
    rs_raw = raw([["01-001", "W6", "Week 6", "PR", "SD"]], ["Subject", "Folder", "InstanceName", "TRGRESP", "OVRLRESP"])
    rs_spec = spec(
        datasets=[dataset("RS")],
        variables=[variable("RS", v, i) for i, v in enumerate(["RSTESTCD", "RSORRES"], 1)],
        mappings=[
            mapping("RS", "RSTESTCD", "RS", None, "hardcode_no_ct", "value=TRGRESP", where="RSTESTCD EQ TRGRESP"),
            mapping("RS", "RSORRES", "RS", "TRGRESP", "assign_no_ct", where="RSTESTCD EQ TRGRESP"),
            mapping("RS", "RSTESTCD", "RS", None, "hardcode_no_ct", "value=OVRLRESP", where="RSTESTCD EQ OVRLRESP"),
            mapping("RS", "RSORRES", "RS", "OVRLRESP", "assign_no_ct", where="RSTESTCD EQ OVRLRESP"),
        ])
    result = map_domain("RS", DomainContext(spec=rs_spec, raw={"RS": rs_raw}), STEPS)
    assert result.frame[["RSTESTCD", "RSORRES"]].values.tolist() == [["TRGRESP", "PR"], ["OVRLRESP", "SD"]]
    assert result.frame["__row"].tolist() == [2, 2]


def test_join_by_subject_and_conditional_values():
    dm_raw = raw([["01-001", "M"], ["01-002", "F"]], ["Subject", "SEX"])
    enr_raw = raw([["01-001", "12 JAN 2024"]], ["Subject", "ICDAT"])
    dm_spec = spec(
        datasets=[dataset("DM")],
        variables=[variable("DM", v, i) for i, v in enumerate(["SEX", "RFICDTC", "SEXNOTE"], 1)],
        mappings=[
            mapping("DM", "SEX", "DM", "SEX", "assign_no_ct"),
            mapping("DM", "SEXNOTE", "DM", None, "hardcode_no_ct", "value=female", condition="SEX == 'F'"),
            mapping("DM", "RFICDTC", "ENR", "ICDAT", "assign_datetime", "join=subject"),
        ])
    result = map_domain("DM", DomainContext(spec=dm_spec, raw={"DM": dm_raw, "ENR": enr_raw}), STEPS)
    assert listed(result.frame["RFICDTC"]) == ["2024-01-12", None]
    assert listed(result.frame["SEXNOTE"]) == [None, "female"]
    assert result.joined_rows["__row"].tolist() == [2]


def test_unknown_step_and_missing_field_are_mapping_errors():
    bad = spec(datasets=[dataset("AE")], variables=[variable("AE", "AETERM", 1)],
               mappings=[mapping("AE", "AETERM", "AE", "NOPE", "assign_no_ct")])
    with pytest.raises(MappingError, match="reads field 'NOPE'"):
        map_domain("AE", DomainContext(spec=bad, raw={"AE": AE_RAW}), STEPS)
    bad = spec(datasets=[dataset("AE")], variables=[variable("AE", "AETERM", 1)],
               mappings=[mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct"),
                         mapping("AE", "AESEQ", None, None, "derive", "function=magic")])
    with pytest.raises(MappingError, match="unknown function 'magic'"):
        map_domain("AE", DomainContext(spec=bad, raw={"AE": AE_RAW}), STEPS)


def test_value_level_codelist_governs_each_record_set():
    from tests.sdtm.spec_builder import value_level

    rs_raw = raw([["01-001", "Partial response", "yes"]], ["Subject", "OVRLRESP", "NEWLIND"])
    vlm = [value_level("RS", "RSSTRESC", "RSTESTCD EQ OVRLRESP", codelist="OVR"),
           value_level("RS", "RSSTRESC", "RSTESTCD EQ NEWLIND", codelist="NY")]
    rs_spec = spec(
        datasets=[dataset("RS")],
        variables=[variable("RS", "RSTESTCD", 1), variable("RS", "RSSTRESC", 2)],
        codelists=[codelist("OVR", ("PR", None, ["Partial response"]), ("CR", None, [])),
                   codelist("NY", ("Y", None, ["yes"]), ("N", None, []))],
        value_level=vlm,
        mappings=[
            mapping("RS", "RSTESTCD", "RS", None, "hardcode_no_ct", "value=OVRLRESP", where="RSTESTCD EQ OVRLRESP"),
            mapping("RS", "RSSTRESC", "RS", "OVRLRESP", "assign_ct", where="RSTESTCD EQ OVRLRESP"),
            mapping("RS", "RSTESTCD", "RS", None, "hardcode_no_ct", "value=NEWLIND", where="RSTESTCD EQ NEWLIND"),
            mapping("RS", "RSSTRESC", "RS", "NEWLIND", "assign_ct", where="RSTESTCD EQ NEWLIND"),
        ])
    ctx = DomainContext(spec=rs_spec, raw={"RS": rs_raw})
    result = map_domain("RS", ctx, STEPS)
    assert result.frame[["RSTESTCD", "RSSTRESC"]].values.tolist() == [["OVRLRESP", "PR"], ["NEWLIND", "Y"]]
    assert ctx.findings == []


def test_a_form_whose_rows_are_all_excluded_gives_an_empty_domain_with_its_columns():
    ie_raw = raw([["01-001", "Yes", ""]], ["Subject", "IEYN", "IETESTCD"])
    ie_spec = spec(
        datasets=[dataset("IE")],
        variables=[variable("IE", v, i) for i, v in enumerate(["USUBJID", "IETESTCD", "IESEQ"], 1)],
        mappings=[mapping("IE", "IETESTCD", "IE", "IETESTCD", "assign_no_ct", condition="IEYN == 'No'"),
                  mapping("IE", "USUBJID", "IE", "Subject", "derive", "function=usubjid"),
                  mapping("IE", "IESEQ", None, None, "derive", "function=seq")])
    result = map_domain("IE", DomainContext(spec=ie_spec, raw={"IE": ie_raw}), STEPS)
    assert result.frame.empty and {"IETESTCD", "USUBJID", "IESEQ"} <= set(result.frame.columns)
    assert result.exclusions["reason"].str.contains("IEYN == 'No'").all()


def test_first_by_keeps_the_earliest_identification_only():
    nl_raw = raw([["01-001", "W12", "NEW01", "12 MAR 2024"], ["01-001", "W6", "NEW01", "01 FEB 2024"],
                  ["01-001", "W12", "NEW02", "12 MAR 2024"]], ["Subject", "Folder", "NLNUM", "NLDAT"])
    tu_spec = spec(
        datasets=[dataset("TU")],
        variables=[variable("TU", "TUTESTCD", 1), variable("TU", "TULNKID", 2)],
        mappings=[mapping("TU", "TUTESTCD", "NL", None, "hardcode_no_ct",
                          "value=TUMIDENT; first_by=Subject, NLNUM; order=NLDAT"),
                  mapping("TU", "TULNKID", "NL", "NLNUM", "assign_no_ct")])
    result = map_domain("TU", DomainContext(spec=tu_spec, raw={"NL": nl_raw}), STEPS)
    assert sorted(zip(result.frame["TULNKID"], result.frame["__row"])) == [("NEW01", 3), ("NEW02", 4)]
    assert result.exclusions["__row"].tolist() == [2]
    assert "already recorded" in result.exclusions["reason"].iloc[0]


# --- issue 9: all-empty records, one record per subject, numbers and dates that cannot be true -----------------

import dataclasses  # noqa: E402
from datetime import date  # noqa: E402

from sdtm.engine import EMPTY_RECORD, empty_records, raw_exclusions  # noqa: E402


def _subject_level(name):
    return dataclasses.replace(dataset(name), structure="One record per subject")


DM_SPEC = spec(
    datasets=[_subject_level("DM")],
    variables=[variable("DM", v, i) for i, v in enumerate(["USUBJID", "AGE", "SEX", "BRTHDTC"], 1)],
    mappings=[mapping("DM", "AGE", "DM", "AGE", "assign_numeric"),
              mapping("DM", "SEX", "DM", "SEX", "assign_no_ct"),
              mapping("DM", "BRTHDTC", "DM", "BRTHDAT", "assign_datetime"),
              mapping("DM", "USUBJID", None, None, "derive", "function=usubjid")])
DM_COLUMNS = ["Subject", "Folder", "AGE", "SEX", "BRTHDAT"]


def test_all_empty_records_make_no_record_and_are_excluded_with_a_reason():
    source = raw([["01-001", "SCR", "60", "M", ""], ["", "", "", "", ""], ["  ", "", " ", "", ""],
                  ["01-002", "SCR", "", "", ""]], DM_COLUMNS)
    assert empty_records(source).tolist() == [False, True, True, False]
    result = map_domain("DM", DomainContext(spec=DM_SPEC, raw={"DM": source}), STEPS)
    assert result.frame["__row"].tolist() == [2, 5]
    excluded = raw_exclusions(DM_SPEC, {"DM": source})
    assert excluded["__row"].tolist() == [3, 4] and set(excluded["reason"]) == {EMPTY_RECORD}


def test_two_different_records_for_one_subject_in_a_subject_level_dataset_is_an_error():
    source = raw([["01-001", "SCR", "60", "M", ""], ["01-002", "SCR", "50", "F", ""],
                  ["01-001", "SCR", "61", "M", ""]], DM_COLUMNS)
    with pytest.raises(MappingError) as caught:
        map_domain("DM", DomainContext(spec=DM_SPEC, raw={"DM": source}), STEPS)
    (problem,) = caught.value.problems
    assert problem.file == "form.csv" and problem.column == "Subject" and problem.row == 4
    assert "'01-001'" in problem.message and "rows 2, 4" in problem.message and "AGE" in problem.message


def test_identical_records_for_one_subject_are_an_exact_duplicate():
    source = raw([["01-001", "SCR", "60", "M", ""], ["01-001", "SCR", "60", "M", ""]], DM_COLUMNS)
    result = map_domain("DM", DomainContext(spec=DM_SPEC, raw={"DM": source}), STEPS)
    assert result.frame["__row"].tolist() == [2]
    assert raw_exclusions(DM_SPEC, {"DM": source})["reason"].tolist() == [
        "exact duplicate of form.csv row 2 (identical in every field the spec reads from DM)"]


def test_duplicates_are_decided_on_the_raw_values_before_any_transformation():
    """Two different collected dates that both fail to parse map to the same (null) AESTDTC: not duplicates;
    a field the spec does not read (an EDC record position) does not make two entries different."""
    source = raw([["01-001", "SCR", "60", "M", "31 FEB 2024"], ["01-001", "SCR", "60", "M", "30 FEB 2024"]],
                 DM_COLUMNS)
    assert raw_exclusions(DM_SPEC, {"DM": source}).empty
    with pytest.raises(MappingError, match="differ in BRTHDTC|has 2 records"):
        map_domain("DM", DomainContext(spec=DM_SPEC, raw={"DM": source}), STEPS)
    ae = raw([["01-001", "Fever", "1"], ["01-001", "Fever", "2"]], ["Subject", "AETERM", "RecordPosition"])
    ae_spec = spec(datasets=[dataset("AE", ["USUBJID", "AETERM"])],
                   variables=[variable("AE", v, i) for i, v in enumerate(["USUBJID", "AETERM"], 1)],
                   mappings=[mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct"),
                             mapping("AE", "USUBJID", None, None, "derive", "function=usubjid")])
    excluded = raw_exclusions(ae_spec, {"AE": ae})
    assert excluded["__row"].tolist() == [3] and "duplicate of form.csv row 2" in excluded["reason"].iloc[0]
    assert map_domain("AE", DomainContext(spec=ae_spec, raw={"AE": ae}), STEPS).frame["__row"].tolist() == [2]


def test_records_identical_once_mapped_from_different_raw_records_are_kept_with_a_warning():
    ae = raw([["01-001", "Fever", "x"], ["01-001", "Fever", "y"]], ["Subject", "AETERM", "AECOMMENT"])
    ae_spec = spec(datasets=[dataset("AE", ["USUBJID", "AETERM"])],
                   variables=[variable("AE", v, i) for i, v in enumerate(["USUBJID", "AETERM"], 1)],
                   mappings=[mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct"),
                             mapping("AE", "AECOMMENT", "AE", "AECOMMENT", "not_submitted", "reason=free text"),
                             mapping("AE", "USUBJID", None, None, "derive", "function=usubjid")])
    ctx = DomainContext(spec=ae_spec, raw={"AE": ae})
    assert map_domain("AE", ctx, STEPS).frame["__row"].tolist() == [2, 3]
    (finding,) = ctx.findings
    assert finding.severity == "warning" and finding.raw_row == 3 and "raw row 2" in finding.message


@pytest.mark.parametrize("age, words", [("1e400", "too large"), ("-1e400", "too large"), ("inf", "not a finite"),
                                        ("nan", "not a finite"), ("1e-400", "too small"), ("sixty", "not a number")])
def test_assigned_numbers_no_dataset_can_hold_are_null_with_a_finding(age, words):
    source = raw([["01-001", "SCR", age, "M", ""], ["01-002", "SCR", "0", "F", ""]], DM_COLUMNS)
    ctx = DomainContext(spec=DM_SPEC, raw={"DM": source})
    frame = map_domain("DM", ctx, STEPS).frame
    assert pd.isna(frame["AGE"][0]) and frame["AGE"][1] == 0.0
    (finding,) = ctx.findings
    assert (finding.variable, finding.file, finding.raw_row, finding.value) == ("AGE", "form.csv", 2, age)
    assert words in finding.message


@pytest.mark.parametrize("collected, iso, words", [("UNK-UNK-1850", "1850", "before 1900"),
                                                   ("12 JAN 2099", "2099-01-12", "after the build date 2025-06-30")])
def test_dates_that_cannot_be_true_are_kept_with_a_warning(collected, iso, words):
    source = raw([["01-001", "SCR", "60", "M", collected]], DM_COLUMNS)
    ctx = DomainContext(spec=DM_SPEC, raw={"DM": source}, today=date(2025, 6, 30))
    frame = map_domain("DM", ctx, STEPS).frame
    assert frame["BRTHDTC"].tolist() == [iso]
    (finding,) = ctx.findings
    assert finding.severity == "warning" and words in finding.message and finding.value == collected


def test_invalid_time_keeps_the_date_and_is_a_finding_showing_date_and_time():
    lb_spec = spec(datasets=[dataset("LB")], variables=[variable("LB", "LBDTC", 1)],
                   mappings=[mapping("LB", "LBDTC", "LB", "LBDAT", "assign_datetime", "time=LBTIM")])
    source = raw([["01-001", "05 MAR 2024", "25:99"], ["01-001", "2024-03-06T08:15", ""]], ["Subject", "LBDAT", "LBTIM"])
    ctx = DomainContext(spec=lb_spec, raw={"LB": source})
    frame = map_domain("LB", ctx, STEPS).frame
    assert listed(frame["LBDTC"]) == ["2024-03-05", "2024-03-06T08:15"]
    (finding,) = ctx.findings
    assert finding.raw_row == 2 and finding.value == "05 MAR 2024 25:99" and "hour 25" in finding.message


def test_expressions_in_source_field_and_condition_with_their_problems_as_findings():
    vs_raw = raw([["01-001", "  72.5 ", "kg", "Yes"], ["01-002", "heavy", "kg", "Yes"], ["01-003", "80", "lb", "No"],
                  ["01-004", "", "kg", "Yes"]], ["Subject", "WEIGHT", "WTU", "DONE"])
    vs_spec = spec(
        datasets=[dataset("VS")],
        variables=[variable("VS", v, i) for i, v in enumerate(["VSORRES", "VSORRESU", "VSSTRESN", "VSTEST"], 1)],
        mappings=[
            mapping("VS", "VSORRES", "VS", "strip(WEIGHT)", "assign_no_ct", condition="DONE == 'Yes'"),
            mapping("VS", "VSORRESU", "VS", "upper(WTU)", "assign_no_ct"),
            mapping("VS", "VSSTRESN", "VS", "round(number(WEIGHT) * if(WTU == 'lb', 0.4536, 1), 1)",
                    "assign_numeric"),
            mapping("VS", "VSTEST", "VS", None, "hardcode_no_ct", "value=Weight", condition="number(WEIGHT) > 75"),
        ])
    ctx = DomainContext(spec=vs_spec, raw={"VS": vs_raw})
    frame = map_domain("VS", ctx, STEPS).frame
    assert listed(frame["VSORRES"]) == ["72.5", "heavy", None, None]
    assert listed(frame["VSORRESU"]) == ["KG", "KG", "LB", "KG"]
    assert listed(frame["VSSTRESN"]) == [72.5, None, 36.3, None]
    assert listed(frame["VSTEST"]) == [None, None, "Weight", None]
    found = sorted((f.variable, f.raw_row, f.values[0], f.message) for f in ctx.findings)
    assert found == [
        ("VSSTRESN", 3, "WEIGHT=heavy; WTU=kg", "'heavy' is not a number (in number(WEIGHT))"),
        ("VSTEST", 3, "heavy", "'heavy' is not a number (in number(WEIGHT))"),
    ]


def test_a_condition_naming_a_missing_field_is_a_mapping_error_naming_the_columns():
    bad = spec(datasets=[dataset("AE")], variables=[variable("AE", "AETERM", 1)],
               mappings=[mapping("AE", "AETERM", "AE", "AETERM", "assign_no_ct", condition="aeser == 'Yes'")])
    with pytest.raises(MappingError, match="the Condition aeser == 'Yes' names field 'aeser', which form AE does not "
                                           "have .columns: Subject, Folder, InstanceName, AETERM, AESER"):
        map_domain("AE", DomainContext(spec=bad, raw={"AE": AE_RAW}), STEPS)


# --- issue 11: a study with its own column names, declared in the Sources sheet -------------------------------

def test_subject_visit_and_dates_come_from_the_columns_and_formats_the_sources_sheet_declares():
    """Pilot-style raw vitals: PATNUM, INSTANCE, dotted names, US dates, a visit named in mixed case and an
    unscheduled visit that carries its number; nothing in the engine knows these names."""
    from specs.model import SourceDef
    from tests.sdtm.spec_builder import trial_table

    vs_raw = raw([["701-1015", "Week 2", "01/16/2014", "96.9"], ["701-1015", "Unscheduled 3.1", "02/01/2014", "98.6"],
                  ["701-1023", "screening 1", "07/22/2012", ""]], ["PATNUM", "INSTANCE", "IT.VSDAT", "IT.TEMP"])
    vs_spec = spec(
        datasets=[dataset("VS", ["USUBJID", "VISITNUM"])],
        variables=[variable("VS", v, i) for i, v in
                   enumerate(["USUBJID", "SUBJID", "VSORRES", "VSDTC", "VISITNUM", "VISIT", "VISITDY"], 1)],
        mappings=[mapping("VS", "VSORRES", "VS", "`IT.TEMP`", "assign_no_ct"),
                  mapping("VS", "USUBJID", "VS", "'01-' || PATNUM", "assign_no_ct"),
                  mapping("VS", "SUBJID", "VS", "split_part(PATNUM, '-', 2)", "assign_no_ct"),
                  mapping("VS", "VSDTC", "VS", "`IT.VSDAT`", "assign_datetime"),
                  mapping("VS", "VISITNUM", "VS", None, "derive", "function=visit; dtc=VSDTC; unscheduled=from_name")],
        trial_design=[trial_table("TV", [{"VISITNUM": 1.0, "VISIT": "SCREENING 1", "VISITDY": -7},
                                         {"VISITNUM": 4.0, "VISIT": "WEEK 2", "VISITDY": 14}])],
        sources=[SourceDef(form="VS", subject_column="PATNUM", visit_column="INSTANCE",
                           date_formats=(("*", "MM/DD/YYYY"),), sheet="Sources", row=2)])
    ctx = DomainContext(spec=vs_spec, raw={"VS": vs_raw})
    frame = map_domain("VS", ctx, STEPS).frame
    assert frame["USUBJID"].tolist() == ["01-701-1015", "01-701-1015", "01-701-1023"]
    assert frame["SUBJID"].tolist() == ["1015", "1015", "1023"]
    assert frame["VSDTC"].tolist() == ["2014-01-16", "2014-02-01", "2012-07-22"]
    assert frame["VISITNUM"].tolist() == [4.0, 3.1, 1.0]
    assert frame["VISIT"].tolist() == ["WEEK 2", "UNSCHEDULED 3.1", "SCREENING 1"]
    assert not ctx.findings


def test_a_visit_step_fills_only_the_visit_variables_the_dataset_has():
    vs_raw = raw([["S1", "Week 2", "", "2014-01-16"]], ["Subject", "Folder", "InstanceName", "VSDAT"])
    vs_spec = spec(datasets=[dataset("VS", ["USUBJID", "VISITNUM"])],
                   variables=[variable("VS", v, i) for i, v in enumerate(["USUBJID", "VSDTC", "VISITNUM", "VISIT"], 1)],
                   mappings=[mapping("VS", "USUBJID", None, None, "derive", "function=usubjid"),
                             mapping("VS", "VSDTC", "VS", "VSDAT", "assign_datetime"),
                             mapping("VS", "VISITNUM", "VS", None, "derive", "function=visit; dtc=VSDTC")],
                   trial_design=[trial_table("TV", [{"VISITNUM": 4.0, "VISIT": "WEEK 2", "VISITDY": 14}])],
                   sources=(RAVE_STYLE,))
    frame = map_domain("VS", DomainContext(spec=vs_spec, raw={"VS": vs_raw}), STEPS).frame
    assert frame["VISITNUM"].tolist() == [4.0] and frame["VISIT"].tolist() == ["WEEK 2"]
    assert "VISITDY" not in frame.columns  # the spec's VS has no VISITDY: the step does not add one


def test_seq_ordered_by_a_key_not_derived_yet_is_a_mapping_error():
    rows = [*AE_SPEC.mappings_of("AE")]
    seq_first = spec(datasets=AE_SPEC.datasets, variables=AE_SPEC.variables, codelists=AE_SPEC.codelists,
                     mappings=[*[r for r in rows if r.variable != "AESEQ"],
                               mapping("AE", "AESEQ", None, None, "derive", "function=seq; keys=USUBJID, AEDY")])
    with pytest.raises(MappingError, match="seq orders by AEDY, which is not derived yet"):
        map_domain("AE", DomainContext(spec=seq_first, raw={"AE": AE_RAW}), STEPS)


def test_a_derive_row_with_a_qnam_is_a_supplemental_qualifier():
    from sdtm.relationships import build_supp

    rows = [*AE_SPEC.mappings_of("AE"),
            mapping("AE", "AESERX", None, None, "derive",
                    "function=expression; expr=if(AESER == 'Y', 'SERIOUS', null); qnam=AESERX; qlabel=Serious Text; "
                    "qorig=Derived")]
    ae_spec = spec(datasets=[*AE_SPEC.datasets, dataset("SUPPAE", ["USUBJID", "QNAM"])], variables=AE_SPEC.variables,
                   codelists=AE_SPEC.codelists, mappings=rows)
    frame = map_domain("AE", DomainContext(spec=ae_spec, raw={"AE": AE_RAW}), STEPS).frame
    assert "AESERX" not in frame.columns and frame["__supp__AESERX"].notna().sum() == 1
    supp = build_supp(ae_spec, "AE", frame)
    assert supp[["QNAM", "QLABEL", "QVAL", "QORIG"]].values.tolist() == [["AESERX", "Serious Text", "SERIOUS",
                                                                            "Derived"]]
    assert supp["IDVARVAL"].tolist() == [str(int(frame.loc[frame["AESER"] == "Y", "AESEQ"].iloc[0]))]
