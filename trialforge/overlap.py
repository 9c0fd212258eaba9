"""The SDTM define.xml and the conformance checks, prepared beside the stages that derive the data.

Once the specs are loaded, a forked job (trialforge.background) gets ready while the build maps SDTM: it
imports what it will use, reads the conformance rules and the bundled terminology, compiles the
define.html template. When write-sdtm has written the SDTM datasets (`sdtm_written`), the job writes the
SDTM define.xml and define.html exactly as the define stage would (the same function, `package_define`),
reads the SDTM datasets and runs the rules that need nothing but SDTM (validation.ahead) while the build
derives and writes ADaM, until the validate stage hands it the folders to check; it then runs the other
rules (on two cores, as the validate stage would) and hands back the result. While
SDTM is small, the job also draws the build report's figures (trialforge.report) beside that validation,
in a process of its own forked when the validate stage starts (ADaM is written by then), and hands them
back with the validation: the build's report hook then only renders the page. With large data the figures
wait until the job has ended (its memory is free again) and are drawn in a process forked off the build,
beside the rest of the validate stage (tracing findings to raw records, writing the reports); the job also
writes the ADaM define.xml (told where ADaM is when the define stage starts) and lets go of SDTM while the
build derives ADaM, reading it again for the validation (PARALLEL_MAX_SDTM_BYTES).

Every result the job does not deliver is computed by the stage that needs it, as in a build without the
job: outputs, errors and exit codes are the same either way; only the time differs. Forking before the
data exist also keeps the job's memory its own: it shares no raw or SDTM frames with the build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialforge.background import MISSING, BackgroundJob, Channel
from trialforge.heap import give_back
from trialforge.pipeline import BuildContext
from trialforge.report import FIGURES_ARTIFACT

log = logging.getLogger(__name__)

JOB = "checks"
FIGURES = "report:figures"
# SDTM files larger than this make the data "large": the job then lets go of SDTM after running rules ahead,
# writes the ADaM define.xml itself and draws no figures beside its validation, so that the build's and the
# job's memory never add up (5,000 subjects: a 2.7 GB peak instead of 4.4). Its validation takes a second
# rule process either way (as the validate stage would): by then the build holds little.
PARALLEL_MAX_SDTM_BYTES = 64 * 2**20


def start_checks(ctx: BuildContext, package_define: Callable[[BuildContext, str], dict]) -> None:
    """Fork the job when a later stage of this run will take its results (call it once the specs are
    loaded; `sdtm_written` tells the job when it can start on SDTM)."""
    define, validate = ctx.runs_later("define"), ctx.runs_later("validate")
    if not ((define or validate) and ctx.runs_later("write-sdtm")):
        return

    figures = validate and ctx.runs_later("write-adam")  # a package with ADaM: the report draws figures
    define_adam = define and ctx.runs_later("write-adam")

    def work(channel: Channel) -> None:
        import validation.ahead  # noqa: F401 - imported (and compiled) while the build maps SDTM
        from define_xml.html import preload

        preload()
        if figures:
            from trialforge.report import preload_figures

            preload_figures()
        preloaded = validation.ahead.Preloaded() if validate else None
        reading, channel.records = channel.records, []  # logged with the validation, where the stage reads rules
        ctx.artifacts["sdtm_folder"] = folder = channel.receive("sdtm")
        large = _data_bytes(folder) > PARALLEL_MAX_SDTM_BYTES
        if define:
            channel.send("define:sdtm", package_define(ctx, "sdtm"))
            give_back()  # the SDTM datasets it read back
        answered = not define_adam

        def answer_adam() -> None:
            """The ADaM define.xml once write-adam has said where ADaM is: written here with large data (the
            build then never reads ADaM back, which would sit beside this job's copy), else left to the
            define stage (None: small data, the build is free by then and this job is not)."""
            nonlocal answered
            ctx.artifacts["adam_folder"] = channel.receive("adam")
            summary = package_define(ctx, "adam") if large and ctx.artifacts["adam_folder"] is not None else None
            channel.send("define:adam", summary)
            answered = True
            if summary is not None:
                give_back()

        def stop_ahead() -> bool:
            if not answered and channel.has("adam"):
                if large:
                    return True  # the ADaM define.xml first; the rules not run ahead run with the validation
                answer_adam()
            return channel.has("validate")

        if validate:
            from validation.engine import validate_folder

            preloaded.read(folder)
            preloaded.run_ahead(folder, stop=stop_ahead)  # until the validate stage asks
            if large:  # SDTM and the views made on it would wait for the run while the build derives and writes
                preloaded.release()  # ADaM (its peak): the run reads SDTM again, the rules run ahead stay done
                give_back()
        if not answered:
            answer_adam()
        if validate:
            args, kwargs = channel.receive("validate")
            give_back()  # what the rules run ahead made and dropped, before ADaM is read
            drawing = _draw_figures(ctx) if figures and not large else None
            result = validate_folder(*args, preloaded=preloaded, **kwargs)
            channel.records[:0] = reading
            channel.send("validate", result)
            if drawing is not None:
                drawn = drawing.receive(FIGURES)
                drawing.stop()
                if drawn is not MISSING:
                    channel.send(FIGURES, drawn)

    ctx.start_job(JOB, work, offers=(["define:sdtm"] if define else []) + (["define:adam"] if define_adam else [])
                  + (["validate"] if validate else [])
                  + ([FIGURES] if figures else []))


def _draw_figures(ctx: BuildContext) -> BackgroundJob:
    """The report's figures, drawn from the package's files in a process forked off the job (beside the
    validation, which the job runs itself)."""
    return BackgroundJob(FIGURES, _drawing(ctx), offers=[FIGURES])


def _drawing(ctx: BuildContext) -> Callable[[Channel], None]:
    """Work that draws the report's figures and sends them, with their settings as the build log will
    state them."""
    from trialforge.report import draw_figures

    parameters = ctx.stage_logs.get("load-specs", {}).get("adam_parameters", {})
    crs = parameters.get("crs_query_name")
    crs = crs.get("value") if isinstance(crs, dict) else None

    def draw(channel: Channel) -> None:
        channel.send(FIGURES, draw_figures(ctx.staging, crs, ctx.stage_names))

    return draw


def drawn_figures(ctx: BuildContext) -> None:
    """The figures drawn beside the end of the validate stage (if they were), for the build report."""
    if FIGURES in ctx.jobs:
        figures = ctx.job_result(FIGURES, FIGURES)
        ctx.jobs.pop(FIGURES).stop()
        if figures is not MISSING:
            ctx.artifacts[FIGURES_ARTIFACT] = figures


def sdtm_written(ctx: BuildContext) -> None:
    """Tell the job the SDTM datasets are written (in ctx.artifacts["sdtm_folder"])."""
    job = ctx.jobs.get(JOB)
    if job is not None and ctx.artifacts.get("sdtm_folder") is not None:
        job.send("sdtm", ctx.artifacts["sdtm_folder"])


def adam_written(ctx: BuildContext) -> None:
    """Tell the job the ADaM datasets are written (in ctx.artifacts["adam_folder"]). Said when the define stage
    starts, not when write-adam ends: by then the build has let go of the ADaM frames (Stage.releases), so the
    job's reading ADaM does not add to them."""
    job = ctx.jobs.get(JOB)
    if job is not None:
        job.send("adam", ctx.artifacts.get("adam_folder"))


def job_define(ctx: BuildContext, kind: str) -> Any:
    """The job's summary of the `kind` define.xml it wrote, or MISSING (then the define stage writes it)."""
    if JOB not in ctx.jobs:
        return MISSING
    summary = ctx.job_result(JOB, f"define:{kind}")
    if summary is None:  # the job left it to the define stage (the ADaM define.xml while the data are small)
        return MISSING
    if summary is MISSING:
        log.debug("the job beside the ADaM stages did not deliver the %s define.xml; writing it here", kind)
    return summary


def validator(ctx: BuildContext) -> Callable[..., Any]:
    """A `validate_folder` for run_validation: the job validates when it can, else this process does."""
    from validation.engine import validate_folder
    from validation.reports import preload as preload_report_writers

    def validate(*args: Any, **kwargs: Any):
        job = ctx.jobs.get(JOB)
        if job is not None:
            job.send("validate", (args, kwargs))
            preload_report_writers()  # while the job runs the rules, this process only waits for them
            result = job.receive("validate")
            figures = job.receive(FIGURES)  # the job is stopped before the report hook runs
            if figures is not MISSING:
                ctx.artifacts[FIGURES_ARTIFACT] = figures
            elif FIGURES in job.offers:
                # not drawn beside the job's validation (large data: memory); the job has ended now, so
                # they are drawn beside what the validate stage does next (tracing findings, the reports)
                ctx.start_job(FIGURES, _drawing(ctx), offers=[FIGURES])
            if result is not MISSING:
                return result
            log.debug("the job beside the ADaM stages did not deliver the validation; validating here")
        return validate_folder(*args, **kwargs)

    return validate


def _data_bytes(folder: str | Path) -> int:
    from validation.ahead import data_files_stamp

    return sum(size for _, size, _ in data_files_stamp(Path(folder)))
