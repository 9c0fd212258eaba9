"""`trialforge diff OLD NEW`: what changed between two packages, dataset by dataset.

Records are matched by the key variables define.xml states (KeySequence), else those of the spec exported
in audit/specs, else by USUBJID and --SEQ;
a key value shared by several records is told apart by its occurrence. For each dataset: records
added, removed and changed (variable, old, new); metadata (dataset label, variables added or removed,
their labels, types and lengths as the files declare them, their codelists as define.xml states);
conformance findings new and resolved, matched by rule, dataset, subject, variables and values (not by
row number, which shifts when a record is added). The rendering is in `trialforge.diff_report`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from formats.folder import Dataset, load_folder
from specs.errors import InputError
from trialforge.verify import read_manifest

FINDINGS = "audit/validation/validation-report.json"
_OCCURRENCE = "__occurrence__"


@dataclass
class DatasetDiff:
    name: str
    keys: tuple[str, ...] = ()
    key_source: str = ""  # "define.xml" or "USUBJID/--SEQ fallback"
    old_records: int | None = None  # None: the dataset is not in OLD
    new_records: int | None = None
    added: list[dict[str, Any]] = field(default_factory=list)  # each a record's key
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # {"key": {...}, "changes": [[var, old, new]]}
    metadata: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.metadata
                    or self.old_records is None or self.new_records is None)


@dataclass
class PackageDiff:
    old: str
    new: str
    datasets: list[DatasetDiff]
    findings_new: list[dict[str, Any]] = field(default_factory=list)
    findings_resolved: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(d.differs for d in self.datasets) or bool(self.findings_new or self.findings_resolved)


@dataclass
class _Side:
    datasets: dict[str, Dataset]
    defines: dict[str, Any]  # dataset name -> the Define that describes it
    spec_keys: dict[str, tuple[str, ...]]  # dataset name -> Key Variables of the spec exported in audit/specs


def diff_packages(old: Path, new: Path) -> PackageDiff:
    sides = [_load(Path(p)) for p in (old, new)]
    names = sorted(set(sides[0].datasets) | set(sides[1].datasets))
    result = PackageDiff(str(old), str(new), [diff_dataset(n, *sides) for n in names])
    findings = [_findings(Path(p)) for p in (old, new)]
    if findings[0] is None or findings[1] is None:
        result.notes.append("findings not compared: " + " and ".join(
            f"{p} has no {FINDINGS}" for p, f in zip((old, new), findings) if f is None))
    else:
        result.findings_new = _multiset_minus(findings[1], findings[0])
        result.findings_resolved = _multiset_minus(findings[0], findings[1])
    return result


def diff_dataset(name: str, old: _Side, new: _Side) -> DatasetDiff:
    before, after = old.datasets.get(name), new.datasets.get(name)
    result = DatasetDiff(name, old_records=None if before is None else len(before.frame),
                         new_records=None if after is None else len(after.frame))
    if before is None or after is None:
        return result
    result.keys, result.key_source = _keys(name, new, after.frame, before.frame)
    result.metadata = _metadata(name, before, after, old, new)
    common = [c for c in before.frame.columns if c in after.frame.columns]
    keys = [*result.keys, _OCCURRENCE]
    left, right = (_numbered(_readable(d)[common], result.keys) for d in (before, after))
    for key in result.keys:  # a key whose type changed is matched as text
        if left[key].dtype != right[key].dtype:
            left[key], right[key] = left[key].astype("string"), right[key].astype("string")
    merged = left.merge(right, on=keys, how="outer", suffixes=("@old", "@new"), indicator=True)
    shown = [k for k in keys if k != _OCCURRENCE or merged[_OCCURRENCE].max() > 0]
    result.removed = [_key(row, shown) for _, row in merged[merged["_merge"] == "left_only"].iterrows()]
    result.added = [_key(row, shown) for _, row in merged[merged["_merge"] == "right_only"].iterrows()]
    both = merged[merged["_merge"] == "both"]
    values = [c for c in common if c not in keys]
    differing = {c: _differs(both[f"{c}@old"], both[f"{c}@new"]) for c in values}
    any_change = pd.Series(False, index=both.index)
    for mask in differing.values():
        any_change |= mask
    for index in both.index[any_change]:
        row = both.loc[index]
        result.changed.append({"key": _key(row, shown), "changes": [
            [c, _plain(row[f"{c}@old"]), _plain(row[f"{c}@new"])] for c in values if differing[c].loc[index]]})
    return result


def _load(package: Path) -> _Side:
    from validation.define import read_define

    read_manifest(package)  # a clear message when it is not a package trialforge built
    datasets: dict[str, Dataset] = {}
    defines: dict[str, Any] = {}
    folders = sorted({p.parent for p in package.glob("m5/**/*") if p.suffix.lower() in (".xpt", ".json")
                      and not p.name.lower().startswith("define")})
    for folder in folders:
        found = load_folder(folder)
        datasets.update(found)
        if (folder / "define.xml").is_file():
            define = read_define(folder / "define.xml")
            defines.update({name: define for name in define.datasets if name in found})
    if not datasets:
        raise InputError(f"{package} holds no datasets under m5/ (expected the SDTM and ADaM folders of a package)")
    return _Side(datasets, defines, _spec_keys(package))


def _spec_keys(package: Path) -> dict[str, tuple[str, ...]]:
    import csv

    keys: dict[str, tuple[str, ...]] = {}
    for path in sorted(package.glob("audit/specs/*/Datasets.csv")):
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    names = tuple(k.strip().upper() for k in (row.get("Key Variables") or "").split(",") if k.strip())
                    if row.get("Dataset") and names:
                        keys.setdefault(row["Dataset"].strip().upper(), names)
        except (OSError, UnicodeDecodeError, csv.Error):
            continue  # the define.xml keys, else USUBJID/--SEQ, are used instead
    return keys


def _keys(name: str, side: _Side, *frames: pd.DataFrame) -> tuple[tuple[str, ...], str]:
    define = side.defines.get(name)
    described = define.datasets.get(name) if define else None
    for keys, source in ((tuple(described.keys) if described else (), "define.xml KeySequence"),
                         (side.spec_keys.get(name, ()), "the spec's Key Variables (audit/specs)")):
        if keys and all(k in f.columns for f in frames for k in keys):
            return keys, source
    seq = [c for c in frames[0].columns if c.endswith("SEQ") and len(c) in (4, 5) and all(c in f for f in frames)]
    fallback = tuple(c for c in ("USUBJID", *seq[:1]) if all(c in f.columns for f in frames))
    return fallback, "USUBJID/--SEQ (neither define.xml nor the spec states usable keys)"


def _numbered(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with the occurrence of each key value (0, 1, ...) in file order, so duplicates pair up."""
    frame = frame.copy()
    frame[_OCCURRENCE] = frame.groupby(list(keys), dropna=False, sort=False).cumcount() if keys else range(len(frame))
    return frame


