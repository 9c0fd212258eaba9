"""Collected text -> CDISC submission values, through a codelist's terms, CT synonyms and collected spellings.

Matching ignores case and repeated blanks, nothing else: a value that does not match is reported with
its record, never passed through or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

_BLANKS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _BLANKS.sub(" ", str(text)).strip().casefold()


def build_lookup(terms: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """{normalised spelling: submission value} from (submission value, other spellings) pairs.

    A term's own submission value always maps to itself, even when another term lists it as a synonym.
    A synonym claimed by two different terms is ambiguous and raises ValueError naming both, so a spec
    can never map silently to the wrong term.
    """
    terms = [(submission, list(spellings)) for submission, spellings in terms]
    lookup = {normalise(submission): submission for submission, _ in terms if str(submission).strip()}
    own_values = set(lookup)
    for submission, spellings in terms:
        for spelling in spellings:
            if spelling is None or not str(spelling).strip():
                continue
            key = normalise(spelling)
            if key in own_values:
                continue
            if key in lookup and lookup[key] != submission:
                raise ValueError(f"spelling {spelling!r} maps to both {lookup[key]!r} and {submission!r}")
            lookup[key] = submission
    return lookup


def map_values(values: pd.Series, lookup: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """(mapped values, mask of non-blank values that matched no term), vectorised over distinct values."""
    text = values.fillna("").astype(str)
    distinct = pd.Series(text.unique())
    mapped_distinct = distinct.map(lambda v: lookup.get(normalise(v)) if v.strip() else None)
    table = dict(zip(distinct, mapped_distinct))
    mapped = text.map(table)
    unmapped = mapped.isna() & text.str.strip().ne("")
    return mapped.astype(object).where(mapped.notna(), None), unmapped
