"""The one Finding type: what mapping, raw-data expectations and conformance rules all report."""

from __future__ import annotations

import json

import numpy as np

from specs.findings import Finding
from validation.model import Finding as ValidationFinding


def test_validation_reports_the_same_type():
    assert ValidationFinding is Finding


def test_a_mapping_finding_names_its_raw_record_apart_from_the_dataset_row():
    finding = Finding("TF-MAP-CT", "error", "'Per PEG' is not a term of codelist ROUTE", dataset="CM",
                      variables=("CMROUTE",), values=("Per PEG",), source="mapping", file="cm.csv", raw_row=38)
    assert (finding.variable, finding.value, finding.row) == ("CMROUTE", "Per PEG", None)
    record = finding.as_dict()
    assert set(record) == {"rule_id", "severity", "message", "dataset", "row", "usubjid", "seq", "variables",
                           "values", "implements", "source", "file", "raw_row"}
    assert (record["file"], record["raw_row"], record["source"]) == ("cm.csv", 38, "mapping")


def test_as_dict_is_plain_json():
    finding = Finding("TF-SD-0005", "error", "duplicate", dataset="AE", row=2, seq=np.float64(3.0),
                      variables=("AESEQ",), values=(np.int64(3), float("nan")))
    record = json.loads(json.dumps(finding.as_dict()))
    assert record["seq"] == 3.0 and record["values"] == [3, None] and record["file"] is None
    assert Finding("X", "notice", "m").variable is None and Finding("X", "notice", "m").value is None
