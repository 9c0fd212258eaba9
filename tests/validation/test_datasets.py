"""Classification of datasets: standard, class and domain from the name and columns."""

from __future__ import annotations

import pandas as pd

from validation.datasets import datasets_from_frames


def test_classification_by_name_and_columns():
    frames = {"AE": pd.DataFrame({"DOMAIN": ["AE"]}), "LBCH": pd.DataFrame({"DOMAIN": ["LB"]}),
              "SUPPAE": pd.DataFrame({"RDOMAIN": ["AE"]}), "ADSL": pd.DataFrame({"USUBJID": ["S1"]}),
              "ADTTE": pd.DataFrame({"PARAMCD": ["OS"]}), "ADAE": pd.DataFrame({"AETERM": ["x"]}),
              "TS": pd.DataFrame({"TSPARMCD": ["X"]})}
    got = {n: (d.standard, d.dataset_class, d.domain, d.prefix) for n, d in datasets_from_frames(frames).items()}
    assert got["AE"] == ("SDTM", "EVENTS", "AE", "AE")
    assert got["LBCH"] == ("SDTM", "FINDINGS", "LB", "LB")  # a split dataset keeps its domain
    assert got["SUPPAE"] == ("SDTM", "RELATIONSHIP", "SUPPAE", "")
    assert got["ADSL"][:2] == ("ADaM", "SUBJECT LEVEL ANALYSIS DATASET")
    assert got["ADTTE"][1] == "BASIC DATA STRUCTURE"
    assert got["ADAE"][1] == "OCCURRENCE DATA STRUCTURE"
    assert got["TS"][1] == "TRIAL DESIGN"
