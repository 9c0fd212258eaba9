"""The one place define.xml is written to disk."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from lxml import etree

log = logging.getLogger(__name__)


def write_define(tree: etree._ElementTree, path: str | os.PathLike) -> Path:
    """Write `tree` as UTF-8 with an XML declaration (and its xml-stylesheet instruction), indented.

    The file is written beside its target and renamed into place, so a reader never sees half a file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        tree.write(str(partial), xml_declaration=True, encoding="UTF-8", pretty_print=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    log.info("wrote %s", target)
    return target
