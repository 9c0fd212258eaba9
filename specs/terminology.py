"""The bundled CDISC Controlled Terminology (2025-03-28) as DataFrames, with codelist and term look-ups.

One row per codelist header or term, in the publication's order. A header row has an empty
`codelist_code` and its `code` is the codelist's C-code; its `submission_value` is the codelist's short
name (e.g. `SEX`). Term rows inherit `extensible` from their codelist, so a term row answers "may this
codelist be extended?" on its own. `synonyms` is kept as the published '; '-joined text; split it with
`synonym_list`.
"""

from __future__ import annotations

import gzip
import io
import logging
from functools import lru_cache
from importlib import resources

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from specs.errors import SpecError

logger = logging.getLogger(__name__)

CT_VERSION = "2025-03-28"
PACKAGES: dict[str, str] = {
    "sdtm": f"sdtm-ct-{CT_VERSION}.txt.gz",
    "adam": f"adam-ct-{CT_VERSION}.csv.gz",
    "define-xml": f"define-xml-ct-{CT_VERSION}.csv.gz",
}
# Published column name -> our column name, in the published order.
_COLUMNS: dict[str, str] = {
    "Code": "code",
    "Codelist Code": "codelist_code",
    "Codelist Extensible (Yes/No)": "extensible",
    "Codelist Name": "codelist_name",
    "CDISC Submission Value": "submission_value",
    "CDISC Synonym(s)": "synonyms",
    "CDISC Definition": "definition",
    "NCI Preferred Term": "preferred_term",
}
COLUMNS: tuple[str, ...] = tuple(_COLUMNS.values())


def load_ct(package: str = "sdtm") -> pd.DataFrame:
    """The CT of one package ("sdtm", "adam" or "define-xml"); columns as `COLUMNS`.

    Parsed once per process; each call returns a shallow copy so callers cannot alter the cache.
    """
    return _load_cached(package).copy(deep=False)


def term_synonyms(package: str = "sdtm") -> dict[str, str]:
    """NCI code -> published synonyms text of each term (not codelist header) that has synonyms; a code
    listed in several codelists takes its last row's. Read from three columns only when the whole CT is
    not loaded yet: a tenth of the time (the SDTM mapping needs nothing else of the CT)."""
    if package in _loaded:
        ct = _load_cached(package)
        terms = ct[(ct["codelist_code"] != "") & (ct["synonyms"] != "")]
        return dict(zip(terms["code"], terms["synonyms"]))
    names = {"code": "Code", "codelist_code": "Codelist Code", "synonyms": "CDISC Synonym(s)"}
    table = _read_table(package, list(names.values()))
    terms = table.filter(pc.and_(pc.not_equal(table[names["codelist_code"]], ""),
                                 pc.not_equal(table[names["synonyms"]], "")))
    return dict(zip(terms[names["code"]].to_pylist(), terms[names["synonyms"]].to_pylist()))


_loaded: set[str] = set()  # packages whose whole CT is parsed (in _load_cached)


def _read_table(package: str, columns: list[str] | None = None) -> pa.Table:
    """The package's file as a pyarrow table of text (`columns`: only these, else all)."""
    if package not in PACKAGES:
        raise SpecError(f"unknown CT package {package!r}; expected one of {sorted(PACKAGES)}")
    source = resources.files("specs.ct") / PACKAGES[package]
    with source.open("rb") as raw:
        text = gzip.decompress(raw.read())
    # NCI's tab file is unquoted (quote characters inside definitions are literal); the CSV files are quoted.
    # pyarrow's reader: the 45,000-row SDTM file in a sixth of pandas' time, every value text, blanks kept.
    tab = PACKAGES[package].endswith(".txt.gz")
    options = pa_csv.ParseOptions(delimiter="\t", quote_char=False) if tab else pa_csv.ParseOptions()
    if columns is None:
        columns = pa_csv.read_csv(io.BytesIO(text), parse_options=options,
                                  read_options=pa_csv.ReadOptions(skip_rows_after_names=1 << 30)).column_names
    return pa_csv.read_csv(io.BytesIO(text), parse_options=options, convert_options=pa_csv.ConvertOptions(
        include_columns=columns, column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False))


