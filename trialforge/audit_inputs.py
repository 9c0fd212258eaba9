"""The `inputs` section of a package's manifest: what went into the build, each file by SHA-256.

Raw files (every file of the study folder, flagged when the build read it), the spec workbooks and the
files beside them the build read (raw-data expectation suite), parameter files, the bundled CDISC CT,
the study parameters, tool and library versions and the command line. Paths are relative to the study
folder or are file names only: the same inputs from another checkout, machine or temporary folder give
the same manifest (SOURCE_DATE_EPOCH builds stay byte-identical).
"""

from __future__ import annotations

import argparse
import hashlib
import platform
from importlib import metadata, resources
from pathlib import Path
from typing import Any

LIBRARIES = ("numpy", "pandas", "pyarrow", "pyreadstat", "lxml", "openpyxl", "jinja2", "great-expectations",
             "pyyaml")
_INPUT_FILES = ("sdtm_spec", "adam_spec", "base_param_file", "param_file", "stylesheet", "schema")
PACKAGE_PLACEHOLDER = "<package>"  # --out in the recorded command line: the package itself


def file_entry(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def study_files(study_dir: Path, read: set[str] = frozenset()) -> list[dict[str, Any]]:
    """Every file under the study folder by its path inside it, SHA-256 and size; `read` marks those read."""
    entries = []
    for path in sorted(p for p in Path(study_dir).rglob("*") if p.is_file()):
        name = path.relative_to(study_dir).as_posix()
        entries.append({"path": name, **file_entry(path), "read": name in read})
    return entries


def describe_inputs(ctx) -> dict[str, Any]:
    """The manifest's `inputs` for a finished build (`ctx` is the pipeline's BuildContext)."""
    from specs.terminology import CT_VERSION, PACKAGES

    options = ctx.options
    read_log = ctx.stage_logs.get("read-raw", {})
    read = {form["file"] for form in read_log.get("forms", {}).values()}
    files = []
    for role in _INPUT_FILES:
        if options.get(role) and Path(options[role]).is_file():
            files.append({"role": role, "name": Path(options[role]).name, **file_entry(Path(options[role]))})
    suite = _raw_suite(ctx)
    if suite is not None:
        files.append({"role": "raw_expectations", "name": suite.name, **file_entry(suite)})
    resolved = ctx.stage_logs.get("load-specs", {}).get("adam_parameters", {})
    return {
        "study": {"folder": ctx.study_dir.name, "files": study_files(ctx.study_dir, read)},
        "files": files,
        "parameters": {"overrides": list(options.get("params") or []),
                       "resolved": {k: v.get("value") if isinstance(v, dict) else v for k, v in resolved.items()}},
        "controlled_terminology": {"version": CT_VERSION, "files": [
            {"name": name, **file_entry(Path(str(resources.files("specs.ct") / name)))}
            for name in PACKAGES.values()]},
        "software": software_versions(),
        "command_line": list(options.get("command_line") or []),
    }


def software_versions() -> dict[str, str]:
    from trialforge import __version__

    versions = {"trialforge": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def shown_command_line(argv: list[str], args: argparse.Namespace) -> list[str]:
    """`argv` with every path argument reduced to its file name and --out to a placeholder, so the record
    names no temporary or user-specific folder."""
    out = getattr(args, "out", None)
    paths = {str(v): v.name for v in vars(args).values() if isinstance(v, Path)}
    if out is not None:
        paths[str(out)] = PACKAGE_PLACEHOLDER
    shown = []
    for token in argv:
        option, equals, value = token.partition("=")
        if token in paths:
            shown.append(paths[token])
        elif equals and option.startswith("--") and value in paths:
            shown.append(f"{option}={paths[value]}")
        else:
            shown.append(token)
    return shown


def _raw_suite(ctx) -> Path | None:
    spec = ctx.artifacts.get("sdtm_spec")
    name = getattr(getattr(spec, "study", None), "raw_expectations", None)
    path = Path(spec.source).parent / name if name else None
    return path if path is not None and path.is_file() else None
