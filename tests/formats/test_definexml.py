"""The one define.xml reader: Define-XML 2.1 and 2.0 read alike, through the hardened parser."""

from __future__ import annotations

import pytest

from formats.definexml import read_define_tree
from specs.errors import InputError

DEFINE_20 = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="define2-0-0.xsl"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.0"
     xmlns:xlink="http://www.w3.org/1999/xlink" ODMVersion="1.3.2">
 <Study OID="S"><MetaDataVersion OID="M" Name="M" def:DefineVersion="2.0.0">
  <ItemGroupDef OID="IG.AE" Name="AE" Repeating="Yes" Purpose="Tabulation" def:Class="EVENTS">
   <Description><TranslatedText xml:lang="en">Adverse Events</TranslatedText></Description>
   <ItemRef ItemOID="IT.AE.AESEV" Mandatory="No" OrderNumber="1"/>
   <def:leaf ID="LF.AE" xlink:href="ae.xpt"><def:title>ae.xpt</def:title></def:leaf>
  </ItemGroupDef>
  <ItemDef OID="IT.AE.AESEV" Name="AESEV" DataType="text" Length="8"><CodeListRef CodeListOID="CL.SEV"/></ItemDef>
  <CodeList OID="CL.SEV" Name="Severity" DataType="text">
   <EnumeratedItem CodedValue="MILD"/><EnumeratedItem CodedValue="GRADE 6" def:ExtendedValue="Yes"/>
  </CodeList>
 </MetaDataVersion></Study>
</ODM>
"""


def test_define_xml_2_0_reads_like_2_1(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(DEFINE_20, encoding="utf-8")
    doc = read_define_tree(path)
    ae = doc.group("AE")
    assert (doc.define_version, ae.class_name, ae.href, ae.label) == ("2.0.0", "EVENTS", "ae.xpt", "Adverse Events")
    assert [t.extended for t in doc.codelists["CL.SEV"].terms] == [False, True]
    assert doc.stylesheet == "define2-0-0.xsl"


def test_a_document_that_is_not_a_define_names_its_root(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text("<html><body>define</body></html>", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_define_tree(path)
    assert "not a define.xml" in str(caught.value) and "<html>" in str(caught.value)
