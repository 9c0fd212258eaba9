"""Incremental builds: what the cache reuses, what it recomputes, and that the package is the one a build
without any cache makes (SOURCE_DATE_EPOCH builds, byte for byte), a build killed with kill -9 included."""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from trialforge.cache import Cache
from trialforge.cli import main
from trialforge.example_study import example_spec

EPOCH = "1800000000"
STAGES = ["load-specs", "read-raw", "sdtm", "write-sdtm", "adam", "write-adam", "define", "validate"]


@pytest.fixture(scope="module")
def epoch():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield


@pytest.fixture(scope="module")
def raw(tmp_path_factory, epoch):
    folder = tmp_path_factory.mktemp("study") / "raw"
    assert main(["example", "--subjects", "8", "--out", str(folder)]) == 0
    (folder / "trialforge-manifest.json").unlink()  # a plain folder of extracts, as a user has
    return folder


def _build(raw, out, *extra):
    return ["build", "--study", str(raw), "--sdtm-spec", str(example_spec("sdtm")), "--adam-spec",
            str(example_spec("adam")), "--out", str(out), *extra]


@pytest.fixture(scope="module")
def cold(raw, tmp_path_factory):
    """A first build with an empty cache, and its cache."""
    root = tmp_path_factory.mktemp("cold")
    assert main(_build(raw, root / "pkg", "--cache", str(root / "cache"))) == 0
    return root / "pkg", root / "cache"


def _stage_lines(text):
    """stage -> True when its console line says it was reused from the cache."""
    lines = {}
    for line in text.splitlines():
        for stage in STAGES:
            if f"] {stage}: " in line:
                lines[stage] = "reused" in line
    return lines


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _same_but_cache_record(cached, plain):
    """Every file identical; the build logs too once the cache keys are taken out (the manifest then
    differs only by the build log's SHA-256)."""
    a, b = _files(cached), _files(plain)
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n]] in ([], ["audit/build-log.json", "audit/manifest.json"])
    logs = [json.loads(x["audit/build-log.json"]) for x in (a, b)]
    for log in logs:
        for stage in log["stages"]:
            assert set(stage.pop("cache", {"key": 0})) == {"key"}  # with SOURCE_DATE_EPOCH: no "reused"
        log["options"].pop("command_line", None)  # --cache DIR vs --no-cache
    assert logs[0] == logs[1]


def test_an_unchanged_rebuild_leaves_the_package_as_it_is_and_says_so(raw, cold, capsys):
    package, cache = cold
    capsys.readouterr()
    before = {p: p.stat().st_mtime_ns for p in package.rglob("*")}
    assert main(_build(raw, package, "--cache", str(cache))) == 0
    err = capsys.readouterr().err
    assert "nothing recomputed" in err and "already holds the package of these inputs" in err
    assert all(_stage_lines(err).values()) and len(_stage_lines(err)) == len(STAGES)
    assert "50 raw records are not in SDTM" in err or "raw records are not in SDTM" in err  # warnings replayed
    assert {p: p.stat().st_mtime_ns for p in package.rglob("*")} == before


