"""The spec as text for review and diffing: one CSV per sheet, or one Markdown file.

Columns follow `specs.model.SHEETS` (our layout-B shape, whatever the workbook's layout), rows the
workbook's order, lines end in `\\n`: the same spec always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specs.errors import ExportError
from specs.model import SHEETS, SheetSchema, Spec
from specs.whereclause import quote_value

logger = logging.getLogger(__name__)

# Sheets written even when empty, so every export of a spec has the same files.
_ALWAYS = frozenset({"Datasets", "Variables", "ValueLevel", "Codelists", "Dictionaries", "Methods", "Comments",
                     "Documents"})
_JOINERS = {"collected_values": " | ", "arguments": "; "}


def export_spec(spec: Spec, out_dir: str | Path, fmt: str = "csv",
                cell: Callable[[str], str] | None = None) -> list[Path]:
    """Write `spec` as text into `out_dir` (created if needed); returns the files written.

    fmt "csv": `Define.csv` plus one `<Sheet>.csv` per sheet; fmt "markdown": one `spec.md`.
    `cell` rewrites each CSV cell (the build passes one that makes formula text inert for Excel).
    """
    if fmt not in ("csv", "markdown"):
        raise ExportError(f"unknown spec export format {fmt!r}; expected csv or markdown")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tables = _tables(spec)
        if fmt == "csv":
            written = []
            for name, headers, rows in tables:
                path = out / f"{name}.csv"
                shown = [[cell(v) for v in row] for row in rows] if cell else rows
                path.write_text(_csv(headers, shown), encoding="utf-8", newline="")
                written.append(path)
        else:
            path = out / "spec.md"
            path.write_text(_markdown(spec, tables), encoding="utf-8", newline="")
            written = [path]
    except OSError as error:
        raise ExportError(f"cannot write the spec export into {out}: {error}") from error
    logger.debug("exported %s as %s into %s (%d file(s))", spec.source, fmt, out, len(written))
    return written


def spec_summary(spec: Spec) -> str:
    """A few lines for a terminal: counts per sheet, then one line per dataset."""
    lines = [f"{Path(spec.source).name}: layout {spec.layout}, study {spec.study.name or '(unnamed)'}"]
    counts = [
        ("datasets", len(spec.datasets)), ("variables", len(spec.variables)),
        ("value-level rows", len(spec.value_level)), ("where clauses", len(spec.where_clauses)),
        ("codelists", len(spec.codelists)), ("codelist terms", sum(len(c.items) for c in spec.codelists)),
        ("dictionaries", len(spec.dictionaries)), ("methods", len(spec.methods)), ("comments", len(spec.comments)),
        ("documents", len(spec.documents)), ("standards", len(spec.standards)),
        ("analysis displays", len(spec.analysis_displays)), ("analysis results", len(spec.analysis_results)),
        ("mapping rows", len(spec.mappings)),
    ] + [(f"{t.name} rows", len(t.rows)) for t in spec.trial_design]
    lines.append("  " + ", ".join(f"{n} {what}" for what, n in counts if n or what in ("datasets", "variables")))
    width = max((len(d.name) for d in spec.datasets), default=0)
    for dataset in spec.datasets:
        parts = [f"{len(spec.variables_of(dataset.name))} variables"]
        if value_level := spec.value_level_of(dataset.name):
            parts.append(f"{len(value_level)} value-level")
        if mappings := spec.mappings_of(dataset.name):
            parts.append(f"{len(mappings)} mapping rows")
        lines.append(f"  {dataset.name:<{width}}  {dataset.label or '':<40}  {', '.join(parts)}")
    if spec.warnings:
        lines.append(f"  {len(spec.warnings)} warning(s)")
    return "\n".join(lines)


def _tables(spec: Spec) -> list[tuple[str, tuple[str, ...], list[list[str]]]]:
    """(file stem, headers, text rows) per sheet, in a fixed order."""
    study = spec.study
    tables = [("Define", ("Attribute", "Value"), [[k, _text(v)] for k, v in study.attributes])]
    for schema in SHEETS:
        rows = [_row(schema, record) for record in spec.records(schema.attribute)]
        if rows or schema.name in _ALWAYS:
            tables.append((schema.name, schema.headers, rows))
    for table in spec.trial_design:
        tables.append((table.name, table.columns, [[_text(v) for v in row] for row in table.rows]))
    return tables


def _row(schema: SheetSchema, record: dict[str, Any]) -> list[str]:
    if schema.attribute == "where_clauses":  # values as the where-clause grammar writes them
        record = {**record, "values": ", ".join(quote_value(v) for v in record["values"])}
    return [_text(record.get(field), _JOINERS.get(field, ", ")) for _, field in schema.columns]


def _text(value: Any, joiner: str = ", ") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple):
        return joiner.join(f"{v[0]}={v[1]}" if isinstance(v, tuple) else str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def _markdown(spec: Spec, tables: list[tuple[str, tuple[str, ...], list[list[str]]]]) -> str:
    lines = [f"# Spec {Path(spec.source).name}", "", f"Layout {spec.layout}.", ""]
    for name, headers, rows in tables:
        lines += [f"## {name}", ""]
        if not rows:
            lines += ["(no rows)", ""]
            continue
        used = [i for i, _ in enumerate(headers) if any(row[i] for row in rows)]  # drop all-blank columns
        lines.append("| " + " | ".join(headers[i] for i in used) + " |")
        lines.append("|" + "---|" * len(used))
        lines += ["| " + " | ".join(_cell(row[i]) for i in used) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
