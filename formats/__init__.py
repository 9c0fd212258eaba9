"""The bottom layer for file formats, beside specs/; each reader and helper exists once, here.

- `xpt` (+ `xpt_ibm`): SAS XPORT v5 reader and writer; `datasetjson`: CDISC Dataset-JSON 1.1 (.json, .ndjson).
- `folder.load_folder`: a folder of XPT / CSV / Dataset-JSON files as `folder.Dataset`s, one convention.
- `definexml.read_define_tree`: the define.xml reader (2.1 and 2.0), on `safexml`'s hardened parser.
- `sasdates`: the SAS epoch, SAS date formats and conversions; `isodates`: complete ISO 8601 dates and
  the study day; `clock`: the build clock (SOURCE_DATE_EPOCH).

Everything above (sdtm, adam, define_xml, validation, trialforge) reads and writes datasets through it;
it imports nothing of theirs, and of specs only `specs.errors` (tests/test_layers.py).
"""
