"""Ingestion through Dagster: partitions materialize, checks run, re-runs replace, sensors track."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil

import dagster as dg
import pytest

from orch_assets.contracts import FEEDS
from orch_assets.defs.ingest.assets import QUARANTINE_CHECK, RECONCILE_CHECK, lake_key
from orch_assets.defs.ingest.resources import LakeResource
from orch_assets.defs.ingest.sensors import landing_sensor
from orch_assets.pipeline import landing_days, materialize_range
from orch_assets.simulator import simulate

DAYS = 4


@pytest.fixture
def small_world(tmp_path, scenario, monkeypatch):
    landing = tmp_path / "landing"
    simulate(scenario, DAYS, 300, 5, landing, progress=False)
    monkeypatch.setenv("ORCH_LANDING_DIR", str(landing))
    lake = LakeResource(
        landing_dir=str(landing),
        lake_dir=str(tmp_path / "lake"),
        quarantine_dir=str(tmp_path / "quarantine"),
        pii_salt="test-salt",
    )
    return tmp_path, lake


def _lake_digests(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def test_every_feed_materializes_a_range_of_days_with_passing_checks(small_world):
    root, lake = small_world
    days = landing_days(lake.paths.landing)
    assert len(days) == DAYS
    result = materialize_range("ingest", days[0], days[-1], resources={"lake": lake})
    assert result.success
    checks = {
        (c.asset_key.path[-1], c.check_name): c.passed for c in result.get_asset_check_evaluations()
    }
    assert checks == {
        (feed, check): True for feed in FEEDS for check in (RECONCILE_CHECK, QUARANTINE_CHECK)
    }
    orders = result.asset_materializations_for_node("lake__orders")
    metadata = orders[0].metadata
    assert metadata["partitions"].value == DAYS
    assert metadata["rows_read"].value == metadata["rows_accepted"].value > 0
    for day in days:
        assert (root / "lake" / "orders" / f"date={day}" / "part.parquet").exists()


def test_rerunning_a_partition_gives_identical_lake_contents(small_world):
    root, lake = small_world
    days = landing_days(lake.paths.landing)
    materialize_range("ingest", days[0], days[-1], resources={"lake": lake})
    before = _lake_digests(root / "lake")
    materialize_range("ingest", days[1], days[1], resources={"lake": lake})
    assert _lake_digests(root / "lake") == before


def test_customer_ids_reach_the_lake_only_as_salted_hashes(small_world):
    import duckdb

    root, lake = small_world
    day = landing_days(lake.paths.landing)[0]
    materialize_range([lake_key("orders")], day, day, resources={"lake": lake})
    raw = duckdb.sql(
        f"select customer_id from read_csv('{root}/landing/orders/date={day}/*.csv')"
    ).fetchall()
    stored = duckdb.sql(
        f"select customer_id from read_parquet('{root}/lake/orders/date={day}/part.parquet')"
    ).fetchall()
    assert len(raw) == len(stored)
    assert not {r for (r,) in raw} & {s for (s,) in stored}
    assert all(len(s) == 64 for (s,) in stored)


def test_an_unreadable_file_fails_its_partition_and_leaves_the_lake_as_it_was(small_world):
    root, lake = small_world
    day = landing_days(lake.paths.landing)[0]
    materialize_range([lake_key("shipments")], day, day, resources={"lake": lake})
    target = root / "lake" / "shipments" / f"date={day}" / "part.parquet"
    before = target.read_bytes()
    broken = root / "landing" / "shipments" / f"date={day}" / "part-0001.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    result = materialize_range(
        [lake_key("shipments")], day, day, resources={"lake": lake}, raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "part-0001.parquet" in message
    assert "Re-export it as Parquet" in message
    assert target.read_bytes() == before


def _tick(cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor)
    result = landing_sensor(context)
    return result.run_requests, result.cursor


def test_sensor_requests_each_new_feed_day_once_and_nothing_on_the_next_tick(small_world):
    root, _ = small_world
    requests, cursor = _tick(None)
    requested = {(r.asset_selection[0].path[-1], r.partition_key) for r in requests}
    expected = {
        (feed, folder.name.removeprefix("date="))
        for feed in FEEDS
        for folder in (root / "landing" / feed).glob("date=*")
    }
    assert requested == expected
    assert len({r.run_key for r in requests}) == len(requests)
    again, cursor_after = _tick(cursor)
    assert again == []
    assert json.loads(cursor_after) == json.loads(cursor)


def test_a_late_file_for_an_old_day_requests_that_day_alone(small_world):
    root, lake = small_world
    _, cursor = _tick(None)
    old_day = landing_days(lake.paths.landing)[0]
    folder = root / "landing" / "finance_ledger" / f"date={old_day}"
    source = next(folder.glob("*.parquet"))
    late = folder / "part-late.parquet"
    shutil.copy(source, late)
    os.utime(late, ns=(source.stat().st_mtime_ns + 10**9,) * 2)
    requests, _ = _tick(cursor)
    assert [(r.asset_selection[0].path[-1], r.partition_key) for r in requests] == [
        ("finance_ledger", old_day.isoformat())
    ]


def test_daily_schedule_targets_yesterdays_partition():
    from orch_assets.definitions import defs

    schedule = defs.resolve_schedule_def("daily_ingest")
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 2, 10, 2, 0, tzinfo=dt.UTC)
    )
    run_requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in run_requests] == ["2026-02-09"]