@lru_cache(maxsize=None)
def _load_cached(package: str) -> pd.DataFrame:
    frame = _read_table(package).to_pandas()
    _loaded.add(package)
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise SpecError(f"bundled CT {PACKAGES[package]} lacks columns {missing}")
    frame = frame[list(_COLUMNS)].rename(columns=_COLUMNS)
    is_header = frame["codelist_code"] == ""
    header_extensible = dict(zip(frame.loc[is_header, "code"], frame.loc[is_header, "extensible"] == "Yes"))
    frame["extensible"] = frame["codelist_code"].where(~is_header, frame["code"]).map(header_extensible)
    frame["extensible"] = frame["extensible"].fillna(False).astype(bool)
    logger.debug("loaded %s CT: %d rows", package, len(frame))
    return frame


class Terminology:
    """Indexed look-ups over one CT frame, for callers that look up many codelists and terms.

    Same answers as the module functions `codelist_header`, `codelist` and `term_code`, in constant time.
    """

    def __init__(self, ct: pd.DataFrame):
        self.ct = ct
        is_header = ct["codelist_code"] == ""
        headers = ct[is_header]
        self._headers: dict[str, int] = {}
        for column in ("submission_value", "code"):  # a C-code wins over a short name
            self._headers.update(zip(headers[column], range(len(headers))))
        names: dict[str, list[int]] = {}
        for position, name in enumerate(headers["codelist_name"].str.casefold()):
            names.setdefault(name, []).append(position)
        self._names = {name: positions[0] for name, positions in names.items() if len(positions) == 1}
        self._header_frame = headers
        self._terms = dict(tuple(ct[~is_header].groupby("codelist_code", sort=False)))

    def header(self, code_or_name: str) -> pd.Series:
        key = code_or_name.strip()
        position = self._headers.get(key, self._names.get(key.casefold()))
        if position is None:
            raise SpecError(f"codelist {code_or_name!r} is not in CDISC CT {CT_VERSION}")
        return self._header_frame.iloc[position]

    def terms(self, code_or_name: str) -> pd.DataFrame:
        code = self.header(code_or_name)["code"]
        return self._terms.get(code, self.ct.iloc[0:0])

    def term(self, code_or_name: str, submission_value: str) -> pd.Series:
        terms = self.terms(code_or_name)
        hit = terms[terms["submission_value"] == submission_value]
        if not len(hit):
            raise SpecError(
                f"{submission_value!r} is not a term of codelist {code_or_name!r} in CDISC CT {CT_VERSION}"
            )
        return hit.iloc[0]

    def term_code(self, code_or_name: str, submission_value: str) -> str:
        return str(self.term(code_or_name, submission_value)["code"])


@lru_cache(maxsize=None)
def terminology(package: str = "sdtm") -> Terminology:
    """The indexed CT of one package, built once per process (treat it as read-only)."""
    return Terminology(_load_cached(package))


def codelists(ct: pd.DataFrame) -> pd.DataFrame:
    """The codelist header rows of `ct`."""
    return ct[ct["codelist_code"] == ""]


def codelist_header(ct: pd.DataFrame, code_or_name: str) -> pd.Series:
    """The header row of a codelist named by C-code (`C66731`), short name (`SEX`) or full name (`Sex`)."""
    headers = codelists(ct)
    key = code_or_name.strip()
    for column in ("code", "submission_value"):
        hit = headers[headers[column] == key]
        if len(hit):
            return hit.iloc[0]
    hit = headers[headers["codelist_name"].str.casefold() == key.casefold()]
    if len(hit) == 1:
        return hit.iloc[0]
    raise SpecError(f"codelist {code_or_name!r} is not in CDISC CT {CT_VERSION}")


def codelist(ct: pd.DataFrame, code_or_name: str) -> pd.DataFrame:
    """The term rows of one codelist (see `codelist_header` for the accepted names), in published order."""
    code = codelist_header(ct, code_or_name)["code"]
    return ct[ct["codelist_code"] == code]


def term(ct: pd.DataFrame, code_or_name: str, submission_value: str) -> pd.Series:
    """The term row whose submission value is exactly `submission_value` in the codelist."""
    terms = codelist(ct, code_or_name)
    hit = terms[terms["submission_value"] == submission_value]
    if not len(hit):
        raise SpecError(
            f"{submission_value!r} is not a term of codelist {code_or_name!r} in CDISC CT {CT_VERSION}"
        )
    return hit.iloc[0]


def term_code(ct: pd.DataFrame, code_or_name: str, submission_value: str) -> str:
    """The NCI C-code of a term (see `term`)."""
    return str(term(ct, code_or_name, submission_value)["code"])


def synonym_list(synonyms: str) -> list[str]:
    """Split a published '; '-joined synonym cell into its synonyms, blanks dropped."""
    return [s.strip() for s in synonyms.split(";") if s.strip()]
