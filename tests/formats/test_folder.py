"""Reading XPT, CSV and Dataset-JSON files and folders into one Dataset type with one convention."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from formats.folder import load_folder, normalize_frame, read_dataset
from specs.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PILOT = SHARED / "examples" / "cdiscpilot01-sdtm-xpt"
DATASET_JSON = SHARED / "standards" / "dataset-json-1.1" / "examples"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared reference folder is absent)")
    return path


def test_normalize_frame_gives_text_with_blanks_and_numbers_with_nan():
    frame = pd.DataFrame({"a": ["x", None], "b": [1, None], "c": [1.0, "2"], "d": [True, False]})
    out = normalize_frame(frame)
    assert list(out.columns) == ["A", "B", "C", "D"]
    assert out["A"].tolist() == ["x", ""]
    assert out["B"].dtype == "float64" and pd.isna(out["B"][1])
    assert out["C"].tolist() == ["1", "2"]  # mixed numbers and text stay text
    assert out["D"].tolist() == ["Y", "N"]
    assert frame["a"].isna().tolist() == [False, True]  # the input is untouched


def test_csv_keeps_identifiers_as_text_and_reads_numeric_variables_as_numbers(tmp_path):
    (tmp_path / "dm.csv").write_text("STUDYID,USUBJID,SUBJID,AGE,SITEID\nST,ST-001,001,54,01\nST,ST-002,002,,01\n",
                                     encoding="utf-8")
    (tmp_path / "lb.csv").write_text("USUBJID,LBSEQ,LBSTRESC,LBSTRESN,VISITNUM\nST-001,1,<0.1,,1\nST-001,2,4,4,1.5\n",
                                     encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a dataset", encoding="utf-8")
    datasets = load_folder(tmp_path)
    assert set(datasets) == {"DM", "LB"}
    dm, lb = datasets["DM"].frame, datasets["LB"].frame
    assert dm["SUBJID"].tolist() == ["001", "002"] and dm["SITEID"].tolist() == ["01", "01"]
    assert dm["AGE"].dtype == "float64" and pd.isna(dm["AGE"][1])
    assert lb["LBSEQ"].tolist() == [1.0, 2.0] and lb["VISITNUM"].tolist() == [1.0, 1.5]
    assert lb["LBSTRESC"].tolist() == ["<0.1", "4"]
    assert datasets["DM"].file_format == "csv" and datasets["DM"].size_bytes > 0


def test_xpt_is_preferred_when_a_dataset_comes_twice(tmp_path):
    source = _need(PILOT / "dm.xpt")
    shutil.copy(source, tmp_path / "dm.xpt")
    (tmp_path / "dm.csv").write_text("USUBJID\nX\n", encoding="utf-8")
    datasets = load_folder(tmp_path)
    dm = datasets["DM"]
    assert dm.file_format == "xpt"
    assert len(dm.frame) > 1 and dm.columns["USUBJID"].type == "char"
    assert dm.columns["AGE"].type == "num" and dm.columns["AGE"].label


def test_xpt_with_a_non_ascii_byte_is_read_for_the_ascii_rule():
    dataset = read_dataset(_need(PILOT / "ts.xpt"))
    text = dataset.frame.select_dtypes(exclude="number")
    assert text.apply(lambda c: c.str.contains(r"[^\x00-\x7F]", regex=True)).to_numpy().any()


def test_dataset_json_and_ndjson_read_alike():
    json_ds = read_dataset(_need(DATASET_JSON / "dm.json"))
    ndjson_ds = read_dataset(_need(DATASET_JSON / "dm.ndjson"))
    assert json_ds.name == ndjson_ds.name == "DM"
    assert json_ds.label == "Demographics"
    assert json_ds.frame.equals(ndjson_ds.frame)
    assert json_ds.columns["AGE"].type == "num" and json_ds.frame["AGE"].dtype == "float64"
    assert json_ds.columns["USUBJID"].length == 8


def test_dataset_json_written_by_hand(tmp_path):
    document = {"datasetJSONVersion": "1.1.0", "itemGroupOID": "IG.AE", "records": 2, "name": "AE",
                "label": "Adverse Events",
                "columns": [{"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string"},
                            {"itemOID": "IT.AESEQ", "name": "AESEQ", "label": "Seq", "dataType": "integer"},
                            {"itemOID": "IT.X", "name": "AEDOSE", "label": "Dose", "dataType": "string",
                             "targetDataType": "decimal"}],
                "rows": [["S1", 1, "2.50"], ["S2", None, None]]}
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = read_dataset(path)
    assert dataset.frame["AESEQ"].tolist()[0] == 1.0 and pd.isna(dataset.frame["AESEQ"][1])
    assert dataset.frame["AEDOSE"].tolist()[0] == 2.5
    assert dataset.frame["USUBJID"].tolist() == ["S1", "S2"]


def test_an_unreadable_file_is_reported_by_name(tmp_path):
    (tmp_path / "ae.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_folder(tmp_path)
    assert "ae.json" in str(caught.value)


def test_a_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_folder(tmp_path / "nowhere")


@pytest.mark.parametrize("layout", ["empty", "no dataset files", "only define.xml"])
def test_a_folder_without_dataset_files_is_an_input_error_naming_it(tmp_path, layout):
    folder = tmp_path / "sdtm"
    folder.mkdir()
    if layout == "no dataset files":
        (folder / "notes.txt").write_text("x", encoding="utf-8")
    if layout == "only define.xml":
        (folder / "define.xml").write_text("<ODM/>", encoding="utf-8")
    assert load_folder(folder) == {}  # `trialforge adam` then names the datasets it misses
    with pytest.raises(InputError) as caught:
        load_folder(folder, empty_ok=False)
    text = str(caught.value)
    assert str(folder) in text and "no dataset files" in text and ".xpt" in text and "Dataset-JSON" in text
    assert ("notes.txt" in text) == (layout == "no dataset files")


def test_a_file_given_as_the_folder_is_an_input_error(tmp_path):
    (tmp_path / "dm.xpt").write_bytes(b"x")
    with pytest.raises(InputError, match="it is a file"):
        load_folder(tmp_path / "dm.xpt")
    with pytest.raises(InputError, match="does not exist"):
        load_folder(tmp_path / "nowhere")


def test_dataset_json_values_of_the_wrong_type_name_file_row_column_and_value(tmp_path):
    document = {"name": "DM", "columns": [{"name": "USUBJID", "dataType": "string"},
                                          {"name": "AGE", "dataType": "integer"}],
                "rows": [["S1", 54], ["S2", "fifty"]]}
    (tmp_path / "dm.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_folder(tmp_path)
    text = str(caught.value)
    assert "dm.json" in text and "row 2" in text and "AGE" in text and "'fifty'" in text


def test_dataset_json_dates_for_sas_read_as_numbers_like_the_xpt(tmp_path):
    document = {"name": "ADSL", "columns": [{"name": "USUBJID", "dataType": "string"},
                                            {"name": "TRTSDT", "dataType": "date", "targetDataType": "integer",
                                             "displayFormat": "DATE9."}],
                "rows": [["S1", "2024-01-01"], ["S2", None]]}
    (tmp_path / "adsl.json").write_text(json.dumps(document), encoding="utf-8")
    dataset = load_folder(tmp_path)["ADSL"]
    assert dataset.columns["TRTSDT"].type == "num" and dataset.columns["TRTSDT"].format == "DATE9."
    assert dataset.frame["TRTSDT"].tolist()[0] == 23376.0 and pd.isna(dataset.frame["TRTSDT"][1])


def test_null_text_gives_missing_and_blank_text_as_null_for_derivations(tmp_path):
    (tmp_path / "dm.csv").write_text("USUBJID,ARMCD,AGE\nS-1,,54\nS-2,A,\n", encoding="utf-8")
    kept = load_folder(tmp_path)["DM"].frame
    nulls = load_folder(tmp_path, null_text=True)["DM"].frame
    assert kept["ARMCD"].tolist() == ["", "A"]
    assert nulls["ARMCD"].isna().tolist() == [True, False] and nulls["USUBJID"].tolist() == ["S-1", "S-2"]
    assert nulls["AGE"].dtype == "float64" and pd.isna(nulls["AGE"][1])


def test_suffixes_choose_the_formats_read(tmp_path):
    (tmp_path / "dm.csv").write_text("USUBJID\nS-1\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")  # not a dataset: never opened
    assert load_folder(tmp_path, suffixes=(".xpt",)) == {}
    assert set(load_folder(tmp_path, suffixes=(".csv",))) == {"DM"}


def test_a_frame_already_in_the_convention_is_not_copied_and_stays_independent():
    frame = pd.DataFrame({"USUBJID": pd.Series(["S-1", "S-2"], dtype="str"), "AGE": [40.0, float("nan")]})
    frame.attrs["special_missing"] = {"AGE": "A"}
    out = normalize_frame(frame)
    assert out.equals(frame) and list(out.dtypes) == list(frame.dtypes) and out.attrs == frame.attrs
    out.loc[0, "AGE"] = 1.0  # copy-on-write: the input is never changed through the result
    out.attrs["x"] = 1
    assert frame.loc[0, "AGE"] == 40.0 and "x" not in frame.attrs


@pytest.mark.parametrize("frame, expected", [
    (pd.DataFrame({"usubjid": pd.Series(["S-1"], dtype="str")}), {"USUBJID": ["S-1"]}),  # lower-case name
    (pd.DataFrame({"A": pd.Series(["x", None], dtype="str")}), {"A": ["x", ""]}),  # missing text
    (pd.DataFrame({"A": [1, 2]}), {"A": [1.0, 2.0]}),  # integers
    (pd.DataFrame({"A": [1.0, 2.0]}, index=[5, 6]), {"A": [1.0, 2.0]}),  # an index other than 0..n-1
])
def test_frames_outside_the_convention_are_normalised_as_before(frame, expected):
    out = normalize_frame(frame)
    assert out.to_dict("list") == expected
    assert out.index.equals(pd.RangeIndex(len(frame)))
    assert all(dtype == "float64" for dtype in out.select_dtypes("number").dtypes)
