"""Named domain steps that `derive` Mapping rows call: what a spec row cannot say as a simple assignment.

Each step is `step(frame, ctx, dataset, variable, **arguments)` and returns a Series (for `variable`)
or a DataFrame (several variables). Arguments come from the Mapping row as text.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable

import numpy as np
import pandas as pd

from formats.isodates import study_day as compute_study_day
from sdtm import findings, identifiers, visits
from sdtm.engine import DomainContext, mapping_finding
from sdtm.frames import as_text
from specs.errors import MappingError
from specs.expressions import ExpressionError, parse_expression

STEPS: dict[str, Callable] = {}
NO_EPOCH = "TF-MAP-EPOCH"  # a notice: EPOCH cannot be derived without SE


def step(name: str):
    def register(fn: Callable) -> Callable:
        STEPS[name] = fn
        return fn
    return register


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


_CONTEXT_NAMES = {"__subject": "Subject Column", "__site": "Site Column", "__visit": "Visit Column",
                  "__instance": "Instance Column"}


def _need(frame: pd.DataFrame, dataset: str, step_name: str, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    context = [_CONTEXT_NAMES[c] for c in missing if c in _CONTEXT_NAMES]
    if context:
        raise MappingError(f"{dataset}: step {step_name} needs the {' and '.join(context)} of the raw form(s) "
                           f"{dataset} is mapped from: declare it in the Sources sheet (a row for the form, or "
                           f"the `*` row)")
    if missing:
        raise MappingError(f"{dataset}: step {step_name} needs {', '.join(missing)}, which no earlier Mapping row "
                           f"fills")


def _by_subject(ctx: DomainContext, frame: pd.DataFrame, domain: str, variable: str) -> pd.Series:
    source = ctx.domain(domain)
    return frame["USUBJID"].map(pd.Series(source[variable].to_numpy(), index=source["USUBJID"].to_numpy()))


def _expression(text: str, where: str):
    """A derive row's expression argument, parsed (a SpecError names the row's function and argument)."""
    try:
        parsed = parse_expression(text)
    except ExpressionError as exc:
        raise MappingError(f"{where}: cannot read the expression {text!r}: {exc}") from exc
    if parsed.issues:
        raise MappingError(f"{where}: the expression {text!r} " + "; ".join(str(i) for i in parsed.issues))
    return parsed


def select_records(frame: pd.DataFrame, text: str, where: str) -> pd.Series:
    """The rows of `frame` a test expression (over its variables) keeps."""
    test = _expression(text, where)
    try:
        return test.mask(frame).fillna(False).astype(bool)
    except MappingError as exc:
        raise MappingError(f"{where}: {exc}") from exc


def evaluate_expression(frame: pd.DataFrame, text: str, where: str) -> tuple[pd.Series, pd.Series]:
    try:
        return _expression(text, where).evaluate(frame)
    except MappingError as exc:
        raise MappingError(f"{where}: {exc}") from exc


@step("usubjid")
def usubjid(frame, ctx, dataset, variable, **_):
    """USUBJID = STUDYID-<subject>, the subject from the form's declared Subject Column."""
    _need(frame, dataset, "usubjid", "__subject")
    studyid = frame["STUDYID"].astype(str) if "STUDYID" in frame.columns else ctx.studyid
    return as_text(identifiers.compute_usubjid(studyid, frame["__subject"]))


@step("seq")
def seq(frame, ctx, dataset, variable, keys=None, **_):
    """--SEQ: 1, 2, ... per USUBJID in the order of `keys` (default: the dataset's Key Variables)."""
    named = _columns(keys)
    keys = named or list(ctx.spec.dataset(dataset).key_variables)
    prefix = dataset[4:] if dataset.startswith("SUPP") else dataset
    # a key the spec makes but that is not made yet would silently drop out of the order: an error instead
    declared = {v.name for v in ctx.spec.variables_of(dataset)} if ctx.spec.has_dataset(dataset) else set()
    later = [k for k in keys if k not in frame.columns and k != variable and (named or k in declared)]
    if later:
        raise MappingError(f"{dataset}.{variable}: seq orders by {', '.join(later)}, which "
                           f"{'is' if len(later) == 1 else 'are'} not derived yet; put the seq row after "
                           f"{'its row' if len(later) == 1 else 'their rows'} (or name other keys=)")
    return identifiers.derive_seq(frame, prefix, keys)


