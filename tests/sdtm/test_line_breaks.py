"""Raw text with tabs or line breaks is mapped as one line, each value reported (sdtm.study.flatten_line_breaks),
whether the form's text is held by Arrow (as read from CSV) or as Python objects."""

import pandas as pd
import pytest

from sdtm.study import flatten_line_breaks


def _form(values, dtype):
    return pd.DataFrame({"AETERM": pd.Series(values, dtype=dtype), "AESEV": pd.Series(["MILD"] * len(values)),
                         "__file": "ae.csv", "__row": range(2, 2 + len(values))})


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", object])
def test_breaks_become_one_space_and_each_value_is_reported(dtype):
    form = _form(["Head\nache", "Nausea", None, "Rash \r\n  on arm", "Tab\there", "Vertical\x0btab"], dtype)
    (out,), findings = (lambda f: (list(f[0].values()), f[1]))(flatten_line_breaks({"AE": form}))
    assert out["AETERM"].tolist()[:2] == ["Head ache", "Nausea"]
    assert pd.isna(out["AETERM"].iloc[2])
    assert out["AETERM"].tolist()[3:] == ["Rash on arm", "Tab here", "Vertical\x0btab"]  # not a line break
    assert [(f.raw_row, f.value) for f in findings] == [(2, "Head\nache"), (5, "Rash \r\n  on arm"), (6, "Tab\there")]


def test_a_form_without_breaks_is_returned_as_it_is():
    form = _form(["Headache", "Nausea", None], "str")
    out, findings = flatten_line_breaks({"AE": form})
    assert out["AE"] is form and findings == []


def test_a_sliced_column_is_checked_on_its_own_values():
    form = _form(["Head\nache", "Nausea", "Rash"], "str").iloc[1:]  # the buffer still holds the first value
    out, findings = flatten_line_breaks({"AE": form})
    assert findings == [] and out["AE"]["AETERM"].tolist() == ["Nausea", "Rash"]
