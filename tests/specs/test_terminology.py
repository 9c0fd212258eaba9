"""The bundled CDISC CT loader and its codelist/term look-ups."""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import pytest

from specs.errors import SpecError
from specs.terminology import (
    COLUMNS, PACKAGES, Terminology, codelist, codelist_header, codelists, load_ct, synonym_list, term, term_code,
    terminology,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "terminology"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_package_loads_with_the_same_columns(package):
    ct = load_ct(package)
    assert tuple(ct.columns) == COLUMNS
    assert ct["extensible"].dtype == bool
    assert len(codelists(ct)) > 5
    assert not ct[list(COLUMNS[:2])].isna().any().any()


def test_term_rows_inherit_extensible_from_their_codelist():
    ct = load_ct("sdtm")
    unit_terms = codelist(ct, "UNIT")
    sex_terms = codelist(ct, "SEX")
    assert unit_terms["extensible"].all() and len(unit_terms) > 500
    assert not sex_terms["extensible"].any()
    assert bool(codelist_header(ct, "UNIT")["extensible"]) is True


def test_text_that_looks_like_a_null_stays_text():
    ny = codelist(load_ct("sdtm"), "NY")
    assert set(ny["submission_value"]) == {"N", "NA", "U", "Y"}


def test_a_codelist_is_found_by_code_short_name_or_full_name():
    ct = load_ct("sdtm")
    by_code, by_short, by_name = (codelist_header(ct, k)["code"] for k in ("C66731", "SEX", " sex "))
    assert by_code == by_short == by_name == "C66731"
    assert list(codelist(ct, "SEX")["submission_value"]) == ["F", "INTERSEX", "M", "U"]


def test_term_codes_and_synonyms():
    ct = load_ct("sdtm")
    assert term_code(ct, "SEX", "M") == "C20197"
    assert term_code(ct, "LBTESTCD", "INTLK6") == term_code(ct, "LBTEST", "Interleukin 6")
    assert "ng/mL" in synonym_list(term(ct, "UNIT", "ug/L")["synonyms"])
    assert synonym_list("U; UNK;  ; Unknown") == ["U", "UNK", "Unknown"]
    assert synonym_list("") == []


def test_unknown_codelists_terms_and_packages_raise_spec_errors():
    ct = load_ct("sdtm")
    with pytest.raises(SpecError, match="NOSUCH"):
        codelist(ct, "NOSUCH")
    with pytest.raises(SpecError, match="'X' is not a term of codelist 'SEX'"):
        term(ct, "SEX", "X")
    with pytest.raises(SpecError, match="unknown CT package"):
        load_ct("send")


def test_term_lookup_is_exact_not_case_folded():
    with pytest.raises(SpecError):
        term(load_ct("sdtm"), "SEX", "m")


def test_callers_cannot_change_the_cached_table():
    first = load_ct("sdtm")
    first.loc[first.index[0], "submission_value"] = "CHANGED"
    first["extra"] = 1
    second = load_ct("sdtm")
    assert second.iloc[0]["submission_value"] != "CHANGED"
    assert "extra" not in second.columns


def test_the_index_agrees_with_the_plain_lookups():
    ct = load_ct("sdtm")
    index = terminology("sdtm")
    assert isinstance(index, Terminology)
    for name in ("SEX", "C66742", "Route of Administration Response", "ONCRSR"):
        assert index.header(name)["code"] == codelist_header(ct, name)["code"]
        assert list(index.terms(name)["code"]) == list(codelist(ct, name)["code"])
    assert index.term_code("ONCRSR", "NON-CR/NON-PD") == term_code(ct, "ONCRSR", "NON-CR/NON-PD")
    with pytest.raises(SpecError):
        index.header("NOSUCH")


def test_adam_and_define_packages_have_their_own_codelists():
    assert [t for t in codelist(load_ct("adam"), "DATEFL")["submission_value"]] == ["D", "M", "Y"]
    assert "SUBJECT LEVEL ANALYSIS DATASET" in set(codelist(load_ct("define-xml"), "GNRLOBSC")["submission_value"])


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_bundled_files_are_the_published_files(package):
    name = PACKAGES[package].removesuffix(".gz")
    source = SHARED / name
    if not source.exists():
        pytest.skip(f"published CT not found at {source}")
    bundled = gzip.decompress((resources.files("specs.ct") / PACKAGES[package]).read_bytes())
    assert bundled == source.read_bytes()
    lines = source.read_text(encoding="utf-8").count("\n")
    if package == "sdtm":  # unquoted tab file: one record per line
        assert len(load_ct(package)) == lines - 1
