"""Shared pieces of the example study's spec content: study constants, sheet columns, pipe tables."""

from __future__ import annotations

from specs.terminology import CT_VERSION

STUDYID = "MESOCART-PD1"
STUDY_DESCRIPTION = (
    "A single-arm, open-label, phase I/II study of autologous PD-1 antibody-secreting mesothelin-targeted "
    "CAR-T cells in mesothelin-positive advanced recurrent or refractory solid tumors"
)
PROTOCOL_NAME = "MESOCART-PD1"
SPONSOR = "Trialforge Example Sponsor"
ARMCD = "MESOCART"
ARM = "PD-1 Ab-secreting mesoCAR-T"
PRODUCT = "PD-1 AB-SECRETING MESOCAR-T CELLS"

STD_SDTMIG = "STD.SDTMIG.3.4"
STD_ADAMIG = "STD.ADAMIG.1.3"
STD_CT_SDTM = f"STD.CT.SDTM.{CT_VERSION}"
STD_CT_ADAM = f"STD.CT.ADAM.{CT_VERSION}"
STD_CT_DEFINE = f"STD.CT.DEFINE-XML.{CT_VERSION}"

# Page of each CRF form in the annotated CRF (acrf.pdf), in form order.
FORM_PAGES: dict[str, str] = {
    "ENR": "1", "DM": "2", "IE": "3", "DX": "4", "APH": "5", "LD": "6", "INF": "7", "AE": "8 9",
    "LB": "10", "CP": "11", "PC": "12", "TL": "13", "NTL": "14", "NL": "15", "RS": "16", "CM": "17",
    "EOT": "18", "DS": "19", "DTH": "20", "SV": "21",
}

# Sheet columns, in order (P21 define spec "Layout B" plus our own columns and sheets).
COLUMNS: dict[str, tuple[str, ...]] = {
    "Define": ("Attribute", "Value"),
    "Standards": ("OID", "Name", "Type", "Publishing Set", "Version", "Status", "Comment"),
    "Datasets": ("Dataset", "Label", "Class", "Subclass", "Structure", "Key Variables", "Standard", "Repeating",
                 "Reference Data", "Comment", "Developer Notes"),
    "Variables": ("Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format",
                  "Mandatory", "Assigned Value", "Codelist", "Common", "Origin", "Source", "Pages", "Method",
                  "Predecessor", "Role", "Core", "Comment", "Developer Notes"),
    "ValueLevel": ("Order", "Dataset", "Variable", "Where Clause", "Label", "Data Type", "Length",
                   "Significant Digits", "Format", "Mandatory", "Assigned Value", "Codelist", "Origin", "Source",
                   "Pages", "Method", "Predecessor", "Comment", "Developer Notes"),
    "Codelists": ("ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Order", "Term", "NCI Term Code",
                  "Decoded Value", "Collected Values"),
    "Dictionaries": ("ID", "Name", "Data Type", "Dictionary", "Version"),
    "Methods": ("ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"),
    "Comments": ("ID", "Description", "Document", "Pages"),
    "Documents": ("ID", "Title", "Href"),
    "Analysis Displays": ("ID", "Title", "Document", "Pages"),
    "Analysis Results": ("Display", "ID", "Description", "Variables", "Reason", "Purpose", "Selection Criteria",
                         "Join Comment", "Documentation", "Documentation Refs", "Programming Context",
                         "Programming Code", "Programming Document", "Pages"),
    "Sources": ("Form", "File", "Format", "Options", "Subject Column", "Site Column", "Visit Column",
                "Instance Column", "Date Formats", "Date Failure Threshold"),
    "Mapping": ("Order", "Dataset", "Variable", "Source Form", "Source Field", "Algorithm", "Arguments",
                "Where Clause", "Condition", "Comment"),
    "TS": ("TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER"),
    "TA": ("ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "TATRANS", "EPOCH"),
    "TE": ("ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"),
    "TV": ("VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL", "TVENRL", "FOLDER"),
    "TI": ("IETESTCD", "IETEST", "IECAT", "TIVERS"),
}

Row = dict[str, str]


def pipe_table(text: str, columns: tuple[str, ...]) -> list[Row]:
    """Rows of a `|`-separated table written in a module: one row per non-blank line, cells stripped.

    Lines starting with `#` are comments. A row may have fewer cells than `columns`; the rest are blank.
    """
    rows: list[Row] = []
    for line in text.strip("\n").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > len(columns):
            raise ValueError(f"too many cells ({len(cells)} > {len(columns)}) in table row: {line!r}")
        rows.append(dict(zip(columns, cells + [""] * (len(columns) - len(cells)))))
    return rows


def sheet_rows(sheet: str, records: list[Row]) -> list[list[str]]:
    """A sheet as a list of rows (header first) in the sheet's column order; unknown keys are an error."""
    columns = COLUMNS[sheet]
    rows = [list(columns)]
    for record in records:
        unknown = set(record) - set(columns)
        if unknown:
            raise ValueError(f"{sheet}: unknown columns {sorted(unknown)} in {record}")
        rows.append([str(record.get(c, "") if record.get(c) is not None else "") for c in columns])
    return rows
