"""Jinja2 templates (package data)."""
