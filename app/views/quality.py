"""Data quality: the checks behind the live snapshot, quarantined rows, blocked publishes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import data, layout

PASSED_WORDS = frozenset({"passed", "pass", "success", "succeeded", "ok", "true"})


def passed(result: dict) -> bool | None:
    """Whether a recorded check passed: a `passed` flag, or a `status`/`outcome` word."""
    if isinstance(result.get("passed"), bool):
        return result["passed"]
    for key in ("status", "outcome", "result"):
        if key in result and result[key] is not None:
            return str(result[key]).lower() in PASSED_WORDS
    return None


def records_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a table; nested evidence (lists, dicts) is shown as text, in the CSV too."""
    frame = pd.DataFrame(records)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, dict | list)).any():
            frame[column] = frame[column].map(str)
    return frame


def checks_frame(results: list[dict]) -> pd.DataFrame:
    """Check results as a table, the verdict first."""
    frame = records_frame(results)
    if frame.empty:
        return frame
    verdicts = [passed(r) for r in results]
    frame.insert(
        0, "verdict", ["passed" if v else "failed" if v is False else "?" for v in verdicts]
    )
    return frame


current = layout.scope()
layout.header("Data quality", current, uses_filters=False)
manifest = current.snapshot.manifest
results = list(manifest.get("check_results") or [])
checks = checks_frame(results)
blocked = data.blocked_publishes()
quarantined = (
    data.quarantine(current.ref) if current.ref.has("quarantine_summary") else pd.DataFrame()
)

columns = st.columns(4)
failed = int((checks["verdict"] == "failed").sum()) if not checks.empty else 0
columns[0].metric("Checks behind this snapshot", f"{len(checks):,}", border=True)
columns[1].metric(
    "Failed", f"{failed:,}", border=True, help="Publishing runs only when every check passes."
)
columns[2].metric("Blocked publishes", f"{len(blocked):,}", border=True)
columns[3].metric(
    "Rows quarantined",
    f"{int(quarantined['rows'].sum()):,}" if not quarantined.empty else "0",
    border=True,
)

st.subheader("Checks")
if checks.empty:
    st.info("The manifest records no check results for this snapshot.")
else:
    layout.table(checks, "check_results", current)

st.subheader("Blocked publishes")
if not blocked:
    st.success("No publish has been blocked: the live snapshot is the newest build.")
else:
    st.warning(
        f"{len(blocked)} publish attempt(s) were stopped by blocking checks; the live snapshot "
        "stayed in place each time."
    )
    summary = pd.DataFrame(
        [
            {
                "attempt_id": b.get("attempt_id"),
                "attempted_at": b.get("attempted_at"),
                "live_snapshot_id": b.get("live_snapshot_id"),
                "reasons": len(b.get("reasons") or []),
            }
            for b in blocked
        ]
    )
    layout.table(summary, "blocked_publishes", current)
    for attempt in blocked:
        with st.expander(f"Attempt {attempt.get('attempt_id')} at {attempt.get('attempted_at')}"):
            reasons = records_frame(list(attempt.get("reasons") or []))
            if reasons.empty:
                st.write("No reasons recorded.")
            else:
                st.markdown("**Why it was blocked**")
                layout.table(reasons, f"blocked_{attempt.get('attempt_id')}_reasons", current)
            attempt_checks = checks_frame(list(attempt.get("check_results") or []))
            if not attempt_checks.empty:
                st.markdown("**Checks it ran**")
                layout.table(attempt_checks, f"blocked_{attempt.get('attempt_id')}_checks", current)

st.subheader("Quarantine")
if not layout.not_published(current.ref, "quarantine_summary", "The quarantine summary"):
    if quarantined.empty:
        st.success("No rows were quarantined: every row read met its feed contract.")
    else:
        by_feed = quarantined.groupby(["feed", "rule"], as_index=False)["rows"].sum()
        st.bar_chart(by_feed, x="feed", y="rows", color="rule", horizontal=True)
        layout.table(quarantined, "quarantine_summary", current)

st.subheader("Snapshot contents")
marts = pd.DataFrame(
    [{"mart": name, **info} for name, info in (manifest.get("marts") or {}).items()]
)
st.caption(
    f"Code version `{manifest.get('code_version', 'unknown')}` · created "
    f"{manifest.get('created_at', 'unknown')} · folder `{current.ref.folder}`"
)
layout.table(marts, "snapshot_marts", current, column_config={"rows": layout.COUNT})
