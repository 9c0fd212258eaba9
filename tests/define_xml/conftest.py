"""Fixtures for the define.xml tests: the small study written as XPTs, and the CDISC schemas from ../shared."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.define_xml.small_study import SCHEMA, SHARED, small_adam_spec, small_spec, write_small_xpts

CREATED = datetime(2025, 3, 28, 9, 30, 0)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the CDISC standards live in ../shared, outside the package")
    return path


@pytest.fixture
def schema() -> Path:
    return need(SCHEMA)


@pytest.fixture
def shared() -> Path:
    return need(SHARED)


@pytest.fixture
def spec():
    return small_spec()


@pytest.fixture
def adam_spec():
    return small_adam_spec()


@pytest.fixture
def written(tmp_path, spec):
    """(folder, {name: DatasetInfo}) of the small study's XPTs."""
    folder = tmp_path / "sdtm"
    folder.mkdir()
    return folder, write_small_xpts(folder, spec)
