"""`trialforge verify`: a package re-hashed against audit/manifest.json, and the manifest's inputs section."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.robustness.conftest import run_cli
from trialforge.example_study import example_spec

AE_XPT = "m5/datasets/MESOCART-PD1/tabulations/sdtm/ae.xpt"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(raw study folder, SDTM-only package built from it), made once for this module."""
    from trialforge.example_study.generator import generate_study

    root = tmp_path_factory.mktemp("verify")
    raw = root / "raw"
    generate_study(raw, subjects=5, seed=20240101)
    result = run_cli("build", "--study", raw, "--sdtm-spec", example_spec("sdtm"), "--stages", "sdtm",
                     "--out", root / "pkg")
    assert result.code == 0, result.text
    return raw, root / "pkg"


@pytest.fixture
def package(tmp_path, built) -> Path:
    shutil.copytree(built[1], tmp_path / "pkg")
    return tmp_path / "pkg"


def _manifest(package: Path) -> dict:
    return json.loads((package / "audit" / "manifest.json").read_text(encoding="utf-8"))


def test_a_fresh_package_verifies(package):
    result = run_cli("verify", package)
    files = len(_manifest(package)["files"])
    assert result.code == 0, result.text
    assert f"package verified: {files} files" in result.out
    assert "--study" in result.out  # says the inputs were not re-checked


def test_one_changed_byte_is_caught(package):
    path = package / AE_XPT
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = run_cli("verify", package)
    assert result.code == 1, result.text
    assert f"changed: {AE_XPT} (sha256 " in result.out
    assert "1 changed, 0 added, 0 removed" in result.out


def test_added_and_removed_files_are_listed(package):
    (package / "m5" / "notes.txt").write_text("added by hand\n")
    (package / "audit" / "sdtm" / "reconciliation.csv").unlink()
    result = run_cli("verify", package)
    assert result.code == 1, result.text
    assert "added: m5/notes.txt" in result.out
    assert "removed: audit/sdtm/reconciliation.csv" in result.out


@pytest.mark.parametrize("damage", ["missing", "not json", "other format", "path outside"])
def test_a_bad_manifest_is_an_input_error(package, damage):
    manifest = package / "audit" / "manifest.json"
    if damage == "missing":
        manifest.unlink()
    elif damage == "not json":
        manifest.write_text("{not json")
    elif damage == "other format":
        manifest.write_text(json.dumps({"format": "something-else", "files": []}))
    else:
        document = _manifest(package)
        document["files"][0]["path"] = "../../etc/passwd"
        manifest.write_text(json.dumps(document))
    result = run_cli("verify", package)
    result_text = result.text
    assert result.code == 3, result_text
    assert "Traceback" not in result_text and "manifest.json" in result_text


def test_a_folder_that_is_not_there_is_an_input_error(tmp_path):
    result = run_cli("verify", tmp_path / "nowhere")
    assert result.code == 3 and "no such folder" in result.text and "Traceback" not in result.text


def test_study_raw_files_are_rechecked_against_the_manifest(package, built, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(built[0], raw)
    assert run_cli("verify", package, "--study", raw).code == 0
    with (raw / "ae.csv").open("ab") as handle:
        handle.write(b"\n")
    result = run_cli("verify", package, "--study", raw)
    assert result.code == 1, result.text
    assert "input changed: ae.csv" in result.out


def test_manifest_records_the_inputs_without_temporary_paths(package, built):
    raw = built[0]
    text = (package / "audit" / "manifest.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert str(raw.parent) not in text  # no absolute (temporary) path
    assert "audit/manifest.json" not in {f["path"] for f in document["files"]}  # it does not list itself
    inputs = document["inputs"]
    study = {f["path"]: f for f in inputs["study"]["files"]}
    assert study["ae.csv"]["read"] and study["ae.csv"]["bytes"] == (raw / "ae.csv").stat().st_size
    assert {f["role"] for f in inputs["files"]} >= {"sdtm_spec"}
    assert inputs["controlled_terminology"]["version"]
    assert {"trialforge", "python", "pandas", "pyarrow", "lxml", "openpyxl", "pyreadstat"} <= set(inputs["software"])
    line = inputs["command_line"]
    assert line[0] == "build" and line[line.index("--out") + 1] == "<package>"
    assert line[line.index("--study") + 1] == "raw"
