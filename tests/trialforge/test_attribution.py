"""Rule findings traced back to the raw record of the SDTM record they are about (trialforge.attribution)."""

import pandas as pd

from specs.findings import Finding
from trialforge.attribution import attribute_to_raw

AE = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [1, 2, 1], "__file": ["ae.csv"] * 3,
                   "__row": [7, 9, 12]})
TS = pd.DataFrame({"TSPARMCD": ["SSTDTC"]})  # trial design: no raw record behind it
ADAE = pd.DataFrame({"USUBJID": ["S-2", "S-1", "S-3"], "AESEQ": [1.0, 2.0, 1.0]})


def _finding(dataset, row, **kw):
    return Finding("R1", "error", "m", dataset=dataset, row=row, **kw)


def test_an_sdtm_record_names_its_raw_file_and_line():
    (found,) = attribute_to_raw([_finding("AE", 2)], {"AE": AE, "TS": TS})
    assert (found.file, found.raw_row) == ("ae.csv", 9)


def test_an_adam_record_is_traced_through_the_seq_of_its_sdtm_record():
    found = attribute_to_raw([_finding("ADAE", 1), _finding("ADAE", 2), _finding("ADAE", 3)], {"AE": AE},
                             {"ADAE": ADAE})
    assert [(f.file, f.raw_row) for f in found] == [("ae.csv", 12), ("ae.csv", 9), (None, None)]


def test_findings_without_a_record_or_with_an_origin_already_or_on_other_datasets_stay_as_they_are():
    given = [_finding("AE", None), _finding("AE", 1, file="lb.csv", raw_row=3), _finding("TS", 1),
             _finding("AE", 99), _finding(None, None)]
    assert attribute_to_raw(given, {"AE": AE, "TS": TS}) == given
