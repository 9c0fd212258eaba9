"""The cells of the Sources sheet: what each may hold, and why a value cannot be used.

The reader (`specs.reader`) hands each cell's text here and reports every message at its cell; the model
is `specs.model.SourceDef`. Pure functions: a value, or a message saying what was expected.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePosixPath, PureWindowsPath

from specs.model import ALL_FORMS, DATE_FORMATS, SOURCE_FORMATS, SOURCE_OPTIONS

# Other spellings of the date formats (the same ones the SDTM date reader accepts); stored canonical.
DATE_FORMAT_ALIASES = {"DD-MMM-YYYY": "DD-MON-YYYY", "DDMMMYYYY": "DDMONYYYY", "ISO8601": "YYYY-MM-DD",
                       "ISO 8601": "YYYY-MM-DD"}
_TIME_SUFFIX = re.compile(r"(?:\s+|T)HH:MM(?::SS)?$")  # times are always read; a format may name them
_SINGLE_FILE_FORMATS = ("csv", "sas7bdat", "xpt")  # a file of these holds one form
_NAMED_CHARACTERS = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}


def source_format(text: str | None) -> str | None:
    """The Format cell as one of SOURCE_FORMATS ("csv" when blank); None when it is none of them."""
    if text is None:
        return "csv"
    folded = text.strip().casefold()
    return folded if folded in SOURCE_FORMATS else None


def format_problem(text: str) -> str:
    return f"unknown Format {text!r}; expected one of: {', '.join(SOURCE_FORMATS)} (blank: csv)"


def file_problem(text: str, form: str, format: str) -> str | None:
    """Why the File cell cannot be used (None when it can): it must name a file inside the study folder."""
    expected = "expected a file path relative to the study folder, e.g. ae.csv or extracts/ae.csv"
    parts = re.split(r"[\\/]", text)
    if any(ord(ch) < 32 for ch in text):
        return f"File {text!r} holds a control character; {expected}"
    if (PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive
            or text.startswith("~")):
        return f"File {text!r} is an absolute path; {expected} (a spec may not read files elsewhere)"
    if ".." in parts:
        return f"File {text!r} holds '..'; {expected} (a spec may not read files outside the study folder)"
    if parts[-1] in ("", "."):
        return f"File {text!r} names a folder, not a file; {expected}"
    if form == ALL_FORMS and format in _SINGLE_FILE_FORMATS:
        return (f"the '*' row names File {text!r}, so every form would read that one {format} file, which holds "
                f"one form; leave File blank (each form reads <form>{'.csv' if format == 'csv' else '.' + format}) "
                "or give each form a row of its own")
    return None


def file_path(text: str) -> str:
    """The File cell with "/" as the separator (a workbook written on Windows may use "\\")."""
    return text.replace("\\", "/")


def option_problems(format: str, options: tuple[tuple[str, str], ...], form: str) -> list[tuple[str, str]]:
    """(key, message) for each option the format does not take or whose value cannot be used."""
    allowed = SOURCE_OPTIONS[format]
    problems = []
    for key, value in options:
        if key not in allowed:
            takes = ", ".join(allowed)
            problems.append((key, f"option {key!r} does not apply to Format {format}; {format} takes: {takes}"))
        elif key in ("delimiter", "quotechar"):
            if (why := _character_problem(value)) is not None:
                problems.append((key, f"{key} {value!r} {why}"))
        elif key == "encoding":
            try:
                codecs.lookup(value)
            except LookupError:
                problems.append((key, f"encoding {value!r} is not a text encoding Python knows; expected e.g. "
                                      "utf-8, cp1252, latin-1, utf-16"))
        elif not value:
            problems.append((key, f"option {key} is empty; expected a name"))
        elif form == ALL_FORMS:  # sheet=, form=: one name cannot fit every form
            problems.append((key, f"the '*' row applies to every form, so it cannot name one {key} for all of them; "
                                  f"by default each form reads the {key} named as the form: give a form whose "
                                  f"{key} is named otherwise a row of its own"))
    delimiter, quote = dict(options).get("delimiter"), dict(options).get("quotechar")
    if delimiter and quote and option_character(delimiter) == option_character(quote):
        problems.append(("quotechar", "quotechar and delimiter are the same character"))
    return problems


def option_character(value: str) -> str:
    """A delimiter or quotechar option as its character ("tab" and "\\t" are a TAB)."""
    return _NAMED_CHARACTERS.get(value.casefold(), value)


def _character_problem(value: str) -> str | None:
    char = option_character(value)
    if len(char) != 1:
        return "is not one character; expected one character such as ; or | (tab: tab)"
    if not char.isascii() or char in "\r\n" or char.isalnum():
        return "cannot separate or quote values; expected an ASCII punctuation character, a space or tab"
    return None


def parse_date_formats(text: str | None) -> tuple[tuple[str, str], ...]:
    """The Date Formats cell: one format for every date field, or `FIELD=FORMAT; FIELD=FORMAT` (a part
    without a field is the format of every other field). Formats are returned as named in DATE_FORMATS.
    Raises ValueError naming the part that cannot be used."""
    if not text:
        return ()
    pairs: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        field, equals, name = part.rpartition("=") if "=" in part else ("", "", part)
        field = field.strip() if equals else ALL_FORMS
        if equals and not field:
            raise ValueError(f"{part!r} names no field; expected FIELD=FORMAT")
        if any(f == field for f, _ in pairs):
            what = "one format for every field" if field == ALL_FORMS else f"field {field}"
            raise ValueError(f"{what} is given twice")
        pairs.append((field, canonical_date_format(name)))
    return tuple(pairs)


def canonical_date_format(name: str) -> str:
    """`name` as one of DATE_FORMATS (case and blanks ignored; a trailing HH:MM[:SS] is allowed); ValueError."""
    canonical = _TIME_SUFFIX.sub("", " ".join(name.split()).upper())
    canonical = DATE_FORMAT_ALIASES.get(canonical, canonical)
    if canonical not in DATE_FORMATS:
        raise ValueError(f"{name.strip()!r} is not a date format trialforge reads; expected one of: "
                         f"{', '.join(DATE_FORMATS)} (optionally followed by HH:MM or HH:MM:SS)")
    return canonical


def parse_threshold(text: str | None) -> float:
    """The Date Failure Threshold cell: a share from 0 to 1 (`5%` is 0.05); 0 when blank. ValueError."""
    if not text:
        return 0.0
    stripped = text.strip()
    percent = stripped.endswith("%")
    try:
        value = float(stripped.removesuffix("%").strip()) / (100 if percent else 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a number; expected a share from 0 to 1, e.g. 0.05 or 5%") from None
    if not 0 <= value <= 1:  # also refuses nan
        raise ValueError(f"{text!r} is outside 0..1; expected a share from 0 to 1 of the form's date values, "
                         "e.g. 0.05 or 5%")
    return value
