"""The seeded sample world: scenario files, vectorised generation, landing files."""

from orch_assets.simulator.scenario import Scenario, ScenarioError, load_scenario
from orch_assets.simulator.simulate import SimulationResult, simulate

__all__ = ["Scenario", "ScenarioError", "SimulationResult", "load_scenario", "simulate"]
