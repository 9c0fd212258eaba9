import pandas as pd

from tests.sdtm.spec_builder import listed

from sdtm.subject_elements import derive_subject_elements, shift_days

TA = pd.DataFrame({"ETCD": ["SCRN", "LD", "CART", "FU"], "TAETORD": [1, 2, 3, 4],
                   "EPOCH": ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"]})
TE = pd.DataFrame({"ETCD": ["SCRN", "LD", "CART", "FU"],
                   "ELEMENT": ["SCREENING", "LYMPHODEPLETION", "CAR-T INFUSION", "FOLLOW-UP"]})


def test_elements_chain_and_last_ends_at_participation_end():
    starts = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B", "B"],
        "ETCD": ["SCRN", "LD", "CART", "FU", "SCRN", "LD"],
        "SESTDTC": ["2024-01-01", "2024-01-20", "2024-01-25T10:00", "2024-02-22", "2024-03-01", None],
    })
    se = derive_subject_elements(starts, TA, TE, pd.Series({"A": "2024-12-01", "B": "2024-03-15"}))
    a = se[se.USUBJID == "A"]
    assert a["SEENDTC"].tolist() == ["2024-01-20", "2024-01-25T10:00", "2024-02-22", "2024-12-01"]
    assert a["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"]
    b = se[se.USUBJID == "B"]  # never lymphodepleted: screening only, ends when participation ended
    assert b["ETCD"].tolist() == ["SCRN"] and b["SEENDTC"].tolist() == ["2024-03-15"]


def test_shift_days():
    assert listed(shift_days(pd.Series(["2024-01-25T10:00", "2024-01", None]), 28)) == ["2024-02-22", None, None]