def test_a_changed_package_is_rebuilt_not_trusted(raw, cold, tmp_path, capsys):
    package, cache = cold
    copy = tmp_path / "pkg"
    shutil.copytree(package, copy)
    assert main(_build(raw, copy, "--cache", str(cache))) == 0  # another --out: its record does not match
    victim = next((copy / "m5").rglob("ae.xpt"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"X")
    capsys.readouterr()
    assert main(_build(raw, copy, "--cache", str(cache))) == 0
    err = capsys.readouterr().err
    assert "nothing recomputed" not in err and all(_stage_lines(err).values())  # rebuilt, every stage reused
    assert _files(copy) == _files(package)


def test_a_fully_cached_build_is_byte_identical_to_a_cold_one(raw, cold, tmp_path, capsys):
    package, cache = cold
    capsys.readouterr()
    assert main(_build(raw, tmp_path / "pkg", "--cache", str(cache))) == 0
    err = capsys.readouterr().err
    assert _stage_lines(err) == dict.fromkeys(STAGES, True), err
    assert _files(tmp_path / "pkg") == _files(package)
    log = json.loads((tmp_path / "pkg" / "audit" / "build-log.json").read_text())
    assert all(len(stage["cache"]["key"]) == 64 for stage in log["stages"])


def test_one_changed_raw_form_recomputes_what_reads_it_and_nothing_else(raw, cold, tmp_path, capsys):
    package, cache = cold
    changed = tmp_path / "changed" / "raw"
    shutil.copytree(raw, changed)
    ae = changed / "ae.csv"
    text = ae.read_text(encoding="utf-8")
    assert "Nausea" in text or "NAUSEA" in text
    ae.write_text(text.replace("Nausea", "Vomiting", 1).replace("NAUSEA", "VOMITING", 1), encoding="utf-8")
    capsys.readouterr()
    assert main(_build(changed, tmp_path / "pkg", "--cache", str(cache))) == 0
    err = capsys.readouterr().err
    # the SDTM spec did not change: its stage is reused; every SDTM domain may read AE's subjects' dates
    # (and ADaM, define.xml and validation read SDTM), so everything from read-raw on is recomputed
    assert _stage_lines(err) == {s: s == "load-specs" for s in STAGES}, err
    assert "reused load-specs; recomputed read-raw, sdtm, write-sdtm, adam, write-adam, define, validate" in err
    assert main(_build(changed, tmp_path / "plain", "--no-cache")) == 0
    _same_but_cache_record(tmp_path / "pkg", tmp_path / "plain")
    assert _files(tmp_path / "pkg") != _files(package)


def test_a_changed_study_parameter_reuses_every_sdtm_stage(raw, cold, tmp_path, capsys):
    package, cache = cold
    capsys.readouterr()
    extra = ("--param", "confirm_days=35")
    assert main(_build(raw, tmp_path / "pkg", "--cache", str(cache), *extra)) == 0
    err = capsys.readouterr().err
    assert _stage_lines(err) == {s: s in ("read-raw", "sdtm", "write-sdtm") for s in STAGES}, err
    assert main(_build(raw, tmp_path / "plain", "--no-cache", *extra)) == 0
    _same_but_cache_record(tmp_path / "pkg", tmp_path / "plain")


def test_without_source_date_epoch_the_build_log_says_what_was_reused(raw, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    for out in ("one", "two"):
        assert main(_build(raw, tmp_path / out, "--cache", str(tmp_path / "cache"), "--stages", "sdtm")) == 0
    logs = [json.loads((tmp_path / out / "audit" / "build-log.json").read_text()) for out in ("one", "two")]
    assert [s["cache"]["reused"] for s in logs[0]["stages"]] == [False] * 4
    assert [s["cache"]["reused"] for s in logs[1]["stages"]] == [True] * 4
    assert [s["cache"]["key"] for s in logs[0]["stages"]] == [s["cache"]["key"] for s in logs[1]["stages"]]


def test_no_cache_writes_no_cache_and_the_default_is_the_users_cache_folder(raw, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert main(_build(raw, tmp_path / "pkg", "--no-cache", "--stages", "sdtm")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]
    assert "reused" not in capsys.readouterr().err
    assert main(_build(raw, tmp_path / "pkg2", "--stages", "sdtm")) == 0
    assert (tmp_path / "xdg" / "trialforge" / "trialforge-cache.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "pkg2", "xdg"], "nothing beside --out"
    assert not list((tmp_path / "pkg2").rglob("*pending*")), "nothing of the cache is in the package"


def test_a_failed_build_adds_nothing_to_the_cache(raw, tmp_path):
    broken = tmp_path / "broken" / "raw"
    shutil.copytree(raw, broken)
    (broken / "dm.csv").unlink()
    assert main(_build(broken, tmp_path / "pkg", "--stages", "sdtm")) == 3
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["broken"]


def test_a_rebuilt_output_folder_is_up_to_date_again(raw, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # each build's files differ: the record follows the latest
    out, args = tmp_path / "pkg", ("--cache", str(tmp_path / "cache"), "--stages", "sdtm")
    assert main(_build(raw, out, *args)) == 0
    (out / "audit" / "sdtm" / "reconciliation.csv").write_text("edited\n")
    assert main(_build(raw, out, *args)) == 0  # rebuilt from the cache: new timestamps, a new manifest
    capsys.readouterr()
    assert main(_build(raw, out, *args)) == 0
    assert "nothing recomputed" in capsys.readouterr().err


def test_cache_and_no_cache_together_is_a_usage_error(raw, tmp_path):
    assert main(_build(raw, tmp_path / "pkg", "--no-cache", "--cache", str(tmp_path / "c"))) == 2


def _run_until(args, marker, cwd):
    """Start a build; kill -9 it as soon as its console shows `marker`. The lines it printed."""
    process = subprocess.Popen([sys.executable, "-m", "trialforge", *args], stderr=subprocess.PIPE, text=True,
                               cwd=cwd, env=_env())
    seen = []
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    return seen


def _env():
    import os

    return dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)


@pytest.mark.parametrize("marker", ["[2/8] read-raw", "[5/8] adam", "[8/8] validate"])
def test_a_build_killed_with_kill_9_never_poisons_the_cache(raw, tmp_path, marker):
    cache = tmp_path / "cache"
    args = _build(raw, tmp_path / "pkg", "--cache", str(cache))
    seen = _run_until(args, marker, tmp_path)
    assert any(marker in line for line in seen), "".join(seen)
    assert not (tmp_path / "pkg").exists()
    if marker != "[8/8] validate":  # the killed build had not succeeded: it added nothing
        assert not cache.exists()
    else:  # killed while adding its entries, or after: each one there is whole
        for folder in (cache / "entries").iterdir() if cache.exists() else ():
            assert Cache(cache).get(folder.name) is not None, folder.name
    done = subprocess.run([sys.executable, "-m", "trialforge", *args], capture_output=True, text=True, cwd=tmp_path,
                          env=_env())
    assert done.returncode == 0, done.stderr
    assert not any((cache / "tmp").iterdir())
    assert not list(tmp_path.glob(".pkg.staging-*")), "the next run removed the killed one's staging folder"
    clean = subprocess.run([sys.executable, "-m", "trialforge",
                            *_build(raw, tmp_path / "clean" / "pkg", "--cache", str(tmp_path / "clean" / "cache"))],
                           capture_output=True, text=True, cwd=tmp_path, env=_env())
    assert clean.returncode == 0, clean.stderr
    # byte for byte, but for the cache keys, which hold the tool's code: in a working tree that others
    # edit meanwhile they differ between the two processes (while the outputs do not)
    _same_but_cache_record(tmp_path / "pkg", tmp_path / "clean" / "pkg")
