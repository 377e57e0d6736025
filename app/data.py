"""Queries the scorecard runs against the live published snapshot.

The app never opens the DuckDB file dbt writes: DuckDB allows one writing process or many
readers, never both, so a running build would lock the app out. It reads the published
snapshot instead. Each mart's Parquet file is loaded into an in-memory DuckDB, one connection
per snapshot id, cached as a resource; query results are cached on the snapshot id and the
filter values. A new publish changes the id, so the next rerun reads the new snapshot and
never a cached answer from the old one.

Every value a user chooses reaches DuckDB as a bind parameter. Query text is assembled only
from this module's own constants (the filter macros' argument list, shared count columns), and
tables are created through DuckDB's relation API, so no name or value is ever spliced in.

The filter macros mirror the dimensions of the semantic models: orders filter on their own
columns; shipments and exceptions take channel, region and value band from their order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st
import yaml

from orch_assets.publish.snapshot import (
    Snapshot,
    SnapshotError,
    blocked_attempts,
    current_snapshot,
)
from orch_assets.settings import REPO_ROOT, load_settings

# Results are keyed on the snapshot id, so they never go stale; the time limit only bounds
# how long an unused answer holds memory.
CACHE_TTL = dt.timedelta(hours=1)
METRICS_FILE = REPO_ROOT / "dbt_project" / "models" / "semantic" / "_metrics.yml"
CHANGELOG_FILE = REPO_ROOT / "dbt_project" / "CHANGELOG.md"

CORE_MARTS = (
    "orders",
    "shipments",
    "leakage_v1",
    "leakage_v2",
    "exceptions",
    "order_events",
    "decision_latency_daily",
    "dependency_health_hourly",
    "labor_daily",
    "change_annotations",
)
# Published once the SLO assets run; every page that reads one checks it is there first.
SLO_MARTS = (
    "slo_burndown",
    "slo_alert_episodes",
    "rollback_firings",
    "rollout_impact",
    "rollout_impact_cells",
    "quarantine_summary",
)
KNOWN_MARTS = CORE_MARTS + SLO_MARTS
# Events are the one mart that grows with every order step; at a million orders it would not
# fit comfortably in memory, and only single-order lookups read it, straight from Parquet.
PARQUET_ONLY_MARTS = frozenset({"order_events"})

BREAKDOWN_DIMENSIONS = {
    "channel": "Channel",
    "customer_region": "Region",
    "node_id": "Node",
    "carrier_id": "Carrier",
    "value_band": "Value band",
}
LEAKAGE_VERSIONS = (2, 1)
# A day's rate over a handful of orders says nothing: daily rates under this volume are left
# blank rather than drawn as a cliff.
MIN_DAILY_VOLUME = 30
# Outcomes arrive days after the order (right-censoring): on the newest days only cancellations
# and the fastest deliveries are in, so a day's outcome rates wait until nearly all of its orders
# have an outcome. The period's tiles still count every outcome, as the metrics define.
MIN_OUTCOME_SHARE = 0.95
OUTCOME_DENOMINATORS = frozenset({"outcome_orders", "delivered_orders"})
DENOMINATORS = {
    "otif_rate": "outcome_orders",
    "perfect_order_rate": "outcome_orders",
    "promise_accuracy": "delivered_orders",
    "exception_rate": "orders",
    "auto_routing_rate": "routable_orders",
    "fallback_rate": "routable_orders",
    "cancellation_rate": "routable_orders",
    "split_shipment_rate": "shipped_orders",
}
LIFECYCLE = (
    "order_created",
    "payment_authorized",
    "promise_calculated",
    "node_selected",
    "inventory_reserved",
    "released_to_fulfillment",
    "pick_started",
    "pack_completed",
    "ship_label_created",
    "delivered",
    "canceled",
)

MACROS = (
    """
    create macro picked(value, allowed) as
        allowed is null or list_contains(allowed, value)
    """,
    """
    create macro scoped_orders(
        date_from, date_to, channel_list, region_list, node_list, carrier_list, band_list
    ) as table
        select *
        from orders
        where
            order_date between date_from and date_to
            and picked(channel, channel_list)
            and picked(customer_region, region_list)
            and picked(node_id, node_list)
            and picked(carrier_id, carrier_list)
            and picked(value_band, band_list)
    """,
    """
    create macro scoped_shipments(
        date_from, date_to, channel_list, region_list, node_list, carrier_list, band_list
    ) as table
        select shipments.*
        from shipments
        inner join orders on shipments.order_id = orders.order_id
        where
            orders.order_date between date_from and date_to
            and picked(orders.channel, channel_list)
            and picked(orders.customer_region, region_list)
            and picked(shipments.node_id, node_list)
            and picked(shipments.carrier_id, carrier_list)
            and picked(orders.value_band, band_list)
    """,
    """
    create macro scoped_exceptions(
        date_from, date_to, channel_list, region_list, node_list, carrier_list, band_list
    ) as table
        select exceptions.*
        from exceptions
        left join orders on exceptions.order_id = orders.order_id
        where
            exceptions.opened_date between date_from and date_to
            and picked(orders.channel, channel_list)
            and picked(orders.customer_region, region_list)
            and picked(exceptions.node_id, node_list)
            and picked(orders.carrier_id, carrier_list)
            and picked(orders.value_band, band_list)
    """,
    """
    create macro scoped_leakage(
        attribution,
        date_from, date_to, channel_list, region_list, node_list, carrier_list, band_list
    ) as table
        with entries as (
            select 1 as attribution_version, * from leakage_v1
            union all by name
            select 2 as attribution_version, * from leakage_v2
        )

        select * exclude (attribution_version)
        from entries
        where
            attribution_version = attribution
            and booked_date between date_from and date_to
            and picked(channel, channel_list)
            and picked(customer_region, region_list)
            and picked(node_id, node_list)
            and picked(carrier_id, carrier_list)
            and picked(value_band, band_list)
    """,
)
SCOPE_ARGS = "$start, $end, $channels, $regions, $nodes, $carriers, $value_bands"


class SnapshotUnavailableError(RuntimeError):
    """No snapshot can be read; the message says what to run."""


@dataclass(frozen=True)
class SnapshotRef:
    """What a cached query needs to find a snapshot: its id, folder and published marts."""

    snapshot_id: str
    folder: str
    marts: tuple[str, ...]

    @classmethod
    def of(cls, snapshot: Snapshot) -> SnapshotRef:
        """The reference of a snapshot read from its manifest."""
        published = snapshot.manifest.get("marts", {})
        return cls(
            snapshot_id=snapshot.snapshot_id,
            folder=str(snapshot.path),
            marts=tuple(m for m in KNOWN_MARTS if m in published),
        )

    def has(self, mart: str) -> bool:
        """Whether the snapshot publishes this mart."""
        return mart in self.marts

    def path_of(self, mart: str) -> str:
        """The Parquet file of a mart."""
        return str(Path(self.folder) / f"{mart}.parquet")


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; an empty tuple means every value of that dimension."""

    start: dt.date
    end: dt.date
    channels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    value_bands: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        """Days in the range, both ends included."""
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the equally long period just before this one."""
        return dataclasses.replace(
            self,
            start=self.start - dt.timedelta(days=self.days),
            end=self.start - dt.timedelta(days=1),
        )

    def params(self) -> dict[str, Any]:
        """Bind parameters for the scoped macros; None lets every value through."""
        return {
            "start": self.start,
            "end": self.end,
            "channels": list(self.channels) or None,
            "regions": list(self.regions) or None,
            "nodes": list(self.nodes) or None,
            "carriers": list(self.carriers) or None,
            "value_bands": list(self.value_bands) or None,
        }

    def window(self) -> dict[str, dt.datetime]:
        """The range as UTC instants, for marts keyed by timestamp: [start, end + 1 day)."""
        return {
            "start_at": dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC),
            "end_at": dt.datetime.combine(
                self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
            ),
        }


def snapshot_dir() -> Path:
    """Where published snapshots live (ORCH_SNAPSHOT_DIR, default data/snapshots)."""
    return load_settings().snapshots


def live_snapshot() -> Snapshot:
    """The live snapshot, read fresh on every rerun so a new publish shows at once.

    Raises:
        SnapshotUnavailableError: Nothing is published yet, or CURRENT names a missing folder.
    """
    folder = snapshot_dir()
    try:
        snapshot = current_snapshot(folder)
    except SnapshotError as error:
        raise SnapshotUnavailableError(f"{error} with `make pipeline`.") from None
    if snapshot is None:
        raise SnapshotUnavailableError(
            f"No published snapshot in {folder}. Run `make pipeline` to build the marts and "
            "publish one (or point ORCH_SNAPSHOT_DIR at a folder that has one)."
        )
    return snapshot


def blocked_publishes() -> list[dict]:
    """Publishes the quality checks stopped, newest first."""
    return blocked_attempts(snapshot_dir())


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snapshot_id: str, folder: str, marts: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding one snapshot's marts, shared by every session.

    Args:
        snapshot_id: The cache key: a new publish gets a new connection.
        folder: The snapshot folder.
        marts: The marts it publishes.

    Raises:
        SnapshotUnavailableError: A mart the manifest lists has no readable Parquet file.
    """
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    ref = SnapshotRef(snapshot_id, folder, marts)
    for mart in ref.marts:
        if mart in PARQUET_ONLY_MARTS:
            continue
        try:
            # The relation API names the table without splicing anything into SQL text.
            con.read_parquet(ref.path_of(mart)).create(mart)
        except duckdb.Error as error:
            con.close()
            raise SnapshotUnavailableError(
                f"Snapshot {snapshot_id} lists mart {mart}, but {ref.path_of(mart)} cannot be "
                f"read ({error}). Run `make pipeline` to publish a complete snapshot."
            ) from None
    for macro in MACROS:
        con.execute(macro)
    return con


