from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from specs.errors import ExportError, InputError
from define_xml.package import write_folder_dataset_json
from formats.datasetjson import (
    JsonColumn, read_dataset_json, write_dataset_json,
)
from formats.sasdates import sas_format_kind
from formats.xpt import XptColumn, read_xpt, write_xpt

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DATASET_JSON = SHARED / "standards" / "dataset-json-1.1"
CREATED = datetime(2025, 3, 28, 9, 30, 0)
EXAMPLE_PAIRS = [("adsl", "json"), ("adae", "json"), ("dm", "json"), ("dm", "ndjson"), ("ts", "json")]


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the Dataset-JSON standard lives in ../shared, outside the package")
    return path


def _columns():
    return [
        JsonColumn("IT.ADX.USUBJID", "USUBJID", "Unique Subject Identifier", "string", length=5, key_sequence=1),
        JsonColumn("IT.ADX.AVALC", "AVALC", "Analysis Value (C)", "string", length=3),
        JsonColumn("IT.ADX.AVAL", "AVAL", "Analysis Value", "integer"),
        JsonColumn("IT.ADX.PCHG", "PCHG", "Percent Change", "float"),
        JsonColumn("IT.ADX.ADT", "ADT", "Analysis Date", "date", "integer", display_format="DATE9."),
        JsonColumn("IT.ADX.ADTM", "ADTM", "Analysis Datetime", "datetime", "integer", display_format="DATETIME20."),
        JsonColumn("IT.ADX.ATM", "ATM", "Analysis Time", "time", "integer", display_format="TIME8."),
        JsonColumn("IT.ADX.ADTC", "ADTC", "Collected Date", "date"),
    ]


def _frame():
    return pd.DataFrame({
        "USUBJID": ["S-001", "S-002", "S-003"],
        "AVALC": ["CR", "", None],  # "" and missing differ in Dataset-JSON
        "AVAL": [1.0, np.nan, -3.0],
        "PCHG": [-12.5, 0.1, np.nan],
        "ADT": [0.0, 366.0, np.nan],  # SAS days: 1960-01-01, 1961-01-01 (1960 is a leap year)
        "ADTM": [86400.0 + 3661.0, np.nan, 0.0],  # SAS seconds
        "ATM": [45296.5, 0.0, np.nan],
        "ADTC": ["2024-03", "2024-03-01T10:00", None],  # SDTM ISO 8601 text, partial dates too
    })


def test_values_are_written_as_their_dataset_json_types(tmp_path):
    path = write_dataset_json(_frame(), tmp_path / "adx.json", name="ADX", label="Analysis X", columns=_columns(),
                              study_oid="STDY.S", metadata_version_oid="MDV.S", created=CREATED)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document)[:2] == ["datasetJSONCreationDateTime", "datasetJSONVersion"]
    assert list(document)[-1] == "rows"
    assert (document["records"], document["itemGroupOID"], document["datasetJSONVersion"]) == (3, "IG.ADX", "1.1.0")
    assert document["rows"] == [
        ["S-001", "CR", 1, -12.5, "1960-01-01", "1960-01-02T01:01:01", "12:34:56.5", "2024-03"],
        ["S-002", "", None, 0.1, "1961-01-01", None, "00:00:00", "2024-03-01T10:00"],
        ["S-003", None, -3, None, None, "1960-01-01T00:00:00", None, None],
    ]
    assert document["columns"][4] == {"itemOID": "IT.ADX.ADT", "name": "ADT", "label": "Analysis Date",
                                      "dataType": "date", "targetDataType": "integer", "displayFormat": "DATE9."}


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_round_trip_gives_the_frame_back(tmp_path, suffix):
    frame = _frame()
    path = write_dataset_json(frame, tmp_path / f"adx{suffix}", name="ADX", label="Analysis X", columns=_columns(),
                              study_oid="STDY.S", metadata_version_oid="MDV.S", created=CREATED,
                              ndjson=suffix == ".ndjson")
    back, metadata = read_dataset_json(path)
    expected = frame.assign(AVALC=pd.Series(["CR", "", None], dtype="str"),
                            USUBJID=frame["USUBJID"].astype("str"), ADTC=frame["ADTC"].astype("str"))
    pd.testing.assert_frame_equal(back, expected)
    assert metadata["name"] == "ADX" and "rows" not in metadata
    blank, _ = read_dataset_json(path, blank_missing_text=True)
    assert blank["AVALC"].tolist() == ["CR", "", ""]


