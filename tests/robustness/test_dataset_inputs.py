"""Dataset inputs a user hands to `validate`, `adam` and `build`, broken or hostile, run as the user runs them.

Dataset-JSON that is not (rows as an object, text in a float column, a number in a string column, a
short or long row, truncated or not JSON at all, NaN, huge numbers, a bad NDJSON line), a folder with no
datasets, XML with entities or a DOCTYPE (a define.xml given to validate, a schema given to build), text
that XPORT v5 cannot hold (a control character, over 200 bytes, non-ASCII) and markup planted in raw
values and spec labels. Each case asserts the exit code (3: bad input, 4: output that cannot be written),
that the message names the file, row, column and value, that no traceback is printed, and for `validate`
that nothing outside its --out folder changed.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.robustness.conftest import EXAMPLE_ADAM_SPEC, EXAMPLE_SPECS, CliResult, run_cli, snapshot
from tests.validation.test_reports import PLANTED, live_markup

SDTM = Path("m5") / "datasets" / "MESOCART-PD1" / "tabulations" / "sdtm"
EXIT_INPUT, EXIT_OUTPUT = 3, 4


def _validate(tmp_path: Path, *args: str | Path) -> CliResult:
    """`trialforge validate ARGS --out tmp/report`; asserts that nothing outside the report folder changed
    and, when the command failed, that no report folder was left behind."""
    out = tmp_path / "report"
    before = snapshot(tmp_path, skip=(out,))
    result = run_cli("validate", *args, "--out", out)
    assert snapshot(tmp_path, skip=(out,)) == before
    if result.code not in (0, 1):
        assert not out.exists()
    return result


def _plant(path: Path, column: str, record: int, value: str) -> int:
    """Set `column` of the raw CSV's record number `record` (1-based, header excluded); return its line."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[record][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return record + 1  # the header is line 1 and the example's values hold no line breaks


# --- Dataset-JSON -----------------------------------------------------------------------------------------

VS_COLUMNS = [
    {"itemOID": "IT.VS.STUDYID", "name": "STUDYID", "label": "Study Identifier", "dataType": "string"},
    {"itemOID": "IT.VS.DOMAIN", "name": "DOMAIN", "label": "Domain Abbreviation", "dataType": "string"},
    {"itemOID": "IT.VS.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier", "dataType": "string"},
    {"itemOID": "IT.VS.VSSEQ", "name": "VSSEQ", "label": "Sequence Number", "dataType": "integer"},
    {"itemOID": "IT.VS.VSTESTCD", "name": "VSTESTCD", "label": "Vital Signs Test Short Name", "dataType": "string"},
    {"itemOID": "IT.VS.VSSTRESN", "name": "VSSTRESN", "label": "Numeric Result in Standard Units",
     "dataType": "float"},
    {"itemOID": "IT.VS.VSSTRESU", "name": "VSSTRESU", "label": "Standard Units", "dataType": "string"},
    {"itemOID": "IT.VS.VSDTC", "name": "VSDTC", "label": "Date/Time of Measurements", "dataType": "datetime"},
]
VS_ROWS = [["S", "VS", "S-001", 1, "WEIGHT", 71.5, "kg", "2024-01-02"],
           ["S", "VS", "S-001", 2, "HEIGHT", 172, "cm", "2024-01-02"],
           ["S", "VS", "S-002", 1, "WEIGHT", None, None, "2024-01-03"]]


def _vs(rows=VS_ROWS, **changes) -> dict:
    """The VS document with `changes`; a key set to None is left out (`rows=None`: an NDJSON metadata line)."""
    document = {"datasetJSONCreationDateTime": "2025-03-28T09:30:00", "datasetJSONVersion": "1.1.0",
                "itemGroupOID": "IG.VS", "records": len(rows) if isinstance(rows, list) else 3, "name": "VS",
                "label": "Vital Signs", "columns": VS_COLUMNS, "rows": rows}
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def _cell(record: int, column: str, value) -> list[list]:
    rows = [list(r) for r in VS_ROWS]
    rows[record - 1][[c["name"] for c in VS_COLUMNS].index(column)] = value
    return rows


