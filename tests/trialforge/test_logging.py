"""What a person reads on stderr: one line per stage with its counts, no third-party chatter, a status line
only on a terminal outside CI."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trialforge.console import StageProgress, configure_logging, live_display_wanted
from trialforge.pipeline import Stage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_log(tmp_path_factory) -> str:
    """An example build as a nightly job runs it: stderr into a pipe, CI=true."""
    out = tmp_path_factory.mktemp("logged") / "pkg"
    env = {**os.environ, "CI": "true"}
    done = subprocess.run([sys.executable, "-m", "trialforge", "build", "--example", "--subjects", "12",
                           "--out", str(out)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_an_example_build_says_one_line_per_stage_with_its_counts(build_log):
    lines = build_log.splitlines()
    info = [line for line in lines if line.startswith("INFO ")]
    assert len(info) <= 15, build_log
    for number, name in enumerate(("load-specs", "read-raw", "sdtm", "write-sdtm", "adam", "write-adam", "define",
                                   "validate"), start=1):
        stage = [line for line in lines if line.startswith(f"INFO [{number}/8] {name}: ")]
        assert len(stage) == 1, build_log
        assert stage[0].endswith(" s)")
    assert any("domains" in line and "records" in line and "excluded" in line for line in info)
    assert any("raw-data expectations (mesocart_raw.yaml)" in line for line in info)


def test_no_third_party_lines_and_no_carriage_returns_in_ci(build_log):
    assert "great_expectations" not in build_log and "config_provider" not in build_log
    assert "\r" not in build_log and "\x1b" not in build_log


def test_each_mapping_finding_is_not_repeated_on_the_console(build_log):
    assert build_log.count("Per PEG") <= 1  # the planted CM route: in the audit CSV and report, not 20 lines


def _handler_output(verbose: bool, quiet: bool) -> str:
    stream = io.StringIO()
    configure_logging(verbose, quiet, stream)
    try:
        logging.getLogger("great_expectations.core").info("gx chatter")
        logging.getLogger("great_expectations.core").warning("gx warning")
        logging.getLogger("sdtm.engine").info("library detail")
        logging.getLogger("trialforge.stages").info("stage line")
        logging.getLogger("trialforge.stages").debug("debug detail")
    finally:
        logging.getLogger("trialforge").setLevel(logging.NOTSET)
        logging.getLogger().handlers.clear()
    return stream.getvalue()


def test_levels_default_quiet_and_verbose():
    default = _handler_output(False, False)
    assert "stage line" in default and "gx warning" in default
    assert "gx chatter" not in default and "library detail" not in default and "debug detail" not in default
    quiet = _handler_output(False, True)
    assert "stage line" not in quiet and "gx warning" in quiet
    verbose = _handler_output(True, False)
    assert all(text in verbose for text in ("gx chatter", "library detail", "stage line", "debug detail"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_status_line_only_on_a_terminal_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert live_display_wanted(_Terminal(), quiet=False)
    assert not live_display_wanted(_Terminal(), quiet=True)
    assert not live_display_wanted(io.StringIO(), quiet=False)
    monkeypatch.setenv("CI", "true")
    assert not live_display_wanted(_Terminal(), quiet=False)


def test_the_status_line_is_cleared_before_log_lines_and_at_the_end(monkeypatch):
    terminal = _Terminal()
    handler = configure_logging(False, False, terminal)
    log = logging.getLogger("trialforge.test")
    progress = StageProgress(log, handler, live=True)
    stage = Stage("sdtm", "map the raw forms", lambda ctx: None)
    try:
        progress(3, 8, stage, None, "")
        log.warning("something to say")
        progress(3, 8, stage, 1.25, "24 domains")
    finally:
        progress.close()
        logging.getLogger("trialforge").setLevel(logging.NOTSET)
        logging.getLogger().handlers.clear()
    text = terminal.getvalue()
    assert "[3/8] sdtm: map the raw forms ..." in text
    assert "\r\x1b[KWARNING something to say\n" in text  # the status line is wiped before the log line
    assert text.endswith("INFO [3/8] sdtm: 24 domains (1.2 s)\n")
