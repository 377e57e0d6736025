"""The notifier: one notification per episode, per sink, remembered across runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orch_assets.slo.burn import evaluate_alerts
from orch_assets.slo.notify import (
    Delivery,
    JsonlFileSink,
    LogSink,
    Notifier,
    NotifierStateError,
)
from orch_assets.slo.rollback import evaluate_rollback_rules, load_rollback_rules
from tests.slo.conftest import minutes, sli_frame


class FlakySink:
    """Fails while `down` is set, and counts what it was given."""

    def __init__(self, name: str = "pager") -> None:
        self.name = name
        self.down = True
        self.received: list[str] = []

    def deliver(self, record: Mapping[str, Any]) -> Delivery:
        if self.down:
            return Delivery(ok=False, attempts=2, error="pager is down")
        self.received.append(record["notification_id"])
        return Delivery(ok=True)


class BrokenSink:
    name = "broken"

    def deliver(self, record: Mapping[str, Any]) -> Delivery:
        raise RuntimeError("bug in a sink")


@pytest.fixture(scope="module")
def episodes(slos):
    found = evaluate_alerts(sli_frame(np.full(120, 1000)), slos)
    assert len(found) == 3
    return found


def _lines(path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_second_send_of_the_same_episodes_sends_nothing(tmp_path, episodes):
    outbox = tmp_path / "alerts.jsonl"
    notifier = Notifier([LogSink(), JsonlFileSink(outbox)], tmp_path / "state.json")
    first = notifier.notify(episodes)
    second = notifier.notify(episodes)
    assert len(first["file"].delivered) == len(first["log"].delivered) == 3
    assert second["file"].delivered == second["log"].delivered == []
    assert sorted(second["file"].skipped) == sorted(e.episode_id for e in episodes)
    assert len(_lines(outbox)) == 3


def test_sent_ids_survive_a_new_notifier_on_the_same_state_file(tmp_path, episodes):
    state = tmp_path / "state.json"
    outbox = tmp_path / "alerts.jsonl"
    Notifier([JsonlFileSink(outbox)], state).notify(episodes[:2])
    report = Notifier([JsonlFileSink(outbox)], state).notify(episodes)
    assert report["file"].delivered == [episodes[2].episode_id]
    assert len(_lines(outbox)) == 3


def test_repeats_within_one_call_are_sent_once(tmp_path, episodes):
    outbox = tmp_path / "alerts.jsonl"
    Notifier([JsonlFileSink(outbox)], tmp_path / "state.json").notify([*episodes, *episodes])
    assert len(_lines(outbox)) == 3


def test_file_sink_writes_one_json_object_per_episode(tmp_path, episodes):
    outbox = tmp_path / "nested" / "alerts.jsonl"
    Notifier([JsonlFileSink(outbox)], tmp_path / "state.json").notify(episodes[:1])
    (record,) = _lines(outbox)
    assert record["notification_id"] == record["episode_id"] == episodes[0].episode_id
    assert record["severity"] == "page"


def test_log_sink_logs_the_summary(tmp_path, episodes, caplog):
    with caplog.at_level(logging.WARNING, logger="orch_assets.slo.notify"):
        Notifier([LogSink()], tmp_path / "state.json").notify(episodes[:1])
    assert episodes[0].summary in caplog.text


def test_a_failed_sink_is_retried_next_run_while_the_others_stay_quiet(tmp_path, episodes):
    pager, outbox = FlakySink(), tmp_path / "alerts.jsonl"
    notifier = Notifier([JsonlFileSink(outbox), pager], tmp_path / "state.json")
    first = notifier.notify(episodes)
    assert [failure.error for failure in first["pager"].failed] == ["pager is down"] * 3
    assert first["pager"].failed[0].attempts == 2
    pager.down = False
    second = notifier.notify(episodes)
    assert len(second["pager"].delivered) == 3
    assert second["file"].delivered == []
    assert len(_lines(outbox)) == 3


def test_a_sink_that_raises_is_recorded_and_the_run_goes_on(tmp_path, episodes):
    outbox = tmp_path / "alerts.jsonl"
    report = Notifier([BrokenSink(), JsonlFileSink(outbox)], tmp_path / "state.json").notify(
        episodes
    )
    assert len(report["broken"].failed) == 3
    assert "bug in a sink" in report["broken"].failed[0].error
    assert len(report["file"].delivered) == 3


def test_a_corrupt_state_file_stops_with_the_fix(tmp_path, episodes):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    with pytest.raises(NotifierStateError, match="delete it to send every current notification"):
        Notifier([LogSink()], state).notify(episodes)


def test_two_sinks_with_one_name_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="sink name"):
        Notifier([LogSink(), LogSink()], tmp_path / "state.json")


def test_rollback_firings_are_notified_like_episodes(tmp_path, slos):
    p95 = np.full(60, 250.0)
    p95[10:40] = 480.0
    frame = pd.DataFrame(
        {
            "segment": "west",
            "minute": minutes(60),
            "p95_latency_ms": p95,
            "rule_set_version": "rs-2026.02",
        }
    )
    rules = [rule for rule in load_rollback_rules(slos=slos) if rule.name == "promise_latency_p95"]
    firings = evaluate_rollback_rules(rules, {"promise_latency_minutely": frame})
    outbox = tmp_path / "rollbacks.jsonl"
    notifier = Notifier([JsonlFileSink(outbox)], tmp_path / "state.json")
    notifier.notify(firings)
    notifier.notify(firings)
    (record,) = _lines(outbox)
    assert record["kind"] == "rollback_trigger"
    assert record["rule_set_version"] == "rs-2026.02"
