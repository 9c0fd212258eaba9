"""`trialforge verify`: re-hash a package against its audit/manifest.json.

Every file the manifest lists is hashed again (changed or removed), and every file of the package the
manifest does not list is reported as added (the manifest itself excepted: it does not list itself).
The inputs the manifest records (raw files, spec workbooks, ...) live outside the package; the raw files
are checked only when the study folder is given again (`--study DIR`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from specs.errors import InputError, Problem
from trialforge.audit_inputs import file_entry, study_files
from trialforge.publish import PACKAGE


@dataclass
class Check:
    """What differs between a folder and the file list recorded for it."""

    checked: int = 0
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # path, sha256 now, sha256 recorded
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.added or self.removed)

    def lines(self, prefix: str = "") -> list[str]:
        return ([f"{prefix}changed: {p} (sha256 {now} != manifest {then})" for p, now, then in self.changed]
                + [f"{prefix}added: {p} (not in the manifest)" for p in self.added]
                + [f"{prefix}removed: {p} (in the manifest, not in the folder)" for p in self.removed])


def read_manifest(package: Path) -> dict[str, Any]:
    """The package's manifest, or an InputError saying why `package` is not a package trialforge wrote."""
    package = Path(package)
    marker = package / PACKAGE.marker
    if not package.is_dir():
        what = "a file" if package.exists() else "no such folder"
        raise InputError(f"{package}: {what}; expected a package folder that trialforge built")
    if not marker.is_file():
        raise InputError(f"{package} is not a trialforge package: it has no {PACKAGE.marker}")
    try:
        document = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{marker} cannot be read as JSON: {getattr(exc, 'strerror', None) or exc}") from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("format") != PACKAGE.format_id or not isinstance(files, list):
        raise InputError(f"{marker} is not a trialforge package manifest (format {PACKAGE.format_id} "
                         f"with a list of files)")
    problems = [Problem(str(marker), f"files[{n}]: {entry!r} is not a path inside the package with a sha256")
                for n, entry in enumerate(files) if _entry_path(entry) is None]
    if problems:
        raise InputError(f"{marker} has file entries that cannot be checked", problems[:20])
    return document


def compare_files(folder: Path, recorded: list[dict[str, Any]], ignore: set[str] = frozenset(),
                  actual: list[dict[str, Any]] | None = None) -> Check:
    """Hash `folder` again and compare with `recorded` ({"path", "sha256"} entries)."""
    check = Check()
    expected = {_entry_path(entry): entry["sha256"] for entry in recorded}
    if actual is None:
        actual = [{"path": p.relative_to(folder).as_posix(), **file_entry(p)}
                  for p in sorted(Path(folder).rglob("*")) if p.is_file()]
    found = {entry["path"]: entry["sha256"] for entry in actual if entry["path"] not in ignore}
    for path, digest in sorted(expected.items()):
        if path not in found:
            check.removed.append(path)
        elif found[path] != digest:
            check.changed.append((path, found[path], digest))
    check.added = sorted(set(found) - set(expected))
    check.checked = len(expected)
    return check


def verify_package(package: Path) -> Check:
    manifest = read_manifest(package)
    return compare_files(Path(package), manifest["files"], ignore={PACKAGE.marker})


def verify_study(package: Path, study: Path) -> Check:
    """The raw files of `study` against the manifest's inputs; an InputError when it recorded none."""
    manifest = read_manifest(package)
    recorded = ((manifest.get("inputs") or {}).get("study") or {}).get("files")
    if not isinstance(recorded, list) or any(_entry_path(e) is None for e in recorded):
        raise InputError(f"{Path(package) / PACKAGE.marker} records no raw input files (built by an older "
                         f"trialforge?); --study cannot be checked")
    if not Path(study).is_dir():
        raise InputError(f"--study {study}: not a folder of raw extracts")
    return compare_files(Path(study), recorded, actual=study_files(Path(study)))


def report(package: Path, study: Path | None = None) -> tuple[list[str], bool]:
    """The lines `trialforge verify` prints, and whether everything matched."""
    check = verify_package(package)
    lines = check.lines()
    clean = check.clean
    if clean:
        lines.append(f"package verified: {check.checked} files match {PACKAGE.marker}")
    else:
        lines.append(f"package NOT verified: {len(check.changed)} changed, {len(check.added)} added, "
                     f"{len(check.removed)} removed of {check.checked} files in {PACKAGE.marker}")
    if study is None:
        lines.append("inputs not re-checked (raw files, specs, parameters are outside the package); "
                     "give --study DIR to re-hash the raw files against the manifest's inputs")
    else:
        inputs = verify_study(package, study)
        lines += inputs.lines("input ")
        lines.append(f"raw inputs verified: {inputs.checked} files" if inputs.clean else
                     f"raw inputs differ: {len(inputs.changed)} changed, {len(inputs.added)} added, "
                     f"{len(inputs.removed)} removed of {inputs.checked} files")
        clean = clean and inputs.clean
    return lines, clean


def _entry_path(entry: Any) -> str | None:
    """The entry's relative path, or None when it is malformed or would point outside the folder."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not isinstance(entry.get("sha256"), str):
        return None
    path = PurePosixPath(entry["path"])
    if not entry["path"] or path.is_absolute() or ".." in path.parts or "\\" in entry["path"]:
        return None
    return path.as_posix()