@step("study_day")
def study_day(frame, ctx, dataset, variable, dtc, **_):
    """--DY of the date in `dtc` counted from DM.RFSTDTC (day 1, no day 0); null for a partial date."""
    _need(frame, dataset, "study_day", dtc, "USUBJID")
    return compute_study_day(frame[dtc], _by_subject(ctx, frame, "DM", "RFSTDTC")).astype("Float64")


@step("epoch")
def epoch(frame, ctx, dataset, variable, dtc=None, **_):
    """EPOCH of the SE element the date in `dtc` falls in (a partial date: when its whole period lies in one
    epoch); a record without a date takes the date of its visit in SV (a NOT DONE assessment, an eligibility
    criterion); without SE, null with one notice per dataset."""
    _need(frame, dataset, "epoch", "USUBJID", *([dtc] if dtc else []))
    if "SE" not in ctx.domains:
        if not any(f.rule_id == NO_EPOCH and f.dataset == dataset for f in ctx.findings):
            ctx.findings.append(mapping_finding(dataset, variable, None, None, None, "EPOCH is left null: the spec "
                                                "builds no SE (subject elements) to place the dates in", "notice",
                                                NO_EPOCH))
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    dates = frame[dtc] if dtc else pd.Series([None] * len(frame), index=frame.index, dtype=object)
    sv = ctx.domains.get("SV")
    if dataset != "SV" and sv is not None and "VISITNUM" in frame.columns and {"SVSTDTC", "VISITNUM"} <= set(sv.columns):
        visit_dates = pd.Series(sv["SVSTDTC"].to_numpy(), index=pd.MultiIndex.from_arrays(
            [sv["USUBJID"].to_numpy(), sv["VISITNUM"].to_numpy()])).groupby(level=[0, 1]).first()
        keys = pd.MultiIndex.from_arrays([frame["USUBJID"].to_numpy(), frame["VISITNUM"].to_numpy()])
        undated = dates.isna() | dates.astype("string").str.strip().eq("")
        dates = dates.where(~undated, pd.Series(visit_dates.reindex(keys).to_numpy(), index=frame.index))
    return identifiers.derive_epoch(dates, frame["USUBJID"], ctx.domain("SE"))


@step("visit")
def visit(frame, ctx, dataset, variable, date=None, dtc=None, unscheduled="after_previous", **_):
    """VISITNUM, VISIT, VISITDY of the visit each record's form collected (sdtm.visits): planned visits from
    TV and its visit map; unscheduled ones by the `unscheduled` rule. With `after_previous`, the first domain
    whose visit step runs with date=<variable> defines the visits (SV is built first), the others look up."""
    _need(frame, dataset, "visit", "__subject", "__visit")
    instance = frame["__instance"] if "__instance" in frame.columns else None
    if "planned_visits" not in ctx.lookups:
        ctx.lookups["planned_visits"] = visits.planned_visits(ctx.spec)
    planned = ctx.lookups["planned_visits"]
    date = date or dtc
    if unscheduled == "after_previous" and "visits" not in ctx.lookups and date:
        _need(frame, dataset, "visit", date)
        ctx.lookups["visits"] = visits.visit_table(frame["__subject"], frame["__visit"], instance, frame[date], planned)
    found, problems = visits.assign_visits(frame["__subject"], frame["__visit"], instance, planned, unscheduled,
                                           ctx.lookups.get("visits"))
    ctx.report_problems(dataset, "VISITNUM", frame, problems, frame["__visit"], severity="warning")
    return pd.DataFrame({"VISITNUM": found["VISITNUM"].astype(float).to_numpy(),
                         "VISIT": as_text(found["VISIT"]).to_numpy(),
                         "VISITDY": found["VISITDY"].astype(float).to_numpy()}, index=frame.index)


@step("lobxfl")
def lobxfl(frame, ctx, dataset, variable, by, dtc, result=None, **_):
    """--LOBXFL = Y on the last record with a result dated before DM.RFXSTDTC (same day counts when either
    has no time), per USUBJID and `by`."""
    result = result or f"{dataset}ORRES"
    group = ["USUBJID", *_columns(by)]
    _need(frame, dataset, "lobxfl", *group, dtc, result)
    return findings.last_observation_before_exposure(frame, group, dtc, result,
                                                     _by_subject(ctx, frame, "DM", "RFXSTDTC"))


