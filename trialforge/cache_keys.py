"""The cache keys of a build: for each stage, the SHA-256 of everything it reads.

Conservative on purpose (a stale output is the worst defect a cache can have; a miss only costs time):
every key holds the tool's own code and data by content (every file of its packages, so an edited checkout
with an unchanged version number still misses), the Python and library versions, the build clock
(SOURCE_DATE_EPOCH, or without it the UTC date: the SDTM stage flags dates after the build date, and files
carry the day they were written), the stages of the run, and every option (with the content of a file it
names) but those only some stages read, which the keys of those stages hold. Then per stage:

  load-specs   the SDTM spec workbook; the ADaM spec, parameter files, --param and --adam-datasets
  read-raw     the SDTM spec, every file of the study folder by path and content, the raw-data suite
  sdtm         read-raw's key                    write-sdtm  sdtm's key
  adam         sdtm's key and the ADaM side of load-specs   write-adam  adam's key
  define       write-sdtm's and write-adam's keys, --format, --stylesheet, --schema, --arm-in-define
  validate     define's (or the write stages') keys, read-raw's key (raw-data findings), --fail-on

SDTM's keys do not hold the ADaM inputs, so a new --param recomputes ADaM, define.xml and validation only.
A raw form feeds every SDTM domain (DM's reference dates and SE's elements reach every domain's study days
and epochs, and DM, SE, SV and TS are settled from all domains), so a changed form recomputes the SDTM
stage whole, and what follows it.
"""

from __future__ import annotations

import importlib.util
import os
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

from trialforge.cache import digest, sha256_file

PACKAGES = ("specs", "formats", "sdtm", "adam", "define_xml", "validation", "trialforge")
_ADAM_FILES = ("adam_spec", "base_param_file", "param_file")
# Options only some stages read (their keys name them); every other option, one added later included,
# is in every key: an option the cache does not know of can only cost a miss, never a stale output.
_SCOPED = {*_ADAM_FILES, "params", "adam_datasets", "formats", "stylesheet", "schema", "arm_in_define", "fail_on",
           # read by no stage: the build log and manifest record them, written after every stage (the study
           # folder --example generates is keyed by its files)
           "command_line", "example_subjects", "example_seed"}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Every file of trialforge's packages (code, bundled CT, rules, templates) by path and content."""
    entries = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        for root in spec.submodule_search_locations or () if spec else ():
            for path in sorted(Path(root).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                    entries.append((name, path.relative_to(root).as_posix(), sha256_file(path)))
    return digest(entries)


def clock_token() -> str:
    """What of the build clock reaches the outputs: SOURCE_DATE_EPOCH, or the UTC date of a wall-clock build."""
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return f"epoch:{epoch}" if epoch else f"wall-clock day:{datetime.now(timezone.utc).date().isoformat()}"


def base_key(stages: list[str], options: dict[str, Any]) -> str:
    from trialforge.audit_inputs import software_versions

    unscoped = {k: _value_key(v) for k, v in sorted(options.items()) if k not in _SCOPED}
    return digest("trialforge build cache 1", code_fingerprint(), software_versions(), platform.python_version(),
                  clock_token(), list(stages), unscoped)


def _value_key(value: Any) -> Any:
    """An option's value; one that names a file, with the file's content."""
    if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
        return file_key(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def file_key(path: str | Path | None) -> Any:
    """A named input file by its path as given, where it is, and its content (None when not given): the
    build log quotes a parameter file as given, and a spec's problems and the files beside it (its raw-data
    suite) by its folder."""
    if not path:
        return None
    resolved = Path(path).expanduser().resolve()
    return [str(path), str(resolved), sha256_file(resolved) if resolved.is_file() else "not a file"]


def folder_key(folder: Path) -> list:
    """Every file under `folder` by its path inside it and its content."""
    folder = Path(folder)
    return [[p.relative_to(folder).as_posix(), sha256_file(p)] for p in sorted(folder.rglob("*")) if p.is_file()]


def adam_side(options: dict[str, Any]) -> list:
    return [[file_key(options.get(k)) for k in _ADAM_FILES], list(options.get("params") or []),
            options.get("adam_datasets")]


def stage_key(name: str, ctx, keys: dict[str, str | None], base: str) -> str | None:
    """The key of stage `name` in the build `ctx` (keys: those of the stages before it); None: not cached."""
    options = ctx.options
    sdtm_spec = file_key(options.get("sdtm_spec"))
    if name == "load-specs":
        return digest(base, name, sdtm_spec, adam_side(options))
    if name == "read-raw":
        from trialforge.stages import raw_expectation_suite

        if options.get("raw_data_docs") and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
            return None  # great-expectations' data docs carry their run's times and ids
        suite = raw_expectation_suite(ctx.artifacts["sdtm_spec"])
        return digest(base, name, sdtm_spec, ctx.study_dir.name, folder_key(ctx.study_dir), file_key(suite),
                      bool(options.get("raw_data_docs")))
    upstream = {"sdtm": ["read-raw"], "write-sdtm": ["sdtm"], "adam": ["sdtm"], "write-adam": ["adam"],
                "define": ["write-sdtm", "write-adam"], "validate": ["define", "write-sdtm", "write-adam", "read-raw"]}
    if name not in upstream:
        return None  # a stage this module does not know: always run
    before = [keys.get(stage) for stage in upstream[name]]
    if any(stage in ctx.stage_names and keys.get(stage) is None for stage in upstream[name]):
        return None  # an upstream stage was not cached: nothing to key this one by
    extra: list[Any] = []
    if name == "adam":
        extra = [adam_side(options)]
    elif name == "define":
        extra = [list(options.get("formats") or ()), file_key(options.get("stylesheet")),
                 file_key(options.get("schema")), bool(options.get("arm_in_define")), adam_side(options)]
    elif name == "validate":
        extra = [options.get("fail_on"), adam_side(options)]
    return digest(base, name, before, extra)


def package_key(options: dict[str, Any], study: Path | None, example: tuple | None) -> str:
    """The key of a whole build, computed before anything is read or generated: the package at --out is up
    to date when it was built with this key (and the extra inputs recorded with it are unchanged)."""
    named = {k: file_key(options.get(k)) for k in ("sdtm_spec", "stylesheet", "schema")}
    study_part = ["example", *example] if example else [Path(study).name, folder_key(Path(study))]
    plain = {k: v for k, v in sorted(options.items()) if k not in {"sdtm_spec", "stylesheet", "schema", *_ADAM_FILES}}
    return digest(base_key(list(options.get("stages") or []), options), "package", named, adam_side(options),
                  {k: _value_key(v) if not isinstance(v, (list, tuple)) else list(v) for k, v in plain.items()},
                  study_part)


def all_keys(ctx) -> dict[str, str | None]:
    """Every stage's key, once the specs are loaded (each depends on inputs only, never on another stage's
    output), into `ctx.cache_keys`."""
    base = ctx.cache_keys.setdefault("", base_key(list(ctx.stage_names), ctx.options))
    for name in ctx.stage_names:
        if name not in ctx.cache_keys:
            ctx.cache_keys[name] = stage_key(name, ctx, ctx.cache_keys, base)
    return ctx.cache_keys
