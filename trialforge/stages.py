"""The stages of `trialforge build`, in order. Later stages (SDTM, ADaM, define.xml, checks) plug in here."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from specs.errors import SpecError, UsageError
from formats import clock
from trialforge.background import MISSING
from trialforge.overlap import adam_written, drawn_figures, job_define, sdtm_written, start_checks, validator
from trialforge.pipeline import AUDIT_DIR, BuildContext, Stage

log = logging.getLogger(__name__)

NO_SPEC = "give --sdtm-spec (and --adam-spec for ADaM); the example's specs are used only with --example"


def spec_path(options: dict[str, Any], kind: str) -> Path:
    """The `kind` spec workbook the options name; there is no default spec (a UsageError says so)."""
    path = options.get(f"{kind}_spec")
    if not path:
        raise UsageError(f"no {kind.upper()} spec workbook: {NO_SPEC}")
    return Path(path)


def load_specs(ctx: BuildContext) -> None:
    """Read and cross-check both spec workbooks; any error-level problem stops the build."""
    from specs.export import export_spec
    from trialforge.csvsafe import neutralise_cell
    from specs.reader import check_spec

    kinds = ("sdtm", "adam") if "adam" in ctx.options.get("stages", ("adam",)) else ("sdtm",)
    for kind in kinds:
        path = spec_path(ctx.options, kind)
        spec, problems = check_spec(path, purpose="build", kind=kind)
        errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
        warnings = [p for p in problems if p not in errors]
        for problem in warnings:
            log.warning("%s", problem)
        if errors or spec is None:
            raise SpecError(f"the {kind.upper()} spec workbook {path} has {len(errors)} problem(s)", errors)
        if kind == "adam":  # the spec states the parameters; the package publishes the spec they were used as
            resolved = adam_parameters(spec, ctx.options)
            spec = resolved.spec
            ctx.artifacts["adam_params"] = resolved.params
            ctx.record("adam_parameters", resolved.sources)
        ctx.artifacts[f"{kind}_spec"] = spec
        export_spec(spec, ctx.folder(AUDIT_DIR, "specs", kind), fmt="csv", cell=neutralise_cell)
        ctx.record(kind, {"workbook": path.name, "datasets": len(spec.datasets),
                          "variables": len(spec.variables), "warnings": [str(w) for w in warnings]})
        ctx.summaries[ctx.current_stage] = "; ".join(filter(None, [ctx.summaries.get(ctx.current_stage), (
            f"{_KIND[kind]} {path.name}: {len(spec.datasets)} datasets, {len(spec.variables)} variables"
            + (f", {_count(len(warnings), 'warning')}" if warnings else ""))]))
    if "adam_spec" in ctx.artifacts:
        ctx.options["adam_datasets"] = adam_datasets_described(ctx.artifacts["adam_spec"],
                                                               ctx.options.get("adam_datasets"))
    start_job(ctx)


def start_job(ctx: BuildContext) -> None:
    """Once the specs are loaded: the define.xml and checks' job beside the next stages (trialforge.overlap),
    unless the cache holds the define and validate stages' results, which then need no job."""
    if ctx.cache is not None:
        from trialforge.cache_keys import all_keys

        all_keys(ctx)
        if ctx.reusable("define", "validate"):
            return
    start_checks(ctx, package_define)


def stop_job(ctx: BuildContext) -> None:
    """Before cached define.xml files are restored: the job must not be writing its own meanwhile (a later
    stage that wanted its results computes them itself, as without the job)."""
    from trialforge.overlap import JOB

    job = ctx.jobs.pop(JOB, None)
    if job is not None:
        job.stop()


def check_adam_names(requested: list[str] | None) -> list[str] | None:
    """`--adam-datasets` as asked, or a UsageError naming the datasets trialforge does not derive."""
    from adam.api import DATASETS
    from specs.errors import UsageError

    unknown = [name for name in requested or () if name not in DATASETS]
    if unknown:
        raise UsageError(f"--adam-datasets names {', '.join(unknown)}, which trialforge does not derive; "
                         f"it derives {', '.join(DATASETS)}")
    return requested


