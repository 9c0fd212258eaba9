"""A stage run once and reused: what it left behind is captured into the cache, and put back on a hit.

What a stage leaves behind: the files it wrote into the staging folder, the in-memory results it added to
`ctx.artifacts` and `ctx.options`, its build-log entry and summary, and the warnings it logged (replayed
on reuse, so the console reads as it did). Files the forked job (trialforge.overlap) writes beside the ADaM
stages, the SDTM define.xml and define.html, belong to the define stage, whichever stage runs meanwhile.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from trialforge.cache import Cache, Entry

log = logging.getLogger(__name__)

_STAGING = "__staging__"  # a Path inside the staging folder, stored relative to it


class Capture(logging.Handler):
    """The warnings a stage logs, and the state it starts from; `store` puts what it changed in the cache."""

    def __init__(self, ctx) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []
        self.files = _snapshot(ctx.staging)
        self.artifacts = dict(ctx.artifacts)
        self.options = dict(ctx.options)
        logging.getLogger().addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def close(self) -> None:
        logging.getLogger().removeHandler(self)
        super().close()

    def store(self, cache: Cache, key: str, ctx, stage: str) -> bool:
        job_files = _job_files(ctx)
        now = _snapshot(ctx.staging)
        written = {rel for rel, stamp in now.items() if self.files.get(rel) != stamp}
        written = written | job_files if stage == "define" else written - job_files
        artifacts = {k: _portable(v, ctx.staging) for k, v in ctx.artifacts.items()
                     if k not in self.artifacts or self.artifacts[k] is not v}
        options = {k: v for k, v in ctx.options.items() if k not in self.options or self.options[k] != v}
        meta = {"stage": stage, "log": ctx.stage_logs.get(stage, {}), "summary": ctx.summaries.get(stage, ""),
                "warnings": self.records, "options": options}
        return cache.put(key, meta, {rel: ctx.staging / rel for rel in sorted(written)}, artifacts)


def restore(entry: Entry, ctx, stage: str) -> None:
    """Put a stage's cached results into the build as if it had run."""
    artifacts = entry.artifacts()
    for rel, source in entry.files().items():
        shutil.copyfile(source, ctx.path(*rel.split("/")))
    ctx.artifacts.update({k: _local(v, ctx.staging) for k, v in artifacts.items()})
    ctx.options.update(entry.meta.get("options") or {})
    ctx.stage_logs[stage] = dict(entry.meta.get("log") or {})
    ctx.summaries[stage] = entry.meta.get("summary", "")
    for name, level, message in entry.meta.get("warnings") or []:
        logging.getLogger(name).log(level, "%s", message)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    from trialforge.pipeline import PENDING

    stamps = {}
    for path in root.rglob("*"):
        if path.is_file() and PENDING not in path.relative_to(root).parts:
            info = path.stat()
            stamps[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return stamps


def _job_files(ctx) -> set[str]:
    """Files the job beside the build may write (define.xml, define.html): all but the XPTs in the SDTM and
    ADaM folders."""
    folders = [Path(ctx.artifacts[k]) for k in ("sdtm_folder", "adam_folder") if ctx.artifacts.get(k) is not None]
    return {p.relative_to(ctx.staging).as_posix() for folder in folders if folder.is_dir()
            for p in folder.iterdir() if p.is_file() and p.suffix.lower() != ".xpt"}


def _portable(value: Any, staging: Path) -> Any:
    if isinstance(value, Path) and value.is_relative_to(staging):
        return (_STAGING, value.relative_to(staging).as_posix())
    return value


def _local(value: Any, staging: Path) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == _STAGING:
        return staging / value[1]
    return value
