"""Writes the example study's SDTM and ADaM spec workbooks: `python -m trialforge.example_study.workbooks.author`.

The study content lives in the modules beside this one; this module only lays it out in xlsx files.
Output is byte-stable: fixed document properties and zip entry times, sheets and rows in a fixed order,
every cell a text cell.
"""

from __future__ import annotations

import argparse
import io
import logging
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from trialforge.example_study.workbooks import ADAM_SPEC, SDTM_SPEC
from specs.terminology import terminology

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# Fixed timestamp for document properties and zip entries: the CT release the specs are built on.
FIXED_TIME = datetime(2025, 3, 28, 0, 0, 0)

Sheets = dict[str, list[list[str]]]


def build_sdtm() -> Sheets:
    from trialforge.example_study.workbooks.sdtm_workbook import build_sdtm_sheets
    return build_sdtm_sheets(terminology("sdtm"))


def build_adam() -> Sheets:
    from trialforge.example_study.workbooks.adam_workbook import build_adam_sheets
    return build_adam_sheets(terminology("sdtm"), terminology("adam"))


def workbook_bytes(sheets: Sheets, title: str) -> bytes:
    """The xlsx file of `sheets` (header row bold and frozen), identical bytes for identical content."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.iter_cols():
            for cell in column:
                cell.number_format = "@"
        ws.freeze_panes = "A2"
    props = wb.properties
    props.creator = props.lastModifiedBy = "trialforge"
    props.title = title
    props.created = props.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return _with_fixed_times(buffer.getvalue())


def _with_fixed_times(data: bytes) -> bytes:
    """Re-pack a zip with every entry dated FIXED_TIME, so the file does not depend on when it was written."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write(out_dir: Path = HERE) -> list[Path]:
    written = []
    for name, build, title in ((SDTM_SPEC, build_sdtm, "MESOCART-PD1 SDTM specification"),
                               (ADAM_SPEC, build_adam, "MESOCART-PD1 ADaM specification")):
        path = out_dir / name
        path.write_bytes(workbook_bytes(build(), title))
        logger.info("wrote %s", path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the workbooks to")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
