"""Validation work done ahead of the run: a folder and the rules read, and the rules that only need that
folder run, before the other datasets exist (the build does this for SDTM in a forked job while it
derives ADaM; see trialforge.overlap).

A rule runs ahead only if its outcome cannot depend on what is not there yet: a record- or dataset-level
rule of SDTM alone, scoped by class or domain (not naming datasets). While it runs, everything else is
behind a guard: asking for a dataset or a define.xml entry that is not there, or for anything about
define.xml as a whole, stops the rule (`_Later`) and leaves it to the run. A rule that raises anything
else is left to the run too, so a crashing rule is reported by the run as always.

The run takes an outcome made ahead only when the SDTM datasets it has are exactly the ones the rule saw
(same frames, same standard, class and domain, same order) and its define.xml says the same about every
entry the rule could read; otherwise it runs every rule itself.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from formats.folder import DATA_SUFFIXES, Dataset, load_folder
from validation import ct
from validation.context import Cache
from validation.datasets import classify
from validation.define import Define, read_define
from validation.engine import MAX_DETAILS_PER_RULE, Outcome, _apply_define, _run_rule
from validation.rulebook import Rule, load_rules

log = logging.getLogger(__name__)

AHEAD_STANDARD = "SDTM"


class Preloaded:
    """Folders and the bundled rules read ahead of a run, and the outcomes of the rules run ahead on one
    folder. A folder is used once, and only while its data files are those that were read (names, sizes
    and modification times); otherwise the run reads it again."""

    def __init__(self, folders: list[str | Path] = ()) -> None:
        self.rules: list[Rule] = load_rules()
        ct.preload()
        self._folders: dict[Path, tuple[tuple, dict[str, Dataset]]] = {}
        for folder in folders:
            self.read(folder)
        self._ahead: dict[str, Outcome] = {}
        self._seen: list[tuple[str, str, str, str, int]] = []  # what the rules run ahead targeted
        self._define: Define | None = None
        self._datasets: dict[str, Dataset] = {}  # kept alive: `cache` names their frames by id
        self.cache = Cache()  # the column views the rules run ahead made, for the run to use

    def read(self, folder: str | Path) -> None:
        """Read the datasets of `folder` now, for the run (and `run_ahead`)."""
        path = Path(folder).resolve()
        stamp = data_files_stamp(path)
        self._folders[path] = (stamp, load_folder(path, empty_ok=False))

    def release(self) -> None:
        """Let go of the datasets read ahead and the column views made on them; the outcomes stay, and the run
        reads the folders again (with large data, while a build derives ADaM, their memory counts more than
        reading them once more)."""
        self._folders.clear()
        self._datasets = {}
        self.cache = Cache()

    def take(self, folder: str | Path) -> dict[str, Dataset] | None:
        """The datasets read from `folder`, if it was read ahead and has not changed since; else None."""
        path = Path(folder).resolve()
        entry = self._folders.pop(path, None)
        if entry is None or entry[0] != data_files_stamp(path):
            return None
        return entry[1]

    def run_ahead(self, folder: str | Path, stop: Callable[[], bool] = lambda: False) -> int:
        """Run the rules that can run on `folder` (read ahead) and the define.xml beside it alone, in rule
        order, until `stop()` says the run is wanted; the number of outcomes kept. Without a define.xml
        beside the folder nothing runs (the run's define.xml, whatever it is, would differ)."""
        entry = self._folders.get(Path(folder).resolve())
        define_file = Path(folder) / "define.xml"
        if entry is None or not define_file.is_file():
            return 0
        define = read_define(define_file)
        # copies: the run classifies the datasets it takes itself
        datasets = _apply_define({name: classify(dataclasses.replace(d)) for name, d in entry[1].items()}, define)
        candidates = [d for d in datasets.values() if d.standard == AHEAD_STANDARD]
        self._seen = [_identity(d) for d in candidates]
        self._define, self._datasets = define, datasets
        guarded, guarded_define, cache = _Guarded(datasets), _GuardedDefine(define), self.cache
        for rule in self.rules:
            if stop():
                break
            if not runs_ahead(rule):
                continue
            started = time.perf_counter()
            try:
                findings, status = _run_rule(rule, guarded, guarded_define, cache, MAX_DETAILS_PER_RULE,
                                             candidates=candidates)
            except (_Later, Exception):  # noqa: BLE001 - the run does this rule and reports what it does
                continue
            self._ahead[rule.id] = (findings, status, time.perf_counter() - started)
        log.debug("%d rules run ahead on %s", len(self._ahead), folder)
        return len(self._ahead)

    def outcomes(self, datasets: dict[str, Dataset], define: Define | None, max_details: int) -> dict[str, Outcome]:
        """The outcomes made ahead, if they are what the run on `datasets` and `define` would make; else none."""
        if not self._ahead or max_details != MAX_DETAILS_PER_RULE or define is None or self._define is None:
            return {}
        targets = [_identity(d) for d in datasets.values() if d.standard == AHEAD_STANDARD]
        if targets != self._seen or not _agrees(define, self._define):
            log.debug("the %d rules run ahead saw other datasets or define.xml entries; they run again",
                      len(self._ahead))
            return {}
        log.debug("%d rules were run ahead", len(self._ahead))
        return dict(self._ahead)


def runs_ahead(rule: Rule) -> bool:
    """A rule whose outcome depends only on the SDTM datasets and their define.xml entries."""
    return (rule.level != "study" and rule.families == frozenset({AHEAD_STANDARD})
            and not rule.scope.datasets[0])


def data_files_stamp(folder: Path) -> tuple:
    """What identifies a folder's data files: name, size and modification time of each."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return ()
    return tuple((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries
                 if e.is_file() and e.name.lower().endswith(DATA_SUFFIXES) and not e.name.lower().startswith("define"))


def _identity(dataset: Dataset) -> tuple:
    """The dataset as a rule saw it: its file (path, size, modification time), so that the run may read the
    file again (`Preloaded.release`); a frame without a file by the frame itself."""
    seen = (dataset.name, dataset.standard, dataset.dataset_class, dataset.domain)
    if dataset.file is not None:
        try:
            stat = Path(dataset.file).stat()
            return (*seen, str(Path(dataset.file).resolve()), stat.st_size, stat.st_mtime_ns)
        except OSError:
            pass
    return (*seen, id(dataset.frame))


def _agrees(full: Define, part: Define) -> bool:
    """`full` says what `part` says about every dataset and codelist `part` describes."""
    return (all(full.datasets.get(name) == described for name, described in part.datasets.items())
            and all(full.codelists.get(oid) == codelist for oid, codelist in part.codelists.items()))


class _Later(BaseException):
    """A rule run ahead asked for what is not there yet. A BaseException, so that no `except Exception` in
    an operator can take it for a failure of its own."""


class _Guarded(Mapping):
    """The datasets read ahead; any other name, and the whole collection, are not known yet."""

    def __init__(self, datasets: dict[str, Any]) -> None:
        self._datasets = datasets

    def __getitem__(self, name: str) -> Any:
        if name not in self._datasets:
            raise _Later(f"dataset {name}")
        return self._datasets[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self[name]

    def __contains__(self, name: object) -> bool:
        if name not in self._datasets:
            raise _Later(f"dataset {name}")
        return True

    def __iter__(self) -> Iterator[str]:
        raise _Later("every dataset")

    def __len__(self) -> int:
        raise _Later("every dataset")


class _GuardedDefine:
    """The define.xml read ahead, answering only about its own datasets and codelists (which the run's
    define.xml must describe alike, see `_agrees`)."""

    def __init__(self, define: Define) -> None:
        self.datasets = _Guarded(define.datasets)
        self.codelists = _Guarded(define.codelists)

    def codelist_for(self, dataset: str, variable: str):
        item = self.datasets[dataset].variable(variable)
        return self.codelists[item.codelist] if item and item.codelist else None

    def __getattr__(self, name: str) -> Any:  # path, standards, versions: about the whole file
        raise _Later(f"define.xml {name}")


__all__ = ["Preloaded", "runs_ahead", "data_files_stamp"]
