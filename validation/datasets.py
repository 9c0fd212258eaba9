"""Load the datasets to validate: a folder of XPT, CSV or Dataset-JSON files, or frames already in memory.

Every frame is normalised the same way so operators see one convention: text columns hold `str` with ""
for a missing value (XPT cannot tell "" from missing either), numeric columns hold float64 with NaN.
Each dataset knows its standard (SDTM or ADaM), class and domain; define.xml, when given, overrides the
guesses made from the name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specs.errors import InputError, Problem

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".xpt", ".csv", ".json", ".ndjson")
_PREFERENCE = {".xpt": 0, ".json": 1, ".ndjson": 2, ".csv": 3}  # when one dataset comes in several formats

# SDTMIG classes of the domains we may meet; anything else falls back to the dataset's define class or "".
SDTM_CLASSES: dict[str, tuple[str, ...]] = {
    "FINDINGS": ("BS", "CP", "CV", "DA", "DD", "EG", "FA", "FT", "GF", "IE", "IS", "LB", "MB", "MI", "MK", "MS",
                 "NV", "OE", "PC", "PE", "PP", "QS", "RE", "RP", "RS", "SC", "SR", "SS", "TR", "TU", "UR", "VS"),
    "EVENTS": ("AE", "BE", "CE", "DS", "DV", "HO", "MH"),
    "INTERVENTIONS": ("AG", "CM", "EC", "EX", "ML", "PR", "SU"),
    "SPECIAL PURPOSE": ("CO", "DM", "SE", "SM", "SV"),
    "TRIAL DESIGN": ("TA", "TD", "TE", "TI", "TM", "TS", "TV"),
    "RELATIONSHIP": ("RELREC", "RELSPEC", "RELSUB"),
}
_CLASS_OF_DOMAIN = {domain: cls for cls, domains in SDTM_CLASSES.items() for domain in domains}
ADSL_CLASS = "SUBJECT LEVEL ANALYSIS DATASET"
BDS_CLASS = "BASIC DATA STRUCTURE"
OCCDS_CLASS = "OCCURRENCE DATA STRUCTURE"

# Without define.xml a CSV column is read as numbers only when its name is a numeric variable of the
# standards and every value parses: SUBJID "001" must stay text.
_NUMERIC_NAME = re.compile(
    r"^(?:[A-Z]{2}SEQ|[A-Z]{2}(?:ST|EN)?DY|VISITNUM|VISITDY|AGE|[A-Z]{2}STRESN|[A-Z]{2}DOSE|TAETORD|"
    r"[A-Z]{2}STNR(?:LO|HI)|[A-Z]{2}[LU]LOQ|[A-Z]{2}TPTNUM|ASEQ|AVAL|BASE|CHG|PCHG|CNSR|SRCSEQ|A?DY|"
    r"[A-Z0-9]*DTM?|[A-Z0-9]*TM|[A-Z0-9]+N|[A-Z]{2}(?:LLT|PT|HLT|HLGT|BDSY|SOC)CD)$")


@dataclass(frozen=True)
class Column:
    name: str
    label: str = ""
    type: str = ""  # "char", "num", or "" when the source does not say (CSV)
    length: int | None = None
    format: str = ""


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame
    label: str = ""
    columns: dict[str, Column] = field(default_factory=dict)  # metadata as the file declared it
    file: Path | None = None
    file_format: str = "memory"
    size_bytes: int | None = None
    standard: str = ""  # "SDTM" or "ADaM"
    dataset_class: str = ""
    domain: str = ""

    @property
    def prefix(self) -> str:
        """What `--` stands for in variable names: the two-letter domain code, else nothing."""
        return self.domain if len(self.domain) == 2 else ""


def load_folder(folder: str | Path, *, empty_ok: bool = True) -> dict[str, Dataset]:
    """Every dataset file directly in `folder`, by upper-case dataset name. One file per dataset: when a
    dataset comes in several formats the XPT wins (then JSON, then CSV) and the others are logged.

    A folder that does not exist is an InputError; so is one without dataset files unless `empty_ok`
    (validation asks for at least one: "0 findings" about no data would be a silent wrong result)."""
    folder = Path(folder)
    expected = "a folder of dataset files (.xpt SAS XPORT v5, .csv, .json or .ndjson Dataset-JSON)"
    if not folder.exists():
        raise InputError(f"{folder}: no such folder", [Problem(str(folder), f"it does not exist; expected {expected}")])
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder", [Problem(str(folder), f"it is a file; expected {expected}")])
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot be read", [Problem(str(folder), exc.strerror or str(exc))]) from None
    chosen: dict[str, Path] = {}
    for path in entries:
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in DATA_SUFFIXES or path.name.lower().startswith("define"):
            continue
        name = path.stem.upper()
        if name in chosen:
            keep, drop = sorted((chosen[name], path), key=lambda p: _PREFERENCE[p.suffix.lower()])
            log.info("%s: dataset %s also in %s; validating %s", folder, name, drop.name, keep.name)
            chosen[name] = keep
        else:
            chosen[name] = path
    if not chosen and empty_ok:
        log.warning("%s: no dataset files (.xpt, .csv, .json, .ndjson)", folder)
    elif not chosen:
        others = [p.name for p in entries if not p.name.startswith(".")]
        found = (f"it holds {len(others)} other file(s), e.g. {', '.join(others[:5])}" if others
                 else "it is empty")
        raise InputError(f"{folder}: no dataset files to read", [Problem(
            str(folder), f"{found}; expected {expected} (files named define* are not read as data)")])
    datasets: dict[str, Dataset] = {}
    problems: list[Problem] = []
    for name, path in chosen.items():
        try:
            dataset = read_dataset(path)
        except InputError as exc:
            problems.extend(exc.problems or [Problem(str(path), str(exc).removeprefix(f"{path}: "))])
            continue
        datasets[dataset.name] = dataset
    if problems:
        raise InputError(f"{len(problems)} dataset file(s) in {folder} cannot be read", problems)
    log.info("loaded %d datasets from %s", len(datasets), folder)
    return datasets


def read_dataset(path: str | Path) -> Dataset:
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xpt":
            dataset = _read_xpt(path)
        elif suffix == ".csv":
            dataset = _read_csv(path)
        elif suffix in (".json", ".ndjson"):
            dataset = _read_dataset_json(path)
        else:
            raise InputError(f"{path}: not a dataset file (expected {', '.join(DATA_SUFFIXES)})")
    except InputError:
        raise
    except Exception as exc:  # a reader failing on a malformed file: report the file, keep the cause
        raise InputError(f"{path}: cannot be read", [Problem(str(path), f"{type(exc).__name__}: {exc}")]) from exc
    dataset.file = path
    dataset.file_format = suffix.lstrip(".")
    dataset.size_bytes = path.stat().st_size
    return classify(dataset)


def datasets_from_frames(frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str] | None = None) -> dict[
        str, Dataset]:
    """Wrap in-memory frames (e.g. a build's results or a test's records) as datasets."""
    out = {}
    for name, frame in frames.items():
        dataset = Dataset(name=name.upper(), frame=normalize_frame(frame), label=(labels or {}).get(name, ""))
        out[dataset.name] = classify(dataset)
    return out


def classify(dataset: Dataset, define_class: str = "", define_standard: str = "") -> Dataset:
    """Fill standard, class and domain from the name and columns, unless define.xml said otherwise."""
    name = dataset.name
    frame = dataset.frame
    if define_standard:
        dataset.standard = define_standard
    elif not dataset.standard:
        dataset.standard = "ADaM" if name.startswith("AD") else "SDTM"
    if dataset.standard == "ADaM":
        dataset.domain = name
        if name == "ADSL":
            guessed = ADSL_CLASS
        elif "PARAMCD" in frame.columns:
            guessed = BDS_CLASS
        else:
            guessed = OCCDS_CLASS
    else:
        if name.startswith("SUPP") or name in ("RELREC", "RELSPEC", "RELSUB"):
            dataset.domain = name
            guessed = "RELATIONSHIP"
        else:
            domain = name[:2]
            if "DOMAIN" in frame.columns and len(frame):
                first = str(frame["DOMAIN"].iloc[0])
                domain = first if len(first) == 2 and name.startswith(first) else domain
            dataset.domain = domain
            guessed = _CLASS_OF_DOMAIN.get(domain, "")
    dataset.dataset_class = (define_class or dataset.dataset_class or guessed).upper()
    return dataset


def normalize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One convention for all frames: text as `str` with "" for missing, numbers as float64 with NaN.

    A column of Python objects is numeric when every non-missing value is a number (bool excluded).
    The input frame is not changed.
    """
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        columns[str(name).upper()] = normalize_series(series)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    out.attrs.update(frame.attrs)
    return out


