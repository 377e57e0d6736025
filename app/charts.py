"""Altair charts of the scorecard, each built from a frame that `app.data` returns.

Functions here only shape pictures: no queries, no Streamlit calls, so each can be tested by
building it from a small frame. Timestamps arrive as UTC; they are drawn as UTC wall-clock
times (Vega-Lite would otherwise shift them into each viewer's time zone, and a change would
appear on a different day than the orders it touched).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

CHANGE_KINDS = ("release", "rule_change", "carrier_outage", "maintenance", "promotion")
CHANGE_COLORS = ("#7f7f7f", "#6f42c1", "#d62728", "#ff7f0e", "#2ca02c")
# The same colours as Streamlit Markdown names them, for legends written as text.
CHANGE_MARKDOWN = ("gray", "violet", "red", "orange", "green")


def change_legend() -> str:
    """A one-line Markdown legend of the change rules, for pages with several small charts."""
    return "Changes: " + " · ".join(
        f":{color}[**┆ {kind.replace('_', ' ')}**]"
        for kind, color in zip(CHANGE_KINDS, CHANGE_MARKDOWN, strict=True)
    )


SEVERITIES = ("page", "ticket")
SEVERITY_COLORS = ("#d62728", "#ff9f1c")
STATUSES = ("ok", "retry", "error", "timeout")
STATUS_COLORS = ("#2a9d8f", "#f4a261", "#e63946", "#8d5fd3")
# Altair validates every schema object as it is built ("debug mode"), which costs more than
# drawing the page; the full spec is still validated once when it is converted for display,
# so errors are caught either way, just reported at conversion instead of construction.
alt.utils.schemapi.disable_debug_mode()
# Specs are built here with their data inline and cached (app.layout.chart); the row cap of
# the default data transformer exists for notebooks, and the frames here are aggregates.
alt.data_transformers.disable_max_rows()
# Altair's default theme pins every view to 300 x 300 px; Streamlit sizes charts to their
# container and styles them with its own theme, and switches Altair to "none" for its own
# charts in the same way.
alt.theme.enable("none")

COHORT_COLORS = alt.Scale(domain=["treatment", "control"], range=["#1f77b4", "#9aa5b1"])
TREND_HEIGHT = 170


def utc_wall_clock(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with tz-aware columns turned into naive UTC, so charts show UTC times."""
    out = frame.copy()
    for column in columns:
        if column in out and isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _change_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "change_kind:N",
        title="Change",
        scale=alt.Scale(domain=list(CHANGE_KINDS), range=list(CHANGE_COLORS)),
        legend=alt.Legend(orient="bottom") if legend else None,
    )


def _change_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("change_id:N", title="Change"),
        alt.Tooltip("change_kind:N", title="Kind"),
        alt.Tooltip("starts_at:T", title="Starts (UTC)", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("scope:N", title="Scope"),
        alt.Tooltip("description:N", title="What changed"),
    ]


def change_rules(changes: pd.DataFrame, legend: bool = True) -> alt.Chart:
    """Dashed vertical rules at each change's start, coloured by kind, for layering."""
    marks = utc_wall_clock(changes, ["starts_at", "ends_at"])
    return (
        alt.Chart(marks)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5, opacity=0.85)
        .encode(x=alt.X("starts_at:T"), color=_change_color(legend), tooltip=_change_tooltip())
    )


def _changes_in(changes: pd.DataFrame, start: object, end: object) -> pd.DataFrame:
    """Changes that start inside the plotted range (rules outside it would stretch the axis)."""
    if changes.empty:
        return changes
    starts = utc_wall_clock(changes, ["starts_at"])["starts_at"]
    inside = (starts >= pd.Timestamp(start)) & (starts < pd.Timestamp(end) + pd.Timedelta(days=1))
    return changes[inside.to_numpy()]


