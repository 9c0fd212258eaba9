"""Run conformance rules over datasets: scope, check trees, findings, one status per rule.

Datasets are loaded once; column views (null masks, parsed dates, keys) are cached for the whole run.
Each rule runs inside its own try/except: a rule that crashes gets status "error" with the exception
text, and the other rules still run. A rule whose variables or look-up datasets are absent is "not
applicable" with the reason, never silently "passed".
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formats.clock import build_timestamp
from specs.terminology import CT_VERSION
from validation import ENGINE_NAME, ENGINE_VERSION, ct, operators
from validation.context import Cache, NotApplicable, RuleContext
from formats.folder import load_folder
from validation.datasets import Dataset, classify, datasets_from_frames
from validation.define import Define, merge_defines, read_define
from validation.model import DatasetDetail, Finding, RuleStatus, ValidationResult
from validation.operators import Issue
from validation.rulebook import EACH, Rule, load_rules

log = logging.getLogger(__name__)

MAX_DETAILS_PER_RULE = 5000  # findings kept in detail per rule and dataset; counts stay exact
_REPORT_KEYS = ("variable", "other", "date", "minuend", "subtrahend", "current", "base")


# --- public entry points ---------------------------------------------------------------------------------

def validate_folder(path: str | Path | list, define: str | Path | None = None, rules=None,
                    standard: str | None = None, *, max_details: int = MAX_DETAILS_PER_RULE,
                    preloaded=None, workers: int | None = None) -> ValidationResult:
    """Validate every dataset file (XPT, CSV, Dataset-JSON) in `path` (or in several folders, e.g. SDTM
    and ADaM together so ADaM-to-SDTM traceability rules can run).

    `define`: a define.xml; when None, `define.xml` beside the datasets (first folder) is used if there is
    one. `rules`: rule files/folders or loaded `Rule`s (the bundled set when None). `standard`: run only
    the rules of one standard, e.g. "SDTMIG 3.4". `preloaded`: datasets, rules and rule outcomes made
    ahead (`validation.ahead.Preloaded`), each used only where it is what this run would make. `workers`:
    see `run_rules`.
    """
    started = time.perf_counter()
    folders = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    datasets: dict[str, Dataset] = {}
    for folder in folders:
        loaded = preloaded.take(folder) if preloaded is not None else None
        if loaded is None:
            loaded = load_folder(folder, empty_ok=False)
        for name, dataset in loaded.items():
            if name in datasets:
                log.warning("dataset %s is in more than one folder; validating the one in %s", name, folder)
            datasets[name] = classify(dataset)
    if define is None:  # the define.xml beside each folder's datasets, merged
        found = [f / "define.xml" for f in folders if (f / "define.xml").is_file()]
        define_doc = merge_defines([read_define(p) for p in found]) if found else None
        define = ", ".join(str(p) for p in found) or None
    else:
        define_doc = read_define(define)
    load_seconds = time.perf_counter() - started
    if rules is None and preloaded is not None:
        rules = preloaded.rules
    result = validate_datasets(datasets, define_doc, rules, standard, max_details=max_details,
                               done=preloaded.outcomes if preloaded is not None else None,
                               cache=preloaded.cache if preloaded is not None else None, workers=workers)
    result.timings["load"] = load_seconds
    result.timings["total"] = time.perf_counter() - started
    result.run.update({"data": ", ".join(str(f.resolve()) for f in folders),
                       "define_file": str(define) if define else ""})
    return result


def validate_datasets(datasets: Mapping[str, Dataset] | Mapping[str, pd.DataFrame], define: Define | None = None,
                      rules=None, standard: str | None = None, *, max_details: int = MAX_DETAILS_PER_RULE,
                      done: "DoneOutcomes | None" = None, cache: Cache | None = None,
                      workers: int | None = None) -> ValidationResult:
    """Validate datasets already in memory (`Dataset`s, or plain frames by dataset name). `done`, `cache`,
    `workers`: see `run_rules`."""
    started = time.perf_counter()
    if datasets and not all(isinstance(d, Dataset) for d in datasets.values()):
        datasets = datasets_from_frames(datasets)
    datasets = {name.upper(): dataset for name, dataset in datasets.items()}
    if define is not None:
        datasets = _apply_define(datasets, define)
    rule_list = _rules(rules, standard)
    result = run_rules(datasets, rule_list, define, max_details=max_details, done=done, cache=cache,
                       workers=workers)
    result.timings.setdefault("total", time.perf_counter() - started)
    result.run.update(_run_facts(datasets, define, rule_list, standard))
    return result


Outcome = tuple[list[Finding], RuleStatus, float]  # a rule's findings, status and seconds
# Outcomes made before the run (validation.ahead), by rule id, for these datasets, define and detail cap.
DoneOutcomes = Callable[[dict[str, Dataset], "Define | None", int], dict[str, Outcome]]


def run_rules(datasets: dict[str, Dataset], rules: list[Rule], define: Define | None = None, *,
              max_details: int = MAX_DETAILS_PER_RULE, workers: int | None = None,
              done: DoneOutcomes | None = None, cache: Cache | None = None) -> ValidationResult:
    """Run each rule; a crash in one rule becomes its "error" status and the run goes on.

    `workers`: processes sharing the rules (default: `parallel_workers`); findings and statuses come out in
    rule order whatever the number. `done`: gives the outcomes of rules already run on exactly these
    datasets and define (by rule id); those rules are not run again. `cache`: column views already made
    (keyed by frame, see RuleContext); the frames it names must be alive and unchanged."""
    result = ValidationResult()
    started = time.perf_counter()
    ahead = done(datasets, define, max_details) if done is not None else {}
    if len({rule.id for rule in rules}) != len(rules):  # ids name outcomes: only when they are unique
        ahead = {}
    remaining = [rule for rule in rules if rule.id not in ahead]
    ran = iter(_outcomes(remaining, datasets, define, max_details, workers, cache or Cache()))
    outcomes = [ahead[rule.id] if rule.id in ahead else next(ran) for rule in rules]
    for rule, (findings, status, elapsed) in zip(rules, outcomes):
        result.findings.extend(findings)
        result.statuses.append(_with_seconds(status, elapsed))
        result.timings[f"rule:{rule.id}"] = elapsed
    result.timings["rules"] = time.perf_counter() - started
    result.datasets = [_detail(d) for d in datasets.values()]
    return result


PARALLEL_MIN_RECORDS = 5000  # below this, forking costs more than a second process saves
_SHARED: tuple | None = None  # what forked workers read: rules, datasets, define, max_details, cache, counter, lock


def parallel_workers(datasets: Mapping[str, Dataset], requested: int | None = None) -> int:
    """Processes to run the rules in: `requested`, else TRIALFORGE_WORKERS, else 2 when the data is large
    enough to gain from it and a second CPU this process may use is idle (on a machine already busy a
    second process only slows both). Workers are forked (they share the loaded datasets); where fork is
    unavailable, one process."""
    import multiprocessing
    import os

    if requested is None:
        setting = os.environ.get("TRIALFORGE_WORKERS", "").strip()
        if setting:
            requested = int(setting) if setting.isdigit() else 1
        else:
            records = sum(len(d.frame) for d in datasets.values())
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0  # this process counts as about 1
            requested = min(2, cpus) if records >= PARALLEL_MIN_RECORDS and busy < cpus - 0.5 else 1
    if requested > 1 and "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, requested)


def _outcomes(rules: list[Rule], datasets: dict[str, Dataset], define: Define | None, max_details: int,
              workers: int | None, cache: Cache) -> list[Outcome]:
    if not rules:
        return []
    workers = min(parallel_workers(datasets, workers), max(1, len(rules)))
    if workers == 1:
        return _run_all(rules, datasets, define, max_details, cache)
    import multiprocessing

    ct.preload()  # read once here rather than once in each worker
    _share_views(datasets, cache)
    context = multiprocessing.get_context("fork")
    global _SHARED
    _SHARED = (rules, datasets, define, max_details, cache, context.RawValue("l", 0), context.Lock())
    try:
        with context.Pool(workers - 1, initializer=_quiet_signals) as pool:
            pending = [pool.apply_async(_run_forked_share) for _ in range(1, workers)]
            claimed = _run_claimed()  # this process takes rules too
            for job in pending:
                share, records = job.get()
                for record in records:  # a worker's warnings ("rule failed"), logged here as if made here
                    logging.getLogger(record.name).handle(record)
                claimed.update(share)
    finally:
        _SHARED = None
    return [claimed[i] for i in range(len(rules))]


def _share_views(datasets: dict[str, Dataset], cache: Cache) -> None:
    """Make the column view nearly every rule asks for (is the value there) before the workers fork, so
    that each has it instead of making its own."""
    for dataset in datasets.values():
        ctx = RuleContext(datasets, None, cache, dataset)
        for name in dataset.frame.columns:
            ctx.present(name)


def _quiet_signals() -> None:
    """A worker ends on the pool's SIGTERM without running a handler it inherited (the CLI's raises, and
    would print a traceback), and leaves Ctrl-C to the process that started it."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_claimed() -> dict[int, Outcome]:
    """Take the next rule no process has taken, run it, until none is left: each process's outcomes by
    rule position (taken one by one, so a slow rule never leaves another process idle at the end)."""
    rules, datasets, define, max_details, cache, taken, lock = _SHARED
    outcomes: dict[int, Outcome] = {}
    while True:
        with lock:
            position = taken.value
            taken.value = position + 1
        if position >= len(rules):
            return outcomes
        outcomes[position] = _run_all([rules[position]], datasets, define, max_details, cache)[0]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info = record.getMessage(), None, None  # to pickle
        self.records.append(record)


