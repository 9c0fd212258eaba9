"""The cached column views rules share (validation.context, operators.dates.group_codes) give what the plain
pandas expressions they replace give, on ugly values, on short columns and on long ones."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from validation import ct
from validation.context import (
    PER_VALUE_MIN_RECORDS, Cache, RuleContext, _compact, as_numeric, byte_lengths, null_mask,
)
from validation.datasets import datasets_from_frames
from validation.engine import run_rules
from validation.operators.dates import group_codes
from validation.rulebook import load_rules

UGLY = ["a", " ", "", None, "  b ", "\u3000", "\x1c", " \t", "\t", " x", "é", ".", "1", "1.50", " 2e3", "NaN"]


def _reference_null(series: pd.Series) -> pd.Series:
    """What null_mask computed before its Arrow path."""
    mask = (series.isna() | (series == "")).fillna(True).astype(bool)
    candidates = series.str.startswith(" ").fillna(False).astype(bool)
    return mask | (candidates & (series.str.strip() == "").fillna(False))


def _context(frame: pd.DataFrame, name: str = "XX") -> RuleContext:
    datasets = datasets_from_frames({name: frame})
    return RuleContext(datasets, None, Cache(), datasets[name])


@pytest.mark.parametrize("repeat", [1, PER_VALUE_MIN_RECORDS])  # short and long columns
def test_null_present_and_numbers_agree_with_pandas(repeat):
    values = pd.Series(UGLY * repeat, dtype="str")
    assert null_mask(values).tolist() == _reference_null(values).tolist()
    ctx = _context(pd.DataFrame({"TEXT": values}))
    assert ctx.present("TEXT").tolist() == (~_reference_null(ctx.text("TEXT"))).tolist()
    expected = pd.to_numeric(ctx.text("TEXT").where(ctx.text("TEXT") != ""), errors="coerce")
    assert np.array_equal(ctx.numeric("TEXT").to_numpy(), expected.to_numpy(dtype="float64"), equal_nan=True)
    assert ctx.numeric("TEXT") is ctx.numeric("TEXT"), "made once"


def test_byte_lengths_count_utf8_bytes_and_missing_as_zero():
    text = pd.Series(["a", "é", "", None, "日本"], dtype="str")
    assert byte_lengths(text).tolist() == [1, 2, 0, 0, 6]
    assert byte_lengths(pd.Series(["ab", None], dtype=object)).tolist() == [2, 0]


def test_byte_lengths_are_kept_in_the_narrowest_integers_that_hold_the_longest():
    assert byte_lengths(pd.Series(["a" * 200, None], dtype="str")).dtype == np.uint8
    long = byte_lengths(pd.Series(["é" * 200, "b"], dtype="str"))  # 400 bytes: a Dataset-JSON value may be longer
    assert long.dtype == np.uint16 and long.tolist() == [400, 1] and (long > 200).tolist() == [True, False]
    assert byte_lengths(pd.Series([], dtype="str")).tolist() == []


def test_outside_looks_up_each_distinct_value_once():
    ctx = _context(pd.DataFrame({"SEV": ["MILD", "mild", "", "SEVERE", "MILD"]}))
    assert ctx.outside("SEV", frozenset({"MILD", "SEVERE"})).tolist() == [False, True, True, False, False]


@pytest.mark.parametrize("count, dtype", [(3, np.int8), (200, np.int16), (40_000, np.int32)])
def test_codes_take_the_smallest_integer_type(count, dtype):
    codes, uniques = _compact(np.arange(count, dtype=np.intp), list(range(count)))
    assert codes.dtype == dtype and codes[-1] == count - 1 and len(uniques) == count


def test_per_value_gives_the_same_on_short_and_long_columns():
    short = pd.DataFrame({"DTC": ["2024-01-05", "2024-13", "", "2024-01-05"]})
    long = pd.concat([short] * PER_VALUE_MIN_RECORDS, ignore_index=True)
    for frame in (short, long):
        ctx = _context(frame)
        made = ctx.per_value("DTC", "year", lambda t: t.str.slice(0, 4))
        assert made.tolist() == frame["DTC"].str.slice(0, 4).tolist()
        assert made.index.equals(ctx.frame.index)


def test_group_codes_group_as_a_groupby_of_the_values():
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2", "S-2", "", ""],
                          "SEQ": [1.0, 1.0, 1.0, np.nan, np.nan, np.nan],
                          "TEST": ["A", "A", "A", "A", "B", "B"]})
    ctx = _context(frame)
    codes = group_codes(ctx, ["USUBJID", "SEQ", "TEST"])
    reference = ctx.frame.groupby(["USUBJID", "SEQ", "TEST"], sort=False, dropna=False).ngroup()
    pairs = set(zip(codes, reference))
    assert len(pairs) == len(set(codes)) == len(set(reference)), "the same partition of the records"


def test_codelists_are_found_by_code_and_short_name():
    assert ct.codelist_code("SEX") == ct.codelist_code("C66731") == "C66731"
    assert {"M", "F"} <= ct.terms("SEX")
    from specs.errors import SpecError

    with pytest.raises(SpecError):
        ct.codelist_code("NO SUCH CODELIST")


def test_a_worker_hands_its_log_records_back_with_its_outcomes(monkeypatch):
    """A forked worker's warnings ("rule ... failed") travel back, picklable, to be logged by the process that
    started it (the CLI's console, or the build's job, which forwards them to the build)."""
    import multiprocessing
    import pickle

    from validation import engine, operators

    def boom(frame, params, ctx):
        raise RuntimeError("boom")

    original = operators.REGISTRY["non_ascii"]
    monkeypatch.setitem(operators.REGISTRY, "non_ascii", operators.Operator(
        original.name, boom, original.level, original.params, original.required, original.doc))
    rules = [r for r in load_rules() if r.check.get("operator") == "non_ascii"]
    datasets = datasets_from_frames({"DM": pd.DataFrame({"USUBJID": ["S-1", "S-2"], "DOMAIN": ["DM", "DM"]})})
    context = multiprocessing.get_context("fork")
    monkeypatch.setattr(engine, "_SHARED", (rules, datasets, None, 10, Cache(), context.RawValue("l", 0),
                                            context.Lock()))
    root = logging.getLogger()
    handlers = root.handlers[:]
    try:
        outcomes, records = engine._run_forked_share()
    finally:
        root.handlers = handlers
    assert sorted(outcomes) == list(range(len(rules)))
    failed = [outcome[1].rule_id for outcome in outcomes.values() if outcome[1].status == "error"]
    messages = [r.getMessage() for r in pickle.loads(pickle.dumps(records))]
    assert failed and all(any(rule_id in m and "boom" in m for m in messages) for rule_id in failed)
