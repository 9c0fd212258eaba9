"""CDISC ODM 1.3 clinical data: one frame per form with its keys and items, provenance lines, hostile files
refused with the line at fault, and a writer whose files read back as the frames written."""

from __future__ import annotations

import pandas as pd
import pytest

from formats.odm import CONTEXT_COLUMNS, ROW, read_odm, write_odm
from specs.errors import InputError

NS = 'xmlns="http://www.cdisc.org/ns/odm/v1.3"'


def odm(body: str, head: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{head}<ODM {NS} ODMVersion="1.3.2" '
            f'FileType="Snapshot" FileOID="F" CreationDateTime="2024-01-01T00:00:00">\n'
            f'<ClinicalData StudyOID="S1" MetaDataVersionOID="V1">\n{body}\n</ClinicalData>\n</ODM>\n')


TWO_SUBJECTS = """<SubjectData SubjectKey="01-001">
<SiteRef LocationOID="SITE01"/>
<StudyEventData StudyEventOID="SCR" StudyEventRepeatKey="1">
<FormData FormOID="AE" FormRepeatKey="1">
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="1">
<ItemData ItemOID="AETERM" Value="Headache &amp; &quot;nausea&quot;"/>
<ItemData ItemOID="AESEV" Value=" MILD "/>
<AuditRecord><UserRef UserOID="u"/><LocationRef LocationOID="L"/><DateTimeStamp>2024-01-01T00:00:00</DateTimeStamp></AuditRecord>
</ItemGroupData>
<ItemGroupData ItemGroupOID="IG.AE" ItemGroupRepeatKey="2">
<ItemData ItemOID="AETERM" Value="Rash&#10;on arm"/>
<ItemDataString ItemOID="AEOUT">RECOVERED</ItemDataString>
<ItemData ItemOID="AESEV" IsNull="Yes"/>
</ItemGroupData>
</FormData>
<FormData FormOID="DM"><ItemGroupData ItemGroupOID="IG.DM"><ItemData ItemOID="SEX" Value="F"/></ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>
<SubjectData SubjectKey="01-002">
<StudyEventData StudyEventOID="LOG">
<FormData FormOID="AE">
<ItemGroupData ItemGroupOID="IG.AE">
<ItemData ItemOID="AETERM" Value="Fatigue"/>
</ItemGroupData>
</FormData>
</StudyEventData>
</SubjectData>"""


