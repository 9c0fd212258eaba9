"""Independent pieces of one stage's work on two cores: writing each dataset's file, for one; and work run
beside a stage until it asks for the result (`beside_the_build`).

`in_two(names, cost, work)` runs `work(name)` for each name, the build process and one forked worker each
taking a share (the costliest first, each to whichever share is lighter so far). The worker sends each
result back as soon as it has it (trialforge.background), so results must be small (counts, problems,
never frames). Results, log records and the first error come out as running the names in order in this
process would give them: the build keeps its own share's log records and logs every name's in order; a
name the worker did not deliver (it failed, was killed, could not start) is done here when its turn comes,
so its error surfaces with the same message and exit code. TRIALFORGE_WORKERS=1, one CPU or no fork: all
in this process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sdtm.parallel import kept_logs, workers
from trialforge.background import MISSING, BackgroundJob, Channel, can_fork, log_records

R = TypeVar("R")


def in_two(names: Sequence[str], cost: Callable[[str], float], work: Callable[[str], R]) -> dict[str, R]:
    """{name: work(name)} in the order of `names`, on two cores when there are two and two names."""
    names = list(dict.fromkeys(names))
    if len(names) < 2 or workers() < 2 or not can_fork():
        return {name: work(name) for name in names}
    mine, theirs = _shares(names, cost)

    def worker(channel: Channel) -> None:
        for name in theirs:
            channel.send(name, work(name))

    job = BackgroundJob("two-cores", worker, offers=theirs, drain=True)  # its results taken while this one works
    try:
        done: dict[str, tuple[Any, list[logging.LogRecord]]] = {}
        failed: tuple[str, BaseException, list[logging.LogRecord]] | None = None
        for name in mine:
            records: list[logging.LogRecord] = []
            try:
                with kept_logs(records):
                    done[name] = (work(name), records)
            except Exception as error:  # noqa: BLE001 - raised when its turn comes, after the names before it
                failed = (name, error, records)
                break
        results: dict[str, R] = {}
        for name in names:
            if failed is not None and name == failed[0]:
                log_records(failed[2])  # what it logged before failing, in its place
                raise failed[1]
            if name in done:
                result, records = done.pop(name)
                log_records(records)
            elif name in mine:  # after the failure: not reached in order either
                break
            else:
                result = job.receive(name)  # logs the worker's records for it
                if result is MISSING:
                    result = work(name)
            results[name] = result
        return results
    finally:
        job.stop()


@contextmanager
def beside_the_build() -> Iterator[Callable[[Callable[[], R]], Callable[[], R]]]:
    """`start(work)` forks `work` (a function of nothing) off to run now and returns what gives its result when
    asked: the child's if it delivered, else `work()` run then, here (so its error surfaces as without the
    child). Its log records are logged when the result is taken. One process (TRIALFORGE_WORKERS=1, one CPU,
    no fork): `work` runs when the result is asked for. Every child is stopped when the block ends."""
    jobs: list[BackgroundJob] = []

    def start(work: Callable[[], R]) -> Callable[[], R]:
        if workers() < 2 or not can_fork():
            return work
        job = BackgroundJob("beside", lambda channel: channel.send("result", work()), offers=["result"], drain=True)
        jobs.append(job)

        def result() -> R:
            found = job.receive("result")
            job.stop()
            return work() if found is MISSING else found

        return result

    try:
        yield start
    finally:
        for job in jobs:
            job.stop()


def _shares(names: list[str], cost: Callable[[str], float]) -> tuple[list[str], list[str]]:
    """(this process's names, the worker's), each in the order of `names`: costliest first, each to the
    lighter share; the costliest stays here (its result needs no sending)."""
    load = [0.0, 0.0]
    share: dict[str, int] = {}
    for name in sorted(names, key=lambda n: -cost(n)):
        side = 0 if not share else min((0, 1), key=lambda s: load[s])
        share[name] = side
        load[side] += cost(name)
    return [n for n in names if share[n] == 0], [n for n in names if share[n] == 1]
