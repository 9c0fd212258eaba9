"""The spec as immutable typed data: one frozen dataclass per sheet row, tuples throughout.

Every object keeps the sheet and 1-based spreadsheet row it came from, so any later stage can point a
user at the cell to fix. `Spec` offers look-ups by name and `Spec.table(name)` as a pandas frame for
the engines; `SHEETS` fixes, per sheet, the column headers and the fields they fill (the text export
and the reader share it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from specs.whereclause import Condition, WhereClause

if TYPE_CHECKING:
    import pandas as pd

    from specs.expressions import Expression

__all__ = [
    "ALGORITHMS", "DATA_TYPES", "ORIGINS", "SHEETS", "TRIAL_DESIGN_SHEETS", "AnalysisDisplay", "AnalysisResult",
    "Codelist", "CodelistItem", "Comment", "Condition", "DatasetDef", "Dictionary", "Document", "MappingRow",
    "Method", "SheetSchema", "Spec", "Standard", "StudyInfo", "TrialDesignTable", "ValueLevelDef", "VariableDef",
    "WhereClause", "ALL_FORMS", "DATE_FORMATS", "SOURCE_FORMATS", "SOURCE_OPTIONS", "SourceDef", "default_file",
    "default_source",
]

# Define-XML 2.1 ItemDef data types.
DATA_TYPES: tuple[str, ...] = (
    "text", "integer", "float", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
    "incompleteDatetime", "durationDatetime", "intervalDatetime",
)
# Define-XML 2.1 origin types; the reader maps the older P21 spellings CRF and eDT to Collected.
ORIGINS: tuple[str, ...] = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available", "Other")
# SDTM mapping algorithms a Mapping row may name (the names sdtm.oak made familiar).
ALGORITHMS: tuple[str, ...] = (
    "assign_no_ct", "assign_ct", "hardcode_no_ct", "hardcode_ct", "assign_datetime", "assign_numeric",
    "derive", "supp", "not_submitted",
)
TRIAL_DESIGN_SHEETS: tuple[str, ...] = ("TS", "TA", "TE", "TV", "TI")
# The Sources sheet: file formats a raw form may come in, the Options each format takes, the date formats a
# form may declare, and the Form that holds the defaults for every form without a row of its own.
SOURCE_FORMATS: tuple[str, ...] = ("csv", "excel", "sas7bdat", "xpt", "odm")
SOURCE_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("delimiter", "encoding", "quotechar"), "excel": ("sheet",), "sas7bdat": ("encoding",),
    "xpt": ("encoding",), "odm": ("form",),
}
DATE_FORMATS: tuple[str, ...] = ("YYYY-MM-DD", "DD-MON-YYYY", "DDMONYYYY", "MM/DD/YYYY", "DD/MM/YYYY", "MM-DD-YYYY",
                                 "DD.MM.YYYY", "YYYY/MM/DD")
ALL_FORMS = "*"
_SUFFIXES = {"csv": ".csv", "excel": ".xlsx", "sas7bdat": ".sas7bdat", "xpt": ".xpt", "odm": ".xml"}

_FROZEN = {"frozen": True, "slots": True, "kw_only": True}


@dataclass(**_FROZEN)
class StudyInfo:
    """The Study (layout A) or Define (layout B) sheet: attribute/value pairs."""

    name: str | None = None
    description: str | None = None
    protocol_name: str | None = None
    language: str | None = None
    standard_name: str | None = None
    standard_version: str | None = None
    raw_expectations: str | None = None  # the study's raw-data expectation suite (YAML), beside the workbook
    attributes: tuple[tuple[str, str | None], ...] = ()
    sheet: str | None = None

    def attribute(self, key: str, default: str | None = None) -> str | None:
        wanted = key.casefold()
        return next((v for k, v in self.attributes if k.casefold() == wanted), default)


@dataclass(**_FROZEN)
class Standard:
    oid: str
    name: str | None
    type: str | None
    publishing_set: str | None
    version: str | None
    status: str | None
    comment: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class DatasetDef:
    name: str
    label: str | None
    dataset_class: str | None
    subclass: str | None
    structure: str | None
    purpose: str | None
    key_variables: tuple[str, ...]
    standard: str | None
    repeating: bool | None
    reference_data: bool | None
    has_no_data: bool | None
    comment: str | None
    developer_notes: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class VariableDef:
    dataset: str
    name: str
    order: int | None
    label: str | None
    data_type: str  # one of DATA_TYPES (None only in a spec that failed its checks)
    length: int | None
    significant_digits: int | None
    display_format: str | None
    mandatory: bool
    assigned_value: str | None
    codelist: str | None
    common: bool | None
    origin: str | None  # one of ORIGINS
    source: str | None
    pages: str | None
    method: str | None
    predecessor: str | None
    role: str | None
    core: str | None
    comment: str | None
    developer_notes: str | None
    has_no_data: bool | None
    key_sequence: int | None  # 1-based position in the dataset's Key Variables
    sheet: str
    row: int


@dataclass(**_FROZEN)
class ValueLevelDef:
    dataset: str
    variable: str
    where_clause_id: str  # id in Spec.where_clauses (for inline text: its canonical form)
    where: WhereClause | None  # resolved; None only in a spec that failed its checks
    order: int | None
    label: str | None
    data_type: str
    length: int | None
    significant_digits: int | None
    display_format: str | None
    mandatory: bool
    assigned_value: str | None
    codelist: str | None
    origin: str | None
    source: str | None
    pages: str | None
    method: str | None
    predecessor: str | None
    comment: str | None
    developer_notes: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class CodelistItem:
    term: str
    nci_code: str | None
    decode: str | None
    order: int | None
    collected_values: tuple[str, ...]  # raw spellings that map to `term` (our `|`-separated column)
    extended: bool  # no NCI term code in a codelist that has an NCI code: a sponsor extension
    sheet: str
    row: int


@dataclass(**_FROZEN)
class Codelist:
    id: str
    name: str | None
    nci_code: str | None
    data_type: str | None
    terminology: str | None
    items: tuple[CodelistItem, ...]
    sheet: str
    row: int  # first row of the codelist

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(item.term for item in self.items)

    @property
    def is_enumerated(self) -> bool:
        """No decodes at all: Define-XML EnumeratedItems rather than CodeListItems."""
        return all(item.decode is None for item in self.items)

    def item(self, term: str) -> CodelistItem:
        for item in self.items:
            if item.term == term:
                return item
        raise KeyError(f"codelist {self.id} has no term {term!r}")

    def decode_of(self, term: str) -> str | None:
        return self.item(term).decode


@dataclass(**_FROZEN)
class Dictionary:
    id: str
    name: str | None
    data_type: str | None
    dictionary: str | None
    version: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class Method:
    id: str
    name: str | None
    type: str | None
    description: str | None
    expression_context: str | None
    expression_code: str | None
    document: str | None
    pages: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class Comment:
    id: str
    description: str | None
    document: str | None
    pages: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class Document:
    id: str
    title: str | None
    href: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class AnalysisDisplay:
    id: str
    title: str | None
    document: str | None
    pages: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class AnalysisResult:
    display: str
    id: str
    description: str | None
    variables: tuple[str, ...]
    reason: str | None
    purpose: str | None
    selection_criteria: str | None
    join_comment: str | None
    documentation: str | None
    documentation_refs: tuple[str, ...]
    programming_context: str | None
    programming_code: str | None
    programming_document: str | None
    pages: str | None
    sheet: str
    row: int


@dataclass(**_FROZEN)
class MappingRow:
    """One row of our Mapping sheet: how one SDTM variable is filled from a raw form."""

    order: int | None
    dataset: str
    variable: str
    source_form: str | None
    source_field: str | None  # the Source Field cell as written
    algorithm: str  # one of ALGORITHMS, lower case
    arguments: tuple[tuple[str, str], ...]  # keys lower case, in the order written
    where: WhereClause | None  # which records the row applies to (define.xml where-clause grammar)
    condition: Expression | None  # a test over the source record (specs.expressions)
    comment: str | None
    sheet: str
    row: int
    source_expr: Expression | None = None  # the Source Field parsed (a plain field name is an expression)

    def argument(self, key: str, default: str | None = None) -> str | None:
        wanted = key.casefold()
        return next((v for k, v in self.arguments if k == wanted), default)

    @property
    def is_supp(self) -> bool:
        """A supplemental qualifier's row: collected (`supp`) or derived (`derive` with a qnam= argument)."""
        return self.algorithm == "supp" or (self.algorithm == "derive" and bool(self.argument("qnam")))


