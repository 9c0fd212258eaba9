"""The seeded example-study generator: reproducible files in the forms.py layout, a plausible and
self-consistent clinical story, the hard cases and the planted data problems."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import pandas as pd
import pytest

from specs.errors import InputError
from trialforge.example_study import forms
from trialforge.example_study.generator import MANIFEST, PLANTED_ISSUES, generate_study
from trialforge.example_study.recist import nontarget_response, overall_response, target_response

SEED = 20240101
TUMOUR_FOLDERS = set(forms.TUMOR_ASSESSMENT_FOLDERS) - {"SCR"}


def _read(folder) -> dict[str, pd.DataFrame]:
    return {f.oid: pd.read_csv(folder / f"{f.oid.lower()}.csv", dtype=str, keep_default_na=False)
            for f in forms.FORMS}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example50")
    manifest = generate_study(folder, subjects=50, seed=SEED)
    return folder, manifest, _read(folder)


@pytest.fixture(scope="module")
def raw(study):
    return study[2]


def full_date(text: str) -> date | None:
    """A complete "12 JAN 2024" date, None for blank or partial dates."""
    try:
        return datetime.strptime(text, "%d %b %Y").date()
    except ValueError:
        return None


def dates(texts: pd.Series) -> pd.Series:
    """Complete "12 JAN 2024" dates as datetime64; blank and partial dates become NaT."""
    return pd.to_datetime(texts, format="%d %b %Y", errors="coerce")


def _dates_of(frame: pd.DataFrame) -> pd.DataFrame:
    """(Subject, date) of every complete date in a form's date fields."""
    fields = [c for c in frame.columns if c.endswith("DAT")]
    long = frame.melt(id_vars=["Subject"], value_vars=fields, value_name="text")
    long["date"] = dates(long["text"])
    return long.dropna(subset=["date"])[["Subject", "variable", "date"]]


