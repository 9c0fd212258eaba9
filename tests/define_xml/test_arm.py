from __future__ import annotations

from define_xml.arm import has_arm, strip_arm
from define_xml.build import build_define
from define_xml.checks import check_references, validate_schema
from define_xml.context import detect_kind
from define_xml.xmlns import NS
from tests.define_xml.conftest import CREATED

ARM_NS = {"odm": NS["odm"], "def": NS["def"], "arm": NS["arm"]}


def _xp(tree, xpath):
    return tree.getroot().xpath(xpath, namespaces=ARM_NS)


def test_arm_displays_results_datasets_and_per_dataset_where_clauses(adam_spec, schema):
    assert detect_kind(adam_spec) == "adam"
    tree = build_define(adam_spec, None, created=CREATED)
    assert validate_schema(tree, schema) == []  # validated with arm1-0-0.xsd
    assert check_references(tree) == []
    assert _xp(tree, "//arm:ResultDisplay/@OID") == ["RD.T-14.3.1", "RD.T-14.2.2"]  # T-99 left out
    teae = _xp(tree, "//arm:AnalysisResult[@OID='AR.TEAE']")[0]
    assert teae.get("ParameterOID") is None
    datasets = teae.find("arm:AnalysisDatasets", ARM_NS)
    join = datasets.get(f"{{{NS['def']}}}CommentOID")
    assert _xp(tree, f"//def:CommentDef[@OID='{join}']//odm:TranslatedText")[0].text == "ADAE joins ADSL on USUBJID."
    entries = datasets.findall("arm:AnalysisDataset", ARM_NS)
    assert [e.get("ItemGroupOID") for e in entries] == ["IG.ADAE", "IG.ADSL"]
    assert [v.get("ItemOID") for v in entries[0].findall("arm:AnalysisVariable", ARM_NS)] == [
        "IT.ADAE.AEBODSYS", "IT.ADAE.AEDECOD"]
    adsl_where = entries[1].find("def:WhereClauseRef", ARM_NS).get("WhereClauseOID")
    check = _xp(tree, f"//def:WhereClauseDef[@OID='{adsl_where}']/odm:RangeCheck")
    assert [(c.get(f"{{{NS['def']}}}ItemOID"), [v.text for v in c]) for c in check] == [("IT.ADSL.SAFFL", ["Y"])]
    pfs = _xp(tree, "//arm:AnalysisResult[@OID='AR.PFS']")[0]
    assert (pfs.get("ParameterOID"), pfs.get("AnalysisReason")) == ("IT.ADTTE.PARAMCD", "SPECIFIED IN PROTOCOL")
    assert pfs.find("arm:ProgrammingCode", ARM_NS).get("Context") == "Python"
    assert "KaplanMeier" in pfs.find("arm:ProgrammingCode/arm:Code", ARM_NS).text
    page = teae.find("arm:Documentation/def:DocumentRef/def:PDFPageRef", ARM_NS)
    assert page.get("PageRefs") == "3"
    subclass = _xp(tree, "//odm:ItemGroupDef[@Name='ADTTE']/def:Class/def:SubClass/@Name")
    assert subclass == ["TIME-TO-EVENT"]
    predecessor = _xp(tree, "//odm:ItemDef[@OID='IT.ADAE.USUBJID']/def:Origin")[0]
    assert predecessor.get("Type") == "Predecessor"
    assert predecessor.find("odm:Description/odm:TranslatedText", ARM_NS).text == "ADSL.USUBJID"


def test_strip_arm_leaves_a_plain_define_without_what_only_arm_used(adam_spec, schema):
    tree = build_define(adam_spec, None, created=CREATED)
    plain = strip_arm(tree)
    assert has_arm(tree) and not has_arm(plain)
    assert validate_schema(plain, schema) == []
    assert check_references(plain) == []
    assert _xp(plain, "//def:WhereClauseDef") == [] and _xp(plain, "//def:CommentDef") == []
    assert _xp(plain, "//def:leaf[@ID='LF.SAP']")  # still a supplemental document
    assert has_arm(tree)  # the original tree is untouched


def test_no_arm_when_asked_or_when_the_spec_has_no_results(adam_spec, spec):
    assert not has_arm(build_define(adam_spec, None, created=CREATED, arm=False))
    assert not has_arm(build_define(spec, None, created=CREATED))
