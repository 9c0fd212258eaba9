"""Work forked off the build (trialforge.background): results by name, MISSING for what the child did not
deliver, its log records logged by the build, and no child outliving the build."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trialforge.background import MISSING, BackgroundJob, can_fork
from trialforge.pipeline import Stage, run_pipeline

pytestmark = pytest.mark.skipif(not can_fork(), reason="background jobs need fork")
ROOT = Path(__file__).resolve().parents[2]


def _gone(pid: int, seconds: float = 5.0) -> bool:
    """True once `pid` is no longer a running process (a zombie awaiting its parent counts as gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_results_arrive_by_name_in_any_order_of_asking():
    def work(channel):
        channel.send("first", 1)
        channel.send("second", {"two": [2]})

    job = BackgroundJob("t", work, offers=["first", "second"])
    assert job.receive("second") == {"two": [2]}
    assert job.receive("first") == 1
    assert job.receive("first") is MISSING  # taken once
    job.stop()


def test_the_child_waits_for_the_builds_message():
    def work(channel):
        channel.send("doubled", channel.receive("number") * 2)

    job = BackgroundJob("t", work, offers=["doubled"])
    job.send("number", 21)
    assert job.receive("doubled") == 42
    job.stop()


def test_a_result_not_offered_is_missing_at_once_never_a_wait():
    job = BackgroundJob("t", lambda channel: time.sleep(60), offers=["late"])
    started = time.monotonic()
    assert job.receive("unknown") is MISSING
    assert time.monotonic() - started < 1
    job.stop()


def test_a_child_that_fails_delivers_nothing_and_says_nothing(capfd):
    def work(channel):
        channel.send("before", "ok")
        raise RuntimeError("boom")

    job = BackgroundJob("t", work, offers=["before", "after"])
    assert job.receive("after") is MISSING
    assert job.receive("before") == "ok"  # what came before the failure is kept
    job.stop()
    captured = capfd.readouterr()
    assert "boom" not in captured.err and "Traceback" not in captured.err


def test_the_childs_log_records_are_logged_when_its_result_is_taken(caplog):
    def work(channel):
        logging.getLogger("trialforge.test").warning("made %s", "in the child")
        channel.send("result", 1)

    with caplog.at_level(logging.WARNING, logger="trialforge.test"):
        job = BackgroundJob("t", work, offers=["result"])
        time.sleep(0.2)
        assert not [r for r in caplog.records if r.name == "trialforge.test"], "nothing before it is taken"
        assert job.receive("result") == 1
    job.stop()
    assert [r.getMessage() for r in caplog.records if r.name == "trialforge.test"] == ["made in the child"]


def test_stop_kills_a_child_still_running_and_reaps_it():
    job = BackgroundJob("t", lambda channel: time.sleep(60), offers=[])
    pid = job.pid
    job.stop()
    assert _gone(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_the_build_stops_its_jobs_when_a_stage_fails(tmp_path):
    started: list[int] = []

    def start(ctx):
        ctx.start_job("sleeper", lambda channel: time.sleep(60), offers=[])
        started.append(ctx.jobs["sleeper"].pid)

    def fail(ctx):
        raise ValueError("stage failed")

    study = tmp_path / "study"
    study.mkdir()
    with pytest.raises(ValueError):
        run_pipeline([Stage("start", "", start), Stage("fail", "", fail)], study, tmp_path / "out")
    assert started and _gone(started[0])
    assert not list(tmp_path.glob(".out.*")), "the staging folder is removed"


CHILD_OF_A_KILLED_PARENT = """
import sys, time
from pathlib import Path
from trialforge.background import BackgroundJob
job = BackgroundJob("t", lambda channel: time.sleep(60), offers=[])
Path(sys.argv[1]).write_text(str(job.pid))
time.sleep(60)
"""


def test_a_child_dies_with_a_build_killed_by_sigkill(tmp_path):
    pid_file = tmp_path / "pid"
    parent = subprocess.Popen([sys.executable, "-c", CHILD_OF_A_KILLED_PARENT, str(pid_file)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _gone(child), "the job outlived the build"


def test_runs_later_names_only_the_stages_after_the_current_one(tmp_path):
    seen = {}

    def look(ctx):
        seen[ctx.current_stage] = (ctx.runs_later("a"), ctx.runs_later("b"), ctx.runs_later("c"))

    study = tmp_path / "study"
    study.mkdir()
    run_pipeline([Stage("a", "", look), Stage("b", "", look)], study, tmp_path / "out")
    assert seen == {"a": (False, True, False), "b": (False, False, False)}


def test_a_drained_job_is_not_held_up_by_a_large_result_the_build_has_not_asked_for_yet():
    def work(channel):
        channel.send("large", b"x" * 4_000_000)  # far more than a pipe holds
        channel.send("sent at", time.monotonic())

    job = BackgroundJob("t", work, offers=["large", "sent at"], drain=True)
    time.sleep(1.0)  # the build busy with its own work
    asked = time.monotonic()
    sent_at = job.receive("sent at")
    assert sent_at < asked - 0.5, "the child went on while the build was busy"
    assert len(job.receive("large")) == 4_000_000
    assert job.receive("never sent") is MISSING
    job.stop()


def test_a_drained_job_that_dies_delivers_missing_and_is_reaped():
    job = BackgroundJob("t", lambda channel: os._exit(3), offers=["result"], drain=True)
    assert job.receive("result") is MISSING
    pid = job.pid
    job.stop()
    assert _gone(pid)