@step("nrind")
def nrind(frame, ctx, dataset, variable, **_):
    """--NRIND: LOW, HIGH or NORMAL from --STRESN against --STNRLO/--STNRHI."""
    d = dataset
    _need(frame, dataset, "nrind", f"{d}STRESN")
    low = frame.get(f"{d}STNRLO", pd.Series(np.nan, index=frame.index))
    high = frame.get(f"{d}STNRHI", pd.Series(np.nan, index=frame.index))
    return findings.reference_range_indicator(frame[f"{d}STRESN"], low, high)


@step("copy")
def copy(frame, ctx, dataset, variable, source, **_):
    """Copy another variable of the same record (e.g. --ENDTC = --STDTC for a single administration)."""
    _need(frame, dataset, "copy", source)
    return frame[source]


@step("reference_date")
def reference_date(frame, ctx, dataset, variable, domain, date=None, pick="first", where=None, **_):
    """A subject's reference date (RFSTDTC, RFENDTC, RFXSTDTC, RFXENDTC, RFICDTC, RFPENDTC, DTHDTC) picked from
    the records of other domains: `domain` = one or more built domains (comma-separated; `*` = every domain
    built so far and this one), `date` = their date variables (default: every --DTC variable), `where` = an
    expression selecting the records (e.g. `EXDOSE > 0`), `pick` = first or last. The value is kept as written,
    time included; a partial date counts only where it is unambiguously first or last (see pick_dates)."""
    if pick not in ("first", "last"):
        raise MappingError(f"{dataset}.{variable}: reference_date pick={pick!r}; use first or last")
    if domain.strip() == "*" and where:
        raise MappingError(f"{dataset}.{variable}: reference_date with domain=* cannot take a where expression "
                           f"(it would have to hold in every domain); name the domains")
    names = list(ctx.domains) + [dataset] if domain.strip() == "*" else _columns(domain)
    candidates = []
    for name in dict.fromkeys(names):
        source = frame if name == dataset else ctx.domain(name)
        if "USUBJID" not in source.columns or source.empty:
            continue
        if where:
            source = source.loc[select_records(source, where, f"{dataset}.{variable} (reference_date where)")]
        columns = _columns(date) if date else [c for c in source.columns if str(c).endswith("DTC")]
        if date:
            _need(source, name, "reference_date", *columns)
        for column in columns:
            candidates.append(pd.DataFrame({"USUBJID": source["USUBJID"].to_numpy(),
                                            "value": source[column].to_numpy(dtype=object)}))
    return frame["USUBJID"].map(pick_dates(candidates, last=pick == "last"))


def pick_dates(candidates: list[pd.DataFrame], last: bool) -> pd.Series:
    """USUBJID -> the earliest (or latest) ISO 8601 value, kept as written. A partial date (`2025-01`, `2025`)
    counts only where it is unambiguous: for the latest, when its whole period lies after every other value
    (compared by the period's first day); for the earliest, when it lies before (by the period's last day)."""
    if not candidates:
        return pd.Series(dtype=object)
    stacked = pd.concat(candidates, ignore_index=True).dropna()
    text = stacked["value"].astype(str).str.strip()
    stacked = stacked.assign(value=text)[text.str.match(r"^\d{4}(-\d{2}(-\d{2})?)?($|T)").to_numpy()]
    if stacked.empty:
        return pd.Series(dtype=object)
    stacked = stacked.assign(key=_period_key(stacked["value"], last))
    chosen = stacked.sort_values(["USUBJID", "key"], kind="mergesort").groupby("USUBJID")
    return (chosen.last() if last else chosen.first())["value"]


def _period_key(values: pd.Series, last: bool) -> pd.Series:
    """A sort key that places a partial date at its period's first day (last=True) or after its last day."""
    day = values.str[:10]
    if last:
        padded = day.where(day.str.len() == 10, day.str.pad(10, side="right", fillchar="#").str.replace(
            "-##-##", "-01-01", regex=False).str.replace("-##", "-01", regex=False))
        return padded + values.str[10:]
    key = values.copy()
    partial = day.str.len() < 10
    for at, text in day[partial].items():  # partial dates are few: their period's last day, after any time
        year, month = int(text[:4]), int(text[5:7]) if len(text) >= 7 else 12
        key[at] = f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}T99"
    return key


