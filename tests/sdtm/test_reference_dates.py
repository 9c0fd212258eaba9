"""Reference dates as spec rows (reference_date), expressions over a record, EPOCH without SE, and derive
rows that produce nothing (issue 11, item 5 and 6)."""

import pandas as pd
import pytest

from sdtm.engine import DERIVED_NULL, DomainContext, run_derive_rows
from sdtm.steps import NO_EPOCH, STEPS, epoch, expression, reference_date
from specs.errors import MappingError
from tests.sdtm.spec_builder import dataset, mapping, spec, variable

DM = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"]})
EX = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1", "S-2"],
                   "EXTRT": ["PLACEBO", "DRUG", "DRUG", "DRUG"],
                   "EXDOSE": ["0", "54", "81", "0"],
                   "EXSTDTC": ["2014-01-02", "2014-01-03T08:30", "2014-02", "2014-03-01"],
                   "EXENDTC": ["2014-01-02", "2014-01-20T09:00", None, "2014-03-05"]})
DS = pd.DataFrame({"USUBJID": ["S-1", "S-3"], "DSDECOD": ["COMPLETED", "DEATH"],
                   "DSSTDTC": ["2014-06-30", "2014-05-01T23:10"]})


def _ctx():
    return DomainContext(spec=spec(), raw={}, domains={"EX": EX, "DS": DS})


def test_first_and_last_exposure_keep_the_time_and_a_partial_date_wholly_after_the_rest():
    ctx = _ctx()
    first = reference_date(DM, ctx, "DM", "RFXSTDTC", domain="EX", date="EXSTDTC", pick="first")
    last = reference_date(DM, ctx, "DM", "RFXENDTC", domain="EX", date="EXSTDTC, EXENDTC", pick="last")
    assert first.tolist()[:2] == ["2014-01-02", "2014-03-01"] and pd.isna(first.iloc[2])
    assert last.tolist()[:2] == ["2014-02", "2014-03-05"]  # February 2014 is after 2014-01-20 whatever its day


def test_where_selects_the_records_with_an_expression_over_their_variables():
    dosed = reference_date(DM, _ctx(), "DM", "RFSTDTC", domain="EX", date="EXSTDTC", where="EXDOSE > 0")
    assert dosed.iloc[0] == "2014-01-03T08:30" and dosed.iloc[1:].isna().all()
    death = reference_date(DM, _ctx(), "DM", "DTHDTC", domain="DS", date="DSSTDTC", where="DSDECOD == 'DEATH'")
    assert death.iloc[2] == "2014-05-01T23:10" and death.iloc[:2].isna().all()


def test_last_known_date_over_every_domain_includes_deaths_and_the_record_itself():
    dm = DM.assign(RFICDTC=["2013-12-20", "2014-02-20", "2014-04-01"])
    last = reference_date(dm, _ctx(), "DM", "RFPENDTC", domain="*", pick="last")
    assert last.tolist() == ["2014-06-30", "2014-03-05", "2014-05-01T23:10"]


def test_bad_arguments_are_mapping_errors():
    with pytest.raises(MappingError, match="pick='middle'"):
        reference_date(DM, _ctx(), "DM", "RFSTDTC", domain="EX", date="EXSTDTC", pick="middle")
    with pytest.raises(MappingError, match="domain=\\* cannot take a where"):
        reference_date(DM, _ctx(), "DM", "RFSTDTC", domain="*", where="EXDOSE > 0")
    with pytest.raises(MappingError, match="cannot read the expression"):
        reference_date(DM, _ctx(), "DM", "RFSTDTC", domain="EX", date="EXSTDTC", where="EXDOSE >")
    with pytest.raises(MappingError, match="has not been built"):
        reference_date(DM, _ctx(), "DM", "RFSTDTC", domain="SV", date="SVSTDTC")


def test_expression_step_fills_from_the_records_own_variables():
    frame = pd.DataFrame({"RFENDTC": [None, "2014-02-01"], "RFXENDTC": ["2014-01-20", "2014-01-30"]})
    assert expression(frame, _ctx(), "DM", "RFENDTC", expr="coalesce(RFENDTC, RFXENDTC)").tolist() == [
        "2014-01-20", "2014-02-01"]


def test_epoch_without_se_is_null_with_one_notice_per_dataset():
    ctx = _ctx()
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AESTDTC": ["2014-01-05", "2014-03-02"]})
    for _ in range(2):
        assert epoch(frame, ctx, "AE", "EPOCH", dtc="AESTDTC").isna().all()
    notices = [f for f in ctx.findings if f.rule_id == NO_EPOCH]
    assert len(notices) == 1 and notices[0].severity == "notice" and "no SE" in notices[0].message


