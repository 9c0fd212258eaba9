"""Findings-class derivations: the standard result triplet, reference-range indicator, baseline flag.

--STRESC holds every result in standard character form; --STRESN its number when it is one; --STRESU
one standard unit per test (SDTMIG 4.5.1, FDA business rules FDAB030/031). Values reported with a
qualifier ("<0.1") keep the qualifier in --STRESC and leave --STRESN null.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sdtm.controlled_terms import normalise
from sdtm.dates import complete_date
from sdtm.frames import nulls

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RESULT = rf"^\s*(?P<qual><=|>=|<|>)?\s*(?P<num>{_NUMBER})\s*$"


def format_number(values: np.ndarray | pd.Series, significant: int | None = None) -> list[str | None]:
    """Plain decimal text without exponent or float noise; `significant` digits when given."""
    out: list[str | None] = []
    for value in np.asarray(values, dtype=float):
        if np.isnan(value):
            out.append(None)
        elif significant:
            out.append(np.format_float_positional(value, precision=significant, unique=False, fractional=False,
                                                  trim="-"))
        else:
            out.append(np.format_float_positional(value, trim="-"))
    return out


def parse_conversions(text: str | None) -> dict[str, float]:
    """`"umol/L:0.0113, g/L:0.1"` -> {"umol/l": 0.0113, "g/l": 0.1} (unit spellings case-folded)."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if part.strip():
            unit, _, factor = part.rpartition(":")
            out[normalise(unit)] = float(factor)
    return out


def standardize_results(orres: pd.Series, orresu: pd.Series, stresu: pd.Series, conversions: pd.Series,
                        too_small: str | None = None, significant: int = 4) -> pd.DataFrame:
    """STRESC, STRESN and a PROBLEM column per record, in each record's standard unit.

    `stresu`: the standard unit per record (null: the result stays as collected, no conversion).
    `conversions`: per record, the `unit:factor` text of the units that convert to it. A numeric result
    in a unit with no factor gets null standard values and a problem naming unit and value, never a
    silent copy. `too_small`: the value a "TOO SMALL TO MEASURE" result stands for (RECIST: 5 mm).
    """
    text = orres.fillna("").astype(str).str.strip()
    if too_small is not None:
        text = text.where(text.str.upper() != "TOO SMALL TO MEASURE", too_small)
    parts = text.str.extract(_RESULT)
    number = pd.to_numeric(parts["num"], errors="coerce")
    qualifier = parts["qual"].fillna("")
    unit = orresu.fillna("").astype(str).map(normalise)
    target = stresu.fillna("").astype(str).map(normalise)
    needs = number.notna() & target.ne("") & unit.ne(target)
    factor = pd.Series(1.0, index=orres.index)
    problem = nulls(orres.index)
    if needs.any():
        tables = {t: parse_conversions(t) for t in conversions[needs].fillna("").astype(str).unique()}
        found = pd.Series([tables[t].get(u) for t, u in zip(conversions[needs].fillna("").astype(str), unit[needs])],
                          index=unit[needs].index, dtype=float)
        factor[needs] = found
        missing = found[found.isna()].index
        problem[missing] = [f"no conversion from {u!r} to standard unit {s!r}" for u, s in
                            zip(orresu[missing].fillna(""), stresu[missing])]
    converted = number * factor
    plain = pd.Series(format_number(converted), index=orres.index, dtype=object)
    rounded = needs & converted.notna()
    if rounded.any():
        plain[rounded] = format_number(converted[rounded], significant)
    stresc = pd.Series(np.where(number.notna(), qualifier + plain.fillna(""), text), index=orres.index,
                       dtype=object)
    stresc[number.notna() & converted.isna()] = None
    stresc[stresc == ""] = None
    # STRESN is the number STRESC shows (FDA business rule FDAB031), not the unrounded product
    stresn = pd.to_numeric(plain, errors="coerce").where(qualifier.eq("") & number.notna())
    return pd.DataFrame({"STRESC": stresc, "STRESN": stresn.astype(float), "PROBLEM": problem})


def reference_range_indicator(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """--NRIND: LOW / HIGH / NORMAL against the standard range; null when value or both limits are missing."""
    value, low, high = (pd.to_numeric(s, errors="coerce") for s in (value, low, high))
    result = nulls(value.index)
    has = value.notna() & (low.notna() | high.notna())
    result[has] = "NORMAL"
    result[has & low.notna() & (value < low)] = "LOW"
    result[has & high.notna() & (value > high)] = "HIGH"
    return result


def last_observation_before_exposure(frame: pd.DataFrame, by: list[str], dtc: str, result: str,
                                     reference: pd.Series) -> pd.Series:
    """--LOBXFL: "Y" on the last record with a non-missing result dated before first exposure, per `by` group.

    `reference` is RFXSTDTC aligned with `frame`. When both carry a time, the record must be strictly
    earlier; when either is a date only, a record on the day of first exposure counts as pre-exposure
    (protocol pre-dose sampling), as the date cannot tell otherwise. Partial dates never qualify.
    """
    when_date = complete_date(frame[dtc])
    ref_date = complete_date(reference)
    has_time = frame[dtc].astype("string").str.len().gt(10).fillna(False) & reference.astype("string").str.len().gt(
        10).fillna(False)
    when_full = pd.to_datetime(frame[dtc].where(has_time), errors="coerce", format="ISO8601")
    ref_full = pd.to_datetime(reference.where(has_time), errors="coerce", format="ISO8601")
    before = np.where(has_time, when_full < ref_full, when_date <= ref_date)
    filled = frame[result].astype("string").str.strip().fillna("").ne("")
    eligible = pd.Series(before, index=frame.index) & filled & when_date.notna() & ref_date.notna()
    flag = nulls(frame.index)
    if eligible.any():
        candidates = frame.loc[eligible, by].assign(_when=frame.loc[eligible, dtc].astype(str))
        last = candidates.sort_values([*by, "_when"], kind="mergesort").groupby(by, sort=False, dropna=False).tail(1)
        flag[last.index] = "Y"
    return flag
