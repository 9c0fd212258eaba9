"""Dataset- and study-level operators: variables present or missing, XPT v5 limits, define.xml vs data.

They look at column names, labels, declared lengths and types (from the XPT header, Dataset-JSON or
define.xml), once per dataset, and report one issue per offending variable.
"""

from __future__ import annotations

import re

import pandas as pd

from validation.context import NotApplicable, RuleContext
from validation.operators import Issue, operator
from validation.operators.dates import group_codes
from validation.operators.values import byte_lengths

SAS_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


def _names(params, ctx: RuleContext) -> list[str]:
    value = params.get("value", [])
    names = value if isinstance(value, (list, tuple)) else [value]
    return [ctx.expand(str(n)) for n in names]


def column_type(dataset, name: str) -> str:
    """'num' or 'char' as the file declared it; for frames without metadata, from the dtype; '' when a
    CSV leaves it open (text that may be numbers)."""
    declared = dataset.columns.get(name)
    if declared is not None and declared.type:
        return declared.type
    if pd.api.types.is_numeric_dtype(dataset.frame[name].dtype):
        return "num"
    return "" if dataset.file_format == "csv" else "char"


@operator("variables_missing", level="dataset", required=("value",))
def variables_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """Each listed variable that is not a column of the dataset."""
    return [Issue(variables=(name,)) for name in _names(params, ctx) if name not in frame.columns]


@operator("variables_present", level="dataset", required=("value",))
def variables_present(frame, params, ctx: RuleContext) -> list[Issue]:
    """Each listed variable that is a column of the dataset (for variables that must not be there)."""
    return [Issue(variables=(name,)) for name in _names(params, ctx) if name in frame.columns]


@operator("no_variable_matching", level="dataset", required=("value",))
def no_variable_matching(frame, params, ctx: RuleContext) -> list[Issue]:
    """No column name matches the regular expression `value` (e.g. no population flag in ADSL)."""
    pattern = re.compile(params["value"])
    if any(pattern.fullmatch(str(c)) for c in frame.columns):
        return []
    return [Issue(detail={"pattern": params["value"]})]


@operator("variables_all_null", level="dataset", params=("value", "except"))
def variables_all_null(frame, params, ctx: RuleContext) -> list[Issue]:
    """Each listed variable (`value`, or `variable`) that is present but missing on every record; with
    `except` (a list, or a list of lists), every variable of the dataset but those."""
    if "except" in params:
        excluded = {ctx.expand(str(v)) for v in _flatten(params["except"])}
        names = [str(c) for c in frame.columns if c not in excluded]
    else:
        names = _names(params, ctx) if "value" in params else [params["variable"]]
    if not len(frame):
        return []
    return [Issue(variables=(name,)) for name in names if name in frame.columns and ctx.null(name).all()]


def _flatten(items) -> list:
    out = []
    for item in items if isinstance(items, (list, tuple)) else [items]:
        out.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
    return out


