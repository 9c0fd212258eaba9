"""All SDTM domains of a study from its spec and raw forms, in dependency order, with reconciliation.

Order: trial design (from the spec's sheets), then the domains DM's reference dates need (EX, PR, DS),
DM, SV (which numbers the visits), SE (which EPOCH needs), every other domain (on two cores:
sdtm.parallel), and last SUPP-- and RELREC. RFPENDTC and the end of each subject's last element are
settled once every domain exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from formats.isodates import complete_date, study_day
from sdtm.identifiers import derive_seq
from sdtm.engine import (PROVENANCE, DomainContext, raw_exclusions, empty_records,
                         fill_constants, map_domain, mapping_finding, run_derive_rows)
from sdtm.frames import as_text
from sdtm.parallel import map_domains
from sdtm.relationships import build_relrec, build_supp
from sdtm.subject_elements import derive_subject_elements, shift_days
from sdtm.dates import declared_date_format, to_iso8601
from sdtm.steps import STEPS
from sdtm.visits import planned_visits, visit_table, visits_in_domains
from specs.errors import MappingError
from specs.findings import Finding

log = logging.getLogger(__name__)

FIRST = ("EX", "PR", "DS", "DM", "SV")
TRIAL_DESIGN = ("TS", "TA", "TE", "TV", "TI")
DERIVED_LAST = ("SE", "RELREC")
# Steps that read DM's reference dates or SE: deferred for the domains built before them.
NEEDS_DM_AND_SE = frozenset({"study_day", "epoch", "lobxfl"})


@dataclass
class SdtmBuild:
    domains: dict[str, pd.DataFrame]  # SDTM variables + __file/__row provenance (where raw-derived)
    findings: list[Finding]  # mapping findings (source "mapping", with raw file and line)
    reconciliation: pd.DataFrame  # per raw form: rows_read, rows_mapped, rows_excluded
    exclusions: pd.DataFrame  # __file, __row, dataset, reason (one row per raw record not in SDTM)
    order: list[str] = field(default_factory=list)


def build_sdtm(spec, raw: Mapping[str, pd.DataFrame], today: date | None = None,
               beside: Callable[[Callable[[], Any]], Callable[[], Any]] = lambda work: work) -> SdtmBuild:
    """Every domain of the spec from the raw forms (form OID -> frame with `__file`/`__row`).

    `today` is the build date: collected dates after it are flagged (warnings); the caller passes the
    build's clock (`formats.clock.build_timestamp().date()`), the default is the system date.
    `beside(work)` starts `work`, which needs nothing the mapping makes, and returns what gives its result
    when the build asks for it (the raw records excluded as empty or duplicated, asked for at the end): the
    default runs it then; the build passes one that runs it in a process of its own meanwhile.
    """
    raw, flattened = flatten_line_breaks(raw)
    ctx = DomainContext(spec=spec, raw=raw, today=today or date.today())
    ctx.findings.extend(flattened)
    names = [d.name for d in spec.datasets]
    for name in TRIAL_DESIGN:
        if name in names:
            ctx.domains[name] = trial_design_domain(spec, name)
    mapped = [n for n in names if spec.mappings_of(n) and n not in TRIAL_DESIGN and n not in DERIVED_LAST
              and not n.startswith("SUPP")]
    ordered = [n for n in FIRST if n in mapped] + [n for n in mapped if n not in FIRST]
    if "SV" in mapped and (visits := visits_from_raw(spec, raw)) is not None:
        ctx.lookups["visits"] = visits
    excluded, joined = beside(lambda: raw_exclusions(spec, raw)), []
    first = [n for n in ordered if n in FIRST]
    results = [_map_one(ctx, name) for name in first]
    rest = [n for n in ordered if n not in FIRST]
    if rest and "SE" in names:
        _finish_first_domains(ctx, first)
    results += map_domains(rest, ctx, lambda name: _map_one(ctx, name))  # on two cores, as if on one
    exclusions = [r.exclusions for r in results]
    joined += [r.joined_rows for r in results]
    if "SE" not in ctx.domains:
        _finish_first_domains(ctx, first, with_se="SE" in names)
    _complete_sv(ctx)
    _settle_participation_end(ctx)
    for name in names:
        if name.startswith("SUPP") and name[4:] in ctx.domains:
            ctx.domains[name] = build_supp(spec, name[4:], ctx.domains[name[4:]])
    if "RELREC" in names:
        ctx.domains["RELREC"] = build_relrec(spec, ctx.domains, _relrec_links(spec))
    if "TS" in ctx.domains:
        ctx.domains["TS"] = fill_ts_from_data(ctx.domains["TS"], ctx.domains)
    report_subjects_not_in_dm(ctx)
    exclusions_frame, reconciliation = reconcile(raw, ctx.domains, [excluded(), *exclusions], joined)
    order = [n for n in names if n in ctx.domains]
    return SdtmBuild({n: ctx.domains[n] for n in order}, ctx.findings, reconciliation, exclusions_frame, order)


def _map_one(ctx: DomainContext, name: str):
    result = map_domain(name, ctx, STEPS, defer=NEEDS_DM_AND_SE if name in FIRST else frozenset())
    ctx.domains[name] = result.frame
    log.info("%s: %d records", name, len(result.frame))
    return result


def flatten_line_breaks(raw: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Raw text with tabs or line breaks (a multi-line comment typed at the site) as one line: each run of
    them becomes one space, with a warning per value. SDTM text is one line, XPT v5 holds no control
    characters, and terms must match their codelists whatever the site typed."""
    out, findings = {}, []
    for form, frame in raw.items():
        changed = {}
        for column in frame.columns:
            if column.startswith("__") or pd.api.types.is_numeric_dtype(frame[column]):
                continue
            text = frame[column]
            if not _may_hold_control_bytes(text):
                continue
            has_break = text.str.contains(r"[\t\r\n]", regex=True, na=False)
            if not has_break.any():
                continue
            changed[column] = text.where(~has_break, text.str.replace(r"[ ]*[\t\r\n]+[ ]*", " ", regex=True))
            chosen = frame.loc[has_break]
            findings += [mapping_finding(form, column, file, int(row), value, "tab or line break in the collected "
                                         "text; mapped as one line (each run of breaks became a space)", "warning")
                         for file, row, value in zip(chosen["__file"], chosen["__row"], text[has_break])]
        out[form] = frame.assign(**changed) if changed else frame
    return out, findings


