"""The numbers behind each figure of the build report, computed from the package's own datasets.

Each `*_data` function takes data frames as `formats.folder.load_folder(..., null_text=True)` reads them and
returns a JSON-ready dict: the report draws exactly these numbers and embeds them beside the SVG, so a test
can check them against the datasets. A function raises `MissingData` (with the reason the report prints)
when the package lacks what the figure needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from trialforge.report.km import kaplan_meier

DAYS_PER_MONTH = 365.25 / 12
ADAM_DATASETS = ("ADSL", "ADAE", "ADRS", "ADTTE", "ADTR", "ADPC")  # what the figures read (the report loads no other)


class MissingData(Exception):
    """A figure cannot be drawn: the package lacks its data. The message says what is missing."""


@dataclass(frozen=True)
class FigureSettings:
    """What the figures read. Defaults are ADaM/admiralonco conventions; a study with other names sets them."""

    km_params: tuple[str, ...] = ("PFS", "OS")
    km_step_months: int = 3  # numbers at risk every this many months (time in days) or units (otherwise)
    tumor_param: str = "SUMDIAM"  # ADTR
    bor_param: str = "CBOR"  # ADRS: confirmed best overall response
    response_param: str = "OVR"  # ADRS: overall response per visit
    responses: tuple[str, ...] = ("CR", "PR")
    progression: tuple[str, ...] = ("PD",)
    crs_query_name: str | None = None  # ADAE CQnnNAM value of the CRS query (the study's parameter)
    cell_source: str = "CP"  # ADPC SRCDOM of the cellular kinetics (CAR+ T cells; SDTM CP)


def km_data(adtte: pd.DataFrame, paramcd: str, step_months: int = 3) -> dict:
    """The KM estimate of ADTTE's `paramcd` (AVAL, CNSR = 0 event) with numbers at risk and median (95% CI)."""
    _need(adtte, "ADTTE", ("PARAMCD", "AVAL", "CNSR"))
    rows = adtte[(adtte["PARAMCD"] == paramcd) & adtte["AVAL"].notna() & adtte["CNSR"].notna()]
    if rows.empty:
        raise MissingData(f"ADTTE has no {paramcd} records with AVAL and CNSR")
    param = _first(rows, "PARAM") or paramcd
    unit = _unit(param)
    times = rows["AVAL"].astype(float).tolist()
    events = (rows["CNSR"].astype(float) == 0).tolist()
    km = kaplan_meier(times, events)
    median, lower, upper = km.median()
    step = step_months * DAYS_PER_MONTH if unit == "days" else float(step_months)
    points = [round(step * i, 4) for i in range(int(max(times) // step) + 1)]
    return {
        "paramcd": paramcd, "param": param, "unit": unit, "subjects": km.subjects,
        "events": sum(km.events), "censored": sum(km.censored),
        "times": list(km.times), "survival": [round(s, 6) for s in km.survival],
        "lower": [round(s, 6) for s in km.lower], "upper": [round(s, 6) for s in km.upper],
        "censor_times": [t for t, c in zip(km.times, km.censored) if c],
        "censor_survival": [round(s, 6) for s, c in zip(km.survival, km.censored) if c],
        "median": median, "median_lower": lower, "median_upper": upper,
        "ci_method": "Brookmeyer-Crowley, log-log transformation, Greenwood variance",
        "at_risk_times": points, "at_risk": [km.number_at_risk(t) for t in points],
        "at_risk_labels": [f"{i * step_months}" for i in range(len(points))],
        "axis_unit": "months" if unit == "days" else unit,
    }


def waterfall_data(adtr: pd.DataFrame, adrs: pd.DataFrame | None, settings: FigureSettings) -> dict:
    """Best (lowest) post-baseline % change from baseline in ADTR's tumor parameter per subject, with the
    subject's confirmed BOR from ADRS."""
    _need(adtr, "ADTR", ("USUBJID", "PARAMCD", "PCHG"))
    rows = adtr[(adtr["PARAMCD"] == settings.tumor_param) & adtr["PCHG"].notna()]
    if "ABLFL" in rows.columns:
        rows = rows[rows["ABLFL"] != "Y"]
    if "ANL01FL" in rows.columns:
        rows = rows[rows["ANL01FL"] == "Y"]
    if rows.empty:
        raise MissingData(f"ADTR has no post-baseline {settings.tumor_param} records with PCHG")
    best = rows.groupby("USUBJID", sort=True)["PCHG"].min()
    bor = _bor(adrs, settings.bor_param)
    subjects = [{"usubjid": usubjid, "best_pchg": round(float(value), 4), "bor": bor.get(usubjid, "")}
                for usubjid, value in best.items()]
    subjects.sort(key=lambda s: (-s["best_pchg"], s["usubjid"]))
    with_param = adtr.loc[adtr["PARAMCD"] == settings.tumor_param, "USUBJID"].nunique()
    return {"param": settings.tumor_param, "bor_param": settings.bor_param, "subjects": subjects,
            "without_post_baseline": int(with_param - len(subjects))}


def swimmer_data(adsl: pd.DataFrame, adrs: pd.DataFrame | None, adae: pd.DataFrame | None,
                 settings: FigureSettings) -> dict:
    """Time on study from TRTSDT (days, TRTSDT = day 1) to the latest of EOSDT, LSTALVDT and DTHDT, with the
    responses of ADRS's per-visit parameter and the ADAE events of the CRS query at their ASTDY."""
    _need(adsl, "ADSL", ("USUBJID", "TRTSDT"))
    treated = adsl[adsl["TRTSDT"].notna()]
    if treated.empty:
        raise MissingData("ADSL has no subject with TRTSDT")
    end_columns = [c for c in ("EOSDT", "LSTALVDT", "DTHDT") if c in treated.columns]
    if not end_columns:
        raise MissingData("ADSL has none of EOSDT, LSTALVDT, DTHDT")
    responses = _responses(adrs, settings)
    crs, crs_note = _crs(adae, settings)
    subjects = []
    for _, row in treated.sort_values("USUBJID").iterrows():
        ends = [row[c] for c in end_columns if _number(row[c]) is not None]
        if not ends:
            continue
        end = max(ends)
        death = _number(row["DTHDT"]) if "DTHDT" in row.index else None
        usubjid = row["USUBJID"]
        subjects.append({
            "usubjid": usubjid,
            "days": int(end - row["TRTSDT"] + 1),
            "ongoing": str(row.get("EOSSTT") or "") == "ONGOING",
            "death_day": None if death is None else int(death - row["TRTSDT"] + 1),
            "responses": responses.get(usubjid, []),
            "crs_days": crs.get(usubjid, []),
        })
    subjects.sort(key=lambda s: (-s["days"], s["usubjid"]))
    return {"subjects": subjects, "response_param": settings.response_param,
            "crs_query": settings.crs_query_name, "crs_note": crs_note}


def expansion_data(adpc: pd.DataFrame | None, source: str) -> dict:
    """Each subject's ADPC analysis values over the actual time from the dose (AFRLT) of the most frequent
    analyte (PARAMCD) among the records from SDTM `source` (SRCDOM), with the median per analysis visit."""
    _need(adpc, "ADPC", ("USUBJID", "PARAMCD", "AVAL", "AFRLT"))
    rows = adpc if "SRCDOM" not in adpc.columns else adpc[adpc["SRCDOM"] == source]
    rows = rows[rows["AVAL"].notna() & rows["AFRLT"].notna()]
    if rows.empty:
        raise MissingData(f"ADPC has no analysis values (AVAL) with a time from the dose (AFRLT) from {source}")
    counts = rows["PARAMCD"].value_counts()
    chosen = sorted(counts.index, key=lambda k: (-counts[k], k))[0]
    rows = rows[rows["PARAMCD"] == chosen]
    unit = (_first(rows, "FRLTU") or "").lower()
    points = [[u, float(t), float(v)] for u, t, v in
              rows.sort_values(["USUBJID", "AFRLT"], kind="stable")[["USUBJID", "AFRLT", "AVAL"]].itertuples(index=False)]
    visit = "AVISITN" if "AVISITN" in rows.columns and rows["AVISITN"].notna().any() else "AFRLT"
    median = sorted([float(at["AFRLT"].median()), float(at["AVAL"].median()), int(len(at))]
                    for _, at in rows.groupby(visit, sort=True))
    value_unit = _first(rows, "AVALU") or ""
    label = _first(rows, "PARAM") or chosen
    label = label.removesuffix(f" ({value_unit})") if value_unit else label  # the axis adds the unit
    return {"source": source, "test": chosen, "label": label, "unit": value_unit,
            "xlabel": f"Time from the dose (ADPC AFRLT{', ' + unit if unit else ''})",
            "subjects": int(rows["USUBJID"].nunique()), "points": points, "median": median,
            "others": sorted(set(counts.index) - {chosen})}


# -- helpers --------------------------------------------------------------------------------------------------

def _need(frame: pd.DataFrame | None, name: str, columns: tuple[str, ...]) -> None:
    if frame is None:
        raise MissingData(f"the package has no {name}")
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise MissingData(f"{name} lacks {', '.join(lacking)}")


def _first(frame: pd.DataFrame, column: str) -> str:
    values = frame[column].dropna().astype(str) if column in frame.columns else pd.Series(dtype=str)
    values = values[values != ""]
    return values.iloc[0] if len(values) else ""


def _unit(param: str) -> str:
    """The time unit PARAM states in parentheses ("Overall Survival (days)"); days when it states none."""
    found = re.search(r"\((days?|weeks?|months?|years?)\)\s*$", param, flags=re.IGNORECASE)
    if not found:
        return "days"
    word = found.group(1).lower()
    return word if word.endswith("s") else word + "s"


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _bor(adrs: pd.DataFrame | None, paramcd: str) -> dict[str, str]:
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns):
        return {}
    rows = adrs[adrs["PARAMCD"] == paramcd]
    return {u: str(v) for u, v in zip(rows["USUBJID"], rows["AVALC"].fillna(""))}


def _responses(adrs: pd.DataFrame | None, settings: FigureSettings) -> dict[str, list[list]]:
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC", "ADY"} <= set(adrs.columns):
        return {}
    wanted = set(settings.responses) | set(settings.progression)
    rows = adrs[(adrs["PARAMCD"] == settings.response_param) & adrs["AVALC"].isin(wanted) & adrs["ADY"].notna()]
    if "ANL01FL" in rows.columns and rows["ANL01FL"].notna().any():
        rows = rows[rows["ANL01FL"] == "Y"]
    found: dict[str, list[list]] = {}
    for u, day, value in rows.sort_values(["USUBJID", "ADY"])[["USUBJID", "ADY", "AVALC"]].itertuples(index=False):
        found.setdefault(u, []).append([int(day), str(value)])
    return found


def _crs(adae: pd.DataFrame | None, settings: FigureSettings) -> tuple[dict[str, list[int]], str]:
    name = settings.crs_query_name
    if not name:
        return {}, "no CRS query named (the study's crs_query_name parameter is not in the build log)"
    if adae is None:
        return {}, "the package has no ADAE"
    columns = [c for c in adae.columns if re.fullmatch(r"CQ\d\dNAM", c)]
    hits = pd.Series(False, index=adae.index)
    for column in columns:
        hits |= adae[column] == name
    if not columns or not hits.any():
        return {}, f"ADAE has no record in the query {name!r} (CQnnNAM)"
    if "ASTDY" not in adae.columns:
        return {}, "ADAE lacks ASTDY"
    rows = adae[hits & adae["ASTDY"].notna()]
    found: dict[str, list[int]] = {}
    for u, day in rows.sort_values(["USUBJID", "ASTDY"])[["USUBJID", "ASTDY"]].itertuples(index=False):
        found.setdefault(u, []).append(int(day))
    return found, ""
