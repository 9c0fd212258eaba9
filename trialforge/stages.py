"""The stages of `trialforge build`, in order. Later stages (SDTM, ADaM, define.xml, checks) plug in here."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

from specs.errors import SpecError
from formats import clock
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

    kinds = ("sdtm", "adam") if "adam" in ctx.options.get("stages", ("adam",)) else ("sdtm",)
    for kind in kinds:
        path = Path(ctx.options.get(f"{kind}_spec") or bundled_spec(kind))
        spec, problems = check_spec(path, purpose="build", kind=kind)
        errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
        warnings = [p for p in problems if p not in errors]
        for problem in warnings:
            log.warning("%s", problem)
        if errors or spec is None:
            raise SpecError(f"the {kind.upper()} spec workbook {path} has {len(errors)} problem(s)", errors)
        ctx.artifacts[f"{kind}_spec"] = spec
        export_spec(spec, ctx.folder(AUDIT_DIR, "specs", kind), fmt="csv")
        ctx.record(kind, {"workbook": path.name, "datasets": len(spec.datasets),
                          "variables": len(spec.variables), "warnings": [str(w) for w in warnings]})
    if "adam_spec" in ctx.artifacts:
        ctx.options["adam_datasets"] = adam_datasets_described(ctx.artifacts["adam_spec"],
                                                               ctx.options.get("adam_datasets"))


def check_adam_names(requested: list[str] | None) -> list[str] | None:
    """`--adam-datasets` as asked, or a UsageError naming the datasets trialforge does not derive."""
    from adam.api import DATASETS
    from specs.errors import UsageError

    unknown = [name for name in requested or () if name not in DATASETS]
    if unknown:
        raise UsageError(f"--adam-datasets names {', '.join(unknown)}, which trialforge does not derive; "
                         f"it derives {', '.join(DATASETS)}")
    return requested


def adam_datasets_described(spec, requested: list[str] | None) -> list[str]:
    """The ADaM datasets to derive: those asked for (default all trialforge derives), each of which the
    ADaM spec must describe. A derived dataset the spec lacks would be silently missing from the package."""
    from adam.api import DATASETS

    wanted = check_adam_names(requested) or list(DATASETS)
    lacking = [name for name in wanted if not spec.has_dataset(name)]
    if lacking:
        raise SpecError(
            f"the ADaM spec workbook {spec.source} does not describe {', '.join(lacking)}, which the build derives; "
            f"describe them in its Datasets and Variables sheets, or ask for fewer with --adam-datasets "
            f"{','.join(n for n in wanted if n not in lacking) or 'ADSL'}")
    return wanted


def read_raw(ctx: BuildContext) -> None:
    """Read every raw form the SDTM spec maps from; count rows per form for the reconciliation."""
    from trialforge.raw import read_raw_study, unread_forms

    spec = ctx.artifacts["sdtm_spec"]
    from specs.rawfields import required_raw_fields

    required = {form: fields for form, fields in required_raw_fields(spec).items() if not _is_trial_design(form)}
    mapping_rows: dict[str, list[int]] = {}
    for row in spec.mappings:
        if row.source_form and not _is_trial_design(row.source_form):
            mapping_rows.setdefault(row.source_form, []).append(row.row)
    forms = read_raw_study(ctx.study_dir, required, mapping_rows)
    ctx.artifacts["raw"] = forms
    unread = unread_forms(ctx.study_dir, forms)
    for name in unread:
        log.warning("%s: no spec mapping reads this file; none of its records will be in SDTM", name)
    ctx.record("forms", {oid: {"file": f.path.name, "rows_read": f.rows} for oid, f in sorted(forms.items())})
    ctx.record("files_not_read", unread)


def map_sdtm(ctx: BuildContext) -> None:
    """Raw forms -> SDTM domains by the spec; reconciliation and mapping findings go to the audit folder."""
    from sdtm.study import build_sdtm

    spec = ctx.artifacts["sdtm_spec"]
    raw = {oid: form.frame for oid, form in ctx.artifacts["raw"].items()}
    build = build_sdtm(spec, raw, today=clock.build_timestamp().date())  # dates after the build date are flagged
    ctx.artifacts["sdtm"] = build
    _write_csv(build.reconciliation, ctx.path(AUDIT_DIR, "sdtm", "reconciliation.csv"))
    _write_csv(build.exclusions.rename(columns={"__file": "file", "__row": "row"}),
               ctx.path(AUDIT_DIR, "sdtm", "excluded-records.csv"))
    findings = [f.as_dict() for f in build.findings]
    _write_csv(_frame(findings, ["dataset", "variable", "file", "row", "value", "message", "severity"]),
               ctx.path(AUDIT_DIR, "sdtm", "mapping-findings.csv"))
    for finding in build.findings[:20]:
        log.warning("%s row %s: %s.%s: %s", finding.file, finding.row, finding.dataset, finding.variable,
                    finding.message)
    if len(build.findings) > 20:
        log.warning("... %d mapping findings in all: see audit/sdtm/mapping-findings.csv", len(build.findings))
    ctx.record("records", {name: len(frame) for name, frame in build.domains.items()})
    ctx.record("reconciliation", build.reconciliation.to_dict("records"))
    ctx.record("mapping_findings", len(findings))


def write_sdtm(ctx: BuildContext) -> None:
    """Each SDTM domain with records as XPT v5 in the eCTD folder, and its record-level provenance."""
    from trialforge.package import conform_to_spec, sdtm_dir, write_dataset

    spec = ctx.artifacts["sdtm_spec"]
    folder = sdtm_dir(spec.study.name)
    written, empty, problems = {}, [], []
    for name, frame in ctx.artifacts["sdtm"].domains.items():
        if frame.empty:
            empty.append(name)  # FDA: do not submit empty datasets
            continue
        conformed = conform_to_spec(frame, spec, name)
        problems += [str(p) for p in conformed.problems]
        write_dataset(conformed, ctx.path(str(folder), f"{name.lower()}.xpt"), name, root=ctx.staging)
        written[name] = len(conformed.frame)
        if "__file" in frame.columns:
            keys = [c for c in ("USUBJID", f"{name}SEQ", f"{name[4:]}SEQ" if name.startswith("SUPP") else "")
                    if c and c in frame.columns]
            provenance = frame[keys + ["__file", "__row"]].rename(columns={"__file": "raw_file", "__row": "raw_row"})
            _write_csv(provenance, ctx.path(AUDIT_DIR, "provenance", "sdtm", f"{name.lower()}.csv"))
    for problem in problems:
        log.warning("%s", problem)
    ctx.artifacts["sdtm_folder"] = ctx.staging / folder
    ctx.record("written", written)
    ctx.record("not_written_no_records", empty)
    ctx.record("metadata_problems", problems)


def study_parameters(options: dict[str, Any]):
    """The ADaM study parameters the options ask for (a parameter file, then --param overrides)."""
    from adam.parameters import StudyParameters

    params = StudyParameters()
    if options.get("param_file"):
        params = StudyParameters.from_file(Path(options["param_file"]))
    if options.get("params"):
        params = params.with_overrides(list(options["params"]))
    return params


def derive_adam(ctx: BuildContext) -> None:
    """SDTM -> ADSL, ADAE, ADRS, ADTTE, ADTR with the study parameters (overridable with --param)."""
    from adam.api import derive_all

    params = study_parameters(ctx.options)
    wanted = ctx.options.get("adam_datasets")
    adam = derive_all(ctx.artifacts["sdtm"].domains, params, only=wanted)
    adam = {name: frame for name, frame in adam.items() if wanted is None or name in wanted}
    ctx.artifacts["adam"] = adam
    ctx.record("records", {name: len(frame) for name, frame in adam.items()})


def write_adam(ctx: BuildContext) -> None:
    """Each ADaM dataset as XPT v5 with the ADaM spec's metadata (numeric dates with display formats)."""
    from trialforge.package import adam_dir

    folder = ctx.folder(str(adam_dir(ctx.artifacts["sdtm_spec"].study.name)))
    written, problems = write_adam_datasets(ctx.artifacts["adam"], ctx.artifacts["adam_spec"], folder)
    ctx.artifacts["adam_folder"] = folder
    ctx.record("written", written)
    ctx.record("metadata_problems", problems)


