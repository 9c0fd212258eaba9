"""A content-addressed cache of build work, owned by trialforge.

An entry is a folder named by its key (the SHA-256 of everything the work read, see trialforge.cache_keys)
holding the files the work wrote, pickled in-memory results and `entry.json`, which lists every file with
its SHA-256. Every file is re-hashed against `entry.json` before an entry is used; a damaged entry is a
miss, said in the log, and removed.

Only a build that succeeded adds to the cache: while it runs, its entries wait in its own staging folder
(`pending`), each built in a temporary folder and renamed when whole; when every stage has succeeded they
are renamed into the cache (`commit`), one whole entry at a time. A build that fails, or is killed at any
moment (kill -9 included), leaves the cache as it was and nothing beside --out but its staging folder,
which the next run removes.

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
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            return pickle.load(handle)


class Cache:
    """The cache folder `root` (made by the first build that adds to it; `open_cache` checks it is ours).
    While `pending` is set, new entries wait there until `commit`."""

    def __init__(self, root: Path, pending: Path | None = None) -> None:
        self.root = Path(root)
        self.pending = pending

    def get(self, key: str) -> Entry | None:
        """The complete, verified entry of `key`, or None (absent or damaged: then it is removed)."""
        folder = self.root / "entries" / key
        if not folder.is_dir():
            return None
        problem = _check(folder, key)
        if problem is None:
            _touch(folder)  # used: kept by _prune
            return Entry(key, folder, json.loads((folder / ENTRY).read_text(encoding="utf-8")))
        log.warning("cache entry %s is damaged (%s): not used, recomputing", key[:12], problem)
        _remove_quietly(folder)
        return None

    def put(self, key: str, meta: dict[str, Any], files: dict[str, Path] | None = None,
            artifacts: dict[str, Any] | None = None, replace: bool = False) -> bool:
        """Store an entry: built in a temporary folder, renamed into place when whole (into `pending` while
        a build runs). False (with a note in the debug log) when it cannot be stored: the build goes on. An
        entry of the same key is kept (same key, same content), unless `replace`: it is then renamed away
        first (a kill between the two renames leaves no entry: a miss)."""
        home = self.root if self.pending is None else self.pending
        final = home / "entries" / key
        if not replace and (final.is_dir() or (self.root / "entries" / key).is_dir()):
            return True  # the same key means the same content: stored already
        work = home / "tmp" / f"{key}.{os.getpid()}"
        try:
            if self.pending is None:
                _make_root(self.root)
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
                with (work / ARTIFACTS).open("wb") as handle:  # streamed: no second copy of the frames in memory
                    pickle.dump(artifacts, handle, protocol=pickle.HIGHEST_PROTOCOL)
                stored["artifacts_sha256"] = sha256_file(work / ARTIFACTS)
            _write_synced(work / ENTRY, json.dumps(stored, indent=1, default=str))  # key order kept: the build log
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_dir():
                _remove_quietly(_aside(final, home))
            os.rename(work, final)
            return True
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("cache: entry %s not stored: %s", key[:12], exc)
            _remove_quietly(work)
            return final.is_dir()

    def commit(self) -> int:
        """Move the pending entries into the cache, each whole (by rename); the pending folder is removed
        whatever happens. The number of entries added."""
        if self.pending is None:
            return 0
        pending, self.pending, added = self.pending, None, 0
        try:
            ready = sorted((pending / "entries").iterdir()) if (pending / "entries").is_dir() else []
            if ready:
                _make_root(self.root)
            for folder in ready:
                final = self.root / "entries" / folder.name
                if final.is_dir():
                    continue
                work = self.root / "tmp" / f"{folder.name}.{os.getpid()}"
                _remove_quietly(work)
                shutil.move(folder, work)  # a rename on the same file system, else a copy
                os.rename(work, final)
                added += 1
        except OSError as exc:
            log.debug("cache: pending entries not all added: %s", exc)
        finally:
            _remove_quietly(pending)
        return added


def open_cache(root: Path, explicit: bool, refuse: list[Path | None] = ()) -> Cache | None:
    """The cache at `root` (nothing is created until a build adds to it). A folder that is not a trialforge
    cache, or one inside the output or an input (`refuse`), is refused: a UsageError when the user named it
    (--cache), otherwise a warning and no cache for this build."""
    root = Path(root).expanduser().resolve()
    problem = _refusal(root, refuse)
    if problem is None:
        if root.is_dir():
            _clean_tmp(root)
            _prune(root)
        return Cache(root)
    if explicit:
        raise UsageError(f"--cache {root}: {problem}; give another folder, or --no-cache")
    log.warning("the build cache %s is not used: %s (give --cache DIR or --no-cache)", root, problem)
    return None


def default_root(out: Path) -> Path:
    """The user's cache folder, `$XDG_CACHE_HOME/trialforge` (else `~/.cache/trialforge`): never beside
    --out, where a submission folder would gain a hidden folder of up to 10 GB that a zip of it takes along.
    (`out` is kept for callers that may want a per-output default.)"""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base).expanduser() if base and Path(base).expanduser().is_absolute() else Path.home() / ".cache"
    return root / "trialforge"


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


def _make_root(root: Path) -> None:
    """The cache folder and its marker (in a folder absent or empty, or ours: open_cache checked)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for part in ("entries", "tmp"):
        (root / part).mkdir(exist_ok=True)
    if not (root / MARKER).is_file():
        (root / "CACHEDIR.TAG").write_text(_TAG, encoding="utf-8")
        (root / MARKER).write_text(json.dumps({"format": FORMAT}) + "\n", encoding="utf-8")


def _aside(folder: Path, home: Path) -> Path:
    aside = home / "tmp" / f"{folder.name}.old.{os.getpid()}"
    _remove_quietly(aside)
    os.rename(folder, aside)
    return aside


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