@dataclass(**_FROZEN)
class SourceDef:
    """One row of the Sources sheet: which file holds a raw form, how to read it, what its columns mean.

    `form` is the Source Form the Mapping sheet names, or ALL_FORMS ("*") for the defaults of every form
    without a row of its own. `Spec.source_of(form)` gives the row that applies, `file` filled in.
    """

    form: str
    file: str | None = None  # relative to the study folder, "/" as separator; None: `default_file`
    format: str = "csv"  # one of SOURCE_FORMATS
    options: tuple[tuple[str, str], ...] = ()  # keys lower case, from SOURCE_OPTIONS[format]
    subject_column: str | None = None  # raw column names; None: the form has none
    site_column: str | None = None
    visit_column: str | None = None
    instance_column: str | None = None
    date_formats: tuple[tuple[str, str], ...] = ()  # (raw field, one of DATE_FORMATS); field ALL_FORMS: every field
    date_failure_threshold: float = 0.0  # share 0..1 of the form's date values allowed to fail
    sheet: str | None = None  # None: the built-in default, not a row of the workbook
    row: int | None = None

    def option(self, key: str, default: str | None = None) -> str | None:
        wanted = key.casefold()
        return next((v for k, v in self.options if k == wanted), default)

    def date_format_of(self, field: str) -> str | None:
        """The declared format of raw date field `field` (its own, else the form's one format), or None."""
        for wanted in (field, field.casefold()):
            found = next((f for k, f in self.date_formats if k == wanted or k.casefold() == wanted), None)
            if found is not None:
                return found
        return next((f for k, f in self.date_formats if k == ALL_FORMS), None)

    @property
    def context_columns(self) -> dict[str, str]:
        """The declared context columns: {"subject" | "site" | "visit" | "instance": raw column name}."""
        named = {"subject": self.subject_column, "site": self.site_column, "visit": self.visit_column,
                 "instance": self.instance_column}
        return {role: column for role, column in named.items() if column}

    @property
    def options_text(self) -> str | None:
        """Options as the sheet writes them: `key=value; key=value`."""
        return _pairs_text(self.options)

    @property
    def date_formats_text(self) -> str | None:
        """Date Formats as the sheet writes them: the one format, or `FIELD=FORMAT; FIELD=FORMAT`."""
        return _pairs_text(self.date_formats, bare=ALL_FORMS)


