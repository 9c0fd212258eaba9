"""Hostile raw extracts (issue 9): each is a clear error (exit 3 naming file, row, column, value) or a
mapping finding / exclusion with its raw file and row; never a traceback, a quiet null or a wrong value.

The CLI runs `trialforge build --stages sdtm` (read-raw, SDTM mapping, XPT and audit files). Defects that
must stop the build each get their own run (they stop within a second). Defects that the build must
survive are planted together in one copy of the example study, built once for the module; each case
then checks its own finding, exclusion or provenance row, and every case checks the reconciliation
(rows read = rows mapped + rows excluded) and that nothing outside the package changed.
"""

from __future__ import annotations

import codecs
import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.robustness.conftest import EXAMPLE_ADAM_SPEC, EXAMPLE_SPECS, STRICT_SDTM_SPEC, run_cli, snapshot

STAGES = ("--stages", "sdtm")


# --- helpers -----------------------------------------------------------------------------------------------------


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def header_index(path: Path, column: str) -> int:
    return lines_of(path)[0].decode("utf-8-sig").rstrip("\r\n").split(",").index(column)


def set_field(path: Path, line: int, column: str, value: str) -> bytes:
    """Set one field of an unquoted record (line numbers as an editor shows them); returns the old line."""
    lines = lines_of(path)
    old = lines[line - 1]
    ending = b"\r\n" if old.endswith(b"\r\n") else b"\n"
    fields = old[:-len(ending)].split(b",")
    fields[header_index(path, column)] = value.encode("utf-8")
    lines[line - 1] = b",".join(fields) + ending
    write_lines(path, lines)
    return old


