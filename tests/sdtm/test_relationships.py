import pandas as pd

from sdtm.relationships import build_relrec, build_supp
from sdtm.study import reconcile
from tests.sdtm.spec_builder import mapping, spec

SPEC = spec(mappings=[mapping("AE", "AEASTCGR", "AE", "AEASTCGR", "supp", "qlabel=ASTCT Grade; qorig=Collected")])


def test_supp_records_point_at_parent_seq_and_skip_blanks():
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [2, 1, 1],
                       "__supp__AEASTCGR": ["2", None, " "], "__file": ["ae.csv"] * 3, "__row": [2, 3, 4]})
    supp = build_supp(SPEC, "AE", ae)
    assert supp[["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL"]].values.tolist() == [
        ["AE", "S-1", "AESEQ", "2", "AEASTCGR", "ASTCT Grade", "2"]]
    assert supp["__row"].tolist() == [2]


def test_relrec_dataset_level_links_only_when_both_ends_exist():
    domains = {"TU": pd.DataFrame(columns=["TULNKID"]), "TR": pd.DataFrame(columns=["TRLNKID", "TRLNKGRP"])}
    relrec = build_relrec(spec(), domains)
    assert relrec[["RDOMAIN", "IDVAR", "RELTYPE", "RELID"]].values.tolist() == [
        ["TU", "TULNKID", "ONE", "TUTR"], ["TR", "TRLNKID", "MANY", "TUTR"]]
    assert relrec["USUBJID"].isna().all() and relrec["IDVARVAL"].isna().all()


def test_reconciliation_rows_in_equal_rows_mapped_plus_excluded():
    raw = {"AE": pd.DataFrame({"__file": ["ae.csv"] * 4, "__row": [2, 3, 4, 5]}),
           "ENR": pd.DataFrame({"__file": ["enr.csv"] * 2, "__row": [2, 3]})}
    domains = {"AE": pd.DataFrame({"__file": ["ae.csv", "ae.csv"], "__row": [2, 4]})}
    exclusions = [pd.DataFrame({"__file": ["ae.csv"], "__row": [3], "dataset": ["AE"], "reason": ["duplicate"]})]
    joined = [pd.DataFrame({"__file": ["enr.csv"], "__row": [2]})]
    excluded, table = reconcile(raw, domains, exclusions, joined)
    assert table.set_index("form")[["rows_read", "rows_mapped", "rows_excluded"]].to_dict("index") == {
        "AE": {"rows_read": 4, "rows_mapped": 2, "rows_excluded": 2},
        "ENR": {"rows_read": 2, "rows_mapped": 1, "rows_excluded": 1}}
    reasons = dict(zip(zip(excluded["__file"], excluded["__row"]), excluded["reason"]))
    assert reasons[("ae.csv", 3)] == "duplicate"
    assert "no Mapping row" in reasons[("ae.csv", 5)] and "no Mapping row" in reasons[("enr.csv", 3)]
    assert (table["rows_read"] == table["rows_mapped"] + table["rows_excluded"]).all()
