"""Great Expectations suites on the marts, run over pandas frames read from the warehouse.

GE 1.x validates pandas DataFrames reliably here; its SQL path against DuckDB does not, and
dagster-ge supports only GE below 1, so the suites are built and run directly and wrapped as
Dagster checks elsewhere. Each failed expectation reports its kind, column, observed value
and a few offending rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import great_expectations as gx
import pandas as pd

from orch_assets.quality.results import Failure, GateResult

log = logging.getLogger(__name__)
SAMPLE_ROWS = 5
E = gx.expectations


@dataclass(frozen=True)
class MartSuite:
    """A mart's key and the expectations its rows must meet (given reference data)."""

    mart: str
    key: tuple[str, ...]
    expectations: Callable[[dict], list]


def _unique_key(key: tuple[str, ...]) -> list:
    if len(key) == 1:
        return [
            E.ExpectColumnValuesToBeUnique(column=key[0]),
            E.ExpectColumnValuesToNotBeNull(column=key[0]),
        ]
    return [E.ExpectCompoundColumnsToBeUnique(column_list=list(key))]


def _non_negative(*columns: str) -> list:
    return [E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in columns]


def _rates(*columns: str) -> list:
    return [E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in columns]


def _every_day(column: str, reference: dict) -> list:
    return [E.ExpectColumnDistinctValuesToContainSet(column=column, value_set=reference["days"])]


SUITES: dict[str, MartSuite] = {
    suite.mart: suite
    for suite in (
        MartSuite(
            "orders",
            ("order_id",),
            lambda ref: [
                *_non_negative("order_value", "promise_latency_ms", "line_count", "manual_touches"),
                E.ExpectColumnValuesToBeBetween(column="ship_to_zone", min_value=1, max_value=8),
                E.ExpectColumnValuesToNotBeNull(column="has_final_outcome"),
                E.ExpectColumnValuesToBeInSet(column="cohort", value_set=["treatment", "control"]),
                E.ExpectColumnDistinctValuesToContainSet(column="node_id", value_set=ref["nodes"]),
                *_every_day("order_date", ref),
            ],
        ),
        MartSuite(
            "shipments",
            ("shipment_id",),
            lambda ref: [
                *_non_negative("quoted_transit_days", "transit_days"),
                E.ExpectColumnValuesToBeBetween(column="zone", min_value=1, max_value=8),
                E.ExpectColumnDistinctValuesToContainSet(column="node_id", value_set=ref["nodes"]),
                *_every_day("shipment_date", ref),
            ],
        ),
        *(
            MartSuite(
                version,
                ("entry_id",),
                lambda ref: [
                    *_non_negative("amount"),
                    E.ExpectColumnValuesToNotBeNull(column="root_cause"),
                    E.ExpectColumnValuesToBeInSet(
                        column="decision_point",
                        value_set=[
                            "promise",
                            "routing",
                            "inventory",
                            "pick_pack",
                            "carrier",
                            "payment",
                        ],
                    ),
                ],
            )
            for version in ("leakage_v1", "leakage_v2")
        ),
        MartSuite(
            "exceptions",
            ("exception_id",),
            lambda ref: [
                *_non_negative("age_minutes", "manual_touches"),
                E.ExpectColumnValuesToBeInSet(
                    column="exception_class",
                    value_set=["recoverable", "operator", "customer_action", "hard_failure"],
                ),
            ],
        ),
        MartSuite(
            "decision_latency_daily",
            ("event_date", "decision_point", "customer_region"),
            lambda ref: [
                *_non_negative("calls", "failed_calls", "p50_latency_ms"),
                E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="p95_latency_ms", column_B="p50_latency_ms", or_equal=True
                ),
                E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="p99_latency_ms", column_B="p95_latency_ms", or_equal=True
                ),
                E.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="calls", column_B="failed_calls", or_equal=True
                ),
                *_every_day("event_date", ref),
            ],
        ),
        MartSuite(
            "dependency_health_hourly",
            ("hour_at", "dependency"),
            lambda ref: [
                *_rates("error_rate", "timeout_rate", "retry_rate"),
                *_non_negative("calls", "circuit_open_seconds", "dead_letters"),
                *_every_day("health_date", ref),
            ],
        ),
        MartSuite(
            "labor_daily",
            ("opened_date", "exception_class"),
            lambda ref: _non_negative("manual_touches", "labor_hours", "labor_cost"),
        ),
    )
}


def reference_values(con: duckdb.DuckDBPyConnection) -> dict:
    """What suites compare against: every node, and every day the orders span."""
    nodes = [row[0] for row in con.execute("select node_id from reference.nodes").fetchall()]
    first, last = con.execute("select min(order_date), max(order_date) from main.orders").fetchone()
    days: list[dt.date] = []
    if first is not None:
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return {"nodes": sorted(nodes), "days": days}


def run_suite(suite: MartSuite, frame: pd.DataFrame, reference: dict) -> GateResult:
    """Validate one mart's frame with Great Expectations and collect its failures."""
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas(f"{suite.mart}_source")
    batch = source.add_dataframe_asset(name=suite.mart).add_batch_definition_whole_dataframe(
        "whole"
    )
    expectations = [*_unique_key(suite.key), *suite.expectations(reference)]
    gx_suite = context.suites.add(
        gx.ExpectationSuite(name=f"{suite.mart}_suite", expectations=expectations)
    )
    outcome = batch.get_batch(batch_parameters={"dataframe": frame}).validate(
        gx_suite, result_format="SUMMARY"
    )
    failures = []
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "value_set")}
        details = result.result or {}
        observed = details.get("observed_value", details.get("unexpected_count"))
        unexpected = details.get("partial_unexpected_list") or []
        failures.append(
            Failure(
                check="expectations",
                target=suite.mart,
                expectation=config.type,
                observed=observed,
                detail=_describe(config.type, kwargs, details),
                sample_rows=_samples(frame, kwargs, unexpected),
            )
        )
    log.info(
        "%s: %d expectations over %d rows, %d failed",
        suite.mart,
        len(expectations),
        len(frame),
        len(failures),
    )
    return GateResult("expectations", suite.mart, len(expectations), failures)


def _describe(kind: str, kwargs: dict, details: dict) -> str:
    where = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    count = details.get("unexpected_count")
    if count is not None:
        return f"{kind}({where}): {count} rows break it"
    missing = details.get("details", {}).get("value_counts") if details.get("details") else None
    return f"{kind}({where}): observed {details.get('observed_value', missing)}"


def _samples(frame: pd.DataFrame, kwargs: dict, unexpected: list) -> list[dict]:
    column = kwargs.get("column")
    if column in frame.columns and unexpected:
        values = [v for v in unexpected if not isinstance(v, dict)]
        rows = frame[frame[column].isin(values)] if values else frame.iloc[0:0]
        if rows.empty and kwargs.get("column") and frame[column].isna().any():
            rows = frame[frame[column].isna()]
        return rows.head(SAMPLE_ROWS).to_dict("records")
    return []


def read_mart(con: duckdb.DuckDBPyConnection, mart: str) -> pd.DataFrame:
    return con.execute(f"select * from main.{mart}").df()


def run_all_suites(warehouse_file, marts: list[str] | None = None) -> list[GateResult]:
    con = duckdb.connect(str(warehouse_file), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        reference = reference_values(con)
        return [
            run_suite(SUITES[mart], read_mart(con, mart), reference)
            for mart in (marts or list(SUITES))
        ]
    finally:
        con.close()
