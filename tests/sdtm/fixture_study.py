"""A small hand-made raw study: every EDC form of `trialforge.example_study.forms`, a few records each.

Three subjects and a stray record, each chosen to exercise one path of the SDTM spec
(expected values are computed by hand in `test_domains.py`):

- 01-001 infused: consent 08 JAN 2024, leukapheresis 18 JAN, lymphodepletion 05-07 FEB (protocol days -5..-3),
  CAR-T 10 FEB 2024 11:30 (protocol day 0 = study day 1), lost to follow-up 15 APR 2024. Labs at SCR, LD, D7
  and an unscheduled visit on 20 FEB (between D7 and D14); tumour assessments at SCR and W6 (a new lesion).
- 01-002 never infused (manufacturing failure), withdrew consent 01 MAR 2024.
- 01-003 infused 03 FEB 2024 14:05 after an eligibility waiver (IN03), died 20 FEB 2024; nothing after death.
- 01-099 has one AE but no demographics.

Planted problems: an exact duplicate AE line, an impossible date (31 FEB 2024), a route no codelist knows
("Per PEG"), a SUPPAE value no codelist knows ("Maybe"). Rows are written in the order given, so a record's raw line is its position + 2 (header = 1).
"""

from __future__ import annotations

import csv
from pathlib import Path

from trialforge.example_study.forms import FORMS, LOG_FOLDER, VISIT_FOLDERS, columns

PROJECT = "MESOCART-PD1"
SITE = "01"
_LABELS = {oid: label for oid, label, _ in VISIT_FOLDERS}


def _table(header: str, *rows: tuple) -> list[dict[str, str]]:
    """Rows as dicts over the header's names. `Folder` may carry an instance: "UNS:Unscheduled 1"."""
    names = header.split()
    assert all(len(r) == len(names) for r in rows), header
    return [dict(zip(names, (str(v) for v in r))) for r in rows]


# --- one table per form; columns not named here are blank --------------------------------------------------------

ENR = _table(
    "Subject Folder ICDAT ENRDAT PROTVER",
    ("01-001", "SCR", "08 JAN 2024", "15 JAN 2024", "1.0"),
    ("01-002", "SCR", "15 JAN 2024", "22 JAN 2024", "1.0"),
    ("01-003", "SCR", "05 JAN 2024", "12 JAN 2024", "2.0"),
)

DM = _table(
    "Subject Folder BRTHDAT AGE SEX RACE ETHNIC COUNTRY",
    ("01-001", "SCR", "UNK-UNK-1960", "63", "male", "Asian", "Not Hispanic or Latino", "China"),
    ("01-002", "SCR", "25 MAR 1955", "68", "Female", "Chinese", "NOT HISPANIC OR LATINO", "CHINA"),
    ("01-003", "SCR", "08 OCT 1948", "75", "F", "Asian", "Not Hispanic or Latino", "China"),
)

IE = _table(
    "Subject Folder RecordPosition IEYN IECAT IETESTCD IEWAIVER",
    ("01-001", "SCR", 1, "Yes", "", "", ""),
    ("01-002", "SCR", 1, "Yes", "", "", ""),
    ("01-003", "SCR", 1, "No", "Inclusion", "IN03", "Yes"),
)

DX = _table(
    "Subject Folder DXTERM DXDAT DXSTAGE MSLNPCT PRIORLN",
    ("01-001", "SCR", "Malignant pleural mesothelioma", "MAR 2019", "Stage IIIB", "75", "1"),
    ("01-002", "SCR", "Ovarian cancer", "20 APR 2022", "IIIC", "55", "2"),
    ("01-003", "SCR", "Pancreatic adenocarcinoma", "UN NOV 2022", "Stage IV", "40", "2"),
)

APH = _table(
    "Subject Folder APHDAT APHSTTIM APHVOL",
    ("01-001", "APH", "18 JAN 2024", "08:30", "10.2"),
    ("01-002", "APH", "24 JAN 2024", "09:15", "9.8"),
    ("01-003", "APH", "15 JAN 2024", "10:00", "11.0"),
)

