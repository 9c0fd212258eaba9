"""Property tests: arbitrary frames survive write_xpt -> read_xpt (and pyreadstat agrees).

Documented precision: an IBM double has a 56-bit fraction, and a normal IEEE double's 53-bit
significand always fits it after re-basing the exponent, so every double with
16**-65 <= |x| < 16**63 round-trips EXACTLY (integers up to 2**53 included); smaller magnitudes
underflow to 0. Reading a 56-bit fraction another writer produced rounds to the nearest double:
relative error at most 2**-53.
"""

from datetime import datetime
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from formats.xpt import XptColumn, read_xpt, write_xpt
from formats.xpt_ibm import ibm_to_ieee, ieee_to_ibm

STAMP = datetime(2024, 3, 1, 12, 30, 5)
SMALLEST = 2.0**-260  # 16**-65
LIMIT = 2.0**252  # 16**63
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ibm_floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) < LIMIT)
text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)
labels = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,7}", fullmatch=True)


def _expected_number(x: float) -> float:
    return 0.0 if abs(x) < SMALLEST else x


@given(st.lists(ibm_floats, max_size=50))
def test_doubles_in_ibm_range_are_exact(values):
    words, too_large = ieee_to_ibm(np.array(values, dtype=float))
    back, codes = ibm_to_ieee(words)
    assert not too_large.any() and not codes.any()
    assert back.tolist() == [_expected_number(x) for x in values]


@given(st.lists(st.integers(-(2**53), 2**53), max_size=50))
def test_integers_up_to_2_pow_53_are_exact(values):
    back, _ = ibm_to_ieee(ieee_to_ibm(np.array(values, dtype=float))[0])
    assert back.tolist() == [float(v) for v in values]


@given(st.integers(0, 2**64 - 1))
def test_reading_any_ibm_word_rounds_to_the_nearest_double(word):
    fraction, exponent, negative = word & (2**56 - 1), (word >> 56) & 0x7F, word >> 63
    assume(fraction != 0)  # zero fractions are zeros or missing values
    exact = Fraction(fraction, 2**56) * Fraction(16) ** (exponent - 64) * (-1 if negative else 1)
    value, code = ibm_to_ieee(np.array([word], dtype=np.uint64))
    assert value[0] == float(exact)  # Python rounds Fractions correctly
    assert abs(Fraction(value[0]) - exact) <= abs(exact) * Fraction(1, 2**53)
    assert code[0] == 0


@st.composite
def frames(draw, max_columns=6, max_rows=12):
    rows = draw(st.integers(0, max_rows))
    column_names = draw(st.lists(names, min_size=1, max_size=max_columns, unique=True))
    data, columns, special = {}, [], {}
    for name in column_names:
        label = draw(labels)
        if draw(st.booleans()):
            values = draw(st.lists(st.one_of(ibm_floats, st.just(float("nan"))), min_size=rows, max_size=rows))
            data[name] = pd.Series(values, dtype=float)
            columns.append(XptColumn(name, label, "num"))
            missing = [i for i, v in enumerate(values) if np.isnan(v)]
            chosen = draw(st.lists(st.sampled_from(missing), unique=True)) if missing else []
            if chosen:
                letters = draw(st.lists(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), min_size=len(chosen),
                                        max_size=len(chosen)))  # fmt: skip
                special[name] = pd.Series(letters, index=chosen, dtype="str")
        else:
            values = draw(st.lists(st.one_of(text, st.none()), min_size=rows, max_size=rows))
            data[name] = pd.Series(values, dtype="str")
            declared = draw(st.one_of(st.none(), st.integers(1, 200)))
            longest = max([len(v) for v in values if v is not None], default=0)
            length = None if declared is None else max(declared, longest, 1)
            columns.append(XptColumn(name, label, "char", length))
    frame = pd.DataFrame(data, index=pd.RangeIndex(rows))
    return frame, columns, special, draw(labels)


