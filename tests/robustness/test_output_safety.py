"""Output folders: trialforge replaces only what it wrote, never a user's files, never its own inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.conftest import EXAMPLE_ADAM_SPEC, EXAMPLE_SDTM_SPEC, EXAMPLE_SPECS, run_cli, snapshot
from trialforge.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE
from trialforge.publish import PACKAGE, remove_stale_staging

SDTM_DIR = Path("m5/datasets/MESOCART-PD1/tabulations/sdtm")
ADAM_DIR = Path("m5/datasets/MESOCART-PD1/analysis/adam/datasets")


def _user_folder(parent: Path) -> Path:
    folder = parent / "my-work"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "plan.txt").write_text("my analysis plan\n")
    (folder / "dm.csv").write_text("Subject\n01-001\n")
    return folder


def _dead_pid() -> int:
    """The pid of a process that has ended (so nothing can be running under it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- build --out -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["user-folder", "study", "inside-study", "parent-of-study", "file"])
def test_build_refuses_an_out_it_must_not_replace(tmp_path, raw, target):
    user = _user_folder(tmp_path)
    out = {"user-folder": user, "study": raw, "inside-study": raw / "pkg", "parent-of-study": tmp_path,
           "file": user / "notes" / "plan.txt"}[target]
    before = snapshot(tmp_path)
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm")
    result.assert_clean_failure(EXIT_USAGE, str(out))
    assert snapshot(tmp_path) == before, "nothing may change when the output folder is refused"


def test_build_refuses_out_dot_when_the_current_folder_holds_the_study(tmp_path, raw, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    run_cli("build", "--study", "raw", *EXAMPLE_SPECS, "--out", ".", "--stages", "sdtm").assert_clean_failure(
        EXIT_USAGE, "--out .")
    assert snapshot(tmp_path) == before


def test_build_refuses_out_that_holds_the_spec_workbook(tmp_path, raw):
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(EXAMPLE_SDTM_SPEC, specs / "sdtm.xlsx")
    before = snapshot(tmp_path)
    result = run_cli("build", "--study", raw, "--sdtm-spec", specs / "sdtm.xlsx", "--out", specs, "--stages", "sdtm")
    result.assert_clean_failure(EXIT_USAGE, "sdtm.xlsx")
    assert snapshot(tmp_path) == before


def test_a_manifest_without_our_format_id_is_not_ours(tmp_path, raw):
    forged = tmp_path / "old"
    (forged / "audit").mkdir(parents=True)
    (forged / "audit" / "manifest.json").write_text(json.dumps({"files": []}))
    (forged / "results.sas7bdat").write_bytes(b"user data")
    before = snapshot(tmp_path)
    run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", forged, "--stages", "sdtm").assert_clean_failure(
        EXIT_USAGE, "trialforge-package/1")
    assert snapshot(tmp_path) == before


def test_build_replaces_its_own_package_and_an_empty_folder(tmp_path, raw):
    out = tmp_path / "pkg"
    out.mkdir()
    assert run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm").code == EXIT_OK
    manifest = json.loads((out / "audit" / "manifest.json").read_text())
    assert manifest["format"] == PACKAGE.format_id
    (out / "stale.txt").write_text("left over by an older build of ours")
    assert run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm").code == EXIT_OK
    assert not (out / "stale.txt").exists(), "a package of ours is replaced whole, not merged"
    assert not list(tmp_path.glob(".pkg.*")), "no staging or previous folder remains"


def test_reconciliation_holds_in_an_sdtm_only_build(tmp_path, raw):
    out = tmp_path / "pkg"
    assert run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm").code == EXIT_OK
    table = pd.read_csv(out / "audit" / "sdtm" / "reconciliation.csv")
    assert (table["rows_read"] == table["rows_mapped"] + table["rows_excluded"]).all()
    assert not (out / ADAM_DIR).exists() and (out / SDTM_DIR / "dm.xpt").exists()


# --- adam --out, validate --out, example --out ---------------------------------------------------

