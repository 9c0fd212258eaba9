"""CTCAE lab toxicity grades from data: the criteria table, the lab test -> term map and the grading rule.

The criteria are data (`adam/data/ctcae_v4_lab_criteria.csv`), one row per alternative of one grade, with
CTCAE's wording beside it. A row says: the result is `operator` (>, >=, <, <=) the threshold
`factor` x `reference` + `offset` [`unit`], where the reference is ULN (ANRHI), LLN (ANRLO), BASE or
ULN_OR_HIGHER_BASE (the baseline when it is above the ULN, else the ULN: CTCAE's "above ULN or above
baseline if baseline is above ULN"), and none for an absolute threshold. A row with a `condition`
(`VARIABLE=VALUE`, e.g. `LBFAST=Y`) applies only to records where it holds. Several rows of one grade are
alternatives ("or").

The rule (`compute_toxgr`):
- the grade is the highest grade one of whose applicable rows is met (so when CTCAE gives two grades the
  same value range and tells them apart by symptoms, the higher one is given: the table's notes say where);
- rows with a unit apply to a record whose unit converts to it (`adam/data/lab_units.csv`: only prefix and
  count-unit conversions, never mass <-> amount); a record whose unit converts to none of its term's units
  cannot be graded (reason "unit ...");
- no grade met: grade "0" when every applicable row could be evaluated, else null with the reason (no ULN,
  no LLN, no baseline);
- values are compared at 12 significant digits, so 3 x 0.1 equals 0.3 and a value exactly on a boundary
  falls on the side CTCAE's ">"/"<" puts it.
Grades are text "0".."4" (ADaM ATOXGRL/ATOXGRH are character).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from specs.errors import DerivationError, Problem

REFERENCES = {"ULN", "LLN", "BASE", "ULN_OR_HIGHER_BASE", ""}
OPERATORS = {">", ">=", "<", "<="}
REFERENCE_NAMES = {"ULN": "no ULN", "LLN": "no LLN", "BASE": "no baseline", "ULN_OR_HIGHER_BASE": "no ULN"}
SIGNIFICANT_DIGITS = 12
VERSIONS = {"4.0": ("ctcae_v4_lab_criteria.csv", "ctcae_v4_lab_terms.csv")}


@dataclass(frozen=True)
class Criteria:
    """One CTCAE version's lab criteria, the unit table and the default LBTESTCD/direction -> term map."""

    version: str
    rows: pd.DataFrame  # term, direction, grade (int), operator, factor, reference, offset, unit, condition, ...
    units: pd.DataFrame  # unit (upper case), canonical, factor
    terms: pd.DataFrame  # lbtestcd, direction, term

    def term_names(self, direction: str) -> set[str]:
        return set(self.rows.loc[self.rows["direction"] == direction, "term"])


def _read(name: str) -> pd.DataFrame:
    with resources.files("adam.data").joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=4)
def load_criteria(version: str = "4.0") -> Criteria:
    """The criteria of a CTCAE version shipped with the library, checked; DerivationError lists every problem."""
    if version not in VERSIONS:
        raise DerivationError(f"no CTCAE lab criteria for version {version!r}; known: {', '.join(VERSIONS)}")
    criteria_file, terms_file = VERSIONS[version]
    rows = _read(criteria_file)
    units = _read("lab_units.csv")
    terms = _read(terms_file)
    problems = []
    for number, row in rows.iterrows():
        where = f"{criteria_file} row {number + 2}"
        if row["direction"] not in ("L", "H"):
            problems.append(Problem(where, f"direction {row['direction']!r} is not L or H"))
        if row["grade"] not in ("1", "2", "3", "4"):
            problems.append(Problem(where, f"grade {row['grade']!r} is not 1-4"))
        if row["operator"] not in OPERATORS:
            problems.append(Problem(where, f"operator {row['operator']!r} is not one of {sorted(OPERATORS)}"))
        if row["reference"] not in REFERENCES:
            problems.append(Problem(where, f"reference {row['reference']!r} is not one of {sorted(REFERENCES)}"))
        if row["reference"] and not row["factor"]:
            problems.append(Problem(where, "a reference needs a factor"))
        if not row["reference"] and not row["offset"]:
            problems.append(Problem(where, "an absolute threshold needs an offset"))
        if row["offset"] and row["reference"] not in ("", "ULN_OR_HIGHER_BASE"):
            problems.append(Problem(where, "an offset is added to ULN_OR_HIGHER_BASE only"))
        if row["condition"] and "=" not in row["condition"]:
            problems.append(Problem(where, f"condition {row['condition']!r} is not VARIABLE=VALUE"))
    known_terms = set(rows["term"])
    for number, row in terms.iterrows():
        if row["term"] not in known_terms:
            problems.append(Problem(f"{terms_file} row {number + 2}", f"term {row['term']!r} has no criteria"))
    repeated = units["unit"].str.strip().str.upper()
    for unit in sorted(set(repeated[repeated.duplicated()])):
        problems.append(Problem("lab_units.csv", f"unit {unit!r} is listed twice (units compare case-insensitively)"))
    if problems:
        raise DerivationError(f"the CTCAE {version} lab criteria are malformed", problems)
    rows = rows.assign(
        grade=rows["grade"].astype(int),
        factor=pd.to_numeric(rows["factor"].replace("", np.nan)),
        offset=pd.to_numeric(rows["offset"].replace("", np.nan)),
    )
    units = units.assign(unit=units["unit"].str.strip().str.upper(), factor=pd.to_numeric(units["factor"]))
    return Criteria(version, rows, units, terms)


