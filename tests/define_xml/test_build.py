from __future__ import annotations

from collections import Counter

import pytest
from lxml import etree

from define_xml.build import build_define
from define_xml.checks import check_references, validate_schema
from define_xml.context import pdf_page_ref
from define_xml.oids import Oids
from define_xml.xmlns import NS
from specs.reader import read_spec
from tests.define_xml.conftest import CREATED, need
from tests.define_xml.small_study import SHARED

P21 = SHARED / "examples" / "p21-spec-workbooks"
BUNDLED = ["mesocart_sdtm_spec.xlsx", "mesocart_adam_spec.xlsx"]
ARM_SCHEMA = SHARED / "standards" / "define-xml-2.1" / "schema" / "cdisc-arm-1.0" / "arm1-0-0.xsd"


def _one(tree, xpath):
    found = tree.getroot().xpath(xpath, namespaces={"odm": NS["odm"], **{k: v for k, v in NS.items() if k != "odm"}})
    assert len(found) == 1, f"{xpath}: {len(found)} matches"
    return found[0]


def _all(tree, xpath):
    return tree.getroot().xpath(xpath, namespaces={"odm": NS["odm"], **{k: v for k, v in NS.items() if k != "odm"}})


@pytest.mark.parametrize("workbook", ["SDTM_spec_CDISC_pilot.xlsx", "TDF_ADaM_Pilot3.xlsx"])
def test_spec_only_define_of_each_shared_p21_workbook_is_schema_valid(workbook, schema):
    spec = read_spec(need(P21 / workbook))
    tree = build_define(spec, None, created=CREATED)
    assert validate_schema(tree, schema) == []
    assert check_references(tree) == []
    assert len(_all(tree, "//odm:ItemGroupDef")) == len(spec.datasets)


@pytest.mark.parametrize("workbook", BUNDLED)
def test_spec_only_define_of_the_bundled_workbooks_is_valid_with_and_without_arm(workbook, schema):
    from importlib import resources

    from define_xml.arm import strip_arm

    spec = read_spec(resources.files("trialforge.example_study.workbooks").joinpath(workbook))
    tree = build_define(spec, None, created=CREATED)
    assert validate_schema(tree, schema) == []  # the ARM schema is found beside define2-1-0.xsd when needed
    assert validate_schema(strip_arm(tree), schema) == []
    assert check_references(tree) == []


def test_define_from_small_spec_and_xpts_is_valid_and_describes_what_was_written(spec, written, schema):
    _, datasets = written
    tree = build_define(spec, datasets, created=CREATED)
    assert validate_schema(tree, schema) == []
    assert check_references(tree) == []
    names = [g.get("Name") for g in _all(tree, "//odm:ItemGroupDef")]
    assert names == ["DM", "AE", "LB", "SUPPAE", "MB"]  # spec order; MB has no data but the spec says so
    mb = _one(tree, "//odm:ItemGroupDef[@Name='MB']")
    assert mb.get(f"{{{NS['def']}}}HasNoData") == "Yes"
    assert mb.find("def:leaf", NS) is None and mb.get(f"{{{NS['def']}}}ArchiveLocationID") is None