@step("expression")
def expression(frame, ctx, dataset, variable, expr, **_):
    """The value of an expression over the record's own variables (`coalesce(RFENDTC, RFXENDTC)`) and its
    subject's variables in a one-record-per-subject domain built before (`DM.RFSTDTC`)."""
    values, problems = evaluate_expression(_with_subject_values(frame, ctx, dataset, variable, expr), expr,
                                           f"{dataset}.{variable}")
    ctx.report_problems(dataset, variable, frame, problems, values)
    return values


def _with_subject_values(frame, ctx, dataset, variable, expr):
    """`frame` with a column for each DOMAIN.VARIABLE the expression names: the subject's value there."""
    extra = {}
    for name in _expression(expr, f"{dataset}.{variable}").fields:
        domain, dot, name_there = name.partition(".")
        if not dot or name in frame.columns or domain not in ctx.domains:
            continue
        source = ctx.domains[domain]
        if name_there not in source.columns or "USUBJID" not in source.columns:
            raise MappingError(f"{dataset}.{variable}: the expression {expr!r} reads {name}, but {domain} has no "
                               f"{name_there if 'USUBJID' in source.columns else 'USUBJID'}")
        if source["USUBJID"].duplicated().any():
            raise MappingError(f"{dataset}.{variable}: the expression {expr!r} reads {name}, but {domain} has more "
                               f"than one record per subject, so a record's subject does not pick one value")
        _need(frame, dataset, "expression", "USUBJID")
        extra[name] = _by_subject(ctx, frame, domain, name_there)
    return frame.assign(**extra) if extra else frame


@step("stresu")
def stresu(frame, ctx, dataset, variable, **arguments):
    """--STRESU = `unit` on records with a result (SD0029: no unit without a value); `from` = "unit:factor[:offset],
    ..." converts other units to it, standard = collected x factor + offset (kept for stresc/stnr)."""
    unit = arguments.get("unit")
    if not unit:
        raise MappingError(f"{dataset}.{variable}: {_rows_text(ctx, dataset, variable, 'stresu', arguments)}: the "
                           f"stresu step needs unit=<the standard unit>")
    conversions = arguments.get("from", "")
    try:
        findings.parse_conversions(conversions)
    except ValueError as exc:
        raise MappingError(f"{dataset}.{variable}: {_rows_text(ctx, dataset, variable, 'stresu', arguments)}: "
                           f"from={conversions!r}: {exc}") from None
    result = frame.get(f"{dataset}ORRES", pd.Series("x", index=frame.index))
    has_result = result.notna() & (result.astype("str").str.strip() != "")
    return pd.DataFrame({variable: pd.Series(unit, index=frame.index, dtype="str").where(has_result),
                         "__conversions": conversions}, index=frame.index)


def _standardized(frame, ctx, dataset, variable, step_name, orres_column, arguments, metadata):
    """The standard result triplet of `orres_column`, converted values rounded as the row says (`_rounding`)."""
    d = dataset
    orresu = frame.get(f"{d}ORRESU", pd.Series([None] * len(frame), index=frame.index))
    stresu = frame.get(f"{d}STRESU", pd.Series([None] * len(frame), index=frame.index))
    conversions = frame.get("__conversions", pd.Series([""] * len(frame), index=frame.index))
    significant, decimals = _rounding(frame, ctx, dataset, variable, step_name, arguments, metadata)
    return findings.standardize_results(frame[orres_column], orresu, stresu, conversions,
                                        too_small=arguments.get("too_small"), significant=significant,
                                        decimals=decimals)


def _rounding(frame, ctx, dataset, variable, step_name, arguments, metadata):
    """(significant, decimals) for converted values: the row's `decimals=N` or `significant=N`;
    `decimals=spec`: per record the Significant Digits (Define-XML: digits after the decimal point) of the
    first `metadata` variable that has them, value-level rows first; else 4 significant digits."""
    given = {key: arguments.get(key) for key in ("decimals", "significant") if arguments.get(key) is not None}
    where = _rows_text(ctx, dataset, variable, step_name, arguments)
    if len(given) == 2:
        raise MappingError(f"{dataset}.{variable}: {where}: give decimals= or significant=, not both")
    for key, text in given.items():
        if key == "decimals" and str(text).strip().casefold() == "spec":
            return 4, _declared_decimals(frame, ctx, dataset, metadata)
        low = 0 if key == "decimals" else 1
        if not str(text).strip().isdigit() or not low <= int(text) <= 15:
            raise MappingError(f"{dataset}.{variable}: {where}: {key}={text!r}; expected a whole number {low}-15"
                               f"{' or spec (the Significant Digits column)' if key == 'decimals' else ''}")
        return (None, int(text)) if key == "decimals" else (int(text), None)
    return 4, None


