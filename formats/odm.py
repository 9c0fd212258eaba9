"""CDISC ODM 1.3 clinical data: read into one frame per form, and written from frames.

Reading (`read_odm`) goes through the hardened parser of `formats.safexml`: no entity is expanded, no DTD
loaded, nothing fetched; a document that declares entities (the "billion laughs") is refused. Every
`ItemGroupData` of every `ClinicalData` becomes one record of its form (`FormData/@FormOID`), with the keys
above it as columns (CONTEXT_COLUMNS: SubjectKey, the site's LocationOID, StudyEventOID, StudyEventRepeatKey,
FormRepeatKey, ItemGroupOID, ItemGroupRepeatKey) and one column per ItemOID: the union over the form's
records, "" where a record has no such item. Every value is text as the file holds it; an `ItemData` with
IsNull="Yes" is "". ODM 1.3.2's typed items (`ItemDataString`, `ItemDataDate`, ...) hold the value as text.

Provenance: `__row` is the line the `ItemGroupData` element starts on. A file that puts several item groups
on one line (a file written without line breaks) cannot be pointed into by line; its records are then
numbered 1, 2, ... in document order over the whole file, and `OdmData.rows` says "record" instead of "line".

What cannot be read is an InputError listing every problem with its line: an element without its key
(SubjectKey, StudyEventOID, FormOID, ItemGroupOID, ItemOID), an item given twice in one item group, a
Remove transaction (trialforge reads snapshots, not an audit trail to replay), clinical data of more than
one study, a control character in a value.

Writing (`write_odm`) nests the records of several forms as ODM does (subject, study event, form, item
group) with every column an `ItemData` (blank values as IsNull="Yes"), one element per line. Subjects, and
each subject's study events, are ordered so that every form's records keep their order where the forms
agree on it (the example's extracts do), so reading the file back gives each frame as it was.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from formats.safexml import parse_user_xml
from specs.errors import InputError, Problem

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
CONTEXT_COLUMNS = ("SubjectKey", "LocationOID", "StudyEventOID", "StudyEventRepeatKey", "FormRepeatKey",
                   "ItemGroupOID", "ItemGroupRepeatKey")
ROW = "__row"
MAX_LISTED = 20  # problems listed before the rest are counted
_EXPECTED = "a CDISC ODM 1.3 XML file with ClinicalData"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class OdmData:
    """The clinical data of one ODM file."""

    forms: dict[str, pd.DataFrame]  # FormOID -> records (CONTEXT_COLUMNS, ItemOIDs, __row), all text
    study_oid: str | None
    rows: str  # what __row counts: "line" (the line an ItemGroupData starts on) or "record" (its number)


def read_odm(path: str | Path) -> OdmData:
    """The ClinicalData of the ODM 1.3 file at `path`, one frame per FormOID; InputError listing every problem."""
    where = str(path)
    tree = parse_user_xml(path, "ODM file", _EXPECTED)
    root = tree.getroot()
    namespace, _, name = _split(root.tag)
    if name != "ODM":
        raise InputError(f"{where}: not an ODM file", [Problem(where, f"the root element is <{name}>, not <ODM>; "
                                                                     f"expected {_EXPECTED}", row=root.sourceline)])
    if namespace not in (ODM_NS, ""):
        raise InputError(f"{where}: not ODM 1.3", [Problem(where, f"the ODM namespace is {namespace!r}; trialforge "
                                                                  f"reads ODM 1.3 ({ODM_NS})", row=root.sourceline)])
    reader = _Reader(where, namespace)
    reader.read(root)
    if reader.problems:
        shown = reader.problems[:MAX_LISTED]
        if len(reader.problems) > MAX_LISTED:
            shown.append(Problem(where, f"... and {len(reader.problems) - MAX_LISTED} more problems"))
        raise InputError(f"{where}: the ODM clinical data cannot be read as it is", shown)
    return reader.result()


def _split(tag) -> tuple[str, str, str]:
    """(namespace, "}", local name) of an element tag ("" namespace when it has none)."""
    if not isinstance(tag, str):
        return "", "", ""  # a comment or processing instruction
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, "}", name
    return "", "", tag


class _Reader:
    """Walks ClinicalData > SubjectData > StudyEventData > FormData > ItemGroupData > ItemData."""

    def __init__(self, where: str, namespace: str):
        self.where = where
        self.prefix = f"{{{namespace}}}" if namespace else ""
        self.problems: list[Problem] = []
        self.studies: list[str] = []
        self.records: dict[str, list[dict[str, str]]] = {}
        self.lines: dict[str, list[int]] = {}
        self.order: dict[str, list[int]] = {}  # per form: each record's number in the whole file
        self.count = 0

    def problem(self, element, message: str) -> None:
        self.problems.append(Problem(self.where, message, row=element.sourceline))

    def key(self, element, attribute: str) -> str | None:
        value = element.get(attribute)
        if value is None or not value.strip():
            _, _, name = _split(element.tag)
            self.problem(element, f"<{name}> on line {element.sourceline} has no {attribute}; every {name} needs one")
            return None
        if (element.get("TransactionType") or "").casefold() == "remove":
            _, _, name = _split(element.tag)
            self.problem(element, f"<{name} {attribute}={value!r}> on line {element.sourceline} is a Remove "
                                  "transaction; trialforge reads snapshot data, not transactions to replay: export "
                                  "a snapshot (FileType Snapshot)")
        return value

    def children(self, element, name: str):
        return element.iterchildren(self.prefix + name)

    def read(self, root) -> None:
        for clinical in self.children(root, "ClinicalData"):
            study = self.key(clinical, "StudyOID")
            if study is not None and study not in self.studies:
                self.studies.append(study)
            for subject in self.children(clinical, "SubjectData"):
                self.subject(subject)
        if len(self.studies) > 1:
            self.problems.append(Problem(self.where, f"the file holds clinical data of {len(self.studies)} studies "
                                                     f"({', '.join(self.studies)}); one study is built at a time"))

    def subject(self, subject) -> None:
        key = self.key(subject, "SubjectKey")
        site = next((s.get("LocationOID") or "" for s in self.children(subject, "SiteRef")), "")
        for event in self.children(subject, "StudyEventData"):
            event_oid = self.key(event, "StudyEventOID")
            for form in self.children(event, "FormData"):
                form_oid = self.key(form, "FormOID")
                for group in self.children(form, "ItemGroupData"):
                    self.count += 1
                    context = {"SubjectKey": key, "LocationOID": site, "StudyEventOID": event_oid,
                               "StudyEventRepeatKey": event.get("StudyEventRepeatKey", ""),
                               "FormRepeatKey": form.get("FormRepeatKey", ""),
                               "ItemGroupOID": self.key(group, "ItemGroupOID"),
                               "ItemGroupRepeatKey": group.get("ItemGroupRepeatKey", "")}
                    items = self.items(group)
                    if key is None or event_oid is None or form_oid is None or items is None:
                        continue
                    self.records.setdefault(form_oid, []).append({**context, **items})
                    self.lines.setdefault(form_oid, []).append(group.sourceline)
                    self.order.setdefault(form_oid, []).append(self.count)

    def items(self, group) -> dict[str, str] | None:
        values: dict[str, str] = {}
        ok = True
        for item in group.iterchildren():
            namespace, _, name = _split(item.tag)
            if not name.startswith("ItemData") or (self.prefix and f"{{{namespace}}}" != self.prefix):
                continue  # AuditRecord, Annotation, Signature, a vendor's extension
            oid = self.key(item, "ItemOID")
            if oid is None:
                ok = False
                continue
            if oid in values or oid in CONTEXT_COLUMNS:
                why = "is given twice in one item group" if oid in values else "is also the name of a key column"
                self.problem(item, f"ItemOID {oid!r} on line {item.sourceline} {why}; which value is meant is unclear")
                ok = False
                continue
            if (item.get("IsNull") or "").casefold() == "yes":
                value = ""
            else:
                value = item.get("Value") if name == "ItemData" else (item.text or "")
                value = value or ""
            if _CONTROL.search(value):
                char = _CONTROL.search(value).group()
                self.problem(item, f"the value {value!r} of ItemOID {oid} on line {item.sourceline} holds the "
                                   f"control character U+{ord(char):04X}; a raw value may not hold control characters")
                ok = False
            values[oid] = value
        return values if ok else None

    def result(self) -> OdmData:
        every = [line for lines in self.lines.values() for line in lines]
        by_line = len(set(every)) == len(every)
        forms = {}
        for form, records in self.records.items():
            frame = pd.DataFrame.from_records(records).fillna("").astype(object)
            frame = frame.astype({c: "str" for c in frame.columns})
            frame[ROW] = np.asarray(self.lines[form] if by_line else self.order[form], dtype=np.int64)
            forms[form] = frame
        return OdmData(forms=forms, study_oid=self.studies[0] if self.studies else None,
                       rows="line" if by_line else "record")


# --- writing ----------------------------------------------------------------------------------------------------


def write_odm(forms: Mapping[str, pd.DataFrame], path: str | Path, study_oid: str, subject_column: str,
              visit_column: str, instance_column: str | None = None, *, site_column: str | None = None,
              created: str = "2000-01-01T00:00:00", file_oid: str | None = None) -> bytes:
    """Write `forms` (FormOID -> frame of text values) as one ODM 1.3.2 snapshot file; returns its bytes.

    Each record becomes an ItemGroupData (ItemGroupOID = FormOID, ItemGroupRepeatKey 1, 2, ... within its
    form) in the FormData of its subject (`subject_column`) and study event (`visit_column`, repeat key
    `instance_column`), and each of its columns an ItemData (ItemOID = column name); `site_column` gives
    the subject's SiteRef. `created` is the ODM CreationDateTime: pass a fixed one for identical files.
    A key that is blank, or a value XML cannot hold (a control character), is a ValueError naming it.
    """
    frames = {form: frame.reset_index(drop=True) for form, frame in forms.items()}
    for form, frame in frames.items():
        _check_writable(form, frame, [c for c in (subject_column, visit_column) if c])
    ordered = _document_order(frames, subject_column, visit_column, instance_column)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<ODM xmlns="{ODM_NS}" ODMVersion="1.3.2" FileType="Snapshot" '
             f'FileOID={_attr(file_oid or study_oid + ".RAW")} CreationDateTime={_attr(created)}>',
             f' <ClinicalData StudyOID={_attr(study_oid)} MetaDataVersionOID="MDV.1">']
    items = {form: _item_lines(frame) for form, frame in frames.items()}
    subject = event = None
    group = None
    for form, index, subject_key, event_key in ordered:
        frame = frames[form]
        if subject_key != subject:
            if subject is not None:
                lines += ["    </FormData>", "   </StudyEventData>", "  </SubjectData>"]
            lines.append(f"  <SubjectData SubjectKey={_attr(subject_key)}>")
            if site_column:
                lines.append(f"   <SiteRef LocationOID={_attr(str(frame.at[index, site_column]))}/>")
            subject, event, group = subject_key, None, None
        if event_key != event:
            if event is not None:
                lines += ["    </FormData>", "   </StudyEventData>"]
            visit, instance = event_key
            repeat = f" StudyEventRepeatKey={_attr(instance)}" if instance_column else ""
            lines.append(f"   <StudyEventData StudyEventOID={_attr(visit)}{repeat}>")
            event, group = event_key, None
        if group is None or group[0] != form:
            if group is not None:
                lines.append("    </FormData>")
            lines.append(f"    <FormData FormOID={_attr(form)}>")
            group = [form, 0]
        group[1] += 1
        lines.append(f'     <ItemGroupData ItemGroupOID={_attr(form)} ItemGroupRepeatKey="{group[1]}">')
        lines.append(items[form][index])
        lines.append("     </ItemGroupData>")
    if subject is not None:
        lines += ["    </FormData>", "   </StudyEventData>", "  </SubjectData>"]
    lines += [" </ClinicalData>", "</ODM>", ""]
    data = "\n".join(lines).encode("utf-8")
    Path(path).write_bytes(data)
    return data


def _check_writable(form: str, frame: pd.DataFrame, keys: Sequence[str]) -> None:
    for column in keys:
        if column not in frame.columns:
            raise ValueError(f"form {form} has no column {column!r}")
        blank = frame[column].astype(str).str.strip() == ""
        if blank.any():
            raise ValueError(f"form {form}: record {int(np.flatnonzero(blank)[0]) + 1} has no {column}, which ODM "
                             "needs as a key")
    for column in frame.columns:
        bad = frame[column].astype(str).str.contains(_XML_FORBIDDEN)
        if bad.any():
            raise ValueError(f"form {form}: column {column}, record {int(np.flatnonzero(bad)[0]) + 1} holds a "
                             "control character, which XML 1.0 cannot hold")


def _item_lines(frame: pd.DataFrame) -> list[str]:
    """Per record: its ItemData elements, one per line (blank values as IsNull="Yes")."""
    text = None
    for column in frame.columns:
        values = frame[column].fillna("").astype(str).astype(object)
        head = f"      <ItemData ItemOID={_attr(str(column))} "
        element = (head + 'Value="' + _escape(values) + '"/>').where(values != "", head + 'IsNull="Yes"/>')
        text = element if text is None else text + "\n" + element
    return text.tolist() if text is not None else [""] * len(frame)


_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"),
            ("\r", "&#13;"))


def _escape(values: pd.Series) -> pd.Series:
    """Attribute text: markup escaped, and tab, line feed and carriage return as character references, which
    XML attribute normalisation would otherwise turn into spaces."""
    for char, entity in _ESCAPES:
        if values.str.contains(char, regex=False).any():
            values = values.str.replace(char, entity, regex=False)
    return values


def _attr(value: str) -> str:
    for char, entity in _ESCAPES:
        value = value.replace(char, entity)
    return f'"{value}"'


def _document_order(frames: Mapping[str, pd.DataFrame], subject_column: str, visit_column: str,
                    instance_column: str | None) -> list[tuple[str, int, str, tuple[str, str]]]:
    """(form, record index, subject, (visit, instance)) in the order the records are written."""
    keyed = []
    for rank, (form, frame) in enumerate(frames.items()):
        subjects = frame[subject_column].astype(str)
        events = list(zip(frame[visit_column].astype(str),
                          frame[instance_column].astype(str) if instance_column else [""] * len(frame)))
        keyed.append((rank, form, subjects.tolist(), events))
    subject_rank = _merged_order([_runs(subjects) for _, _, subjects, _ in keyed])
    event_sequences: dict[str, list[list]] = {}
    for _, _, subjects, events in keyed:
        per_subject: dict[str, list] = {}
        for subject, event in zip(subjects, events):
            per_subject.setdefault(subject, []).append(event)
        for subject, sequence in per_subject.items():
            event_sequences.setdefault(subject, []).append(_runs(sequence))
    event_rank = {subject: _merged_order(sequences) for subject, sequences in event_sequences.items()}
    order = []
    for rank, form, subjects, events in keyed:
        for index, (subject, event) in enumerate(zip(subjects, events)):
            order.append((subject_rank[subject], event_rank[subject][event], rank, index, form, subject, event))
    order.sort(key=lambda o: o[:4])
    return [(form, index, subject, event) for _, _, _, index, form, subject, event in order]


def _runs(values: Iterable) -> list:
    """The values with repeats in a row collapsed: [a, a, b, a] -> [a, b, a]."""
    runs: list = []
    for value in values:
        if not runs or runs[-1] != value:
            runs.append(value)
    return runs


def _merged_order(sequences: Sequence[Sequence]) -> dict:
    """A rank for every value such that each sequence's order is kept where the sequences agree (a stable
    topological sort, ties by first appearance); values in a conflicting order keep their first appearance."""
    first: dict = {}
    after: dict = {}
    waiting: dict = {}
    for sequence in sequences:
        for value in sequence:
            first.setdefault(value, len(first))
            after.setdefault(value, set())
            waiting.setdefault(value, 0)
        for a, b in zip(sequence, sequence[1:]):
            if a != b and b not in after[a]:
                after[a].add(b)
                waiting[b] += 1
    ready = [(first[v], v) for v, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    rank: dict = {}
    while len(rank) < len(first):
        if not ready:  # a cycle: the forms disagree; take the earliest value still waiting
            value = min((v for v in first if v not in rank), key=first.__getitem__)
            waiting[value] = 0
        else:
            value = heapq.heappop(ready)[1]
            if value in rank:
                continue
        rank[value] = len(rank)
        for successor in after[value]:
            waiting[successor] -= 1
            if waiting[successor] == 0 and successor not in rank:
                heapq.heappush(ready, (first[successor], successor))
    return rank
