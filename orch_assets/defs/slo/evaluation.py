"""From warehouse tables to the SLO domain's output tables, with the SLO library in between.

Each `*_table` function takes the frames read from the warehouse and returns the frame of
one output table (columns as in `tables.py`); the `read_*` functions hold the queries. The
assets compose them; tests can call them on frames of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from orch_assets.defs.slo.warehouse import fetch_frame
from orch_assets.slo import (
    RollbackRule,
    Slo,
    budget_burndown,
    episodes_frame,
    evaluate_alerts,
    evaluate_rollback_rules,
    firings_frame,
    merge_episodes,
    rollout_impact,
)

FIRING_COLUMNS = [
    "firing_id",
    "rule",
    "segment",
    "rule_set_version",
    "started_at",
    "fired_at",
    "ended_at",
    "observed",
    "threshold",
    "baseline",
    "summary",
    "unit",
]
IMPACT_COLUMNS = [
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "is_rate",
    "unit",
    "description",
    "confidence",
    "resamples",
    "min_volume",
    "withheld",
    "rule_set_version",
    "released_on",
]
CELL_COLUMNS = [
    "metric",
    "cohort",
    "period",
    "orders",
    "days",
    "mean",
    "ci_low",
    "ci_high",
    "ci_method",
    "too_small",
]


@dataclass(frozen=True)
class Release:
    """The rule-set release the rollout comparison is about."""

    rule_set_version: str | None
    released_on: dt.date | None


@dataclass(frozen=True)
class RolloutMetric:
    """A per-order metric compared before and after a release, on the orders it applies to."""

    name: str
    unit: str
    description: str
    applies: Callable[[pd.DataFrame], pd.Series]
    value: Callable[[pd.DataFrame], pd.Series]


# Definitions follow the semantic layer (dbt_project/models/semantic/_metrics.yml).
ROLLOUT_METRICS = (
    RolloutMetric(
        name="split_shipment_rate",
        unit="share of orders in fulfilment",
        description="Orders in fulfilment shipped as more than one shipment.",
        applies=lambda orders: orders["shipment_count"] > 0,
        value=lambda orders: orders["is_split"],
    ),
    RolloutMetric(
        name="promise_latency_ms",
        unit="ms",
        description="Time the promise engine took to answer, per order.",
        applies=lambda orders: orders["promise_latency_ms"].notna(),
        value=lambda orders: orders["promise_latency_ms"],
    ),
    RolloutMetric(
        name="cancellation_rate",
        unit="share of routable orders",
        description="Routable orders the platform canceled (payment failures excluded).",
        applies=lambda orders: ~orders["is_payment_failure"],
        value=lambda orders: orders["is_canceled"],
    ),
    RolloutMetric(
        name="auto_routing_rate",
        unit="share of routable orders",
        description="Routable orders routed by the rules without fallback or a person.",
        applies=lambda orders: ~orders["is_payment_failure"],
        value=lambda orders: orders["is_auto_routed"],
    ),
)


def read_sli(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Minute SLI counts in the library's frame shape (slo, segment, minute, good, total)."""
    return fetch_frame(
        con,
        """
        select slo, segment, minute_at as minute, good, total
        from main.slo_sli_minutes
        order by slo, segment, minute_at
        """,
        "main.slo_sli_minutes",
    )


def read_rollback_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The rollback rules' input frames by the names the rule file gives them."""
    latency = fetch_frame(
        con,
        """
        select segment, minute_at as minute, rule_set_version, p95_latency_ms
        from main.rollback_promise_latency_minutes
        order by segment, minute_at
        """,
        "main.rollback_promise_latency_minutes",
    )
    aging = fetch_frame(
        con,
        """
        select
            segment,
            minute_at as minute,
            rule_set_version,
            mean_open_age_minutes,
            open_exceptions
        from main.rollback_exception_aging_minutes
        order by segment, minute_at
        """,
        "main.rollback_exception_aging_minutes",
    )
    return {"promise_latency_minutely": latency, "exception_aging_minutely": aging}