def rate_trend(
    daily: pd.DataFrame,
    column: str,
    title: str,
    changes: pd.DataFrame,
    target: float | None = None,
) -> alt.LayerChart:
    """One daily rate with change starts marked and, when it has one, its SLO target.

    Args:
        daily: One row per day: `day` and the rate column (empty where too few to judge).
        column: The rate column.
        title: The chart title.
        changes: Change annotations (`starts_at`, `change_kind`, ...); no legend is drawn,
            the page shows one legend for all its trend charts.
        target: The SLO target, drawn as a dashed red line.
    """
    values = daily[column].dropna()
    spread = float(values.max() - values.min()) if not values.empty else 1.0
    # Tight series (auto-routing moves in tenths of a point) need a decimal to tell ticks apart.
    fmt = ".1%" if spread < 0.05 else ".0%"
    line = (
        alt.Chart(daily, title=alt.Title(title, anchor="start", fontSize=13))
        .mark_line(point=alt.OverlayMarkDef(size=16), strokeWidth=2, color="#1f6f8b")
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y(
                f"{column}:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%Y-%m-%d"),
                alt.Tooltip(f"{column}:Q", title=title, format=".2%"),
            ],
        )
    )
    inside = _changes_in(changes, daily["day"].min(), daily["day"].max())
    layers: list[alt.Chart] = [line, change_rules(inside, legend=False)]
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({column: [target]}))
            .mark_rule(color="#d62728", strokeDash=[8, 4])
            .encode(
                y=f"{column}:Q", tooltip=[alt.Tooltip(f"{column}:Q", title="SLO", format=".1%")]
            )
        )
    return alt.layer(*layers).properties(height=TREND_HEIGHT)


def money_trend(daily: pd.DataFrame, column: str, title: str, changes: pd.DataFrame) -> alt.Chart:
    """Daily dollars as bars, change starts marked (legend left to the page, as for rates)."""
    bars = (
        alt.Chart(daily, title=alt.Title(title, anchor="start", fontSize=13))
        .mark_bar(color="#e76f51", opacity=0.85)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y(f"{column}:Q", title=None, axis=alt.Axis(format="$,.0f")),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%Y-%m-%d"),
                alt.Tooltip(f"{column}:Q", title=title, format="$,.2f"),
            ],
        )
    )
    inside = _changes_in(changes, daily["day"].min(), daily["day"].max())
    return alt.layer(bars, change_rules(inside, legend=False)).properties(height=TREND_HEIGHT)


def pareto(totals: pd.DataFrame, by: str, title: str) -> alt.LayerChart:
    """Leakage Pareto: dollars per cause as bars, cumulative share as a line with 80% marked."""
    totals = totals.assign(**{by: totals[by].astype(str).str.replace("_", " ")})
    order = totals[by].tolist()
    x = alt.X(
        f"{by}:N",
        sort=order,
        title=title,
        axis=alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=180),
    )
    tooltip = [
        alt.Tooltip(f"{by}:N", title=title),
        alt.Tooltip("amount:Q", title="Leakage", format="$,.0f"),
        alt.Tooltip("share:Q", title="Share", format=".1%"),
        alt.Tooltip("cumulative_share:Q", title="Cumulative", format=".1%"),
    ]
    bars = (
        alt.Chart(totals)
        .mark_bar(color="#e76f51")
        .encode(
            x=x,
            y=alt.Y("amount:Q", title="Leakage ($)", axis=alt.Axis(format="$,.0f")),
            tooltip=tooltip,
        )
    )
    share_axis = alt.Y(
        "cumulative_share:Q",
        title="Cumulative share",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(domain=[0, 1]),
    )
    line = (
        alt.Chart(totals)
        .mark_line(color="#264653", point=alt.OverlayMarkDef(color="#264653", size=40))
        .encode(x=x, y=share_axis, tooltip=tooltip)
    )
    eighty = (
        alt.Chart(pd.DataFrame({"cumulative_share": [0.8]}))
        .mark_rule(color="#264653", strokeDash=[2, 4], opacity=0.6)
        .encode(y=share_axis)
    )
    return (
        alt.layer(bars, alt.layer(line, eighty))
        .resolve_scale(y="independent")
        .properties(height=320)
    )


