"""Writes the CDISC pilot's SDTM spec workbook: `python examples/cdisc-pilot/author.py`.

The content lives in the `pilot_spec` modules beside this script; this script only lays it out as
`pilot_sdtm_spec.xlsx` with the example study's byte-stable writer (fixed document properties and zip entry
times), so the committed workbook changes only when its content does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = "pilot_sdtm_spec.xlsx"
if str(HERE) not in sys.path:  # the content modules sit beside this script, not in an installed package
    sys.path.insert(0, str(HERE))

from pilot_spec.workbook import build_sheets  # noqa: E402
from trialforge.example_study.workbooks.author import workbook_bytes  # noqa: E402

TITLE = "CDISCPILOT01 SDTM specification"


def spec_bytes() -> bytes:
    """The workbook's bytes: the same content always gives the same bytes."""
    return workbook_bytes(build_sheets(), TITLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / SPEC, help=f"the workbook to write (default: {SPEC} here)")
    args = parser.parse_args(argv)
    args.out.write_bytes(spec_bytes())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