def adam_datasets_described(spec, requested: list[str] | None) -> list[str] | None:
    """The ADaM datasets asked for, or None (all trialforge derives: those whose SDTM input is absent are left
    out with a warning), each of which the ADaM spec must describe. A derived dataset the spec lacks would be
    silently missing from the package."""
    from adam.api import DATASETS

    wanted = check_adam_names(requested) or list(DATASETS)
    lacking = [name for name in wanted if not spec.has_dataset(name)]
    if lacking:
        raise SpecError(
            f"the ADaM spec workbook {spec.source} does not describe {', '.join(lacking)}, which the build derives; "
            f"describe them in its Datasets and Variables sheets, or ask for fewer with --adam-datasets "
            f"{','.join(n for n in wanted if n not in lacking) or 'ADSL'}")
    return wanted if requested else None


def read_study_forms(spec, study_dir: Path) -> dict:
    """Every raw form the SDTM spec maps from, read as its Sources sheet says; an InputError lists every problem
    (missing file, a column the spec reads that the file lacks, unreadable records) with file, row and column."""
    from specs.rawfields import required_raw_fields
    from trialforge.raw import read_raw_study

    required = {form: fields for form, fields in required_raw_fields(spec).items() if not _is_trial_design(form)}
    mapping_rows: dict[str, list[int]] = {}
    for row in spec.mappings:
        if row.source_form and not _is_trial_design(row.source_form):
            mapping_rows.setdefault(row.source_form, []).append(row.row)
    return read_raw_study(study_dir, required, mapping_rows, source_of=spec.source_of)


def read_raw(ctx: BuildContext) -> None:
    """Read every raw form the SDTM spec maps from; count rows per form for the reconciliation."""
    from trialforge.raw import unread_forms

    spec = ctx.artifacts["sdtm_spec"]
    forms = read_study_forms(spec, ctx.study_dir)
    ctx.artifacts["raw"] = forms
    unread = unread_forms(ctx.study_dir, forms)
    for name in unread:
        log.warning("%s: no spec mapping reads this file; none of its records will be in SDTM", name)
    ctx.record("forms", {oid: {"file": _study_file(ctx.study_dir, f.path), "rows_read": f.rows}
                         for oid, f in sorted(forms.items())})
    ctx.record("files_not_read", unread)
    expectations = run_declared_expectations(ctx, spec, forms)
    ctx.summarise(f"{len(forms)} forms, {sum(f.rows for f in forms.values()):,} records"
                  + (f", {_count(len(unread), 'file')} not read" if unread else "") + f"; {expectations}")


def _study_file(study_dir: Path, path: Path) -> str:
    """A raw file as the build log names it: its path inside the study folder."""
    return path.relative_to(study_dir).as_posix() if path.is_relative_to(study_dir) else path.name


def raw_expectation_suite(spec) -> Path | None:
    """The raw-data expectation suite (YAML) the SDTM spec declares in its Study/Define sheet
    (RawDataExpectations), resolved relative to the workbook's folder; None when it declares none."""
    from specs.errors import InputError, Problem

    name = spec.study.raw_expectations
    if not name:
        return None
    path = Path(spec.source).parent / name
    if not path.is_file():
        raise InputError(f"the SDTM spec {spec.source} names the raw-data expectation suite {name}, which is not "
                         f"there", [Problem(str(path), "no such file (RawDataExpectations is resolved relative to "
                                                       "the spec workbook's folder)", sheet=spec.study.sheet)])
    return path


def run_declared_expectations(ctx: BuildContext, spec, forms: dict) -> str:
    """Check the raw forms against the suite the spec declares, on the frames already read (a form the
    suite names but the spec does not map from is read from the study folder); the findings go into the
    validation report. With --raw-data-docs, great-expectations also writes its data docs."""
    from validation.raw_expectations import load_suite, run_raw_expectations

    path = raw_expectation_suite(spec)
    if path is None:
        ctx.artifacts["raw_findings"] = []
        ctx.record("raw_expectations", "none declared (the SDTM spec names no RawDataExpectations suite)")
        return "no raw-data expectations declared"
    frames = {oid: form.frame for oid, form in forms.items()}
    for form in load_suite(path).forms:
        if form.form not in frames and (ctx.study_dir / form.file).is_file():
            from specs.errors import InputError
            from trialforge.raw import read_form

            frame, _, problems = read_form(ctx.study_dir / form.file)
            if problems or frame is None:
                raise InputError(f"{form.file}, which the raw-data expectations check, cannot be read", problems)
            frames[form.form] = frame
    docs = None
    if ctx.options.get("raw_data_docs"):  # GX's docs carry their own run times and ids
        docs = None if clock.reproducible() else ctx.folder(AUDIT_DIR, "raw-data-docs")
    findings = run_raw_expectations(frames, path, docs_dir=docs)
    ctx.artifacts["raw_findings"] = findings
    ctx.record("raw_expectations", {"suite": path.name, "findings": len(findings),
                                    "data_docs": "audit/raw-data-docs/index.html" if docs else
                                    "left out: SOURCE_DATE_EPOCH is set (GX docs embed run times)"
                                    if ctx.options.get("raw_data_docs") else "not asked for (--raw-data-docs)"})
    return f"raw-data expectations ({path.name}): {_count(len(findings), 'finding')}"


