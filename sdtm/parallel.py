"""The domains mapped after DM and SE, on two cores: the build and one forked worker take them in turn.

Every domain of the `rest` list (sdtm.study) reads the spec, the raw forms and the domains built before it
(DM, SE, SV...), which both processes hold once the worker is forked; none of them reads another, except
where the spec says so (`_reads`): those stay with the build, in spec order. The others are claimed, most
costly first, from a pipe both processes read one byte (a domain) at a time, so no lock can be left held
by a killed worker. The worker sends its mapped frames, findings and log records back when it is done;
the build then sets them in spec order, so domains, findings and log records come out as a build in one
process makes them.

What each domain read is recorded (`_Watched`): a domain that read one the other process had built (or
had not) is a plan gone wrong. Then, and when the worker fails, is killed or a domain fails, the build
maps every domain of the list again in one process from where it started: an error surfaces exactly as it
would without the worker (same exception, message and exit code), only later.
TRIALFORGE_WORKERS=1 (or no fork, or one CPU) maps in one process from the start.
"""

from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe

from sdtm.engine import DomainContext, DomainResult

log = logging.getLogger(__name__)

ALL = "*"  # a domain read every built domain (reference_date domain=*)
# Domains a step reads whatever its arguments say (sdtm.steps); arguments add the domains they name.
STEP_READS = {"study_day": {"DM"}, "epoch": {"SE", "SV"}, "armcd": {"EX"}, "dthfl": {"DS", "AE"}}
_NAME = re.compile(r"\*|[A-Za-z][A-Za-z0-9]*")


@dataclass
class Mapped:
    name: str
    result: DomainResult
    findings: list
    records: list[logging.LogRecord]
    touched: frozenset[str]  # the domain names it looked up
    present: tuple[str, ...]  # the domains built when it started, in the order they were built


class Fallback(Exception):
    """The two-process mapping cannot give the one-process result: map in one process."""


def map_domains(names: list[str], ctx: DomainContext, map_one: Callable[[str], DomainResult]) -> list[DomainResult]:
    """`map_one(name)` (which sets ctx.domains[name]) for each name, on two cores when it pays, with
    ctx.domains, ctx.findings and the log as mapping them in order in this process leaves them."""
    pinned, free = plan(names, ctx)
    if not 2 <= len(free) < 256 or workers() < 2:  # a claim is one byte
        return [map_one(name) for name in names]
    start = (dict(ctx.domains), dict(ctx.lookups), len(ctx.findings))
    try:
        mapped = _map_in_two(pinned, free, ctx, map_one)
        return _settle(names, mapped, ctx, start)
    except Fallback as why:
        log.debug("mapping %s in one process: %s", ", ".join(names), why)
        ctx.domains, ctx.lookups = dict(start[0]), start[1]
        del ctx.findings[start[2]:]
        return [map_one(name) for name in names]


def workers() -> int:
    """2 where a second CPU and fork exist, unless TRIALFORGE_WORKERS says 1."""
    setting = os.environ.get("TRIALFORGE_WORKERS", "").strip()
    if setting and (not setting.isdigit() or int(setting) < 2):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cpus > 1 and hasattr(os, "fork") else 1


def plan(names: list[str], ctx: DomainContext) -> tuple[list[str], list[str]]:
    """(the domains the build maps in spec order, the domains either process may take, most costly first).
    A domain reading another of `names`, and that other, are pinned; so is every domain whose visit step
    defines the visits when no domain has yet (the first to run it defines them for the rest)."""
    known = {d.name for d in ctx.spec.datasets}
    reads = {name: _reads(name, ctx.spec, known) for name in names}
    if any(ALL in r for r in reads.values()):
        return list(names), []
    pinned = {n for n in names if reads[n] & set(names)} | {m for r in reads.values() for m in r if m in names}
    if "visits" not in ctx.lookups:
        pinned |= {n for n in names if any(r.argument("function") == "visit" for r in ctx.spec.mappings_of(n))}
    free = sorted((n for n in names if n not in pinned), key=lambda n: -_cost(n, ctx))
    return [n for n in names if n in pinned], free


def _reads(name: str, spec, known: set[str]) -> set[str]:
    """The domains a domain's derive rows read: the step's own, and every domain name in an argument."""
    reads: set[str] = set()
    for row in spec.mappings_of(name):
        if row.algorithm != "derive":
            continue
        reads |= STEP_READS.get(row.argument("function"), set())
        for key, value in row.arguments:
            if key != "function":
                reads |= {t.upper() for t in _NAME.findall(str(value)) if t == ALL or t.upper() in known}
    return reads - {name}


def _cost(name: str, ctx: DomainContext) -> int:
    """A domain's mapping time grows with its Mapping rows times the raw records they read."""
    rows = ctx.spec.mappings_of(name)
    forms = {r.source_form for r in rows if r.source_form in ctx.raw}
    return len(rows) * (1 + sum(len(ctx.raw[f]) for f in forms))


