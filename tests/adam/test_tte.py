import logging

import pandas as pd
import pytest

from adam.tte import CensorSource, EventSource, derive_param_tte
from specs.errors import DerivationError

D = pd.Timestamp


def subjects(*ids):
    return pd.DataFrame({"USUBJID": list(ids), "STARTDT": D("2024-01-01")})


ADSL = pd.DataFrame({
    "USUBJID": ["A", "B", "C", "D"],
    "DTHDT": [D("2024-03-01"), pd.NaT, D("2024-02-01"), pd.NaT],
    "LSTALVDT": [D("2024-03-01"), D("2024-05-01"), D("2024-01-20"), pd.NaT],
})
ADRS = pd.DataFrame({
    "USUBJID": ["A", "A", "B", "C", "C"],
    "PARAMCD": ["PD", "OVR", "OVR", "PD", "OVR"],
    "AVALC": ["Y", "SD", "SD", "Y", "SD"],
    "ADT": [D("2024-03-01"), D("2024-02-10"), D("2024-04-01"), D("2024-02-15"), D("2024-01-20")],
    "ASEQ": [5, 1, 1, 5, 1],
})
SOURCES = {"ADSL": ADSL, "ADRS": ADRS}
DEATH = EventSource("death", "ADSL", "DTHDT", "DTHDT.notna()", {"EVNTDESC": "DEATH", "SRCDOM": "ADSL"})
PD_EVENT = EventSource("progression", "ADRS", "ADT", "PARAMCD == 'PD' and AVALC == 'Y'",
                       {"EVNTDESC": "PD", "SRCDOM": "ADRS"}, seq_var="ASEQ")
LAST_ASSESSMENT = CensorSource("last assessment", "ADRS", "ADT", lambda f: f["PARAMCD"] == "OVR",
                               {"EVNTDESC": "CENSORED", "CNSDTDSC": "LAST ASSESSMENT"}, seq_var="ASEQ", censor=1)
ALIVE = CensorSource("alive", "ADSL", "LSTALVDT", None, {"EVNTDESC": "ALIVE"}, censor=2)


def by_subject(frame):
    return {row.USUBJID: row for row in frame.itertuples()}


def test_same_date_events_go_by_list_order():
    """admiral#2639: which event is taken when two fall on the same date - the one listed first."""
    result = by_subject(derive_param_tte(subjects("A"), SOURCES, [DEATH, PD_EVENT], [ALIVE], "T"))
    assert (result["A"].EVNTDESC, result["A"].CNSR) == ("DEATH", 0)
    result = by_subject(derive_param_tte(subjects("A"), SOURCES, [PD_EVENT, DEATH], [ALIVE], "T"))
    assert (result["A"].EVNTDESC, result["A"].SRCSEQ) == ("PD", 5)


def test_the_earliest_event_wins_over_list_order():
    result = by_subject(derive_param_tte(subjects("C"), SOURCES, [DEATH, PD_EVENT], [ALIVE], "T"))
    assert (result["C"].EVNTDESC, result["C"].ADT) == ("DEATH", D("2024-02-01"))


def test_an_event_on_the_censoring_date_wins():
    """Our answer to the event-versus-censoring tie: A dies on the date last known alive -> event."""
    result = by_subject(derive_param_tte(subjects("A"), SOURCES, [DEATH], [ALIVE], "OS"))
    assert (result["A"].CNSR, result["A"].ADT, result["A"].AVAL) == (0, D("2024-03-01"), 61.0)


def test_censoring_sources_go_by_priority_not_by_date():
    # B: last assessment 2024-04-01 (listed first) beats last known alive 2024-05-01
    result = by_subject(derive_param_tte(subjects("B"), SOURCES, [DEATH], [LAST_ASSESSMENT, ALIVE], "PFS"))
    assert (result["B"].CNSR, result["B"].ADT, result["B"].CNSDTDSC) == (1, D("2024-04-01"), "LAST ASSESSMENT")
    result = by_subject(derive_param_tte(subjects("B"), SOURCES, [DEATH], [ALIVE, LAST_ASSESSMENT], "PFS"))
    assert (result["B"].CNSR, result["B"].ADT) == (2, D("2024-05-01"))
    assert pd.isna(result["B"].SRCSEQ)


def test_censoring_mode_first_takes_the_earliest_record():
    first = CensorSource("first assessment", "ADRS", "ADT", None, censor=3, mode="first")
    result = by_subject(derive_param_tte(subjects("C"), SOURCES, [], [first], "T"))
    assert result["C"].ADT == D("2024-01-20")


def test_dates_before_start_are_moved_to_start_and_subjects_without_any_source_are_logged(caplog):
    start = pd.DataFrame({"USUBJID": ["B", "D"], "STARTDT": [D("2024-06-01"), D("2024-01-01")]})
    with caplog.at_level(logging.WARNING):
        result = by_subject(derive_param_tte(start, SOURCES, [DEATH], [ALIVE], "T"))
    assert (result["B"].ADT, result["B"].AVAL) == (D("2024-06-01"), 1.0)
    assert "D" not in result and "1 subject(s) have neither" in caplog.text


def test_context_columns_can_be_used_in_conditions():
    context = pd.DataFrame({"USUBJID": ["A", "C"], "EXCLUDED": ["Y", "N"]})
    death = EventSource("death unless excluded", "ADSL", "DTHDT", "EXCLUDED != 'Y'", {"EVNTDESC": "DEATH"})
    result = by_subject(derive_param_tte(subjects("A", "C"), SOURCES, [death], [ALIVE], "T", context))
    assert (result["A"].CNSR, result["C"].CNSR) == (2, 0)


def test_errors_name_the_source():
    with pytest.raises(DerivationError, match="needs dataset ADTR"):
        derive_param_tte(subjects("A"), SOURCES, [EventSource("x", "ADTR", "ADT")], [], "T")
    with pytest.raises(DerivationError, match="'broken' on ADSL failed"):
        derive_param_tte(subjects("A"), SOURCES, [EventSource("broken", "ADSL", "DTHDT", "NOSUCH == 1")], [], "T")
    with pytest.raises(DerivationError, match="lacks ADT"):
        derive_param_tte(subjects("A"), SOURCES, [EventSource("x", "ADSL", "ADT")], [], "T")
    with pytest.raises(ValueError):
        CensorSource("bad", "ADSL", "LSTALVDT", censor=0)
    with pytest.raises(ValueError):
        EventSource("bad", "ADSL", "DTHDT", censor=1)
    with pytest.raises(ValueError, match="CNSR"):
        EventSource("bad", "ADSL", "DTHDT", set_values={"CNSR": 3})


def test_extra_set_values_become_variables():
    death = EventSource("death", "ADSL", "DTHDT", None, {"EVNTDESC": "DEATH", "EVNTCAT": "FATAL"})
    result = by_subject(derive_param_tte(subjects("A", "B"), SOURCES, [death], [ALIVE], "T"))
    assert result["A"].EVNTCAT == "FATAL" and pd.isna(result["B"].EVNTCAT)
