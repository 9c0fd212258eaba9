"""The CDISC pilot as a second study: build it from pharmaverseraw's raw files with its spec, compare with
the SDTM pharmaverse publishes.

    python benchmarks/second_study.py [--out DIR]

Runs `trialforge build --study ../shared/examples/pharmaverse/raw --sdtm-spec
examples/cdisc-pilot/pilot_sdtm_spec.xlsx --stages sdtm` in a subprocess, then prints per dataset the
records made, expected (and in scope: those the raw data can give), matched by natural key, and per
variable the share of identical values (numbers normalised, NA == blank). The comparison code is
`tests/pilot/compare.py`, which the test suite asserts with; excused variables say which pharmaverse
convention explains them.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository root first: this folder's adam.py must not hide `adam`


def load_compare():
    path = HERE.parent / "tests" / "pilot" / "compare.py"
    spec = importlib.util.spec_from_file_location("pilot_compare", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def build(compare, out: Path) -> float:
    command = [sys.executable, "-m", "trialforge", "build", "--study", str(compare.RAW), "--sdtm-spec",
               str(compare.SPEC), "--stages", "sdtm", "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the build failed (exit {done.returncode}): {' '.join(command)}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="package folder to build into (default: a temporary folder)")
    args = parser.parse_args(argv)
    compare = load_compare()
    if not compare.expected_available():
        print(f"skipped: the pharmaverse data is not at {compare.PHARMAVERSE}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "pkg"
        seconds = build(compare, out)
        results = compare.compare_all(compare.built_datasets(out))
    print(f"build --stages sdtm: {seconds:.1f} s\n")
    print(compare.table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