def test_the_whole_mdv_shares_one_oid_space_and_order_follows_the_schema(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    mdv = _one(tree, "//odm:MetaDataVersion")
    oids = [child.get("OID") for child in mdv if child.get("OID")]
    assert [oid for oid, n in Counter(oids).items() if n > 1] == []
    order = [etree.QName(child).localname for child in mdv]
    expected = ["Standards", "AnnotatedCRF", "SupplementalDoc", "ValueListDef", "WhereClauseDef", "ItemGroupDef",
                "ItemDef", "CodeList", "MethodDef", "CommentDef", "leaf"]
    assert [name for name in dict.fromkeys(order)] == expected


def test_root_carries_the_stylesheet_instruction_context_and_creation_time(spec):
    tree = build_define(spec, None, created=CREATED, context="Other", stylesheet_href="my.xsl")
    root = tree.getroot()
    instruction = root.getprevious()
    assert instruction.target == "xml-stylesheet" and 'href="my.xsl"' in instruction.text
    assert root.get(f"{{{NS['def']}}}Context") == "Other"
    assert root.get("CreationDateTime") == "2025-03-28T09:30:00"
    assert _one(tree, "//odm:StudyDescription").text == "A small study & its <edge> cases"  # escaped, not lost
    assert build_define(spec, None, created=CREATED, stylesheet_href=None).getroot().getprevious() is None


def test_lengths_come_from_the_data_and_iso_dates_have_none(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    assert _one(tree, "//odm:ItemDef[@OID='IT.AE.AETERM']").get("Length") == "25"  # 'Cytokine release syndrome'
    assert _one(tree, "//odm:ItemDef[@OID='IT.DM.SEX']").get("Length") == "1"
    assert _one(tree, "//odm:ItemDef[@OID='IT.DM.AGE']").get("Length") == "8"
    assert _one(tree, "//odm:ItemDef[@OID='IT.AE.AESTDTC']").get("Length") is None
    # a float the spec gives no significant digits: the data's most decimals (9.25 -> 2); the spec's wins
    assert _one(tree, "//odm:ItemDef[@OID='IT.LB.LBSTRESN']").get("SignificantDigits") == "2"
    assert _one(tree, "//odm:ItemDef[@OID='IT.LB.VISITNUM']").get("SignificantDigits") == "1"
    spec_only = build_define(spec, None, created=CREATED)
    assert _one(spec_only, "//odm:ItemDef[@OID='IT.AE.AETERM']").get("Length") is None  # the spec gives none


def test_value_level_lengths_are_the_longest_value_of_the_rows_each_clause_selects(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    hgb = _one(tree, "//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.HGB']")
    alb = _one(tree, "//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.ALB']")
    assert (hgb.get("Length"), alb.get("Length")) == ("4", "2")  # '9.25' / '12.5'; '40' (a blank ALB ignored)
    where = _one(tree, "//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.HGB']/odm:RangeCheck")
    assert (where.get("Comparator"), where.get(f"{{{NS['def']}}}ItemOID")) == ("EQ", "IT.LB.LBTESTCD")
    assert [v.text for v in where] == ["HGB"]
    # LBORRES and LBSTRESN share one where clause per test
    assert len(_all(tree, "//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.HGB']")) == 1
    refs = _all(tree, "//def:ValueListDef[@OID='VL.LB.LBSTRESN']/odm:ItemRef")
    assert [r.get("MethodOID") for r in refs] == ["MT.STRESN"]
    assert _one(tree, "//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef").get("ValueListOID") == "VL.LB.LBORRES"


def test_supp_value_level_by_qnam_with_its_own_codelists(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    qval = _all(tree, "//def:ValueListDef[@OID='VL.SUPPAE.QVAL']/odm:ItemRef/@ItemOID")
    assert qval == ["IT.SUPPAE.QVAL.QNAM.AEASTCGR", "IT.SUPPAE.QVAL.QNAM.AETRTEM"]
    item = _one(tree, "//odm:ItemDef[@OID='IT.SUPPAE.QVAL.QNAM.AETRTEM']")
    assert item.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.NY_Y"
    assert item.get("Length") == "1"
    group = _one(tree, "//odm:ItemGroupDef[@Name='SUPPAE']")
    assert group.get("Domain") == "AE"
    assert group.find("odm:Alias", NS).attrib == {"Context": "DomainDescription", "Name": "Adverse Events"}


def test_codelists_list_only_the_terms_used_with_nci_codes_and_extensions(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    sex = _one(tree, "//odm:CodeList[@OID='CL.SEX']")
    assert [i.get("CodedValue") for i in sex.findall("odm:EnumeratedItem", NS)] == ["F", "M"]  # no U in the data
    assert [i.get("OrderNumber") for i in sex.findall("odm:EnumeratedItem", NS)] == ["1", "2"]
    assert sex.find("odm:EnumeratedItem/odm:Alias", NS).attrib == {"Context": "nci:ExtCodeID", "Name": "C16576"}
    assert sex.findall("odm:Alias", NS)[-1].get("Name") == "C66731"
    assert sex.get(f"{{{NS['def']}}}StandardOID") == "STD.CT.SDTM"
    spec_only = build_define(spec, None, created=CREATED)
    testcd = _one(spec_only, "//odm:CodeList[@OID='CL.LBTESTCD']")
    car = testcd.find("odm:CodeListItem[@CodedValue='CAR']", NS)
    assert car.get(f"{{{NS['def']}}}ExtendedValue") == "Yes" and car.find("odm:Alias", NS) is None
    assert car.find("odm:Decode/odm:TranslatedText", NS).text == "CAR+ T cells"
    sponsor = _one(spec_only, "//odm:CodeList[@OID='CL.QNAM_AE']")
    assert sponsor.get(f"{{{NS['def']}}}IsNonStandard") == "Yes"


def test_external_dictionaries(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    meddra = _one(tree, "//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList")
    assert meddra.attrib == {"Dictionary": "MedDRA", "Version": "27.0"}
    assert _one(tree, "//odm:ItemDef[@OID='IT.AE.AEDECOD']/odm:CodeListRef").get("CodeListOID") == "CL.MEDDRA"


def test_origins_with_acrf_pages_predecessors_and_sources(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    aeterm = _one(tree, "//odm:ItemDef[@OID='IT.AE.AETERM']/def:Origin")
    assert aeterm.attrib == {"Type": "Collected", "Source": "Investigator"}
    assert aeterm.find("def:DocumentRef", NS).get("leafID") == "LF.ACRF"
    assert aeterm.find("def:DocumentRef/def:PDFPageRef", NS).get("PageRefs") == "7 8"
    start = _one(tree, "//odm:ItemDef[@OID='IT.AE.AESTDTC']/def:Origin/def:DocumentRef/def:PDFPageRef")
    assert (start.get("FirstPage"), start.get("LastPage")) == ("7", "9")
    assert _one(tree, "//def:AnnotatedCRF/def:DocumentRef").get("leafID") == "LF.ACRF"
    assert _all(tree, "//def:SupplementalDoc/def:DocumentRef/@leafID") == ["LF.CSDRG"]
    assert _one(tree, "//def:leaf[@ID='LF.ACRF']").get(f"{{{NS['xlink']}}}href") == "acrf.pdf"


def test_only_referenced_methods_and_comments_are_written_with_prefixed_oids(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    methods = _all(tree, "//odm:MethodDef/@OID")
    assert "MT.AGE" in methods and "MT.UNUSED" not in methods and "MT.MT.SEQ" not in methods
    age = _one(tree, "//odm:MethodDef[@OID='MT.AGE']")
    assert age.get("Name") == "AGE" and age.get("Type") == "Computation"
    assert age.find("def:DocumentRef", NS).get("leafID") == "LF.CSDRG"
    seq = _one(tree, "//odm:MethodDef[@OID='MT.SEQ']")
    assert seq.get("Type") == "Computation"  # 'computation' in the spec
    assert seq.find("odm:FormalExpression", NS).get("Context") == "Python"
    assert _one(tree, "//odm:ItemGroupDef[@Name='AE']/odm:ItemRef[@ItemOID='IT.AE.AESEQ']").get("MethodOID") == "MT.SEQ"
    assert sorted(_all(tree, "//def:CommentDef/@OID")) == ["COM.AE", "COM.DM.AGE"]


def test_item_refs_carry_order_keys_and_mandatory(spec, written):
    tree = build_define(spec, written[1], created=CREATED)
    refs = _all(tree, "//odm:ItemGroupDef[@Name='AE']/odm:ItemRef")
    assert [r.get("OrderNumber") for r in refs] == ["1", "2", "3", "4", "5", "6", "7"]
    assert {r.get("ItemOID"): r.get("KeySequence") for r in refs if r.get("KeySequence")} == {
        "IT.AE.STUDYID": "1", "IT.AE.USUBJID": "2", "IT.AE.AEDECOD": "3", "IT.AE.AESTDTC": "4"}
    assert refs[0].get("Mandatory") == "Yes" and refs[0].get("Role") == "Identifier"
    dm = _one(tree, "//odm:ItemGroupDef[@Name='DM']")
    assert (dm.get("Repeating"), dm.get("Purpose"), dm.get("Domain")) == ("No", "Tabulation", "DM")
    assert dm.find("def:Class", NS).get("Name") == "SPECIAL PURPOSE"
    assert dm.find("def:leaf", NS).get(f"{{{NS['xlink']}}}href") == "dm.xpt"


def test_pdf_page_refs_from_the_ways_specs_write_pages():
    assert pdf_page_ref("12").attrib == {"PageRefs": "12", "Type": "PhysicalRef"}
    assert pdf_page_ref("3, 5 7").get("PageRefs") == "3 5 7"
    assert pdf_page_ref("10 - 12").attrib == {"FirstPage": "10", "LastPage": "12", "Type": "PhysicalRef"}
    assert pdf_page_ref("2, 4-5").get("PageRefs") == "2 4 5"
    assert pdf_page_ref("DM AE").attrib == {"PageRefs": "DM AE", "Type": "NamedDestination"}
    assert pdf_page_ref(None) is None and pdf_page_ref("  ") is None


def test_oids_are_unique_across_kinds_and_stable_per_key():
    oids = Oids()
    assert oids.method("SEQ") == "MT.SEQ" and oids.method("MT.SEQ") == "MT.SEQ.2"
    assert oids.method("SEQ") == "MT.SEQ"
    assert oids.comment("COM.DM") == "COM.DM" and oids.leaf("doc", "my doc:1") == "LF.my_doc_1"
    assert oids.dataset("dm") == "IG.DM" and oids.item("dm", "sex") == "IT.DM.SEX"


def test_a_variable_written_without_any_value_says_it_has_no_data(spec, tmp_path):
    from tests.define_xml.small_study import small_frames, write_small_xpts

    frames = small_frames()
    frames["DM"] = frames["DM"].assign(COUNTRY=["", "", ""])  # XPT: blank is missing
    tree = build_define(spec, write_small_xpts(tmp_path, spec, frames), created=CREATED)
    refs = {r.get("ItemOID"): r.get(f"{{{NS['def']}}}HasNoData") for r in _all(tree, "//odm:ItemGroupDef/odm:ItemRef")}
    assert refs["IT.DM.COUNTRY"] == "Yes"
    assert refs["IT.DM.AGE"] is None  # one subject without AGE is not 'no data'
    assert [k for k, v in refs.items() if v] == ["IT.DM.COUNTRY"]
