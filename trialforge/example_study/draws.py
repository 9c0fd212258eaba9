"""Scalar random draws for the subject-by-subject simulations, fast and reproducible.

numpy's Generator costs microseconds per scalar call; the per-subject loops make hundreds of thousands
of them. `Draws` takes uniforms from the Generator in blocks and derives every scalar draw from them,
so the stream stays fully determined by the seed. Method names mirror numpy.random.Generator.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

import numpy as np

_BLOCK = 8192


class Draws:
    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._buffer: list[float] = []
        self._next = 0

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if self._next >= len(self._buffer):
            self._buffer = self._rng.random(_BLOCK).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value

    def integers(self, low: int, high: int) -> int:
        """Whole number in [low, high)."""
        return low + min(int(self.random() * (high - low)), high - low - 1)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        u = 1.0 - self.random()  # (0, 1]: log is finite
        return mean + sd * math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * self.random())

    def lognormal(self, mean: float, sigma: float) -> float:
        return math.exp(self.normal(mean, sigma))

    def choice(self, options, size: int | None = None, replace: bool = True, p=None):
        """One option (size None), or `size` of them; without replacement, weighted by `p` if given."""
        options = list(range(options)) if isinstance(options, int) else list(options)
        if size is None:
            return self._one(options, p)
        if replace:
            return [self._one(options, p) for _ in range(size)]
        weights = [1.0] * len(options) if p is None else list(p)
        # Weighted sampling without replacement: the k largest keys u^(1/w) (Efraimidis-Spirakis).
        keys = [self.random() ** (1.0 / w) if w > 0 else -1.0 for w in weights]
        order = sorted(range(len(options)), key=lambda k: -keys[k])
        return [options[k] for k in order[:size]]

    def permutation(self, n: int) -> list[int]:
        keys = [self.random() for _ in range(n)]
        return sorted(range(n), key=keys.__getitem__)

    def _one(self, options: list, p) -> object:
        if p is None:
            return options[int(self.random() * len(options))]
        cumulative = list(accumulate(p))
        return options[min(bisect_right(cumulative, self.random() * cumulative[-1]), len(options) - 1)]
