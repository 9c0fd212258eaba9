"""The nightly rebuild that finds nothing to do: --out already holds the package of these very inputs.

After a build, the cache keeps a record under the build's key (trialforge.cache_keys.package_key): the
SHA-256 of the package's manifest, the files the build read beyond those the key names (the raw-data
expectation suite a spec names), each stage's console line and warnings, and the gate's verdict. A rebuild
with the same key finds the record, re-hashes those extra inputs and every file of the package at --out
against its manifest, and, when all match, leaves the package as it is and says so: nothing is read,
generated or imported beyond that (well under a second). Anything that does not match is a normal build.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from trialforge.cache import Cache, digest, sha256_file

log = logging.getLogger(__name__)

MANIFEST = Path("audit") / "manifest.json"


class StageLog(logging.Handler):
    """The warnings a build logs, by the stage that was running (None: before the first, "after": after
    the last), to replay them when the package is found up to date."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.stage: str | None = None
        self.records: list[tuple[str | None, str, int, str]] = []
        self.summaries: dict[str, tuple[int, int, str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((self.stage, record.name, record.levelno, record.getMessage()))

    def progress(self, number: int, total: int, stage, seconds: float | None, summary: str = "") -> None:
        self.stage = stage.name if seconds is None else self.stage
        if seconds is not None:  # the stage's own line, without a note that it was reused
            self.summaries[stage.name] = (number, total, summary.split("; reused from the cache")[0])
            self.stage = "after" if number == total else self.stage


def record_key(key: str, out: Path) -> str:
    """Where the record of the package at `out` built with `key` is kept (one per output folder)."""
    return digest("package record", key, str(Path(out).expanduser().resolve()))


def remember(cache: Cache, key: str, out: Path, ctx, stage_log: StageLog) -> None:
    """Record the package just published at `out` under the build's `key`."""
    from trialforge.audit_inputs import _raw_suite

    suite = _raw_suite(ctx)
    meta = {"manifest_sha256": sha256_file(Path(out) / MANIFEST),
            "extra_inputs": [[str(suite.resolve()), sha256_file(suite)]] if suite else [],
            "stages": [{"name": name, "number": n, "total": t, "summary": summary,
                        "warnings": [r[1:] for r in stage_log.records if r[0] == name]}
                       for name, (n, t, summary) in stage_log.summaries.items()],
            "before": [r[1:] for r in stage_log.records if r[0] is None],
            "after": [r[1:] for r in stage_log.records if r[0] == "after"],
            "gate_failed": bool(ctx.artifacts.get("gate_failed"))}
    cache.put(record_key(key, out), meta, replace=True)  # a rebuilt --out (e.g. its files had changed)


def up_to_date(cache: Cache, key: str, out: Path) -> dict[str, Any] | None:
    """The record of `key` when the package at `out` is exactly the one it describes, else None."""
    entry = cache.get(record_key(key, out))
    if entry is None:
        return None
    meta = entry.meta
    problem = _package_problem(Path(out), meta.get("manifest_sha256"))
    for path, sha in meta.get("extra_inputs") or []:
        if problem is None and (not Path(path).is_file() or sha256_file(Path(path)) != sha):
            problem = f"{Path(path).name} changed"
    if problem is not None:
        log.debug("cache: %s is not up to date: %s", out, problem)
        return None
    return meta


def replay(meta: dict[str, Any], key: str, out: Path, console: logging.Logger) -> None:
    """The up-to-date build's console: the earlier build's warnings and stage lines, each marked reused."""
    for name, level, message in meta.get("before") or []:
        logging.getLogger(name).log(level, "%s", message)
    for stage in meta.get("stages") or []:
        for name, level, message in stage["warnings"]:
            logging.getLogger(name).log(level, "%s", message)
        console.info("[%d/%d] %s: %s (reused: the package is up to date)", stage["number"], stage["total"],
                     stage["name"], stage["summary"] or "done")
    for name, level, message in meta.get("after") or []:
        logging.getLogger(name).log(level, "%s", message)
    console.info("nothing recomputed: %s already holds the package of these inputs (cache key %s; every file "
                 "matches its audit/manifest.json); it is left as it is", out, key[:12])


def _package_problem(out: Path, manifest_sha: str | None) -> str | None:
    """Why the package at `out` is not the recorded one (re-hashing every file), or None."""
    manifest_path = out / MANIFEST
    try:
        if sha256_file(manifest_path) != manifest_sha:
            return "its manifest differs from the recorded one"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"no readable manifest ({exc})"
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {MANIFEST.as_posix()}
    if present != set(listed):
        return "files were added or removed"
    for rel, entry in listed.items():
        path = out / rel
        if path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            return f"{rel} changed"
    return None
