"""The build as a pipeline of named stages that writes into a staging folder.

The output folder is replaced only when every stage succeeded: a failed build leaves the previous
output untouched. Stages share a `BuildContext`; each records what it read, wrote and excluded in
the build log, which ends up in `audit/build-log.json` of the package.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats import clock
from trialforge.background import MISSING, BackgroundJob, Channel, can_fork
from trialforge.heap import give_back
from trialforge.publish import PACKAGE, staged_output

log = logging.getLogger(__name__)

AUDIT_DIR = "audit"
PENDING = ".trialforge-cache-pending"  # in the staging folder: the build cache's new entries (trialforge.cache)


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    run: Callable[["BuildContext"], None]
    # when its results come from the cache: what must happen before they are restored, and after (what the
    # stage does besides its results, e.g. tell the job beside later stages that SDTM is written)
    before_reuse: Callable[["BuildContext"], None] | None = None
    after_reuse: Callable[["BuildContext"], None] | None = None
    # it lets go of large data (raw forms, written frames): the memory goes back to the system once it ends,
    # after its cache entry is stored (the entry's record of what the stage started from holds them till then)
    releases: bool = False


@dataclass
class BuildContext:
    """What stages share. `staging` is where they write; `artifacts` passes in-memory results on."""

    study_dir: Path
    staging: Path
    options: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    stage_logs: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_stage: str = ""
    summaries: dict[str, str] = field(default_factory=dict)  # stage name -> its counts, for the progress line
    stage_names: tuple[str, ...] = ()  # the stages of this run, in order
    jobs: dict[str, BackgroundJob] = field(default_factory=dict)  # work forked off beside later stages
    cache: Any = None  # a trialforge.cache.Cache, or None: every stage runs
    cache_keys: dict[str, str | None] = field(default_factory=dict)  # stage -> its key (None: not cached)
    reused: list[str] = field(default_factory=list)  # the stages whose results came from the cache

    def reusable(self, *stages: str) -> bool:
        """True when the cache holds an entry for each of `stages` in this run (not yet verified)."""
        wanted = [s for s in stages if s in self.stage_names]
        return bool(self.cache and wanted) and all(
            self.cache_keys.get(s) and (self.cache.root / "entries" / self.cache_keys[s]).is_dir() for s in wanted)

    def runs_later(self, stage: str) -> bool:
        """True when `stage` is one of this run's stages after the current one."""
        names = self.stage_names
        return stage in names[names.index(self.current_stage) + 1:] if self.current_stage in names else False

    def start_job(self, name: str, work: Callable[[Channel], None], offers: Iterable[str]) -> None:
        """Fork `work` off to run beside the following stages (see trialforge.background); it may send the
        results `offers` names. Nothing happens where fork is unavailable: each result is then MISSING and
        computed where it is needed."""
        if can_fork() and name not in self.jobs:
            self.jobs[name] = BackgroundJob(name, work, offers)

    def job_result(self, name: str, key: str) -> Any:
        """Result `key` of the job `name`, waiting for it; MISSING when the job did not deliver it."""
        job = self.jobs.get(name)
        return MISSING if job is None else job.receive(key)

    def stop_jobs(self) -> None:
        for job in self.jobs.values():
            job.stop()
        self.jobs.clear()

    def summarise(self, text: str) -> None:
        """The current stage's counts in a few words ("24 domains, 41,233 records"), shown when it ends."""
        self.summaries[self.current_stage] = text

    def record(self, key: str, value: Any) -> None:
        """Add a machine-readable fact to the current stage's entry of the build log."""
        self.stage_logs.setdefault(self.current_stage, {})[key] = value

    def path(self, *parts: str) -> Path:
        """A path inside the staging folder, with its parent created."""
        target = self.staging.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def folder(self, *parts: str) -> Path:
        """A folder inside the staging folder, created."""
        target = self.staging.joinpath(*parts)
        target.mkdir(parents=True, exist_ok=True)
        return target


ProgressFn = Callable[[int, int, Stage, float | None, str], None]  # number, total, stage, seconds, summary


