import json

import pytest

from specs.errors import InputError
from formats import clock
from trialforge.pipeline import Stage, run_pipeline


def _writer(name, text):
    def run(ctx):
        ctx.path("data", name).write_text(text)
        ctx.record("wrote", name)
    return Stage(f"write-{name}", f"write {name}", run)


def _study(tmp_path):
    study = tmp_path / "study"
    study.mkdir(exist_ok=True)
    return study


def _failing(ctx):
    raise InputError("broken input")


def test_success_moves_staging_into_place_with_log_and_manifest(tmp_path):
    out = tmp_path / "pkg"
    run_pipeline([_writer("a.txt", "A"), _writer("b.txt", "B")], _study(tmp_path), out)
    assert (out / "data" / "a.txt").read_text() == "A"
    build_log = json.loads((out / "audit" / "build-log.json").read_text())
    assert [s["stage"] for s in build_log["stages"]] == ["write-a.txt", "write-b.txt"]
    assert build_log["stages"][0]["wrote"] == "a.txt"
    manifest = json.loads((out / "audit" / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {"data/a.txt", "data/b.txt", "audit/build-log.json"}
    assert manifest["format"] == "trialforge-package/1"
    assert not list(tmp_path.glob(".pkg.*")), "no staging or previous folder may remain"


def test_failed_build_leaves_previous_output_untouched(tmp_path):
    out = tmp_path / "pkg"
    run_pipeline([_writer("a.txt", "first")], _study(tmp_path), out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(InputError):
        run_pipeline([_writer("a.txt", "second"), Stage("fail", "fails", _failing)], _study(tmp_path), out)
    assert (out / "data" / "a.txt").read_text() == "first"
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not list(tmp_path.glob(".pkg.*"))


def test_source_date_epoch_makes_builds_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        run_pipeline([_writer("a.txt", "A")], _study(tmp_path), out)
    for name in ("build-log.json", "manifest.json"):
        assert (first / "audit" / name).read_bytes() == (second / "audit" / name).read_bytes()
    assert json.loads((first / "audit" / "build-log.json").read_text())["built_at"] == "2023-11-14T22:13:20+00:00"
    assert "seconds" not in json.loads((first / "audit" / "build-log.json").read_text())["stages"][0]


def test_bad_source_date_epoch_is_an_input_error(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        clock.build_timestamp()
