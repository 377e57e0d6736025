"""SLO files: the shipped SLOs, the default alert policy, and one clear error per bad file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from orch_assets.slo.spec import DEFAULT_SLO_PATH, SloSpecError, default_alert_conditions, load_slos

Change = Callable[[list[dict[str, Any]]], None]


def _error_for(tmp_path: Path, change: Change) -> str:
    documents = list(yaml.safe_load_all(DEFAULT_SLO_PATH.read_text()))
    change(documents)
    path = tmp_path / "slos.yaml"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    with pytest.raises(SloSpecError) as caught:
        load_slos(path)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def _conditions(window: dt.timedelta) -> list[tuple[str, float, str]]:
    return [(c.severity, c.factor, c.window_pair) for c in default_alert_conditions(window)]


def test_shipped_file_defines_the_three_slos_with_their_targets(slos):
    assert {name: slo.target for name, slo in slos.items()} == {
        "promise_latency": 0.99,
        "auto_routing": 0.985,
        "exception_resolution": 0.99,
    }
    assert all(slo.window == dt.timedelta(days=30) for slo in slos.values())


def test_promise_latency_counts_orders_promised_within_300_ms(slos):
    indicator = slos["promise_latency"].spec.indicator
    assert indicator.threshold.column == "promise_latency_ms"
    assert indicator.threshold.at_most == 300
    assert indicator.ratio_metric.total.series == "orders"


def test_exception_resolution_counts_three_classes_and_excludes_customer_action(slos):
    description = slos["exception_resolution"].spec.description
    for counted in ("recoverable", "operator", "hard_failure"):
        assert counted in description
    assert "customer_action exceptions wait on the customer" in description


def test_error_budget_is_one_minus_target_without_float_noise(slos):
    assert slos["promise_latency"].error_budget == 0.01
    assert slos["auto_routing"].error_budget == 0.015


def test_default_policy_for_a_30_day_window_is_the_sre_workbook_policy():
    assert _conditions(dt.timedelta(days=30)) == [
        ("page", 14.4, "1h/5m"),
        ("page", 6.0, "6h/30m"),
        ("ticket", 1.0, "3d/6h"),
    ]


def test_default_policy_for_a_7_day_slo_scales_one_hour_to_fourteen_minutes():
    # 1h * 7/30 = 14m, 5m -> 70 s -> 1m, 6h -> 84m, 30m -> 7m, 3d -> 1008m, 6h -> 84m.
    assert _conditions(dt.timedelta(days=7)) == [
        ("page", 14.4, "14m/1m"),
        ("page", 6.0, "84m/7m"),
        ("ticket", 1.0, "1008m/84m"),
    ]


def test_shipped_alert_policies_match_the_default_for_their_window(slos):
    for slo in slos.values():
        shipped = [(c.severity, c.factor, c.window_pair) for c in slo.alert_conditions]
        assert shipped == _conditions(slo.window)


def test_slo_without_alert_policies_gets_the_workbook_policy_scaled_to_its_window(tmp_path):
    documents = list(yaml.safe_load_all(DEFAULT_SLO_PATH.read_text()))
    document = documents[0]
    del document["spec"]["alertPolicies"]
    document["spec"]["timeWindow"][0]["duration"] = "7d"
    path = tmp_path / "slos.yaml"
    path.write_text(yaml.safe_dump(document))
    slo = load_slos(path)["promise_latency"]
    assert [c.window_pair for c in slo.alert_conditions] == ["14m/1m", "84m/7m", "1008m/84m"]


def test_unknown_field_names_the_field_path_and_the_allowed_fields(tmp_path):
    message = _error_for(tmp_path, lambda docs: docs[1]["spec"].update(budgetWindow="30d"))
    assert "document 2 (auto_routing)" in message
    assert "field spec.budgetWindow" in message
    assert "allowed: service, description, indicator, objectives, timeWindow" in message


def test_target_of_one_or_more_is_rejected_with_how_to_write_a_share(tmp_path):
    message = _error_for(tmp_path, lambda docs: docs[0]["spec"]["objectives"][0].update(target=99))
    assert "field spec.objectives.0.target" in message
    assert "strictly between 0 and 1" in message
    assert "99" in message


def test_target_of_zero_is_rejected(tmp_path):
    message = _error_for(tmp_path, lambda docs: docs[2]["spec"]["objectives"][0].update(target=0))
    assert "document 3 (exception_resolution)" in message
    assert "strictly between 0 and 1" in message


def test_bad_duration_names_the_field_and_the_accepted_form(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[0]["spec"]["timeWindow"][0].update(duration="30 days")
    )
    assert "field spec.timeWindow.0.duration" in message
    assert "'30 days'" in message
    assert "5m, 1h or 30d" in message


def test_missing_good_series_names_what_a_ratio_metric_needs(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[0]["spec"]["indicator"]["ratioMetric"].pop("good")
    )
    assert "field spec.indicator.ratioMetric.good" in message
    assert "required here: good, total" in message


def test_missing_total_series_is_rejected(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[1]["spec"]["indicator"]["ratioMetric"].pop("total")
    )
    assert "field spec.indicator.ratioMetric.total" in message


def test_unknown_severity_names_the_allowed_severities(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[0]["spec"]["alertPolicies"][1].update(severity="sms")
    )
    assert "field spec.alertPolicies.1.severity" in message
    assert "'page' or 'ticket'" in message
    assert "'sms'" in message


def test_short_window_longer_than_long_window_is_rejected(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[0]["spec"]["alertPolicies"][0].update(shortWindow="2h")
    )
    assert "field spec.alertPolicies.0" in message
    assert "shortWindow 2h must be shorter than longWindow 1h" in message


def test_calendar_window_is_rejected_with_the_fix(tmp_path):
    message = _error_for(
        tmp_path, lambda docs: docs[0]["spec"]["timeWindow"][0].update(isRolling=False)
    )
    assert "field spec.timeWindow.0.isRolling" in message
    assert "set isRolling: true" in message


def test_two_slos_with_one_name_are_rejected(tmp_path):
    message = _error_for(tmp_path, lambda docs: docs[1]["metadata"].update(name="promise_latency"))
    assert "document 2 (promise_latency)" in message
    assert "already defined" in message


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "slos.yaml"
    path.write_text("apiVersion: openslo/v1\nkind: [SLO\n")
    with pytest.raises(SloSpecError, match=r"malformed YAML at line \d+"):
        load_slos(path)


def test_missing_file_says_what_to_pass(tmp_path):
    with pytest.raises(SloSpecError, match="no such SLO file"):
        load_slos(tmp_path / "absent.yaml")
