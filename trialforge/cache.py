"""A content-addressed cache of build work, owned by trialforge.

An entry is a folder named by its key (the SHA-256 of everything the work read, see trialforge.cache_keys)
holding the files the work wrote, pickled in-memory results and `entry.json`, which lists every file with
its SHA-256. An entry is written into `tmp/` and renamed into `entries/` only when complete, so a build
killed at any moment (kill -9 included) leaves either no entry or a whole one. Every file is re-hashed
against `entry.json` before an entry is used; a damaged entry is a miss, said in the log, and removed.

The folder carries a marker (`trialforge-cache.json`, and a CACHEDIR.TAG so backup tools skip it):
trialforge writes into, and removes from, only a folder it made. Deleting the whole folder is always safe.
Pickles are trusted as our own: the folder is created readable by its owner only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specs.errors import UsageError
from trialforge.publish import _alive

log = logging.getLogger(__name__)

FORMAT = "trialforge-cache/1"
MARKER = "trialforge-cache.json"
KEEP_DAYS = 14  # an entry no build used for this long is removed (a wall-clock build's keys change daily)
MAX_BYTES = 10 * 2**30  # beyond this, the entries used longest ago are removed
ENTRY = "entry.json"
ARTIFACTS = "artifacts.pickle"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# a trialforge build cache: see trialforge/cache.py\n"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest(*parts: Any) -> str:
    """The key of `parts` (JSON-able values: strings, numbers, lists, dicts, None)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A verified cache entry: its files (relative path -> path inside the entry) and its metadata."""

    key: str
    folder: Path
    meta: dict[str, Any]

    def files(self) -> dict[str, Path]:
        return {rel: self.folder / "files" / rel for rel in self.meta.get("files", {})}

    def artifacts(self) -> dict[str, Any]:
        path = self.folder / ARTIFACTS
        return pickle.loads(path.read_bytes()) if path.is_file() else {}


class Cache:
    """The cache folder `root`; `open_cache` checks that it is ours before anything is read or written."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, key: str) -> Entry | None:
        """The complete, verified entry of `key`, or None (absent or damaged: then it is removed)."""
        folder = self.root / "entries" / key
        if not folder.is_dir():
            return None
        problem = _check(folder, key)
        if problem is None:
            _touch(folder)  # used: kept by prune()
            return Entry(key, folder, json.loads((folder / ENTRY).read_text(encoding="utf-8")))
        log.warning("cache entry %s is damaged (%s): not used, recomputing", key[:12], problem)
        _remove_quietly(folder)
        return None

    def put(self, key: str, meta: dict[str, Any], files: dict[str, Path] | None = None,
            artifacts: dict[str, Any] | None = None, replace: bool = False) -> bool:
        """Store an entry atomically: built in tmp/, renamed into entries/ when complete. False (with a
        note in the log) when it cannot be stored; the build goes on without it. An entry of the same key
        is kept (same key, same content), unless `replace`: it is then renamed away first (a kill between
        the two renames leaves no entry, a miss)."""
        final = self.root / "entries" / key
        if final.is_dir() and not replace:
            return True  # the same key means the same content: another build stored it already
        work = self.root / "tmp" / f"{key}.{os.getpid()}"
        try:
            _remove_quietly(work)
            (work / "files").mkdir(parents=True)
            listing = {}
            for rel, source in sorted((files or {}).items()):
                target = work / "files" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                listing[rel] = {"bytes": target.stat().st_size, "sha256": sha256_file(target)}
            stored = dict(meta, key=key, files=listing)
            if artifacts:
                (work / ARTIFACTS).write_bytes(pickle.dumps(artifacts, protocol=pickle.HIGHEST_PROTOCOL))
                stored["artifacts_sha256"] = sha256_file(work / ARTIFACTS)
            _write_synced(work / ENTRY, json.dumps(stored, indent=1, default=str))  # key order kept: the build log
            final.parent.mkdir(parents=True, exist_ok=True)
            if replace and final.is_dir():
                old = self.root / "tmp" / f"{key}.old.{os.getpid()}"
                os.rename(final, old)
                _remove_quietly(old)
            os.rename(work, final)
            return True
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("cache: entry %s not stored: %s", key[:12], exc)
            _remove_quietly(work)
            return final.is_dir()


