"""The command line as a user meets it: help, exit codes, clear errors."""

from pathlib import Path

import pytest

from trialforge.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main
from trialforge.example_study import example_spec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
P21_SDTM = SHARED / "examples" / "p21-spec-workbooks" / "SDTM_spec_CDISC_pilot.xlsx"


def test_help_explains_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("build --example", "example", "spec check"):
        assert word in text


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--out", "x"])  # neither --study nor --example
    assert exit_info.value.code == 2


def test_spec_check_of_a_missing_file_is_an_input_error(tmp_path, capsys):
    assert main(["spec", "check", str(tmp_path / "nope.xlsx")]) == EXIT_INPUT
    assert "nope.xlsx" in capsys.readouterr().out


def test_spec_check_of_a_broken_file_names_it(tmp_path, capsys):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["spec", "check", str(broken)]) == EXIT_INPUT
    assert "broken.xlsx" in capsys.readouterr().out


@pytest.mark.skipif(not P21_SDTM.exists(), reason="../shared/examples (real P21 workbooks) not present")
def test_spec_check_and_export_of_a_real_p21_workbook(tmp_path, capsys):
    assert main(["spec", "check", str(P21_SDTM)]) == EXIT_OK
    assert "0 error(s)" in capsys.readouterr().out
    assert main(["spec", "export", str(P21_SDTM), "--out", str(tmp_path / "text")]) == EXIT_OK
    assert (tmp_path / "text" / "Variables.csv").exists()


def test_bad_build_input_exits_3_and_leaves_no_output(tmp_path):
    study = tmp_path / "empty-study"
    study.mkdir()
    out = tmp_path / "pkg"
    specs = ["--sdtm-spec", str(example_spec("sdtm")), "--adam-spec", str(example_spec("adam"))]
    assert main(["build", "--study", str(study), *specs, "--out", str(out)]) == EXIT_INPUT
    assert not out.exists()


def test_the_example_specs_are_no_default(tmp_path, capsys):
    """`build --study` and `adam` need their spec workbooks; the example's are used only when asked for."""
    study, out = tmp_path / "raw", tmp_path / "pkg"
    study.mkdir()
    assert main(["build", "--study", str(study), "--out", str(out)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--sdtm-spec not given" in err and "only with --example" in err
    sdtm_spec = ["--sdtm-spec", str(example_spec("sdtm"))]
    assert main(["build", "--study", str(study), *sdtm_spec, "--stages", "sdtm,adam", "--out", str(out)]) == EXIT_USAGE
    assert "--adam-spec not given" in capsys.readouterr().err
    # without --adam-spec and without --stages, the ADaM stages are skipped (the empty study then fails to read)
    assert main(["build", "--study", str(study), *sdtm_spec, "--out", str(out)]) == EXIT_INPUT
    assert main(["build", "--study", str(study), *sdtm_spec, "--stages", "sdtm", "--out", str(out)]) == EXIT_INPUT
    assert main(["adam", "--sdtm", str(tmp_path), "--out", str(tmp_path / "adam")]) == EXIT_USAGE
    assert "give --adam-spec" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "adam").exists()


def test_spec_check_and_export_of_the_example_workbooks(tmp_path, capsys):
    assert main(["spec", "check", "--example", "adam"]) == EXIT_OK
    assert "0 error(s)" in capsys.readouterr().out
    assert main(["spec", "export", "--example", "sdtm", "--out", str(tmp_path / "text")]) == EXIT_OK
    assert (tmp_path / "text" / "Mapping.csv").exists()
    assert main(["spec", "check"]) == EXIT_USAGE


def test_cli_start_up_imports_no_heavy_library():
    import subprocess
    import sys

    code = "import sys, trialforge.cli; print(sorted({'pandas', 'numpy', 'openpyxl', 'lxml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_spec_check_with_a_study_names_the_raw_field_a_file_lacks(tmp_path, capsys):
    import pandas as pd

    from trialforge.example_study.generator import generate_study

    raw = tmp_path / "raw"
    generate_study(raw, subjects=3, seed=5)
    assert main(["spec", "check", "--example", "sdtm", "--study", str(raw)]) == EXIT_OK
    capsys.readouterr()
    ae = pd.read_csv(raw / "ae.csv", dtype=str, keep_default_na=False)
    ae.drop(columns=["AETERM"]).to_csv(raw / "ae.csv", index=False)
    assert main(["spec", "check", "--example", "sdtm", "--study", str(raw)]) == EXIT_INPUT
    out = capsys.readouterr().out
    assert "ae.csv" in out and "AETERM" in out
