"""Mart values equal the same metrics computed independently from the lake files.

The independent computations read the lake Parquet with plain DuckDB SQL written here, not
the dbt models, so a wrong join or filter in the metric layer shows up as a mismatch.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orch_assets.settings import REPO_ROOT


@pytest.fixture(scope="module")
def lake(built_world):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for feed in ("orders", "order_lines", "shipments", "finance_ledger", "order_events"):
        con.execute(
            f"create view {feed} as select * from "
            f"read_parquet('{built_world.lake}/{feed}/*/part.parquet')"
        )
    return con


@pytest.fixture(scope="module")
def marts(built_world):
    return built_world.connect()


def test_split_shipment_rate_matches_a_count_of_shipments_per_order(lake, marts):
    expected = lake.execute(
        """
        select avg((n > 1)::int) from (
            select order_id, count(*) as n from shipments group by 1
        )
        """
    ).fetchone()[0]
    actual = marts.execute(
        "select avg(is_split::int) from orders where shipment_count > 0"
    ).fetchone()[0]
    assert actual == pytest.approx(expected, abs=1e-12)


def test_leakage_total_matches_the_ledger_loss_entries(lake, marts):
    rules = REPO_ROOT / "dbt_project" / "seeds" / "leakage_attribution_rules.csv"
    with rules.open() as handle:
        loss_codes = [r["reason_code"] for r in csv.DictReader(handle) if r["is_leakage"] == "true"]
    expected = lake.execute(
        "select sum(amount) from finance_ledger where list_contains(?, reason_code)",
        [loss_codes],
    ).fetchone()[0]
    for version in ("leakage_v1", "leakage_v2"):
        actual = marts.execute(f"select sum(amount) from {version}").fetchone()[0]
        assert actual == expected


def test_item_accuracy_by_node_matches_the_shipments_feed(lake, marts):
    expected = dict(
        lake.execute(
            "select node_id, avg(is_item_correct::int) from shipments "
            "where shipped_at is not null group by 1"
        ).fetchall()
    )
    actual = dict(
        marts.execute(
            "select node_id, avg(is_item_correct::int) from shipments where is_shipped group by 1"
        ).fetchall()
    )
    assert actual.keys() == expected.keys()
    for node, value in expected.items():
        assert actual[node] == pytest.approx(value, abs=1e-12)


def test_otif_rate_matches_a_from_scratch_computation(lake, marts):
    expected = lake.execute(
        """
        with as_of as (select max(occurred_at)::date as day from order_events),
        per_order as (
            select
                o.order_id,
                o.promised_delivery_date as promised,
                count(s.shipment_id) as shipments,
                count(s.delivered_at) as delivered,
                max(s.delivered_at)::date as last_delivered,
                bool_and(coalesce(s.is_item_correct and s.is_quantity_correct
                    and s.is_address_correct and s.is_condition_ok, false)) as in_full
            from orders o left join shipments s using (order_id)
            group by 1, 2
        ),
        flagged as (
            select
                p.*,
                exists (select 1 from order_events e where e.order_id = p.order_id
                        and e.event_type = 'canceled') as canceled,
                exists (select 1 from order_events e where e.order_id = p.order_id
                        and e.exception_reason = 'payment_declined') as unpaid
            from per_order p
        )
        select
            sum((shipments > 0 and delivered = shipments and last_delivered <= promised
                 and in_full)::int)
            / sum((delivered = shipments and shipments > 0 or canceled
                   or promised < (select day from as_of))::int)
        from flagged where not unpaid
        """
    ).fetchone()[0]
    actual = marts.execute(
        "select sum((has_final_outcome and is_otif)::int) / sum(has_final_outcome::int) from orders"
    ).fetchone()[0]
    assert actual == pytest.approx(expected, abs=1e-12)


def _dbt(args: list[str], warehouse_dir: Path, lake_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORCH_WAREHOUSE_DIR": str(warehouse_dir), "ORCH_LAKE_DIR": str(lake_dir)}
    project = REPO_ROOT / "dbt_project"
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(warehouse_dir / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=project,
    )


def test_metricflow_query_equals_the_mart_value(built_world, marts, tmp_path):
    project = REPO_ROOT / "dbt_project"
    out = tmp_path / "otif.csv"
    # MetricFlow opens the warehouse for writing, so it gets a copy of its own.
    shutil.copy(built_world.warehouse, tmp_path / "orch.duckdb")
    env = {
        **os.environ,
        "ORCH_WAREHOUSE_DIR": str(tmp_path),
        "ORCH_LAKE_DIR": str(built_world.lake),
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("mf")),
            "query",
            "--metrics",
            "otif_rate",
            "--csv",
            str(out),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    expected = marts.execute(
        "select sum((has_final_outcome and is_otif)::int) / sum(has_final_outcome::int) from orders"
    ).fetchone()[0]
    assert float(rows[0]["otif_rate"]) == pytest.approx(expected, rel=1e-9)


def _table(path: Path, table: str, key: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from main.{table} order by {key}").fetchall()
    finally:
        con.close()


def test_incremental_rebuild_of_a_window_and_full_refresh_give_the_same_marts(
    built_world, tmp_path
):
    days = built_world.world.ground_truth
    incremental = tmp_path / "incremental"
    full = tmp_path / "full"
    for folder in (incremental, full):
        folder.mkdir()
        shutil.copy(built_world.warehouse, folder / "orch.duckdb")
    window = json.dumps({"min_date": "2026-02-20", "max_date": days["end_date"]})
    done = _dbt(["build", "--select", "tag:daily", "--vars", window], incremental, built_world.lake)
    assert done.returncode == 0, done.stdout[-3000:]
    done = _dbt(["build", "--select", "tag:daily", "--full-refresh"], full, built_world.lake)
    assert done.returncode == 0, done.stdout[-3000:]
    for table, key in (
        ("orders", "order_id"),
        ("shipments", "shipment_id"),
        ("leakage_v2", "entry_id"),
        ("exceptions", "exception_id"),
    ):
        original = _table(built_world.warehouse, table, key)
        assert _table(incremental / "orch.duckdb", table, key) == original, table
        assert _table(full / "orch.duckdb", table, key) == original, table
