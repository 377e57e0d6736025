"""A partitioned run of the SLO models rebuilds its days to exactly what the full build made.

The built world's warehouse is copied, the slo folder's models are run for one day the way a
daily partition runs them (delete+insert of the window and its lookback), and every table is
compared with the original, row for row.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orch_assets.defs.metrics.project import DBT_PROJECT_DIR

MODELS = {
    "slo_sli_minutes": ["slo", "segment", "minute_at"],
    "rollback_promise_latency_minutes": ["segment", "minute_at"],
    "rollback_exception_aging_minutes": ["segment", "minute_at"],
    "daily_trends": ["trend_date", "segment"],
}


def _table(path: Path, name: str, keys: list[str]) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        frame = con.table(f"main.{name}").df()
    finally:
        con.close()
    return frame.sort_values(keys, ignore_index=True)


@pytest.fixture(scope="module")
def rebuilt(built_world, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rebuild")
    (root / "warehouse").mkdir()
    copy = root / "warehouse" / "orch.duckdb"
    shutil.copy(built_world.warehouse, copy)
    day = "2026-02-20"
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            "path:models/slo",
            "--vars",
            json.dumps({"min_date": day, "max_date": day}),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
            "--quiet",
        ],
        check=True,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "ORCH_WAREHOUSE_DIR": str(root / "warehouse")},
    )
    return copy


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_one_day_run_reproduces_the_full_build(built_world, rebuilt, model):
    keys = MODELS[model]
    original = _table(built_world.warehouse, model, keys)
    again = _table(rebuilt, model, keys)
    pd.testing.assert_frame_equal(again, original, check_exact=False, rtol=1e-9)
