"""The ADaM derivations an ADaM spec's Mapping rows may name, with the arguments each accepts.

This is the vocabulary of the Algorithm and Arguments columns of an ADaM spec: a row names one of these
derivations and writes its arguments as `name=value; name=value`. Arguments that set a study parameter
(adam.spec_parameters) drive the data; the others say how the library's fixed derivation is applied and
are checked for their names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Derivation:
    description: str  # what the derivation does, arguments in backquotes
    arguments: tuple[str, ...] = ()  # the argument names it accepts (lower case)


def _d(description: str, *arguments: str) -> Derivation:
    return Derivation(description, arguments)


DERIVATIONS: dict[str, Derivation] = {
    "create_from_source": _d("records are the source dataset's records (ADSL from DM, ADAE from AE); the Source "
                             "Field is copied"),
    "derive_vars_merged": _d("copy Source Field from the one source record per subject (by `by`, default USUBJID) "
                             "that passes Condition; `mode` first/last after sorting by `order`", "by", "mode",
                             "order"),
    "derive_vars_supp": _d("copy QVAL of the SUPP-- record with QNAM = `qnam` of the parent record", "qnam"),
    "derive_var_merged_exist_flag": _d("Y when the subject has a source record passing Condition, else N"),
    "derive_var_condition_flag": _d("Y when `condition` holds on the record, else N (`false` = value otherwise)",
                                    "condition", "false"),
    "derive_vars_dt": _d("numeric date from an ISO 8601 Source Field; `imputation` none/first/last up to `highest` "
                         "(D, M or Y) with the *DTF flag in `flag`; `min_dates`/`max_dates` bound it; `mode` "
                         "first/last record after sorting by `order`", "imputation", "highest", "flag", "min_dates",
                         "max_dates", "mode", "order"),
    "derive_vars_dtm": _d("numeric datetime from an ISO 8601 Source Field; missing time imputed as `time` with the "
                          "*TMF flag in `flag`; `mode` first/last record after sorting by `order`", "time", "flag",
                          "mode", "order", "imputation", "highest"),
    "derive_var_dy": _d("relative day of `date` from `reference`: date - reference + 1 on/after, date - reference "
                        "before (no day 0)", "reference", "date"),
    "derive_var_eosstt": _d("EOSSTT: COMPLETED / DISCONTINUED from the end-of-study disposition, ONGOING when "
                            "there is none"),
    "derive_var_lstalvdt": _d("latest complete date among `sources` (DATASET.VARIABLE list)", "sources"),
    "derive_var_recode": _d("value of Source Field through `map` (from:to pairs)", "map"),
    "derive_var_numeric": _d("numeric value of Source Field"),
    "derive_var_group": _d("the group of Source Field among the intervals split at `cuts` (a value equal to a cut "
                           "falls in the upper interval): `labels` for the text, 1..n for the numeric variable",
                           "cuts", "labels"),
    "derive_var_summary": _d("`fun` (sum, min or max) of Source Field over the subject's source records passing "
                             "Condition", "fun"),
    "derive_var_trtemfl": _d("Y when `start` is on or after `trt_start` (and not after `trt_end` + `window` days "
                             "when given)", "start", "end", "trt_start", "trt_end", "window"),
    "derive_var_extreme_flag": _d("Y on the first record per `by` after sorting by `order` (a leading - sorts "
                                  "descending) among records passing `filter`", "by", "order", "filter"),
    "derive_var_cq": _d("`name` when the record passes `condition`, else null", "name", "condition"),
    "derive_var_constant": _d("`value` on every record the row applies to", "value"),
    "derive_var_obs_number": _d("1..n per subject after sorting by `order`", "order"),
    "derive_vars_param": _d("PARAM and PARAMN from PARAMCD through codelist `codelist` (decode and order)",
                            "codelist"),
    "derive_var_anl01fl": _d("Y on records dated on/after `from`, up to the first record with `until` (inclusive) "
                             "and before `before`", "from", "until", "before"),
    "derive_param_event": _d("one record per subject of `population`: AVALC Y when a source record passes Condition "
                             "(ADT its date; `mode` first/last), else N", "value", "mode", "population"),
    "derive_param_extreme_record": _d("one record per subject copied from the `mode` record among the source "
                                      "records passing Condition", "value", "mode", "order"),
    "derive_param_response": _d("Y when a source response is in `responses` before the first PD, else N",
                                "value", "responses", "population"),
    "derive_param_confirmed_resp": _d("Y when CR/PR is confirmed by a later assessment at least `ref_confirm` days "
                                      "later (at most `max_nr_ne` NE between), else N", "value", "ref_confirm",
                                      "max_nr_ne", "population"),
    "derive_param_bor": _d("best overall response (CR > PR > SD > NON-CR/NON-PD > PD > NE > MISSING); SD needs an "
                           "assessment at least `ref_start_window` days after the reference date", "value",
                           "ref_start_window", "reference", "population"),
    "derive_param_confirmed_bor": _d("best confirmed overall response per RECIST 1.1 (confirmation at least "
                                     "`ref_confirm` days later, at most `max_nr_ne` NE, SD after `ref_start_window` "
                                     "days, `accept_sd` one SD between PRs)", "value", "ref_confirm",
                                     "ref_start_window", "max_nr_ne", "accept_sd", "reference", "population"),
    "derive_param_tte": _d("time-to-event parameter from the event_source and censor_source rows of the same "
                           "parameter: first event wins, else the latest censoring date; FDA PFS rules through "
                           "`nact_censoring`, `missed_assessments` (counted against the planned schedule: TV's visits with "
                           "tumour assessments, else the days in `assessment_days`, else `early_interval` days for "
                           "`early_period` days, then `late_interval` days; each +/- `window` days, after "
                           "`early_period` +/- `late_window` when given) and `no_post_baseline`", "value", "start",
                           "nact_censoring", "missed_assessments", "no_post_baseline", "population", "early_interval",
                           "early_period", "late_interval", "window", "assessment_days", "late_window"),
    "event_source": _d("a time-to-event event: source records passing Condition, date in Source Field", "name",
                       "evntdesc", "srcvar"),
    "censor_source": _d("a time-to-event censoring: source records passing Condition, date in Source Field",
                        "name", "cnsr", "evntdesc", "cnsdtdsc", "srcvar"),
    "derive_var_duration": _d("AVAL = `end` - `start` + 1 (days)", "start", "end"),
    "derive_param_sum": _d("one record per subject and assessment: sum of `value` over the source records passing "
                           "Condition; null unless every lesion of the subject's baseline is measured", "value",
                           "by", "sum", "date"),
    "derive_var_base": _d("BASE = AVAL of the ABLFL record of the subject and parameter"),
    "derive_var_chg": _d("CHG = AVAL - BASE on post-baseline records"),
    "derive_var_pchg": _d("PCHG = 100 * (AVAL - BASE) / BASE on post-baseline records; null when BASE = 0"),
    "derive_var_nadir": _d("NADIR = smallest AVAL among the baseline and earlier post-baseline records"),
    "derive_var_resolved_flag": _d("Y when Source Field (AEOUT) is one of `outcomes`, N for another value, null "
                                   "when missing", "outcomes"),
    # laboratory (ADLB)
    "derive_var_param_unit": _d("PARAM = Source Field (the test's name) followed by the qualifiers `with` names "
                                "(e.g. sub-markers, \"in\" the specimen), the last of them, the standard unit, in "
                                "brackets (the test's one unit for records without a result)", "with"),
    "derive_var_ablfl": _d("Y on the last record with an AVAL dated on or before `reference` per subject and "
                           "parameter; on the record the SDTM flag `flag` marks (e.g. LBLOBXFL) when given",
                           "reference", "flag"),
    "derive_var_anrind": _d("LOW when AVAL < ANRLO, HIGH when AVAL > ANRHI, else NORMAL when a limit is known; null "
                            "without AVAL or both limits"),
    "derive_var_atoxgr": _d("CTCAE grade 0-4 of AVAL for the `direction` (L: low, H: high) term of the test, by the "
                            "criteria of CTCAE `version` (as data, relative to ULN, LLN and baseline); `terms` "
                            "(LBTESTCD/L=term) changes the test-to-term map", "version", "direction", "terms"),
    "derive_var_ontrtfl": _d("Y on records dated after `start` (up to `end` + `window` days when `window` is "
                             "given)", "start", "end", "window"),
    "derive_var_analysis_visit_flag": _d("Y on the baseline record and on the `mode` record per `by` after sorting "
                                         "by `order` among records passing `filter`", "by", "order", "filter",
                                         "mode"),
    "derive_var_shift": _d("\"`from` to `to`\" on post-baseline records where both are known", "from", "to"),
    # concentrations and cellular kinetics (ADPC) and their NCA (ADPP)
    "derive_var_blqfl": _d("Y when the result is below the LLOQ: the text result starts with < or is one of "
                           "`results`, or the numeric result is below ALLOQ", "results"),
    "derive_var_alloq": _d("the LLOQ of the record: Source Field (--LLOQ), else the `lloq` entry of its test "
                           "(TESTCD=value)", "lloq"),
    "derive_var_aval_blq": _d("AVAL = the numeric result; a BLQ result gets the value of its position's rule "
                              "(`before_first`, `between`, `after_last`: ZERO, MISSING, HALF_LLOQ or LLOQ)",
                              "before_first", "between", "after_last"),
    "derive_var_frlt": _d("time from the dose (the reference, e.g. TRTSDTM) in `unit` (HOURS or DAYS): actual "
                          "from the sample's date/time, nominal from the planned study day and time point "
                          "(`tptnum_unit` when --TPTNUM is a time)", "reference", "unit", "tptnum_unit"),
    "derive_var_nca_flag": _d("Y on the records the NCA uses: dosed subject, `time` (ACTUAL: AFRLT, NOMINAL: "
                              "NFRLT) at or after 0, and an AVAL", "time"),
    "derive_param_nca": _d("one record per subject, analyte and NCA parameter (CMAX, TMAX, CLST, TLST, AUCLST, "
                           "AUC from 0 to `partial_end`, TALLOQ) from the ADPC records with ANL01FL = Y; AUC by "
                           "`method` (LINUP_LOGDOWN or LINEAR), times by `time`, `time_zero` ZERO adds a zero "
                           "concentration at the dose", "method", "time", "time_zero", "partial_end"),
}
