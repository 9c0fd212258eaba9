"""Unit conversion factors, carried as data (unit_conversions.yaml) and read once."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def conversion_factors() -> dict[tuple[str, str, str], float]:
    """(test or "*", from unit, to unit) -> factor."""
    import yaml

    text = resources.files("sdtm").joinpath("unit_conversions.yaml").read_text(encoding="utf-8")
    return {(row["test"], row["from"], row["to"]): float(row["factor"]) for row in yaml.safe_load(text)}
