"""The local laboratory tests of the example study: one line per test drives LB codelists, VLM and mapping.

Test codes are CDISC LBTESTCD terms (their NCI codes and names come from the bundled CT). The standard
unit is the unit every result is converted to; `other units` lists the alternative units a site may
report in, each with the factor that converts it to the standard unit (value x factor). Collected names
are the spellings the EDC's free-text test field carries for the test.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialforge.example_study.workbooks.common import pipe_table


@dataclass(frozen=True)
class LabTest:
    testcd: str
    category: str
    specimen: str
    unit: str
    conversions: tuple[tuple[str, float], ...]  # (other unit, factor to the standard unit)
    digits: int  # significant digits of the standard numeric result
    collected: tuple[str, ...]


_TABLE = """
# TESTCD  | category    | specimen | std unit | other units (unit:factor) | digits | collected test names
HGB       | HEMATOLOGY  | BLOOD    | g/dL     | g/L:0.1                   | 1      | Hemoglobin, Haemoglobin, HGB, Hb
WBC       | HEMATOLOGY  | BLOOD    | 10^9/L   |                           | 2      | White blood cells, WBC, Leukocytes, White blood cell count
NEUT      | HEMATOLOGY  | BLOOD    | 10^9/L   |                           | 2      | Neutrophils, ANC, Absolute neutrophil count
LYM       | HEMATOLOGY  | BLOOD    | 10^9/L   |                           | 2      | Lymphocytes, ALC, Absolute lymphocyte count
PLAT      | HEMATOLOGY  | BLOOD    | 10^9/L   |                           | 0      | Platelets, PLT, Platelet count
ALT       | CHEMISTRY   | SERUM    | U/L      |                           | 0      | ALT, Alanine aminotransferase, SGPT
AST       | CHEMISTRY   | SERUM    | U/L      |                           | 0      | AST, Aspartate aminotransferase, SGOT
ALP       | CHEMISTRY   | SERUM    | U/L      |                           | 0      | ALP, Alkaline phosphatase, Alk Phos
BILI      | CHEMISTRY   | SERUM    | umol/L   | mg/dL:17.1                | 1      | Total bilirubin, Bilirubin, TBIL, T. Bili
CREAT     | CHEMISTRY   | SERUM    | umol/L   | mg/dL:88.4                | 0      | Creatinine, CREAT, Serum creatinine
ALB       | CHEMISTRY   | SERUM    | g/L      | g/dL:10                   | 0      | Albumin, ALB
LDH       | CHEMISTRY   | SERUM    | U/L      |                           | 0      | LDH, Lactate dehydrogenase
CRP       | CRS MARKERS | SERUM    | mg/L     | mg/dL:10                  | 1      | CRP, C-reactive protein, C reactive protein
FERRITIN  | CRS MARKERS | SERUM    | ug/L     |                           | 0      | Ferritin
INTLK6    | CRS MARKERS | SERUM    | ng/L     |                           | 1      | IL-6, IL6, Interleukin-6, Interleukin 6
"""


def _parse() -> tuple[LabTest, ...]:
    columns = ("testcd", "category", "specimen", "unit", "other", "digits", "collected")
    tests = []
    for row in pipe_table(_TABLE, columns):
        conversions = tuple(
            (unit.strip(), float(factor)) for unit, factor in
            (pair.rsplit(":", 1) for pair in row["other"].split(",") if pair.strip()))
        tests.append(LabTest(row["testcd"], row["category"], row["specimen"], row["unit"], conversions,
                             int(row["digits"]), tuple(s.strip() for s in row["collected"].split(","))))
    return tuple(tests)


LAB_TESTS: tuple[LabTest, ...] = _parse()
LAB_CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(t.category for t in LAB_TESTS))
