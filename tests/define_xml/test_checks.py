from __future__ import annotations

import copy

import pytest

from define_xml.build import build_define
from define_xml.checks import check_against_data, check_references, schema_for, validate_schema
from define_xml.xmlns import NS
from specs.errors import InputError
from tests.define_xml.conftest import CREATED
from tests.define_xml.small_study import SCHEMA_DIR, small_frames, write_small_xpts


def _rules(findings):
    return sorted((f.rule_id, f.dataset, f.variables) for f in findings)


def test_a_define_built_from_the_data_it_describes_has_no_findings(spec, written):
    _, datasets = written
    tree = build_define(spec, datasets, created=CREATED)
    assert check_against_data(tree, datasets) == []


def test_a_variable_in_the_xpt_but_not_in_the_spec_is_a_finding(spec, tmp_path):
    frames = small_frames()
    frames["DM"] = frames["DM"].assign(RACE=["ASIAN", "WHITE", "ASIAN"])
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert _rules(findings) == [("DEFINE-VARIABLE-UNDESCRIBED", "DM", ("RACE",))]
    assert findings[0].severity == "error" and "DM.RACE" in findings[0].message


def test_a_described_variable_the_data_lacks_and_a_dataset_nobody_described(spec, tmp_path):
    frames = small_frames()
    frames["DM"] = frames["DM"].drop(columns=["COUNTRY"])
    frames["XX"] = frames["DM"][["STUDYID"]]
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert _rules(findings) == [("DEFINE-DATASET-UNDESCRIBED", "XX", ()),
                                ("DEFINE-VARIABLE-MISSING", "DM", ("COUNTRY",))]


def test_a_length_mismatch_is_a_finding(spec, written):
    _, datasets = written
    tree = build_define(spec, datasets, created=CREATED)
    item = tree.getroot().xpath("//odm:ItemDef[@OID='IT.AE.AETERM']", namespaces=NS)[0]
    item.set("Length", "200")  # what a spec-sized define says when the XPT was trimmed to the data
    findings = check_against_data(tree, datasets)
    assert _rules(findings) == [("DEFINE-LENGTH", "AE", ("AETERM",))]
    assert findings[0].values == (25, 200)


def test_a_term_used_but_not_in_the_codelist_is_a_finding(spec, tmp_path):
    frames = small_frames()
    frames["DM"].loc[2, "SEX"] = "Female"  # the raw spelling, not the CDISC term
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert _rules(findings) == [("DEFINE-CODELIST-TERM", "DM", ("SEX",))]
    assert findings[0].values == ("Female",) and "CL.SEX" in findings[0].message


def test_value_level_codelists_are_checked_on_the_rows_their_clause_selects(spec, tmp_path):
    frames = small_frames()
    frames["SUPPAE"].loc[0, "QVAL"] = "5"  # ASTCT grade 5 is not in the sponsor codelist (1-3)
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert _rules(findings) == [("DEFINE-CODELIST-TERM", "SUPPAE", ("QVAL",))]
    assert "where QNAM EQ AEASTCGR" in findings[0].message and findings[0].values == ("5",)


def test_a_value_level_length_shorter_than_the_data_is_a_finding(spec, written):
    _, datasets = written
    tree = build_define(spec, datasets, created=CREATED)
    tree.getroot().xpath("//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.HGB']", namespaces=NS)[0].set("Length", "3")
    assert _rules(check_against_data(tree, datasets)) == [("DEFINE-VLM-LENGTH", "LB", ("LBORRES",))]


def test_type_mismatch_and_fractions_in_integers(spec, tmp_path):
    frames = small_frames()
    frames["DM"] = frames["DM"].assign(AGE=[54.5, 61.0, None])
    frames["AE"] = frames["AE"].assign(AESEQ=["1", "1"])
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert _rules(findings) == [("DEFINE-INTEGER", "DM", ("AGE",)), ("DEFINE-TYPE", "AE", ("AESEQ",))]


def test_a_dataset_said_to_have_no_data_but_written_and_one_described_but_not_written(spec, written):
    _, datasets = written
    tree = build_define(spec, None, created=CREATED)  # spec only: describes MB (no data) and all others
    datasets = dict(datasets)
    del datasets["LB"]
    rules = _rules(check_against_data(tree, datasets))
    assert ("DEFINE-DATASET-MISSING", "LB", ()) in rules
    assert not any(r[1] == "MB" for r in rules)


def test_labels_and_keys_that_do_not_identify_a_record_are_warnings(spec, tmp_path):
    frames = small_frames()
    frames["DM"] = frames["DM"].assign(USUBJID=["SMALL-1-001", "SMALL-1-001", "SMALL-1-003"])
    datasets = write_small_xpts(tmp_path, spec, frames)
    findings = check_against_data(build_define(spec, datasets, created=CREATED), datasets)
    assert [(f.rule_id, f.severity) for f in findings] == [("DEFINE-KEYS", "warning")]


