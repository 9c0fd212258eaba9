"""ADaM spec metadata: value-level rows, methods, comments, documents, analysis displays and results."""

from __future__ import annotations

from trialforge.example_study.workbooks.adam_codelists import (
    NCA_PARAMETERS, PARAMETERS, kinetic_parameters, lab_parameters,
)
from trialforge.example_study.workbooks.common import Row, pipe_table
from trialforge.example_study.workbooks.lab_tests import LAB_TESTS
from specs.terminology import Terminology

_RESP = "PARAMCD IN (OVR, BOR, CBOR, LSTA)"
_NY = "PARAMCD IN (RSP, CRSP, PD, DEATH, MDIS, ORR)"


_NCA_UNITS = {"CMAX": "concentration unit", "CLST": "concentration unit", "TMAX": "days", "TLST": "days",
              "TALLOQ": "days", "AUCLST": "days x concentration unit", "AUC28D": "days x concentration unit"}


def _bds_value_rows(sdtm_ct: Terminology) -> list[Row]:
    """AVAL of ADLB, ADPC and ADPP by PARAMCD: each parameter's own label, unit and precision."""
    digits = {t.testcd: str(t.digits) for t in LAB_TESTS}
    rows: list[Row] = []
    for code, name in lab_parameters(sdtm_ct):
        rows.append({"Dataset": "ADLB", "Variable": "AVAL", "Where Clause": f"PARAMCD EQ {code}",
                     "Label": name[:40], "Data Type": "float", "Length": "8", "Significant Digits": digits[code],
                     "Origin": "Predecessor", "Predecessor": "LB.LBSTRESN"})
    for code, name, _ in kinetic_parameters(sdtm_ct):
        rows.append({"Dataset": "ADPC", "Variable": "AVAL", "Where Clause": f"PARAMCD EQ {code}",
                     "Label": name[:40], "Data Type": "float", "Length": "8", "Significant Digits": "2",
                     "Origin": "Derived", "Method": "MT.ADPC.AVAL"})
    for code, name in NCA_PARAMETERS:
        rows.append({"Dataset": "ADPP", "Variable": "AVAL", "Where Clause": f"PARAMCD EQ {code}",
                     "Label": f"{name} ({_NCA_UNITS[code]})"[:40], "Data Type": "float", "Length": "8",
                     "Significant Digits": "4", "Origin": "Derived", "Method": "MT.ADPP.AVAL"})
    return rows


def valuelevel_rows(sdtm_ct: Terminology) -> list[Row]:
    rows: list[Row] = [
        {"Dataset": "ADRS", "Variable": "AVALC", "Where Clause": _RESP, "Label": "Response Category",
         "Data Type": "text", "Codelist": "AVALC_RESP", "Method": "MT.ADRS.AVALC"},
        {"Dataset": "ADRS", "Variable": "AVALC", "Where Clause": _NY, "Label": "Yes/No Result",
         "Data Type": "text", "Codelist": "AVALC_NY", "Method": "MT.ADRS.AVALC"},
        {"Dataset": "ADRS", "Variable": "AVAL", "Where Clause": _RESP, "Label": "Response Category (N)",
         "Data Type": "integer", "Length": "8", "Codelist": "AVAL_RESP", "Method": "MT.ADRS.AVAL"},
        {"Dataset": "ADRS", "Variable": "AVAL", "Where Clause": _NY, "Label": "Yes/No Result (N)",
         "Data Type": "integer", "Length": "8", "Codelist": "AVAL_NY", "Method": "MT.ADRS.AVAL"},
    ]
    for p in PARAMETERS:
        if p["Dataset"] == "ADTTE":
            rows.append({"Dataset": "ADTTE", "Variable": "AVAL", "Where Clause": f"PARAMCD EQ {p['PARAMCD']}",
                         "Label": f"{p['PARAMCD']} Analysis Value (days)", "Data Type": "integer", "Length": "8",
                         "Method": "MT.ADTTE.AVAL"})
        elif p["Dataset"] == "ADTR":
            rows.append({"Dataset": "ADTR", "Variable": "AVAL", "Where Clause": f"PARAMCD EQ {p['PARAMCD']}",
                         "Label": f"{p['PARAMCD']} Analysis Value (mm)", "Data Type": "float", "Length": "8",
                         "Significant Digits": "1",
                         "Method": "MT.ADTR.AVAL"})
    rows += _bds_value_rows(sdtm_ct)
    order: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["Dataset"], row["Variable"])
        order[key] = order.get(key, 0) + 1
        row.update({"Order": str(order[key]), "Mandatory": "No", "Origin": row.get("Origin", "Derived")})
    return rows


