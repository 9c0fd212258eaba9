"""Work forked off the build to run beside the stages that follow (a build has two cores to use).

A `BackgroundJob` runs a function in a forked child. The child hands results back by name as soon as
each is ready (`send`), and may wait for a message from the build (`receive`). Nothing depends on the
child for correctness: a result the child did not deliver (it failed, was killed, never started) is
MISSING, and whoever asked computes it in the build process itself, so an error surfaces from the same
stage, with the same message and exit code, as in a build without the child.

The child never writes to the console: its log records travel with its results and are logged by the
build when it takes them, so the console reads as it would without the child. It dies with the build
process (PR_SET_PDEATHSIG on Linux, else a watcher thread) and `stop()` kills it when the build ends,
whatever ends it (an error, SIGTERM), before the staging folder is removed.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, Pipe
from typing import Any

log = logging.getLogger(__name__)

MISSING = object()  # what `BackgroundJob.receive` returns for a result the child did not deliver


def can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(os, "register_at_fork")


class BackgroundJob:
    """`work(channel)` in a forked child; the build talks to it by named messages. `offers`: the results
    the child may send (asking for another is MISSING at once, never a wait for what will not come)."""

    def __init__(self, name: str, work: Callable[["Channel"], None], offers: Iterable[str],
                 drain: bool = False) -> None:
        """`drain`: a thread of the build takes each result as soon as it is sent, so a child with more
        to do after a large result is not held up (a pipe holds 64 KB) while the build is busy."""
        self.name = name
        self.offers = frozenset(offers)
        self._inbox: dict[str, tuple[Any, list[logging.LogRecord]]] = {}
        self._ended = False
        parent_end, child_end = Pipe(duplex=True)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            parent_end.close()
            _run_child(work, Channel(child_end), parent)
        child_end.close()
        self.pid = pid
        self._connection = parent_end
        self._drained: threading.Condition | None = None
        self._drainer: threading.Thread | None = None
        if drain:
            self._drained = threading.Condition()
            self._drainer = threading.Thread(target=self._drain, name=f"trialforge-{name}", daemon=True)
            self._drainer.start()

    def _drain(self) -> None:
        while True:
            try:
                sent_key, value, records = self._connection.recv()
            except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # ended, died, or stopped
                with self._drained:
                    self._ended = True
                    self._drained.notify_all()
                return
            with self._drained:
                self._inbox[sent_key] = (value, records)
                self._drained.notify_all()

    def receive(self, key: str) -> Any:
        """The child's result `key`, waiting for it; MISSING when the child ended without sending it. The
        log records the child made while producing it are logged now."""
        if key not in self.offers:
            return MISSING
        if self._drained is not None:
            with self._drained:
                self._drained.wait_for(lambda: key in self._inbox or self._ended)
        while key not in self._inbox and not self._ended:
            try:
                sent_key, value, records = self._connection.recv()
            except (EOFError, OSError, pickle.UnpicklingError):  # the child has ended (or died mid-message)
                self._end()
                break
            self._inbox[sent_key] = (value, records)
        if key not in self._inbox:
            return MISSING
        value, records = self._inbox.pop(key)
        log_records(records)
        return value

    def send(self, key: str, value: Any) -> None:
        """A message for the child's `Channel.receive(key)`; lost, harmlessly, when the child has ended."""
        if self._ended:
            return
        try:
            self._connection.send((key, value))
        except (OSError, ValueError):  # the child has ended; whoever waits for its result will compute it
            pass

    def stop(self) -> None:
        """Kill the child if it still runs and reap it."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self._drainer is not None:  # the child's end is closed now: the thread reads EOF and ends
                self._drainer.join(timeout=10)
            self._end()

    def _end(self) -> None:
        self._ended = True
        self._connection.close()
        if self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0


def log_records(records: Iterable[logging.LogRecord]) -> None:
    """Log records made elsewhere (a child, or kept aside) as if they were made here, now."""
    for record in records:
        logging.getLogger(record.name).handle(record)


class Channel:
    """The child's side: `send` a named result (with the log records made since the last one), `receive`
    a named message from the build."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._inbox: dict[str, Any] = {}
        self.records: list[logging.LogRecord] = []

    def send(self, key: str, value: Any) -> None:
        records, self.records = self.records, []
        self._connection.send((key, value, [_portable(r) for r in records]))

    def has(self, key: str) -> bool:
        """True when the build's message `key` has come (it stays for `receive`), or the build has gone (then
        `receive` raises EOFError); never waits."""
        try:
            while key not in self._inbox and self._connection.poll(0):
                sent_key, value = self._connection.recv()
                self._inbox[sent_key] = value
        except (EOFError, OSError):
            return True
        return key in self._inbox

    def receive(self, key: str) -> Any:
        """Wait for the build's message `key`; EOFError when the build has gone."""
        while key not in self._inbox:
            sent_key, value = self._connection.recv()
            self._inbox[sent_key] = value
        return self._inbox.pop(key)


def _run_child(work: Callable[[Channel], None], channel: Channel, parent: int) -> None:
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the build's handler would unwind the build's own work
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which then stops the child
        _die_with(parent)
        _capture_logs(channel)
        work(channel)
        code = 0
    except BaseException:  # noqa: BLE001 - nothing to report: the build computes what was not delivered
        pass
    finally:
        os._exit(code)  # no atexit handlers, no flush of stdio buffers inherited from the build


class _Capture(logging.Handler):
    def __init__(self, channel: Channel) -> None:
        super().__init__(logging.NOTSET)
        self.channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        self.channel.records.append(record)


def _capture_logs(channel: Channel) -> None:
    """Every record that reaches the root logger's handlers is kept for the build, none is written."""
    root = logging.getLogger()
    root.handlers = [_Capture(channel)]
    for logger in logging.Logger.manager.loggerDict.values():  # a library's own handlers write too
        if isinstance(logger, logging.Logger) and logger.handlers:
            logger.handlers = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]


def _portable(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message formatted (its arguments may not pickle) and no traceback object."""
    record.msg, record.args = record.getMessage(), None
    if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    return record


def _die_with(parent: int) -> None:
    """End this process when the build process ends, even by SIGKILL (then no `stop()` runs)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
                if os.getppid() != parent:  # the build died before the request took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.05)
        os._exit(1)

    threading.Thread(target=watch, name="trialforge-parent-watch", daemon=True).start()