# --- files ----------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(study, tmp_path):
    folder, _, _ = study
    generate_study(tmp_path, subjects=50, seed=SEED)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (folder / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_different_seed_gives_different_data(study, tmp_path):
    _, manifest, _ = study
    other = generate_study(tmp_path, subjects=50, seed=SEED + 1)
    assert other["seed"] == SEED + 1
    differing = [oid for oid in manifest["forms"] if manifest["forms"][oid]["sha256"] != other["forms"][oid]["sha256"]]
    assert {"AE", "LB", "TL", "RS", "DM"} <= set(differing)


def test_every_form_has_exactly_its_columns_as_utf8_text(study):
    folder, manifest, raw = study
    assert set(manifest["forms"]) == {f.oid for f in forms.FORMS}
    for form in forms.FORMS:
        path = folder / f"{form.oid.lower()}.csv"
        data = path.read_bytes()
        text = data.decode("utf-8")
        assert "\r" not in text and text.endswith("\n")
        assert text.isascii(), form.oid  # umol/L, x10^6: ASCII spellings only
        assert tuple(raw[form.oid].columns) == forms.columns(form)
        entry = manifest["forms"][form.oid]
        assert entry == {"file": path.name, "rows": len(raw[form.oid]), "sha256": hashlib.sha256(data).hexdigest()}
        frame = raw[form.oid]
        assert (frame["Project"] == "MESOCART-PD1").all() and (frame["SiteNumber"] == "01").all()
        assert (frame["DataPageName"] == form.page_name).all()
        assert frame["Subject"].str.fullmatch(r"01-\d{3}").all()


def test_manifest_is_the_written_file_and_names_the_run(study):
    folder, manifest, _ = study
    on_disk = json.loads((folder / MANIFEST).read_text())
    assert on_disk == manifest
    assert (manifest["study_id"], manifest["seed"], manifest["subjects"]) == ("MESOCART-PD1", SEED, 50)
    assert manifest["generator_version"] and manifest["data_cutoff"] == "2025-12-31"


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(InputError):
        generate_study(tmp_path, subjects=0)
    with pytest.raises(InputError):
        generate_study(tmp_path, subjects=10, seed=-1)


def test_tiny_cohorts_still_generate(tmp_path):
    manifest = generate_study(tmp_path, subjects=2, seed=7)
    assert manifest["forms"]["DM"]["rows"] == 2 and manifest["forms"]["ENR"]["rows"] == 2


# --- subjects and timeline -------------------------------------------------------------------------------

def test_cohort_shape(raw):
    assert raw["DM"]["Subject"].tolist() == [f"01-{i:03d}" for i in range(1, 51)]
    ages = raw["DM"]["AGE"].astype(int)
    assert ages.between(28, 75).all()
    not_infused = raw["EOT"][raw["EOT"]["EOTSTAT"] == "NOT INFUSED"]
    assert 3 <= len(not_infused) <= 8 and (not_infused["EOTREAS"] != "").all()
    assert set(raw["INF"]["Subject"]) == set(raw["EOT"]["Subject"]) - set(not_infused["Subject"])
    assert set(raw["INF"]["INFDOSU"]) == {"x10^6 cells"}
    consent = raw["ENR"]["ICDAT"].map(full_date)
    assert consent.min() >= date(2023, 1, 1) and consent.max() <= date(2024, 12, 31)
    waived = raw["IE"][raw["IE"]["IEYN"] == "No"]
    assert 1 <= len(waived) <= 3 and (waived["IEWAIVER"] == "Yes").all() and (waived["IETESTCD"] != "").all()


def test_infusion_is_day_0_and_lymphodepletion_days_minus_5_to_minus_3(raw):
    infusion = raw["INF"].set_index("Subject")["INFDAT"].map(full_date)
    ld = raw["LD"].copy()
    ld["date"] = ld["LDDAT"].map(full_date)
    infused_ld = ld[ld["Subject"].isin(infusion.index)]
    offset = infused_ld.apply(lambda r: (r["date"] - infusion[r["Subject"]]).days, axis=1)
    assert (offset == infused_ld["LDPDAY"].astype(int)).all()
    assert set(offset) == {-5, -4, -3}
    assert (infused_ld.groupby("Subject").size() == 6).all()
    assert set(infusion.index) <= set(ld["Subject"])


def test_visit_dates_increase_with_folder_order(raw):
    order = {f: k for k, (f, _, _) in enumerate(forms.VISIT_FOLDERS)}
    sv = raw["SV"][(raw["SV"]["VISYN"] == "Yes") & (raw["SV"]["Folder"] != "UNS")].copy()
    sv["k"], sv["date"] = sv["Folder"].map(order), sv["VISDAT"].map(full_date)
    assert sv["date"].notna().all()
    for _, visits in sv.groupby("Subject"):
        by_folder = visits.sort_values("k")["date"].tolist()
        assert by_folder == sorted(by_folder) and len(set(by_folder)) == len(by_folder)
    missed = raw["SV"][raw["SV"]["VISYN"] == "No"]
    assert (missed["VISDAT"] == "").all() and (missed["VISREAS"] != "").all()


def test_no_post_infusion_data_for_never_infused_subjects(raw):
    never = set(raw["EOT"].loc[raw["EOT"]["EOTSTAT"] == "NOT INFUSED", "Subject"])
    for oid in ("INF", "CP", "PC", "RS", "NL"):
        assert not (set(raw[oid]["Subject"]) & never), oid
    assert set(raw["SV"].loc[raw["SV"]["Subject"].isin(never), "Folder"]) <= {"SCR", "APH", "LD"}
    assert set(raw["LB"].loc[raw["LB"]["Subject"].isin(never), "Folder"]) <= {"SCR", "LD"}
    assert set(raw["TL"].loc[raw["TL"]["Subject"].isin(never), "Folder"]) <= {"SCR"}
    assert set(raw["DS"]["Subject"]) >= never  # they all left the study


def test_nothing_is_dated_after_death_or_study_end(raw):
    ends = raw["DS"].assign(end=dates(raw["DS"]["DSSTDAT"])).dropna(subset=["end"]).set_index("Subject")["end"]
    deaths = raw["DTH"].assign(d=dates(raw["DTH"]["DTHDAT"])).dropna(subset=["d"]).set_index("Subject")["d"]
    assert (deaths == ends.reindex(deaths.index)).all()  # DS date of a death is the death date
    for oid in (f.oid for f in forms.FORMS):
        dated = _dates_of(raw[oid])
        dated = dated[dated["Subject"].isin(ends.index)]
        late = dated[dated["date"] > dated["Subject"].map(ends)]
        assert late.empty, (oid, late.head())
    for subject, died in deaths.items():  # no visit on or after the day of death
        visits = dates(raw["SV"].loc[raw["SV"]["Subject"] == subject, "VISDAT"]).dropna()
        assert (visits < died).all()


def test_statuses_at_end_of_study(raw):
    statuses = set(raw["DS"]["DSSTAT"])
    assert {"Completed", "Death", "Lost to follow-up", "Withdrawal by subject"} <= statuses
    assert set(raw["DTH"]["Subject"]) == set(raw["DS"].loc[raw["DS"]["DSSTAT"] == "Death", "Subject"])


# --- tumours -------------------------------------------------------------------------------------------

def _mm(text: str) -> float | None:
    return None if text == "" else 5.0 if text == "TOO SMALL TO MEASURE" else float(text)


def _recompute(raw) -> pd.DataFrame:
    """Recompute the investigator's responses from TL/NTL/NL with RECIST 1.1, independently of the generator."""
    tl, ntl, nl, rs = raw["TL"], raw["NTL"], raw["NL"], raw["RS"]
    rows = []
    for subject, assessments in rs[rs["RSNDYN"] != "Yes"].groupby("Subject", sort=False):
        lesions = tl[tl["Subject"] == subject]
        base = lesions[lesions["Folder"] == "SCR"]
        baseline = sum(_mm(v) for v in base["TLDIAM"])
        nadir = baseline
        for _, a in assessments.iterrows():
            here = lesions[(lesions["TLDAT"] == a["RSDAT"]) & (lesions["Folder"] == a["Folder"])]
            values = [_mm(v) for v in here["TLDIAM"]]
            measured = sum(v for v in values if v is not None)
            if not len(here):
                trg = ""
            elif measured >= 1.2 * nadir and measured - nadir >= 5:
                trg = "PD"
            elif None in values:
                trg = "NE"
            elif all((v < 10) if node == "Yes" else (v == 0) for v, node in zip(values, here["TLNODAL"])):
                trg = "CR"
            elif measured <= 0.7 * baseline:
                trg = "PR"
            else:
                trg = "SD"
            if trg not in ("", "NE", "PD"):
                nadir = min(nadir, measured)
            status = ntl[(ntl["Subject"] == subject) & (ntl["NTLDAT"] == a["RSDAT"])]["NTLSTAT"].tolist()
            new = nl[(nl["Subject"] == subject) & (nl["NLDAT"] == a["RSDAT"])]["NLEQUIV"].tolist()
            rows.append({"Subject": subject, "RSDAT": a["RSDAT"], "trg": trg, "sum": measured, "complete":
                         None not in values, "ntl": status, "unequivocal": "UNEQUIVOCAL" in new})
    return pd.DataFrame(rows)


def test_investigator_responses_agree_with_measurements(raw):
    rs = raw["RS"][raw["RS"]["RSNDYN"] != "Yes"].reset_index(drop=True)
    mine = _recompute(raw)
    assert len(mine) == len(rs) > 50
    assert (mine["trg"] == rs["TRGRESP"]).all()
    sums = rs["TLSUM"]
    complete = mine["complete"] & (mine["trg"] != "")
    assert (sums[complete].astype(float) == mine.loc[complete, "sum"]).all()
    assert (sums[~complete] == "").all()
    assert (rs["NEWLIND"] == mine["unequivocal"].map({True: "Yes", False: "No"})).all()
    # overall response from the digest's time-point table, recomputed with a lookup of our own
    for (_, r), (_, m) in zip(rs.iterrows(), mine.iterrows()):
        ntl = r["NTRGRESP"]
        statuses = set(m["ntl"])
        expected_ntl = ("" if not statuses else "PD" if "UNEQUIVOCAL PROGRESSION" in statuses else
                        "NE" if "NOT EVALUATED" in statuses else "CR" if statuses == {"ABSENT"} else "NON-CR/NON-PD")
        assert ntl == expected_ntl
        if "PD" in (r["TRGRESP"], ntl) or m["unequivocal"]:
            expected = "PD"
        elif r["TRGRESP"] == "":
            expected = {"CR": "CR", "NON-CR/NON-PD": "NON-CR/NON-PD"}.get(ntl, "NE")
        elif r["TRGRESP"] == "CR":
            expected = "CR" if ntl in ("CR", "") else "PR"
        else:
            expected = r["TRGRESP"]
        assert r["OVRLRESP"] == expected, (r["Subject"], r["RSDAT"])


def test_assessments_stop_at_first_progression(raw):
    for _, rs in raw["RS"].groupby("Subject"):
        responses = rs["OVRLRESP"].tolist()
        if "PD" in responses:
            assert responses.index("PD") == len(responses) - 1


def test_baseline_lesions_follow_recist(raw):
    base = raw["TL"][raw["TL"]["Folder"] == "SCR"]
    assert base.groupby("Subject").size().max() <= 5
    size = base["TLDIAM"].astype(float)
    assert (size[base["TLNODAL"] == "Yes"] >= 15).all() and (size[base["TLNODAL"] == "No"] >= 10).all()
    assert {"CT", "CT SCAN", "MRI"} & set(raw["TL"]["TLMETH"]) and len(set(raw["TL"]["TLMETH"])) >= 2
    responses = set(raw["RS"]["OVRLRESP"]) - {""}
    assert {"CR", "PR", "SD", "PD"} <= responses


@pytest.mark.parametrize("recorded, nodal, baseline, nadir, expected", [
    (["21"], [False], 30, 30, ("PR", 21)),             # exactly 30% below baseline
    (["22"], [False], 30, 30, ("SD", 22)),
    (["24"], [False], 20, 20, ("SD", 24)),             # +20% but only +4 mm
    (["25"], [False], 20, 20, ("PD", 25)),
    (["0", "9"], [False, True], 40, 9, ("CR", 9)),     # node below 10 mm counts as gone
    (["TOO SMALL TO MEASURE"], [False], 30, 5, ("PR", 5)),
    (["", "40"], [False, False], 40, 30, ("PD", None)),  # already PD on what was measured
    (["", "10"], [False, False], 40, 30, ("NE", None)),
    ([], [], 0, 0, ("", None)),
])
def test_target_response_rules(recorded, nodal, baseline, nadir, expected):
    assert target_response(recorded, nodal, baseline, nadir) == expected


def test_overall_and_nontarget_response_tables():
    assert nontarget_response(["ABSENT", "PRESENT"]) == "NON-CR/NON-PD"
    assert nontarget_response(["ABSENT", "NOT EVALUATED"]) == "NE"
    assert overall_response("CR", "NON-CR/NON-PD", False) == "PR"
    assert overall_response("CR", "NE", False) == "PR"
    assert overall_response("SD", "", True) == "PD"
    assert overall_response("", "NON-CR/NON-PD", False) == "NON-CR/NON-PD"
    assert overall_response("NE", "NON-CR/NON-PD", False) == "NE"


# --- hard cases, found in the data itself ----------------------------------------------------------------

def _assessments(raw) -> pd.DataFrame:
    rs = raw["RS"].copy()
    infusion = raw["INF"].set_index("Subject")["INFDAT"].map(full_date)
    rs["date"] = rs["RSDAT"].map(full_date)
    rs["day"] = [(d - infusion[s]).days if d else None for s, d in zip(rs["Subject"], rs["date"])]
    return rs


def test_hard_cases_are_present(raw, study):
    _, manifest, _ = study
    cases = manifest["hard_cases"]
    rs = _assessments(raw)
    infused = set(raw["INF"]["Subject"])
    deaths = raw["DTH"].set_index("Subject")["DTHDAT"].map(full_date)

    # death before the first tumour assessment of an infused subject
    subject = cases["death_before_first_assessment"]
    assert subject in infused and subject in deaths.index and subject not in set(rs["Subject"])

    # PD after two consecutive missed assessments (visit missed, then scan not done)
    subject = cases["event_after_missed_assessments"]
    seq = rs[rs["Subject"] == subject]
    sv = raw["SV"][raw["SV"]["Subject"] == subject].set_index("Folder")
    assert sv.loc["W12", "VISYN"] == "No"
    assert seq.set_index("Folder").loc["W18", "RSNDYN"] == "Yes"
    assert seq["OVRLRESP"].tolist()[-1] == "PD" and seq["Folder"].tolist()[-1] == "W24"

    # subsequent anti-cancer therapy before PD for a responder
    subject = cases["therapy_before_pd"]
    cm = raw["CM"][(raw["CM"]["Subject"] == subject) & (raw["CM"]["CMCAT"] == "SUBSEQUENT ANTI-CANCER THERAPY")]
    start = full_date(cm["CMSTDAT"].iloc[0])
    seq = rs[rs["Subject"] == subject]
    assert seq.loc[seq["date"] < start, "OVRLRESP"].isin(["PR", "CR"]).any()
    assert not (seq.loc[seq["date"] <= start, "OVRLRESP"] == "PD").any()

    # CR followed by PR
    responses = rs.loc[rs["Subject"] == cases["cr_then_pr"], "OVRLRESP"].tolist()
    assert "CR" in responses and "PR" in responses[responses.index("CR"):]

    # PR, then PD, both before day 42 (the PR at an unscheduled scan)
    seq = rs[rs["Subject"] == cases["pr_then_pd_before_day42"]]
    early = seq[seq["day"] < 42]["OVRLRESP"].tolist()
    assert early[:2] == ["PR", "PD"] and "UNS" in set(seq["Folder"])


def test_death_before_first_assessment_is_early(raw, study):
    subject = study[1]["hard_cases"]["death_before_first_assessment"]
    died = full_date(raw["DTH"].set_index("Subject").loc[subject, "DTHDAT"])
    infused = full_date(raw["INF"].set_index("Subject").loc[subject, "INFDAT"])
    assert (died - infused).days < 35  # before the earliest week-6 window day


# --- safety, labs, kinetics -----------------------------------------------------------------------------

def test_adverse_events_are_coded_consistently(raw):
    ae = raw["AE"]
    for column in ("AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AESOCCD"):
        assert ae[column].str.fullmatch(r"\d{8}").all(), column
    for name, code in (("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"), ("AEHLGT", "AEHLGTCD"), ("AESOC", "AESOCCD"),
                       ("AELLT", "AELLTCD")):
        assert (ae.groupby(name)[code].nunique() == 1).all() and (ae.groupby(code)[name].nunique() == 1).all()
    assert (ae.groupby("AEDECOD")[["AEHLT", "AEHLGT", "AESOC"]].nunique() == 1).all().all()
    assert ae["AETOXGR"].str.fullmatch(r"(Grade )?[1-5]").all()


def test_adverse_events_tell_a_car_t_story(raw):
    ae = raw["AE"]
    infused = set(raw["INF"]["Subject"])
    crs = ae[ae["AEDECOD"] == "Cytokine release syndrome"]
    assert 0.5 <= crs["Subject"].nunique() / len(infused) <= 0.9
    assert (crs["AEASTCGR"] != "").all()
    assert {"Pleurisy", "Neutropenia"} <= set(ae["AEDECOD"])
    fatal = ae[ae["AEOUT"] == "Fatal"]
    assert len(fatal) >= 1 and (fatal["AESDTH"] == "Yes").all()
    assert fatal["AETOXGR"].str.endswith("5").all()
    ongoing = ae[ae["AEONGO"] == "Yes"]
    assert len(ongoing) and (ongoing["AEENDAT"] == "").all()


def test_labs_follow_the_course(raw):
    lb = raw["LB"]
    lym = lb[lb["LBTEST"].isin(["Lymphocytes", "ALC"]) & (lb["LBNDYN"] != "Yes")]
    scr = lym[lym["Folder"] == "SCR"]["LBORRES"].astype(float).median()
    d0 = lym[lym["Folder"] == "D0"]["LBORRES"].astype(float).median()
    assert d0 < scr / 3  # lymphodepletion empties the lymphocytes
    crs_subjects = set(raw["AE"].loc[raw["AE"]["AEDECOD"] == "Cytokine release syndrome", "Subject"])
    il6 = lb[lb["LBTEST"].isin(["IL-6", "Interleukin-6", "IL6"]) & lb["Subject"].isin(crs_subjects)
             & (lb["LBNDYN"] != "Yes") & (lb["LBORRES"] != "<0.1")]
    baseline = il6[il6["Folder"] == "SCR"]["LBORRES"].astype(float).median()
    peak = il6[il6["Folder"].isin(["D1", "D4", "D7"])].groupby("Subject")["LBORRES"].apply(
        lambda s: s.astype(float).max()).median()
    assert peak > 3 * baseline
    assert set(lb["LBCAT"]) == {"HEMATOLOGY", "CHEMISTRY", "CRS MARKERS"}


def test_car_t_expands_and_antibody_is_below_lloq_before_infusion(raw):
    cp = raw["CP"][raw["CP"]["CPNDYN"] != "Yes"]
    assert (cp.loc[cp["Folder"].isin(["LD", "D0"]), "CPORRES"] == "0").all()
    followed = cp[cp["Subject"].isin(cp.loc[cp["Folder"] == "W6", "Subject"])]  # alive past the expansion
    peaks = followed.assign(v=followed["CPORRES"].astype(float)).sort_values("v").groupby("Subject").tail(1)
    assert peaks["Folder"].isin(["D7", "D14", "D21"]).mean() > 0.7
    assert peaks["v"].between(0.5, 80).all()
    pc = raw["PC"][raw["PC"]["PCNDYN"] != "Yes"]
    assert pc.loc[pc["Folder"].isin(["LD", "D0"]), "PCORRES"].isin(["<LLOQ", "BLQ"]).all()
    assert (raw["PC"]["PCLLOQ"] == "1.56").all()


# --- planted issues -----------------------------------------------------------------------------------------

def test_planted_issues_are_present(raw, study):
    folder, manifest, _ = study
    assert set(manifest["planted_issues"]) == {issue.id for issue in PLANTED_ISSUES}
    for issue, entry in manifest["planted_issues"].items():
        assert entry["count"] >= 1 and entry["examples"], issue
    lines = (folder / "lb.csv").read_text().splitlines()
    assert any(a == b for a, b in zip(lines, lines[1:]))  # one LB line exported twice
    ae = raw["AE"]
    fields = [f.name for f in forms.FORMS_BY_OID["AE"].fields]
    assert ae.duplicated(["Subject", *fields]).sum() == 1
    assert not ae.duplicated().any()  # ... entered twice, so the record positions differ
    starts, ends = ae["AESTDAT"].map(full_date), ae["AEENDAT"].map(full_date)
    both = starts.notna() & ends.notna()
    assert (ends[both] < starts[both]).sum() == 1
    lb = raw["LB"]
    creat = lb[lb["LBTEST"].isin(["Creatinine", "Serum creatinine", "CREAT"]) & (lb["LBNDYN"] != "Yes")]
    assert {"mg/dL", "umol/L"} <= set(creat["LBORRESU"])
    assert (lb["LBORRES"] == "<0.1").any()
    assert (raw["CM"]["CMROUTE"] == "Per PEG").sum() == 1
    assert (lb["Folder"] == "UNS").any() and raw["SV"]["InstanceName"].str.fullmatch(r"Unscheduled \d").any()
    assert raw["DTH"]["DTHDAT"].str.startswith("UN ").sum() == 1
    dm = raw["DM"]
    assert {"M", "F"} & set(dm["SEX"]) and dm["BRTHDAT"].str.fullmatch(r"UNK-UNK-\d{4}|\d{4}").any()
    assert len(set(raw["AE"]["AEREL"])) >= 4 and len(set(raw["AE"]["AEOUT"])) >= 4


def test_larger_cohort_keeps_the_design(tmp_path):
    manifest = generate_study(tmp_path, subjects=200, seed=99)
    raw = _read(tmp_path)
    assert manifest["forms"]["DM"]["rows"] == 200
    assert len(manifest["hard_cases"]["never_infused"]) == 20
    dx = raw["DX"]["DXTERM"].str.lower()
    meso = dx.str.contains("mesothelioma").mean()
    assert 0.28 <= meso <= 0.52
    assert raw["DM"]["Subject"].is_unique and raw["ENR"]["ICDAT"].map(full_date).is_monotonic_increasing
    assert all(manifest["planted_issues"][i.id]["count"] >= 1 for i in PLANTED_ISSUES)
