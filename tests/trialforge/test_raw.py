import pytest

from specs.errors import InputError
from trialforge.raw import PROVENANCE_ROW, read_raw_study, unread_forms


def test_reads_text_and_keeps_provenance(tmp_path):
    (tmp_path / "ae.csv").write_text("Subject,AETERM,AESTDAT\n01-001,Pyrexia,UN JAN 2024\n01-002,NA,\n")
    forms = read_raw_study(tmp_path, {"AE": ["AETERM", "AESTDAT"]})
    frame = forms["AE"].frame
    assert frame["AETERM"].tolist() == ["Pyrexia", "NA"]  # "NA" is a value, not missing
    assert frame["AESTDAT"].tolist() == ["UN JAN 2024", ""]
    assert frame[PROVENANCE_ROW].tolist() == [2, 3]


def test_all_problems_reported_together(tmp_path):
    (tmp_path / "ae.csv").write_text("Subject,AETERM\n01-001,Pyrexia\n")
    with pytest.raises(InputError) as caught:
        read_raw_study(tmp_path, {"AE": ["AETERM", "AESTDAT"], "LB": ["LBTEST"]})
    text = str(caught.value)
    assert "ae.csv, row 1, column 'AESTDAT'" in text
    assert "lb.csv" in text and "missing" in text


def test_missing_folder_and_unread_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_raw_study(tmp_path / "nope", {"AE": []})
    (tmp_path / "ae.csv").write_text("Subject\n")
    (tmp_path / "extra.csv").write_text("Subject\n")
    assert unread_forms(tmp_path, ["AE"]) == ["extra.csv"]