def test_a_derive_row_null_on_every_record_is_a_warning():
    ae_spec = spec(datasets=[dataset("AE", ["USUBJID"])],
                   variables=[variable("AE", v, i) for i, v in enumerate(["USUBJID", "AESTDTC", "AESTDY"], 1)],
                   mappings=[mapping("AE", "AESTDY", None, None, "derive", "function=study_day; dtc=AESTDTC")])
    ctx = DomainContext(spec=ae_spec, raw={}, domains={"DM": pd.DataFrame({"USUBJID": ["S-1"], "RFSTDTC": [None]})})
    frame = pd.DataFrame({"USUBJID": ["S-1"], "AESTDTC": ["2014-01-05"]})
    run_derive_rows("AE", frame, ctx, STEPS)
    (finding,) = [f for f in ctx.findings if f.rule_id == DERIVED_NULL]
    assert finding.variable == "AESTDY" and "null on every one of the 1 records" in finding.message


def test_partial_dates_count_only_where_they_are_unambiguously_first_or_last():
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"]})
    ds = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2", "S-2", "S-3", "S-3"],
                       "DSSTDTC": ["2024-12-19", "2025-01", "2024-12-19", "2024-12", "2024-12-19T10:00", "2024"]})
    ctx = DomainContext(spec=spec(), raw={}, domains={"DS": ds})
    last = reference_date(dm, ctx, "DM", "RFPENDTC", domain="DS", date="DSSTDTC", pick="last")
    assert last.tolist() == ["2025-01", "2024-12-19", "2024-12-19T10:00"]  # a death in January 2025 is later
    first = reference_date(dm, ctx, "DM", "RFSTDTC", domain="DS", date="DSSTDTC", pick="first")
    assert first.tolist() == ["2024-12-19", "2024-12-19", "2024-12-19T10:00"]
    early = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "DSSTDTC": ["2024-11", "2024-12-19"]})
    ctx = DomainContext(spec=spec(), raw={}, domains={"DS": early})
    assert reference_date(dm, ctx, "DM", "RFSTDTC", domain="DS", date="DSSTDTC").iloc[0] == "2024-11"


def test_a_record_without_a_date_takes_the_epoch_of_its_visit():
    se = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "SESTDTC": ["2024-01-01", "2024-02-01"],
                       "SEENDTC": ["2024-02-01", None], "EPOCH": ["SCREENING", "FOLLOW-UP"]})
    sv = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "VISITNUM": [1.0, 5.0], "SVSTDTC": ["2024-01-03", "2024-03-10"]})
    ctx = DomainContext(spec=spec(), raw={}, domains={"SE": se, "SV": sv})
    rs = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1"], "VISITNUM": [5.0, 1.0, 9.0],
                       "RSDTC": [None, "2024-02-15", None]})
    assert epoch(rs, ctx, "RS", "EPOCH", dtc="RSDTC").tolist() == ["FOLLOW-UP", "FOLLOW-UP", None]
    ie = pd.DataFrame({"USUBJID": ["S-1"], "VISITNUM": [1.0]})
    assert epoch(ie, ctx, "IE", "EPOCH").tolist() == ["SCREENING"]


def test_an_expression_reads_the_subjects_value_in_a_subject_level_domain():
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFSTDTC": ["2014-01-03", "2014-03-01"]})
    ctx = DomainContext(spec=spec(), raw={}, domains={"DM": dm, "EX": EX})
    ae = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2", "S-3"],
                       "AESTDTC": ["2014-01-02", "2014-01-03", "2014-03-05", "2014-03-05"]})
    flag = expression(ae, ctx, "AE", "AETRTEM", expr="case when AESTDTC >= DM.RFSTDTC then 'Y' "
                                                     "when AESTDTC < DM.RFSTDTC then 'N' end")
    assert flag.tolist()[:3] == ["N", "Y", "Y"] and pd.isna(flag.iloc[3])  # S-3 is not in DM
    with pytest.raises(MappingError, match="more than one record per subject"):
        expression(ae, ctx, "AE", "X", expr="EX.EXSTDTC")
    with pytest.raises(MappingError, match="DM has no RFXSTDTC"):
        expression(ae, ctx, "AE", "X", expr="DM.RFXSTDTC")
