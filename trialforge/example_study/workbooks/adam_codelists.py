"""Parameters and codelists of the ADaM spec; CDISC codelists take their codes from SDTM or ADaM CT."""

from __future__ import annotations

from trialforge.example_study.workbooks.codelist_model import Codelist, codelist_rows, term, terms
from trialforge.example_study.workbooks.common import ARM, STD_CT_ADAM, STD_CT_SDTM, Row, pipe_table
from trialforge.example_study.workbooks.lab_tests import LAB_TESTS
from trialforge.example_study.workbooks.sdtm_codelists import sdtm_codelists
from trialforge.example_study.workbooks.trial_design import paired_name
from specs.terminology import Terminology

# Dataset | PARAMCD | PARAM | kind of value (RESP: response category, NY: Y/N, DAYS, MM)
PARAMETERS = pipe_table("""
ADRS  | OVR     | Overall Response by Investigator                    | RESP
ADRS  | BOR     | Best Overall Response by Investigator               | RESP
ADRS  | CBOR    | Best Confirmed Overall Response by Investigator     | RESP
ADRS  | RSP     | Response (CR or PR) by Investigator                 | NY
ADRS  | CRSP    | Confirmed Response (CR or PR) by Investigator       | NY
ADRS  | PD      | Disease Progression by Investigator                 | NY
ADRS  | DEATH   | Death                                               | NY
ADRS  | LSTA    | Last Disease Assessment by Investigator             | RESP
ADRS  | MDIS    | Measurable Disease at Baseline by Investigator      | NY
ADRS  | ORR     | Objective Response (Confirmed CR or PR) by Investigator | NY
ADTTE | OS      | Overall Survival (days)                             | DAYS
ADTTE | PFS     | Progression-Free Survival by Investigator (days)    | DAYS
ADTTE | DOR     | Duration of Confirmed Response by Investigator (days) | DAYS
ADTTE | TTR     | Time to First Confirmed Response by Investigator (days) | DAYS
ADTR  | SUMDIAM | Sum of Diameters of Target Lesions (mm)             | MM
""", ("Dataset", "PARAMCD", "PARAM", "Kind"))

# ADPC: (PARAMCD, the SDTM test's CT name pair or name, sub-markers, specimen, unit); PARAM as adam/adpc.py makes it
KINETICS = (("TLSTLY", ("CPTESTCD", "CPTEST"), "MSLN-CAR+", "BLOOD", "%"),
            ("APD1AB", "Secreted Anti-PD-1 Antibody", "", "SERUM", "ug/L"))
# ADPP: the NCA parameters of adam/adpc.py with the example's partial AUC (nca_partial_auc_end = 28 days)
NCA_PARAMETERS = (("CMAX", "Max Conc"), ("TMAX", "Time of CMAX"), ("CLST", "Last Nonzero Conc"),
                  ("TLST", "Time of Last Nonzero Conc"), ("AUCLST", "AUC to Last Nonzero Conc"),
                  ("AUC28D", "AUC from 0 to 28 d"), ("TALLOQ", "Time Above LLOQ"))
TOXICITY_GRADES = ("0", "1", "2", "3", "4")

# Response categories in the order of their numeric AVAL (admiralonco's default ordering).
RESPONSE_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")

# Censoring codes of ADTTE: 0 is an event; each censoring reason has its own positive code.
CNSR_CODES = (
    ("0", "Event"),
    ("1", "Censored at last adequate assessment or last known alive"),
    ("2", "Censored at start: no post-baseline assessment"),
    ("3", "Censored at last adequate assessment before new anti-cancer therapy"),
    ("4", "Censored at last adequate assessment before two or more missed assessments"),
)
# The texts adam/adtte.py sets (EventSource/CensorSource set_values); missed_assessments = 2.
EVENT_DESCRIPTIONS = ("DEATH", "DISEASE PROGRESSION", "CONFIRMED RESPONSE (CR OR PR)", "ALIVE",
                      "ALIVE WITHOUT PROGRESSION", "NO ADEQUATE POST-BASELINE TUMOR ASSESSMENT",
                      "NO CONFIRMED RESPONSE", "NEW ANTI-CANCER THERAPY BEFORE PD OR DEATH",
                      "PD OR DEATH AFTER >= 2 MISSED ASSESSMENTS")
CENSOR_DATE_DESCRIPTIONS = ("LAST DATE KNOWN ALIVE", "LAST ADEQUATE TUMOR ASSESSMENT", "DATE OF CAR-T INFUSION",
                            "LAST ADEQUATE TUMOR ASSESSMENT BEFORE NEW ANTI-CANCER THERAPY",
                            "LAST ADEQUATE TUMOR ASSESSMENT BEFORE THE MISSED ASSESSMENTS")
CRS_TERMS = ("Cytokine release syndrome",)
NEUROTOXICITY_TERMS = ("Immune effector cell-associated neurotoxicity syndrome", "Encephalopathy",
                       "Confusional state", "Aphasia", "Seizure", "Somnolence", "Tremor", "Cerebral oedema")

_FROM_SDTM = ("AGEU", "SEX", "RACE", "ETHNIC", "NY", "NY_Y", "OUT", "ACN", "AEREL", "ASTCTGR", "EPOCH", "STENRF",
              "TUMTYPE", "UNIT", "ONCRSCAT", "LBTESTCD", "LBTEST", "LBCAT", "SPECTYPE", "ND", "NRIND")
AGE_GROUPS = ("<65", ">=65")  # StudyParameters.age_group_cuts = (65,)


