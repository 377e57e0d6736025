"""Executive: headline tiles against the previous period and SLO, trends, rollout, budget."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, layout

# Tile: metric key, label, money or rate, and whether lower is better (colours the delta).
TILES = (
    ("otif_rate", "OTIF", "rate", False),
    ("perfect_order_rate", "Perfect-order rate", "rate", False),
    ("promise_accuracy", "Promise accuracy", "rate", False),
    ("auto_routing_rate", "Auto-routing rate", "rate", False),
    ("leakage_amount", "Leakage", "money", True),
    ("leakage_rate", "Leakage rate", "rate", True),
    ("exception_rate", "Exception rate", "rate", True),
    ("orders", "Orders", "count", False),
)
TRENDS = {
    "otif_rate": "OTIF",
    "perfect_order_rate": "Perfect-order rate",
    "promise_accuracy": "Promise accuracy",
    "auto_routing_rate": "Auto-routing rate",
    "exception_rate": "Exception rate",
}
METRICS = tuple(key for key, *_ in TILES)


def _value(kind: str, value: float | None) -> str:
    if kind == "money":
        return layout.money(value)
    if kind == "count":
        return "—" if value is None else f"{value:,.0f}"
    return layout.percent(value)


def _delta(kind: str, value: float | None, before: float | None) -> str | None:
    if kind == "money":
        return layout.money_delta(value, before)
    if kind == "count":
        return None if value is None or before is None else f"{value - before:+,.0f}"
    return layout.rate_delta(value, before)


def tiles(current: layout.Scope, daily: pd.DataFrame) -> pd.DataFrame:
    """The headline tiles; returns the numbers behind them for download."""
    now = data.headline(current.ref, current.filters)
    previous = current.filters.previous()
    first_day, _ = layout.snapshot_dates(current.snapshot)
    # Before the first day there is nothing to compare with; a partial period still counts.
    before = data.headline(current.ref, previous) if previous.end >= first_day else {}
    target = data.slo_target("auto_routing_rate")
    rows = []
    columns = st.columns(4)
    for index, (key, label, kind, lower_is_better) in enumerate(TILES):
        shown = label
        if key == "auto_routing_rate" and target is not None:
            shown = f"{label} (SLO {target:.1%})"
        trend = daily.get(key)
        with columns[index % 4]:
            st.metric(
                shown,
                _value(kind, now.get(key)),
                delta=_delta(kind, now.get(key), before.get(key)),
                delta_color="inverse" if lower_is_better else "normal",
                delta_description=f"vs previous {previous.days} days" if before else None,
                border=True,
                chart_data=None if trend is None else trend.dropna().tolist(),
                chart_type="bar" if kind in ("money", "count") else "line",
                help=_help(key, target, now.get(key)),
            )
        rows.append(
            {
                "metric": key,
                "label": label,
                "value": now.get(key),
                "previous_value": before.get(key),
                "period_start": current.filters.start,
                "period_end": current.filters.end,
            }
        )
    return pd.DataFrame(rows)


def _help(key: str, target: float | None, value: float | None) -> str | None:
    if key == "auto_routing_rate" and target is not None and value is not None:
        verdict = "meets" if value >= target else "misses"
        return f"{verdict} its SLO: {target:.1%} of routable orders routed by the rules."
    if key == "leakage_rate":
        return "Leakage booked in the period over gross value of orders placed in it."
    return None


def trends(current: layout.Scope, daily: pd.DataFrame) -> None:
    """Daily rates and leakage with every change start marked."""
    st.subheader("Trends")
    st.caption(
        "Dashed lines mark where a release, rule change, carrier outage or maintenance "
        "window started; hover one for what changed. Days with fewer than "
        f"{data.MIN_DAILY_VOLUME} orders behind a rate, or (for outcome rates) with more than "
        f"{1 - data.MIN_OUTCOME_SHARE:.0%} of their orders still in flight, are left blank."
    )
    changes = data.changes(current.ref, current.filters.start, current.filters.end)
    if daily.empty:
        st.info("No orders match the filters in this period.")
        return
    target = data.slo_target("auto_routing_rate")
    columns = st.columns(3)
    for index, (key, title) in enumerate(TRENDS.items()):
        with columns[index % 3]:
            layout.chart(
                charts.rate_trend,
                daily,
                key,
                title,
                changes,
                target if key == "auto_routing_rate" else None,
                source=(current.ref.snapshot_id, current.filters),
            )
    with columns[len(TRENDS) % 3]:
        layout.chart(
            charts.money_trend,
            daily,
            "leakage_amount",
            "Leakage per day",
            changes,
            source=(current.ref.snapshot_id, current.filters),
        )
    st.caption(charts.change_legend())
    with st.expander(f"Changes in force during the period ({len(changes)})"):
        layout.table(changes, "changes", current)
    with st.expander("Daily numbers"):
        layout.table(daily, "daily_trends", current)


def rollout(current: layout.Scope) -> None:
    """The release's measured effect, treatment against control."""
    st.subheader("Rollout impact")
    if layout.not_published(current.ref, "rollout_impact", "Rollout impact"):
        return
    impact, _ = data.rollout(current.ref)
    if impact.empty:
        st.info("The snapshot's rollout impact mart is empty: no release to compare.")
        return
    st.caption("Difference in differences: the change in treatment regions beyond control's.")
    for row in impact.to_dict("records"):
        label = layout.rollout_label(row["metric"])
        tile, picture = st.columns([1, 2], vertical_alignment="center")
        shown = layout.effect(row)
        if shown is None:
            tile.metric(label, "too small to judge", border=True)
            continue
        value, bounds = shown
        tile.metric(label, value, delta_description=f"95% interval {bounds}", border=True)
        with picture:
            layout.chart(
                charts.interval,
                pd.DataFrame([row]).assign(metric=label),
                "Effect (treatment − control)",
                "+.2%" if row["is_rate"] else "+,.0f",
                source=(current.ref.snapshot_id, row["metric"]),
            )
    st.page_link("views/rollout.py", label="Cells and intervals", icon=":material/arrow_forward:")


def budget(current: layout.Scope) -> None:
    """Error budget left on every SLO at the end of the period, across all segments."""
    st.subheader("Error budget")
    if layout.not_published(current.ref, "slo_burndown", "The error budget"):
        return
    left = data.error_budget(current.ref, current.filters, "all")
    if left.empty:
        st.info("No SLO evaluations fall on or before the end of the period.")
        return
    st.caption(
        "Budget left over each SLO's rolling window at the end of the period, all segments; "
        "below zero the window has spent more than its budget."
    )
    layout.chart(charts.budget_bars, left, source=(current.ref.snapshot_id, current.filters, "all"))
    series = data.burndown(current.ref, current.filters, "all")
    if not series.empty:
        layout.chart(
            charts.burndown, series, source=(current.ref.snapshot_id, current.filters, "all")
        )
    st.page_link("views/slos.py", label="SLOs and alerts", icon=":material/arrow_forward:")


current = layout.scope()
layout.header("Executive", current, METRICS)
daily = data.daily_trends(current.ref, current.filters)
numbers = tiles(current, daily)
with st.expander("Headline numbers"):
    layout.table(numbers, "headline", current)
trends(current, daily)
rollout(current)
budget(current)