def _run_forked_share() -> tuple[dict[int, Outcome], list[logging.LogRecord]]:
    """`_run_claimed` in a forked worker: its log records go back with its outcomes, not to the console."""
    kept = _Records()
    root = logging.getLogger()
    root.handlers = [kept]
    return _run_claimed(), kept.records


def _run_all(rules: list[Rule], datasets: dict[str, Dataset], define: Define | None,
             max_details: int, cache: Cache) -> list[Outcome]:
    outcomes = []
    for rule in rules:
        clock = time.perf_counter()
        try:
            findings, status = _run_rule(rule, datasets, define, cache, max_details)
        except Exception as exc:  # the rule is broken for this data; report it and keep going
            log.warning("rule %s failed: %s", rule.id, exc)
            log.debug("%s", traceback.format_exc())
            findings, status = [], _status(rule, "error", reason=f"{type(exc).__name__}: {exc}")
        outcomes.append((findings, status, time.perf_counter() - clock))
    return outcomes


# --- one rule --------------------------------------------------------------------------------------------

def _run_rule(rule: Rule, datasets: Mapping[str, Dataset], define: Define | None, cache: Cache,
              max_details: int, candidates: list[Dataset] | None = None) -> tuple[list[Finding], RuleStatus]:
    """`candidates`: the datasets the rule may target (default: all of `datasets`)."""
    base = RuleContext(datasets, define, cache, evaluate=evaluate)
    if rule.level == "study":
        absent = [name for name in rule.requires_datasets if name not in datasets]
        if absent:
            return [], _status(rule, "not applicable", reason=f"no {', '.join(absent)} dataset")
        if not any(d.standard in rule.families for d in datasets.values()):
            return [], _status(rule, "not applicable", reason=f"no {'/'.join(sorted(rule.families))} datasets")
        try:
            issues = operators.get(rule.check["operator"]).run(None, _leaf(rule.check, base), base)
        except NotApplicable as exc:
            return [], _status(rule, "not applicable", reason=str(exc))
        findings = [_issue_finding(rule, issue, None) for issue in issues]
        per_dataset = Counter(f.dataset or "" for f in findings)
        return findings, _status(rule, "issues" if findings else "passed", count=len(findings),
                                 per_dataset=tuple(per_dataset.items()))

    absent = [name for name in rule.requires_datasets if name not in datasets]
    if absent:
        return [], _status(rule, "not applicable", reason=f"no {', '.join(absent)} dataset")
    targets = [d for d in (datasets.values() if candidates is None else candidates) if in_scope(rule, d)]
    if not targets:
        return [], _status(rule, "not applicable", reason="no dataset in scope")
    findings: list[Finding] = []
    total = 0
    per_dataset: list[tuple[str, int]] = []
    ran: list[str] = []
    skipped: list[str] = []
    capped = False
    for dataset in targets:
        ctx = base.on(dataset)
        missing = [ctx.expand(v) for v in rule.requires if not ctx.has(v)]
        if missing:
            skipped.append(f"{dataset.name}: no {', '.join(missing)}")
            continue
        try:
            found, count, cut = _run_on_dataset(rule, ctx, max_details)
        except NotApplicable as exc:
            skipped.append(f"{dataset.name}: {exc}")
            continue
        ran.append(dataset.name)
        findings.extend(found)
        total += count
        capped |= cut
        if count:
            per_dataset.append((dataset.name, count))
    if not ran:
        return [], _status(rule, "not applicable", reason="; ".join(skipped))
    reason = f"details capped at {max_details} per dataset" if capped else ""
    status = _status(rule, "issues" if total else "passed", datasets=tuple(ran), count=total, reason=reason,
                     per_dataset=tuple(per_dataset))
    return findings, status