def _parameter_codelists(dataset: str) -> list[Codelist]:
    params = [p for p in PARAMETERS if p["Dataset"] == dataset]
    return [
        Codelist(f"PARAMCD_{dataset}", f"Parameter Code ({dataset})", None,
                 tuple(term(p["PARAMCD"], p["PARAM"]) for p in params)),
        Codelist(f"PARAM_{dataset}", f"Parameter ({dataset})", None, terms(*(p["PARAM"] for p in params))),
    ]


def lab_parameters(sdtm_ct: Terminology) -> list[tuple[str, str]]:
    """(PARAMCD, PARAM) of ADLB: the LB test's CT name with its standard unit, as adam/adlb.py makes PARAM."""
    return [(t.testcd, f"{paired_name(sdtm_ct, 'LBTESTCD', 'LBTEST', t.testcd)} ({t.unit})") for t in LAB_TESTS]


def kinetic_parameters(sdtm_ct: Terminology) -> list[tuple[str, str, str]]:
    """(PARAMCD, PARAM, unit) of ADPC."""
    out = []
    for code, test, markers, specimen, unit in KINETICS:
        name = paired_name(sdtm_ct, *test, code) if isinstance(test, tuple) else test
        out.append((code, " ".join(filter(None, [name, markers, "in", specimen])) + f" ({unit})", unit))
    return out


def _pairs(dataset: str, pairs: list[tuple[str, str]]) -> list[Codelist]:
    return [Codelist(f"PARAMCD_{dataset}", f"Parameter Code ({dataset})", None,
                     tuple(term(code, name) for code, name in pairs)),
            Codelist(f"PARAM_{dataset}", f"Parameter ({dataset})", None, terms(*(name for _, name in pairs)))]


def adam_codelists(sdtm_ct: Terminology) -> list[Codelist]:
    sdtm = {cl.id: cl for cl in sdtm_codelists(sdtm_ct, [])}
    shared = [Codelist(cl.id, cl.name, cl.cdisc, tuple(term(t.value, t.decode, extension=t.extension) for t in cl.terms), cl.data_type,
                       standard=STD_CT_SDTM) for cl in (sdtm[i] for i in _FROM_SDTM)]
    ncomplt = sdtm["NCOMPLT"]
    return [
        *shared,
        Codelist("NCOMPLT", ncomplt.name, "NCOMPLT", tuple(
            term(t.value, extension=t.extension) for t in ncomplt.terms if t.value != "COMPLETED"),
            standard=STD_CT_SDTM),
        Codelist("DATEFL", "Date Imputation Flag", "DATEFL", terms("D", "M", "Y"), package="adam",
                 standard=STD_CT_ADAM),
        Codelist("TIMEFL", "Time Imputation Flag", "TIMEFL", terms("H", "M", "S"), package="adam",
                 standard=STD_CT_ADAM),
        Codelist("SBJTSTAT", "Subject Trial Status", "SBJTSTAT", terms("COMPLETED", "DISCONTINUED", "ONGOING"),
                 package="adam", standard=STD_CT_ADAM),
        Codelist("AGEGR1", "Pooled Age Group 1", None, terms(*AGE_GROUPS)),
        Codelist("AGEGR1N", "Pooled Age Group 1 (N)", None, tuple(
            term(str(n), g) for n, g in enumerate(AGE_GROUPS, start=1)), data_type="integer"),
        Codelist("TRT", "Treatment", None, terms(ARM)),
        Codelist("AREL", "Analysis Causality", None, terms("RELATED", "NOT RELATED")),
        Codelist("TOXGRN", "Toxicity Grade (N)", None, tuple(term(str(g), f"Grade {g}") for g in range(1, 6)),
                 data_type="integer"),
        Codelist("CQ01NAM", "Customized Query 01 Name", None, terms("CYTOKINE RELEASE SYNDROME")),
        Codelist("CQ02NAM", "Customized Query 02 Name", None, terms("NEUROTOXICITY")),
        *_parameter_codelists("ADRS"), *_parameter_codelists("ADTTE"), *_parameter_codelists("ADTR"),
        *_pairs("ADLB", lab_parameters(sdtm_ct)),
        *_pairs("ADPC", [(code, name) for code, name, _ in kinetic_parameters(sdtm_ct)]),
        *_pairs("ADPP", list(NCA_PARAMETERS)),
        Codelist("ASTCTGRN", "ASTCT Consensus Grade (N)", None, tuple(term(str(g), f"Grade {g}") for g in range(1, 6)),
                 data_type="integer"),
        Codelist("ADURU", "Analysis Duration Units", None, terms("DAYS")),
        Codelist("TOXGR", "Toxicity Grade", None, tuple(term(g, f"Grade {g}") for g in TOXICITY_GRADES)),
        Codelist("FRLTU", "Relative Time Unit", None, terms("DAYS")),
        Codelist("AVALC_RESP", "Response Category", None, terms(*RESPONSE_ORDER)),
        Codelist("AVAL_RESP", "Response Category (N)", None, tuple(
            term(str(n), r) for n, r in enumerate(RESPONSE_ORDER, start=1)), data_type="integer"),
        Codelist("AVALC_NY", "Yes No Response", None, terms("Y", "N")),
        Codelist("AVAL_NY", "Yes No Response (N)", None, (term("1", "Y"), term("0", "N")), data_type="integer"),
        Codelist("CNSR", "Censor", None, tuple(term(c, d) for c, d in CNSR_CODES), data_type="integer"),
        Codelist("EVNTDESC", "Event or Censoring Description", None, terms(*EVENT_DESCRIPTIONS)),
        Codelist("CNSDTDSC", "Censor Date Description", None, terms(*CENSOR_DATE_DESCRIPTIONS)),
    ]


def adam_codelist_rows(sdtm_ct: Terminology, adam_ct: Terminology) -> list[Row]:
    return codelist_rows(adam_codelists(sdtm_ct), {"sdtm": sdtm_ct, "adam": adam_ct})
