"""ADaM on SDTM trialforge did not make: pharmaverse's oncology SDTM through `trialforge adam`, parameters only.

The SDTM is pharmaversesdtm's as published (dm, ex, ae, ds, cm, lb and the tumour domains), decompressed into a
folder and renamed (`rs_onco_recist.csv.gz` -> `rs.csv`): no value is edited. The ADaM spec is the example
study's; every convention of this study is in `examples/cdisc-pilot/onco_parameters.yaml` (given with
--param-file, so it wins over what the example spec's Mapping rows state).

- From the `*_onco_recist` set, the per-subject ADRS parameters BOR, CBOR, RSP, CRSP, PD and the ADTTE
  parameters OS and PFS are compared with pharmaverseadam's adrs_onco / adtte_onco (made by admiralonco's
  templates from the same SDTM): AVALC and ADT (ADRS), AVAL, CNSR and ADT (ADTTE), subject by subject. A
  difference a convention explains must be listed in CONVENTIONS with its reason and count; any other one fails.
- From the full rs_onco / tu_onco / tr_onco the run must succeed as well.

Skipped, saying why, when ../shared is not beside the checkout.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from formats.folder import read_dataset
from tests.pilot import compare

ONCO_SDTM = compare.EXPECTED_SDTM
EXPECTED_ADAM = compare.PHARMAVERSE / "adam"
ADAM_SPEC = compare.REPO / "trialforge" / "example_study" / "workbooks" / "mesocart_adam_spec.xlsx"
PARAMETERS = compare.REPO / "examples" / "cdisc-pilot" / "onco_parameters.yaml"
COMMON = ("dm", "ex", "ae", "ds", "cm", "lb")  # lb: admiral's LSTALVDT reads laboratory dates
TUMOUR = ("rs", "tu", "tr")

pytestmark = pytest.mark.skipif(
    not (ONCO_SDTM.is_dir() and EXPECTED_ADAM.is_dir()),
    reason=f"pharmaverse's oncology SDTM/ADaM is not at {compare.PHARMAVERSE} (../shared beside the checkout)")

ADRS_PARAMETERS = ("BOR", "CBOR", "RSP", "CRSP", "PD")
ADTTE_PARAMETERS = ("OS", "PFS")

# Per-subject differences a convention of pharmaverse's data or of admiralonco's templates explains:
# (dataset, PARAMCD, convention) -> (reason, expected count, which differences it covers). The test fails when
# a count changes (a convention stopped explaining its subjects, or explains others) and when a difference is
# left that no convention names. None is needed today: with onco_parameters.yaml every value agrees.
Difference = pd.DataFrame  # rows: USUBJID, ours_*, theirs_* of one parameter
CONVENTIONS: dict[tuple[str, str, str], tuple[str, int, Callable[[Difference], pd.Series]]] = {}


def _sdtm_folder(folder: Path, tumour_suffix: str) -> Path:
    """pharmaversesdtm's csv.gz files as `<domain>.csv` in `folder` (renamed and decompressed, values as published)."""
    folder.mkdir(parents=True)
    names = {name: name for name in COMMON} | {name: f"{name}{tumour_suffix}" for name in TUMOUR}
    for name, source in names.items():
        with gzip.open(ONCO_SDTM / f"{source}.csv.gz", "rb") as packed, open(folder / f"{name}.csv", "wb") as plain:
            shutil.copyfileobj(packed, plain)
    return folder


