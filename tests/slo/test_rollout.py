"""Rollout impact: difference in differences recovers a planted effect within its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from orch_assets.slo.rollout import RolloutFrameError, rollout_impact

DAYS, RELEASE_DAY = 60, 30
# Control and treatment start from different rates and both drift upward after the release
# date; only the difference beyond control's drift belongs to the release.
BASE = {"treatment": 0.14, "control": 0.10}
DRIFT = 0.02


def _orders(
    effect: float,
    *,
    per_day: int = 400,
    day_noise: float = 0.01,
    seed: int = 3,
    days: int = DAYS,
) -> pd.DataFrame:
    """One row per order: a split-shipment flag and a promise latency, effects planted."""
    rng = np.random.default_rng(seed)
    frames = []
    for index, date in enumerate(pd.date_range("2026-01-05", periods=days, freq="D").date):
        post = index >= RELEASE_DAY
        for cohort, base in BASE.items():
            treated = post and cohort == "treatment"
            # Every order of a day shares that day's shock: what the day bootstrap must see.
            rate = base + DRIFT * post + effect * treated + rng.normal(0, day_noise)
            latency = 200 + 15 * post + 1000 * effect * treated + rng.normal(0, 10)
            frames.append(
                pd.DataFrame(
                    {
                        "date": date,
                        "cohort": cohort,
                        "post": post,
                        "is_split": (rng.random(per_day) < rate).astype(int),
                        "promise_latency_ms": latency + rng.normal(0, 50, per_day),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return _orders(0.05)


def test_known_effect_on_a_rate_lies_within_its_interval(planted):
    impact = rollout_impact(planted, "is_split")
    assert impact.is_rate
    assert impact.ci_low < 0.05 < impact.ci_high
    assert impact.ci_high - impact.ci_low < 0.04  # informative, not just wide
    assert impact.estimate == pytest.approx(0.05, abs=0.015)


def test_known_effect_on_a_value_lies_within_its_interval(planted):
    impact = rollout_impact(planted, "promise_latency_ms")
    assert not impact.is_rate
    assert impact.ci_low < 50.0 < impact.ci_high
    assert {cell.ci_method for cell in impact.cells} == {"bootstrap"}


def test_a_null_metric_has_an_interval_covering_zero():
    impact = rollout_impact(_orders(0.0, seed=8), "is_split")
    assert impact.ci_low < 0.0 < impact.ci_high


def test_the_estimate_is_the_difference_of_the_cell_changes(planted):
    impact = rollout_impact(planted, "is_split", resamples=10)
    means = {(cell.cohort, cell.period): cell.mean for cell in impact.cells}
    expected = (means["treatment", "post"] - means["treatment", "pre"]) - (
        means["control", "post"] - means["control", "pre"]
    )
    assert impact.estimate == pytest.approx(expected)


def test_each_rate_cell_gets_a_wilson_interval(planted):
    impact = rollout_impact(planted, "is_split", resamples=10)
    for cell in impact.cells:
        in_cell = (planted["cohort"] == cell.cohort) & (planted["post"] == (cell.period == "post"))
        rows = planted[in_cell]
        low, high = proportion_confint(rows["is_split"].sum(), len(rows), 0.05, method="wilson")
        assert (cell.ci_method, cell.orders, cell.days) == ("wilson", len(rows), 30)
        assert (cell.ci_low, cell.ci_high) == pytest.approx((low, high))


def test_the_interval_resamples_days_so_day_to_day_swings_widen_it():
    impact = rollout_impact(_orders(0.05, day_noise=0.03), "is_split")
    # The interval if every order were an independent draw, ignoring the shared day shocks.
    variance = sum(c.mean * (1 - c.mean) / c.orders for c in impact.cells)
    independent_width = 2 * 1.96 * variance**0.5
    assert impact.ci_high - impact.ci_low > 1.5 * independent_width


def test_the_same_seed_gives_the_same_interval(planted):
    first = rollout_impact(planted, "is_split", resamples=200, seed=4)
    again = rollout_impact(planted, "is_split", resamples=200, seed=4)
    other = rollout_impact(planted, "is_split", resamples=200, seed=5)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)


def test_cells_below_the_minimum_volume_withhold_the_estimate():
    # Five orders a day for 30 days is 150 per cell, under the default minimum of 200.
    impact = rollout_impact(_orders(0.05, per_day=5), "is_split")
    assert impact.withheld
    assert (impact.estimate, impact.ci_low, impact.ci_high) == (None, None, None)
    assert all(cell.too_small and cell.orders == 150 for cell in impact.cells)
    assert all(cell.ci_low is not None for cell in impact.cells)


def test_one_small_cell_is_enough_to_withhold_the_estimate(planted):
    trimmed = planted.drop(planted[(planted["cohort"] == "control") & planted["post"]].index[100:])
    impact = rollout_impact(trimmed, "is_split", resamples=10)
    assert impact.estimate is None
    flags = {(cell.cohort, cell.period): cell.too_small for cell in impact.cells}
    assert flags == {
        ("treatment", "pre"): False,
        ("treatment", "post"): False,
        ("control", "pre"): False,
        ("control", "post"): True,
    }


def test_an_empty_cell_is_too_small_and_has_no_mean(planted):
    impact = rollout_impact(planted[~planted["post"]], "is_split", resamples=10, min_volume=0)
    post = [cell for cell in impact.cells if cell.period == "post"]
    assert all(cell.too_small and cell.mean is None for cell in post)
    assert impact.estimate is None


def test_cells_frame_has_one_row_per_cohort_and_period(planted):
    frame = rollout_impact(planted, "is_split", resamples=10).cells_frame()
    assert list(frame[["cohort", "period"]].itertuples(index=False, name=None)) == [
        ("treatment", "pre"),
        ("treatment", "post"),
        ("control", "pre"),
        ("control", "post"),
    ]


def test_an_unknown_cohort_is_rejected_naming_the_values(planted):
    renamed = planted.assign(cohort=planted["cohort"].replace({"control": "holdout"}))
    with pytest.raises(RolloutFrameError, match="cohort has holdout; allowed: treatment, control"):
        rollout_impact(renamed, "is_split")


def test_a_post_column_that_is_not_bool_is_rejected_with_the_fix(planted):
    with pytest.raises(RolloutFrameError, match="post must be bool"):
        rollout_impact(planted.assign(post=planted["post"].astype(int)), "is_split")


def test_a_metric_with_gaps_is_rejected(planted):
    latency = planted["promise_latency_ms"].where(planted.index > 3)
    gappy = planted.assign(promise_latency_ms=latency)
    with pytest.raises(RolloutFrameError, match="4 empty value"):
        rollout_impact(gappy, "promise_latency_ms")