def _may_hold_control_bytes(text: pd.Series) -> bool:
    """False when no value of an Arrow-backed text column holds a byte below 14 (tab, CR and LF among them):
    one pass over the column's bytes instead of a regular expression per value (5,000 subjects: 1.3 s of
    every build spent finding no line break). True when it may, or when the column is not Arrow-backed."""
    try:
        chunks = pa.chunked_array(text.array.__arrow_array__()).chunks
    except (AttributeError, TypeError, ValueError, pa.ArrowException):
        return True
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        data = chunk.buffers()[2]
        if data is not None and data.size and bool((np.frombuffer(data, dtype=np.uint8) < 14).any()):
            return True
    return False


def report_subjects_not_in_dm(ctx: DomainContext) -> None:
    """A record of a subject DM does not have is kept (nothing is lost) and reported, record by record."""
    dm = ctx.domains.get("DM")
    if dm is None:
        return
    known = set(dm["USUBJID"].dropna())
    for name, frame in ctx.domains.items():
        if name == "DM" or "USUBJID" not in frame.columns or frame.empty:
            continue
        unknown = frame["USUBJID"].notna() & ~frame["USUBJID"].isin(known)
        ctx.report(name, "USUBJID", frame, unknown, lambda v: f"subject {v} is not in DM (no demographics record)",
                   frame["USUBJID"])


def _finish_first_domains(ctx: DomainContext, first: list[str], with_se: bool = True) -> None:
    """Build SE (when the spec has it), then run the steps the first domains had to defer until DM and SE
    existed: a study without SE still gets its study days from DM."""
    if with_se:
        ctx.domains["SE"] = build_se(ctx)
    for name in first:
        ctx.domains[name] = run_derive_rows(name, ctx.domains[name], ctx, STEPS, lambda f: f in NEEDS_DM_AND_SE)


