"""Conformance checks for SDTM and ADaM: rules as YAML data, a vectorized engine, raw-data expectations
and reports (Excel, JSON, HTML).

    from validation import validate_folder, write_reports, run_validation
    result = validate_folder("pkg/sdtm", define="pkg/sdtm/define.xml")
    write_reports(result, "pkg/audit/validation")
    outcome = run_validation("pkg/sdtm", out_dir="pkg/audit/validation", fail_on="error")  # CLI / build
"""

from __future__ import annotations

ENGINE_NAME = "trialforge-validation"
ENGINE_VERSION = "0.1.0"

_EXPORTS = {
    "validate_folder": "validation.engine",
    "validate_datasets": "validation.engine",
    "write_reports": "validation.reports",
    "run_raw_expectations": "validation.raw_expectations",
    "run_validation": "validation.gate",
    "load_rules": "validation.rulebook",
    "ValidationResult": "validation.model",
    "Finding": "validation.model",
    "RuleStatus": "validation.model",
}


def __getattr__(name: str):
    """Public API, imported on first use so `import validation` stays light."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'validation' has no attribute {name!r}")


__all__ = sorted(_EXPORTS) + ["ENGINE_NAME", "ENGINE_VERSION"]
