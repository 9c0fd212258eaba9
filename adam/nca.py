"""Non-compartmental analysis (NCA) of one concentration-time profile: pure functions on arrays.

`nca(times, concentrations, ...)` returns Cmax, Tmax, Clast, Tlast, AUClast, the partial AUC from 0 to a
time, and the time above the LLOQ of one subject's profile of one analyte after one dose. Times are in any
one unit, counted from the dose (the CAR-T infusion); AUCs are in time unit x concentration unit.

Definitions (the words "measurable", "usable" and "BLQ" below mean exactly this):

- A point is **BLQ** when `blq` says so (a flag per point), or, without flags, when its concentration is
  below `lloq`. A point is **measurable** when it is not BLQ and its concentration is finite and > 0.
  Zero or negative concentrations that are not BLQ are observations (they enter the AUC) but are never
  measurable.
- **BLQ rules** (`BlqRules`) replace a BLQ point's concentration by its position in the profile: before
  the first measurable point (`before_first`, also every BLQ point of a profile without one), between
  measurable points (`between`), after the last (`after_last`). Each rule is one of ZERO, MISSING (the
  point is dropped), HALF_LLOQ, LLOQ. The defaults are those of PKNCA (first: 0, middle: dropped,
  last: 0).
- Points with a missing time or a missing (non-BLQ) concentration are dropped; points before time 0
  (pre-dose) are dropped; both are named in `notes`. Times need not be sorted (a stable sort is used, so
  for equal times the input order stands; duplicated times are named in `notes`).
- **Time 0**: with `time_zero="ZERO"` (single dose of an analyte absent before it) a point (0, 0) is
  added when the profile has no point at time 0; with `"NONE"` nothing is added and the AUCs start at the
  first point (a partial AUC from 0 then needs a point at 0).
- The **usable** points are those left after the steps above, in time order; the AUCs, the partial AUC
  and the time above LLOQ all run on the curve through them.
- **Cmax** = the largest measurable concentration; **Tmax** = the time of its first occurrence.
  **Clast**/**Tlast** = the last measurable concentration and its time. Without a measurable point all
  five parameters (and AUClast) are NaN with the reason in `reasons`.
- **AUClast** = area under the curve from the first usable point to Tlast: the linear trapezoid
  (`method="LINEAR"`), or with `"LINUP_LOGDOWN"` the log trapezoid on intervals where the concentration
  falls and both ends are > 0, else the linear one (so a fall to 0 is linear).
- **AUC(0-T)** (`partial_end=T`) = area from 0 to T. Where T falls between two usable points the
  concentration at T is interpolated on that interval's curve (log where the interval is log, else
  linear). NaN, with the reason, when the usable points do not reach T (no extrapolation: no lambda z)
  or do not start at 0.
- **Time above LLOQ** = the total time within [first usable point, last usable point] during which the
  curve (the same interval-by-interval linear/log curve) is at or above `lloq`. A BLQ point counts as
  below the LLOQ whatever value its rule gave it; where an interval runs from a point at or above the
  LLOQ to one below it, the crossing time is solved on that interval's curve (a BLQ point imputed at the
  LLOQ itself places the crossing at that point). NaN without an LLOQ. So with `after_last="ZERO"` the
  fall from Clast to the next (zero) point adds the part of that interval above the LLOQ; with
  `"MISSING"` the time ends at Tlast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

AUC_METHODS = ("LINEAR", "LINUP_LOGDOWN")
BLQ_VALUES = ("ZERO", "MISSING", "HALF_LLOQ", "LLOQ")
TIME_ZERO = ("ZERO", "NONE")


@dataclass(frozen=True)
class BlqRules:
    """What a BLQ point becomes, by its position relative to the measurable points (one of BLQ_VALUES)."""

    before_first: str = "ZERO"
    between: str = "MISSING"
    after_last: str = "ZERO"

    def __post_init__(self) -> None:
        for name in ("before_first", "between", "after_last"):
            value = getattr(self, name)
            if value not in BLQ_VALUES:
                raise ValueError(f"BLQ rule {name} must be one of {', '.join(BLQ_VALUES)}, not {value!r}")


@dataclass(frozen=True)
class NcaResult:
    """The parameters of one profile; NaN where not derivable, the reason in `reasons[name]`."""

    cmax: float = math.nan
    tmax: float = math.nan
    clast: float = math.nan
    tlast: float = math.nan
    auclast: float = math.nan
    auc_partial: float = math.nan  # AUC from 0 to partial_end
    time_above_lloq: float = math.nan
    n_points: int = 0  # usable points (time 0 added by time_zero included)
    reasons: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float]:
        return {"cmax": self.cmax, "tmax": self.tmax, "clast": self.clast, "tlast": self.tlast,
                "auclast": self.auclast, "auc_partial": self.auc_partial, "time_above_lloq": self.time_above_lloq}


def blq_value(rule: str, lloq: float | None) -> float:
    """The concentration a BLQ point gets under `rule` (NaN: dropped, or no LLOQ for a rule needing one)."""
    if rule == "ZERO":
        return 0.0
    if rule == "MISSING" or lloq is None or not np.isfinite(lloq):
        return math.nan
    return lloq / 2 if rule == "HALF_LLOQ" else float(lloq)


def blq_positions(times: Sequence[float], conc: Sequence[float], blq: Sequence[bool]) -> np.ndarray:
    """Per point: "before_first", "between" or "after_last" for BLQ points, "" for the others.

    Positions count the measurable points (not BLQ, finite, > 0) by time; a BLQ point at the same time as
    the first (last) measurable one is before (after) it. A BLQ point without a time, or every BLQ point
    of a profile without a measurable one, is "before_first".
    """
    t = np.asarray(times, dtype=float)
    c = np.asarray(conc, dtype=float)
    b = np.asarray(blq, dtype=bool)
    measurable = ~b & np.isfinite(c) & (c > 0) & np.isfinite(t)
    out = np.full(t.shape, "", dtype=object)
    if not measurable.any():
        out[b] = "before_first"
        return out
    first, last = t[measurable].min(), t[measurable].max()
    out[b & (t > first) & (t < last)] = "between"
    out[b & (t >= last) & (t > first)] = "after_last"
    out[b & ((t <= first) | ~np.isfinite(t))] = "before_first"
    return out


def apply_blq_rules(times: Sequence[float], conc: Sequence[float], blq: Sequence[bool],
                    lloq: float | Sequence[float] | None, rules: BlqRules = BlqRules()) -> np.ndarray:
    """The concentrations with every BLQ point replaced by its rule (NaN = dropped); others unchanged.

    `lloq` is one value or one per point (HALF_LLOQ/LLOQ of a point without an LLOQ give NaN).
    """
    c = np.asarray(conc, dtype=float).copy()
    positions = blq_positions(times, conc, blq)
    limits = np.broadcast_to(np.asarray(np.nan if lloq is None else lloq, dtype=float), c.shape)
    for i in np.flatnonzero(positions != ""):
        c[i] = blq_value(getattr(rules, positions[i]), limits[i])
    return c


def _is_log(c1: float, c2: float, method: str) -> bool:
    return method == "LINUP_LOGDOWN" and c2 < c1 and c1 > 0 and c2 > 0


def interval_auc(t1: float, t2: float, c1: float, c2: float, method: str) -> float:
    """Area of one interval: log trapezoid when `method` says so for it (falling, both > 0), else linear."""
    dt = t2 - t1
    if dt == 0:
        return 0.0
    if _is_log(c1, c2, method):
        return dt * (c1 - c2) / math.log(c1 / c2)
    return dt * (c1 + c2) / 2


def interpolate(t: float, t1: float, t2: float, c1: float, c2: float, method: str) -> float:
    """Concentration at t within [t1, t2] on the interval's curve (log or linear, as `interval_auc`)."""
    if t2 == t1:
        return c2
    fraction = (t - t1) / (t2 - t1)
    if _is_log(c1, c2, method):
        return c1 * math.exp(fraction * math.log(c2 / c1))
    return c1 + fraction * (c2 - c1)