def resolve_terms(criteria: Criteria, overrides: Sequence[str] = ()) -> dict[tuple[str, str], str]:
    """(LBTESTCD, direction) -> CTCAE term: the library's map with the study's `TESTCD/L=Term` entries applied.

    `TESTCD/H=` (no term) stops grading that test in that direction. Unknown terms or malformed entries
    fail with every problem listed.
    """
    mapping = {(row.lbtestcd.upper(), row.direction): row.term for row in criteria.terms.itertuples()}
    problems = []
    for entry in overrides:
        key, sep, term = entry.partition("=")
        testcd, slash, direction = key.strip().rpartition("/")
        direction = direction.strip().upper()
        if not sep or not slash or not testcd.strip() or direction not in ("L", "H"):
            problems.append(Problem("lab_toxicity_terms", f"{entry!r} is not of the form TESTCD/L=Term or "
                                                          "TESTCD/H=Term"))
            continue
        term = term.strip()
        if not term:
            mapping.pop((testcd.strip().upper(), direction), None)
            continue
        if term not in criteria.term_names(direction):
            problems.append(Problem("lab_toxicity_terms", f"{entry!r}: CTCAE {criteria.version} has no lab "
                                                          f"criteria for term {term!r} in direction {direction}"))
            continue
        mapping[(testcd.strip().upper(), direction)] = term
    if problems:
        raise DerivationError("bad lab toxicity term map", problems)
    return mapping


