"""Raw EDC date and time strings -> ISO 8601, right-truncated, nothing imputed (SDTMIG 3.4 section 4.4).

Sites type dates in many shapes: "12 JAN 2024", "12-JAN-2024", "UN JAN 2024", "UNK-UNK-1961", "JAN 2024",
"2024-03", "2024-03-12"; a date field may carry its time ("2024-03-12T14:30", "12 JAN 2024 14:30"). Each
distinct string is parsed once and the result mapped back, so a column of a million records costs as much
as its few thousand distinct values.

A value that is not a date gives a problem and no ISO value. A valid date with an invalid time keeps the
date and gives a problem about the time (the date is never lost to a bad time). Dates that parse but
cannot be true (after the build date, before 1900) are kept and flagged by `date_range_problems`.

Without a declared format every shape above is read (`iso_datetime`). A declared format (the Sources sheet's
Date Formats, a Mapping row's `format=`) is a contract: one of DATE_FORMATS, each value must have its shape,
and anything else is a problem naming the format (`declared_datetime`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from specs.errors import MappingError, Problem
from specs.model import DATE_FORMATS
from specs.sources import canonical_date_format

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
    return _combined(iso_date, raw_date, raw_time)


_NO_DATE = "the time {!r} has no date (blank or wholly unknown): the time is not kept"


def _combined(parse_date, raw_date: str, raw_time: str) -> str | None:
    date_text, embedded = split_time(raw_date)
    day = parse_date(date_text)
    clock_text = raw_time if raw_time and raw_time.strip() else embedded
    try:
        clock = iso_time(clock_text) if clock_text else None
    except DateProblem as exc:
        if day is None:
            raise
        raise DateProblem(f"invalid time: {exc}; the date {day} is kept without the time", kept=day) from None
    if clock and day is None:
        raise DateProblem(_NO_DATE.format(clock_text.strip()))
    if day and clock and len(day) == 10:
        return f"{day}T{clock}"
    return day


# --- declared formats ----------------------------------------------------------------------------------------
# A declared format fixes the order of the parts and the separators between them (month-name formats also
# take spaces: EDC systems print "26 DEC 2013"). A part may be unknown (UN, UNK, UK, NK, XX, --), or left out
# from the imprecise end, the day first, then the month: "DEC-2013" and "2013" are partial DD-MON-YYYY dates,
# "01/2014" a partial MM/DD/YYYY one, "2014-01" a partial ISO one. A known day in an unknown month is a problem.
TIME_FORMATS = ("HH:MM", "HH:MM:SS")  # both are always read
_DECLARED_UNKNOWN = r"(?:UNK|UN|UK|NK|XX|--)"
_PARTS = {"YYYY": r"(?P<y>\d{4})", "MM": rf"(?P<m>\d{{1,2}}|{_DECLARED_UNKNOWN})",
          "DD": rf"(?P<d>\d{{1,2}}|{_DECLARED_UNKNOWN})", "MON": rf"(?P<m>{_DECLARED_UNKNOWN}|[A-Z]{{3}})"}


@dataclass(frozen=True)
class DateFormat:
    name: str
    shapes: tuple[re.Pattern, ...]  # the whole date, without the day, the year alone


def date_format(name: str) -> DateFormat:
    """The declared format `name`: one of DATE_FORMATS, or a spelling `canonical_date_format` accepts
    ("dd-mmm-yyyy", "ISO 8601", a trailing " HH:MM[:SS]": times are always read). ValueError naming the
    known formats."""
    return _compiled(canonical_date_format(str(name)))


_COMPILED: dict[str, DateFormat] = {}


def _compiled(name: str) -> DateFormat:
    if name not in _COMPILED:
        tokens = re.findall(r"YYYY|MON|MM|DD|.", name)
        separator = r"(?:-|\s+)" if "MON" in tokens else None
        def pattern(parts: list[str]) -> re.Pattern:
            return re.compile("^" + "".join(_PARTS[p] if p in _PARTS else separator or re.escape(p)
                                            for p in parts) + "$")
        without_day = _without(tokens, "DD")
        _COMPILED[name] = DateFormat(name, (pattern(tokens), pattern(without_day), pattern(["YYYY"])))
    return _COMPILED[name]


def _without(tokens: list[str], part: str) -> list[str]:
    """The tokens without `part` and the separator that joins it to its neighbour."""
    i = tokens.index(part)
    if i + 1 < len(tokens) and tokens[i + 1] not in _PARTS:
        return tokens[:i] + tokens[i + 2:]
    if i > 0 and tokens[i - 1] not in _PARTS:
        return tokens[:i - 1] + tokens[i + 1:]
    return tokens[:i] + tokens[i + 1:]


def declared_date(raw: str, fmt: DateFormat) -> str | None:
    """One raw date in the declared format -> ISO 8601, right-truncated; None when blank or wholly unknown;
    DateProblem naming the format otherwise."""
    text = raw.strip().upper()
    if not text or re.fullmatch(rf"{_UNKNOWN}?({_SEP}{_UNKNOWN})*", text):
        return None
    match = next((m for m in (shape.match(text) for shape in fmt.shapes) if m), None)
    if match is None:
        raise DateProblem(f"{raw!r} is not a date in the declared format {fmt.name}")
    parts = match.groupdict()
    year = int(parts["y"])
    try:
        month = _month(parts.get("m"), raw)
        day = _number(parts.get("d"), 1, 31, "day", raw)
    except DateProblem as exc:
        raise DateProblem(f"{raw!r} is not a date in the declared format {fmt.name}: "
                          f"{str(exc).split(': ', 1)[-1]}") from None
    if day and not month:
        raise DateProblem(f"{raw!r} has a day but no month (declared format {fmt.name}); only the year {year:04d} "
                          f"is kept", kept=f"{year:04d}")
    if month and day:
        try:
            date(year, month, day)
        except ValueError:
            raise DateProblem(f"{raw!r} is not a calendar date (declared format {fmt.name})") from None
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}" if month else f"{year:04d}"


def declared_datetime(raw_date: str, raw_time: str = "", format: str = "YYYY-MM-DD") -> str | None:
    """`iso_datetime` for a date in a declared format ("01/16/2014 10:30" with MM/DD/YYYY)."""
    fmt = date_format(format)
    return _combined(lambda text: declared_date(text, fmt), raw_date, raw_time)


def to_iso8601(dates: pd.Series, times: pd.Series | None = None,
               format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """`iso_datetime` (or `declared_datetime` with `format`, one of DATE_FORMATS) over whole columns: returns
    (ISO 8601 strings or None, problem text or None) per record. Each distinct date and each distinct time is
    parsed once and combined per distinct (date, time) pair with array operations, then spread to the
    records: a million records cost about as much as their few thousand distinct dates."""
    if format:
        fmt = date_format(format)
        parse_date = lambda text: declared_date(text, fmt)  # noqa: E731
    else:
        parse_date = iso_date
    date_codes, date_values = pd.factorize(dates.fillna("").astype(str).to_numpy(dtype=object))
    parsed = [_parsed(parse_date, raw) for raw in date_values]
    day, day_problem, embedded = (np.array([p[i] for p in parsed], dtype=object) for i in range(3))
    if times is None:
        pair_codes, of_date, clock_text = date_codes, np.arange(len(date_values)), embedded
    else:  # a separate time field wins over a time the date field carries
        time_codes, time_values = pd.factorize(times.fillna("").astype(str).to_numpy(dtype=object))
        width = max(len(time_values), 1)
        pair_codes, pairs = pd.factorize(date_codes.astype(np.int64) * width + time_codes)
        of_date, of_time = np.asarray(pairs) // width, np.asarray(pairs) % width
        written = np.array([str(v).strip() for v in time_values] or [""], dtype=object)[of_time]
        clock_text = np.where(written == "", embedded[of_date], written)
    clock_codes, clock_values = pd.factorize(pd.Series(clock_text, dtype=object).fillna("").to_numpy(dtype=object))
    timed = [_parsed(lambda text: iso_time(text) if text else None, raw, split=False) for raw in clock_values]
    clock, clock_problem = (pd.Series(np.array([t[i] for t in timed] + [None], dtype=object)[clock_codes],
                                      dtype=object) for i in range(2))
    iso, problem = pd.Series(day[of_date], dtype=object), pd.Series(day_problem[of_date], dtype=object)
    date_ok = problem.isna()
    bad_time = date_ok & clock_problem.notna()
    problem[bad_time & iso.isna()] = clock_problem[bad_time & iso.isna()]  # no date to keep: the time's problem
    kept = bad_time & iso.notna()
    if kept.any():
        problem[kept] = "invalid time: " + clock_problem[kept] + "; the date " + iso[kept] + " is kept without the time"
    undated = date_ok & ~bad_time & clock.notna() & iso.isna()
    if undated.any():
        problem[undated] = [_NO_DATE.format(str(t).strip()) for t in pd.Series(clock_text, dtype=object)[undated]]
    full = date_ok & ~bad_time & clock.notna() & iso.str.len().eq(10).fillna(False).astype(bool)
    iso[full] = iso[full] + "T" + clock[full]
    spread = np.asarray(pair_codes)
    return (pd.Series(iso.to_numpy(dtype=object)[spread], index=dates.index, dtype=object),
            pd.Series(problem.to_numpy(dtype=object)[spread], index=dates.index, dtype=object))


def _parsed(parse, raw: str, split: bool = True) -> tuple:
    """(value, problem, embedded time) of one raw text: the value kept with a problem when there is one."""
    text, embedded = split_time(raw) if split else (raw, "")
    try:
        return parse(text), None, embedded
    except DateProblem as exc:
        return exc.kept, str(exc), embedded


def declared_date_format(spec, row) -> str | None:
    """The date format a Mapping row reads its field in: its `format=` argument, else the Date Formats its
    form declares in the Sources sheet (`SourceDef.date_format_of`); None when nothing is declared (every
    shape `iso_date` knows is read). MappingError naming the row for a `format=` that is no date format."""
    argument = row.argument("format")
    if argument:
        where = f"Mapping row {row.row} ({row.dataset}.{row.variable}): format="
        if " ".join(argument.split()).upper() in TIME_FORMATS:
            raise MappingError(f"{where}{argument!r} is a time format, but the field is read as a date; expected "
                               f"one of {', '.join(DATE_FORMATS)}")
        try:
            return date_format(argument).name
        except ValueError as exc:
            raise MappingError(f"{where}{exc}") from None
    if not row.source_form:
        return None
    return spec.source_of(row.source_form).date_format_of(str(row.source_field or "")) or None


def date_failure_threshold(spec, form: str | None) -> float | None:
    """The share (0..1) of a form's date values allowed to fail (the Sources sheet's Date Failure Threshold;
    0 without one); None for a value that comes from no form."""
    return float(spec.source_of(form).date_failure_threshold) if form else None


def check_failure_share(form: str, field: str, values: pd.Series, problems: pd.Series, records: pd.DataFrame,
                        threshold: float, date_format: str | None = None, examples: int = 5) -> None:
    """MappingError when more than `threshold` of the non-blank date `values` of `field` in `form` have a
    problem (the caller passes only the problems that lost the date: an invalid time keeps it): naming form, field, failures/total, share, threshold and the first `examples` values with their
    raw file and row (`records["__file"]`, `records["__row"]`). All Series are aligned with `records`."""
    if threshold >= 0 and not problems.notna().any():  # nothing failed: the share is 0 (most columns)
        return
    filled = values.notna() & values.astype("string").str.strip().ne("").fillna(False).astype(bool)
    total = int(filled.sum())
    failed = filled & problems.notna()
    count = int(failed.sum())
    if not total or count / total <= threshold:
        return
    share = count / total
    shown = records.loc[failed].head(examples)
    files = shown["__file"] if "__file" in shown.columns else pd.Series([form] * len(shown), index=shown.index)
    rows = shown["__row"] if "__row" in shown.columns else pd.Series([None] * len(shown), index=shown.index)
    listed = [Problem(str(file), str(problems[i]), row=None if pd.isna(row) else int(row), column=field)
              for i, file, row in zip(shown.index, files, rows)]
    declared = f" in the declared format {date_format}" if date_format else ""
    raise MappingError(
        f"form {form}, field {field}: {count} of {total} date values ({share:.2%}, share {share:.4g}) cannot be "
        f"read{declared}, more than the form's Date Failure Threshold {threshold:g}; "
        f"check the declared "
        f"Date Formats in the Sources sheet, correct the raw values, or raise the threshold. "
        f"{'The first ' + str(len(listed)) if count > len(listed) else 'They'}:", listed)


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
