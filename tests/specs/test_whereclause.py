import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.errors import SpecError
from specs.whereclause import (
    Condition, WhereClause, WhereClauseError, condition_from_parts, parse_where, quote_value, where_from_conditions,
)


def C(variable, comparator, *values, dataset=None):
    return Condition(dataset, variable, comparator, tuple(values))


@pytest.mark.parametrize(
    "text, conditions, canonical",
    [
        ("LBTESTCD EQ ALT", [C("LBTESTCD", "EQ", "ALT")], "LBTESTCD EQ ALT"),
        ("PARAMCD IN (OS, PFS)", [C("PARAMCD", "IN", "OS", "PFS")], "PARAMCD IN (OS, PFS)"),
        ('PARAMCD IN ("A", "B")', [C("PARAMCD", "IN", "A", "B")], "PARAMCD IN (A, B)"),
        ("A EQ x and B NE y", [C("A", "EQ", "x"), C("B", "NE", "y")], "A EQ x AND B NE y"),
        ('DS.DSCAT EQ "DISPOSITION EVENT"', [C("DSCAT", "EQ", "DISPOSITION EVENT", dataset="DS")],
         'DS.DSCAT EQ "DISPOSITION EVENT"'),
        ("  lbtestcd   eq   ALT  ", [C("LBTESTCD", "EQ", "ALT")], "LBTESTCD EQ ALT"),
        ("X NOTIN (NOT DONE, 'it''s', \"\")", [C("X", "NOTIN", "NOT DONE", "it's", "")],
         'X NOTIN ("NOT DONE", it\'s, "")'),
        ('X EQ "say ""hi"""', [C("X", "EQ", 'say "hi"')], 'X EQ "say ""hi"""'),
        ("AVAL GE 3.5 AND AVAL LT 10", [C("AVAL", "GE", "3.5"), C("AVAL", "LT", "10")], "AVAL GE 3.5 AND AVAL LT 10"),
        ("X EQ AND", [C("X", "EQ", "AND")], 'X EQ "AND"'),
        ("LBSTRESU EQ 10^9/L", [C("LBSTRESU", "EQ", "10^9/L")], "LBSTRESU EQ 10^9/L"),
        ("X IN (A)", [C("X", "IN", "A")], "X IN (A)"),
    ],
)
def test_parse_inline(text, conditions, canonical):
    clause = parse_where(text)
    assert clause.conditions == tuple(conditions)
    assert str(clause) == canonical
    assert clause.id == canonical  # inline clauses are known by their canonical text
    assert clause.text == text.strip()
    assert parse_where(str(clause)).conditions == clause.conditions


@pytest.mark.parametrize(
    "text, position, reason",
    [
        ("", 1, "empty"),
        ("LBTESTCD", 9, "expected a comparator"),
        ("LBTESTCD EQ", 12, "expected a value after EQ"),
        ("A EQ 1 OR B EQ 2", 8, "OR is not supported"),
        ("A IN OS", 6, "expected '('"),
        ("A IN (OS", 6, "no closing ')'"),
        ("A IN (OS,)", 10, "expected a value in the list"),
        ("A IN ()", 7, "expected a value in the list"),
        ("A EQ (X)", 6, "use IN"),
        ("1A EQ 2", 1, "expected VARIABLE or DATASET.VARIABLE"),
        ("A.B.C EQ 1", 1, "expected VARIABLE or DATASET.VARIABLE"),
        ('A EQ "open', 6, 'no closing "'),
        ("A EQ 1 and", 11, "expected a condition after AND"),
        ("A LIKE 1", 3, "expected a comparator"),
        ('A IN ("a" b)', 11, "expected ',' or ')'"),
    ],
)
def test_parse_errors_name_text_and_position(text, position, reason):
    with pytest.raises(WhereClauseError) as caught:
        parse_where(text)
    error = caught.value
    assert isinstance(error, SpecError)
    assert (error.position, error.text) == (position, text)
    assert reason in error.reason
    assert repr(text) in str(error) and f"position {position}" in str(error)


def test_condition_from_sheet_parts():
    assert condition_from_parts(" lb", "lbtestcd ", "eq", "ALT ") == C("LBTESTCD", "EQ", "ALT", dataset="LB")
    assert condition_from_parts(None, "QNAM", "IN", '"A, B", C') == C("QNAM", "IN", "A, B", "C")
    assert condition_from_parts("", "X", "NOTIN", "(1, 2)") == C("X", "NOTIN", "1", "2")
    assert condition_from_parts("DS", "DSCAT", "EQ", '"DISPOSITION EVENT"').values == ("DISPOSITION EVENT",)
    with pytest.raises(WhereClauseError, match="unknown comparator"):
        condition_from_parts("LB", "LBTESTCD", "=", "ALT")
    with pytest.raises(WhereClauseError, match="expected a variable name"):
        condition_from_parts("LB", "LB TESTCD", "EQ", "ALT")
    with pytest.raises(WhereClauseError, match="expected a value in the list"):
        condition_from_parts("LB", "LBTESTCD", "IN", "A,,B")


