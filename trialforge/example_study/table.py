"""Form records -> the fixed CSV layout of `forms.py`: EDC context columns, then the CRF fields, all text."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trialforge.example_study.forms import CONTEXT_COLUMNS, FORMS_BY_OID, Form, columns
from trialforge.example_study.timeline import SITE, STUDY_ID

LOG_INSTANCE = "Log"


class FormRows:
    """Records of one form collected one at a time (for the forms simulated subject by subject)."""

    def __init__(self, oid: str):
        self.form: Form = FORMS_BY_OID[oid]
        self.fields = tuple(f.name for f in self.form.fields)
        self._known = frozenset(self.fields)
        self._context: list[tuple[str, str, str, int]] = []
        self._values: list[Sequence[str]] = []

    def add(self, subject: str, folder: str, instance: str, position: int, values: Mapping[str, str]) -> None:
        if not values.keys() <= self._known:
            raise KeyError(f"{self.form.oid} has no fields {sorted(set(values) - self._known)}")
        self._context.append((subject, folder, instance, position))
        get = values.get
        self._values.append([get(f, "") for f in self.fields])

    def __len__(self) -> int:
        return len(self._values)

    def frame(self) -> pd.DataFrame:
        context = list(zip(*self._context)) if self._context else [(), (), (), ()]
        data = {f: [row[k] for row in self._values] for k, f in enumerate(self.fields)}
        return form_frame(self.form, np.array(context[0], dtype=object), np.array(context[1], dtype=object),
                          np.array(context[2], dtype=object), np.asarray(context[3], dtype=np.int64), data)


def form_frame(form: Form, subject, folder, instance, position, data: Mapping[str, object]) -> pd.DataFrame:
    """A form's frame in file column order; scalars broadcast, numbers become text, missing becomes ""."""
    n = len(subject)
    cols: dict[str, object] = {
        "Project": np.full(n, STUDY_ID, dtype=object),
        "SiteNumber": np.full(n, SITE, dtype=object),
        "Subject": subject,
        "Folder": _broadcast(folder, n),
        "InstanceName": _broadcast(instance, n),
        "DataPageName": np.full(n, form.page_name, dtype=object),
        "RecordPosition": np.asarray(position).astype(str).astype(object) if n else np.array([], dtype=object),
    }
    for f in form.fields:
        cols[f.name] = _broadcast(data.get(f.name, ""), n)
    frame = pd.DataFrame(cols, columns=list(columns(form)), dtype=object)
    assert tuple(frame.columns) == CONTEXT_COLUMNS + tuple(f.name for f in form.fields)
    return frame


def _broadcast(value, n: int) -> np.ndarray:
    if isinstance(value, str):
        return np.full(n, value, dtype=object)
    arr = np.asarray(value, dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"column of {arr.shape} values for {n} records")
    return arr


def write_form(out_dir: Path, form: Form, frame: pd.DataFrame) -> tuple[str, int, str]:
    """Write `<oid>.csv` (UTF-8, "\\n" line ends, quotes only where needed); returns (file, rows, sha256)."""
    name = f"{form.oid.lower()}.csv"
    header = _csv_column(list(frame.columns))
    cells = [_csv_column(frame[c].tolist()) for c in frame.columns]  # every value is already str
    lines = [",".join(header)] + list(map(",".join, zip(*cells)))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (Path(out_dir) / name).write_bytes(data)
    return name, len(frame), hashlib.sha256(data).hexdigest()


_SPECIAL = (",", '"', "\n", "\r")


def _csv_column(values: list[str]) -> list[str]:
    """RFC 4180 minimal quoting; checked once per column since almost no value needs quotes."""
    joined = "\x00".join(values)
    if not any(ch in joined for ch in _SPECIAL):
        return values
    return [('"' + v.replace('"', '""') + '"') if any(ch in v for ch in _SPECIAL) else v for v in values]


class Planted:
    """Where each planted data problem landed: a count and the first few examples per issue."""

    def __init__(self, issue_ids, max_examples: int = 20):
        self.max_examples = max_examples
        self.count = {i: 0 for i in issue_ids}
        self.examples: dict[str, list[dict]] = {i: [] for i in issue_ids}

    def add(self, issue: str, example: dict) -> None:
        self.count[issue] += 1
        if len(self.examples[issue]) < self.max_examples:
            self.examples[issue].append(example)

    def add_rows(self, issue: str, oid: str, frame: pd.DataFrame, mask, *fields: str) -> None:
        """Every record of `frame` under `mask` is an instance of `issue` (examples keep a few fields)."""
        mask = np.asarray(mask, dtype=bool)
        self.count[issue] += int(mask.sum())
        room = self.max_examples - len(self.examples[issue])
        if room <= 0:
            return
        hit = frame[mask].head(room)
        for record in hit[["Subject", "Folder", *fields]].to_dict("records"):
            self.examples[issue].append({"form": oid, "subject": record.pop("Subject"), **record})