def write(tmp_path, text: str, name="study.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        read_odm(write(tmp_path, text))
    return caught.value


# --- reading ------------------------------------------------------------------------------------------------------

def test_one_frame_per_form_with_keys_items_and_lines(tmp_path):
    data = read_odm(write(tmp_path, odm(TWO_SUBJECTS)))
    assert sorted(data.forms) == ["AE", "DM"] and data.study_oid == "S1" and data.rows == "line"
    ae = data.forms["AE"]
    assert list(ae.columns) == [*CONTEXT_COLUMNS, "AETERM", "AESEV", "AEOUT", ROW]  # the union, first seen first
    assert ae["SubjectKey"].tolist() == ["01-001", "01-001", "01-002"]
    assert ae["LocationOID"].tolist() == ["SITE01", "SITE01", ""]
    assert ae["StudyEventOID"].tolist() == ["SCR", "SCR", "LOG"]
    assert ae["StudyEventRepeatKey"].tolist() == ["1", "1", ""]
    assert ae["FormRepeatKey"].tolist() == ["1", "1", ""]
    assert ae["ItemGroupRepeatKey"].tolist() == ["1", "2", ""]
    assert ae["AETERM"].tolist() == ['Headache & "nausea"', "Rash\non arm", "Fatigue"]
    assert ae["AESEV"].tolist() == [" MILD ", "", ""]  # IsNull and a missing item are both ""
    assert ae["AEOUT"].tolist() == ["", "RECOVERED", ""]  # a typed ODM 1.3.2 item holds its value as text
    assert ae[ROW].tolist() == [8, 13, 26] and ae[ROW].dtype == "int64"
    assert data.forms["DM"]["SEX"].tolist() == ["F"] and data.forms["DM"][ROW].tolist() == [19]
    assert all(isinstance(v, str) for c in ae.columns if c != ROW for v in ae[c])


def test_a_file_without_line_breaks_numbers_its_records_in_document_order(tmp_path):
    data = read_odm(write(tmp_path, odm(TWO_SUBJECTS).replace("\n", "")))
    assert data.rows == "record"
    assert data.forms["AE"][ROW].tolist() == [1, 2, 4] and data.forms["DM"][ROW].tolist() == [3]


def test_a_file_without_namespace_is_read_too(tmp_path):
    data = read_odm(write(tmp_path, odm(TWO_SUBJECTS).replace(f" {NS}", "")))
    assert data.forms["AE"]["AETERM"].tolist()[-1] == "Fatigue"


def test_no_clinical_data_gives_no_forms(tmp_path):
    text = f'<ODM {NS} FileOID="F"><Study OID="S"/></ODM>'
    assert read_odm(write(tmp_path, text)).forms == {}


@pytest.mark.parametrize("old, new, line, words", [
    ('<SubjectData SubjectKey="01-002">', "<SubjectData>", 23, "no SubjectKey"),
    ('<SubjectData SubjectKey="01-002">', '<SubjectData SubjectKey=" ">', 23, "no SubjectKey"),
    ('<StudyEventData StudyEventOID="LOG">', "<StudyEventData>", 24, "no StudyEventOID"),
    ('<FormData FormOID="DM">', "<FormData>", 19, "no FormOID"),
    ('<ItemData ItemOID="AETERM" Value="Fatigue"/>', '<ItemData Value="Fatigue"/>', 27, "no ItemOID"),
    ('<ItemGroupData ItemGroupOID="IG.AE">', "<ItemGroupData>", 26, "no ItemGroupOID"),
    ('<ItemData ItemOID="AETERM" Value="Fatigue"/>', '<ItemData ItemOID="AETERM" Value="A"/>'
     '<ItemData ItemOID="AETERM" Value="B"/>', 27, "given twice in one item group"),
    ('<ItemData ItemOID="AETERM" Value="Fatigue"/>', '<ItemData ItemOID="SubjectKey" Value="x"/>', 27,
     "name of a key column"),
    ('<FormData FormOID="DM">', '<FormData FormOID="DM" TransactionType="Remove">', 19, "Remove transaction"),
    ('Value="Fatigue"', 'Value="Fati\u0085gue"', 27, "U+0085"),
])
def test_what_cannot_be_read_is_an_error_naming_the_line(tmp_path, old, new, line, words):
    error = refused(tmp_path, odm(TWO_SUBJECTS.replace(old, new, 1)))
    assert [p.row for p in error.problems] == [line], error.problems
    assert words in error.problems[0].message and f"line {line}" in error.problems[0].message


def test_every_problem_is_listed_at_once(tmp_path):
    body = TWO_SUBJECTS.replace('SubjectKey="01-002"', "").replace('FormOID="DM"', "")
    assert sorted(p.row for p in refused(tmp_path, odm(body)).problems) == [19, 23]


def test_clinical_data_of_two_studies_is_refused(tmp_path):
    text = odm(TWO_SUBJECTS).replace("</ClinicalData>", '</ClinicalData><ClinicalData StudyOID="S2" '
                                                        'MetaDataVersionOID="V"/>')
    assert "2 studies (S1, S2)" in refused(tmp_path, text).problems[0].message


BILLION_LAUGHS = """<!DOCTYPE ODM [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
"""


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    text = odm(TWO_SUBJECTS.replace('Value="Fatigue"', 'Value="&lol4;"'), head=BILLION_LAUGHS)
    error = refused(tmp_path, text)
    assert "declares entities" in str(error) and "lol4" in error.problems[0].message


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    head = f'<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    error = refused(tmp_path, odm(TWO_SUBJECTS.replace('Value="Fatigue"', 'Value="&xxe;"'), head=head))
    assert "password" not in str(error) and "xxe" in error.problems[0].message


@pytest.mark.parametrize("text, words", [
    ('<?xml version="1.0"?><define/>', "root element is <define>"),
    ('<ODM xmlns="http://www.cdisc.org/ns/odm/v2.0"/>', "reads ODM 1.3"),
    ("<ODM><ClinicalData>", "not well-formed"),
    ("", "empty"),
])
def test_files_that_are_not_odm_13(tmp_path, text, words):
    assert words in str(refused(tmp_path, text))


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_odm(tmp_path / "nope.xml")


# --- writing ------------------------------------------------------------------------------------------------------

UGLY = ['plain', 'a & b < c > d', 'say "hi"', "it's", "two\nlines", "tab\there", "cr\r\nlf", "  padded  ", "",
        "µmol/L ≥ 5", "]]>"]


def frames() -> dict[str, pd.DataFrame]:
    ae = pd.DataFrame({"Subject": ["01", "01", "02", "02"], "Folder": ["LOG", "LOG", "LOG", "LOG"],
                       "Instance": ["Log"] * 4, "AETERM": UGLY[:4], "AESEV": ["MILD", "", "SEVERE", ""]})
    lb = pd.DataFrame({"Subject": ["01"] * 4 + ["02"] * 3, "Folder": ["SCR", "SCR", "D1", "UNS", "SCR", "D1", "D1"],
                       "Instance": ["Screening", "Screening", "Day 1", "Unscheduled 1", "Screening", "Day 1", "Day 1"],
                       "LBORRES": UGLY[4:]})
    return {"AE": ae, "LB": lb}


def test_written_file_reads_back_as_the_frames_written(tmp_path):
    data = write_odm(frames(), tmp_path / "x.xml", "STUDY-1", "Subject", "Folder", "Instance",
                     created="2025-12-31T00:00:00")
    assert data == (tmp_path / "x.xml").read_bytes() and b'CreationDateTime="2025-12-31T00:00:00"' in data
    back = read_odm(tmp_path / "x.xml")
    assert back.study_oid == "STUDY-1" and back.rows == "line"
    for form, frame in frames().items():
        read = back.forms[form]
        pd.testing.assert_frame_equal(read[list(frame.columns)].astype(object), frame.astype(object))
        assert read["SubjectKey"].tolist() == frame["Subject"].tolist()
        assert read["StudyEventOID"].tolist() == frame["Folder"].tolist()
        assert read["StudyEventRepeatKey"].tolist() == frame["Instance"].tolist()
    assert back.forms["LB"]["ItemGroupRepeatKey"].tolist() == ["1", "2", "1", "1", "1", "1", "2"]
    assert b'<ItemData ItemOID="AESEV" IsNull="Yes"/>' in data


def test_writing_is_byte_stable_and_nests_each_subject_once(tmp_path):
    first = write_odm(frames(), tmp_path / "a.xml", "S", "Subject", "Folder", "Instance", site_column="Folder")
    second = write_odm(frames(), tmp_path / "b.xml", "S", "Subject", "Folder", "Instance", site_column="Folder")
    assert first == second
    text = first.decode()
    assert text.count("<SubjectData ") == 2 and text.count('<StudyEventData StudyEventOID="SCR"') == 2
    assert text.count('<SiteRef LocationOID=') == 2


def test_forms_that_disagree_on_the_order_of_subjects_are_written_once_per_subject(tmp_path):
    ae = pd.DataFrame({"S": ["02", "01"], "V": ["X", "X"], "T": ["a", "b"]})
    cm = pd.DataFrame({"S": ["01", "02"], "V": ["X", "X"], "T": ["c", "d"]})
    write_odm({"AE": ae, "CM": cm}, tmp_path / "x.xml", "S", "S", "V")
    back = read_odm(tmp_path / "x.xml").forms
    # one order cannot keep both: the subject seen first leads, and each form is grouped by subject
    assert back["AE"]["T"].tolist() == ["a", "b"] and back["CM"]["T"].tolist() == ["d", "c"]


def test_visits_are_ordered_so_every_form_keeps_its_order(tmp_path):
    # AE sees SCR then D1; LB sees D1 only after W1 and W1 after SCR: first appearance alone would give
    # SCR, D1, W1 and reorder LB; the merged order is SCR, W1, D1
    ae = pd.DataFrame({"S": ["1", "1"], "V": ["SCR", "D1"], "T": ["a", "b"]})
    lb = pd.DataFrame({"S": ["1", "1", "1"], "V": ["W1", "D1", "D1"], "T": ["c", "d", "e"]})
    lb2 = pd.DataFrame({"S": ["1", "1"], "V": ["SCR", "W1"], "T": ["f", "g"]})
    write_odm({"AE": ae, "LB": lb, "LB2": lb2}, tmp_path / "x.xml", "S", "S", "V")
    back = read_odm(tmp_path / "x.xml").forms
    assert [back[f]["T"].tolist() for f in ("AE", "LB", "LB2")] == [["a", "b"], ["c", "d", "e"], ["f", "g"]]


@pytest.mark.parametrize("frame, words", [
    (pd.DataFrame({"S": ["1", ""], "V": ["A", "A"]}), "record 2 has no S"),
    (pd.DataFrame({"S": ["1"], "V": [" "]}), "record 1 has no V"),
    (pd.DataFrame({"S": ["1"], "V": ["A"], "X": ["bell\x07"]}), "column X, record 1 holds a control character"),
    (pd.DataFrame({"S": ["1"]}), "no column 'V'"),
])
def test_what_odm_cannot_hold_is_refused_when_writing(tmp_path, frame, words):
    with pytest.raises(ValueError, match=words):
        write_odm({"F": frame}, tmp_path / "x.xml", "S", "S", "V")