LD = _table(
    "Subject Folder RecordPosition LDTRT LDDOSE LDDOSU LDROUTE LDDAT LDPDAY",
    ("01-001", "LD", 1, "Fludarabine", "30", "mg/m2", "IV", "05 FEB 2024", "-5"),
    ("01-001", "LD", 2, "Cyclophosphamide", "500", "mg/m2", "IV", "05 FEB 2024", "-5"),
    ("01-001", "LD", 3, "FLU", "30", "mg/m2", "IV", "06 FEB 2024", "-4"),
    ("01-001", "LD", 4, "Cy", "500", "mg/m2", "IV", "06 FEB 2024", "-4"),
    ("01-001", "LD", 5, "fludarabine", "30", "mg/m2", "Intravenous", "07 FEB 2024", "-3"),
    ("01-001", "LD", 6, "cyclophosphamide", "500", "mg/m2", "Intravenous", "07 FEB 2024", "-3"),
    ("01-003", "LD", 1, "Fludarabine", "30", "mg/m2", "IV", "29 JAN 2024", "-5"),
    ("01-003", "LD", 2, "Cyclophosphamide", "500", "mg/m2", "IV", "29 JAN 2024", "-5"),
    ("01-003", "LD", 3, "Fludarabine", "30", "mg/m2", "IV", "30 JAN 2024", "-4"),
    ("01-003", "LD", 4, "Cyclophosphamide", "500", "mg/m2", "IV", "30 JAN 2024", "-4"),
    ("01-003", "LD", 5, "Fludarabine", "30", "mg/m2", "IV", "31 JAN 2024", "-3"),
    ("01-003", "LD", 6, "Cyclophosphamide", "500", "mg/m2", "IV", "31 JAN 2024", "-3"),
)

INF = _table(
    "Subject Folder INFDAT INFSTTIM INFDOSE INFDOSU INFLOT",
    ("01-001", "D0", "10 FEB 2024", "11:30", "100", "x10^6 cells", "MC24-0001"),
    ("01-003", "D0", "03 FEB 2024", "14:05", "250", "x10^6 cells", "MC24-0003"),
)

_AE_HEADER = ("Subject Folder RecordPosition AETERM AEDECOD AESOC AESTDAT AEENDAT AEONGO AETOXGR AEASTCGR "
              "AESER AESDTH AESHOSP AEREL AERELLD AEACN AEOUT")
