"""Faults for real: kill -9 and SIGTERM in each stage, a full disk, a read-only output folder.

After each, the previous package and the user's files are exactly as they were, and the next run
cleans up what a killed run left behind.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.robustness.conftest import EXAMPLE_SPECS, run_cli, snapshot
from trialforge.cli import EXIT_OK, EXIT_OUTPUT, EXIT_TERMINATED
from trialforge.stages import default_stages

ROOT = Path(__file__).resolve().parents[2]

# A build in a child process that kills itself with SIGKILL when the named stage has done its work.
KILL_AFTER_STAGE = """
import os, signal, sys
import trialforge.pipeline as pipeline
from trialforge.cli import main
stage_name = sys.argv[1]
original = pipeline.run_pipeline
def run_pipeline(stages, *args, **kwargs):
    def killing(stage):
        def run(ctx):
            stage.run(ctx)
            os.kill(os.getpid(), signal.SIGKILL)
        return pipeline.Stage(stage.name, stage.description, run)
    stages = [killing(s) if s.name == stage_name else s for s in stages]
    return original(stages, *args, **kwargs)
import trialforge.cli
pipeline.run_pipeline = run_pipeline
sys.exit(main(sys.argv[2:]))
"""


def _child(*args: str | Path, script: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-c", script, *map(str, args)] if script else \
        [sys.executable, "-m", "trialforge", *map(str, args)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_kill_9_in_each_stage_leaves_the_previous_package_and_the_next_run_cleans_up(tmp_path, raw,
                                                                                  built_package):
    before = snapshot(tmp_path)
    stages = [stage.name for stage in default_stages()]
    for stage in stages:
        child = _child(stage, "build", "--study", raw, *EXAMPLE_SPECS, "--out", built_package, script=KILL_AFTER_STAGE)
        _, err = child.communicate(timeout=300)
        assert child.returncode == -signal.SIGKILL, f"{stage}: exit {child.returncode}\n{err}"
        # each run removes the staging folder of the run killed before it; its own stays behind
        assert len(list(tmp_path.glob(".pkg.staging-*"))) == 1
        assert snapshot(tmp_path, skip=tuple(tmp_path.glob(".pkg.staging-*"))) == before, \
            f"kill -9 after stage {stage} changed the previous package or the user's files"
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", built_package, "--stages", "sdtm")
    assert result.code == EXIT_OK, result.text
    assert not list(tmp_path.glob(".pkg.*")), "the next run removes the staging folders of killed runs"
    assert snapshot(raw) == {k[len("raw/"):]: v for k, v in before.items() if k.startswith("raw/")}


def test_sigterm_during_a_build_removes_its_staging_and_keeps_the_previous_package(tmp_path, raw, built_package):
    """A real SIGTERM, sent by the process to itself when the SDTM datasets are written (deterministic,
    however fast the machine): the handler stops the build cleanly."""
    before = snapshot(tmp_path)
    script = KILL_AFTER_STAGE.replace("signal.SIGKILL", "signal.SIGTERM")
    child = _child("write-sdtm", "build", "--study", raw, *EXAMPLE_SPECS, "--out", built_package, script=script)
    _, err = child.communicate(timeout=300)
    assert child.returncode == EXIT_TERMINATED, err
    assert "Traceback" not in err and "unchanged" in err
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.glob(".pkg.*"))


# --- a full disk and a read-only folder ----------------------------------------------------------

@contextmanager
def _tmpfs(path: Path, size: str, read_only: bool = False):
    """A small real file system (root only); the test skips, saying why, where it cannot be mounted."""
    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'}); "
                    f"the injected-fault test covers the same path")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fake_previous_package(folder: Path) -> None:
    """A small package of ours (the marker is what makes it replaceable)."""
    from trialforge.publish import PACKAGE, write_manifest

    (folder / "m5").mkdir(parents=True)
    (folder / "m5" / "dm.xpt").write_bytes(b"previous package")
    write_manifest(folder, PACKAGE, {})


def test_a_full_disk_fails_cleanly_and_keeps_the_previous_package(tmp_path, raw):
    with _tmpfs(tmp_path / "small", "600k") as disk:
        out = disk / "pkg"
        _fake_previous_package(out)
        (disk / "mine.txt").write_text("a user's file on the same disk")
        before = snapshot(disk)
        result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm")
        result.assert_clean_failure(EXIT_OUTPUT, "no space left", str(out))
        assert ".staging-" not in result.text, "the message names the output folder, not the staging folder"
        assert snapshot(disk) == before
        assert not list(disk.glob(".pkg.*"))


def test_a_read_only_output_disk_fails_cleanly(tmp_path, raw):
    with _tmpfs(tmp_path / "ro", "1m", read_only=True) as disk:
        result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", disk / "pkg", "--stages", "sdtm")
        result.assert_clean_failure(EXIT_OUTPUT, "read-only", str(disk / "pkg"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; the read-only tmpfs test covers root")
def test_a_read_only_output_folder_fails_cleanly(tmp_path, raw):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", parent / "pkg", "--stages", "sdtm")
        result.assert_clean_failure(EXIT_OUTPUT, "permission denied", str(parent / "pkg"))
    finally:
        parent.chmod(0o755)


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only"),
                                          (errno.EDQUOT, "quota"), (errno.EIO, "Input/output error")])
def test_an_injected_write_failure_in_a_stage_fails_cleanly(tmp_path, raw, monkeypatch, code, words):
    """The same path on any machine: a writer that fails as a full or broken disk makes it fail."""
    import trialforge.package as package

    original = package.write_dataset

    def failing(conformed, path, name, *args, **kwargs):
        if name == "LB":
            raise OSError(code, os.strerror(code), str(path))
        return original(conformed, path, name, *args, **kwargs)

    monkeypatch.setattr(package, "write_dataset", failing)
    out = tmp_path / "pkg"
    _fake_previous_package(out)
    before = snapshot(tmp_path)
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm")
    result.assert_clean_failure(EXIT_OUTPUT, words, "lb.xpt", str(out))
    assert ".staging-" not in result.text
    assert snapshot(tmp_path) == before
