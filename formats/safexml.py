"""Reading XML a user hands us (a define.xml to validate, a Define-XML schema, a stylesheet) without trusting it.

One hardened lxml parser: entities are never expanded, no DTD is loaded, nothing is fetched from the
network, and libxml2's limits on huge documents stay on. A document that declares entities (the
"billion laughs" bomb, or an external entity pointing at a local file) or refers to an external DTD is
refused before anything reads it. A stylesheet may declare plain character entities (`&nbsp;` as
`&#160;`), which XSL files commonly do, but nothing that refers to another entity or to a file.

Every failure is an InputError naming the file, the line where the parser stopped and what was expected.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from lxml import etree

from specs.errors import InputError, Problem

_ENTITY_REFERENCE = re.compile(r"[&%][A-Za-z_:]")  # a general or parameter entity inside an entity's text


def hardened_parser() -> etree.XMLParser:
    """A parser that expands no entity, loads no DTD, fetches nothing and keeps libxml2's size limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_user_xml(path: str | os.PathLike, what: str, expected: str, *,
                   character_entities: bool = False) -> etree._ElementTree:
    """Parse the XML file at `path` (`what` it is, for messages: "define.xml", "schema", ...).

    `expected` says what the file should be ("a Define-XML 2.1 document"). With `character_entities`,
    entity declarations whose text is plain (no reference to another entity, no file) are allowed.
    """
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = "it does not exist" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        raise InputError(f"{where}: the {what} cannot be read", [Problem(where, f"{reason}; expected {expected}")]
                         ) from None
    if not data.strip():
        raise InputError(f"{where}: the {what} is empty", [Problem(where, f"expected {expected}")])
    try:
        tree = etree.parse(io.BytesIO(data), hardened_parser(), base_url=str(Path(path).resolve()))
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{where}: the {what} is not well-formed XML",
                         [Problem(where, f"{syntax_message(exc)}; expected {expected}")]) from None
    refuse_entities(tree, where, what, expected, character_entities=character_entities)
    return tree


def syntax_message(exc: etree.XMLSyntaxError) -> str:
    """The parser's complaint with its line and column, once."""
    message = (exc.msg or str(exc)).strip()
    message = re.sub(r",? line \d+, column \d+$", "", message)
    line, column = (exc.position if exc.position else (exc.lineno, None))
    at = f"line {line}" + (f" column {column}" if column else "") if line else ""
    return f"{message}{' at ' + at if at else ''}"


def refuse_entities(tree: etree._ElementTree, where: str, what: str, expected: str, *,
                    character_entities: bool = False) -> None:
    """InputError when the document refers to an external DTD or declares entities it may not."""
    info = tree.docinfo
    if info.system_url or info.public_id:
        raise InputError(f"{where}: the {what} refers to an external DTD, which trialforge does not load",
                         [Problem(where, f"DOCTYPE refers to {info.system_url or info.public_id!r}; remove the "
                                         f"DOCTYPE; expected {expected}")])
    dtd = info.internalDTD
    if dtd is None:
        return
    refused = []
    for entity in dtd.iterentities():
        external = entity.system_url
        nested = bool(_ENTITY_REFERENCE.search(entity.orig or ""))
        if external:
            refused.append(f"{entity.name} (refers to {external!r})")
        elif nested:
            refused.append(f"{entity.name} (refers to other entities)")
        elif not character_entities:
            refused.append(entity.name)
    if refused:
        shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
        raise InputError(f"{where}: the {what} declares entities, which trialforge does not expand",
                         [Problem(where, f"the DOCTYPE declares entities: {shown}; remove the DOCTYPE (entities "
                                         f"can read local files or expand without end); expected {expected}")])