def _pairs_text(pairs: tuple[tuple[str, str], ...], bare: str | None = None) -> str | None:
    def value(text: str) -> str:
        return f'"{text}"' if ";" in text or text != text.strip() else text

    parts = [value(v) if k == bare else f"{k}={value(v)}" for k, v in pairs]
    return "; ".join(parts) or None


def default_file(form: str, format: str = "csv") -> str:
    """The file a form is read from when no Sources row names one: `<form in lower case>.<suffix of format>`."""
    return f"{form.lower()}{_SUFFIXES.get(format, '.csv')}"


def default_source(form: str) -> SourceDef:
    """How a form is read when the spec has no Sources row for it and no `*` row: `<form>.csv`, comma
    separated UTF-8, no context columns, no declared date formats, no date failures allowed."""
    return SourceDef(form=form, file=default_file(form))


@dataclass(**_FROZEN)
class TrialDesignTable:
    """A trial-design sheet (TS, TA, TE, TV, TI): columns are SDTM variable names (TV also FOLDER).

    Values are typed by the spec's Variables sheet (text -> str, integer -> int, float -> float); columns
    the Variables sheet does not describe stay text.
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    row_numbers: tuple[int, ...]
    sheet: str

    def records(self) -> tuple[dict[str, Any], ...]:
        """The rows as fresh dicts (changing them does not change the spec)."""
        return tuple(dict(zip(self.columns, row)) for row in self.rows)


@dataclass(frozen=True, slots=True)
class SheetSchema:
    """A sheet as the text export and `Spec.table` show it: headers and the model fields behind them."""

    name: str
    attribute: str  # the Spec attribute holding its rows
    columns: tuple[tuple[str, str], ...]  # (header, field)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(header for header, _ in self.columns)


def _schema(name: str, attribute: str, *columns: tuple[str, str]) -> SheetSchema:
    return SheetSchema(name, attribute, columns)


SHEETS: tuple[SheetSchema, ...] = (
    _schema("Standards", "standards", ("OID", "oid"), ("Name", "name"), ("Type", "type"),
            ("Publishing Set", "publishing_set"), ("Version", "version"), ("Status", "status"), ("Comment", "comment")),
    _schema("Datasets", "datasets", ("Dataset", "name"), ("Label", "label"), ("Class", "dataset_class"),
            ("Subclass", "subclass"), ("Structure", "structure"), ("Purpose", "purpose"),
            ("Key Variables", "key_variables"), ("Standard", "standard"), ("Repeating", "repeating"),
            ("Reference Data", "reference_data"), ("Has No Data", "has_no_data"), ("Comment", "comment"),
            ("Developer Notes", "developer_notes")),
    _schema("Variables", "variables", ("Order", "order"), ("Dataset", "dataset"), ("Variable", "name"),
            ("Label", "label"), ("Data Type", "data_type"), ("Length", "length"),
            ("Significant Digits", "significant_digits"), ("Format", "display_format"), ("Mandatory", "mandatory"),
            ("Assigned Value", "assigned_value"), ("Codelist", "codelist"), ("Common", "common"),
            ("Origin", "origin"), ("Source", "source"), ("Pages", "pages"), ("Method", "method"),
            ("Predecessor", "predecessor"), ("Role", "role"), ("Core", "core"), ("Has No Data", "has_no_data"),
            ("Comment", "comment"), ("Developer Notes", "developer_notes")),
    _schema("ValueLevel", "value_level", ("Order", "order"), ("Dataset", "dataset"), ("Variable", "variable"),
            ("Where Clause", "where_clause_id"), ("Label", "label"), ("Data Type", "data_type"),
            ("Length", "length"), ("Significant Digits", "significant_digits"), ("Format", "display_format"),
            ("Mandatory", "mandatory"), ("Assigned Value", "assigned_value"), ("Codelist", "codelist"),
            ("Origin", "origin"), ("Source", "source"), ("Pages", "pages"), ("Method", "method"),
            ("Predecessor", "predecessor"), ("Comment", "comment"), ("Developer Notes", "developer_notes")),
    _schema("WhereClauses", "where_clauses", ("ID", "id"), ("Dataset", "dataset"), ("Variable", "variable"),
            ("Comparator", "comparator"), ("Value", "values")),
    _schema("Codelists", "codelists", ("ID", "codelist"), ("Name", "name"), ("NCI Codelist Code", "nci_codelist_code"),
            ("Data Type", "data_type"), ("Terminology", "terminology"), ("Order", "order"), ("Term", "term"),
            ("NCI Term Code", "nci_code"), ("Decoded Value", "decode"), ("Collected Values", "collected_values")),
    _schema("Dictionaries", "dictionaries", ("ID", "id"), ("Name", "name"), ("Data Type", "data_type"),
            ("Dictionary", "dictionary"), ("Version", "version")),
    _schema("Methods", "methods", ("ID", "id"), ("Name", "name"), ("Type", "type"), ("Description", "description"),
            ("Expression Context", "expression_context"), ("Expression Code", "expression_code"),
            ("Document", "document"), ("Pages", "pages")),
    _schema("Comments", "comments", ("ID", "id"), ("Description", "description"), ("Document", "document"),
            ("Pages", "pages")),
    _schema("Documents", "documents", ("ID", "id"), ("Title", "title"), ("Href", "href")),
    _schema("Analysis Displays", "analysis_displays", ("ID", "id"), ("Title", "title"), ("Document", "document"),
            ("Pages", "pages")),
    _schema("Analysis Results", "analysis_results", ("Display", "display"), ("ID", "id"),
            ("Description", "description"), ("Variables", "variables"), ("Reason", "reason"), ("Purpose", "purpose"),
            ("Selection Criteria", "selection_criteria"), ("Join Comment", "join_comment"),
            ("Documentation", "documentation"), ("Documentation Refs", "documentation_refs"),
            ("Programming Context", "programming_context"), ("Programming Code", "programming_code"),
            ("Programming Document", "programming_document"), ("Pages", "pages")),
    _schema("Sources", "sources", ("Form", "form"), ("File", "file"), ("Format", "format"),
            ("Options", "options_text"), ("Subject Column", "subject_column"), ("Site Column", "site_column"),
            ("Visit Column", "visit_column"), ("Instance Column", "instance_column"),
            ("Date Formats", "date_formats_text"), ("Date Failure Threshold", "date_failure_threshold")),
    _schema("Mapping", "mappings", ("Order", "order"), ("Dataset", "dataset"), ("Variable", "variable"),
            ("Source Form", "source_form"), ("Source Field", "source_field"), ("Algorithm", "algorithm"),
            ("Arguments", "arguments"), ("Where Clause", "where"), ("Condition", "condition"), ("Comment", "comment")),
)
_SCHEMA_BY_KEY = {key: schema for schema in SHEETS for key in (schema.name.casefold(), schema.attribute)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """A whole spec workbook. Build it with `specs.reader.read_spec`."""

    source: str
    layout: str  # "A" (Study + WhereClauses sheets) or "B" (Define sheet, inline where clauses)
    study: StudyInfo
    standards: tuple[Standard, ...] = ()
    datasets: tuple[DatasetDef, ...] = ()
    variables: tuple[VariableDef, ...] = ()
    value_level: tuple[ValueLevelDef, ...] = ()
    where_clauses: tuple[WhereClause, ...] = ()
    codelists: tuple[Codelist, ...] = ()
    dictionaries: tuple[Dictionary, ...] = ()
    methods: tuple[Method, ...] = ()
    comments: tuple[Comment, ...] = ()
    documents: tuple[Document, ...] = ()
    analysis_displays: tuple[AnalysisDisplay, ...] = ()
    analysis_results: tuple[AnalysisResult, ...] = ()
    mappings: tuple[MappingRow, ...] = ()
    sources: tuple[SourceDef, ...] = ()  # the Sources sheet's rows, in sheet order
    trial_design: tuple[TrialDesignTable, ...] = ()
    warnings: tuple[Any, ...] = ()  # specs.errors.Problem with severity "warning", found when reading
    _index: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _build_index(self))  # private; the public API never hands it out

    # --- look-ups (KeyError names what exists) ---------------------------------------------------

    def dataset(self, name: str) -> DatasetDef:
        return self._get("datasets", name.upper(), "dataset")

    def has_dataset(self, name: str) -> bool:
        return name.upper() in self._index["datasets"]

    def variables_of(self, dataset: str) -> tuple[VariableDef, ...]:
        """The dataset's variables in Order (rows without an Order last, in sheet order)."""
        return self._index["variables_of"].get(dataset.upper(), ())

    def variable(self, dataset: str, name: str) -> VariableDef:
        return self._get("variables", (dataset.upper(), name.upper()), "variable")

    def has_variable(self, dataset: str, name: str) -> bool:
        return (dataset.upper(), name.upper()) in self._index["variables"]

    def value_level_of(self, dataset: str, variable: str | None = None) -> tuple[ValueLevelDef, ...]:
        if variable is None:
            return self._index["value_level_of"].get(dataset.upper(), ())
        return self._index["value_level_of_variable"].get((dataset.upper(), variable.upper()), ())

    def codelist(self, id: str) -> Codelist:
        return self._get("codelists", id, "codelist")

    def dictionary(self, id: str) -> Dictionary:
        return self._get("dictionaries", id, "dictionary")

    def method(self, id: str) -> Method:
        return self._get("methods", id, "method")

    def comment(self, id: str) -> Comment:
        return self._get("comments", id, "comment")

    def document(self, id: str) -> Document:
        return self._get("documents", id, "document")

    def where_clause(self, id: str) -> WhereClause:
        return self._get("where_clauses", id, "where clause")

    def analysis_display(self, id: str) -> AnalysisDisplay:
        return self._get("analysis_displays", id, "analysis display")

    def mappings_of(self, dataset: str) -> tuple[MappingRow, ...]:
        """The dataset's Mapping rows in Order (rows without an Order last, in sheet order)."""
        return self._index["mappings_of"].get(dataset.upper(), ())

    def source_of(self, form: str) -> SourceDef:
        """How raw form `form` is read: its Sources row, else the `*` row, else `default_source(form)`;
        `form` and `file` are filled in (a row without a File reads `default_file(form, format)`)."""
        sources = self._index["sources"]
        found = sources.get(form.casefold()) or sources.get(ALL_FORMS)
        if found is None:
            return default_source(form)
        return replace(found, form=form, file=found.file or default_file(form, found.format))

    def trial_design_table(self, name: str) -> TrialDesignTable:
        return self._get("trial_design", name.upper(), "trial design sheet")

    def _get(self, kind: str, key: Any, what: str) -> Any:
        try:
            return self._index[kind][key]
        except KeyError:
            raise KeyError(f"{self.source}: no {what} {key!r} in the spec") from None

    # --- tables ----------------------------------------------------------------------------------

    def records(self, name: str) -> tuple[dict[str, Any], ...]:
        """Rows of one sheet as plain dicts keyed by model field, plus `row` (the spreadsheet row).

        `name` is a sheet name ("Variables", "Codelists", "TS", ...) or a Spec attribute ("value_level").
        Where clauses appear as their canonical text; codelists one row per term.
        """
        if name.upper() in TRIAL_DESIGN_SHEETS:
            table = self.trial_design_table(name)
            return tuple({**rec, "row": n} for rec, n in zip(table.records(), table.row_numbers))
        schema = _SCHEMA_BY_KEY.get(name.casefold().replace(" ", "")) or _SCHEMA_BY_KEY.get(name.casefold())
        if schema is None:
            known = ", ".join(s.name for s in SHEETS) + ", " + ", ".join(TRIAL_DESIGN_SHEETS)
            raise KeyError(f"no sheet {name!r}; known: {known}")
        if schema.attribute == "codelists":
            return tuple(_codelist_records(self.codelists))
        if schema.attribute == "where_clauses":
            return tuple(_where_clause_records(self.where_clauses))
        return tuple(_object_record(obj, schema) for obj in getattr(self, schema.attribute))

    def table(self, name: str) -> pd.DataFrame:
        """One sheet as a DataFrame (see `records`); whole-number fields as Int64, flags as boolean."""
        import pandas as pd

        records = self.records(name)
        if name.upper() in TRIAL_DESIGN_SHEETS:
            columns = [*self.trial_design_table(name).columns, "row"]
        else:
            schema = _SCHEMA_BY_KEY.get(name.casefold().replace(" ", "")) or _SCHEMA_BY_KEY[name.casefold()]
            columns = [f for _, f in schema.columns] + ["row"]
        frame = pd.DataFrame.from_records(list(records), columns=columns)
        for column in columns:
            kind = _FIELD_KINDS.get(column)
            values = frame[column]
            if kind == "int" or column == "row":
                frame[column] = values.astype("Int64")
            elif kind == "bool":
                frame[column] = values.astype("boolean")
            elif values.dtype == object and all(isinstance(v, str) for v in values.dropna()):
                frame[column] = values.astype("str")  # text columns, even all-blank ones, as pandas' str dtype
        return frame


