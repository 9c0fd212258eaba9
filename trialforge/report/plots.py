"""The report's figures as inline SVG, drawn with matplotlib (Agg, no pyplot state) from `figures`' dicts.

The SVG is deterministic (fixed hash salt per figure, no date or creator in its metadata, text as text) so two
builds of the same inputs write the same report byte for byte.
"""

from __future__ import annotations

import io
import re

from trialforge.report.figures import DAYS_PER_MONTH

BOR_COLOURS = {  # RECIST 1.1 response categories (CDISC CT); anything else is drawn grey
    "CR": "#1a7f37", "PR": "#5cb85c", "SD": "#f0ad4e", "NON-CR/NON-PD": "#8fb3d9", "PD": "#d9534f",
    "NE": "#b0b0b0", "MISSING": "#d0d0d0",
}
OTHER = "#a0a0a0"
KM_COLOURS = ("#1f5fa8", "#c2410c", "#15803d", "#7e22ce")


def _svg(fig, salt: str) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"trialforge-{salt}", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                    "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # no XML prolog or DOCTYPE inside HTML
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    return text.strip() + "\n"


# Fixed margins from the known font sizes, not a layout engine: "constrained" measured every text's extent
# (most of the report's time) to find what these few sums give.
FONT, SMALL, TITLE = 9, 8, 10  # points: rc font size (ticks, axis labels), legend and tables, title
CHAR = 0.62  # width of a DejaVu Sans digit or capital, in ems (at most about 0.7, "W" and "M" wider)
LINE = 1.25  # a line of text, in ems
TICK = 3.5 + 3.5  # points: tick length and its label's pad
EDGE = 6  # points: white space at the figure's edge