def map_sdtm(ctx: BuildContext) -> None:
    """Raw forms -> SDTM domains by the spec; reconciliation and mapping findings go to the audit folder."""
    from sdtm.study import build_sdtm
    from trialforge.twocores import beside_the_build

    spec = ctx.artifacts["sdtm_spec"]
    raw = {oid: form.frame for oid, form in ctx.artifacts.pop("raw").items()}  # no later stage reads them
    with beside_the_build() as beside:  # the raw records excluded (empty, duplicated) found on the second core
        build = build_sdtm(spec, raw, today=clock.build_timestamp().date(), beside=beside)  # later dates flagged
    del raw  # the memory goes back once the stage ends (Stage.releases)
    ctx.artifacts["sdtm"] = build
    _write_csv(build.reconciliation, ctx.path(AUDIT_DIR, "sdtm", "reconciliation.csv"))
    _write_csv(build.exclusions.rename(columns={"__file": "file", "__row": "row"}),
               ctx.path(AUDIT_DIR, "sdtm", "excluded-records.csv"))
    findings = [{"dataset": f.dataset, "variable": f.variable, "file": f.file, "row": f.raw_row,
                 "value": None if f.value is None else str(f.value), "message": f.message, "severity": f.severity}
                for f in build.findings]  # row: the raw line
    _write_csv(_frame(findings, ["dataset", "variable", "file", "row", "value", "message", "severity"]),
               ctx.path(AUDIT_DIR, "sdtm", "mapping-findings.csv"))
    for finding in build.findings:  # counted in the stage line; listed in the audit CSV and the report
        log.debug("%s row %s: %s.%s: %s", finding.file, finding.raw_row, finding.dataset, finding.variable,
                  finding.message)
    if len(build.exclusions):  # every raw record not in SDTM is counted where a reviewer of the log sees it
        forms = build.exclusions["__file"].value_counts()
        log.warning("%s raw records are not in SDTM (%s): each is listed with its reason in "
                    "audit/sdtm/excluded-records.csv", f"{len(build.exclusions):,}",
                    ", ".join(f"{file}: {count}" for file, count in forms.items()))
    ctx.summarise(f"{len(build.domains)} domains, {sum(len(f) for f in build.domains.values()):,} records, "
                  f"{len(build.exclusions):,} excluded, {_count(len(findings), 'mapping finding')}"
                  + (" (audit/sdtm/mapping-findings.csv)" if findings else ""))
    ctx.record("records", {name: len(frame) for name, frame in build.domains.items()})
    ctx.record("reconciliation", build.reconciliation.to_dict("records"))
    ctx.record("mapping_findings", len(findings))


