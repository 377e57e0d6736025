"""Rollback rules: when they fire, what they name, and one clear error per bad rule file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from orch_assets.slo.rollback import (
    DEFAULT_RULES_PATH,
    BaselineRatioRule,
    RollbackInputError,
    RollbackRule,
    RollbackRuleError,
    evaluate_rollback_rules,
    firings_frame,
    load_rollback_rules,
)
from tests.slo.conftest import START, minutes

OLD, NEW = "rs-2026.01", "rs-2026.02"


@pytest.fixture(scope="module")
def rules(slos) -> dict[str, RollbackRule]:
    return {rule.name: rule for rule in load_rollback_rules(DEFAULT_RULES_PATH, slos)}


def _latency(p95: np.ndarray, segment: str = "west", versions: Any = NEW) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": segment,
            "minute": minutes(len(p95)),
            "p95_latency_ms": p95,
            "rule_set_version": versions,
        }
    )


def _breach(length: int, at: int = 30, total: int = 120) -> np.ndarray:
    p95 = np.full(total, 240.0)
    p95[at : at + length] = 420.0
    return p95


def _aging(age: np.ndarray, segment: str = "DC_SE", versions: Any = NEW) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": segment,
            "minute": minutes(len(age)),
            "mean_open_age_minutes": age,
            "open_exceptions": 4,
            "rule_set_version": versions,
        }
    )


def _latency_firings(rules, frame: pd.DataFrame):
    rule = rules["promise_latency_p95"]
    return evaluate_rollback_rules([rule], {"promise_latency_minutely": frame})


def _aging_firings(rule: BaselineRatioRule, frame: pd.DataFrame):
    return evaluate_rollback_rules([rule], {"exception_aging_minutely": frame})


def test_shipped_latency_rule_takes_its_threshold_from_the_promise_latency_slo(rules):
    rule = rules["promise_latency_p95"]
    assert rule.threshold == 300
    assert rule.sustain == pd.Timedelta(minutes=15)


def test_latency_rule_fires_after_15_minutes_above_and_names_the_version(rules):
    (firing,) = _latency_firings(rules, _latency(_breach(15)))
    assert firing.rule == "promise_latency_p95"
    assert firing.segment == "west"
    assert firing.rule_set_version == NEW
    assert firing.started_at == START + pd.Timedelta(minutes=30)
    assert firing.fired_at == START + pd.Timedelta(minutes=45)
    assert firing.evidence.observed == 420.0
    assert firing.evidence.threshold == 300.0
    assert firing.evidence.baseline is None


def test_latency_rule_does_not_fire_after_14_minutes(rules):
    assert _latency_firings(rules, _latency(_breach(14))) == []


def test_latency_at_exactly_the_threshold_is_not_above_it(rules):
    p95 = _breach(25)  # minutes 30-54, split by minute 40 into 10 and 14 above
    p95[40] = 300.0
    assert _latency_firings(rules, _latency(p95)) == []


def test_a_minute_without_a_reading_breaks_the_streak(rules):
    frame = _latency(_breach(20)).drop(index=40)
    assert _latency_firings(rules, frame) == []


def test_a_long_breach_fires_once_and_records_when_it_ended(rules):
    (firing,) = _latency_firings(rules, _latency(_breach(60)))
    assert firing.ended_at == START + pd.Timedelta(minutes=90)


def test_a_breach_running_at_the_end_of_the_data_has_not_ended(rules):
    (firing,) = _latency_firings(rules, _latency(_breach(20, at=100)))
    assert firing.ended_at is None


def test_the_version_named_is_the_one_in_force_in_that_segment_when_it_fired(rules):
    # West moves to the new rule set at minute 35, inside the breach; east never moves.
    west_versions = np.where(np.arange(120) < 35, OLD, NEW)
    frame = pd.concat(
        [
            _latency(_breach(20), segment="west", versions=west_versions),
            _latency(_breach(20), segment="east", versions=OLD),
        ]
    )
    firings = {firing.segment: firing.rule_set_version for firing in _latency_firings(rules, frame)}
    assert firings == {"east": OLD, "west": NEW}


def _hourly_rule(rules) -> BaselineRatioRule:
    # The shipped rule compares an hour with 7 days; a 1-day baseline keeps test data small.
    return rules["exception_aging_doubled"].model_copy(update={"baseline": pd.Timedelta(days=1)})


def test_aging_rule_fires_when_mean_age_doubles_against_its_baseline(rules):
    age = np.full(2 * 24 * 60, 10.0)
    age[-240:-120] = 30.0
    (firing,) = _aging_firings(_hourly_rule(rules), _aging(age))
    assert firing.rule == "exception_aging_doubled"
    assert firing.rule_set_version == NEW
    # Doubling: (m * 30 + (60 - m) * 10) / 60 >= 20 once m >= 30 minutes of the hour.
    doubled_at = START + pd.Timedelta(minutes=len(age) - 240 + 30)
    assert doubled_at <= firing.started_at < doubled_at + pd.Timedelta(minutes=5)
    assert firing.evidence.baseline == pytest.approx(10.0)
    assert firing.evidence.threshold == pytest.approx(20.0)
    assert firing.evidence.observed >= 20.0
    assert firing.ended_at is not None


def test_aging_rule_is_quiet_when_age_rises_less_than_twice(rules):
    age = np.full(2 * 24 * 60, 10.0)
    age[-240:-120] = 19.0
    assert _aging_firings(_hourly_rule(rules), _aging(age)) == []


def test_aging_rule_ignores_a_baseline_below_its_minimum(rules):
    age = np.full(2 * 24 * 60, 2.0)  # under the 5-minute minimum baseline
    age[-240:-120] = 30.0
    assert _aging_firings(_hourly_rule(rules), _aging(age)) == []


def test_aging_minutes_without_a_reading_are_left_out_of_the_means(rules):
    age = np.full(2 * 24 * 60, 10.0)
    age[-240:-120] = 30.0
    age[:600:7] = np.nan
    (firing,) = _aging_firings(_hourly_rule(rules), _aging(age))
    assert firing.evidence.baseline == pytest.approx(10.0)


def test_aging_rule_waits_for_a_full_baseline(rules):
    age = np.full(6 * 60, 10.0)
    age[-120:] = 40.0
    assert _aging_firings(_hourly_rule(rules), _aging(age)) == []


def test_firings_frame_flattens_the_evidence(rules):
    frame = firings_frame(_latency_firings(rules, _latency(_breach(15))))
    assert frame.loc[0, "threshold"] == 300.0
    assert frame.loc[0, "rule_set_version"] == NEW
    assert str(frame["fired_at"].dtype).startswith("datetime64")


def test_a_missing_input_frame_names_the_rule_and_the_input(rules):
    with pytest.raises(RollbackInputError, match="promise_latency_p95 reads input"):
        evaluate_rollback_rules([rules["promise_latency_p95"]], {})


def test_an_input_without_a_rule_set_version_is_rejected(rules):
    frame = _latency(_breach(15)).drop(columns="rule_set_version")
    with pytest.raises(RollbackInputError, match=r"lacks column.*rule_set_version"):
        _latency_firings(rules, frame)


Change = Callable[[dict[str, Any]], None]


def _error_for(tmp_path: Path, slos, change: Change) -> str:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text())
    change(data)
    path = tmp_path / "rollback_rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RollbackRuleError) as caught:
        load_rollback_rules(path, slos)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_a_rule_naming_an_unknown_slo_lists_the_known_ones(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][0].update(slo="checkout"))
    assert "field rules.0.slo" in message
    assert "unknown SLO 'checkout'" in message
    assert "promise_latency, auto_routing, exception_resolution" in message


def test_a_rule_giving_both_threshold_and_slo_is_rejected(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][0].update(threshold=250))
    assert "field rules.0" in message
    assert "threshold or slo, not both" in message


def test_a_rule_of_an_unknown_kind_lists_the_kinds(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][1].update(kind="trend"))
    assert "field rules.1.kind" in message
    assert "'sustained_above'" in message
    assert "'baseline_ratio'" in message


def test_an_unknown_field_in_a_rule_lists_that_kind_of_rule_s_fields(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][1].update(windows="1h"))
    assert "field rules.1.windows" in message
    assert "allowed: kind, name, description, input, column, weight_column" in message


def test_a_bad_sustain_duration_names_the_field(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][0].update(sustain="15"))
    assert "field rules.0.sustain" in message
    assert "5m, 1h or 30d" in message


def test_a_factor_of_one_or_less_is_rejected(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][1].update(factor=1))
    assert "field rules.1.factor" in message
    assert "greater than 1" in message


def test_a_unit_other_than_the_slo_threshold_unit_is_rejected(tmp_path, slos):
    message = _error_for(tmp_path, slos, lambda d: d["rules"][0].update(unit="s"))
    assert "differs from SLO 'promise_latency'" in message


def test_an_input_column_that_is_not_numeric_is_rejected(rules):
    frame = _latency(_breach(15)).astype({"p95_latency_ms": str})
    with pytest.raises(RollbackInputError, match="p95_latency_ms must be numeric"):
        _latency_firings(rules, frame)
