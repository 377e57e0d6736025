"""What every page shares: the sidebar filters, the snapshot header, tables with CSV downloads.

`app/main.py` resolves the live snapshot and the sidebar once per rerun and leaves a `Scope`
in session state; pages read it with `scope()`. Filters live in the entry script, not in the
pages, so a choice survives moving from page to page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from app import charts
from app.data import CACHE_TTL, Filters, SnapshotRef, filter_options
from orch_assets.publish.snapshot import Snapshot

SCOPE_KEY = "scorecard_scope"
DEFAULT_DAYS = 28
# Past a day and a bit the nightly publish has been missed; say so rather than look current.
STALE_AFTER = dt.timedelta(hours=26)
FILTER_KEYS = {
    "channels": ("filter_channels", "Channel"),
    "regions": ("filter_regions", "Region"),
    "nodes": ("filter_nodes", "Node"),
    "carriers": ("filter_carriers", "Carrier"),
    "value_bands": ("filter_value_bands", "Value band"),
}
DATES_KEY = "filter_dates"


@dataclass(frozen=True)
class Scope:
    """The snapshot a rerun reads, the sidebar's filters, and what the visitor may see."""

    snapshot: Snapshot
    ref: SnapshotRef
    filters: Filters
    finance_visible: bool = True


def scope() -> Scope:
    """The scope `app/main.py` set for this rerun; stops the page when opened on its own."""
    found = st.session_state.get(SCOPE_KEY)
    if not isinstance(found, Scope):
        st.error("Open the scorecard through its entry point: `streamlit run app/main.py`.")
        st.stop()
    return found


def snapshot_dates(snapshot: Snapshot) -> tuple[dt.date, dt.date]:
    """First and last order day the snapshot holds."""
    partitions = snapshot.manifest.get("partitions") or {}
    today = dt.datetime.now(dt.UTC).date()
    first = partitions.get("first")
    last = partitions.get("last")
    last_day = dt.date.fromisoformat(last) if last else today
    first_day = dt.date.fromisoformat(first) if first else last_day
    return first_day, last_day


def default_range(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The last four weeks, or the later half of a shorter history, so deltas have a base."""
    span = (last - first).days + 1
    days = DEFAULT_DAYS if span >= 2 * DEFAULT_DAYS else max(1, span // 2)
    return last - dt.timedelta(days=days - 1), last


def _reset_filters() -> None:
    for key, _ in FILTER_KEYS.values():
        st.session_state.pop(key, None)
    st.session_state.pop(DATES_KEY, None)


def sidebar_filters(snapshot: Snapshot, ref: SnapshotRef) -> Filters:
    """Render the sidebar filters and return the choice; values that left the data are dropped."""
    first, last = snapshot_dates(snapshot)
    options = filter_options(ref)
    chosen = st.session_state.get(DATES_KEY)
    if isinstance(chosen, tuple | list) and not all(first <= d <= last for d in chosen):
        # A newer snapshot can cover other days; a stale choice outside them would not render.
        del st.session_state[DATES_KEY]
    with st.sidebar:
        st.subheader("Filters")
        dates = st.date_input(
            "Order dates",
            value=default_range(first, last),
            min_value=first,
            max_value=last,
            key=DATES_KEY,
            help="Orders by the day they were placed; leakage by the day it was booked.",
        )
        start, end = _date_pair(dates, first, last)
        picked: dict[str, tuple[str, ...]] = {}
        for field, (key, label) in FILTER_KEYS.items():
            allowed = options.get(field, [])
            if key in st.session_state:
                st.session_state[key] = [v for v in st.session_state[key] if v in allowed]
            picked[field] = tuple(
                st.multiselect(label, allowed, key=key, placeholder=f"All {label.lower()}s")
            )
        st.button("Reset filters", on_click=_reset_filters, width="stretch")
    return Filters(start=start, end=end, **picked)


def _date_pair(value: object, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """Both ends of the date widget's value; half a range (mid-pick) runs to the last day."""
    if isinstance(value, dt.date):
        return value, value
    days = [d for d in value or () if isinstance(d, dt.date)]  # type: ignore[union-attr]
    if not days:
        return default_range(first, last)
    if len(days) == 1:
        return days[0], last
    return min(days), max(days)


def _age(created_at: str | None) -> tuple[str, bool]:
    """How long ago the snapshot was published, and whether that is stale."""
    if not created_at:
        return "at an unknown time", True
    created = dt.datetime.fromisoformat(created_at)
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    age = dt.datetime.now(dt.UTC) - created
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 1:
        text = "just now"
    elif minutes < 60:
        text = f"{minutes} min ago"
    elif minutes < 48 * 60:
        text = f"{minutes // 60} h {minutes % 60} min ago"
    else:
        text = f"{minutes // (24 * 60)} days ago"
    return text, age > STALE_AFTER


def header(
    title: str,
    current: Scope,
    metrics: Sequence[str] = (),
    uses_filters: bool = True,
) -> None:
    """Page title, then which snapshot it reads, how fresh it is and the metric versions used."""
    manifest = current.snapshot.manifest
    st.title(title)
    age, stale = _age(manifest.get("created_at"))
    first, last = snapshot_dates(current.snapshot)
    versions = manifest.get("metric_versions") or {}
    used = " · ".join(
        f"`{m}` v{versions[m]}" if m in versions else f"`{m}` (not versioned in this snapshot)"
        for m in metrics
    )
    line = (
        f":material/inventory_2: Snapshot `{current.ref.snapshot_id}` · published {age} · "
        f"orders {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    if uses_filters:
        f = current.filters
        line += f" · showing {f.start:%Y-%m-%d} to {f.end:%Y-%m-%d}"
    st.caption(line)
    if used:
        st.caption(f":material/straighten: Metric versions: {used}")
    if stale:
        st.warning(
            f"This snapshot was published {age}; newer numbers may be blocked or the "
            "pipeline may not have run. See Data quality, or run `make pipeline`."
        )


def not_published(ref: SnapshotRef, mart: str, what: str) -> bool:
    """Say a mart is not in this snapshot yet and what publishes it; True when missing."""
    if ref.has(mart):
        return False
    st.info(
        f"{what} is not published yet: snapshot `{ref.snapshot_id}` has no `{mart}` mart. "
        "It comes from the SLO and rollout assets; run `make pipeline` once they are part of "
        "the build to publish a snapshot that includes it.",
        icon=":material/hourglass_empty:",
    )
    return True


def table(
    frame: pd.DataFrame,
    name: str,
    current: Scope,
    column_config: Mapping[str, Any] | None = None,
    height: int | str = "auto",
) -> None:
    """A table with a CSV download of exactly what it shows."""
    st.dataframe(
        frame, hide_index=True, column_config=column_config, height=height, width="stretch"
    )
    st.download_button(
        f"Download {name.replace('_', ' ')} (CSV)",
        data=frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{name}-{current.ref.snapshot_id}.csv",
        mime="text/csv",
        key=f"download_{name}",
        icon=":material/download:",
        on_click="ignore",
    )


FRAME = "<frame>"


def _arrow_ipc(records: list[dict[str, Any]]) -> bytes:
    """One inline dataset as the Arrow IPC stream Streamlit sends charts."""
    table = pa.Table.from_pandas(pd.DataFrame.from_records(records), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=512)
def _vega_lite(
    builder: str,
    source: Hashable,
    options: tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]],
    _args: tuple[Any, ...],
    _kwargs: dict[str, Any],
) -> dict[str, Any]:
    """The Vega-Lite spec of one `app.charts` chart, with its data already in Arrow.

    Arguments named with a leading underscore are left out of the cache key (a Streamlit
    rule): `source` and `options` identify the inputs instead.
    """
    spec = getattr(charts, builder)(*_args, **_kwargs).to_dict()
    spec["datasets"] = {name: _arrow_ipc(rows) for name, rows in spec.get("datasets", {}).items()}
    return spec


