"""On the simulated world, the planted promise-latency regression pages where it was planted.

The default scenario moves the treatment regions to a new rule set at midnight of its
effective date, raising the promise latency median by 110 ms there: about 22% of their
promises then take over 300 ms, a burn of 22x against the 1% budget. Nothing else in the
world slows promises, so every promise_latency alert must be in a treatment region (or the
network as a whole, which mixes them in) and start after the release.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orch_assets.defs.slo.assets import SloEvaluationConfig
from orch_assets.slo.loading import parse_duration

SLO = "promise_latency"
STEP = pd.Timedelta(parse_duration(SloEvaluationConfig().alert_step))


@pytest.fixture(scope="module")
def rollout(truth) -> dict:
    return truth["rollout"]


@pytest.fixture(scope="module")
def released_at(rollout) -> pd.Timestamp:
    return pd.Timestamp(rollout["effective_date"], tz="UTC")


@pytest.fixture(scope="module")
def episodes(warehouse) -> pd.DataFrame:
    return warehouse.execute("select * from main.slo_alert_episodes").df()


@pytest.fixture(scope="module")
def firings(warehouse) -> pd.DataFrame:
    return warehouse.execute("select * from main.rollback_firings").df()


def _latency(episodes: pd.DataFrame) -> pd.DataFrame:
    return episodes[episodes["slo"] == SLO]


def test_the_regression_pages_in_the_treatment_regions_and_no_other_region(episodes, rollout):
    pages = _latency(episodes)[lambda e: e["severity"] == "page"]
    assert set(pages["segment"]) - {"all"} == set(rollout["treatment_regions"])
    assert set(pages["factor"]) <= {14.4, 6.0}


def test_each_treatment_page_starts_once_its_long_window_holds_the_release(
    episodes, rollout, released_at
):
    # A burn can only reach its factor once enough post-release promises fill the long
    # window: the first page starts after the release and at most one long window (plus an
    # evaluation step) later. Overnight a region takes a few orders an hour, so it takes
    # hours, not minutes.
    pages = _latency(episodes)[lambda e: e["severity"] == "page"]
    for segment in [*rollout["treatment_regions"], "all"]:
        first = pages[pages["segment"] == segment].sort_values("started_at").iloc[0]
        long_window = pd.Timedelta(parse_duration(first["long_window"]))
        assert released_at <= first["started_at"] <= released_at + long_window + STEP, segment


def test_no_promise_latency_alert_of_any_severity_in_the_control_regions(episodes, rollout):
    assert set(_latency(episodes)["segment"]) & set(rollout["control_regions"]) == set()


def test_no_promise_latency_alert_before_the_release_in_any_segment(
    episodes, built_world, released_at
):
    start = pd.Timestamp(built_world.world.ground_truth["start_date"], tz="UTC")
    assert released_at - start >= pd.Timedelta(days=30)
    assert (_latency(episodes)["started_at"] >= released_at).all()


def test_the_treatment_regions_overspend_the_promise_budget_and_control_does_not(
    warehouse, rollout
):
    latest = warehouse.execute(
        """
        select segment, budget_remaining
        from main.slo_burndown
        where slo = 'promise_latency'
        qualify evaluated_at = max(evaluated_at) over (partition by segment)
        """
    ).df()
    remaining = dict(zip(latest["segment"], latest["budget_remaining"], strict=True))
    assert all(remaining[region] < 0 for region in rollout["treatment_regions"])
    assert all(remaining[region] > 0 for region in rollout["control_regions"])


def test_the_rollback_trigger_names_the_new_rule_set_in_the_treatment_regions_only(
    firings, rollout, released_at
):
    latency = firings[firings["rule"] == "promise_latency_p95"]
    assert set(latency["segment"]) == set(rollout["treatment_regions"])
    assert set(latency["rule_set_version"]) == {rollout["rule_set_version"]}
    # It fires on the release day, each time with the trailing p95 above the threshold.
    assert latency["fired_at"].min().date() == released_at.date()
    assert (latency["started_at"] >= released_at).all()
    assert (latency["observed"] > latency["threshold"]).all()
    assert set(latency["threshold"]) == {300.0}


def test_exception_aging_fires_first_inside_the_maintenance_window_of_its_region(
    firings, truth, warehouse
):
    maintenance = truth["maintenance"]
    region = warehouse.execute(
        "select region from reference.nodes where node_id = ?", [maintenance["node_id"]]
    ).fetchone()[0]
    aging = firings[firings["rule"] == "exception_aging_doubled"].sort_values("started_at")
    assert set(aging["segment"]) == {region}
    first = aging.iloc[0]
    starts = pd.Timestamp(maintenance["starts_at"])
    ends = pd.Timestamp(maintenance["ends_at"])
    assert starts <= first["started_at"] < ends


def test_the_tables_have_the_columns_the_scorecard_reads(warehouse):
    expected = {
        "slo_burndown": [
            "slo", "segment", "evaluated_at", "window", "target", "good", "total", "bad",
            "allowed_bad", "budget_remaining", "burn_rate",
        ],
        "slo_alert_episodes": [
            "episode_id", "slo", "segment", "severity", "long_window", "short_window",
            "factor", "started_at", "resolved_at", "peak_burn_rate", "summary",
        ],
        "rollback_firings": [
            "firing_id", "rule", "segment", "rule_set_version", "started_at", "fired_at",
            "ended_at", "observed", "threshold", "baseline", "summary", "unit",
        ],
    }  # fmt: skip
    for table, columns in expected.items():
        described = warehouse.execute(
            """
            select column_name, data_type from information_schema.columns
            where table_schema = 'main' and table_name = ? order by ordinal_position
            """,
            [table],
        ).fetchall()
        assert [name for name, _ in described] == columns, table
        times = {name: kind for name, kind in described if name.endswith("_at")}
        assert set(times.values()) == {"TIMESTAMP WITH TIME ZONE"}, table
