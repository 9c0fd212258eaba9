"""OIDs for everything a MetaDataVersion holds.

The ODM schema wants every OID among MetaDataVersion's children unique, whatever their kind, and def:leaf
IDs are XML IDs (NCName). OIDs follow the CDISC examples' prefixes (IG., IT., CL., MT., COM., VL., WC.,
LF., STD.); a spec id that already carries its prefix (`MT.SEQ`, `COM.DM`) is kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def oid_part(text: str) -> str:
    """`text` with runs of characters outside [A-Za-z0-9._-] as one '_' (never empty)."""
    part = _UNSAFE.sub("_", str(text).strip()).strip("_")
    return part or "X"


def prefixed(prefix: str, identifier: str) -> str:
    part = oid_part(identifier)
    return part if part.upper().startswith(prefix.upper() + ".") else f"{prefix}.{part}"


class Oids:
    """Hands out one OID per (kind, key), unique across the document: a clash gets `.2`, `.3`, ..."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, Hashable], str] = {}
        self._taken: set[str] = set()

    def _claim(self, kind: str, key: Hashable, wanted: str) -> str:
        found = self._by_key.get((kind, key))
        if found is not None:
            return found
        oid, n = wanted, 1
        while oid.casefold() in self._taken:
            n += 1
            oid = f"{wanted}.{n}"
        self._taken.add(oid.casefold())
        self._by_key[(kind, key)] = oid
        return oid

    def standard(self, oid: str) -> str:
        return self._claim("standard", oid, prefixed("STD", oid))

    def dataset(self, name: str) -> str:
        return self._claim("dataset", name.upper(), f"IG.{oid_part(name.upper())}")

    def item(self, dataset: str, variable: str) -> str:
        key = (dataset.upper(), variable.upper())
        return self._claim("item", key, f"IT.{oid_part(key[0])}.{oid_part(key[1])}")

    def value_list(self, dataset: str, variable: str) -> str:
        key = (dataset.upper(), variable.upper())
        return self._claim("value_list", key, f"VL.{oid_part(key[0])}.{oid_part(key[1])}")

    def where(self, dataset: str, key: Hashable, readable: str) -> str:
        return self._claim("where", (dataset.upper(), key), f"WC.{oid_part(dataset.upper())}.{oid_part(readable)}")

    def value_item(self, dataset: str, variable: str, where_oid: str) -> str:
        key = (dataset.upper(), variable.upper(), where_oid)
        tail = where_oid.split(".", 2)[-1] if where_oid.count(".") >= 2 else where_oid
        return self._claim("value_item", key, f"IT.{oid_part(key[0])}.{oid_part(key[1])}.{tail}")

    def codelist(self, identifier: str) -> str:
        return self._claim("codelist", identifier, prefixed("CL", identifier))

    def method(self, identifier: str) -> str:
        return self._claim("method", identifier, prefixed("MT", identifier))

    def comment(self, identifier: str) -> str:
        return self._claim("comment", identifier, prefixed("COM", identifier))

    def leaf(self, kind: str, identifier: str) -> str:
        """def:leaf ID: an XML NCName (letter first, no ':')."""
        return self._claim("leaf", (kind, identifier), prefixed("LF", identifier))

    def display(self, identifier: str) -> str:
        return self._claim("display", identifier, prefixed("RD", identifier))

    def result(self, identifier: str) -> str:
        return self._claim("result", identifier, prefixed("AR", identifier))


def where_readable(conditions) -> str:
    """A readable OID tail for conditions: `LBTESTCD.HGB`, `PARAMCD.IN.OVR.BOR` (EQ is implied)."""
    parts = []
    for condition in conditions:
        head = [condition.variable] if condition.comparator == "EQ" else [condition.variable, condition.comparator]
        parts.append(".".join(oid_part(p) for p in [*head, *condition.values]))
    return ".".join(parts)
