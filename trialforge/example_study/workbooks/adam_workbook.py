"""Assembles the ADaM spec workbook's sheets from the study content modules."""

from __future__ import annotations

from trialforge.example_study.workbooks.adam_codelists import adam_codelist_rows
from trialforge.example_study.workbooks.adam_datasets import dataset_rows, variable_rows
from trialforge.example_study.workbooks.adam_mapping import mapping_rows
from trialforge.example_study.workbooks.adam_metadata import (
    DISPLAYS, DOCUMENTS, comment_rows, method_rows, result_rows, valuelevel_rows,
)
from trialforge.example_study.workbooks.common import STD_ADAMIG, STD_CT_ADAM, STD_CT_DEFINE, STD_CT_SDTM, sheet_rows
from trialforge.example_study.workbooks.sdtm_codelists import DICTIONARIES
from trialforge.example_study.workbooks.sdtm_workbook import define_rows, standard_row
from specs.terminology import CT_VERSION, Terminology


def build_adam_sheets(sdtm_ct: Terminology, adam_ct: Terminology) -> dict[str, list[list[str]]]:
    """Every sheet of the ADaM workbook, in order, as rows of text cells (header first)."""
    return {
        "Define": sheet_rows("Define", define_rows("ADaMIG", "1.3")),
        "Standards": sheet_rows("Standards", [
            standard_row(STD_ADAMIG, "ADaMIG", "IG", "", "1.3"),
            standard_row(STD_CT_ADAM, "CDISC/NCI", "CT", "ADaM", CT_VERSION),
            standard_row(STD_CT_SDTM, "CDISC/NCI", "CT", "SDTM", CT_VERSION),
            standard_row(STD_CT_DEFINE, "CDISC/NCI", "CT", "DEFINE-XML", CT_VERSION)]),
        "Datasets": sheet_rows("Datasets", dataset_rows()),
        "Variables": sheet_rows("Variables", variable_rows()),
        "ValueLevel": sheet_rows("ValueLevel", valuelevel_rows(sdtm_ct)),
        "Codelists": sheet_rows("Codelists", adam_codelist_rows(sdtm_ct, adam_ct)),
        "Dictionaries": sheet_rows("Dictionaries", DICTIONARIES),
        "Methods": sheet_rows("Methods", method_rows()),
        "Comments": sheet_rows("Comments", comment_rows()),
        "Documents": sheet_rows("Documents", DOCUMENTS),
        "Analysis Displays": sheet_rows("Analysis Displays", DISPLAYS),
        "Analysis Results": sheet_rows("Analysis Results", result_rows()),
        "Mapping": sheet_rows("Mapping", mapping_rows()),
    }