def write_sdtm(ctx: BuildContext) -> None:
    """Each SDTM domain with records as XPT v5 in the eCTD folder, and its record-level provenance."""
    from trialforge.package import conform_to_spec, sdtm_dir, write_dataset
    from trialforge.twocores import in_two

    spec = ctx.artifacts["sdtm_spec"]
    folder = sdtm_dir(spec.study.name)
    domains = ctx.artifacts["sdtm"].domains
    empty = [name for name, frame in domains.items() if frame.empty]  # FDA: do not submit empty datasets

    def write(name: str) -> tuple[int, list[str]]:
        frame = domains[name]
        conformed = conform_to_spec(frame, spec, name)
        write_dataset(conformed, ctx.path(str(folder), f"{name.lower()}.xpt"), name, root=ctx.staging)
        if "__file" in frame.columns:
            keys = [c for c in ("USUBJID", f"{name}SEQ", f"{name[4:]}SEQ" if name.startswith("SUPP") else "")
                    if c and c in frame.columns]
            provenance = frame[keys + ["__file", "__row"]].rename(columns={"__file": "raw_file", "__row": "raw_row"})
            _write_csv(provenance, ctx.path(AUDIT_DIR, "provenance", "sdtm", f"{name.lower()}.csv"))
        return len(conformed.frame), [str(p) for p in conformed.problems]

    done = in_two([n for n in domains if n not in empty], lambda n: domains[n].size + FILE_COST, write)
    written = {name: count for name, (count, _) in done.items()}
    problems = [problem for _, found in done.values() for problem in found]
    for problem in problems:
        log.warning("%s", problem)
    ctx.artifacts["sdtm_folder"] = ctx.staging / folder
    ctx.record("written", written)
    ctx.record("not_written_no_records", empty)
    ctx.record("metadata_problems", problems)
    ctx.summarise(_written(written, problems) + (f", {len(empty)} empty domains not written" if empty else ""))
    sdtm_written(ctx)  # the job beside the next stages (trialforge.overlap) starts on SDTM


def study_parameters(options: dict[str, Any]):
    """The ADaM study parameters the options ask for, without a spec: the library defaults, then the study's
    own parameter file (`base_param_file`, e.g. the example's), then a parameter file, then --param overrides
    (the CLI checks them with this before any work)."""
    from adam.parameters import StudyParameters

    params = StudyParameters()
    for origin, given in _parameter_overrides(options):
        params = params.overridden(origin, given)
    return params


def adam_parameters(spec, options: dict[str, Any]):
    """The ADaM spec's parameters with the options' overrides (adam.spec_parameters.resolve_parameters): the
    spec's problems stop the build, each override of a value the spec states is logged."""
    from adam.spec_parameters import check_adam_spec, resolve_parameters

    problems = [p for p in check_adam_spec(spec) if p.severity == "error"]
    if problems:
        raise SpecError(f"the ADaM spec workbook {spec.source} has {len(problems)} problem(s)", problems)
    resolved = resolve_parameters(spec, _parameter_overrides(options))
    for name, source in resolved.sources.items():
        if name in resolved.stated and not str(source["from"]).startswith("ADaM spec"):
            log.info("ADaM parameter %s = %r from %s overrides the spec (define.xml and the exported spec carry "
                     "the value used)", name, source["value"], source["from"])
    return resolved


def _parameter_overrides(options: dict[str, Any]) -> list[tuple[str, Any]]:
    from adam.parameters import read_parameter_file

    overrides: list[tuple[str, Any]] = []
    for key in ("base_param_file", "param_file"):
        if options.get(key):
            # by name, as the build log names every input file (the manifest has its path and SHA-256)
            overrides.append((Path(options[key]).name, read_parameter_file(Path(options[key]))))
    if options.get("params"):
        overrides.append(("--param", list(options["params"])))
    return overrides


def derive_adam(ctx: BuildContext) -> None:
    """SDTM -> every ADaM dataset its SDTM allows (or those asked for), with the study parameters."""
    from adam.api import derive_all

    params = ctx.artifacts["adam_params"]
    wanted = ctx.options.get("adam_datasets")
    adam = derive_all(ctx.artifacts["sdtm"].domains, params, only=wanted)
    adam = {name: frame for name, frame in adam.items() if wanted is None or name in wanted}
    ctx.artifacts["adam"] = adam
    ctx.record("records", {name: len(frame) for name, frame in adam.items()})
    ctx.summarise(", ".join(f"{name} {len(frame):,}" for name, frame in adam.items()) + " records")


def write_adam(ctx: BuildContext) -> None:
    """Each ADaM dataset as XPT v5 with the ADaM spec's metadata (numeric dates with display formats)."""
    from trialforge.package import adam_dir

    folder = ctx.folder(str(adam_dir(ctx.artifacts["sdtm_spec"].study.name)))
    written, problems = write_adam_datasets(ctx.artifacts["adam"], ctx.artifacts["adam_spec"], folder)
    ctx.artifacts["adam_folder"] = folder
    ctx.record("written", written)
    ctx.record("metadata_problems", problems)
    ctx.summarise(_written(written, problems))
    release_written_frames(ctx)


