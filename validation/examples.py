"""Run a rule on its inline examples: the datasets it must fire on and those it must stay silent on.

An example is `{datasets: {NAME: records}, metadata: {...}, define: {...}, rows: [...], dataset: NAME}`.
Records are a list of mappings, or `{columns: [...], fill: value, records: [overrides...]}` for "one
record with every listed variable filled in". `metadata` gives what an XPT header would (labels, types,
lengths, dataset label, file name and size); `define` a small define.xml: per dataset its label, class,
keys, `href` (def:leaf), `no_data` (def:HasNoData) and variables (type, length, label, codelist, and
value-level `values: [{where: "QNAM EQ X", type, length, codelist}]`). `rows` (fires only) are the
1-based record numbers of `dataset` the findings must point at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from formats.folder import Column, Dataset, normalize_frame
from specs.whereclause import parse_where
from validation.datasets import classify
from validation.define import Define, DefineCodelist, DefineDataset, DefineValue, DefineVariable
from validation.engine import validate_datasets
from validation.model import ValidationResult
from validation.rulebook import Rule


def example_records(spec: Any) -> list[dict]:
    if isinstance(spec, list):
        return [dict(r) for r in spec]
    if isinstance(spec, dict) and "columns" in spec:
        base = {str(c): spec.get("fill", "X") for c in spec["columns"]}
        records = spec.get("records", [{}])
        return [{**base, **(r or {})} for r in (records if records is not None else [{}])]
    raise ValueError(f"example records must be a list or {{columns, fill, records}}, not {spec!r}")


def example_datasets(example: dict) -> dict[str, Dataset]:
    out = {}
    metadata = example.get("metadata") or {}
    for name, spec in (example.get("datasets") or {}).items():
        records = example_records(spec)
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(
            columns=list(spec.get("columns", [])) if isinstance(spec, dict) else [])
        meta = metadata.get(name) or {}
        columns = {str(k).upper(): Column(str(k).upper(), v.get("label", ""), v.get("type", ""), v.get("length"),
                                          v.get("format", ""))
                   for k, v in (meta.get("columns") or {}).items()}
        dataset = Dataset(name=name.upper(), frame=normalize_frame(frame), label=meta.get("label", ""),
                          columns=columns, file_format=meta.get("file_format", "xpt" if meta else "memory"),
                          size_bytes=meta.get("size_bytes"), file=Path(meta["file"]) if meta.get("file") else None)
        out[dataset.name] = classify(dataset)
    return out


def example_define(spec: dict | None) -> Define | None:
    if spec is None:
        return None
    datasets = {}
    for name, described in (spec.get("datasets") or {}).items():
        keys = list(described.get("keys") or [])
        variables = []
        for order, (var, attrs) in enumerate((described.get("variables") or {}).items(), start=1):
            attrs = attrs or {}
            variables.append(DefineVariable(
                name=var, oid=f"IT.{name}.{var}", data_type=attrs.get("type", "text"), length=attrs.get("length"),
                label=attrs.get("label", ""), codelist=attrs.get("codelist", ""), mandatory=False,
                key_sequence=keys.index(var) + 1 if var in keys else None, order=attrs.get("order", order),
                values=tuple(DefineValue(f"IT.{name}.{var}.{number}", var, v.get("type", "text"), v.get("length"),
                                         v.get("codelist", ""), (parse_where(v["where"]),))
                             for number, v in enumerate(attrs.get("values") or (), start=1))))
        datasets[name.upper()] = DefineDataset(
            name=name.upper(), oid=f"IG.{name}", label=described.get("label", ""),
            dataset_class=str(described.get("class", "")).upper(), standard=described.get("standard", ""),
            variables=tuple(variables), href=described.get("href", ""), has_no_data=bool(described.get("no_data")))
    codelists = {oid: DefineCodelist(oid, c.get("name", oid), c.get("nci", ""), frozenset(c.get("values") or []),
                                     frozenset(c.get("extended") or []), c.get("external", ""))
                 for oid, c in (spec.get("codelists") or {}).items()}
    return Define("example-define.xml", "2.1.0", tuple(spec.get("standards") or ()), datasets, codelists)


def run_example(rule: Rule, example: dict) -> ValidationResult:
    """The rule alone on the example's datasets (and define, when the example has one)."""
    return validate_datasets(example_datasets(example), example_define(example.get("define")), rules=[rule])
