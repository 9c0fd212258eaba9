"""Bundled conformance rules (YAML data, one file per theme)."""