DATASET_JSON_CASES = {
    # case: (file name, content, names the message must hold)
    "rows is an object": ("vs.json", json.dumps(_vs(rows={"1": VS_ROWS[0]})), ["'rows' is an object"]),
    "text in a float column": ("vs.json", json.dumps(_vs(_cell(2, "VSSTRESN", "172 cm"))),
                               ["row 2", "VSSTRESN", "'172 cm'", "expected a JSON number"]),
    "number in a string column": ("vs.json", json.dumps(_vs(_cell(1, "USUBJID", 1001))),
                                  ["row 1", "USUBJID", "1001 (a number)", "expected text"]),
    "boolean in an integer column": ("vs.json", json.dumps(_vs(_cell(3, "VSSEQ", True))),
                                     ["row 3", "VSSEQ", "true (a boolean)"]),
    "long row": ("vs.json", json.dumps(_vs([VS_ROWS[0], VS_ROWS[1] + ["extra"]])),
                 ["row 2 has 9 values", "expected an array of 8 values"]),
    "short row": ("vs.json", json.dumps(_vs([VS_ROWS[0][:3]])), ["row 1 has 3 values"]),
    "not JSON at all": ("vs.json", "STUDYID,DOMAIN,USUBJID\nS,VS,S-001\n", ["not valid JSON", "line 1, column 1"]),
    "truncated": ("vs.json", json.dumps(_vs())[:-40], ["truncated"]),
    "no columns": ("vs.json", json.dumps(_vs(columns=None)), ["no 'columns'"]),
    "duplicate column names": ("vs.json", json.dumps(_vs(columns=VS_COLUMNS[:-1] + [dict(VS_COLUMNS[3])],
                                                         rows=[])), ["VSSEQ", "defined twice"]),
    "a huge number": ("vs.json", json.dumps(_vs()).replace("71.5", "1e400"),
                      ["row 1", "VSSTRESN", "too large for a double"]),
    "an integer beyond 2**53": ("vs.json", json.dumps(_vs(_cell(1, "VSSEQ", 2**63))),
                                ["row 1", "VSSEQ", str(2**63), "too large to hold exactly"]),
    "NaN": ("vs.json", json.dumps(_vs(_cell(2, "VSSTRESN", float("nan")))), ["row 2", "VSSTRESN", "NaN"]),
    "NDJSON with a bad line": ("vs.ndjson", "\n".join([json.dumps(_vs(rows=None)),
                                                       json.dumps(VS_ROWS[0]), '["S", "VS", "S-001", 2,'])
                               + "\n", ["truncated", "line 3"]),
    "NDJSON with a bad value": ("vs.ndjson", "\n".join([json.dumps(_vs(rows=None)),
                                                        *map(json.dumps, _cell(3, "VSSTRESN", "n/a"))]) + "\n",
                                ["row 3 (line 4)", "VSSTRESN", "'n/a'"]),
    "an XPT named .json": ("vs.json", b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!\xff\x00",
                           ["not UTF-8"]),
}


@pytest.mark.parametrize("case", sorted(DATASET_JSON_CASES))
def test_validate_refuses_broken_dataset_json_naming_file_row_column_and_value(tmp_path, case):
    name, content, names = DATASET_JSON_CASES[case]
    folder = tmp_path / "sdtm"
    folder.mkdir()
    (folder / "dm.json").write_text(json.dumps(_vs([], name="DM", columns=VS_COLUMNS[:3])), encoding="utf-8")
    target = folder / name
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    _validate(tmp_path, folder).assert_clean_failure(EXIT_INPUT, name, *names)


def test_well_formed_dataset_json_validates(tmp_path):
    folder = tmp_path / "sdtm"
    folder.mkdir()
    (folder / "vs.json").write_text(json.dumps(_vs()), encoding="utf-8")
    result = _validate(tmp_path, folder)
    assert result.code in (0, 1) and "Traceback" not in result.text, result.text