def _run_on_dataset(rule: Rule, ctx: RuleContext, max_details: int) -> tuple[list[Finding], int, bool]:
    if rule.each_variable is None:
        return _run_check(rule, rule.check, ctx, max_details, ())
    findings: list[Finding] = []
    total, capped, ran = 0, False, 0
    for variable in each_variables(rule.each_variable, ctx):
        check = bind_each(rule.check, variable)
        try:
            found, count, cut = _run_check(rule, check, ctx, max_details, (variable,))
        except NotApplicable:
            continue  # another variable of the same dataset may still apply
        ran += 1
        findings.extend(found)
        total += count
        capped |= cut
    if not ran:
        raise NotApplicable("no variable to check")
    return findings, total, capped


def each_variables(selector, ctx: RuleContext) -> list[str]:
    """Columns a rule runs on one by one: a list of names (absent ones skipped) or a regex over names."""
    columns = list(ctx.frame.columns)
    if isinstance(selector, list):
        return [name for name in (ctx.expand(str(v)) for v in selector) if name in columns]
    prefix = ctx.dataset.prefix
    pattern = re.compile(selector.replace("--", prefix) if prefix else selector.replace("--", "[A-Z]{2}"))
    return [c for c in columns if pattern.search(c)]


def bind_each(check: Any, variable: str) -> Any:
    if isinstance(check, dict):
        return {k: bind_each(v, variable) for k, v in check.items()}
    if isinstance(check, list):
        return [bind_each(v, variable) for v in check]
    return variable if check == EACH else check


