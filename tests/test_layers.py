"""Imports flow one way (issue 10): every import in the packages is checked against the layers below.

    rank 0  specs, formats   the bottom: the spec model; file formats (XPT, Dataset-JSON, define.xml,
                             folders of datasets, SAS and ISO 8601 dates, the build clock)
    rank 1  sdtm, adam       never each other (adam reads SDTM as data)
    rank 2  define_xml, validation   never each other (what both need of define.xml is in formats)
    rank 3  trialforge       the orchestration: CLI, build pipeline, package layout

A module may import its own package and the packages of a lower rank. Within the bottom rank, formats
may import `specs.errors` (one error hierarchy for the whole tool) and nothing else of specs; specs
imports nothing of formats (the spec model reads workbooks, not datasets). Every import counts, at the
top of a module or inside a function. Below trialforge an import of another of our packages inside a
function is refused as well: a lazy import hides a dependency (trialforge defers its imports to keep the
CLI quick to start, and nothing imports trialforge).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RANKS = {"specs": 0, "formats": 0, "sdtm": 1, "adam": 1, "define_xml": 2, "validation": 2, "trialforge": 3}
# Imports between two packages of the same rank that are allowed: (importer, imported) -> module prefixes.
SAME_RANK_ALLOWED = {("formats", "specs"): ("specs.errors",)}
LAZY_ALLOWED = frozenset({"trialforge"})


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []  # relative imports stay inside their package


def _function_imports(tree: ast.AST) -> set[int]:
    """ids of the import nodes that stand inside a function (or a class body's method)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(sub) for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom)))
    return inside


def layer_violations(package: str, where: str, source: str) -> list[str]:
    """Each import in `source` (a module of `package`) that goes up a layer, sideways, or lazily across."""
    tree = ast.parse(source, filename=where)
    lazy = _function_imports(tree)
    found = []
    for node in ast.walk(tree):
        for module in _imported(node):
            target = module.split(".")[0]
            if target not in RANKS or target == package:
                continue
            here, there = RANKS[package], RANKS[target]
            at = f"{where}:{node.lineno}: {package} imports {module}"
            if there > here:
                found.append(f"{at} (a higher layer: {target} is rank {there}, {package} rank {here})")
            elif there == here and not module.startswith(SAME_RANK_ALLOWED.get((package, target), ("\0",))):
                allowed = SAME_RANK_ALLOWED.get((package, target))
                found.append(f"{at} (the same layer: {package} and {target} do not import each other"
                             + (f"; only {', '.join(allowed)} is allowed)" if allowed else ")"))
            elif id(node) in lazy and package not in LAZY_ALLOWED:
                found.append(f"{at} inside a function (a lazy import across layers hides a dependency; import it "
                             "at the top of the module)")
    return found


def _modules():
    for package in RANKS:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def test_every_package_imports_only_the_layers_below():
    problems = []
    for package, path in _modules():
        problems += layer_violations(package, str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_the_walk_sees_every_package():
    seen = {package for package, _ in _modules()}
    assert seen == set(RANKS)


@pytest.mark.parametrize("package, source, fragment", [
    ("sdtm", "from trialforge.stages import bundled_spec\n", "a higher layer"),
    ("formats", "import validation.engine\n", "a higher layer"),
    ("sdtm", "from adam.dates import compute_dt\n", "the same layer"),
    ("validation", "def f():\n    from define_xml.package import write_package_define\n", "the same layer"),
    ("specs", "from formats.xpt import read_xpt\n", "the same layer"),
    ("formats", "from specs.model import Spec\n", "only specs.errors is allowed"),
    ("define_xml", "def f():\n    from formats.xpt import read_xpt\n", "inside a function"),
    ("adam", "class A:\n    def m(self):\n        import specs.reader\n", "inside a function"),
])
def test_a_planted_violation_is_named(package, source, fragment):
    found = layer_violations(package, "planted.py", source)
    assert len(found) == 1 and fragment in found[0] and found[0].startswith("planted.py:"), found


@pytest.mark.parametrize("package, source", [
    ("formats", "from specs.errors import InputError\n"),
    ("validation", "from formats.folder import load_folder\nfrom sdtm.dates import iso_date\n"),
    ("trialforge", "def f():\n    from validation.gate import run_gate\n"),
    ("sdtm", "from sdtm.dates import iso_date\nfrom . import frames\nimport pandas\n"),
])
def test_what_the_layers_allow_passes(package, source):
    assert layer_violations(package, "fine.py", source) == []
