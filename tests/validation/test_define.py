"""define.xml reading, and define-vs-data checks on a small hand-written define."""

from __future__ import annotations

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
