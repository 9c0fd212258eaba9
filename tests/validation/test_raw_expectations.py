"""Raw-data expectations: the suite as data, findings (pandas, or great-expectations with data docs).

great-expectations takes seconds to import, so the GX runs share one module-scoped result; every check
of the findings runs on both engines, and they must agree.
"""

from __future__ import annotations

import pandas as pd
import pytest

from specs.errors import InputError
from validation.gate import run_validation
from validation.raw_expectations import load_suite, run_raw_expectations

SUITE = """
suite: tiny
subject_column: Subject
patterns:
  full_date: '^\\d{2} [A-Z]{3} \\d{4}$'
forms:
  - form: DM
    file: dm.csv
    expectations:
      - {id: T-DM-1, expect: unique, column: Subject, severity: error, message: "Subject {value} twice"}
      - {id: T-DM-2, expect: between, column: AGE, min: 18, max: 90}
      - {id: T-DM-3, expect: in_set, column: SEX, values: [Male, Female]}
      - {id: T-DM-4, expect: not_null, column: SEX, severity: error}
  - form: LB
    file: lb.csv
    expectations:
      - {id: T-LB-1, expect: regex, column: LBDAT, pattern: full_date}
      - {id: T-LB-2, expect: regex, column: LBORRES, pattern: '^[<>]?\\d+(\\.\\d+)?$',
         where: {column: LBNDYN, not_equal: 'Yes'}}
      - {id: T-LB-3, expect: unique_together, columns: [Subject, LBTEST, LBDAT]}
      - {id: T-LB-4, expect: not_null, column: LBUNIT}
  - form: AE
    file: ae.csv
    expectations:
      - {id: T-AE-1, expect: not_null, column: AETERM}
"""


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    pd.DataFrame({"Subject": ["01-001", "01-002", "01-002", "01-004"], "AGE": ["54", "17", "61", "abc"],
                  "SEX": ["Male", "female", "Female", ""]}).to_csv(folder / "dm.csv", index=False)
    pd.DataFrame({"Subject": ["01-001", "01-001", "01-001", "01-002"],
                  "LBTEST": ["ALT", "AST", "AST", "IL-6"],
                  "LBDAT": ["12 JAN 2024", "12 JAN 2024", "12 JAN 2024", "2024-01-12"],
                  "LBORRES": ["12", "<0.1", "<0.1", ""], "LBNDYN": ["", "", "", "Yes"]}
                 ).to_csv(folder / "lb.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def suite_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("suite") / "tiny.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def gx_run(raw_dir, suite_path, tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    found = run_raw_expectations(raw_dir, suite_path, docs_dir=docs)
    return found, docs


@pytest.fixture(scope="module", params=["pandas", "great-expectations"])
def findings(request, raw_dir, suite_path):
    if request.param == "great-expectations":
        return request.getfixturevalue("gx_run")
    return run_raw_expectations(raw_dir, suite_path), None


def _key(finding) -> tuple:
    return (finding.rule_id, finding.row, finding.usubjid, finding.values, finding.message, finding.severity,
            finding.dataset)


def test_pandas_and_great_expectations_give_the_same_findings(raw_dir, suite_path, gx_run):
    assert sorted(map(_key, run_raw_expectations(raw_dir, suite_path))) == sorted(map(_key, gx_run[0]))


def _by_id(found) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in found:
        out.setdefault(f.rule_id, []).append(f)
    return out


def test_failures_become_findings_pointing_at_record_subject_and_value(findings):
    found, _ = findings
    by_id = _by_id(found)
    assert [(f.row, f.usubjid, f.values) for f in by_id["T-DM-1"]] == [(2, "01-002", ("01-002",)),
                                                                       (3, "01-002", ("01-002",))]
    assert by_id["T-DM-1"][0].message == "Subject 01-002 twice" and by_id["T-DM-1"][0].severity == "error"
    assert [f.row for f in by_id["T-DM-2"]] == [2]  # 17 is too young; 'abc' is not a number, not a range issue
    assert [f.values for f in by_id["T-DM-3"]] == [("female",)]  # blanks are left to not_null
    assert [f.row for f in by_id["T-DM-4"]] == [4]
    assert [f.row for f in by_id["T-LB-1"]] == [4]  # an ISO date is not how the site typed it
    assert "T-LB-2" not in by_id  # '<0.1' is a result; the not-done record is not checked
    assert [f.row for f in by_id["T-LB-3"]] == [2, 3]
    assert all(f.source == "expectation" and f.dataset in ("dm.csv", "lb.csv", "ae.csv") for f in found)


def test_a_missing_column_and_a_missing_form_are_findings(findings):
    by_id = _by_id(findings[0])
    assert "LBUNIT" in by_id["T-LB-4"][0].message and by_id["T-LB-4"][0].row is None
    assert by_id["RAW-AE"][0].severity == "error" and "ae.csv" in by_id["RAW-AE"][0].message


def test_data_docs_are_written_and_the_work_context_removed(gx_run):
    _, docs = gx_run
    assert (docs / "index.html").is_file()
    assert any((docs / "validations").rglob("*.html"))
    assert not [p for p in docs.iterdir() if p.name.startswith(".gx-context")]


def test_frames_in_memory_work_like_files(raw_dir, suite_path):
    frames = {"DM": pd.read_csv(raw_dir / "dm.csv", dtype=str, keep_default_na=False)}
    found = run_raw_expectations(frames, suite_path)
    assert {f.rule_id for f in found} == {"T-DM-1", "T-DM-2", "T-DM-3", "T-DM-4", "RAW-LB", "RAW-AE"}


def test_the_bundled_suite_loads_and_covers_every_raw_form():
    from trialforge.example_study.forms import FORMS

    from trialforge.example_study import example_raw_expectations

    suite = load_suite(example_raw_expectations())
    assert {f.form for f in suite.forms} == {f.oid for f in FORMS}
    kinds = {e.expect for f in suite.forms for e in f.expectations}
    assert kinds >= {"not_null", "unique", "unique_together", "between", "in_set", "regex"}


def test_suite_problems_are_reported_at_once(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("""
forms:
  - form: DM
    file: dm.csv
    expectations:
      - {id: X1, expect: be_nice, column: A}
      - {id: X2, expect: between, column: AGE, min: 1}
      - {id: X3, expect: regex, column: A, pattern: '(', severity: fatal}
      - {id: X4, expect: not_null, column: A, where: 'A == 1'}
  - form: LB
    file: ../lb.csv
""", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_suite(path)
    text = str(caught.value)
    assert "be_nice" in text and "['max']" in text and "fatal" in text and "bad pattern" in text
    assert "X4" in text and "`where`" in text
    assert "../lb.csv" in text and "not a path" in text


def test_gate_adds_raw_findings_to_the_report(raw_dir, suite_path, tmp_path):
    data = tmp_path / "sdtm"
    data.mkdir()
    pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"], "USUBJID": ["S-1"], "SUBJID": ["1"], "SITEID": ["01"],
                  "SEX": ["F"], "COUNTRY": ["CHN"]}).to_csv(data / "dm.csv", index=False)
    outcome = run_validation(data, out_dir=tmp_path / "report", fail_on="error", raw_dir=raw_dir,
                             raw_suite=suite_path, rules=[])
    assert outcome.exit_code == 1  # T-DM-1 and T-DM-4 are errors
    assert any(f.source == "expectation" for f in outcome.result.findings)
    assert sorted(p.suffix for p in outcome.reports) == [".html", ".json", ".xlsx"]


def test_data_docs_show_planted_markup_as_text(tmp_path):
    from tests.validation.test_reports import PLANTED, live_markup

    suite = tmp_path / "suite.yaml"
    suite.write_text("suite: planted\nforms:\n  - form: DM\n    file: dm.csv\n    expectations:\n"
                     "      - {id: P-DM-1, expect: in_set, column: SEX, values: [M, F]}\n", encoding="utf-8")
    frames = {"DM": pd.DataFrame({"Subject": ["01-001", "01-002"], "SEX": list(PLANTED)})}
    found = run_raw_expectations(frames, suite, docs_dir=tmp_path / "docs")
    assert sorted(f.values for f in found) == sorted((v,) for v in PLANTED)  # findings keep the raw values
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert pages
    for page in pages:
        assert live_markup(page.read_text(encoding="utf-8")) == [], page
    assert any("&lt;script&gt;alert(1)" in p.read_text(encoding="utf-8") for p in pages)


def test_both_engines_agree_on_the_example_study_and_find_its_planted_duplicates(tmp_path, gx_run):
    from trialforge.example_study import example_raw_expectations
    from trialforge.example_study.generator import generate_study

    generate_study(tmp_path / "raw", subjects=20, seed=20240101)
    ours = run_raw_expectations(tmp_path / "raw", example_raw_expectations())
    theirs = run_raw_expectations(tmp_path / "raw", example_raw_expectations(), docs_dir=tmp_path / "docs")
    assert sorted(map(_key, ours)) == sorted(map(_key, theirs))
    duplicates = {f.dataset for f in ours if f.rule_id in ("RAW-AE-08", "RAW-LB-09")}
    assert duplicates == {"ae.csv", "lb.csv"}  # the generator plants an exact duplicate in each


def test_between_needs_numbers(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("forms:\n  - form: DM\n    file: dm.csv\n    expectations:\n"
                    "      - {id: X1, expect: between, column: AGE, min: '18', max: 90}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_suite(path)
    assert "must be numbers" in str(caught.value)


def test_a_suite_that_names_no_subject_column_shows_no_subject(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("suite: plain\nforms:\n  - form: DM\n    file: dm.csv\n    expectations:\n"
                    "      - {id: DM-1, expect: not_null, column: AGE}\n", encoding="utf-8")
    frame = pd.DataFrame({"Subject": ["01-001"], "AGE": [None], "__row": [2]})
    (finding,) = run_raw_expectations({"DM": frame}, path)
    assert finding.raw_row == 2 and "01-001" not in finding.message
