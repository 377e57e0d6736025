"""Warehouse access for the SLO tables: waiting out another writer, and all-or-nothing writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orch_assets.defs.slo.tables import ROLLOUT_IMPACT_CELLS
from orch_assets.defs.slo.warehouse import (
    WarehouseLockedError,
    WarehouseMissingError,
    read_only,
    replace_tables,
    writable,
)

HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); " + (
    "sys.stdin.read()"
)


def _hold(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(timeout=30)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "orch.duckdb"
    duckdb.connect(str(path)).close()
    return path


def _cells(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": ["split_shipment_rate"] * rows,
            "cohort": ["treatment"] * rows,
            "period": ["pre"] * rows,
            "orders": [1000] * rows,
            "days": [10] * rows,
            "mean": [0.1] * rows,
            "ci_low": [0.08] * rows,
            "ci_high": [0.12] * rows,
            "ci_method": ["wilson"] * rows,
            "too_small": [False] * rows,
        }
    )


def test_a_writer_gives_up_after_its_wait_naming_the_lock(database: Path):
    holder = _hold(database)
    waits: list[float] = []
    try:
        with (
            pytest.raises(WarehouseLockedError, match=r"locked.*Waited 1 s"),
            writable(database, wait_seconds=1, poll_seconds=0.25, sleep=waits.append),
        ):
            pass
    finally:
        _release(holder)


def test_a_writer_goes_ahead_once_the_other_writer_lets_go(database: Path):
    holder = _hold(database)
    with writable(database, wait_seconds=60, sleep=lambda _: _release(holder)) as con:
        con.execute("create table written as select 1 as one")
    with read_only(database) as con:
        assert con.execute("select one from written").fetchone() == (1,)


def test_a_reader_meeting_the_lock_says_so_at_once(database: Path):
    holder = _hold(database)
    try:
        with pytest.raises(WarehouseLockedError, match="dbt build"), read_only(database):
            pass
    finally:
        _release(holder)


def test_a_missing_warehouse_says_to_build_first(tmp_path: Path):
    missing = tmp_path / "absent.duckdb"
    with (
        pytest.raises(WarehouseMissingError, match="Build the dbt models first"),
        read_only(missing),
    ):
        pass


def test_a_failed_write_leaves_the_previous_table(database: Path):
    with writable(database) as con:
        replace_tables(con, {ROLLOUT_IMPACT_CELLS: _cells(2)})
    broken = _cells(1).assign(ci_method=None)  # violates not null
    with writable(database) as con, pytest.raises(duckdb.ConstraintException):
        replace_tables(con, {ROLLOUT_IMPACT_CELLS: broken})
    with read_only(database) as con:
        assert con.execute("select count(*) from main.rollout_impact_cells").fetchone() == (2,)
