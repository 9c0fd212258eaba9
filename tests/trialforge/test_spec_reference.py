"""docs/spec-language.md is generated from the registries the engine runs on and cannot drift from them."""

from pathlib import Path

from sdtm.engine import RECORD_ALGORITHMS
from sdtm.steps import STEPS
from specs.model import ALGORITHMS
from trialforge.spec_reference import ALGORITHM_ENTRIES, STEP_EXAMPLES, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "spec-language.md"


def test_the_committed_reference_is_what_the_registries_say():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/spec-language.md is stale: run `python -m trialforge.spec_reference > docs/spec-language.md`")


def test_every_algorithm_and_derive_function_has_an_entry_and_no_entry_is_unknown():
    assert set(ALGORITHM_ENTRIES) == set(ALGORITHMS) | set(RECORD_ALGORITHMS)
    assert set(STEP_EXAMPLES) == set(STEPS)
    for name, (dataset, variable, arguments) in STEP_EXAMPLES.items():
        assert arguments.startswith(f"function={name}")
        assert STEPS[name].__doc__, f"derive function {name} has no docstring to describe it"
