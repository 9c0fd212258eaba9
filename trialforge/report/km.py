"""Kaplan-Meier (product-limit) estimates for the build report, with what a study team reads off a KM plot.

- Survival S(t) = prod over event times t_i <= t of (1 - d_i / n_i), where n_i counts the subjects whose time is
  >= t_i: a subject censored at t_i is still at risk at t_i (events come before censorings at a tied time).
- Variance by Greenwood: Var S(t) = S(t)^2 * sum d_i / (n_i (n_i - d_i)).
- Pointwise 95% CI on the log-log scale ("exponential Greenwood"): S(t) ** exp(+-z * se / log S(t)) with
  se = sqrt(sum d_i / (n_i (n_i - d_i))); S(t) = 1 gives [1, 1], S(t) = 0 gives [0, 0].
- Median: the first time S(t) <= 0.5, as lifelines takes it (SAS and R take the midpoint of the interval where
  S(t) is exactly 0.5); "not reached" (None) when S never gets there.
- 95% CI of the median by Brookmeyer and Crowley (1982) with the log-log transformation: the times whose
  log-log transformed test of S(t) = 0.5 does not reject at 5%, i.e. the lower limit is the first time the
  lower pointwise limit is <= 0.5 and the upper limit the first time the upper pointwise limit is <= 0.5
  (None: not reached). This is what SAS PROC LIFETEST (CONFTYPE=LOGLOG), R survival's survfit
  (conf.type = "log-log") and lifelines' `median_survival_times(kmf.confidence_interval_)` give.
- Numbers at risk at time t: the subjects whose time is >= t.

Pure functions of numbers; no pandas, no plotting.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class KaplanMeier:
    """The estimate at each distinct observed time (event or censoring), in ascending order."""

    times: tuple[float, ...]
    at_risk: tuple[int, ...]  # n_i: time >= t_i
    events: tuple[int, ...]  # d_i
    censored: tuple[int, ...]  # c_i
    survival: tuple[float, ...]  # S(t_i), right-continuous
    greenwood: tuple[float, ...]  # sum_{t_j <= t_i} d_j / (n_j (n_j - d_j))
    lower: tuple[float, ...]  # pointwise log-log CI
    upper: tuple[float, ...]
    subjects: int

    def survival_at(self, t: float) -> float:
        """S(t) of the step function (1 before the first time)."""
        value = 1.0
        for time, s in zip(self.times, self.survival):
            if time > t:
                break
            value = s
        return value

    def number_at_risk(self, t: float) -> int:
        """Subjects still at risk at time t (time >= t)."""
        return self.subjects - sum(d + c for time, d, c in zip(self.times, self.events, self.censored) if time < t)

    def median(self) -> tuple[float | None, float | None, float | None]:
        """(median, lower, upper) of the 95% CI by Brookmeyer-Crowley, log-log; None = not reached."""
        return (_first_at_or_below(self.times, self.survival), _first_at_or_below(self.times, self.lower),
                _first_at_or_below(self.times, self.upper))


def kaplan_meier(times: Iterable[float], events: Iterable[bool | int], z: float = Z95) -> KaplanMeier:
    """The product-limit estimate of `times` with `events` (true/1 = event, false/0 = censored)."""
    pairs = [(float(t), bool(e)) for t, e in zip(times, events, strict=True)]
    if any(math.isnan(t) for t, _ in pairs):
        raise ValueError("a time is missing (NaN)")
    distinct = sorted({t for t, _ in pairs})
    counted = Counter(pairs)  # (time, event) -> subjects: one pass, not one per distinct time
    n = len(pairs)
    at_risk, deaths, censored, survival, greenwood, lower, upper = [], [], [], [], [], [], []
    s, g, remaining = 1.0, 0.0, n
    for t in distinct:
        d, c = counted[(t, True)], counted[(t, False)]
        if d:
            s *= 1.0 - d / remaining
            g = g + d / (remaining * (remaining - d)) if remaining > d else math.inf
        at_risk.append(remaining)
        deaths.append(d)
        censored.append(c)
        survival.append(s)
        greenwood.append(g)
        lo, hi = _loglog_interval(s, g, z)
        lower.append(lo)
        upper.append(hi)
        remaining -= d + c
    return KaplanMeier(tuple(distinct), tuple(at_risk), tuple(deaths), tuple(censored), tuple(survival),
                       tuple(greenwood), tuple(lower), tuple(upper), n)


def _loglog_interval(s: float, g: float, z: float) -> tuple[float, float]:
    if s >= 1.0:
        return 1.0, 1.0
    if s <= 0.0 or math.isinf(g):
        return 0.0, 0.0
    log_s = math.log(s)
    spread = z * math.sqrt(g) / abs(log_s)
    return s ** math.exp(spread), s ** math.exp(-spread)


def _first_at_or_below(times: Sequence[float], values: Sequence[float], q: float = 0.5) -> float | None:
    for t, v in zip(times, values):
        if v <= q + 1e-12:
            return t
    return None


def step_points(km: KaplanMeier) -> tuple[list[float], list[float]]:
    """x, y of the survival curve drawn as a post-step function from (0, 1)."""
    xs, ys = [0.0], [1.0]
    for t, s in zip(km.times, km.survival):
        xs.append(t)
        ys.append(s)
    return xs, ys
