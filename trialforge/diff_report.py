"""`trialforge diff` output: text (records capped per dataset, counts always exact), JSON and HTML.

A report file is written only where nothing is, or over a report `trialforge diff` wrote itself: a
folder or any other file at that path is refused, never overwritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from specs.errors import UsageError
from trialforge.diff import DatasetDiff, PackageDiff

JSON_FORMAT = "trialforge-diff/1"
HTML_MARKER = '<meta name="generator" content="trialforge diff">'
HTML_LIMIT = 1000  # records listed per dataset and kind in the HTML report


def headline(d: DatasetDiff) -> str:
    if d.old_records is None:
        return f"{d.name}: dataset added ({d.new_records} records)"
    if d.new_records is None:
        return f"{d.name}: dataset removed ({d.old_records} records)"
    counts = f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"
    meta = f"; {len(d.metadata)} metadata change(s)" if d.metadata else ""
    return f"{d.name}: {d.old_records} -> {d.new_records} records; {counts}{meta} (keys {', '.join(d.keys) or 'none'})"


def key_text(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={'' if v is None else v}" for k, v in key.items() if k != "__occurrence__") + (
        f" (occurrence {key['__occurrence__'] + 1})" if "__occurrence__" in key else "")


def finding_text(f: dict[str, Any]) -> str:
    values = ", ".join(f"{v}={w!r}" for v, w in zip(f.get("variables") or [], f.get("values") or []))
    return (f"{f.get('rule_id')} {f.get('severity', '')} {f.get('dataset') or '-'} {f.get('usubjid') or '-'}"
            f"{' [' + values + ']' if values else ''}: {f.get('message', '')}")


def summary_lines(diff: PackageDiff) -> list[str]:
    differing = [d for d in diff.datasets if d.differs]
    lines = [headline(d) for d in differing]
    lines.append(f"{len(differing)} of {len(diff.datasets)} datasets differ; "
                 f"findings: {len(diff.findings_new)} new, {len(diff.findings_resolved)} resolved")
    return [*lines, *diff.notes]


def text_lines(diff: PackageDiff, limit: int = 20) -> list[str]:
    lines = [f"--- {diff.old}", f"+++ {diff.new}"]
    for d in (d for d in diff.datasets if d.differs):
        lines.append(headline(d))
        lines += [f"  metadata: {m}" for m in d.metadata]
        for kind, records in (("removed", d.removed), ("added", d.added)):
            lines += [f"  {kind}: {key_text(k)}" for k in records[:limit]]
            lines += [f"  ... and {len(records) - limit} more {kind}"] if len(records) > limit else []
        for change in d.changed[:limit]:
            lines.append(f"  changed: {key_text(change['key'])}")
            lines += [f"      {var}: {old!r} -> {new!r}" for var, old, new in change["changes"]]
        lines += [f"  ... and {len(d.changed) - limit} more changed"] if len(d.changed) > limit else []
    for kind, findings in (("new", diff.findings_new), ("resolved", diff.findings_resolved)):
        lines += [f"finding {kind}: {finding_text(f)}" for f in findings[:limit]]
        lines += [f"... and {len(findings) - limit} more {kind} findings"] if len(findings) > limit else []
    identical = len([d for d in diff.datasets if not d.differs])
    lines.append(f"{identical} datasets identical")
    return [*lines, *summary_lines(diff)[-1 - len(diff.notes):]]


def to_json(diff: PackageDiff) -> str:
    document = {"format": JSON_FORMAT, "old": diff.old, "new": diff.new, "differs": diff.differs,
                "datasets": [asdict(d) | {"differs": d.differs} for d in diff.datasets],
                "findings_new": diff.findings_new, "findings_resolved": diff.findings_resolved, "notes": diff.notes}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def to_html(diff: PackageDiff) -> str:
    import jinja2

    source = resources.files("trialforge.templates").joinpath("diff.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(key_text=key_text, finding_text=finding_text, headline=headline)
    return env.from_string(source).render(diff=diff, marker=HTML_MARKER, limit=HTML_LIMIT,
                                          summary=summary_lines(diff))


def write_report(path: Path, text: str, kind: str) -> None:
    """Write `text` to `path` unless something is there that `trialforge diff` did not write."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--{kind} {path} is a folder; give a file name")
    if path.exists() and not _ours(path, kind):
        raise UsageError(f"--{kind} {path} already exists and is not a report trialforge diff wrote; "
                         f"it is kept. Give a new file name, or remove it yourself")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _ours(path: Path, kind: str) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4096] if kind == "html" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if kind == "html":
        return HTML_MARKER in head
    try:
        return json.loads(head).get("format") == JSON_FORMAT
    except (ValueError, AttributeError):
        return False
