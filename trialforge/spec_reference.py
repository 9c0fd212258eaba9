"""docs/spec-language.md, written from the registries the engine runs on, so it cannot drift from them.

`python -m trialforge.spec_reference > docs/spec-language.md` rewrites it;
tests/trialforge/test_spec_reference.py fails when the committed file differs, when an algorithm or a
derive function has no entry here, or when an entry names one the engine does not know.
"""

from __future__ import annotations

import sys

from adam.derivations import DERIVATIONS
from adam.spec_parameters import ARGUMENT_BINDINGS, CONDITION_BINDINGS
from sdtm.steps import STEPS
from sdtm.visits import UNSCHEDULED_RULES
from specs.expression_functions import FUNCTIONS
from specs.model import DATE_FORMATS, SOURCE_FORMATS, SOURCE_OPTIONS

MAPPING_HEADER = ("Dataset", "Variable", "Source Form", "Source Field", "Algorithm", "Arguments", "Where Clause",
                  "Condition")

# Algorithm -> (what it does, an example Mapping row as MAPPING_HEADER cells)
ALGORITHM_ENTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "assign_no_ct": ("The Source Field's value (an expression over the form's fields), text as collected, blank "
                     "as null.", ("AE", "AETERM", "AE", "upper(strip(`IT.AETERM`))", "assign_no_ct", "", "", "")),
    "assign_ct": ("The value mapped to a controlled term of the variable's codelist (value-level codelists first, "
                  "or `codelist=`): the submission value, a synonym or a Collected Value of the Codelists sheet; "
                  "anything else is a finding.", ("DM", "SEX", "DM", "`IT.SEX`", "assign_ct", "", "", "")),
    "hardcode_no_ct": ("A constant `value=` on every record the row applies to.",
                       ("DM", "STUDYID", "", "", "hardcode_no_ct", "value=CDISCPILOT01", "", "")),
    "hardcode_ct": ("A constant `value=` that must be a term of the variable's codelist (checked when the spec "
                    "is read).", ("DM", "AGEU", "", "", "hardcode_ct", "value=YEARS", "", "")),
    "assign_datetime": ("An ISO 8601 date or datetime from a collected date in the declared format (`format=`, "
                        "else the form's Date Formats in the Sources sheet), with `time=` naming a separate time "
                        "field; unknown day or month parts give a partial date; every failure is a finding.",
                        ("AE", "AESTDTC", "AE", "`IT.AESTDAT`", "assign_datetime", "format=MM/DD/YYYY", "", "")),
    "assign_numeric": ("A number; text that is not one is a finding, never a quiet null.",
                       ("DM", "AGE", "DM", "`IT.AGE`", "assign_numeric", "", "", "")),
    "supp": ("A supplemental qualifier: the value goes to SUPP-- with `qnam=`, `qlabel=`, `qorig=`.",
             ("DM", "RACEOTH", "DM", "RACEOTH", "supp", "qnam=RACEOTH; qlabel=Race, Other; qorig=Collected",
              "", "")),
    "select": ("Makes one record per source row the Condition keeps, without setting a variable (for a form "
               "whose records are defined by a condition alone).",
               ("DS", "DSTERM", "DS", "", "select", "", "", "`IT.DSTERM` is not null")),
    "derive": ("Calls a named derive function (below) with the row's Arguments, after the records exist, in the "
               "order of the rows. With `qnam=` (and `qlabel=`, `qorig=`, `qeval=`) the value is a supplemental "
               "qualifier, as with `supp`: AETRTEM from `function=expression; expr=case when AESTDTC >= "
               "DM.RFSTDTC then 'Y' end; qnam=AETRTEM`.",
               ("AE", "AESTDY", "", "", "derive", "function=study_day; dtc=AESTDTC", "", "")),
    "not_submitted": ("The raw field is deliberately not carried into SDTM; `reason=` says why (the audit keeps "
                      "it).", ("EX", "LDPDAY", "LD", "LDPDAY", "not_submitted", "reason=implied by EXSTDTC", "",
                               "")),
}