def write_adam_datasets(adam: dict, spec, folder: Path) -> tuple[dict[str, int], list[str]]:
    """Conform each derived dataset to the spec and write it (the spec describes each: adam_datasets_described)."""
    from trialforge.package import conform_to_spec, write_dataset

    written, problems = {}, []
    for name, frame in adam.items():
        conformed = conform_to_spec(frame, spec, name, numeric_dates=True)
        problems += [str(p) for p in conformed.problems]
        write_dataset(conformed, Path(folder) / f"{name.lower()}.xpt", name)
        written[name] = len(conformed.frame)
    for problem in problems:
        log.warning("%s", problem)
    return written, problems


def derive_adam_from_folder(sdtm_folder: Path, out: Path, adam_spec: str | None,
                            options: dict[str, Any]) -> dict[str, int]:
    """`trialforge adam`: SDTM another tool made (XPT, CSV or Dataset-JSON) -> ADaM XPT files in `out`."""
    from adam.api import derive_all
    from specs.reader import read_spec
    from validation.datasets import load_folder

    params = study_parameters(options)
    spec = read_spec(Path(adam_spec) if adam_spec else bundled_spec("adam"))
    wanted = adam_datasets_described(spec, options.get("adam_datasets"))
    sdtm = {name.upper(): _missing_as_null(dataset.frame) for name, dataset in load_folder(sdtm_folder).items()}
    adam = {name: frame for name, frame in derive_all(sdtm, params, only=wanted).items() if name in wanted}
    written, _ = write_adam_datasets(adam, spec, Path(out))
    return written


