"""Time our XPORT v5 reader against pandas, pyreadstat and haven (R) on a 1,000,000-row LB file.

Usage: python benchmarks/xpt_read.py [--rows 1000000] [--repeat 3]

The seeded LB frame of benchmarks/xpt_write.py is written once with our writer (untimed); then every
reader loads that same file in this one invocation, best of --repeat each. haven runs only when
`Rscript` is on PATH and `library(haven)` loads; R times nothing but `read_xpt(...)`. Each peer's
result is checked against ours (row count; a few columns, numbers within 1e-9, text after rstrip).
pandas.read_sas runs with its current default encoding=None (no decoding): its text comes back as bytes.
The last lines are `speedup vs pandas.read_sas: <N>x, vs pyreadstat: <M>x` and the target status.
Target: ours is the fastest reader.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from formats.xpt import read_xpt, write_xpt  # noqa: E402
from xpt_write import LB_COLUMNS, best_of, build_lb_frame  # noqa: E402

CHECKED = ["USUBJID", "LBSEQ", "LBTESTCD", "LBORRES", "LBSTRESN", "VISITNUM", "LBDTC"]


def differences(ours: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    """How `theirs` differs from `ours` on the row count and the CHECKED columns (empty when equal)."""
    if len(theirs) != len(ours):
        return [f"{len(theirs):,} rows, ours {len(ours):,}"]
    found = []
    for name in CHECKED:
        if name not in theirs.columns:
            found.append(f"{name} missing")
            continue
        mine, other = ours[name], theirs[name]
        if mine.dtype.kind == "f":
            a, b = mine.to_numpy(float), pd.to_numeric(other).to_numpy(float)
            same = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-9)
        else:
            text = other.map(lambda v: "" if v is None or v != v else v.decode() if isinstance(v, bytes) else str(v))
            same = mine.str.rstrip().to_numpy() == text.str.rstrip().to_numpy()
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            found.append(f"{name}: {(~same).sum():,} values differ, first at row {row}: "
                         f"ours {mine.iloc[row]!r}, theirs {other.iloc[row]!r}")  # fmt: skip
    return found


def time_haven(path: Path, scratch: Path, repeat: int) -> tuple[float, pd.DataFrame] | None:
    """Best seconds of haven::read_xpt inside R and the CHECKED columns it read, or None without R/haven."""
    rscript = shutil.which("Rscript")
    if rscript is None or subprocess.run([rscript, "-e", "library(haven)"], capture_output=True).returncode != 0:
        return None
    csv = scratch / "haven.csv"
    script = f"""
suppressMessages(library(haven))
best <- Inf
for (i in seq_len({repeat})) {{
  t0 <- Sys.time(); df <- read_xpt("{path}")
  best <- min(best, as.numeric(difftime(Sys.time(), t0, units = "secs")))
}}
write.csv(as.data.frame(df)[, c({", ".join(f'"{c}"' for c in CHECKED)})], "{csv}", row.names = FALSE, na = "")
cat(sprintf("HAVEN_SECONDS %.6f\\n", best))
"""
    run = subprocess.run([rscript, "-e", script], capture_output=True, text=True)
    for line in run.stdout.splitlines():
        if line.startswith("HAVEN_SECONDS"):
            return float(line.split()[1]), pd.read_csv(csv, dtype=str, keep_default_na=False)
    print(f"haven failed, skipped: {run.stderr.strip()[-300:]}", file=sys.stderr)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pyreadstat

    frame = build_lb_frame(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        path = scratch / "lb.xpt"
        write_xpt(frame, path, name="LB", columns=LB_COLUMNS)
        del frame
        size = path.stat().st_size
        results: dict[str, pd.DataFrame] = {}

        def timed(label, read):
            def run():
                results[label] = read()  # keeps only the last result, so one extra frame at a time
            return best_of(args.repeat, run)

        times = {
            "formats.xpt.read_xpt": timed("ours", lambda: read_xpt(path)[0]),
            "pandas.read_sas (xport)": timed("pandas", lambda: pd.read_sas(path, format="xport", encoding=None)),
            "pyreadstat.read_xport": timed("pyreadstat", lambda: pyreadstat.read_xport(str(path))[0]),
        }
        haven = time_haven(path, scratch, args.repeat)

    ours = results.pop("ours")
    if haven is not None:
        times["haven::read_xpt (R)"], results["haven"] = haven
    agree = []
    for label, theirs in results.items():
        problems = differences(ours, theirs)
        for problem in problems:
            print(f"DIFFERS {label}: {problem}")
        agree += [] if problems else [label]
    print(f"same data as ours (rows; {', '.join(CHECKED)}): {', '.join(agree) or 'none'}")

    print(f"LB file: {args.rows:,} rows x {ours.shape[1]} columns, {size / 2**20:,.0f} MiB; best of {args.repeat}")
    print(f"{'reader':<28}{'seconds':>10}{'vs ours':>10}")
    base = times["formats.xpt.read_xpt"]
    for label, seconds in times.items():
        print(f"{label:<28}{seconds:>10.3f}{seconds / base:>9.1f}x")
    if haven is None:
        print("haven: not available (no Rscript)" if shutil.which("Rscript") is None else "haven: not available")
    print(f"speedup vs pandas.read_sas: {times['pandas.read_sas (xport)'] / base:.1f}x, "
          f"vs pyreadstat: {times['pyreadstat.read_xport'] / base:.1f}x")  # fmt: skip
    print(f"target: ours fastest: {'MET' if base == min(times.values()) else 'MISSED'}")


if __name__ == "__main__":
    main()