def test_adam_refuses_a_user_folder_and_a_folder_inside_its_input(tmp_path, built_package):
    user = _user_folder(tmp_path)
    before = snapshot(tmp_path)
    sdtm = built_package / SDTM_DIR
    spec = ("--adam-spec", EXAMPLE_ADAM_SPEC)
    run_cli("adam", "--sdtm", sdtm, *spec, "--out", user).assert_clean_failure(EXIT_USAGE, "my-work")
    run_cli("adam", "--sdtm", sdtm, *spec, "--out", sdtm / "adam").assert_clean_failure(EXIT_USAGE, "inside the input")
    assert snapshot(tmp_path) == before


def test_adam_failure_leaves_the_previous_output_whole(tmp_path, built_package):
    sdtm = tmp_path / "sdtm"
    shutil.copytree(built_package / SDTM_DIR, sdtm)
    out = tmp_path / "adam"
    assert run_cli("adam", "--sdtm", sdtm, "--adam-spec", EXAMPLE_ADAM_SPEC, "--out", out).code == EXIT_OK
    written = snapshot(out)
    assert "adsl.xpt" in written and "trialforge-manifest.json" in written
    (sdtm / "ex.xpt").unlink()  # ADSL needs EX: the second run fails after reading the folder
    before = snapshot(tmp_path)
    run_cli("adam", "--sdtm", sdtm, "--adam-spec", EXAMPLE_ADAM_SPEC, "--out", out).assert_clean_failure(
        EXIT_INPUT, "EX")
    assert snapshot(tmp_path) == before, "old and new ADaM files must never be mixed"


def test_adam_replaces_its_own_output_atomically(tmp_path, built_package):
    out = tmp_path / "adam"
    sdtm = built_package / SDTM_DIR
    assert run_cli("adam", "--sdtm", sdtm, "--adam-spec", EXAMPLE_ADAM_SPEC, "--out", out,
                   "--adam-datasets", "ADSL,ADAE").code == EXIT_OK
    assert sorted(p.name for p in out.glob("*.xpt")) == ["adae.xpt", "adsl.xpt"]
    assert run_cli("adam", "--sdtm", sdtm, "--adam-spec", EXAMPLE_ADAM_SPEC, "--out", out,
                   "--adam-datasets", "ADSL").code == EXIT_OK
    assert sorted(p.name for p in out.glob("*.xpt")) == ["adsl.xpt"]


def test_validate_refuses_a_user_folder_and_keeps_its_previous_report_on_failure(tmp_path, built_package):
    user = _user_folder(tmp_path)
    sdtm = built_package / SDTM_DIR
    before = snapshot(tmp_path, skip=(built_package,))
    run_cli("validate", sdtm, "--out", user).assert_clean_failure(EXIT_USAGE, "my-work")
    run_cli("validate", sdtm, "--out", sdtm / "report").assert_clean_failure(EXIT_USAGE, "inside the input")
    assert snapshot(tmp_path, skip=(built_package,)) == before
    report = tmp_path / "report"
    assert run_cli("validate", sdtm, "--out", report).code == EXIT_OK
    previous = snapshot(report)
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = run_cli("validate", empty, "--out", report)
    assert failed.code == EXIT_INPUT and "Traceback" not in failed.text
    assert snapshot(report) == previous


def test_example_refuses_to_write_over_a_users_files(tmp_path):
    user = _user_folder(tmp_path)
    before = snapshot(tmp_path)
    run_cli("example", "--subjects", "2", "--out", user).assert_clean_failure(EXIT_USAGE, "my-work")
    assert snapshot(tmp_path) == before, "the user's dm.csv must not be overwritten"


# --- ADaM spec coverage --------------------------------------------------------------------------

def _adam_spec_without(tmp_path: Path, dataset: str) -> Path:
    import openpyxl

    book = openpyxl.load_workbook(EXAMPLE_ADAM_SPEC)
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]]
        if "Dataset" not in header:
            continue
        column = header.index("Dataset") + 1
        for row in range(sheet.max_row, 1, -1):
            if sheet.cell(row=row, column=column).value == dataset:
                sheet.delete_rows(row)
    path = tmp_path / "adam-spec.xlsx"
    book.save(path)
    return path


