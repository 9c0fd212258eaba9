"""The build report (audit/report.html): one self-contained page whose figures are drawn from the package's
own ADaM; the Kaplan-Meier estimates checked against scipy's (and lifelines' when it is installed)."""

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from formats.folder import load_folder
from trialforge.cli import main
from trialforge.report import write_build_report, write_report
from trialforge.report.km import kaplan_meier

SDTM = Path("m5/datasets/MESOCART-PD1/tabulations/sdtm")
ADAM = Path("m5/datasets/MESOCART-PD1/analysis/adam/datasets")
REPORT = Path("audit/report.html")
FIGURES = ("km-pfs", "km-os", "waterfall", "swimmer", "expansion")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "pkg"
    assert main(["build", "--example", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def html(package):
    return (package / REPORT).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def adam(package):
    return {name: d.frame for name, d in load_folder(package / ADAM, null_text=True).items()}


def plotted(html: str, figure: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{figure}">(.*?)</script>', html, flags=re.DOTALL)
    assert found, f"no embedded data for {figure}"
    return json.loads(found.group(1))


def figure_block(html: str, figure: str) -> str:
    found = re.search(rf'<figure id="figure-{figure}">(.*?)</figure>', html, flags=re.DOTALL)
    assert found, f"no figure {figure}"
    return found.group(1)


# -- the Kaplan-Meier estimator on hand-computed data -----------------------------------------------------------

def test_ties_of_events_and_censorings_at_one_time():
    # t=2: 2 events and 1 censoring; the censored subject is at risk at 2. S = 7/8, 7/8*5/7, ..., 0
    km = kaplan_meier([1, 2, 2, 2, 3, 4, 4, 5], [1, 1, 1, 0, 0, 1, 0, 1])
    assert km.times == (1, 2, 3, 4, 5)
    assert km.at_risk == (8, 7, 4, 3, 1) and km.events == (1, 2, 0, 1, 1) and km.censored == (0, 1, 1, 1, 0)
    assert km.survival == pytest.approx((0.875, 0.625, 0.625, 0.625 * 2 / 3, 0.0))
    # Greenwood: 1/(8*7) + 2/(7*5) = 0.075; + 1/(3*2)
    assert km.greenwood[1] == pytest.approx(0.075) and km.greenwood[3] == pytest.approx(0.075 + 1 / 6)
    # log-log: 0.625 ** exp(+-1.959964 * sqrt(0.075) / |log 0.625|)
    assert km.lower[1] == pytest.approx(0.229333, abs=1e-6) and km.upper[1] == pytest.approx(0.860698, abs=1e-6)
    assert km.median() == (4.0, 1.0, 5.0)  # lower limit: 0.387 <= 0.5 at t=1; upper: S=0 at t=5
    assert [km.number_at_risk(t) for t in (0, 2, 2.5, 3, 4, 6)] == [8, 7, 4, 4, 3, 0]


def test_all_censored_median_not_reached():
    km = kaplan_meier([3, 5, 7], [0, 0, 0])
    assert km.survival == (1.0, 1.0, 1.0)
    assert km.median() == (None, None, None)
    assert [km.number_at_risk(t) for t in (0, 5, 8)] == [3, 2, 0]


def test_a_single_subject():
    assert kaplan_meier([10], [1]).median() == (10.0, 10.0, 10.0)
    assert kaplan_meier([10], [0]).median() == (None, None, None)


def test_survival_exactly_one_half_takes_the_first_time():
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).median() == (2.0, 1.0, 4.0)


HAND_CASES = [([1, 2, 2, 2, 3, 4, 4, 5], [1, 1, 1, 0, 0, 1, 0, 1]), ([3, 5, 7], [0, 0, 0]), ([10], [1]),
              ([10], [0]), ([1, 2, 3, 4], [1, 1, 1, 1]), ([2, 2, 2, 6, 6, 9], [1, 0, 1, 1, 0, 0])]


def _lifelines_median(times, events):
    lifelines = pytest.importorskip("lifelines", reason="lifelines is not installed (it is not in the test "
                                                        "extras: it pins pandas<3); scipy's estimate is checked")
    from lifelines.utils import median_survival_times

    fitter = lifelines.KaplanMeierFitter().fit(times, events)
    interval = median_survival_times(fitter.confidence_interval_).iloc[0].tolist()
    return tuple(None if v == float("inf") else float(v) for v in [fitter.median_survival_time_, *interval])


@pytest.mark.parametrize("times,events", HAND_CASES)
def test_hand_cases_agree_with_lifelines(times, events):
    assert kaplan_meier(times, events).median() == _lifelines_median(times, events)


def _scipy_reference(times, events):
    """Survival, log-log CI and median (95% CI) from scipy.stats.ecdf (the same definitions, scipy's code)."""
    import numpy as np
    from scipy import stats

    times, events = np.asarray(times, dtype=float), np.asarray(events, dtype=bool)
    sf = stats.ecdf(stats.CensoredData(uncensored=times[events], right=times[~events])).sf
    band = sf.confidence_interval(0.95, method="log-log")
    q = sf.quantiles

    def first(values):
        hits = q[values <= 0.5]
        return float(hits.min()) if len(hits) else None

    return sf, band, (first(sf.evaluate(q)), first(band.low.evaluate(q)), first(band.high.evaluate(q)))


# -- the report of the example's build --------------------------------------------------------------------------

def test_the_build_writes_one_self_contained_report(package, html):
    assert (package / REPORT).is_file()
    manifest = json.loads((package / "audit" / "manifest.json").read_text())
    assert "audit/report.html" in {f["path"] for f in manifest["files"]}
    assert not re.search(r"<(script|img|link|iframe|object|embed)\b[^>]*\b(src|href|data)\s*=", html, re.I)
    assert not re.search(r"url\((?!#)|@import", html, re.I)  # url(#clip) points inside the page
    # the only http text: XML namespace names of the inline SVG, which nothing fetches
    assert set(re.findall(r"https?://[^\"' )<]+", html)) <= {"http://www.w3.org/2000/svg",
                                                              "http://www.w3.org/1999/xlink"}
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert all(s == "application/json" for s in re.findall(r'<script type="([^"]+)"', html))
    assert html.count("<svg") == len(FIGURES)
    for figure in FIGURES:
        block = figure_block(html, figure)
        assert block.count("<svg") == 1, figure
        assert "Not drawn" not in block


def test_counts_reconciliation_and_findings_come_from_the_audit_files(package, html):
    build_log = json.loads((package / "audit" / "build-log.json").read_text())
    stages = {s["stage"]: s for s in build_log["stages"]}
    for name, records in stages["sdtm"]["records"].items():
        assert re.search(rf"<td>{name}</td><td class=\"n\">{records:,}</td>", html), name
    for name, records in stages["adam"]["records"].items():
        assert re.search(rf"<td>{name}</td><td class=\"n\">{records:,}</td>", html), name
    for row in stages["sdtm"]["reconciliation"]:
        assert (f"<td>{row['form']}</td><td><code>{row['file']}</code></td><td class=\"n\">{row['rows_read']:,}</td>"
                f"<td class=\"n\">{row['rows_mapped']:,}</td><td class=\"n\">{row['rows_excluded']:,}</td>") in html
    validation = json.loads((package / "audit" / "validation" / "validation-report.json").read_text())
    for severity, count in validation["summary"]["findings"].items():
        assert f'<td class="n {severity}">{count:,}</td>' in html


@pytest.mark.parametrize("paramcd", ["PFS", "OS"])
def test_km_numbers_match_adtte_and_scipy(html, adam, paramcd):
    data = plotted(html, f"km-{paramcd.lower()}")
    rows = adam["ADTTE"][adam["ADTTE"]["PARAMCD"] == paramcd]
    times, events = rows["AVAL"].to_numpy(float), (rows["CNSR"] == 0).to_numpy()
    assert data["subjects"] == len(rows) and data["events"] == int(events.sum())
    assert data["times"] == sorted(set(times.tolist()))
    for t, n in zip(data["at_risk_times"], data["at_risk"]):  # the numbers printed under the curve
        assert n == int((times >= t).sum()), t
    assert data["at_risk"][0] == len(rows)
    sf, band, median = _scipy_reference(times, events)
    assert data["survival"] == pytest.approx(sf.evaluate(data["times"]).tolist(), abs=1e-6)
    assert data["lower"] == pytest.approx(band.low.evaluate(data["times"]).tolist(), abs=1e-6)
    assert data["upper"] == pytest.approx(band.high.evaluate(data["times"]).tolist(), abs=1e-6)
    assert (data["median"], data["median_lower"], data["median_upper"]) == median
    assert data["median"] is not None  # the example's PFS and OS reach their medians


@pytest.mark.parametrize("paramcd", ["PFS", "OS", "DOR", "TTR"])
def test_medians_of_the_example_equal_lifelines(adam, paramcd):
    rows = adam["ADTTE"][adam["ADTTE"]["PARAMCD"] == paramcd]
    times, events = rows["AVAL"].tolist(), (rows["CNSR"] == 0).astype(int).tolist()
    assert kaplan_meier(times, events).median() == _lifelines_median(times, events)


def test_waterfall_is_the_best_post_baseline_change_with_the_confirmed_bor(html, adam):
    data = plotted(html, "waterfall")
    adtr = adam["ADTR"]
    post = adtr[(adtr["PARAMCD"] == "SUMDIAM") & (adtr["ABLFL"] != "Y") & (adtr["ANL01FL"] == "Y")
                & adtr["PCHG"].notna()]
    best = post.groupby("USUBJID")["PCHG"].min()
    cbor = adam["ADRS"].query("PARAMCD == 'CBOR'").set_index("USUBJID")["AVALC"]
    assert {s["usubjid"] for s in data["subjects"]} == set(best.index)
    for s in data["subjects"]:
        assert s["best_pchg"] == pytest.approx(best[s["usubjid"]], abs=1e-3)
        assert s["bor"] == cbor.get(s["usubjid"], "")
    drawn = [s["best_pchg"] for s in data["subjects"]]
    assert drawn == sorted(drawn, reverse=True)


def test_swimmer_is_time_on_study_with_responses_and_crs(package, html, adam):
    data = plotted(html, "swimmer")
    adsl = adam["ADSL"][adam["ADSL"]["TRTSDT"].notna()].set_index("USUBJID")
    assert {s["usubjid"] for s in data["subjects"]} == set(adsl.index)
    for s in data["subjects"]:
        row = adsl.loc[s["usubjid"]]
        end = max(v for v in (row["EOSDT"], row["LSTALVDT"], row["DTHDT"]) if pd.notna(v))
        assert s["days"] == end - row["TRTSDT"] + 1
    parameters = json.loads((package / "audit" / "build-log.json").read_text())["stages"][0]["adam_parameters"]
    query = parameters["crs_query_name"]["value"]
    adae = adam["ADAE"]
    crs = adae[(adae["CQ01NAM"] == query) & adae["ASTDY"].notna()]
    assert len(crs) > 0 and sum(len(s["crs_days"]) for s in data["subjects"]) == len(crs)
    by_subject = crs.groupby("USUBJID")["ASTDY"].apply(sorted).to_dict()
    for s in data["subjects"]:
        assert s["crs_days"] == [int(d) for d in by_subject.get(s["usubjid"], [])]
    adrs = adam["ADRS"]
    ovr = adrs[(adrs["PARAMCD"] == "OVR") & adrs["AVALC"].isin(["CR", "PR", "PD"]) & (adrs["ANL01FL"] == "Y")]
    assert sum(len(s["responses"]) for s in data["subjects"]) == len(ovr)


def test_swimmer_labels_each_row_with_its_subject_top_down_by_time_on_study(html):
    data = plotted(html, "swimmer")
    labels = re.search(r'<g id="row-labels">(.*?)</g>\s*</g>', figure_block(html, "swimmer"), flags=re.DOTALL)
    assert labels, "no subject labels"
    rows = re.findall(r'<text x="([\d.]+)" y="([\d.]+)">([^<]*)</text>', labels.group(1))
    assert [r[2] for r in rows] == [s["usubjid"].rsplit("-", 1)[-1] for s in reversed(data["subjects"])]
    ys = [float(r[1]) for r in rows]
    assert ys == sorted(ys, reverse=True) and len({r[0] for r in rows}) == 1  # bottom row first, one column
    assert labels.group(1).count(" h -") == len(rows)  # a tick per row


def test_expansion_is_drawn_from_adpc_the_package_s_own_adam(package, html):
    data = plotted(html, "expansion")
    adpc = load_folder(package / ADAM, null_text=True)["ADPC"].frame
    cells = adpc[(adpc["SRCDOM"] == "CP") & adpc["AVAL"].notna() & adpc["AFRLT"].notna()]
    assert data["test"] == cells["PARAMCD"].mode()[0] == "TLSTLY"
    assert len(data["points"]) == len(cells) and data["subjects"] == cells["USUBJID"].nunique()
    assert sorted(v for _, _, v in data["points"]) == sorted(cells["AVAL"].tolist())
    assert sorted(t for _, t, _ in data["points"]) == sorted(cells["AFRLT"].tolist())
    assert data["unit"] == "%" and "AFRLT, days" in data["xlabel"]
    medians = cells.groupby("AVISITN")["AVAL"].median().sort_values().tolist()
    assert sorted(m[1] for m in data["median"]) == medians
    assert "ADPC records from SDTM CP" in figure_block(html, "expansion")


# -- what goes wrong never stops a build ------------------------------------------------------------------------

def test_a_figure_without_its_data_says_so_in_its_place(package, tmp_path):
    copy = tmp_path / "pkg"
    shutil.copytree(package, copy)
    (copy / ADAM / "adtte.xpt").unlink()
    (copy / ADAM / "adpc.xpt").unlink()
    path, report = write_report(copy)
    text = path.read_text(encoding="utf-8")
    for figure in ("km-pfs", "km-os"):
        assert "Not drawn: the package has no ADTTE" in figure_block(text, figure)
    assert "Not drawn: the package has no ADPC" in figure_block(text, "expansion")
    assert "<svg" in figure_block(text, "waterfall") and "<svg" in figure_block(text, "swimmer")
    assert report.problems == []  # missing data is said in place, not a problem of the report


def test_a_failing_figure_or_template_logs_a_warning_and_never_raises(package, tmp_path, monkeypatch, caplog):
    from types import SimpleNamespace

    import trialforge.report as report_module
    from trialforge.report import plots

    copy = tmp_path / "pkg"
    shutil.copytree(package, copy)
    (copy / REPORT).unlink()

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "waterfall_svg", broken)
    with caplog.at_level(logging.WARNING, logger="trialforge.report"):
        write_build_report(SimpleNamespace(staging=copy))
    text = (copy / REPORT).read_text(encoding="utf-8")
    assert "drawing failed" in figure_block(text, "waterfall") and "<svg" in figure_block(text, "km-pfs")
    assert any("figure waterfall" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    monkeypatch.setattr(report_module, "render", broken)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="trialforge.report"):
        write_build_report(SimpleNamespace(staging=copy))  # no exception
    assert any("not written" in r.getMessage() for r in caplog.records)


def test_an_sdtm_only_build_writes_a_report_without_figures_saying_why(tmp_path):
    out = tmp_path / "pkg"
    assert main(["build", "--example", "--subjects", "6", "--stages", "sdtm", "--out", str(out)]) == 0
    text = (out / REPORT).read_text(encoding="utf-8")
    assert "<svg" not in text and "holds no ADaM datasets" in text
    assert "validate stage did not run" in text
    assert re.search(r"<td>DM</td><td class=\"n\">6</td>", text)


def test_figures_drawn_ahead_are_used_only_if_drawn_from_the_package_as_it_is(package, tmp_path, monkeypatch):
    import os

    import trialforge.report as report_module

    copy = tmp_path / "pkg"
    shutil.copytree(package, copy)
    log_stages = json.loads((copy / "audit/build-log.json").read_text(encoding="utf-8"))["stages"]
    crs = log_stages[0]["adam_parameters"]["crs_query_name"]["value"]
    ahead = report_module.draw_figures(copy, crs, tuple(s["stage"] for s in log_stages))
    drawn = []
    monkeypatch.setattr(report_module, "draw_figures", lambda *args: drawn.append(args) or ahead)
    path, _ = write_report(copy, tmp_path / "ahead.html", figures=ahead)
    assert drawn == [] and path.read_bytes() == (package / REPORT).read_bytes()
    adtr = copy / ADAM / "adtr.xpt"
    os.utime(adtr, ns=(adtr.stat().st_atime_ns, adtr.stat().st_mtime_ns + 10**9))  # ADaM written again since
    write_report(copy, tmp_path / "again.html", figures=ahead)
    assert len(drawn) == 1
    write_report(copy, tmp_path / "other.html", figures=report_module.Figures(crs_query_name="OTHER",
                                                                              stamp=ahead.stamp))
    assert len(drawn) == 2


def test_report_command_writes_the_same_page(package, tmp_path, capsys):
    target = tmp_path / "again.html"
    assert main(["report", str(package), "--out", str(target)]) == 0
    assert target.read_bytes() == (package / REPORT).read_bytes()
    assert "report written to" in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) != 0  # not a package