METHODS = pipe_table("""
MT.ADSL.ENRLFL   | ENRLFL | Y if the subject underwent leukapheresis (PR.PRTRT = LEUKAPHERESIS), else N.
MT.ADSL.SAFFL    | SAFFL  | Y if the subject received the CAR-T infusion (EX.EXCAT = CAR-T), else N.
MT.ADSL.MDISFL   | MDISFL | Y if the subject had at least one target lesion at baseline (TU.TUSTRESC = TARGET and TU.TULOBXFL = Y), else N.
MT.ADSL.EFFFL    | EFFFL  | Y if SAFFL = Y and MDISFL = Y, else N.
MT.ADSL.AGEGR1   | AGEGR1 and AGEGR1N | <65 (AGEGR1N = 1) when AGE is below 65, >=65 (AGEGR1N = 2) otherwise; null when AGE is missing.
MT.ADSL.DOSE01A  | DOSE01A and DOSE01U | Sum of EX.EXDOSE over the CAR-T infusion records (EX.EXCAT = CAR-T) that were given (EXOCCUR not N, dose not 0), in EX.EXDOSU of the first infusion.
MT.ADSL.APHDT    | APHDT  | Date part of PR.PRSTDTC of the leukapheresis.
MT.ADSL.LDSTDT   | LDSTDT | Date part of the earliest EX.EXSTDTC with EXCAT = LYMPHODEPLETION (equals DM.RFXSTDTC).
MT.ADSL.TRTSDTM  | TRTSDTM and TRTSTMF | EX.EXSTDTC of the CAR-T infusion as a numeric datetime; a missing time is imputed as 00:00:00 with TRTSTMF = H.
MT.ADSL.TRTSDT   | TRTSDT | Date part of TRTSDTM (start of the first CAR-T infusion). Null for subjects never infused.
MT.ADSL.TRTEDTM  | TRTEDTM, TRTETMF and TRTEDT | End of the last CAR-T infusion: EX.EXENDTC (EX.EXSTDTC when no end was recorded) as a numeric datetime; missing hours, minutes or seconds are imputed to their last value (23, 59, 59) with TRTETMF = H, M or S. TRTEDT is its date part. Null for subjects never infused.
MT.ADSL.TUMTYPE  | TUMTYPE | MH.MHSCAT of the primary diagnosis (MHCAT = PRIMARY DIAGNOSIS).
MT.ADSL.EOSSTT   | EOSSTT | COMPLETED when the end-of-study disposition (DS, DSSCAT = STUDY PARTICIPATION) is COMPLETED, DISCONTINUED for any other DSDECOD, ONGOING when there is no such record.
MT.ADSL.EOSDT    | EOSDT  | Date of the end-of-study disposition (DS.DSSTDTC, DSSCAT = STUDY PARTICIPATION).
MT.ADSL.DCSREAS  | DCSREAS | DS.DSDECOD of the end-of-study disposition when not COMPLETED.
MT.ADSL.NACTDT   | NACTDT and NACTDTF | Earliest start of a subsequent anti-cancer therapy (CM.CMSTDTC, CMCAT = SUBSEQUENT ANTI-CANCER THERAPY); a missing day is imputed as the first of the month (NACTDTF = D), a missing month as January (NACTDTF = M), but never before TRTSDT.
MT.ADSL.DTHDT    | DTHDT and DTHDTF | DM.DTHDTC as a numeric date; a missing day is imputed as the first of the month (DTHDTF = D), a missing month as January (DTHDTF = M).
MT.ADSL.DTHADY   | DTHADY | DTHDT - TRTSDT + 1 when DTHDT >= TRTSDT, DTHDT - TRTSDT otherwise.
MT.ADSL.LSTALVDT | LSTALVDT | Latest complete date among informed consent, exposure, adverse event start and end, laboratory, cell phenotyping and PK samples, tumor assessments, visits and disposition: {alive_date_sources}. The death date is not a date known alive.
MT.ADY           | Relative day | Relative day to TRTSDT (CAR-T infusion): date - TRTSDT + 1 on or after TRTSDT, date - TRTSDT before; there is no day 0.
MT.ASEQ          | ASEQ   | 1..n per subject after sorting by PARAMN and ADT, then by SRCSEQ (ADRS) or AVISITN (ADTR); ADTTE has one record per subject and parameter.
MT.PARAM         | PARAM and PARAMN | Decode and order of PARAMCD in the parameter codelist of the dataset.
MT.SRC           | SRCDOM, SRCVAR, SRCSEQ | The dataset, variable and sequence number of the record that gave the analysis value or date.
MT.ADAE.ASTDT    | ASTDT and ASTDTF | AE.AESTDTC as a numeric date; a missing day or month is imputed to the first, but not before the first lymphodepletion dose when the event could have started that month (ASTDTF = D or M).
MT.ADAE.AENDT    | AENDT and AENDTF | AE.AEENDTC as a numeric date; a missing day or month is imputed to the last, but not after death or end of study (AENDTF = D or M).
MT.ADAE.TRTEMFL  | TRTEMFL | Y when ASTDT is on or after LDSTDT (first lymphodepletion dose); null otherwise.
MT.ADAE.AREL     | AREL   | RELATED when AEREL is RELATED, PROBABLY RELATED or POSSIBLY RELATED; NOT RELATED otherwise (relationship to the CAR-T product).
MT.ADAE.ATOXGRN  | ATOXGRN | Numeric value of ATOXGR.
MT.ADAE.AOCCFL   | AOCCFL | Y on the first treatment-emergent event of the subject (sorted by ASTDT, AESEQ).
MT.ADAE.AOCCSFL  | AOCCSFL | Y on the first treatment-emergent event of each system organ class of the subject (sorted by ASTDT, AESEQ).
MT.ADAE.AOCCPFL  | AOCCPFL | Y on the first treatment-emergent event of each preferred term of the subject (sorted by ASTDT, AESEQ).
MT.ADAE.AOCCIFL  | AOCCIFL | Y on the first treatment-emergent event of the subject with its highest toxicity grade (sorted by descending ATOXGRN, ASTDT, AESEQ).
MT.ADAE.AOCCSIFL | AOCCSIFL | As AOCCIFL, within each system organ class.
MT.ADAE.AOCCPIFL | AOCCPIFL | As AOCCIFL, within each preferred term.
MT.ADAE.ASTCTGR  | ASTCTGR | ASTCT consensus grade of the event (cytokine release syndrome, ICANS): SUPPAE.QVAL where QNAM = AEASTCGR, as in AEASTCGR.
MT.ADAE.CQ01NAM  | CQ01NAM | CYTOKINE RELEASE SYNDROME when AEDECOD is Cytokine release syndrome.
MT.ADAE.CQ02NAM  | CQ02NAM | NEUROTOXICITY when AEDECOD is one of the immune effector cell-associated neurotoxicity terms (ICANS, encephalopathy, confusional state, aphasia, seizure, somnolence, tremor, cerebral oedema).
MT.ADAE.ASTCTGRN | ASTCTGRN | Numeric value of ASTCTGR (ASTCT consensus grade 1 to 5 of cytokine release syndrome and ICANS).
MT.ADAE.ADURN    | ADURN and ADURU | AENDT - ASTDT + 1 in days (ADURU = DAYS); null while the event is ongoing (no AENDT) or its start is unknown. With ASTDY (onset day from the CAR-T infusion) it gives the onset and duration of CRS (CQ01NAM) and ICANS (CQ02NAM) events.
MT.ADAE.RESOLFL  | RESOLFL | Y when AE.AEOUT is one of {resolved_aeout}; N for another outcome; null when the outcome is missing.
MT.ADAE.AOCC01FL | AOCC01FL | Y on the subject's first treatment-emergent event of CQ01 (cytokine release syndrome) with the highest ASTCT grade, then the highest CTCAE grade (ATOXGRN), by ASTDT and AESEQ.
MT.ADAE.AOCC02FL | AOCC02FL | As AOCC01FL, for CQ02 (neurotoxicity, ICANS).
MT.ADRS.PARAMCD  | ADRS parameters | OVR: one record per investigator overall response in RS (RSTESTCD = OVRLRESP). PD: first OVR = PD. RSP / CRSP: any / confirmed CR or PR. BOR / CBOR: best / best confirmed overall response. DEATH: death. LSTA: last OVR assessment. MDIS: measurable disease at baseline. ORR: CBOR is CR or PR, efficacy evaluable subjects. Only OVR records with ANL01FL = Y are used for the derived parameters.
MT.ADRS.AVALC    | AVALC  | OVR: RS.RSSTRESC. BOR and CBOR per RECIST 1.1 with the reference date TRTSDT: CR and PR need confirmation by an assessment at least {confirm_days} days later with at most {max_nr_ne} NE between (CBOR); SD needs an assessment at least {sd_min_days} days after TRTSDT, else NE; no assessment gives MISSING. Y/N parameters: Y when the condition holds.
MT.ADRS.AVAL     | AVAL   | Response categories: CR = 1, PR = 2, SD = 3, NON-CR/NON-PD = 4, PD = 5, NE = 6, MISSING = 7. Y/N parameters: Y = 1, N = 0.
MT.ADRS.PARCAT1  | PARCAT1 | RECIST 1.1 on the parameters assessed by RECIST (OVR, BOR, CBOR, RSP, CRSP, PD, LSTA, ORR); null on DEATH and MDIS.
MT.ADRS.ADT      | ADT and ADTF | OVR: RS.RSDTC as a numeric date; a missing day is imputed to the last of the month (ADTF = D), a missing month leaves ADT null. Derived parameters: date of the assessment that determined the value (for CBOR the first assessment of the best confirmed response); DEATH: DTHDT.
MT.ADRS.ANL01FL  | ANL01FL | Y on OVR records dated on or after TRTSDT, up to and including the first PD, and before NACTDT (first new anti-cancer therapy).
MT.ADTTE.PARAMCD | ADTTE parameters | OS and PFS from the CAR-T infusion (safety population); DOR from the first confirmed response (subjects with CRSP = Y); TTR from the infusion to the first confirmed response (efficacy evaluable subjects).
MT.ADTTE.STARTDT | STARTDT | TRTSDT for OS, PFS and TTR; ADT of the first confirmed response for DOR.
MT.ADTTE.ADT     | ADT, CNSR, EVNTDESC, CNSDTDSC | The earliest event among the parameter's events (PD, death; response for TTR) is the event (CNSR = 0). PFS and DOR follow FDA censoring: no post-baseline assessment: censored at STARTDT (CNSR = 2); new anti-cancer therapy before the event: censored at the last adequate assessment before it (CNSR = 3); event after {missed_assessments} or more missed assessments (counted against the planned tumour assessment visits of TV, each +/- {assessment_window_days} days in the first {early_period_days} days after STARTDT and +/- {late_assessment_window_days} days after; without TV every {early_assessment_interval_days} days, then every {late_assessment_interval_days} days): censored at the last adequate assessment before them (CNSR = 4); otherwise censored at the last adequate assessment (CNSR = 1). OS without death is censored at LSTALVDT (CNSR = 1).
MT.ADTTE.AVAL    | AVAL   | ADT - STARTDT + 1 (days).
MT.ADTR.AVAL     | SUMDIAM | Sum of TR.TRSTRESN of the target lesions (LDIAM for non-nodal, LPERP for nodal) measured by the investigator at one assessment; null when not every baseline target lesion was measured. ADT is the earliest TRDTC of the assessment, AVISIT/AVISITN its visit.
MT.ADTR.ABLFL    | ABLFL  | Y on the last assessment on or before TRTSDT (CAR-T infusion).
MT.BASE          | BASE   | AVAL of the ABLFL = Y record of the subject and parameter.
MT.CHG           | CHG    | AVAL - BASE on post-baseline records.
MT.PCHG          | PCHG   | 100 * (AVAL - BASE) / BASE on post-baseline records; null when BASE is 0.
MT.ADTR.NADIR    | NADIR  | Smallest AVAL among the baseline and the earlier post-baseline records of the subject (the RECIST 1.1 reference for progression).
MT.ADTR.SRC      | SRCDOM, SRCVAR, SRCSEQ | SRCDOM = TR and SRCVAR = TRSTRESN; SRCSEQ = TR.TRSEQ when the sum comes from a single TR record, null otherwise (TRLNKGRP then names the TR link group of the summed records).
MT.ADTR.ANL01FL  | ANL01FL | Y on records dated on or after baseline and before NACTDT (first new anti-cancer therapy).
MT.ADLB.ASEQ     | ASEQ   | 1..n per subject after sorting by PARAMCD, ADT and LBSEQ.
MT.ADLB.PARAM    | PARAM  | LB.LBTEST followed by the standard unit LB.LBSTRESU in brackets, e.g. Creatinine (umol/L); records without a result take the unit of their test.
MT.ADLB.ADT      | ADT    | LB.LBDTC as a numeric date when the date is complete; no imputation.
MT.ADLB.ABLFL    | ABLFL  | Y on the last record with a non-missing AVAL dated on or before TRTSDT (CAR-T infusion) per subject and parameter, by ADT, AVISITN and LBSEQ.
MT.ADLB.ANRIND   | ANRIND | LOW when AVAL < ANRLO, HIGH when AVAL > ANRHI, otherwise NORMAL when at least one limit is known; null without AVAL or without both limits.
MT.ADLB.BNRIND   | BNRIND | ANRIND of the ABLFL = Y record of the subject and parameter.
MT.ADLB.ATOXGR   | ATOXDSCL, ATOXGRL, ATOXDSCH, ATOXGRH | CTCAE v{ctcae_version} grade (0 to 4) of AVAL for the term graded for low values (ATOXDSCL, e.g. Anemia, Platelet count decreased) and for high values (ATOXDSCH, e.g. Alanine aminotransferase increased, Creatinine increased), by the thresholds CTCAE states relative to ULN (ANRHI), LLN (ANRLO), baseline or in absolute units (converted to the record's unit). A value with a term that cannot be graded (no ULN or LLN, no baseline where the criterion needs one) is null and counted in the build log.
MT.ADLB.BTOXGR   | BTOXGRL, BTOXGRH | ATOXGRL / ATOXGRH of the ABLFL = Y record of the subject and parameter.
MT.ADLB.SHIFT    | SHIFT1, SHIFT2, SHIFT3 | On post-baseline records (ADT after TRTSDT) where both ends are known: SHIFT1 = BNRIND to ANRIND, SHIFT2 = BTOXGRL to ATOXGRL, SHIFT3 = BTOXGRH to ATOXGRH (e.g. NORMAL to HIGH, 0 to 3).
MT.ADLB.ONTRTFL  | ONTRTFL | Y on records dated after TRTSDT (CAR-T infusion).
MT.ADLB.ANL01FL  | ANL01FL | Y on the baseline record and on the last on-treatment record with a non-missing AVAL per subject, parameter and analysis visit (by ADT and LBSEQ).
MT.ADLB.WGRFL    | WGRLOFL, WGRHIFL | Y on the on-treatment record (ONTRTFL = Y) with the highest ATOXGRL / ATOXGRH per subject and parameter, the earliest when tied (by ADT, LBSEQ).
MT.ADPC.ASEQ     | ASEQ   | 1..n per subject after sorting by PARAMCD, PARCAT1, AFRLT, SRCDOM and SRCSEQ.
MT.ADPC.PARAM    | PARAMCD, PARAM, PARCAT1, AVALU | One analyte per CP test and sub-markers (CAR+ T cells in blood by flow cytometry) and per PC test and specimen (anti-PD-1 antibody in serum by ELISA): PARAMCD = --TESTCD, PARAM = --TEST with the sub-markers, "in" the specimen and the unit in brackets, PARCAT1 = --SPEC, AVALU = --STRESU.
MT.ADPC.ALLOQ    | ALLOQ  | PC.PCLLOQ; for CP, which has no LLOQ variable, the flow cytometry assay LLOQ of the parameters: {pk_lloq}.
MT.ADPC.BLQFL    | BLQFL  | Y when the result is below the LLOQ: --STRESC starts with < or is one of {pk_blq_results}, or --STRESN is below ALLOQ.
MT.ADPC.AVAL     | AVAL   | --STRESN; a BLQ sample is set by its position among the subject's measurable samples from the infusion on: before the first {nca_blq_before_first}, between two {nca_blq_between}, after the last {nca_blq_after_last} (MISSING = null). Not done samples (--STAT) have no AVAL.
MT.ADPC.ADTM     | ADTM and ADT | --DTC as a numeric datetime and date; no imputation.
MT.ADPC.AVISIT   | AVISIT and AVISITN | VISIT and VISITNUM of the sample.
MT.ADPC.NFRLT    | NFRLT  | Nominal time from the CAR-T infusion in {pk_time_unit}: the planned study day of the visit (VISITDY - 1 from day 1 on, VISITDY before; SDTM has no day 0).
MT.ADPC.AFRLT    | AFRLT and FRLTU | Actual time from the CAR-T infusion (ADTM - TRTSDTM) in {pk_time_unit} (FRLTU).
MT.ADPC.ANL01FL  | ANL01FL | Y on the records the NCA uses: infused subjects, AFRLT at or after 0 and a non-missing AVAL.
MT.ADPP.PARAMCD  | ADPP parameters | Non-compartmental analysis of each subject's profile of each analyte (ADPC records with ANL01FL = Y, by AFRLT, {nca_time} times; a zero concentration at the infusion when no sample is at time 0): CMAX and TMAX (first time of the maximum), CLST and TLST (last measurable concentration and its time), AUCLST (AUC from the infusion to TLST) and AUC28D (AUC from 0 to {nca_partial_auc_end} days, interpolated at day {nca_partial_auc_end}, null when the profile ends before it) by the {nca_auc_method} trapezoidal method, TALLOQ (time the concentration is above ALLOQ, with crossings interpolated).
MT.ADPP.AVAL     | AVAL   | The NCA parameter named by PARAMCD for the analyte of PARCAT1 / PARCAT3; null when the profile does not allow it (counted in the build log).
MT.ADPP.AVALU    | AVALU  | The unit of the parameter: the analyte's unit for concentrations, d for times, d*unit for AUCs.
MT.ADPP.ASEQ     | ASEQ   | 1..n per subject after sorting by SRCDOM, PARCAT1, PARCAT2, PARCAT3 and the parameter order of PARAMCD_ADPP.
""", ("ID", "Name", "Description"))

