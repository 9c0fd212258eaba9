import io
import logging
import struct
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import formats.xpt as xpt
from specs.errors import ExportError, InputError
from formats.sasdates import sas_date, sas_datetime
from formats.xpt import XptColumn, XptDataset, read_xpt, write_xpt
from formats.xpt_ibm import ibm_to_ieee, ieee_to_ibm

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PILOT = SHARED / "examples" / "cdiscpilot01-sdtm-xpt"
PILOT_FILES = sorted(PILOT.glob("*.xpt")) if PILOT.is_dir() else []
needs_pilot = pytest.mark.skipif(
    not PILOT_FILES, reason=f"SAS-written pilot XPT files not found in {PILOT} (../shared is absent)"
)
STAMP = datetime(2024, 3, 1, 12, 30, 5)


def _encoding_for(path: Path) -> str:
    return "cp1252" if path.name == "ts.xpt" else "ascii"  # ts.xpt holds a cp1252 right quote (0x92)


def _records(data: bytes) -> list[bytes]:
    return [data[i : i + 80] for i in range(0, len(data), 80)]


# ---------------------------------------------------------------------------------------------
# Ground truth: files SAS wrote


@needs_pilot
@pytest.mark.parametrize("path", PILOT_FILES, ids=lambda p: p.name)
def test_pilot_files_round_trip_to_the_same_bytes(path, tmp_path):
    frame, meta = read_xpt(path, encoding=_encoding_for(path))
    out = tmp_path / path.name
    written = write_xpt(
        frame, out, name=meta.name, label=meta.label, columns=meta.columns, encoding=_encoding_for(path),
        created=meta.created, modified=meta.modified, sas_version=meta.sas_version, os_name=meta.os_name,
    )  # fmt: skip
    assert out.read_bytes() == path.read_bytes()
    assert written == meta


@needs_pilot
def test_pilot_bytes_match_apart_from_timestamps_with_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = PILOT / "dm.xpt"
    frame, meta = read_xpt(path)
    out = tmp_path / "dm.xpt"
    write_xpt(frame, out, name=meta.name, columns=meta.columns, sas_version="9.3", os_name="X64_7HOM")
    ours, theirs = _records(out.read_bytes()), _records(path.read_bytes())
    assert len(ours) == len(theirs)
    masked = {1: slice(64, 80), 2: slice(0, 16), 5: slice(64, 80), 6: slice(0, 16)}
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if i in masked:
            a = a[: masked[i].start] + a[masked[i].stop :]
            b = b[: masked[i].start] + b[masked[i].stop :]
        assert a == b, f"record {i} differs"
    assert ours[1][64:80] == b"14NOV23:22:13:20"


@needs_pilot
def test_pilot_dm_values_and_metadata():
    frame, meta = read_xpt(PILOT / "dm.xpt")
    assert (meta.name, meta.label, meta.sas_version, meta.os_name) == ("DM", "", "9.3", "X64_7HOM")
    assert meta.created == meta.modified == datetime(2012, 4, 4, 22, 16, 21)
    assert meta.columns[0] == XptColumn("STUDYID", "Study Identifier", "char", 12)
    assert frame.shape == (306, 25)
    assert frame["STUDYID"].iloc[0] == "CDISCPILOT01"
    assert str(frame["STUDYID"].dtype) == "str"
    assert frame["AGE"].dtype == np.float64