# -- in a browser ------------------------------------------------------------------------------------------------

def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")


def _screenshot(browser: str, page: Path, png: Path, height: int) -> None:
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--window-size=1100,{height}", f"--screenshot={png}", page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chromium_opens_the_report_and_the_diff_page(package, html, tmp_path):
    browser = _chromium()
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          (package / REPORT).resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr
    assert dom.stdout.count("<svg") == len(FIGURES)  # parsed as HTML with every figure inline
    for figure in FIGURES:  # the numbers the browser holds are the ones checked against ADaM above
        assert plotted(dom.stdout, figure) == plotted(html, figure)
    report_png = tmp_path / "report.png"
    _screenshot(browser, package / REPORT, report_png, 5200)
    other = tmp_path / "other"
    shutil.copytree(package, other)
    (other / ADAM / "adtr.xpt").unlink()
    diff_html = tmp_path / "diff.html"
    assert main(["diff", str(package), str(other), "--html", str(diff_html)]) == 1
    diff_png = tmp_path / "diff.png"
    _screenshot(browser, diff_html, diff_png, 1200)
    from PIL import Image

    with Image.open(report_png) as image:  # something is drawn: not one blank colour
        assert image.size == (1100, 5200) and len(image.convert("L").getcolors(1 << 16) or ()) > 10
    with Image.open(diff_png) as image:
        assert len(image.convert("L").getcolors(1 << 16) or ()) > 2