# Derive function -> example Arguments (the description is the function's own docstring)
STEP_EXAMPLES: dict[str, tuple[str, str, str]] = {  # (dataset, variable, arguments)
    "usubjid": ("DM", "USUBJID", "function=usubjid"),
    "seq": ("AE", "AESEQ", "function=seq; keys=USUBJID, AEDECOD, AESTDTC"),
    "study_day": ("AE", "AESTDY", "function=study_day; dtc=AESTDTC"),
    "epoch": ("AE", "EPOCH", "function=epoch; dtc=AESTDTC"),
    "visit": ("VS", "VISITNUM", "function=visit; dtc=VSDTC; unscheduled=from_name"),
    "lobxfl": ("LB", "LBLOBXFL", "function=lobxfl; by=LBTESTCD, LBSPEC; dtc=LBDTC"),
    "nrind": ("LB", "LBNRIND", "function=nrind"),
    "copy": ("EX", "EXENDTC", "function=copy; source=EXSTDTC"),
    "reference_date": ("DM", "RFXSTDTC", "function=reference_date; domain=EX; date=EXSTDTC; pick=first; "
                                         "where=EXDOSE > 0 or EXTRT == 'PLACEBO'"),
    "expression": ("DM", "RFENDTC", "function=expression; expr=coalesce(RFENDTC, RFXENDTC)"),
    "stresu": ("VS", "VSSTRESU", "function=stresu; unit=C; from=F:5/9:-160/9, K:1:-273.15"),
    "stresc": ("VS", "VSSTRESC", "function=stresc; decimals=2"),
    "stresn": ("VS", "VSSTRESN", "function=stresn"),
    "stnr": ("LB", "LBSTNRLO", "function=stnr; orres=LBORNRLO"),
    "toxgr": ("AE", "AETOXGR", "function=toxgr"),
    "iso3166_alpha3": ("DM", "COUNTRY", "function=iso3166_alpha3"),
    "ietest": ("IE", "IETEST", "function=ietest"),
    "tu_lnkid": ("TU", "TULNKID", "function=tu_lnkid"),
    "lnkgrp": ("TR", "TRLNKGRP", "function=lnkgrp"),
    "armcd": ("DM", "ARMCD", "function=armcd"),
    "dthfl": ("DM", "DTHFL", "function=dthfl; dtc=DTHDTC"),
}

SOURCE_COLUMNS = (
    ("Form", "the Source Form the Mapping sheet names; `*` holds the defaults of every form without a row"),
    ("File", "the file, relative to the study folder (default `<form in lower case>.csv`); never outside it"),
    ("Format", f"one of {', '.join(SOURCE_FORMATS)} (default csv)"),
    ("Options", "`key=value; ...`: " + "; ".join(f"{fmt}: {', '.join(keys)}" for fmt, keys in SOURCE_OPTIONS.items())),
    ("Subject Column", "the raw column naming each record's subject (USUBJID, joins, visits)"),
    ("Site Column", "the raw column naming the site"),
    ("Visit Column", "the raw column naming the visit a record was collected at (blank: the form has no visits)"),
    ("Instance Column", "the raw column telling repeats of a visit or form apart"),
    ("Date Formats", "one format for every date field of the form, or `FIELD=FORMAT; FIELD=FORMAT`"),
    ("Date Failure Threshold", "share 0..1 of a date field's values allowed to fail before the build fails "
                               "(default 0: any failure fails the build)"),
)


