"""The stages of `trialforge build`, in order. Later stages (SDTM, ADaM, define.xml, checks) plug in here."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from specs.errors import SpecError
from trialforge.pipeline import AUDIT_DIR, BuildContext, Stage

log = logging.getLogger(__name__)

BUNDLED_SPECS = {"sdtm": "mesocart_sdtm_spec.xlsx", "adam": "mesocart_adam_spec.xlsx"}


def bundled_spec(kind: str) -> Path:
    """Path of the example study's spec workbook shipped in the package ('sdtm' or 'adam')."""
    return Path(str(resources.files("specs.study_workbooks").joinpath(BUNDLED_SPECS[kind])))


def load_specs(ctx: BuildContext) -> None:
    """Read and cross-check both spec workbooks; any error-level problem stops the build."""
    from specs.export import export_spec
    from specs.reader import check_spec

    for kind in ("sdtm", "adam"):
        path = Path(ctx.options.get(f"{kind}_spec") or bundled_spec(kind))
        spec, problems = check_spec(path)
        errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
        warnings = [p for p in problems if p not in errors]
        for problem in warnings:
            log.warning("%s", problem)
        if errors or spec is None:
            raise SpecError(f"the {kind.upper()} spec workbook {path} has {len(errors)} problem(s)", errors)
        ctx.artifacts[f"{kind}_spec"] = spec
        export_spec(spec, ctx.path(AUDIT_DIR, "specs", kind, "x").parent, fmt="csv")
        ctx.record(kind, {"workbook": path.name, "datasets": len(spec.datasets),
                          "variables": len(spec.variables), "warnings": [str(w) for w in warnings]})


def read_raw(ctx: BuildContext) -> None:
    """Read every raw form the SDTM spec maps from; count rows per form for the reconciliation."""
    from trialforge.raw import read_raw_study, unread_forms

    spec = ctx.artifacts["sdtm_spec"]
    required: dict[str, list[str]] = {}
    for row in spec.mappings:
        if row.source_form and not _is_trial_design(row.source_form):
            fields = required.setdefault(row.source_form, [])
            if row.source_field:
                fields.append(row.source_field)
    forms = read_raw_study(ctx.study_dir, required)
    ctx.artifacts["raw"] = forms
    unread = unread_forms(ctx.study_dir, forms)
    for name in unread:
        log.warning("%s: no spec mapping reads this file; none of its records will be in SDTM", name)
    ctx.record("forms", {oid: {"file": f.path.name, "rows_read": f.rows} for oid, f in sorted(forms.items())})
    ctx.record("files_not_read", unread)


def _is_trial_design(source_form: str) -> bool:
    """Trial design rows name a spec sheet (TS, TA, ...) as their source, not a raw form."""
    return source_form.upper() in {"TS", "TA", "TE", "TV", "TI"}


def default_stages() -> list[Stage]:
    return [
        Stage("load-specs", "read and cross-check the SDTM and ADaM spec workbooks", load_specs),
        Stage("read-raw", "read the raw EDC extracts the SDTM spec maps from", read_raw),
    ]
