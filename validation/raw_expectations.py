"""Raw-data expectations: a suite kept as YAML data, run with great-expectations on the raw EDC extracts.

Each failed expectation becomes `Finding`s in the same shape as conformance findings (source
"expectation"), pointing at the form, the record (1-based, as in the extract without its header), the
subject and the value. With `docs_dir`, GX's data docs (HTML) are built there: GX builds them only from
a file context, so a temporary one is made inside `docs_dir` and removed once the site is copied out.

great-expectations is imported on first use only: it takes seconds to import.
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
from importlib import resources
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
SUBJECT_COLUMN = "Subject"
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


@dataclass(frozen=True)
class Suite:
    name: str
    forms: tuple[FormSuite, ...]
    source: str = ""
    patterns: dict[str, str] = field(default_factory=dict)


def bundled_suite() -> Path:
    return Path(str(resources.files("validation") / "expectations" / "mesocart_raw.yaml"))


def load_suite(path: str | Path | None = None) -> Suite:
    """Read and check a suite; every problem (unknown expectation, missing field) is reported at once."""
    path = Path(path) if path else bundled_suite()
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
        forms.append(FormSuite(form, str(entry.get("file", "")), tuple(items)))
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


# --- running -----------------------------------------------------------------------------------------------

def run_raw_expectations(raw: str | Path | Mapping[str, pd.DataFrame], suite_path: str | Path | None = None,
                         docs_dir: str | Path | None = None) -> list[Finding]:
    """Check the raw extracts (a folder of CSVs, or frames by form OID or file name) against the suite.

    Returns findings; a form the suite names but the extract lacks is itself a finding. With `docs_dir`,
    GX's HTML data docs are written there (index.html).
    """
    suite = load_suite(suite_path)
    frames = _frames(raw, suite)
    gx, expectations_module = _import_gx()
    findings: list[Finding] = []
    work = None
    if docs_dir is not None:
        docs = Path(docs_dir)
        docs.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".gx-context-", dir=docs))
        context = gx.get_context(mode="file", project_root_dir=str(work))
    else:
        context = gx.get_context(mode="ephemeral")
    _quiet(context)
    try:
        source = context.data_sources.add_pandas("raw_extracts")
        for form in suite.forms:
            frame = frames.get(form.form)
            if frame is None:
                findings.append(Finding(rule_id=f"RAW-{form.form}", severity="error", source="expectation",
                                        dataset=form.file, message=f"Raw form {form.form} ({form.file}) is missing"))
                continue
            findings.extend(_run_form(gx, expectations_module, context, source, form, frame, work is not None))
        if work is not None:
            _publish_docs(context, work, Path(docs_dir))
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    log.info("raw expectations: %d findings over %d forms", len(findings), len(suite.forms))
    return findings


def _frames(raw, suite: Suite) -> dict[str, pd.DataFrame]:
    """Raw frames by form OID, as text with blanks as missing (GX checks missing values as null)."""
    frames: dict[str, pd.DataFrame] = {}
    if isinstance(raw, Mapping):
        by_name = {str(k).upper(): v for k, v in raw.items()}
        for form in suite.forms:
            frame = by_name.get(form.form.upper(), by_name.get(form.file.upper()))
            if frame is not None:
                frames[form.form] = _as_text(frame)
        return frames
    folder = Path(raw)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of raw extracts")
    for form in suite.forms:
        path = folder / form.file
        if path.is_file():
            frames[form.form] = _as_text(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))
    return frames


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
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


def _run_form(gx, gxe, context, source, form: FormSuite, frame: pd.DataFrame, with_docs: bool) -> list[Finding]:
    findings: list[Finding] = []
    runnable = []
    for item in form.expectations:
        absent = [c for c in item.columns if c not in frame.columns]
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
    if with_docs:  # a checkpoint stores the result for the data docs, built once after every form ran
        suite = context.suites.add(suite)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"raw_{form.form}", data=batch_definition, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"raw_{form.form}", validation_definitions=[definition], actions=[], result_format="COMPLETE"))
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        results = [r for validation in run.run_results.values() for r in validation.results]
    else:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        results = list(batch.validate(suite, result_format="COMPLETE").results)
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
    findings = [_finding(item, form, int(row), frame, None) for row in rows[:MAX_FINDINGS_PER_EXPECTATION]]
    if len(rows) > MAX_FINDINGS_PER_EXPECTATION:
        findings.append(_finding(item, form, None, frame,
                                 f"{len(rows) - MAX_FINDINGS_PER_EXPECTATION} more records fail {item.id}"))
    return findings


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
    subject = None
    if row is not None and row in frame.index:
        values = tuple(frame.at[row, c] for c in columns if c in frame.columns)
        subject = frame.at[row, SUBJECT_COLUMN] if SUBJECT_COLUMN in frame.columns else None
    fields = {"form": form.form, "file": form.file, "column": columns[0], "row": (row + 1) if row is not None else "",
              "value": values[0] if values else "", "subject": subject or ""}
    text = message or (item.message or _default_message(item)).format_map(_Missing(fields))
    return Finding(rule_id=item.id, severity=severity or item.severity, message=text, dataset=form.file,
                   row=(row + 1) if row is not None else None, usubjid=subject, variables=tuple(columns),
                   values=values, implements=(f"great-expectations {item.expect}",), source="expectation")


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