@needs_pilot
def test_pilot_files_read_like_pyreadstat(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    for path in PILOT_FILES:
        frame, meta = read_xpt(path, encoding=_encoding_for(path))
        theirs, info = pyreadstat.read_xport(str(path), encoding="cp1252")
        assert list(frame.columns) == list(theirs.columns)
        assert info.column_names_to_labels == {c.name: c.label for c in meta.columns}
        for name in frame.columns:
            if frame[name].dtype == np.float64:
                np.testing.assert_array_equal(frame[name].to_numpy(), theirs[name].to_numpy(dtype=float))
            else:
                assert frame[name].tolist() == theirs[name].fillna("").tolist(), f"{path.name} {name}"


@needs_pilot
def test_cp1252_text_needs_its_encoding():
    with pytest.raises(InputError, match=r"TS\.TSVAL.*Windows-1252"):
        read_xpt(PILOT / "ts.xpt")
    frame, _ = read_xpt(PILOT / "ts.xpt", encoding="cp1252")
    assert frame["TSVAL"].str.contains("Alzheimer\u2019s").any()


# ---------------------------------------------------------------------------------------------
# The file layout, byte by byte


def test_layout_byte_by_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    frame = pd.DataFrame({"USUBJID": ["A1", "B"], "AVAL": [1.0, np.nan]})
    path = tmp_path / "adx.xpt"
    meta = write_xpt(frame, path, name="ADX", label="Demo set")
    data = path.read_bytes()
    rec = _records(data)
    assert len(data) % 80 == 0 and len(rec) == 8 + 4 + 1 + 1
    assert rec[0] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert rec[1] == b"SAS     SAS     SASLIB  9.4     PYTHON  " + b" " * 24 + b"14NOV23:22:13:20"
    assert rec[2] == b"14NOV23:22:13:20" + b" " * 64
    assert rec[3] == b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    assert rec[4] == b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert rec[5] == b"SAS     ADX     SASDATA 9.4     PYTHON  " + b" " * 24 + b"14NOV23:22:13:20"
    assert rec[6] == b"14NOV23:22:13:20" + b" " * 16 + b"Demo set".ljust(40) + b" " * 8
    assert rec[7] == b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000000200000000000000000000  "
    namestrs = b"".join(rec[8:12])
    first = struct.unpack(">hhhh8s40s8shhh2s8shhi52s", namestrs[:140])
    assert first == (2, 0, 2, 1, b"USUBJID ", b" " * 40, b" " * 8, 0, 0, 0, b"\0\0", b" " * 8, 0, 0, 0, b"\0" * 52)
    second = struct.unpack(">hhhh8s40s8shhh2s8shhi52s", namestrs[140:280])
    assert second[:5] == (1, 0, 8, 2, b"AVAL    ") and second[14] == 2
    assert namestrs[280:] == b" " * 40  # NAMESTR area padded with blanks, not zeros
    assert rec[12] == b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert rec[13] == b"A1" + bytes.fromhex("4110000000000000") + b"B " + b"." + b"\0" * 7 + b" " * 60
    assert meta == XptDataset(
        "ADX", "Demo set", (XptColumn("USUBJID", type="char", length=2), XptColumn("AVAL", type="num", length=8)),
        datetime(2023, 11, 14, 22, 13, 20), datetime(2023, 11, 14, 22, 13, 20), "9.4", "PYTHON",
    )  # fmt: skip


@pytest.mark.parametrize(
    "value, hex_word",
    [
        (1.0, "4110000000000000"),
        (-4.0, "c140000000000000"),
        (0.5, "4080000000000000"),
        (100.0, "4264000000000000"),
        (0.1, "401999999999999a"),  # IEEE 0x3FB999999999999A: the 53-bit significand, unshifted
        (0.0, "0000000000000000"),
        (-0.0, "0000000000000000"),
        (float("nan"), "2e00000000000000"),
        (1e-80, "0000000000000000"),  # below 16**-65: underflows to zero
        (5e-324, "0000000000000000"),  # IEEE subnormal
    ],
)
def test_ieee_to_ibm_hand_computed(value, hex_word):
    words, too_large = ieee_to_ibm(np.array([value]))
    assert f"{int(words[0]):016x}" == hex_word and not too_large[0]


def test_ieee_to_ibm_flags_what_ibm_cannot_hold():
    _, too_large = ieee_to_ibm(np.array([2.0**252, -(2.0**252), np.inf, -np.inf, 2.0**252 * (1 - 2**-53), np.nan]))
    assert too_large.tolist() == [True, True, True, True, False, False]


@pytest.mark.parametrize(
    "hex_word, expected, code",
    [
        ("4110000000000000", 1.0, 0),
        ("c140000000000000", -4.0, 0),
        ("4201000000000000", 1.0, 0),  # unnormalised fraction (another writer's choice) still reads
        ("41ffffffffffffff", 16.0, 0),  # 56 significant bits round to the nearest double
        ("2e00000000000000", None, ord(".")),
        ("4100000000000000", None, ord("A")),
        ("5f00000000000000", None, ord("_")),
        ("0000000000000000", 0.0, 0),
    ],
)
def test_ibm_to_ieee_hand_computed(hex_word, expected, code):
    values, codes = ibm_to_ieee(np.array([int(hex_word, 16)], dtype=np.uint64))
    if expected is None:
        assert np.isnan(values[0])
    else:
        assert values[0] == expected
    assert codes[0] == code


def test_negative_zero_reads_as_zero():
    values, codes = ibm_to_ieee(np.array([1 << 63], dtype=np.uint64))
    assert values[0] == 0.0 and np.signbit(values[0]) and codes[0] == 0


# ---------------------------------------------------------------------------------------------
# Writer behaviour


def test_inferred_columns_lengths_in_bytes_of_the_encoding(tmp_path):
    frame = pd.DataFrame(
        {
            "TXT": pd.Series(["caf\u00e9", "ab", None], dtype=object),
            "EMPTY": ["", "", ""],
            "FLAG": [True, False, True],
            "N": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    meta = write_xpt(frame, tmp_path / "x.xpt", name="X", encoding="utf-8", created=STAMP)
    assert [(c.name, c.type, c.length) for c in meta.columns] == [
        ("TXT", "char", 5), ("EMPTY", "char", 1), ("FLAG", "num", 8), ("N", "num", 8),
    ]  # fmt: skip
    back, _ = read_xpt(tmp_path / "x.xpt", encoding="utf-8")
    assert back["TXT"].tolist() == ["caf\u00e9", "ab", ""]
    assert back["EMPTY"].tolist() == ["", "", ""]
    assert back["FLAG"].tolist() == [1.0, 0.0, 1.0]
    assert back["N"].iloc[[0, 2]].tolist() == [1.0, 3.0] and np.isnan(back["N"].iloc[1])


def test_python_numbers_in_object_columns_are_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "F": pd.Series([1.5, None, 2], dtype=object),
            "I": pd.Series([1, None, 3], dtype=object),
            "B": pd.Series([True, None, False], dtype=object),
        }
    )
    meta = write_xpt(frame, tmp_path / "o.xpt", name="O", created=STAMP)
    assert [c.type for c in meta.columns] == ["num", "num", "num"]
    back, _ = read_xpt(tmp_path / "o.xpt")
    np.testing.assert_array_equal(back.to_numpy(), [[1.5, 1.0, 1.0], [np.nan] * 3, [2.0, 3.0, 0.0]])


def test_declared_metadata_formats_and_short_numbers(tmp_path):
    frame = pd.DataFrame({"ID": ["a"], "ADT": [23376.0], "X": [1.0 / 3.0], "TXT": ["hi"]})
    columns = [
        XptColumn("ID", "Identifier", "char", 3, format="$CHAR3.", informat="$3."),
        XptColumn("ADT", "Analysis Date", "num", format="date9."),
        XptColumn("X", "Short number", "num", 4, format="8.2", informat="BEST12."),
        XptColumn("TXT", "Text", "char", 200),
    ]
    meta = write_xpt(frame, tmp_path / "f.xpt", name="F", columns=columns, created=STAMP)
    back, read_meta = read_xpt(tmp_path / "f.xpt")
    assert read_meta == meta
    assert [c.format for c in meta.columns] == ["$CHAR3.", "DATE9.", "8.2", ""]
    assert [c.informat for c in meta.columns] == ["$3.", "", "BEST12.", ""]
    assert [c.length for c in meta.columns] == [3, 8, 4, 200]
    raw = (tmp_path / "f.xpt").read_bytes()
    ns = raw[640 + 2 * 140 : 640 + 3 * 140]
    assert ns[56:64] == b"        " and struct.unpack(">hh", ns[64:68]) == (8, 2)
    assert ns[72:80] == b"BEST    " and struct.unpack(">hh", ns[80:84]) == (12, 0)
    # a 4-byte number keeps the leading bytes: 1/3 = 0x4055555555555555 -> 0x40555555
    assert back["X"].iloc[0] == float.fromhex("0x0.555555p0")
    assert back["TXT"].iloc[0] == "hi"


def test_datetimes_declared_numeric_become_sas_dates(tmp_path):
    frame = pd.DataFrame(
        {
            "ADT": pd.to_datetime(["1960-01-01", "2024-01-01", None]),
            "ADTM": pd.to_datetime(["1960-01-01 00:00:01", "1959-12-31 23:59:59", None]),
            "ODT": pd.Series([date(1959, 12, 31), None, date(1960, 1, 2)], dtype=object),
        }
    )
    columns = [XptColumn("ADT", type="num", format="DATE9."), XptColumn("ADTM", type="num", format="E8601DT."),
               XptColumn("ODT", type="num", format="E8601DA.")]  # fmt: skip
    write_xpt(frame, tmp_path / "d.xpt", name="D", columns=columns, created=STAMP)
    back, _ = read_xpt(tmp_path / "d.xpt")
    np.testing.assert_array_equal(back["ADT"], [0.0, 23376.0, np.nan])
    np.testing.assert_array_equal(back["ADTM"], [1.0, -1.0, np.nan])
    np.testing.assert_array_equal(back["ODT"], [-1.0, np.nan, 1.0])


def test_sas_date_and_datetime_helpers():
    stamps = pd.Series(pd.to_datetime(["1960-01-01 12:00", "1959-12-31 23:00", None]), index=[5, 6, 7])
    days = sas_date(stamps)
    assert days.index.tolist() == [5, 6, 7]
    np.testing.assert_array_equal(days, [0.0, -1.0, np.nan])  # the time of day is dropped, not rounded
    np.testing.assert_array_equal(sas_datetime(stamps), [43200.0, -3600.0, np.nan])
    aware = pd.Series([datetime(2024, 1, 1, 0, 0, 30, 500000, tzinfo=timezone.utc)])
    assert sas_datetime(aware).iloc[0] == 23376 * 86400 + 30.5
    with pytest.raises(ExportError, match="ISO text"):
        sas_date(pd.Series(["2024-01"]))


def test_special_missing_values_round_trip(tmp_path):
    frame = pd.DataFrame({"AVAL": [1.0, np.nan, np.nan, np.nan], "TXT": ["a", "b", "c", "d"]})
    write_xpt(frame, tmp_path / "s.xpt", name="S", created=STAMP,
              special_missing={"AVAL": pd.Series({1: "A", 3: "._"})})  # fmt: skip
    raw = (tmp_path / "s.xpt").read_bytes()
    data = raw[-80:]
    assert data[9:17] == b"A" + b"\0" * 7 and data[18:26] == b"." + b"\0" * 7 and data[27:35] == b"_" + b"\0" * 7
    back, _ = read_xpt(tmp_path / "s.xpt")
    assert back.attrs["special_missing"]["AVAL"].to_dict() == {1: "A", 3: "_"}
    assert back["AVAL"].isna().tolist() == [False, True, True, True]
    again = tmp_path / "again.xpt"
    write_xpt(back, again, name="S", created=STAMP, special_missing=back.attrs["special_missing"])
    assert again.read_bytes() == raw


def test_no_special_missing_means_no_attrs(tmp_path):
    write_xpt(pd.DataFrame({"A": [np.nan]}), tmp_path / "n.xpt", name="N", created=STAMP)
    assert "special_missing" not in read_xpt(tmp_path / "n.xpt")[0].attrs


def test_timestamps_default_to_source_date_epoch_and_aware_times_become_utc(tmp_path, monkeypatch):
    frame = pd.DataFrame({"A": [1.0]})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert write_xpt(frame, tmp_path / "a.xpt", name="A").created == datetime(1970, 1, 1)
    plus_two = timezone(timedelta(hours=2))
    meta = write_xpt(frame, tmp_path / "b.xpt", name="A", created=datetime(2024, 1, 1, 1, 0, tzinfo=plus_two),
                     modified=datetime(2025, 12, 31, 23, 59, 59))  # fmt: skip
    assert meta.created == datetime(2023, 12, 31, 23, 0) and meta.modified == datetime(2025, 12, 31, 23, 59, 59)
    _, back = read_xpt(tmp_path / "b.xpt")
    assert (back.created, back.modified) == (meta.created, meta.modified)
    assert _records((tmp_path / "b.xpt").read_bytes())[1][64:] == b"31DEC23:23:00:00"


def test_many_chunks_and_chunked_arrow_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(xpt, "CHUNK_BYTES", 64)  # a few rows per chunk, chunks straddling arrow chunks
    pieces = [pa.array(["x", None, "yyy"]), pa.array(["zz"]), pa.array(["", "w", "vvvv", "u"])]
    text = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(pieces, pa.string())))
    frame = pd.DataFrame({"T": text, "N": np.arange(8, dtype=float)})
    write_xpt(frame, tmp_path / "c.xpt", name="C", created=STAMP)
    back, _ = read_xpt(tmp_path / "c.xpt")
    assert back["T"].tolist() == ["x", "", "yyy", "zz", "", "w", "vvvv", "u"]
    assert back["N"].tolist() == list(range(8))


