import datetime as dt
import json

import pandas as pd
import pytest

from adam.parameters import StudyParameters
from trialforge.example_study import example_parameters_file
from specs.errors import DerivationError, InputError


def test_defaults_are_the_library_s_not_the_example_study_s():
    params = StudyParameters()
    assert (params.confirm_days, params.max_nr_ne, params.accept_sd, params.sd_min_days) == (28, 1, False, 42)
    assert params.data_cutoff is None and params.cutoff() > pd.Timestamp("2200-01-01")  # no cut-off
    assert params.crs_terms == () and params.crs_query_name is None
    assert (params.cart_excat, params.lymphodepletion_excat, params.new_therapy_cmcat, params.leukapheresis_prtrt,
            params.primary_diagnosis_mhcat, params.astct_grade_qnam, params.late_assessment_interval_days) == (None,) * 7


def test_the_example_study_s_parameters_are_in_its_package():
    params = StudyParameters.from_file(example_parameters_file())
    assert params.data_cutoff == dt.date(2025, 12, 31) and params.cutoff() == pd.Timestamp("2025-12-31")
    assert "Cytokine release syndrome" in params.crs_terms
    # what the example's ADaM spec states (which EXCAT is the cell product, the confirmation) is not repeated here
    assert (params.cart_excat, params.confirm_days) == (None, 28)
    layered = StudyParameters.from_file(example_parameters_file(), base=StudyParameters(confirm_days=21))
    assert layered.confirm_days == 21 and layered.data_cutoff == dt.date(2025, 12, 31)  # the file's over the base's


def test_optional_parameters_accept_none():
    params = StudyParameters(data_cutoff=dt.date(2025, 1, 1), crs_query_name="CRS")
    cleared = params.with_overrides(["data_cutoff=none", "crs_query_name="])
    assert cleared.data_cutoff is None and cleared.crs_query_name is None
    assert StudyParameters.from_mapping({"data_cutoff": None, "early_period_days": "168"}).early_period_days == 168


def test_overrides_convert_text_to_each_field_type():
    params = StudyParameters().with_overrides(
        ["confirm_days=21", "accept_sd=yes", "crs_terms=CRS| Cytokine storm", "data_cutoff=2025-06-30",
         "response_evaluator = INDEPENDENT ASSESSOR"])
    assert params.confirm_days == 21
    assert params.accept_sd is True
    assert params.crs_terms == ("CRS", "Cytokine storm")
    assert StudyParameters().with_overrides(["not_enrolled_armnrs=ASSIGNED, NOT TREATED"]).not_enrolled_armnrs == (
        "ASSIGNED, NOT TREATED",)
    assert StudyParameters().with_overrides(["age_group_cuts=50,65"]).age_group_cuts == (50, 65)
    assert params.data_cutoff == dt.date(2025, 6, 30)
    assert params.response_evaluator == "INDEPENDENT ASSESSOR"


def test_overrides_leave_the_original_untouched():
    original = StudyParameters()
    original.with_overrides(["sd_min_days=56"])
    assert original.sd_min_days == 42


def test_every_bad_override_is_reported_at_once():
    with pytest.raises(DerivationError) as caught:
        StudyParameters().with_overrides(["nonsense=1", "confirm_days=four", "no_equals_sign",
                                          "data_cutoff=2025-13", "accept_sd=maybe", "max_nr_ne=-1"])
    message = str(caught.value)
    for fragment in ("unknown parameter 'nonsense'", "'confirm_days'", "'no_equals_sign' is not of the form",
                     "'data_cutoff'", "'accept_sd'", "'max_nr_ne'"):
        assert fragment in message
    assert len(caught.value.problems) == 6


def test_from_mapping_takes_typed_values_and_rejects_wrong_types():
    params = StudyParameters.from_mapping({"confirm_days": 35, "related_aerel": ["RELATED"],
                                           "data_cutoff": dt.date(2025, 1, 31)})
    assert params.confirm_days == 35 and params.related_aerel == ("RELATED",)
    with pytest.raises(DerivationError, match="crs_query_name"):
        StudyParameters.from_mapping({"crs_query_name": 5})
    with pytest.raises(DerivationError, match="confirm_days"):
        StudyParameters.from_mapping({"confirm_days": 2.5})


def test_from_file_reads_yaml_and_json(tmp_path):
    yaml_file = tmp_path / "params.yaml"
    yaml_file.write_text("confirm_days: 21\nneurotoxicity_terms:\n  - Tremor\n  - Aphasia\n")
    assert StudyParameters.from_file(yaml_file).neurotoxicity_terms == ("Tremor", "Aphasia")
    json_file = tmp_path / "params.json"
    json_file.write_text(json.dumps({"sd_min_days": 56}))
    assert StudyParameters.from_file(json_file).sd_min_days == 56


def test_from_file_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        StudyParameters.from_file(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("confirm_days: [28\n")
    with pytest.raises(InputError, match="broken.yaml"):
        StudyParameters.from_file(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- confirm_days\n")
    with pytest.raises(InputError, match="one mapping"):
        StudyParameters.from_file(listed)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("confirmdays: 28\n")
    with pytest.raises(DerivationError, match="unknown.yaml.*confirmdays"):
        StudyParameters.from_file(unknown)
