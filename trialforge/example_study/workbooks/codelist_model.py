"""Codelists as authored (terms, decodes, collected spellings) -> Codelists-sheet rows with NCI codes from CT.

NCI codes are never typed by hand: a CDISC codelist names its CT codelist by short name, and every
term's code is looked up in the bundled CT. A term missing from CT is an error unless it is marked as a
sponsor extension of an extensible codelist; sponsor-defined codelists carry no codes at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.errors import SpecError
from trialforge.example_study.workbooks.common import Row
from specs.terminology import Terminology


@dataclass(frozen=True)
class Term:
    value: str
    decode: str = ""
    collected: tuple[str, ...] = ()
    extension: bool = False  # sponsor extension of an extensible CDISC codelist


@dataclass(frozen=True)
class Codelist:
    id: str
    name: str
    cdisc: str | None  # CT codelist short name or C-code; None = sponsor-defined
    terms: tuple[Term, ...]
    data_type: str = "text"
    package: str = "sdtm"  # which CT package `cdisc` is in: sdtm, adam, define-xml
    standard: str = ""  # Standards-sheet OID of that package (Terminology column)


def term(value: str, decode: str = "", collected: str = "", extension: bool = False) -> Term:
    """A term; `collected` is the `|`-separated raw spellings that map to it."""
    spellings = tuple(s.strip() for s in collected.split("|") if s.strip())
    return Term(value, decode, spellings, extension)


def terms(*values: str) -> tuple[Term, ...]:
    """Terms without decodes or collected spellings."""
    return tuple(Term(v) for v in values)


def codelist_rows(codelists: list[Codelist], ct: dict[str, Terminology]) -> list[Row]:
    """Codelists-sheet rows; raises SpecError listing every term or codelist not found in CT."""
    rows: list[Row] = []
    problems: list[str] = []
    seen: set[str] = set()
    for cl in codelists:
        if cl.id in seen:
            problems.append(f"codelist id {cl.id} defined twice")
        seen.add(cl.id)
        nci_codelist, cdisc_terms, extensible = "", None, True
        if cl.cdisc:
            package = ct[cl.package]
            header = package.header(cl.cdisc)
            nci_codelist, extensible = str(header["code"]), bool(header["extensible"])
            cdisc_terms = package.terms(cl.cdisc)
        for order, t in enumerate(cl.terms, start=1):
            code = ""
            if cdisc_terms is not None:
                hit = cdisc_terms[cdisc_terms["submission_value"] == t.value]
                if len(hit) and t.extension:
                    problems.append(f"{cl.id}: {t.value!r} is a CDISC term, not an extension")
                elif len(hit):
                    code = str(hit.iloc[0]["code"])
                elif not t.extension:
                    problems.append(f"{cl.id}: {t.value!r} is not a term of {cl.cdisc} (mark it as an extension?)")
                elif not extensible:
                    problems.append(f"{cl.id}: {cl.cdisc} is not extensible; {t.value!r} cannot be added")
            rows.append({
                "ID": cl.id, "Name": cl.name, "NCI Codelist Code": nci_codelist, "Data Type": cl.data_type,
                "Terminology": cl.standard if cl.cdisc else "", "Order": str(order), "Term": t.value,
                "NCI Term Code": code, "Decoded Value": t.decode, "Collected Values": "|".join(t.collected),
            })
    if problems:
        raise SpecError("codelists do not match CDISC CT:\n" + "\n".join(problems))
    return rows