_SOC_GEN = "General disorders and administration site conditions"
AE = _table(
    _AE_HEADER,
    # raw line 2: before leukapheresis -> EPOCH SCREENING
    ("01-001", "LOG", 1, "Tiredness", "Fatigue", _SOC_GEN, "12 JAN 2024", "20 JAN 2024", "No", "1", "",
     "No", "No", "No", "Not related", "Not related", "Not applicable", "Recovered"),
    # line 3: partial start date
    ("01-001", "LOG", 2, "Nausea", "Nausea", "Gastrointestinal disorders", "UN FEB 2024", "12 FEB 2024", "No",
     "1", "", "No", "No", "No", "Not related", "Possibly related", "Not applicable", "Recovered"),
    # line 4: the day before the infusion (study day -1)
    ("01-001", "LOG", 3, "Headache", "Headache", "Nervous system disorders", "09 FEB 2024", "09 FEB 2024", "No",
     "1", "", "No", "No", "No", "Not related", "Possibly related", "Not applicable", "Recovered"),
    # line 5: the infusion day (study day 1)
    ("01-001", "LOG", 4, "Fever", "Pyrexia", _SOC_GEN, "10 FEB 2024", "11 FEB 2024", "No", "Grade 1", "",
     "No", "No", "No", "Possibly related", "Not related", "Not applicable", "Resolved"),
    # line 6: CRS with its ASTCT grade
    ("01-001", "LOG", 5, "CRS", "Cytokine release syndrome", "Immune system disorders", "11 FEB 2024",
     "14 FEB 2024", "No", "Grade 2", "Grade 2", "Yes", "No", "Yes", "Related", "Unlikely related",
     "Not applicable", "Recovered"),
    # line 7: the same CRS entered twice
    ("01-001", "LOG", 6, "CRS", "Cytokine release syndrome", "Immune system disorders", "11 FEB 2024",
     "14 FEB 2024", "No", "Grade 2", "Grade 2", "Yes", "No", "Yes", "Related", "Unlikely related",
     "Not applicable", "Recovered"),
    # line 8: never infused, ongoing
    ("01-002", "LOG", 1, "Anaemia", "Anaemia", "Blood and lymphatic system disorders", "28 JAN 2024", "", "Yes",
     "2", "", "No", "No", "No", "Not related", "Not related", "Not applicable", "Not recovered"),
    # line 9: fatal; the end date does not exist
    ("01-003", "LOG", 1, "Sepsis", "Sepsis", "Infections and infestations", "15 FEB 2024", "31 FEB 2024", "No",
     "5", "", "Yes", "Yes", "Yes", "Possibly related", "Not related", "Not applicable", "Fatal"),
    # line 10: a subject without demographics; a relationship to lymphodepletion no codelist term matches
    ("01-099", "LOG", 1, "Headache", "Headache", "Nervous system disorders", "01 MAR 2024", "02 MAR 2024", "No",
     "1", "", "No", "No", "No", "Not related", "Maybe", "Not applicable", "Recovered"),
)

_LB_HEADER = "Subject Folder RecordPosition LBDAT LBTIM LBCAT LBTEST LBORRES LBORRESU LBORNRLO LBORNRHI LBNDYN LBREASND"
LB = _table(
    _LB_HEADER,
    ("01-001", "SCR", 1, "10 JAN 2024", "08:00", "HEMATOLOGY", "Hb", "128", "g/L", "115", "160", "", ""),
    ("01-001", "SCR", 2, "10 JAN 2024", "08:00", "CHEMISTRY", "Creatinine", "0.80", "mg/dL", "0.57", "1.11", "", ""),
    ("01-001", "SCR", 3, "10 JAN 2024", "08:00", "CHEMISTRY", "ALT", "25", "IU/L", "7", "40", "", ""),
    ("01-001", "LD", 1, "05 FEB 2024", "07:30", "HEMATOLOGY", "Haemoglobin", "11.0", "g/dL", "11.5", "16.0", "", ""),
    ("01-001", "LD", 2, "05 FEB 2024", "07:30", "CHEMISTRY", "Creatinine", "75", "umol/L", "53", "97", "", ""),
    ("01-001", "LD", 3, "05 FEB 2024", "07:30", "CHEMISTRY", "ALT", "", "", "", "", "Yes", "Sample haemolysed"),
    ("01-001", "D7", 1, "17 FEB 2024", "08:00", "HEMATOLOGY", "HGB", "9.2", "g/dL", "11.5", "16.0", "", ""),
    ("01-001", "D7", 2, "17 FEB 2024", "08:00", "CHEMISTRY", "Serum creatinine", "1.50", "mg/dL", "0.57", "1.11",
     "", ""),
    ("01-001", "UNS:Unscheduled 1", 1, "20 FEB 2024", "09:15", "CHEMISTRY", "Creatinine", "110", "umol/L", "53",
     "97", "", ""),
    ("01-002", "SCR", 1, "17 JAN 2024", "08:00", "CHEMISTRY", "Creatinine", "70", "umol/L", "53", "97", "", ""),
    ("01-003", "SCR", 1, "08 JAN 2024", "08:00", "HEMATOLOGY", "Hemoglobin", "12.1", "g/dL", "11.5", "16.0", "", ""),
    ("01-003", "D7", 1, "10 FEB 2024", "08:00", "HEMATOLOGY", "Hemoglobin", "10.4", "g/dL", "11.5", "16.0", "", ""),
)

