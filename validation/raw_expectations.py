"""Raw-data expectations: a suite kept as YAML data, checked on the raw EDC extracts.

A study declares its suite (the SDTM spec's Study sheet names the YAML file); a study without one has no
raw-data expectations. Each failed expectation becomes `Finding`s in the same shape as conformance
findings (source "expectation"), pointing at the form, the record (1-based, as in the extract without its
header), the subject and the value.

The expectations are checked with pandas on the frames at hand (vectorised, milliseconds per form). With
`docs_dir`, great-expectations runs the same suite instead and builds its data docs (HTML) there: GX builds
them only from a file context, so a temporary one is made inside `docs_dir` and removed once the site is
copied out. GX is imported only then: it takes seconds to import. Both give the same findings
(tests/validation/test_raw_expectations.py checks it); GX costs ~4 s of start-up plus ~0.3 s per form.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specs.errors import InputError, Problem
from validation.model import SEVERITIES, Finding
from validation.rulebook import read_yaml

log = logging.getLogger(__name__)

EXPECTS = ("not_null", "unique", "unique_together", "between", "in_set", "regex", "column_exists")
_FIELDS = {
    "not_null": {"column"}, "unique": {"column"}, "unique_together": {"columns"},
    "between": {"column", "min", "max"}, "in_set": {"column", "values"}, "regex": {"column", "pattern"},
    "column_exists": {"column"},
}
_OPTIONAL = {"id", "expect", "severity", "message", "where"}
MAX_FINDINGS_PER_EXPECTATION = 1000
RAW_ROW_COLUMN = "__row"  # provenance column of the frames trialforge's raw reader makes
_NUMERIC_SUFFIX = "__number"  # GX compares ranges on a numeric copy of a text column


@dataclass(frozen=True)
class Expectation:
    id: str
    expect: str
    form: str
    params: dict[str, Any]
    severity: str = "warning"
    message: str = ""
    where: dict = field(default_factory=dict)  # {column, equal | not_equal}: the records checked

    @property
    def columns(self) -> list[str]:
        return list(self.params.get("columns") or [self.params["column"]])


@dataclass(frozen=True)
class FormSuite:
    form: str
    file: str
    expectations: tuple[Expectation, ...]
    subject_column: str | None = None  # the raw column a finding shows as the record's subject (suite-level key)


@dataclass(frozen=True)
class Suite:
    name: str
    forms: tuple[FormSuite, ...]
    source: str = ""
    patterns: dict[str, str] = field(default_factory=dict)


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite; every problem (unknown expectation, missing field) is reported at once."""
    path = Path(path)
    try:
        document = read_yaml(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read", [Problem(str(path), str(exc))]) from exc
    problems: list[Problem] = []
    if not isinstance(document, dict) or not isinstance(document.get("forms"), list):
        raise InputError(f"{path}: not an expectation suite", [Problem(str(path), "needs `suite:` and `forms:`")])
    patterns = dict(document.get("patterns") or {})
    forms, seen = [], set()
    for entry in document["forms"]:
        form = str(entry.get("form", ""))
        items = []
        for raw in entry.get("expectations") or []:
            item = _expectation(raw, form, patterns, str(path), problems)
            if item is not None:
                if item.id in seen:
                    problems.append(Problem(str(path), f"expectation {item.id}: id used twice"))
                seen.add(item.id)
                items.append(item)
        if not form or not entry.get("file"):
            problems.append(Problem(str(path), f"form {form or '?'}: needs `form:` and `file:`"))
        elif not _plain_name(str(entry["file"])):
            problems.append(Problem(str(path), f"form {form}: `file: {entry['file']}` must be a file name in the "
                                               f"raw-data folder, not a path"))
        subject = entry.get("subject_column", document.get("subject_column"))
        forms.append(FormSuite(form, str(entry.get("file", "")), tuple(items), str(subject) if subject else None))
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the expectation suite", problems)
    return Suite(str(document.get("suite", path.stem)), tuple(forms), str(path), patterns)


def _expectation(raw: Any, form: str, patterns: dict, source: str, problems: list[Problem]) -> Expectation | None:
    ident = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"

    def problem(message: str) -> None:
        problems.append(Problem(source, f"expectation {ident} ({form}): {message}"))

    if not isinstance(raw, dict):
        problem("must be a mapping")
        return None
    expect = raw.get("expect")
    if expect not in EXPECTS:
        problem(f"unknown expect {expect!r}; known: {', '.join(EXPECTS)}")
        return None
    params = {k: v for k, v in raw.items() if k not in _OPTIONAL}
    missing = _FIELDS[expect] - set(params)
    extra = set(params) - _FIELDS[expect]
    if "id" not in raw:
        problem("missing `id`")
    if missing:
        problem(f"missing {sorted(missing)}")
    if extra:
        problem(f"unknown fields {sorted(extra)}")
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        problem(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    if expect == "between" and not all(_is_number(params.get(k)) for k in ("min", "max") if k in params):
        problem("`min` and `max` must be numbers")
        missing = missing or {"min", "max"}
    if expect == "regex":
        params["pattern"] = patterns.get(params.get("pattern"), params.get("pattern"))
        try:
            re.compile(str(params["pattern"]))
        except (re.error, KeyError) as exc:
            problem(f"bad pattern: {exc}")
    where = raw.get("where") or {}
    if where and (not isinstance(where, dict) or "column" not in where
                  or len(set(where) & {"equal", "not_equal"}) != 1 or len(where) != 2):
        problem("`where` is {column, equal: value} or {column, not_equal: value}")
        where = None
    if missing or extra or "id" not in raw or severity not in SEVERITIES or where is None:
        return None
    return Expectation(ident, expect, form, params, severity, str(raw.get("message", "")), where)


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name and ":" not in name


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- running -----------------------------------------------------------------------------------------------

def run_raw_expectations(raw: str | Path | Mapping[str, pd.DataFrame], suite_path: str | Path,
                         docs_dir: str | Path | None = None) -> list[Finding]:
    """Check the raw extracts (a folder of CSVs, or frames by form OID or file name) against the suite.

    Returns findings; a form the suite names but the extract lacks is itself a finding. With `docs_dir`,
    great-expectations checks the suite and writes its HTML data docs there (index.html).
    """
    suite = load_suite(suite_path)
    frames = _frames(raw, suite)
    findings: list[Finding] = []
    for form in suite.forms:
        if form.form not in frames:
            findings.append(Finding(rule_id=f"RAW-{form.form}", severity="error", source="expectation",
                                    dataset=form.file, message=f"Raw form {form.form} ({form.file}) is missing"))
    if docs_dir is not None:
        findings += _run_with_gx(suite, frames, Path(docs_dir))
    else:
        for form in suite.forms:
            if form.form in frames:
                findings += _check_form(form, frames[form.form])
    log.debug("raw expectations: %d findings over %d forms", len(findings), len(suite.forms))
    return findings


def _frames(raw, suite: Suite) -> dict[str, pd.DataFrame]:
    """Raw frames by form OID, every value text (blank or missing is missing), rows numbered from 0."""
    frames: dict[str, pd.DataFrame] = {}
    if isinstance(raw, Mapping):
        by_name = {str(k).upper(): v for k, v in raw.items()}
        for form in suite.forms:
            frame = by_name.get(form.form.upper(), by_name.get(form.file.upper()))
            if frame is not None:
                frames[form.form] = frame if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 \
                    else frame.reset_index(drop=True)
        return frames
    folder = Path(raw)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of raw extracts")
    for form in suite.forms:
        path = folder / form.file
        if path.is_file():
            frames[form.form] = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frames


# --- the checks, with pandas --------------------------------------------------------------------------------

def _check_form(form: FormSuite, frame: pd.DataFrame) -> list[Finding]:
    findings: list[Finding] = []
    blanks: dict[str, pd.Series] = {}

    def blank(column: str) -> pd.Series:  # missing, or empty text: a blank the site left
        if column not in blanks:
            values = frame[column]
            blanks[column] = values.isna() | values.astype(str).eq("")
        return blanks[column]

    for item in form.expectations:
        needed = item.columns + ([item.where["column"]] if item.where else [])
        absent = [c for c in needed if c not in frame.columns]
        if item.expect == "column_exists":
            if absent:
                findings.append(_finding(item, form, None, frame, None))
            continue
        if absent:
            findings.append(_finding(item, form, None, frame, f"Column {absent[0]} is not in {form.file}"))
            continue
        failed = _failed(item, frame, blank)
        if item.where:
            failed &= _where(item.where, frame, blank)
        rows = failed.to_numpy().nonzero()[0].tolist()
        findings += _row_findings(item, form, frame, rows)
    return findings


def _failed(item: Expectation, frame: pd.DataFrame, blank) -> pd.Series:
    """True for each record that fails the expectation (blanks pass all but not_null, as in GX)."""
    p = item.params
    if item.expect == "unique_together":
        columns = list(p["columns"])
        keys = frame[columns].astype(str).where(~pd.concat([blank(c) for c in columns], axis=1), "")
        all_blank = pd.concat([blank(c) for c in columns], axis=1).all(axis=1)
        return keys.duplicated(keep=False) & ~all_blank
    column = p["column"]
    values, empty = frame[column], blank(column)
    if item.expect == "not_null":
        return empty
    if item.expect == "unique":
        return ~empty & values.duplicated(keep=False) & ~empty
    if item.expect == "between":
        numbers = pd.to_numeric(values.where(~empty), errors="coerce")
        return numbers.notna() & ((numbers < p["min"]) | (numbers > p["max"]))
    if item.expect == "in_set":
        return ~empty & ~values.astype(str).isin([str(v) for v in p["values"]])
    if item.expect == "regex":  # Python's re, as the suite was checked with; each distinct value once
        pattern = re.compile(str(p["pattern"]))
        text = values.astype(str)
        bad = [v for v in text[~empty].unique() if pattern.search(v) is None]
        return ~empty & text.isin(bad)
    raise ValueError(f"no check for expect {item.expect!r}")  # load_suite refuses unknown ones


def _where(where: dict, frame: pd.DataFrame, blank) -> pd.Series:
    """The records an expectation applies to; a blank is "not equal" to every value (blank not-done flags
    count as not done = No)."""
    column = where["column"]
    text = frame[column].astype(str).where(~blank(column), None)
    if "equal" in where:
        return text.eq(str(where["equal"])).fillna(False).astype(bool)
    return ~text.eq(str(where["not_equal"])).fillna(False).astype(bool)


def _row_findings(item: Expectation, form: FormSuite, frame: pd.DataFrame, rows: list[int]) -> list[Finding]:
    findings = [_finding(item, form, row, frame, None) for row in rows[:MAX_FINDINGS_PER_EXPECTATION]]
    if len(rows) > MAX_FINDINGS_PER_EXPECTATION:
        findings.append(_finding(item, form, None, frame,
                                 f"{len(rows) - MAX_FINDINGS_PER_EXPECTATION} more records fail {item.id}"))
    return findings


# --- the same suite with great-expectations, for its data docs ----------------------------------------------

def _run_with_gx(suite: Suite, frames: dict[str, pd.DataFrame], docs: Path) -> list[Finding]:
    gx, expectations_module = _import_gx()
    findings: list[Finding] = []
    docs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".gx-context-", dir=docs))
    try:
        context = gx.get_context(mode="file", project_root_dir=str(work))
        _quiet(context)
        source = context.data_sources.add_pandas("raw_extracts")
        for form in suite.forms:
            if form.form in frames:
                findings.extend(_run_form(gx, expectations_module, context, source, form,
                                          _as_text(frames[form.form])))
        _publish_docs(context, work, docs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return findings


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text with blanks as missing: GX checks missing values as null."""
    text = frame.astype(object).where(frame.notna(), None).reset_index(drop=True)
    return text.replace({"": None})


def _import_gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry from a validation run
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx, gxe


def _quiet(context) -> None:
    """No progress bars on the console: they are not ours to print."""
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except (ImportError, AttributeError) as exc:  # an older or newer GX: bars are cosmetic
        log.debug("could not turn off GX progress bars: %s", exc)


def _gx_expectation(gxe, item: Expectation):
    common: dict[str, Any] = {"meta": {"trialforge_id": item.id}}  # ties each GX result back to our id
    if item.where:
        from great_expectations.expectations.row_conditions import Column

        column = Column(item.where["column"])
        condition = column == item.where["equal"] if "equal" in item.where else column != item.where["not_equal"]
        common["row_condition"] = condition  # a missing value is "not equal": blank not-done flags count
    p = item.params
    if item.expect == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=p["column"], **common)
    if item.expect == "unique":
        return gxe.ExpectColumnValuesToBeUnique(column=p["column"], **common)
    if item.expect == "unique_together":
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(p["columns"]), **common)
    if item.expect == "between":
        return gxe.ExpectColumnValuesToBeBetween(column=p["column"] + _NUMERIC_SUFFIX, min_value=p["min"],
                                                 max_value=p["max"], **common)
    if item.expect == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=p["column"], value_set=[str(v) for v in p["values"]], **common)
    if item.expect == "regex":  # groups only group here: non-capturing, so pandas does not warn about them
        pattern = re.sub(r"(?<!\\)\((?!\?)", "(?:", str(p["pattern"]))
        return gxe.ExpectColumnValuesToMatchRegex(column=p["column"], regex=pattern, **common)
    return gxe.ExpectColumnToExist(column=p["column"], meta=common["meta"])


def _run_form(gx, gxe, context, source, form: FormSuite, frame: pd.DataFrame) -> list[Finding]:
    """One form through a GX checkpoint, which stores the result for the data docs (built once at the end)."""
    findings: list[Finding] = []
    runnable = []
    for item in form.expectations:
        absent = [c for c in item.columns + ([item.where["column"]] if item.where else []) if c not in frame.columns]
        if absent and item.expect != "column_exists":
            findings.append(_finding(item, form, None, frame, f"Column {absent[0]} is not in {form.file}"))
            continue
        runnable.append(item)
    frame = frame.copy()
    for item in runnable:
        if item.expect == "between":
            column = item.params["column"]
            numbers = pd.to_numeric(frame[column], errors="coerce")
            frame[column + _NUMERIC_SUFFIX] = numbers.astype(object).where(numbers.notna(), None)
    asset = source.add_dataframe_asset(name=f"raw_{form.form}")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = gx.ExpectationSuite(name=f"raw_{form.form}", expectations=[_gx_expectation(gxe, i) for i in runnable])
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"raw_{form.form}", data=batch_definition, suite=suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=f"raw_{form.form}", validation_definitions=[definition], actions=[], result_format="COMPLETE"))
    run = checkpoint.run(batch_parameters={"dataframe": frame})
    results = [r for validation in run.run_results.values() for r in validation.results]
    by_id = {item.id: item for item in runnable}
    for result in results:
        item = by_id.get((result.expectation_config.meta or {}).get("trialforge_id"))
        if item is None or result.success:
            continue
        findings.extend(_result_findings(item, form, frame, result))
    return findings


def _result_findings(item: Expectation, form: FormSuite, frame: pd.DataFrame, result) -> list[Finding]:
    error = _exception_message(result.exception_info)
    if error:
        return [_finding(item, form, None, frame, f"Expectation could not run: {error}", severity="error")]
    rows = list(result.result.get("unexpected_index_list") or [])
    if not rows:  # e.g. a column that does not exist
        return [_finding(item, form, None, frame, None)]
    return _row_findings(item, form, frame, sorted(int(row) for row in rows))


def _exception_message(info) -> str:
    if not info:
        return ""
    if isinstance(info, dict) and "raised_exception" in info:
        return str(info.get("exception_message") or "") if info.get("raised_exception") else ""
    for value in info.values() if isinstance(info, dict) else []:
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "")
    return ""


def _finding(item: Expectation, form: FormSuite, row: int | None, frame: pd.DataFrame, message: str | None,
             severity: str | None = None) -> Finding:
    columns = item.columns
    values: tuple = ()
    subject = raw_row = None
    if row is not None and row in frame.index:
        values = tuple(_value(frame.at[row, c]) for c in columns if c in frame.columns)
        subject = _value(frame.at[row, form.subject_column]) if form.subject_column in frame.columns else None
        if RAW_ROW_COLUMN in frame.columns:  # frames the build read: the line an editor shows
            raw_row = int(frame.at[row, RAW_ROW_COLUMN])
    fields = {"form": form.form, "file": form.file, "column": columns[0], "row": (row + 1) if row is not None else "",
              "value": values[0] if values else "", "subject": subject or ""}
    text = message or (item.message or _default_message(item)).format_map(_Missing(fields))
    return Finding(rule_id=item.id, severity=severity or item.severity, message=text, dataset=form.file,
                   row=(row + 1) if row is not None else None, usubjid=subject, variables=tuple(columns),
                   values=values, implements=(f"raw-data expectation {item.expect}",), source="expectation",
                   file=form.file, raw_row=raw_row)


def _value(value: Any) -> Any:
    """A raw value as the finding shows it: a blank is missing (None)."""
    if isinstance(value, str):
        return value or None
    return None if value is None or pd.isna(value) else value


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _default_message(item: Expectation) -> str:
    p = item.params
    return {
        "not_null": "{column} is missing in {file} record {row}",
        "unique": "{column} '{value}' repeats in {file}",
        "unique_together": "Record {row} of {file} repeats another on " + ", ".join(item.columns),
        "between": "{column} {value} is outside " + f"{p.get('min')}-{p.get('max')}",
        "in_set": "{column} '{value}' is not one of the expected values",
        "regex": "{column} '{value}' does not have the expected format",
        "column_exists": "{file} has no column {column}",
    }[item.expect]


def _publish_docs(context, work: Path, docs_dir: Path) -> None:
    """Copy GX's local data-docs site out of the temporary file context into `docs_dir`.

    GX's renderer puts the values it observed into its HTML unescaped (a raw SEX of `<script>...` would
    run in the reviewer's browser), so they are HTML-escaped in the stored validation results before the
    site is built from them: the page then shows the values as the site typed them."""
    _escape_stores(work)
    context.build_data_docs()
    site = next(work.rglob("data_docs/local_site"), None)
    if site is None or not (site / "index.html").is_file():
        log.warning("great-expectations built no data docs under %s", work)
        return
    shutil.copytree(site, docs_dir, dirs_exist_ok=True)


def _escape_stores(work: Path) -> None:
    """HTML-escape the observed values (each result's `result` and `exception_info`) in the JSON files of
    GX's validation-result store: data docs are rendered from these files, and GX puts the values it
    observed into its tables unescaped. The expectations themselves (our suite's own text) GX escapes."""
    for path in sorted(work.rglob("*.json")):
        if "validations" not in path.relative_to(work).parts:
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # not ours to judge: GX reads it, or fails, as before
            log.debug("not escaping %s: %s", path, exc)
            continue
        results = document.get("results") if isinstance(document, dict) else None
        for item in results if isinstance(results, list) else []:
            for key in ("result", "exception_info"):
                if isinstance(item, dict) and key in item:
                    item[key] = _escaped(item[key])
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value
