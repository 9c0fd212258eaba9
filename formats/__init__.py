"""The bottom layer for file formats: SAS XPORT v5, CDISC Dataset-JSON, folders of datasets, the build clock.

Everything above (sdtm, adam, define_xml, validation, trialforge) reads and writes datasets through it;
it imports nothing of theirs.
"""
