"""Shared worlds: simulated once per session and read by many tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from orch_assets.settings import REPO_ROOT
from orch_assets.simulator import Scenario, SimulationResult, load_scenario, simulate

DEFAULT_SCENARIO = REPO_ROOT / "scenarios" / "default.yaml"
# Sixty days from the scenario start cover the rollout, the carrier outage and the
# maintenance window with enough orders to measure each planted effect.
WORLD_DAYS = 60
WORLD_ORDERS_PER_DAY = 1500
WORLD_SEED = 11


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> SimulationResult:
    out: Path = tmp_path_factory.mktemp("world") / "landing"
    return simulate(scenario, WORLD_DAYS, WORLD_ORDERS_PER_DAY, WORLD_SEED, out, progress=False)


@dataclass
class BuiltWorld:
    """A simulated world ingested and built through Dagster into its own warehouse."""

    world: SimulationResult
    root: Path
    result: object

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "orch.duckdb"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def connect(self):
        import duckdb

        con = duckdb.connect(str(self.warehouse), read_only=True)
        con.execute("set TimeZone = 'UTC'")
        return con


@pytest.fixture(scope="session")
def built_world(world: SimulationResult, tmp_path_factory: pytest.TempPathFactory):
    import datetime as dt

    import dagster as dg

    from orch_assets.defs.ingest.resources import LakeResource
    from orch_assets.pipeline import materialize_range

    root = tmp_path_factory.mktemp("built")
    patch = pytest.MonkeyPatch()
    for name, path in {
        "ORCH_LANDING_DIR": world.out,
        "ORCH_LAKE_DIR": root / "lake",
        "ORCH_QUARANTINE_DIR": root / "quarantine",
        "ORCH_WAREHOUSE_DIR": root / "warehouse",
        "ORCH_SNAPSHOT_DIR": root / "snapshots",
    }.items():
        patch.setenv(name, str(path))
    (root / "warehouse").mkdir()
    from orch_assets.defs.metrics.assets import dbt_resource

    lake = LakeResource(
        landing_dir=str(world.out),
        lake_dir=str(root / "lake"),
        quarantine_dir=str(root / "quarantine"),
        pii_salt="test-salt",
    )
    start = dt.date.fromisoformat(world.ground_truth["start_date"])
    end = dt.date.fromisoformat(world.ground_truth["end_date"])
    result = materialize_range(
        dg.AssetSelection.all(), start, end, resources={"lake": lake, "dbt": dbt_resource()}
    )
    yield BuiltWorld(world=world, root=root, result=result)
    patch.undo()
