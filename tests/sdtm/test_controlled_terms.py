import pandas as pd
import pytest

from sdtm.controlled_terms import build_lookup, map_values


def test_maps_case_and_blank_insensitively_and_reports_unmapped():
    lookup = build_lookup([("M", ["Male"]), ("F", ["Female", "woman"])])
    mapped, unmapped = map_values(pd.Series(["male", " MALE ", "F", "Woman", "other", "", None]), lookup)
    assert mapped.tolist() == ["M", "M", "F", "F", None, None, None]
    assert unmapped.tolist() == [False, False, False, False, True, False, False]


def test_ambiguous_spelling_is_refused():
    with pytest.raises(ValueError, match="'Unk' maps to both"):
        build_lookup([("U", ["Unk"]), ("UNKNOWN", ["Unk"])])


def test_term_value_wins_over_another_terms_synonym():
    for terms in ([("NA", []), ("N", ["NA"])], [("N", ["NA"]), ("NA", [])]):
        assert build_lookup(terms)["na"] == "NA"
