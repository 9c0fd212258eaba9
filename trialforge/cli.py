"""The `trialforge` command line. Heavy libraries are imported inside the commands, never at start-up."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path

from specs.errors import ExportError, TrialforgeError, UsageError

log = logging.getLogger("trialforge")

# Exit codes (documented in the README).
EXIT_OK = 0
EXIT_GATE_FAILED = 1  # the build ran, but findings at or above --fail-on were reported
EXIT_DIFFERENT = 1  # verify: the package differs from its manifest; diff: the packages differ (as diff(1))
EXIT_USAGE = 2  # the command line is wrong, or asks for something refused (e.g. --out holding user files)
EXIT_INPUT = 3  # an input cannot be used: spec workbook, raw extracts, parameters
EXIT_OUTPUT = 4  # an output cannot be written without losing information (e.g. XPT v5 limits)
EXIT_INTERNAL = 70  # a bug in trialforge: the traceback is printed; please report it
EXIT_TERMINATED = 143  # stopped by SIGTERM (128 + 15); the previous output folder is unchanged

# errno values that mean "the output cannot be written" rather than "an input cannot be read"
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG}

DESCRIPTION = """\
trialforge builds a clinical-trial submission package: raw EDC extracts (one CSV per CRF form) and
P21-style spec workbooks in; SDTM and ADaM datasets as SAS XPORT v5, define.xml and conformance
reports out.

Start here:
  trialforge build --example --out pkg      generate the example CAR-T study and build it
  trialforge example --out raw              only generate the example raw EDC extracts
  trialforge build --study raw --sdtm-spec sdtm.xlsx --adam-spec adam.xlsx --out pkg
                                            build a folder of raw extracts with your spec workbooks
  trialforge spec check my_sdtm_spec.xlsx   check a spec workbook and list every problem in it
  trialforge verify pkg                     re-hash a package against its audit/manifest.json
  trialforge diff old-pkg new-pkg           records, metadata and findings that changed between two builds
"""


def run() -> None:
    """The `trialforge` command: `main()`, then the process ends without freeing the heap object by object
    (a build holds hundreds of MB of frames; the OS reclaims them at once, Python's teardown takes a
    noticeable part of a small build). Output is flushed first; no atexit work of ours is skipped (a
    build removes its staging and scratch folders itself, `with` blocks and finally clauses have run)."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a pipe whose reader has gone: nothing more can be shown
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in the package manifest
    _configure_logging(args.verbose, args.quiet)
    for stream in (sys.stdout, sys.stderr):  # a file name or value the terminal cannot show is escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    previous_handler = _stop_cleanly_on_sigterm()
    try:
        return args.handler(args)
    except UsageError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except ExportError as exc:
        log.error("%s", exc)
        return EXIT_OUTPUT
    except TrialforgeError as exc:
        log.error("%s", exc)
        return EXIT_INPUT
    except OSError as exc:  # the environment: a file that cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        log.error("cannot use%s: %s", where, exc.strerror or exc)
        return EXIT_OUTPUT if exc.errno in _WRITE_ERRNOS else EXIT_INPUT
    except MemoryError:
        log.error("out of memory; the previous output folder, if any, is unchanged")
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        log.error("interrupted; the previous output folder, if any, is unchanged")
        return 130
    except _Terminated:
        log.error("terminated (SIGTERM); the previous output folder, if any, is unchanged")
        return EXIT_TERMINATED
    except Exception:  # a bug: say so plainly and show where
        traceback.print_exc()
        log.error("internal error in trialforge %s; please report it with the traceback above", _version())
        return EXIT_INTERNAL
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


