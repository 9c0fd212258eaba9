"""Which published CDISC CORE rules for SDTMIG 3.4 our rules implement, and why the others are not.

`validation/core_rules_sdtmig34.csv` carries the CORE rules as data (id, the standards and guideline ids
they name, their scope, what they flag in our notation, our notes; a first line `# source: ...` names the
clone they were read from), so the table is made offline:

    python -m validation.coverage > validation/coverage.md          # the table, from the CSV
    python -m validation.coverage --refresh CLONE_OF_CDISC_OPEN_RULES  # re-read the CSV's CORE columns

A CORE rule counts as implemented when one of our rules names it in `implements`, or names one of the
CDISC Conformance Guideline (CG) ids the CORE rule implements. A rule we do not implement gets a reason:
its datasets are not produced by the studies trialforge ships (read from their spec workbooks), it needs
metadata we do not bundle, or it is not implemented yet.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from specs.errors import InputError, Problem, TrialforgeError
from specs.reader import read_spec
from validation.rulebook import Rule, load_rules

CSV_NAME = "core_rules_sdtmig34.csv"
STANDARD = ("SDTMIG", "3.4")
ROOT = Path(__file__).resolve().parents[1]
# The SDTM spec workbooks of the studies trialforge ships: what they produce is what "our datasets" means.
STUDY_SPECS = (ROOT / "trialforge" / "example_study" / "workbooks" / "mesocart_sdtm_spec.xlsx",
               ROOT / "examples" / "cdisc-pilot" / "pilot_sdtm_spec.xlsx")
CORE_COLUMNS = ("core_id", "authorities", "standards", "guideline_ids", "rule_type", "domains",
                "exclude_domains", "classes", "exclude_classes", "checks")
HAND_COLUMNS = ("needs_domains", "category", "note")  # ours: a refresh keeps them
COLUMNS = CORE_COLUMNS + HAND_COLUMNS
CATEGORIES = {  # category -> the reason a rule of it is not implemented
    "library": "needs the CDISC Library's metadata of the standard (variables, their order, codelists), "
               "which trialforge does not bundle",
}
IMPLEMENTED = "implemented"
NOT_PRODUCED = "datasets not produced by trialforge studies"
NOT_YET = "not implemented yet"
_JOINER = {"classes": "; ", "exclude_classes": "; ", "standards": "; "}  # their items hold blanks


@dataclass(frozen=True)
class CoreRule:
    core_id: str
    authorities: tuple[str, ...]
    standards: tuple[str, ...]
    guideline_ids: tuple[str, ...]
    rule_type: str
    domains: tuple[str, ...]
    exclude_domains: tuple[str, ...]
    classes: tuple[str, ...]
    exclude_classes: tuple[str, ...]
    checks: str
    needs_domains: tuple[str, ...] = ()  # datasets the check reads beyond its scope (e.g. DD)
    category: str = ""
    note: str = ""


@dataclass(frozen=True)
class Coverage:
    rule: CoreRule
    status: str  # IMPLEMENTED, NOT_PRODUCED, a CATEGORIES reason, or NOT_YET
    direct: tuple[str, ...] = ()  # our rules naming the CORE id
    via: tuple[tuple[str, str], ...] = ()  # (our rule, CG id): rules naming a CG id of the CORE rule
    reason: str = ""  # the datasets, for NOT_PRODUCED


# --- the CSV ---------------------------------------------------------------------------------------------

def read_core_rules(path: str | Path | None = None) -> tuple[list[CoreRule], str]:
    """The CORE rules of the CSV (the bundled one when None) and what its `# source:` line says."""
    text = (Path(path).read_text(encoding="utf-8") if path is not None
            else (resources.files("validation") / CSV_NAME).read_text(encoding="utf-8"))
    lines = text.splitlines()
    source = next((line.removeprefix("# source:").strip() for line in lines if line.startswith("# source:")), "")
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if not line.startswith("#")]
    problems, rules = [], []
    for (number, _), row in zip(numbered[1:], csv.DictReader(line for _, line in numbered)):
        missing = [c for c in COLUMNS if row.get(c) is None]
        if missing:
            problems.append(Problem(CSV_NAME, f"no value for {', '.join(missing)}", row=number))
        elif row["category"] and row["category"] not in CATEGORIES:
            problems.append(Problem(CSV_NAME, f"category {row['category']!r} is not one of {', '.join(CATEGORIES)}",
                                    row=number, column="category"))
        else:
            rules.append(CoreRule(**{c: _split(c, row[c]) if c in _LISTS else row[c] for c in COLUMNS}))
    if problems:
        raise InputError(f"{len(problems)} problem(s) in {CSV_NAME}", problems)
    return rules, source


_LISTS = frozenset({"authorities", "standards", "guideline_ids", "domains", "exclude_domains", "classes",
                    "exclude_classes", "needs_domains"})


def _split(column: str, text: str) -> tuple[str, ...]:
    separator = _JOINER[column].strip() if column in _JOINER else None
    return tuple(item.strip() for item in text.split(separator) if item.strip())


def _joined(column: str, value: Any) -> str:
    return _JOINER.get(column, " ").join(value) if isinstance(value, tuple) else str(value)


def write_core_rules(rules: list[CoreRule], source: str, path: str | Path) -> None:
    out = io.StringIO()
    out.write(f"# source: {source}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rule in rules:
        writer.writerow([_joined(c, getattr(rule, c)) for c in COLUMNS])
    Path(path).write_text(out.getvalue(), encoding="utf-8")


# --- refreshing the CSV from a clone of cdisc-org/cdisc-open-rules ---------------------------------------

def rules_from_clone(folder: str | Path) -> list[CoreRule]:
    """The published CORE rules (Published/*/rule.yml) that name SDTMIG 3.4, their check in our notation."""
    found, problems = [], []
    for path in sorted(Path(folder).glob("Published/*/rule.yml")):
        try:
            rule = yaml.safe_load(path.read_text(encoding="utf-8"))
            core_id = str(rule["Core"]["Id"])
        except (yaml.YAMLError, TypeError, KeyError) as exc:
            problems.append(Problem(str(path), f"not a CORE rule with a Core Id: {type(exc).__name__} {exc}"))
            continue
        standards = [(authority.get("Organization", ""), standard)
                     for authority in rule.get("Authorities") or [] for standard in authority.get("Standards") or []]
        ours = [(org, s) for org, s in standards if (s.get("Name"), str(s.get("Version"))) == STANDARD]
        if not ours:
            continue
        ids = [ref["Rule Identifier"]["Id"] for _, s in ours for ref in s.get("References") or []
               if (ref.get("Rule Identifier") or {}).get("Id")]
        scope = rule.get("Scope") or {}
        found.append(CoreRule(
            core_id=core_id, authorities=tuple(sorted({org for org, _ in ours})),
            standards=tuple(sorted({f"{s.get('Name')} {s.get('Version')}" for _, s in standards})),
            guideline_ids=tuple(dict.fromkeys(ids)), rule_type=str(rule.get("Rule Type", "")),
            domains=_scope_list(scope, "Domains", "Include"), exclude_domains=_scope_list(scope, "Domains", "Exclude"),
            classes=_scope_list(scope, "Classes", "Include"), exclude_classes=_scope_list(scope, "Classes", "Exclude"),
            checks=condition(rule.get("Check"))))
    if problems:
        raise InputError(f"{len(problems)} rule file(s) of {folder} cannot be read", problems)
    if not found:
        raise InputError(f"{folder} holds no Published/*/rule.yml naming {' '.join(STANDARD)}")
    return sorted(found, key=lambda r: r.core_id)


def _scope_list(scope: dict, part: str, which: str) -> tuple[str, ...]:
    return tuple(str(v).upper() for v in (scope.get(part) or {}).get(which) or [])


def refresh(clone: str | Path, csv_path: str | Path, source: str | None = None) -> list[CoreRule]:
    """Re-read the CORE columns of the CSV from a clone; our columns (needs, category, note) stay by id.
    `source` names the clone in the CSV (default: its git commit)."""
    kept = {}
    if Path(csv_path).is_file():
        kept = {r.core_id: r for r in read_core_rules(csv_path)[0]}
    rules = [CoreRule(**{**r.__dict__, **{c: getattr(kept[r.core_id], c) for c in HAND_COLUMNS}})
             if r.core_id in kept else r for r in rules_from_clone(clone)]
    write_core_rules(rules, source or _source_of(clone), csv_path)
    return rules


def _source_of(clone: str | Path) -> str:
    try:
        commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "cdisc-org/cdisc-open-rules"
    return f"cdisc-org/cdisc-open-rules at commit {commit}"


_SYMBOLS = {"equal_to": "==", "not_equal_to": "!=", "greater_than": ">", "less_than": "<",
            "greater_than_or_equal_to": ">=", "less_than_or_equal_to": "<=", "is_contained_by": "in",
            "is_not_contained_by": "not in", "non_empty": "is present", "empty": "is empty", "exists": "exists",
            "not_exists": "is absent"}
_MAX_CHECK = 110


def condition(check: Any) -> str:
    """A CORE check tree in our short notation (`IECAT == INCLUSION and IEORRES != N`), cut at 110 chars."""
    text = " ".join(_condition(check, 0).split())
    return text if len(text) <= _MAX_CHECK else text[:_MAX_CHECK - 3] + "..."


def _condition(node: Any, depth: int) -> str:
    if not isinstance(node, dict):
        return str(node)
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in node:
            parts = [_condition(child, depth + 1) for child in node[key] or []]
            text = joiner.join(parts)
            return f"({text})" if depth and len(parts) > 1 else text
    if "not" in node:
        return f"not ({_condition(node['not'], depth + 1)})"
    operator = str(node.get("operator", "?"))
    text = f"{node.get('name', '?')} {_SYMBOLS.get(operator, operator.replace('_', ' '))}"
    if "value" in node and operator not in ("empty", "non_empty", "exists", "not_exists"):
        value = node["value"]
        if isinstance(value, list):
            value = "(" + ", ".join(map(str, value[:4])) + (", ..." if len(value) > 4 else "") + ")"
        text += f" {value}"
    return text


# --- what our studies produce ----------------------------------------------------------------------------

def produced_datasets(spec_paths: Iterable[str | Path] = STUDY_SPECS) -> dict[str, str]:
    """Dataset name -> SDTM class, for every dataset the spec workbooks define."""
    produced: dict[str, str] = {}
    for path in spec_paths:
        for dataset in read_spec(path).datasets:
            produced.setdefault(dataset.name.upper(), (dataset.dataset_class or "").upper())
    return dict(sorted(produced.items()))


def _matches(value: str, names: tuple[str, ...]) -> bool:
    """CORE scope names: ALL, a domain, or a family (SUPP--, AP--)."""
    return any(n == "ALL" or fnmatchcase(value, n.replace("--", "*")) for n in names)


def applies_to(rule: CoreRule, produced: dict[str, str]) -> list[str]:
    """The produced datasets the rule's scope takes in, by domain and class."""
    return [name for name, cls in produced.items()
            if (not rule.domains or _matches(name, rule.domains)) and not _matches(name, rule.exclude_domains)
            and (not rule.classes or _matches(cls, rule.classes)) and not _matches(cls, rule.exclude_classes)]


def _absent(rule: CoreRule, produced: dict[str, str]) -> list[str]:
    return [d for d in rule.needs_domains if not any(_matches(name, (d,)) for name in produced)]


# --- coverage --------------------------------------------------------------------------------------------

def implementers(rules: Iterable[Rule]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Our rule ids by the CORE ids and by the CG ids their `implements` lists name."""
    by_core: dict[str, list[str]] = defaultdict(list)
    by_cg: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        for authority, ident in rule.implements:
            target = {"CDISC CORE": by_core, "CDISC CG": by_cg}.get(authority)
            if target is not None and rule.id not in target[ident]:
                target[ident].append(rule.id)
    return by_core, by_cg


def coverage(core_rules: list[CoreRule], rules: Iterable[Rule], produced: dict[str, str]) -> list[Coverage]:
    """One `Coverage` per CORE rule: our rules that implement it, or why there are none."""
    by_core, by_cg = implementers(rules)
    out = []
    for core in core_rules:
        direct = tuple(by_core.get(core.core_id, ()))
        via = tuple((rid, cg) for cg in core.guideline_ids for rid in by_cg.get(cg, ()) if rid not in direct)
        absent = _absent(core, produced)
        if direct or via:
            out.append(Coverage(core, IMPLEMENTED, direct, via))
        elif absent:
            out.append(Coverage(core, NOT_PRODUCED, reason=f"the check reads {', '.join(absent)}"))
        elif not applies_to(core, produced):
            out.append(Coverage(core, NOT_PRODUCED, reason=f"scope {scope_text(core)}"))
        else:
            out.append(Coverage(core, CATEGORIES[core.category] if core.category else NOT_YET))
    return out


def scope_text(core: CoreRule) -> str:
    domains = " ".join(core.domains) or "ALL"
    if core.exclude_domains:
        domains += " except " + " ".join(core.exclude_domains)
    classes = ", ".join(core.classes) or "ALL"
    if core.exclude_classes:
        classes += " except " + ", ".join(core.exclude_classes)
    return f"{domains} ({classes.lower()})"


# --- the table -------------------------------------------------------------------------------------------

def render(rows: list[Coverage], produced: dict[str, str], source: str) -> str:
    """coverage.md: how it was made, the counts, then one line per CORE rule."""
    counted = Counter(row.status for row in rows)
    ours = [row for row in rows if applies_to(row.rule, produced) and not _absent(row.rule, produced)]
    via_only = sum(row.status == IMPLEMENTED and not row.direct for row in rows)
    lines = [
        "# CDISC CORE rules for SDTMIG 3.4: what trialforge implements",
        "",
        "Generated by `python -m validation.coverage > validation/coverage.md`; do not edit by hand "
        "(`tests/validation/test_coverage.py` fails when this file is stale). The CORE rules are the published "
        f"rules of {source or 'cdisc-org/cdisc-open-rules'} that name SDTMIG 3.4, carried as data in "
        f"`validation/{CSV_NAME}`. \"What it flags\" restates each rule's check in our notation. A CORE rule is "
        "implemented when one of our rules names its CORE id, or a CDISC Conformance Guideline (CG) id the CORE "
        "rule implements, in `implements`; \"via CG...\" marks the second kind.",
        "",
        "Datasets the studies trialforge ships produce (from their SDTM spec workbooks): "
        + ", ".join(f"{name} ({cls.lower() or 'class unknown'})" for name, cls in produced.items()) + ".",
        "",
        "| CORE rules | count |",
        "|---|---:|",
        f"| apply to SDTMIG 3.4 | {len(rows)} |",
        f"| implemented | {counted[IMPLEMENTED]} ({via_only} of them through a CG id only) |",
        *(f"| not implemented: {status} | {counted[status]} |" for status in (NOT_PRODUCED, *CATEGORIES.values())),
        f"| {NOT_YET} | {counted[NOT_YET]} |",
        f"| apply to datasets our studies produce | {len(ours)} ({sum(r.status == IMPLEMENTED for r in ours)} "
        "implemented) |",
        "",
        "| CORE rule | guideline ids | scope | what it flags | our rules | status |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        core = row.rule
        our = [*row.direct, *(f"{rid} (via {cg})" for rid, cg in row.via)]
        status = row.status + (f" ({row.reason})" if row.reason else "") + (f". {core.note}" if core.note else "")
        cells = (core.core_id, " ".join(core.guideline_ids), scope_text(core), core.checks, ", ".join(our), status)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def coverage_markdown(spec_paths: Iterable[str | Path] = STUDY_SPECS) -> str:
    """The committed table: the bundled CSV and rules, the shipped studies' datasets."""
    core_rules, source = read_core_rules()
    produced = produced_datasets(spec_paths)
    return render(coverage(core_rules, load_rules(), produced), produced, source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", action="append", type=Path,
                        help="an SDTM spec workbook whose datasets count as produced (default: the shipped studies)")
    parser.add_argument("--refresh", type=Path, metavar="CLONE",
                        help="re-read the CORE columns of the CSV from a clone of cdisc-org/cdisc-open-rules")
    parser.add_argument("--source", help="with --refresh: how the CSV names the clone (default: its git commit)")
    args = parser.parse_args(argv)
    try:
        if args.refresh is not None:
            rules = refresh(args.refresh, Path(__file__).with_name(CSV_NAME), args.source)
            print(f"{len(rules)} CORE rules name {' '.join(STANDARD)}; {CSV_NAME} rewritten", file=sys.stderr)
            return 0
        sys.stdout.write(coverage_markdown(args.spec or STUDY_SPECS))
    except (TrialforgeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
