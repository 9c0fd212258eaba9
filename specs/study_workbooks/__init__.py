"""The example study's spec workbooks (package data) and the modules that author them.

`mesocart_sdtm_spec.xlsx` and `mesocart_adam_spec.xlsx` are written by `python -m specs.study_workbooks.author`
from the content modules in this package; see README.md here for the Mapping-sheet conventions.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SDTM_SPEC = "mesocart_sdtm_spec.xlsx"
ADAM_SPEC = "mesocart_adam_spec.xlsx"


def bundled_workbook(kind: str) -> Path:
    """Path of the bundled workbook of `kind` ("sdtm" or "adam")."""
    name = {"sdtm": SDTM_SPEC, "adam": ADAM_SPEC}[kind]
    return Path(str(resources.files(__name__).joinpath(name)))