def test_writes_to_a_binary_file_object():
    buffer = io.BytesIO()
    write_xpt(pd.DataFrame({"A": ["x"]}), buffer, name="A", created=STAMP)
    assert len(buffer.getvalue()) == 12 * 80 and buffer.getvalue()[-80:] == b"x" + b" " * 79


def test_zero_rows(tmp_path):
    frame = pd.DataFrame({"A": pd.Series([], dtype="str"), "B": pd.Series([], dtype=float)})
    meta = write_xpt(frame, tmp_path / "z.xpt", name="Z", created=STAMP)
    assert (tmp_path / "z.xpt").stat().st_size == 13 * 80  # headers, 2 NAMESTRs in 4 records, OBS
    back, read_meta = read_xpt(tmp_path / "z.xpt")
    assert back.shape == (0, 2) and read_meta == meta


def test_trailing_blank_rows_inside_the_last_record_are_ambiguous(tmp_path, caplog):
    frame = pd.DataFrame({"A": ["xy", "  ", None], "B": ["z", "", ""]})
    with caplog.at_level(logging.WARNING, logger="formats.xpt"):
        write_xpt(frame, tmp_path / "t.xpt", name="T", created=STAMP)
    assert "last 2 row(s) are entirely blank" in caplog.text and "every reader does" in caplog.text
    back, _ = read_xpt(tmp_path / "t.xpt")
    assert back["A"].tolist() == ["xy"]  # what every XPORT reader sees