def _readable(dataset: Dataset) -> pd.DataFrame:
    """The frame with SAS dates and datetimes (by their display format) as ISO 8601 text."""
    from formats.sasdates import from_sas, sas_format_kind

    frame = dataset.frame
    for name, column in dataset.columns.items():
        kind = sas_format_kind(column.format)
        if kind in ("date", "datetime") and name in frame and pd.api.types.is_numeric_dtype(frame[name]):
            frame = frame.copy() if frame is dataset.frame else frame
            try:
                stamps = from_sas(frame[name], kind)
            except (OverflowError, ValueError):  # out of range: compared as numbers
                continue
            text = stamps.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%S")
            frame[name] = text.astype(object).where(stamps.notna(), None)
    return frame


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    if old.dtype != new.dtype:
        old, new = old.astype("string"), new.astype("string")
    same = (old == new).fillna(False).astype(bool) | (old.isna() & new.isna())
    return ~same


def _metadata(name: str, before: Dataset, after: Dataset, old: _Side, new: _Side) -> list[str]:
    notes = []
    if before.label != after.label:
        notes.append(f"dataset label {before.label!r} -> {after.label!r}")
    for column in before.columns:
        if column not in after.columns:
            notes.append(f"variable removed: {column}")
    for column, now in after.columns.items():
        then = before.columns.get(column)
        if then is None:
            notes.append(f"variable added: {column}")
            continue
        for attribute in ("label", "type", "length"):
            if getattr(then, attribute) != getattr(now, attribute):
                notes.append(f"{column} {attribute} {getattr(then, attribute)!r} -> {getattr(now, attribute)!r}")
        notes.extend(_codelist_change(name, column, old, new))
    return notes


def _codelist_change(name: str, column: str, old: _Side, new: _Side) -> list[str]:
    lists = [side.defines[name].codelist_for(name, column) if name in side.defines else None for side in (old, new)]
    then, now = (f"{c.name or c.oid}" if c else "" for c in lists)
    if then != now:
        return [f"{column} codelist {then or '(none)'!r} -> {now or '(none)'!r}"]
    if lists[0] and lists[1] and lists[0].values != lists[1].values:
        gone, came = sorted(lists[0].values - lists[1].values), sorted(lists[1].values - lists[0].values)
        return [f"{column} codelist {now}: terms added {came}, removed {gone}"]
    return []


def _findings(package: Path) -> list[dict[str, Any]] | None:
    path = package / FINDINGS
    if not path.is_file():
        return None
    try:
        findings = json.loads(path.read_text(encoding="utf-8")).get("findings")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path} cannot be read as a validation report: {exc}") from None
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        raise InputError(f"{path} is not a validation report (no list of findings)")
    return findings


def _finding_key(finding: dict[str, Any]) -> str:
    fields = ("rule_id", "dataset", "usubjid", "variables", "values")
    return json.dumps([finding.get(f) for f in fields], sort_keys=True, default=str)


def _multiset_minus(these: list[dict], those: list[dict]) -> list[dict]:
    """The findings of `these` that `those` lacks, as many times as they are lacking."""
    budget = Counter(_finding_key(f) for f in those)
    left = []
    for finding in these:
        key = _finding_key(finding)
        if budget[key]:
            budget[key] -= 1
        else:
            left.append(finding)
    return left


def _key(row: pd.Series, keys: list[str]) -> dict[str, Any]:
    return {k: _plain(row[k]) for k in keys}


def _plain(value: Any) -> Any:
    """A JSON- and text-friendly value: None for missing, whole floats as int."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
