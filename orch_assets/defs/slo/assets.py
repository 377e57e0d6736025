"""SLO evaluation as assets: the burndown, alert episodes, rollback firings and rollout impact.

The dbt models of `models/slo/` count the SLI and rollback series per minute; these assets
read them, evaluate them with `orch_assets.slo`, and write five tables into the warehouse's
schema main for the scorecard and the alert sensor.

The assets are unpartitioned: every run evaluates the whole history the warehouse holds, up
to its last minute with data. Burn-rate windows and the 30-day error budget look back across
days, an alert episode's id comes from when it started, and a merged episode may span many
days, so a per-day slice could not be evaluated alone; a 60-day history is seconds of work.

They are one multi-asset, so a run opens the warehouse for writing once, after every input
has been computed, and five steps never contend for DuckDB's single write lock. They depend
on the dbt models they read, so within a run they start only after dbt has let go of the file.
"""

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from orch_assets.defs.slo.evaluation import (
    Release,
    alert_episodes_table,
    burndown_table,
    read_orders,
    read_release,
    read_rollback_inputs,
    read_sli,
    rollback_firings_table,
    rollout_tables,
)
from orch_assets.defs.slo.tables import (
    ROLLBACK_FIRINGS,
    ROLLOUT_IMPACT,
    ROLLOUT_IMPACT_CELLS,
    SLO_ALERT_EPISODES,
    SLO_BURNDOWN,
)
from orch_assets.defs.slo.warehouse import Table, read_only, replace_tables, writable
from orch_assets.settings import load_settings
from orch_assets.slo import Slo, load_rollback_rules, load_slos

GROUP = "slo"
SLI_MINUTES = dg.AssetKey(["slo_sli_minutes"])
LATENCY_MINUTES = dg.AssetKey(["rollback_promise_latency_minutes"])
AGING_MINUTES = dg.AssetKey(["rollback_exception_aging_minutes"])
ORDERS = dg.AssetKey(["orders"])
ROLLOUT_COHORTS = dg.AssetKey(["reference", "rollout_cohorts"])


class SloEvaluationConfig(dg.Config):
    """How finely to evaluate, and how hard to bootstrap."""

    alert_step: str = "5m"
    burndown_step: str = "1h"
    bootstrap_resamples: int = 1000
    bootstrap_seed: int = 0
    min_cell_orders: int = 200
    lock_wait_seconds: float = 120.0


def _spec(table: Table, deps: list[dg.AssetKey], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey([table.name]),
        deps=deps,
        group_name=GROUP,
        kinds={"python", "duckdb"},
        description=description,
    )


SPECS = {
    SLO_BURNDOWN.name: _spec(
        SLO_BURNDOWN,
        [SLI_MINUTES],
        "Error budget left over each SLO's 30-day window, per SLO and segment, every hour.",
    ),
    SLO_ALERT_EPISODES.name: _spec(
        SLO_ALERT_EPISODES,
        [SLI_MINUTES],
        "Multiwindow multi-burn-rate alert episodes, one per stretch a condition held.",
    ),
    ROLLBACK_FIRINGS.name: _spec(
        ROLLBACK_FIRINGS,
        [LATENCY_MINUTES, AGING_MINUTES],
        "Rollback-rule firings, each naming the rule-set version to roll back in its region.",
    ),
    ROLLOUT_IMPACT.name: _spec(
        ROLLOUT_IMPACT,
        [ORDERS, ROLLOUT_COHORTS],
        "Difference-in-differences effect of the latest rule-set release, per metric.",
    ),
    ROLLOUT_IMPACT_CELLS.name: _spec(
        ROLLOUT_IMPACT_CELLS,
        [ORDERS, ROLLOUT_COHORTS],
        "The cohort x period cells behind each rollout estimate, with their intervals.",
    ),
}
SLO_TABLE_KEYS = [spec.key for spec in SPECS.values()]


Outputs = dict[Table, tuple[pd.DataFrame, dict[str, dg.MetadataValue]]]


def _selected(context: dg.AssetExecutionContext) -> set[str]:
    return {key.path[-1] for key in context.selected_asset_keys}


def _burndown(sli: pd.DataFrame, slos: dict[str, Slo], step: str) -> Outputs:
    burndown = burndown_table(sli, slos, step)
    latest = burndown.sort_values("evaluated_at").groupby(["slo", "segment"]).tail(1)
    remaining = {
        f"{row.slo}/{row.segment}": round(float(row.budget_remaining), 4)
        for row in latest.itertuples()
    }
    return {
        SLO_BURNDOWN: (
            burndown,
            {
                "dagster/row_count": dg.MetadataValue.int(len(burndown)),
                "budget_remaining_now": dg.MetadataValue.json(remaining),
            },
        )
    }


