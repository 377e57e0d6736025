"""Through Dagster: a failing blocking check skips the publish, records why, keeps the live one."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import pytest

from orch_assets.defs.ingest.resources import LakeResource
from orch_assets.pipeline import run_pipeline
from orch_assets.publish.snapshot import blocked_attempts, current_id
from orch_assets.simulator import simulate


def _digest(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "blocked" not in p.parts
    }


def test_a_day_lost_upstream_blocks_the_publish_and_the_live_snapshot_stays(
    tmp_path, scenario, monkeypatch
):
    landing = tmp_path / "landing"
    simulate(scenario, 9, 250, 21, landing, progress=False)
    for name in ("lake", "quarantine", "warehouse", "snapshots"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(f"ORCH_{name.upper()}_DIR", str(tmp_path / name))
    monkeypatch.setenv("ORCH_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("ORCH_LANDING_DIR", str(landing))
    lake = LakeResource(
        landing_dir=str(landing),
        lake_dir=str(tmp_path / "lake"),
        quarantine_dir=str(tmp_path / "quarantine"),
        pii_salt="s",
    )
    first, last = dt.date(2026, 1, 5), dt.date(2026, 1, 13)
    result, blocked = run_pipeline(first, last, resources={"lake": lake})
    assert result.success and blocked is None
    live = current_id(tmp_path / "snapshots")
    before = _digest(tmp_path / "snapshots")

    # The OMS export for one day goes missing: the orders mart loses that day.
    shutil.rmtree(landing / "orders" / "date=2026-01-08")
    result, blocked = run_pipeline(first, last, resources={"lake": lake})
    assert not result.asset_materializations_for_node("scorecard_snapshot")
    assert blocked is not None
    attempt = blocked_attempts(tmp_path / "snapshots")[0]
    assert attempt["live_snapshot_id"] == live
    failed = {(r["asset"], r["check"]) for r in attempt["reasons"]}
    assert ("orders", "expectations") in failed
    details = " ".join(str(r["failures"]) for r in attempt["reasons"])
    assert "order_date" in details
    assert current_id(tmp_path / "snapshots") == live
    assert _digest(tmp_path / "snapshots") == before


@pytest.fixture(autouse=True)
def _quiet_dagster_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