def test_with_large_data_the_figures_are_drawn_beside_the_end_of_the_validate_stage(tmp_path, monkeypatch):
    """Large SDTM: the checks job draws no figures beside its validation (memory); once it has ended they are
    drawn in a process of their own while the build traces findings and writes the reports, not after."""
    import os

    import trialforge.overlap as overlap
    import trialforge.report as report_module
    from trialforge.background import can_fork

    if not can_fork():
        pytest.skip("the figures are drawn in a forked process only where fork exists")
    monkeypatch.setattr(overlap, "PARALLEL_MAX_SDTM_BYTES", 0)  # every SDTM counts as large
    drawn_by = tmp_path / "drawn-by"
    real = report_module.draw_figures

    def draw(*args):
        drawn_by.write_text(str(os.getpid()))
        return real(*args)

    monkeypatch.setattr(report_module, "draw_figures", draw)
    out = tmp_path / "pkg"
    assert main(["build", "--example", "--subjects", "8", "--out", str(out), "--no-cache"]) == 0
    assert int(drawn_by.read_text()) != os.getpid()  # not by the build process (the report hook draws none)
    text = (out / REPORT).read_text(encoding="utf-8")
    assert text.count("<svg") == len(FIGURES)


def test_with_large_data_the_adam_define_is_written_beside_the_build_not_read_back_by_it(tmp_path, monkeypatch):
    """Large SDTM: the checks job writes the ADaM define.xml (it reads ADaM for the validation anyway), so the
    build never holds ADaM read back beside the job's copy; small SDTM: the define stage writes it."""
    import os

    import define_xml.package as define_package
    import trialforge.overlap as overlap
    from trialforge.background import can_fork

    if not can_fork():
        pytest.skip("the checks job runs only where fork exists")
    written = tmp_path / "written-by"
    real = define_package.write_package_define

    def write(spec, folder, kind, *args, **kwargs):
        with written.open("a") as out:
            out.write(f"{kind} {os.getpid()}\n")
        return real(spec, folder, kind, *args, **kwargs)

    monkeypatch.setattr(define_package, "write_package_define", write)
    for large, out in ((False, tmp_path / "small"), (True, tmp_path / "large")):
        monkeypatch.setattr(overlap, "PARALLEL_MAX_SDTM_BYTES", 0 if large else 2**40)
        written.write_text("")
        assert main(["build", "--example", "--subjects", "8", "--out", str(out), "--no-cache"]) == 0
        by = dict(line.split() for line in written.read_text().splitlines())
        assert int(by["sdtm"]) != os.getpid()  # the job, either way
        assert (int(by["adam"]) != os.getpid()) is large
        assert (out / ADAM / "define.xml").is_file() and (out / ADAM / "define.html").is_file()
    assert (tmp_path / "small" / ADAM / "define.xml").read_bytes().split(b"CreationDateTime")[0] == \
        (tmp_path / "large" / ADAM / "define.xml").read_bytes().split(b"CreationDateTime")[0]
