"""Rule findings traced back to the raw record of the SDTM record they are about (trialforge.attribution)."""

import pandas as pd

from specs.findings import Finding
from trialforge.attribution import attribute_to_raw, attribution_columns

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


def test_ugly_records_missing_origins_missing_seq_duplicate_keys_and_rows_outside_the_frame():
    sdtm_ae = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1"], "AESEQ": [1, 1, 2],
                            "__file": ["ae.csv", "ae.csv", None], "__row": [3, 4, None]})
    adae = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1", None], "AESEQ": [1, None, 2, 1]})
    found = attribute_to_raw([_finding("ADAE", n) for n in (1, 2, 3, 4, 0, 5)] + [_finding("AE", 3)],
                             {"AE": sdtm_ae}, {"ADAE": adae})
    # a duplicated USUBJID/AESEQ names its last record (as a lookup table keyed by them would); a record
    # without a --SEQ, one whose SDTM record has no raw origin, a subject that is not there and rows outside
    # the frame stay untraced
    assert [(f.file, f.raw_row) for f in found] == [("ae.csv", 4), (None, None), (None, None), (None, None),
                                                    (None, None), (None, None), (None, None)]


def test_only_the_records_findings_name_are_looked_up_in_a_large_frame():
    rows = 200_000
    big = pd.DataFrame({"USUBJID": ["S-1"] * rows, "LBSEQ": range(1, rows + 1), "__file": ["lb.csv"] * rows,
                        "__row": range(2, rows + 2)})
    (found,) = attribute_to_raw([_finding("LB", rows)], {"LB": big})
    assert (found.file, found.raw_row) == ("lb.csv", rows + 1)


def test_the_compact_columns_a_build_keeps_trace_as_the_whole_frames_do():
    sdtm = {"AE": AE.assign(AETERM=["Headache", "Nausea", "Rash"]), "TS": TS}
    adam = {"ADAE": ADAE.assign(AVAL=[1.0, 2.0, 3.0], AEDECOD=["A", None, "C"])}
    kept_sdtm, kept_adam = attribution_columns(sdtm), attribution_columns(adam)
    assert list(kept_sdtm["AE"].columns) == ["USUBJID", "AESEQ", "__file", "__row"]
    assert kept_sdtm["AE"]["USUBJID"].dtype == "string[pyarrow]"  # no Python string per record
    given = [_finding("AE", 3), _finding("ADAE", 1), _finding("ADAE", 2), _finding("ADAE", 3), _finding("TS", 1)]
    assert attribute_to_raw(given, kept_sdtm, kept_adam) == attribute_to_raw(given, sdtm, adam)
