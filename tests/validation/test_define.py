"""define.xml reading, and the define-vs-data rules (TF-DF-*) on a small hand-written define and on the
define.xml our build writes for the small study of tests/define_xml."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from specs.errors import InputError
from validation.define import read_define
from validation.engine import validate_datasets
from validation.rulebook import load_rules

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
EXAMPLES = SHARED / "standards" / "define-xml-2.1" / "examples"

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2">
 <Study OID="S"><MetaDataVersion OID="M" Name="M" def:DefineVersion="2.1.7">
  <def:Standards>
   <def:Standard OID="STD.1" Name="SDTMIG" Type="IG" Version="3.4"/>
   <def:Standard OID="STD.2" Name="CDISC/NCI" Type="CT" PublishingSet="SDTM" Version="2025-03-28"/>
  </def:Standards>
  <ItemGroupDef OID="IG.AE" Name="AE" Domain="AE" Repeating="Yes" Purpose="Tabulation" def:StandardOID="STD.1">
   <Description><TranslatedText xml:lang="en">Adverse Events</TranslatedText></Description>
   <ItemRef ItemOID="IT.USUBJID" Mandatory="Yes" OrderNumber="1" KeySequence="1"/>
   <ItemRef ItemOID="IT.AE.AESEQ" Mandatory="Yes" OrderNumber="2" KeySequence="2"/>
   <ItemRef ItemOID="IT.AE.EPOCH" Mandatory="No" OrderNumber="3"/>
   <def:Class Name="EVENTS"/>
  </ItemGroupDef>
  <ItemGroupDef OID="IG.CM" Name="CM" Domain="CM" Repeating="Yes" Purpose="Tabulation" def:StandardOID="STD.1">
   <ItemRef ItemOID="IT.USUBJID" Mandatory="Yes" OrderNumber="1"/>
   <def:Class Name="INTERVENTIONS"/>
  </ItemGroupDef>
  <ItemDef OID="IT.USUBJID" Name="USUBJID" DataType="text" Length="12">
   <Description><TranslatedText xml:lang="en">Unique Subject Identifier</TranslatedText></Description></ItemDef>
  <ItemDef OID="IT.AE.AESEQ" Name="AESEQ" DataType="integer" Length="8">
   <Description><TranslatedText xml:lang="en">Sequence Number</TranslatedText></Description></ItemDef>
  <ItemDef OID="IT.AE.EPOCH" Name="EPOCH" DataType="text" Length="13">
   <Description><TranslatedText xml:lang="en">Epoch</TranslatedText></Description>
   <CodeListRef CodeListOID="CL.EPOCH"/></ItemDef>
  <CodeList OID="CL.EPOCH" Name="Epoch" DataType="text">
   <EnumeratedItem CodedValue="SCREENING"/>
   <EnumeratedItem CodedValue="LEUKAPHERESIS" def:ExtendedValue="Yes"/>
   <Alias Context="nci:ExtCodeID" Name="C99079"/>
  </CodeList>
 </MetaDataVersion></Study>
</ODM>
"""


