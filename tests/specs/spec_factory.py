"""Small spec workbooks for tests: a valid layout-B workbook with our sheets, which tests then break.

`base_sheets()` returns {sheet title: [header row, data rows...]}; change it and `write_workbook` it.
The base already holds the ugly things real workbooks hold: trailing blanks, numbers stored as numbers
and as text, Y/N flags, a blank row, an extra column, an extra sheet, a header in odd case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
P21_DIR = SHARED / "examples" / "p21-spec-workbooks"

V_HEADER = ["Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format",
            "Mandatory", "Assigned Value", "Codelist", "Common", "Origin", "Source", "Pages", "Method",
            "Predecessor", "Role", "Core", "Comment", "Developer Notes"]


def _var(order, dataset, name, label, data_type, length, mandatory="No", codelist=None, origin="Collected",
         method=None, role=None, core="Perm", comment=None, sig=None, source=None):
    return [order, dataset, name, label, data_type, length, sig, None, mandatory, None, codelist, None, origin,
            source, None, method, None, role, core, comment, None]


def base_sheets() -> dict[str, list[list[Any]]]:
    return {
        "Define": [
            ["Attribute", "Value"],
            ["StudyName", "MESOCART-PD1"],
            ["StudyDescription", "Mesothelin CAR-T, phase I/II"],
            ["ProtocolName", "MESOCART-PD1"],
            ["Language", "en"],
        ],
        "Instructions": [["This sheet is for people; the reader ignores it."]],
        "Standards": [
            ["OID", "Name", "Type", "Publishing Set", "Version", "Status", "Comment"],
            ["STD.SDTMIG.3-4", "SDTMIG", "IG", None, "3.4", "Final", None],
            ["STD.CT.SDTM", "CDISC/NCI", "CT", "SDTM", "2025-03-28", "Final", None],
        ],
        "Datasets": [
            ["Dataset", "Label", "Class", "Subclass", "Structure", "Key Variables", "Standard", "Repeating",
             "Reference Data", "Comment", "Developer Notes", "My Notes"],
            ["DM", "Demographics", "SPECIAL PURPOSE", None, "One record per subject", "STUDYID, USUBJID",
             "STD.SDTMIG.3-4", "No", "No", None, None, "extra column, ignored"],
            ["AE ", "Adverse Events", "EVENTS", None, "One record per adverse event per subject",
             "STUDYID,USUBJID,AETERM,AESTDTC", "STD.SDTMIG.3-4", "Y", "N", None, None, None],
            ["TS", "Trial Summary", "TRIAL DESIGN", None, "One record per trial summary parameter value",
             "STUDYID, TSPARMCD, TSSEQ", "STD.SDTMIG.3-4", "No", "Yes", None, None, None],
            ["TV", "Trial Visits", "TRIAL DESIGN", None, "One record per planned Visit per Arm",
             "STUDYID, VISITNUM", "STD.SDTMIG.3-4", "No", "Yes", None, None, None],
        ],
        "Variables": [
            [h if h != "Data Type" else " data TYPE " for h in V_HEADER],
            _var(1, "DM", "STUDYID", "Study Identifier", "text", 12, "Yes", origin="Protocol", role="Identifier",
                 core="Req"),
            _var(2, "DM", "DOMAIN", "Domain Abbreviation", "text", 2, "Yes", origin="Assigned", core="Req"),
            _var(3, "DM", "USUBJID", "Unique Subject Identifier", "text", "20", "Y", origin="Derived",
                 method="MT.USUBJID", core="Req"),
            _var(4, "DM", "SEX", "Sex", "text", 1, "Yes", codelist="SEX", origin="CRF", core="Req"),
            _var(5, "DM", "AGE", "Age", "integer", 8.0, "No", origin="Derived", method="MT.AGE", core="Exp",
                 comment="COM.AGE"),
            [None] * len(V_HEADER),  # a blank row in the middle
            _var("1", "AE", "STUDYID ", "Study Identifier", "text", 12, "Yes", origin="Protocol", core="Req"),
            _var("2", "AE", "DOMAIN", "Domain Abbreviation", "text", 2, "Yes", origin="Assigned", core="Req"),
            _var("3", "AE", "USUBJID", "Unique Subject Identifier", "text", 20, "Yes", origin="Derived",
                 method="MT.USUBJID", core="Req"),
            _var("4", "AE", "AESEQ", "Sequence Number", "integer", 8, "Yes", origin="Derived", method="MT.SEQ",
                 core="Req"),
            _var("5", "AE", "AETERM", "Reported Term for the Adverse Event", "text", 200, "Yes", origin="eDT",
                 core="Req"),
            _var("6", "AE", "AEDECOD", "Dictionary-Derived Term", "text", 200, "Yes", codelist="MEDDRA",
                 origin="Assigned", core="Req"),
            _var("7", "AE", "AESTDTC", "Start Date/Time of Adverse Event", "datetime", None, "No", core="Exp"),
            _var(1, "TS", "STUDYID", "Study Identifier", "text", 12, "Yes", origin="Protocol", core="Req"),
            _var(2, "TS", "DOMAIN", "Domain Abbreviation", "text", 2, "Yes", origin="Assigned", core="Req"),
            _var(3, "TS", "TSSEQ", "Sequence Number", "integer", 8, "Yes", origin="Protocol", core="Req"),
            _var(4, "TS", "TSPARMCD", "Trial Summary Parameter Short Name", "text", 8, "Yes", origin="Protocol",
                 codelist="TSPARMCD", core="Req"),
            _var(5, "TS", "TSPARM", "Trial Summary Parameter", "text", 40, "Yes", origin="Protocol", core="Req"),
            _var(6, "TS", "TSVAL", "Parameter Value", "text", 200, "No", origin="Protocol", core="Exp"),
            _var(1, "TV", "STUDYID", "Study Identifier", "text", 12, "Yes", origin="Protocol", core="Req"),
            _var(2, "TV", "DOMAIN", "Domain Abbreviation", "text", 2, "Yes", origin="Assigned", core="Req"),
            _var(3, "TV", "VISITNUM", "Visit Number", "float", 8, "Yes", origin="Protocol", core="Req", sig=1),
            _var(4, "TV", "VISIT", "Visit Name", "text", 40, "No", origin="Protocol", core="Perm"),
        ],
        "ValueLevel": [
            ["Order", "Dataset", "Variable", "Where Clause", "Label", "Data Type", "Length", "Significant Digits",
             "Format", "Mandatory", "Assigned Value", "Codelist", "Origin", "Source", "Pages", "Method",
             "Predecessor", "Comment", "Developer Notes"],
            [1, "TS", "TSVAL", "TSPARMCD EQ PLANSUB", "Planned Number of Subjects", "integer", 8, None, None,
             "No", None, None, "Protocol", None, None, None, None, None, None],
            [2, "TS", "TSVAL", 'TSPARMCD IN (TITLE, "SPONSOR")', "Title or sponsor", "text", 200, None, None,
             "No", None, None, "Protocol", None, None, None, None, None, None],
        ],
        "Codelists": [
            ["ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Order", "Term", "NCI Term Code",
             "Decoded Value", "Collected Values"],
            ["SEX", "Sex", "C66731", "text", "STD.CT.SDTM", 1, "F", "C16576", "Female", "female | f|Woman"],
            ["SEX", "Sex", "C66731", "text", "STD.CT.SDTM", "2", "M", "C20197", "Male", "male|m"],
            ["SEX", "Sex", "C66731", "text", "STD.CT.SDTM", 3, "U", None, "Unknown", None],
            ["TSPARMCD", "Trial Summary Parameter Test Code", "C66738", "text", "STD.CT.SDTM", 1, "PLANSUB",
             "C49703", None, None],
            ["TSPARMCD", "Trial Summary Parameter Test Code", "C66738", "text", "STD.CT.SDTM", 2, "TITLE", "C49802",
             None, None],
            ["TSPARMCD", "Trial Summary Parameter Test Code", "C66738", "text", "STD.CT.SDTM", 3, "SPONSOR", "C70793",
             None, None],
        ],
        "Dictionaries": [
            ["ID", "Name", "Data Type", "Dictionary", "Version"],
            ["MEDDRA", "MedDRA", "text", "MedDRA", 27.0],
        ],
        "Methods": [
            ["ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"],
            ["MT.USUBJID", "USUBJID", "Computation", "STUDYID-SUBJID", None, None, None, None],
            ["MT.AGE", "AGE", "Computation", "Age at informed consent in years", None, None, "SAP", "12"],
            ["MT.SEQ", "--SEQ", "Computation", "Sequence within subject", None, None, None, None],
        ],
        "Comments": [["ID", "Description", "Document", "Pages"], ["COM.AGE", "As collected", None, None]],
        "Documents": [["ID", "Title", "Href"], ["SAP", "Statistical Analysis Plan", "sap.pdf"]],
        "Mapping": [
            ["Order", "Dataset", "Variable", "Source Form", "Source Field", "Algorithm", "Arguments",
             "Where Clause", "Condition", "Comment"],
            [1, "DM", "STUDYID", "DM", None, "hardcode_no_ct", "value=MESOCART-PD1", None, None, None],
            [2, "DM", "SEX", "DM", "SEX", "assign_ct", None, None, None, None],
            [3, "DM", "AGE", "DM", "AGE", "Assign_Numeric", None, None, None, None],
            [1, "AE", "AETERM", "AE", "AETERM", "assign_no_ct", None, None, "AEYN == 'Y'", None],
            [3, "AE", "AESEQ", None, None, "derive", "function=seq; by=USUBJID", 'AEDECOD NE "NOT CODED"', None,
             None],
            [2, "AE", "AESTDTC", "AE", "AESTDAT", "assign_datetime", "date=AESTDAT; time=AESTTIM;", None,
             "AESTDAT != 'UNK'", None],
            [4, "AE", "AESOCCD", "AE", "SOCCD", "supp", "qlabel=\"SOC code; primary\"", None, None, None],
            [5, "AE", "AEPDAY", "AE", "AEPDAY", "not_submitted", "reason=implied by AESTDY", None, None, None],
        ],
        "TS": [
            ["STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM", "TSVAL"],
            ["MESOCART-PD1", "TS", 1, "PLANSUB", "Planned Number of Subjects", 50],
            ["MESOCART-PD1", "TS", "1", "TITLE", "Trial Title", "PD-1 secreting mesothelin CAR-T "],
        ],
        "TV": [
            ["STUDYID", "DOMAIN", "VISITNUM", "VISIT", "FOLDER"],
            ["MESOCART-PD1", "TV", 1, "SCREENING", "SCRN"],
            ["MESOCART-PD1", "TV", 2.5, "DAY 0", "D0"],
        ],
    }


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


def set_cell(sheets: dict[str, list[list[Any]]], sheet: str, row: int, header: str, value: Any) -> None:
    """Set the cell in 1-based spreadsheet `row` under `header` (as written in row 1)."""
    rows = sheets[sheet]
    rows[row - 1][[str(h).strip().casefold() for h in rows[0]].index(header.casefold())] = value


def drop_column(sheets: dict[str, list[list[Any]]], sheet: str, header: str) -> None:
    rows = sheets[sheet]
    index = [str(h).strip().casefold() for h in rows[0]].index(header.casefold())
    for row in rows:
        if len(row) > index:
            del row[index]
