"""trialforge: raw EDC extracts + spec workbooks in, a checked submission package out."""

__version__ = "0.1.0"