def _frame(ref: SnapshotRef, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    # A cursor per query: the connection is shared by every session's thread, and a DuckDB
    # connection must not run two statements at once, while cursors on it may.
    cursor = _connection(ref.snapshot_id, ref.folder, ref.marts).cursor()
    try:
        return cursor.execute(sql, params or {}).df()
    finally:
        cursor.close()


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """A rate, or None when there is nothing to divide by."""
    if numerator is None or not denominator or pd.isna(denominator):
        return None
    return float(numerator) / float(denominator)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def filter_options(ref: SnapshotRef) -> dict[str, list[str]]:
    """Values each sidebar filter offers, read from the snapshot's orders."""
    options: dict[str, list[str]] = {}
    for key, sql in {
        "channels": "select distinct channel from orders order by 1",
        "regions": "select distinct customer_region from orders order by 1",
        "nodes": "select distinct node_id from orders where node_id is not null order by 1",
        "carriers": (
            "select distinct carrier_id from orders where carrier_id is not null order by 1"
        ),
        "value_bands": (
            "select value_band from orders group by value_band order by min(order_value)"
        ),
    }.items():
        options[key] = [str(v) for v in _frame(ref, sql).iloc[:, 0].dropna()]
    return options


ORDER_COUNTS = """
        count(*) as orders,
        count_if(has_final_outcome) as outcome_orders,
        count_if(has_final_outcome and is_otif) as otif_orders,
        count_if(has_final_outcome and is_perfect_order) as perfect_orders,
        count_if(is_delivered) as delivered_orders,
        count_if(is_on_time) as on_time_orders,
        count_if(exception_count > 0) as orders_with_exception,
        count_if(not is_payment_failure) as routable_orders,
        count_if(is_auto_routed and not is_payment_failure) as auto_routed_orders,
        count_if(is_fallback_routed and not is_payment_failure) as fallback_routed_orders,
        count_if(is_canceled and not is_payment_failure) as canceled_orders,
        count_if(shipment_count > 0) as shipped_orders,
        count_if(is_split) as split_orders,
        coalesce(sum(manual_touches), 0) as manual_touches,
        coalesce(sum(order_value), 0)::double as gross_order_value
"""


def _rates(counts: dict[str, Any]) -> dict[str, float | None]:
    """The headline rates from the counts ORDER_COUNTS selects (metric definitions)."""
    return {
        "otif_rate": ratio(counts["otif_orders"], counts["outcome_orders"]),
        "perfect_order_rate": ratio(counts["perfect_orders"], counts["outcome_orders"]),
        "promise_accuracy": ratio(counts["on_time_orders"], counts["delivered_orders"]),
        "exception_rate": ratio(counts["orders_with_exception"], counts["orders"]),
        "auto_routing_rate": ratio(counts["auto_routed_orders"], counts["routable_orders"]),
        "fallback_rate": ratio(counts["fallback_routed_orders"], counts["routable_orders"]),
        "cancellation_rate": ratio(counts["canceled_orders"], counts["routable_orders"]),
        "split_shipment_rate": ratio(counts["split_orders"], counts["shipped_orders"]),
    }


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def headline(ref: SnapshotRef, filters: Filters) -> dict[str, float | None]:
    """The executive tiles over the filtered period.

    Leakage is attribution version 2 booked in the period, over the gross value of orders
    placed in it, as the `leakage_rate` metric joins them on metric time.
    """
    sql = "select" + ORDER_COUNTS + "from scoped_orders(" + SCOPE_ARGS + ")"
    counts = _frame(ref, sql, filters.params()).iloc[0].to_dict()
    leakage = _frame(
        ref,
        "select coalesce(sum(amount), 0)::double as amount "
        "from scoped_leakage(2, " + SCOPE_ARGS + ")",
        filters.params(),
    ).iloc[0]["amount"]
    values: dict[str, float | None] = {
        "orders": float(counts["orders"]),
        "gross_order_value": float(counts["gross_order_value"]),
        "leakage_amount": float(leakage),
        "leakage_rate": ratio(leakage, counts["gross_order_value"]),
    }
    values.update(_rates(counts))
    return values


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def daily_trends(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Daily rates and leakage over the period, one row per day.

    A rate is empty on a day with fewer than MIN_DAILY_VOLUME orders in its denominator, and
    an outcome rate also while fewer than MIN_OUTCOME_SHARE of the day's orders have one.
    """
    sql = (
        "select order_date as day,"
        + ORDER_COUNTS
        + "from scoped_orders("
        + SCOPE_ARGS
        + ")\ngroup by order_date\norder by order_date"
    )
    daily = _frame(ref, sql, filters.params())
    rates = pd.DataFrame([_rates(row) for row in daily.to_dict("records")], index=daily.index)
    for rate, denominator in DENOMINATORS.items():
        judged = daily[denominator] >= MIN_DAILY_VOLUME
        if denominator in OUTCOME_DENOMINATORS:
            judged &= daily[denominator] >= MIN_OUTCOME_SHARE * daily["orders"]
        rates[rate] = rates[rate].where(judged)
    daily = pd.concat([daily[["day", "orders", "gross_order_value"]], rates], axis=1)
    leakage = _frame(
        ref,
        "select booked_date as day, sum(amount)::double as leakage_amount "
        "from scoped_leakage(2, " + SCOPE_ARGS + ") group by booked_date",
        filters.params(),
    )
    daily = daily.merge(leakage, on="day", how="left")
    daily["leakage_amount"] = daily["leakage_amount"].fillna(0.0)
    return daily


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def changes(ref: SnapshotRef, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Changes in force at any time in the period, oldest first."""
    return _frame(
        ref,
        """
        select
            change_id,
            change_kind,
            starts_at,
            ends_at,
            starts_date,
            scope,
            description,
            rule_set_version
        from change_annotations
        where
            starts_date <= $end
            and coalesce(ends_at::date, $end) >= $start
        order by starts_at, change_id
        """,
        {"start": start, "end": end},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def breakdown(ref: SnapshotRef, filters: Filters, dimension: str) -> pd.DataFrame:
    """Order metrics by one dimension of BREAKDOWN_DIMENSIONS, largest segment first."""
    if dimension not in BREAKDOWN_DIMENSIONS:
        raise ValueError(
            f"breakdown dimension {dimension!r} is not one of {', '.join(BREAKDOWN_DIMENSIONS)}"
        )
    sql = (
        """
        select
            case $dimension
                when 'channel' then channel
                when 'customer_region' then customer_region
                when 'node_id' then node_id
                when 'carrier_id' then carrier_id
                when 'value_band' then value_band
            end as segment,"""
        + ORDER_COUNTS
        + "from scoped_orders("
        + SCOPE_ARGS
        + ")\ngroup by segment\norder by orders desc, segment"
    )
    counts = _frame(ref, sql, {**filters.params(), "dimension": dimension})
    rates = pd.DataFrame([_rates(row) for row in counts.to_dict("records")], index=counts.index)
    return pd.concat([counts[["segment", "orders", "gross_order_value"]], rates], axis=1)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def promise_drift(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Mean promise drift of delivered shipments, per node and carrier."""
    return _frame(
        ref,
        "select node_id, carrier_id, count(*) as delivered_shipments, "
        "avg(promise_drift_days) as mean_drift_days, "
        "avg(node_delay_days) as mean_node_delay_days, "
        "avg(carrier_delay_days) as mean_carrier_delay_days "
        "from scoped_shipments(" + SCOPE_ARGS + ") "
        "where is_delivered "
        "group by node_id, carrier_id order by node_id, carrier_id",
        filters.params(),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def exception_aging(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Exceptions by aging bucket and class, with how many are open and recurring."""
    return _frame(
        ref,
        "select aging_bucket, exception_class, count(*) as exceptions, "
        "count_if(is_open) as open_exceptions, "
        "count_if(is_recurrence) as recurring_exceptions, "
        "count_if(is_resolved_within_15m) as resolved_within_15m "
        "from scoped_exceptions(" + SCOPE_ARGS + ") "
        "group by aging_bucket, exception_class order by aging_bucket, exception_class",
        filters.params(),
    )


EVENTS_SQL = """
    select
        event_id,
        order_id,
        trace_id,
        event_type,
        occurred_at,
        latency_ms,
        event_status,
        source_system,
        node_id,
        shipment_id,
        exception_reason
    from read_parquet($events)
"""
EVENTS_ORDER = "order by occurred_at, event_id"


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def order_lifecycle(ref: SnapshotRef, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One order's events and its order row, found by order id or trace id.

    Returns:
        The events oldest first, and the matching orders (both empty for an unknown id).
    """
    params = {"events": ref.path_of("order_events"), "key": key}
    # The mart is written in event-id order, which follows the order id, so Parquet's row
    # group statistics skip almost every row group for an order id; a trace id has no such
    # order and needs the full scan, so it is tried only when no order matches.
    events = _frame(ref, EVENTS_SQL + "where order_id = $key\n" + EVENTS_ORDER, params)
    if events.empty:
        events = _frame(ref, EVENTS_SQL + "where trace_id = $key\n" + EVENTS_ORDER, params)
    order_ids = sorted(set(events["order_id"].dropna())) or [key]
    orders = _frame(
        ref,
        """
        select
            order_id,
            created_at,
            channel,
            customer_region,
            node_id,
            carrier_id,
            value_band,
            order_value,
            routing_method,
            rule_set_version,
            order_status,
            promised_date,
            last_delivered_date,
            is_otif,
            promise_drift_days,
            exception_count
        from orders
        where list_contains($order_ids, order_id)
        """,
        {"order_ids": order_ids},
    )
    return events, orders


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sample_order_ids(ref: SnapshotRef, filters: Filters, limit: int = 5) -> list[str]:
    """A few order ids in scope that raised exceptions, as lookup suggestions."""
    frame = _frame(
        ref,
        "select order_id from scoped_orders(" + SCOPE_ARGS + ") "
        "where exception_count > 0 order by created_at desc limit $limit",
        {**filters.params(), "limit": limit},
    )
    return frame["order_id"].tolist()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def dependency_health(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Hourly health of each dependency over the period."""
    return _frame(
        ref,
        """
        select
            hour_at,
            dependency,
            calls,
            errors,
            timeouts,
            retries,
            error_rate,
            timeout_rate,
            retry_rate,
            circuit_open_seconds,
            max_p95_latency_ms,
            max_queue_depth,
            max_consumer_lag,
            dead_letters
        from dependency_health_hourly
        where health_date between $start and $end
        order by hour_at, dependency
        """,
        {"start": filters.start, "end": filters.end},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def decision_latency(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Daily latency percentiles per decision point and region in scope."""
    return _frame(
        ref,
        """
        select
            event_date,
            decision_point,
            customer_region,
            calls,
            failed_calls,
            p50_latency_ms,
            p95_latency_ms,
            p99_latency_ms
        from decision_latency_daily
        where
            event_date between $start and $end
            and picked(customer_region, $regions)
        order by event_date, decision_point, customer_region
        """,
        {"start": filters.start, "end": filters.end, "regions": filters.params()["regions"]},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def leakage_by(
    ref: SnapshotRef, filters: Filters, version: int, root_cause: str | None
) -> pd.DataFrame:
    """Leakage in dollars per root cause, decision point, node and carrier.

    Args:
        ref: The snapshot.
        filters: The sidebar filters.
        version: Attribution version, 2 (current) or 1 (kept to explain moved numbers).
        root_cause: Only this root cause, or every cause when None.

    Returns:
        One row per root cause, decision point, node and carrier with entries and amount.
    """
    if version not in LEAKAGE_VERSIONS:
        raise ValueError(f"leakage attribution version {version} is not one of 1, 2")
    return _frame(
        ref,
        "select root_cause, decision_point, node_id, carrier_id, count(*) as entries, "
        "sum(amount)::double as amount "
        "from scoped_leakage($version, " + SCOPE_ARGS + ") "
        "where $root_cause is null or root_cause = $root_cause "
        "group by all order by amount desc",
        {**filters.params(), "version": version, "root_cause": root_cause},
    )


def pareto(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Amount per value of `by`, largest first, with each one's cumulative share."""
    totals = (
        frame.groupby(by, dropna=False)["amount"]
        .sum()
        .reset_index()
        .sort_values(["amount", by], ascending=[False, True], ignore_index=True)
    )
    total = totals["amount"].sum()
    totals["share"] = totals["amount"] / total if total else 0.0
    totals["cumulative_share"] = totals["share"].cumsum()
    return totals


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def labor(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Manual touches, hours and cost per exception class over the period."""
    return _frame(
        ref,
        "select exception_class, sum(manual_touches) as manual_touches, "
        "sum(labor_hours) as labor_hours, sum(labor_cost)::double as labor_cost "
        "from labor_daily where opened_date between $start and $end "
        "group by exception_class order by labor_cost desc",
        {"start": filters.start, "end": filters.end},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def slo_segments(ref: SnapshotRef) -> list[str]:
    """Segments the burn-down covers, `all` first."""
    frame = _frame(
        ref,
        "select distinct segment from slo_burndown order by segment = 'all' desc, segment",
    )
    return frame["segment"].tolist()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def error_budget(ref: SnapshotRef, filters: Filters, segment: str) -> pd.DataFrame:
    """Each SLO's budget at the last evaluation on or before the end of the period."""
    return _frame(
        ref,
        """
        select
            slo,
            segment,
            evaluated_at,
            "window",
            target,
            good,
            total,
            bad,
            allowed_bad,
            budget_remaining,
            burn_rate
        from slo_burndown
        where segment = $segment and evaluated_at <= $end_at
        qualify row_number() over (partition by slo order by evaluated_at desc) = 1
        order by slo
        """,
        {"segment": segment, "end_at": filters.window()["end_at"]},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def burndown(ref: SnapshotRef, filters: Filters, segment: str) -> pd.DataFrame:
    """Budget remaining over the period, per SLO, for one segment."""
    return _frame(
        ref,
        """
        select slo, evaluated_at, target, budget_remaining, burn_rate, bad, allowed_bad
        from slo_burndown
        where
            segment = $segment
            and evaluated_at >= $start_at
            and evaluated_at <= $end_at
        order by slo, evaluated_at
        """,
        {"segment": segment, **filters.window()},
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def alert_episodes(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Burn-rate alert episodes active at any time in the period."""
    return _frame(
        ref,
        """
        select
            episode_id,
            slo,
            segment,
            severity,
            long_window,
            short_window,
            factor,
            started_at,
            resolved_at,
            peak_burn_rate
        from slo_alert_episodes
        where
            started_at < $end_at
            and coalesce(resolved_at, $end_at) >= $start_at
        order by started_at, slo, segment
        """,
        filters.window(),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rollback_firings(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Rollback-rule firings in the period, each naming the rule set to roll back."""
    return _frame(
        ref,
        """
        select
            firing_id,
            rule,
            segment,
            rule_set_version,
            started_at,
            fired_at,
            ended_at,
            observed,
            threshold,
            baseline,
            summary
        from rollback_firings
        where fired_at >= $start_at and fired_at < $end_at
        order by fired_at, rule, segment
        """,
        filters.window(),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rollout(ref: SnapshotRef) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Difference-in-differences estimates and the cohort x period cells behind them."""
    impact = _frame(
        ref, "select metric, estimate, ci_low, ci_high, is_rate from rollout_impact order by 1"
    )
    cells = (
        _frame(
            ref,
            """
            select
                metric,
                cohort,
                period,
                orders,
                days,
                mean,
                ci_low,
                ci_high,
                ci_method,
                too_small
            from rollout_impact_cells
            order by metric, cohort desc, period desc
            """,
        )
        if ref.has("rollout_impact_cells")
        else pd.DataFrame()
    )
    return impact, cells


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def quarantine(ref: SnapshotRef) -> pd.DataFrame:
    """Rows quarantined per feed, partition and broken rule, most first."""
    return _frame(ref, 'select * from quarantine_summary order by "rows" desc')


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def metric_definitions(path: str, modified: float) -> pd.DataFrame:
    """Every metric in the semantic layer with its meta, one row each.

    Args:
        path: The metrics YAML.
        modified: Its modification time, so an edit is read on the next rerun.
    """
    del modified  # part of the cache key only
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows = []
    for metric in document.get("metrics", []):
        meta = (metric.get("config") or {}).get("meta") or metric.get("meta") or {}
        rows.append(
            {
                "metric": metric["name"],
                "label": metric.get("label", metric["name"]),
                "description": metric.get("description", ""),
                "type": metric.get("type", ""),
                "owner": meta.get("owner"),
                "version": meta.get("version"),
                "unit": meta.get("unit"),
                "direction": meta.get("direction"),
                "decision": meta.get("decision"),
                "slo_target": meta.get("slo_target"),
                "filter": metric.get("filter"),
            }
        )
    return pd.DataFrame(rows)


def metrics() -> pd.DataFrame:
    """The semantic layer's metrics, empty when the dbt project is not beside the app."""
    if not METRICS_FILE.exists():
        return pd.DataFrame(columns=["metric", "label", "version", "slo_target"])
    return metric_definitions(str(METRICS_FILE), os.path.getmtime(METRICS_FILE))


def slo_target(metric: str) -> float | None:
    """The SLO target a metric's meta declares, if any."""
    frame = metrics()
    row = frame[frame["metric"] == metric]
    if row.empty or pd.isna(row.iloc[0]["slo_target"]):
        return None
    return float(row.iloc[0]["slo_target"])


def changelog() -> str | None:
    """The metric changelog's Markdown, or None while the project has none."""
    if not CHANGELOG_FILE.exists():
        return None
    return CHANGELOG_FILE.read_text(encoding="utf-8")