def field_of(path: Path, line: int, column: str) -> str:
    return lines_of(path)[line - 1].decode("utf-8").rstrip("\r\n").split(",")[header_index(path, column)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def assert_reconciled(out: Path) -> dict[str, dict[str, int]]:
    table = read_csv(out / "audit" / "sdtm" / "reconciliation.csv")
    assert table, "empty reconciliation"
    for row in table:
        read, mapped, excluded = (int(row[k]) for k in ("rows_read", "rows_mapped", "rows_excluded"))
        assert read == mapped + excluded, row
    return {row["file"]: {k: int(row[k]) for k in ("rows_read", "rows_mapped", "rows_excluded")} for row in table}


def build_fails(tmp_path: Path, study: Path, *extra: str):
    """Run a build that must stop: nothing written, nothing outside the package changed."""
    out = tmp_path / "pkg"
    before = snapshot(tmp_path, skip=(out,))
    result = run_cli("build", "--study", study, *EXAMPLE_SPECS, "--out", out, *STAGES, *extra)
    assert snapshot(tmp_path, skip=(out,)) == before, "files outside the package changed"
    assert not out.exists() or not any(out.iterdir()), "a failed build wrote a package"
    return result


def record_count(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for r in csv.reader(handle) if r and any(v.strip() for v in r)) - 1


# --- defects that stop the build ------------------------------------------------------------------------------------


def test_cli_supports_sdtm_only_builds():
    assert "--stages" in run_cli("build", "--help").out


@pytest.mark.parametrize("form, line, change, found, expected", [
    ("dm.csv", 3, "drop-last", "12", "13"),       # too few separators
    ("lb.csv", 4, "extra", "18", "17"),           # one separator too many
    ("ae.csv", 2, "only-subject", "1", "34"),     # a line with no separator at all
])
def test_record_with_wrong_number_of_fields_is_an_input_error(tmp_path, raw, form, line, change, found, expected):
    path = raw / form
    lines = lines_of(path)
    text = lines[line - 1].rstrip(b"\n")
    if change == "drop-last":
        text = text.rsplit(b",", 1)[0]
    elif change == "extra":
        text += b",surplus"
    else:
        text = b"01-001"
    lines[line - 1] = text + b"\n"
    write_lines(path, lines)
    result = build_fails(tmp_path, raw)
    result.assert_clean_failure(3, form, f"row {line}", f"line {line} has {found} field", f"header has {expected}")


@pytest.mark.parametrize("value, shown", [
    ("Asi\x00an", "U+0000"),                 # NUL inside a value
    ("\x00", "U+0000"),                      # a value that is only NUL
    ('"Asian\x00, or not"', "U+0000"),       # NUL inside a quoted value
    ("Asian\x07", "U+0007"),                 # BEL
    ("Asian\x1b[0m", "U+001B"),              # an escape sequence
    ("Asian\x7f", "U+007F"),                 # DEL
    ("Asian\u0085", "U+0085"),               # a C1 control (NEL) as UTF-8
])
def test_control_character_in_a_value_is_an_input_error(tmp_path, raw, value, shown):
    set_field(raw / "dm.csv", 4, "RACE", value)
    result = build_fails(tmp_path, raw)
    result.assert_clean_failure(3, "dm.csv", "row 4", "column 'RACE'", shown, "control character")


def test_nul_in_many_places_lists_them_all_with_a_limit(tmp_path, raw):
    path = raw / "lb.csv"
    for line in range(2, 40):
        set_field(path, line, "LBORRES", "1\x002")
    result = build_fails(tmp_path, raw)
    result.assert_clean_failure(3, "lb.csv", "row 2", "row 11", "column 'LBORRES'", "more values holding control")


def test_text_that_is_not_utf8_names_its_line(tmp_path, raw):
    path = raw / "cm.csv"
    lines = lines_of(path)
    lines[5] = lines[5].replace(b",", b",\xe9", 1)
    write_lines(path, lines)
    build_fails(tmp_path, raw).assert_clean_failure(3, "cm.csv", "not UTF-8", "line 6")


def test_unterminated_quote_names_the_line_it_starts_on(tmp_path, raw):
    path = raw / "cm.csv"
    lines = lines_of(path)
    lines[9] = lines[9].replace(b",", b',"', 1)
    write_lines(path, lines)
    build_fails(tmp_path, raw).assert_clean_failure(3, "cm.csv", "line 10")


def test_two_different_dm_records_for_one_subject_name_file_rows_and_subject(tmp_path, raw):
    path = raw / "dm.csv"
    lines = lines_of(path)
    subject = field_of(path, 2, "Subject")
    twin = lines[1].replace(b"," + field_of(path, 2, "AGE").encode() + b",", b",18,")
    write_lines(path, lines + [twin])
    last = len(lines) + 1
    result = build_fails(tmp_path, raw)
    result.assert_clean_failure(3, "dm.csv", subject, "rows 2, " + str(last), "AGE", "one record per subject")


def _spec_with_source_form(tmp_path: Path, form: str, replacement: str) -> Path:
    import openpyxl

    from trialforge.example_study import example_spec

    book = openpyxl.load_workbook(example_spec("sdtm"))
    sheet = book["Mapping"]
    column = [c.value for c in sheet[1]].index("Source Form") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
        if cell.value == form:
            cell.value = replacement
    target = tmp_path / "specs" / "sdtm.xlsx"
    target.parent.mkdir()
    book.save(target)
    return target


@pytest.mark.parametrize("kind", ["relative", "deep", "absolute"])
def test_source_form_outside_the_study_folder_is_refused(tmp_path, raw, kind):
    """The spec check (load-specs) or the raw reader (read-raw, `trialforge.raw.form_path`) refuses it;
    either way exit 3 naming the form, and the file outside the study folder is never mapped."""
    trap = tmp_path / "x"
    trap.mkdir()
    shutil.copy(raw / "cm.csv", trap / "cm.csv")  # what a traversal would read
    name = {"relative": "../x/CM", "deep": "../../" + tmp_path.name + "/x/CM", "absolute": str(trap / "CM")}[kind]
    spec = _spec_with_source_form(tmp_path, "CM", name)
    (raw / "cm.csv").unlink()
    result = build_fails(tmp_path, raw, "--sdtm-spec", spec)
    result.assert_clean_failure(3, name, "Source Form")


# --- defects the build survives: planted together, built once --------------------------------------------------------


@dataclass
class Planted:
    raw: Path
    out: Path
    result: object
    original: dict  # file -> data records before planting
    facts: dict  # what each planting did (lines, values)
    changed_outside: bool


def _plant(raw: Path) -> tuple[dict, dict]:
    original = {p.name: record_count(p) for p in raw.glob("*.csv")}
    facts: dict = {}
    # numbers no dataset can hold, and non-finite texts, in LB results and range limits and DM.AGE
    lb = raw / "lb.csv"
    numeric = {3: "1e400", 4: "-1e400", 5: "nan", 6: "inf", 7: "1e-400", 8: "-inf"}
    for line, value in numeric.items():
        set_field(lb, line, "LBORRES", value)
        set_field(lb, line, "LBNDYN", "")
    set_field(lb, 9, "LBORNRHI", "1e400")
    set_field(raw / "dm.csv", 3, "AGE", "1e400")
    facts["numeric"] = numeric
    # dates that cannot be true, an invalid time beside a valid date, a datetime with an invalid time
    facts["lb_2099"] = (10, "12 JAN 2099")
    set_field(lb, 10, "LBDAT", "12 JAN 2099")
    facts["dm_1850"] = (4, "UNK-UNK-1850")
    set_field(raw / "dm.csv", 4, "BRTHDAT", "UNK-UNK-1850")
    facts["bad_time"] = (11, field_of(lb, 11, "LBDAT"), "25:99")
    set_field(lb, 11, "LBTIM", "25:99")
    facts["bad_hour"] = (12, field_of(lb, 12, "LBDAT"), "24:10")
    set_field(lb, 12, "LBTIM", "24:10")
    facts["iso_bad_time"] = (13, "2024-03-05T25:99")
    set_field(lb, 13, "LBDAT", "2024-03-05T25:99")
    set_field(lb, 13, "LBTIM", "")
    # an identical second DM record (excluded as an exact duplicate)
    dm = raw / "dm.csv"
    dm_lines = lines_of(dm)
    write_lines(dm, dm_lines + [dm_lines[5]])
    facts["dm_twin"] = (6, len(dm_lines) + 1)
    # an all-empty record (a line of commas) in AE
    ae = raw / "ae.csv"
    ae_lines = lines_of(ae)
    commas = b"," * (len(ae_lines[0].split(b",")) - 1) + b"\n"
    write_lines(ae, ae_lines[:4] + [commas] + ae_lines[4:])
    facts["empty_line"] = 5
    # blank lines (empty, and spaces only) before a CM record; a quoted line break in an LD (EX) record
    cm = raw / "cm.csv"
    cm_lines = lines_of(cm)
    facts["cm"] = (field_of(cm, 5, "Subject"), 7)  # the record on line 5 moves to line 7
    write_lines(cm, cm_lines[:4] + [b"\n", b"   \n"] + cm_lines[4:])
    facts["cm_lines"] = [2, 3, 4] + list(range(7, original["cm.csv"] + 4))
    ld = raw / "ld.csv"
    ld_lines = lines_of(ld)
    facts["ld"] = (field_of(ld, 5, "Subject"), 6)  # after the two-line record on line 3, line 5 moves to 6
    column = header_index(ld, "DataPageName")
    fields = ld_lines[2].rstrip(b"\n").split(b",")
    fields[column] = b'"Lympho-\ndepletion"'
    ld_lines[2] = b",".join(fields) + b"\n"
    write_lines(ld, ld_lines)
    facts["ld_lines"] = [2, 3] + list(range(5, original["ld.csv"] + 3))
    # CRLF line ends, a byte-order mark, old Mac CR line ends
    for name, convert in (("ae.csv", lambda b: b.replace(b"\n", b"\r\n")),
                          ("sv.csv", lambda b: codecs.BOM_UTF8 + b),
                          ("ie.csv", lambda b: b.replace(b"\n", b"\r"))):
        (raw / name).write_bytes(convert((raw / name).read_bytes()))
    return original, facts


@pytest.fixture(scope="module")
def planted(tmp_path_factory, example_raw_master) -> Planted:
    root = tmp_path_factory.mktemp("planted")
    raw = root / "raw"
    shutil.copytree(example_raw_master, raw)
    original, facts = _plant(raw)
    out = root / "pkg"
    before = snapshot(root, skip=(out,))
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, *STAGES)
    changed = snapshot(root, skip=(out,)) != before
    return Planted(raw, out, result, original, facts, changed)


