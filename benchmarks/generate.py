"""Time the example-study generator at 50 and 5,000 subjects (wall time, records, bytes written).

Usage: python benchmarks/generate.py [--sizes 50 5000] [--seed 20240101]

Targets: 50 subjects < 2 s, 5,000 subjects < 20 s (hard limit 60 s) on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = {50: 2.0, 5000: 20.0}


def measure(subjects: int, seed: int) -> dict:
    from trialforge.example_study.generator import generate_study

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        manifest = generate_study(Path(scratch), subjects=subjects, seed=seed)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(scratch).iterdir())
    return {"subjects": subjects, "seconds": seconds, "records": sum(f["rows"] for f in manifest["forms"].values()),
            "megabytes": size / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args(argv)
    measure(5, args.seed)  # warm up imports so the first size is not charged for them
    failed = False
    print(f"{'subjects':>8} {'seconds':>8} {'target':>7} {'records':>10} {'MB':>7}")
    for subjects in args.sizes:
        result = measure(subjects, args.seed)
        target = TARGET_SECONDS.get(subjects)
        slow = target is not None and result["seconds"] > target
        failed |= slow
        print(f"{subjects:>8} {result['seconds']:>8.2f} {target if target else '-':>7} {result['records']:>10,} "
              f"{result['megabytes']:>7.1f}{'  SLOW' if slow else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