def release_written_frames(ctx: BuildContext) -> None:
    """Once SDTM and ADaM are written, later stages read the files; the frames are cut to the columns that trace
    a finding to its raw record, so their memory is free for the validation."""
    import dataclasses

    from trialforge.attribution import attribution_columns

    if ctx.artifacts.get("sdtm") is not None:
        build = ctx.artifacts["sdtm"]
        ctx.artifacts["sdtm"] = dataclasses.replace(build, domains=attribution_columns(build.domains))
    if ctx.artifacts.get("adam") is not None:
        ctx.artifacts["adam"] = attribution_columns(ctx.artifacts["adam"])


def _written(written: dict[str, int], problems: list) -> str:
    return (f"{_count(len(written), 'XPT file')}, {_count(sum(written.values()), 'record')}"
            + (f", {_count(len(problems), 'metadata problem')}" if problems else ""))


_KIND = {"sdtm": "SDTM", "adam": "ADaM"}
FILE_COST = 50_000  # what writing one more file costs, in cells (a small domain's file is mostly overhead)


def _count(number: int, noun: str) -> str:
    """"1 finding", "1,204 findings": the counts of the stage lines."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def write_adam_datasets(adam: dict, spec, folder: Path) -> tuple[dict[str, int], list[str]]:
    """Conform each derived dataset to the spec and write it (the spec describes each: adam_datasets_described)."""
    from trialforge.package import conform_to_spec, write_dataset
    from trialforge.twocores import in_two

    def write(name: str) -> tuple[int, list[str]]:
        conformed = conform_to_spec(adam[name], spec, name, numeric_dates=True)
        write_dataset(conformed, Path(folder) / f"{name.lower()}.xpt", name)
        return len(conformed.frame), [str(p) for p in conformed.problems]

    done = in_two(list(adam), lambda n: adam[n].size + FILE_COST, write)  # each file on whichever core is free
    written = {name: count for name, (count, _) in done.items()}
    problems = [problem for _, found in done.values() for problem in found]
    for problem in problems:
        log.warning("%s", problem)
    return written, problems


def derive_adam_from_folder(sdtm_folder: Path, out: Path, adam_spec: str | None,
                            options: dict[str, Any]) -> dict[str, int]:
    """`trialforge adam`: SDTM another tool made (XPT, CSV or Dataset-JSON) -> ADaM XPT files in `out`."""
    from adam.api import derive_all
    from formats.folder import load_folder  # here: `trialforge build` imports this module before pandas is needed
    from specs.reader import read_spec

    spec = read_spec(spec_path({"adam_spec": adam_spec}, "adam"))
    params = adam_parameters(spec, options).params
    wanted = adam_datasets_described(spec, options.get("adam_datasets"))
    sdtm = {name: dataset.frame for name, dataset in load_folder(sdtm_folder, null_text=True).items()}
    adam = {name: frame for name, frame in derive_all(sdtm, params, only=wanted).items()
            if wanted is None or name in wanted}
    written, _ = write_adam_datasets(adam, spec, Path(out))
    return written


def write_define(ctx: BuildContext) -> None:
    """define.xml (Define-XML 2.1) and define.html beside the SDTM and the ADaM XPTs, from spec + data. Whether
    define.xml agrees with the data is checked once, by the validate stage's rules (TF-DF-*)."""
    adam_written(ctx)  # the job beside the build (trialforge.overlap) may write the ADaM define.xml
    summaries = {}
    for kind in ("sdtm", "adam"):
        folder = ctx.artifacts.get(f"{kind}_folder")
        if folder is None:
            continue
        summary = job_define(ctx, kind)  # written by the job beside the build (trialforge.overlap), if it was
        summary = package_define(ctx, kind) if summary is MISSING else summary
        summaries[kind] = summary  # schema problems are logged where they are found (define_xml.package)
        formats = ctx.options.get("formats") or ("xpt",)
        for fmt in ("json", "ndjson"):
            if fmt in formats:
                from define_xml.package import write_folder_dataset_json
                from trialforge import __version__

                written = write_folder_dataset_json(folder, created=clock.build_timestamp(), ndjson=fmt == "ndjson",
                                                    source_system=("trialforge", __version__))
                summary.setdefault("dataset_json", []).extend(p.name for p in written)
    ctx.record("define", summaries)
    ctx.summarise("; ".join(
        f"{_KIND[kind]} define.xml + define.html: {len(s['datasets'])} datasets"
        + (f", schema: {_count(len(s['schema_problems']), 'problem')}" if s.get("schema_validated") else "")
        + (f", {len(s['dataset_json'])} Dataset-JSON files" if s.get("dataset_json") else "")
        for kind, s in summaries.items()))


