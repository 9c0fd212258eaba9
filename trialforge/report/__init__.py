"""The build report, audit/report.html: one self-contained page (inline CSS and SVG, no scripts, no network)
that a study team opens first. It is drawn from the package's own files only: the counts per domain and the
reconciliation from audit/build-log.json, the findings by severity from audit/validation/validation-report.json,
and the figures from the package's ADaM.

Each figure's numbers are embedded beside its SVG as JSON (`<script type="application/json" id="...">`), so
what is drawn can be checked against the datasets. A report problem never fails a build: the part that cannot
be made says why in its place, a WARNING is logged, and the rest is written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REPORT_PATH = Path("audit") / "report.html"


@dataclass
class Figure:
    id: str
    title: str
    caption: str
    svg: str = ""
    data: Any = None
    missing: str = ""  # why the figure is not drawn

    @property
    def data_json(self) -> str:
        """The plotted numbers as JSON safe inside a <script> element."""
        return json.dumps(self.data, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")


@dataclass
class Report:
    study: str
    build: dict = field(default_factory=dict)
    sdtm_counts: list[dict] = field(default_factory=list)
    adam_counts: list[dict] = field(default_factory=list)
    reconciliation: list[dict] = field(default_factory=list)
    findings: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    figures_missing: str = ""
    validation_missing: str = ""
    problems: list[str] = field(default_factory=list)  # report parts that could not be made


@dataclass
class Figures:
    """The figures part of a report as drawn from a package's files: what `collect` puts in the Report, and
    what it was drawn from (the settings and the data files' names, sizes and modification times), so a
    set drawn beside the build (trialforge.overlap) is used only when it is what the report would draw."""

    figures: list[Figure] = field(default_factory=list)
    missing: str = ""
    problems: list[str] = field(default_factory=list)
    crs_query_name: str | None = None
    stages: tuple[str, ...] = ()  # of the build (named when the package has no ADaM)
    stamp: tuple = ()


FIGURES_ARTIFACT = "report_figures"  # ctx.artifacts key of a Figures drawn beside the build


def write_report(package: str | Path, out: str | Path | None = None,
                 figures: Figures | None = None) -> tuple[Path, Report]:
    """Write the report of the package folder `package` to `out` (default its audit/report.html);
    `figures`: drawn already (they are drawn again unless drawn from the package as it is now)."""
    package = Path(package)
    report = collect(package, figures)
    target = Path(out) if out else package / REPORT_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(report), encoding="utf-8")
    return target, report


def write_build_report(ctx) -> None:
    """The build's hook (after the build log is written, before the package is published): never raises."""
    try:
        _, report = write_report(ctx.staging, figures=getattr(ctx, "artifacts", {}).pop(FIGURES_ARTIFACT, None))
        for problem in report.problems:
            log.warning("build report: %s", problem)
    except Exception as error:  # the report is a view of the package: its failure must not lose the package
        log.warning("build report: audit/report.html not written: %s: %s", type(error).__name__, error)
        log.debug("build report failure", exc_info=True)


def collect(package: Path, figures: Figures | None = None) -> Report:
    """Everything the report shows, each part on its own so one problem does not hide the rest."""
    studies = sorted(p.name for p in package.glob("m5/datasets/*") if p.is_dir())
    report = Report(study=", ".join(studies) or "(no datasets)")  # not the folder's name: builds stage elsewhere
    _part(report, "build log (audit/build-log.json)", lambda: _build_log(report, package))
    _part(report, "validation report (audit/validation/validation-report.json)",
          lambda: _validation(report, package))
    _part(report, "figures", lambda: _take_figures(report, package, figures))
    return report


def _take_figures(report: Report, package: Path, figures: Figures | None) -> None:
    crs_query_name = report.build.get("parameters", {}).get("crs_query_name")
    stages = tuple(report.build.get("stages", ()))
    if figures is None or (figures.crs_query_name, figures.stages, figures.stamp) != (
            crs_query_name, stages, _stamp(package)):
        figures = draw_figures(package, crs_query_name, stages)
    report.figures, report.figures_missing = figures.figures, figures.missing
    report.problems += figures.problems


def _part(report: Report, name: str, work) -> None:
    try:
        work()
    except Exception as error:
        report.problems.append(f"{name}: {type(error).__name__}: {error}")
        log.debug("build report part %s failed", name, exc_info=True)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _build_log(report: Report, package: Path) -> None:
    path = package / "audit" / "build-log.json"
    if not path.is_file():
        report.problems.append("no audit/build-log.json: counts per domain and the reconciliation are not shown")
        return
    document = _read_json(path)
    stages = {s.get("stage"): s for s in document.get("stages", [])}
    report.build = {"tool": document.get("tool", ""), "version": document.get("version", ""),
                    "built_at": document.get("built_at", ""), "study_dir": document.get("study_dir", ""),
                    "stages": [s.get("stage") for s in document.get("stages", [])],
                    "parameters": {k: v.get("value") for k, v in
                                   stages.get("load-specs", {}).get("adam_parameters", {}).items()
                                   if isinstance(v, dict)}}
    mapped = stages.get("sdtm", {}).get("records", {})
    written = stages.get("write-sdtm", {}).get("written", {})
    report.sdtm_counts = [{"name": name, "records": mapped.get(name), "written": written.get(name)}
                          for name in sorted(set(mapped) | set(written))]
    derived = stages.get("adam", {}).get("records", {})
    adam_written = stages.get("write-adam", {}).get("written", {})
    report.adam_counts = [{"name": name, "records": derived.get(name), "written": adam_written.get(name)}
                          for name in sorted(set(derived) | set(adam_written))]
    report.reconciliation = list(stages.get("sdtm", {}).get("reconciliation", []))


SEVERITY_ORDER = ("error", "warning", "notice")


def _validation(report: Report, package: Path) -> None:
    path = package / "audit" / "validation" / "validation-report.json"
    if not path.is_file():
        report.validation_missing = ("This package has no audit/validation/validation-report.json (the validate "
                                     "stage did not run), so no findings are shown.")
        return
    document = _read_json(path)
    summary = document.get("summary", {})
    findings = summary.get("findings", {})
    order = [s for s in SEVERITY_ORDER if s in findings] + sorted(set(findings) - set(SEVERITY_ORDER))
    report.findings = {s: findings[s] for s in order}
    report.rules = summary.get("rules", {})
    rank = {s: i for i, s in enumerate(order)}
    report.issues = sorted(document.get("issue_summary", []),
                           key=lambda i: (rank.get(i.get("severity"), 99), -int(i.get("count") or 0),
                                          str(i.get("dataset")), str(i.get("rule_id"))))


def _adam_folders(package: Path) -> list[Path]:
    return sorted(package.glob("m5/datasets/*/analysis/adam/datasets"))


def _stamp(package: Path) -> tuple:
    """Names, sizes and modification times of the data files in the folders the figures read (ADaM only)."""
    from formats.folder import DATA_SUFFIXES

    paths = sorted(p for folder in _adam_folders(package) for p in folder.iterdir()
                   if p.suffix.lower() in DATA_SUFFIXES)
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in paths)