def read_orders(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The orders of both rollout arms, with the columns the rollout metrics read."""
    orders = fetch_frame(
        con,
        """
        select
            order_date,
            cohort,
            is_post_release,
            shipment_count,
            is_split,
            promise_latency_ms,
            is_canceled,
            is_payment_failure,
            is_auto_routed
        from main.orders
        where cohort in ('treatment', 'control') and is_post_release is not null
        """,
        "main.orders",
    )
    flags = ["is_post_release", "is_split", "is_canceled", "is_payment_failure", "is_auto_routed"]
    return orders.astype(dict.fromkeys(flags, "boolean")).fillna(dict.fromkeys(flags, False))


def read_release(con: duckdb.DuckDBPyConnection) -> Release:
    """The latest treatment release in the rollout plan (what is_post_release splits on)."""
    row = fetch_frame(
        con,
        """
        select rule_set_version, effective_date
        from reference.rollout_cohorts
        where cohort = 'treatment'
        order by effective_date desc, rule_set_version desc
        limit 1
        """,
        "reference.rollout_cohorts",
    )
    if row.empty:
        return Release(None, None)
    return Release(
        str(row.at[0, "rule_set_version"]), pd.Timestamp(row.at[0, "effective_date"]).date()
    )


def burndown_table(sli: pd.DataFrame, slos: Mapping[str, Slo], step: str) -> pd.DataFrame:
    """Error budget left over each SLO window, per SLO and segment, every `step`."""
    return budget_burndown(sli, slos, step=step)


def alert_episodes_table(sli: pd.DataFrame, slos: Mapping[str, Slo], step: str) -> pd.DataFrame:
    """Burn-rate alert episodes over the whole SLI history, close stretches merged.

    Each condition is judged only once its long window lies wholly inside the history, and
    stretches of one condition less than its long window apart are one episode, so a steady
    burn in a quiet segment is told once rather than at every lapse of its short window.

    NOTE: a quiet segment's fast-burn page still lapses overnight, when its hour holds too
    few orders, and opens a new episode the next day while the slow-burn page stays open;
    grouping a segment's pages across conditions (the slow burn inhibiting the fast one, as
    an Alertmanager inhibit rule would) would tell a person once per incident.
    """
    episodes = merge_episodes(evaluate_alerts(sli, slos, step=step, full_windows_only=True))
    frame = episodes_frame(episodes)
    frame["summary"] = [episode.summary for episode in episodes]
    for column in ("started_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def rollback_firings_table(
    rules: Sequence[RollbackRule], inputs: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """Every firing of every rollback rule, naming the rule-set version to roll back."""
    return firings_frame(evaluate_rollback_rules(rules, inputs))[FIRING_COLUMNS]


def rollout_tables(
    orders: pd.DataFrame,
    release: Release,
    *,
    metrics: Sequence[RolloutMetric] = ROLLOUT_METRICS,
    resamples: int = 1000,
    seed: int = 0,
    min_volume: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Difference-in-differences estimates per metric, and the cohort x period cells behind them.

    Returns:
        The rollout_impact frame (one row per metric) and the rollout_impact_cells frame.
    """
    estimates: list[dict] = []
    cells: list[pd.DataFrame] = []
    for metric in metrics:
        applies = metric.applies(orders).fillna(False).astype(bool)
        rows = orders[applies]
        frame = pd.DataFrame(
            {
                "date": rows["order_date"],
                "cohort": rows["cohort"].astype(str),
                "post": rows["is_post_release"].astype(bool),
                metric.name: metric.value(rows).astype("float64"),
            }
        )
        impact = rollout_impact(
            frame, metric.name, resamples=resamples, seed=seed, min_volume=min_volume
        )
        estimates.append(
            {
                "metric": metric.name,
                "estimate": impact.estimate,
                "ci_low": impact.ci_low,
                "ci_high": impact.ci_high,
                "is_rate": impact.is_rate,
                "unit": metric.unit,
                "description": metric.description,
                "confidence": impact.confidence,
                "resamples": impact.resamples,
                "min_volume": impact.min_volume,
                "withheld": impact.withheld,
                "rule_set_version": release.rule_set_version,
                "released_on": release.released_on,
            }
        )
        cells.append(impact.cells_frame().assign(metric=metric.name))
    impact_frame = pd.DataFrame(estimates, columns=IMPACT_COLUMNS)
    cell_frame = (
        pd.concat(cells, ignore_index=True)[CELL_COLUMNS]
        if cells
        else pd.DataFrame(columns=CELL_COLUMNS)
    )
    return impact_frame, cell_frame
