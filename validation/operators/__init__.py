"""The registry of vectorized operators that rule checks are made of.

An operator is `run(frame, params, context)`:
- level "record": returns a boolean Series aligned with the frame, True where the record is a finding;
  record operators combine with all/any/not in a check tree.
- level "dataset": returns a list of `Issue` about the dataset (a missing variable, a label too long).
- level "study": runs once per run without a dataset (a missing dataset, a missing define.xml).
`params` is the check leaf with `variable`, `other`, `by`, `within` already expanded (`--SEQ` ->
`AESEQ`). No operator loops over records in Python: every one is a handful of pandas/numpy calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("record", "dataset", "study")
# Leaf keys every operator accepts besides its own.
COMMON_PARAMS = frozenset({"operator", "variable", "variable_absent"})


@dataclass(frozen=True)
class Issue:
    """A dataset- or study-level finding before the engine turns it into a `Finding`."""

    dataset: str | None = None
    variables: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    row: int | None = None  # 0-based position in the frame, when the issue is about one record
    detail: dict[str, Any] = field(default_factory=dict)  # extra message placeholders


@dataclass(frozen=True)
class Operator:
    name: str
    run: Callable
    level: str
    params: frozenset[str]
    required: frozenset[str]
    doc: str


REGISTRY: dict[str, Operator] = {}


def operator(name: str, *, level: str = "record", params=(), required=()):
    """Register `run` under `name`. `params` lists the leaf keys it accepts, `required` those it needs."""
    if level not in LEVELS:
        raise ValueError(f"operator level must be one of {LEVELS}")

    def register(run: Callable) -> Callable:
        if name in REGISTRY:
            raise ValueError(f"operator {name!r} registered twice")
        allowed = COMMON_PARAMS | frozenset(params) | frozenset(required)
        REGISTRY[name] = Operator(name, run, level, allowed, frozenset(required), (run.__doc__ or "").strip())
        return run

    return register


def get(name: str) -> Operator:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown operator {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


# Importing the modules registers their operators.
from validation.operators import dates, metadata, relations, supp, terminology, values  # noqa: E402,F401
