"""CDISC Controlled Terminology 2025-03-28 (NCI EVS), carried as gzipped data; read by `specs.terminology`.

The files are the NCI EVS publications unchanged except for gzip: SDTM CT (tab-delimited) and ADaM and
Define-XML CT (CSV). CDISC CT is published by NCI EVS for free use in CDISC submissions.
"""
