"""Cross-reference and consistency checks over a `Spec`: pure functions returning Problems.

Errors are what would make a build wrong or a define.xml invalid (a dangling reference, a duplicate, a
name XPT v5 cannot hold); warnings are what real P21 workbooks often contain and a reviewer should see
(a Derived variable without a method, a where clause left without conditions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from specs.errors import Problem
from specs.expressions import IS_TEST
from specs.model import ALGORITHMS, ALL_FORMS, TRIAL_DESIGN_SHEETS, MappingRow, Spec, TrialDesignTable

_SAS_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}\Z")
_MAX_LABEL = 40
_CLASSES = frozenset({
    "ADAM OTHER", "BASIC DATA STRUCTURE", "DEVICE LEVEL ANALYSIS DATASET", "EVENTS", "FINDINGS", "FINDINGS ABOUT",
    "INTERVENTIONS", "MEDICAL DEVICE BASIC DATA STRUCTURE", "MEDICAL DEVICE OCCURRENCE DATA STRUCTURE",
    "OCCURRENCE DATA STRUCTURE", "REFERENCE DATA STRUCTURE", "RELATIONSHIP", "SPECIAL PURPOSE", "STUDY REFERENCE",
    "SUBJECT LEVEL ANALYSIS DATASET", "TRIAL DESIGN",
})  # Define-XML 2.1 ItemGroupClass
_SOURCES = frozenset({"Investigator", "Sponsor", "Subject", "Vendor"})
_CORES = frozenset({"Req", "Exp", "Perm", "Cond"})
_METHOD_TYPES = frozenset({"Computation", "Imputation"})
_CT_ALGORITHMS = frozenset({"assign_ct", "hardcode_ct"})
_FUNCTION_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_EXTRA_TRIAL_DESIGN_COLUMNS = {"TV": frozenset({"FOLDER"})}
_BLANKS = re.compile(r"\s+")
# A Source Form names a raw form; its file is the Sources sheet's File, by default <form in lower case>.csv
# inside the study folder, so the name is a plain name.
_FORM_NAME = re.compile(r"\w[\w.\- ]*\Z")


class _Report:
    """Collects problems for one spec file."""

    def __init__(self, spec: Spec):
        self.file = spec.source
        self.problems: list[Problem] = []

    def error(self, obj: Any, column: str | None, message: str) -> None:
        self._add(obj, column, message, "error")

    def warning(self, obj: Any, column: str | None, message: str) -> None:
        self._add(obj, column, message, "warning")

    def _add(self, obj: Any, column: str | None, message: str, severity: str) -> None:
        self.problems.append(Problem(self.file, message, getattr(obj, "sheet", None), getattr(obj, "row", None),
                                     column, severity))


def check_duplicates(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    _duplicates(report, spec.datasets, lambda d: d.name.upper(), "Dataset", "dataset {}")
    _duplicates(report, spec.variables, lambda v: (v.dataset.upper(), v.name.upper()), "Variable",
                "variable {0[0]}.{0[1]}")
    _duplicates(report, spec.value_level, lambda v: (v.dataset.upper(), v.variable.upper(), v.where_clause_id),
                "Where Clause", "value-level row for {0[0]}.{0[1]} where {0[2]}")
    for codelist in spec.codelists:
        _duplicates(report, codelist.items, lambda i: i.term, "Term", f"term {{!r}} of codelist {codelist.id}")
    for items, what in ((spec.standards, "standard"), (spec.dictionaries, "dictionary"), (spec.methods, "method"),
                        (spec.comments, "comment"), (spec.documents, "document"),
                        (spec.analysis_displays, "analysis display"), (spec.analysis_results, "analysis result")):
        key = (lambda x: x.oid) if what == "standard" else (lambda x: x.id)
        _duplicates(report, items, key, "OID" if what == "standard" else "ID", what + " {}")
    codelist_ids = {c.id for c in spec.codelists}
    for dictionary in spec.dictionaries:
        if dictionary.id in codelist_ids:
            report.warning(dictionary, "ID", f"{dictionary.id} is both a codelist and a dictionary; "
                                             "references to it mean the codelist")
    return report.problems


def _duplicates(report: _Report, items: Iterable[Any], key_of: Callable[[Any], Any], column: str,
                what: str) -> None:
    first: dict[Any, Any] = {}
    for item in items:
        key = key_of(item)
        if key in first:
            report.error(item, column, f"duplicate {what.format(key)}: already defined in row {first[key].row}")
        else:
            first[key] = item


def check_names(spec: Spec) -> list[Problem]:
    """Dataset and variable names and labels as SAS XPORT v5 can hold them."""
    report = _Report(spec)
    for dataset in spec.datasets:
        _check_name(report, dataset, "Dataset", dataset.name, "dataset")
        _check_label(report, dataset, dataset.label, error=True)
    for variable in spec.variables:
        _check_name(report, variable, "Variable", variable.name, "variable")
        _check_label(report, variable, variable.label, error=True)
    for row in spec.value_level:
        if row.label is not None and len(row.label) > _MAX_LABEL:
            report.warning(row, "Label", f"label has {len(row.label)} characters; define.xml shows it, but an XPT "
                                         f"label holds at most {_MAX_LABEL}")
    return report.problems


def _check_name(report: _Report, obj: Any, column: str, name: str, what: str) -> None:
    if not _SAS_NAME.match(name):
        report.error(obj, column, f"{what} name {name!r} must be 1-8 characters of A-Z, 0-9 or _, starting with a "
                                  "letter (SAS XPORT v5, SDTM/ADaM naming)")


def _check_label(report: _Report, obj: Any, label: str | None, *, error: bool) -> None:
    if label is None:
        report.warning(obj, "Label", "the label is blank; define.xml and the XPT header need one")
        return
    if len(label) > _MAX_LABEL:
        (report.error if error else report.warning)(
            obj, "Label", f"label has {len(label)} characters; SAS XPORT v5 holds at most {_MAX_LABEL}")
    if not label.isascii():
        report.warning(obj, "Label", f"label {label!r} holds non-ASCII characters, which XPT v5 may not carry")


def check_datasets(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    standards = {s.oid for s in spec.standards}
    for dataset in spec.datasets:
        names = {v.name.upper() for v in spec.variables_of(dataset.name)}
        if not names:
            report.warning(dataset, "Dataset", f"dataset {dataset.name} has no rows on the Variables sheet")
        for key in dataset.key_variables:
            if names and key.upper() not in names:
                report.error(dataset, "Key Variables", f"key variable {key} is not a variable of {dataset.name} on "
                                                        "the Variables sheet")
        if dataset.standard and dataset.standard not in standards:
            report.error(dataset, "Standard", f"standard {dataset.standard!r} is not an OID on the Standards sheet")
        if dataset.dataset_class and dataset.dataset_class.upper() not in _CLASSES:
            report.warning(dataset, "Class", f"class {dataset.dataset_class!r} is not a Define-XML 2.1 dataset class")
    return report.problems


def check_variables(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    for variable in spec.variables:
        if not spec.has_dataset(variable.dataset):
            report.error(variable, "Dataset", f"dataset {variable.dataset} is not on the Datasets sheet")
        _check_item_references(report, spec, variable)
        if variable.core and variable.core not in _CORES:
            report.warning(variable, "Core", f"core {variable.core!r} is not one of {', '.join(sorted(_CORES))}")
    return report.problems


def _check_item_references(report: _Report, spec: Spec, item: Any) -> None:
    """References and per-row consistency shared by Variables and ValueLevel rows."""
    if item.codelist and not (_exists(spec.codelist, item.codelist) or _exists(spec.dictionary, item.codelist)):
        report.error(item, "Codelist", f"codelist {item.codelist!r} is not on the Codelists or Dictionaries sheet")
    if item.method and not _exists(spec.method, item.method):
        report.error(item, "Method", f"method {item.method!r} is not on the Methods sheet")
    if item.comment and not _exists(spec.comment, item.comment):
        report.error(item, "Comment", f"comment {item.comment!r} is not on the Comments sheet")
    if item.origin == "Derived" and not item.method:
        report.warning(item, "Method", "a Derived variable has no method; define.xml should say how it is derived")
    if item.origin == "Predecessor" and not item.predecessor:
        report.warning(item, "Predecessor", "Origin is Predecessor but the Predecessor column is blank")
    # A blank Length is not a problem: the writer sizes text to the longest value (FDA wants lengths
    # trimmed to the data) and numbers are 8 bytes; define.xml takes the length actually written.
    if item.significant_digits is not None and item.data_type != "float":
        report.warning(item, "Significant Digits", f"Significant Digits is given for a {item.data_type} variable; "
                                                   "define.xml allows it for float only")
    if item.source and item.source not in _SOURCES:
        report.warning(item, "Source", f"source {item.source!r} is not one of {', '.join(sorted(_SOURCES))}")


def _exists(lookup: Callable[[str], Any], key: str) -> bool:
    try:
        lookup(key)
    except KeyError:
        return False
    return True


def check_value_level(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    term_sets: dict[str, frozenset[str]] = {}  # codelist -> its terms, made once
    for row in spec.value_level:
        if not spec.has_variable(row.dataset, row.variable):
            report.error(row, "Variable", f"{row.dataset}.{row.variable} is not on the Variables sheet")
        _check_item_references(report, spec, row)
        if row.where is None:
            continue  # the reader reported why it could not be resolved
        if not row.where.conditions:
            report.warning(row, "Where Clause", f"where clause {row.where_clause_id!r} has no usable condition, so "
                                                "this row would apply to every record")
        for condition in row.where.conditions:
            dataset = condition.dataset or row.dataset
            if dataset.upper() != row.dataset.upper():
                report.warning(row, "Where Clause", f"where clause {row.where_clause_id!r} tests {dataset}."
                                                    f"{condition.variable}, not a variable of {row.dataset}")
            if not spec.has_variable(dataset, condition.variable):
                report.error(row, "Where Clause", f"where clause {row.where_clause_id!r} names {dataset}."
                                                  f"{condition.variable}, which is not on the Variables sheet")
                continue
            _check_where_values(report, spec, row, spec.variable(dataset, condition.variable), condition.values,
                                term_sets)
    return report.problems


def _check_where_values(report: _Report, spec: Spec, row: Any, variable: Any, values: tuple[str, ...],
                        term_sets: dict[str, frozenset[str]]) -> None:
    if not variable.codelist or not _exists(spec.codelist, variable.codelist):
        return
    terms = term_sets.get(variable.codelist)
    if terms is None:
        terms = term_sets[variable.codelist] = frozenset(spec.codelist(variable.codelist).terms)
    for value in values:
        if value not in terms:
            report.warning(row, "Where Clause", f"{variable.name} value {value!r} is not a term of codelist "
                                                f"{variable.codelist}")


def check_codelists(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    standards = {s.oid for s in spec.standards}
    for codelist in spec.codelists:
        for item in codelist.items:
            if codelist.data_type == "integer" and not re.fullmatch(r"[+-]?\d+", item.term):
                report.error(item, "Term", f"term {item.term!r} is not an integer, but codelist {codelist.id} is")
            if codelist.data_type == "float" and not _is_number(item.term):
                report.error(item, "Term", f"term {item.term!r} is not a number, but codelist {codelist.id} is float")
        decoded = [item.decode is not None for item in codelist.items]
        if any(decoded) and not all(decoded):
            blank = next(item for item in codelist.items if item.decode is None)
            report.warning(blank, "Decoded Value", f"codelist {codelist.id} decodes some terms but not this one")
        _check_collected_values(report, codelist)
        if spec.standards and codelist.terminology and codelist.terminology not in standards:
            report.warning(codelist, "Terminology", f"terminology {codelist.terminology!r} of codelist {codelist.id} "
                                                    "is not an OID on the Standards sheet")
    return report.problems


def _check_collected_values(report: _Report, codelist: Any) -> None:
    """A raw spelling may lead to one term only (compared as the SDTM mapping compares: case and blanks ignored)."""
    owner: dict[str, str] = {_fold(item.term): item.term for item in codelist.items}
    for item in codelist.items:
        for spelling in item.collected_values:
            key = _fold(spelling)
            if owner.get(key, item.term) != item.term:
                report.error(item, "Collected Values", f"collected value {spelling!r} of term {item.term!r} also "
                                                       f"leads to term {owner[key]!r} in codelist {codelist.id}")
            owner.setdefault(key, item.term)


def _fold(text: str) -> str:
    return _BLANKS.sub(" ", text).strip().casefold()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_documents(spec: Spec) -> list[Problem]:
    """Document references of Methods, Comments and analysis displays and results."""
    report = _Report(spec)
    known = {d.id for d in spec.documents}

    def check(obj: Any, column: str, refs: Iterable[str]) -> None:
        for ref in refs:
            if ref not in known:
                report.error(obj, column, f"document {ref!r} is not on the Documents sheet")

    for obj in (*spec.methods, *spec.comments, *spec.analysis_displays):
        check(obj, "Document", _split(obj.document))
    for result in spec.analysis_results:
        check(result, "Documentation Refs", result.documentation_refs)
        check(result, "Programming Document", _split(result.programming_document))
    for method in spec.methods:
        if method.type and method.type not in _METHOD_TYPES:
            report.warning(method, "Type", f"method type {method.type!r} is not one of "
                                           f"{', '.join(sorted(_METHOD_TYPES))}")
    return report.problems


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip()) if text else ()


def check_analysis_results(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    displays = {d.id for d in spec.analysis_displays}
    for result in spec.analysis_results:
        if result.display not in displays:
            report.error(result, "Display", f"display {result.display!r} is not on the Analysis Displays sheet")
    return report.problems


def is_analysis_spec(spec: Spec) -> bool:
    """An ADaM spec: StandardName says ADaM, or every dataset is named AD..."""
    name = (spec.study.standard_name or spec.study.attribute("StandardName") or "").upper()
    return name.startswith("ADAM") or bool(spec.datasets) and all(d.name.startswith("AD") for d in spec.datasets)


def check_mappings(spec: Spec) -> list[Problem]:
    """SDTM Mapping rows name the engine's algorithms; an ADaM spec's rows name derivation functions,
    which the ADaM engine (not importable from here) checks when it runs them."""
    report = _Report(spec)
    analysis = is_analysis_spec(spec)
    for row in spec.mappings:
        if row.source_form is not None and (reason := source_form_problem(row.source_form)):
            report.error(row, "Source Form", reason)
        if analysis:
            if not _FUNCTION_NAME.match(row.algorithm or ""):
                report.error(row, "Algorithm", f"{row.algorithm!r} is not a derivation function name "
                                               "(lower case letters, digits and _)")
        elif row.algorithm not in ALGORITHMS:
            report.error(row, "Algorithm", f"unknown algorithm {row.algorithm!r}; expected one of: "
                                           f"{', '.join(ALGORITHMS)}")
        _check_expressions(report, row)
        if not spec.has_dataset(row.dataset):
            report.error(row, "Dataset", f"dataset {row.dataset} is not on the Datasets sheet")
            continue
        if row.where is not None:
            for name in row.where.variables:
                if not spec.has_variable(row.dataset, name):
                    report.warning(row, "Where Clause", f"the where clause tests {name}, which is not a variable of "
                                                        f"{row.dataset} on the Variables sheet")
        if row.algorithm == "not_submitted":
            continue  # names a raw field left out of SDTM, or a variable not produced
        if row.is_supp:
            if not _SAS_NAME.match(row.variable):
                report.error(row, "Variable", f"QNAM {row.variable!r} must be 1-8 characters of A-Z, 0-9 or _, "
                                              "starting with a letter")
        elif not spec.has_variable(row.dataset, row.variable):
            report.error(row, "Variable", f"{row.dataset}.{row.variable} is not on the Variables sheet")
        elif row.algorithm in _CT_ALGORITHMS and not (spec.variable(row.dataset, row.variable).codelist
                                                     or row.argument("codelist")
                                                     or any(v.codelist for v in spec.value_level_of(row.dataset,
                                                                                                    row.variable))):
            report.error(row, "Algorithm", f"{row.algorithm} needs a codelist, but {row.dataset}.{row.variable} has "
                                           "none and no codelist= argument is given")
        if row.algorithm == "derive" and not row.argument("function"):
            report.error(row, "Arguments", "a derive row needs a function= argument naming the derivation")
    return report.problems


def _check_expressions(report: _Report, row: MappingRow) -> None:
    """A Condition is a test and a Source Field a value, each with known functions and fitting arguments.
    (Whether the fields it names exist is known only with the raw data: the build checks that.)"""
    for column, expression in (("Condition", row.condition), ("Source Field", row.source_expr)):
        if expression is None:
            continue
        for issue in expression.issues:
            report.error(row, column, f"{expression.text!r} {issue}")
        if expression.issues:
            continue
        if column == "Condition" and expression.kind != IS_TEST:
            report.error(row, column, f"the Condition must be a test (true/false) such as AEONGO == 'Yes'; "
                                      f"{expression.text!r} gives a value")
        elif column == "Source Field" and expression.kind == IS_TEST:
            report.error(row, column, f"{expression.text!r} is a test (true/false), not a value; "
                                      "if(test, 'Y', 'N') makes one")


def source_form_problem(form: str) -> str | None:
    """Why `form` cannot be a Source Form (None when it is a plain form name).

    Without a File on the Sources sheet the raw reader opens <form>.csv inside the study folder; a separator,
    '..', a drive or an absolute path would let a spec read a file elsewhere.
    """
    if form.startswith(("/", "\\", "~")) or (len(form) > 1 and form[1] == ":"):
        why = "is an absolute path"
    elif "/" in form or "\\" in form:
        why = "holds a path separator"
    elif ".." in form:
        why = "holds '..'"
    elif not _FORM_NAME.match(form):
        why = "holds characters other than letters, digits, blanks, '_', '-' and '.'"
    else:
        return None
    return (f"Source Form {form!r} {why}; it must be a plain form name (the Sources sheet's File says which file "
            "holds the form; by default <form>.csv in the study folder)")


def check_sources(spec: Spec) -> list[Problem]:
    """One Sources row per form; a row for a form no Mapping row reads is a warning (a typo, or left over).
    A Source Form without a Sources row is fine: the `*` row or the built-in default applies."""
    report = _Report(spec)
    first: dict[str, Any] = {}
    for source in spec.sources:
        if (earlier := first.setdefault(source.form.casefold(), source)) is not source:
            report.error(source, "Form", f"a second Sources row for form {source.form} (the first is row "
                                         f"{earlier.row}); one form is read one way: keep one row")
    forms = {row.source_form.casefold() for row in spec.mappings if row.source_form}
    for source in spec.sources:
        if source.form != ALL_FORMS and spec.mappings and source.form.casefold() not in forms:
            report.warning(source, "Form", f"no Mapping row has Source Form {source.form}, so this row is not used")
        elif source.form.upper() in TRIAL_DESIGN_SHEETS:
            report.warning(source, "Form", f"{source.form} is a trial design sheet of this workbook, not a raw form; "
                                           "this row is not used")
    return report.problems


def check_trial_design(spec: Spec) -> list[Problem]:
    report = _Report(spec)
    for table in spec.trial_design:
        if not spec.has_dataset(table.name):
            report.warning(_At(table), None, f"sheet {table.sheet} holds trial design data, but {table.name} is not "
                                             "on the Datasets sheet")
            continue
        allowed = {v.name.upper() for v in spec.variables_of(table.name)} | _EXTRA_TRIAL_DESIGN_COLUMNS.get(
            table.name, frozenset())
        for column in table.columns:
            if column not in allowed:
                report.error(_At(table), column, f"column {column} is not a variable of {table.name} on the Variables "
                                                 "sheet")
    return report.problems


class _At:
    """The header row of a trial design sheet as a problem location."""

    def __init__(self, table: TrialDesignTable):
        self.sheet, self.row = table.sheet, 1


CHECKS: tuple[Callable[[Spec], list[Problem]], ...] = (
    check_duplicates, check_names, check_datasets, check_variables, check_value_level, check_codelists,
    check_documents, check_analysis_results, check_mappings, check_sources, check_trial_design,
)


def run_checks(spec: Spec) -> list[Problem]:
    """Every check over `spec`, problems in check order."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(spec))
    return problems
