"""Rules run ahead on SDTM alone (validation.ahead) give the run exactly what it would have made itself, and
nothing when what they saw is not what the run has."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import validation.engine as engine
from formats.xpt import write_xpt
from validation.ahead import Preloaded, _GuardedDefine, _Guarded, _Later, data_files_stamp, runs_ahead
from validation.define import read_define
from validation.engine import validate_folder
from validation.rulebook import load_rules

SDTM_DEFINE = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2">
 <Study OID="S"><MetaDataVersion OID="M" Name="M" def:DefineVersion="2.1.7">
  <def:Standards><def:Standard OID="STD.1" Name="SDTMIG" Type="IG" Version="3.4"/></def:Standards>
  <ItemGroupDef OID="IG.AE" Name="AE" Domain="AE" Repeating="Yes" Purpose="Tabulation" def:StandardOID="STD.1">
   <ItemRef ItemOID="IT.USUBJID" Mandatory="Yes" OrderNumber="1" KeySequence="1"/>
   <ItemRef ItemOID="IT.AE.AESEQ" Mandatory="Yes" OrderNumber="2" KeySequence="2"/>
   <ItemRef ItemOID="IT.AE.AESEV" Mandatory="No" OrderNumber="3"/>
   <def:Class Name="EVENTS"/>
  </ItemGroupDef>
  <ItemGroupDef OID="IG.DM" Name="DM" Domain="DM" Repeating="No" Purpose="Tabulation" def:StandardOID="STD.1">
   <ItemRef ItemOID="IT.USUBJID" Mandatory="Yes" OrderNumber="1" KeySequence="1"/>
   <def:Class Name="SPECIAL PURPOSE"/>
  </ItemGroupDef>
  <ItemDef OID="IT.USUBJID" Name="USUBJID" DataType="text" Length="8"/>
  <ItemDef OID="IT.AE.AESEQ" Name="AESEQ" DataType="integer" Length="8"/>
  <ItemDef OID="IT.AE.AESEV" Name="AESEV" DataType="text" Length="8"><CodeListRef CodeListOID="CL.SEV"/></ItemDef>
  <CodeList OID="CL.SEV" Name="Severity" DataType="text">
   <EnumeratedItem CodedValue="MILD"/><EnumeratedItem CodedValue="SEVERE"/>
  </CodeList>
 </MetaDataVersion></Study>
</ODM>
"""
ADAM_DEFINE = SDTM_DEFINE.replace('Name="SDTMIG"', 'Name="ADaMIG"').replace('Version="3.4"', 'Version="1.3"') \
    .replace('<ItemGroupDef OID="IG.AE" Name="AE" Domain="AE"', '<ItemGroupDef OID="IG.ADSL" Name="ADSL"') \
    .replace('<ItemGroupDef OID="IG.DM" Name="DM" Domain="DM"', '<ItemGroupDef OID="IG.ADX" Name="ADX"')


def _write(folder: Path, frames: dict[str, pd.DataFrame], define: str) -> Path:
    folder.mkdir(parents=True)
    for name, frame in frames.items():
        write_xpt(frame, folder / f"{name.lower()}.xpt", name=name)
    (folder / "define.xml").write_text(define, encoding="utf-8")
    return folder


