"""define.html: our own rendering of define.xml, so reviewers need no XSLT (browsers are dropping it and
block it on local files). One self-contained page: inline CSS, no scripts, no external assets."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree

from define_xml.view import define_view
from formats.definexml import DefineDoc, read_define_tree

log = logging.getLogger(__name__)

TEMPLATE = "define.html.j2"


def render_define_html(
    tree_or_model: etree._ElementTree | etree._Element | DefineDoc | dict[str, Any] | str | os.PathLike,
    path: str | os.PathLike | None = None,
) -> str:
    """The HTML view of a define.xml (a tree, a DefineDoc, a view dict, or a define.xml path);
    written to `path` when given. Returns the HTML text."""
    if isinstance(tree_or_model, dict):
        view = tree_or_model
    else:
        doc = tree_or_model if isinstance(tree_or_model, DefineDoc) else read_define_tree(tree_or_model)
        view = define_view(doc)
    text = _template().render(**view)
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        log.info("wrote %s", target)
    return text


def preload() -> None:
    """Compile the page template now (a build does this before it forks, so both processes share it)."""
    _template()


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    source = resources.files("define_xml.templates").joinpath(TEMPLATE).read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False,
                                     keep_trailing_newline=True)
    return environment.from_string(source)
