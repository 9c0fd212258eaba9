"""Controlled-terminology look-ups for rules: the terms of one codelist, its extensibility, code pairs.

Backed by the bundled CDISC CT (`specs.terminology`), SDTM package first, then ADaM and Define-XML;
every answer is cached for the process because rules ask the same questions for every dataset.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from specs.errors import SpecError
from specs.terminology import CT_VERSION, load_ct

PACKAGES = ("sdtm", "adam", "define-xml")


@lru_cache(maxsize=None)
def _headers() -> pd.DataFrame:
    frames = []
    for package in PACKAGES:
        ct = load_ct(package)
        head = ct[ct["codelist_code"] == ""][["code", "submission_value", "codelist_name", "extensible"]].copy()
        head["package"] = package
        frames.append(head)
    return pd.concat(frames, ignore_index=True).drop_duplicates("code")


def codelist_code(code_or_name: str) -> str:
    """The C-code of a codelist named by C-code (C66731) or short name (SEX)."""
    code = _codes().get(code_or_name.strip())
    if code is None:
        raise SpecError(f"codelist {code_or_name!r} is not in CDISC CT {CT_VERSION}")
    return code


@lru_cache(maxsize=None)
def _codes() -> dict[str, str]:
    """C-code or short name -> C-code; the first codelist (package order) that has it as either wins."""
    codes: dict[str, str] = {}
    headers = _headers()
    for code, short_name in zip(headers["code"], headers["submission_value"]):
        codes.setdefault(code, str(code))
        codes.setdefault(short_name, str(code))
    return codes


def preload() -> None:
    """Read the bundled CT and index it now (before forking workers, so that they share it)."""
    _codes()
    for package in PACKAGES:
        _package_rows(package)


@lru_cache(maxsize=None)
def _packages() -> dict[str, str]:
    """Codelist C-code -> the CT package it is taken from."""
    headers = _headers()
    return dict(zip(headers["code"], headers["package"].astype(str)))


@lru_cache(maxsize=None)
def _package_rows(package: str) -> dict[str, object]:
    """Codelist C-code -> positions of its terms in the package's CT table (one pass over the table)."""
    return load_ct(package).groupby("codelist_code", sort=False).indices


@lru_cache(maxsize=None)
def _terms_frame(code: str) -> pd.DataFrame:
    package = _packages()[code]
    ct = load_ct(package)
    rows = _package_rows(package).get(code)
    return ct.iloc[rows] if rows is not None else ct.iloc[0:0]


@lru_cache(maxsize=None)
def terms(code_or_name: str) -> frozenset[str]:
    """Submission values of a codelist."""
    return frozenset(_terms_frame(codelist_code(code_or_name))["submission_value"])


@lru_cache(maxsize=None)
def extensible(code_or_name: str) -> bool:
    code = codelist_code(code_or_name)
    return bool(_headers().set_index("code").loc[code, "extensible"])


@lru_cache(maxsize=None)
def name(code_or_name: str) -> str:
    code = codelist_code(code_or_name)
    row = _headers().set_index("code").loc[code]
    return f"{row['codelist_name']} ({row['submission_value']}, {code})"


@lru_cache(maxsize=None)
def pairs(code_codelist: str, name_codelist: str) -> dict[str, str]:
    """Code value -> paired name value, joined on the shared NCI term code (e.g. LBTESTCD -> LBTEST)."""
    codes = _terms_frame(codelist_code(code_codelist))[["code", "submission_value"]]
    names = _terms_frame(codelist_code(name_codelist))[["code", "submission_value"]]
    joined = codes.merge(names, on="code", suffixes=("_code", "_name"))
    return dict(zip(joined["submission_value_code"], joined["submission_value_name"]))
