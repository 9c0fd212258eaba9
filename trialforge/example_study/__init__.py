"""The example study, MESOCART-PD1: our demo and benchmark, never the library's defaults.

Everything that belongs to it lives in this package: the raw-data generator (`generator`, `forms`, ...),
its SDTM and ADaM spec workbooks and the modules that author them (`workbooks/`), its raw-data expectation
suite (`workbooks/mesocart_raw.yaml`) and its ADaM study parameters (`parameters.yaml`). The library
(specs, sdtm, adam, define_xml, validation) builds any study from its specs alone; the CLI uses what is
here only when asked for the example (`--example`, `spec check --example sdtm`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from trialforge.example_study.workbooks import ADAM_SPEC, RAW_EXPECTATIONS, SDTM_SPEC

SPECS = {"sdtm": SDTM_SPEC, "adam": ADAM_SPEC}
PARAMETERS = "parameters.yaml"


def example_spec(kind: str) -> Path:
    """Path of the example study's spec workbook ("sdtm" or "adam") shipped in this package."""
    return Path(str(resources.files("trialforge.example_study.workbooks").joinpath(SPECS[kind])))


def example_raw_expectations() -> Path:
    """Path of the example study's raw-data expectation suite."""
    return Path(str(resources.files("trialforge.example_study.workbooks").joinpath(RAW_EXPECTATIONS)))


def example_parameters_file() -> Path:
    """Path of the example study's ADaM study parameters (YAML, the `--param-file` format)."""
    return Path(str(resources.files(__name__).joinpath(PARAMETERS)))


def example_parameters():
    """The example study's ADaM study parameters as its build derives with them: what its ADaM spec states,
    then its parameters file (adam.spec_parameters)."""
    from adam.parameters import read_parameter_file
    from adam.spec_parameters import resolve_parameters
    from specs.reader import read_spec

    path = example_parameters_file()
    return resolve_parameters(read_spec(example_spec("adam")), [(str(path), read_parameter_file(path))]).params


def is_example_spec(path: str | Path | None, kind: str) -> bool:
    """True when `path` is the example's own spec workbook of `kind` (the file shipped here)."""
    if not path:
        return False
    try:
        return Path(path).resolve() == example_spec(kind).resolve()
    except OSError:
        return False


def example_options() -> dict[str, str]:
    """The build options (`trialforge.pipeline.run_pipeline`) that build the example as `build --example` does:
    its two spec workbooks and its study parameters."""
    return {"sdtm_spec": str(example_spec("sdtm")), "adam_spec": str(example_spec("adam")),
            "base_param_file": str(example_parameters_file())}