def findings(planted: Planted, file: str, row: int) -> list[dict[str, str]]:
    """The mapping findings of one raw record (values as collected: the audit CSV writes text Excel would
    run as a formula, such as '-inf', with a leading apostrophe, which is taken off here)."""
    rows = read_csv(planted.out / "audit" / "sdtm" / "mapping-findings.csv")
    found = [r for r in rows if r["file"] == file and r["row"] == str(row)]
    for r in found:
        if r["value"].startswith("'") and r["value"][1:2] in ("-", "+", "=", "@"):
            r["value"] = r["value"][1:]
    return found


def provenance(planted: Planted, domain: str) -> list[dict[str, str]]:
    return read_csv(planted.out / "audit" / "provenance" / "sdtm" / f"{domain}.csv")


def excluded(planted: Planted) -> list[dict[str, str]]:
    return read_csv(planted.out / "audit" / "sdtm" / "excluded-records.csv")


@pytest.fixture
def built(planted) -> Planted:
    """The shared build: it succeeded, without traceback, reconciled, and touched nothing outside the package."""
    assert planted.result.code == 0, planted.result.text
    assert "Traceback" not in planted.result.text
    assert not planted.changed_outside, "files outside the package changed"
    assert_reconciled(planted.out)
    return planted


@pytest.mark.parametrize("line", [3, 4, 5, 6, 7, 8])  # 1e400, -1e400, nan, inf, 1e-400, -inf
def test_numbers_no_dataset_can_hold_are_findings_with_null_results(built, line):
    value = built.facts["numeric"][line]
    found = [f for f in findings(built, "lb.csv", line) if f["variable"] == "LBSTRESC"]
    assert found and found[0]["value"] == value, findings(built, "lb.csv", line)
    assert "number" in found[0]["message"] and repr(value) in found[0]["message"]
    record = _lb_record(built, line)
    assert record["LBORRES"].strip() == value  # the result as collected stays in --ORRES
    assert record["LBSTRESN"] != record["LBSTRESN"]  # NaN: null, never inf or 0
    assert record["LBSTRESC"].strip() == ""


