"""The robustness corpus: hostile inputs and faults, each run as a user would run it.

Every case asserts three things: the exit code (never 70, the internal-error code that prints a
traceback), that the message names the file/row/value at fault, and that nothing outside the package
changed (a snapshot of the folder tree before and after).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from trialforge.cli import main
from trialforge.example_study import example_spec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
EXAMPLE_SUBJECTS = 5
EXAMPLE_SEED = 20240101


def _tolerant_sdtm_spec() -> Path:
    """The example's SDTM spec with dates read in any shape trialforge knows and any share of date failures
    tolerated: these cases plant bad values one at a time and check that each is a finding; the example's own
    threshold (0: a failing date stops the build) is tested in test_raw_inputs.py."""
    from openpyxl import load_workbook

    folder = Path(tempfile.mkdtemp(prefix="trialforge-robustness-spec-"))
    atexit.register(shutil.rmtree, folder, True)
    original = example_spec("sdtm")
    book = load_workbook(original)
    sheet = book["Sources"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        row[header.index("Date Formats")].value = None
        row[header.index("Date Failure Threshold")].value = "1"
    shutil.copy(original.parent / "mesocart_raw.yaml", folder)  # RawDataExpectations is beside the workbook
    book.save(folder / original.name)
    return folder / original.name


# the example study's spec workbooks: `build --study` has no default specs
STRICT_SDTM_SPEC = example_spec("sdtm")
EXAMPLE_SDTM_SPEC = _tolerant_sdtm_spec()
EXAMPLE_ADAM_SPEC = example_spec("adam")
EXAMPLE_SPECS = ("--sdtm-spec", EXAMPLE_SDTM_SPEC, "--adam-spec", EXAMPLE_ADAM_SPEC)


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def assert_clean_failure(self, code: int, *names: str) -> None:
        """Exit code as expected, no traceback, and every name (file, row, value) in the message."""
        assert self.code == code, f"exit {self.code}, expected {code}:\n{self.text}"
        assert "Traceback" not in self.text, self.text
        for name in names:
            assert name in self.text, f"{name!r} not in the message:\n{self.text}"


def run_cli(*args: str | Path) -> CliResult:
    """`trialforge ARGS` in this process (fast: the heavy libraries are imported once per test run)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 1
    return CliResult(code=code, out=out.getvalue(), err=err.getvalue())


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Relative path -> SHA-256 (or 'dir') of everything under root, except the `skip` subtrees."""
    root = Path(root)
    skipped = [Path(s).resolve() for s in skip]
    tree: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        resolved = path.resolve()
        if any(resolved == s or s in resolved.parents for s in skipped):
            continue
        key = path.relative_to(root).as_posix()
        tree[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return tree


@pytest.fixture(scope="session")
def example_raw_master(tmp_path_factory) -> Path:
    """The example study's raw extracts, generated once per test run (small, for speed)."""
    from trialforge.example_study.generator import generate_study

    folder = tmp_path_factory.mktemp("example") / "raw"
    generate_study(folder, subjects=EXAMPLE_SUBJECTS, seed=EXAMPLE_SEED)
    return folder


@pytest.fixture
def raw(tmp_path, example_raw_master) -> Path:
    """A private copy of the example raw extracts that a test may damage."""
    target = tmp_path / "raw"
    shutil.copytree(example_raw_master, target)
    return target


@pytest.fixture(scope="session")
def built_package_master(tmp_path_factory, example_raw_master) -> Path:
    """One complete build of the small example (every stage), made once per test run."""
    out = tmp_path_factory.mktemp("built") / "pkg"
    result = run_cli("build", "--study", example_raw_master, *EXAMPLE_SPECS, "--out", out)
    assert result.code == 0, result.text
    return out


@pytest.fixture
def built_package(tmp_path, built_package_master) -> Path:
    """A private copy of a complete package that a test may damage or rebuild over."""
    target = tmp_path / "pkg"
    shutil.copytree(built_package_master, target)
    return target
