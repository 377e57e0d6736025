"""SLOs and alerts: error budgets, their burn-down, burn-rate alert episodes, rollback firings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, layout

METRICS = ("checkout_promise_latency_p95", "auto_routing_rate", "exception_timely_resolution_rate")


current = layout.scope()
layout.header("SLOs and alerts", current, METRICS)
if layout.not_published(current.ref, "slo_burndown", "The error-budget burn-down"):
    st.stop()

segments = data.slo_segments(current.ref)
segment = st.selectbox(
    "Segment",
    segments,
    key="slo_segment",
    help="Where the SLI was counted: `all` is every order; the others are regions.",
)
left = data.error_budget(current.ref, current.filters, segment)
if left.empty:
    st.info("No SLO evaluations fall on or before the end of the period.")
else:
    columns = st.columns(len(left))
    for column, row in zip(columns, left.to_dict("records"), strict=True):
        column.metric(
            row["slo"].replace("_", " ").capitalize(),
            charts.budget_text(row["budget_remaining"]),
            help=(
                f"Target {row['target']:.2%} over a rolling {row['window']}: "
                f"{row['bad']:,.0f} bad events of {row['allowed_bad']:,.0f} allowed, "
                f"as of {row['evaluated_at']:%Y-%m-%d %H:%M} UTC."
            ),
            border=True,
        )
    layout.chart(
        charts.budget_bars, left, source=(current.ref.snapshot_id, current.filters, segment)
    )

st.subheader("Burn-down")
st.caption(
    "Error budget remaining over each SLO's rolling window, evaluated hourly. Zero means "
    "the window's budget is spent; below zero it is overspent."
)
series = data.burndown(current.ref, current.filters, segment)
changes = data.changes(current.ref, current.filters.start, current.filters.end)
if series.empty:
    st.info("No evaluations in this period.")
else:
    layout.chart(
        charts.burndown,
        series,
        changes,
        source=(current.ref.snapshot_id, current.filters, segment),
    )
    with st.expander("Budget at the end of the period"):
        layout.table(
            left,
            f"error_budget_{segment}",
            current,
            column_config={
                "target": layout.PERCENT,
                "budget_remaining": layout.PERCENT,
            },
        )

st.subheader("Alert episodes")
if not layout.not_published(current.ref, "slo_alert_episodes", "The alert timeline"):
    episodes = data.alert_episodes(current.ref, current.filters)
    episodes = episodes[episodes["segment"] == segment]
    firings = (
        data.rollback_firings(current.ref, current.filters)
        if current.ref.has("rollback_firings")
        else pd.DataFrame()
    )
    if not firings.empty:
        firings = firings[firings["segment"].isin({segment, "all"})]
    if episodes.empty and firings.empty:
        st.success(f"No alert episodes or rollback firings for `{segment}` in this period.")
    else:
        pages = (episodes["severity"] == "page").sum()
        tickets = (episodes["severity"] == "ticket").sum()
        st.caption(
            f"{pages:,} paging and {tickets:,} ticket episodes; multiwindow burn-rate policy "
            "(both the long and the short window must burn at the factor)."
        )
        end = pd.Timestamp(current.filters.window()["end_at"])
        layout.chart(
            charts.alert_timeline,
            episodes,
            firings,
            end,
            source=(current.ref.snapshot_id, current.filters, segment),
        )
        layout.table(episodes, f"alert_episodes_{segment}", current)

st.subheader("Rollback firings")
if not layout.not_published(current.ref, "rollback_firings", "Rollback firings"):
    firings = data.rollback_firings(current.ref, current.filters)
    if firings.empty:
        st.success("No rollback rule fired in this period.")
    else:
        layout.table(firings, "rollback_firings", current)