def ranked_bars(frame: pd.DataFrame, by: str, value: str, title: str, fmt: str) -> alt.LayerChart:
    """Horizontal bars from zero, largest first, value labels at the bar ends (amounts)."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{by}:N", sort="-x", title=None),
        x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip(f"{by}:N", title=title), alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    bars = base.mark_bar(color="#2a9d8f")
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=fmt)
    )
    return alt.layer(bars, labels).properties(height=alt.Step(26))


def ranked_dots(frame: pd.DataFrame, by: str, value: str, title: str, fmt: str) -> alt.LayerChart:
    """Rates per segment as dots on an axis fitted to them, best first, labelled.

    Rates of one metric differ by fractions of a point between segments; bars from zero
    would hide exactly the differences a reader came for, so the axis fits the data.
    """
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{by}:N", sort="-x", title=None),
        x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip(f"{by}:N", title=title), alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    dots = base.mark_circle(size=140, color="#1f6f8b", opacity=1)
    labels = base.mark_text(align="left", dx=10, fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=fmt)
    )
    return alt.layer(dots, labels).properties(height=alt.Step(30))


def drift_heatmap(drift: pd.DataFrame) -> alt.LayerChart:
    """Mean promise drift per node and carrier: red is late, blue is early."""
    limit = max(1.0, float(drift["mean_drift_days"].abs().max() or 0))
    base = alt.Chart(drift).encode(
        x=alt.X("carrier_id:N", title="Carrier", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("node_id:N", title="Node"),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "mean_drift_days:Q",
            title="Mean drift (days)",
            scale=alt.Scale(scheme="redblue", reverse=True, domain=[-limit, limit]),
        ),
        tooltip=[
            alt.Tooltip("node_id:N", title="Node"),
            alt.Tooltip("carrier_id:N", title="Carrier"),
            alt.Tooltip("mean_drift_days:Q", title="Mean drift (days)", format="+.2f"),
            alt.Tooltip("mean_node_delay_days:Q", title="Node delay (days)", format="+.2f"),
            alt.Tooltip("mean_carrier_delay_days:Q", title="Carrier delay (days)", format="+.2f"),
            alt.Tooltip("delivered_shipments:Q", title="Delivered shipments", format=","),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("mean_drift_days:Q", format="+.2f"),
        color=alt.condition(
            f"abs(datum.mean_drift_days) > {limit * 0.6}", alt.value("white"), alt.value("black")
        ),
    )
    return alt.layer(cells, text).properties(height=alt.Step(36))


def exception_aging(aging: pd.DataFrame, value: str) -> alt.Chart:
    """Exceptions per aging bucket, stacked by class."""
    return (
        alt.Chart(aging)
        .mark_bar()
        .encode(
            x=alt.X("aging_bucket:N", title="Age", sort="ascending", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", title="Exceptions"),
            color=alt.Color("exception_class:N", title="Class"),
            tooltip=[
                alt.Tooltip("aging_bucket:N", title="Age"),
                alt.Tooltip("exception_class:N", title="Class"),
                alt.Tooltip("exceptions:Q", title="Exceptions", format=","),
                alt.Tooltip("open_exceptions:Q", title="Open", format=","),
                alt.Tooltip("recurring_exceptions:Q", title="Recurring", format=","),
            ],
        )
        .properties(height=280)
    )


# Ticks of the lifecycle's time axis in hours, labelled as a person would say them.
ELAPSED_TICKS = (0, 1 / 3600, 1 / 60, 1, 6, 24, 96, 384)
ELAPSED_LABEL = (
    "datum.value == 0 ? '0' : datum.value < 1 / 60 ? '1 s' : datum.value < 1 ? '1 min'"
    " : datum.value < 24 ? datum.value + ' h' : datum.value / 24 + ' d'"
)


def lifecycle(events: pd.DataFrame, steps: Sequence[str]) -> alt.LayerChart:
    """One order's events, one row per lifecycle step, by time since the order was created.

    Checkout steps take milliseconds and delivery takes days, so time runs on a symmetric
    log scale: the first seconds and the last days are both readable on one axis.
    """
    frame = utc_wall_clock(events, ["occurred_at"])
    start = frame["occurred_at"].min()
    frame["elapsed_hours"] = (frame["occurred_at"] - start).dt.total_seconds() / 3600
    present = [s for s in steps if s in set(frame["event_type"])]
    present += sorted(set(frame["event_type"]) - set(present))
    y = alt.Y("event_type:N", sort=present, title=None, axis=alt.Axis(labelLimit=220))
    x = alt.X(
        "elapsed_hours:Q",
        title="Time since the first event (symmetric log scale)",
        scale=alt.Scale(type="symlog", constant=1 / 3600),
        axis=alt.Axis(values=list(ELAPSED_TICKS), labelExpr=ELAPSED_LABEL),
    )
    tooltip = [
        alt.Tooltip("event_type:N", title="Step"),
        alt.Tooltip("occurred_at:T", title="At (UTC)", format="%Y-%m-%d %H:%M:%S"),
        alt.Tooltip("elapsed_hours:Q", title="Hours in", format=",.3f"),
        alt.Tooltip("event_status:N", title="Status"),
        alt.Tooltip("latency_ms:Q", title="Latency (ms)", format=","),
        alt.Tooltip("source_system:N", title="Source"),
        alt.Tooltip("node_id:N", title="Node"),
        alt.Tooltip("shipment_id:N", title="Shipment"),
        alt.Tooltip("exception_reason:N", title="Exception"),
    ]
    path = (
        alt.Chart(frame)
        .mark_line(color="#adb5bd", strokeWidth=1.5)
        .encode(x=x, y=y, order="occurred_at:T")
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=160, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "event_status:N",
                title="Status",
                scale=alt.Scale(domain=list(STATUSES), range=list(STATUS_COLORS)),
            ),
            shape=alt.Shape("source_system:N", title="Source"),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(frame)
        .mark_text(align="left", dx=10, fontSize=11, color="#495057")
        .encode(x=x, y=y, text=alt.Text("latency_ms:Q", format=",.0f"))
    )
    return alt.layer(path, points, labels).properties(height=alt.Step(30))


def series(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    y_title: str,
    fmt: str,
    changes: pd.DataFrame | None = None,
    threshold: float | None = None,
) -> alt.LayerChart:
    """Lines per `color` over time, with change starts and an optional threshold line."""
    data = utc_wall_clock(frame, [x])
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=1.8)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
            color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip(f"{x}:T", title="At (UTC)", format="%Y-%m-%d %H:%M"),
                alt.Tooltip(f"{color}:N"),
                alt.Tooltip(f"{y}:Q", title=y_title, format=fmt),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if threshold is not None:
        layers.append(
            alt.Chart(pd.DataFrame({y: [threshold]}))
            .mark_rule(color="#d62728", strokeDash=[8, 4])
            .encode(y=f"{y}:Q")
        )
    if changes is not None and not changes.empty and not data.empty:
        inside = _changes_in(changes, data[x].min(), data[x].max())
        layers.append(change_rules(inside))
    # Lines and change rules both colour by a nominal field; keep their legends apart.
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=260)


def burndown(budget: pd.DataFrame, changes: pd.DataFrame | None = None) -> alt.LayerChart:
    """Error budget remaining per SLO over time; below zero the budget is overspent."""
    chart = series(
        budget,
        "evaluated_at",
        "budget_remaining",
        "slo",
        "Error budget remaining",
        ".0%",
        changes,
        threshold=0.0,
    )
    return chart


def alert_timeline(
    episodes: pd.DataFrame, firings: pd.DataFrame, end: pd.Timestamp
) -> alt.LayerChart:
    """Alert episodes as bars per SLO and segment; rollback firings as diamonds."""
    bars = utc_wall_clock(episodes, ["started_at", "resolved_at"])
    naive_end = end.tz_convert("UTC").tz_localize(None) if end.tzinfo else end
    bars["until"] = bars["resolved_at"].fillna(naive_end)
    bars["row"] = bars["slo"] + " · " + bars["segment"]
    layers: list[alt.Chart] = [
        alt.Chart(bars)
        .mark_bar(height=10, cornerRadius=2)
        .encode(
            x=alt.X("started_at:T", title="UTC"),
            x2="until:T",
            y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(domain=list(SEVERITIES), range=list(SEVERITY_COLORS)),
            ),
            tooltip=[
                alt.Tooltip("slo:N", title="SLO"),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("long_window:N", title="Long window"),
                alt.Tooltip("short_window:N", title="Short window"),
                alt.Tooltip("factor:Q", title="Burn factor"),
                alt.Tooltip("peak_burn_rate:Q", title="Peak burn", format=".1f"),
                alt.Tooltip("started_at:T", title="Started", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("resolved_at:T", title="Resolved", format="%Y-%m-%d %H:%M"),
            ],
        )
    ]
    if not firings.empty:
        marks = utc_wall_clock(firings, ["started_at", "fired_at", "ended_at"])
        marks["row"] = "rollback · " + marks["rule"] + " · " + marks["segment"]
        layers.append(
            alt.Chart(marks)
            .mark_point(shape="diamond", filled=True, size=120, color="#6f42c1")
            .encode(
                x="fired_at:T",
                y="row:N",
                tooltip=[
                    alt.Tooltip("rule:N", title="Rule"),
                    alt.Tooltip("segment:N", title="Segment"),
                    alt.Tooltip("rule_set_version:N", title="Roll back"),
                    alt.Tooltip("fired_at:T", title="Fired", format="%Y-%m-%d %H:%M"),
                    alt.Tooltip("summary:N", title="Why"),
                ],
            )
        )
    return alt.layer(*layers).properties(height=alt.Step(22))


def interval(impact: pd.DataFrame, title: str, fmt: str) -> alt.LayerChart:
    """Estimates with their confidence intervals against a line at no effect."""
    base = alt.Chart(impact).encode(y=alt.Y("metric:N", title=None, axis=None))
    tooltip = [
        alt.Tooltip("metric:N", title="Metric"),
        alt.Tooltip("estimate:Q", title="Estimate", format=fmt),
        alt.Tooltip("ci_low:Q", title="CI low", format=fmt),
        alt.Tooltip("ci_high:Q", title="CI high", format=fmt),
    ]
    whisker = base.mark_rule(strokeWidth=3, color="#1f77b4").encode(
        x=alt.X(
            "ci_low:Q",
            title=title,
            axis=alt.Axis(format=fmt, tickCount=6),
            scale=alt.Scale(padding=16),
        ),
        x2="ci_high:Q",
    )
    point = base.mark_point(filled=True, size=120, color="#1f77b4").encode(
        x="estimate:Q", tooltip=tooltip
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#6c757d").encode(x="zero:Q")
    return alt.layer(zero, whisker, point).properties(height=alt.Step(40))


def cohort_cells(cells: pd.DataFrame, title: str, fmt: str) -> alt.LayerChart:
    """Treatment and control before and after the release, each with its interval."""
    frame = cells.copy()
    frame["judged"] = frame["too_small"].map({True: "too small to judge", False: "judged"})
    x = alt.X("period:N", sort=["pre", "post"], title=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(frame).encode(x=x, color=alt.Color("cohort:N", scale=COHORT_COLORS))
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("mean:Q", title=title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))
    )
    bars = base.mark_rule(strokeWidth=2).encode(y="ci_low:Q", y2="ci_high:Q")
    points = base.mark_point(filled=True, size=90).encode(
        y="mean:Q",
        shape=alt.Shape("judged:N", title=None),
        tooltip=[
            alt.Tooltip("cohort:N"),
            alt.Tooltip("period:N"),
            alt.Tooltip("orders:Q", format=","),
            alt.Tooltip("days:Q"),
            alt.Tooltip("mean:Q", format=fmt),
            alt.Tooltip("ci_low:Q", format=fmt),
            alt.Tooltip("ci_high:Q", format=fmt),
            alt.Tooltip("ci_method:N", title="Interval"),
        ],
    )
    return alt.layer(line, bars, points).properties(height=240)


def budget_text(remaining: float) -> str:
    """Error budget left, or how many budgets the window has spent once it is overspent."""
    if remaining >= 0:
        return f"{remaining:.1%} left"
    return f"overspent {1 - remaining:.1f}×"


def budget_bars(budget: pd.DataFrame) -> alt.LayerChart:
    """Budget left per SLO as bars: green while some remains, red once overspent."""
    frame = budget.assign(
        state=budget["budget_remaining"] >= 0,
        label=budget["slo"].str.replace("_", " ")
        + ": "
        + budget["budget_remaining"].map(budget_text),
    )
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=260)))
    bars = base.mark_bar().encode(
        x=alt.X("budget_remaining:Q", title="Budget remaining", axis=alt.Axis(format="%")),
        color=alt.Color(
            "state:N",
            legend=None,
            scale=alt.Scale(domain=[True, False], range=["#2a9d8f", "#e63946"]),
        ),
        tooltip=[
            alt.Tooltip("slo:N", title="SLO"),
            alt.Tooltip("target:Q", title="Target", format=".2%"),
            alt.Tooltip("budget_remaining:Q", title="Remaining", format=".1%"),
            alt.Tooltip("burn_rate:Q", title="Burn over window", format=".2f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#343a40").encode(x="x:Q")
    return alt.layer(bars, zero).properties(height=alt.Step(30))
