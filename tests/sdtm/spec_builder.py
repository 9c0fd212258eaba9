"""Build small Spec objects in tests without a workbook."""

from __future__ import annotations

from specs.model import (ALL_FORMS, SourceDef, Codelist, CodelistItem, DatasetDef, MappingRow, Spec, StudyInfo, TrialDesignTable,
                         ValueLevelDef, VariableDef)
from specs.expressions import parse_expression
from specs.whereclause import parse_where


def dataset(name, keys=()):
    return DatasetDef(name=name, label=name, dataset_class=None, subclass=None, structure=None, purpose=None,
                      key_variables=tuple(keys), standard=None, repeating=None, reference_data=None,
                      has_no_data=None, comment=None, developer_notes=None, sheet="Datasets", row=2)


def variable(ds, name, order, data_type="text", codelist=None):
    return VariableDef(dataset=ds, name=name, order=order, label=name, data_type=data_type, length=None,
                       significant_digits=None, display_format=None, mandatory=False, assigned_value=None,
                       codelist=codelist, common=None, origin="Collected", source=None, pages=None, method=None,
                       predecessor=None, role=None, core=None, comment=None, developer_notes=None,
                       has_no_data=None, key_sequence=None, sheet="Variables", row=order + 1)


def codelist(cid, *terms):
    """terms: (term, nci_code, collected spellings)"""
    items = tuple(CodelistItem(term=t, nci_code=c, decode=None, order=i, collected_values=tuple(cv), extended=c is None,
                               sheet="Codelists", row=i + 2) for i, (t, c, cv) in enumerate(terms))
    return Codelist(id=cid, name=cid, nci_code=None, data_type="text", terminology=None, items=items,
                    sheet="Codelists", row=2)


def mapping(ds, var, form, field, algorithm, arguments="", where=None, condition=None, order=None, row=2):
    args = tuple((k.strip().lower(), v.strip()) for k, v in
                 (part.split("=", 1) for part in arguments.split(";") if part.strip()))
    return MappingRow(order=order, dataset=ds, variable=var, source_form=form, source_field=field,
                      algorithm=algorithm, arguments=args, where=parse_where(where) if where else None,
                      condition=parse_expression(condition) if condition else None, comment=None, sheet="Mapping",
                      row=row, source_expr=parse_expression(field) if field else None)


def value_level(ds, var, where, assigned=None, codelist=None):
    return ValueLevelDef(dataset=ds, variable=var, where_clause_id=where, where=parse_where(where), order=None,
                         label=None, data_type="text", length=None, significant_digits=None, display_format=None,
                         mandatory=False, assigned_value=assigned, codelist=codelist, origin="Assigned", source=None,
                         pages=None, method=None, predecessor=None, comment=None, developer_notes=None,
                         sheet="ValueLevel", row=2)


def trial_table(name, records):
    columns = tuple(records[0])
    return TrialDesignTable(name=name, columns=columns, rows=tuple(tuple(r[c] for c in columns) for r in records),
                            row_numbers=tuple(range(2, len(records) + 2)), sheet=name)


# The test studies' raw forms are Rave-style extracts; their Sources `*` row says which columns are context.
# Their planted bad dates are findings to test, so any share of date failures is tolerated here.
SUBJECT_ONLY = SourceDef(form=ALL_FORMS, subject_column="Subject", date_failure_threshold=1.0, sheet="Sources", row=2)
RAVE_STYLE = SourceDef(form=ALL_FORMS, subject_column="Subject", visit_column="Folder", instance_column="InstanceName",
                       date_failure_threshold=1.0, sheet="Sources", row=2)


def spec(datasets=(), variables=(), codelists=(), mappings=(), value_level=(), trial_design=(), study="STUDY1",
         sources=(SUBJECT_ONLY,)):
    return Spec(source="test.xlsx", layout="B", study=StudyInfo(name=study), datasets=tuple(datasets),
                variables=tuple(variables), codelists=tuple(codelists), mappings=tuple(mappings),
                value_level=tuple(value_level), trial_design=tuple(trial_design), sources=tuple(sources))


def listed(series):
    """A Series as a list with None for missing (pandas' str dtype shows missing text as NaN)."""
    import pandas as pd

    return [None if pd.isna(v) else v for v in series]
