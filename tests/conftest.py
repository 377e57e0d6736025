"""Shared worlds: simulated once per session and read by many tests."""

from __future__ import annotations

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