def visits_from_raw(spec, raw: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Every subject's visits numbered from the raw form SV's SVSTDTC row maps from (sdtm.visits), built
    before any domain so that every domain, EX included, numbers an unscheduled visit the same way.
    None when SV is not mapped from a raw form with a visit column (visits then number themselves)."""
    from sdtm.engine import context_columns

    row = next((r for r in spec.mappings_of("SV") if r.variable == "SVSTDTC" and r.source_form
                and r.algorithm == "assign_datetime"), None)
    if row is None or row.source_form not in raw:
        return None
    columns = context_columns(spec, row.source_form)
    if "__visit" not in columns or "__subject" not in columns:
        return None
    form = raw[row.source_form]
    form = form.loc[~empty_records(form)]
    collected = row.source_expr.evaluate(form, text=True)[0] if row.source_expr is not None else form[row.source_field]
    dates, _ = to_iso8601(collected, None, declared_date_format(spec, row))
    instance = form[columns["__instance"]] if "__instance" in columns else None
    return visit_table(form[columns["__subject"]], form[columns["__visit"]], instance, dates, planned_visits(spec))


def _relrec_links(spec):
    """The `links` argument of RELREC's relrec_links row: `TU.TULNKID:ONE-TR.TRLNKID:MANY, ...`."""
    row = next((r for r in spec.mappings_of("RELREC") if r.argument("links")), None)
    if row is None:
        return None
    links = []
    for item in row.argument("links").split(","):
        ends = []
        for end in item.strip().split("-"):
            target, _, reltype = end.partition(":")
            domain, _, variable = target.partition(".")
            if not (domain and variable and reltype):
                raise MappingError(f"RELREC: Mapping row {row.row}: cannot read link {item.strip()!r}; expected "
                                   f"DOMAIN.VARIABLE:RELTYPE-DOMAIN.VARIABLE:RELTYPE")
            ends.append((domain, variable, reltype))
        links.append(("".join(d for d, _, _ in ends), *ends))
    return tuple(links)


def fill_ts_from_data(ts: pd.DataFrame, domains: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """TSVAL "@data": SSTDTC = first consent, SENDTC = last date of participation, DCUTDTC = the latest date
    in the data, ACTSUB = subjects enrolled, i.e. assigned to the arm (ARMCD), as PLANSUB counts them."""
    dm = domains.get("DM")
    if dm is None or "TSVAL" not in ts.columns:
        return ts
    consent = complete_date(dm["RFICDTC"]) if "RFICDTC" in dm else pd.Series(dtype="datetime64[ns]")
    ends = complete_date(dm["RFPENDTC"]) if "RFPENDTC" in dm else pd.Series(dtype="datetime64[ns]")
    values = {
        "SSTDTC": consent.min().strftime("%Y-%m-%d") if consent.notna().any() else None,
        "SENDTC": ends.max().strftime("%Y-%m-%d") if ends.notna().any() else None,
        "DCUTDTC": ends.max().strftime("%Y-%m-%d") if ends.notna().any() else None,
        "ACTSUB": str(int(dm["ARMCD"].notna().sum())) if "ARMCD" in dm else None,
    }
    ts = ts.copy()
    blank = ts["TSVAL"].isna() | ts["TSVAL"].astype("str").str.strip().isin(["", "@data"])
    if "TSVALNF" in ts.columns:  # a null flavour says why a value is absent: leave those rows alone
        blank &= ts["TSVALNF"].isna() | (ts["TSVALNF"].astype("str").str.strip() == "")
    derivable = blank & ts["TSPARMCD"].isin(list(values))
    ts.loc[derivable, "TSVAL"] = ts.loc[derivable, "TSPARMCD"].map(values)
    unknown = blank & ~derivable
    if unknown.any():
        raise MappingError(f"TS: {sorted(ts.loc[unknown, 'TSPARMCD'])} have neither a value nor a null flavour, "
                           f"and no rule derives them from the data")
    return ts


def trial_design_domain(spec, name: str) -> pd.DataFrame:
    """A trial-design dataset from its spec sheet, with STUDYID and DOMAIN added."""
    table = spec.trial_design_table(name)
    frame = pd.DataFrame(list(table.records()), columns=list(table.columns))
    frame.insert(0, "STUDYID", spec.study.name)
    frame.insert(1, "DOMAIN", name)
    if name == "TV":
        frame = frame.drop(columns=["FOLDER"], errors="ignore")
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = as_text(frame[column])
    return frame


def build_se(ctx: DomainContext) -> pd.DataFrame:
    """SE from the `subject_elements` row's `starts` argument: where each element starts, per subject.

    `starts` = comma-separated `ETCD:DOMAIN.VARIABLE[FILTER]+DAYS` items, e.g.
    `SCRN:DM.RFICDTC, TRT:EX.EXSTDTC, FU:EX.EXENDTC[EXCAT=STUDY DRUG]+1`: the element
    starts at the subject's earliest such date (plus DAYS); a subject without one never entered it.
    """
    rows = [r for r in ctx.spec.mappings_of("SE") if r.argument("function") == "subject_elements"]
    spec_text = next((r.argument("starts") for r in rows if r.argument("starts")), None)
    if not spec_text:
        raise MappingError("SE: a derive row with function=subject_elements needs a starts=... argument "
                           "(e.g. starts=SCRN:DM.RFICDTC, TRT:EX.EXSTDTC[EXCAT=STUDY DRUG])")
    starts = [element_starts(ctx, item.strip()) for item in spec_text.split(",") if item.strip()]
    starts_frame = pd.concat(starts, ignore_index=True)
    # each subject's last element stays open until every domain exists and RFPENDTC is final
    open_end = pd.Series(dtype="str")
    se = derive_subject_elements(starts_frame, ctx.domain("TA"), ctx.domain("TE"), open_end)
    return _finish_se(ctx, se)


_START = re.compile(r"^(?P<etcd>\w+):(?P<domain>\w+)\.(?P<var>\w+)(?:\[(?P<fvar>\w+)=(?P<fval>[^\]]+)\])?"
                    r"(?:\+(?P<days>\d+))?$")


def element_starts(ctx: DomainContext, item: str) -> pd.DataFrame:
    match = _START.match(item)
    if not match:
        raise MappingError(f"SE: cannot read element start {item!r}; expected ETCD:DOMAIN.VARIABLE[VAR=VALUE]+DAYS")
    source = ctx.domain(match["domain"])
    if match["fvar"]:
        source = source[source[match["fvar"]] == match["fval"]]
    values = source[["USUBJID", match["var"]]].dropna()
    values = values[values[match["var"]].astype(str).str.len() > 0]
    first = values.groupby("USUBJID")[match["var"]].min()
    start = pd.DataFrame({"USUBJID": first.index, "ETCD": match["etcd"], "SESTDTC": first.to_numpy()})
    if match["days"]:
        start["SESTDTC"] = shift_days(start["SESTDTC"], int(match["days"])).to_numpy()
    return start


def _finish_se(ctx: DomainContext, se: pd.DataFrame) -> pd.DataFrame:
    se = se.copy()
    se.insert(0, "STUDYID", ctx.studyid)
    se.insert(1, "DOMAIN", "SE")
    reference = se["USUBJID"].map(_by_usubjid(ctx.domain("DM"), "RFSTDTC"))
    se["SESTDY"] = study_day(se["SESTDTC"], reference).astype("Float64")
    se["SEENDY"] = study_day(se["SEENDTC"], reference).astype("Float64")
    se["SESEQ"] = derive_seq(se, "SE", ["USUBJID", "SESTDTC", "ETCD"])
    return se


def _by_usubjid(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(frame[column].to_numpy(), index=frame["USUBJID"].to_numpy())


def _complete_sv(ctx: DomainContext) -> None:
    """SV holds every visit any domain records: a visit the SV form (if any) lacks is added with its first and
    last date in those domains (no raw record: it is derived), then SV's derive rows run again over all."""
    sv = ctx.domains.get("SV")
    if sv is None:
        return
    found = visits_in_domains(ctx.spec, ctx.domains)
    known = set(zip(sv["USUBJID"], sv["VISITNUM"])) if {"USUBJID", "VISITNUM"} <= set(sv.columns) else set()
    added = found[[key not in known for key in zip(found["USUBJID"], found["VISITNUM"])]]
    if added.empty:
        return
    added = added.assign(__file=None, __row=None)
    frame = fill_constants("SV", pd.concat([sv, added], ignore_index=True), ctx)
    ctx.domains["SV"] = run_derive_rows("SV", frame, ctx, STEPS, lambda f: f not in ("visit", "usubjid"))
    log.info("SV: %d visits added from the other domains' records", len(added))


def _settle_participation_end(ctx: DomainContext) -> None:
    """DM's reference dates over every domain (reference_date rows with domain=*, e.g. RFPENDTC, the latest
    date the subject is known) are final only once every domain exists: run them again; the last SE element
    ends at RFPENDTC."""
    dm = ctx.domains.get("DM")
    rows = [r for r in ctx.spec.mappings_of("DM") if r.algorithm == "derive"
            and r.argument("function") == "reference_date" and (r.argument("domain") or "").strip() == "*"]
    if dm is None or not rows:
        return
    dm = dm.copy()
    for row in rows:
        arguments = {k: v for k, v in row.arguments if k != "function"}
        dm[row.variable] = as_text(STEPS["reference_date"](dm, ctx, dataset="DM", variable=row.variable, **arguments))
    ctx.domains["DM"] = dm
    se = ctx.domains.get("SE")
    if se is not None and len(se) and "RFPENDTC" in dm.columns:
        # an element that would start after the subject's last known date never happened (e.g. follow-up
        # of a subject who died on the infusion day); RFPENDTC is final only now that every domain exists
        left = complete_date(se["USUBJID"].map(_by_usubjid(dm, "RFPENDTC")))
        se = se[~(complete_date(se["SESTDTC"]) > left)].reset_index(drop=True)
        last = ~se["USUBJID"].duplicated(keep="last") if se["USUBJID"].is_monotonic_increasing else \
            se.groupby("USUBJID")["SESTDTC"].transform("max").eq(se["SESTDTC"])
        se.loc[last, "SEENDTC"] = se.loc[last, "USUBJID"].map(_by_usubjid(dm, "RFPENDTC")).to_numpy()
        reference = se["USUBJID"].map(_by_usubjid(dm, "RFSTDTC"))
        se["SEENDY"] = study_day(se["SEENDTC"], reference).astype("Float64")
        se["SESEQ"] = derive_seq(se, "SE", ["USUBJID", "SESTDTC", "ETCD"])
        ctx.domains["SE"] = se


def reconcile(raw: Mapping[str, pd.DataFrame], domains: Mapping[str, pd.DataFrame], exclusions: list[pd.DataFrame],
              joined: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows in = rows mapped + rows excluded, per raw form; every excluded row carries its reason(s)."""
    keys = list(PROVENANCE)
    used_frames = [d[keys] for d in domains.values() if "__file" in d.columns] + [j[keys] for j in joined if len(j)]
    used: dict[str, set[int]] = {}
    for frame in used_frames:
        for file, rows in frame.dropna().groupby("__file", sort=False)["__row"]:
            used.setdefault(str(file), set()).update(rows.astype("int64").tolist())
    excluded = pd.concat([e for e in exclusions if len(e)], ignore_index=True) if any(len(e) for e in exclusions) \
        else pd.DataFrame(columns=[*keys, "dataset", "reason"])
    excluded = excluded.dropna(subset=["reason"]).astype({"__row": "int64", "__file": "str"})
    reasons = {key: "; ".join(dict.fromkeys(group)) for key, group in
               excluded.groupby(keys, sort=False)["reason"]} if len(excluded) else {}
    rows, final_exclusions = [], []
    for form, frame in sorted(raw.items()):
        file = str(frame["__file"].iloc[0]) if len(frame) else f"{form.lower()}.csv"
        numbers = frame["__row"].astype("int64").to_numpy()
        mapped = np.isin(numbers, np.fromiter(used.get(file, ()), dtype="int64"))
        left = numbers[~mapped]
        default = f"no Mapping row turns form {form} records into SDTM records"
        final_exclusions.append(pd.DataFrame({"__file": file, "__row": left, "form": form,
                                              "reason": [reasons.get((file, int(r)), default) for r in left]}))
        rows.append({"form": form, "file": file, "rows_read": len(frame), "rows_mapped": int(mapped.sum()),
                     "rows_excluded": int((~mapped).sum())})
    table = pd.DataFrame(rows, columns=["form", "file", "rows_read", "rows_mapped", "rows_excluded"])
    exclusions_frame = pd.concat(final_exclusions, ignore_index=True) if final_exclusions else pd.DataFrame(
        columns=[*keys, "form", "reason"])
    return exclusions_frame, table