class _Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so staging folders are removed as on Ctrl-C."""


def _stop_cleanly_on_sigterm():
    def handler(signum, frame):
        raise _Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. an embedding application): leave signals alone
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trialforge", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"trialforge {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="show only warnings and errors")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    example = commands.add_parser("example", help="generate the example study's raw EDC extracts",
                                  description="Write the example CAR-T study's raw EDC extracts (one CSV per CRF "
                                              "form) into a folder. The same seed gives byte-identical files.")
    example.add_argument("--out", required=True, type=Path, help="folder to write the CSV files into")
    example.add_argument("--raw-format", choices=["csv", "odm"], default="csv",
                         help="csv: one CSV file per form (default); odm: one CDISC ODM 1.3 file (odm.xml) of every "
                              "form, read with a Sources row of Format odm")
    _add_example_size(example)
    example.set_defaults(handler=cmd_example)

    build = commands.add_parser("build", help="build the submission package from raw extracts",
                                description="Run every build stage into a staging folder; the output folder is "
                                            "replaced only when all stages succeed.")
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--study", type=Path, help="folder of raw EDC extracts (one CSV per form)")
    source.add_argument("--example", action="store_true", help="generate the example study first, then build it")
    build.add_argument("--out", required=True, type=Path, help="output folder for the package (replaced on success)")
    build.add_argument("--sdtm-spec", type=Path, help="SDTM spec workbook (required with --study; with --example "
                                                      "the example's own)")
    build.add_argument("--adam-spec", type=Path, help="ADaM spec workbook; with --study and no --adam-spec the "
                                                      "ADaM stages are skipped (with --example the example's own)")
    _add_parameters(build)
    _add_fail_on(build)
    build.add_argument("--format", default="xpt", help="dataset formats: xpt (always), plus json and/or ndjson "
                                                        "(Dataset-JSON v1.1), comma-separated, e.g. xpt,json")
    build.add_argument("--stylesheet", type=Path, help="an XSL stylesheet to copy beside each define.xml and name "
                                                       "in its xml-stylesheet instruction (none is shipped)")
    build.add_argument("--arm-in-define", action="store_true",
                       help="put Analysis Results Metadata (ARM 1.0) into the ADaM define.xml; it then validates "
                            "against arm1-0-0.xsd, not plain define2-1-0.xsd (define.html always shows ARM)")
    build.add_argument("--schema", type=Path, help="the Define-XML 2.1 schema (define2-1-0.xsd or its folder) to "
                                                   "validate each define.xml with (none is shipped)")
    build.add_argument("--stages", default="all", metavar="LIST",
                       help="which parts to run, comma-separated: sdtm (always), adam, define, validate; "
                            "default all (without --adam-spec: all but adam), e.g. --stages sdtm,define")
    build.add_argument("--raw-data-docs", action="store_true",
                       help="also write great-expectations' data docs (HTML) for the raw-data expectations into "
                            "audit/raw-data-docs (takes seconds more; left out when SOURCE_DATE_EPOCH is set)")
    build.add_argument("--compare-to", type=Path, metavar="PREVIOUS",
                       help="after the build, print what changed against the package PREVIOUS (as `trialforge "
                            "diff` does); PREVIOUS may be --out itself (it is copied aside first)")
    build.add_argument("--cache", type=Path, metavar="DIR",
                       help="the build cache: a stage whose inputs (by SHA-256) are unchanged is not recomputed, and "
                            "a rebuild of unchanged inputs leaves --out as it is (default: $XDG_CACHE_HOME/trialforge, "
                            "else ~/.cache/trialforge; only a build that succeeds adds to it; trialforge uses only a "
                            "folder it made)")
    build.add_argument("--no-cache", action="store_true", help="recompute every stage; read and write no cache")
    _add_adam_datasets(build)
    _add_example_size(build)
    build.set_defaults(handler=cmd_build)

    verify = commands.add_parser("verify", help="check a package against its audit/manifest.json",
                                 description="Re-hash every file of a package and compare with audit/manifest.json: "
                                             "every file changed, added or removed is listed; exit 1 on any. "
                                             "Inputs are outside the package: give --study to re-hash the raw files.")
    verify.add_argument("package", type=Path, help="the package folder (trialforge build --out)")
    verify.add_argument("--study", type=Path, help="the folder of raw extracts the package was built from: also "
                                                   "check it against the manifest's inputs")
    verify.set_defaults(handler=cmd_verify)

    diff = commands.add_parser("diff", help="what changed between two packages",
                               description="Compare two packages dataset by dataset, matching records by the "
                                           "define.xml keys: records added, removed, changed (variable, old, new); "
                                           "metadata changes; conformance findings new and resolved. Exit 0 when "
                                           "nothing differs, 1 when something does.")
    diff.add_argument("old", type=Path, help="the earlier package")
    diff.add_argument("new", type=Path, help="the later package")
    diff.add_argument("--html", type=Path, metavar="FILE", help="also write the differences as an HTML page")
    diff.add_argument("--json", type=Path, metavar="FILE", help="also write the differences as JSON (complete)")
    diff.add_argument("--limit", type=int, default=20, help="records listed per dataset and kind (default 20; "
                                                            "counts are always complete)")
    diff.set_defaults(handler=cmd_diff)

    report = commands.add_parser("report", help="(re)write a package's build report (HTML)",
                                 description="Write the build report of a package: counts per domain and the "
                                             "reconciliation, findings by severity, and figures drawn from the "
                                             "package's own ADaM (Kaplan-Meier, waterfall, swimmer, expansion). "
                                             "One self-contained HTML file. A build writes it as "
                                             "audit/report.html; rewriting it there changes a file the manifest "
                                             "lists when the report differs.")
    report.add_argument("package", type=Path, help="the package folder (trialforge build --out)")
    report.add_argument("--out", type=Path, metavar="FILE",
                        help="where to write it (default PACKAGE/audit/report.html)")
    report.set_defaults(handler=cmd_report)

    adam = commands.add_parser("adam", help="derive the ADaM datasets from a folder of SDTM",
                               description="Read a folder of SDTM datasets (XPT v5, CSV or Dataset-JSON; any tool "
                                           "may have made them), derive ADSL, ADAE, ADRS, ADTTE, ADTR, ADLB, ADPC and "
                                           "ADPP with the ADaM spec and the study parameters, and write them as XPT v5.")
    adam.add_argument("--sdtm", required=True, type=Path, help="folder of SDTM datasets (dm.xpt, ae.xpt, ...)")
    adam.add_argument("--out", required=True, type=Path, help="folder to write the ADaM XPT files into")
    adam.add_argument("--adam-spec", type=Path, help="ADaM spec workbook (required)")
    _add_parameters(adam)
    _add_adam_datasets(adam)
    adam.set_defaults(handler=cmd_adam)

    validate = commands.add_parser("validate", help="check SDTM/ADaM datasets against the conformance rules",
                                   description="Run the conformance rules over folders of SDTM and/or ADaM "
                                               "datasets (XPT v5, CSV or Dataset-JSON) and write the report as "
                                               "Excel, JSON and HTML.")
    validate.add_argument("folders", nargs="+", type=Path, help="dataset folder(s); give SDTM and ADaM together "
                                                                "to check ADaM-to-SDTM traceability")
    validate.add_argument("--define", type=Path, help="define.xml (default: one beside the datasets)")
    validate.add_argument("--out", type=Path, default=Path("validation-report"), help="report folder")
    validate.add_argument("--raw", type=Path, help="also check this folder of EDC CSVs against --raw-suite")
    validate.add_argument("--raw-suite", type=Path, help="the raw-data expectation suite (YAML) for --raw")
    validate.add_argument("--raw-data-docs", action="store_true",
                          help="with --raw, also write great-expectations' data docs into raw-data-docs/ of --out")
    _add_fail_on(validate)
    validate.set_defaults(handler=cmd_validate)

    spec = commands.add_parser("spec", help="check or export a spec workbook")
    spec_commands = spec.add_subparsers(title="spec commands", metavar="SPEC_COMMAND", required=True)
    check = spec_commands.add_parser("check", help="list every problem in a spec workbook",
                                     description="Read a P21-style spec workbook and report every problem at once, "
                                                 "with sheet, row and column. Exit 0 when there is no error.")
    _add_workbook(check)
    check.add_argument("--for", dest="purpose", choices=["review", "build", "metadata"], default="review",
                       help="review (default): every problem plus author warnings; build: what `trialforge build` "
                            "requires (an SDTM spec needs its Mapping sheet); metadata: describes datasets only")
    check.add_argument("--kind", choices=["sdtm", "adam"], help="what the workbook is for (default: inferred)")
    check.add_argument("--study", type=Path, help="a folder of raw extracts: also check that every raw file and "
                                                  "field an SDTM spec reads is there (without it, spec check checks "
                                                  "expression syntax and names only)")
    check.set_defaults(handler=cmd_spec_check)
    export = spec_commands.add_parser("export", help="write a spec workbook as text for review",
                                      description="Write each sheet as CSV (or all as one Markdown file) so a "
                                                  "spec can be reviewed and diffed in version control.")
    _add_workbook(export)
    export.add_argument("--out", required=True, type=Path, help="folder to write the text files into")
    export.add_argument("--format", choices=["csv", "markdown"], default="csv")
    export.set_defaults(handler=cmd_spec_export)
    return parser


def _add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-on", choices=["error", "warning", "notice"],
                        help="exit 1 when conformance findings of this severity or worse are reported "
                             "(the package is still written): for nightly CI gates")


def _add_adam_datasets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--adam-datasets", metavar="LIST",
                        help="derive and write only these ADaM datasets, e.g. ADSL,ADAE (default: all that "
                             "trialforge derives; each must be described in the ADaM spec)")


def _add_parameters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override an ADaM study parameter, e.g. --param confirm_days=28 (repeatable)")
    parser.add_argument("--param-file", type=Path, help="YAML or JSON file of ADaM study parameters")


def _add_example_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subjects", type=int, default=50, help="enrolled subjects in the example (default 50)")
    parser.add_argument("--seed", type=int, default=20240101, help="random seed of the example (default 20240101)")


def _add_workbook(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", nargs="?", type=Path, help="the .xlsx workbook")
    parser.add_argument("--example", choices=["sdtm", "adam"], help="use the example study's own workbook")


def cmd_example(args: argparse.Namespace) -> int:
    from trialforge.example_study.generator import generate_study
    from trialforge.publish import EXAMPLE_RAW, staged_output

    _check_subjects(args.subjects)
    log.info("generating %d subjects (seed %d) into %s", args.subjects, args.seed, args.out)
    with staged_output(args.out, EXAMPLE_RAW, manifest={"subjects": args.subjects, "seed": args.seed}) as staging:
        manifest = generate_study(staging, subjects=args.subjects, seed=args.seed, raw_format=args.raw_format)
    rows = sum(form["rows"] for form in manifest["forms"].values())
    log.info("wrote %d forms, %d records", len(manifest["forms"]), rows)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from trialforge.pipeline import run_pipeline
    from trialforge.publish import PACKAGE, check_target
    from trialforge.stages import STAGE_GROUPS, check_adam_names, select_stages, study_parameters

    stages = select_stages(args.stages)
    if args.stages == "all" and not args.adam_spec and not args.example:
        # a study with only an SDTM spec builds SDTM, define and validation; ADaM is asked for by its spec
        stages = [stage for stage in stages if stage.name not in STAGE_GROUPS["adam"]]
        log.info("no --adam-spec given: the ADaM stages are skipped (stages: %s)", ", ".join(s.name for s in stages))
    options = {"sdtm_spec": _str_or_none(args.sdtm_spec), "adam_spec": _str_or_none(args.adam_spec),
               "params": list(args.param), "param_file": _str_or_none(args.param_file),
               "fail_on": args.fail_on, "formats": _formats(args.format),
               "stylesheet": _str_or_none(args.stylesheet), "schema": _str_or_none(args.schema),
               "arm_in_define": args.arm_in_define, "stages": [s.name for s in stages],
               "adam_datasets": _names(args.adam_datasets), "raw_data_docs": args.raw_data_docs}
    from trialforge.audit_inputs import shown_command_line

    options["command_line"] = shown_command_line(getattr(args, "argv", []), args)
    if args.example:
        _check_subjects(args.subjects)
        from trialforge.example_study import example_spec

        for kind in ("sdtm", "adam"):
            options[f"{kind}_spec"] = options[f"{kind}_spec"] or str(example_spec(kind))
    _check_build_specs(options)
    _with_example_parameters(options)
    cache_root, key = _cache_key(args, options)
    if key is not None and args.compare_to is None:  # the nightly rebuild of unchanged inputs: nothing to do
        done = _up_to_date(cache_root, key, args)
        if done is not None:
            return done
    check_adam_names(options["adam_datasets"])
    study_parameters(options)  # bad parameters, stylesheet or schema fail now, not after the SDTM stage
    from define_xml.package import check_define_inputs

    check_define_inputs(args.stylesheet, args.schema, arm_in_define=args.arm_in_define)
    inputs = [args.sdtm_spec, args.adam_spec, args.param_file, args.stylesheet, args.schema]
    check_target(args.out, PACKAGE, [args.study, *inputs])  # before any work: the study is not even read
    with tempfile.TemporaryDirectory(prefix="trialforge-example-") as scratch:
        previous = _previous_package(args.compare_to, args.out, Path(scratch))
        study = args.study
        if args.example:
            from trialforge.example_study.generator import generate_study

            study = Path(scratch) / "raw"
            log.info("generating the example study: %d subjects, seed %d", args.subjects, args.seed)
            generate_study(study, subjects=args.subjects, seed=args.seed)
            options.update(example_subjects=args.subjects, example_seed=args.seed)
        progress = _progress(args.quiet)
        cache = None
        if cache_root is not None:
            from trialforge.cache import open_cache

            cache = open_cache(cache_root, explicit=args.cache is not None, refuse=[args.out, study, *inputs])
        from trialforge.uptodate import StageLog

        stage_log = StageLog()
        logging.getLogger().addHandler(stage_log)
        try:
            from trialforge.report import write_build_report

            ctx = run_pipeline(stages, study, args.out, options, progress=_both(progress, stage_log.progress),
                               inputs=inputs, after_log=write_build_report, cache=cache)
        finally:
            progress.close()
            logging.getLogger().removeHandler(stage_log)
        if ctx.reused:  # builds with no stage from the cache print what they always printed
            computed = [s.name for s in stages if s.name not in ctx.reused]
            log.info("build cache %s: reused %s; recomputed %s", cache.root, ", ".join(ctx.reused),
                     ", ".join(computed) or "nothing")
        log.info("package written to %s", ctx.staging)
        if cache is not None and key is not None:
            from trialforge.uptodate import remember

            remember(cache, key, args.out, ctx, stage_log)
        if previous is not None:
            from trialforge.diff import diff_packages
            from trialforge.diff_report import summary_lines

            try:
                lines = summary_lines(diff_packages(previous, args.out))
            except TrialforgeError as exc:  # the build itself succeeded: its exit code stands
                log.error("the package was built, but cannot be compared to %s: %s", args.compare_to, exc)
            else:
                print(f"compared to {args.compare_to}:")
                print("\n".join(f"  {line}" for line in lines))
    if ctx.artifacts.get("gate_failed"):
        log.error("conformance findings at or above --fail-on %s: see %s", args.fail_on,
                  ctx.staging / "audit" / "validation")
        return EXIT_GATE_FAILED
    return EXIT_OK


def _cache_key(args: argparse.Namespace, options: dict) -> tuple[Path | None, str | None]:
    """The build cache's folder (None with --no-cache) and the key of this whole build (None without a cache)."""
    if args.no_cache:
        if args.cache is not None:
            raise UsageError("give --cache DIR or --no-cache, not both")
        return None, None
    from trialforge.cache import default_root
    from trialforge.cache_keys import package_key

    root = args.cache if args.cache is not None else default_root(args.out)
    if args.study is not None and not args.study.is_dir():
        return root, None  # the build says what is wrong with the study folder
    example = (args.subjects, args.seed) if args.example else None
    try:
        return root, package_key(options, args.study, example)
    except OSError:  # an input that cannot be read: the build says so, as it would without a cache
        return root, None