def test_adam_refuses_broken_dataset_json_sdtm(tmp_path):
    folder = tmp_path / "sdtm"
    folder.mkdir()
    (folder / "vs.json").write_text(json.dumps(_vs(_cell(2, "VSSTRESN", "172 cm"))), encoding="utf-8")
    before = snapshot(tmp_path, skip=(tmp_path / "adam",))
    result = run_cli("adam", "--sdtm", folder, "--adam-spec", EXAMPLE_ADAM_SPEC, "--out", tmp_path / "adam")
    result.assert_clean_failure(EXIT_INPUT, "vs.json", "row 2", "VSSTRESN", "'172 cm'")
    assert snapshot(tmp_path, skip=(tmp_path / "adam",)) == before and not (tmp_path / "adam").exists()


# --- folders without datasets, and XPT files that are not ------------------------------------------------

@pytest.mark.parametrize("layout", ["empty", "no dataset files", "missing"])
def test_validate_refuses_a_folder_without_datasets(tmp_path, layout):
    folder = tmp_path / "sdtm"
    if layout != "missing":
        folder.mkdir()
    if layout == "no dataset files":
        (folder / "readme.txt").write_text("the data is elsewhere", encoding="utf-8")
    names = {"empty": ["no dataset files", "it is empty"], "no dataset files": ["no dataset files", "readme.txt"],
             "missing": ["no such folder"]}[layout]
    _validate(tmp_path, folder).assert_clean_failure(EXIT_INPUT, str(folder), ".xpt", "Dataset-JSON", *names)


@pytest.mark.parametrize("damage", ["garbage", "truncated header", "truncated data"])
def test_validate_refuses_an_xpt_that_is_not_one(tmp_path, built_package, damage):
    folder = tmp_path / "sdtm"
    shutil.copytree(built_package / SDTM, folder)
    xpt = folder / "ae.xpt"
    data = xpt.read_bytes()
    xpt.write_bytes({"garbage": b"this is not an XPORT file\n" * 20, "truncated header": data[:700],
                     "truncated data": data[:-200]}[damage])
    names = {"garbage": "not a SAS XPORT v5 file", "truncated header": "the file ends inside its header",
             "truncated data": "not a whole number of 80-byte records"}[damage]
    _validate(tmp_path, folder).assert_clean_failure(EXIT_INPUT, "ae.xpt", names)


# --- XML: a define.xml given to validate --------------------------------------------------------------------

_LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
HOSTILE_DEFINES = {
    "billion laughs": (f'<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY l0 "lol">{_LAUGHS}]>\n<ODM>&l9;</ODM>\n',
                       ["not well-formed", "amplification"]),
    "external entity": ('<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY secret SYSTEM "{secret}">]>\n'
                        "<ODM><Study>&secret;</Study></ODM>\n", ["declares entities", "secret"]),
    "external DTD": ('<?xml version="1.0"?>\n<!DOCTYPE ODM SYSTEM "http://example.org/odm.dtd">\n<ODM/>\n',
                     ["external DTD"]),
    "not well-formed": ('<?xml version="1.0"?>\n<ODM>\n <Study>\n</ODM>\n', ["not well-formed", "line 4"]),
    "not a define": ("<html><body>define</body></html>", ["not a define.xml", "MetaDataVersion"]),
}


@pytest.mark.parametrize("where", ["--define", "beside the data"])
@pytest.mark.parametrize("case", sorted(HOSTILE_DEFINES))
def test_validate_refuses_a_hostile_define_without_expanding_it(tmp_path, built_package, case, where):
    folder = tmp_path / "sdtm"
    shutil.copytree(built_package / SDTM, folder)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    text, names = HOSTILE_DEFINES[case]
    define = (tmp_path / "define.xml") if where == "--define" else folder / "define.xml"
    define.write_text(text.replace("{secret}", secret.as_uri()), encoding="utf-8")
    args = (folder, "--define", define) if where == "--define" else (folder,)
    result = _validate(tmp_path, *args)
    result.assert_clean_failure(EXIT_INPUT, str(define), *names)
    assert "TOP-SECRET-VALUE" not in result.text and "lollol" not in result.text


