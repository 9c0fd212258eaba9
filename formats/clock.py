"""The one clock of a build: SOURCE_DATE_EPOCH when set, so two builds of the same inputs are identical."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from specs.errors import InputError


def reproducible() -> bool:
    """True when SOURCE_DATE_EPOCH is set: files then hold no wall-clock times or durations."""
    return bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())


def build_timestamp() -> datetime:
    """The timestamp every written file uses (UTC, whole seconds)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw), timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise InputError(
            f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds since 1970-01-01 UTC ({exc})"
        ) from exc