def _episodes(
    context: dg.AssetExecutionContext, sli: pd.DataFrame, slos: dict[str, Slo], step: str
) -> Outputs:
    episodes = alert_episodes_table(sli, slos, step)
    firing = int(episodes["resolved_at"].isna().sum())
    counts = episodes.groupby(["slo", "severity"]).size()
    context.log.info(f"{len(episodes)} alert episodes, {firing} still firing")
    return {
        SLO_ALERT_EPISODES: (
            episodes,
            {
                "dagster/row_count": dg.MetadataValue.int(len(episodes)),
                "still_firing": dg.MetadataValue.int(firing),
                "episodes_by_slo_and_severity": dg.MetadataValue.json(
                    {f"{slo}/{severity}": int(n) for (slo, severity), n in counts.items()}
                ),
            },
        )
    }


def _firings(
    context: dg.AssetExecutionContext, inputs: dict[str, pd.DataFrame], slos: dict[str, Slo]
) -> Outputs:
    firings = rollback_firings_table(load_rollback_rules(slos=slos), inputs)
    counts = firings.groupby(["rule", "segment", "rule_set_version"]).size()
    minutes = sum(len(frame) for frame in inputs.values())
    context.log.info(f"{len(firings)} rollback firings from {minutes:,} input minutes")
    return {
        ROLLBACK_FIRINGS: (
            firings,
            {
                "dagster/row_count": dg.MetadataValue.int(len(firings)),
                "firings_by_rule_segment_version": dg.MetadataValue.json(
                    {"/".join(key): int(n) for key, n in counts.items()}
                ),
            },
        )
    }


def _rollout(
    context: dg.AssetExecutionContext,
    orders: pd.DataFrame,
    release: Release,
    config: SloEvaluationConfig,
) -> Outputs:
    impact, cells = rollout_tables(
        orders,
        release,
        resamples=config.bootstrap_resamples,
        seed=config.bootstrap_seed,
        min_volume=config.min_cell_orders,
    )
    context.log.info(
        f"rollout impact of {release.rule_set_version} from {release.released_on} over "
        f"{len(orders):,} orders: {len(impact)} metrics, "
        f"{int(cells['too_small'].sum())} cells too small"
    )
    estimates = dg.MetadataValue.json(
        {
            row.metric: None if pd.isna(row.estimate) else round(float(row.estimate), 6)
            for row in impact.itertuples()
        }
    )
    return {
        table: (
            frame,
            {"dagster/row_count": dg.MetadataValue.int(len(frame)), "estimates": estimates},
        )
        for table, frame in ((ROLLOUT_IMPACT, impact), (ROLLOUT_IMPACT_CELLS, cells))
    }


def _evaluate(
    context: dg.AssetExecutionContext, config: SloEvaluationConfig, wanted: set[str]
) -> Outputs:
    """Read what the selected tables need, then compute them; the warehouse is shut by then."""
    needs_sli = bool(wanted & {SLO_BURNDOWN.name, SLO_ALERT_EPISODES.name})
    needs_orders = bool(wanted & {ROLLOUT_IMPACT.name, ROLLOUT_IMPACT_CELLS.name})
    with read_only(load_settings().warehouse_file) as con:
        sli = read_sli(con) if needs_sli else None
        inputs = read_rollback_inputs(con) if ROLLBACK_FIRINGS.name in wanted else None
        orders = read_orders(con) if needs_orders else None
        release = read_release(con) if needs_orders else None

    slos = load_slos()
    outputs: Outputs = {}
    if sli is not None:
        span = (
            f"{sli['minute'].min():%Y-%m-%d %H:%M}Z..{sli['minute'].max():%Y-%m-%d %H:%M}Z"
            if len(sli)
            else "no minutes"
        )
        context.log.info(f"read {len(sli):,} SLI minute rows, {span}")
        if SLO_BURNDOWN.name in wanted:
            outputs |= _burndown(sli, slos, config.burndown_step)
        if SLO_ALERT_EPISODES.name in wanted:
            outputs |= _episodes(context, sli, slos, config.alert_step)
    if inputs is not None:
        outputs |= _firings(context, inputs, slos)
    if orders is not None and release is not None:
        rollout = _rollout(context, orders, release, config)
        outputs |= {table: out for table, out in rollout.items() if table.name in wanted}
    return outputs


@dg.multi_asset(
    name="slo_evaluation",
    specs=list(SPECS.values()),
    can_subset=True,
    description="Evaluate the SLOs, rollback rules and rollout impact into warehouse tables.",
)
def slo_evaluation(
    context: dg.AssetExecutionContext, config: SloEvaluationConfig
) -> Iterator[dg.MaterializeResult]:
    """Burndown, alert episodes, rollback firings and rollout impact, from the dbt SLO models."""
    outputs = _evaluate(context, config, _selected(context))
    warehouse = load_settings().warehouse_file
    with writable(warehouse, config.lock_wait_seconds, on_wait=context.log.info) as con:
        replace_tables(con, {table: frame for table, (frame, _) in outputs.items()})
    written = ", ".join(f"main.{t.name} ({len(frame):,} rows)" for t, (frame, _) in outputs.items())
    context.log.info(f"wrote {written}")
    for table, (_, metadata) in outputs.items():
        yield dg.MaterializeResult(asset_key=SPECS[table.name].key, metadata=metadata)
