"""Namespaces of Define-XML 2.1 (ODM 1.3.2 + def + ARM 1.0) and small element helpers shared by the builders.

The namespaces belong to the define.xml reader, `formats.definexml`, and are imported from there.

Elements are made with lxml and qualified names only; the builders never format XML text themselves.
"""

from __future__ import annotations

from lxml import etree

from formats.definexml import ARM, DEF, NS, ODM, XLINK, XML, odm  # noqa: F401 (NS for XPath look-ups)

NSMAP = {None: ODM, "def": DEF, "xlink": XLINK, "arm": ARM}


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