def test_references_to_undefined_oids_are_findings(spec):
    tree = build_define(spec, None, created=CREATED)
    broken = copy.deepcopy(tree)
    ref = broken.getroot().xpath("//odm:ItemGroupDef[@Name='AE']/odm:ItemRef", namespaces=NS)[0]
    ref.set("MethodOID", "MT.NOPE")
    codelist = broken.getroot().xpath("//odm:CodeList[@OID='CL.SEX']", namespaces=NS)[0]
    codelist.getparent().remove(codelist)
    messages = [f.message for f in check_references(broken)]
    assert any("method MT.NOPE" in m for m in messages)
    assert any("IT.DM.SEX refers to codelist CL.SEX" in m for m in messages)


def test_schema_problems_name_the_line(spec, schema, tmp_path):
    tree = build_define(spec, None, created=CREATED)
    group = tree.getroot().xpath("//odm:ItemGroupDef[@Name='AE']", namespaces=NS)[0]
    del group.attrib["Repeating"]
    path = tmp_path / "define.xml"
    tree.write(str(path), pretty_print=True, xml_declaration=True, encoding="UTF-8")
    problems = validate_schema(path, schema)
    assert len(problems) == 1 and "Repeating" in problems[0].message and problems[0].row > 1
    assert validate_schema(tmp_path / "missing.xml", schema)[0].message.startswith("define.xml cannot be read")


def test_the_schema_may_be_a_folder_and_arm_gets_the_arm_schema(schema):
    folder = SCHEMA_DIR
    assert schema_for(folder).name == "define2-1-0.xsd"
    assert schema_for(folder, arm=True).name == "arm1-0-0.xsd"
    assert schema_for(schema, arm=True).name == "arm1-0-0.xsd"
    with pytest.raises(InputError):
        schema_for(folder / "nothing-here")


def test_findings_have_the_shape_of_validation_findings(spec, tmp_path):
    frames = small_frames()
    frames["DM"] = frames["DM"].assign(RACE=["ASIAN"] * 3)
    datasets = write_small_xpts(tmp_path, spec, frames)
    record = check_against_data(build_define(spec, datasets, created=CREATED), datasets)[0].as_dict()
    assert set(record) == {"rule_id", "severity", "message", "dataset", "row", "usubjid", "seq", "variables",
                           "values", "implements", "source"}
    assert record["source"] == "define" and record["variables"] == ["RACE"]


_XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
BAD_SCHEMAS = {
    "external entity": (f'<!DOCTYPE xs:schema [<!ENTITY e SYSTEM "{{secret}}">]><xs:schema {_XS}>'
                        '<xs:annotation><xs:documentation>&e;</xs:documentation></xs:annotation></xs:schema>',
                        ["declares entities", "refers to"]),
    "internal entity": (f'<!DOCTYPE xs:schema [<!ENTITY e "x">]><xs:schema {_XS}/>', ["declares entities"]),
    "external DTD": (f'<!DOCTYPE xs:schema SYSTEM "XMLSchema.dtd"><xs:schema {_XS}/>', ["external DTD"]),
    "billion laughs": ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                       + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
                       + f']><xs:schema {_XS}>&i;</xs:schema>', ["not well-formed", "amplification"]),
    "not well-formed": (f"<xs:schema {_XS}>\n<xs:element name='A'>\n</xs:schema>", ["not well-formed", "line 3"]),
    "not a schema": ("<ODM xmlns='http://www.cdisc.org/ns/odm/v1.3'/>", ["not a usable XML Schema"]),
    "imports a schema with an entity": (f'<xs:schema {_XS}><xs:import namespace="urn:x" schemaLocation="sub.xsd"/>'
                                        "</xs:schema>", ["not a usable XML Schema", "sub.xsd", "entity"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SCHEMAS))
def test_a_schema_that_cannot_be_used_is_an_input_error_naming_file_and_line(tmp_path, case):
    from define_xml.checks import load_schema

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    (tmp_path / "sub.xsd").write_text(f'<!DOCTYPE xs:schema [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
                                      f'<xs:schema {_XS} targetNamespace="urn:x"><xs:element name="e" '
                                      'fixed="&e;"/></xs:schema>', encoding="utf-8")
    text, fragments = BAD_SCHEMAS[case]
    path = tmp_path / "define2-1-0.xsd"
    path.write_text(text.replace("{secret}", secret.as_uri()), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_schema(path)
    message = str(caught.value)
    assert "define2-1-0.xsd" in message and "TOP-SECRET-VALUE" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_hostile_define_is_a_schema_problem_not_a_crash(schema, tmp_path):
    path = tmp_path / "define.xml"
    path.write_text('<!DOCTYPE ODM [<!ENTITY e SYSTEM "file:///etc/passwd">]><ODM>&e;</ODM>', encoding="utf-8")
    (problem,) = validate_schema(path, schema)
    assert problem.message.startswith("define.xml cannot be read") and "declares entities" in problem.message