CP = _table(
    "Subject Folder RecordPosition CPDAT CPTIM CPTEST CPORRES CPORRESU CPNDYN",
    ("01-001", "LD", 1, "05 FEB 2024", "07:30", "CAR+ T cells of CD3+ T cells", "0", "%", ""),
    ("01-001", "D7", 1, "17 FEB 2024", "08:00", "CAR+ T cells of CD3+ T cells", "12.5", "%", ""),
    ("01-001", "D14", 1, "24 FEB 2024", "08:00", "CAR+ T cells of CD3+ T cells", "", "", "Yes"),
)

PC = _table(
    "Subject Folder RecordPosition PCDAT PCTIM PCORRES PCORRESU PCLLOQ PCNDYN",
    ("01-001", "LD", 1, "05 FEB 2024", "07:30", "<LLOQ", "ng/mL", "1.56", ""),
    ("01-001", "D7", 1, "17 FEB 2024", "08:00", "35.2", "ng/mL", "1.56", ""),
    ("01-001", "D14", 1, "24 FEB 2024", "08:00", "BLQ", "ng/mL", "1.56", ""),
)

TL = _table(
    "Subject Folder RecordPosition TLDAT TLNUM TLLOC TLNODAL TLMETH TLDIAM",
    ("01-001", "SCR", 1, "10 JAN 2024", "T01", "Pleura, right", "No", "CT SCAN", "45"),
    ("01-001", "SCR", 2, "10 JAN 2024", "T2", "Lymph node, mediastinal", "Yes", "CT", "18"),
    ("01-001", "W6", 1, "23 MAR 2024", "T01", "Pleura, right", "No", "CT SCAN", "38"),
    ("01-001", "W6", 2, "23 MAR 2024", "T2", "Lymph node, mediastinal", "Yes", "CT", "TOO SMALL TO MEASURE"),
)

NTL = _table(
    "Subject Folder RecordPosition NTLDAT NTLNUM NTLLOC NTLMETH NTLSTAT",
    ("01-001", "SCR", 1, "10 JAN 2024", "NT01", "Pleural effusion", "CT SCAN", "PRESENT"),
    ("01-001", "W6", 1, "23 MAR 2024", "NT01", "Pleural effusion", "CT SCAN", "PRESENT"),
)

NL = _table(
    "Subject Folder RecordPosition NLDAT NLNUM NLLOC NLMETH NLEQUIV",
    ("01-001", "W6", 1, "23 MAR 2024", "NEW01", "Liver", "CT", "UNEQUIVOCAL"),
)

RS = _table(
    "Subject Folder RecordPosition RSDAT TLSUM TRGRESP NTRGRESP NEWLIND OVRLRESP RSNDYN",
    ("01-001", "W6", 1, "23 MAR 2024", "43", "PR", "NON-CR/NON-PD", "Yes", "PD", ""),
)

CM = _table(
    "Subject Folder RecordPosition CMTRT CMCAT CMINDC CMDOSTXT CMROUTE CMSTDAT CMENDAT CMONGO",
    ("01-001", "LOG", 1, "Amlodipine", "CONCOMITANT MEDICATION", "Hypertension", "5 mg qd", "PO", "APR 2021", "",
     "Yes"),
    ("01-001", "LOG", 2, "Omeprazole", "CONCOMITANT MEDICATION", "Gastric protection", "20 mg qd", "Per PEG",
     "25 JAN 2024", "", "Yes"),
    ("01-001", "LOG", 3, "Tocilizumab", "CONCOMITANT MEDICATION", "Cytokine release syndrome", "8 mg/kg", "iv",
     "12 FEB 2024", "12 FEB 2024", "No"),
)

