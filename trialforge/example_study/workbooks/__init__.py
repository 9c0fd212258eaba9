"""The example study's spec workbooks (package data) and the modules that author them.

`mesocart_sdtm_spec.xlsx` and `mesocart_adam_spec.xlsx` are written by `python -m trialforge.example_study.workbooks.author`
from the content modules in this package; see README.md here for the Mapping-sheet conventions.
`trialforge.example_study.example_spec(kind)` gives their paths. `mesocart_raw.yaml` beside them is the
example's raw-data expectation suite.
"""

from __future__ import annotations

SDTM_SPEC = "mesocart_sdtm_spec.xlsx"
ADAM_SPEC = "mesocart_adam_spec.xlsx"
RAW_EXPECTATIONS = "mesocart_raw.yaml"  # named by the SDTM spec's Define sheet (RawDataExpectations)