def _up_to_date(root: Path, key: str, args: argparse.Namespace) -> int | None:
    """When --out already holds the package of these inputs: say so and return the build's exit code."""
    from trialforge.cache import existing_cache
    from trialforge.uptodate import replay, up_to_date

    cache = existing_cache(root)
    meta = up_to_date(cache, key, args.out) if cache is not None and args.out.is_dir() else None
    if meta is None:
        return None
    replay(meta, key, args.out, log)
    if meta.get("gate_failed"):
        log.error("conformance findings at or above --fail-on %s: see %s", args.fail_on,
                  args.out.resolve() / "audit" / "validation")
        return EXIT_GATE_FAILED
    return EXIT_OK


def _both(*callbacks):
    def call(*args, **kwargs):
        for callback in callbacks:
            callback(*args, **kwargs)
    return call


def _previous_package(previous: Path | None, out: Path, scratch: Path) -> Path | None:
    """--compare-to checked before the build; when it is --out itself, a copy made before the build replaces it."""
    if previous is None:
        return None
    from trialforge.verify import read_manifest

    if previous.resolve() == out.resolve() and not out.exists():  # the first of nightly builds
        log.warning("--compare-to %s: there is no previous package yet; nothing to compare to", previous)
        return None
    read_manifest(previous)
    if previous.resolve() != out.resolve():
        return previous
    import shutil

    shutil.copytree(previous, scratch / "previous", symlinks=True)
    return scratch / "previous"