def _run_check(rule: Rule, check: dict, ctx: RuleContext, max_details: int,
               bound: tuple[str, ...]) -> tuple[list[Finding], int, bool]:
    if rule.level == "dataset":
        issues = operators.get(check["operator"]).run(ctx.frame, _leaf(check, ctx), ctx)
        findings = [_issue_finding(rule, issue, ctx.dataset) for issue in issues]
        return findings, len(findings), False
    rows = np.flatnonzero(check_mask(check, ctx))
    if not len(rows):
        return [], 0, False
    report = _report_variables(rule, check, ctx, bound)
    if rule.sensitivity == "dataset" and report:
        picked = ctx.frame.iloc[rows][report].astype("str")
        rows = rows[~picked.duplicated().to_numpy()]
    count = len(rows)
    kept = rows[:max_details]
    return _record_findings(rule, ctx, kept, report), count, len(kept) < count


def evaluate(check: dict, ctx: RuleContext) -> pd.Series:
    """A record-level check tree on the context's dataset: a boolean Series, True = finding."""
    mask = check_mask(check, ctx)
    return mask if mask is None else pd.Series(mask, index=ctx.frame.index)


def check_mask(check: dict, ctx: RuleContext) -> np.ndarray:
    """`evaluate` as a numpy array: the tree's and/or/not combine arrays, not Series (thousands per run)."""
    if "all" in check:
        result = None
        for child in check["all"]:
            mask = check_mask(child, ctx)
            result = mask if result is None else result & mask
            if not result.any():  # nothing left to find: spare the remaining children
                break
        return result
    if "any" in check:
        result = None
        for child in check["any"]:
            mask = check_mask(child, ctx)
            result = mask if result is None else result | mask
        return result
    if "not" in check:
        return ~check_mask(check["not"], ctx)
    op = operators.get(check["operator"])
    params = _leaf(check, ctx)
    if params.get("variable_absent"):
        ctx = ctx.allowing_absent(params["variable"])
    mask = op.run(ctx.frame, params, ctx)
    if mask.dtype == bool and (mask.index is ctx.frame.index or mask.index.equals(ctx.frame.index)):
        return mask.to_numpy()  # the common case, spared a reindex and a copy
    return mask.reindex(ctx.frame.index, fill_value=False).astype(bool).to_numpy()


def _leaf(check: dict, ctx: RuleContext) -> dict:
    """The leaf with `variable`, `other` and `date` expanded for the dataset (`--SEQ` -> `AESEQ`)."""
    params = dict(check)
    raw = params.get("variable")
    for key in ("variable", "other", "date"):
        if isinstance(params.get(key), str):
            params[key] = ctx.expand(params[key])
    if isinstance(raw, str) and raw.endswith("?") and ctx.dataset is not None:
        params["variable_absent"] = params["variable"] not in ctx.frame.columns
    for key, token in (("value", "$domain"), ("value", "$dataset")):
        if params.get(key) == token and ctx.dataset is not None:
            params[key] = ctx.dataset.domain if token == "$domain" else ctx.dataset.name
    return params