def _figure(width: float, height: float, *, ytick_chars: int, ytick_size: float = FONT, below: float = 0.0):
    """A figure with one axes placed by fixed margins: room at the left for a y label and tick labels of
    `ytick_chars` characters, at the bottom for an x label and tick labels and `below` more points (e.g. a
    table), at the top for the title. Returns (figure, axes)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=72)
    left = EDGE + FONT * LINE + 4 + ytick_chars * CHAR * ytick_size + TICK
    bottom = EDGE + FONT * LINE + 4 + FONT * LINE + TICK + below
    top = EDGE + TITLE * LINE + 6
    right = EDGE + 2 * FONT * CHAR  # half of the last x tick label may reach past the axes
    fig.subplots_adjust(left=left / 72 / width, right=1 - right / 72 / width, bottom=bottom / 72 / height,
                        top=1 - top / 72 / height)
    return fig, fig.add_subplot()


def _tick_chars(labels) -> int:
    return max((len(str(label)) for label in labels), default=1)


def _style() -> dict:
    # titley fixed: matplotlib otherwise measures the tick labels to lift the title over any at the top
    return {"font.family": "DejaVu Sans", "font.size": FONT, "axes.spines.top": False,
            "axes.spines.right": False, "axes.titley": 1.0}


def km_svg(curves: list[dict], title: str, salt: str) -> str:
    """Kaplan-Meier curves (one per dict of figures.km_data), censoring ticks, 95% CI band, numbers at risk
    below, median (95% CI) in the legend."""
    import matplotlib

    with matplotlib.rc_context(_style()):
        height = 4.6 + 0.2 * len(curves)
        fig, ax = _figure(7.5, height, ytick_chars=3, below=_km_table_points(height, len(curves)))
        scale = DAYS_PER_MONTH if curves[0]["unit"] == "days" else 1.0
        for colour, curve in zip(KM_COLOURS, curves):
            xs = [0.0] + [t / scale for t in curve["times"]]
            ax.step(xs, [1.0] + curve["survival"], where="post", color=colour, linewidth=1.6,
                    label=f"{curve['paramcd']}: median {_fmt(curve['median'], scale)} "
                          f"(95% CI {_fmt(curve['median_lower'], scale)}, {_fmt(curve['median_upper'], scale)}) "
                          f"{curve['axis_unit']}; {curve['events']}/{curve['subjects']} events")
            ax.fill_between(xs, [1.0] + curve["lower"], [1.0] + curve["upper"], step="post", color=colour,
                            alpha=0.12, linewidth=0)
            ax.plot([t / scale for t in curve["censor_times"]], curve["censor_survival"], "|", color=colour,
                    markersize=7, markeredgewidth=1.2)
        ax.axhline(0.5, color="#999", linewidth=0.6, linestyle=":")
        ax.set_ylim(0, 1.02)
        last = max(max(c["times"]) for c in curves) / scale
        ticks = curves[0]["at_risk_times"]
        ax.set_xlim(0, max(last, ticks[-1] / scale) * 1.02)
        ax.set_xticks([t / scale for t in ticks], curves[0]["at_risk_labels"])
        ax.set_xlabel(f"Time from start ({curves[0]['axis_unit']})")
        ax.set_ylabel("Probability event-free")
        ax.set_title(title, loc="left", fontsize=10)
        ax.legend(loc="upper right", frameon=False, fontsize=8)
        below = ax.get_xaxis_transform()  # x in data, y in axes fraction
        ax.text(0, -KM_TABLE_TOP, "Number at risk", fontsize=8, ha="left", va="center", transform=below)
        for row, (colour, curve) in enumerate(zip(KM_COLOURS, curves)):
            y = -KM_TABLE_TOP - KM_TABLE_ROW * (row + 1)
            ax.text(-0.02, y, curve["paramcd"], color=colour, ha="right", va="center", fontsize=8,
                    transform=ax.transAxes)
            for t, n in zip(curve["at_risk_times"], curve["at_risk"]):
                ax.text(t / scale, y, str(n), ha="center", va="center", fontsize=8, transform=below)
        return _svg(fig, salt)


KM_TABLE_TOP, KM_TABLE_ROW = 0.2, 0.07  # the numbers-at-risk table below the axes, in axes heights


def _km_table_points(height: float, rows: int) -> float:
    """Points below the x axis's label that the at-risk table takes: its last row sits at a fraction of the
    axes' height, which is the figure's height less the margins (this one included)."""
    fraction = KM_TABLE_TOP + KM_TABLE_ROW * rows
    above = EDGE + TITLE * LINE + 6  # the top margin
    axis = EDGE + FONT * LINE + 4 + FONT * LINE + TICK  # the bottom margin without the table
    # the table's lowest row, half a line of it and the edge below the axes:
    # fraction * (height - above - axis - extra) + SMALL * LINE / 2 + EDGE = axis + extra
    need = fraction * (height * 72 - above - axis) + SMALL * LINE / 2 + EDGE - axis
    return max(0.0, need / (1 + fraction))


def waterfall_svg(data: dict, salt: str) -> str:
    """Bars of best % change, largest increase left, coloured by confirmed BOR; RECIST +20% / -30% lines."""
    import matplotlib
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_style()):
        subjects = data["subjects"]
        highest = max([abs(s["best_pchg"]) for s in subjects] + [100])
        fig, ax = _figure(7.5, 3.8, ytick_chars=len(f"{highest:.0f}") + 1,  # a tick's sign and digits
                          below=-FONT * LINE - TICK + 4)  # no x tick labels
        colours = [BOR_COLOURS.get(s["bor"], OTHER) for s in subjects]
        ax.add_collection(_bars([(x - 0.4, 0.0, x + 0.4, s["best_pchg"]) for x, s in enumerate(subjects)],
                                colours, sticky_y=0.0), autolim=True)
        ax.axhline(20, color="#d9534f", linewidth=0.7, linestyle="--")
        ax.axhline(-30, color="#1a7f37", linewidth=0.7, linestyle="--")
        ax.axhline(0, color="#333", linewidth=0.6)
        ax.set_xticks([])
        ax.set_xlabel(f"Subjects ({len(subjects)})")
        ax.set_ylabel("Best % change from baseline")
        ax.set_title(f"Best % change in {data['param']} by confirmed BOR ({data['bor_param']})", loc="left",
                     fontsize=10)
        seen = [c for c in BOR_COLOURS if any(s["bor"] == c for s in subjects)]
        seen += sorted({s["bor"] or "(none)" for s in subjects if s["bor"] not in BOR_COLOURS})
        ax.legend(handles=[Patch(color=BOR_COLOURS.get(c, OTHER), label=c) for c in seen], frameon=False,
                  fontsize=8, loc="upper right", ncols=min(len(seen), 4))
        return _svg(fig, salt)


def swimmer_svg(data: dict, salt: str) -> str:
    """One bar per subject (days on study), responses and CRS onsets as markers, death and ongoing marked."""
    import matplotlib
    from matplotlib.lines import Line2D

    markers = {"CR": ("D", "#1a7f37"), "PR": ("o", "#5cb85c"), "PD": ("s", "#d9534f")}
    with matplotlib.rc_context(_style()):
        subjects = list(reversed(data["subjects"]))  # longest at the top
        labels = [s["usubjid"].rsplit("-", 1)[-1] for s in subjects]
        fig, ax = _figure(7.5, 1.4 + 0.16 * len(subjects), ytick_chars=_tick_chars(labels), ytick_size=6)
        ys = range(len(subjects))
        ax.add_collection(_bars([(0.0, y - 0.35, s["days"], y + 0.35) for y, s in zip(ys, subjects)], "#c9d6e8",
                                sticky_x=0.0), autolim=True)
        handles = []
        for code, (marker, colour) in markers.items():
            points = [(d, y) for y, s in zip(ys, subjects) for d, v in s["responses"] if v == code]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker, color=colour, markersize=4,
                        linestyle="none")
                handles.append(Line2D([], [], marker=marker, color=colour, linestyle="none", label=code))
        crs = [(d, y) for y, s in zip(ys, subjects) for d in s["crs_days"]]
        if crs:
            ax.plot([p[0] for p in crs], [p[1] for p in crs], "^", color="#7e22ce", markersize=5, linestyle="none")
            handles.append(Line2D([], [], marker="^", color="#7e22ce", linestyle="none", label="CRS onset"))
        deaths = [(s["death_day"], y) for y, s in zip(ys, subjects) if s["death_day"] is not None]
        if deaths:
            ax.plot([p[0] for p in deaths], [p[1] for p in deaths], "x", color="#111", markersize=5,
                    linestyle="none")
            handles.append(Line2D([], [], marker="x", color="#111", linestyle="none", label="Death"))
        ongoing = [(s["days"], y) for y, s in zip(ys, subjects) if s["ongoing"]]
        if ongoing:
            ax.plot([p[0] for p in ongoing], [p[1] for p in ongoing], ">", color="#1f5fa8", markersize=5,
                    linestyle="none")
            handles.append(Line2D([], [], marker=">", color="#1f5fa8", linestyle="none", label="Ongoing"))
        ax.set_yticks([])  # one row per subject: its tick and label are drawn in one go (_row_labels)
        ax.set_ylim(-0.7, len(subjects) - 0.3)
        ax.set_xlim(0, None)
        ax.set_xlabel("Days on study from treatment start (TRTSDT = day 1)")
        ax.set_title("Time on study, responses and CRS events", loc="left", fontsize=10)
        ax.legend(handles=handles, frameon=False, fontsize=8, loc="lower right")
        return _row_labels(_svg(fig, salt), fig, ax, labels, fontsize=6)


def _bars(boxes: list[tuple[float, float, float, float]], colours, sticky_x: float | None = None,
          sticky_y: float | None = None):
    """Rectangles (x0, y0, x1, y1) as bar() draws them (no edge; autoscaling stops at the base, as a bar's
    sticky edge makes it) in one collection: bar() makes a patch per bar and updates the data limits with
    each, seconds for the thousands of subjects of a large study."""
    from matplotlib.collections import PolyCollection

    bars = PolyCollection([[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, y0, x1, y1 in boxes],
                          facecolors=colours, edgecolors="none", linewidths=0)
    if sticky_x is not None:
        bars.sticky_edges.x.append(sticky_x)
    if sticky_y is not None:
        bars.sticky_edges.y.append(sticky_y)
    return bars


def _row_labels(svg: str, fig, ax, labels: list[str], fontsize: float) -> str:
    """The axes' rows 0, 1, ... ticked and labelled at the left as y tick labels are (right-aligned, the tick
    and its pad away). Written into the SVG directly: matplotlib makes each tick an object of five artists
    and measures each label, which took half a minute for the 5,000 rows of a large study."""
    from xml.sax.saxutils import escape

    height = fig.get_figheight() * fig.dpi  # SVG units: figure pixels from the top (dpi 72: points)
    left = ax.get_position().x0 * fig.get_figwidth() * fig.dpi
    tick = 3.5 * fig.dpi / 72
    rows = ax.transData.transform([(0, y) for y in range(len(labels))])[:, 1]
    ticks = "".join(f"M {left:.3f} {height - y:.3f} h {-tick:.3f} " for y in rows)
    texts = "".join(f'<text x="{left - 2 * tick:.3f}" y="{height - y:.3f}">{escape(label)}</text>\n'
                    for label, y in zip(labels, rows))
    group = (f'<g id="row-labels">\n<path d="{ticks.strip()}" style="fill: none; stroke: #000000; '
             f'stroke-width: 0.8"/>\n<g style="font: {fontsize:g}px \'DejaVu Sans\'; text-anchor: end; '
             f'dominant-baseline: central; fill: #000000">\n{texts}</g>\n</g>\n')
    end = svg.rindex("</svg>")
    return svg[:end] + group + svg[end:]


MAX_EXPANSION_DOTS = 20_000  # samples; 5,000 subjects have about 90,000 (8 MB of SVG with a dot each)


def expansion_svg(data: dict, salt: str) -> str:
    """Each subject's value over time from the dose (thin lines) and the median per visit (bold), symlog y axis."""
    import matplotlib

    with matplotlib.rc_context(_style()):
        fig, ax = _figure(7.5, 3.8, ytick_chars=5)  # symlog labels: "-10^3" at the widest
        # every subject's line in one artist, broken between subjects by a NaN point: one SVG path and one
        # marker run instead of an artist per subject (5,000 subjects: 10 s to draw one by one)
        xs: list[float] = []
        ys: list[float] = []
        previous = None
        for usubjid, day, value in data["points"]:  # sorted by subject, then time
            if previous is not None and usubjid != previous:
                xs.append(float("nan"))
                ys.append(float("nan"))
            xs.append(day)
            ys.append(value)
            previous = usubjid
        if xs:  # a dot per sample while they can be told apart (beyond that they only make the page heavy)
            dots = {"marker": ".", "markersize": 2} if len(data["points"]) <= MAX_EXPANSION_DOTS else {}
            ax.plot(xs, ys, color="#9db4d0", linewidth=0.6, alpha=0.7, **dots)
        ax.plot([m[0] for m in data["median"]], [m[1] for m in data["median"]], color="#1f3a68", linewidth=2,
                marker="o", markersize=3.5, label="median per visit")
        positive = [p[2] for p in data["points"] if p[2] > 0]
        ax.set_yscale("symlog", linthresh=min(positive) if positive else 1.0)
        ax.set_xlabel(data["xlabel"])
        ax.set_ylabel(f"{data['label']}" + (f" ({data['unit']})" if data["unit"] else ""))
        ax.set_title(f"Expansion over time: {data['label']}, {data['subjects']} subjects", loc="left",
                     fontsize=10)
        ax.legend(frameon=False, fontsize=8, loc="upper right")
        return _svg(fig, salt)


def _fmt(value: float | None, scale: float) -> str:
    return "NR" if value is None else f"{value / scale:.1f}"
