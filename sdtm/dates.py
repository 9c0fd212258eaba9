"""Raw EDC date and time strings -> ISO 8601, right-truncated, nothing imputed (SDTMIG 3.4 section 4.4).

Sites type dates in many shapes: "12 JAN 2024", "12-JAN-2024", "UN JAN 2024", "UNK-UNK-1961", "JAN 2024",
"2024-03", "2024-03-12"; a date field may carry its time ("2024-03-12T14:30", "12 JAN 2024 14:30"). Each
distinct string is parsed once and the result mapped back, so a column of a million records costs as much
as its few thousand distinct values.

A value that is not a date gives a problem and no ISO value. A valid date with an invalid time keeps the
date and gives a problem about the time (the date is never lost to a bad time). Dates that parse but
cannot be true (after the build date, before 1900) are kept and flagged by `date_range_problems`.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_UNKNOWN = r"(?:UN|UNK|UK|NK|XX|--|-|\?\?)"
_SEP = r"[\s\-/.]*"
# day month-name year, any part unknown: "12 JAN 2024", "UN-JAN-2024", "UNK UNK 1961", "JAN 2024", "12JAN2024"
_DMY = re.compile(rf"^(?:(?P<d>\d{{1,2}}|{_UNKNOWN}){_SEP})?(?P<m>[A-Z]{{3}}|{_UNKNOWN}){_SEP}(?P<y>\d{{4}})$")
# ISO-like: "2024", "2024-03", "2024-03-12", "2024/03/12", "2024-UN-UN"
_ISO = re.compile(rf"^(?P<y>\d{{4}})(?:[\-/](?P<m>\d{{1,2}}|{_UNKNOWN})(?:[\-/](?P<d>\d{{1,2}}|{_UNKNOWN}))?)?$")
_TIME = re.compile(r"^(?P<h>\d{1,2}|UN|UNK):(?P<mi>\d{2}|UN|UNK)(?::(?P<s>\d{2}))?$")


_ISO_WITH_TIME = re.compile(r"^(?P<date>\d{4}[\-/]\d{1,2}[\-/]\d{1,2})T(?P<time>.*)$")
_WITH_TIME = re.compile(r"^(?P<date>.*\S)\s+(?P<time>\S*:\S*)$")
EARLIEST_YEAR = 1900


class DateProblem(ValueError):
    """A raw date or time that is not a date at all (as opposed to a partial one).

    `kept` is the valid part that survives the problem: the date when only the time is invalid.
    """

    def __init__(self, message: str, kept: str | None = None):
        super().__init__(message)
        self.kept = kept


def iso_date(raw: str) -> str | None:
    """One raw date string -> ISO 8601 date, right-truncated; None when blank; DateProblem when invalid."""
    text = raw.strip().upper()
    if not text or re.fullmatch(rf"{_UNKNOWN}?({_SEP}{_UNKNOWN})*", text):
        return None
    match = _DMY.match(text) or _ISO.match(text)
    if not match:
        raise DateProblem(f"{raw!r} is not a date (expected e.g. '12 JAN 2024', 'UN JAN 2024', '2024-03-12')")
    year = int(match["y"])
    month = _month(match["m"], raw)
    day = _number(match["d"], 1, 31, "day", raw)
    if month and day:
        try:
            date(year, month, day)
        except ValueError:
            raise DateProblem(f"{raw!r} is not a calendar date") from None
        return f"{year:04d}-{month:02d}-{day:02d}"
    if month:
        return f"{year:04d}-{month:02d}"
    if day:  # known day, unknown month: a hyphen holds the month's place (SDTMIG 4.4.2)
        return f"{year:04d}---{day:02d}"
    return f"{year:04d}"


def iso_time(raw: str) -> str | None:
    """'14:30' -> '14:30'; '9:05:00' -> '09:05:00'; blank or fully unknown -> None."""
    text = raw.strip().upper()
    if not text or text in {"UN:UN", "UNK:UNK", "UNK", "UN"}:
        return None
    match = _TIME.match(text)
    if not match:
        raise DateProblem(f"{raw!r} is not a time (expected HH:MM or HH:MM:SS)")
    hour = _number(match["h"], 0, 23, "hour", raw)
    minute = _number(match["mi"], 0, 59, "minute", raw)
    second = _number(match["s"], 0, 59, "second", raw)
    hh = "-" if hour is None else f"{hour:02d}"
    if minute is None:
        return None if hour is None else hh
    text = f"{hh}:{minute:02d}"
    return text if second is None else f"{text}:{second:02d}"


def split_time(raw: str) -> tuple[str, str]:
    """A date field that carries its time -> (date text, time text): "2024-03-05T14:30", "12 JAN 2024 14:30"."""
    text = raw.strip()
    match = _ISO_WITH_TIME.match(text.upper()) or _WITH_TIME.match(text)
    return (match["date"], match["time"]) if match else (text, "")


def iso_datetime(raw_date: str, raw_time: str = "") -> str | None:
    """Combine a raw date and time; a time is kept only with a complete date (no 'T' after a partial date).

    The time may also be part of the date field ("2024-03-05T14:30"); a separate time field wins. An
    invalid date raises DateProblem; a valid date with an invalid time raises DateProblem whose `kept`
    is the ISO date, so the caller keeps the date and reports the time.
    """
    date_text, embedded = split_time(raw_date)
    day = iso_date(date_text)
    clock_text = raw_time if raw_time and raw_time.strip() else embedded
    try:
        clock = iso_time(clock_text) if clock_text else None
    except DateProblem as exc:
        if day is None:
            raise
        raise DateProblem(f"invalid time: {exc}; the date {day} is kept without the time", kept=day) from None
    if day and clock and len(day) == 10:
        return f"{day}T{clock}"
    return day


def to_iso8601(dates: pd.Series, times: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Vectorised over distinct values: returns (ISO 8601 strings or None, problem text or None) per record."""
    frame = pd.DataFrame({"d": dates.fillna("").astype(str)})
    frame["t"] = "" if times is None else times.fillna("").astype(str).to_numpy()
    distinct = frame.drop_duplicates()
    results, problems = [], []
    for raw_date, raw_time in zip(distinct["d"], distinct["t"]):
        try:
            results.append(iso_datetime(raw_date, raw_time))
            problems.append(None)
        except DateProblem as exc:
            results.append(exc.kept)
            problems.append(str(exc))
    lookup = pd.DataFrame({"d": distinct["d"].to_numpy(), "t": distinct["t"].to_numpy(),
                           "iso": pd.Series(results, dtype=object), "problem": pd.Series(problems, dtype=object)})
    merged = frame.merge(lookup, on=["d", "t"], how="left")
    iso = pd.Series(merged["iso"].to_numpy(), index=dates.index, dtype=object)
    problem = pd.Series(merged["problem"].to_numpy(), index=dates.index, dtype=object)
    return iso.where(iso.notna(), None), problem.where(problem.notna(), None)


