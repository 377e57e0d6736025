"""Published snapshots of the session's built world, for the scorecard's tests.

Two snapshot folders come out of one build:

- `snapshot_dir`: every core mart plus the SLO, rollout and quarantine marts, and a recorded
  blocked publish. Marts the build already made are published as built; any it lacks are
  computed here with the SLO library from the built marts. ORCH_SNAPSHOT_DIR points at it
  for the whole session.
- `core_snapshot_dir`: the core marts only, as snapshots are published before the SLO work
  lands, so pages show what to run instead of failing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from app.data import CORE_MARTS
from orch_assets.publish.snapshot import (
    SNAPSHOT_MARTS,
    Snapshot,
    record_blocked,
    write_snapshot,
)
from orch_assets.settings import REPO_ROOT
from orch_assets.slo import (
    budget_burndown,
    episodes_frame,
    evaluate_alerts,
    evaluate_rollback_rules,
    firings_frame,
    load_rollback_rules,
    load_slos,
    rollout_impact,
)

METRICS_FILE = REPO_ROOT / "dbt_project" / "models" / "semantic" / "_metrics.yml"
# Counted classes of the exception_resolution SLO (slos/slos.yaml).
COUNTED_EXCEPTION_CLASSES = ("recoverable", "operator", "hard_failure")
# Shaped like the check results the publish step records: one per blocking check.
CHECK_RESULTS = [
    {
        "check": "dbt_tests",
        "asset": "marts",
        "passed": True,
        "severity": "error",
        "description": "dbt tests at error severity and mart contracts",
    },
    {
        "check": "rates_within_unit_interval",
        "asset": "orders",
        "passed": True,
        "severity": "error",
        "description": "every rate column lies in [0, 1]",
    },
    {
        "check": "leakage_reconciles_to_ledger",
        "asset": "leakage_v2",
        "passed": True,
        "severity": "error",
        "description": "leakage total equals the finance ledger's loss entries",
    },
    {
        "check": "metric_definitions_versioned",
        "asset": "semantic_layer",
        "passed": True,
        "severity": "error",
        "description": "every metric has owner, version, unit, direction and decision",
    },
]
BLOCKED_REASONS = [
    {
        "check": "row_count_within_band",
        "asset": "orders",
        "message": "orders for 2026-03-04 has 212 rows; the robust band is 1,310..1,690",
    }
]
# Order columns for the extra marts, so their Parquet files are stable like the core ones.
SLO_MART_ORDER = {
    "slo_burndown": ("slo", "segment", "evaluated_at"),
    "slo_alert_episodes": ("slo", "segment", "started_at", "episode_id"),
    "rollback_firings": ("rule", "segment", "fired_at", "firing_id"),
    "rollout_impact": ("metric",),
    "rollout_impact_cells": ("metric", "cohort", "period"),
    "quarantine_summary": ("feed", "partition", "rule"),
}


@dataclass(frozen=True)
class PublishedWorld:
    """The snapshot folders published from the session's built world."""

    snapshots: Path
    core_snapshots: Path
    warehouse: Path
    snapshot: Snapshot
    core_snapshot: Snapshot


def metric_versions(path: Path = METRICS_FILE) -> dict[str, int]:
    """Version of every metric, from its meta in the semantic layer."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {m["name"]: int(m["config"]["meta"]["version"]) for m in document["metrics"]}


def sli_minutes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Minute SLI counts of the three shipped SLOs, per region and for `all`."""
    return con.execute(
        """
        with order_minutes as (
            select
                date_trunc('minute', created_at) as minute,
                customer_region,
                promise_latency_ms,
                routing_method,
                is_payment_failure
            from main.orders
        ),

        exception_minutes as (
            select
                date_trunc('minute', exceptions.opened_at + interval 15 minute) as minute,
                orders.customer_region,
                exceptions.is_resolved_within_15m
            from main.exceptions
            left join main.orders on exceptions.order_id = orders.order_id
            where exceptions.exception_class in ('recoverable', 'operator', 'hard_failure')
        ),

        counted as (
            select
                'promise_latency' as slo,
                coalesce(customer_region, 'all') as segment,
                minute,
                count_if(promise_latency_ms <= 300) as good,
                count(*) as total
            from order_minutes
            group by grouping sets ((minute, customer_region), (minute))

            union all

            select
                'auto_routing' as slo,
                coalesce(customer_region, 'all') as segment,
                minute,
                count_if(routing_method = 'auto' and not is_payment_failure) as good,
                count_if(not is_payment_failure) as total
            from order_minutes
            group by grouping sets ((minute, customer_region), (minute))

            union all

            select
                'exception_resolution' as slo,
                coalesce(customer_region, 'all') as segment,
                minute,
                count_if(is_resolved_within_15m) as good,
                count(*) as total
            from exception_minutes
            group by grouping sets ((minute, customer_region), (minute))
        )

        select * from counted where total > 0 order by slo, segment, minute
        """
    ).df()


