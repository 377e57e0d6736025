"""Dagster definitions, one package per domain, each with role-named modules."""
