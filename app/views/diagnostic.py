"""Diagnostic: one order's lifecycle, dependency health, decision latency and alerts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, layout

METRICS = (
    "promise_latency_p95",
    "inventory_lookup_latency_p95",
    "routing_latency_p95",
    "carrier_quote_latency_p95",
    "dependency_error_rate",
    "dependency_timeout_rate",
    "dependency_retry_rate",
    "circuit_open_seconds",
    "dead_letters",
)
HEALTH_MEASURES = {
    "error_rate": ("Error rate", ".2%"),
    "timeout_rate": ("Timeout rate", ".2%"),
    "retry_rate": ("Retry rate", ".2%"),
    "circuit_open_seconds": ("Circuit open (s)", ",.0f"),
    "max_p95_latency_ms": ("Worst minute p95 latency (ms)", ",.0f"),
    "max_queue_depth": ("Queue depth", ",.0f"),
    "max_consumer_lag": ("Consumer lag", ",.0f"),
    "dead_letters": ("Dead letters", ",.0f"),
}
PROMISE_THRESHOLD_MS = 300.0
LOOKUP_KEY = "diag_lookup"


def lookup(current: layout.Scope) -> None:
    """Find one order by order id or trace id and draw its lifecycle."""
    st.subheader("Order lifecycle")
    suggestions = data.sample_order_ids(current.ref, current.filters)
    key = st.text_input(
        "Order id or trace id",
        key=LOOKUP_KEY,
        placeholder=suggestions[0] if suggestions else "O0000000001",
        help="Exact id; the search covers every order in the snapshot, not just the filters.",
    ).strip()
    if suggestions:
        st.caption("Recent orders with exceptions: " + ", ".join(f"`{s}`" for s in suggestions))
    if not key:
        return
    events, orders = data.order_lifecycle(current.ref, key)
    if events.empty and orders.empty:
        st.warning(
            f"No order or trace with id `{key}` in snapshot `{current.ref.snapshot_id}`. "
            "Check the id, or whether the order is newer than the snapshot.",
            icon=":material/search_off:",
        )
        return
    for order in orders.to_dict("records"):
        promised = order["promised_date"]
        promised = "—" if pd.isna(promised) else f"{promised:%Y-%m-%d}"
        st.markdown(
            f"**Order `{order['order_id']}`** · {order['channel']} · "
            f"{order['customer_region']} · node {order['node_id']} · carrier "
            f"{order['carrier_id']} · {order['value_band']} · routed {order['routing_method']} "
            f"by {order['rule_set_version']} · promised {promised}"
        )
        columns = st.columns(4)
        columns[0].metric("Status", str(order["order_status"]), border=True)
        otif = order["is_otif"]
        columns[1].metric("OTIF", "—" if pd.isna(otif) else "yes" if otif else "no", border=True)
        drift = order["promise_drift_days"]
        columns[2].metric(
            "Promise drift", "—" if pd.isna(drift) else f"{drift:+.0f} days", border=True
        )
        columns[3].metric("Exceptions", f"{order['exception_count']:,.0f}", border=True)
    st.caption("Numbers beside the points are each step's latency in milliseconds.")
    if events.empty:
        st.info("The order has no lifecycle events in this snapshot.")
        return
    layout.chart(charts.lifecycle, events, data.LIFECYCLE, source=(current.ref.snapshot_id, key))
    layout.table(events, "order_events", current)


def dependencies(current: layout.Scope) -> None:
    """Hourly health of every dependency the orchestrator calls."""
    st.subheader("Dependency health")
    frame = data.dependency_health(current.ref, current.filters)
    if frame.empty:
        st.info("No dependency health in this period.")
        return
    measure = st.selectbox(
        "Measure",
        list(HEALTH_MEASURES),
        format_func=lambda m: HEALTH_MEASURES[m][0],
        key="diag_health_measure",
    )
    title, fmt = HEALTH_MEASURES[measure]
    changes = data.changes(current.ref, current.filters.start, current.filters.end)
    layout.chart(
        charts.series,
        frame,
        "hour_at",
        measure,
        "dependency",
        title,
        fmt,
        changes,
        source=(current.ref.snapshot_id, current.filters),
    )
    summary = frame.groupby("dependency", as_index=False).agg(
        calls=("calls", "sum"),
        errors=("errors", "sum"),
        timeouts=("timeouts", "sum"),
        retries=("retries", "sum"),
        circuit_open_seconds=("circuit_open_seconds", "sum"),
        dead_letters=("dead_letters", "sum"),
        worst_p95_latency_ms=("max_p95_latency_ms", "max"),
        worst_consumer_lag=("max_consumer_lag", "max"),
    )
    for part, rate in (
        ("errors", "error_rate"),
        ("timeouts", "timeout_rate"),
        ("retries", "retry_rate"),
    ):
        summary[rate] = summary[part] / summary["calls"]
    layout.table(
        summary,
        "dependency_health",
        current,
        column_config={
            "error_rate": layout.PERCENT,
            "timeout_rate": layout.PERCENT,
            "retry_rate": layout.PERCENT,
        },
    )


def latency(current: layout.Scope) -> None:
    """Daily p95 per decision point (worst region in scope), with the promise threshold."""
    st.subheader("Latency by decision point")
    frame = data.decision_latency(current.ref, current.filters)
    if frame.empty:
        st.info("No decision latency in this period.")
        return
    st.caption(
        "Percentiles cannot be averaged across regions, so each day shows the worst region's "
        f"p95 among those in scope. The red line is the promise SLO threshold "
        f"({PROMISE_THRESHOLD_MS:.0f} ms)."
    )
    worst = frame.groupby(["event_date", "decision_point"], as_index=False)["p95_latency_ms"].max()
    changes = data.changes(current.ref, current.filters.start, current.filters.end)
    layout.chart(
        charts.series,
        worst,
        "event_date",
        "p95_latency_ms",
        "decision_point",
        "p95 latency (ms)",
        ",.0f",
        changes,
        threshold=PROMISE_THRESHOLD_MS,
        source=(current.ref.snapshot_id, current.filters),
    )
    summary = frame.groupby(["decision_point", "customer_region"], as_index=False).agg(
        calls=("calls", "sum"),
        failed_calls=("failed_calls", "sum"),
        median_daily_p50_ms=("p50_latency_ms", "median"),
        worst_daily_p95_ms=("p95_latency_ms", "max"),
        worst_daily_p99_ms=("p99_latency_ms", "max"),
    )
    summary["failure_rate"] = summary["failed_calls"] / summary["calls"]
    layout.table(
        summary, "decision_latency", current, column_config={"failure_rate": layout.PERCENT}
    )


def alerts(current: layout.Scope) -> None:
    """Burn-rate alert episodes and rollback firings in the period."""
    st.subheader("Alert timeline")
    if layout.not_published(current.ref, "slo_alert_episodes", "The alert timeline"):
        return
    episodes = data.alert_episodes(current.ref, current.filters)
    if current.filters.regions:
        # Region filters narrow alerts to those regions' segments plus the all-regions one.
        keep = {*current.filters.regions, "all"}
        episodes = episodes[episodes["segment"].isin(keep)]
    firings = (
        data.rollback_firings(current.ref, current.filters)
        if current.ref.has("rollback_firings")
        else pd.DataFrame()
    )
    if episodes.empty and firings.empty:
        st.success("No alert episodes or rollback firings in this period.")
        return
    end = pd.Timestamp(current.filters.window()["end_at"])
    layout.chart(
        charts.alert_timeline,
        episodes,
        firings,
        end,
        source=(current.ref.snapshot_id, current.filters),
    )
    layout.table(episodes, "alert_episodes", current)


current = layout.scope()
layout.header("Diagnostic", current, METRICS)
lookup(current)
dependencies(current)
latency(current)
alerts(current)
