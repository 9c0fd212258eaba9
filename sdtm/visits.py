"""Visits: VISITNUM, VISIT and VISITDY of each record from the visit its form collected.

A record's visit is the value of the raw column its form's Sources row declares as Visit Column (plus
the Instance Column, when declared, to tell repeats apart). A record with no visit value (a log form,
or a form that declares no visit column) gets no visit and no warning.

Planned visits come from the spec's TV sheet. A collected visit matches a planned one, case and
surrounding blanks ignored, by TV's VISIT, or by any of the names in TV's optional FOLDER column (the
visit map: `SCR` or `Screening 1 | Screening`). A collected visit that matches none is unscheduled and
numbered by the rule the visit step's `unscheduled` argument names:
- `after_previous` (default): the VISITNUM of the subject's last planned visit on or before its date plus
  .01, .02, ... in date order (SDTMIG 4.4.5), VISIT "UNSCHEDULED <n>"; the dates come from the form that
  defines the visits (SV's raw form when SV is mapped from one), so every domain numbers a visit alike.
- `from_name`: the number the collected name carries (`Unscheduled 3.1` -> 3.1), VISIT the collected name
  in upper case; a name without a number is a finding.
Unscheduled visits have no VISITDY (it is the planned day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formats.isodates import complete_date
from specs.errors import MappingError

UNSCHEDULED_RULES = ("after_previous", "from_name")
_NUMBER_IN_NAME = r"(\d+(?:\.\d+)?)"


def visit_key(values: pd.Series) -> pd.Series:
    """The text a collected visit is matched by: trimmed, case-folded, blank = missing."""
    text = values.astype("string").str.strip().str.casefold()
    return text.where(text.notna() & text.ne(""))


def planned_visits(spec) -> pd.DataFrame:
    """TV's planned visits, one row per name a collected visit may carry: KEY, VISITNUM, VISIT, VISITDY."""
    table = spec.trial_design_table("TV")
    tv = pd.DataFrame(list(table.records()), columns=list(table.columns))
    if tv.empty or not {"VISITNUM", "VISIT"} <= set(tv.columns):
        raise MappingError(f"the TV sheet ({table.sheet}) needs VISITNUM and VISIT to number the collected visits")
    tv = tv.drop_duplicates("VISITNUM").assign(VISITNUM=pd.to_numeric(tv["VISITNUM"]),
                                               VISITDY=pd.to_numeric(tv.get("VISITDY", pd.Series(dtype=float))))
    names = [tv.assign(KEY=tv["VISIT"])]
    if "FOLDER" in tv.columns:
        mapped = tv.assign(KEY=tv["FOLDER"].astype("string").str.split("|")).explode("KEY")
        names.append(mapped)
    keyed = pd.concat(names, ignore_index=True)
    keyed["KEY"] = visit_key(keyed["KEY"])
    keyed = keyed.dropna(subset=["KEY"]).drop_duplicates(["KEY", "VISITNUM"])
    clashes = keyed[keyed.duplicated("KEY", keep=False)]
    if not clashes.empty:
        name = clashes["KEY"].iloc[0]
        raise MappingError(f"the TV sheet ({table.sheet}) maps the collected visit {name!r} to several planned visits "
                           f"(VISITNUM {', '.join(map(str, clashes.loc[clashes['KEY'] == name, 'VISITNUM']))})")
    return keyed[["KEY", "VISITNUM", "VISIT", "VISITDY"]].reset_index(drop=True)


def match_planned(collected: pd.Series, planned: pd.DataFrame) -> pd.DataFrame:
    """VISITNUM, VISIT, VISITDY of each collected visit that is a planned one (nulls elsewhere), on its index."""
    found = pd.DataFrame({"KEY": visit_key(collected).to_numpy()}).merge(planned, on="KEY", how="left")
    return found[["VISITNUM", "VISIT", "VISITDY"]].set_axis(collected.index)


