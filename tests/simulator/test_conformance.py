"""Every file the simulator writes meets its feed's contract."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow.parquet as pq
import pytest

from orch_assets.contracts import FEEDS
from orch_assets.ingest.core import LakePaths, ingest_partition, landing_format
from orch_assets.settings import DEVELOPMENT_SALT


def _columns_of(path) -> list[str]:
    fmt = landing_format(path)
    if fmt == "parquet":
        return pq.read_schema(path).names
    if fmt == "csv":
        return path.read_text(encoding="utf-8").splitlines()[0].split(",")
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return list(json.loads(first))


def test_every_landing_file_has_exactly_the_contract_columns(world):
    for feed in FEEDS.values():
        files = sorted((world.out / feed.name).rglob("part-*"))
        assert files, f"no files for {feed.name}"
        for path in files:
            assert landing_format(path) == feed.landing_format
            assert _columns_of(path) == list(feed.column_names), path


def test_reference_files_list_every_node_and_carrier_the_feeds_use(world, scenario):
    con = duckdb.connect()
    nodes = con.sql(f"select node_id from read_csv('{world.out}/reference/nodes.csv')").fetchall()
    assert {n for (n,) in nodes} == {node.node_id for node in scenario.nodes}
    used = con.sql(
        f"select distinct carrier_id from read_parquet('{world.out}/shipments/*/*.parquet')"
    ).fetchall()
    carriers = con.sql(
        f"select carrier_id from read_csv('{world.out}/reference/carriers.csv')"
    ).fetchall()
    assert {c for (c,) in used} <= {c for (c,) in carriers}


@pytest.fixture(scope="module")
def ingested(world, tmp_path_factory):
    """Orders for every day, then every feed for days that hold each planted effect."""
    root = tmp_path_factory.mktemp("conformance")
    paths = LakePaths(world.out, root / "lake", root / "quarantine")
    now = dt.datetime.fromisoformat(world.ground_truth["exported_at"])
    start = dt.date.fromisoformat(world.ground_truth["start_date"])
    results = []
    for offset in range(world.days):
        results.append(
            ingest_partition("orders", start + dt.timedelta(days=offset), paths, "s", now=now)
        )
    sample_days = [0, 1, 35, 43, 56, world.days - 1]
    for feed in FEEDS:
        if feed == "orders":
            continue
        for offset in sample_days:
            day = start + dt.timedelta(days=offset)
            results.append(ingest_partition(feed, day, paths, DEVELOPMENT_SALT, now=now))
    return results


def test_every_sampled_row_passes_its_contract(ingested):
    breaches = {
        (r.feed, r.partition): r.quarantined_by_rule for r in ingested if r.rows_quarantined
    }
    assert breaches == {}
    assert sum(r.rows_read for r in ingested) > 100_000
    assert all(r.balanced for r in ingested)


def test_no_file_carries_columns_beyond_its_contract(ingested):
    assert [r.extra_columns for r in ingested if r.extra_columns] == []