def _declared_decimals(frame, ctx, dataset, variables) -> pd.Series:
    """Per record: the Significant Digits the spec declares for the first of `variables` that has them for
    the record (its ValueLevel rows, then the variable itself); NaN where none does."""
    decimals = pd.Series(np.nan, index=frame.index)
    for name in variables:
        for vlm in ctx.spec.value_level_of(dataset, name):
            if vlm.significant_digits is not None and vlm.where is not None:
                decimals = decimals.mask(decimals.isna() & _where_mask(vlm.where, frame), vlm.significant_digits)
        if ctx.spec.has_variable(dataset, name) and ctx.spec.variable(dataset, name).significant_digits is not None:
            decimals = decimals.fillna(ctx.spec.variable(dataset, name).significant_digits)
    return decimals


def _where_mask(where, frame) -> pd.Series:
    """A where clause over the records; one naming a variable the records lack matches nothing."""
    if where is None:
        return pd.Series(True, index=frame.index)
    if any(c.variable not in frame.columns for c in where.conditions):
        return pd.Series(False, index=frame.index)
    return pd.Series(np.asarray(where.mask(frame), dtype=bool), index=frame.index)


def _calling_rows(ctx, dataset, variable, step_name, arguments) -> list:
    """The Mapping rows that call `step_name` for `variable` with these arguments."""
    wanted = {k: str(v) for k, v in arguments.items()}
    return [r for r in ctx.spec.mappings_of(dataset) if r.variable == variable and r.argument("function") == step_name
            and {k: v for k, v in r.arguments if k != "function"} == wanted]


def _rows_text(ctx, dataset, variable, step_name, arguments) -> str:
    rows = _calling_rows(ctx, dataset, variable, step_name, arguments)
    return f"Mapping row {', '.join(str(r.row) for r in rows)}" if rows else f"the {step_name} row"


def _report_once(frame, ctx, dataset, variable, step_name, arguments, problems, values) -> None:
    """Report problems only on the records the calling rows' Where Clauses give the value to, and once for
    rows that differ only in their Where Clause (the engine runs each of them over every record)."""
    key = ("reported", dataset, variable, step_name, tuple(sorted((k, str(v)) for k, v in arguments.items())))
    if key in ctx.lookups:
        return
    ctx.lookups[key] = True
    rows = _calling_rows(ctx, dataset, variable, step_name, arguments)
    applies = pd.Series(not rows, index=frame.index)
    for row in rows:
        applies |= _where_mask(row.where, frame)
    ctx.report_problems(dataset, variable, frame, problems.where(applies), values)


@step("stresc")
def stresc(frame, ctx, dataset, variable, **arguments):
    """--STRESC from --ORRES in the standard unit: numbers converted and rounded (`decimals=N`, `significant=N`,
    `decimals=spec` = the Significant Digits of --STRESN; else 4 significant digits), qualifiers such as "<"
    kept."""
    _need(frame, dataset, "stresc", f"{dataset}ORRES")
    _after_stresu(frame, ctx, dataset, "stresc")
    out = _standardized(frame, ctx, dataset, variable, "stresc", f"{dataset}ORRES", arguments, [f"{dataset}STRESN"])
    _report_once(frame, ctx, dataset, variable, "stresc", arguments, out["PROBLEM"], frame[f"{dataset}ORRES"])
    return out["STRESC"]


def _after_stresu(frame, ctx, dataset: str, step_name: str) -> None:
    """Converting before the standard unit is set would label unconverted numbers with it: refuse."""
    sets_unit = any(r.argument("function") == "stresu" for r in ctx.spec.mappings_of(dataset))
    if sets_unit and f"{dataset}STRESU" not in frame.columns:
        raise MappingError(f"{dataset}: the {step_name} step runs before any stresu row sets {dataset}STRESU; "
                           f"order the Mapping sheet so that stresu rows come first")


@step("stresn")
def stresn(frame, ctx, dataset, variable, **_):
    """--STRESN = --STRESC as a number when it holds one without a qualifier (FDAB031)."""
    _need(frame, dataset, "stresn", f"{dataset}STRESC")
    text = frame[f"{dataset}STRESC"].astype("string").str.strip()
    plain = text.str.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?").fillna(False).astype(bool)
    return pd.to_numeric(text.where(plain), errors="coerce").astype(float)


