"""Fixtures shared by the spec tests."""

import pytest
from spec_factory import base_sheets, write_workbook


@pytest.fixture
def book(tmp_path):
    """A function writing the factory's small workbook, changed by `change(sheets)`, into tmp_path."""
    def write(change=None, name="spec.xlsx"):
        sheets = base_sheets()
        if change is not None:
            change(sheets)
        return write_workbook(tmp_path / name, sheets)

    return write