def _lb_record(built: Planted, line: int) -> dict:
    """The LB record made from lb.csv line `line`, as written to lb.xpt."""
    from formats.xpt import read_xpt

    frame, _ = read_xpt(next(built.out.rglob("lb.xpt")))
    prov = [r for r in provenance(built, "lb") if r["raw_file"] == "lb.csv" and r["raw_row"] == str(line)]
    assert len(prov) == 1, prov
    match = frame[(frame["USUBJID"].astype(str).str.strip() == prov[0]["USUBJID"])
                  & (frame["LBSEQ"] == float(prov[0]["LBSEQ"]))]
    assert len(match) == 1
    return match.iloc[0].to_dict()


def test_range_limit_and_assigned_number_that_overflow_are_findings(built):
    hi = [f for f in findings(built, "lb.csv", 9) if f["variable"] == "LBSTNRHI"]
    assert hi and hi[0]["value"] == "1e400" and "too large" in hi[0]["message"]
    age = [f for f in findings(built, "dm.csv", 3) if f["variable"] == "AGE"]
    assert age and age[0]["value"] == "1e400" and "too large" in age[0]["message"]


@pytest.mark.parametrize("key, file, variable, words", [
    ("lb_2099", "lb.csv", "LBDTC", "after the build date"),
    ("dm_1850", "dm.csv", "BRTHDTC", "before 1900"),
])
def test_dates_that_cannot_be_true_are_kept_and_flagged(built, key, file, variable, words):
    line, value = built.facts[key]
    found = [f for f in findings(built, file, line) if f["variable"] == variable]
    assert found, findings(built, file, line)
    assert found[0]["severity"] == "warning" and words in found[0]["message"] and value in found[0]["value"]


@pytest.mark.parametrize("key", ["bad_time", "bad_hour"])
def test_invalid_time_keeps_the_valid_date(built, key):
    line, raw_date, raw_time = built.facts[key]
    found = [f for f in findings(built, "lb.csv", line) if f["variable"] == "LBDTC"]
    assert found and raw_time in found[0]["value"] and "kept without the time" in found[0]["message"]
    from sdtm.dates import iso_date

    assert _lb_record(built, line)["LBDTC"].strip() == iso_date(raw_date)


def test_datetime_with_invalid_time_in_the_date_field_keeps_the_date(built):
    line, value = built.facts["iso_bad_time"]
    found = [f for f in findings(built, "lb.csv", line) if f["variable"] == "LBDTC"]
    assert found and found[0]["value"] == value and "25:99" in found[0]["message"]
    assert _lb_record(built, line)["LBDTC"].strip() == "2024-03-05"


def test_all_empty_record_is_excluded_with_a_reason(built):
    line = built.facts["empty_line"]
    reasons = [r["reason"] for r in excluded(built) if r["file"] == "ae.csv" and r["row"] == str(line)]
    assert reasons and "every field of the raw record is empty" in reasons[0]
    counts = assert_reconciled(built.out)["ae.csv"]
    assert counts["rows_read"] == built.original["ae.csv"] + 1