@pytest.fixture
def study(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIALFORGE_WORKERS", "1")
    dm = pd.DataFrame({"STUDYID": ["S"] * 3, "DOMAIN": ["DM"] * 3, "USUBJID": ["S-1", "S-2", "S-2"],
                       "SEX": ["F", "X", ""], "RFSTDTC": ["2024-01-05", "2024-13-01", ""]})
    ae = pd.DataFrame({"STUDYID": ["S"] * 4, "DOMAIN": ["AE"] * 4, "USUBJID": ["S-1", "S-1", "S-9", "S-2"],
                       "AESEQ": [1.0, 1.0, 2.0, 3.0], "AETERM": [" Headache", "Nausea", ".", "Rash"],
                       "AESEV": ["MILD", "Moderate", "", "SEVERE"], "AESTDTC": ["2024-01-06", "2024-02-30", "x", ""]})
    adsl = pd.DataFrame({"STUDYID": ["S"] * 2, "USUBJID": ["S-1", "S-7"], "AGE": [40.0, float("nan")]})
    sdtm = _write(tmp_path / "sdtm", {"DM": dm, "AE": ae}, SDTM_DEFINE)
    adam = _write(tmp_path / "adam", {"ADSL": adsl}, ADAM_DEFINE)
    return sdtm, adam


def _plain(result):
    return ([f.as_dict() for f in result.findings], [dataclasses.replace(s, seconds=0.0) for s in result.statuses],
            result.datasets)


def _counting_rule_runs(monkeypatch) -> list[str]:
    ran: list[str] = []
    original = engine._run_rule

    def counting(rule, *args, **kwargs):
        ran.append(rule.id)
        return original(rule, *args, **kwargs)

    monkeypatch.setattr(engine, "_run_rule", counting)
    return ran


def test_a_run_with_rules_run_ahead_equals_a_run_without(study, monkeypatch):
    sdtm, adam = study
    plain = validate_folder([sdtm, adam])
    preloaded = Preloaded([sdtm])
    kept = preloaded.run_ahead(sdtm)
    assert kept > 50  # most SDTM rules need nothing else
    ran = _counting_rule_runs(monkeypatch)
    again = validate_folder([sdtm, adam], preloaded=preloaded)
    assert _plain(again) == _plain(plain) and plain.findings
    assert len(ran) == len(preloaded.rules) - kept, "the rules run ahead are not run again"


def test_released_data_is_read_again_and_the_rules_run_ahead_stay_done(study, monkeypatch):
    sdtm, adam = study
    plain = validate_folder([sdtm, adam])
    preloaded = Preloaded([sdtm])
    kept = preloaded.run_ahead(sdtm)
    preloaded.release()
    assert preloaded.take(sdtm) is None  # the run reads the folder itself
    ran = _counting_rule_runs(monkeypatch)
    assert _plain(validate_folder([sdtm, adam], preloaded=preloaded)) == _plain(plain)
    assert len(ran) == len(preloaded.rules) - kept, "read again from the same files: nothing is run again"


def test_running_ahead_stops_when_asked_and_the_run_does_the_rest(study):
    sdtm, adam = study
    plain = validate_folder([sdtm, adam])
    preloaded = Preloaded([sdtm])
    kept = preloaded.run_ahead(sdtm, stop=lambda: len(preloaded._ahead) >= 5)
    assert kept == 5
    assert _plain(validate_folder([sdtm, adam], preloaded=preloaded)) == _plain(plain)


@pytest.mark.parametrize("released", [False, True], ids=["kept", "released"])
def test_a_folder_changed_after_reading_is_read_again_and_nothing_made_ahead_is_used(study, monkeypatch, released):
    sdtm, adam = study
    preloaded = Preloaded([sdtm])
    assert preloaded.run_ahead(sdtm) > 0
    if released:  # the datasets let go of after running ahead: the outcomes are identified by their files
        preloaded.release()
    write_xpt(pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["AE"], "USUBJID": ["S-5"], "AESEQ": [1.0],
                            "AETERM": ["Cough"], "AESEV": ["MILD"], "AESTDTC": ["2024"]}), sdtm / "ae.xpt", name="AE")
    plain = validate_folder([sdtm, adam])
    ran = _counting_rule_runs(monkeypatch)
    assert _plain(validate_folder([sdtm, adam], preloaded=preloaded)) == _plain(plain)
    assert len(ran) == len(preloaded.rules)


def test_outcomes_are_refused_when_define_says_otherwise_about_what_the_rules_read(study):
    sdtm, adam = study
    preloaded = Preloaded([sdtm])
    preloaded.run_ahead(sdtm)
    datasets = {name: dataset for name, dataset in preloaded._datasets.items()}
    other = read_define(sdtm / "define.xml")
    assert preloaded.outcomes(datasets, other, engine.MAX_DETAILS_PER_RULE)
    (sdtm / "define.xml").write_text(SDTM_DEFINE.replace('CodedValue="SEVERE"', 'CodedValue="MODERATE"'))
    changed = read_define(sdtm / "define.xml")
    assert preloaded.outcomes(datasets, changed, engine.MAX_DETAILS_PER_RULE) == {}
    assert preloaded.outcomes(datasets, None, engine.MAX_DETAILS_PER_RULE) == {}
    assert preloaded.outcomes(datasets, other, 10) == {}
    assert preloaded.outcomes({"DM": datasets["DM"]}, other, engine.MAX_DETAILS_PER_RULE) == {}