def number_from_names(collected: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`from_name`: the first number in each collected name, and the name in upper case as VISIT."""
    text = collected.astype("string").str.strip()
    number = pd.to_numeric(text.str.extract(_NUMBER_IN_NAME, expand=False), errors="coerce").astype(float)
    return number, text.str.upper().astype(object).where(text.notna(), None)


def number_unscheduled_visits(visits: pd.DataFrame, planned: pd.DataFrame) -> pd.DataFrame:
    """`after_previous` for a table of visits (USUBJID, VISIT_COLLECTED, INSTANCE, DATE as ISO text).

    Returns the table with VISITNUM, VISIT, VISITDY. An unscheduled visit before any planned one, or
    without a date, is numbered after the lowest planned VISITNUM minus one.
    """
    out = pd.concat([visits.reset_index(drop=True),
                     match_planned(visits["VISIT_COLLECTED"], planned).reset_index(drop=True)], axis=1)
    has_visit = visit_key(out["VISIT_COLLECTED"]).notna()
    scheduled = out["VISITNUM"].notna()
    dated = complete_date(out["DATE"])
    anchors = pd.DataFrame({"USUBJID": out.loc[scheduled, "USUBJID"], "when": dated[scheduled],
                            "anchor": out.loc[scheduled, "VISITNUM"]}).dropna(subset=["when"])
    loose = has_visit & ~scheduled
    unsched = pd.DataFrame({"USUBJID": out.loc[loose, "USUBJID"], "when": dated[loose],
                            "INSTANCE": out.loc[loose, "INSTANCE"], "pos": np.flatnonzero(loose)})
    if unsched.empty:
        return out
    floor = float(planned["VISITNUM"].min()) - 1
    with_date = unsched.dropna(subset=["when"]).sort_values("when", kind="mergesort")
    placed = pd.merge_asof(with_date, anchors.sort_values("when", kind="mergesort"), on="when",
                           by="USUBJID", direction="backward")
    no_date = unsched[unsched["when"].isna()].assign(anchor=np.nan)
    placed = pd.concat([placed, no_date], ignore_index=True)
    placed["anchor"] = placed["anchor"].fillna(floor)
    placed = placed.sort_values(["USUBJID", "anchor", "when", "INSTANCE"], kind="mergesort", na_position="last")
    placed["n"] = placed.groupby(["USUBJID", "anchor"]).cumcount() + 1
    number = (placed["anchor"] + placed["n"] / 100).round(2)
    rows = out.index[placed["pos"].to_numpy()]
    out.loc[rows, "VISITNUM"] = number.to_numpy()
    out.loc[rows, "VISIT"] = [f"UNSCHEDULED {v:.2f}" for v in number]
    out.loc[rows, "VISITDY"] = np.nan
    return out


def visit_table(subject: pd.Series, collected: pd.Series, instance: pd.Series | None, dates: pd.Series,
                planned: pd.DataFrame) -> pd.DataFrame:
    """The visit-defining form's visits numbered by `after_previous`: the lookup other domains use."""
    instance = instance if instance is not None else pd.Series("", index=subject.index)
    visits = pd.DataFrame({"USUBJID": subject.to_numpy(), "VISIT_COLLECTED": collected.to_numpy(),
                           "INSTANCE": instance.fillna("").to_numpy(), "DATE": dates.to_numpy()})
    return number_unscheduled_visits(visits, planned)


def assign_visits(subject: pd.Series, collected: pd.Series, instance: pd.Series | None, planned: pd.DataFrame,
                  rule: str, table: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.Series]:
    """VISITNUM/VISIT/VISITDY for records, and a problem text per record (null = none) for an unscheduled
    visit the rule cannot number. `table` is the `after_previous` lookup (visit_table)."""
    if rule not in UNSCHEDULED_RULES:
        raise MappingError(f"unscheduled={rule!r} is not a rule for numbering unscheduled visits; use "
                           f"{' or '.join(UNSCHEDULED_RULES)}")
    out = match_planned(collected, planned)
    loose = visit_key(collected).notna() & out["VISITNUM"].isna()
    problems = pd.Series([None] * len(collected), index=collected.index, dtype=object)
    if not loose.any():
        return out, problems
    if rule == "from_name":
        number, name = number_from_names(collected[loose])
        out.loc[loose, "VISITNUM"] = number
        out.loc[loose, "VISIT"] = name.where(number.notna(), None)
        problems[loose[loose].index[number.isna().to_numpy()]] = (
            "unscheduled visit whose name carries no visit number (unscheduled=from_name)")
        return out, problems
    keys = pd.DataFrame({"USUBJID": subject[loose].to_numpy(), "VISIT_COLLECTED": collected[loose].to_numpy(),
                         "INSTANCE": (instance[loose].fillna("") if instance is not None else "")})
    lookup = (table if table is not None else keys.iloc[0:0].assign(VISITNUM=np.nan, VISIT=None)).drop_duplicates(
        ["USUBJID", "VISIT_COLLECTED", "INSTANCE"])
    found = keys.merge(lookup[["USUBJID", "VISIT_COLLECTED", "INSTANCE", "VISITNUM", "VISIT"]],
                       on=["USUBJID", "VISIT_COLLECTED", "INSTANCE"], how="left")
    out.loc[loose, "VISITNUM"] = found["VISITNUM"].to_numpy()
    out.loc[loose, "VISIT"] = found["VISIT"].to_numpy()
    problems[loose[loose].index[found["VISITNUM"].isna().to_numpy()]] = (
        "unscheduled visit not among the visits of the visit-defining form (no date to number it by)")
    return out, problems



def visits_in_domains(spec, domains) -> pd.DataFrame:
    """Each subject's visits as the built domains hold them: USUBJID, VISITNUM, VISIT, VISITDY and the first and
    last date (date part) of the visit's records, from each domain's own date (its visit row's `dtc`/`date`)."""
    pieces = []
    for name, frame in domains.items():
        row = next((r for r in spec.mappings_of(name) if r.algorithm == "derive"
                    and r.argument("function") == "visit"), None) if name != "SV" else None
        when = row and (row.argument("dtc") or row.argument("date"))
        if row is None or not when or not {"USUBJID", "VISITNUM", when} <= set(frame.columns):
            continue
        dated = frame[frame["VISITNUM"].notna()]
        day = complete_date(dated[when])
        pieces.append(pd.DataFrame({"USUBJID": dated["USUBJID"].to_numpy(), "VISITNUM": dated["VISITNUM"].to_numpy(),
                                    "VISIT": dated["VISIT"].to_numpy(), "VISITDY": dated["VISITDY"].to_numpy(),
                                    "day": day.to_numpy()}))
    if not pieces:
        return pd.DataFrame(columns=["USUBJID", "VISITNUM", "VISIT", "VISITDY", "SVSTDTC", "SVENDTC"])
    stacked = pd.concat(pieces, ignore_index=True)
    grouped = stacked.groupby(["USUBJID", "VISITNUM"], sort=True, dropna=False)
    out = grouped.agg(VISIT=("VISIT", "first"), VISITDY=("VISITDY", "first"), first=("day", "min"),
                      last=("day", "max")).reset_index()
    out["SVSTDTC"] = out["first"].dt.strftime("%Y-%m-%d").astype(object).where(out["first"].notna(), None)
    out["SVENDTC"] = out["last"].dt.strftime("%Y-%m-%d").astype(object).where(out["last"].notna(), None)
    return out.drop(columns=["first", "last"])
