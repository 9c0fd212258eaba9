"""Comparing the pilot SDTM trialforge builds with the SDTM pharmaverse publishes for the same raw data.

Shared by `tests/pilot/test_pilot_study.py` (which asserts the bar) and `benchmarks/second_study.py` (which
prints the table; it loads this file by path). Records are paired by each domain's natural key; values are
compared as text after normalising numbers (`1` == `1.0`, `036.2` == `36.2`) and blanks (NA == "").

Pairing: records with equal keys are paired in the order of their other compared values, so duplicate keys
(AE has many) pair like with like. Records left over are then paired on the key without its excused
variables (an AE whose start date the raw data lost still pairs on USUBJID and AETERM). A variable's share
is the identical values over the expected records (an expected record nothing paired with counts as
different), or, for datasets compared "as far as the raw data supports" (SV, SUPPDM), over the paired ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "examples"
PHARMAVERSE = SHARED / "pharmaverse"
RAW = PHARMAVERSE / "raw"
EXPECTED_SDTM = PHARMAVERSE / "sdtm"
PILOT_XPT = SHARED / "cdiscpilot01-sdtm-xpt"  # TA, TE, TV: pharmaversesdtm has none; the pilot's own
SPEC = REPO / "examples" / "cdisc-pilot" / "pilot_sdtm_spec.xlsx"
BAR = 0.99

# Natural key of each compared dataset, and where its expected records come from.
KEYS: dict[str, tuple[str, ...]] = {
    "DM": ("USUBJID",),
    "AE": ("USUBJID", "AETERM", "AESTDTC"),
    "DS": ("USUBJID", "DSDECOD", "DSSTDTC", "DSTERM"),
    "EX": ("USUBJID", "EXTRT", "EXSTDTC"),
    "VS": ("USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"),
    "SV": ("USUBJID", "VISITNUM"),
    "SUPPDM": ("USUBJID", "QNAM"),
    "SUPPAE": ("USUBJID", "IDVARVAL", "QNAM"),
    "TS": ("TSPARMCD", "TSSEQ"),
    "TA": ("ARMCD", "TAETORD"),
    "TE": ("ETCD",),
    "TV": ("VISITNUM",),
}
MAIN = ("DM", "AE", "DS", "EX", "VS")  # every variable >= BAR, unless excused
# Datasets the raw data supports only in part: shares are over the paired records; `coverage` says how many
# expected records the raw data could give (see EXCUSED_RECORDS).
PARTIAL = ("SV", "SUPPDM", "SUPPAE")

# Variables whose difference a pharmaverse convention explains, with that convention. The test fails when an
# excused variable reaches the bar (the excuse is no longer needed) as well as when any other one misses it.
EXCUSED: dict[tuple[str, str], str] = {
    ("DM", "BRTHDTC"): "pharmaversesdtm imputes BRTHDTC as DMDTC minus AGE years; the raw data collects no birth "
                       "date, so the spec leaves BRTHDTC out",
    ("DM", "RFICDTC"): "pharmaverseraw made IC_DT up (data-raw/create_dm_raw.R: RFSTDTC - 7 days) after "
                       "pharmaversesdtm's DM, whose RFICDTC is empty; the spec maps the collected IC_DT",
    ("DM", "RFPENDTC"): "pharmaversesdtm keeps the original pilot's end of participation, the last contact in "
                        "domains (LB, QS, ...) whose raw data pharmaverseraw does not publish",
    ("AE", "AESPID"): "the sponsor identifier is not in ae_raw",
    ("AE", "AESEQ"): "pharmaversesdtm numbers AEs by AEDTC, AESTDTC, then AESPID, which ae_raw lacks",
    ("AE", "AELLTCD"): "pharmaverseraw added MedDRA codes from its own table (data-raw/create_ae_raw.R); "
                       "pharmaversesdtm's AE has none",
    ("AE", "AESOCCD"): "as AELLTCD: codes added to ae_raw, absent from pharmaversesdtm's AE",
    ("AE", "AEBDSYCD"): "the primary SOC code (AESOCCD, as AEBODSYS is AESOC): added to ae_raw, absent from "
                        "pharmaversesdtm's AE",
    ("AE", "AESTDTC"): "pharmaverseraw lost the 15 partial start dates (YYYY-MM): as.Date('%Y-%m') gives NA",
    ("DS", "DSSPID"): "the sponsor identifier is not in ds_raw",
    ("TS", "TSVAL"): "pharmaversesdtm writes Alzheimer's with a curly apostrophe (U+2019); XPT v5 text is ASCII, "
                     "so the spec has a straight one",
}
# Variables and datasets the raw data supports but trialforge cannot make yet: gaps in the engine, reported to
# its maintainers. The test expects them to miss the bar (strict xfail), so a fix shows up as a test to update.
ENGINE_GAPS: dict[tuple[str, str], str] = {}
GAP_DATASETS: dict[str, str] = {}

# Expected records the raw data cannot give, by dataset: a filter on the expected records and why.
EXCUSED_RECORDS: dict[str, tuple[str, str]] = {
    "SUPPDM": ("QNAM in ['EFFICACY', 'COMPLT8', 'COMPLT16', 'COMPLT24']",
               "efficacy and completer populations need the ADAS-Cog/CIBIC questionnaires (QS), not in the raw data"),
    "SV": ("not raw_visit", "visits collected only on forms pharmaverseraw does not publish (LB, QS, EG, ...)"),
    "VS": ("VSSTAT == 'NOT DONE'", "vs_raw keeps a not-done time point as a row without results: which tests "
                                   "were not done is lost"),
}


def expected_available() -> bool:
    return RAW.is_dir() and EXPECTED_SDTM.is_dir() and PILOT_XPT.is_dir()


def read_expected(name: str) -> pd.DataFrame:
    """The expected dataset as text (blanks NA): pharmaversesdtm's csv.gz, else the pilot's XPT."""
    csv = EXPECTED_SDTM / f"{name.lower()}.csv.gz"
    if csv.is_file():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="cp1252").replace("", None)
    frame = pd.read_sas(PILOT_XPT / f"{name.lower()}.xpt", format="xport", encoding="latin1")
    return frame.astype(object).where(frame.notna(), None)


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def normalise(values: pd.Series) -> pd.Series:
    """Values as comparable text: numbers without trailing zeros or float noise, blanks and NA as ""."""
    def one(value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, (int, float)):
            return format(float(value), ".12g")
        text = str(value).strip()
        return format(float(text), ".12g") if _NUMBER.match(text) else text
    return values.astype(object).map(one)


@dataclass
class DomainResult:
    name: str
    made: int
    expected: int
    matched: int
    in_scope: int  # expected records the comparison covers (all, or the raw-supported ones)
    shares: dict[str, float] = field(default_factory=dict)  # variable -> share identical
    missing: list[str] = field(default_factory=list)  # expected variables the build did not write
    extra: list[str] = field(default_factory=list)  # variables the build wrote that the expected lacks
    note: str = ""


def _ordered_occurrence(frame: pd.DataFrame, keys: list[str], others: list[str]) -> pd.Series:
    """Occurrence number of each record within its key, in the order of its other compared values."""
    order = frame.sort_values(keys + others, kind="mergesort").index
    occurrence = frame.loc[order].groupby(keys, sort=False, dropna=False).cumcount()
    return occurrence.reindex(frame.index)


def pair(ours: pd.DataFrame, expected: pd.DataFrame, keys: list[str], excused: set[str]) -> pd.DataFrame:
    """(our position, expected position) pairs of two normalised frames: by key and occurrence, then the
    leftovers by the key without its excused variables."""
    common = [c for c in expected.columns if c in ours.columns]
    if any(k not in common for k in keys):
        return pd.DataFrame(columns=["ours", "expected"], dtype=int)
    a = ours[common].assign(_pos=range(len(ours)))
    b = expected[common].assign(_pos=range(len(expected)))
    reduced = [k for k in keys if k not in excused]
    pieces = []
    for key in [keys] + ([reduced] if reduced and reduced != keys else []):
        done = pd.concat(pieces) if pieces else pd.DataFrame(columns=["ours", "expected"])
        left, right = a[~a["_pos"].isin(done["ours"])], b[~b["_pos"].isin(done["expected"])]
        others = [c for c in common if c not in key and c not in excused]
        left = left.assign(_n=_ordered_occurrence(left, key, others))
        right = right.assign(_n=_ordered_occurrence(right, key, others))
        joined = left.merge(right, on=[*key, "_n"], suffixes=("", "_e"))
        pieces.append(pd.DataFrame({"ours": joined["_pos"], "expected": joined["_pos_e"]}))
    return pd.concat(pieces, ignore_index=True).astype(int)


def compare(name: str, ours: pd.DataFrame, expected: pd.DataFrame, in_scope: pd.Series | None = None,
            note: str = "") -> DomainResult:
    """Pair records by key and measure, per expected variable, the share of identical values."""
    excused = {v for (d, v) in EXCUSED if d == name}
    mine = pd.DataFrame({c: normalise(ours[c]) for c in ours.columns}).reset_index(drop=True)
    theirs = pd.DataFrame({c: normalise(expected[c]) for c in expected.columns}).reset_index(drop=True)
    pairs = pair(mine, theirs, list(KEYS[name]), excused)
    scope = pd.Series(True, index=theirs.index) if in_scope is None else in_scope.reset_index(drop=True)
    pairs = pairs[scope.to_numpy()[pairs["expected"].to_numpy()]]
    denominator = len(pairs) if name in PARTIAL and len(pairs) else int(scope.sum())
    result = DomainResult(name, len(ours), len(expected), len(pairs), int(scope.sum()), note=note,
                          missing=[c for c in expected.columns if c not in ours.columns],
                          extra=[c for c in ours.columns if c not in expected.columns])
    for column in theirs.columns:
        e = theirs[column].to_numpy()[pairs["expected"].to_numpy()]
        o = mine[column].to_numpy()[pairs["ours"].to_numpy()] if column in mine.columns else [""] * len(pairs)
        result.shares[column] = int((e == o).sum()) / denominator if denominator else 1.0
    return result


def supported(name: str, expected: pd.DataFrame, raw_visits: set[tuple[str, float]] | None = None) -> pd.Series:
    """The expected records the raw data can give (EXCUSED_RECORDS), True elsewhere."""
    if name == "SV" and raw_visits is not None:
        keys = zip(expected["USUBJID"], pd.to_numeric(expected["VISITNUM"]))
        return pd.Series([k in raw_visits for k in keys], index=expected.index)
    if name in EXCUSED_RECORDS and name != "SV":
        return ~expected.eval(EXCUSED_RECORDS[name][0])
    return pd.Series(True, index=expected.index)


def raw_visits(vs: pd.DataFrame, ds: pd.DataFrame, ex: pd.DataFrame) -> set[tuple[str, float]]:
    """(USUBJID, VISITNUM) of every visit the expected VS, DS and EX (the raw-backed domains) record."""
    pairs = set()
    for frame in (vs, ds, ex):
        pairs |= set(zip(frame["USUBJID"], pd.to_numeric(frame["VISITNUM"])))
    return pairs


def table(results: list[DomainResult]) -> str:
    """The per-domain and per-variable table the benchmark prints."""
    lines = [f"{'dataset':8} {'made':>7} {'expected':>8} {'in scope':>8} {'matched':>7}"]
    for r in results:
        lines.append(f"{r.name:8} {r.made:7,} {r.expected:8,} {r.in_scope:8,} {r.matched:7,}"
                     + (f"  ({r.note})" if r.note else ""))
    lines.append("")
    lines.append(f"{'dataset':8} {'variable':9} {'identical':>9}  note")
    for r in results:
        for variable, share in r.shares.items():
            excuse = EXCUSED.get((r.name, variable))
            gap = ENGINE_GAPS.get((r.name, variable)) or GAP_DATASETS.get(r.name)
            flag = "" if share >= BAR else ("  excused: " + excuse if excuse else
                                            "  engine gap: " + gap if gap else "  BELOW THE BAR")
            missing = " (not written)" if variable in r.missing else ""
            lines.append(f"{r.name:8} {variable:9} {share:9.2%}{missing}{flag}")
    return "\n".join(lines)


def built_datasets(package: Path) -> dict[str, pd.DataFrame]:
    """Every SDTM XPT a build wrote into `package`, by dataset name (text as str, numbers as float)."""
    from formats.xpt import read_xpt

    folders = list(package.glob("m5/datasets/*/tabulations/sdtm"))
    if len(folders) != 1:
        raise FileNotFoundError(f"{package}: expected one m5/datasets/<study>/tabulations/sdtm folder, found "
                                f"{len(folders)}")
    return {path.stem.upper(): read_xpt(path, encoding="cp1252")[0] for path in sorted(folders[0].glob("*.xpt"))}


def compare_all(built: dict[str, pd.DataFrame]) -> list[DomainResult]:
    """Every compared dataset: the main domains, SUPP--, SV and trial design."""
    expected = {name: read_expected(name) for name in KEYS}
    visits = raw_visits(expected["VS"], expected["DS"], expected["EX"])
    results = []
    for name in KEYS:
        ours = built.get(name, pd.DataFrame(columns=list(KEYS[name])))
        scope = supported(name, expected[name], visits)
        note = EXCUSED_RECORDS[name][1] if name in EXCUSED_RECORDS and not scope.all() else ""
        results.append(compare(name, ours, expected[name], scope, note))
    return results