def _object_record(obj: Any, schema: SheetSchema) -> dict[str, Any]:
    record = {}
    for _, name in schema.columns:
        value = getattr(obj, name, None)
        plain = value is None or isinstance(value, (str, int, float, tuple))
        record[name] = value if plain else str(value)  # where clauses and expressions as their text
    record["row"] = obj.row
    return record


def _codelist_records(codelists: tuple[Codelist, ...]):
    for codelist in codelists:
        for item in codelist.items:
            yield {
                "codelist": codelist.id, "name": codelist.name, "nci_codelist_code": codelist.nci_code,
                "data_type": codelist.data_type, "terminology": codelist.terminology, "order": item.order,
                "term": item.term, "nci_code": item.nci_code, "decode": item.decode,
                "collected_values": item.collected_values, "row": item.row,
            }


def _where_clause_records(clauses: tuple[WhereClause, ...]):
    for clause in clauses:
        for condition in clause.conditions:
            yield {
                "id": clause.id, "dataset": condition.dataset, "variable": condition.variable,
                "comparator": condition.comparator, "values": condition.values, "row": clause.row,
            }


def _field_kinds() -> dict[str, str]:
    kinds: dict[str, str] = {}
    for cls in (DatasetDef, VariableDef, ValueLevelDef, CodelistItem, MappingRow):
        for f in fields(cls):
            annotation = str(f.type)
            if annotation.startswith("int"):
                kinds[f.name] = "int"
            elif annotation.startswith("bool"):
                kinds[f.name] = "bool"
    return kinds


