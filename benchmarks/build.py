"""Build the example study at 50 and 5,000 subjects; print wall time and peak memory per stage.

Usage: python benchmarks/build.py [--sizes 50 5000]

Each size runs in a fresh process. A sampler thread reads the process's resident memory
(/proc/self/status VmRSS) every 20 ms and keeps the peak per stage. Targets for the finished
pipeline: 50 subjects < 10 s, 5,000 subjects < 120 s, peak RSS < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# the repository root first: this folder's adam.py must not hide the `adam` package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = {50: 10.0, 5000: 120.0}
TARGET_RSS_MB = 4096


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(subjects: int) -> dict:
    """Run in the child process: generate, build, and report per-stage time and peak RSS."""
    from trialforge.example_study.generator import generate_study
    from trialforge.pipeline import run_pipeline
    from trialforge.stages import default_stages

    peaks: dict[str, float] = {}
    current = ["generate"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peaks[current[0]] = max(peaks.get(current[0], 0.0), _rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        generate_study(Path(scratch) / "raw", subjects=subjects, seed=20240101)
        times["generate"] = time.perf_counter() - started

        def progress(number, total, stage, seconds):
            if seconds is None:
                current[0] = stage.name
            else:
                times[stage.name] = seconds

        started = time.perf_counter()
        run_pipeline(default_stages(), Path(scratch) / "raw", Path(scratch) / "pkg", progress=progress)
        total_build = time.perf_counter() - started
    stop.set()
    sampler.join()
    return {"subjects": subjects, "times": times, "peaks_mb": peaks,
            "build_total": total_build, "total": total_build + times["generate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    ok = True
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size)], check=True,
                             capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{size} subjects")
        print(f"  {'stage':<16}{'seconds':>10}{'peak RSS MB':>14}")
        for stage, seconds in result["times"].items():
            print(f"  {stage:<16}{seconds:>10.2f}{result['peaks_mb'].get(stage, 0.0):>14.0f}")
        peak = max(result["peaks_mb"].values())
        target = TARGET_SECONDS.get(size)
        verdict = "" if target is None else (" (target < %.0f s: %s)" % (target, "met" if result["total"] < target
                                                                          else "MISSED"))
        print(f"  {'total':<16}{result['total']:>10.2f}{peak:>14.0f}{verdict}")
        ok &= (target is None or result["total"] < target) and peak < TARGET_RSS_MB
    print(f"\nall targets met: {'yes' if ok else 'no'} (peak RSS target < {TARGET_RSS_MB} MB)")


if __name__ == "__main__":
    main()
