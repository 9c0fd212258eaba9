"""Time our XPORT v5 writer against pyreadstat, haven (R) and Parquet on a 1,000,000-row LB frame.

Usage: python benchmarks/xpt_write.py [--rows 1000000] [--pyreadstat-rows 200000] [--repeat 3]

All peers run in this one invocation on the same seeded frame. pyreadstat is slow, so it writes the
first --pyreadstat-rows rows and its time is scaled linearly to the full frame (the output says so).
haven runs only when `Rscript` is on PATH and `library(haven)` loads: R reads the frame from a CSV
and times nothing but `write_xpt(..., version = 5)`. Peak memory of our writer is measured in a
fresh process (see `measure_memory`), compared with the frame's memory_usage(deep=True).
The last line is `speedup vs pyreadstat: <N>x`.
Targets: faster than haven, >= 30x pyreadstat, within 2x of Parquet, peak memory <= 2x the frame.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from formats.xpt import XptColumn, write_xpt  # noqa: E402

SEED = 20240101

# (test code, test name, category, unit, low, high) for the LB vocabulary
_TESTS = [
    ("ALB", "Albumin", "CHEMISTRY", "g/L", 35, 50),
    ("ALP", "Alkaline Phosphatase", "CHEMISTRY", "U/L", 40, 130),
    ("ALT", "Alanine Aminotransferase", "CHEMISTRY", "U/L", 7, 56),
    ("AST", "Aspartate Aminotransferase", "CHEMISTRY", "U/L", 10, 40),
    ("BILI", "Bilirubin", "CHEMISTRY", "umol/L", 2, 21),
    ("CREAT", "Creatinine", "CHEMISTRY", "umol/L", 60, 110),
    ("CRP", "C Reactive Protein", "CHEMISTRY", "mg/L", 0, 10),
    ("FERRITIN", "Ferritin", "CHEMISTRY", "ug/L", 20, 300),
    ("IL6", "Interleukin 6", "CHEMISTRY", "ng/L", 0, 7),
    ("SODIUM", "Sodium", "CHEMISTRY", "mmol/L", 135, 145),
    ("HGB", "Hemoglobin", "HEMATOLOGY", "g/L", 120, 170),
    ("PLAT", "Platelets", "HEMATOLOGY", "10^9/L", 150, 400),
    ("WBC", "Leukocytes", "HEMATOLOGY", "10^9/L", 4, 11),
    ("NEUT", "Neutrophils", "HEMATOLOGY", "10^9/L", 2, 7),
    ("LYM", "Lymphocytes", "HEMATOLOGY", "10^9/L", 1, 4),
]
_VISITS = [(-1.0, "SCREENING"), (1.0, "LYMPHODEPLETION"), (2.0, "DAY 1")] + [
    (float(2 + k), f"DAY {d}") for k, d in enumerate((4, 7, 14, 21, 28, 56, 90, 180, 270, 365), start=1)
]

LB_COLUMNS = [
    XptColumn("STUDYID", "Study Identifier", "char"),
    XptColumn("DOMAIN", "Domain Abbreviation", "char"),
    XptColumn("USUBJID", "Unique Subject Identifier", "char"),
    XptColumn("LBSEQ", "Sequence Number", "num"),
    XptColumn("LBTESTCD", "Lab Test or Examination Short Name", "char"),
    XptColumn("LBTEST", "Lab Test or Examination Name", "char"),
    XptColumn("LBCAT", "Category for Lab Test", "char"),
    XptColumn("LBORRES", "Result or Finding in Original Units", "char"),
    XptColumn("LBORRESU", "Original Units", "char"),
    XptColumn("LBORNRLO", "Reference Range Lower Limit in Orig Unit", "char"),
    XptColumn("LBORNRHI", "Reference Range Upper Limit in Orig Unit", "char"),
    XptColumn("LBSTRESC", "Character Result/Finding in Std Format", "char"),
    XptColumn("LBSTRESN", "Numeric Result/Finding in Standard Units", "num"),
    XptColumn("LBSTRESU", "Standard Units", "char"),
    XptColumn("LBSTNRLO", "Normal Range Lower Limit-Std Units", "num"),
    XptColumn("LBSTNRHI", "Normal Range Upper Limit-Std Units", "num"),
    XptColumn("LBNRIND", "Reference Range Indicator", "char"),
    XptColumn("VISITNUM", "Visit Number", "num"),
    XptColumn("VISIT", "Visit Name", "char"),
    XptColumn("LBDTC", "Date/Time of Specimen Collection", "char"),
    XptColumn("LBDY", "Study Day of Specimen Collection", "num"),
]


def build_lb_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """An LB-shaped frame: mostly text, pandas' default str dtype, ~3% missing results."""
    rng = np.random.default_rng(seed)
    tests = pd.DataFrame(_TESTS, columns=["cd", "name", "cat", "unit", "lo", "hi"])
    test = rng.integers(0, len(tests), rows)
    visit = rng.integers(0, len(_VISITS), rows)
    subject = np.sort(rng.integers(1, 5001, rows))
    lo, hi = tests["lo"].to_numpy(float)[test], tests["hi"].to_numpy(float)[test]
    result = np.round(lo + (hi - lo) * rng.gamma(4.0, 0.3, rows), 1)
    result[rng.random(rows) < 0.03] = np.nan
    as_text = pd.Series(result).map(lambda v: "" if np.isnan(v) else f"{v:g}")
    day = np.array([v for v, _ in _VISITS])[visit] * 7 - 8
    stamp = np.datetime64("2024-01-01T08:00") + (subject * 3 + day).astype("timedelta64[D]") + rng.integers(
        0, 600, rows
    ).astype("timedelta64[m]")
    indicator = np.where(np.isnan(result), "", np.where(result < lo, "LOW", np.where(result > hi, "HIGH", "NORMAL")))

    def text(values) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=object)).astype("str")

    return pd.DataFrame(
        {
            "STUDYID": text(np.full(rows, "MESOCART-PD1")),
            "DOMAIN": text(np.full(rows, "LB")),
            "USUBJID": text(np.char.add("MESOCART-PD1-001-", np.char.zfill(subject.astype(str), 4))),
            "LBSEQ": np.arange(1, rows + 1, dtype=float),
            "LBTESTCD": text(tests["cd"].to_numpy()[test]),
            "LBTEST": text(tests["name"].to_numpy()[test]),
            "LBCAT": text(tests["cat"].to_numpy()[test]),
            "LBORRES": text(as_text),
            "LBORRESU": text(tests["unit"].to_numpy()[test]),
            "LBORNRLO": text(pd.Series(lo).map("{:g}".format)),
            "LBORNRHI": text(pd.Series(hi).map("{:g}".format)),
            "LBSTRESC": text(as_text),
            "LBSTRESN": result,
            "LBSTRESU": text(tests["unit"].to_numpy()[test]),
            "LBSTNRLO": lo,
            "LBSTNRHI": hi,
            "LBNRIND": text(indicator),
            "VISITNUM": np.array([v for v, _ in _VISITS])[visit],
            "VISIT": text(np.array([n for _, n in _VISITS])[visit]),
            "LBDTC": text(np.datetime_as_string(stamp, unit="m")),
            "LBDY": np.where(day >= 0, day + 1, day),
        }
    )


