"""Time reading the spec workbooks' sheets: openpyxl's read-only mode against specs.sheetxml.

Usage: python benchmarks/spec_read.py [--repeat 5] [WORKBOOK ...]

Without workbooks, the example study's two spec workbooks (and the CDISC pilot's P21 workbooks when
../shared is beside the project). Both readers run in this one invocation, best of --repeat each, on the
same files; their rows are compared first (they must be equal). The last line is the ratio of the totals.
Target: sheetxml at least 1.5 times as fast (it replaced openpyxl in specs.reader for that reason).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import openpyxl  # noqa: E402

from specs import sheetxml, workbook  # noqa: E402
from trialforge.example_study import workbooks as example  # noqa: E402


def with_openpyxl(path: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            rows[sheet.title] = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
    return rows


def with_sheetxml(path: Path) -> dict:
    package = workbook.open_package(path)
    with zipfile.ZipFile(path) as archive:
        book = sheetxml.Workbook(archive, package.workbook_part)
        return {title: list(book.sheet(member, workbook.SheetScan())) for title, member in package.sheet_parts.items()}


def best_of(repeat: int, function, paths: list[Path]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for path in paths:
            function(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbooks", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paths = args.workbooks or (sorted(Path(example.__file__).parent.glob("*.xlsx"))
                               + sorted((HERE.parents[1] / "shared/examples/p21-spec-workbooks").glob("*.xlsx")))
    for path in paths:
        if with_openpyxl(path) != with_sheetxml(path):
            sys.exit(f"{path}: the two readers give different rows")
    theirs = best_of(args.repeat, with_openpyxl, paths)
    ours = best_of(args.repeat, with_sheetxml, paths)
    print(f"{len(paths)} workbooks: openpyxl {theirs:.3f} s, sheetxml {ours:.3f} s (best of {args.repeat})")
    ratio = theirs / ours
    print(f"speedup vs openpyxl: {ratio:.1f}x (target 1.5x: {'MET' if ratio >= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
