"""Metric dictionary: every metric's definition, owner, version, and the changelog."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from app import data, layout

COLUMNS = {
    "metric": st.column_config.TextColumn("Metric", pinned=True),
    "label": "Label",
    "version": st.column_config.NumberColumn("Version (definition)", format="%d"),
    "snapshot_version": st.column_config.NumberColumn("Version (snapshot)", format="%d"),
    "owner": "Owner",
    "unit": "Unit",
    "direction": "Better when",
    "slo_target": st.column_config.NumberColumn("SLO target", format="%g"),
    "type": "Type",
    "decision": st.column_config.TextColumn("Decision it drives", width="large"),
    "description": st.column_config.TextColumn("Definition", width="large"),
}


def demote_headings(markdown: str) -> str:
    """Push a document's headings below the page's own, so its title does not outshout it."""
    return re.sub(r"^(#{1,3}) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", markdown, flags=re.M)


current = layout.scope()
layout.header("Metric dictionary", current, uses_filters=False)
definitions = data.metrics()
if definitions.empty:
    st.error(
        f"No metric definitions found at {data.METRICS_FILE}. The dictionary reads the dbt "
        "project's semantic layer; run the app from a checkout of the repository."
    )
    st.stop()

published = current.snapshot.manifest.get("metric_versions") or {}
definitions = definitions.assign(snapshot_version=definitions["metric"].map(published))
moved = definitions[
    definitions["snapshot_version"].notna()
    & (definitions["snapshot_version"] != definitions["version"])
]
if not moved.empty:
    st.warning(
        "Changed since this snapshot was published (its numbers use the older version): "
        + ", ".join(f"`{m}`" for m in moved["metric"])
    )
unpublished = definitions[definitions["snapshot_version"].isna()]
if not unpublished.empty:
    st.caption(
        f"{len(unpublished)} metric(s) are defined but not versioned in this snapshot: "
        + ", ".join(f"`{m}`" for m in unpublished["metric"])
    )

search = st.text_input(
    "Search", key="dictionary_search", placeholder="otif, leakage, latency, owner…"
).strip()
shown = definitions
if search:
    text = (
        definitions[["metric", "label", "description", "owner", "decision"]]
        .astype(str)
        .agg(" ".join, axis=1)
        .str.lower()
    )
    shown = definitions[text.str.contains(search.lower(), regex=False)]
st.caption(f"{len(shown)} of {len(definitions)} metrics")
layout.table(shown[list(COLUMNS)], "metric_dictionary", current, column_config=COLUMNS, height=420)

st.subheader("Definition")
choice = st.selectbox(
    "Metric",
    shown["metric"].tolist() or definitions["metric"].tolist(),
    format_func=lambda m: f"{definitions.set_index('metric').at[m, 'label']} ({m})",
    key="dictionary_metric",
)
row = definitions.set_index("metric").loc[choice]
with st.container(border=True):
    st.markdown(f"#### {row['label']}")
    st.write(row["description"])
    st.markdown(
        f"**Owner** {row['owner'] or '—'} · **Version** v{row['version']} · "
        f"**Unit** {row['unit'] or '—'} · **Better when** {row['direction'] or '—'}"
    )
    st.markdown(f"**Decision it drives:** {row['decision'] or '—'}")
    if not pd.isna(row["slo_target"]):
        st.markdown(f"**SLO target:** {row['slo_target']:g}")
    if isinstance(row["filter"], str) and row["filter"]:
        st.markdown(f"**Filter:** `{row['filter']}`")

st.subheader("Changelog")
log = data.changelog()
if log is None:
    st.info(
        f"No changelog yet. When a metric definition changes, its version is raised and a "
        f"line is added to `{data.CHANGELOG_FILE.relative_to(data.REPO_ROOT)}`; it shows here."
    )
else:
    with st.container(border=True):
        st.markdown(demote_headings(log))