def _row_length(frame: pd.DataFrame, meta) -> int:
    return sum(c.length for c in meta.columns)


def _expected_text(series: pd.Series) -> list[str]:
    return [("" if v is None or v != v else v).rstrip(" ") for v in series.astype(object)]


def _ends_with_blank_text_row(frame: pd.DataFrame, columns) -> bool:
    """ReadStat drops trailing all-blank rows of all-text datasets, whatever their length."""
    if len(frame) == 0 or any(c.type == "num" for c in columns):
        return False
    return all(_expected_text(frame[c.name].iloc[-1:])[0] == "" for c in columns)


def _tail_hides_in_padding(frame: pd.DataFrame, columns, meta) -> bool:
    """All-text rows shorter than a record, the last one blank: XPORT cannot tell it from padding."""
    if len(frame) == 0 or any(c.type == "num" for c in columns) or _row_length(frame, meta) >= 80:
        return False
    return all(t == "" for t in (_expected_text(frame[c.name].iloc[-1:])[0] for c in columns))


@PROPERTY
@given(frames())
def test_frames_round_trip(tmp_path, case):
    frame, columns, special, label = case
    path = tmp_path / "p.xpt"
    written = write_xpt(frame, path, name="PROP", label=label, columns=columns, special_missing=special, created=STAMP)
    assume(not _tail_hides_in_padding(frame, columns, written))
    back, meta = read_xpt(path)
    assert meta == written
    assert list(back.columns) == [c.name for c in columns] and len(back) == len(frame)
    for column in columns:
        if column.type == "num":
            expected = [_expected_number(x) for x in frame[column.name]]
            np.testing.assert_array_equal(back[column.name].to_numpy(), expected)
        else:
            assert back[column.name].tolist() == _expected_text(frame[column.name])
    assert {k: v.to_dict() for k, v in back.attrs.get("special_missing", {}).items()} == {
        k: v.to_dict() for k, v in special.items()
    }
    # what we read writes back to the very same bytes
    again = tmp_path / "again.xpt"
    write_xpt(back, again, name="PROP", label=label, columns=meta.columns, created=STAMP,
              special_missing=back.attrs.get("special_missing"))  # fmt: skip
    assert again.read_bytes() == path.read_bytes()


@PROPERTY
@given(frames(max_columns=4, max_rows=8))
def test_pyreadstat_reads_what_we_write(tmp_path, case):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, columns, special, label = case
    path = tmp_path / "p.xpt"
    written = write_xpt(frame, path, name="PROP", label=label, columns=columns, special_missing=special, created=STAMP)
    assume(not _ends_with_blank_text_row(frame, columns))
    theirs, info = pyreadstat.read_xport(str(path))
    assert list(theirs.columns) == [c.name for c in columns] and len(theirs) == len(frame)
    their_labels = {name: text or "" for name, text in info.column_names_to_labels.items()}
    assert their_labels == {c.name: c.label.rstrip(" ") for c in columns}
    assert info.variable_storage_width == {c.name: c.length for c in written.columns}
    assert (info.file_label or "") == label.rstrip(" ")
    for column in columns:
        if column.type == "num":
            expected = [_expected_number(x) for x in frame[column.name]]
            np.testing.assert_array_equal(theirs[column.name].to_numpy(dtype=float), expected)
        else:
            assert theirs[column.name].fillna("").tolist() == _expected_text(frame[column.name])


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(100, 1500), st.integers(0, 3))
def test_many_columns(tmp_path, width, rows):
    frame = pd.DataFrame(
        {f"V{i}": (["x" * (i % 200 + 1)] * rows if i % 2 else np.arange(rows, dtype=float) + i) for i in range(width)}
    )
    path = tmp_path / "wide.xpt"
    written = write_xpt(frame, path, name="WIDE", created=STAMP)
    back, meta = read_xpt(path)
    assert meta == written and len(meta.columns) == width
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
