"""The alert sensor sends each episode and firing once, and skips while dbt holds the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orch_assets.defs.slo.resources import WEBHOOK_URL_ENV, NotifierResource
from orch_assets.defs.slo.sensors import slo_alert_sensor


@pytest.fixture
def notifier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NotifierResource:
    monkeypatch.delenv(WEBHOOK_URL_ENV, raising=False)
    return NotifierResource(
        state_path=str(tmp_path / "notifier_state.json"),
        jsonl_path=str(tmp_path / "notifications.jsonl"),
    )


def _tick(notifier: NotifierResource, cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor, resources={"notifier": notifier})
    return slo_alert_sensor(context)


def _sent(notifier: NotifierResource) -> list[dict]:
    path = Path(notifier.jsonl_path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_episode_and_firing_is_sent_once_over_two_ticks(built_world, notifier, warehouse):
    episodes = warehouse.execute("select count(*) from main.slo_alert_episodes").fetchone()[0]
    firings = warehouse.execute("select count(*) from main.rollback_firings").fetchone()[0]
    assert episodes and firings

    first = _tick(notifier)
    sent = _sent(notifier)
    assert len(sent) == episodes + firings
    assert len({record["notification_id"] for record in sent}) == len(sent)
    assert {record["kind"] for record in sent} == {"slo_alert", "rollback_trigger"}

    second = _tick(notifier, first.cursor)
    assert len(_sent(notifier)) == len(sent)
    assert second.skip_reason is not None
    assert json.loads(second.cursor) == json.loads(first.cursor)


def test_with_its_cursor_lost_the_sensor_still_sends_nothing_twice(built_world, notifier):
    _tick(notifier)
    count = len(_sent(notifier))
    _tick(notifier, cursor=None)
    assert len(_sent(notifier)) == count


def test_records_carry_what_a_person_needs_to_act(built_world, notifier, truth):
    _tick(notifier)
    records = _sent(notifier)
    trigger = next(r for r in records if r.get("rule") == "promise_latency_p95")
    assert trigger["rule_set_version"] == truth["rollout"]["rule_set_version"]
    assert trigger["summary"].startswith(f"roll back {truth['rollout']['rule_set_version']}")
    page = next(
        r for r in records if r.get("severity") == "page" and r.get("slo") == "promise_latency"
    )
    assert page["started_at"].endswith("+00:00")
    assert "burn rate peaked" in page["summary"]


def test_a_tick_meeting_a_locked_warehouse_skips_and_keeps_its_cursor(
    tmp_path: Path, notifier: NotifierResource, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "warehouse"
    folder.mkdir()
    path = folder / "orch.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("ORCH_WAREHOUSE_DIR", str(folder))
        result = _tick(notifier, cursor=json.dumps({"sent": ["earlier"]}))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert isinstance(result, dg.SkipReason)
    assert "locked" in result.skip_message
    assert _sent(notifier) == []


def test_the_hourly_schedule_runs_the_evaluation_assets_alone():
    from orch_assets.definitions import defs
    from orch_assets.defs.slo.assets import SLO_TABLE_KEYS

    schedule = defs.resolve_schedule_def("hourly_slo_evaluation")
    assert schedule.cron_schedule == "5 * * * *"
    job = defs.resolve_job_def(schedule.job_name)
    assert set(job.asset_layer.selected_asset_keys) == set(SLO_TABLE_KEYS)
    assert defs.resolve_sensor_def("slo_alert_sensor") is not None