def date_range_problems(iso: pd.Series, today: date, earliest_year: int = EARLIEST_YEAR) -> pd.Series:
    """Problem text (None where fine) for ISO 8601 dates that cannot be true: after `today` (the build date,
    passed in by the caller) or before `earliest_year`. A partial date is after `today` when even its
    earliest possible day is ("2099" is, "2025-12" is not on 2025-12-05); before 1900 when its year is.
    Such dates are kept: these are warnings for a person to check (a typing error in the year?).
    """
    codes, distinct = pd.factorize(iso, use_na_sentinel=True)  # a few thousand distinct dates at most
    found = [_range_problem(str(value).strip(), today, earliest_year) for value in distinct]
    if not any(found):
        return pd.Series([None] * len(iso), index=iso.index, dtype=object)
    lookup = pd.array(found + [None], dtype=object)
    return pd.Series(lookup[codes], index=iso.index, dtype=object)


def _range_problem(value: str, today: date, earliest_year: int) -> str | None:
    if not value[:4].isdigit():
        return None
    year = int(value[:4])
    if earliest_year <= year < today.year:
        return None
    if year < earliest_year:
        return f"the date {value} is before {earliest_year}: check the year (kept as collected)"
    month = value[5:7] if len(value) >= 7 and value[5:7].isdigit() else "01"
    day = value[8:10] if len(value) >= 10 and value[8:10].isdigit() else "01"
    if "---" in value[:8]:  # day known, month unknown
        day = value[7:9] if value[7:9].isdigit() else "01"
    try:
        earliest = date(year, int(month), int(day))
    except ValueError:
        return None
    if earliest > today:
        return f"the date {value} is after the build date {today.isoformat()}: a date in the future (kept as collected)"
    return None


def _month(text: str | None, raw: str) -> int | None:
    if text is None or re.fullmatch(_UNKNOWN, text):
        return None
    if text.isdigit():
        return _number(text, 1, 12, "month", raw)
    if text not in MONTHS:
        raise DateProblem(f"{raw!r}: {text!r} is not a month")
    return MONTHS[text]


def _number(text: str | None, low: int, high: int, what: str, raw: str) -> int | None:
    if text is None or not text.isdigit():
        return None
    value = int(text)
    if not low <= value <= high:
        raise DateProblem(f"{raw!r}: {what} {value} is out of range {low}-{high}")
    return value
