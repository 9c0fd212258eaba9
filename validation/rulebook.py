"""Conformance rules as YAML data: loading, template expansion and our rule schema.

A rule file holds `rules:` (a list of rules) and/or `templates:` (a rule with `<<name>>` placeholders
and a `for_each:` table; one rule per row). Every rule is checked when loaded and every problem of
every file is reported at once, naming file and rule: an unknown operator or a missing field stops
the load before any data is read.

Rule fields: id, title, implements [{authority, id}], standard [..], scope {classes, domains,
datasets: {include, exclude} or a list}, check (all/any/not over leaves {variable, operator, ...}),
severity, message, sensitivity (record|dataset), optional each_variable (a regex over column names or
a list), requires (variables that must exist), report (variables to show), description, examples.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from specs.errors import InputError, Problem
from validation import operators
from validation.model import SEVERITIES

# ADaMIG, ADNCA and CTCAE: the standard's own text (a variable's definition, a grading scale) where no conformance
# rule catalogue has an id for the check
AUTHORITIES = ("CDISC CORE", "CDISC CG", "P21", "FDA", "ADaM", "ADaMIG", "ADNCA", "CTCAE")
SENSITIVITIES = ("record", "dataset")
STANDARD = re.compile(r"(SDTMIG|ADaMIG) \d+\.\d+")
RULE_KEYS = frozenset({"id", "title", "description", "implements", "standard", "scope", "check", "severity",
                       "message", "sensitivity", "each_variable", "requires", "requires_datasets", "report",
                       "examples"})
REQUIRED_KEYS = ("id", "title", "implements", "standard", "check", "severity", "message", "sensitivity")
SCOPE_KEYS = frozenset({"classes", "domains", "datasets"})
EACH = "$each"
_PLACEHOLDER = re.compile(r"<<(\w+)>>")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser: 10x faster on 500 rules
    """YAML without implicit timestamps: a date in a rule or an example stays the ISO text it is."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


@dataclass(frozen=True)
class Scope:
    classes: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # (include, exclude)
    domains: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    datasets: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    implements: tuple[tuple[str, str], ...]
    standard: tuple[str, ...]
    scope: Scope
    check: dict
    severity: str
    message: str
    sensitivity: str
    level: str  # record, dataset or study: the level of the check's operators
    each_variable: Any = None
    requires: tuple[str, ...] = ()
    requires_datasets: tuple[str, ...] = ()
    report: tuple[str, ...] = ()
    description: str = ""
    examples: dict = field(default_factory=dict, compare=False, hash=False)
    source: str = ""

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(f"{authority} {ident}" for authority, ident in self.implements)

    @property
    def families(self) -> frozenset[str]:
        """The dataset standards the rule applies to: SDTM and/or ADaM."""
        return frozenset("ADaM" if s.startswith("ADaM") else "SDTM" for s in self.standard)


def bundled_rule_files() -> list[Path]:
    folder = resources.files("validation") / "rules"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_rules(sources: Iterable[str | Path] | str | Path | None = None) -> list[Rule]:
    """Rules from YAML files or folders (the bundled set when None), validated; ids unique across files."""
    if sources is None:
        paths = bundled_rule_files()
    else:
        items = [sources] if isinstance(sources, (str, Path)) else list(sources)
        paths = []
        for item in map(Path, items):
            paths.extend(sorted(item.glob("*.yaml")) if item.is_dir() else [item])
    rules: list[Rule] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            document = read_yaml(path)
        except (OSError, yaml.YAMLError, ValueError) as exc:
            problems.append(Problem(str(path), f"cannot be read as YAML: {exc}"))
            continue
        for raw in expand_document(document, str(path), problems):
            rule = parse_rule(raw, str(path), problems)
            if rule is not None:
                rules.append(rule)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem(rule.source, f"rule {rule.id}: id already used in {seen[rule.id]}"))
        seen.setdefault(rule.id, rule.source)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the conformance rules", problems)
    return rules


