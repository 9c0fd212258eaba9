"""The rules run in forked worker processes give the same findings and statuses, in the same order, as in one."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from validation.datasets import datasets_from_frames
from validation.engine import PARALLEL_MIN_RECORDS, parallel_workers, run_rules
from validation.rulebook import load_rules


@pytest.fixture(scope="module")
def datasets():
    dm = pd.DataFrame({"STUDYID": ["S"] * 4, "DOMAIN": ["DM"] * 4, "USUBJID": ["S-1", "S-2", "S-2", "S-4"],
                       "SUBJID": ["1", "2", "2", "4"], "SITEID": ["01"] * 4, "SEX": ["F", "M", "X", ""],
                       "COUNTRY": ["CHN", "USA", "usa", "CHN"], "RFSTDTC": ["2024-01-05", "2024-13-01", "", "2024"]})
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["AE"] * 3, "USUBJID": ["S-1", "S-1", "S-9"],
                       "AESEQ": [1, 1, 2], "AETERM": [" Headache", "Nausea", "Fièvre"],
                       "AEDECOD": ["Headache", "", "Pyrexia"], "AESTDTC": ["2024-01-06", "2024-01-02", "x"]})
    return datasets_from_frames({"DM": dm, "AE": ae})


def _plain(result):
    return ([f.as_dict() for f in result.findings],
            [dataclasses.replace(s, seconds=0.0) for s in result.statuses])


def test_two_workers_give_what_one_gives(datasets):
    rules = load_rules()
    one = run_rules(datasets, rules, workers=1)
    two = run_rules(datasets, rules, workers=2)
    assert one.findings and _plain(one) == _plain(two)


def test_workers_only_for_data_large_enough(datasets, monkeypatch):
    monkeypatch.delenv("TRIALFORGE_WORKERS", raising=False)
    assert sum(len(d.frame) for d in datasets.values()) < PARALLEL_MIN_RECORDS
    assert parallel_workers(datasets) == 1
    monkeypatch.setenv("TRIALFORGE_WORKERS", "1")
    assert parallel_workers(datasets) == 1
    assert parallel_workers(datasets, 2) == 2
