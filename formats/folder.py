"""A folder of datasets (SAS XPORT v5, CSV, Dataset-JSON .json/.ndjson) read into one `Dataset` type.

Everything that reads a folder of datasets reads it here: `trialforge validate`, `trialforge adam` (SDTM
another tool made) and the define stage (the XPTs of a package folder). Every frame follows one
convention so its readers see one thing whatever the file was: text columns hold `str` with "" for a
missing value (XPT cannot tell "" from missing either), numeric columns hold float64 with NaN, column
names are upper case. `null_text=True` gives missing text as null instead, as derivations expect.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formats.datasetjson import read_dataset_json
from formats.xpt import read_xpt
from specs.errors import InputError, Problem

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".xpt", ".csv", ".json", ".ndjson")
_PREFERENCE = {".xpt": 0, ".json": 1, ".ndjson": 2, ".csv": 3}  # when one dataset comes in several formats
_EXPECTED = "a folder of dataset files (.xpt SAS XPORT v5, .csv, .json or .ndjson Dataset-JSON)"

# Without metadata (CSV) a column is read as numbers only when its name is a numeric variable of the
# standards and every value parses: SUBJID "001" must stay text.
_NUMERIC_NAME = re.compile(
    r"^(?:[A-Z]{2}SEQ|[A-Z]{2}(?:ST|EN)?DY|VISITNUM|VISITDY|AGE|[A-Z]{2}STRESN|[A-Z]{2}DOSE|TAETORD|"
    r"[A-Z]{2}STNR(?:LO|HI)|[A-Z]{2}[LU]LOQ|[A-Z]{2}TPTNUM|ASEQ|AVAL|BASE|CHG|PCHG|CNSR|SRCSEQ|A?DY|"
    r"[A-Z0-9]*DTM?|[A-Z0-9]*TM|[A-Z0-9]+N|[A-Z]{2}(?:LLT|PT|HLT|HLGT|BDSY|SOC)CD)$")
_JSON_NUMERIC = {"integer", "decimal", "float", "double"}


@dataclass(frozen=True)
class Column:
    """A variable as its file declared it (an XPT NAMESTR, a Dataset-JSON column; CSV declares names only)."""

    name: str
    label: str = ""
    type: str = ""  # "char", "num", or "" when the source does not say (CSV)
    length: int | None = None
    format: str = ""


@dataclass
class Dataset:
    """One dataset: its values and what its file said about them.

    `standard` ("SDTM"/"ADaM"), `dataset_class` and `domain` are not in the files; whoever knows them
    fills them (validation from the name or define.xml)."""

    name: str
    frame: pd.DataFrame
    label: str = ""
    columns: dict[str, Column] = field(default_factory=dict)  # metadata as the file declared it
    file: Path | None = None
    file_format: str = "memory"  # "xpt", "csv", "json", "ndjson", or "memory" for a frame given in code
    size_bytes: int | None = None
    standard: str = ""
    dataset_class: str = ""
    domain: str = ""

    @property
    def prefix(self) -> str:
        """What `--` stands for in variable names: the two-letter domain code, else nothing."""
        return self.domain if len(self.domain) == 2 else ""


def load_folder(folder: str | Path, *, suffixes: Sequence[str] = DATA_SUFFIXES, encoding: str | None = None,
                empty_ok: bool = True, null_text: bool = False,
                names: Collection[str] | None = None) -> dict[str, Dataset]:
    """Every dataset file directly in `folder` (of the given `suffixes`), by upper-case dataset name. One
    file per dataset: when a dataset comes in several formats the XPT wins (then JSON, then CSV) and the
    others are logged. Files named define* are not data.

    `encoding`: of XPT text; None reads ASCII and, where a file holds a non-ASCII byte, Windows-1252 (so
    the value can be shown and reported). A folder that does not exist is an InputError; so is one without
    dataset files unless `empty_ok`. Files that cannot be read are one InputError naming each file. `names`:
    read only the datasets of these (upper-case) names, when the folder has them."""
    folder = Path(folder)
    expected = _EXPECTED if tuple(suffixes) == DATA_SUFFIXES else f"a folder of {', '.join(suffixes)} files"
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
        if not path.is_file() or suffix not in suffixes or path.name.lower().startswith("define"):
            continue
        name = path.stem.upper()
        if name in chosen:
            keep, drop = sorted((chosen[name], path), key=lambda p: _PREFERENCE[p.suffix.lower()])
            log.info("%s: dataset %s also in %s; reading %s", folder, name, drop.name, keep.name)
            chosen[name] = keep
        else:
            chosen[name] = path
    if not chosen and empty_ok:
        log.warning("%s: no dataset files (%s)", folder, ", ".join(suffixes))
    elif not chosen:
        others = [p.name for p in entries if not p.name.startswith(".")]
        found = (f"it holds {len(others)} other file(s), e.g. {', '.join(others[:5])}" if others
                 else "it is empty")
        raise InputError(f"{folder}: no dataset files to read", [Problem(
            str(folder), f"{found}; expected {expected} (files named define* are not read as data)")])
    if names is not None:
        chosen = {name: path for name, path in chosen.items() if name in names}
    datasets: dict[str, Dataset] = {}
    problems: list[Problem] = []
    for path in chosen.values():
        try:
            dataset = read_dataset(path, encoding=encoding, null_text=null_text)
        except InputError as exc:
            problems.extend(exc.problems or [Problem(str(path), str(exc).removeprefix(f"{path}: "))])
            continue
        datasets[dataset.name] = dataset
    if problems:
        raise InputError(f"{len(problems)} dataset file(s) in {folder} cannot be read", problems)
    log.info("loaded %d datasets from %s", len(datasets), folder)
    return datasets


def read_dataset(path: str | Path, *, encoding: str | None = None, null_text: bool = False) -> Dataset:
    """One dataset file (.xpt, .csv, .json, .ndjson); a file that cannot be read is an InputError naming it."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xpt":
            dataset = _read_xpt(path, encoding)
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
    if null_text:
        dataset.frame = blank_text_as_null(dataset.frame)
    return dataset