def chart(
    builder: Callable[..., alt.TopLevelMixin], *args: Any, source: Hashable, **kwargs: Any
) -> None:
    """Draw an `app.charts` chart at the container's width.

    Building an Altair chart, validating its spec and converting its data cost tens of
    milliseconds a chart, more than the rest of a warm rerun together, so the finished spec
    is cached. Hashing the frames for the cache key would cost nearly as much again, so the
    caller names where they came from instead.

    Args:
        builder: A chart function of `app.charts`.
        *args: Its arguments.
        source: What the frames among the arguments were computed from: the snapshot id,
            the filters and any page choice that shaped them. Two calls with the same builder,
            source and other arguments must be drawing the same frames.
        **kwargs: Its keyword arguments.
    """
    options = (
        tuple(FRAME if isinstance(a, pd.DataFrame) else a for a in args),
        tuple(sorted((k, FRAME if isinstance(v, pd.DataFrame) else v) for k, v in kwargs.items())),
    )
    spec = _vega_lite(builder.__name__, source, options, _args=args, _kwargs=kwargs)
    st.vega_lite_chart(spec=spec, width="stretch")


# Display names of the metrics the rollout impact mart compares; others show their own name.
ROLLOUT_LABELS = {
    "split_shipment_rate": "Split-shipment rate",
    "promise_latency_ms": "Promise latency (ms)",
    "cancellation_rate": "Cancellation rate",
    "auto_routing_rate": "Auto-routing rate",
}


def rollout_label(metric: str) -> str:
    """How a rollout-impact metric is named on the page."""
    return ROLLOUT_LABELS.get(metric, metric)


def effect(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """A rollout estimate and its interval as text (points for a rate), or None if withheld."""
    if row["estimate"] is None or pd.isna(row["estimate"]):
        return None
    if row["is_rate"]:
        return (
            f"{row['estimate'] * 100:+.2f} pp",
            f"{row['ci_low'] * 100:+.2f} to {row['ci_high'] * 100:+.2f} pp",
        )
    return f"{row['estimate']:+,.1f}", f"{row['ci_low']:+,.1f} to {row['ci_high']:+,.1f}"


def percent(value: float | None, digits: int = 2) -> str:
    """A rate as a percentage, or a dash when there is nothing to divide."""
    return "—" if value is None else f"{value:.{digits}%}"


def money(value: float | None) -> str:
    """Dollars without cents."""
    return "—" if value is None else f"${value:,.0f}"


def rate_delta(current: float | None, previous: float | None) -> str | None:
    """The change of a rate in percentage points, or None without a previous value."""
    if current is None or previous is None:
        return None
    return f"{(current - previous) * 100:+.2f} pp"


def money_delta(current: float | None, previous: float | None) -> str | None:
    """The change in dollars, sign first."""
    if current is None or previous is None:
        return None
    change = current - previous
    return f"{'+' if change >= 0 else '-'}${abs(change):,.0f}"


PERCENT = st.column_config.NumberColumn(format="percent")
DOLLARS = st.column_config.NumberColumn(format="dollar")
COUNT = st.column_config.NumberColumn(format="localized")
