"""CSV cells a reviewer opens in Excel: formula text becomes inert, numbers and plain text stay as they are."""

import pandas as pd

from specs.export import export_spec
from specs.reader import read_spec
from trialforge.csvsafe import neutralise_cell, neutralise_formulas
from trialforge.example_study import example_spec


def test_formula_text_gets_an_apostrophe_and_numbers_do_not():
    frame = pd.DataFrame({"text": ['=HYPERLINK("x")', "@SUM(A1)", "-x", "+cmd|' /C calc'!A0", "\tTAB", "-5",
                                   "+3.2", "1e-3", "plain", None], "n": range(10)})
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:5] == ["'" + v for v in frame["text"][:5]]
    assert out["text"].tolist()[5:9] == ["-5", "+3.2", "1e-3", "plain"] and pd.isna(out["text"].iloc[9])
    assert out["n"].tolist() == list(range(10))
    assert frame["text"].iloc[0] == '=HYPERLINK("x")', "the input frame is not changed"


def test_neutralise_cell_matches_the_frame_rule():
    for value in ("=1+1", "@x", "-x", "-5", "abc"):
        expected = neutralise_formulas(pd.DataFrame({"v": [value]}))["v"].iloc[0]
        assert neutralise_cell(value) == expected


def test_spec_export_applies_the_cell_rewrite_to_every_csv_cell(tmp_path):
    spec = read_spec(example_spec("sdtm"))
    plain = export_spec(spec, tmp_path / "plain")
    marked = export_spec(spec, tmp_path / "marked", cell=lambda v: f"<{v}>")
    for a, b in zip(sorted(plain), sorted(marked)):
        rows_a = pd.read_csv(a, dtype=str, keep_default_na=False)
        rows_b = pd.read_csv(b, dtype=str, keep_default_na=False)
        assert list(rows_a.columns) == list(rows_b.columns)
        assert (("<" + rows_a + ">") == rows_b).all().all(), a.name