# --- XML: a schema given to build ---------------------------------------------------------------------------

def test_build_refuses_a_schema_with_an_external_entity(tmp_path, raw):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    schema = tmp_path / "define2-1-0.xsd"
    schema.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE xs:schema [<!ENTITY e SYSTEM "{secret.as_uri()}">]>\n'
                      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:annotation><xs:documentation>&e;'
                      "</xs:documentation></xs:annotation></xs:schema>\n", encoding="utf-8")
    out = tmp_path / "pkg"
    before = snapshot(tmp_path, skip=(out,))
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--schema", schema)
    result.assert_clean_failure(EXIT_INPUT, str(schema), "declares entities", "expected an XML Schema")
    assert "TOP-SECRET-VALUE" not in result.text
    assert snapshot(tmp_path, skip=(out,)) == before and not out.exists()


# --- text XPORT v5 cannot hold: named by dataset, variable, record, value, raw file and row -----------------

def test_build_names_the_raw_record_of_text_xpt_cannot_hold(tmp_path, raw):
    ae = raw / "ae.csv"
    long = _plant(ae, "AELLT", 4, "Long " * 50)
    accent = _plant(ae, "AEHLT", 5, "C\u00e9phal\u00e9e")
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm")
    result.assert_clean_failure(
        EXIT_OUTPUT, "cannot write dataset 'AE'", f"{SDTM.as_posix()}/ae.xpt",
        f"AE.AELLT: record 4 (raw file ae.csv, row {long}) value 'Long Long", "249 bytes",
        f"AE.AEHLT: record 5 (raw file ae.csv, row {accent}) value 'C\u00e9phal\u00e9e' has non-ASCII character")
    assert "staging" not in result.text and "Long " * 20 not in result.text
    assert not out.exists()


# --- markup planted in raw values and spec labels: every HTML the build writes shows it as text ------------

def test_markup_in_raw_values_and_spec_labels_is_never_live_in_any_html(tmp_path, raw):
    import openpyxl

    from trialforge.example_study import example_spec

    _plant(raw / "dm.csv", "SEX", 2, PLANTED[0])
    _plant(raw / "ae.csv", "AETERM", 2, PLANTED[1])
    workbook = openpyxl.load_workbook(example_spec("sdtm"))

    def set_cell(sheet: str, column: str, value: str, **match: str) -> None:
        rows = workbook[sheet]
        header = [c.value for c in rows[1]]
        for row in rows.iter_rows(min_row=2):
            if all(row[header.index(k)].value == v for k, v in match.items()):
                row[header.index(column)].value = value
                return
        raise AssertionError(f"no row {match} in {sheet}")

    set_cell("Variables", "Label", PLANTED[0], Dataset="DM", Variable="SEX")
    set_cell("Datasets", "Label", PLANTED[1], Dataset="AE")
    set_cell("Methods", "Description", PLANTED[0] + PLANTED[1], ID=workbook["Methods"].cell(2, 1).value)
    set_cell("Documents", "Href", "javascript:alert(3)", ID=workbook["Documents"].cell(2, 1).value)
    spec = tmp_path / "sdtm-spec.xlsx"
    workbook.save(spec)
    from trialforge.example_study import example_raw_expectations

    shutil.copy(example_raw_expectations(), tmp_path)  # the suite the spec declares, beside it
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, "--adam-spec", EXAMPLE_ADAM_SPEC, "--sdtm-spec", spec, "--out", out,
                     "--raw-data-docs")
    assert result.code in (0, 1), result.text
    pages = sorted(out.rglob("*.html"))
    names = {p.name for p in pages}
    assert {"define.html", "validation-report.html", "index.html"} <= names, names
    for page in pages:
        assert live_markup(page.read_text(encoding="utf-8")) == [], page
    shown = [p.name for p in pages if "&lt;script&gt;alert(1)" in p.read_text(encoding="utf-8")]
    assert "define.html" in shown and "validation-report.html" in shown  # shown as text, not dropped
    assert any(name.startswith("raw_extracts-raw_DM") for name in shown)  # GX's data docs too