def open_cache(root: Path, explicit: bool, refuse: list[Path | None] = ()) -> Cache | None:
    """The cache at `root`, created when absent. A folder that is not a trialforge cache, or one inside the
    output or an input (`refuse`), is refused: a UsageError when the user named it (--cache), otherwise a
    warning and no cache for this build."""
    root = Path(root).expanduser().resolve()
    problem = _refusal(root, refuse)
    if problem is None:
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            marker = root / MARKER
            if not marker.is_file():
                (root / "CACHEDIR.TAG").write_text(_TAG, encoding="utf-8")
                marker.write_text(json.dumps({"format": FORMAT}) + "\n", encoding="utf-8")
            _clean_tmp(root)
            _prune(root)
            return Cache(root)
        except OSError as exc:
            problem = f"it cannot be written ({exc.strerror or exc})"
    if explicit:
        raise UsageError(f"--cache {root}: {problem}; give another folder, or --no-cache")
    log.warning("the build cache %s is not used: %s (give --cache DIR or --no-cache)", root, problem)
    return None


def default_root() -> Path:
    """$XDG_CACHE_HOME/trialforge, or ~/.cache/trialforge: shared by every build of this user, wherever its
    --out, and never beside a user's folders."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "trialforge"


def existing_cache(root: Path) -> Cache | None:
    """The cache at `root` when it is there and ours; nothing is created (the up-to-date check)."""
    root = Path(root).expanduser().resolve()
    return Cache(root) if root.is_dir() and _is_ours(root) else None


def _refusal(root: Path, refuse: list[Path | None]) -> str | None:
    for other in refuse:
        if other is None:
            continue
        other = Path(other).expanduser().resolve()
        if root == other or other in root.parents:
            return f"it lies inside {other}, which the build reads or replaces"
        if root in other.parents:
            return f"it holds {other}, which the build reads or replaces"
    if root.is_file():
        return "it is a file"
    if root.is_dir() and any(root.iterdir()) and not _is_ours(root):
        return f"it holds files trialforge did not write (no {MARKER} with format {FORMAT})"
    return None


def _is_ours(root: Path) -> bool:
    try:
        return json.loads((root / MARKER).read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _check(folder: Path, key: str) -> str | None:
    """Why the entry in `folder` cannot be trusted, or None when every file matches entry.json."""
    try:
        meta = json.loads((folder / ENTRY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{ENTRY} unreadable: {exc}"
    if not isinstance(meta, dict) or meta.get("key") != key:
        return f"{ENTRY} is not this entry's"
    expected = dict(meta.get("files") or {})
    if meta.get("artifacts_sha256"):
        expected[f"../{ARTIFACTS}"] = {"sha256": meta["artifacts_sha256"]}
    for rel, stated in expected.items():
        path = folder / "files" / rel
        try:
            if sha256_file(path) != stated.get("sha256"):
                return f"{Path(rel).name} does not match its SHA-256"
        except OSError as exc:
            return f"{Path(rel).name}: {exc.strerror or exc}"
    return None


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _clean_tmp(root: Path) -> None:
    """Remove half-written entries of builds that were killed (their process is gone)."""
    tmp = root / "tmp"
    if not tmp.is_dir():
        return
    for leftover in tmp.iterdir():
        pid = leftover.name.rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):  # (our own pid counts as gone: a leftover of an earlier run)
            _remove_quietly(leftover)


def _prune(root: Path, keep_days: float = KEEP_DAYS, max_bytes: int = MAX_BYTES) -> None:
    """Remove the entries no build has stored or used for `keep_days`, then the least recently used ones
    while all of them take more than `max_bytes`."""
    import time

    entries = root / "entries"
    if not entries.is_dir():
        return
    oldest, used = time.time() - keep_days * 86400, []
    for folder in entries.iterdir():
        try:
            when = folder.stat().st_mtime
            if when < oldest:
                _remove_quietly(folder)
            else:
                used.append((when, sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()), folder))
        except OSError:
            continue
    total = sum(size for _, size, _ in used)
    for _, size, folder in sorted(used, key=lambda item: item[0]):
        if total <= max_bytes:
            break
        _remove_quietly(folder)
        total -= size


def _touch(folder: Path) -> None:
    try:
        os.utime(folder)
    except OSError:
        pass


def _remove_quietly(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink(missing_ok=True)
