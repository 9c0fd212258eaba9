"""Builds in tests never use the user's build cache (XDG_CACHE_HOME): module and session fixtures share one of
this session, and each test gets an empty one of its own, so a test that injects a fault into a stage (a
monkeypatched writer the cache key cannot see) runs that stage instead of reusing another test's result."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def session_build_cache(tmp_path_factory):
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def test_build_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