EOT = _table(
    "Subject Folder EOTSTAT EOTREAS EOTDAT",
    ("01-001", "LOG", "INFUSED", "", "10 FEB 2024"),
    ("01-002", "LOG", "NOT INFUSED", "Manufacturing failure", "20 FEB 2024"),
    ("01-003", "LOG", "INFUSED", "", "03 FEB 2024"),
)

DS = _table(
    "Subject Folder DSSTAT DSSTDAT DSREAS",
    ("01-001", "LOG", "Lost to follow-up", "15 APR 2024", "No contact after week 6"),
    ("01-002", "LOG", "Withdrew consent", "01 MAR 2024", "Declined further follow-up"),
    ("01-003", "LOG", "Death", "20 FEB 2024", "Subject died"),
)

DTH = _table(
    "Subject Folder DTHDAT DTHCAUS",
    ("01-003", "LOG", "20 FEB 2024", "Disease progression"),
)

SV = _table(
    "Subject Folder VISDAT VISYN VISREAS",
    ("01-001", "SCR", "10 JAN 2024", "Yes", ""),
    ("01-001", "APH", "18 JAN 2024", "Yes", ""),
    ("01-001", "LD", "05 FEB 2024", "Yes", ""),
    ("01-001", "D0", "10 FEB 2024", "Yes", ""),
    ("01-001", "D7", "17 FEB 2024", "Yes", ""),
    ("01-001", "UNS:Unscheduled 1", "20 FEB 2024", "Yes", ""),
    ("01-001", "D14", "24 FEB 2024", "Yes", ""),
    ("01-001", "W6", "23 MAR 2024", "Yes", ""),
    ("01-002", "SCR", "17 JAN 2024", "Yes", ""),
    ("01-002", "APH", "24 JAN 2024", "Yes", ""),
    ("01-002", "LD", "", "No", "Product manufacturing failed"),
    ("01-003", "SCR", "08 JAN 2024", "Yes", ""),
    ("01-003", "APH", "15 JAN 2024", "Yes", ""),
    ("01-003", "LD", "29 JAN 2024", "Yes", ""),
    ("01-003", "D0", "03 FEB 2024", "Yes", ""),
    ("01-003", "D7", "10 FEB 2024", "Yes", ""),
    ("01-003", "D14", "17 FEB 2024", "Yes", ""),
    ("01-003", "W6", "", "No", "Subject died"),
)

RAW_TABLES: dict[str, list[dict[str, str]]] = {
    "ENR": ENR, "DM": DM, "IE": IE, "DX": DX, "APH": APH, "LD": LD, "INF": INF, "AE": AE, "LB": LB, "CP": CP,
    "PC": PC, "TL": TL, "NTL": NTL, "NL": NL, "RS": RS, "CM": CM, "EOT": EOT, "DS": DS, "DTH": DTH, "SV": SV,
}


def required_fields() -> dict[str, list[str]]:
    """Every form with all its fields: what `read_raw_study` should find in the fixture."""
    return {form.oid: [f.name for f in form.fields] for form in FORMS}


def write_fixture_study(folder: Path) -> Path:
    """Write one CSV per form of forms.py (exactly its columns, every value text) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    assert set(RAW_TABLES) == {f.oid for f in FORMS}, "the fixture must have every form"
    for form in FORMS:
        header = columns(form)
        with (folder / f"{form.oid.lower()}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for record in RAW_TABLES[form.oid]:
                writer.writerow([_cell(form, record, column) for column in header])
                unknown = set(record) - set(header) - {"Folder"}
                assert not unknown, f"{form.oid}: {sorted(unknown)} are not columns of the form"
    return folder


def _cell(form, record: dict[str, str], column: str) -> str:
    folder, _, instance = record["Folder"].partition(":")
    context = {
        "Project": PROJECT, "SiteNumber": SITE, "Folder": folder, "DataPageName": form.page_name,
        "InstanceName": instance or ("Log" if folder == LOG_FOLDER else _LABELS[folder]),
        "RecordPosition": record.get("RecordPosition", "0"),
    }
    return context[column] if column in context else record.get(column, "")
