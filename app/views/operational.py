"""Operational: where the numbers come from, by channel, region, node, carrier and value band."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, layout

RATES = {
    "otif_rate": "OTIF",
    "promise_accuracy": "Promise accuracy",
    "perfect_order_rate": "Perfect-order rate",
    "split_shipment_rate": "Split-shipment rate",
    "exception_rate": "Exception rate",
    "cancellation_rate": "Cancellation rate",
    "auto_routing_rate": "Auto-routing rate",
    "fallback_rate": "Fallback rate",
}
METRICS = (
    *RATES,
    "promise_drift_mean",
    "node_delay_mean",
    "carrier_delay_mean",
    "exception_recurrence_rate",
    "exception_timely_resolution_rate",
    "labor_cost",
)
AGING_VIEWS = {"All exceptions": "exceptions", "Still open": "open_exceptions"}


def breakdowns(current: layout.Scope) -> None:
    """Every order rate by one dimension, with the chosen rate ranked."""
    st.subheader("Breakdowns")
    left, right = st.columns([3, 2])
    with left:
        dimension = st.segmented_control(
            "Break down by",
            list(data.BREAKDOWN_DIMENSIONS),
            format_func=data.BREAKDOWN_DIMENSIONS.get,
            default="channel",
            required=True,
            key="ops_dimension",
        )
    with right:
        rate = st.selectbox("Rate", list(RATES), format_func=RATES.get, key="ops_rate")
    label = data.BREAKDOWN_DIMENSIONS[dimension]
    frame = data.breakdown(current.ref, current.filters, dimension)
    if frame.empty:
        st.info("No orders match the filters in this period.")
        return
    layout.chart(
        charts.ranked_dots,
        frame.dropna(subset=[rate]),
        "segment",
        rate,
        label,
        ".2%",
        source=(current.ref.snapshot_id, current.filters, dimension),
    )
    shown = frame.rename(columns={"segment": label.lower().replace(" ", "_")})
    layout.table(
        shown,
        f"breakdown_by_{dimension}",
        current,
        column_config={
            **{
                key: st.column_config.NumberColumn(name, format="percent")
                for key, name in RATES.items()
            },
            "gross_order_value": st.column_config.NumberColumn(
                "Gross order value", format="dollar"
            ),
            "orders": st.column_config.NumberColumn("Orders", format="localized"),
        },
    )


def drift(current: layout.Scope) -> None:
    """Mean promise drift of delivered shipments, node against carrier."""
    st.subheader("Promise drift: node × carrier")
    st.caption(
        "Mean days between delivery and the promised date over delivered shipments; "
        "positive is late. Hover a cell for the node's and the carrier's share."
    )
    frame = data.promise_drift(current.ref, current.filters)
    if frame.empty:
        st.info("No delivered shipments match the filters in this period.")
        return
    layout.chart(charts.drift_heatmap, frame, source=(current.ref.snapshot_id, current.filters))
    layout.table(
        frame,
        "promise_drift",
        current,
        column_config={
            "delivered_shipments": st.column_config.NumberColumn(format="localized"),
            "mean_drift_days": st.column_config.NumberColumn(format="%+.2f"),
            "mean_node_delay_days": st.column_config.NumberColumn(format="%+.2f"),
            "mean_carrier_delay_days": st.column_config.NumberColumn(format="%+.2f"),
        },
    )


def aging(current: layout.Scope) -> None:
    """Exception aging by class, recurrence and timely resolution, and the labor they cost."""
    st.subheader("Exception aging")
    frame = data.exception_aging(current.ref, current.filters)
    if frame.empty:
        st.info("No exceptions match the filters in this period.")
        return
    total = frame["exceptions"].sum()
    columns = st.columns(4)
    columns[0].metric("Exceptions", f"{total:,.0f}", border=True)
    columns[1].metric("Still open", f"{frame['open_exceptions'].sum():,.0f}", border=True)
    columns[2].metric(
        "Recurrence rate",
        layout.percent(data.ratio(frame["recurring_exceptions"].sum(), total)),
        help="Same exception type at the same node within 7 days of an earlier one.",
        border=True,
    )
    columns[3].metric(
        "Resolved within 15 min",
        layout.percent(data.ratio(frame["resolved_within_15m"].sum(), total)),
        border=True,
    )
    view = st.segmented_control(
        "Show", list(AGING_VIEWS), default="All exceptions", required=True, key="ops_aging"
    )
    layout.chart(
        charts.exception_aging,
        frame,
        AGING_VIEWS[view],
        source=(current.ref.snapshot_id, current.filters),
    )
    by_class = (
        frame.groupby("exception_class", as_index=False)[
            ["exceptions", "open_exceptions", "recurring_exceptions", "resolved_within_15m"]
        ]
        .sum()
        .sort_values("exceptions", ascending=False)
    )
    labor = data.labor(current.ref, current.filters)
    by_class = by_class.merge(labor, on="exception_class", how="left")
    by_class["recurrence_rate"] = by_class["recurring_exceptions"] / by_class["exceptions"]
    layout.table(
        pd.DataFrame(by_class),
        "exceptions_by_class",
        current,
        column_config={
            "recurrence_rate": st.column_config.NumberColumn(format="percent"),
            "labor_cost": st.column_config.NumberColumn(format="dollar"),
            "labor_hours": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    with st.expander("By aging bucket and class"):
        layout.table(frame, "exception_aging", current)


current = layout.scope()
layout.header("Operational", current, METRICS)
breakdowns(current)
drift(current)
aging(current)