@operator("dataset_empty", level="dataset")
def dataset_empty(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset has no records."""
    return [] if len(frame) else [Issue()]


@operator("no_record_with", level="dataset", required=("value",))
def no_record_with(frame, params, ctx: RuleContext) -> list[Issue]:
    """No record has `variable` equal to `value` (e.g. no TS record for TSPARMCD SSTDTC)."""
    variable = params["variable"]
    if variable not in frame.columns:
        return [Issue(variables=(variable,), values=(params["value"],))]
    if (ctx.text(variable) == str(params["value"])).any():
        return []
    return [Issue(variables=(variable,), values=(params["value"],))]


@operator("variable_name_invalid", level="dataset")
def variable_name_invalid(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable name that XPT v5 cannot hold: more than 8 characters, not A-Z/0-9/_, or a digit first."""
    return [Issue(variables=(str(c),), values=(str(c),)) for c in frame.columns if not SAS_NAME.fullmatch(str(c))]


@operator("dataset_name_invalid", level="dataset")
def dataset_name_invalid(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset name is not a valid XPT v5 member name (<= 8, A-Z/0-9/_, letter first)."""
    name = ctx.dataset.name
    return [] if SAS_NAME.fullmatch(name) else [Issue(values=(name,))]


def _too_long(text: str, limit: int) -> bool:
    return len(text.encode("utf-8")) > limit


@operator("variable_label_too_long", level="dataset", params=("value",))
def variable_label_too_long(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable label longer than `value` bytes (default 40, the XPT v5 field)."""
    limit = int(params.get("value", 40))
    return [Issue(variables=(name,), values=(column.label,)) for name, column in ctx.dataset.columns.items()
            if _too_long(column.label, limit)]


@operator("variable_label_missing", level="dataset")
def variable_label_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable without a label, where the file carries labels (XPT, Dataset-JSON)."""
    return [Issue(variables=(name,)) for name, column in ctx.dataset.columns.items() if not column.label.strip()]


@operator("dataset_label_too_long", level="dataset", params=("value",))
def dataset_label_too_long(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset label is longer than `value` bytes (default 40)."""
    label = ctx.dataset.label or ""
    return [Issue(values=(label,))] if _too_long(label, int(params.get("value", 40))) else []


@operator("dataset_label_missing", level="dataset")
def dataset_label_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """The file declares no dataset label (XPT or Dataset-JSON; CSV cannot carry one)."""
    if ctx.dataset.file_format in ("csv", "memory"):
        raise NotApplicable("the source format carries no dataset label")
    return [] if (ctx.dataset.label or "").strip() else [Issue()]


@operator("declared_length_exceeds_data", level="dataset")
def declared_length_exceeds_data(frame, params, ctx: RuleContext) -> list[Issue]:
    """A text variable whose declared length is longer than its longest value (in bytes)."""
    issues = []
    for name, column in ctx.dataset.columns.items():
        if column.type != "char" or not column.length or name not in frame.columns:
            continue
        longest = int(ctx.byte_lengths(name).max()) if len(frame) else 0
        if column.length > max(longest, 1):
            issues.append(Issue(variables=(name,), values=(column.length,),
                                detail={"declared": column.length, "longest": longest}))
    return issues


@operator("file_larger_than", level="dataset", required=("value",))
def file_larger_than(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset file is larger than `value` bytes."""
    size = ctx.dataset.size_bytes
    if size is None:
        raise NotApplicable("the dataset was not read from a file")
    return [Issue(values=(size,), detail={"size": size})] if size > int(params["value"]) else []


@operator("variable_type_not", level="dataset", required=("value",), params=("variables",))
def variable_type_not(frame, params, ctx: RuleContext) -> list[Issue]:
    """A listed variable (`variables`, or `variable`) whose type is not `value` ('num' or 'char')."""
    names = [ctx.expand(v) for v in params.get("variables", [])] or [params["variable"]]
    issues = []
    for name in names:
        if name in frame.columns:
            found = column_type(ctx.dataset, name)
            if found and found != params["value"]:
                issues.append(Issue(variables=(name,), values=(found,), detail={"type": found}))
    return issues


# --- define.xml against the data ------------------------------------------------------------------------

def _described(ctx: RuleContext):
    if ctx.define is None:
        raise NotApplicable("no define.xml")
    return ctx.define.datasets.get(ctx.dataset.name)


def _described_dataset(ctx: RuleContext):
    """The dataset as define.xml describes it; the rule does not apply to a dataset define.xml lacks."""
    described = _described(ctx)
    if described is None:
        raise NotApplicable("dataset not in define.xml")
    return described


@operator("dataset_not_in_define", level="dataset")
def dataset_not_in_define(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset is not described in define.xml."""
    return [Issue(values=(ctx.dataset.name,))] if _described(ctx) is None else []


@operator("variables_not_in_define", level="dataset")
def variables_not_in_define(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable of the data that define.xml does not list for the dataset."""
    described = _described_dataset(ctx)
    listed = {v.name for v in described.variables}
    return [Issue(variables=(str(c),)) for c in frame.columns if c not in listed]


@operator("define_variables_missing", level="dataset")
def define_variables_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable define.xml lists for the dataset that the data does not have."""
    described = _described_dataset(ctx)
    return [Issue(variables=(v.name,)) for v in described.variables if v.name not in frame.columns]


@operator("define_type_mismatch", level="dataset")
def define_type_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """The data type (num/char) differs from define.xml's DataType (integer/float are num)."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        if variable.name in frame.columns and variable.data_type:
            found = column_type(ctx.dataset, variable.name)
            if found and found != variable.xpt_type:
                issues.append(Issue(variables=(variable.name,), values=(found, variable.data_type),
                                    detail={"type": found, "define_type": variable.data_type}))
    return issues


@operator("define_label_mismatch", level="dataset")
def define_label_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """A variable label in the file differs from its define.xml description."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        column = ctx.dataset.columns.get(variable.name)
        if column is not None and column.label and variable.label and column.label != variable.label:
            issues.append(Issue(variables=(variable.name,), values=(column.label, variable.label),
                                detail={"label": column.label, "define_label": variable.label}))
    return issues


@operator("dataset_label_define_mismatch", level="dataset")
def dataset_label_define_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset label in the file differs from its define.xml description."""
    described = _described_dataset(ctx)
    label = ctx.dataset.label or ""
    if label and described.label and label != described.label:
        return [Issue(values=(label, described.label), detail={"define_label": described.label})]
    return []


@operator("define_length_exceeded", level="dataset")
def define_length_exceeded(frame, params, ctx: RuleContext) -> list[Issue]:
    """A text variable holds a value longer (in bytes) than define.xml's Length; the first such record
    is pointed at."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        if variable.name not in frame.columns or not variable.length or variable.xpt_type != "char":
            continue
        lengths = ctx.byte_lengths(variable.name).to_numpy()
        over = lengths > variable.length
        if over.any():
            row = int(over.argmax())
            issues.append(Issue(variables=(variable.name,), values=(ctx.text(variable.name).iloc[row],), row=row,
                                detail={"length": variable.length, "longest": int(lengths.max()),
                                        "count": int(over.sum())}))
    return issues


@operator("define_keys_not_unique", params=())
def define_keys_not_unique(frame, params, ctx: RuleContext) -> pd.Series:
    """Record-level: the record repeats the key define.xml declares (KeySequence) for the dataset."""
    described = _described(ctx)
    if described is None or not described.keys:
        raise NotApplicable("no keys in define.xml for this dataset")
    missing = [k for k in described.keys if k not in frame.columns]
    if missing:
        raise NotApplicable(f"key variables {missing} absent")
    return group_codes(ctx, list(described.keys)).duplicated(keep=False)


@operator("define_says_no_data", level="dataset")
def define_says_no_data(frame, params, ctx: RuleContext) -> list[Issue]:
    """The dataset is among the data, but define.xml describes it with def:HasNoData="Yes"."""
    described = _described_dataset(ctx)
    return [Issue(values=(len(frame),), detail={"count": len(frame)})] if described.has_no_data else []


@operator("define_leaf_mismatch", level="dataset")
def define_leaf_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """define.xml's def:leaf for the dataset names another file than the one the dataset was read from."""
    described = _described_dataset(ctx)
    if ctx.dataset.file is None or not described.href:
        raise NotApplicable("no file name to compare (data in memory, or define.xml gives no def:leaf)")
    leaf = described.href.replace("\\", "/").rsplit("/", 1)[-1]
    if leaf.lower() == ctx.dataset.file.name.lower():
        return []
    return [Issue(values=(described.href,), detail={"href": described.href, "file": ctx.dataset.file.name})]


@operator("define_order_mismatch", level="dataset")
def define_order_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """The variables the data and define.xml share are not in define.xml's order (OrderNumber, else the
    order of the ItemRefs); the first variable out of place is reported."""
    described = _described_dataset(ctx)
    columns = [str(c) for c in frame.columns]
    ranked = sorted(enumerate(described.variables), key=lambda p: (p[1].order is None, p[1].order or 0, p[0]))
    expected = [v.name for _, v in ranked if v.name in columns]
    written = [c for c in columns if c in set(expected)]
    first = next((w for w, e in zip(written, expected) if w != e), None)
    if first is None:
        return []
    position = expected.index(first) + 1
    return [Issue(variables=(first,), values=(written.index(first) + 1, position),
                  detail={"position": written.index(first) + 1, "define_position": position})]


@operator("define_length_mismatch", level="dataset")
def define_length_mismatch(frame, params, ctx: RuleContext) -> list[Issue]:
    """A text variable's length in the file (XPT header, Dataset-JSON) differs from define.xml's Length."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        column = ctx.dataset.columns.get(variable.name)
        if (variable.name not in frame.columns or column is None or not column.length or variable.length is None
                or column_type(ctx.dataset, variable.name) != "char" or variable.xpt_type != "char"):
            continue
        if column.length != variable.length:
            issues.append(Issue(variables=(variable.name,), values=(column.length, variable.length),
                                detail={"length": column.length, "define_length": variable.length}))
    return issues


@operator("define_length_missing", level="dataset")
def define_length_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """A text variable of the data whose define.xml ItemDef (DataType text, integer or float) gives no
    Length."""
    described = _described_dataset(ctx)
    return [Issue(variables=(v.name,), values=(v.data_type,), detail={"define_type": v.data_type})
            for v in described.variables
            if v.name in frame.columns and v.length is None and v.data_type in ("text", "integer", "float")
            and column_type(ctx.dataset, v.name) == "char"]


@operator("define_integer_fraction", level="dataset")
def define_integer_fraction(frame, params, ctx: RuleContext) -> list[Issue]:
    """A numeric variable define.xml declares integer holds a value with a fraction; the first such record
    is pointed at."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        if variable.data_type != "integer" or variable.name not in frame.columns:
            continue
        if column_type(ctx.dataset, variable.name) != "num":
            continue  # a text column is the type rule's finding
        numbers = ctx.numeric(variable.name)
        fractional = numbers.notna() & (numbers.round() != numbers)
        if fractional.any():
            row = int(fractional.to_numpy().argmax())
            issues.append(Issue(variables=(variable.name,), values=(ctx.text(variable.name).iloc[row],), row=row,
                                detail={"count": int(fractional.sum())}))
    return issues


@operator("define_value_level_length_exceeded", level="dataset")
def define_value_level_length_exceeded(frame, params, ctx: RuleContext) -> list[Issue]:
    """On the records a value-level ItemDef's where clause selects, a text value is longer (in bytes) than
    that ItemDef's Length; the first such record is pointed at."""
    described = _described_dataset(ctx)
    issues = []
    for variable in described.variables:
        if not variable.values or variable.name not in frame.columns:
            continue
        if column_type(ctx.dataset, variable.name) != "char":
            continue
        lengths = ctx.byte_lengths(variable.name)
        for value in variable.values:
            if value.length is None or value.data_type not in ("text", "integer", "float"):
                continue
            selected = value.mask(frame)
            if selected is None:
                continue
            over = selected & (lengths > value.length)
            if over.any():
                row = int(over.to_numpy().argmax())
                issues.append(Issue(
                    variables=(variable.name,), values=(ctx.text(variable.name).iloc[row],), row=row,
                    detail={"where": _where_text(value), "item": value.oid, "length": value.length,
                            "longest": int(lengths[selected].max()), "count": int(over.sum())}))
    return issues


def _where_text(value) -> str:
    return " or ".join(str(clause) for clause in value.where if clause.conditions)


# --- study level -----------------------------------------------------------------------------------------

@operator("dataset_missing", level="study", required=("value",))
def dataset_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """The study has no dataset named `value`."""
    name = str(params["value"]).upper()
    return [] if name in ctx.datasets else [Issue(dataset=name, values=(name,))]


@operator("define_missing", level="study")
def define_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """No define.xml was given or found beside the datasets."""
    return [Issue()] if ctx.define is None else []


@operator("define_datasets_missing", level="study")
def define_datasets_missing(frame, params, ctx: RuleContext) -> list[Issue]:
    """A dataset define.xml describes that is not among the data (unless define.xml says it has no data)."""
    if ctx.define is None:
        raise NotApplicable("no define.xml")
    return [Issue(dataset=name, values=(name,)) for name, described in ctx.define.datasets.items()
            if name not in ctx.datasets and not described.has_no_data]
