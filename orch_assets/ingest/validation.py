"""Contract validation as set-based SQL: every rule of a feed becomes one predicate.

A landing file is read into DuckDB with every contract column as text (CSV and JSON lines) or
as its stored type (Parquet). `rule_checks` turns the feed's contract into (rule, column,
predicate) triples where the predicate is true for a row that breaks the rule; `typed_select`
casts the raw columns into lake types. Ingestion evaluates all predicates in one pass and
quarantines each failing row with the first rule it broke, so a row is counted once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orch_assets.contracts import LAKE_TYPES, Column, Feed

# ISO 8601 with a date, a time and an explicit offset (Z, +hh:mm, +hhmm or +hh).
ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class RuleCheck:
    """One rule: its name, the column it concerns (if one), and the SQL that flags a breach."""

    rule: str
    column: str | None
    violated: str
    fix: str


def typed_expression(column: Column, text_input: bool) -> str:
    """SQL casting the raw column into its lake type, null where it cannot be cast."""
    source = quote(column.name)
    lake_type = LAKE_TYPES[column.type]
    if not text_input:
        return f"try_cast({source} as {lake_type})"
    if column.type == "timestamp":
        # A timestamp without an offset is ambiguous; it does not cast, and breaks `format`.
        return (
            f"case when regexp_full_match(trim({source}), '{ISO_TIMESTAMP}') "
            f"then try_cast(trim({source}) as {lake_type}) end"
        )
    if column.type == "date":
        return (
            f"case when regexp_full_match(trim({source}), '{ISO_DATE}') "
            f"then try_cast(trim({source}) as {lake_type}) end"
        )
    if column.type == "boolean":
        return f"case lower(trim({source})) when 'true' then true when 'false' then false end"
    if column.type == "string":
        return f"nullif({source}, '')"
    if column.type == "integer":
        # A cast would round 3.6 to 4; a whole-number column takes whole numbers only.
        return (
            f"case when regexp_full_match(trim({source}), '-?[0-9]+') "
            f"then try_cast(trim({source}) as {lake_type}) end"
        )
    return f"try_cast(trim({source}) as {lake_type})"


def _present(column: Column, text_input: bool) -> str:
    """SQL true when the raw value is there at all (not null, not an empty string)."""
    source = quote(column.name)
    if text_input:
        return f"({source} is not null and trim({source}) <> '')"
    return f"({source} is not null)"


def rule_checks(feed: Feed, text_input: bool, references: dict[str, str]) -> list[RuleCheck]:
    """Every per-row rule of the feed, in the order a row is judged by.

    `references` maps a reference table name to the SQL relation holding its keys in a column
    named `key` (for example a view over the reference CSV).
    """
    checks: list[RuleCheck] = []
    for column in feed.columns:
        name = column.name
        present = _present(column, text_input)
        typed = f"typed_{name}"
        if column.required:
            checks.append(
                RuleCheck("required", name, f"not {present}", f"give every row a value for {name}")
            )
        expected = _type_words(column)
        checks.append(
            RuleCheck(
                "type",
                name,
                f"{present} and {quote(typed)} is null",
                f"write {name} as {expected}",
            )
        )
        value = quote(typed)
        if column.allowed:
            allowed = ", ".join("'" + item.replace("'", "''") + "'" for item in column.allowed)
            checks.append(
                RuleCheck(
                    "allowed",
                    name,
                    f"{value} is not null and {value} not in ({allowed})",
                    f"use one of {', '.join(column.allowed)} for {name}",
                )
            )
        if column.minimum is not None:
            checks.append(
                RuleCheck(
                    "minimum",
                    name,
                    f"{value} is not null and {value} < {column.minimum!r}",
                    f"{name} must be at least {column.minimum:g}",
                )
            )
        if column.maximum is not None:
            checks.append(
                RuleCheck(
                    "maximum",
                    name,
                    f"{value} is not null and {value} > {column.maximum!r}",
                    f"{name} must be at most {column.maximum:g}",
                )
            )
        if column.pattern:
            checks.append(
                RuleCheck(
                    "pattern",
                    name,
                    f"{value} is not null and not regexp_full_match({value}, '{column.pattern}')",
                    f"{name} must match {column.pattern}",
                )
            )
        if column.reference and column.reference in references:
            relation = references[column.reference]
            checks.append(
                RuleCheck(
                    "reference",
                    name,
                    f"{value} is not null and {value} not in (select key from {relation})",
                    f"add {name} to the {column.reference} reference table or correct it",
                )
            )
    for rule in feed.row_rules:
        predicate = rule.predicate
        for column in feed.columns:
            predicate = _replace_identifier(predicate, column.name, quote(f"typed_{column.name}"))
        checks.append(
            RuleCheck(rule.name, None, f"coalesce(not ({predicate}), false)", rule.description)
        )
    return checks


def _type_words(column: Column) -> str:
    return {
        "string": "text",
        "integer": "a whole number",
        "decimal": "a decimal number such as 12.50",
        "timestamp": "ISO 8601 with an offset, such as 2026-01-05T14:03:00Z",
        "date": "an ISO date, such as 2026-01-05",
        "boolean": "true or false",
    }[column.type]


def _replace_identifier(predicate: str, name: str, replacement: str) -> str:
    return re.sub(rf"(?<![\w\"]){re.escape(name)}(?![\w\"])", replacement, predicate)


def typed_select(feed: Feed, text_input: bool) -> str:
    """Select list of `typed_<column>` expressions for every contract column."""
    return ",\n".join(
        f"{typed_expression(column, text_input)} as {quote('typed_' + column.name)}"
        for column in feed.columns
    )
