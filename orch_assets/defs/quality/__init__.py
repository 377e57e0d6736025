"""Blocking quality checks on the marts and on the metric definitions."""
