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


def standardize_results(
    orres: pd.Series,
    orresu: pd.Series,
    testcd: pd.Series,
    standard_units: Mapping[str, str],
    factors: Mapping[tuple[str, str, str], float],
    significant: int = 4,
) -> pd.DataFrame:
    """STRESC, STRESN, STRESU and a PROBLEM column per record.

    `standard_units`: TESTCD -> standard unit. `factors`: (TESTCD or "*", from unit, to unit) -> multiplier,
    unit spellings compared case-insensitively. A numeric result in a unit with no known factor to the
    standard unit gets null standard values and a problem naming test, unit and value: never a silent copy.
    """
    text = orres.fillna("").astype(str)
    parts = text.str.extract(_RESULT)
    number = pd.to_numeric(parts["num"], errors="coerce")
    qualifier = parts["qual"].fillna("")
    unit = orresu.fillna("").astype(str).str.strip()
    target = testcd.map(standard_units)
    factor = pd.Series(1.0, index=orres.index)
    problem = nulls(orres.index)
    needs = number.notna() & target.notna() & (unit.map(normalise) != target.fillna("").map(normalise))
    if needs.any():
        lookup = {(t, normalise(a), normalise(b)): f for (t, a, b), f in factors.items()}
        pairs = pd.DataFrame({"t": testcd[needs], "a": unit[needs].map(normalise), "b": target[needs].map(normalise)})
        found = [lookup.get((t, a, b), lookup.get(("*", a, b))) for t, a, b in pairs.itertuples(index=False)]
        found = pd.Series(found, index=pairs.index, dtype=float)
        factor[needs] = found
        missing = found.isna()
        problem[missing[missing].index] = [
            f"no conversion from {u!r} to standard unit {s!r} for test {t}" for t, u, s in
            zip(testcd[missing[missing].index], unit[missing[missing].index], target[missing[missing].index])]
    converted = number * factor
    was_converted = needs & converted.notna()
    numeric_text = pd.Series(format_number(converted), index=orres.index, dtype=object)
    if was_converted.any():
        numeric_text[was_converted] = format_number(converted[was_converted], significant)
    stresc = pd.Series(np.where(number.notna(), qualifier + numeric_text.fillna(""), text.str.strip()),
                       index=orres.index, dtype=object)
    stresc[number.notna() & converted.isna()] = None
    stresc[stresc == ""] = None
    stresn = converted.where(qualifier.eq("") & number.notna())
    stresu = pd.Series(np.where(number.notna() & converted.notna(), target.fillna(unit), None), index=orres.index,
                       dtype=object)
    stresu[stresu.isin(["", None])] = None
    return pd.DataFrame({"STRESC": stresc, "STRESN": stresn.astype(float), "STRESU": stresu, "PROBLEM": problem})


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
