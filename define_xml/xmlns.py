"""Namespaces of Define-XML 2.1 (ODM 1.3.2 + def + ARM 1.0) and small element helpers shared by the builders.

Elements are made with lxml and qualified names only; the builders never format XML text themselves.
"""

from __future__ import annotations

from lxml import etree

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: ODM, "def": DEF, "xlink": XLINK, "arm": ARM}
NS = {"odm": ODM, "def": DEF, "xlink": XLINK, "arm": ARM}  # prefixes for XPath look-ups


def odm(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def dfn(tag: str) -> str:
    return f"{{{DEF}}}{tag}"


def arm(tag: str) -> str:
    return f"{{{ARM}}}{tag}"


def xlink(tag: str) -> str:
    return f"{{{XLINK}}}{tag}"


def element(tag: str, attrib: dict[str, object | None] | None = None, *children: etree._Element | None,
            text: str | None = None) -> etree._Element:
    """An element with the attributes that are not None and the given children (None children are skipped)."""
    made = etree.Element(tag, {k: _text(v) for k, v in (attrib or {}).items() if v is not None})
    if text is not None:
        made.text = text
    for child in children:
        if child is not None:
            made.append(child)
    return made


def sub(parent: etree._Element, tag: str, attrib: dict[str, object | None] | None = None,
        text: str | None = None) -> etree._Element:
    child = element(tag, attrib, text=text)
    parent.append(child)
    return child


def description(text: str | None, tag: str | None = None) -> etree._Element:
    """`<Description><TranslatedText xml:lang="en">text</TranslatedText></Description>` (or another wrapper)."""
    wrapper = etree.Element(tag or odm("Description"))
    translated = etree.SubElement(wrapper, odm("TranslatedText"), {f"{{{XML}}}lang": "en"})
    translated.text = clean_text(text)
    return wrapper


def clean_text(text: str | None) -> str:
    """Text as XML 1.0 can carry it: control characters other than tab/newline dropped, ends trimmed."""
    if text is None:
        return ""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 0x20).strip()


def _text(value: object) -> str:
    return clean_text(value) if isinstance(value, str) else str(value)


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def translated(node: etree._Element | None) -> str:
    """The English (or first) TranslatedText under `node`'s Description/Decode child, or ''."""
    if node is None:
        return ""
    texts = node.findall(f"{odm('TranslatedText')}")
    if not texts:
        wrapper = node.find(odm("Description"))
        if wrapper is None:
            wrapper = node.find(odm("Decode"))
        texts = wrapper.findall(odm("TranslatedText")) if wrapper is not None else []
    if not texts:
        return ""
    english = next((t for t in texts if (t.get(f"{{{XML}}}lang") or "en").startswith("en")), texts[0])
    return (english.text or "").strip()