def _cells(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return [_cells(header), _cells(tuple("---" for _ in header)), *(_cells(r) for r in rows)]


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def render() -> str:
    lines = [
        "# The spec language", "",
        "<!-- Written by `python -m trialforge.spec_reference`; do not edit by hand. -->", "",
        "An SDTM spec workbook says where each SDTM variable comes from: the `Mapping` sheet has one row per "
        "variable and raw form, the optional `Sources` sheet says how each raw form is read. This page lists "
        "every algorithm, derive function, expression function and date format the engine knows, each with an "
        "example.", "",
        "## Sources sheet", "", *_table(("Column", "Meaning"), list(SOURCE_COLUMNS)), "",
        "## Mapping sheet algorithms", "",
        *_table(("Algorithm", "What it does", "Example row (" + ", ".join(MAPPING_HEADER) + ")"),
                [(name, text, " ; ".join(c or "·" for c in example))
                 for name, (text, example) in ALGORITHM_ENTRIES.items()]), "",
        "## Derive functions", "",
        "A `derive` row names its function in Arguments (`function=NAME; key=value; ...`). Argument values may "
        "not contain `;`.", "",
        *_table(("Function", "What it does", "Example row (Dataset, Variable, Arguments)"),
                [(name, _first_paragraph(STEPS[name].__doc__), " ; ".join(STEP_EXAMPLES[name]))
                 for name in sorted(STEPS)]), "",
        "Unscheduled visits (`visit` step, `unscheduled=`): " + ", ".join(f"`{r}`" for r in UNSCHEDULED_RULES)
        + "; see sdtm/visits.py.", "",
        "## Expressions", "",
        "Source Field and Condition cells, and the `where`/`expr` arguments, are expressions. Text literals in "
        "single or double quotes; numbers; `null`, `true`, `false`; field names bare (`IT.AETERM`) or in "
        "backticks for any name (`` `Visit Name` ``); operators `||` (concatenation), `+ - * /`, `== != < <= > "
        ">=` (also `=` and `<>`), `and`, `or`, `not`, `x in (a, b)`, `x not in (...)`, `x is null`, `x is not "
        "null`, `case when c then v ... else v end`. Null propagates through functions and arithmetic (concat "
        "and coalesce excepted); a comparison with a null operand is false, except `!=`, which is true; blank "
        "text is null.", "",
        *_table(("Function", "What it does", "Example", "Input row", "Result"),
                [(f.signature, f.description, f.example[0],
                  ", ".join(f"{k}={v!r}" for k, v in f.example[1].items()) or "·",
                  "null" if f.example[2] is None else repr(f.example[2]))
                 for f in sorted(FUNCTIONS.values(), key=lambda f: f.name)]), "",
        "## Date formats", "",
        "Declared per form or field (Sources sheet) or per row (`format=`): " + ", ".join(
            f"`{f}`" for f in DATE_FORMATS) + ". The separators are the format's (month-name formats also take "
        "spaces: `26 DEC 2013`); day and month may have one or two digits. A time may follow the date "
        "(`01/16/2014 10:30`) or come from a separate field (`time=`). Unknown parts (`UN`, `UNK`, `UK`, `NK`, "
        "`XX`, `--`), or a day, then a month, left out (`JAN-2014`, `2014`), give a partial ISO 8601 date; a day "
        "without a month is a finding that keeps the year. Without a declared format, ISO 8601 and DD-MON-YYYY "
        "are read. Every value that fails is a finding with file, row and value; a field whose share of failures "
        "passes its form's Date Failure Threshold fails the build.", "",
        "## Units", "",
        "`stresu` rows convert other units to the standard one with `from=unit:factor[:offset], ...` (standard = "
        "collected x factor + offset; factor and offset may be fractions: `F:5/9:-160/9`); a result in a unit with "
        "no conversion is a finding. `stresc`/`stnr` round converted values with `decimals=N`, `significant=N` "
        "or `decimals=spec` (the Significant Digits of --STRESN in the spec); results already in the standard "
        "unit keep their collected digits.", "",
        "## ADaM derivations", "",
        "An ADaM spec's Mapping rows name one of these derivations in Algorithm, with its arguments "
        "(`name=value; ...`; lists comma-separated). An argument a derivation does not accept is a spec-check "
        "error. The arguments and Conditions below state study parameters (adam/parameters.py): they drive the "
        "data, rows stating one parameter must agree, and `--param-file`/`--param` override them (the build log "
        "names where each value came from; the published spec and define.xml carry the value used). `{name}` of a "
        "parameter in a Methods or Comments description is replaced by its value.", "",
        *_table(("Derivation", "What it does", "Arguments"),
                [(name, d.description, ", ".join(f"`{a}`" for a in d.arguments) or "·")
                 for name, d in sorted(DERIVATIONS.items())]), "",
        *_table(("Row", "States the parameter"),
                [(f"{b.derivation} `{b.argument}`" + (f" ({', '.join(b.variables)})" if b.variables else ""),
                  f"`{b.parameter}`") for b in ARGUMENT_BINDINGS]
                + [(f"Condition `{b.column} == '...'` of {b.dataset}.{', '.join(b.variables)} (none: every record)",
                    f"`{b.parameter}`") for b in CONDITION_BINDINGS]), "",
    ]
    return "\n".join(lines)


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
