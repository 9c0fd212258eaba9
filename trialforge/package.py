"""The submission package: eCTD folder layout, spec metadata applied once, datasets written as XPT v5.

Derivations never set metadata. Here, just before writing, the spec's Variables sheet decides each
dataset's variable order, types, labels and display formats (xportr's lesson): the same metadata then
reaches the XPT headers and define.xml. Character lengths are the longest value in bytes (FDA wants
lengths trimmed to the data); a variable the data has but the spec does not describe is not written
and is reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from formats.sasdates import sas_date, sas_datetime
from formats.xpt import XptColumn
from specs.errors import Problem

log = logging.getLogger(__name__)

NUMERIC_TYPES = frozenset({"integer", "float"})
DATE_TYPES = {"date": "DATE9.", "datetime": "DATETIME20.", "time": "TIME8."}


def sdtm_dir(studyid: str) -> Path:
    return Path("m5") / "datasets" / studyid / "tabulations" / "sdtm"


def adam_dir(studyid: str) -> Path:
    return Path("m5") / "datasets" / studyid / "analysis" / "adam" / "datasets"


PROVENANCE = ("__file", "__row")  # the raw file and row of each SDTM record, until it is written


@dataclass(frozen=True)
class Conformed:
    frame: pd.DataFrame
    columns: tuple  # formats.xpt.XptColumn per variable, in spec order
    label: str
    problems: tuple[Problem, ...]
    provenance: pd.DataFrame | None = None  # __file/__row per record of `frame` (same positions), when known


def conform_to_spec(frame: pd.DataFrame, spec, dataset: str, numeric_dates: bool = False) -> Conformed:
    """Order, type and label `frame` as the spec describes `dataset`.

    `numeric_dates`: date/datetime/time variables are SAS numbers with a display format (ADaM); in SDTM
    they are ISO 8601 text (--DTC). Hidden columns (`__file`, `__row`, ...) are not written; the
    provenance columns are kept beside the frame (`Conformed.provenance`) so that a value the XPT cannot
    hold is reported with the raw file and row it came from.
    """
    problems: list[Problem] = []
    variables = spec.variables_of(dataset)
    described = {v.name for v in variables}
    # an undescribed column without a value loses nothing (e.g. ADPC's ATPT in a study without time points)
    extra = [c for c in frame.columns if not c.startswith("__") and c not in described and frame[c].notna().any()]
    for name in extra:
        problems.append(Problem(spec.source, f"{dataset}.{name} is in the data but not in the spec; not written",
                                sheet="Variables", column=name))
    out = pd.DataFrame(index=frame.index)
    columns = []
    for variable in variables:
        values = frame[variable.name] if variable.name in frame.columns else pd.Series(
            [None] * len(frame), index=frame.index, dtype=object)
        fmt = variable.display_format or ""
        if pd.api.types.is_datetime64_any_dtype(values):  # a date in the data: a SAS date or datetime number
            as_datetime = variable.data_type == "datetime" or "DATETIME" in fmt.upper()
            values = sas_datetime(values) if as_datetime else sas_date(values)
            fmt = fmt or ("DATETIME20." if as_datetime else "DATE9.")
            kind = "num"
        elif variable.data_type in NUMERIC_TYPES:
            values = _numeric(values, dataset, variable.name, spec, problems)
            kind = "num"
        elif numeric_dates and variable.data_type in DATE_TYPES:
            values = sas_datetime(values) if variable.data_type == "datetime" else (
                sas_date(values) if variable.data_type == "date" else _numeric(values, dataset, variable.name, spec,
                                                                               problems))
            fmt = fmt or DATE_TYPES[variable.data_type]
            kind = "num"
        else:
            values = _text(values)
            kind = "char"
        out[variable.name] = values
        columns.append(XptColumn(name=variable.name, label=variable.label or "", type=kind, format=fmt))
    label = spec.dataset(dataset).label or "" if spec.has_dataset(dataset) else ""
    known = [c for c in PROVENANCE if c in frame.columns]
    provenance = frame[known].reset_index(drop=True) if PROVENANCE[0] in known else None
    return Conformed(out.reset_index(drop=True), tuple(columns), label, tuple(problems), provenance)


def _numeric(values: pd.Series, dataset: str, name: str, spec, problems: list[Problem]) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)  # nothing to lose (and no text copy of a million numbers to make)
    number = pd.to_numeric(values, errors="coerce").astype(float)
    lost = values.notna() & number.isna()
    lost[lost] = values[lost].astype(str).str.strip().ne("")
    if lost.any():
        sample = values[lost].astype(str).unique()[:3]
        problems.append(Problem(spec.source, f"{dataset}.{name} is numeric in the spec but holds text "
                                             f"{list(sample)} in {int(lost.sum())} record(s); written as missing",
                                sheet="Variables", column=name))
    return number


def _text(values: pd.Series) -> pd.Series:
    """Text as pandas `str` (missing stays missing); numbers as plain decimal text."""
    if pd.api.types.is_float_dtype(values):
        values = values.map(lambda v: None if pd.isna(v) else np.format_float_positional(v, trim="-"))
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        values = values.map(lambda v: None if pd.isna(v) else str(v))
    return values.astype("str")


def write_dataset(conformed: Conformed, path: Path, name: str, *, root: Path | None = None) -> None:
    """Write `conformed` as the XPT file `path`.

    A value XPORT v5 cannot hold (text over 200 bytes, a character the encoding lacks, a control
    character such as NUL) raises ExportError naming the dataset, variable, record, value and, when the
    frame carried provenance, the raw file and row. The file is named by its path inside the package
    (`root`, or else the staging folder `path` lies in: it is gone once the build has failed).
    """
    from formats.xpt import write_xpt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xpt(conformed.frame, path, name=name, label=conformed.label, columns=conformed.columns,
              origin=raw_origin(conformed.provenance), shown_as=package_path(path, root))


def package_path(path: Path, root: Path | None = None) -> str:
    """`path` relative to the package: to `root` when given, else to the staging folder holding it
    (marked by trialforge.publish), else as given."""
    from trialforge.publish import STAGING_MARKER

    path = Path(path)
    if root is None:
        root = next((p for p in path.parents if (p / STAGING_MARKER).is_file()), None)
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def raw_origin(provenance: pd.DataFrame | None):
    """position -> "raw file ae.csv, row 12" for records whose provenance is known (None otherwise)."""
    if provenance is None or PROVENANCE[0] not in provenance.columns:
        return None
    files = provenance[PROVENANCE[0]]
    rows = provenance[PROVENANCE[1]] if PROVENANCE[1] in provenance.columns else None

    def origin(position: int) -> str | None:
        file = files.iloc[position] if position < len(files) else None
        if _blank(file):
            return None
        row = rows.iloc[position] if rows is not None else None
        return f"raw file {file}" if _blank(row) else f"raw file {file}, row {_whole(row)}"

    return origin


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


def _whole(value) -> str:
    """12 for 12, 12.0 or "12"; anything else as it is."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)