# --- scope -----------------------------------------------------------------------------------------------

def in_scope(rule: Rule, dataset: Dataset) -> bool:
    """A rule applies to the datasets of its standard, narrowed by class, domain and dataset patterns; a
    rule that names datasets explicitly (e.g. an ADaM rule checking SDTM AE) applies to those whatever
    their standard."""
    scope = rule.scope
    if dataset.standard not in rule.families and not scope.datasets[0]:
        return False
    return (_matches(dataset.dataset_class, scope.classes) and _matches(dataset.domain, scope.domains)
            and _matches(dataset.name, scope.datasets))


@lru_cache(maxsize=4096)  # rules x datasets ask the same few questions thousands of times
def _matches(value: str, include_exclude: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    include, exclude = include_exclude
    value = (value or "").upper()
    if include and not any(fnmatchcase(value, pattern) for pattern in include):
        return False
    return not any(fnmatchcase(value, pattern) for pattern in exclude)


# --- findings --------------------------------------------------------------------------------------------

def _report_variables(rule: Rule, check: dict, ctx: RuleContext, bound: tuple[str, ...]) -> list[str]:
    names: list[str] = list(bound)
    wanted = [ctx.expand(v) for v in rule.report] if rule.report else _leaf_variables(check, ctx)
    for name in wanted:
        if name and name not in names:
            names.append(name)
    return [n for n in names if n in ctx.frame.columns]


def _leaf_variables(check: Any, ctx: RuleContext) -> list[str]:
    if isinstance(check, dict):
        if "operator" in check:
            return [ctx.expand(check[k]) for k in _REPORT_KEYS if isinstance(check.get(k), str)]
        out = []
        for key in ("all", "any"):
            for child in check.get(key, []):
                out.extend(_leaf_variables(child, ctx))
        if "not" in check:
            out.extend(_leaf_variables(check["not"], ctx))
        return out
    return []


def _record_findings(rule: Rule, ctx: RuleContext, rows: np.ndarray, report: list[str]) -> list[Finding]:
    frame = ctx.frame
    dataset = ctx.dataset
    subjects = _column_values(frame, "USUBJID", rows)
    seq_name = _seq_variable(dataset)
    seqs = _column_values(frame, seq_name, rows) if seq_name else [None] * len(rows)
    values = [_column_values(frame, name, rows) for name in report]
    out = []
    for i, row in enumerate(rows):
        row_values = tuple(column[i] for column in values)
        fields = {"dataset": dataset.name, "domain": dataset.domain, "row": int(row) + 1,
                  "USUBJID": subjects[i], "seq": seqs[i],
                  "variable": report[0] if report else "", "value": row_values[0] if row_values else "",
                  **dict(zip(report, row_values)), **_numbered(report, row_values)}
        out.append(Finding(
            rule_id=rule.id, severity=rule.severity, message=format_message(rule.message, fields),
            dataset=dataset.name, row=int(row) + 1, usubjid=subjects[i] or None, seq=seqs[i],
            variables=tuple(report), values=row_values, implements=rule.citations))
    return out


def _numbered(names, values) -> dict[str, Any]:
    """{variable2}/{value2}... name the reported variables by position, for messages written once for
    every domain (`--DY` is LBDY in LB)."""
    fields: dict[str, Any] = {}
    for number, (name, value) in enumerate(zip(names, values), start=1):
        fields[f"variable{number}"] = name
        fields[f"value{number}"] = value
    return fields


def _issue_finding(rule: Rule, issue: Issue, dataset: Dataset | None) -> Finding:
    name = issue.dataset or (dataset.name if dataset is not None else None)
    fields = {"dataset": name or "", "domain": dataset.domain if dataset is not None else (name or ""),
              "variable": issue.variables[0] if issue.variables else "",
              "value": issue.values[0] if issue.values else "", **_numbered(issue.variables, issue.values),
              **issue.detail}
    row = issue.row + 1 if issue.row is not None else None
    usubjid = seq = None
    if dataset is not None and issue.row is not None:
        usubjid = _column_values(dataset.frame, "USUBJID", np.array([issue.row]))[0]
        seq_name = _seq_variable(dataset)
        seq = _column_values(dataset.frame, seq_name, np.array([issue.row]))[0] if seq_name else None
    return Finding(rule_id=rule.id, severity=rule.severity, message=format_message(rule.message, fields),
                   dataset=name, row=row, usubjid=usubjid or None, seq=seq, variables=issue.variables,
                   values=tuple(issue.values), implements=rule.citations)


def _seq_variable(dataset: Dataset) -> str | None:
    for name in (f"{dataset.prefix}SEQ" if dataset.prefix else "", "ASEQ", "SEQ"):
        if name and name in dataset.frame.columns:
            return name
    return None


def _column_values(frame: pd.DataFrame, name: str | None, rows: np.ndarray) -> list:
    if not name or name not in frame.columns:
        return [None] * len(rows)
    picked = frame[name].iloc[rows]
    if pd.api.types.is_numeric_dtype(picked.dtype):
        return [None if v != v else (int(v) if float(v).is_integer() else float(v)) for v in picked.tolist()]
    return picked.tolist()


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_message(template: str, fields: dict[str, Any]) -> str:
    """Fill {placeholders} from the finding; unknown placeholders stay as written."""
    try:
        return template.format_map(_Fields({k: _shown(v) for k, v in fields.items()}))
    except (ValueError, IndexError, AttributeError, KeyError):  # a stray brace in a message: show it as written
        return template


def _shown(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return "" if value is None else value


# --- statuses, details, run facts ------------------------------------------------------------------------

def _status(rule: Rule, status: str, *, datasets: tuple[str, ...] = (), count: int = 0,
            reason: str = "", per_dataset: tuple[tuple[str, int], ...] = ()) -> RuleStatus:
    return RuleStatus(rule_id=rule.id, status=status, severity=rule.severity, title=rule.title,
                      standard=rule.standard, implements=rule.citations, datasets=datasets, findings=count,
                      reason=reason, dataset_findings=per_dataset)


def _with_seconds(status: RuleStatus, seconds: float) -> RuleStatus:
    return RuleStatus(**{**status.__dict__, "seconds": seconds})


def _detail(dataset: Dataset) -> DatasetDetail:
    return DatasetDetail(name=dataset.name, label=dataset.label, standard=dataset.standard,
                         dataset_class=dataset.dataset_class, records=len(dataset.frame),
                         variables=len(dataset.frame.columns), file=str(dataset.file or ""),
                         file_format=dataset.file_format, size_bytes=dataset.size_bytes)


def _apply_define(datasets: dict[str, Dataset], define: Define) -> dict[str, Dataset]:
    """define.xml knows the class and standard of each dataset better than a guess from its name; the
    caller's datasets are left as they were."""
    out = {}
    for name, dataset in datasets.items():
        described = define.datasets.get(name)
        if described is not None:
            dataset = classify(dataclasses.replace(dataset), define_class=described.dataset_class,
                               define_standard=described.standard)
        out[name] = dataset
    return out


def run_timestamp() -> str:
    """UTC time of the run: the build clock (SOURCE_DATE_EPOCH when set), so two builds of the same inputs
    report alike."""
    return build_timestamp().isoformat()


def _rules(rules, standard: str | None) -> list[Rule]:
    if rules is None or isinstance(rules, (str, Path)):
        loaded = load_rules(rules)
    else:
        items = list(rules)
        loaded = items if all(isinstance(r, Rule) for r in items) else load_rules(items)
    if standard:
        wanted = standard.replace("v", "").strip()
        loaded = [r for r in loaded if any(s.replace("v", "") == wanted for s in r.standard)]
    return loaded


def _run_facts(datasets: dict[str, Dataset], define: Define | None, rules: list[Rule],
               standard: str | None) -> dict[str, Any]:
    families = sorted({d.standard for d in datasets.values() if d.standard})
    standards = sorted({s for r in rules for s in r.standard if ("ADaM" if s.startswith("ADaM") else "SDTM")
                        in families})
    return {
        "run_date": run_timestamp(),
        "engine": ENGINE_NAME, "engine_version": ENGINE_VERSION,
        "standards": (define.ig_versions() if define and define.ig_versions() else standards),
        "standard_filter": standard or "",
        "ct_versions": (define.ct_versions() if define and define.ct_versions()
                        else [f"CDISC CT {CT_VERSION} (bundled)"]),
        "define_version": define.define_version if define else "",
        "define_file": define.path if define else "",
        "rules": len(rules), "datasets": len(datasets),
        "records": int(sum(len(d.frame) for d in datasets.values())),
    }


__all__ = ["validate_folder", "validate_datasets", "run_rules", "evaluate", "in_scope", "format_message"]