def _missing_as_null(frame):
    """XPT and CSV cannot tell "" from missing; the derivations expect missing text as null."""
    text = frame.select_dtypes(exclude="number").columns
    return frame.assign(**{c: frame[c].mask(frame[c].astype("str").str.strip() == "") for c in text})


def write_define(ctx: BuildContext) -> None:
    """define.xml (Define-XML 2.1) and define.html beside the SDTM and the ADaM XPTs, from spec + data."""
    from define_xml.package import write_package_define

    summaries = {}
    for kind in ("sdtm", "adam"):
        folder = ctx.artifacts.get(f"{kind}_folder")
        if folder is None:
            continue
        summary = write_package_define(ctx.artifacts[f"{kind}_spec"], folder, kind, clock.build_timestamp(),
                                       ctx.options.get("stylesheet"), schema=ctx.options.get("schema"),
                                       arm_in_define=bool(ctx.options.get("arm_in_define")))
        summaries[kind] = summary
        for finding in summary.get("findings", [])[:20]:
            log.warning("define.xml (%s): %s: %s", kind.upper(), finding.get("dataset"), finding.get("message"))
        for problem in summary.get("schema_problems", []):
            log.error("define.xml (%s) is not schema-valid: %s", kind.upper(), problem)
        formats = ctx.options.get("formats") or ("xpt",)
        for fmt in ("json", "ndjson"):
            if fmt in formats:
                from define_xml.package import write_folder_dataset_json
                from trialforge import __version__

                written = write_folder_dataset_json(folder, created=clock.build_timestamp(), ndjson=fmt == "ndjson",
                                                    source_system=("trialforge", __version__))
                summary.setdefault("dataset_json", []).extend(p.name for p in written)
    ctx.record("define", summaries)


def validate_package(ctx: BuildContext) -> None:
    """Conformance rules over the written SDTM and ADaM together (so ADaM-to-SDTM traceability is checked),
    with define.xml when written beside them; reports in audit/validation."""
    from trialforge.reproducible import pin_zip_times
    from validation.gate import run_validation
    from validation.reports import write_reports

    folders = [str(ctx.artifacts[k]) for k in ("sdtm_folder", "adam_folder") if ctx.artifacts.get(k)]
    if not folders:
        return
    # GX's data docs carry their own run times and ids: in a reproducible build the findings still go into
    # the report, the HTML docs are left out (said in the build log)
    docs = None if clock.reproducible() else ctx.folder(AUDIT_DIR, "raw-data-docs")
    outcome = run_validation(folders if len(folders) > 1 else folders[0], fail_on=ctx.options.get("fail_on"),
                             raw_dir=ctx.study_dir, raw_docs_dir=docs)
    result = outcome.result
    result.add_findings(_mapping_findings(ctx))
    _make_reproducible(result, ctx.staging)
    for path in write_reports(result, ctx.folder(AUDIT_DIR, "validation")):
        if path.suffix == ".xlsx":
            pin_zip_times(path, clock.build_timestamp())
    counts = result.counts()
    log.info("conformance: %s", ", ".join(f"{n} {s}" for s, n in counts.items()))
    failed = bool(result.fails(ctx.options.get("fail_on")))
    ctx.artifacts["gate_failed"] = failed
    ctx.record("validation", {"findings": counts, "rules": result.status_counts(),
                              "fail_on": ctx.options.get("fail_on"), "gate_failed": failed,
                              "raw_data_docs": "audit/raw-data-docs/index.html" if docs else
                              "left out: SOURCE_DATE_EPOCH is set (GX docs embed run times)"})


