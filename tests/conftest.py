"""Every test's builds use a build cache of this test session (XDG_CACHE_HOME), never the user's own."""

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