def _map_in_two(pinned: list[str], free: list[str], ctx: DomainContext,
                map_one: Callable[[str], DomainResult]) -> dict[str, Mapped]:
    claims, fill = os.pipe()
    os.write(fill, bytes(range(len(free))))
    os.close(fill)
    mine = [_claim(claims, free)]  # the most costly stays here: nothing to send back
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        receiver.close()
        _work(sender, lambda: _claim(claims, free), ctx, map_one)
    sender.close()
    mapped: dict[str, Mapped] = {}
    watched, ctx.domains = ctx.domains, _Watched(ctx.domains)
    try:
        for name in _taken(mine + pinned, lambda: _claim(claims, free)):
            mapped[name] = _mapped(name, ctx, map_one)
        mapped.update(_received(receiver))
        status, pid = os.waitpid(pid, 0)[1], 0
        if status:
            raise Fallback(f"the mapping worker ended with status {status}")
        return mapped
    except Exception as error:  # noqa: BLE001 - mapped again in one process, which raises it as it would
        raise Fallback(f"{type(error).__name__}: {error}") from None
    finally:
        ctx.domains = watched  # _settle sets the domains in spec order
        receiver.close()
        os.close(claims)
        if pid:
            _kill(pid)


def _taken(first: list[str], claim: Callable[[], str | None]) -> Iterator[str]:
    yield from (n for n in first if n is not None)
    while (name := claim()) is not None:
        yield name


def _claim(claims: int, free: list[str]) -> str | None:
    taken = os.read(claims, 1)  # one byte: atomic between the two processes
    return free[taken[0]] if taken else None


def _mapped(name: str, ctx: DomainContext, map_one: Callable[[str], DomainResult]) -> Mapped:
    """One domain mapped with its findings and log records kept apart (logged later, in spec order)."""
    before = len(ctx.findings)
    present = tuple(dict.keys(ctx.domains))
    ctx.domains.touched = set()
    records: list[logging.LogRecord] = []
    with kept_logs(records):
        result = map_one(name)
    return Mapped(name, result, ctx.findings[before:], records, frozenset(ctx.domains.touched), present)


def _work(sender: Connection, claim: Callable[[], str | None], ctx: DomainContext,
          map_one: Callable[[str], DomainResult]) -> None:
    """The worker: map what it claims, send it all back, end without running the build's exit code."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the build's handler would unwind the build's own work
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which then kills the worker
        ctx.domains = _Watched(ctx.domains)
        done = [_mapped(name, ctx, map_one) for name in _taken([], claim)]
        for item in done:  # a record's arguments may not pickle: its message goes formatted
            item.records = [logging.makeLogRecord({**vars(r), "msg": r.getMessage(), "args": None, "exc_info": None})
                            for r in item.records]
            sender.send(item)
        sender.send(None)
        code = 0
    except BaseException:  # noqa: BLE001 - the build maps everything again in one process and reports it
        pass
    finally:
        os._exit(code)  # no atexit handlers, no flush of stdio buffers inherited from the build


def _received(receiver: Connection) -> dict[str, Mapped]:
    mapped = {}
    while (item := receiver.recv()) is not None:  # EOFError: the worker died
        mapped[item.name] = item
    return mapped


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _settle(names: list[str], mapped: dict[str, Mapped], ctx: DomainContext, start) -> list[DomainResult]:
    """The mapped domains, findings and log records in spec order, as one process makes them; Fallback
    when a domain looked up one whose presence differed from that order."""
    built = list(start[0])
    for name in names:
        item = mapped.get(name)
        if item is None:
            raise Fallback(f"{name} was not mapped")
        expected = tuple(built)
        differ = set(expected) ^ set(item.present)
        if item.touched & differ or (ALL in item.touched and expected != item.present):
            raise Fallback(f"{name} read {sorted(item.touched & differ) or 'every domain'}, which it would not "
                           f"have seen so in spec order")
        built.append(name)
    ctx.domains = {**start[0], **{name: mapped[name].result.frame for name in names}}
    ctx.findings[start[2]:] = [f for name in names for f in mapped[name].findings]
    for name in names:
        for record in mapped[name].records:
            logging.getLogger(record.name).handle(record)
    return [mapped[name].result for name in names]


class _Watched(dict):
    """ctx.domains noting each name looked up (iterating: every domain)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.touched: set = set()

    def __getitem__(self, key):
        self.touched.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.touched.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.touched.add(key)
        return super().__contains__(key)

    def _every(method):  # noqa: N805 - a decorator used in the class body
        def every(self):
            self.touched.add(ALL)
            return method(self)
        return every

    __iter__, keys, items, values = _every(dict.__iter__), _every(dict.keys), _every(dict.items), _every(dict.values)


@contextmanager
def kept_logs(records: list[logging.LogRecord]):
    """Log records reaching the root logger's handlers are kept in `records`, not written."""
    root = logging.getLogger()
    handlers, root.handlers = root.handlers, [_Keep(records)]
    try:
        yield
    finally:
        root.handlers = handlers


class _Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.NOTSET)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