@step("stnr")
def stnr(frame, ctx, dataset, variable, **arguments):
    """--STNRLO/--STNRHI: the collected range limit in `orres`, converted like the result and rounded like it
    (`decimals=N`, `significant=N`; `decimals=spec` = the Significant Digits of --STRESN, else of the variable:
    --NRIND compares the two, so a result equal to its limit must not turn LOW by rounding them differently)."""
    orres = arguments.get("orres")
    if not orres:
        raise MappingError(f"{dataset}.{variable}: {_rows_text(ctx, dataset, variable, 'stnr', arguments)}: the stnr "
                           f"step needs orres=<the collected range limit variable>")
    _need(frame, dataset, "stnr", orres)
    _after_stresu(frame, ctx, dataset, "stnr")
    out = _standardized(frame, ctx, dataset, variable, "stnr", orres, arguments, [f"{dataset}STRESN", variable])
    _report_once(frame, ctx, dataset, variable, "stnr", arguments, out["NUMBER_PROBLEM"], frame[orres])
    return out["STRESN"]


@step("toxgr")
def toxgr(frame, ctx, dataset, variable, **_):
    """AETOXGR: the grade number 1-5 of a raw grade ("Grade 3", "3", "G3"); anything else is reported."""
    _need(frame, dataset, "toxgr", variable)
    raw = frame[variable].astype("string").str.strip()
    number = raw.str.extract(r"^(?:GRADE|GR|G)?\s*([1-5])$", flags=2)[0]  # re.IGNORECASE
    bad = raw.notna() & raw.ne("") & number.isna()
    ctx.report(dataset, variable, frame, bad.fillna(False).astype(bool),
               lambda v: f"{v!r} is not a CTCAE grade 1-5", raw)
    return as_text(number)


_COUNTRIES = {"CHINA": "CHN", "CHN": "CHN", "CN": "CHN", "PEOPLE'S REPUBLIC OF CHINA": "CHN", "PRC": "CHN",
              "UNITED STATES": "USA", "USA": "USA", "US": "USA", "UNITED STATES OF AMERICA": "USA",
              "JAPAN": "JPN", "JPN": "JPN", "GERMANY": "DEU", "DEU": "DEU", "UNITED KINGDOM": "GBR", "GBR": "GBR",
              "FRANCE": "FRA", "FRA": "FRA", "CANADA": "CAN", "CAN": "CAN", "KOREA, REPUBLIC OF": "KOR",
              "SOUTH KOREA": "KOR", "KOR": "KOR", "TAIWAN": "TWN", "TWN": "TWN", "AUSTRALIA": "AUS", "AUS": "AUS"}


@step("iso3166_alpha3")
def iso3166_alpha3(frame, ctx, dataset, variable, **_):
    """COUNTRY as ISO 3166-1 alpha-3 from a country name or code as collected; unknown names reported."""
    _need(frame, dataset, "iso3166_alpha3", variable)
    raw = frame[variable].astype("string").str.strip().str.upper()
    code = raw.map(_COUNTRIES)
    bad = raw.notna() & raw.ne("") & code.isna()
    ctx.report(dataset, variable, frame, bad.fillna(False).astype(bool),
               lambda v: f"{v!r} is not a country name or ISO 3166 code trialforge knows", raw)
    return as_text(code)


@step("ietest")
def ietest(frame, ctx, dataset, variable, **_):
    """IETEST: the criterion text of the record's IETESTCD from the TI sheet."""
    _need(frame, dataset, "ietest", "IETESTCD")
    ti = pd.DataFrame(list(ctx.spec.trial_design_table("TI").records()))
    return as_text(frame["IETESTCD"].map(pd.Series(ti["IETEST"].to_numpy(), index=ti["IETESTCD"].to_numpy())))


@step("tu_lnkid")
def tu_lnkid(frame, ctx, dataset, variable, **_):
    """--LNKID: the lesion identifier as collected, upper case, number zero-padded ("t1" -> "T01")."""
    _need(frame, dataset, "tu_lnkid", variable)
    raw = frame[variable].astype("string").str.strip().str.upper()
    parts = raw.str.extract(r"^([A-Z]+)\s*0*(\d+)$")
    padded = parts[0] + parts[1].str.zfill(2)
    return as_text(padded.where(parts[1].notna(), raw))