COMMENTS = pipe_table("""
COM.ADSL.TRTSDT  | TRTSDT is the CAR-T infusion date; the first lymphodepletion dose (SDTM RFXSTDTC) is LDSTDT.
COM.ADSL.DTHCAUS | Primary cause of death as collected (SUPPDM QNAM DTHCAUS).
COM.ADTR.ABLFL   | The analysis baseline is the last assessment on or before the CAR-T infusion; SDTM TRLOBXFL uses the first lymphodepletion dose instead.
COM.ADTTE        | Time origin is the CAR-T infusion (TRTSDT), for DOR the first confirmed response; censoring follows the FDA guidance table described in the ADRG.
COM.ADLB.AVALC   | AVALC holds LB.LBSTRESC only where AVAL is null (a text result such as <0.1).
COM.ADPP         | Cellular kinetics of the CAR+ T cells (CP) and concentrations of the secreted anti-PD-1 antibody (PC) by non-compartmental analysis; the analyte is PARCAT1 (its ADPC PARAMCD) with PARCAT3 (its ADPC PARAM).
COM.ADRS         | Investigator RECIST 1.1 responses. Confirmation needs an assessment at least {confirm_days} days later; SD needs an assessment at least {sd_min_days} days after the infusion. Every subject of the safety population (SAFFL = Y) has the per-subject parameters, with or without an assessment (BOR, CBOR and LSTA = MISSING, RSP, CRSP and PD = N), so that counting a parameter's records gives the population's denominator; ORR likewise for EFFFL = Y.
""", ("ID", "Description"))

