"""A bad scenario file stops with one message naming the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orch_assets.simulator import ScenarioError, load_scenario
from tests.conftest import DEFAULT_SCENARIO


def _write_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    change(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _error_for(tmp_path: Path, change) -> str:
    path = _write_variant(tmp_path, change)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_default_scenario_loads():
    scenario = load_scenario(DEFAULT_SCENARIO)
    assert scenario.effects.carrier_outage.carrier_id in {c.carrier_id for c in scenario.carriers}


def test_unknown_node_in_an_effect_names_the_field_and_the_known_nodes(tmp_path):
    message = _error_for(
        tmp_path, lambda d: d["effects"]["pick_accuracy"].update(node_id="DC_NOWHERE")
    )
    assert "effects.pick_accuracy.node_id" in message
    assert "DC_NOWHERE" in message
    assert "DC_MW" in message


def test_unknown_carrier_in_the_outage_names_the_known_carriers(tmp_path):
    message = _error_for(
        tmp_path, lambda d: d["effects"]["carrier_outage"].update(carrier_id="PIGEON")
    )
    assert "effects.carrier_outage.carrier_id" in message
    assert "PARCELCO" in message


def test_rate_above_one_names_the_field_and_the_range(tmp_path):
    message = _error_for(tmp_path, lambda d: d.update(fallback_rate=1.7))
    assert "fallback_rate" in message
    assert "less than or equal to 1" in message
    assert "1.7" in message


def test_node_rate_below_zero_names_the_node_field(tmp_path):
    message = _error_for(tmp_path, lambda d: d["nodes"][2].update(pick_accuracy=-0.1))
    assert "nodes.2.pick_accuracy" in message
    assert "greater than or equal to 0" in message


def test_negative_count_is_refused(tmp_path):
    message = _error_for(tmp_path, lambda d: d["nodes"][0].update(daily_capacity=-5))
    assert "nodes.0.daily_capacity" in message
    assert "-5" in message


def test_window_ending_before_it_starts_is_refused(tmp_path):
    def swap(data):
        window = data["effects"]["maintenance"]
        window["starts_at"], window["ends_at"] = window["ends_at"], window["starts_at"]

    message = _error_for(tmp_path, swap)
    assert "effects.maintenance" in message
    assert "is not after starts_at" in message


def test_shares_that_do_not_add_up_are_refused(tmp_path):
    message = _error_for(tmp_path, lambda d: d["channels"].update(web=0.9))
    assert "channels" in message
    assert "add up to 1" in message


def test_unknown_field_is_refused_with_its_name(tmp_path):
    message = _error_for(tmp_path, lambda d: d.update(ordres_per_day=3))
    assert "ordres_per_day" in message
    assert "not a scenario field" in message


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nchannels: {web: 0.5,\n  app: [\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    assert "malformed YAML at line" in message


def test_missing_file_says_what_to_pass(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.yaml")
