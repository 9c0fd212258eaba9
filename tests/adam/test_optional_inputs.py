"""ADaM on any SDTM: every permissible/expected variable and every optional domain may be missing.

The example study's SDTM is built once; then derive_all runs with each non-Required variable (SDTMIG core
as the example's SDTM spec states it) of the domains the ADaM stage reads dropped in turn, and each optional
domain removed in turn. Allowed outcomes: success, or a DerivationError whose message names the variable
(a derivation that cannot be made without it, e.g. ADTR without TR.TRLNKID). Never another exception. When
the result differs from the full build, a WARNING names the missing variable or domain (what is left null).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from adam import api
from adam.api import derive_all
from formats.folder import load_folder
from specs.errors import DerivationError
from specs.reader import read_spec
from trialforge.example_study import example_parameters_file
from trialforge.stages import adam_parameters

REPO = Path(__file__).resolve().parents[2]
WORKBOOKS = REPO / "trialforge" / "example_study" / "workbooks"
ADAM_CODE = REPO / "adam"
# which ADaM datasets read each SDTM domain (ADSL is always derived: everything needs it)
READERS = {"DM": ("ADSL",), "EX": ("ADSL",), "DS": ("ADSL",), "MH": ("ADSL",), "CM": ("ADSL",), "PR": ("ADSL",),
           "TU": ("ADRS", "ADTR"), "AE": ("ADAE",), "SUPPAE": ("ADAE",), "RS": ("ADRS", "ADTTE"),
           "TR": ("ADTR",), "TV": ("ADTTE",), "LB": ("ADLB",), "CP": ("ADPC", "ADPP"), "PC": ("ADPC", "ADPP")}
REQUIRED_DOMAINS = {domain for needed in api.REQUIRED_SDTM["ADSL"] for domain in needed}  # DM, EX


@pytest.fixture(scope="module")
def example_sdtm(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("example") / "pkg"
    done = subprocess.run([sys.executable, "-m", "trialforge", "build", "--example", "--stages", "sdtm",
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (folder,) = {p.parent for p in out.rglob("dm.xpt")}
    return {name: dataset.frame for name, dataset in load_folder(folder, null_text=True).items()}


@pytest.fixture(scope="module")
def params():
    spec = read_spec(WORKBOOKS / "mesocart_adam_spec.xlsx")
    return adam_parameters(spec, {"base_param_file": str(example_parameters_file())}).params


@pytest.fixture(scope="module")
def baseline(example_sdtm, params) -> dict[str, pd.DataFrame]:
    return derive_all(example_sdtm, params)


def _read_variables() -> list[tuple[str, str]]:
    """(domain, variable) of every non-Required variable of the domains ADaM reads that the ADaM code names."""
    code = " ".join(path.read_text() for path in ADAM_CODE.glob("*.py"))
    named = set(re.findall(r"\b[A-Z][A-Z0-9]{2,7}\b", code))
    spec = read_spec(WORKBOOKS / "mesocart_sdtm_spec.xlsx")
    return [(v.dataset, v.name) for v in spec.variables
            if v.dataset in READERS and v.core != "Req" and v.name in named]


def _derive(sdtm, params, only, caplog):
    caplog.clear()
    with caplog.at_level(logging.INFO):
        try:
            return derive_all(sdtm, params, only=only), None
        except DerivationError as err:
            return None, err


def _changed(result: dict[str, pd.DataFrame], baseline: dict[str, pd.DataFrame], dropped: str = "") -> list[str]:
    """The datasets whose values differ; a dropped variable that ADaM only carries over (ADLB keeps LB's
    variables) is absent from the result too, which is no change to report."""
    changed = []
    for name, frame in result.items():
        try:
            pd.testing.assert_frame_equal(frame, baseline[name].drop(columns=[dropped], errors="ignore")
                                          if dropped not in frame.columns else baseline[name], check_dtype=False)
        except AssertionError:
            changed.append(name)
    return changed + [name for name in baseline if name not in result]


@pytest.mark.parametrize("domain,variable", _read_variables(), ids=lambda v: v)
def test_a_missing_optional_variable_degrades_with_a_warning_or_a_clear_error(
        example_sdtm, params, baseline, caplog, domain, variable):
    if variable not in example_sdtm[domain].columns:
        pytest.skip(f"the example's {domain} has no {variable}")
    sdtm = dict(example_sdtm)
    sdtm[domain] = sdtm[domain].drop(columns=variable)
    only = ("ADSL", *READERS[domain])
    result, error = _derive(sdtm, params, only, caplog)
    if error is not None:
        assert variable in str(error), f"the error does not name {domain}.{variable}: {error}"
        return
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    changed = _changed(result, {name: baseline[name] for name in result}, variable)
    if changed:
        assert any(variable in message for message in warnings), (
            f"without {domain}.{variable} {', '.join(changed)} changed, but no warning names it: {warnings}")


OPTIONAL_DOMAINS = sorted(set(READERS) - REQUIRED_DOMAINS)


@pytest.mark.parametrize("domain", OPTIONAL_DOMAINS)
def test_a_missing_optional_domain_degrades_with_a_warning(example_sdtm, params, baseline, caplog, domain):
    sdtm = {name: frame for name, frame in example_sdtm.items() if name != domain}
    result, error = _derive(sdtm, params, None, caplog)
    assert error is None, f"without {domain}: {error}"
    # a domain that is one of alternatives (CP or PC for ADPC) is named at INFO: a study may have only one
    alternative = any(domain in needed and len(needed) > 1 for groups in api.REQUIRED_SDTM.values()
                      for needed in groups)
    level = logging.INFO if alternative else logging.WARNING
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= level]
    if _changed(result, baseline):
        assert any(domain in message for message in warnings), f"without {domain} no warning names it: {warnings}"


def test_a_dataset_asked_for_without_its_sdtm_input_is_a_clear_error(example_sdtm, params):
    sdtm = {name: frame for name, frame in example_sdtm.items() if name != "RS"}
    with pytest.raises(DerivationError, match="ADRS needs SDTM dataset RS"):
        derive_all(sdtm, params, only=["ADRS"])
