"""The Mapping sheet of the ADaM spec: each analysis variable's source and the derivation that makes it.

Source Form is the SDTM or ADaM dataset the value comes from, Source Field its variable, Algorithm the
ADaM derivation function (listed with its arguments in
adam.derivations.DERIVATIONS), Where Clause the records of the target the row applies to, Condition the filter
on the source records (same grammar).
"""

from __future__ import annotations

from trialforge.example_study.workbooks.adam_codelists import CRS_TERMS, NEUROTOXICITY_TERMS, RESPONSE_ORDER
from trialforge.example_study.workbooks.common import Row, pipe_table

_COLUMNS = ("Dataset", "Variable", "Source Form", "Source Field", "Algorithm", "Arguments", "Where Clause",
            "Condition", "Comment")

_RESPONSE_MAP = ", ".join(f"{r}:{n}" for n, r in enumerate(RESPONSE_ORDER, start=1))
_RESP = "OVR, BOR, CBOR, LSTA"
_NY = "RSP, CRSP, PD, DEATH, MDIS, ORR"

_MAPPING = f"""
ADSL | STUDYID  | DM    | STUDYID  | create_from_source
ADSL | USUBJID  | DM    | USUBJID  | create_from_source
ADSL | SUBJID   | DM    | SUBJID   | create_from_source
ADSL | SITEID   | DM    | SITEID   | create_from_source
ADSL | AGE      | DM    | AGE      | create_from_source
ADSL | AGEU     | DM    | AGEU     | create_from_source
ADSL | AGEGR1   | DM    | AGE      | derive_var_group   | cuts=65; labels=<65, >=65
ADSL | AGEGR1N  | DM    | AGE      | derive_var_group   | cuts=65
ADSL | SEX      | DM    | SEX      | create_from_source
ADSL | RACE     | DM    | RACE     | create_from_source
ADSL | ETHNIC   | DM    | ETHNIC   | create_from_source
ADSL | COUNTRY  | DM    | COUNTRY  | create_from_source
ADSL | ARM      | DM    | ARM      | create_from_source
ADSL | ACTARM   | DM    | ACTARM   | create_from_source
ADSL | DTHFL    | DM    | DTHFL    | create_from_source
ADSL | ENRLFL   | PR    | PRTRT    | derive_var_merged_exist_flag |  |  | PRTRT == 'LEUKAPHERESIS'
ADSL | SAFFL    | EX    | EXCAT    | derive_var_merged_exist_flag |  |  | EXCAT == 'CAR-T'
ADSL | MDISFL   | TU    | TUSTRESC | derive_var_merged_exist_flag |  |  | TUSTRESC == 'TARGET' and TULOBXFL == 'Y'
ADSL | EFFFL    | ADSL  |          | derive_var_condition_flag    | condition=SAFFL EQ Y and MDISFL EQ Y
ADSL | TRT01P   | DM    | ARM      | create_from_source
ADSL | TRT01A   | DM    | ACTARM   | create_from_source
ADSL | DOSE01A  | EX    | EXDOSE   | derive_var_summary | fun=sum | | EXCAT == 'CAR-T' and EXOCCUR != 'N' and EXDOSE != 0
ADSL | DOSE01U  | EX    | EXDOSU   | derive_vars_merged | mode=first; order=EXSTDTC | | EXCAT == 'CAR-T' and EXOCCUR != 'N' and EXDOSE != 0
ADSL | APHDT    | PR    | PRSTDTC  | derive_vars_dt     | mode=first; order=PRSTDTC; imputation=none | | PRTRT == 'LEUKAPHERESIS'
ADSL | LDSTDT   | EX    | EXSTDTC  | derive_vars_dt     | mode=first; order=EXSTDTC; imputation=none | | EXCAT == 'LYMPHODEPLETION'
ADSL | TRTSDTM  | EX    | EXSTDTC  | derive_vars_dtm    | mode=first; order=EXSTDTC; time=00:00:00; flag=TRTSTMF | | EXCAT == 'CAR-T'
ADSL | TRTSTMF  | EX    | EXSTDTC  | derive_vars_dtm    | mode=first; order=EXSTDTC; time=00:00:00; flag=TRTSTMF | | EXCAT == 'CAR-T'
ADSL | TRTSDT   | EX    | EXSTDTC  | derive_vars_dt     | mode=first; order=EXSTDTC; imputation=none | | EXCAT == 'CAR-T'
ADSL | TRTEDTM  | EX    | EXENDTC  | derive_vars_dtm    | mode=last; order=EXENDTC; time=23:59:59; flag=TRTETMF | | EXCAT == 'CAR-T' | EXSTDTC when EXENDTC is null
ADSL | TRTETMF  | EX    | EXENDTC  | derive_vars_dtm    | mode=last; order=EXENDTC; time=23:59:59; flag=TRTETMF | | EXCAT == 'CAR-T' | EXSTDTC when EXENDTC is null
ADSL | TRTEDT   | EX    | EXENDTC  | derive_vars_dt     | mode=last; order=EXENDTC; imputation=none | | EXCAT == 'CAR-T' | EXSTDTC when EXENDTC is null
ADSL | TUMTYPE  | MH    | MHSCAT   | derive_vars_merged | | | MHCAT == 'PRIMARY DIAGNOSIS'
ADSL | EOSSTT   | DS    | DSDECOD  | derive_var_eosstt  | | | DSSCAT == 'STUDY PARTICIPATION'
ADSL | EOSDT    | DS    | DSSTDTC  | derive_vars_dt     | imputation=none | | DSSCAT == 'STUDY PARTICIPATION'
ADSL | DCSREAS  | DS    | DSDECOD  | derive_vars_merged | | | DSSCAT == 'STUDY PARTICIPATION' and DSDECOD != 'COMPLETED'
ADSL | NACTDT   | CM    | CMSTDTC  | derive_vars_dt     | mode=first; order=CMSTDTC; imputation=first; highest=M; flag=NACTDTF; min_dates=TRTSDT | | CMCAT == 'SUBSEQUENT ANTI-CANCER THERAPY'
ADSL | NACTDTF  | CM    | CMSTDTC  | derive_vars_dt     | mode=first; order=CMSTDTC; imputation=first; highest=M; flag=NACTDTF; min_dates=TRTSDT | | CMCAT == 'SUBSEQUENT ANTI-CANCER THERAPY'
ADSL | DTHDT    | DM    | DTHDTC   | derive_vars_dt     | imputation=first; highest=M; flag=DTHDTF
ADSL | DTHDTF   | DM    | DTHDTC   | derive_vars_dt     | imputation=first; highest=M; flag=DTHDTF
ADSL | DTHCAUS  | SUPPDM | QVAL    | derive_vars_merged | | | QNAM == 'DTHCAUS'
ADSL | DTHADY   | ADSL  | DTHDT    | derive_var_dy      | reference=TRTSDT; date=DTHDT
ADSL | LSTALVDT | ADSL  |          | derive_var_lstalvdt | sources=DM.RFICDTC, EX.EXSTDTC, AE.AESTDTC, AE.AEENDTC, LB.LBDTC, CP.CPDTC, PC.PCDTC, RS.RSDTC, TR.TRDTC, SV.SVSTDTC, DS.DSSTDTC
ADAE | STUDYID  | AE    | STUDYID  | create_from_source
ADAE | USUBJID  | AE    | USUBJID  | create_from_source
ADAE | AESEQ    | AE    | AESEQ    | create_from_source
ADAE | AETERM   | AE    | AETERM   | create_from_source
ADAE | AELLT    | AE    | AELLT    | create_from_source
ADAE | AELLTCD  | AE    | AELLTCD  | create_from_source
ADAE | AEDECOD  | AE    | AEDECOD  | create_from_source
ADAE | AEPTCD   | AE    | AEPTCD   | create_from_source
ADAE | AEHLT    | AE    | AEHLT    | create_from_source
ADAE | AEHLTCD  | AE    | AEHLTCD  | create_from_source
ADAE | AEHLGT   | AE    | AEHLGT   | create_from_source
ADAE | AEHLGTCD | AE    | AEHLGTCD | create_from_source
ADAE | AEBODSYS | AE    | AEBODSYS | create_from_source
ADAE | AEBDSYCD | AE    | AEBDSYCD | create_from_source
ADAE | AESOC    | AE    | AESOC    | create_from_source
ADAE | AESOCCD  | AE    | AESOCCD  | create_from_source
ADAE | AESER    | AE    | AESER    | create_from_source
ADAE | AEACN    | AE    | AEACN    | create_from_source
ADAE | AEREL    | AE    | AEREL    | create_from_source
ADAE | AEOUT    | AE    | AEOUT    | create_from_source
ADAE | AESCONG  | AE    | AESCONG  | create_from_source
ADAE | AESDISAB | AE    | AESDISAB | create_from_source
ADAE | AESDTH   | AE    | AESDTH   | create_from_source
ADAE | AESHOSP  | AE    | AESHOSP  | create_from_source
ADAE | AESLIFE  | AE    | AESLIFE  | create_from_source
ADAE | AESMIE   | AE    | AESMIE   | create_from_source
ADAE | AETOXGR  | AE    | AETOXGR  | create_from_source
ADAE | ATOXGR   | AE    | AETOXGR  | create_from_source
ADAE | EPOCH    | AE    | EPOCH    | create_from_source
ADAE | AESTDTC  | AE    | AESTDTC  | create_from_source
ADAE | AEENDTC  | AE    | AEENDTC  | create_from_source
ADAE | AEENRTPT | AE    | AEENRTPT | create_from_source
ADAE | AEENTPT  | AE    | AEENTPT  | create_from_source
ADAE | AEASTCGR | SUPPAE | QVAL    | derive_vars_supp   | qnam=AEASTCGR
ADAE | AERELLD  | SUPPAE | QVAL    | derive_vars_supp   | qnam=AERELLD
ADAE | AETRTEM  | SUPPAE | QVAL    | derive_vars_supp   | qnam=AETRTEM
ADAE | ASTCTGR  | SUPPAE | QVAL    | derive_vars_supp   | qnam=AEASTCGR
@ADSL ADAE SUBJID SITEID AGE SEX SAFFL TRTSDT LDSTDT
ADAE | TRTA     | ADSL  | TRT01A   | derive_vars_merged
ADAE | ASTDT    | AE    | AESTDTC  | derive_vars_dt     | imputation=first; highest=M; flag=ASTDTF; min_dates=LDSTDT
ADAE | ASTDTF   | AE    | AESTDTC  | derive_vars_dt     | imputation=first; highest=M; flag=ASTDTF; min_dates=LDSTDT
ADAE | AENDT    | AE    | AEENDTC  | derive_vars_dt     | imputation=last; highest=M; flag=AENDTF; max_dates=ADSL.DTHDT, ADSL.EOSDT
ADAE | AENDTF   | AE    | AEENDTC  | derive_vars_dt     | imputation=last; highest=M; flag=AENDTF; max_dates=ADSL.DTHDT, ADSL.EOSDT
ADAE | ASTDY    | ADAE  | ASTDT    | derive_var_dy      | reference=TRTSDT; date=ASTDT
ADAE | AENDY    | ADAE  | AENDT    | derive_var_dy      | reference=TRTSDT; date=AENDT
ADAE | TRTEMFL  | ADAE  | ASTDT    | derive_var_trtemfl | start=ASTDT; end=AENDT; trt_start=LDSTDT
ADAE | AREL     | AE    | AEREL    | derive_var_recode  | map=RELATED:RELATED, PROBABLY RELATED:RELATED, POSSIBLY RELATED:RELATED, UNLIKELY RELATED:NOT RELATED, NOT RELATED:NOT RELATED
ADAE | ATOXGRN  | ADAE  | ATOXGR   | derive_var_numeric
ADAE | AOCCFL   | ADAE  |          | derive_var_extreme_flag | by=USUBJID; order=ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | AOCCSFL  | ADAE  |          | derive_var_extreme_flag | by=USUBJID, AEBODSYS; order=ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | AOCCPFL  | ADAE  |          | derive_var_extreme_flag | by=USUBJID, AEBODSYS, AEDECOD; order=ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | AOCCIFL  | ADAE  |          | derive_var_extreme_flag | by=USUBJID; order=-ATOXGRN, ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | AOCCSIFL | ADAE  |          | derive_var_extreme_flag | by=USUBJID, AEBODSYS; order=-ATOXGRN, ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | AOCCPIFL | ADAE  |          | derive_var_extreme_flag | by=USUBJID, AEBODSYS, AEDECOD; order=-ATOXGRN, ASTDT, AESEQ; filter=TRTEMFL EQ Y
ADAE | CQ01NAM  | ADAE  | AEDECOD  | derive_var_cq      | name=CYTOKINE RELEASE SYNDROME; condition=AEDECOD IN ({", ".join(CRS_TERMS)})
ADAE | CQ02NAM  | ADAE  | AEDECOD  | derive_var_cq      | name=NEUROTOXICITY; condition=AEDECOD IN ({", ".join(NEUROTOXICITY_TERMS)})
ADAE | ASTCTGRN | ADAE  | ASTCTGR  | derive_var_numeric
ADAE | ADURN    | ADAE  |          | derive_var_duration | start=ASTDT; end=AENDT
ADAE | ADURU    | ADAE  |          | derive_var_constant | value=DAYS | ADURN NE null
ADAE | RESOLFL  | AE    | AEOUT    | derive_var_resolved_flag | outcomes=RECOVERED/RESOLVED, RECOVERED/RESOLVED WITH SEQUELAE
ADAE | AOCC01FL | ADAE  |          | derive_var_extreme_flag | by=USUBJID; order=-ASTCTGRN, -ATOXGRN, ASTDT, AESEQ; filter=TRTEMFL EQ Y and CQ01NAM NE null
ADAE | AOCC02FL | ADAE  |          | derive_var_extreme_flag | by=USUBJID; order=-ASTCTGRN, -ATOXGRN, ASTDT, AESEQ; filter=TRTEMFL EQ Y and CQ02NAM NE null
@ADSL ADRS SUBJID SITEID ENRLFL SAFFL EFFFL TRTSDT
ADRS | TRTA     | ADSL  | TRT01A   | derive_vars_merged
ADRS | PARAMCD  | RS    | RSTESTCD | derive_var_constant | value=OVR          | PARAMCD EQ OVR | RSTESTCD == 'OVRLRESP' and RSEVAL == 'INVESTIGATOR' and RSSTAT != 'NOT DONE'
ADRS | AVALC    | RS    | RSSTRESC | create_from_source  |                    | PARAMCD EQ OVR
ADRS | ADT      | RS    | RSDTC    | derive_vars_dt      | imputation=last; highest=D; flag=ADTF | PARAMCD EQ OVR
ADRS | ADTF     | RS    | RSDTC    | derive_vars_dt      | imputation=last; highest=D; flag=ADTF | PARAMCD EQ OVR
ADRS | AVISIT   | RS    | VISIT    | create_from_source  |                    | PARAMCD EQ OVR
ADRS | AVISITN  | RS    | VISITNUM | create_from_source  |                    | PARAMCD EQ OVR
ADRS | SRCDOM   | RS    |          | derive_var_constant | value=RS           | PARAMCD EQ OVR
ADRS | SRCVAR   | RS    |          | derive_var_constant | value=RSSTRESC     | PARAMCD EQ OVR
ADRS | SRCSEQ   | RS    | RSSEQ    | create_from_source  |                    | PARAMCD EQ OVR
ADRS | ANL01FL  | ADRS  |          | derive_var_anl01fl  | from=TRTSDT; until=AVALC EQ PD; before=NACTDT | PARAMCD EQ OVR
ADRS | PARAMCD  | ADRS  |          | derive_param_event  | value=PD; mode=first; population=ENRLFL EQ Y | PARAMCD EQ PD | PARAMCD == 'OVR' and ANL01FL == 'Y' and AVALC == 'PD'
ADRS | PARAMCD  | ADRS  |          | derive_param_response | value=RSP; responses=CR, PR; population=EFFFL EQ Y | PARAMCD EQ RSP | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADRS | PARAMCD  | ADRS  |          | derive_param_confirmed_resp | value=CRSP; ref_confirm=28; max_nr_ne=1; population=EFFFL EQ Y | PARAMCD EQ CRSP | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADRS | PARAMCD  | ADRS  |          | derive_param_bor    | value=BOR; ref_start_window=42; reference=TRTSDT; population=EFFFL EQ Y | PARAMCD EQ BOR | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADRS | PARAMCD  | ADRS  |          | derive_param_confirmed_bor | value=CBOR; ref_confirm=28; ref_start_window=42; max_nr_ne=1; accept_sd=N; reference=TRTSDT; population=EFFFL EQ Y | PARAMCD EQ CBOR | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADRS | PARAMCD  | ADSL  | DTHDT    | derive_param_event  | value=DEATH; population=ENRLFL EQ Y | PARAMCD EQ DEATH | DTHFL == 'Y'
ADRS | PARAMCD  | ADRS  |          | derive_param_extreme_record | value=LSTA; mode=last; order=ADT | PARAMCD EQ LSTA | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADRS | PARAMCD  | ADSL  | TRTSDT   | derive_param_event  | value=MDIS; population=SAFFL EQ Y | PARAMCD EQ MDIS | MDISFL == 'Y'
ADRS | PARAMCD  | ADRS  |          | derive_param_event  | value=ORR; population=EFFFL EQ Y | PARAMCD EQ ORR | PARAMCD == 'CBOR' and AVALC in ('CR', 'PR')
ADRS | AVAL     | ADRS  | AVALC    | derive_var_recode   | map={_RESPONSE_MAP} | PARAMCD IN ({_RESP})
ADRS | AVAL     | ADRS  | AVALC    | derive_var_recode   | map=Y:1, N:0       | PARAMCD IN ({_NY})
ADRS | PARAM    | ADRS  | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADRS
ADRS | PARCAT1  | ADRS  |          | derive_var_constant | value=RECIST 1.1   | PARAMCD NOTIN (DEATH, MDIS)
ADRS | PARAMN   | ADRS  | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADRS
ADRS | ADY      | ADRS  | ADT      | derive_var_dy       | reference=TRTSDT; date=ADT
ADRS | ASEQ     | ADRS  |          | derive_var_obs_number | order=PARAMN, ADT, SRCSEQ
@ADSL ADTTE SUBJID SITEID SAFFL EFFFL TRTSDT
ADTTE | TRTA    | ADSL  | TRT01A   | derive_vars_merged
ADTTE | PARAMCD | ADSL  |          | derive_param_tte    | value=OS; start=TRTSDT; population=SAFFL EQ Y | PARAMCD EQ OS
ADTTE | PARAMCD | ADSL  |          | derive_param_tte    | value=PFS; start=TRTSDT; nact_censoring=Y; missed_assessments=2; early_interval=42; early_period=168; late_interval=91; window=7; late_window=14; no_post_baseline=censor_at_start; population=SAFFL EQ Y | PARAMCD EQ PFS
ADTTE | PARAMCD | ADRS  |          | derive_param_tte    | value=DOR; start=ADT; nact_censoring=Y; missed_assessments=2; early_interval=42; early_period=168; late_interval=91; window=7; late_window=14 | PARAMCD EQ DOR | PARAMCD == 'CRSP' and AVALC == 'Y'
ADTTE | PARAMCD | ADSL  |          | derive_param_tte    | value=TTR; start=TRTSDT; population=EFFFL EQ Y | PARAMCD EQ TTR
ADTTE | STARTDT | ADSL  | TRTSDT   | derive_param_tte    |                    | PARAMCD IN (OS, PFS, TTR)
ADTTE | STARTDT | ADRS  | ADT      | derive_param_tte    |                    | PARAMCD EQ DOR | PARAMCD == 'CRSP' and AVALC == 'Y'
ADTTE | ADT     | ADRS  | ADT      | event_source        | name=PD; evntdesc=DISEASE PROGRESSION; srcvar=ADT | PARAMCD IN (PFS, DOR) | PARAMCD == 'PD' and AVALC == 'Y'
ADTTE | ADT     | ADSL  | DTHDT    | event_source        | name=DEATH; evntdesc=DEATH; srcvar=DTHDT | PARAMCD IN (OS, PFS, DOR) | DTHFL == 'Y'
ADTTE | ADT     | ADRS  | ADT      | event_source        | name=RESPONSE; evntdesc=CONFIRMED RESPONSE; srcvar=ADT | PARAMCD EQ TTR | PARAMCD == 'CRSP' and AVALC == 'Y'
ADTTE | ADT     | ADSL  | LSTALVDT | censor_source       | name=LSTALV; cnsr=1; evntdesc=LAST KNOWN ALIVE; cnsdtdsc=LAST KNOWN ALIVE DATE; srcvar=LSTALVDT | PARAMCD EQ OS
ADTTE | ADT     | ADRS  | ADT      | censor_source       | name=LASTADEQ; cnsr=1; evntdesc=LAST ADEQUATE TUMOR ASSESSMENT; cnsdtdsc=LAST ADEQUATE TUMOR ASSESSMENT DATE; srcvar=ADT | PARAMCD IN (PFS, DOR, TTR) | PARAMCD == 'LSTA'
ADTTE | ADT     | ADSL  | TRTSDT   | censor_source       | name=NOPOST; cnsr=2; evntdesc=NO POST-BASELINE TUMOR ASSESSMENT; cnsdtdsc=CAR-T INFUSION DATE; srcvar=TRTSDT | PARAMCD IN (PFS, TTR)
ADTTE | ADT     | ADRS  | ADT      | censor_source       | name=NACT; cnsr=3; evntdesc=NEW ANTI-CANCER THERAPY; cnsdtdsc=LAST ADEQUATE TUMOR ASSESSMENT BEFORE NEW ANTI-CANCER THERAPY; srcvar=ADT | PARAMCD IN (PFS, DOR) | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADTTE | ADT     | ADRS  | ADT      | censor_source       | name=MISSED; cnsr=4; evntdesc=EVENT AFTER TWO OR MORE MISSED ASSESSMENTS; cnsdtdsc=LAST ADEQUATE TUMOR ASSESSMENT BEFORE MISSED ASSESSMENTS; srcvar=ADT | PARAMCD IN (PFS, DOR) | PARAMCD == 'OVR' and ANL01FL == 'Y'
ADTTE | CNSR    | ADTTE |          | derive_param_tte    |                    |
ADTTE | EVNTDESC | ADTTE |         | derive_param_tte    |                    |
ADTTE | CNSDTDSC | ADTTE |         | derive_param_tte    |                    |
ADTTE | SRCDOM  | ADTTE |          | derive_param_tte    |                    |
ADTTE | SRCVAR  | ADTTE |          | derive_param_tte    |                    |
ADTTE | SRCSEQ  | ADTTE |          | derive_param_tte    |                    |
ADTTE | AVAL    | ADTTE |          | derive_var_duration | start=STARTDT; end=ADT
ADTTE | PARAM   | ADTTE | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADTTE
ADTTE | PARAMN  | ADTTE | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADTTE
ADTTE | ASEQ    | ADTTE |          | derive_var_obs_number | order=PARAMN
@ADSL ADTR SUBJID SITEID SAFFL EFFFL TRTSDT
ADTR | TRTA     | ADSL  | TRT01A   | derive_vars_merged
ADTR | PARAMCD  | TR    | TRSTRESN | derive_param_sum    | value=SUMDIAM; by=USUBJID, VISITNUM; sum=TRSTRESN; date=earliest TRDTC | PARAMCD EQ SUMDIAM | TRTESTCD in ('LDIAM', 'LPERP') and TREVAL == 'INVESTIGATOR'
ADTR | AVAL     | TR    | TRSTRESN | derive_param_sum    |                    | PARAMCD EQ SUMDIAM
ADTR | ADT      | TR    | TRDTC    | derive_param_sum    |                    | PARAMCD EQ SUMDIAM
ADTR | AVISIT   | TR    | VISIT    | derive_param_sum    |                    | PARAMCD EQ SUMDIAM
ADTR | AVISITN  | TR    | VISITNUM | derive_param_sum    |                    | PARAMCD EQ SUMDIAM
ADTR | PARAM    | ADTR  | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADTR
ADTR | PARAMN   | ADTR  | PARAMCD  | derive_vars_param   | codelist=PARAMCD_ADTR
ADTR | ADY      | ADTR  | ADT      | derive_var_dy       | reference=TRTSDT; date=ADT
ADTR | ABLFL    | ADTR  |          | derive_var_extreme_flag | by=USUBJID, PARAMCD; order=-ADT; filter=ADT LE TRTSDT
ADTR | BASE     | ADTR  | AVAL     | derive_var_base
ADTR | CHG      | ADTR  | AVAL     | derive_var_chg
ADTR | PCHG     | ADTR  | AVAL     | derive_var_pchg
ADTR | NADIR    | ADTR  | AVAL     | derive_var_nadir
ADTR | ANL01FL  | ADTR  |          | derive_var_anl01fl  | from=TRTSDT; before=NACTDT
ADTR | SRCDOM   | TR    |          | derive_var_constant | value=TR           | PARAMCD EQ SUMDIAM
ADTR | SRCVAR   | TR    |          | derive_var_constant | value=TRSTRESN     | PARAMCD EQ SUMDIAM
ADTR | SRCSEQ   | TR    | TRSEQ    | derive_param_sum    |                    | PARAMCD EQ SUMDIAM | | null unless one TR record is summed
ADTR | TRLNKGRP | TR    | TRLNKGRP | derive_param_sum    |                    | PARAMCD EQ SUMDIAM | | null unless the summed TR records share one link group
ADTR | ASEQ     | ADTR  |          | derive_var_obs_number | order=ADT, AVISITN
@ADSL ADLB SUBJID SITEID AGE SEX SAFFL TRTSDT TRTEDT
ADLB | TRTA     | ADSL  | TRT01A   | derive_vars_merged
ADLB | STUDYID  | LB    | STUDYID  | create_from_source
ADLB | USUBJID  | LB    | USUBJID  | create_from_source
ADLB | LBSEQ    | LB    | LBSEQ    | create_from_source
ADLB | LBTESTCD | LB    | LBTESTCD | create_from_source
ADLB | LBTEST   | LB    | LBTEST   | create_from_source
ADLB | LBCAT    | LB    | LBCAT    | create_from_source
ADLB | LBORRES  | LB    | LBORRES  | create_from_source
ADLB | LBORRESU | LB    | LBORRESU | create_from_source
ADLB | LBORNRLO | LB    | LBORNRLO | create_from_source
ADLB | LBORNRHI | LB    | LBORNRHI | create_from_source
ADLB | LBSTRESC | LB    | LBSTRESC | create_from_source
ADLB | LBSTRESN | LB    | LBSTRESN | create_from_source
ADLB | LBSTRESU | LB    | LBSTRESU | create_from_source
ADLB | LBSTNRLO | LB    | LBSTNRLO | create_from_source
ADLB | LBSTNRHI | LB    | LBSTNRHI | create_from_source
ADLB | LBNRIND  | LB    | LBNRIND  | create_from_source
ADLB | LBSTAT   | LB    | LBSTAT   | create_from_source
ADLB | LBREASND | LB    | LBREASND | create_from_source
ADLB | LBSPEC   | LB    | LBSPEC   | create_from_source
ADLB | LBLOBXFL | LB    | LBLOBXFL | create_from_source
ADLB | VISITNUM | LB    | VISITNUM | create_from_source
ADLB | VISIT    | LB    | VISIT    | create_from_source
ADLB | VISITDY  | LB    | VISITDY  | create_from_source
ADLB | EPOCH    | LB    | EPOCH    | create_from_source
ADLB | LBDTC    | LB    | LBDTC    | create_from_source
ADLB | PARAMCD  | LB    | LBTESTCD | create_from_source
ADLB | PARAM    | LB    | LBTEST   | derive_var_param_unit | with=LBSTRESU
ADLB | PARCAT1  | LB    | LBCAT    | create_from_source
ADLB | AVAL     | LB    | LBSTRESN | create_from_source
ADLB | AVALC    | LB    | LBSTRESC | create_from_source | | | | only where AVAL is null
ADLB | ADT      | LB    | LBDTC    | derive_vars_dt     | imputation=none
ADLB | ADY      | ADLB  | ADT      | derive_var_dy      | reference=TRTSDT; date=ADT
ADLB | AVISIT   | LB    | VISIT    | create_from_source
ADLB | AVISITN  | LB    | VISITNUM | create_from_source
ADLB | ANRLO    | LB    | LBSTNRLO | create_from_source
ADLB | ANRHI    | LB    | LBSTNRHI | create_from_source
ADLB | ANRIND   | ADLB  | AVAL     | derive_var_anrind
ADLB | ABLFL    | ADLB  |          | derive_var_ablfl   | reference=TRTSDT
ADLB | BASE     | ADLB  | AVAL     | derive_var_base
ADLB | BNRIND   | ADLB  | ANRIND   | derive_var_base
ADLB | CHG      | ADLB  | AVAL     | derive_var_chg
ADLB | PCHG     | ADLB  | AVAL     | derive_var_pchg
ADLB | ATOXDSCL | ADLB  | PARAMCD  | derive_var_atoxgr  | version=4.0; direction=L
ADLB | ATOXGRL  | ADLB  | AVAL     | derive_var_atoxgr  | version=4.0; direction=L
ADLB | BTOXGRL  | ADLB  | ATOXGRL  | derive_var_base
ADLB | ATOXDSCH | ADLB  | PARAMCD  | derive_var_atoxgr  | version=4.0; direction=H
ADLB | ATOXGRH  | ADLB  | AVAL     | derive_var_atoxgr  | version=4.0; direction=H
ADLB | BTOXGRH  | ADLB  | ATOXGRH  | derive_var_base
ADLB | SHIFT1   | ADLB  | ANRIND   | derive_var_shift   | from=BNRIND; to=ANRIND
ADLB | SHIFT2   | ADLB  | ATOXGRL  | derive_var_shift   | from=BTOXGRL; to=ATOXGRL
ADLB | SHIFT3   | ADLB  | ATOXGRH  | derive_var_shift   | from=BTOXGRH; to=ATOXGRH
ADLB | ONTRTFL  | ADLB  | ADT      | derive_var_ontrtfl | start=TRTSDT
ADLB | ANL01FL  | ADLB  |          | derive_var_analysis_visit_flag | by=USUBJID, PARAMCD, AVISIT; order=ADT, LBSEQ; filter=ONTRTFL EQ Y; mode=last
ADLB | WGRLOFL  | ADLB  |          | derive_var_extreme_flag | by=USUBJID, PARAMCD; order=-ATOXGRL, ADT, LBSEQ; filter=ONTRTFL EQ Y
ADLB | WGRHIFL  | ADLB  |          | derive_var_extreme_flag | by=USUBJID, PARAMCD; order=-ATOXGRH, ADT, LBSEQ; filter=ONTRTFL EQ Y
ADLB | ASEQ     | ADLB  |          | derive_var_obs_number | order=PARAMCD, ADT, LBSEQ
@ADSL ADPC SUBJID SITEID AGE SEX SAFFL TRTSDT TRTSDTM
ADPC | TRTA     | ADSL  | TRT01A   | derive_vars_merged
ADPC | STUDYID  | CP    | STUDYID  | create_from_source |  | SRCDOM EQ CP
ADPC | USUBJID  | CP    | USUBJID  | create_from_source |  | SRCDOM EQ CP
ADPC | SRCDOM   | CP    |          | derive_var_constant | value=CP | SRCDOM EQ CP
ADPC | SRCVAR   | CP    |          | derive_var_constant | value=CPSTRESN | SRCDOM EQ CP
ADPC | SRCSEQ   | CP    | CPSEQ    | create_from_source |  | SRCDOM EQ CP
ADPC | PARAMCD  | CP    | CPTESTCD | create_from_source |  | SRCDOM EQ CP
ADPC | PARAM    | CP    | CPTEST   | derive_var_param_unit | with=CPSBMRKS, CPCELSTA, CPSPEC, CPSTRESU | SRCDOM EQ CP
ADPC | PARCAT1  | CP    | CPSPEC   | create_from_source |  | SRCDOM EQ CP
ADPC | AVALU    | CP    | CPSTRESU | create_from_source |  | SRCDOM EQ CP
ADPC | ALLOQ    | CP    |  | derive_var_alloq | lloq=TLSTLY=0.01 | SRCDOM EQ CP
ADPC | ADTM     | CP    | CPDTC    | derive_vars_dtm   | imputation=none | SRCDOM EQ CP
ADPC | ADT      | CP    | CPDTC    | derive_vars_dt    | imputation=none | SRCDOM EQ CP
ADPC | AVISIT   | CP    | VISIT    | create_from_source |  | SRCDOM EQ CP
ADPC | AVISITN  | CP    | VISITNUM | create_from_source |  | SRCDOM EQ CP
ADPC | STUDYID  | PC    | STUDYID  | create_from_source |  | SRCDOM EQ PC
ADPC | USUBJID  | PC    | USUBJID  | create_from_source |  | SRCDOM EQ PC
ADPC | SRCDOM   | PC    |          | derive_var_constant | value=PC | SRCDOM EQ PC
ADPC | SRCVAR   | PC    |          | derive_var_constant | value=PCSTRESN | SRCDOM EQ PC
ADPC | SRCSEQ   | PC    | PCSEQ    | create_from_source |  | SRCDOM EQ PC
ADPC | PARAMCD  | PC    | PCTESTCD | create_from_source |  | SRCDOM EQ PC
ADPC | PARAM    | PC    | PCTEST   | derive_var_param_unit | with=PCSPEC, PCSTRESU | SRCDOM EQ PC
ADPC | PARCAT1  | PC    | PCSPEC   | create_from_source |  | SRCDOM EQ PC
ADPC | AVALU    | PC    | PCSTRESU | create_from_source |  | SRCDOM EQ PC
ADPC | ALLOQ    | PC    | PCLLOQ | derive_var_alloq | lloq=TLSTLY=0.01 | SRCDOM EQ PC
ADPC | ADTM     | PC    | PCDTC    | derive_vars_dtm   | imputation=none | SRCDOM EQ PC
ADPC | ADT      | PC    | PCDTC    | derive_vars_dt    | imputation=none | SRCDOM EQ PC
ADPC | AVISIT   | PC    | VISIT    | create_from_source |  | SRCDOM EQ PC
ADPC | AVISITN  | PC    | VISITNUM | create_from_source |  | SRCDOM EQ PC
ADPC | BLQFL    | ADPC  | AVAL     | derive_var_blqfl   | results=BLQ, BQL, BLOQ, LLOQ, NQ, BELOW LLOQ
ADPC | AVAL     | ADPC  |          | derive_var_aval_blq | before_first=ZERO; between=MISSING; after_last=ZERO
ADPC | ADY      | ADPC  | ADT      | derive_var_dy      | reference=TRTSDT; date=ADT
ADPC | NFRLT    | ADPC  | AVISITN  | derive_var_frlt    | reference=TRTSDTM; unit=DAYS
ADPC | AFRLT    | ADPC  | ADTM     | derive_var_frlt    | reference=TRTSDTM; unit=DAYS
ADPC | FRLTU    | ADPC  |          | derive_var_frlt    | unit=DAYS
ADPC | ANL01FL  | ADPC  |          | derive_var_nca_flag | time=ACTUAL
ADPC | ASEQ     | ADPC  |          | derive_var_obs_number | order=PARAMCD, PARCAT1, AFRLT, SRCDOM, SRCSEQ
ADPP | STUDYID  | ADPC  | STUDYID  | derive_vars_merged
ADPP | USUBJID  | ADPC  | USUBJID  | derive_vars_merged
ADPP | SUBJID   | ADPC  | SUBJID   | derive_vars_merged
ADPP | SITEID   | ADPC  | SITEID   | derive_vars_merged
ADPP | AGE      | ADPC  | AGE      | derive_vars_merged
ADPP | SEX      | ADPC  | SEX      | derive_vars_merged
ADPP | SAFFL    | ADPC  | SAFFL    | derive_vars_merged
ADPP | TRTA     | ADPC  | TRTA     | derive_vars_merged
ADPP | TRTSDT   | ADPC  | TRTSDT   | derive_vars_merged
ADPP | TRTSDTM  | ADPC  | TRTSDTM  | derive_vars_merged
ADPP | PARAMCD  | ADPC  | AVAL     | derive_param_nca   | method=LINUP_LOGDOWN; time=ACTUAL; time_zero=ZERO; partial_end=28 | | ANL01FL == 'Y'
ADPP | AVAL     | ADPC  | AVAL     | derive_param_nca
ADPP | AVALU    | ADPC  | AVALU    | derive_param_nca
ADPP | SRCDOM   | ADPC  | SRCDOM   | derive_param_nca
ADPP | PARCAT1  | ADPC  | PARAMCD  | derive_param_nca
ADPP | PARCAT2  | ADPC  | PARCAT1  | derive_param_nca
ADPP | PARCAT3  | ADPC  | PARAM    | derive_param_nca
ADPP | PARAM    | ADPP  | PARAMCD  | derive_vars_param  | codelist=PARAMCD_ADPP
ADPP | ASEQ     | ADPP  |          | derive_var_obs_number | order=SRCDOM, PARCAT1, PARCAT2, PARCAT3
"""


_FROM_SDTM_RECORDS = ("ADAE", "ADLB", "ADPC")  # their records, STUDYID and USUBJID come from SDTM


def _from_adsl(line: str) -> list[Row]:
    """`@ADSL DATASET VAR...`: variables copied from ADSL."""
    _, dataset, *variables = line.split()
    return [{"Dataset": dataset, "Variable": v, "Source Form": "ADSL", "Source Field": v,
             "Algorithm": "derive_vars_merged"} for v in ("STUDYID", "USUBJID", *variables)
            if not (dataset in _FROM_SDTM_RECORDS and v in ("STUDYID", "USUBJID"))]


def mapping_rows() -> list[Row]:
    rows: list[Row] = []
    for line in _MAPPING.strip("\n").splitlines():
        if line.startswith("@ADSL"):
            rows += _from_adsl(line)
        else:
            rows += pipe_table(line, _COLUMNS)
    return [{"Order": str(i), **{k: v for k, v in r.items() if v}} for i, r in enumerate(rows, start=1)]