@pytest.fixture
def small_define(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(SMALL, encoding="utf-8")
    return read_define(path)


def test_reads_datasets_variables_keys_codelists_and_standards(small_define):
    ae = small_define.datasets["AE"]
    assert (ae.label, ae.dataset_class, ae.standard) == ("Adverse Events", "EVENTS", "SDTM")
    assert ae.keys == ("USUBJID", "AESEQ")
    assert ae.variable("AESEQ").xpt_type == "num" and ae.variable("USUBJID").length == 12
    codelist = small_define.codelist_for("AE", "EPOCH")
    assert codelist.nci_code == "C99079" and codelist.extended == {"LEUKAPHERESIS"}
    assert small_define.define_version == "2.1.7"
    assert small_define.ig_versions() == ["SDTMIG 3.4"] and small_define.ct_versions() == ["SDTM 2025-03-28"]


def test_define_checks_against_data(small_define):
    rules = [r for r in load_rules() if r.id.startswith("TF-DF") or r.id == "TF-CT-0006"]
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 1], "EPOCH": ["LEUKAPHERESIS", "FOLLOWUP"],
                       "AEXTRA": ["", ""]})
    result = validate_datasets({"AE": ae}, small_define, rules=rules)
    found = {(f.rule_id, f.variables[0] if f.variables else f.dataset) for f in result.findings}
    assert ("TF-DF-0003", "CM") in found  # described but absent
    assert ("TF-DF-0004", "AEXTRA") in found  # present but not described
    assert ("TF-DF-0009", "EPOCH") in found  # FOLLOWUP is not in the define codelist
    assert ("TF-DF-0011", "AE") in found  # duplicate key USUBJID+AESEQ
    assert ("TF-CT-0006", "EPOCH") in found  # FOLLOWUP is no CDISC epoch ...
    epoch_rows = [f.row for f in result.findings if f.rule_id == "TF-CT-0006"]
    assert epoch_rows == [2]  # ... while LEUKAPHERESIS is a declared extension
    statuses = {s.rule_id: s.status for s in result.statuses}
    assert statuses["TF-DF-0001"] == "passed"
    assert result.run["define_version"] == "2.1.7"


def test_cdisc_example_defines_read():
    for name in ("defineV21-SDTM.xml", "defineV21-ADaM.xml"):
        path = EXAMPLES / name
        if not path.exists():
            pytest.skip(f"{path} is not available (the shared reference folder is absent)")
        define = read_define(path)
        assert len(define.datasets) >= 3
        assert all(d.variables for d in define.datasets.values())
        assert define.ct_versions()