def test_sheet_rows_sharing_an_id_are_anded():
    clause = where_from_conditions("WC.1", [C("LBCAT", "EQ", "CHEMISTRY"), C("LBTESTCD", "EQ", "URATE")])
    assert str(clause) == "LBCAT EQ CHEMISTRY AND LBTESTCD EQ URATE"
    assert clause.variables == ("LBCAT", "LBTESTCD")
    assert clause.text is None


_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@given(st.lists(st.tuples(st.sampled_from(["EQ", "NE", "LT", "IN", "NOTIN"]), st.lists(_values, min_size=1,
                                                                                        max_size=3)),
                min_size=1, max_size=3))
def test_canonical_text_parses_back_to_the_same_conditions(parts):
    conditions = tuple(
        Condition(None, f"V{i}", op, tuple(values) if op in ("IN", "NOTIN") else (values[0],))
        for i, (op, values) in enumerate(parts)
    )
    clause = WhereClause(id="x", conditions=conditions)
    assert parse_where(str(clause)).conditions == conditions


def test_quote_value():
    assert quote_value("ALT") == "ALT"
    assert quote_value("A B") == '"A B"'
    assert quote_value("") == '""'
    assert quote_value("and") == '"and"'
    assert quote_value('"x') == '"""x"'


# --- masks ---------------------------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "LBTESTCD": ["ALT", "AST", None, "ALT", "alt"],
        "VISITNUM": [1.0, 2.0, np.nan, 3.0, 1.0],
        "LBDTC": ["2024-01-05", "2024-02-01", None, "2023-12-31", "2024-01-05T10:00"],
        "AVALC": ["5", "12", "abc", None, "7.5"],
    },
    index=[10, 11, 12, 13, 14],
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("LBTESTCD EQ ALT", [True, False, False, True, False]),  # exact, case-sensitive
        ("LBTESTCD NE ALT", [False, True, True, False, True]),  # missing is "not ALT"
        ("LBTESTCD IN (ALT, AST)", [True, True, False, True, False]),
        ("LBTESTCD NOTIN (ALT, AST)", [False, False, True, False, True]),
        ("VISITNUM EQ 1", [True, False, False, False, True]),  # numeric column: "1" equals 1.0
        ("VISITNUM IN (2, 3.0)", [False, True, False, True, False]),
        ("VISITNUM GT 1", [False, True, False, True, False]),  # missing never compares
        ("VISITNUM LE 2", [True, True, False, False, True]),
        ("VISITNUM NE 1", [False, True, True, True, False]),
        ("VISITNUM EQ abc", [False] * 5),
        ("LBDTC LT 2024-01-05", [False, False, False, True, False]),  # ISO 8601 text sorts as time does
        ("LBDTC GE 2024-01-05", [True, True, False, False, True]),
        ("AVALC GT 6", [False, True, False, False, True]),  # numeric text compared as numbers
        ("LBTESTCD EQ ALT AND VISITNUM EQ 1", [True, False, False, False, False]),
        ("LB.LBTESTCD EQ AST", [False, True, False, False, False]),  # the dataset prefix is not consulted
    ],
)
def test_mask(text, expected):
    mask = parse_where(text).mask(FRAME)
    assert mask.dtype == bool
    assert list(mask.index) == list(FRAME.index)
    assert mask.tolist() == expected


def test_mask_on_datetime_and_integer_columns():
    frame = pd.DataFrame({"ADT": pd.to_datetime(["2024-01-01", None, "2024-03-01"]), "N": [1, 2, 3]})
    assert parse_where("ADT GE 2024-02-01").mask(frame).tolist() == [False, False, True]
    assert parse_where("N NOTIN (2)").mask(frame).tolist() == [True, False, True]
    with pytest.raises(SpecError, match="ADT holds dates"):
        parse_where("ADT EQ yesterday").mask(frame)


def test_mask_errors_are_spec_errors():
    with pytest.raises(SpecError, match="not a column"):
        parse_where("NOPE EQ 1").mask(FRAME)
    with pytest.raises(SpecError, match="is not a number"):
        parse_where("VISITNUM GT abc").mask(FRAME)


def test_empty_clause_holds_everywhere_and_input_is_not_changed():
    before = FRAME.copy()
    assert WhereClause(id="empty", conditions=()).mask(FRAME).tolist() == [True] * 5
    parse_where("LBTESTCD EQ ALT").mask(FRAME)
    pd.testing.assert_frame_equal(FRAME, before)


def test_unquoted_single_value_with_blanks_runs_to_and():
    """P21 workbooks write `DSCAT EQ DISPOSITION EVENT` unquoted; the value runs until AND or the end."""
    clause = parse_where("DSCAT EQ DISPOSITION EVENT and DSDECOD NE DEATH")
    assert [c.values for c in clause.conditions] == [("DISPOSITION EVENT",), ("DEATH",)]
    assert str(clause) == 'DSCAT EQ "DISPOSITION EVENT" AND DSDECOD NE DEATH'