def package_define(ctx: BuildContext, kind: str) -> dict:
    """Write the `kind` define.xml and define.html beside its XPTs; the define stage's summary of them."""
    from define_xml.package import write_package_define

    return write_package_define(ctx.artifacts[f"{kind}_spec"], ctx.artifacts[f"{kind}_folder"], kind,
                                clock.build_timestamp(), ctx.options.get("stylesheet"),
                                schema=ctx.options.get("schema"), arm_in_define=bool(ctx.options.get("arm_in_define")))


def validate_package(ctx: BuildContext) -> None:
    """Conformance rules over the written SDTM and ADaM together (so ADaM-to-SDTM traceability is checked),
    with define.xml when written beside them; reports in audit/validation."""
    from trialforge.attribution import attribute_to_raw
    from trialforge.reproducible import pin_zip_times
    from trialforge.twocores import in_two
    from validation.gate import run_validation
    from validation.reports import write_reports

    folders = [str(ctx.artifacts[k]) for k in ("sdtm_folder", "adam_folder") if ctx.artifacts.get(k)]
    if not folders:
        return
    # raw-data expectations (checked in read-raw, on the frames read there) and the SDTM stage's mapping
    # findings join the rules' before anything is counted: one result for the log line, gate and reports
    raw_findings = ctx.artifacts.get("raw_findings")
    mapping = ctx.artifacts["sdtm"].findings if ctx.artifacts.get("sdtm") is not None else []
    outcome = run_validation(folders if len(folders) > 1 else folders[0], fail_on=ctx.options.get("fail_on"),
                             findings=[*(raw_findings or []), *mapping], validate=validator(ctx))
    result = outcome.result
    if ctx.artifacts.get("sdtm") is not None:  # each rule finding on a mapped record names its raw record
        result.findings = attribute_to_raw(result.findings, ctx.artifacts["sdtm"].domains, ctx.artifacts.get("adam"))
    if raw_findings is not None:
        result.run["raw_data"] = str(ctx.study_dir)
    _make_reproducible(result, ctx.staging)
    folder = ctx.folder(AUDIT_DIR, "validation")
    costs = {"xlsx": 3, "json,html": 2}  # the Excel workbook takes a little longer than JSON and HTML together

    def report(formats: str) -> None:
        for path in write_reports(result, folder, formats=tuple(formats.split(","))):
            if path.suffix == ".xlsx":
                pin_zip_times(path, clock.build_timestamp())

    in_two(list(costs), costs.get, report)
    drawn_figures(ctx)
    counts = result.counts()
    failed = bool(result.fails(ctx.options.get("fail_on")))
    ctx.artifacts["gate_failed"] = failed
    ctx.record("validation", {"findings": counts, "rules": result.status_counts(),
                              "fail_on": ctx.options.get("fail_on"), "gate_failed": failed})
    statuses = result.status_counts()
    ctx.summarise(f"{sum(statuses.values())} rules, " + ", ".join(_count(n, s) for s, n in counts.items())
                  + (f" ({statuses['error']} rules could not run)" if statuses.get("error") else "")
                  + (f"; gate --fail-on {ctx.options['fail_on']} {'FAILED' if failed else 'passed'}"
                     if ctx.options.get("fail_on") else ""))


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
        Stage("load-specs", "read and cross-check the SDTM and ADaM spec workbooks", load_specs,
              after_reuse=start_job),
        Stage("read-raw", "read the raw EDC extracts the SDTM spec maps from", read_raw),
        Stage("sdtm", "map the raw forms to SDTM domains as the spec says", map_sdtm, releases=True),
        Stage("write-sdtm", "write SDTM as XPT v5 with the spec's metadata", write_sdtm, after_reuse=sdtm_written),
        Stage("adam", "derive ADSL, ADAE, ADRS, ADTTE, ADTR, ADLB, ADPC and ADPP from the SDTM", derive_adam),
        Stage("write-adam", "write ADaM as XPT v5 with the spec's metadata", write_adam, releases=True),
        Stage("define", "write define.xml and define.html beside the SDTM and ADaM", write_define,
              before_reuse=stop_job, releases=True),
        Stage("validate", "run the conformance rules; reports in audit/validation", validate_package),
    ]