def normalize_series(series: pd.Series) -> pd.Series:
    values = series.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "Y", False: "N"}).fillna("").astype("str")  # missing (boolean NA) as ""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%dT%H:%M:%S").str.replace("T00:00:00", "", regex=False).fillna("")
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("") if values.hasnans else values
    present = values[values.notna()]
    if len(present) and present.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(
            v, (bool, np.bool_))).all():
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return values.map(_text, na_action="ignore").fillna("").astype("str")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- readers ---------------------------------------------------------------------------------------------

def _read_xpt(path: Path) -> Dataset:
    try:
        from formats.xpt import read_xpt  # the project's own reader, when installed alongside
    except ImportError:  # validation also runs where only this package is present
        return _read_xpt_pyreadstat(path)
    try:
        frame, meta = read_xpt(path)
    except (InputError, UnicodeDecodeError):
        # A non-ASCII byte: read it as Windows-1252 so the non-ASCII rule can point at the value.
        frame, meta = read_xpt(path, encoding="cp1252")
    columns = {c.name.upper(): Column(c.name.upper(), c.label, c.type, c.length, c.format) for c in meta.columns}
    return Dataset(name=(meta.name or path.stem).upper(), frame=normalize_frame(frame), label=meta.label,
                   columns=columns)


def _read_xpt_pyreadstat(path: Path) -> Dataset:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_xport(str(path))
    except UnicodeDecodeError:
        frame, meta = pyreadstat.read_xport(str(path), encoding="cp1252")
    labels = dict(zip(meta.column_names, meta.column_labels or [""] * len(meta.column_names)))
    columns = {}
    for name in meta.column_names:
        kind = "num" if meta.readstat_variable_types.get(name) == "double" else "char"
        columns[name.upper()] = Column(name.upper(), labels.get(name) or "", kind,
                                       meta.variable_storage_width.get(name),
                                       meta.original_variable_types.get(name, ""))
    return Dataset(name=(meta.table_name or path.stem).upper(), frame=normalize_frame(frame),
                   label=meta.file_label or "", columns=columns)