def preload_figures() -> None:
    """Import what drawing the figures uses (a second), e.g. in a process that will draw them later."""
    import matplotlib.figure  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401

    from formats.folder import load_folder  # noqa: F401
    from trialforge.report import figures, plots  # noqa: F401


def draw_figures(package: Path, crs_query_name: str | None, stages: tuple[str, ...]) -> Figures:
    """The report's figures from the package's files (the study's CRS query name and the stages run, as its
    build log states them)."""
    drawn = Figures(crs_query_name=crs_query_name, stages=tuple(stages), stamp=_stamp(package))
    _figures(drawn, package)
    return drawn


def _figures(report: Figures, package: Path) -> None:
    from formats.folder import load_folder
    from trialforge.report import figures as fx
    from trialforge.report import plots

    adam_folders = _adam_folders(package)
    if not adam_folders:
        ran = ", ".join(report.stages) or "unknown"
        report.missing = (f"The package holds no ADaM datasets (stages run: {ran}), so no figures are "
                          "drawn: each is drawn from the package's own ADaM.")
        return
    settings = fx.FigureSettings(crs_query_name=report.crs_query_name)
    adam = {n: d.frame for n, d in load_folder(adam_folders[0], null_text=True, names=fx.ADAM_DATASETS).items()}

    def figure(fid: str, title: str, caption: str, compute, draw) -> None:
        item = Figure(fid, title, caption)
        try:
            item.data = compute()
        except fx.MissingData as missing:
            item.missing = f"Not drawn: {missing}."
        except Exception as error:  # a data problem in one figure leaves the others
            item.missing = f"Not drawn: {type(error).__name__}: {error}."
            report.problems.append(f"figure {fid}: {type(error).__name__}: {error}")
            log.debug("figure %s failed", fid, exc_info=True)
        if item.data is not None:
            try:
                item.svg = draw(item.data)
            except Exception as error:
                item.missing = f"Not drawn: {type(error).__name__}: {error}."
                report.problems.append(f"figure {fid}: {type(error).__name__}: {error}")
                log.debug("figure %s failed", fid, exc_info=True)
        report.figures.append(item)

    for paramcd in settings.km_params:
        fid = f"km-{paramcd.lower()}"
        figure(fid, f"Kaplan-Meier: {paramcd}",
               f"ADTTE PARAMCD {paramcd}: AVAL with CNSR (0 = event); ticks mark censored subjects, the band is "
               "the pointwise 95% CI (log-log, Greenwood). Median with 95% CI by Brookmeyer-Crowley on the "
               "log-log scale; NR = not reached. Numbers at risk: subjects whose AVAL is at least the time shown.",
               lambda p=paramcd: fx.km_data(adam.get("ADTTE"), p, settings.km_step_months),
               lambda d, p=paramcd, f=fid: plots.km_svg([d], d["param"], f))
    figure("waterfall", "Waterfall: best % change in tumor size",
           f"ADTR PARAMCD {settings.tumor_param}: the lowest post-baseline PCHG per subject (ANL01FL = Y), "
           f"coloured by confirmed best overall response (ADRS PARAMCD {settings.bor_param}); dashed lines at "
           "+20% and -30% (RECIST 1.1). Subjects without a post-baseline measurement are not shown.",
           lambda: fx.waterfall_data(adam.get("ADTR"), adam.get("ADRS"), settings),
           lambda d: plots.waterfall_svg(d, "waterfall"))
    figure("swimmer", "Swimmer: time on study",
           "ADSL: from TRTSDT (day 1) to the latest of EOSDT, LSTALVDT and DTHDT; "
           f"responses from ADRS PARAMCD {settings.response_param} at ADY; CRS onsets: ADAE records of the "
           f"query {settings.crs_query_name or '(not named)'} (CQnnNAM) at ASTDY.",
           lambda: fx.swimmer_data(adam["ADSL"] if "ADSL" in adam else None, adam.get("ADRS"), adam.get("ADAE"),
                                   settings),
           lambda d: plots.swimmer_svg(d, "swimmer"))
    figure("expansion", "Cellular kinetics: expansion over time (e.g. CAR+ T cells)",
           f"ADPC records from SDTM {settings.cell_source} (SRCDOM), the most frequent PARAMCD: AVAL over AFRLT, the "
           "actual time from the dose (FRLTU), BLQ samples as the ADPC rules set them. Thin lines: subjects; bold: "
           "median per analysis visit (AVISITN).",
           lambda: fx.expansion_data(adam.get("ADPC"), settings.cell_source),
           lambda d: plots.expansion_svg(d, "expansion"))


def render(report: Report) -> str:
    import jinja2
    from importlib import resources

    source = resources.files("trialforge.templates").joinpath("report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["num"] = lambda v: "" if v is None else f"{v:,}" if isinstance(v, int) else str(v)
    return env.from_string(source).render(report=report)