def _mapping_findings(ctx: BuildContext) -> list:
    """The SDTM stage's record-level findings (unmapped terms, invalid dates, ...) in the same report."""
    from validation.model import Finding

    build = ctx.artifacts.get("sdtm")
    if build is None:
        return []
    return [Finding(rule_id="TF-MAP-" + ("CT" if "codelist" in f.message else "VAL"), severity=f.severity,
                    message=f"{f.file} row {f.row}: {f.message}", dataset=f.dataset, row=f.row,
                    variables=(f.variable,), values=(f.value,), source="mapping") for f in build.findings]


def _make_reproducible(result, package_root: Path) -> None:
    """Paths relative to the package (the staging folder is gone after the build); the run date from the
    build clock; with SOURCE_DATE_EPOCH no durations, so two builds of the same inputs are identical."""
    import dataclasses

    root = str(package_root)

    def relative(text: str) -> str:
        return text.replace(root + "/", "").replace(root, ".") if text else text

    for key in ("data", "define_file"):
        if isinstance(result.run.get(key), str):
            result.run[key] = relative(result.run[key])
    if isinstance(result.run.get("raw_data"), str):  # the raw extracts live outside the package
        result.run["raw_data"] = Path(result.run["raw_data"]).name
    result.datasets = [dataclasses.replace(d, file=relative(d.file)) for d in result.datasets]
    result.run["run_date"] = clock.build_timestamp().isoformat()
    if clock.reproducible():
        result.timings.clear()
        result.statuses = [dataclasses.replace(s, seconds=0.0) if hasattr(s, "seconds") else s
                           for s in result.statuses]


def _frame(records: list[dict], columns: list[str]):
    import pandas as pd

    return pd.DataFrame(records, columns=columns)


def _write_csv(frame, path: Path) -> None:
    """An audit CSV a reviewer may open in Excel: text that Excel would run as a formula is written inert."""
    from trialforge.csvsafe import neutralise_formulas

    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\n")


def _is_trial_design(source_form: str) -> bool:
    """Trial design rows name a spec sheet (TS, TA, ...) as their source, not a raw form."""
    return source_form.upper() in {"TS", "TA", "TE", "TV", "TI"}


STAGE_GROUPS = {"sdtm": ("load-specs", "read-raw", "sdtm", "write-sdtm"), "adam": ("adam", "write-adam"),
                "define": ("define",), "validate": ("validate",)}


def select_stages(text: str | None) -> list[Stage]:
    """The stages `--stages sdtm,define` asks for, in pipeline order (the SDTM stages always run)."""
    from specs.errors import UsageError

    names = {n.strip().lower() for n in (text or "all").split(",") if n.strip()}
    if names == {"all"}:
        return default_stages()
    unknown = sorted(names - set(STAGE_GROUPS))
    if unknown:
        raise UsageError(f"--stages {text!r}: unknown part(s) {', '.join(unknown)}; "
                         f"use {', '.join(STAGE_GROUPS)} or all")
    chosen = {stage for group in names | {"sdtm"} for stage in STAGE_GROUPS[group]}
    return [stage for stage in default_stages() if stage.name in chosen]


def default_stages() -> list[Stage]:
    return [
        Stage("load-specs", "read and cross-check the SDTM and ADaM spec workbooks", load_specs),
        Stage("read-raw", "read the raw EDC extracts the SDTM spec maps from", read_raw),
        Stage("sdtm", "map the raw forms to SDTM domains as the spec says", map_sdtm),
        Stage("write-sdtm", "write SDTM as XPT v5 with the spec's metadata", write_sdtm),
        Stage("adam", "derive ADSL, ADAE, ADRS, ADTTE and ADTR from the SDTM", derive_adam),
        Stage("write-adam", "write ADaM as XPT v5 with the spec's metadata", write_adam),
        Stage("define", "write define.xml and define.html beside the SDTM and ADaM", write_define),
        Stage("validate", "run the conformance rules; reports in audit/validation", validate_package),
    ]
