import pandas as pd

from sdtm.identifiers import compute_usubjid, derive_epoch, derive_seq


def test_usubjid():
    assert compute_usubjid("S1", pd.Series([" 01-001", "01-002"])).tolist() == ["S1-01-001", "S1-01-002"]


def test_seq_ignores_extract_order():
    frame = pd.DataFrame({
        "USUBJID": ["B", "A", "A", "A"],
        "AEDECOD": ["Pyrexia", "Nausea", "Anaemia", "Nausea"],
        "AESTDTC": ["2024-01-02", "2024-01-05", "2024-01-05", "2024-01-01"],
        "AETERM": ["fever", "nausea", "anemia", "NAUSEA"],
        "__row": [2, 3, 4, 5],
    })
    seq = derive_seq(frame, "AE", ["STUDYID", "USUBJID", "AEDECOD", "AESTDTC"])
    assert seq.tolist() == [1, 3, 1, 2]
    shuffled = frame.iloc[[3, 0, 2, 1]].assign(__row=[9, 8, 7, 6])
    assert derive_seq(shuffled, "AE", ["USUBJID", "AEDECOD", "AESTDTC"]).sort_index().tolist() == [1, 3, 1, 2]


def test_seq_ties_broken_by_values_not_row_order():
    frame = pd.DataFrame({"USUBJID": ["A", "A"], "LBTESTCD": ["ALT", "ALT"], "LBORRES": ["9", "10"], "__row": [1, 2]})
    first = derive_seq(frame, "LB", ["USUBJID", "LBTESTCD"])
    second = derive_seq(frame.iloc[::-1], "LB", ["USUBJID", "LBTESTCD"])
    assert first.tolist() == second.sort_index().tolist()


def test_epoch_from_subject_elements():
    se = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B"],
        "SESTDTC": ["2024-01-01", "2024-01-20", "2024-01-25T10:00", "2024-02-01"],
        "SEENDTC": ["2024-01-20", "2024-01-25", None, None],
        "EPOCH": ["SCREENING", "LYMPHODEPLETION", "TREATMENT", "SCREENING"],
    })
    dtc = pd.Series(["2023-12-31", "2024-01-05", "2024-01-20", "2024-01-25T08:00", "2024-06", "2024-03-01", "2024-01-10",
                     "2024-01", "2024", "2024-02-30"])
    subj = pd.Series(["A", "A", "A", "A", "A", "A", "B", "A", "A", "A"])
    # a partial date gets the epoch its whole period lies in (June 2024: treatment), not one it spans (January)
    assert derive_epoch(dtc, subj, se).tolist() == [
        None, "SCREENING", "LYMPHODEPLETION", "TREATMENT", "TREATMENT", "TREATMENT", None, None, None, None]
