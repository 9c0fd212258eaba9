"""Bundled raw-data expectation suites (YAML data)."""
