"""Incremental rebuilds of the example study (issue 15): a cold build, the unchanged nightly rebuild, and a
rebuild after one raw form changed, each `trialforge build` as a user runs it (a fresh process: start-up
and imports included), with a build cache of its own (XDG_CACHE_HOME in its scratch folder), in one run.

Usage: python benchmarks/build.py --incremental [--subjects 50]

Target: the unchanged rebuild under 1 s wall.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0


def _build(*args: str, cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "trialforge", "build", *args], capture_output=True, text=True,
                          cwd=cwd, env=dict(os.environ, CI="true", XDG_CACHE_HOME=str(cwd / "xdg-cache")))
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"trialforge build {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stderr


def _reused(console: str) -> str:
    lines = [line for line in console.splitlines() if "] " in line and line.startswith("INFO [")]
    names = [line.split("] ", 1)[1].split(":", 1)[0] for line in lines if "reused" in line]
    return ", ".join(names) or "none"


def _change_one_form(raw: Path) -> str:
    """One AE record's toxicity grade corrected, as a site's data correction comes in overnight."""
    import csv
    import io

    ae = raw / "ae.csv"
    lines = ae.read_text(encoding="utf-8").splitlines(keepends=True)
    column = next(csv.reader([lines[0]])).index("AETOXGR")
    record = next(csv.reader([lines[1]]))
    record[column] = "3" if record[column] != "3" else "2"
    text = io.StringIO()
    csv.writer(text, lineterminator=lines[1][len(lines[1].rstrip("\r\n")):]).writerow(record)
    lines[1] = text.getvalue()
    ae.write_text("".join(lines), encoding="utf-8")
    return "ae.csv (one grade)"


def run(subjects: int = 50) -> None:
    from trialforge.example_study import example_spec

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="trialforge-incremental-") as scratch:
        root = Path(scratch)
        example = ("--example", "--subjects", str(subjects), "--out", "pkg")
        cold, _ = _build(*example, cwd=root)
        unchanged, console = _build(*example, cwd=root)
        if "nothing recomputed" not in console:
            sys.exit(f"the unchanged rebuild recomputed something:\n{console}")
        subprocess.run([sys.executable, "-m", "trialforge", "example", "--subjects", str(subjects), "--out",
                        str(root / "study" / "raw")], check=True, capture_output=True)
        (root / "study" / "raw" / "trialforge-manifest.json").unlink()  # a plain folder of extracts, as --example's
        study = ("--study", str(root / "study" / "raw"), "--sdtm-spec", str(example_spec("sdtm")),
                 "--adam-spec", str(example_spec("adam")), "--out", "pkg-study")
        first_study, console_study = _build(*study, cwd=root)
        changed = _change_one_form(root / "study" / "raw")
        one_form, console_changed = _build(*study, cwd=root)
    print(f"\nincremental rebuilds of the example, {subjects} subjects (load average {load:.1f} at start; "
          f"each a fresh `trialforge build` process, start-up and imports included)")
    print(f"  {'cold build (--example, empty cache)':<52}{cold:>8.2f} s")
    print(f"  {'unchanged rebuild (--example, same --out)':<52}{unchanged:>8.2f} s")
    print(f"  {'the same raw files as --study, another --out':<52}{first_study:>8.2f} s   reused: "
          f"{_reused(console_study)}")
    print(f"  {'one raw form changed: ' + changed:<52}{one_form:>8.2f} s   reused: {_reused(console_changed)}")
    met = unchanged < TARGET_SECONDS
    print(f"\nunchanged rebuild: {unchanged:.2f} s (target {TARGET_SECONDS:.0f} s, ratio "
          f"{unchanged / TARGET_SECONDS:.2f}): {'MET' if met else 'MISSED'}; cold build {cold:.1f} s "
          f"({cold / unchanged:.0f} times the unchanged rebuild)")
