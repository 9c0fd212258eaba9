"""Build the example study at 50 and 5,000 subjects; print wall time, CPU time and peak memory per stage,
and each size against its target.

Usage: python benchmarks/build.py [--sizes 50 5000] [--repeat N]

Each size runs in a fresh process that runs `trialforge build --example --subjects N` through the CLI's
own entry point, so everything the command does is timed: its checks, generating the raw extracts, every
build stage (the example's spec workbooks, its raw-data expectation suite, no data docs), the build report
(audit/report.html) and publishing the package. A sampler
thread reads the process's resident memory (VmRSS; while the build has forked processes, e.g. the job
beside the ADaM stages and its validation worker, the PSS of all of them, so shared pages count once)
every 20 ms (less often when a reading takes long: PSS is not free) and when each stage ends, and keeps the
peak per stage. The project's bytecode is compiled ahead, as `pip install` compiles an installed
package's. The total is the
child's whole wall time, interpreter start-up and imports included, ending as the `trialforge` command
ends (cli.run: no teardown of the heap); removing the package afterwards is not timed. CPU time (this process only, not a
forked process's) is shown beside wall time: on a busy machine wall time grows with the load, CPU time
much less (the load average at the start of each run is printed).

Targets (issue 10): 50 subjects < 5 s wall; 5,000 subjects < 60 s wall with peak RSS < 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# the repository root first: this folder's adam.py must not hide the `adam` package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = {50: 5.0, 5000: 60.0}
TARGET_RSS_MB = 3072


def _rss_mb() -> float:
    """This process's resident memory; while it has forked processes (the job beside the ADaM stages, the
    validation workers, theirs), the memory of all of them, each shared page counted once (the sum of
    their PSS, /proc/PID/smaps_rollup)."""
    descendants = _descendants("self")
    if not descendants:
        return _field_mb(Path("/proc/self/status"), "VmRSS:")
    return sum(_field_mb(Path(f"/proc/{pid}/smaps_rollup"), "Pss:") for pid in ["self", *descendants])


def _field_mb(path: Path, key: str) -> float:
    try:
        with path.open() as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:  # a worker that has just ended
        pass
    return 0.0


def _descendants(pid: str) -> list[str]:
    """Every process forked from `pid`, and from those, and so on."""
    pids: list[str] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # a process that has just ended
        return pids
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids += [child, *_descendants(child)]
    return pids


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def measure(subjects: int) -> dict:
    """Run in the child process: `trialforge build --example --subjects N --out OUT` through the CLI's own
    entry point (its checks, generation, stages, build report and publishing), and report per-stage wall/CPU
    time and peak RSS. The CLI's calls are wrapped, not replaced: generate_study and run_pipeline are timed,
    the stages through run_pipeline's progress callback (chained before the CLI's own), the build report
    through its after_log hook; the rest of run_pipeline (build log, manifest, moving the package into
    place) is "publish"."""
    import trialforge.example_study.generator as generator
    import trialforge.pipeline as pipeline
    from trialforge import cli

    peaks: dict[str, float] = {}
    current = ["start-up"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            peaks[current[0]] = max(peaks.get(current[0], 0.0), _rss_mb())
            # reading PSS walks page tables under the processes' memory locks, which slows their page faults
            # and takes a core's time: the sampler keeps to a tenth of a core (each stage is also sampled
            # when it ends)
            stop.wait(max(0.02, 10 * (time.perf_counter() - started)))  # wakes at once when the build ends

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    marks = [0.0, 0.0]  # wall, CPU at the start of the part being timed

    def begin(part: str) -> None:
        current[0] = part
        marks[:] = [time.perf_counter(), _cpu()]

    def end(part: str) -> None:
        times[part], cpu[part] = time.perf_counter() - marks[0], _cpu() - marks[1]
        peaks[part] = max(peaks.get(part, 0.0), _rss_mb())

    def timed(part: str, function):
        def run(*args, **kwargs):
            begin(part)
            try:
                return function(*args, **kwargs)
            finally:
                end(part)
        return run

    run_pipeline, generate_study = pipeline.run_pipeline, generator.generate_study

    def measured_pipeline(stages, study_dir, out_dir, options=None, progress=None, inputs=(), after_log=None,
                          **more):  # e.g. the build cache: passed on as the CLI gives it
        def both(number, total, stage, seconds, summary=""):
            if seconds is None:
                begin(stage.name)
            else:
                end(stage.name)
                begin("publish")  # until the next stage starts, or the report
            if progress:
                progress(number, total, stage, seconds, summary)

        def report(ctx):
            end("publish")  # the build log, since the last stage
            if after_log is not None:
                timed("report", after_log)(ctx)
            begin("publish")

        try:
            return run_pipeline(stages, study_dir, out_dir, options, progress=both, inputs=inputs,
                                after_log=report, **more)
        finally:
            publish = times.get("publish", 0.0)
            end("publish")
            times["publish"] += publish

    pipeline.run_pipeline = measured_pipeline
    generator.generate_study = timed("generate", generate_study)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # a new --out and an empty build cache (a first build), in a folder the parent removes once the child has
    # ended: deleting the package is no part of a build
    scratch = Path(os.environ["TRIALFORGE_BENCH_SCRATCH"])
    code = cli.main(["build", "--example", "--subjects", str(subjects), "--out", str(scratch / "pkg"),
                     "--cache", str(scratch / "cache")])
    stop.set()
    sampler.join()
    if code:
        sys.exit(f"trialforge build exited with {code}")
    order = ["generate", *(name for name in times if name not in ("generate", "report", "publish")), "report",
             "publish"]
    times = {name: times[name] for name in order if name in times}
    return {"subjects": subjects, "times": times, "cpu": cpu, "peaks_mb": peaks}


ROOT = Path(__file__).resolve().parents[1]


def compile_ahead() -> None:
    """The project's bytecode compiled into its __pycache__ folders (git ignores them), as `pip install`
    compiles an installed package's: with PYTHONDONTWRITEBYTECODE set, as on these machines, a source
    checkout is otherwise compiled again by every process of every build."""
    import compileall

    for package in ("trialforge", "sdtm", "adam", "specs", "formats", "define_xml", "validation"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run_child(size: int) -> dict:
    compile_ahead()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run([sys.executable, __file__, "--child", str(size)], capture_output=True, text=True,
                             env={**os.environ, "TRIALFORGE_BENCH_SCRATCH": scratch})
        ended = time.perf_counter()
    if out.returncode:
        sys.exit(f"the {size}-subject build failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["total"] = ended - started  # the whole process: start-up and imports included
    result["load"] = load
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is reported")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--incremental", action="store_true",
                        help="instead: a cold build, the unchanged rebuild (target < 1 s) and a rebuild after one "
                             "raw form changed, with the build cache (benchmarks/incremental.py; first of --sizes)")
    args = parser.parse_args()
    if args.incremental:
        from incremental import run

        run(args.sizes[0] if args.sizes != [50, 5000] else 50)
        return
    if args.child:
        print(json.dumps(measure(args.child)), flush=True)
        sys.stderr.flush()
        os._exit(0)  # as the trialforge command ends (cli.run): the OS reclaims the heap, no teardown
    verdicts = []
    for size in args.sizes:
        runs = [run_child(size) for _ in range(max(1, args.repeat))]
        result = min(runs, key=lambda r: r["total"])
        print(f"\n{size} subjects (load average {result['load']:.1f} at start"
              + (f"; fastest of {len(runs)}: " + ", ".join(f"{r['total']:.1f}" for r in runs) + " s" if len(runs) > 1
                 else "") + ")")
        print(f"  {'stage':<16}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>14}")
        for stage, seconds in result["times"].items():
            print(f"  {stage:<16}{seconds:>9.2f}{result['cpu'].get(stage, 0.0):>9.2f}"
                  f"{result['peaks_mb'].get(stage, 0.0):>14.0f}")
        staged = sum(result["times"].values())
        print(f"  {'start-up, checks':<16}{result['total'] - staged:>9.2f}")
        peak = max(result["peaks_mb"].values())
        print(f"  {'total':<16}{result['total']:>9.2f}{sum(result['cpu'].values()):>9.2f}{peak:>14.0f}")
        target = TARGET_SECONDS.get(size)
        if target is None:
            continue
        met = result["total"] < target and peak < TARGET_RSS_MB
        verdicts.append(f"{size} subjects: {result['total']:.1f} s (target {target:.0f} s, ratio "
                        f"{result['total'] / target:.2f}); peak RSS {peak:,.0f} MB (target {TARGET_RSS_MB:,} MB, "
                        f"ratio {peak / TARGET_RSS_MB:.2f}): {'MET' if met else 'MISSED'}")
    print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
