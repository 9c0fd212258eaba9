"""The whole build from the CLI on the example study: what a new user's first command does."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trialforge.cli import main
from trialforge.example_study import example_spec
from formats.xpt import read_xpt

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SDTM = Path("m5/datasets/MESOCART-PD1/tabulations/sdtm")
ADAM = Path("m5/datasets/MESOCART-PD1/analysis/adam/datasets")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "pkg"
    assert main(["build", "--example", "--out", str(out)]) == 0
    return out


def test_every_domain_and_dataset_is_written(package):
    written = {p.stem.upper() for p in (package / SDTM).glob("*.xpt")}
    for domain in "DM AE EX LB TU TR RS CP PC CM DS SV SE TS TA TE TV TI RELREC SUPPAE SUPPDM MH PR IE".split():
        assert domain in written
    assert {p.stem.upper() for p in (package / ADAM).glob("*.xpt")} == {
        "ADSL", "ADAE", "ADRS", "ADTTE", "ADTR", "ADLB", "ADPC", "ADPP"}


def test_define_describes_labs_and_kinetics_with_value_level_metadata_by_paramcd(package):
    from lxml import etree

    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
    define = etree.parse(str(package / ADAM / "define.xml"))
    assert {"ADLB", "ADPC", "ADPP"} <= {g.get("Name") for g in define.iterfind(".//odm:ItemGroupDef", ns)}
    for dataset in ("ADLB", "ADPC", "ADPP"):
        values = define.find(f".//def:ValueListDef[@OID='VL.{dataset}.AVAL']", ns)
        clauses = [ref.find("def:WhereClauseRef", ns).get("WhereClauseOID") for ref in values.iterfind("odm:ItemRef", ns)]
        frame, _ = read_xpt(package / ADAM / f"{dataset.lower()}.xpt")
        # one value-level row per PARAMCD in the data, each selected by PARAMCD
        checks = [define.find(f".//def:WhereClauseDef[@OID='{oid}']/odm:RangeCheck", ns) for oid in clauses]
        described = {c.findtext("odm:CheckValue", namespaces=ns) for c in checks}
        assert all(c.get("{%s}ItemOID" % ns["def"]).endswith(".PARAMCD") for c in checks)
        assert set(frame["PARAMCD"].dropna()) <= described, dataset


def test_rows_in_equal_rows_mapped_plus_excluded(package):
    table = pd.read_csv(package / "audit" / "sdtm" / "reconciliation.csv")
    assert (table["rows_read"] == table["rows_mapped"] + table["rows_excluded"]).all()
    excluded = pd.read_csv(package / "audit" / "sdtm" / "excluded-records.csv")
    assert len(excluded) == table["rows_excluded"].sum()
    assert excluded["reason"].notna().all()
    reasons = " ".join(excluded["reason"])
    assert "exact duplicate of ae.csv" in reasons and "exact duplicate of lb.csv" in reasons  # planted duplicates
    assert "IEYN == 'No'" in reasons  # eligibility pages with every criterion met make no IE record


def test_planted_problems_are_findings_pointing_at_their_records(package):
    findings = pd.read_csv(package / "audit" / "sdtm" / "mapping-findings.csv")
    route = findings[findings["variable"] == "CMROUTE"]
    assert route["value"].tolist() == ["Per PEG"] and route["file"].tolist() == ["cm.csv"]
    assert route["row"].notna().all()


def test_provenance_points_every_sdtm_record_to_a_raw_record(package):
    ae, _ = read_xpt(package / SDTM / "ae.xpt")
    provenance = pd.read_csv(package / "audit" / "provenance" / "sdtm" / "ae.csv")
    assert len(provenance) == len(ae)
    assert set(provenance["raw_file"]) == {"ae.csv"} and provenance["raw_row"].min() >= 2


def test_creatinine_from_two_labs_has_one_standard_unit(package):
    lb, _ = read_xpt(package / SDTM / "lb.xpt")
    creat = lb[(lb["LBTESTCD"] == "CREAT") & (lb["LBORRES"] != "")]
    assert set(creat["LBORRESU"]) == {"mg/dL", "umol/L"}  # the planted second lab
    assert len(set(creat["LBSTRESU"])) == 1  # one standard unit per test (FDAB030)
    standard = creat["LBSTRESU"].iloc[0]
    other = creat[creat["LBORRESU"] != standard]
    ratio = other["LBSTRESN"] / pd.to_numeric(other["LBORRES"])
    expected = 88.4 if standard == "umol/L" else 1 / 88.4
    assert ratio.between(expected * 0.99, expected * 1.01).all()


def test_no_study_day_zero_and_protocol_day_zero_is_day_one(package):
    ex, _ = read_xpt(package / SDTM / "ex.xpt")
    dm, _ = read_xpt(package / SDTM / "dm.xpt")
    infusion = ex[ex["EXCAT"] == "CAR-T"]
    assert (infusion["EXSTDY"] == 1).all()
    for name in ("lb", "ae", "ex", "cm"):
        frame, _ = read_xpt(package / SDTM / f"{name}.xpt")
        for column in [c for c in frame.columns if c.endswith("DY")]:
            assert not (frame[column] == 0).any(), f"{name}.{column} has a day 0"
    assert dm["ARMNRS"].eq("ASSIGNED, NOT TREATED").sum() == dm["RFSTDTC"].eq("").sum() > 0


@pytest.mark.skipif(not (SHARED / "acceptance" / "check_package.py").exists(), reason="../shared/acceptance absent")
def test_reviewer_acceptance_check_passes_for_sdtm_adam_and_define(package):
    for section in ("sdtm", "adam", "define"):
        result = subprocess.run([sys.executable, str(SHARED / "acceptance" / "check_package.py"), str(package),
                                 "--section", section], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_labs_kinetics_and_nca_read_alike_with_readers_we_did_not_write(package):
    """The acceptance check's ADaM section covers ADSL..ADTR; this is its equivalent for ADLB, ADPC, ADPP."""
    import pyreadstat

    data = {}
    for name in ("adlb", "adpc", "adpp"):
        ours, _ = pyreadstat.read_xport(str(package / ADAM / f"{name}.xpt"), encoding="ascii")
        theirs = pd.read_sas(package / ADAM / f"{name}.xpt", format="xport", encoding="ascii")
        assert list(ours.columns) == list(theirs.columns) and len(ours) == len(theirs) > 0, name
        assert not any((ours[c] == 0).any() for c in ours.columns if c.endswith("DY")), name
        data[name] = ours
    adlb, adpc, adpp = data["adlb"], data["adpc"], data["adpp"]
    for grade in ("ATOXGRL", "ATOXGRH", "BTOXGRL", "BTOXGRH"):
        assert set(adlb[grade]) - {""} <= set("01234"), grade
    assert not adlb.loc[adlb["ABLFL"] == "Y"].duplicated(["USUBJID", "PARAMCD"]).any()
    assert adlb.groupby("PARAMCD")["PARAM"].nunique().eq(1).all()
    blq = adpc["BLQFL"] == "Y"
    assert blq.any() and adpc.loc[blq, "ALLOQ"].notna().all()
    assert set(adpc["SRCDOM"]) == {"CP", "PC"}
    assert not adpp.duplicated(["USUBJID", "PARCAT1", "PARCAT3", "PARAMCD"]).any()
    assert set(adpp["PARAMCD"]) == {"CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUC28D", "TALLOQ"}
    assert (adpp["AVAL"].dropna() >= 0).all()