def _unit_table(criteria: Criteria, units: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical unit and factor (to it) of each unit text; an unknown unit is its own canonical unit."""
    codes, distinct = pd.factorize(units, use_na_sentinel=True)  # each distinct unit text looked up once
    text = pd.Series(distinct, dtype=object).astype("str").str.strip().str.upper()
    table = criteria.units.set_index("unit")
    canonical = text.map(table["canonical"].str.upper()).fillna(text).to_numpy(dtype=object)
    factor = text.map(table["factor"]).fillna(1.0).to_numpy(dtype=float)
    known = codes >= 0
    return (pd.Series(np.where(known, canonical[np.where(known, codes, 0)] if len(distinct) else None, None),
                      index=units.index, dtype=object),
            pd.Series(np.where(known, factor[np.where(known, codes, 0)] if len(distinct) else np.nan, np.nan),
                      index=units.index, dtype=float))


def _signif(values: pd.Series) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    out = x.copy()
    finite = np.isfinite(x) & (x != 0)
    magnitude = np.floor(np.log10(np.abs(x[finite])))
    scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - magnitude)
    out[finite] = np.round(x[finite] * scale) / scale
    return out


def _compare(value: np.ndarray, operator: str, threshold: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if operator == ">":
            return value > threshold
        if operator == ">=":
            return value >= threshold
        if operator == "<":
            return value < threshold
        return value <= threshold


def compute_toxgr(
    frame: pd.DataFrame,
    term: pd.Series,
    direction: str,
    criteria: Criteria,
    value: str = "AVAL",
    unit: str = "AVALU",
    lln: str = "ANRLO",
    uln: str = "ANRHI",
    base: str = "BASE",
) -> tuple[pd.Series, pd.Series]:
    """Grade ("0".."4" or null) and, where null, the reason, for each record of `frame` with a `term`.

    Records without a term get a null grade and no reason (nothing to grade). See the module doc.
    """
    n = len(frame)
    grade = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    terms = term.where(term.notna() & (term.astype("str").str.strip() != ""))
    if not terms.notna().any():
        return pd.Series(grade, index=frame.index, dtype="str"), pd.Series(reason, index=frame.index, dtype="str")
    # positional arrays, read once: a criteria row works on the positions of its term
    term_codes = terms.to_numpy(dtype=object)
    units = frame[unit] if unit in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    rec_canonical, rec_factor = (a.to_numpy(dtype=object) for a in _unit_table(criteria, units))
    rec_factor = rec_factor.astype(float)
    numeric = (pd.to_numeric(frame[value], errors="coerce").to_numpy(float) if value in frame.columns
               else np.full(n, np.nan))
    refs = {name: (pd.to_numeric(frame[column], errors="coerce").to_numpy(float) if column in frame.columns
                   else np.full(n, np.nan)) for name, column in (("ULN", uln), ("LLN", lln), ("BASE", base))}
    unit_text = units.astype("str").fillna("(none)").to_numpy(dtype=object)
    for name, rows in criteria.rows[criteria.rows["direction"] == direction].groupby("term", sort=False):
        pos = np.flatnonzero(term_codes == name)
        if not len(pos):
            continue
        val = _signif(numeric[pos])
        canonical, factor = rec_canonical[pos], rec_factor[pos]
        best = np.zeros(len(pos), dtype=int)  # highest grade met (0: none)
        all_evaluable = np.ones(len(pos), dtype=bool)
        missing: dict[str, np.ndarray] = {}
        unit_rows = rows[rows["unit"] != ""]
        unit_ok = np.ones(len(pos), dtype=bool) if unit_rows.empty else np.zeros(len(pos), dtype=bool)
        for row in rows.itertuples():
            applicable = np.ones(len(pos), dtype=bool)
            if row.condition:
                variable, _, wanted = row.condition.partition("=")
                if variable.strip() in frame.columns:
                    applicable &= (frame[variable.strip()].iloc[pos].astype("str").str.strip().str.upper()
                                   == wanted.strip().upper()).to_numpy(dtype=bool, na_value=False)
                else:
                    applicable[:] = False
            threshold = np.zeros(len(pos), dtype=float)
            if row.unit:
                (row_canonical, row_factor) = _unit_table(criteria, pd.Series([row.unit]))
                convertible = canonical == row_canonical.iloc[0]
                unit_ok |= convertible
                applicable &= convertible
                with np.errstate(invalid="ignore", divide="ignore"):
                    threshold = threshold + row.offset * row_factor.iloc[0] / factor
            elif not np.isnan(row.offset):
                threshold = threshold + row.offset
            if row.reference:
                if row.reference == "ULN_OR_HIGHER_BASE":
                    u, b = refs["ULN"][pos], refs["BASE"][pos]
                    with np.errstate(invalid="ignore"):
                        reference = np.where(~np.isnan(b) & (b > u), b, u)
                else:
                    reference = refs[row.reference][pos]
                threshold = threshold + row.factor * reference
                lacking = applicable & np.isnan(reference)
                key = REFERENCE_NAMES[row.reference]
                missing[key] = missing.get(key, np.zeros(len(pos), dtype=bool)) | lacking
            threshold = _signif(threshold)
            evaluable = applicable & ~np.isnan(val) & ~np.isnan(threshold)
            met = evaluable & _compare(val, row.operator, threshold)
            best = np.where(met & (row.grade > best), row.grade, best)
            all_evaluable &= evaluable | ~applicable
        has_value = ~np.isnan(val)
        graded = has_value & unit_ok & ((best > 0) | all_evaluable)
        grade[pos] = np.where(graded, best.astype(str), None)
        why = np.full(len(pos), None, dtype=object)
        for key, lacking in missing.items():
            add = ~graded & has_value & unit_ok & lacking
            why = np.where(add & (why == None), key, np.where(add, why.astype(str) + ", " + key, why))  # noqa: E711
        units_text = ", ".join(sorted(set(unit_rows["unit"])))
        why = np.where(has_value & ~unit_ok,
                       "unit " + unit_text[pos] + f" not convertible to the criteria's units ({units_text})", why)
        why = np.where(~has_value, "no numeric result", why)
        reason[pos] = why
    return pd.Series(grade, index=frame.index, dtype="str"), pd.Series(reason, index=frame.index, dtype="str")