def cmd_verify(args: argparse.Namespace) -> int:
    from trialforge.verify import report

    lines, clean = report(args.package, args.study)
    print("\n".join(lines))
    return EXIT_OK if clean else EXIT_DIFFERENT


def cmd_diff(args: argparse.Namespace) -> int:
    from trialforge.diff import diff_packages
    from trialforge.diff_report import text_lines, to_html, to_json, write_report

    if args.limit < 0:
        raise UsageError(f"--limit must be 0 or more, got {args.limit}")
    for path in (args.html, args.json):
        if path is not None and path.is_dir():
            raise UsageError(f"{path} is a folder; --html and --json take a file name")
    diff = diff_packages(args.old, args.new)
    if args.html:
        write_report(args.html, to_html(diff), "html")
    if args.json:
        write_report(args.json, to_json(diff), "json")
    print("\n".join(text_lines(diff, args.limit)))
    return EXIT_DIFFERENT if diff.differs else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from trialforge.report import write_report

    if not (args.package / "audit").is_dir():
        raise UsageError(f"{args.package} is not a package folder (it has no audit/ folder)")
    if args.out is not None and args.out.is_dir():
        raise UsageError(f"{args.out} is a folder; --out takes a file name")
    path, report = write_report(args.package, args.out)
    for problem in report.problems:
        log.warning("%s", problem)
    print(f"report written to {path}")
    return EXIT_OK


