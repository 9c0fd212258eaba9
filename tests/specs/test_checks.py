"""The checks are pure functions over the model: start from a clean spec, break one thing, check."""

from dataclasses import replace

import pytest
from spec_factory import base_sheets, write_workbook

from specs import checks
from specs.model import AnalysisDisplay, AnalysisResult, Codelist, TrialDesignTable
from specs.reader import read_spec
from specs.whereclause import WhereClause, parse_where


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return read_spec(write_workbook(tmp_path_factory.mktemp("checks") / "spec.xlsx", base_sheets()))


def found(problems, severity="error"):
    return [(p.sheet, p.row, p.column, p.message) for p in problems if p.severity == severity]


def swap(items, old, new):
    return tuple(new if item is old else item for item in items)


def test_clean_spec_has_no_problems(spec):
    assert checks.run_checks(spec) == []


def test_duplicates(spec):
    dm = spec.dataset("DM")
    method = spec.method("MT.AGE")
    broken = replace(spec, datasets=spec.datasets + (replace(dm, row=99),),
                     methods=spec.methods + (replace(method, row=50),),
                     dictionaries=spec.dictionaries + (replace(spec.dictionary("MEDDRA"), id="SEX", row=3),))
    problems = checks.check_duplicates(broken)
    assert found(problems) == [
        ("Datasets", 99, "Dataset", "duplicate dataset DM: already defined in row 2"),
        ("Methods", 50, "ID", "duplicate method MT.AGE: already defined in row 3"),
    ]
    assert found(problems, "warning") == [
        ("Dictionaries", 3, "ID", "SEX is both a codelist and a dictionary; references to it mean the codelist")]


def test_names_and_labels(spec):
    sex = spec.variable("DM", "SEX")
    age = spec.variable("DM", "AGE")
    label = "A label that is much longer than forty characters"
    broken = replace(spec, variables=swap(swap(spec.variables, sex, replace(sex, name="sex_of_subject")), age,
                                          replace(age, label=label)))
    problems = checks.check_names(broken)
    assert [(p.row, p.column) for p in problems if p.severity == "error"] == [(5, "Variable"), (6, "Label")]
    assert "'sex_of_subject' must be 1-8 characters" in problems[0].message
    assert "49 characters" in problems[1].message


def test_label_warnings(spec):
    sex = spec.variable("DM", "SEX")
    vl = spec.value_level[0]
    broken = replace(spec, variables=swap(spec.variables, sex, replace(sex, label="Sexe (déclaré)")),
                     value_level=swap(spec.value_level, vl, replace(vl, label="x" * 41)),
                     datasets=swap(spec.datasets, spec.dataset("TV"), replace(spec.dataset("TV"), label=None)))
    problems = checks.check_names(broken)
    assert found(problems) == []
    assert [(p.sheet, p.row) for p in problems] == [("Datasets", 5), ("Variables", 5), ("ValueLevel", 2)]


def test_datasets(spec):
    ae = spec.dataset("AE")
    broken = replace(spec, datasets=swap(spec.datasets, ae, replace(
        ae, key_variables=("STUDYID", "AESPID"), standard="STD.NOPE", dataset_class="ADVERSE")) + (
        replace(ae, name="EX", key_variables=(), row=9),))
    problems = checks.check_datasets(broken)
    assert found(problems) == [
        ("Datasets", 3, "Key Variables", "key variable AESPID is not a variable of AE on the Variables sheet"),
        ("Datasets", 3, "Standard", "standard 'STD.NOPE' is not an OID on the Standards sheet"),
    ]
    assert [(p.row, p.column) for p in problems if p.severity == "warning"] == [
        (3, "Class"), (9, "Dataset")]


def test_variables(spec):
    aedecod = spec.variable("AE", "AEDECOD")
    assert aedecod.codelist == "MEDDRA"  # a Dictionaries id is a valid Codelist reference
    age = spec.variable("DM", "AGE")
    sex = spec.variable("DM", "SEX")
    variables = swap(spec.variables, age, replace(age, comment="COM.NOPE", method=None, core="Required"))
    variables = swap(variables, sex, replace(sex, dataset="DMX", source="Patient"))
    problems = checks.check_variables(replace(spec, variables=variables))
    assert found(problems) == [
        ("Variables", 5, "Dataset", "dataset DMX is not on the Datasets sheet"),
        ("Variables", 6, "Comment", "comment 'COM.NOPE' is not on the Comments sheet"),
    ]
    assert [(p.row, p.column) for p in problems if p.severity == "warning"] == [
        (5, "Source"), (6, "Method"), (6, "Core")]


def test_value_level(spec):
    first, second = spec.value_level
    variables = swap(spec.variables, spec.variable("TS", "TSPARMCD"), spec.variable("TS", "TSPARMCD"))
    broken = replace(spec, variables=variables, value_level=(
        replace(first, variable="TSVALX"),
        replace(second, where=WhereClause(id="WC.EMPTY", conditions=()), where_clause_id="WC.EMPTY"),
        replace(second, where=parse_where("TV.VISIT EQ X AND TSPARMCD IN (TITLE, NOPE)"), row=9),
    ))
    problems = checks.check_value_level(broken)
    assert found(problems) == [("ValueLevel", 2, "Variable", "TS.TSVALX is not on the Variables sheet")]
    warnings = found(problems, "warning")
    assert [w[:2] for w in warnings] == [("ValueLevel", 3), ("ValueLevel", 9), ("ValueLevel", 9)]
    assert "no usable condition" in warnings[0][3]
    assert "tests TV.VISIT, not a variable of TS" in warnings[1][3]
    assert "'NOPE' is not a term of codelist TSPARMCD" in warnings[2][3]


