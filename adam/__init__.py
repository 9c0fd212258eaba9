"""SDTM -> ADaM: ADSL, ADAE, ADRS, ADTTE and ADTR as pure functions over DataFrames.

Entry point: `adam.api.derive_all(sdtm_frames, StudyParameters(...))`; one `create_*` function per
dataset; study conventions and thresholds in `adam.parameters.StudyParameters`.
"""