def test_blank_rows_that_cannot_be_padding_are_kept(tmp_path, caplog):
    frame = pd.DataFrame({"A": ["x" * 90, " " * 90, ""]})  # rows of 80+ bytes cannot hide in padding
    with caplog.at_level(logging.WARNING, logger="formats.xpt"):
        write_xpt(frame, tmp_path / "k.xpt", name="K", created=STAMP)
    assert "ReadStat-based readers always do" in caplog.text and "SAS and trialforge keep them" in caplog.text
    back, _ = read_xpt(tmp_path / "k.xpt")
    assert back["A"].tolist() == ["x" * 90, "", ""]


def test_leading_blanks_survive(tmp_path):
    frame = pd.DataFrame({"A": ["  lead", "x "], "N": [1.0, 2.0]})
    write_xpt(frame, tmp_path / "l.xpt", name="L", created=STAMP)
    assert read_xpt(tmp_path / "l.xpt")[0]["A"].tolist() == ["  lead", "x"]


# ---------------------------------------------------------------------------------------------
# Refusals


def _refusal(tmp_path, frame, **kwargs) -> str:
    path = tmp_path / "refused.xpt"
    with pytest.raises(ExportError) as caught:
        write_xpt(frame, path, **{"name": "DS", "created": STAMP, **kwargs})
    assert not path.exists()
    return str(caught.value)