def best_of(repeat: int, action) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def time_haven(frame: pd.DataFrame, scratch: Path) -> float | None:
    """Seconds haven::write_xpt takes inside R, or None when R/haven is not available."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    probe = subprocess.run([rscript, "-e", "library(haven); library(readr)"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    csv = scratch / "lb.csv"
    frame.to_csv(csv, index=False)
    numeric = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    col_types = "".join("d" if c in numeric else "c" for c in frame.columns)
    script = f"""
suppressMessages({{library(haven); library(readr)}})
df <- as.data.frame(read_csv("{csv}", col_types = "{col_types}", na = "", progress = FALSE))
t0 <- Sys.time()
write_xpt(df, "{scratch / 'haven.xpt'}", version = 5, name = "LB")
cat(sprintf("HAVEN_SECONDS %.6f\\n", as.numeric(difftime(Sys.time(), t0, units = "secs"))))
"""
    run = subprocess.run([rscript, "-e", script], capture_output=True, text=True)
    for line in run.stdout.splitlines():
        if line.startswith("HAVEN_SECONDS"):
            return float(line.split()[1])
    print(f"haven failed, skipped: {run.stderr.strip()[-300:]}", file=sys.stderr)
    return None


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure_memory(parquet: str, target: str) -> None:
    """Child process: load the frame, write it, report the writer's peak extra memory two ways.

    1. the kernel's resident-set high-water mark (VmHWM, reset via /proc/self/clear_refs just before
       the write) minus the resident set before it;
    2. tracemalloc's peak (Python and numpy allocations) plus the peak of arrow's default memory
       pool, which only the writer uses (the frame is loaded through the system pool): an upper
       bound that allocator caches cannot hide.
    """
    import tracemalloc

    import pyarrow as pa
    import pyarrow.parquet as pq

    writer_pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())  # the frame's buffers stay out of the writer's pool
    frame = pq.read_table(parquet).to_pandas()
    pa.set_memory_pool(writer_pool)
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    arrow_before = writer_pool.max_memory()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current resident set
    before = _status_kb("VmRSS")
    tracemalloc.start()
    write_xpt(frame, target, name="LB", columns=LB_COLUMNS)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_extra = (_status_kb("VmHWM") - before) * 1024
    allocated_extra = python_peak + max(0, (writer_pool.max_memory() or 0) - (arrow_before or 0))
    print(json.dumps({"frame_bytes": frame_bytes, "rss_extra": rss_extra, "allocated_extra": allocated_extra}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pyreadstat-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure-memory", nargs=2, metavar=("PARQUET", "XPT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_memory:
        measure_memory(*args.measure_memory)
        return

    import pyreadstat

    frame = build_lb_frame(args.rows)
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        ours = best_of(args.repeat, lambda: write_xpt(frame, scratch / "lb.xpt", name="LB", columns=LB_COLUMNS))
        size = (scratch / "lb.xpt").stat().st_size
        parquet = best_of(args.repeat, lambda: frame.to_parquet(scratch / "lb.parquet", engine="pyarrow"))

        sample = frame.head(min(args.pyreadstat_rows, args.rows))
        labels = [c.label for c in LB_COLUMNS]
        started = time.perf_counter()
        pyreadstat.write_xport(
            sample, str(scratch / "pyreadstat.xpt"), file_format_version=5, table_name="LB", column_labels=labels
        )
        pyreadstat_seconds = (time.perf_counter() - started) * args.rows / len(sample)
        haven = time_haven(frame, scratch)

        child = subprocess.run(
            [sys.executable, __file__, "--measure-memory", str(scratch / "lb.parquet"), str(scratch / "mem.xpt")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        memory = json.loads(child.stdout)

    scaled = f" (timed on {len(sample):,} rows, scaled x{args.rows / len(sample):g})" if len(sample) < args.rows else ""
    print(f"LB frame: {args.rows:,} rows x {frame.shape[1]} columns, {frame_bytes / 2**20:,.0f} MiB in memory; "
          f"XPT file {size / 2**20:,.0f} MiB; best of {args.repeat} for ours and Parquet")  # fmt: skip
    print(f"{'writer':<36}{'seconds':>10}{'rows/s':>14}")
    rows = [("formats.xpt.write_xpt", ours), ("pyarrow Parquet (to_parquet)", parquet),
            (f"pyreadstat.write_xport v5{'*' if scaled else ''}", pyreadstat_seconds),
            ("haven::write_xpt v5 (R)", haven)]  # fmt: skip
    for label, seconds in rows:
        if seconds is None:
            print(f"{label:<36}{'skipped (Rscript/haven unavailable)':>24}")
        else:
            print(f"{label:<36}{seconds:>10.3f}{args.rows / seconds:>14,.0f}")
    if scaled:
        print(f"* pyreadstat{scaled}")
    peak = max(memory["rss_extra"], memory["allocated_extra"])
    mib = {key: value / 2**20 for key, value in memory.items()}
    print(f"peak extra memory of write_xpt: {peak / 2**20:,.0f} MiB = {peak / memory['frame_bytes']:.2f}x the frame "
          f"({mib['frame_bytes']:,.0f} MiB) [target <= 2x] (RSS high-water mark +{mib['rss_extra']:,.0f} MiB; "
          f"traced + arrow allocations {mib['allocated_extra']:,.0f} MiB)")  # fmt: skip
    print(f"ours vs Parquet: {ours / parquet:.2f}x its time [target <= 2x]")
    if haven is not None:
        print(f"speedup vs haven: {haven / ours:.1f}x [target > 1x]")
    print(f"speedup vs pyreadstat: {pyreadstat_seconds / ours:.0f}x")


if __name__ == "__main__":
    main()