def test_identical_dm_twin_is_excluded_as_a_duplicate(built):
    first, twin = built.facts["dm_twin"]
    reasons = [r["reason"] for r in excluded(built) if r["file"] == "dm.csv" and r["row"] == str(twin)]
    assert reasons == [f"exact duplicate of dm.csv row {first} (identical in every field the spec reads from DM)"]


@pytest.mark.parametrize("domain, file", [("cm", "cm.csv"), ("ex", "ld.csv")])
def test_provenance_row_is_the_editor_line_after_blank_lines_and_line_breaks(built, domain, file):
    key = file.removesuffix(".csv")
    subject, line = built.facts[key]
    mapped = {int(r["raw_row"]) for p in (built.out / "audit" / "provenance" / "sdtm").glob("*.csv")
              for r in read_csv(p) if r.get("raw_file") == file}
    left_out = {int(r["row"]) for r in excluded(built) if r["file"] == file}
    assert sorted(mapped | left_out) == built.facts[f"{key}_lines"]  # every record at its editor line, no other
    users = [r["USUBJID"] for r in provenance(built, domain) if r["raw_file"] == file and r["raw_row"] == str(line)]
    assert users and users[0].endswith(subject)
    assert assert_reconciled(built.out)[file]["rows_read"] == built.original[file]


@pytest.mark.parametrize("file", ["ae.csv", "sv.csv", "ie.csv"])  # CRLF, BOM, CR line ends
def test_line_end_and_bom_variants_read_every_record(built, file):
    counts = assert_reconciled(built.out)[file]
    expected = built.original[file] + (1 if file == "ae.csv" else 0)  # ae.csv also has the all-empty record
    assert counts["rows_read"] == expected


def test_no_infinite_number_reaches_the_lb_dataset(built):
    import numpy as np

    from formats.xpt import read_xpt

    frame, _ = read_xpt(next(built.out.rglob("lb.xpt")))
    for column in ("LBSTRESN", "LBSTNRLO", "LBSTNRHI"):
        values = frame[column].to_numpy(dtype=float)
        assert not np.isinf(values).any(), column


def test_line_breaks_and_tabs_in_collected_text_become_one_line_with_a_warning(tmp_path, raw):
    from formats.xpt import read_xpt

    ae = raw / "ae.csv"
    set_field(ae, 2, "AEACN", "Not\tApplicable")  # a collected term: still mapped to its codelist
    term = field_of(ae, 3, "AETERM")
    set_field(ae, 3, "AETERM", f'"{term} \r\n  (second line)"')
    out = tmp_path / "pkg"
    result = run_cli("build", "--study", raw, *EXAMPLE_SPECS, "--out", out, *STAGES)
    assert result.code == 0, result.text
    frame, _ = read_xpt(next(out.rglob("ae.xpt")))
    assert not frame["AETERM"].str.contains(r"[\t\r\n]").any()
    assert f"{term} (second line)" in set(frame["AETERM"])
    assert frame["AEACN"].notna().all() and "NOT APPLICABLE" in set(frame["AEACN"])
    rows = read_csv(out / "audit" / "sdtm" / "mapping-findings.csv")
    flagged = {(r["file"], r["row"], r["variable"]) for r in rows if "line break" in r["message"]}
    assert ("ae.csv", "3", "AETERM") in flagged and all(r["severity"] == "warning" for r in rows
                                                        if "line break" in r["message"])
    assert_reconciled(out)


def test_a_date_in_another_format_stops_a_build_whose_spec_tolerates_no_date_failure(raw, tmp_path):
    """The example's Sources sheet declares DD-MON-YYYY with the default threshold 0: one US-style date in LB
    stops the build with a message naming form, field, share and the raw record, and nothing is written."""
    set_field(raw / "lb.csv", 3, "LBDAT", "01/16/2024")
    out = tmp_path / "pkg"
    before = snapshot(tmp_path, (out,))
    result = run_cli("build", "--study", raw, "--sdtm-spec", STRICT_SDTM_SPEC, "--adam-spec", EXAMPLE_ADAM_SPEC,
                     "--out", out, "--stages", "sdtm")
    result.assert_clean_failure(3, "form LB, field LBDAT", "declared format DD-MON-YYYY", "lb.csv", "01/16/2024",
                                "Date Failure Threshold 0")
    assert not out.exists() and snapshot(tmp_path, (out,)) == before