def normalize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One convention for all frames: text as `str` with "" for missing, numbers as float64 with NaN.

    A column of Python objects is numeric when every non-missing value is a number (bool excluded).
    The input frame is not changed.
    """
    if _already_normal(frame):  # what read_xpt gives: spared a copy of every column (copy-on-write shares them)
        out = frame.copy(deep=False)
        out.attrs = dict(frame.attrs)
        return out
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        columns[str(name).upper()] = normalize_series(series)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    out.attrs.update(frame.attrs)
    return out


def _already_normal(frame: pd.DataFrame) -> bool:
    """Upper-case unique names, a 0..n-1 index, and only float64 and missing-free text columns."""
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        return False
    names = list(frame.columns)
    if not all(isinstance(n, str) and n == n.upper() for n in names) or len(set(names)) != len(names):
        return False
    for _, series in frame.items():
        if series.dtype == np.float64:
            continue
        if not isinstance(series.dtype, pd.StringDtype) or series.hasnans:
            return False
    return True


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


def blank_text_as_null(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing and all-blank text as null (XPT and CSV cannot tell "" from missing; derivations expect null)."""
    text = frame.select_dtypes(exclude="number").columns
    return frame.assign(**{c: frame[c].mask(frame[c].astype("str").str.strip() == "") for c in text})


def numeric_if_all_parse(values: pd.Series) -> pd.Series:
    """The column as numbers when every non-empty value parses as one; otherwise unchanged."""
    text = values.astype("str")
    filled = text != ""
    numbers = pd.to_numeric(text.where(filled), errors="coerce")
    if (numbers.notna() == filled).all():
        return numbers.astype("float64")
    return values


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- one reader per format ----------------------------------------------------------------------------------

def _read_xpt(path: Path, encoding: str | None) -> Dataset:
    if encoding is not None:
        frame, meta = read_xpt(path, encoding=encoding)
    else:
        try:
            frame, meta = read_xpt(path)
        except (InputError, UnicodeDecodeError):
            # A non-ASCII byte: read it as Windows-1252 so a rule can point at the value.
            frame, meta = read_xpt(path, encoding="cp1252")
    columns = {c.name.upper(): Column(c.name.upper(), c.label, c.type, c.length, c.format) for c in meta.columns}
    return Dataset(name=(meta.name or path.stem).upper(), frame=normalize_frame(frame), label=meta.label,
                   columns=columns)


def _read_csv(path: Path) -> Dataset:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame.columns = [str(c).upper() for c in frame.columns]
    for name in frame.columns:
        if _NUMERIC_NAME.match(name):
            frame[name] = numeric_if_all_parse(frame[name])
    return Dataset(name=path.stem.upper(), frame=normalize_frame(frame))


def _read_dataset_json(path: Path) -> Dataset:
    """CDISC Dataset-JSON 1.1 through `formats.datasetjson`, which refuses what is not Dataset-JSON (rows of
    the wrong length, text in a float column, NaN, ...) naming the file, row, column and value."""
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
