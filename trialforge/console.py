"""What a person sees on stderr: log lines and, on a terminal, a status line while a long stage runs.

Only the CLI calls this (DESIGN convention 8: only the CLI configures logging). Levels:

- default: trialforge's own lines at INFO (one per stage, with its counts), everything else, our library
  packages and third-party libraries (great-expectations, openpyxl, ...) alike, at WARNING;
- `-q`: warnings and errors only; `-v`: everything at DEBUG, third-party libraries included.

When stderr is a terminal and the CI variable is not set, a running stage shows one status line that
updates in place ("[3/8] sdtm: map the raw forms ... 12 s"); log lines printed meanwhile clear it first.
Otherwise (a pipe, a file, CI=true) only plain lines are written: no carriage returns, no escape codes.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from typing import TextIO

OWN_LOGGER = "trialforge"
FORMAT = "%(levelname)s %(message)s"
_TICK_SECONDS = 0.5


def configure_logging(verbose: bool, quiet: bool, stream: TextIO | None = None) -> "_ConsoleHandler":
    """Send log records to stderr at the levels above; returns the handler (the status line draws through it)."""
    stream = stream or sys.stderr
    handler = _ConsoleHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler], force=True)
    logging.getLogger(OWN_LOGGER).setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    return handler


def live_display_wanted(stream: TextIO, quiet: bool) -> bool:
    """A status line only for a person at a terminal: not with -q, not in CI, not into a pipe or file."""
    ci = os.environ.get("CI", "").strip().lower()
    if quiet or (ci and ci not in ("0", "false", "no")) or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _ConsoleHandler(logging.StreamHandler):
    """A stream handler that clears the status line (if any) before a log line and redraws it after."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.status: StatusLine | None = None

    def emit(self, record: logging.LogRecord) -> None:
        status = self.status
        if status is None:
            super().emit(record)
            return
        with status.lock:
            status.clear()
            super().emit(record)
            status.draw()


class StatusLine:
    """One line at the bottom of a terminal, rewritten in place with the elapsed time of the running stage."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self.text = ""
        self.started = 0.0
        self.shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if hasattr(os, "register_at_fork"):  # a forked worker (validation rules) never draws, never waits
            os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.lock = threading.RLock()
        self.text, self.shown, self._thread = "", False, None

    def start(self, text: str) -> None:
        with self.lock:
            self.text, self.started = text, time.monotonic()
            self.draw()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._tick, name="trialforge-status", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self.lock:
            self.clear()
            self.text = ""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def draw(self) -> None:
        if not self.text:
            return
        width = max(20, shutil.get_terminal_size((80, 20)).columns - 1)
        line = f"{self.text} {time.monotonic() - self.started:.0f} s"
        self.stream.write("\r\x1b[K" + line[:width])  # never wider than the terminal: a wrap cannot be erased
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def _tick(self) -> None:
        while not self._stop.wait(_TICK_SECONDS):
            with self.lock:
                self.draw()


class StageProgress:
    """The build's progress callback: one INFO line per finished stage with its counts and time, and on a
    terminal a status line while it runs. Call `close()` when the build ends, however it ends."""

    def __init__(self, log: logging.Logger, handler: _ConsoleHandler | None, live: bool) -> None:
        self.log = log
        self.handler = handler
        self.status = StatusLine(handler.stream) if live and handler is not None else None
        if self.status is not None:
            handler.status = self.status

    def __call__(self, number: int, total: int, stage, seconds: float | None, summary: str = "") -> None:
        if seconds is None:
            self.log.debug("[%d/%d] %s: %s ...", number, total, stage.name, stage.description)
            if self.status is not None:
                self.status.start(f"[{number}/{total}] {stage.name}: {stage.description} ...")
            return
        if self.status is not None:
            self.status.stop()
        self.log.info("[%d/%d] %s: %s (%.1f s)", number, total, stage.name, summary or "done", seconds)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            if self.handler is not None:
                self.handler.status = None