def cmd_adam(args: argparse.Namespace) -> int:
    from trialforge.publish import ADAM_FOLDER, staged_output
    from trialforge.stages import check_adam_names, derive_adam_from_folder

    check_adam_names(_names(args.adam_datasets))
    if not args.adam_spec:
        raise UsageError("give --adam-spec: trialforge has no default ADaM spec (the example study's is only "
                         "used when named; `trialforge spec export --example adam` shows it)")
    options = {"params": list(args.param), "param_file": _str_or_none(args.param_file),
               "adam_datasets": _names(args.adam_datasets), "adam_spec": str(args.adam_spec)}
    _with_example_parameters(options)
    inputs = [args.sdtm, args.adam_spec, args.param_file]
    with staged_output(args.out, ADAM_FOLDER, inputs) as staging:
        written = derive_adam_from_folder(args.sdtm, staging, _str_or_none(args.adam_spec), options)
    log.info("wrote %s into %s", ", ".join(f"{name} ({rows} records)" for name, rows in written.items()), args.out)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from trialforge.publish import REPORT_FOLDER, staged_output
    from validation.gate import run_validation

    folders = [str(f) for f in args.folders]
    if bool(args.raw) != bool(args.raw_suite) or (args.raw_data_docs and not args.raw):
        raise UsageError("--raw (a folder of EDC CSVs) and --raw-suite (its expectation suite, YAML) go together; "
                         "--raw-data-docs needs both")
    inputs = [*args.folders, args.define, args.raw, args.raw_suite]
    with staged_output(args.out, REPORT_FOLDER, inputs) as staging:
        outcome = run_validation(folders if len(folders) > 1 else folders[0], define=args.define,
                                 out_dir=staging, fail_on=args.fail_on, raw_dir=args.raw, raw_suite=args.raw_suite,
                                 raw_docs_dir=staging / "raw-data-docs" if args.raw_data_docs else None)
    counts = outcome.result.counts()
    reports = ", ".join(str(Path(args.out) / p.relative_to(staging)) for p in outcome.reports)
    print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['notice']} notices; reports: {reports}")
    return EXIT_GATE_FAILED if outcome.exit_code else EXIT_OK