def _crossing(t1: float, t2: float, c1: float, c2: float, level: float, method: str) -> float:
    """Time in [t1, t2] where the interval's curve equals `level` (c1 and c2 on either side of it)."""
    if _is_log(c1, c2, method):
        return t1 + math.log(c1 / level) / math.log(c1 / c2) * (t2 - t1)
    return t1 + (level - c1) / (c2 - c1) * (t2 - t1)


def _time_above(t: np.ndarray, c: np.ndarray, below: np.ndarray, level: float, method: str) -> float:
    total = 0.0
    above = ~below & (c >= level)
    for i in range(len(t) - 1):
        t1, t2, c1, c2 = t[i], t[i + 1], c[i], c[i + 1]
        if above[i] and above[i + 1]:
            total += t2 - t1
        elif above[i] and not above[i + 1]:
            total += (t2 if c2 >= level else _crossing(t1, t2, c1, c2, level, method)) - t1
        elif above[i + 1] and not above[i]:
            total += t2 - (t1 if c1 >= level else _crossing(t1, t2, c1, c2, level, method))
    return total


def nca(
    times: Sequence[float],
    conc: Sequence[float],
    *,
    lloq: float | None = None,
    blq: Sequence[bool] | None = None,
    rules: BlqRules = BlqRules(),
    method: str = "LINUP_LOGDOWN",
    partial_end: float | None = None,
    time_zero: str = "ZERO",
) -> NcaResult:
    """NCA parameters of one profile (see the module doc for every definition)."""
    if method not in AUC_METHODS:
        raise ValueError(f"AUC method must be one of {', '.join(AUC_METHODS)}, not {method!r}")
    if time_zero not in TIME_ZERO:
        raise ValueError(f"time_zero must be one of {', '.join(TIME_ZERO)}, not {time_zero!r}")
    t = np.asarray(times, dtype=float)
    c = np.asarray(conc, dtype=float)
    if t.shape != c.shape:
        raise ValueError(f"{t.size} times but {c.size} concentrations")
    lloq = None if lloq is None or not np.isfinite(lloq) else float(lloq)
    if blq is None:
        b = np.zeros(c.shape, bool) if lloq is None else (np.isfinite(c) & (c < lloq))
    else:
        b = np.asarray(blq, dtype=bool)
        if b.shape != c.shape:
            raise ValueError(f"{b.size} BLQ flags for {c.size} concentrations")
    notes: list[str] = []
    reasons: dict[str, str] = {}

    no_time = ~np.isfinite(t)
    if no_time.any():
        notes.append(f"{int(no_time.sum())} point(s) without a time dropped")
    predose = np.isfinite(t) & (t < 0)
    if predose.any():
        notes.append(f"{int(predose.sum())} pre-dose point(s) (time < 0) dropped")
    keep = ~no_time & ~predose
    t, c, b = t[keep], c[keep], b[keep]
    order = np.argsort(t, kind="stable")
    t, c, b = t[order], c[order], b[order]
    if len(t) and len(np.unique(t)) < len(t):
        notes.append(f"{len(t) - len(np.unique(t))} duplicated time(s)")
    if (~b & np.isfinite(c) & (c < 0)).any():
        notes.append(f"{int((~b & (c < 0)).sum())} negative concentration(s) used as observed (linear)")

    c = apply_blq_rules(t, c, b, lloq, rules)
    missing = ~np.isfinite(c)
    if (missing & ~b).any():
        notes.append(f"{int((missing & ~b).sum())} point(s) without a concentration dropped")
    if (missing & b).any():
        notes.append(f"{int((missing & b).sum())} BLQ point(s) dropped by the BLQ rules")
    t, c, b = t[~missing], c[~missing], b[~missing]
    if time_zero == "ZERO" and not (len(t) and t[0] == 0):
        t, c, b = np.r_[0.0, t], np.r_[0.0, c], np.r_[False, b]
    n = len(t)

    measurable = ~b & (c > 0)
    values: dict[str, float] = {}
    if not measurable.any():
        for name in ("cmax", "tmax", "clast", "tlast", "auclast"):
            reasons[name] = "no measurable concentration"
    else:
        imax = int(np.flatnonzero(measurable)[np.argmax(c[measurable])])
        ilast = int(np.flatnonzero(measurable)[-1])
        values.update(cmax=c[imax], tmax=t[imax], clast=c[ilast], tlast=t[ilast])
        values["auclast"] = sum(interval_auc(t[i], t[i + 1], c[i], c[i + 1], method) for i in range(ilast))

    if partial_end is not None:
        if n == 0 or t[0] != 0:
            reasons["auc_partial"] = "no concentration at time 0"
        elif t[-1] < partial_end:
            reasons["auc_partial"] = "the profile ends before the end time (no extrapolation)"
        else:
            area = 0.0
            for i in range(n - 1):
                if t[i] >= partial_end:
                    break
                t2, c2 = t[i + 1], c[i + 1]
                if t2 > partial_end:
                    c2 = interpolate(partial_end, t[i], t2, c[i], c2, method)
                    # the sub-interval keeps the interval's curve: log stays log, linear stays linear
                    area += (interval_auc(t[i], partial_end, c[i], c2, method) if _is_log(c[i], c[i + 1], method)
                             else (partial_end - t[i]) * (c[i] + c2) / 2)
                    break
                area += interval_auc(t[i], t2, c[i], c2, method)
            values["auc_partial"] = area

    if lloq is None:
        reasons["time_above_lloq"] = "no LLOQ"
    elif n == 0:
        reasons["time_above_lloq"] = "no usable point"
    else:
        values["time_above_lloq"] = _time_above(t, c, b, lloq, method)

    return NcaResult(**{k: float(v) for k, v in values.items()}, n_points=n, reasons=reasons, notes=tuple(notes))
