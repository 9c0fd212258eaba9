"""Jinja2 templates of trialforge reports (package data)."""
