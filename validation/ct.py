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
    headers = _headers()
    key = code_or_name.strip()
    hit = headers[(headers["code"] == key) | (headers["submission_value"] == key)]
    if not len(hit):
        raise SpecError(f"codelist {code_or_name!r} is not in CDISC CT {CT_VERSION}")
    return str(hit.iloc[0]["code"])


@lru_cache(maxsize=None)
def _terms_frame(code: str) -> pd.DataFrame:
    package = str(_headers().set_index("code").loc[code, "package"])
    ct = load_ct(package)
    return ct[ct["codelist_code"] == code]


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
