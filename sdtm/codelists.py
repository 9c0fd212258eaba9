"""The spelling -> submission value lookup of a variable's codelist, as the spec defines it.

Spellings come from three places, in this order of trust: the term itself, the `Collected Values` the
spec lists for it, and the CDISC synonyms of its NCI code in the bundled CT. A term the spec does not
list is never reached, so an extensible codelist grows only where the spec extends it.
"""

from __future__ import annotations

from sdtm.controlled_terms import build_lookup
from specs.errors import MappingError
from specs.terminology import synonym_list, term_synonyms


def lookup_for_codelist(spec, codelist_id: str, where: str) -> dict[str, str]:
    """Spelling -> term for one spec codelist; `where` names the variable for error messages."""
    try:
        codelist = spec.codelist(codelist_id)
    except KeyError:
        raise MappingError(f"{where}: codelist {codelist_id} is not in the spec's Codelists") from None
    synonyms = _ct_synonyms()
    terms = [(item.term, [*item.collected_values, *synonym_list(synonyms.get(item.nci_code or "", ""))])
             for item in codelist.items]
    try:
        return build_lookup(terms)
    except ValueError as exc:
        raise MappingError(f"codelist {codelist_id} (sheet Codelists, row {codelist.row}): {exc}") from exc


def _ct_synonyms() -> dict[str, str]:
    """NCI term code -> its published synonym cell (split only for the terms a spec uses)."""
    cached = getattr(_ct_synonyms, "_cache", None)
    if cached is None:
        cached = _ct_synonyms._cache = term_synonyms("sdtm")
    return cached
