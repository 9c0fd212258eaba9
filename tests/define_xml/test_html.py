from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import lxml.html
import pytest
from lxml import etree

from define_xml.build import build_define
from define_xml.html import render_define_html
from define_xml.package import write_package_define
from tests.define_xml.conftest import CREATED, need
from tests.define_xml.small_study import DEFINE_STANDARDS

CDISC_STYLESHEET = DEFINE_STANDARDS / "define2-1.xsl"
EXAMPLES = DEFINE_STANDARDS / "examples"


def test_define_html_is_self_contained_and_shows_every_section(spec, written):
    _, datasets = written
    html = render_define_html(build_define(spec, datasets, created=CREATED))
    page = lxml.html.fromstring(html)
    assert page.xpath("//link[@rel='stylesheet']") == [] and page.xpath("//script") == []
    assert page.xpath("//*[@src]") == []  # no external assets of any kind
    links = {a.get("data-dataset"): a.get("href") for a in page.xpath("//a[@class='xpt-link']")}
    assert links == {"DM": "dm.xpt", "AE": "ae.xpt", "LB": "lb.xpt", "SUPPAE": "suppae.xpt"}  # MB has no data
    for anchor in ("standards", "documents", "datasets", "value-level", "codelists", "dictionaries", "methods",
                   "comments", "IG.AE", "VL.LB.LBORRES", "CL.SEX", "MT.SEQ", "COM.AE"):
        assert page.get_element_by_id(anchor) is not None, anchor
    internal = {a.get("href")[1:] for a in page.xpath("//a[starts-with(@href, '#')]")}
    assert {target for target in internal if page.xpath(f"//*[@id='{target}']") == []} == set()
    assert "A small study &amp; its &lt;edge&gt; cases" in html  # escaped, not dropped
    row = page.get_element_by_id("IT.AE.AETERM")
    assert [a.get("href") for a in row.xpath(".//a")] == ["acrf.pdf", "acrf.pdf#page=7", "acrf.pdf#page=8"]
    where = page.get_element_by_id("VL.SUPPAE.QVAL").xpath(".//td[@class='mono']/text()")
    assert where == ["QNAM EQ AEASTCGR", "QNAM EQ AETRTEM"]


def test_define_html_renders_cdisc_example_defines_too(shared):
    for example in ("defineV21-SDTM.xml", "defineV21-ADaM.xml"):
        page = lxml.html.fromstring(render_define_html(need(EXAMPLES / example)))
        assert page.xpath("//a[@class='xpt-link']"), example
    adam = lxml.html.fromstring(render_define_html(EXAMPLES / "defineV21-ADaM.xml"))
    assert adam.get_element_by_id("analysis-results") is not None


def test_the_cdisc_stylesheet_transforms_our_define_without_error(spec, written):
    _, datasets = written
    transform = etree.XSLT(etree.parse(str(need(CDISC_STYLESHEET))))
    for tree in (build_define(spec, datasets, created=CREATED), build_define(spec, None, created=CREATED)):
        result = str(transform(tree))
        assert len(transform.error_log) == 0
        assert "[unresolved:" not in result
        for name in ("DM", "AE", "LB", "SUPPAE"):
            assert f"{name.lower()}.xpt" in result


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("chromium is not installed (Debian: apt-get install chromium); the browser test needs it")


def _browser(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_define_html_in_a_browser_lists_every_dataset_with_a_working_link(spec, written, tmp_path):
    binary = _chromium()
    folder, datasets = written
    write_package_define(spec, folder, "sdtm", CREATED)
    url = (folder / "define.html").resolve().as_uri()
    shown = _browser(binary, tmp_path / "profile", "--dump-dom", url)
    assert shown.returncode == 0, shown.stderr[-2000:]
    page = lxml.html.fromstring(shown.stdout)
    links = {a.get("data-dataset"): a.get("href") for a in page.xpath("//a[@class='xpt-link']")}
    assert set(links) == set(datasets)
    for name, href in links.items():
        target = Path(unquote(urlparse(urljoin(url, href)).path))
        assert target.is_file() and target.name == datasets[name].href, name
    screenshot = tmp_path / "define.png"
    taken = _browser(binary, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1400,1000", url)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    if keep := os.environ.get("TRIALFORGE_SCREENSHOT_DIR"):  # CI keeps the picture for people to look at
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, Path(keep) / "define-html.png")


def test_planted_markup_and_script_links_in_a_define_are_not_live(spec, written):
    from define_xml.view import safe_href
    from define_xml.xmlns import NS, XLINK
    from tests.validation.test_reports import PLANTED, live_markup

    _, datasets = written
    tree = build_define(spec, datasets, created=CREATED)
    texts = tree.getroot().xpath("//odm:TranslatedText", namespaces=NS)
    for number, node in enumerate(texts):
        node.text = PLANTED[number % 2]  # every label, description, comment and method
    for leaf in tree.getroot().xpath("//def:leaf", namespaces=NS):
        leaf.set(f"{{{XLINK}}}href", " JaVaScRiPt:alert(3)")
    tree.getroot().xpath("//odm:ItemDef", namespaces=NS)[0].set("Name", PLANTED[1])
    html = render_define_html(tree)
    assert live_markup(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [safe_href(h) for h in ("acrf.pdf#page=3", "https://x.org/a", "java\nscript:x", "data:text/html,x")] == [
        "acrf.pdf#page=3", "https://x.org/a", "", ""]