@pytest.mark.parametrize("bad", ["usubjid", "TOOLONGNAME", "1ABC", "A-B", ""])
def test_refuses_bad_variable_names(tmp_path, bad):
    assert "not a SAS variable name" in _refusal(tmp_path, pd.DataFrame({bad: [1.0]}))


@pytest.mark.parametrize("bad", ["dm", "DATASET01", "9DM", ""])
def test_refuses_bad_dataset_names(tmp_path, bad):
    assert "is not a SAS name" in _refusal(tmp_path, pd.DataFrame({"A": [1.0]}), name=bad)


def test_refuses_long_labels(tmp_path):
    frame = pd.DataFrame({"A": [1.0]})
    assert "41 bytes; at most 40" in _refusal(tmp_path, frame, label="x" * 41)
    text = _refusal(tmp_path, frame, columns=[XptColumn("A", "\u00e9" * 21, "num")], encoding="utf-8")
    assert "DS.A label" in text and "42 bytes" in text
    write_xpt(frame, tmp_path / "ok.xpt", name="DS", label="x" * 40, columns=[XptColumn("A", "y" * 40, "num")],
              created=STAMP)  # fmt: skip


def test_refuses_text_longer_than_200_bytes(tmp_path):
    text = _refusal(tmp_path, pd.DataFrame({"A": ["ok", "x" * 201]}))
    assert "DS.A: record 2 value 'xxx" in text and "201 bytes" in text and "refusing to truncate" in text
    assert "x" * 100 not in text  # the value is cut, not quoted whole


def test_refuses_declared_length_shorter_than_the_data(tmp_path):
    frame = pd.DataFrame({"AETERM": ["HEADACHE", "NAUSEA"]}, index=[10, 20])
    text = _refusal(tmp_path, frame, columns=[XptColumn("AETERM", length=6)])
    assert "DS.AETERM: record 1 (index 10) value 'HEADACHE' is 8 bytes, longer than the declared length (6)" in text


def test_refuses_non_ascii_unless_an_encoding_allows_it(tmp_path):
    frame = pd.DataFrame({"TERM": ["ok", "Alzheimer\u2019s"]})
    text = _refusal(tmp_path, frame)
    assert "DS.TERM: record 2 value 'Alzheimer\u2019s' has non-ASCII character '\u2019'" in text
    write_xpt(frame, tmp_path / "w.xpt", name="DS", encoding="cp1252", created=STAMP)
    assert b"Alzheimer\x92s" in (tmp_path / "w.xpt").read_bytes()
    assert read_xpt(tmp_path / "w.xpt", encoding="cp1252")[0]["TERM"].tolist() == ["ok", "Alzheimer\u2019s"]
    assert "cannot be encoded as latin-1" in _refusal(tmp_path, frame, encoding="latin-1")


def test_refuses_more_than_9999_variables(tmp_path):
    frame = pd.DataFrame(np.zeros((1, 10_000)), columns=[f"V{i}" for i in range(10_000)])
    assert "10000 variables; XPORT v5 holds at most 9999" in _refusal(tmp_path, frame)


def test_refuses_datetimes_without_a_numeric_declaration(tmp_path):
    frame = pd.DataFrame({"ADT": pd.to_datetime(["2024-01-01"])})
    assert "holds dates/times but is not declared numeric" in _refusal(tmp_path, frame)
    objects = pd.DataFrame({"ADT": pd.Series([date(2024, 1, 1)], dtype=object)})
    assert "holds dates/times but is not declared numeric" in _refusal(tmp_path, objects)
    text = _refusal(tmp_path, frame, columns=[XptColumn("ADT", type="num")])
    assert "DATE-like or DATETIME-like format" in text


