"""Findings-class derivations: the standard result triplet, reference-range indicator, baseline flag.

--STRESC holds every result in standard character form; --STRESN its number when it is one; --STRESU
one standard unit per test (SDTMIG 4.5.1, FDA business rules FDAB030/031). Values reported with a
qualifier ("<0.1") keep the qualifier in --STRESC and leave --STRESN null. A result that is no number a
dataset can hold ("1e400", "1e-400", "inf", "nan") leaves --STRESC and --STRESN null with a problem naming
the value: never a quiet `inf` or 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pandas as pd

from sdtm.controlled_terms import normalise
from formats.isodates import complete_date
from sdtm.frames import nulls
from sdtm.numbers import number_problem

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RESULT = rf"^\s*(?P<qual><=|>=|<|>)?\s*(?P<num>{_NUMBER})\s*$"


def format_number(values: np.ndarray | pd.Series, significant: int | None = None,
                  decimals: int | None = None) -> list[str | None]:
    """Plain decimal text without exponent or float noise; rounded to `decimals` places or `significant`
    digits when given (ties away from zero, on the decimal the number prints as: 2.675 -> 2.68, -0.5 -> -1),
    trailing zeros dropped ("36.10" -> "36.1").

    Python's shortest round-trip repr does the work in C for the whole column; only the rare values
    it would print with an exponent, and rounded values (each distinct one once), are formatted one by one.
    """
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), None, dtype=object)
    ok = ~np.isnan(x)
    if not ok.any():
        return out.tolist()
    if significant is not None or decimals is not None:
        codes, distinct = pd.factorize(x[ok])
        out[ok] = np.array([rounded_text(v, significant, decimals) for v in distinct], dtype=object)[codes]
        return out.tolist()
    # each distinct value (by its bits: 0.0 and -0.0 print differently) formatted once: results repeat
    codes, distinct = pd.factorize(x[ok].view(np.int64))
    numbers = distinct.view(np.float64)
    text = pd.Series(numbers).astype(str).str.replace(r"\.0$", "", regex=True)
    exponent = text.str.contains("e", regex=False).to_numpy()
    if exponent.any():
        text[exponent] = [np.format_float_positional(v, trim="-") for v in numbers[exponent]]
    out[ok] = text.to_numpy(dtype=object)[codes]
    return out.tolist()


_WIDE = Context(prec=1000)  # room for every double written out in full (1e308 has 309 digits)


def rounded_text(value: float, significant: int | None = None, decimals: int | None = None) -> str:
    """One finite number rounded half away from zero to `decimals` places (wins) or `significant` digits."""
    number = Decimal(repr(float(value)))
    if decimals is not None:
        quantum = Decimal(1).scaleb(-int(decimals))
    elif significant is not None and int(significant) > 0:
        quantum = Decimal(1).scaleb(number.adjusted() - int(significant) + 1)
    else:
        raise ValueError("rounded_text needs decimals >= 0 or significant > 0")
    text = format(number.quantize(quantum, rounding=ROUND_HALF_UP, context=_WIDE), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _normalised(series: pd.Series) -> pd.Series:
    """`normalise` over the distinct values only."""
    text = series.fillna("").astype(str)
    codes, distinct = pd.factorize(text)  # no missing left: every code is a distinct value's
    return pd.Series(pd.array([normalise(v) for v in distinct], dtype=text.dtype).take(codes), index=text.index)


@dataclass(frozen=True)
class Conversion:
    """standard value = collected value x factor + offset (offset 0 for a plain ratio)."""

    factor: float
    offset: float = 0.0


_AMOUNT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:/\s*((?:\d+\.?\d*|\.\d+)"
                     r"(?:[eE][-+]?\d+)?)\s*)?$")
CONVERSION_SYNTAX = ("unit:factor[:offset], ... (standard = collected x factor + offset; factor and offset are "
                     "numbers or fractions such as 5/9: F:5/9:-160/9 converts Fahrenheit to Celsius)")


def parse_conversions(text: str | None) -> dict[str, Conversion]:
    """`"umol/L:0.0113, F:5/9:-160/9"` -> {"umol/l": Conversion(0.0113), "f": Conversion(5/9, -160/9)}
    (unit spellings case-folded). A unit may itself hold a colon: the last one or two parts that are numbers
    are the factor and offset. ValueError naming the part and CONVERSION_SYNTAX for anything else."""
    out: dict[str, Conversion] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        pieces = part.split(":")
        amounts = [_amount(p) for p in pieces]
        if len(pieces) >= 3 and amounts[-1] is not None and amounts[-2] is not None:
            unit, conversion = ":".join(pieces[:-2]), Conversion(amounts[-2], amounts[-1])
        elif len(pieces) >= 2 and amounts[-1] is not None:
            unit, conversion = ":".join(pieces[:-1]), Conversion(amounts[-1])
        else:
            raise ValueError(f"{part.strip()!r} is not a conversion; expected {CONVERSION_SYNTAX}")
        if not unit.strip() or conversion.factor == 0 or not all(map(math.isfinite, (conversion.factor,
                                                                                     conversion.offset))):
            raise ValueError(f"{part.strip()!r} is not a usable conversion (a unit, a non-zero finite factor and "
                             f"a finite offset are needed); expected {CONVERSION_SYNTAX}")
        key = normalise(unit)
        if key in out and out[key] != conversion:
            raise ValueError(f"unit {unit.strip()!r} is given two different conversions")
        out[key] = conversion
    return out


def _amount(text: str) -> float | None:
    match = _AMOUNT.match(text)
    if not match:
        return None
    value = float(match[1])
    if match[2] is not None:
        divisor = float(match[2])
        return value / divisor if divisor else None
    return value


def standardize_results(orres: pd.Series, orresu: pd.Series, stresu: pd.Series, conversions: pd.Series,
                        too_small: str | None = None, significant: int | pd.Series | None = 4,
                        decimals: int | pd.Series | None = None) -> pd.DataFrame:
    """STRESC, STRESN and a PROBLEM column per record, in each record's standard unit.

    `stresu`: the standard unit per record (null: the result stays as collected, no conversion).
    `conversions`: per record, the `unit:factor[:offset]` text of the units that convert to it. A numeric
    result in a unit with no conversion gets null standard values and a problem naming unit and value, never
    a silent copy. `too_small`: the value a "TOO SMALL TO MEASURE" result stands for (RECIST: 5 mm).
    Converted values are rounded (`format_number`) to `decimals` places where given (a number, or one per
    record, null = not given), else to `significant` digits; results already in the standard unit keep the
    precision they were collected with (rounding removes the noise of the conversion, never collected digits).
    """
    text = orres.fillna("").astype(str).str.strip()
    if too_small is not None:
        text = text.where(text.str.upper() != "TOO SMALL TO MEASURE", too_small)
    # parse each distinct result once: results repeat a lot, and the regex is the costly part
    codes, distinct = pd.factorize(text)
    parts = pd.Series(distinct, dtype=object).str.extract(_RESULT)
    parsed = pd.to_numeric(parts["num"], errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    unusable = _unusable_numbers(pd.Series(distinct, dtype=object), parts["num"], parsed)
    parsed[pd.notna(unusable)] = np.nan
    number = pd.Series(parsed[codes] if len(codes) else parsed[:0], index=orres.index)
    number_problems = pd.Series(unusable[codes] if len(codes) else unusable[:0], index=orres.index, dtype=object)
    qualifier = pd.Series(parts["qual"].fillna("").to_numpy()[codes], index=orres.index)
    unit = _normalised(orresu)
    target = _normalised(stresu)
    needs = number.notna() & target.ne("") & unit.ne(target)
    factor = pd.Series(1.0, index=orres.index)
    offset = pd.Series(0.0, index=orres.index)
    problem = nulls(orres.index)
    if needs.any():
        pairs = pd.DataFrame({"c": conversions[needs].fillna("").astype(str), "u": unit[needs]})
        distinct = pairs.drop_duplicates()
        found = {(c, u): parse_conversions(c).get(u) for c, u in zip(distinct["c"], distinct["u"])}
        chosen = [found[k] for k in zip(pairs["c"], pairs["u"])]
        factor[needs] = [np.nan if c is None else c.factor for c in chosen]
        offset[needs] = [np.nan if c is None else c.offset for c in chosen]
        missing = factor[needs][factor[needs].isna()].index
        problem[missing] = [f"no conversion from {u!r} to standard unit {s!r}" for u, s in
                            zip(orresu[missing].fillna(""), stresu[missing])]
    with np.errstate(over="ignore", invalid="ignore"):
        converted = number * factor + offset
    overflow = number.notna() & factor.notna() & ~np.isfinite(converted)
    if overflow.any():  # a huge number times a conversion factor
        number_problems[overflow] = [f"{v!r} converted to the standard unit is too large for a number a dataset "
                                     f"can hold" for v in orres[overflow]]
        converted = converted.mask(overflow)
    plain = pd.Series(format_number(converted), index=orres.index, dtype=object)
    rounded = needs & converted.notna()
    if rounded.any():
        plain[rounded] = _rounded(converted[rounded], _per_record(significant, orres.index)[rounded],
                                  _per_record(decimals, orres.index)[rounded])
    stresc = pd.Series(np.where(number.notna(), qualifier + plain.fillna(""), text), index=orres.index,
                       dtype=object)
    stresc[number.notna() & converted.isna()] = None
    stresc[number_problems.notna()] = None
    stresc[stresc == ""] = None
    # STRESN is the number STRESC shows (FDA business rule FDAB031), not the unrounded product
    stresn = pd.to_numeric(plain, errors="coerce").where(qualifier.eq("") & number.notna() & number_problems.isna())
    problem = problem.astype(object).where(problem.notna(), None)
    problem[number_problems.notna()] = number_problems[number_problems.notna()]
    return pd.DataFrame({"STRESC": stresc, "STRESN": stresn.astype(float), "PROBLEM": problem,
                         "NUMBER_PROBLEM": number_problems})


def _per_record(value: int | pd.Series | None, index: pd.Index) -> pd.Series:
    """A rounding setting as one float per record (NaN: not given)."""
    if isinstance(value, pd.Series):
        return pd.to_numeric(value, errors="coerce").astype(float).set_axis(index)
    return pd.Series(np.nan if value is None else float(value), index=index)


def _rounded(values: pd.Series, significant: pd.Series, decimals: pd.Series) -> list[str | None]:
    """Each value rounded by its record's setting: decimals where given, else significant digits, else as is.
    The few distinct settings are formatted group by group."""
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    settings = pd.DataFrame({"s": significant.to_numpy(), "d": decimals.to_numpy()}, index=values.index)
    settings.loc[settings["d"].notna(), "s"] = np.nan
    for (s, d), group in settings.groupby(["s", "d"], dropna=False, sort=False).groups.items():
        out[group] = format_number(values[group], significant=None if pd.isna(s) else int(s),
                                   decimals=None if pd.isna(d) else int(d))
    return out.tolist()


def _unusable_numbers(distinct: pd.Series, numbers: pd.Series, parsed: np.ndarray) -> np.ndarray:
    """Per distinct result: why its number cannot be held ("1e400", "1e-400"), or why a non-finite text
    ("inf", "nan") is no result; None for the rest."""
    why = np.full(len(distinct), None, dtype=object)
    suspect = numbers.notna().to_numpy() & (~np.isfinite(parsed) | (parsed == 0))
    for i in np.flatnonzero(suspect):
        why[i] = number_problem(str(numbers.iloc[i]), float(parsed[i]))
    non_finite = distinct.astype(str).str.fullmatch(r"\s*[<>]?=?\s*[-+]?(?:nan|inf|infinity)\s*", case=False)
    for i in np.flatnonzero(non_finite.fillna(False).to_numpy(dtype=bool)):
        why[i] = f"{distinct.iloc[i]!r} is not a finite number"
    return why


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