def _read_csv(path: Path) -> Dataset:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame.columns = [str(c).upper() for c in frame.columns]
    for name in frame.columns:
        if _NUMERIC_NAME.match(name):
            frame[name] = numeric_if_all_parse(frame[name])
    return Dataset(name=path.stem.upper(), frame=normalize_frame(frame))


def numeric_if_all_parse(values: pd.Series) -> pd.Series:
    """The column as numbers when every non-empty value parses as one; otherwise unchanged."""
    text = values.astype("str")
    filled = text != ""
    numbers = pd.to_numeric(text.where(filled), errors="coerce")
    if (numbers.notna() == filled).all():
        return numbers.astype("float64")
    return values


_JSON_NUMERIC = {"integer", "decimal", "float", "double"}


def _read_dataset_json(path: Path) -> Dataset:
    """CDISC Dataset-JSON 1.1: metadata with `columns` (and `rows`), or NDJSON with metadata on line 1.

    Read by trialforge's one Dataset-JSON reader, which refuses what is not Dataset-JSON (rows of the
    wrong length, text in a float column, a number in a string column, NaN, ...) with an InputError
    naming the file, row, column and value: nothing is coerced to missing on the way in."""
    from formats.datasetjson import read_dataset_json  # the I/O edge; same distribution

    frame, meta = read_dataset_json(path, blank_missing_text=True)
    columns = {}
    for spec in meta["columns"]:
        name = str(spec["name"]).upper()
        numeric = spec.get("dataType") in _JSON_NUMERIC or spec.get("targetDataType") in ("integer", "decimal")
        length = spec.get("length")
        columns[name] = Column(name, str(spec.get("label") or ""), "num" if numeric else "char",
                               length if isinstance(length, int) and not isinstance(length, bool) else None,
                               str(spec.get("displayFormat") or ""))
    label = meta.get("label")
    return Dataset(name=str(meta.get("name") or path.stem).upper(), frame=normalize_frame(frame),
                   label=label if isinstance(label, str) else "", columns=columns)