def test_refuses_numbers_beyond_ibm_range(tmp_path):
    text = _refusal(tmp_path, pd.DataFrame({"X": [1.0, 1e76]}))
    assert "DS.X: record 2 value 1e+76 is beyond the IBM float range" in text
    assert "beyond the IBM float range" in _refusal(tmp_path, pd.DataFrame({"X": [-np.inf]}))


def test_refuses_integers_that_a_double_cannot_hold(tmp_path):
    frame = pd.DataFrame({"X": np.array([1, 2**53 + 1], dtype=np.int64)})
    assert "record 2 integer 9007199254740993 exceeds 2**53" in _refusal(tmp_path, frame)


def test_refuses_type_mismatches(tmp_path):
    text = _refusal(tmp_path, pd.DataFrame({"A": [1.5]}), columns=[XptColumn("A", type="char")])
    assert "declared char but holds float64" in text
    text = _refusal(tmp_path, pd.DataFrame({"A": ["x"]}), columns=[XptColumn("A", type="num")])
    assert "declared num but holds" in text
    mixed = pd.DataFrame({"A": pd.Series(["x", 3], dtype=object)})
    assert "non-text values (first: 3)" in _refusal(tmp_path, mixed)


def test_all_missing_columns_take_either_type(tmp_path):
    frame = pd.DataFrame({"C": [np.nan, np.nan], "N": pd.Series([None, None], dtype=object)})
    columns = [XptColumn("C", type="char", length=3), XptColumn("N", type="num")]
    write_xpt(frame, tmp_path / "m.xpt", name="M", columns=columns, created=STAMP)
    back, _ = read_xpt(tmp_path / "m.xpt")
    assert back["C"].tolist() == ["", ""] and back["N"].isna().all()


def test_refuses_columns_that_do_not_match_the_declaration(tmp_path):
    frame = pd.DataFrame({"A": [1.0], "EXTRA": [2.0]})
    text = _refusal(tmp_path, frame, columns=[XptColumn("A", type="num"), XptColumn("GONE", type="num")])
    assert "['EXTRA'] are not among the declared columns" in text and "['GONE'] are not in the frame" in text
    dup = [XptColumn("A", type="num"), XptColumn("A", type="num")]
    assert "declared twice" in _refusal(tmp_path, frame[["A"]], columns=dup)
    assert "at least one variable" in _refusal(tmp_path, pd.DataFrame(index=[0]))


@pytest.mark.parametrize(
    "column, message",
    [
        (XptColumn("A", type="num", length=9), "length 9 outside 2-8"),
        (XptColumn("A", type="char", length=201), "length 201 outside 1-200"),
        (XptColumn("A", type="num", format="TOOLONGNAME9."), "format 'TOOLONGNAME9.' is not NAMEw.d"),
        (XptColumn("A", type="text"), "type must be 'char' or 'num'"),
    ],
)
def test_refuses_bad_column_metadata(tmp_path, column, message):
    frame = pd.DataFrame({"A": [1.0]}) if column.type != "char" else pd.DataFrame({"A": ["x"]})
    assert message in _refusal(tmp_path, frame, columns=[column])


def test_refuses_bad_special_missing(tmp_path):
    frame = pd.DataFrame({"X": [1.0, np.nan], "T": ["a", "b"]})
    assert "record 1 has value 1.0 and special missing .A" in _refusal(
        tmp_path, frame, special_missing={"X": pd.Series({0: "A"})}
    )
    assert "'AB' is not one of A-Z or _" in _refusal(tmp_path, frame, special_missing={"X": pd.Series({1: "AB"})})
    assert "need a numeric column" in _refusal(tmp_path, frame, special_missing={"T": pd.Series({1: "A"})})
    assert "not in the frame" in _refusal(tmp_path, frame, special_missing={"X": pd.Series({7: "A"})})
    twice = frame.set_axis([0, 0])
    assert "unique index" in _refusal(tmp_path, twice, special_missing={"X": pd.Series({0: "A"})})


def test_every_problem_is_reported_at_once(tmp_path):
    frame = pd.DataFrame({"bad": [1.0], "LONG": ["x" * 300], "BIG": [1e80]})
    text = _refusal(tmp_path, frame, label="y" * 50)
    assert all(part in text for part in ("dataset label", "DS.bad", "DS.LONG", "DS.BIG"))


# ---------------------------------------------------------------------------------------------
# Reader refusals


def test_reader_refuses_what_is_not_one_xport_dataset(tmp_path):
    (tmp_path / "junk.xpt").write_bytes(b"not an xport file" * 100)
    with pytest.raises(InputError, match="not a SAS XPORT v5 file"):
        read_xpt(tmp_path / "junk.xpt")
    one = tmp_path / "one.xpt"
    write_xpt(pd.DataFrame({"A": ["x"] * 3}), one, name="A", created=STAMP)
    data = one.read_bytes()
    (tmp_path / "two.xpt").write_bytes(data + data[240:])  # a second member after the first
    with pytest.raises(InputError, match="more than one dataset"):
        read_xpt(tmp_path / "two.xpt")