def _run_adam(sdtm: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trialforge", "adam", "--sdtm", str(sdtm), "--adam-spec",
                           str(ADAM_SPEC), "--param-file", str(PARAMETERS), "--out", str(out)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def recist_adam(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("onco_recist")
    done = _run_adam(_sdtm_folder(work / "sdtm", "_onco_recist"), work / "adam")
    assert done.returncode == 0, f"trialforge adam failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return work / "adam"


def _ours(folder: Path, name: str) -> pd.DataFrame:
    frame = read_dataset(folder / f"{name}.xpt").frame
    frame["ADT"] = _iso(frame["ADT"])
    return frame


def _iso(dates: pd.Series) -> pd.Series:
    """SAS dates (days since 1960-01-01) or ISO text -> YYYY-MM-DD text, null as ""."""
    if pd.api.types.is_numeric_dtype(dates):
        values = pd.Timestamp("1960-01-01") + pd.to_timedelta(dates, unit="D")
    else:
        values = pd.to_datetime(dates, errors="coerce")
    return values.dt.strftime("%Y-%m-%d").fillna("")


def _theirs(name: str) -> pd.DataFrame:
    frame = pd.read_csv(EXPECTED_ADAM / f"{name}.csv.gz")
    frame["ADT"] = _iso(frame["ADT"])
    return frame


def _per_subject(ours: pd.DataFrame, theirs: pd.DataFrame, paramcd: str, variables: tuple[str, ...]) -> pd.DataFrame:
    """One row per subject in either dataset: ours_<var>, theirs_<var> as text, EQUAL when all agree."""
    def side(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
        rows = frame[frame["PARAMCD"] == paramcd]
        assert not rows["USUBJID"].duplicated().any(), f"{prefix}: more than one {paramcd} record per subject"
        return rows.set_index("USUBJID")[list(variables)].apply(compare.normalise).add_prefix(prefix)

    table = side(ours, "ours_").join(side(theirs, "theirs_"), how="outer").fillna("")
    table["EQUAL"] = True
    for name in variables:
        table["EQUAL"] &= table[f"ours_{name}"] == table[f"theirs_{name}"]
    return table.reset_index()


def _assert_agreement(dataset: str, paramcd: str, table: pd.DataFrame) -> None:
    different = table[~table["EQUAL"]]
    explained = pd.Series(False, index=different.index)
    for (name, code, convention), (reason, count, covers) in CONVENTIONS.items():
        if (name, code) != (dataset, paramcd):
            continue
        hit = covers(different).fillna(False).astype(bool) & ~explained
        assert int(hit.sum()) == count, (f"{dataset} {paramcd}: convention {convention!r} ({reason}) explains "
                                         f"{int(hit.sum())} subject(s), expected {count}")
        explained |= hit
    left = different[~explained]
    assert left.empty, (f"{dataset} {paramcd}: {len(left)} of {len(table)} subjects differ from pharmaverseadam "
                        f"with no convention named:\n{left.head(10).to_string()}")


@pytest.mark.parametrize("paramcd", ADRS_PARAMETERS)
def test_adrs_response_parameters_equal_pharmaverse_per_subject(recist_adam, paramcd):
    table = _per_subject(_ours(recist_adam, "adrs"), _theirs("adrs_onco"), paramcd, ("AVALC", "ADT"))
    assert len(table) == 306  # every ADSL subject, with or without an assessment (response_population_flag: null)
    _assert_agreement("ADRS", paramcd, table)


@pytest.mark.parametrize("paramcd", ADTTE_PARAMETERS)
def test_adtte_os_and_pfs_equal_pharmaverse_per_subject(recist_adam, paramcd):
    table = _per_subject(_ours(recist_adam, "adtte"), _theirs("adtte_onco"), paramcd, ("AVAL", "CNSR", "ADT"))
    assert len(table) == 254  # the randomized (treated) subjects
    _assert_agreement("ADTTE", paramcd, table)


def test_the_subjects_without_any_assessment_get_the_response_parameters(recist_adam):
    adrs = _ours(recist_adam, "adrs")
    assessed = set(adrs.loc[adrs["PARAMCD"] == "OVR", "USUBJID"])
    unassessed = adrs[~adrs["USUBJID"].isin(assessed)]
    values = unassessed.groupby("PARAMCD")["AVALC"].agg(lambda v: set(v))
    assert values["BOR"] == values["CBOR"] == {"MISSING"}
    assert values["RSP"] == values["CRSP"] == values["PD"] == {"N"}
    assert unassessed["USUBJID"].nunique() == 298


def test_adam_runs_on_the_full_oncology_sdtm_without_any_data_edit(tmp_path):
    done = _run_adam(_sdtm_folder(tmp_path / "sdtm", "_onco"), tmp_path / "adam")
    assert done.returncode == 0, f"trialforge adam failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    adrs = read_dataset(tmp_path / "adam" / "adrs.xpt").frame
    bor = adrs[adrs["PARAMCD"] == "BOR"]
    assert bor["USUBJID"].nunique() == len(bor) == 306
    assert (bor["AVALC"] != "MISSING").sum() > 200  # the grafted assessments are read
    for name in ("adsl", "adae", "adtte", "adtr"):
        assert (tmp_path / "adam" / f"{name}.xpt").is_file()
