"""The build cache: entries written whole or not at all, verified before use, refused when not ours."""

import json
import logging
import os

import pytest

from specs.errors import UsageError
from trialforge.cache import Cache, digest, existing_cache, open_cache


@pytest.fixture
def cache(tmp_path):
    return open_cache(tmp_path / "cache", explicit=True)


def _source(tmp_path, text="SDTM bytes"):
    path = tmp_path / "dm.xpt"
    path.write_text(text)
    return path


def test_an_entry_round_trips_files_metadata_and_results(cache, tmp_path):
    key = digest("a stage", 1)
    assert cache.get(key) is None
    assert cache.put(key, {"summary": "24 domains"}, {"m5/dm.xpt": _source(tmp_path)}, {"rows": [1, 2]})
    entry = cache.get(key)
    assert entry.meta["summary"] == "24 domains"
    assert entry.files()["m5/dm.xpt"].read_text() == "SDTM bytes"
    assert entry.artifacts() == {"rows": [1, 2]}
    assert not any((cache.root / "tmp").iterdir()), "nothing half-written may stay behind"


def test_a_damaged_entry_is_a_miss_with_a_note_and_is_removed(cache, tmp_path, caplog):
    key = digest("a stage", 2)
    cache.put(key, {}, {"dm.xpt": _source(tmp_path)}, {"x": 1})
    (cache.root / "entries" / key / "files" / "dm.xpt").write_text("SDTM bytEs")
    with caplog.at_level(logging.WARNING):
        assert cache.get(key) is None
    assert "damaged" in caplog.text and key[:12] in caplog.text
    assert not (cache.root / "entries" / key).exists()


@pytest.mark.parametrize("damage", ["truncated entry.json", "pickle changed", "another key"])
def test_every_kind_of_damage_is_a_miss(cache, tmp_path, damage):
    key = digest("a stage", damage)
    cache.put(key, {}, {"dm.xpt": _source(tmp_path)}, {"x": 1})
    folder = cache.root / "entries" / key
    if damage == "truncated entry.json":
        text = (folder / "entry.json").read_text()
        (folder / "entry.json").write_text(text[: len(text) // 2])
    elif damage == "pickle changed":
        (folder / "artifacts.pickle").write_bytes(b"\x80\x04K\x02.")
    else:
        folder.rename(cache.root / "entries" / digest("other"))
        folder = cache.root / "entries" / digest("other")
        assert cache.get(digest("other")) is None
        return
    assert cache.get(key) is None


def test_leftovers_of_a_killed_writer_are_removed_and_never_read(tmp_path):
    root = tmp_path / "cache"
    open_cache(root, explicit=True).put(digest("earlier"), {})
    key = digest("killed")
    dead = _dead_pid()
    half = root / "tmp" / f"{key}.{dead}"
    (half / "files").mkdir(parents=True)
    (half / "files" / "dm.xpt").write_text("half")
    cache = open_cache(root, explicit=True)
    assert not half.exists()
    assert cache.get(key) is None


def test_a_folder_trialforge_did_not_write_is_refused(tmp_path, caplog):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(UsageError, match="did not write"):
        open_cache(mine, explicit=True)
    with caplog.at_level(logging.WARNING):
        assert open_cache(mine, explicit=False) is None
    assert "not used" in caplog.text
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.docx"]
    assert existing_cache(mine) is None


def test_a_cache_inside_the_output_or_an_input_is_refused(tmp_path):
    with pytest.raises(UsageError, match="inside"):
        open_cache(tmp_path / "pkg" / "cache", explicit=True, refuse=[tmp_path / "pkg"])
    with pytest.raises(UsageError, match="holds"):
        open_cache(tmp_path, explicit=True, refuse=[tmp_path / "raw"])


def test_entries_nobody_used_for_two_weeks_are_pruned(tmp_path):
    root = tmp_path / "cache"
    cache = open_cache(root, explicit=True)
    old, fresh = digest("old"), digest("fresh")
    cache.put(old, {})
    cache.put(fresh, {})
    long_ago = os.stat(root / "entries" / old).st_mtime - 15 * 86400
    os.utime(root / "entries" / old, (long_ago, long_ago))
    cache = open_cache(root, explicit=True)
    assert cache.get(old) is None and cache.get(fresh) is not None


def test_the_marker_says_what_the_folder_is(cache):
    assert not cache.root.exists(), "nothing is made before something is stored"
    cache.put(digest("first"), {})
    assert json.loads((cache.root / "trialforge-cache.json").read_text())["format"] == "trialforge-cache/1"
    assert (cache.root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert isinstance(existing_cache(cache.root), Cache)


def test_pending_entries_are_added_only_by_commit(cache, tmp_path):
    cache.pending = tmp_path / "staging" / ".pending"
    key = digest("pending")
    assert cache.put(key, {"n": 1}, {"dm.xpt": _source(tmp_path)})
    assert cache.get(key) is None and not cache.root.exists(), "a build that stops here adds nothing"
    assert cache.commit() == 1
    assert cache.get(key).meta["n"] == 1
    assert not (tmp_path / "staging" / ".pending").exists() and cache.pending is None


def test_an_entry_is_replaced_whole_when_asked(cache):
    key = digest("record")
    cache.put(key, {"n": 1})
    cache.put(key, {"n": 2})
    assert cache.get(key).meta["n"] == 1  # the same key means the same content
    cache.put(key, {"n": 2}, replace=True)
    assert cache.get(key).meta["n"] == 2


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