@step("lnkgrp")
def lnkgrp(frame, ctx, dataset, variable, **_):
    """--LNKGRP: the assessment a record belongs to, named by its visit ("V12"); same in TR and RS."""
    _need(frame, dataset, "lnkgrp", "VISITNUM")
    group = as_text(frame["VISITNUM"].map(lambda v: None if pd.isna(v) else f"V{v:g}"))
    status = frame.get(f"{dataset}STAT")
    if status is not None:  # an assessment not done has no measurements to link to
        group = group.mask(status.astype("str").str.upper() == "NOT DONE")
    return group


@step("armcd")
def armcd(frame, ctx, dataset, variable, assigned_in=None, full_treatment=None, partial_description=None, **_):
    """ARMCD/ARM, ACTARMCD/ACTARM, ARMNRS, ACTARMUD for a single-arm study (the arm from TA), SDTMIG 3.4 DM
    assumption 4: assigned = has a record in the `assigned_in` domain (default: every subject); treated as
    planned = has an EX record that `full_treatment` (an expression over EX; default: any EX record) selects.
    A subject who received only part of the regimen is not "not treated": ARMNRS UNPLANNED TREATMENT and
    ACTARMUD `partial_description` (default: the EXTRT values received)."""
    _need(frame, dataset, "armcd", "USUBJID")
    ta = pd.DataFrame(list(ctx.spec.trial_design_table("TA").records()))
    arms = ta[["ARMCD", "ARM"]].drop_duplicates()
    if len(arms) != 1:
        raise MappingError("armcd assigns the single arm of a single-arm study; TA has "
                           f"{len(arms)} arms, so ARMCD needs to be collected and mapped instead")
    code, name = arms.iloc[0]["ARMCD"], arms.iloc[0]["ARM"]
    subjects = frame["USUBJID"]
    assigned = subjects.isin(ctx.domain(assigned_in)["USUBJID"]) if assigned_in else pd.Series(True, index=frame.index)
    ex = ctx.domains.get("EX", pd.DataFrame(columns=["USUBJID", "EXTRT"]))
    received = subjects.isin(ex["USUBJID"])
    planned = ex.loc[select_records(ex, full_treatment, f"{dataset}.{variable} (armcd full_treatment)")] \
        if full_treatment else ex
    full = subjects.isin(planned["USUBJID"])
    partial = received & ~full
    what = ex.dropna(subset=["EXTRT"]).groupby("USUBJID")["EXTRT"].agg(lambda t: "; ".join(sorted(set(t))))
    out = pd.DataFrame(index=frame.index)
    out["ARMCD"] = np.where(assigned, code, None)
    out["ARM"] = np.where(assigned, name, None)
    out["ACTARMCD"] = np.where(full, code, None)
    out["ACTARM"] = np.where(full, name, None)
    out["ARMNRS"] = np.select([full, partial, assigned], [None, "UNPLANNED TREATMENT", "ASSIGNED, NOT TREATED"],
                              "NOT ASSIGNED")
    received_text = partial_description or ("PART OF THE REGIMEN ONLY: " + subjects.map(what).fillna(""))
    out["ACTARMUD"] = np.where(partial, received_text, None)
    return out.astype(object).where(out.notna(), None)


@step("dthfl")
def dthfl(frame, ctx, dataset, variable, dtc="DTHDTC", **_):
    """DTHFL = Y when DTHDTC is present, DS has a DEATH record, or an AE was fatal (SD1254/SD1255)."""
    dead = frame[dtc].notna() if dtc in frame.columns else pd.Series(False, index=frame.index)
    if "DS" in ctx.domains and "DSDECOD" in ctx.domains["DS"].columns:
        ds = ctx.domains["DS"]
        dead |= frame["USUBJID"].isin(ds.loc[ds["DSDECOD"] == "DEATH", "USUBJID"])
    if "AE" in ctx.domains:
        ae = ctx.domains["AE"]
        fatal = ae.get("AESDTH", pd.Series(dtype=object)).eq("Y") | ae.get("AEOUT", pd.Series(dtype=object)).eq(
            "FATAL")
        dead |= frame["USUBJID"].isin(ae.loc[fatal.reindex(ae.index, fill_value=False), "USUBJID"])
    return pd.Series(np.where(dead, "Y", None), index=frame.index, dtype=object)
