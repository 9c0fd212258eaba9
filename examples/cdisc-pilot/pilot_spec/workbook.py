"""Every sheet of the pilot's SDTM spec workbook, in order, as rows of text cells (header first)."""

from __future__ import annotations

from pilot_spec import codelists, datasets, mapping, metadata, study, trial_design as td
from specs.terminology import terminology
from trialforge.example_study.workbooks.common import sheet_rows

TRIAL_DESIGN = {"TS": td.TS_COLUMNS, "TA": td.TA_COLUMNS, "TE": td.TE_COLUMNS, "TV": td.TV_COLUMNS}


def build_sheets() -> dict[str, list[list[str]]]:
    ct = {"sdtm": terminology("sdtm")}
    return {
        "Define": sheet_rows("Define", study.define_rows()),
        "Standards": sheet_rows("Standards", study.standard_rows()),
        "Datasets": sheet_rows("Datasets", datasets.dataset_rows()),
        "Variables": sheet_rows("Variables", datasets.variable_rows()),
        "ValueLevel": sheet_rows("ValueLevel", metadata.value_level_rows()),
        "Codelists": sheet_rows("Codelists", codelists.codelist_sheet_rows(ct)),
        "Methods": sheet_rows("Methods", metadata.method_rows()),
        "Sources": td.sheet(study.SOURCES, study.SOURCE_COLUMNS),
        "Mapping": sheet_rows("Mapping", mapping.mapping_rows(TRIAL_DESIGN)),
        "TS": td.sheet(td.TS, td.TS_COLUMNS),
        "TA": td.sheet(td.TA, td.TA_COLUMNS),
        "TE": td.sheet(td.TE, td.TE_COLUMNS),
        "TV": td.sheet(td.TV, td.TV_COLUMNS),
    }