def test_ndjson_is_one_metadata_line_then_one_row_per_line(tmp_path):
    path = write_dataset_json(_frame(), tmp_path / "adx.ndjson", name="ADX", label="X", columns=_columns(),
                              study_oid="STDY.S", metadata_version_oid="MDV.S", created=CREATED, ndjson=True)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and "rows" not in json.loads(lines[0])
    assert json.loads(lines[3])[0] == "S-003"


def test_written_files_are_valid_against_the_dataset_json_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test dependency")
    schema = json.loads(need(DATASET_JSON / "dataset.schema.json").read_text(encoding="utf-8"))
    path = write_dataset_json(_frame(), tmp_path / "adx.json", name="ADX", label="X", columns=_columns(),
                              study_oid="STDY.S", metadata_version_oid="MDV.S", created=CREATED,
                              source_system=("trialforge", "0.1.0"))
    jsonschema.Draft201909Validator(schema).validate(json.loads(path.read_text(encoding="utf-8")))


def test_values_that_would_lose_information_are_refused_with_every_column_named(tmp_path):
    frame = _frame().assign(AVAL=[1.5, 2.0, np.nan], PCHG=["x", "1", None])
    with pytest.raises(ExportError) as raised:
        write_dataset_json(frame, tmp_path / "adx.json", name="ADX", label="X", columns=_columns(),
                           study_oid="S", metadata_version_oid="M", created=CREATED)
    assert [p.column for p in raised.value.problems] == ["AVAL", "PCHG"]
    assert "row 1" in str(raised.value) and not (tmp_path / "adx.json").exists()
    with pytest.raises(ExportError, match="NOPE"):
        write_dataset_json(_frame(), tmp_path / "adx.json", name="ADX", label="X",
                           columns=[JsonColumn("IT.NOPE", "NOPE", "Nope", "string")], study_oid="S",
                           metadata_version_oid="M", created=CREATED)


def test_unreadable_or_malformed_files_are_input_errors(tmp_path):
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError):
        read_dataset_json(tmp_path / "bad.json")
    (tmp_path / "short.json").write_text(json.dumps({"columns": [{"name": "A", "dataType": "string"}],
                                                     "rows": [["x", "y"]]}), encoding="utf-8")
    with pytest.raises(InputError, match="row 1"):
        read_dataset_json(tmp_path / "short.json")


@pytest.mark.parametrize(("name", "suffix"), EXAMPLE_PAIRS)
def test_cdisc_examples_read_to_the_same_frame_as_their_xpt(name, suffix):
    folder = need(DATASET_JSON / "examples")
    from_json, metadata = read_dataset_json(folder / f"{name}.{suffix}", blank_missing_text=True)
    from_xpt, xpt = read_xpt(folder / f"{name}.xpt", encoding="utf-8")
    pd.testing.assert_frame_equal(from_json, from_xpt)
    assert metadata["name"] == xpt.name and metadata["records"] == len(from_xpt)


def test_sas_format_kinds():
    assert [sas_format_kind(f) for f in ("DATE9.", "E8601DA.", "DATETIME20.", "TIME8.", "8.2", "", None)] == [
        "date", "date", "datetime", "time", None, None, None]


def test_a_package_folder_gets_dataset_json_with_its_define_metadata(tmp_path):
    from formats.definexml import read_define_tree
    from define_xml.package import write_package_define
    from tests.define_xml.small_study import small_spec, write_small_xpts

    spec = small_spec()
    write_small_xpts(tmp_path, spec)
    write_package_define(spec, tmp_path, "sdtm", CREATED)
    paths = write_folder_dataset_json(tmp_path, created=CREATED)
    assert sorted(p.name for p in paths) == ["ae.json", "dm.json", "lb.json", "suppae.json"]
    define = read_define_tree(tmp_path / "define.xml")
    ae = json.loads((tmp_path / "ae.json").read_text(encoding="utf-8"))
    group = define.group("AE")
    assert (ae["itemGroupOID"], ae["studyOID"], ae["metaDataVersionOID"]) == (group.oid, define.study_oid,
                                                                            define.mdv_oid)
    assert [c["itemOID"] for c in ae["columns"]] == [r.item for r in group.items]
    keys = {c["name"]: c["keySequence"] for c in ae["columns"] if "keySequence" in c}
    assert keys == {"STUDYID": 1, "USUBJID": 2, "AEDECOD": 3, "AESTDTC": 4}
    types = {c["name"]: (c["dataType"], c.get("length")) for c in ae["columns"]}
    assert types["AESEQ"] == ("integer", None) and types["AESTDTC"] == ("datetime", None)
    assert types["AETERM"] == ("string", 25)
    for path in paths:
        back, _ = read_dataset_json(path, blank_missing_text=True)
        pd.testing.assert_frame_equal(back, read_xpt(path.with_suffix(".xpt"))[0])