def expand_document(document: Any, source: str, problems: list[Problem]) -> list[dict]:
    """The rules of one file: its `rules` plus one rule per row of each template's `for_each`."""
    if document is None:
        return []
    if isinstance(document, list):
        document = {"rules": document}
    if not isinstance(document, dict) or not set(document) <= {"rules", "templates"}:
        problems.append(Problem(source, "a rule file holds `rules:` and/or `templates:`"))
        return []
    raws = list(document.get("rules") or [])
    for number, template in enumerate(document.get("templates") or [], start=1):
        if not isinstance(template, dict) or "template" not in template or "for_each" not in template:
            problems.append(Problem(source, f"template {number}: needs `template:` and `for_each:`"))
            continue
        for row in template["for_each"]:
            raws.append(substitute(template["template"], row, source, problems))
    return raws


def substitute(node: Any, values: dict, source: str, problems: list[Problem]) -> Any:
    """Replace `<<name>>` placeholders; a string that is exactly one placeholder takes the value's type."""
    if isinstance(node, dict):
        return {substitute(k, values, source, problems): substitute(v, values, source, problems)
                for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values, source, problems) for v in node]
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            return copy.deepcopy(_value(whole.group(1), values, source, problems))
        return _PLACEHOLDER.sub(lambda m: str(_value(m.group(1), values, source, problems)), node)
    return node


def _value(name: str, values: dict, source: str, problems: list[Problem]) -> Any:
    if name not in values:
        problems.append(Problem(source, f"template row {values.get('id', values)}: no value for <<{name}>>"))
        return ""
    return values[name]


def parse_rule(raw: Any, source: str, problems: list[Problem]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(Problem(source, f"a rule must be a mapping, not {type(raw).__name__}"))
        return None
    rule_id = str(raw.get("id", "<no id>"))
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(Problem(source, f"rule {rule_id}: {message}"))

    for key in REQUIRED_KEYS:
        if key not in raw:
            problem(f"missing field `{key}`")
    for key in sorted(set(raw) - RULE_KEYS):
        problem(f"unknown field `{key}`")
    implements = _implements(raw.get("implements"), problem)
    standard = tuple(raw.get("standard") or ()) if isinstance(raw.get("standard"), list) else (
        (raw["standard"],) if isinstance(raw.get("standard"), str) else ())
    for name in standard:
        if not STANDARD.fullmatch(str(name)):
            problem(f"standard {name!r} is not like 'SDTMIG 3.4' or 'ADaMIG 1.3'")
    if "standard" in raw and not standard:
        problem("`standard` names no standard")
    if raw.get("severity") is not None and raw.get("severity") not in SEVERITIES:
        problem(f"severity {raw.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
    if raw.get("sensitivity") is not None and raw.get("sensitivity") not in SENSITIVITIES:
        problem(f"sensitivity {raw.get('sensitivity')!r} is not one of {', '.join(SENSITIVITIES)}")
    for key in ("message", "title"):
        if key in raw and not isinstance(raw[key], str):
            problem(f"`{key}` must be text")
    scope = _scope(raw.get("scope") or {}, problem)
    level = check_level(raw["check"], problem) if "check" in raw else "record"
    if raw.get("each_variable") is not None and not isinstance(raw["each_variable"], (str, list)):
        problem("`each_variable` must be a regular expression or a list of variables")
    if raw.get("each_variable") is not None and level == "study":
        problem("`each_variable` cannot be used with a study-level operator")
    if raw.get("each_variable") is None and "check" in raw and EACH in repr(raw["check"]):
        problem(f"the check uses {EACH} but the rule has no `each_variable`")
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict) or not set(examples) <= {"fires", "silent"}:
        problem("`examples` holds `fires:` and `silent:` lists")
        examples = {}
    if len(problems) > before:
        return None
    return Rule(
        id=rule_id, title=raw["title"], implements=implements, standard=standard, scope=scope,
        check=raw["check"], severity=raw["severity"], message=raw["message"], sensitivity=raw["sensitivity"],
        level=level, each_variable=raw.get("each_variable"), requires=tuple(raw.get("requires") or ()),
        requires_datasets=tuple(str(d).upper() for d in raw.get("requires_datasets") or ()),
        report=tuple(raw.get("report") or ()), description=str(raw.get("description") or ""),
        examples=examples, source=source)


def _implements(value: Any, problem) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        if value is not None:
            problem("`implements` must list at least one {authority, id}")
        return ()
    out = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"authority", "id"}:
            problem(f"`implements` entry {entry!r} must be {{authority, id}}")
            continue
        if entry["authority"] not in AUTHORITIES:
            problem(f"authority {entry['authority']!r} is not one of {', '.join(AUTHORITIES)}")
        out.append((str(entry["authority"]), str(entry["id"])))
    return tuple(out)


