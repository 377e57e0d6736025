"""The evidence options added for quiet segments: bad-event minimum, confidence, merging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from orch_assets.slo import evaluate_alerts, evaluate_rollback_rules, load_slos, merge_episodes
from orch_assets.slo.burn import wilson_lower_bound
from orch_assets.slo.rollback import DEFAULT_RULES_PATH, load_rollback_rules
from orch_assets.slo.spec import DEFAULT_SLO_PATH, AlertCondition
from tests.slo.conftest import START, minutes, sli_frame

# The quiet segment's data ends with its busy hour; evaluating at the hour's end sees all of it.
QUIET_END = START + pd.Timedelta(days=2, hours=1)


def _slo_file(tmp_path, **policy_fields) -> dict:
    """The shipped promise_latency SLO with every alert policy's fields replaced."""
    document = next(yaml.safe_load_all(DEFAULT_SLO_PATH.read_text()))
    for policy in document["spec"]["alertPolicies"]:
        for name, value in policy_fields.items():
            if value is None:
                policy.pop(name, None)
            else:
                policy[name] = value
    path = tmp_path / "slos.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_slos(path)


def _quiet_hour(bad_orders: int) -> pd.DataFrame:
    """Two clean days at twenty orders a day, then an hour of twenty, its last few slow."""
    total = np.zeros(2 * 24 * 60 + 60, dtype=int)
    total[::72] = 1
    total[-60::3] = 1
    bad = np.zeros_like(total)
    bad[np.flatnonzero(total)[-bad_orders:]] = 1
    return pd.DataFrame(
        {
            "slo": "promise_latency",
            "segment": "quiet",
            "minute": minutes(len(total)),
            "good": total - bad,
            "total": total,
        }
    ).query("total > 0")


def _evaluate(sli: pd.DataFrame, slos) -> list:
    return evaluate_alerts(sli, slos, end=QUIET_END, full_windows_only=True)


def test_shipped_policies_ask_for_four_bad_events_and_a_sure_ticket():
    for slo in load_slos().values():
        assert [c.min_bad_events for c in slo.alert_conditions] == [4, 4, 4]
        assert [c.confidence for c in slo.alert_conditions] == [None, None, 0.95]


def test_policies_without_the_evidence_fields_keep_the_workbook_rule(tmp_path):
    slos = _slo_file(tmp_path, minBadEvents=None, confidence=None)
    condition: AlertCondition = slos["promise_latency"].alert_conditions[0]
    assert condition.min_bad_events == 0
    assert condition.confidence is None


def test_three_slow_promises_in_a_quiet_hour_page_without_the_minimum(tmp_path):
    workbook = _slo_file(tmp_path, minBadEvents=None, confidence=None)
    episodes = _evaluate(_quiet_hour(3), workbook)
    # 3 of the hour's 20 orders is 15%: past 14.4x over the hour, and the last 5m is all bad.
    assert {e.factor for e in episodes if e.severity == "page"} == {14.4, 6.0}


def test_three_slow_promises_in_a_quiet_hour_do_not_page_with_four_required(tmp_path):
    shipped = _slo_file(tmp_path, minBadEvents=4, confidence=None)
    assert [e for e in _evaluate(_quiet_hour(3), shipped) if e.severity == "page"] == []


def test_four_slow_promises_in_a_quiet_hour_do_page_with_four_required(tmp_path):
    shipped = _slo_file(tmp_path, minBadEvents=4, confidence=None)
    pages = [e for e in _evaluate(_quiet_hour(4), shipped) if e.severity == "page"]
    assert {e.factor for e in pages} == {14.4, 6.0}


def test_wilson_lower_bound_matches_a_hand_worked_case():
    # 9 bad of 627 (1.44%): the one-sided 95% bound is 0.84%, under a 1% budget.
    (low,) = wilson_lower_bound(np.array([9.0]), np.array([627.0]), 0.95)
    assert low == pytest.approx(0.00838, abs=5e-5)
    assert np.isnan(wilson_lower_bound(np.array([0.0]), np.array([0.0]), 0.95)[0])


def test_a_ticket_needs_its_overspend_to_be_sure(tmp_path):
    # Three and a half days of 200 events a day, 1.4% of them bad: over a 1% budget, but
    # well within what chance makes of 1%. With every event bad it is certainly over.
    sure = _slo_file(tmp_path, minBadEvents=None, confidence=0.95)
    workbook = _slo_file(tmp_path, minBadEvents=None, confidence=None)
    total = np.zeros(84 * 60, dtype=int)
    total[::7] = 1
    bad = np.zeros_like(total)
    bad[np.flatnonzero(total)[35::70]] = 1
    sli = pd.DataFrame(
        {
            "slo": "promise_latency",
            "segment": "quiet",
            "minute": minutes(len(total)),
            "good": total - bad,
            "total": total,
        }
    ).query("total > 0")
    assert 0.013 < 1 - sli["good"].sum() / sli["total"].sum() < 0.015

    def tickets(frame: pd.DataFrame, slos) -> list:
        episodes = evaluate_alerts(frame, slos, full_windows_only=True)
        return [e for e in episodes if e.severity == "ticket"]

    assert tickets(sli, workbook) != []
    assert tickets(sli, sure) == []
    assert len(tickets(sli.assign(good=0), sure)) == 1


def test_full_windows_only_waits_one_long_window_before_judging(slos):
    sli = sli_frame(np.full(3 * 60, 1000))
    first = {e.factor: e.started_at for e in evaluate_alerts(sli, slos, full_windows_only=True)}
    assert first == {14.4: START + pd.Timedelta(hours=1)}


def test_merge_folds_stretches_closer_than_the_long_window(slos):
    # All bad for 20 minutes, clean for 30, all bad again: two fast-burn stretches.
    bad = np.r_[np.zeros(60), np.full(20, 1000), np.zeros(30), np.full(20, 1000)].astype(int)
    fast = [e for e in evaluate_alerts(sli_frame(bad), slos) if e.factor == 14.4]
    assert len(fast) == 2
    (merged,) = merge_episodes(fast)
    assert merged.episode_id == fast[0].episode_id
    assert merged.started_at == fast[0].started_at
    assert merged.resolved_at == fast[1].resolved_at
    assert merged.peak_burn_rate == max(e.peak_burn_rate for e in fast)


def test_merge_keeps_stretches_a_long_window_apart(slos):
    bad = np.r_[np.zeros(60), np.full(20, 1000), np.zeros(90), np.full(20, 1000)].astype(int)
    fast = [e for e in evaluate_alerts(sli_frame(bad), slos) if e.factor == 14.4]
    assert merge_episodes(fast) == fast
    assert len(merge_episodes(fast, within="2h")) == 1


def test_aging_rule_needs_a_full_hour_of_open_exception_minutes():
    rule = next(r for r in load_rollback_rules(DEFAULT_RULES_PATH) if r.kind == "baseline_ratio")
    assert rule.min_window_weight == 60
    hourly = rule.model_copy(update={"baseline": pd.Timedelta(days=1)})
    age = np.full(2 * 24 * 60, 10.0)
    age[-120:] = 40.0

    def frame(open_count: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "segment": "southeast",
                "minute": minutes(len(age)),
                "mean_open_age_minutes": age,
                "open_exceptions": open_count,
                "rule_set_version": "rs-2026.02",
            }
        )

    inputs = {"exception_aging_minutely": frame(0.5)}
    assert evaluate_rollback_rules([hourly], inputs) == []
    (firing,) = evaluate_rollback_rules([hourly], {"exception_aging_minutely": frame(2)})
    assert firing.rule_set_version == "rs-2026.02"