# ---------------------------------------------------------------------------------------------
# Other readers agree with our files


def _varied_frame(rows: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "STUDYID": ["MESOCART-PD1"] * rows,
            "USUBJID": [f"MESOCART-PD1-001-{i:04d}" for i in range(rows)],
            "AVAL": rng.normal(50, 20, rows) * 10.0 ** rng.integers(-30, 30, rows),
            "AVALC": [("x" * int(n)).strip() for n in rng.integers(0, 60, rows)],
            "ADT": [23376.0 + i for i in range(rows)],
            "PARAMCD": ["SLD", "CRP", "IL6", "FERR", "", "HGB", "SLD"][:rows],
        }
    )


VARIED_COLUMNS = [
    XptColumn("STUDYID", "Study Identifier", "char", 12),
    XptColumn("USUBJID", "Unique Subject Identifier", "char", 21),
    XptColumn("AVAL", "Analysis Value", "num", format="8.2"),
    XptColumn("AVALC", "Analysis Value (C)", "char", 60),
    XptColumn("ADT", "Analysis Date", "num", format="DATE9."),
    XptColumn("PARAMCD", "Parameter Code", "char", 8),
]


def test_pyreadstat_reads_our_files(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = _varied_frame()
    frame.loc[2, "AVAL"] = np.nan
    path = tmp_path / "adlb.xpt"
    write_xpt(frame, path, name="ADLB", label="Lab Analysis", columns=VARIED_COLUMNS, created=STAMP)
    theirs, info = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert info.table_name == "ADLB" and info.file_label == "Lab Analysis"
    assert info.column_names_to_labels == {c.name: c.label for c in VARIED_COLUMNS}
    assert info.variable_storage_width == {c.name: c.length or 8 for c in VARIED_COLUMNS}
    # ReadStat versions differ on the trailing dot ("DATE9" vs "DATE9."): compare name, width, decimals
    formats = {k: (v or "").rstrip(".") for k, v in info.original_variable_types.items()}
    assert formats["ADT"] == "DATE9" and formats["AVAL"] == "8.2"
    np.testing.assert_array_equal(theirs["AVAL"].to_numpy(dtype=float), frame["AVAL"].to_numpy())
    for name in ("STUDYID", "USUBJID", "AVALC", "PARAMCD"):
        assert theirs[name].fillna("").tolist() == frame[name].tolist()


def test_pandas_reads_our_files(tmp_path):
    frame = _varied_frame()
    path = tmp_path / "adlb.xpt"
    write_xpt(frame, path, name="ADLB", columns=VARIED_COLUMNS, created=STAMP)
    # pandas' reader has two quirks we avoid here, not bugs of the file: it decodes an IBM zero as
    # 5.4e-79 and, for rows shorter than 80 bytes, counts any 8 blank bytes in the last record as padding
    theirs = pd.read_sas(path, format="xport", encoding="ascii")
    assert list(theirs.columns) == [c.name for c in VARIED_COLUMNS]
    np.testing.assert_array_equal(theirs["AVAL"].to_numpy(dtype=float), frame["AVAL"].to_numpy())
    np.testing.assert_array_equal(theirs["ADT"].to_numpy(dtype=float), frame["ADT"].to_numpy())
    for name in ("STUDYID", "USUBJID", "AVALC", "PARAMCD"):
        assert theirs[name].fillna("").tolist() == frame[name].tolist()


# ---------------------------------------------------------------------------------------------
# Control characters, and messages that name the record, its origin and the file as the user knows it


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f"])
def test_refuses_text_with_a_control_character(tmp_path, char):
    frame = pd.DataFrame({"AETERM": ["HEADACHE", f"NAU{char}SEA"], "N": [1.0, 2.0]})
    text = _refusal(tmp_path, frame)
    assert f"DS.AETERM: record 2 value {'NAU' + char + 'SEA'!r}" in text
    assert f"holds the control character {char!r}" in text


@pytest.mark.parametrize("kind", ["with missing values", "non-ascii", "arrow chunks", "object"])
def test_control_characters_are_found_in_every_kind_of_text_column(tmp_path, kind):
    values = ["ok", None, "bad\x00value"] if kind == "with missing values" else ["\u00e9t\u00e9", "bad\x00value"] \
        if kind == "non-ascii" else ["ok", "bad\x00value"]
    series = pd.Series(values, dtype="object" if kind == "object" else "str")
    if kind == "arrow chunks":
        series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["ok"], ["bad\x00value"]])))
    text = _refusal(tmp_path, pd.DataFrame({"A": series}), encoding="cp1252")
    assert f"DS.A: record {len(values)} value 'bad\\x00value' holds the control character '\\x00'" in text


