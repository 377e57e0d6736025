"""Leakage: dollars lost by root cause (Pareto), drilled to decision point, node and carrier."""

from __future__ import annotations

import streamlit as st

from app import charts, data, layout

METRICS = ("leakage_amount", "leakage_amount_v1", "leakage_rate", "gross_order_value")
VERSIONS = {2: "v2: late deliveries charged to the cause of their drift", 1: "v1: all to promise"}
ALL_CAUSES = "All root causes"


def label(value: str) -> str:
    """A snake_case code as words."""
    return str(value).replace("_", " ")


current = layout.scope()
layout.header("Leakage", current, METRICS)
version = st.segmented_control(
    "Attribution",
    list(VERSIONS),
    format_func=VERSIONS.get,
    default=2,
    required=True,
    key="leakage_version",
    help="Version 1 is kept beside version 2 so a stakeholder can see why a number moved.",
)
entries = data.leakage_by(current.ref, current.filters, version, None)
if entries.empty:
    st.info("No leakage booked for the filters in this period.")
    st.stop()

causes = data.pareto(entries, "root_cause")
total = float(causes["amount"].sum())
gross = data.headline(current.ref, current.filters)["gross_order_value"]
top = causes.iloc[0]
columns = st.columns(4)
columns[0].metric("Leakage", layout.money(total), border=True)
columns[1].metric("Leakage rate", layout.percent(data.ratio(total, gross)), border=True)
columns[2].metric(
    f"Largest cause: {label(top['root_cause'])}",
    f"{top['share']:.1%}",
    help=f"{layout.money(top['amount'])} of {layout.money(total)}.",
    border=True,
)
columns[3].metric("Loss entries", f"{entries['entries'].sum():,.0f}", border=True)

st.subheader("Root causes, largest first")
st.caption(
    "Bars are dollars lost per root cause; the line is their cumulative share, so the causes "
    "left of where it crosses 80% are most of the money."
)
layout.chart(
    charts.pareto,
    causes,
    "root_cause",
    "Root cause",
    source=(current.ref.snapshot_id, current.filters, version),
)
layout.table(
    causes,
    f"leakage_by_root_cause_v{version}",
    current,
    column_config={
        "amount": layout.DOLLARS,
        "share": layout.PERCENT,
        "cumulative_share": layout.PERCENT,
    },
)

st.subheader("Drill down")
cause = st.selectbox(
    "Root cause",
    [ALL_CAUSES, *causes["root_cause"].tolist()],
    format_func=lambda c: c if c == ALL_CAUSES else label(c),
    key="leakage_cause",
)
drilled = (
    entries
    if cause == ALL_CAUSES
    else data.leakage_by(current.ref, current.filters, version, cause)
)
left, middle, right = st.columns(3)
for column, by, title in (
    (left, "decision_point", "Decision point"),
    (middle, "node_id", "Node"),
    (right, "carrier_id", "Carrier"),
):
    with column:
        st.markdown(f"**By {title.lower()}**")
        totals = data.pareto(drilled.fillna({by: "unattributed"}), by)
        layout.chart(
            charts.ranked_bars,
            totals,
            by,
            "amount",
            title,
            "$,.0f",
            source=(current.ref.snapshot_id, current.filters, version, cause),
        )
grid = (
    drilled.fillna({"node_id": "unattributed", "carrier_id": "unattributed"})
    .groupby(["node_id", "carrier_id"], as_index=False)[["entries", "amount"]]
    .sum()
    .sort_values("amount", ascending=False)
)
layout.table(
    grid,
    "leakage_by_node_and_carrier",
    current,
    column_config={"amount": layout.DOLLARS},
)

st.subheader("Why the number moved between versions")
st.caption(
    "Both attribution versions see the same loss entries and root causes; version 2 moves "
    "late deliveries from the promise to the decision point that caused the drift."
)
by_version = {
    v: data.pareto(data.leakage_by(current.ref, current.filters, v, None), "decision_point")
    for v in data.LEAKAGE_VERSIONS
}
compared = (
    by_version[2][["decision_point", "amount"]]
    .merge(
        by_version[1][["decision_point", "amount"]],
        on="decision_point",
        how="outer",
        suffixes=("_v2", "_v1"),
    )
    .fillna({"amount_v2": 0.0, "amount_v1": 0.0})
)
compared["moved_v2_minus_v1"] = compared["amount_v2"] - compared["amount_v1"]
layout.table(
    compared.sort_values("moved_v2_minus_v1", ascending=False),
    "leakage_versions_by_decision_point",
    current,
    column_config={
        "amount_v2": layout.DOLLARS,
        "amount_v1": layout.DOLLARS,
        "moved_v2_minus_v1": layout.DOLLARS,
    },
)
