"""The domains after DM and SE mapped on two cores (sdtm.parallel) give what one process gives: the same
domains, findings, exclusions, reconciliation and log records in the same order; a failing domain raises
what it raises in one process, and a killed worker leaves the build to map alone."""

from __future__ import annotations

import logging
import os
import signal

import pandas as pd
import pytest

import sdtm.study
from sdtm import parallel
from sdtm.engine import DomainResult
from sdtm.study import build_sdtm
from specs.errors import MappingError
from tests.sdtm import spec_builder as sb
from tests.sdtm.fixture_study import required_fields, write_fixture_study
from tests.sdtm.test_domains import spec  # noqa: F401 - the example spec, as the fixture study needs it
from trialforge.raw import read_raw_study

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker is forked")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    folder = write_fixture_study(tmp_path_factory.mktemp("fixture_study"))
    return {oid: form.frame for oid, form in read_raw_study(folder, required_fields()).items()}


def built(spec, raw, monkeypatch, caplog, workers: str):
    """The build and its log records (logger, level, message) with TRIALFORGE_WORKERS=workers."""
    monkeypatch.setenv("TRIALFORGE_WORKERS", workers)
    monkeypatch.setattr(parallel, "workers", lambda: int(workers))  # a one-CPU test machine still forks
    caplog.clear()
    with caplog.at_level(logging.INFO):
        build = build_sdtm(spec, raw)
    return build, [(r.name, r.levelno, r.getMessage()) for r in caplog.records]


def assert_same(one, two):
    (a, log_a), (b, log_b) = one, two
    assert a.order == b.order and list(a.domains) == list(b.domains)
    for name in a.domains:
        pd.testing.assert_frame_equal(a.domains[name], b.domains[name], check_exact=True)
    assert a.findings == b.findings
    pd.testing.assert_frame_equal(a.reconciliation, b.reconciliation)
    pd.testing.assert_frame_equal(a.exclusions, b.exclusions)
    assert log_a == log_b


def mapped_by(monkeypatch, tmp_path, also=lambda name: None):
    """Record which process maps each domain (in a file: the worker's memory is its own)."""
    trace = tmp_path / "mapped-by.txt"
    original = sdtm.study._map_one

    def traced(ctx, name):
        with trace.open("a") as out:
            out.write(f"{os.getpid()} {name}\n")
        also(name)
        return original(ctx, name)

    monkeypatch.setattr(sdtm.study, "_map_one", traced)
    return trace


def test_two_processes_map_as_one(spec, raw, monkeypatch, caplog, tmp_path):
    sequential = built(spec, raw, monkeypatch, caplog, "1")
    trace = mapped_by(monkeypatch, tmp_path)
    parallel_build = built(spec, raw, monkeypatch, caplog, "2")
    assert_same(sequential, parallel_build)
    pids = {line.split()[0] for line in trace.read_text().splitlines()}
    assert str(os.getpid()) in pids and len(pids) == 2  # the worker did map some domains
    assert any(level == logging.WARNING for _, level, _ in parallel_build[1])  # records made in either process


def test_a_domain_error_surfaces_as_in_one_process(spec, raw, monkeypatch, caplog, tmp_path):
    def fail(name):
        if name in ("CM", "LB"):
            raise MappingError(f"{name}: planted failure")

    mapped_by(monkeypatch, tmp_path, fail)
    errors = []
    for workers in ("1", "2"):
        with pytest.raises(MappingError) as raised:
            built(spec, raw, monkeypatch, caplog, workers)
        errors.append((type(raised.value), str(raised.value), [r.getMessage() for r in caplog.records]))
    assert errors[0] == errors[1]
    assert errors[0][1] == "CM: planted failure"  # the first in spec order, whichever process reached it


def test_a_failing_or_killed_worker_leaves_the_build_to_map_alone(spec, raw, monkeypatch, caplog, tmp_path):
    sequential = built(spec, raw, monkeypatch, caplog, "1")
    build_process = os.getpid()

    def die_in_worker(name):
        if os.getpid() != build_process and name != "MH":
            os.kill(os.getpid(), signal.SIGKILL)

    mapped_by(monkeypatch, tmp_path, die_in_worker)
    assert_same(sequential, built(spec, raw, monkeypatch, caplog, "2"))

    def fail_in_worker(name):
        if os.getpid() != build_process:
            raise MemoryError("only the worker runs out")

    mapped_by(monkeypatch, tmp_path, fail_in_worker)
    assert_same(sequential, built(spec, raw, monkeypatch, caplog, "2"))


def test_one_worker_never_forks(spec, raw, monkeypatch, caplog):
    def no_fork():
        raise AssertionError("forked with TRIALFORGE_WORKERS=1")

    monkeypatch.setattr(os, "fork", no_fork)
    monkeypatch.setenv("TRIALFORGE_WORKERS", "1")
    assert parallel.workers() == 1
    assert build_sdtm(spec, raw).domains


def test_domains_reading_each_other_stay_in_the_build_in_spec_order():
    spec = sb.spec(
        datasets=[sb.dataset(n) for n in ("DM", "AE", "CM", "LB", "VS")],
        mappings=[sb.mapping("AE", "AESTDY", None, None, "derive", "function=study_day; dtc=AESTDTC"),
                  sb.mapping("CM", "CMX", None, None, "derive", "function=expression; expr=AE.AESTDY"),
                  sb.mapping("LB", "LBX", None, None, "derive", "function=reference_date; domain=DM"),
                  sb.mapping("VS", "VSX", None, None, "derive", "function=dthfl")])
    ctx = sdtm.study.DomainContext(spec=spec, raw={}, lookups={"visits": None})
    pinned, free = parallel.plan(["AE", "CM", "LB", "VS"], ctx)
    assert pinned == ["AE", "CM", "VS"] and free == ["LB"]  # VS's dthfl reads AE


def test_a_domain_that_saw_other_domains_than_in_spec_order_is_mapped_again():
    def item(name, touched, present):
        frame = pd.DataFrame({"USUBJID": ["S1"]})
        return parallel.Mapped(name, DomainResult(name, frame, frame, frame), [], [], frozenset(touched), present)

    ctx = sdtm.study.DomainContext(spec=None, raw={})
    start = ({"DM": pd.DataFrame()}, {}, 0)
    fine = {"AE": item("AE", {"DM"}, ("DM",)), "CM": item("CM", {"DM", "LB"}, ("DM",))}  # LB: absent either way
    assert [r.name for r in parallel._settle(["AE", "CM"], fine, ctx, start)] == ["AE", "CM"]
    assert list(ctx.domains) == ["DM", "AE", "CM"]
    for touched in ({"AE"}, {parallel.ALL}):  # AE was there in spec order, not in the process that mapped CM
        with pytest.raises(parallel.Fallback):
            parallel._settle(["AE", "CM"], {**fine, "CM": item("CM", touched, ("DM",))}, ctx, start)