def test_adam_dates_from_an_xpt_round_trip_through_json(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "ADT": [23011.0, np.nan]})
    columns = [XptColumn("USUBJID", "Unique Subject Identifier"), XptColumn("ADT", "Analysis Date", "num",
                                                                             format="DATE9.")]
    write_xpt(frame, tmp_path / "adx.xpt", name="ADX", label="X", columns=columns)
    (tmp_path / "define.xml").write_text(_tiny_define(), encoding="utf-8")
    path = write_folder_dataset_json(tmp_path, created=CREATED, ndjson=True)[0]
    row = json.loads(path.read_text(encoding="utf-8").splitlines()[1])
    assert row == ["S-1", "2023-01-01"]  # SAS day 23011
    back, _ = read_dataset_json(path, blank_missing_text=True)
    pd.testing.assert_frame_equal(back, read_xpt(tmp_path / "adx.xpt")[0])


def _tiny_define() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1">
  <Study OID="STDY.T"><GlobalVariables><StudyName>T</StudyName><StudyDescription>T</StudyDescription>
  <ProtocolName>T</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV.T" Name="T" def:DefineVersion="2.1.0">
    <ItemGroupDef OID="IG.ADX" Name="ADX" Repeating="Yes" def:Structure="x">
      <ItemRef ItemOID="IT.ADX.USUBJID" Mandatory="Yes" KeySequence="1"/>
      <ItemRef ItemOID="IT.ADX.ADT" Mandatory="No"/>
    </ItemGroupDef>
    <ItemDef OID="IT.ADX.USUBJID" Name="USUBJID" DataType="text" Length="3"/>
    <ItemDef OID="IT.ADX.ADT" Name="ADT" DataType="integer" Length="8" def:DisplayFormat="DATE9."/>
  </MetaDataVersion></Study></ODM>"""


# --- reading what is not Dataset-JSON: every case a clear InputError, nothing coerced to missing -------------

_DJ_COLUMNS = [{"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string"},
               {"itemOID": "IT.AESEQ", "name": "AESEQ", "label": "Sequence", "dataType": "integer"},
               {"itemOID": "IT.AVAL", "name": "AVAL", "label": "Value", "dataType": "float"},
               {"itemOID": "IT.ADT", "name": "ADT", "label": "Date", "dataType": "date", "targetDataType": "integer"}]
_DJ_ROWS = [["S-1", 1, 1.5, "2024-01-01"], ["S-2", 2, None, None], ["S-3", 3, 4, "2024-02-29"]]


def _document(rows=None, columns=None, **extra) -> dict:
    return {"datasetJSONVersion": "1.1.0", "name": "AE", "label": "Adverse Events", "records": 3,
            "columns": _DJ_COLUMNS if columns is None else columns, "rows": _DJ_ROWS if rows is None else rows,
            **extra}


def _row(n: int, **values) -> list:
    row = list(_DJ_ROWS[n])
    names = [c["name"] for c in _DJ_COLUMNS]
    for name, value in values.items():
        row[names.index(name)] = value
    return row


def test_a_hand_written_file_reads_with_every_type(tmp_path):
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(_document()), encoding="utf-8")
    frame, metadata = read_dataset_json(path)
    assert frame["AESEQ"].tolist() == [1.0, 2.0, 3.0] and frame["AVAL"].tolist()[2] == 4.0
    assert frame["ADT"].tolist()[0] == 23376.0 and pd.isna(frame["ADT"][1])  # SAS days of 2024-01-01
    assert metadata["name"] == "AE"


BAD_VALUES = {
    # case: (rows, expected fragments of the message)
    "text in a float column": ([_DJ_ROWS[0], _row(1, AVAL="12.5 mg")], ["row 2", "AVAL", "'12.5 mg' (text)",
                                                                         "expected a JSON number"]),
    "number in a string column": ([_row(0, USUBJID=1001)], ["row 1", "USUBJID", "1001 (a number)", "expected text"]),
    "boolean in a float column": ([_row(0, AVAL=True)], ["row 1", "AVAL", "true (a boolean)"]),
    "boolean in an integer column": ([_row(0, AESEQ=False)], ["AESEQ", "false (a boolean)"]),
    "fraction in an integer column": ([_row(0, AESEQ=1.5)], ["AESEQ", "1.5", "has a fraction"]),
    "integer beyond 2**53": ([_row(0, AESEQ=2**60)], ["AESEQ", str(2**60), "too large to hold exactly"]),
    "array as a value": ([_row(0, USUBJID=["S-1"])], ["USUBJID", "an array"]),
    "not an ISO date": ([_row(0), _row(1), _row(2, ADT="29 FEB 2024")], ["row 3", "ADT", "'29 FEB 2024'",
                                                                         "ISO 8601 date"]),
    "short row": ([_DJ_ROWS[0], ["S-2", 2]], ["row 2 has 2 values", "expected an array of 4 values"]),
    "long row": ([_DJ_ROWS[0], _DJ_ROWS[1] + ["extra"]], ["row 2 has 5 values", "expected an array of 4 values"]),
    "row as an object": ([{"USUBJID": "S-1"}], ["row 1 has an object", "expected an array of 4 values"]),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_values_of_the_wrong_type_are_refused_naming_row_column_and_value(tmp_path, case):
    rows, fragments = BAD_VALUES[case]
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(_document(rows)), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_dataset_json(path)
    message = str(raised.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


BAD_FILES = {
    "rows is an object": (json.dumps(_document(rows={"0": _DJ_ROWS[0]})), ["'rows' is an object"]),
    "no rows": (json.dumps({k: v for k, v in _document().items() if k != "rows"}), ["no 'rows'"]),
    "no columns": (json.dumps({k: v for k, v in _document().items() if k != "columns"}), ["no 'columns'"]),
    "columns is text": (json.dumps(_document(columns="USUBJID")), ["'columns' is 'USUBJID' (text)"]),
    "duplicate column": (json.dumps(_document(columns=_DJ_COLUMNS[:3] + [{"name": "aval", "dataType": "float"}],
                                              rows=[])), ["aval", "defined twice (columns entries 3 and 4)"]),
    "unknown dataType": (json.dumps(_document(columns=[{"name": "A", "dataType": "text"}], rows=[])),
                         ["dataType 'text' (text) is not one of"]),
    "column without a name": (json.dumps(_document(columns=[{"dataType": "string"}], rows=[])),
                              ["columns entry 1 has no name"]),
    "not JSON": ("USUBJID,AESEQ\nS-1,1\n", ["not valid JSON", "line 1, column 1"]),
    "truncated": (json.dumps(_document())[:-25], ["truncated", "line 1"]),
    "top level array": (json.dumps([_document()]), ["the top level is an array"]),
    "empty": ("", ["the file is empty"]),
    "NaN": (json.dumps(_document([_row(0, AVAL=float("nan"))])), ["AVAL", "NaN (not a number Dataset-JSON can hold)"]),
    "Infinity": (json.dumps(_document([_row(0, AVAL=float("inf"))])), ["AVAL", "Infinity"]),
    "a number of 5000 digits": ('{"columns": [{"name": "N", "dataType": "integer"}], "rows": [[' + "9" * 5000 + "]]}",
                                ["row 1", "N", "not a number Dataset-JSON can hold"]),
    "1e999 in a float column": ('{"columns": [{"name": "X", "dataType": "float"}], "rows": [[1e999]]}',
                                ["row 1", "X", "too large for a double"]),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_files_that_are_not_dataset_json_are_refused_with_what_was_expected(tmp_path, case):
    text, fragments = BAD_FILES[case]
    path = tmp_path / "ae.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_dataset_json(path)
    message = str(raised.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_bytes_that_are_not_utf8_name_the_offset(tmp_path):
    path = tmp_path / "ae.json"
    path.write_bytes(b'{"columns": [], "rows": [["\xff"]]}')
    with pytest.raises(InputError, match=r"byte 0xff at offset 27 is not UTF-8"):
        read_dataset_json(path)


def test_ndjson_problems_name_the_line_and_the_row(tmp_path):
    meta = json.dumps({k: v for k, v in _document().items() if k != "rows"})
    path = tmp_path / "ae.ndjson"
    path.write_text("\n".join([meta, json.dumps(_DJ_ROWS[0]), "", json.dumps(_row(1, AVAL="n/a"))]) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_dataset_json(path)
    assert "row 2 (line 4)" in str(raised.value) and "'n/a' (text)" in str(raised.value)
    path.write_text("\n".join([meta, json.dumps(_DJ_ROWS[0]), '["S-2", 2, ']) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3 is not valid JSON"):
        read_dataset_json(path)
    path.write_text(json.dumps(_DJ_ROWS[0]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected the metadata object"):
        read_dataset_json(path)


def test_every_column_at_fault_is_reported_at_once(tmp_path):
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(_document([_row(0, AVAL="x", USUBJID=7), _row(1, AVAL="y")])), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_dataset_json(path)
    assert sorted(p.column for p in raised.value.problems) == ["AVAL", "USUBJID"]
    assert "(2 rows in all)" in str(raised.value)