def test_a_file_that_is_not_define_xml_is_an_input_error(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text("<root/>", encoding="utf-8")
    with pytest.raises(InputError):
        read_define(path)


def test_merged_defines_keep_each_files_codelists_apart():
    from validation.define import Define, DefineCodelist, DefineDataset, DefineVariable, merge_defines

    def define(name, dataset, terms):
        variable = DefineVariable("SEX", f"IT.{dataset}.SEX", "text", 1, "Sex", "CL.SEX", True, None, 1)
        return Define(name, "2.1.0", ({"Type": "IG", "Name": name, "Version": "1"},),
                      {dataset: DefineDataset(dataset, f"IG.{dataset}", dataset, "", "", (variable,))},
                      {"CL.SEX": DefineCodelist("CL.SEX", "Sex", "C66731", frozenset(terms), frozenset())})

    merged = merge_defines([define("sdtm.xml", "DM", {"M", "F"}), define("adam.xml", "ADSL", {"F"})])
    assert merged.codelist_for("DM", "SEX").values == {"M", "F"}
    assert merged.codelist_for("ADSL", "SEX").values == {"F"}
    assert set(merged.datasets) == {"DM", "ADSL"} and len(merged.standards) == 2


_LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
HOSTILE_DEFINES = {
    "billion laughs": (f'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY l0 "lol">{_LAUGHS}]><ODM>&l9;</ODM>',
                       ["not well-formed", "amplification"]),
    "external entity": ('<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY secret SYSTEM "{secret}">]>'
                        '<ODM><Study>&secret;</Study></ODM>', ["declares entities", "secret"]),
    "external DTD": ('<?xml version="1.0"?><!DOCTYPE ODM SYSTEM "http://example.org/odm.dtd"><ODM/>',
                     ["external DTD", "http://example.org/odm.dtd"]),
    "not well-formed": ('<?xml version="1.0"?>\n<ODM>\n  <Study>\n</ODM>\n', ["not well-formed", "line 4"]),
    "truncated": (SMALL[:400], ["not well-formed"]),
    "not XML at all": ("STUDYID,USUBJID\nS,S-1\n", ["not well-formed", "line 1"]),
    "empty": ("", ["is empty"]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_DEFINES))
def test_a_hostile_or_broken_define_is_refused_without_expanding_anything(tmp_path, case):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    text, fragments = HOSTILE_DEFINES[case]
    path = tmp_path / "define.xml"
    path.write_text(text.replace("{secret}", secret.as_uri()), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_define(path)
    message = str(caught.value)
    assert str(path) in message and "TOP-SECRET-VALUE" not in message and "lollol" not in message
    for fragment in fragments:
        assert fragment in message, message


# --- define.xml against the data, on a define.xml our build writes (the checks define_xml no longer runs) ----

DEFINE_RULES = [r for r in load_rules() if r.id.startswith("TF-DF")]
CREATED = datetime(2025, 3, 28, 9, 30, 0)
_NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def _built(tmp_path, frames=None, *, spec_only=False, drop=(), edit=None):
    """The small study's XPTs with the define.xml our builder makes of them (from the spec alone when
    `spec_only`), `edit`ed; datasets in `drop` removed after the define was built; the TF-DF findings."""
    from define_xml.build import build_define
    from define_xml.writer import write_define
    from tests.define_xml.small_study import small_spec, write_small_xpts
    from validation.engine import validate_folder

    spec = small_spec()
    datasets = write_small_xpts(tmp_path, spec, frames)
    tree = build_define(spec, None if spec_only else datasets, created=CREATED)
    if edit is not None:
        edit(tree.getroot())
    write_define(tree, tmp_path / "define.xml")
    for name in drop:
        (tmp_path / f"{name.lower()}.xpt").unlink()
    result = validate_folder(tmp_path, rules=DEFINE_RULES)
    return result, sorted((f.rule_id, f.dataset, f.variables) for f in result.findings)


def _frames():
    from tests.define_xml.small_study import small_frames

    return small_frames()


def test_a_define_built_from_the_data_it_describes_passes_every_define_rule(tmp_path):
    result, found = _built(tmp_path)
    assert found == []
    statuses = {s.rule_id: s.status for s in result.statuses}
    assert statuses["TF-DF-0018"] == statuses["TF-DF-0019"] == "passed"  # value-level metadata was read
    define = read_define(tmp_path / "define.xml")
    qval = define.datasets["SUPPAE"].variable("QVAL").values
    assert [(v.codelist, str(v.where[0])) for v in qval] == [("CL.ASTCTGR", "QNAM EQ AEASTCGR"),
                                                             ("CL.NY_Y", "QNAM EQ AETRTEM")]
    assert define.datasets["MB"].has_no_data and define.datasets["LB"].href == "lb.xpt"


def test_a_variable_in_the_xpt_but_not_in_the_spec(tmp_path):
    frames = _frames()
    frames["DM"] = frames["DM"].assign(RACE=["ASIAN", "WHITE", "ASIAN"])
    result, found = _built(tmp_path, frames)
    assert found == [("TF-DF-0004", "DM", ("RACE",))]
    assert result.findings[0].severity == "error" and "DM.RACE" in result.findings[0].message


def test_a_described_variable_the_data_lacks(tmp_path):
    frames = _frames()
    frames["DM"] = frames["DM"].drop(columns=["COUNTRY"])
    _, found = _built(tmp_path, frames)
    assert found == [("TF-DF-0005", "DM", ("COUNTRY",))]


def test_a_dataset_nobody_described(tmp_path):
    _, found = _built(tmp_path, edit=lambda root: _remove(root, "//odm:ItemGroupDef[@Name='AE']"))
    assert ("TF-DF-0002", "AE", ()) in found


def test_a_length_mismatch(tmp_path):
    def longer(root):  # what a spec-sized define says when the XPT was trimmed to the data
        root.xpath("//odm:ItemDef[@OID='IT.AE.AETERM']", namespaces=_NS)[0].set("Length", "200")

    result, found = _built(tmp_path, edit=longer)
    assert found == [("TF-DF-0015", "AE", ("AETERM",))]
    assert result.findings[0].values == (25, 200)


def test_a_term_used_but_not_in_the_codelist(tmp_path):
    frames = _frames()
    frames["DM"].loc[2, "SEX"] = "Female"  # the raw spelling, not the CDISC term
    result, found = _built(tmp_path, frames)
    assert found == [("TF-DF-0009", "DM", ("SEX",))]
    assert result.findings[0].values == ("Female",) and result.findings[0].row == 3


def test_value_level_codelists_are_checked_on_the_rows_their_clause_selects(tmp_path):
    frames = _frames()
    frames["SUPPAE"].loc[0, "QVAL"] = "5"  # ASTCT grade 5 is not in the sponsor codelist (1-3)
    result, found = _built(tmp_path, frames)
    assert found == [("TF-DF-0018", "SUPPAE", ("QVAL",))]
    assert result.findings[0].values == ("5",) and result.findings[0].row == 1


def test_a_value_level_length_shorter_than_the_data(tmp_path):
    def shorter(root):
        root.xpath("//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.HGB']", namespaces=_NS)[0].set("Length", "3")

    result, found = _built(tmp_path, edit=shorter)
    assert found == [("TF-DF-0019", "LB", ("LBORRES",))]
    assert "LBTESTCD EQ HGB" in result.findings[0].message


def test_type_mismatch_and_fractions_in_integers(tmp_path):
    frames = _frames()
    frames["DM"] = frames["DM"].assign(AGE=[54.5, 61.0, None])
    frames["AE"] = frames["AE"].assign(AESEQ=["1", "1"])
    _, found = _built(tmp_path, frames)
    assert found == [("TF-DF-0006", "AE", ("AESEQ",)), ("TF-DF-0017", "DM", ("AGE",))]


def test_a_dataset_said_to_have_no_data_and_one_described_but_not_written(tmp_path):
    _, found = _built(tmp_path, spec_only=True, drop=["LB"])  # the spec describes MB with HasNoData
    assert ("TF-DF-0003", "LB", ()) in found
    assert not any(dataset == "MB" for _, dataset, _ in found)
    assert {rule for rule, _, _ in found} == {"TF-DF-0003", "TF-DF-0016"}  # a spec-only define has no lengths


def test_a_dataset_written_though_define_says_it_has_no_data(tmp_path):
    def no_data(root):
        root.xpath("//odm:ItemGroupDef[@Name='AE']", namespaces=_NS)[0].set(f"{{{_NS['def']}}}HasNoData", "Yes")

    _, found = _built(tmp_path, edit=no_data)
    assert found == [("TF-DF-0012", "AE", ())]


def test_a_leaf_naming_another_file_and_variables_out_of_order(tmp_path):
    def edit(root):
        group = root.xpath("//odm:ItemGroupDef[@Name='LB']", namespaces=_NS)[0]
        leaf = group.xpath("def:leaf", namespaces=_NS)[0]
        leaf.set("{http://www.w3.org/1999/xlink}href", "lab.xpt")
        refs = group.xpath("odm:ItemRef", namespaces=_NS)
        refs[0].set("OrderNumber", "2")
        refs[1].set("OrderNumber", "1")

    _, found = _built(tmp_path, edit=edit)
    assert found == [("TF-DF-0013", "LB", ()), ("TF-DF-0014", "LB", ("STUDYID",))]


def test_keys_that_do_not_identify_a_record_are_warnings(tmp_path):
    frames = _frames()
    frames["DM"] = frames["DM"].assign(USUBJID=["SMALL-1-001", "SMALL-1-001", "SMALL-1-003"])
    result, _ = _built(tmp_path, frames)
    assert {(f.rule_id, f.severity, f.row) for f in result.findings} == {("TF-DF-0011", "warning", 1),
                                                                          ("TF-DF-0011", "warning", 2)}


def _remove(root, path):
    for element in root.xpath(path, namespaces=_NS):
        element.getparent().remove(element)
