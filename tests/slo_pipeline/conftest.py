"""Fixtures for the SLO pipeline tests: the shipped SLOs and the built world's warehouse."""

from __future__ import annotations

import pytest

from orch_assets.slo import Slo, load_slos


@pytest.fixture(scope="session")
def slos() -> dict[str, Slo]:
    return load_slos()


@pytest.fixture(scope="module")
def warehouse(built_world):
    con = built_world.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth(built_world) -> dict:
    return built_world.world.ground_truth["effects"]