def cmd_spec_check(args: argparse.Namespace) -> int:
    from specs.reader import check_spec

    path = _workbook(args)
    spec, problems = check_spec(path, purpose=args.purpose, kind=args.kind or args.example)
    if spec is not None and (args.kind or args.example) != "sdtm":
        from specs.checks import is_analysis_spec

        if is_analysis_spec(spec):  # its derivations, their arguments and the parameters they state
            from adam.spec_parameters import check_adam_spec

            problems = [*problems, *check_adam_spec(spec)]
    if spec is not None and args.study is not None:  # every raw field the spec reads, against the files
        from specs.errors import InputError
        from trialforge.stages import read_study_forms

        try:
            read_study_forms(spec, args.study)
        except InputError as exc:
            problems = [*problems, *exc.problems]
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    for problem in problems:
        print(f"{getattr(problem, 'severity', 'error').upper():7} {problem}")
    if spec is not None and not errors:
        from specs.export import spec_summary

        print(spec_summary(spec))
    print(f"{path}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)")
    return EXIT_INPUT if errors or spec is None else EXIT_OK


def cmd_spec_export(args: argparse.Namespace) -> int:
    from specs.export import export_spec
    from specs.reader import read_spec

    spec = read_spec(_workbook(args))
    written = export_spec(spec, args.out, fmt=args.format)
    log.info("wrote %s", ", ".join(str(p) for p in written) if written else args.out)
    return EXIT_OK


