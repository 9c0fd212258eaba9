"""Publishing an output folder without ever losing a user's files.

Every command that writes a folder (`build`, `adam`, `validate`) writes into a staging folder beside
the target and swaps it in with renames once everything succeeded, so a failure leaves the previous
output as it was. trialforge replaces only a folder it wrote itself: each output carries a marker file
(a manifest with our format id), and a folder without one is refused, as is an output folder that
holds or lies inside one of the command's inputs. Staging folders left behind by a killed process are
removed by the next run into the same target.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specs.errors import ExportError, TrialforgeError, UsageError

log = logging.getLogger(__name__)

STAGING_MARKER = ".trialforge-staging"


@dataclass(frozen=True)
class OutputKind:
    """A kind of folder trialforge writes: its marker file and the format id inside it."""

    name: str  # for messages: "package", "ADaM folder", ...
    marker: str  # path of the marker (manifest) relative to the folder
    format_id: str


PACKAGE = OutputKind("package", "audit/manifest.json", "trialforge-package/1")
ADAM_FOLDER = OutputKind("ADaM folder", "trialforge-manifest.json", "trialforge-adam/1")
REPORT_FOLDER = OutputKind("validation report folder", "trialforge-manifest.json", "trialforge-validation/1")
EXAMPLE_RAW = OutputKind("example raw-data folder", "trialforge-manifest.json", "trialforge-example-raw/1")


def check_target(out_dir: Path, kind: OutputKind, inputs: Iterable[Path | str | None] = ()) -> Path:
    """The resolved output folder, or a UsageError saying why trialforge must not replace it."""
    out = Path(out_dir).expanduser().resolve()
    shown = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {shown} is a file, not a folder; give a new or empty folder (the file is kept)")
    for given in inputs:
        if not given:
            continue
        source = Path(given).expanduser().resolve()
        if source == out or out in source.parents:
            raise UsageError(f"--out {shown} holds the input {given}; replacing it would delete that input. "
                             f"Choose an output folder outside the inputs")
        if source.is_dir() and source in out.parents:
            raise UsageError(f"--out {shown} lies inside the input folder {given}; choose an output folder "
                             f"outside it, so that inputs and outputs never mix")
    cwd = Path.cwd().resolve()
    if cwd == out or out in cwd.parents:
        raise UsageError(f"--out {shown} holds the current folder; choose another output folder")
    if out.is_dir() and any(out.iterdir()) and not is_ours(out, kind):
        raise UsageError(
            f"--out {shown} already holds files that trialforge did not write (it has no {kind.marker} "
            f"with format {kind.format_id}); trialforge replaces only a {kind.name} it wrote itself. "
            f"Give a new or empty folder, or remove this one yourself")
    return out


def is_ours(folder: Path, kind: OutputKind) -> bool:
    """True when `folder` carries the marker of a `kind` output that trialforge wrote."""
    marker = Path(folder) / kind.marker
    try:
        document = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("format") == kind.format_id


@contextmanager
def staged_output(out_dir: Path, kind: OutputKind, inputs: Iterable[Path | str | None] = (),
                  manifest: dict[str, Any] | None = None) -> Iterator[Path]:
    """Yield a fresh staging folder; on success write the marker manifest and swap it into `out_dir`.

    Any exception (a kill by SIGTERM or Ctrl-C included) removes the staging folder and leaves
    `out_dir` exactly as it was. An OSError while writing becomes an ExportError naming the file as
    it would have been in the output folder, not the staging path that no longer exists.
    """
    out = check_target(out_dir, kind, inputs)
    remove_stale_staging(out, kind)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if staging.exists():  # ours, from an earlier run in this very process
            shutil.rmtree(staging)
        staging.mkdir()
        (staging / STAGING_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot create the output folder {out_dir}: {_reason(exc)}") from None
    try:
        yield staging
        (staging / STAGING_MARKER).unlink()
        write_manifest(staging, kind, manifest or {})
        _swap_into_place(staging, out)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, TrialforgeError):
            raise ExportError(f"cannot write {_shown_path(exc, staging, out)}: {_reason(exc)}; "
                              f"{out_dir} is unchanged") from None
        raise


def write_manifest(folder: Path, kind: OutputKind, extra: dict[str, Any]) -> Path:
    """The marker: SHA-256 and size of every file, so an auditor can verify that nothing changed."""
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        files.append({"path": path.relative_to(folder).as_posix(), "bytes": path.stat().st_size,
                      "sha256": digest.hexdigest()})
    from trialforge import __version__

    document = {"format": kind.format_id, "tool": "trialforge", "version": __version__, **extra, "files": files}
    target = folder / kind.marker
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def remove_stale_staging(out: Path, kind: OutputKind) -> None:
    """Clean up after a run into `out` that was killed: its staging folder, or a half-done swap."""
    if not out.parent.is_dir():
        return
    for leftover in sorted(out.parent.glob(f".{out.name}.staging-*")):
        pid = _pid_of(leftover)
        if pid is None or _alive(pid):
            continue
        if (leftover / STAGING_MARKER).is_file() or (leftover.is_dir() and not any(leftover.iterdir())):
            log.info("removing %s, left by a trialforge run (pid %d) that was killed", leftover.name, pid)
            shutil.rmtree(leftover, ignore_errors=True)
    for previous in sorted(out.parent.glob(f".{out.name}.previous-*")):
        pid = _pid_of(previous)
        if pid is None or _alive(pid) or not is_ours(previous, kind):
            continue
        if out.exists():
            log.info("removing %s, the output a killed run had already replaced", previous.name)
            shutil.rmtree(previous, ignore_errors=True)
        else:  # killed between the two renames: the previous output goes back into place
            log.warning("restoring %s from %s, left by a trialforge run that was killed", out.name, previous.name)
            previous.rename(out)


def _swap_into_place(staging: Path, out: Path) -> None:
    """Replace `out` by `staging` with renames only, so a crash never leaves a half-written output."""
    previous = out.parent / f".{out.name}.previous-{os.getpid()}"
    if out.exists():
        out.rename(previous)
    try:
        staging.rename(out)
    except BaseException:
        if previous.exists():
            previous.rename(out)
        raise
    if previous.exists():
        shutil.rmtree(previous, ignore_errors=True)


def _pid_of(path: Path) -> int | None:
    tail = path.name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a leftover of an earlier run that had our pid; this run has not staged yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _reason(exc: OSError) -> str:
    hints = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
             errno.EACCES: "permission denied", errno.EDQUOT: "disk quota exceeded",
             errno.EPERM: "operation not permitted"}
    return hints.get(exc.errno, exc.strerror or str(exc))


def _shown_path(exc: OSError, staging: Path, out: Path) -> str:
    """The path as the user knows it: inside the output folder, not the staging folder."""
    name = exc.filename
    if not name:
        return str(out)
    text = str(name)
    staging_text = str(staging)
    return str(out) + text[len(staging_text):] if text.startswith(staging_text) else text