def test_refuses_control_characters_in_labels(tmp_path):
    frame = pd.DataFrame({"A": ["x"]})
    assert "dataset label 'Adverse\\x00Events' holds the control character" in _refusal(
        tmp_path, frame, label="Adverse\x00Events")
    text = _refusal(tmp_path, frame, columns=[XptColumn("A", "Term\nReported")])
    assert "DS.A label 'Term\\nReported' holds the control character '\\n'" in text


def test_messages_name_the_origin_of_a_record_and_the_file_as_shown(tmp_path):
    frame = pd.DataFrame({"AETERM": ["ok", "x" * 250, "fine"]})
    origin = {1: "raw file ae.csv, row 7"}.get
    path = tmp_path / ".pkg.staging-1" / "ae.xpt"
    path.parent.mkdir()
    with pytest.raises(ExportError) as caught:
        write_xpt(frame, path, name="AE", origin=origin, shown_as="m5/sdtm/ae.xpt", created=STAMP)
    text = str(caught.value)
    assert "m5/sdtm/ae.xpt, column 'AETERM': AE.AETERM: record 2 (raw file ae.csv, row 7) value 'xxx" in text
    assert "250 bytes" in text and "staging" not in text and "x" * 100 not in text


def test_package_writer_names_dataset_variable_record_value_and_raw_file_and_row(tmp_path):
    from trialforge.package import Conformed, package_path, write_dataset

    staging = tmp_path / ".pkg.staging-42"
    staging.mkdir()
    (staging / ".trialforge-staging").write_text("42\n")
    target = staging / "m5" / "datasets" / "S" / "tabulations" / "sdtm" / "ae.xpt"
    frame = pd.DataFrame({"AETERM": ["HEADACHE", "Naus\u00e9e", "RASH"]})
    provenance = pd.DataFrame({"__file": ["ae.csv", "ae.csv", None], "__row": [2, 5.0, None]})
    conformed = Conformed(frame, (XptColumn("AETERM", "Reported Term"),), "Adverse Events", (), provenance)
    with pytest.raises(ExportError) as caught:
        write_dataset(conformed, target, "AE")
    text = str(caught.value)
    assert "m5/datasets/S/tabulations/sdtm/ae.xpt, column 'AETERM': AE.AETERM: record 2 (raw file ae.csv, row 5) " \
           "value 'Naus\u00e9e' has non-ASCII character '\u00e9'" in text
    assert str(staging) not in text and not target.exists()
    # a record without provenance is named by its position only; without a staging folder the path is as given
    frame = pd.DataFrame({"AETERM": ["HEADACHE", "ok", "bad\x00"]})
    with pytest.raises(ExportError, match=r"AE\.AETERM: record 3 value 'bad\\x00'"):
        write_dataset(Conformed(frame, conformed.columns, "AE", (), provenance), target, "AE")
    assert package_path(tmp_path / "out" / "ae.xpt") == str(tmp_path / "out" / "ae.xpt")
    assert package_path(tmp_path / "out" / "ae.xpt", root=tmp_path) == "out/ae.xpt"


def test_conform_to_spec_keeps_the_provenance_beside_the_frame():
    from trialforge.package import conform_to_spec

    class _Variable:
        def __init__(self, name):
            self.name, self.label, self.data_type, self.display_format = name, name.title(), "text", ""

    class _Spec:
        source = "spec.xlsx"

        def variables_of(self, dataset):
            return [_Variable("AETERM")]

        def has_dataset(self, dataset):
            return False

    frame = pd.DataFrame({"AETERM": ["A", "B"], "__file": ["ae.csv", "ae.csv"], "__row": [3, 9]}, index=[7, 4])
    conformed = conform_to_spec(frame, _Spec(), "AE")
    assert list(conformed.frame.columns) == ["AETERM"]
    assert conformed.provenance.to_dict("list") == {"__file": ["ae.csv", "ae.csv"], "__row": [3, 9]}
    assert conform_to_spec(frame.drop(columns=["__file", "__row"]), _Spec(), "AE").provenance is None


@pytest.mark.parametrize(("cut", "message"), [(700, "ends inside its header"), (-30, "not a whole number of 80-byte"),
                                              (-1, "not a whole number of 80-byte")])
def test_a_file_cut_short_is_refused_rather_than_read_with_rows_missing(tmp_path, cut, message):
    frame = pd.DataFrame({"USUBJID": [f"S-{i:03d}" for i in range(40)], "AVAL": np.arange(40.0)})
    path = tmp_path / "cut.xpt"
    write_xpt(frame, path, name="CUT", created=STAMP)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(InputError, match=message):
        read_xpt(path)
