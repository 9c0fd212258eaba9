"""The example study's spec workbooks: up to date with their authoring modules, consistent, and true to CT and forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from trialforge.example_study import example_spec
from trialforge.example_study.workbooks import ADAM_SPEC, SDTM_SPEC
from trialforge.example_study.workbooks.author import build_adam, build_sdtm, workbook_bytes
from trialforge.example_study.workbooks.common import COLUMNS
from trialforge.example_study.workbooks.sdtm_mapping import DERIVE_FUNCTIONS
from adam.derivations import DERIVATIONS
from trialforge.example_study.workbooks.trial_design import VISIT_FOLDERS, study_day
from specs.rawfields import missing_raw_fields, required_raw_fields
from specs.reader import check_spec, read_spec
from specs.terminology import terminology
from specs.expressions import parse_expression
from specs.whereclause import parse_where
from trialforge.example_study import forms

SDTM_ALGORITHMS = {"assign_no_ct", "assign_ct", "hardcode_no_ct", "hardcode_ct", "assign_datetime",
                   "assign_numeric", "derive", "supp", "not_submitted"}
TRIAL_DESIGN = ("TS", "TA", "TE", "TV", "TI")


def read_sheets(path: Path) -> dict[str, list[list[str]]]:
    wb = load_workbook(path, read_only=True)
    sheets = {}
    for ws in wb.worksheets:
        sheets[ws.title] = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    wb.close()
    return sheets


def records(sheets: dict[str, list[list[str]]], sheet: str) -> list[dict[str, str]]:
    header, *rows = sheets[sheet]
    return [dict(zip(header, row)) for row in rows]


def arguments(text: str) -> dict[str, str]:
    pairs = [p.split("=", 1) for p in text.split(";") if p.strip()]
    return {k.strip(): v.strip() for k, v in pairs}


def expression_fields(text: str) -> list[str]:
    """The fields a Source Field or Condition expression reads."""
    return list(parse_expression(text).fields) if text else []


@pytest.fixture(scope="module")
def sdtm() -> dict[str, list[list[str]]]:
    return build_sdtm()


@pytest.fixture(scope="module")
def adam() -> dict[str, list[list[str]]]:
    return build_adam()


@pytest.fixture(scope="module", params=["sdtm", "adam"])
def workbook(request, sdtm, adam) -> dict[str, list[list[str]]]:
    return {"sdtm": sdtm, "adam": adam}[request.param]


# --- the committed files ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind, name", [("sdtm", SDTM_SPEC), ("adam", ADAM_SPEC)])
def test_committed_workbook_equals_what_the_authoring_modules_produce(kind, name, sdtm, adam):
    built = {"sdtm": sdtm, "adam": adam}[kind]
    committed = read_sheets(example_spec(kind))
    assert list(committed) == list(built), f"{name}: sheets differ; run python -m trialforge.example_study.workbooks.author"
    for sheet, rows in built.items():
        assert committed[sheet] == rows, f"{name} sheet {sheet!r} is stale; run python -m trialforge.example_study.workbooks.author"


def test_writing_twice_gives_identical_bytes(sdtm):
    assert workbook_bytes(sdtm, "t") == workbook_bytes(sdtm, "t")


def test_sheets_have_the_layout_b_headers_in_order(workbook):
    for sheet, rows in workbook.items():
        assert tuple(rows[0]) == COLUMNS[sheet], sheet
    expected = ["Define", "Standards", "Datasets", "Variables", "ValueLevel", "Codelists", "Dictionaries",
                "Methods", "Comments", "Documents"]
    assert list(workbook)[:len(expected)] == expected


def test_every_cell_is_text(workbook):
    for sheet, rows in workbook.items():
        for row in rows:
            assert all(isinstance(cell, str) for cell in row), sheet


# --- structure -----------------------------------------------------------------------------------

def test_every_variable_dataset_is_declared_and_names_fit_xpt(workbook):
    datasets = {d["Dataset"] for d in records(workbook, "Datasets")}
    for v in records(workbook, "Variables"):
        assert v["Dataset"] in datasets, v
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", v["Variable"]), v
        assert 0 < len(v["Label"]) <= 40, v
    for d in records(workbook, "Datasets"):
        assert len(d["Dataset"]) <= 8 and len(d["Label"]) <= 40, d
    for row in records(workbook, "ValueLevel"):
        assert len(row["Label"]) <= 40, row


def test_key_variables_are_variables_of_their_dataset(workbook):
    variables = {(v["Dataset"], v["Variable"]) for v in records(workbook, "Variables")}
    for d in records(workbook, "Datasets"):
        for key in d["Key Variables"].split(", "):
            assert (d["Dataset"], key) in variables, (d["Dataset"], key)


def test_variable_order_is_1_to_n_per_dataset(workbook):
    orders: dict[str, list[int]] = {}
    for v in records(workbook, "Variables"):
        orders.setdefault(v["Dataset"], []).append(int(v["Order"]))
    for dataset, numbers in orders.items():
        assert numbers == list(range(1, len(numbers) + 1)), dataset


def test_references_resolve(workbook):
    codelists = {c["ID"] for c in records(workbook, "Codelists")} | {d["ID"] for d in records(workbook, "Dictionaries")}
    methods = {m["ID"] for m in records(workbook, "Methods")}
    comments = {c["ID"] for c in records(workbook, "Comments")}
    documents = {d["ID"] for d in records(workbook, "Documents")}
    used_methods, used_comments = set(), set()
    for sheet in ("Variables", "ValueLevel"):
        for v in records(workbook, sheet):
            assert not v["Codelist"] or v["Codelist"] in codelists, v
            assert not v["Method"] or v["Method"] in methods, v
            assert not v["Comment"] or v["Comment"] in comments, v
            assert (v["Origin"] == "Derived") == bool(v["Method"]), v
            if v["Origin"] == "Predecessor":
                assert re.fullmatch(r"[A-Z]+\.[A-Z0-9]+", v["Predecessor"]), v
            used_methods.add(v["Method"])
            used_comments.add(v["Comment"])
    used_comments |= {d["Comment"] for d in records(workbook, "Datasets")}
    assert methods <= used_methods, methods - used_methods
    assert comments <= used_comments, comments - used_comments
    for row in records(workbook, "Methods") + records(workbook, "Comments"):
        assert not row["Document"] or row["Document"] in documents, row


def test_origins_and_sources_use_define_terms(workbook):
    for v in records(workbook, "Variables") + records(workbook, "ValueLevel"):
        assert v["Origin"] in {"Collected", "Derived", "Assigned", "Protocol", "Predecessor"}, v
        assert v["Source"] in {"", "Investigator", "Sponsor", "Subject", "Vendor"}, v
        if v["Origin"] == "Collected":
            assert v["Source"], v


def test_standards_cover_every_codelist_terminology(workbook):
    standards = {s["OID"] for s in records(workbook, "Standards")}
    for c in records(workbook, "Codelists"):
        assert (c["Terminology"] in standards) if c["NCI Codelist Code"] else c["Terminology"] == "", c


# --- controlled terminology ----------------------------------------------------------------------

def test_every_nci_code_is_the_ct_code_of_its_term(workbook):
    packages = {"STD.CT.SDTM.2025-03-28": terminology("sdtm"), "STD.CT.ADAM.2025-03-28": terminology("adam")}
    checked = 0
    for c in records(workbook, "Codelists"):
        if not c["NCI Codelist Code"]:
            assert not c["NCI Term Code"], c  # sponsor codelists carry no codes
            continue
        ct = packages[c["Terminology"]]
        header = ct.header(c["NCI Codelist Code"])
        assert header["code"] == c["NCI Codelist Code"]
        if c["NCI Term Code"]:
            assert ct.term(c["NCI Codelist Code"], c["Term"])["code"] == c["NCI Term Code"], c
            checked += 1
        else:  # sponsor extension: must not be a CDISC term, codelist must be extensible
            terms = ct.terms(c["NCI Codelist Code"])
            assert c["Term"] not in set(terms["submission_value"]), c
            assert bool(header["extensible"]), c
    assert checked > 20


def test_collected_spellings_map_to_one_term_per_codelist(workbook):
    for cid in {c["ID"] for c in records(workbook, "Codelists")}:
        seen: dict[str, str] = {}
        for c in (r for r in records(workbook, "Codelists") if r["ID"] == cid):
            for spelling in filter(None, c["Collected Values"].split("|")):
                key = spelling.strip().casefold()
                assert seen.setdefault(key, c["Term"]) == c["Term"], (cid, spelling)


def test_hardcoded_ct_values_are_terms_of_the_variables_codelist(sdtm):
    codelist_terms: dict[str, set[str]] = {}
    for c in records(sdtm, "Codelists"):
        codelist_terms.setdefault(c["ID"], set()).add(c["Term"])
    allowed: dict[tuple[str, str], set[str]] = {}
    for v in records(sdtm, "Variables") + records(sdtm, "ValueLevel"):
        if v["Codelist"] in codelist_terms:  # a variable's own codelist or one of its value-level ones
            allowed.setdefault((v["Dataset"], v["Variable"]), set()).update(codelist_terms[v["Codelist"]])
    for m in records(sdtm, "Mapping"):
        if m["Algorithm"] == "hardcode_ct":
            assert arguments(m["Arguments"])["value"] in allowed[(m["Dataset"], m["Variable"])], m


def test_lab_tests_pair_codes_and_names_through_ct(sdtm):
    ct = terminology("sdtm")
    codes = {c["Term"]: c["NCI Term Code"] for c in records(sdtm, "Codelists") if c["ID"] == "LBTESTCD"}
    names = {c["Term"]: c["NCI Term Code"] for c in records(sdtm, "Codelists") if c["ID"] == "LBTEST"}
    assert sorted(codes.values()) == sorted(names.values())
    assert ct.term("LBTESTCD", "INTLK6")["code"] == codes["INTLK6"]


# --- mapping -------------------------------------------------------------------------------------

def test_sdtm_mapping_uses_known_algorithms_and_derive_functions(sdtm):
    for m in records(sdtm, "Mapping"):
        assert m["Algorithm"] in SDTM_ALGORITHMS, m
        args = arguments(m["Arguments"])
        if m["Algorithm"] == "derive":
            assert args["function"] in DERIVE_FUNCTIONS, m
        if m["Algorithm"] == "not_submitted":
            assert args.get("reason"), m
        if m["Algorithm"] == "supp":
            assert {"qnam", "qlabel", "qorig"} <= set(args) and args["qnam"] == m["Variable"], m
            assert len(args["qlabel"]) <= 40 and len(args["qnam"]) <= 8, m
        if m["Algorithm"].startswith("hardcode"):
            assert "value" in args, m


def test_sdtm_mapping_forms_and_fields_exist_in_the_raw_layout(sdtm):
    for m in records(sdtm, "Mapping"):
        form = m["Source Form"]
        if not form or form in TRIAL_DESIGN:
            continue
        assert form in forms.FORMS_BY_OID, m
        known = set(forms.columns(forms.FORMS_BY_OID[form]))
        used = expression_fields(m["Source Field"]) + expression_fields(m["Condition"])
        used += [v for k, v in arguments(m["Arguments"]).items() if k == "time"]
        for field in used:
            assert field in known, (m, field)


def test_every_raw_field_is_mapped_or_explicitly_not_submitted(sdtm):
    used: dict[str, set[str]] = {}
    for m in records(sdtm, "Mapping"):
        fields = used.setdefault(m["Source Form"], set())
        fields.update(expression_fields(m["Source Field"]) + expression_fields(m["Condition"]))
        fields.update(v for k, v in arguments(m["Arguments"]).items() if k == "time")
    missing = [(f.oid, fld.name) for f in forms.FORMS for fld in f.fields if fld.name not in used.get(f.oid, set())]
    assert missing == []


def test_trial_design_mapping_reads_sheet_columns(sdtm):
    for m in records(sdtm, "Mapping"):
        if m["Source Form"] in TRIAL_DESIGN and m["Source Field"]:
            assert m["Source Field"] in COLUMNS[m["Source Form"]], m


def test_every_variable_has_a_mapping_row_and_every_mapped_variable_exists(workbook):
    variables = {(v["Dataset"], v["Variable"]) for v in records(workbook, "Variables")}
    mapped = set()
    for m in records(workbook, "Mapping"):
        if m["Algorithm"] in ("supp", "not_submitted") or (m["Algorithm"] == "derive" and "qnam=" in (m.get("Arguments") or "")):
            continue  # supplemental qualifiers (collected or derived) are QNAMs, not variables
        assert (m["Dataset"], m["Variable"]) in variables, m
        mapped.add((m["Dataset"], m["Variable"]))
    unmapped = {v for v in variables if not v[0].startswith("SUPP")} - mapped
    assert unmapped == set()


def test_where_clauses_and_conditions_parse_with_the_spec_grammar(workbook):
    conditions = [m["Condition"] for m in records(workbook, "Mapping") if m["Condition"]]
    assert conditions
    for text in conditions:  # a test in the expression language, with nothing for the spec checks to report
        expression = parse_expression(text)
        assert expression.kind == "test" and not expression.issues, text
    texts = []
    for sheet, columns in (("ValueLevel", ("Where Clause",)), ("Mapping", ("Where Clause",)),
                           ("Analysis Results", ("Selection Criteria",))):
        for row in records(workbook, sheet) if sheet in workbook else []:
            texts += [row[c] for c in columns if row[c]]
            if sheet == "Mapping":
                args = arguments(row["Arguments"])
                texts += [args[k] for k in ("filter", "condition", "population", "until") if k in args]
    assert texts
    for text in texts:
        assert parse_where(text).conditions, text


def test_adam_mapping_names_known_functions_and_sources(adam, sdtm):
    sources = {d["Dataset"] for d in records(sdtm, "Datasets")} | {d["Dataset"] for d in records(adam, "Datasets")}
    for m in records(adam, "Mapping"):
        assert m["Algorithm"] in DERIVATIONS, m
        assert m["Source Form"] in sources, m


def test_predecessors_point_at_existing_variables(adam, sdtm):
    known = {(v["Dataset"], v["Variable"]) for v in records(sdtm, "Variables") + records(adam, "Variables")}
    for v in records(adam, "Variables"):
        if v["Origin"] == "Predecessor" and not v["Predecessor"].startswith("SUPP"):
            assert tuple(v["Predecessor"].split(".")) in known, v


# --- trial design --------------------------------------------------------------------------------

def test_tv_has_one_visit_per_edc_folder_with_no_day_zero(sdtm):
    tv = records(sdtm, "TV")
    assert [(t["FOLDER"]) for t in tv] == [f for f, _, _ in forms.VISIT_FOLDERS]
    assert [(f, label, day) for f, label, day, _ in VISIT_FOLDERS] == list(forms.VISIT_FOLDERS)
    days = {t["FOLDER"]: int(t["VISITDY"]) for t in tv}
    assert (days["SCR"], days["LD"], days["D0"], days["D1"], days["D28"]) == (-28, -5, 1, 2, 29)
    assert 0 not in days.values()
    assert study_day(-1) == -1 and study_day(0) == 1


def test_ts_has_the_fda_checked_parameters_with_coded_values(sdtm):
    ts = records(sdtm, "TS")
    params = {t["TSPARMCD"] for t in ts}
    assert {"SSTDTC", "SDTIGVER", "SDTMVER", "TPHASE", "TITLE", "STYPE", "PLANSUB", "LENGTH", "SPONSOR"} <= params
    tphase = next(t for t in ts if t["TSPARMCD"] == "TPHASE")
    assert (tphase["TSVAL"], tphase["TSVALCD"]) == ("PHASE I/II TRIAL", terminology("sdtm").term_code("TPHASE", "PHASE I/II TRIAL"))
    for t in ts:
        assert t["TSVAL"] or t["TSVALNF"] or t["TSPARMCD"] in ("SSTDTC", "SENDTC", "ACTSUB", "DCUTDTC"), t


def test_ta_epochs_are_in_the_epoch_codelist(sdtm):
    epochs = {c["Term"] for c in records(sdtm, "Codelists") if c["ID"] == "EPOCH"}
    ta = records(sdtm, "TA")
    assert {t["EPOCH"] for t in ta} == epochs
    assert [t["ETCD"] for t in ta] == [e["ETCD"] for e in records(sdtm, "TE")]


def test_ti_criteria_fit_ietest(sdtm):
    ti = records(sdtm, "TI")
    assert all(len(t["IETEST"]) <= 200 and len(t["IETESTCD"]) <= 8 for t in ti)
    assert {t["IECAT"] for t in ti} == {"INCLUSION", "EXCLUSION"}


def test_every_raw_field_the_example_spec_reads_is_in_the_example_forms():
    spec = read_spec(example_spec("sdtm"))
    required = required_raw_fields(spec)
    for form, fields in required.items():
        assert missing_raw_fields(fields, forms.columns(forms.FORMS_BY_OID[form])) == [], form
    old = {}  # what the build required before: Source Fields only
    for row in spec.mappings:
        if row.source_form and row.source_form not in ("TS", "TA", "TE", "TV", "TI"):
            old.setdefault(row.source_form, set()).update([row.source_field] if row.source_field else [])
    assert set(required) == set(old)
    assert all(old[form] <= {f.name for f in fields} for form, fields in required.items())
    assert any(f.column == "Arguments" for fields in required.values() for f in fields)  # time= fields


def test_example_workbooks_are_ready_to_build():
    for kind in ("sdtm", "adam"):
        spec, problems = check_spec(example_spec(kind), purpose="build", kind=kind)
        assert spec is not None, "\n".join(map(str, problems))