def test_a_derived_dataset_the_adam_spec_lacks_is_an_error_unless_fewer_are_asked_for(tmp_path, raw):
    spec = _adam_spec_without(tmp_path, "ADTR")
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, "--sdtm-spec", EXAMPLE_SDTM_SPEC, "--adam-spec", spec, "--out", out,
                     "--stages", "sdtm,adam")
    result.assert_clean_failure(EXIT_INPUT, "ADTR", "adam-spec.xlsx", "--adam-datasets")
    assert not out.exists()
    result = run_cli("build", "--study", raw, "--sdtm-spec", EXAMPLE_SDTM_SPEC, "--adam-spec", spec, "--out", out,
                     "--stages", "sdtm,adam", "--adam-datasets", "ADSL,ADAE,ADRS,ADTTE")
    assert result.code == EXIT_OK, result.text
    assert sorted(p.stem for p in (out / ADAM_DIR).glob("*.xpt")) == ["adae", "adrs", "adsl", "adtte"]


# --- usage errors exit 2 -------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["spec", "check"], "WORKBOOK"),
    (["spec", "check", "x.xlsx", "--example", "sdtm"], "not both"),
    (["build", "--example", "--out", "p", "--format", "sas"], "sas"),
    (["build", "--example", "--out", "p", "--subjects", "0"], "--subjects"),
    (["example", "--out", "r", "--subjects", "-3"], "--subjects"),
    (["build", "--example", "--out", "p", "--stages", "sdtm,report"], "report"),
    (["build", "--example", "--out", "p", "--adam-datasets", "ADSL,ADXX"], "ADXX"),
    (["build", "--out", "p"], "--study"),
    (["validate"], "folders"),
])
def test_usage_errors_exit_2_with_a_message(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    result.assert_clean_failure(EXIT_USAGE, words)
    assert not any(tmp_path.iterdir()), "a usage error writes nothing"


# --- leftovers of killed runs ----------------------------------------------------------------------

def test_stale_staging_of_a_dead_process_is_removed_and_a_live_or_foreign_one_kept(tmp_path, raw):
    out = tmp_path / "pkg"
    dead = tmp_path / f".pkg.staging-{_dead_pid()}"
    (dead / "m5").mkdir(parents=True)
    (dead / ".trialforge-staging").write_text("1\n")
    live = tmp_path / f".pkg.staging-{os.getppid()}"  # our parent process is alive
    live.mkdir()
    (live / ".trialforge-staging").write_text("1\n")
    foreign = tmp_path / f".pkg.staging-{_dead_pid()}-x"  # not our name pattern: a pid we cannot parse
    foreign.mkdir()
    users = tmp_path / f".pkg.staging-{_dead_pid()}"  # our pattern, but no staging marker: the user's
    users.mkdir()
    (users / "keep.txt").write_text("mine")
    assert run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm").code == EXIT_OK
    assert not dead.exists()
    assert live.exists() and foreign.exists() and (users / "keep.txt").read_text() == "mine"


def test_a_swap_cut_off_between_its_renames_is_restored(tmp_path, built_package):
    pid = _dead_pid()
    previous = tmp_path / f".pkg.previous-{pid}"
    built_package.rename(previous)  # the killed run had moved the old package aside, then died
    remove_stale_staging(tmp_path / "pkg", PACKAGE)
    assert (tmp_path / "pkg" / "audit" / "manifest.json").exists() and not previous.exists()


def test_formula_text_in_raw_data_is_inert_in_the_audit_csvs(tmp_path, raw):
    path = raw / "cm.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "CMROUTE"] = '=HYPERLINK("http://example.invalid","click")'
    frame.to_csv(path, index=False)
    out = tmp_path / "pkg"
    assert run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, "--stages", "sdtm").code == EXIT_OK
    for csv_file in (out / "audit").rglob("*.csv"):
        text = csv_file.read_text()
        for line in text.splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "@")), f"{csv_file.name}: {line}"
    findings = pd.read_csv(out / "audit" / "sdtm" / "mapping-findings.csv", dtype=str)
    assert findings["value"].str.startswith("'=HYPERLINK").any()
