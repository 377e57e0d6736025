"""Rollout impact: what a rule-set release changed, treatment against control, with intervals."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, layout

METRICS = (
    "split_shipment_rate",
    "checkout_promise_latency_p95",
    "cancellation_rate",
    "auto_routing_rate",
)


def describe(row: dict) -> str:
    """One sentence on an estimate and its interval."""
    name = layout.rollout_label(row["metric"])
    shown = layout.effect(row)
    if shown is None:
        return f"**{name}**: a cell is below the minimum volume, so there is no estimate."
    amount, bounds = shown
    clear = row["ci_low"] > 0 or row["ci_high"] < 0
    verdict = "a clear effect" if clear else "not distinguishable from no effect"
    return f"**{name}**: {amount} in treatment beyond control (95% interval {bounds}): {verdict}."


current = layout.scope()
layout.header("Rollout impact", current, METRICS, uses_filters=False)
st.caption(
    "Difference in differences over the whole snapshot: (treatment after − before) − "
    "(control after − before). Intervals resample whole days; the sidebar filters do not "
    "apply, since a slice would break the treatment/control design."
)
releases = data.changes(current.ref, *layout.snapshot_dates(current.snapshot))
rule_changes = releases[releases["change_kind"] == "rule_change"]
if not rule_changes.empty:
    st.markdown(
        "Releases compared: "
        + ", ".join(
            f"`{r['rule_set_version']}` from {r['starts_at']:%Y-%m-%d} ({r['scope']})"
            for r in rule_changes.to_dict("records")
        )
    )
if layout.not_published(current.ref, "rollout_impact", "Rollout impact"):
    st.stop()

impact, cells = data.rollout(current.ref)
if impact.empty:
    st.info("The rollout impact mart is empty: there is no release to compare.")
    st.stop()
for row in impact.to_dict("records"):
    name = layout.rollout_label(row["metric"])
    rate = bool(row["is_rate"])
    fmt = "+.2%" if rate else "+,.0f"
    st.subheader(name)
    st.markdown(describe(row))
    left, right = st.columns(2, gap="large")
    with left:
        if layout.effect(row) is not None:
            layout.chart(
                charts.interval,
                pd.DataFrame([row]).assign(metric=name),
                "Effect",
                fmt,
                source=(current.ref.snapshot_id, row["metric"]),
            )
    with right:
        mine = cells[cells["metric"] == row["metric"]] if not cells.empty else cells
        if not mine.empty:
            layout.chart(
                charts.cohort_cells,
                mine,
                name,
                ".1%" if rate else ",.0f",
                source=(current.ref.snapshot_id, row["metric"]),
            )
            small = mine[mine["too_small"]]
            if not small.empty:
                st.warning(
                    "Too small to judge: "
                    + ", ".join(f"{c['cohort']} {c['period']}" for c in small.to_dict("records"))
                )

st.subheader("Estimates")
layout.table(impact, "rollout_impact", current)
if not cells.empty:
    st.subheader("Cells")
    layout.table(
        cells,
        "rollout_impact_cells",
        current,
        column_config={"orders": layout.COUNT},
    )