def test_source_date_epoch_gives_identical_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # 2027-01-15: after the example's data cutoff
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert main(["build", "--example", "--subjects", "8", "--out", str(out)]) == 0
    manifest = json.loads((first / "audit" / "manifest.json").read_text())
    assert manifest == json.loads((second / "audit" / "manifest.json").read_text())
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for path in files:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_adam_command_on_sdtm_read_back_from_xpt_gives_the_same_datasets(package, tmp_path):
    out = tmp_path / "adam"
    assert main(["adam", "--sdtm", str(package / SDTM), "--adam-spec", str(example_spec("adam")),
                 "--out", str(out)]) == 0
    for name in ("adsl", "adae", "adrs", "adtte", "adtr"):
        again, _ = read_xpt(out / f"{name}.xpt")
        built, _ = read_xpt(package / ADAM / f"{name}.xpt")
        pd.testing.assert_frame_equal(again, built)


def test_adam_command_names_missing_inputs(tmp_path, capsys):
    (tmp_path / "sdtm").mkdir()
    assert main(["adam", "--sdtm", str(tmp_path / "sdtm"), "--adam-spec", str(example_spec("adam")),
                 "--out", str(tmp_path / "adam")]) == 3
    assert "DM" in capsys.readouterr().err


def test_conformance_reports_are_in_the_audit_folder_and_find_the_planted_problems(package):
    report = json.loads((package / "audit" / "validation" / "validation-report.json").read_text())
    assert (package / "audit" / "validation" / "validation-report.xlsx").exists()
    assert (package / "audit" / "validation" / "validation-report.html").exists()
    messages = {(f["dataset"], f["message"]) for f in report["findings"]}
    assert any(d == "ADAE" and "is after AENDY" in m for d, m in messages)  # the AE that ends before it starts
    sources = {(f["source"], f["dataset"]) for f in report["findings"]}
    assert ("expectation", "ae.csv") in sources and ("expectation", "lb.csv") in sources  # planted raw duplicates
    assert any(f["source"] == "mapping" and "Per PEG" in str(f["values"]) for f in report["findings"])
    assert not (package / "audit" / "raw-data-docs").exists()  # GX data docs only with --raw-data-docs


