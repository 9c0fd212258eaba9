"""Reading a study folder of raw EDC extracts: one CSV per CRF form, every value kept as text.

Each frame carries its provenance in two columns, `__file` (the CSV's name) and `__row` (the line
number a text editor shows for that record, header = line 1), so every SDTM record can point back
to the raw record it came from.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from specs.errors import InputError, Problem

log = logging.getLogger(__name__)

PROVENANCE_FILE = "__file"
PROVENANCE_ROW = "__row"


@dataclass(frozen=True)
class RawForm:
    oid: str
    path: Path
    frame: "object"  # pandas.DataFrame; typed loosely to keep pandas out of CLI start-up

    @property
    def rows(self) -> int:
        return len(self.frame)


def form_path(study_dir: Path, oid: str) -> Path:
    return Path(study_dir) / f"{oid.lower()}.csv"


def read_raw_study(study_dir: Path, required: Mapping[str, Iterable[str]]) -> dict[str, RawForm]:
    """Read every form named in `required` (form OID -> fields the spec maps from it).

    All problems (missing folder, missing file, missing columns, unreadable text) are reported at
    once in one InputError, each naming file, row and column.
    """
    import pandas as pd

    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise InputError(f"study folder {study_dir} does not exist or is not a folder")
    problems: list[Problem] = []
    forms: dict[str, RawForm] = {}
    for oid in sorted(required):
        path = form_path(study_dir, oid)
        if not path.is_file():
            problems.append(Problem(str(path), f"raw extract of form {oid} is missing (the spec maps from it)"))
            continue
        try:
            header = _header(path)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), f"not UTF-8 text: byte {exc.start} cannot be decoded"))
            continue
        except (pd.errors.ParserError, csv.Error, pd.errors.EmptyDataError) as exc:
            problems.append(Problem(str(path), f"not a readable CSV file: {exc}"))
            continue
        missing = [f for f in dict.fromkeys(required[oid]) if f and f not in header]
        for field_name in missing:
            problems.append(Problem(str(path), "column is missing; the spec maps from it", row=1,
                                    column=field_name))
        duplicated = sorted({c for c in header if header.count(c) > 1})
        for column in duplicated:
            problems.append(Problem(str(path), "column name appears more than once", row=1, column=column))
        if missing or duplicated:
            continue
        frame[PROVENANCE_FILE] = path.name
        frame[PROVENANCE_ROW] = range(2, len(frame) + 2)
        forms[oid] = RawForm(oid=oid, path=path, frame=frame)
        log.debug("read %s: %d rows", path.name, len(frame))
    if problems:
        raise InputError(f"the raw extracts in {study_dir} cannot be used as they are", problems)
    return forms


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            raise InputError(f"{path}: the file is empty; expected a header row of column names") from None


def unread_forms(study_dir: Path, read: Iterable[str]) -> list[str]:
    """CSV files in the study folder that no spec mapping reads: reported so nothing is lost silently."""
    known = {f"{oid.lower()}.csv" for oid in read}
    return sorted(p.name for p in Path(study_dir).glob("*.csv") if p.name not in known)