def slo_marts(warehouse: Path, quarantine: Path) -> dict[str, pd.DataFrame]:
    """The SLO, rollout and quarantine marts, computed from the built marts."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        sli = sli_minutes(con)
        latency = con.execute(
            """
            select
                customer_region as segment,
                date_trunc('minute', created_at) as minute,
                mode(rule_set_version) as rule_set_version,
                quantile_cont(promise_latency_ms, 0.95)::double as p95_latency_ms
            from main.orders
            group by all
            order by segment, minute
            """
        ).df()
        orders = con.execute(
            """
            select
                order_date as date,
                cohort,
                is_post_release as post,
                case when is_split then 1 else 0 end as split_shipment_rate,
                promise_latency_ms::double as promise_latency_ms
            from main.orders
            where shipment_count > 0
            """
        ).df()
    finally:
        con.close()
    slos = load_slos()
    first = sli["minute"].min()
    episodes = evaluate_alerts(sli, slos, start=first + pd.Timedelta(days=3))
    rules = [r for r in load_rollback_rules(slos=slos) if r.input == "promise_latency_minutely"]
    firings = firings_frame(
        evaluate_rollback_rules(rules, {"promise_latency_minutely": latency})
    ).drop(columns=["kind", "unit"])
    impacts, cells = [], []
    for metric in ("split_shipment_rate", "promise_latency_ms"):
        impact = rollout_impact(orders, metric, resamples=300, seed=1)
        impacts.append(
            {
                "metric": metric,
                "estimate": impact.estimate,
                "ci_low": impact.ci_low,
                "ci_high": impact.ci_high,
                "is_rate": impact.is_rate,
            }
        )
        cells.append(impact.cells_frame().assign(metric=metric))
    return {
        "slo_burndown": budget_burndown(sli, slos, step="1h"),
        "slo_alert_episodes": episodes_frame(episodes),
        "rollback_firings": firings,
        "rollout_impact": pd.DataFrame(impacts),
        "rollout_impact_cells": pd.concat(cells, ignore_index=True),
        "quarantine_summary": quarantine_summary(quarantine),
    }


def quarantine_summary(quarantine: Path) -> pd.DataFrame:
    """Rows quarantined per feed, partition and rule, from the quarantine folder."""
    files = sorted(quarantine.glob("*/date=*/*.parquet"))
    columns = {"feed": [], "partition": [], "rule": [], "rows": []}
    for path in files:
        frame = pd.read_parquet(path, columns=["rule"])
        for rule, rows in frame.groupby("rule").size().items():
            columns["feed"].append(path.parent.parent.name)
            columns["partition"].append(path.parent.name.removeprefix("date="))
            columns["rule"].append(str(rule))
            columns["rows"].append(int(rows))
    return pd.DataFrame(columns).astype({"rows": "int64"})


def publish(
    warehouse: Path,
    target: Path,
    extra: dict[str, pd.DataFrame] | None = None,
) -> Snapshot:
    """Publish the core marts, plus extra marts wherever the warehouse lacks them.

    A mart the build already made (once the SLO assets run in it) is published as built;
    only missing ones are added, from `extra`, to a private copy of the warehouse.
    """
    marts = {name: order for name, order in SNAPSHOT_MARTS.items() if name in CORE_MARTS}
    source = warehouse
    if extra:
        # The session's warehouse is shared: write into a copy, never into it.
        source = target.parent / f"{target.name}-warehouse.duckdb"
        shutil.copyfile(warehouse, source)
        con = duckdb.connect(str(source))
        try:
            con.execute("set TimeZone = 'UTC'")
            built = {
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables where table_schema = 'main'"
                ).fetchall()
            }
            for name, frame in extra.items():
                if name not in built:
                    con.register("incoming", frame)
                    con.execute("create table main." + name + " as select * from incoming")
                    con.unregister("incoming")
                marts[name] = SLO_MART_ORDER[name]
        finally:
            con.close()
    return write_snapshot(
        source,
        target,
        metric_versions=metric_versions(),
        check_results=CHECK_RESULTS,
        code="test",
        marts=marts,
    )


@pytest.fixture(scope="session")
def published(built_world, tmp_path_factory: pytest.TempPathFactory) -> PublishedWorld:
    root = tmp_path_factory.mktemp("published")
    extra = slo_marts(built_world.warehouse, built_world.root / "quarantine")
    snapshot = publish(built_world.warehouse, root / "snapshots", extra)
    record_blocked(
        root / "snapshots",
        reasons=BLOCKED_REASONS,
        check_results=CHECK_RESULTS,
        now=dt.datetime.now(dt.UTC),
    )
    core = publish(built_world.warehouse, root / "core-snapshots")
    return PublishedWorld(
        snapshots=root / "snapshots",
        core_snapshots=root / "core-snapshots",
        warehouse=built_world.warehouse,
        snapshot=snapshot,
        core_snapshot=core,
    )


@pytest.fixture(scope="session")
def snapshot_dir(published: PublishedWorld) -> Path:
    """The full snapshot folder, which ORCH_SNAPSHOT_DIR names for the session."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ORCH_SNAPSHOT_DIR", str(published.snapshots))
    yield published.snapshots
    patch.undo()
