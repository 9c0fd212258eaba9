"""Independent pieces of a stage on two cores (trialforge.twocores): the results, log records and first
error of running them in order in one process, whichever process did each."""

from __future__ import annotations

import logging
import os

import pytest

from trialforge.background import can_fork
from trialforge.twocores import _shares, in_two

pytestmark = pytest.mark.skipif(not can_fork(), reason="the second core is used through fork")
NAMES = ["A", "B", "C", "D", "E"]
COST = {"A": 10, "B": 50, "C": 20, "D": 5, "E": 30}
log = logging.getLogger("trialforge.test_twocores")


@pytest.fixture(autouse=True)
def two_workers(monkeypatch):
    monkeypatch.setenv("TRIALFORGE_WORKERS", "2")
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)


def test_the_costliest_stays_here_and_each_next_goes_to_the_lighter_share():
    # B 50 here; E 30, C 20 there; A 10 here (a tie stays here); D 5 there (60 against 50)
    assert _shares(NAMES, COST.get) == (["A", "B"], ["C", "D", "E"])


def test_results_come_in_order_and_both_processes_did_some(caplog):
    main = os.getpid()

    def work(name):
        log.warning("writing %s", name)
        return name.lower(), os.getpid()

    with caplog.at_level(logging.WARNING):
        results = in_two(NAMES, COST.get, work)
    assert list(results) == NAMES and [v[0] for v in results.values()] == ["a", "b", "c", "d", "e"]
    assert {pid == main for _, pid in results.values()} == {True, False}
    assert [r.getMessage() for r in caplog.records if r.name == log.name] == [f"writing {n}" for n in NAMES]


def test_what_the_worker_does_not_deliver_is_done_here(tmp_path):
    main = os.getpid()

    def work(name):
        if os.getpid() != main and name == "D":
            os._exit(9)  # killed mid-way: C was sent, D and E never are
        return os.getpid()

    results = in_two(NAMES, COST.get, work)
    assert list(results) == NAMES
    assert results["C"] != main and results["D"] == main and results["E"] == main


def test_the_first_error_in_order_is_the_one_raised():
    def work(name):
        if name in ("D", "E"):
            raise ValueError(f"cannot write {name}")
        return name

    with pytest.raises(ValueError, match="cannot write D"):  # the worker's D, done here when its turn comes
        in_two(NAMES, COST.get, work)

    def fails_there(name):
        if name in ("B", "C"):
            raise ValueError(f"cannot write {name}")
        return name

    with pytest.raises(ValueError, match="cannot write B"):  # B (here) comes before the worker's C
        in_two(NAMES, COST.get, fails_there)


def test_one_worker_setting_runs_everything_here(monkeypatch):
    monkeypatch.setenv("TRIALFORGE_WORKERS", "1")
    assert set(in_two(NAMES, COST.get, lambda name: os.getpid()).values()) == {os.getpid()}


def test_work_beside_the_build_is_done_meanwhile_and_taken_when_asked(caplog):
    from trialforge.twocores import beside_the_build

    def work():
        log.warning("excluded 2 records")
        return os.getpid()

    with caplog.at_level(logging.WARNING), beside_the_build() as beside:
        result = beside(work)
        assert not [r for r in caplog.records if r.name == log.name], "logged when the result is taken"
        pid = result()
    assert pid != os.getpid()
    assert [r.getMessage() for r in caplog.records if r.name == log.name] == ["excluded 2 records"]


def test_work_beside_that_dies_is_done_here_and_one_process_runs_it_when_asked(monkeypatch):
    from trialforge.twocores import beside_the_build

    main = os.getpid()
    with beside_the_build() as beside:
        result = beside(lambda: os._exit(5) if os.getpid() != main else "done here")
        assert result() == "done here"
    monkeypatch.setenv("TRIALFORGE_WORKERS", "1")
    ran = []
    with beside_the_build() as beside:
        result = beside(lambda: ran.append(os.getpid()) or "later")
        assert ran == []  # not yet: one process runs it when the result is asked for
        assert result() == "later" and ran == [main]


def test_a_failing_piece_here_logs_in_its_place_after_the_workers_before_it(caplog):
    def work(name):
        log.warning("writing %s", name)
        if name == "C":
            raise ValueError("cannot write C")
        return name

    with caplog.at_level(logging.WARNING), pytest.raises(ValueError, match="cannot write C"):
        in_two(["A", "B", "C"], {"A": 1, "B": 1, "C": 5}.get, work)  # C here; A and B in the worker
    assert [r.getMessage() for r in caplog.records if r.name == log.name] == ["writing A", "writing B", "writing C"]