def test_codelists(spec):
    sex = spec.codelist("SEX")
    f, m, u = sex.items
    mixed = replace(sex, items=(f, replace(m, decode=None, collected_values=("FEMALE ", "Man")), u))
    numbers = Codelist(id="N", name="N", nci_code=None, data_type="integer", terminology=None,
                       items=(replace(f, term="1", collected_values=(), row=20),
                              replace(f, term="1.5", collected_values=(), row=21)), sheet="Codelists", row=20)
    problems = checks.check_codelists(replace(spec, codelists=(mixed, numbers)))
    assert found(problems) == [
        ("Codelists", 3, "Collected Values",
         "collected value 'FEMALE ' of term 'M' also leads to term 'F' in codelist SEX"),
        ("Codelists", 21, "Term", "term '1.5' is not an integer, but codelist N is"),
    ]
    assert found(problems, "warning") == [
        ("Codelists", 3, "Decoded Value", "codelist SEX decodes some terms but not this one")]
    problems = checks.check_codelists(replace(spec, codelists=(replace(sex, terminology="CDISC/NCI"),)))
    assert found(problems, "warning") == [
        ("Codelists", 2, "Terminology", "terminology 'CDISC/NCI' of codelist SEX is not an OID on the Standards sheet")]


def test_documents_and_analysis_results(spec):
    display = AnalysisDisplay(id="T14.1", title="Demographics", document="SAP", pages="3", sheet="Analysis Displays",
                              row=2)
    result = AnalysisResult(display="T14.2", id="AR.1", description=None, variables=("AGE",), reason=None,
                            purpose=None, selection_criteria=None, join_comment=None, documentation=None,
                            documentation_refs=("SAP", "CSR"), programming_context=None, programming_code=None,
                            programming_document="SAP", pages=None, sheet="Analysis Results", row=2)
    broken = replace(spec, analysis_displays=(display,), analysis_results=(result,))
    assert found(checks.check_documents(broken)) == [
        ("Analysis Results", 2, "Documentation Refs", "document 'CSR' is not on the Documents sheet")]
    assert found(checks.check_analysis_results(broken)) == [
        ("Analysis Results", 2, "Display", "display 'T14.2' is not on the Analysis Displays sheet")]
    assert checks.check_analysis_results(replace(broken, analysis_results=(replace(result, display="T14.1"),))) == []


def test_mappings(spec):
    rows = {(m.dataset, m.variable): m for m in spec.mappings}
    sex, seq, supp = rows[("DM", "SEX")], rows[("AE", "AESEQ")], rows[("AE", "AESOCCD")]
    no_codelist = replace(spec, variables=swap(spec.variables, spec.variable("DM", "SEX"),
                                               replace(spec.variable("DM", "SEX"), codelist=None)))
    broken = replace(no_codelist, mappings=(
        sex,
        replace(sex, variable="SEXX", row=30),
        replace(sex, dataset="XX", row=31),
        replace(seq, arguments=(("by", "USUBJID"),)),
        replace(supp, variable="AESOCCODE"),
        replace(sex, algorithm="assign_ct", arguments=(("codelist", "SEX"),), row=32),
        replace(sex, algorithm="not_submitted", variable="SEXRAW", row=33),  # a raw field left out: no error
        replace(sex, where=parse_where("SEXRAW EQ F"), row=34),
    ))
    no_ct = "assign_ct needs a codelist, but DM.SEX has none and no codelist= argument is given"
    assert found(checks.check_mappings(broken)) == [
        ("Mapping", 3, "Algorithm", no_ct),
        ("Mapping", 30, "Variable", "DM.SEXX is not on the Variables sheet"),
        ("Mapping", 31, "Dataset", "dataset XX is not on the Datasets sheet"),
        ("Mapping", 6, "Arguments", "a derive row needs a function= argument naming the derivation"),
        ("Mapping", 8, "Variable", "QNAM 'AESOCCODE' must be 1-8 characters of A-Z, 0-9 or _, starting with a letter"),
        ("Mapping", 34, "Algorithm", no_ct),
    ]
    assert found(checks.check_mappings(broken), "warning") == [
        ("Mapping", 34, "Where Clause", "the where clause tests SEXRAW, which is not a variable of DM on the "
                                        "Variables sheet")]


def test_trial_design(spec):
    tv = spec.trial_design_table("TV")
    broken = replace(spec, trial_design=(
        replace(tv, columns=(*tv.columns[:-1], "FOLDER")),  # FOLDER is allowed in TV only
        replace(tv, name="TS", columns=("STUDYID", "FOLDER")),
        TrialDesignTable(name="TI", columns=("IETESTCD",), rows=(), row_numbers=(), sheet="TI"),
    ))
    problems = checks.check_trial_design(broken)
    assert found(problems) == [("TV", 1, "FOLDER", "column FOLDER is not a variable of TS on the Variables sheet")]
    assert found(problems, "warning") == [
        ("TI", 1, None, "sheet TI holds trial design data, but TI is not on the Datasets sheet")]
