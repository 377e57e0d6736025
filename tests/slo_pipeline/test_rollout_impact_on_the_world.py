"""The rollout comparison recovers the planted effects and finds none where none was planted.

Ground truth gives the split-shipment effect as the multi-line change times the share of
orders with two or more lines, "before the few cancellations that never ship"; the estimate
is over orders in fulfilment (the split rate's denominator). Cancellation does not depend on
how many lines an order has, so the multi-line share among shipped orders is the share among
all orders and the two bases expect the same effect. Over all orders instead, it would be
smaller by the canceled share (under 1%, about 0.0004), far inside an interval about 0.007
either side; so the test asks the interval to hold the planted value itself.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def rollout(truth) -> dict:
    return truth["rollout"]


@pytest.fixture(scope="module")
def impact(warehouse) -> pd.DataFrame:
    return warehouse.execute("select * from main.rollout_impact").df().set_index("metric")


@pytest.fixture(scope="module")
def cells(warehouse) -> pd.DataFrame:
    return warehouse.execute("select * from main.rollout_impact_cells").df()


def test_the_split_shipment_effect_lies_within_its_interval(impact, rollout):
    row = impact.loc["split_shipment_rate"]
    planted = rollout["split_shipment_rate_delta"]
    assert row["is_rate"]
    assert row["ci_low"] <= planted <= row["ci_high"]
    assert row["ci_high"] - row["ci_low"] < 0.02
    assert row["rule_set_version"] == rollout["rule_set_version"]
    assert pd.Timestamp(row["released_on"]).date().isoformat() == rollout["effective_date"]


def test_the_promise_latency_effect_is_the_planted_median_shift_in_the_mean(
    impact, rollout, scenario
):
    # The median moves by 110 ms on a lognormal with spread sigma, so the mean moves by
    # 110 * exp(sigma^2 / 2), about 117 ms.
    row = impact.loc["promise_latency_ms"]
    sigma = scenario.promise_latency.sigma
    planted_mean = rollout["promise_latency_p50_delta_ms"] * math.exp(sigma**2 / 2)
    assert not row["is_rate"]
    assert row["ci_low"] <= planted_mean <= row["ci_high"]


def test_the_cancellation_rate_without_a_planted_effect_has_an_interval_covering_zero(impact):
    row = impact.loc["cancellation_rate"]
    assert row["is_rate"]
    assert row["ci_low"] <= 0.0 <= row["ci_high"]


def test_every_metric_has_four_cells_large_enough_with_the_right_interval(cells, impact):
    assert len(cells) == 4 * len(impact)
    assert not cells["too_small"].any()
    assert not impact["withheld"].any()
    methods = cells.groupby("metric")["ci_method"].unique()
    assert list(methods["split_shipment_rate"]) == ["wilson"]
    assert list(methods["promise_latency_ms"]) == ["bootstrap"]
    for row in cells.itertuples():
        assert row.ci_low <= row.mean <= row.ci_high


def test_the_split_rate_rises_in_treatment_after_the_release_and_not_in_control(cells):
    split = cells[cells["metric"] == "split_shipment_rate"].set_index(["cohort", "period"])
    treatment = split.loc[("treatment", "post"), "mean"] - split.loc[("treatment", "pre"), "mean"]
    control = split.loc[("control", "post"), "mean"] - split.loc[("control", "pre"), "mean"]
    assert treatment > 0.04
    assert abs(control) < 0.01