_FIELD_KINDS = _field_kinds()


def _ordered(rows, key_of):
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(key_of(row), []).append(row)
    return {
        key: tuple(sorted(items, key=lambda r: (r.order is None, r.order or 0, r.row)))
        for key, items in grouped.items()
    }


def _first_by(items, key_of) -> dict:
    index: dict = {}
    for item in items:
        index.setdefault(key_of(item), item)  # duplicates are reported by the checks; the first wins
    return index


def _build_index(spec: Spec) -> dict[str, Any]:
    return {
        # names are looked up in upper case; a lower-case Dataset cell still finds its dataset
        "datasets": _first_by(spec.datasets, lambda d: d.name.upper()),
        "variables": _first_by(spec.variables, lambda v: (v.dataset.upper(), v.name.upper())),
        "variables_of": _ordered(spec.variables, lambda v: v.dataset.upper()),
        "value_level_of": _ordered(spec.value_level, lambda v: v.dataset.upper()),
        "value_level_of_variable": _ordered(spec.value_level, lambda v: (v.dataset.upper(), v.variable.upper())),
        "codelists": _first_by(spec.codelists, lambda c: c.id),
        "dictionaries": _first_by(spec.dictionaries, lambda d: d.id),
        "methods": _first_by(spec.methods, lambda m: m.id),
        "comments": _first_by(spec.comments, lambda c: c.id),
        "documents": _first_by(spec.documents, lambda d: d.id),
        "where_clauses": _first_by(spec.where_clauses, lambda w: w.id),
        "analysis_displays": _first_by(spec.analysis_displays, lambda d: d.id),
        "mappings_of": _ordered(spec.mappings, lambda m: m.dataset.upper()),
        "trial_design": _first_by(spec.trial_design, lambda t: t.name),
        "sources": _first_by(spec.sources, lambda s: s.form.casefold()),
    }