def run_pipeline(
    stages: Sequence[Stage],
    study_dir: Path,
    out_dir: Path,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    inputs: Sequence[Path | str | None] = (),
    after_log: Callable[[BuildContext], None] | None = None,
    cache: Any = None,
) -> BuildContext:
    """Run the stages in order into a staging folder beside `out_dir`, then move it into place.

    `out_dir` must be new, empty or a package trialforge wrote (see trialforge.publish); `inputs` (the
    study folder is always one) must lie outside it. `after_log` runs on the staging folder once the build log
    is written (the manifest lists what it writes). Any exception leaves `out_dir` exactly as it was
    and removes the staging folder. With a `cache` (trialforge.cache), a stage whose key is in it is not
    run: its results are restored (trialforge.incremental), and the progress line says so.
    """
    ctx = BuildContext(study_dir=Path(study_dir), staging=Path(), options=dict(options or {}),
                       stage_names=tuple(stage.name for stage in stages), cache=cache)
    timings: dict[str, float] = {}
    manifest: dict[str, Any] = {}  # written when the staging folder is published: the inputs, then every file
    with staged_output(out_dir, PACKAGE, [study_dir, *inputs], manifest=manifest) as staging:
        ctx.staging = staging
        if cache is not None:  # new entries wait in the staging folder: only a build that succeeds adds them
            cache.pending = staging / PENDING
        try:
            for number, stage in enumerate(stages, start=1):
                ctx.current_stage = stage.name
                if progress:  # seconds None: the stage starts; then its time and summary when it ends
                    progress(number, len(stages), stage, None, "")
                started = time.perf_counter()
                reused = _run_stage(stage, ctx) if cache is not None else stage.run(ctx)
                if stage.releases:
                    give_back()
                timings[stage.name] = time.perf_counter() - started
                summary = ctx.summaries.get(stage.name, "")
                if reused:
                    summary = f"{summary or 'done'}; reused from the cache (key {ctx.cache_keys[stage.name][:12]})"
                if progress:
                    progress(number, len(stages), stage, timings[stage.name], summary)
        finally:  # a forked job never outlives the build, nor writes into a staging folder being removed
            ctx.stop_jobs()
        _write_build_log(ctx, stages, timings)
        if cache is not None:
            cache.commit()  # every stage succeeded; leaves nothing of the cache in the package
        if after_log is not None:  # e.g. the build report, which reads the package as written, build log included
            after_log(ctx)
        from trialforge.audit_inputs import describe_inputs

        manifest["inputs"] = describe_inputs(ctx)
    ctx.staging = Path(out_dir).resolve()
    ctx.artifacts["timings"] = timings
    return ctx


def _run_stage(stage: Stage, ctx: BuildContext) -> bool:
    """Run `stage`, or restore its results from the cache when its key is there; True when restored."""
    from trialforge.cache_keys import base_key, stage_key
    from trialforge.incremental import Capture, restore

    base = ctx.cache_keys.setdefault("", base_key(list(ctx.stage_names), ctx.options))
    if not _our_code(stage):  # code the key's fingerprint does not cover, e.g. a caller's wrapper: always run
        ctx.cache_keys[stage.name] = None
    elif stage.name not in ctx.cache_keys:  # (the keys after load-specs are computed with it: all_keys)
        ctx.cache_keys[stage.name] = stage_key(stage.name, ctx, ctx.cache_keys, base)
    key = ctx.cache_keys[stage.name]
    entry = ctx.cache.get(key) if key else None
    if entry is not None:
        if stage.before_reuse is not None:
            stage.before_reuse(ctx)
        try:
            restore(entry, ctx, stage.name)
            ctx.reused.append(stage.name)
            if stage.after_reuse is not None:
                stage.after_reuse(ctx)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is a miss, never a failed build
            log.warning("cache entry %s of %s cannot be used (%s): recomputing", key[:12], stage.name, exc)
            entry = None
            ctx.stage_logs.pop(stage.name, None)
            ctx.summaries.pop(stage.name, None)
    if entry is None:
        capture = Capture(ctx)
        try:
            stage.run(ctx)
        finally:
            capture.close()
        if key:
            capture.store(ctx.cache, key, ctx, stage.name)
    if key:  # the key always (a function of the inputs); whether reused only where durations are written too
        ctx.record("cache", {"key": key} if clock.reproducible() else {"key": key, "reused": entry is not None})
    return entry is not None


def _our_code(stage: Stage) -> bool:
    from trialforge.cache_keys import PACKAGES

    return getattr(stage.run, "__module__", "").split(".")[0] in PACKAGES and "<locals>" not in getattr(
        stage.run, "__qualname__", "<locals>")


def _write_build_log(ctx: BuildContext, stages: Sequence[Stage], timings: dict[str, float]) -> None:
    from trialforge import __version__

    entries = []
    for stage in stages:
        entry: dict[str, Any] = {"stage": stage.name, "description": stage.description}
        if not clock.reproducible():  # durations would make two identical builds differ
            entry["seconds"] = round(timings.get(stage.name, 0.0), 3)
        entry.update(ctx.stage_logs.get(stage.name, {}))
        entries.append(entry)
    document = {
        "tool": "trialforge",
        "version": __version__,
        "built_at": clock.build_timestamp().isoformat(),
        "study_dir": ctx.study_dir.name,
        "options": {k: _file_name(k, v) for k, v in sorted(ctx.options.items()) if _json_safe(v)},
        "stages": entries,
    }
    write_json(ctx.path(AUDIT_DIR, "build-log.json"), document)


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")


def _file_name(key: str, value: Any) -> Any:
    """Input files by name only: the same inputs from another checkout or machine give the same log
    (their SHA-256 and sizes are what identify them)."""
    path_keys = ("_spec", "_file", "stylesheet", "schema")
    if isinstance(value, str) and value and key.endswith(path_keys):
        return Path(value).name
    return value


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True