def test_without_a_define_beside_the_folder_nothing_runs_ahead(study):
    sdtm, _ = study
    (sdtm / "define.xml").unlink()
    assert Preloaded([sdtm]).run_ahead(sdtm) == 0


def test_a_rule_that_asks_for_what_is_not_there_yet_is_left_to_the_run(study, tmp_path, monkeypatch):
    sdtm, adam = study
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("""
rules:
  - id: TF-X-ADSL
    title: AE subject has an ADSL record
    implements: [{authority: P21, id: X1}]
    standard: [SDTMIG 3.4]
    scope: {domains: [AE]}
    check: {variable: USUBJID, operator: not_in_lookup, lookup: {dataset: ADSL, variable: USUBJID}}
    severity: warning
    message: "{value} is not in ADSL"
    sensitivity: record
  - id: TF-X-DM
    title: AE subject is in DM
    implements: [{authority: P21, id: X2}]
    standard: [SDTMIG 3.4]
    scope: {domains: [AE]}
    check: {variable: USUBJID, operator: not_in_lookup, lookup: {dataset: DM, variable: USUBJID}}
    severity: warning
    message: "{value} is not in DM"
    sensitivity: record
""", encoding="utf-8")
    rules = load_rules(rules_file)
    preloaded = Preloaded([sdtm])
    preloaded.rules = rules
    assert preloaded.run_ahead(sdtm) == 1  # the DM look-up; ADSL is not there yet
    assert set(preloaded._ahead) == {"TF-X-DM"}
    plain = validate_folder([sdtm, adam], rules=rules)
    again = validate_folder([sdtm, adam], preloaded=preloaded)
    assert _plain(again) == _plain(plain)
    assert [f.values[0] for f in again.findings if f.rule_id == "TF-X-ADSL"] == ["S-9", "S-2"]
    assert [f.values[0] for f in again.findings if f.rule_id == "TF-X-DM"] == ["S-9"]


def test_only_rules_of_sdtm_alone_run_ahead():
    rules = {rule.id: rule for rule in load_rules()}
    ahead = [rule for rule in rules.values() if runs_ahead(rule)]
    assert ahead and all(rule.families == {"SDTM"} and rule.level != "study" for rule in ahead)
    assert not any(runs_ahead(rule) for rule in rules.values() if "ADaM" in rule.families)
    assert not any(runs_ahead(rule) for rule in rules.values() if rule.level == "study")
    assert not any(runs_ahead(rule) for rule in rules.values() if rule.scope.datasets[0])


def test_the_guards_let_through_only_what_is_there(study):
    sdtm, _ = study
    guarded = _Guarded({"DM": 1})
    assert guarded["DM"] == 1 and guarded.get("DM") == 1 and "DM" in guarded
    for ask in (lambda: guarded["ADSL"], lambda: guarded.get("ADSL"), lambda: "ADSL" in guarded,
                lambda: list(guarded.values()), lambda: len(guarded)):
        with pytest.raises(_Later):
            ask()
    define = _GuardedDefine(read_define(sdtm / "define.xml"))
    assert define.codelist_for("AE", "AESEV").values == frozenset({"MILD", "SEVERE"})
    assert define.codelist_for("AE", "AESEQ") is None
    for ask in (lambda: define.standards, lambda: define.ct_versions(), lambda: define.codelist_for("ADSL", "AGE"),
                lambda: define.codelists["CL.OTHER"]):
        with pytest.raises(_Later):
            ask()


def test_the_stamp_names_data_files_with_size_and_time_and_leaves_out_define(study):
    sdtm, _ = study
    (sdtm / "notes.txt").write_text("not data")
    stamp = data_files_stamp(sdtm)
    assert [entry[0] for entry in stamp] == ["ae.xpt", "dm.xpt"]
    assert all(size > 0 and mtime > 0 for _, size, mtime in stamp)
    assert data_files_stamp(sdtm / "missing") == ()
