"""Shared fixtures: the hand-built SDTM study and the ADaM datasets derived from it once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from adam.api import derive_all
from tests.adam.fixtures import PARAMS, fixture_study


@pytest.fixture(scope="session")
def sdtm() -> dict[str, pd.DataFrame]:
    return fixture_study()


@pytest.fixture(scope="session")
def adam(sdtm) -> dict[str, pd.DataFrame]:
    return derive_all(sdtm, params=PARAMS)