def _workbook(args: argparse.Namespace) -> Path:
    if args.example and args.workbook:
        raise UsageError("give either a WORKBOOK or --example, not both")
    if args.example:
        from trialforge.example_study import example_spec

        return example_spec(args.example)
    if not args.workbook:
        raise UsageError("give a WORKBOOK path or --example sdtm|adam")
    return args.workbook


def _check_build_specs(options: dict) -> None:
    """`build` has no default specs: --sdtm-spec, and --adam-spec when ADaM is built, or --example."""
    from trialforge.stages import NO_SPEC

    missing = [f"--{kind}-spec" for kind in ("sdtm", "adam")
               if not options.get(f"{kind}_spec") and (kind == "sdtm" or "adam" in options["stages"])]
    if missing:
        raise UsageError(f"{' and '.join(missing)} not given: {NO_SPEC}")


def _with_example_parameters(options: dict) -> None:
    """With the example's own ADaM spec, the example's study parameters come before --param-file/--param."""
    from trialforge.example_study import example_parameters_file, is_example_spec

    if is_example_spec(options.get("adam_spec"), "adam"):
        options["base_param_file"] = str(example_parameters_file())


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = sorted(set(formats) - {"xpt", "json", "ndjson"})
    if unknown:
        raise UsageError(f"--format {text!r}: unknown format(s) {unknown}; use xpt, json, ndjson")
    return formats


def _names(text: str | None) -> list[str] | None:
    return [n.strip().upper() for n in text.split(",") if n.strip()] if text else None


def _check_subjects(subjects: int) -> None:
    if subjects < 1:
        raise UsageError(f"--subjects must be at least 1, got {subjects}")


def _progress(quiet: bool):
    """One line per stage with its counts; on a terminal (CI unset) a status line while a stage runs."""
    from trialforge.console import StageProgress, live_display_wanted

    handler = _console[0] if _console else None
    return StageProgress(log, handler, live_display_wanted(handler.stream if handler else sys.stderr, quiet))


_console: list = []  # the console handler main() installed (the status line draws through it)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    """trialforge's own lines at INFO, other libraries' at WARNING; -q: WARNING; -v: all at DEBUG."""
    from trialforge.console import configure_logging

    _console[:] = [configure_logging(verbose, quiet, sys.stderr)]


def _str_or_none(path: Path | None) -> str | None:
    return str(path) if path else None


def _version() -> str:
    from trialforge import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