def _scope(raw: Any, problem) -> Scope:
    if not isinstance(raw, dict) or not set(raw) <= SCOPE_KEYS:
        problem(f"`scope` may hold only {', '.join(sorted(SCOPE_KEYS))}")
        return Scope()
    parts = {}
    for key in SCOPE_KEYS:
        value = raw.get(key)
        if value is None:
            parts[key] = ((), ())
        elif isinstance(value, list):
            parts[key] = (tuple(str(v).upper() for v in value), ())
        elif isinstance(value, dict) and set(value) <= {"include", "exclude"}:
            parts[key] = (tuple(str(v).upper() for v in value.get("include") or ()),
                          tuple(str(v).upper() for v in value.get("exclude") or ()))
        else:
            problem(f"scope `{key}` must be a list or {{include, exclude}}")
            parts[key] = ((), ())
    return Scope(**parts)


def check_level(node: Any, problem, *, nested: bool = False) -> str:
    """Validate a check tree; its level is that of its operators (dataset/study operators stand alone)."""
    if not isinstance(node, dict):
        problem(f"check node {node!r} must be a mapping")
        return "record"
    combinators = [k for k in ("all", "any", "not") if k in node]
    if combinators:
        if len(node) != 1:
            problem(f"check node with `{combinators[0]}` must hold nothing else, found {sorted(node)}")
        children = node[combinators[0]]
        children = [children] if combinators[0] == "not" else children
        if not isinstance(children, list) or not children:
            problem(f"`{combinators[0]}` needs a non-empty list of checks")
            return "record"
        for child in children:
            if check_level(child, problem, nested=True) != "record":
                problem("dataset- and study-level operators cannot be combined with all/any/not")
        return "record"
    name = node.get("operator")
    if name is None:
        problem(f"check leaf {node} has no `operator`")
        return "record"
    try:
        op = operators.get(name)
    except KeyError as exc:
        problem(str(exc.args[0]))
        return "record"
    for key in sorted(set(node) - op.params):
        problem(f"operator {name} does not take `{key}`")
    for key in sorted(op.required - set(node)):
        problem(f"operator {name} needs `{key}`")
    if op.level != "study" and "variable" not in node and name in _NEEDS_VARIABLE:
        problem(f"operator {name} needs `variable`")
    for key in ("where", "among"):
        if key in node:
            check_level(node[key], problem, nested=True)
    if isinstance(node.get("lookup"), dict) and "where" in node["lookup"]:
        check_level(node["lookup"]["where"], problem, nested=True)
    if nested and op.level != "record":
        return op.level
    return op.level


# Record operators that read the value of `variable` (the others work on keys or metadata).
_NEEDS_VARIABLE = frozenset(name for name, op in operators.REGISTRY.items() if op.level == "record") - {
    "define_keys_not_unique", "is_not_unique", "group_size_less_than", "group_lacks", "parent_record_missing",
    "lookup_not_equal"}
