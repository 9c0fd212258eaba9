"""A small built-in coding dictionary for the example study's adverse events.

The term names follow MedDRA's hierarchy (LLT -> PT -> HLT -> HLGT -> primary SOC), but every CODE here
is ILLUSTRATIVE: invented 8-digit numbers starting with 9 (real MedDRA codes start with 1), because
MedDRA is licensed and not shipped. What matters for the pipeline is that the coding is internally
consistent: one PT always carries the same code, HLT, HLGT and SOC, and an LLT spelled like its PT
shares the PT's code (as in MedDRA).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Primary SOCs and their illustrative codes.
SOC_CODES: dict[str, str] = {
    "Immune system disorders": "91000010",
    "Nervous system disorders": "91000020",
    "Psychiatric disorders": "91000030",
    "Blood and lymphatic system disorders": "91000040",
    "Investigations": "91000050",
    "General disorders and administration site conditions": "91000060",
    "Gastrointestinal disorders": "91000070",
    "Vascular disorders": "91000080",
    "Infections and infestations": "91000090",
    "Respiratory, thoracic and mediastinal disorders": "91000100",
    "Cardiac disorders": "91000110",
    "Metabolism and nutrition disorders": "91000120",
    "Endocrine disorders": "91000130",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)": "91000140",
}

# HLGT -> (illustrative code, SOC).
HLGTS: dict[str, tuple[str, str]] = {
    "Immune disorders NEC": ("92000010", "Immune system disorders"),
    "Encephalopathies": ("92000020", "Nervous system disorders"),
    "Movement disorders (incl parkinsonism)": ("92000030", "Nervous system disorders"),
    "Neurological disorders NEC": ("92000040", "Nervous system disorders"),
    "Headaches": ("92000050", "Nervous system disorders"),
    "Deliria (incl confusion)": ("92000060", "Psychiatric disorders"),
    "Sleep disorders and disturbances": ("92000070", "Psychiatric disorders"),
    "White blood cell disorders": ("92000080", "Blood and lymphatic system disorders"),
    "Anaemias nonhaemolytic and marrow depression": ("92000090", "Blood and lymphatic system disorders"),
    "Platelet disorders": ("92000100", "Blood and lymphatic system disorders"),
    "Haematology investigations (incl blood groups)": ("92000110", "Investigations"),
    "Hepatobiliary investigations": ("92000120", "Investigations"),
    "Body temperature conditions": ("92000130", "General disorders and administration site conditions"),
    "General system disorders NEC": ("92000140", "General disorders and administration site conditions"),
    "Gastrointestinal signs and symptoms": ("92000150", "Gastrointestinal disorders"),
    "Gastrointestinal motility and defaecation conditions": ("92000160", "Gastrointestinal disorders"),
    "Gastrointestinal inflammatory conditions": ("92000170", "Gastrointestinal disorders"),
    "Decreased and nonspecific blood pressure disorders and shock": ("92000180", "Vascular disorders"),
    "Respiratory disorders NEC": ("92000190", "Respiratory, thoracic and mediastinal disorders"),
    "Lower respiratory tract disorders (excl obstruction and infection)":
        ("92000200", "Respiratory, thoracic and mediastinal disorders"),
    "Pleural disorders": ("92000210", "Respiratory, thoracic and mediastinal disorders"),
    "Pericardial disorders": ("92000220", "Cardiac disorders"),
    "Cardiac arrhythmias": ("92000230", "Cardiac disorders"),
    "Infections - pathogen unspecified": ("92000240", "Infections and infestations"),
    "Appetite and general nutritional disorders": ("92000250", "Metabolism and nutrition disorders"),
    "Thyroid gland disorders": ("92000260", "Endocrine disorders"),
    "Neoplasm related morbidities":
        ("92000270", "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"),
}

# HLT -> (illustrative code, HLGT).
HLTS: dict[str, tuple[str, str]] = {
    "Immune and associated conditions NEC": ("93000010", "Immune disorders NEC"),
    "Encephalopathies NEC": ("93000020", "Encephalopathies"),
    "Tremor (excl congenital)": ("93000030", "Movement disorders (incl parkinsonism)"),
    "Speech and language abnormalities": ("93000040", "Neurological disorders NEC"),
    "Headaches NEC": ("93000050", "Headaches"),
    "Confusion and disorientation": ("93000060", "Deliria (incl confusion)"),
    "Disturbances in initiating and maintaining sleep": ("93000070", "Sleep disorders and disturbances"),
    "Neutropenias": ("93000080", "White blood cell disorders"),
    "Anaemias NEC": ("93000090", "Anaemias nonhaemolytic and marrow depression"),
    "Thrombocytopenias": ("93000100", "Platelet disorders"),
    "White blood cell analyses": ("93000110", "Haematology investigations (incl blood groups)"),
    "Liver function analyses": ("93000120", "Hepatobiliary investigations"),
    "Febrile disorders": ("93000130", "Body temperature conditions"),
    "Asthenic conditions": ("93000140", "General system disorders NEC"),
    "Feelings and sensations NEC": ("93000150", "General system disorders NEC"),
    "Nausea and vomiting symptoms": ("93000160", "Gastrointestinal signs and symptoms"),
    "Diarrhoea (excl infective)": ("93000170", "Gastrointestinal motility and defaecation conditions"),
    "Gastrointestinal atonic and hypomotility disorders NEC":
        ("93000180", "Gastrointestinal motility and defaecation conditions"),
    "Colitis (excl infective)": ("93000190", "Gastrointestinal inflammatory conditions"),
    "Vascular hypotensive disorders": ("93000200", "Decreased and nonspecific blood pressure disorders and shock"),
    "Breathing abnormalities": ("93000210", "Respiratory disorders NEC"),
    "Lower respiratory tract inflammatory and immunologic conditions":
        ("93000220", "Lower respiratory tract disorders (excl obstruction and infection)"),
    "Pleural disorders NEC": ("93000230", "Pleural disorders"),
    "Noninfectious pericarditis": ("93000240", "Pericardial disorders"),
    "Rate and rhythm disorders NEC": ("93000250", "Cardiac arrhythmias"),
    "Lower respiratory tract and lung infections": ("93000260", "Infections - pathogen unspecified"),
    "Upper respiratory tract infections": ("93000270", "Infections - pathogen unspecified"),
    "Urinary tract infections": ("93000280", "Infections - pathogen unspecified"),
    "Sepsis, bacteraemia, viraemia and fungaemia NEC": ("93000290", "Infections - pathogen unspecified"),
    "Appetite disorders": ("93000300", "Appetite and general nutritional disorders"),
    "Thyroid hypofunction disorders": ("93000310", "Thyroid gland disorders"),
    "Oncologic complications and emergencies": ("93000320", "Neoplasm related morbidities"),
}

# PT -> (illustrative code, HLT).
PTS: dict[str, tuple[str, str]] = {
    "Cytokine release syndrome": ("94000010", "Immune and associated conditions NEC"),
    "Immune effector cell-associated neurotoxicity syndrome": ("94000020", "Encephalopathies NEC"),
    "Encephalopathy": ("94000030", "Encephalopathies NEC"),
    "Confusional state": ("94000040", "Confusion and disorientation"),
    "Tremor": ("94000050", "Tremor (excl congenital)"),
    "Aphasia": ("94000060", "Speech and language abnormalities"),
    "Headache": ("94000070", "Headaches NEC"),
    "Insomnia": ("94000080", "Disturbances in initiating and maintaining sleep"),
    "Neutropenia": ("94000090", "Neutropenias"),
    "Febrile neutropenia": ("94000100", "Neutropenias"),
    "Anaemia": ("94000110", "Anaemias NEC"),
    "Thrombocytopenia": ("94000120", "Thrombocytopenias"),
    "Lymphocyte count decreased": ("94000130", "White blood cell analyses"),
    "Alanine aminotransferase increased": ("94000140", "Liver function analyses"),
    "Aspartate aminotransferase increased": ("94000150", "Liver function analyses"),
    "Pyrexia": ("94000160", "Febrile disorders"),
    "Fatigue": ("94000170", "Asthenic conditions"),
    "Chills": ("94000180", "Feelings and sensations NEC"),
    "Nausea": ("94000190", "Nausea and vomiting symptoms"),
    "Vomiting": ("94000200", "Nausea and vomiting symptoms"),
    "Diarrhoea": ("94000210", "Diarrhoea (excl infective)"),
    "Constipation": ("94000220", "Gastrointestinal atonic and hypomotility disorders NEC"),
    "Colitis": ("94000230", "Colitis (excl infective)"),
    "Hypotension": ("94000240", "Vascular hypotensive disorders"),
    "Hypoxia": ("94000250", "Breathing abnormalities"),
    "Pneumonitis": ("94000260", "Lower respiratory tract inflammatory and immunologic conditions"),
    "Pleurisy": ("94000270", "Pleural disorders NEC"),
    "Pleural effusion": ("94000280", "Pleural disorders NEC"),
    "Pericarditis": ("94000290", "Noninfectious pericarditis"),
    "Tachycardia": ("94000300", "Rate and rhythm disorders NEC"),
    "Pneumonia": ("94000310", "Lower respiratory tract and lung infections"),
    "Upper respiratory tract infection": ("94000320", "Upper respiratory tract infections"),
    "Urinary tract infection": ("94000330", "Urinary tract infections"),
    "Sepsis": ("94000340", "Sepsis, bacteraemia, viraemia and fungaemia NEC"),
    "Decreased appetite": ("94000350", "Appetite disorders"),
    "Hypothyroidism": ("94000360", "Thyroid hypofunction disorders"),
    "Cancer pain": ("94000370", "Oncologic complications and emergencies"),
    "Malignant neoplasm progression": ("94000380", "Oncologic complications and emergencies"),
}

# LLTs that differ from their PT: LLT -> (illustrative code, PT). An LLT spelled like its PT needs no entry.
LLTS: dict[str, tuple[str, str]] = {
    "CRS": ("95000010", "Cytokine release syndrome"),
    "ICANS": ("95000020", "Immune effector cell-associated neurotoxicity syndrome"),
    "Confusion": ("95000030", "Confusional state"),
    "Fever": ("95000040", "Pyrexia"),
    "Tiredness": ("95000050", "Fatigue"),
    "Anemia": ("95000060", "Anaemia"),
    "Diarrhea": ("95000070", "Diarrhoea"),
    "ALT increased": ("95000080", "Alanine aminotransferase increased"),
    "AST increased": ("95000090", "Aspartate aminotransferase increased"),
    "Pleuritis": ("95000100", "Pleurisy"),
    "Loss of appetite": ("95000110", "Decreased appetite"),
    "Low blood pressure": ("95000120", "Hypotension"),
    "Lung infection": ("95000130", "Pneumonia"),
    "Tumour pain": ("95000140", "Cancer pain"),
    "Disease progression": ("95000150", "Malignant neoplasm progression"),
    "Lymphopenia": ("95000160", "Lymphocyte count decreased"),
}


@dataclass(frozen=True)
class Coding:
    llt: str
    llt_code: str
    pt: str
    pt_code: str
    hlt: str
    hlt_code: str
    hlgt: str
    hlgt_code: str
    soc: str
    soc_code: str

    def as_fields(self) -> dict[str, str]:
        return {"AELLT": self.llt, "AELLTCD": self.llt_code, "AEDECOD": self.pt, "AEPTCD": self.pt_code,
                "AEHLT": self.hlt, "AEHLTCD": self.hlt_code, "AEHLGT": self.hlgt, "AEHLGTCD": self.hlgt_code,
                "AESOC": self.soc, "AESOCCD": self.soc_code}


@lru_cache(maxsize=None)
def code_llt(llt: str) -> Coding:
    """Full hierarchy of a lowest level term (a PT name is also its own LLT)."""
    if llt in LLTS:
        llt_code, pt = LLTS[llt]
    elif llt in PTS:
        llt_code, pt = PTS[llt][0], llt
    else:
        raise KeyError(f"{llt!r} is not in the example study's coding dictionary")
    pt_code, hlt = PTS[pt]
    hlt_code, hlgt = HLTS[hlt]
    hlgt_code, soc = HLGTS[hlgt]
    return Coding(llt, llt_code, pt, pt_code, hlt, hlt_code, hlgt, hlgt_code, soc, SOC_CODES[soc])
