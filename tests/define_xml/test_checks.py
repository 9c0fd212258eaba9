from __future__ import annotations

import copy

import pytest

from define_xml.build import build_define
from define_xml.checks import assert_references, check_references, schema_for, validate_schema
from define_xml.xmlns import NS
from specs.errors import ExportError, InputError
from tests.define_xml.conftest import CREATED
from tests.define_xml.small_study import SCHEMA_DIR


def test_references_to_undefined_oids_are_problems_and_the_build_refuses_to_write_them(spec):
    tree = build_define(spec, None, created=CREATED)
    assert_references(tree)  # what we build refers only to what it defines
    broken = copy.deepcopy(tree)
    ref = broken.getroot().xpath("//odm:ItemGroupDef[@Name='AE']/odm:ItemRef", namespaces=NS)[0]
    ref.set("MethodOID", "MT.NOPE")
    codelist = broken.getroot().xpath("//odm:CodeList[@OID='CL.SEX']", namespaces=NS)[0]
    codelist.getparent().remove(codelist)
    messages = [p.message for p in check_references(broken)]
    assert any("method MT.NOPE" in m for m in messages)
    assert any("IT.DM.SEX refers to codelist CL.SEX" in m for m in messages)
    with pytest.raises(ExportError) as caught:
        assert_references(broken, "sdtm/define.xml")
    assert "sdtm/define.xml" in str(caught.value) and len(caught.value.problems) == len(messages)


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
