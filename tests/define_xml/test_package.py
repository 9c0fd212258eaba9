from __future__ import annotations

import json

from lxml import etree

from define_xml.arm import has_arm
from define_xml.package import read_folder_datasets, write_package_define
from define_xml.xmlns import NS
from tests.define_xml.conftest import CREATED
from tests.define_xml.small_study import write_small_adam_xpts


def test_write_package_define_writes_define_xml_and_html_and_reports(spec, written, schema):
    folder, _ = written
    summary = write_package_define(spec, folder, "sdtm", CREATED, schema=schema)
    assert (folder / "define.xml").is_file() and (folder / "define.html").is_file()
    assert summary["datasets"] == ["AE", "DM", "LB", "SUPPAE"]
    assert summary["schema_validated"] and summary["schema_problems"] == []
    assert "findings" not in summary and summary["stylesheet"] is None  # define vs data: the TF-DF rules
    json.dumps(summary)  # ready for the build log
    tree = etree.parse(str(folder / "define.xml"))
    assert 'href="define2-1.xsl"' in tree.getroot().getprevious().text
    assert not (folder / "define2-1.xsl").exists()  # the project ships no stylesheet


def test_a_user_stylesheet_is_copied_and_named_by_define_xml(spec, written, tmp_path):
    folder, _ = written
    mine = tmp_path / "house-style.xsl"
    mine.write_text('<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>')
    summary = write_package_define(spec, folder, "sdtm", CREATED, mine)
    assert (folder / "house-style.xsl").read_text() == mine.read_text()
    assert summary["stylesheet"] == "house-style.xsl"
    assert 'href="house-style.xsl"' in etree.parse(str(folder / "define.xml")).getroot().getprevious().text


def test_the_leaf_follows_the_file_written(spec, written):
    folder, datasets = written
    (folder / "lb.xpt").rename(folder / "lab.xpt")  # the file name no longer matches the dataset name
    write_package_define(spec, folder, "sdtm", CREATED)
    leaf = etree.parse(str(folder / "define.xml")).getroot().xpath(
        "//odm:ItemGroupDef[@Name='LB']/def:leaf", namespaces=NS)[0]
    assert leaf.get(f"{{{NS['xlink']}}}href") == "lab.xpt"  # described from what was written
    assert read_folder_datasets(folder)["LB"].href == "lab.xpt"
    assert "lab.xpt" in (folder / "define.html").read_text()


def test_arm_goes_into_define_html_and_into_define_xml_only_when_asked(adam_spec, tmp_path, schema):
    folder = tmp_path / "adam"
    folder.mkdir()
    write_small_adam_xpts(folder, adam_spec)
    plain = write_package_define(adam_spec, folder, "adam", CREATED, schema=schema)
    assert plain["arm_displays"] == 2 and not plain["arm_in_define"] and plain["schema_problems"] == []
    assert not has_arm(etree.parse(str(folder / "define.xml")))
    assert "analysis-results" in (folder / "define.html").read_text()
    embedded = write_package_define(adam_spec, folder, "adam", CREATED, schema=schema, arm_in_define=True)
    assert embedded["arm_in_define"] and embedded["schema_problems"] == []
    assert has_arm(etree.parse(str(folder / "define.xml")))


def test_a_stylesheet_or_schema_that_cannot_be_used_is_refused_before_anything_is_written(spec, written, tmp_path):
    import pytest

    from specs.errors import InputError

    folder, _ = written
    good = '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>'
    cases = {
        "entity.xsl": ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + good, "declares entities"),
        "broken.xsl": (good[:-2], "not well-formed"),
        "page.xsl": ("<html/>", "not an XSL stylesheet"),
        'quote".xsl': (good, "file name cannot be used"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=expected):
            write_package_define(spec, folder, "sdtm", CREATED, path)
    with pytest.raises(InputError, match="not a usable XML Schema"):
        write_package_define(spec, folder, "sdtm", CREATED, schema=tmp_path / "page.xsl")
    assert not (folder / "define.xml").exists() and not (folder / "define.html").exists()
    nbsp = tmp_path / "nbsp.xsl"  # plain character entities, as XSL files often declare, are fine
    nbsp.write_text('<!DOCTYPE xsl:stylesheet [<!ENTITY nbsp "&#160;">]>' + good, encoding="utf-8")
    assert write_package_define(spec, folder, "sdtm", CREATED, nbsp)["stylesheet"] == "nbsp.xsl"
