"""The CDISC pilot (CDISCPILOT01) SDTM spec as content: one module per group of sheets.

`workbook.build_sheets()` assembles every sheet; `../author.py` lays them out in `pilot_sdtm_spec.xlsx`.
"""