def test_validate_command_and_fail_on_gate(package, tmp_path, capsys):
    folders = [str(package / SDTM), str(package / ADAM)]
    assert main(["validate", *folders, "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "validation-report.xlsx").exists()
    assert main(["validate", *folders, "--out", str(tmp_path / "report"), "--fail-on", "error"]) == 1


def test_build_log_console_line_and_reports_count_the_same_findings(tmp_path, capsys):
    """Rules, raw-data expectations, mapping findings and define.xml checks are one kind of finding, counted
    once: the build log, the validate stage's console line and every report agree."""
    import re
    from collections import Counter

    out = tmp_path / "pkg"
    assert main(["build", "--example", "--subjects", "5", "--out", str(out)]) == 0
    console = capsys.readouterr().err
    stages = json.loads((out / "audit" / "build-log.json").read_text())["stages"]
    logged = next(s for s in stages if s["stage"] == "validate")["validation"]["findings"]
    report = json.loads((out / "audit" / "validation" / "validation-report.json").read_text())
    assert logged == report["summary"]["findings"]
    details = report["conformance_details"]
    assert (details["Errors"], details["Warnings"], details["Notices"]) == (
        logged["error"], logged["warning"], logged["notice"])
    listed = Counter(f["severity"] for f in report["findings"])  # a small study: no details capped
    assert {s: listed.get(s, 0) for s in logged} == logged
    summed = Counter()
    for row in report["issue_summary"]:
        summed[row["severity"]] += row["count"]
    assert {s: summed.get(s, 0) for s in logged} == logged
    line = next(text for text in console.splitlines() if "validate" in text and " rules, " in text)
    shown = {severity: int(n.replace(",", ""))
             for n, severity in re.findall(r"(\d[\d,]*) (error|warning|notice)s", line)}
    assert shown == logged, line
    mapping = pd.read_csv(out / "audit" / "sdtm" / "mapping-findings.csv")
    assert len(mapping) == sum(f["source"] == "mapping" for f in report["findings"])
    assert "findings" not in next(s for s in stages if s["stage"] == "define")["define"]["sdtm"]  # no second count


def test_dataset_json_alongside_xpt_reads_the_same(tmp_path):
    from formats.datasetjson import read_dataset_json

    out = tmp_path / "pkg"
    assert main(["build", "--example", "--subjects", "6", "--format", "xpt,ndjson", "--out", str(out)]) == 0
    for name in ("dm", "ae"):
        from_json, meta = read_dataset_json(out / SDTM / f"{name}.ndjson")
        from_xpt, _ = read_xpt(out / SDTM / f"{name}.xpt")
        pd.testing.assert_frame_equal(from_json, from_xpt, check_dtype=False)
    assert (out / SDTM / "define.xml").exists() and (out / ADAM / "define.html").exists()


def test_a_study_with_only_an_sdtm_spec_builds_sdtm_define_and_validation(tmp_path):
    """No --adam-spec and no --stages: the ADaM stages are skipped, not failed (issue 11, item 7)."""
    from trialforge.example_study.generator import generate_study

    raw, out = tmp_path / "raw", tmp_path / "pkg"
    generate_study(raw, subjects=4, seed=7)
    assert main(["build", "--study", str(raw), "--sdtm-spec", str(example_spec("sdtm")), "--out", str(out)]) == 0
    assert (out / SDTM / "dm.xpt").is_file() and (out / SDTM / "define.xml").is_file()
    assert not (out / ADAM).exists()
    build_log = json.loads((out / "audit" / "build-log.json").read_text(encoding="utf-8"))
    assert [s["stage"] for s in build_log["stages"]] == ["load-specs", "read-raw", "sdtm", "write-sdtm", "define",
                                                         "validate"]
    assert (out / "audit" / "validation" / "validation-report.json").is_file()
