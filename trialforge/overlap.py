"""The SDTM define.xml and the conformance checks' reading, started while the build derives ADaM.

When write-sdtm has written the SDTM datasets, a forked job (trialforge.background) writes the SDTM
define.xml and define.html exactly as the define stage would (the same function, `package_define`), then
reads the SDTM datasets and the conformance rules, and waits. The validate stage hands it the folders to
check; it runs the rules (on two cores, as the validate stage would) and hands back the result.

Every result the job does not deliver is computed by the stage that needs it, as in a build without the
job: outputs, errors and exit codes are the same either way; only the time differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialforge.background import MISSING, Channel
from trialforge.pipeline import BuildContext

JOB = "checks"


def start_checks(ctx: BuildContext, package_define: Callable[[BuildContext, str], dict]) -> None:
    """Fork the job when a later stage of this run will take its results (call it once SDTM is written)."""
    define, validate = ctx.runs_later("define"), ctx.runs_later("validate")
    if not (define or validate) or ctx.artifacts.get("sdtm_folder") is None:
        return

    def work(channel: Channel) -> None:
        if define:
            channel.send("define:sdtm", package_define(ctx, "sdtm"))
        if validate:
            from validation.engine import Preloaded, validate_folder

            preloaded = Preloaded([ctx.artifacts["sdtm_folder"]])
            args, kwargs = channel.receive("validate")
            channel.send("validate", validate_folder(*args, preloaded=preloaded, **kwargs))

    ctx.start_job(JOB, work, offers=(["define:sdtm"] if define else []) + (["validate"] if validate else []))


def sdtm_define(ctx: BuildContext, kind: str) -> Any:
    """The job's summary of the `kind` define.xml it wrote, or MISSING (then the define stage writes it)."""
    return ctx.job_result(JOB, "define:sdtm") if kind == "sdtm" else MISSING


def validator(ctx: BuildContext) -> Callable[..., Any]:
    """A `validate_folder` for run_validation: the job validates when it can, else this process does."""
    from validation.engine import validate_folder

    def validate(*args: Any, **kwargs: Any):
        job = ctx.jobs.get(JOB)
        if job is not None:
            job.send("validate", (args, kwargs))
            result = job.receive("validate")
            if result is not MISSING:
                return result
        return validate_folder(*args, **kwargs)

    return validate