DOCUMENTS: list[Row] = [
    {"ID": "ADRG", "Title": "Analysis Data Reviewer's Guide", "Href": "adrg.pdf"},
    {"ID": "SAP", "Title": "Statistical Analysis Plan", "Href": "sap.pdf"},
]

DISPLAYS = pipe_table("""
T-14.2.1 | Best Confirmed Overall Response and Objective Response Rate by Investigator (RECIST 1.1), Efficacy Evaluable Population | SAP | 21
T-14.2.2 | Progression-Free Survival, Kaplan-Meier Estimates, Safety Population | SAP | 22
T-14.2.3 | Overall Survival, Kaplan-Meier Estimates, Safety Population | SAP | 23
T-14.3.1 | Treatment-Emergent Adverse Events by System Organ Class, Preferred Term and Maximum CTCAE Grade, Safety Population | SAP | 24
""", ("ID", "Title", "Document", "Pages"))

RESULTS = pipe_table("""
T-14.2.1 | AR.CBOR | Best confirmed overall response, number and percentage of subjects | ADRS.AVALC | SPECIFIED IN SAP | SECONDARY OUTCOME MEASURE | ADRS.PARAMCD EQ CBOR and ADRS.EFFFL EQ Y | | Percentages use the efficacy evaluable subjects as denominator. | SAP
T-14.2.1 | AR.ORR | Objective response rate (confirmed CR or PR) with exact Clopper-Pearson 95% confidence interval | ADRS.AVALC | SPECIFIED IN PROTOCOL | SECONDARY OUTCOME MEASURE | ADRS.PARAMCD EQ ORR and ADRS.EFFFL EQ Y | | ORR = number of subjects with AVALC = Y divided by the number of efficacy evaluable subjects. | SAP
T-14.2.2 | AR.PFS | Kaplan-Meier estimate of median progression-free survival with 95% confidence interval (Brookmeyer-Crowley) | ADTTE.AVAL, ADTTE.CNSR | SPECIFIED IN PROTOCOL | SECONDARY OUTCOME MEASURE | ADTTE.PARAMCD EQ PFS and ADTTE.SAFFL EQ Y | | Events have CNSR = 0; AVAL is converted to months (divided by 30.4375) for display. | SAP
T-14.2.3 | AR.OS | Kaplan-Meier estimate of median overall survival with 95% confidence interval (Brookmeyer-Crowley) | ADTTE.AVAL, ADTTE.CNSR | SPECIFIED IN PROTOCOL | SECONDARY OUTCOME MEASURE | ADTTE.PARAMCD EQ OS and ADTTE.SAFFL EQ Y | | Events have CNSR = 0; AVAL is converted to months (divided by 30.4375) for display. | SAP
T-14.3.1 | AR.TEAE | Number and percentage of subjects with treatment-emergent adverse events by system organ class, preferred term and maximum CTCAE grade, overall and related to the CAR-T product | ADAE.AEBODSYS, ADAE.AEDECOD, ADAE.ATOXGRN, ADAE.AREL | SPECIFIED IN PROTOCOL | PRIMARY OUTCOME MEASURE | ADAE.TRTEMFL EQ Y and ADAE.SAFFL EQ Y | Denominator: subjects in ADSL with SAFFL = Y. | Subjects are counted once per system organ class and preferred term at their maximum grade (AOCCSIFL, AOCCPIFL). | SAP
""", ("Display", "ID", "Description", "Variables", "Reason", "Purpose", "Selection Criteria", "Join Comment",
        "Documentation", "Documentation Refs"))


def method_rows() -> list[Row]:
    documents = {"MT.ADTTE.ADT": "ADRG", "MT.ADRS.AVALC": "SAP"}
    return [{"ID": m["ID"], "Name": f"Algorithm for {m['Name']}", "Type": "Imputation" if m["ID"] in (
        "MT.ADAE.ASTDT", "MT.ADAE.AENDT", "MT.ADSL.DTHDT") else "Computation", "Description": m["Description"],
        "Document": documents.get(m["ID"], "")} for m in METHODS]


def comment_rows() -> list[Row]:
    return [{**c, "Document": "ADRG" if c["ID"] == "COM.ADTTE" else ""} for c in COMMENTS]


def result_rows() -> list[Row]:
    return [{**r, "Programming Context": "Python"} for r in RESULTS]
