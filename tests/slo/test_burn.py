"""Burn-rate arithmetic checked against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orch_assets.slo.burn import (
    SliFrameError,
    budget_burndown,
    burn_rate,
    burn_rate_series,
    error_budget,
)
from tests.slo.conftest import START, sli_frame


def _last(series: pd.DataFrame, window: str) -> pd.Series:
    rows = series[series["window"] == window]
    return rows.iloc[-1]


def test_burn_rate_is_error_rate_over_the_error_budget():
    assert burn_rate(0.02, 0.01) == pytest.approx(2.0)
    assert burn_rate(0.144, 0.01) == pytest.approx(14.4)


def test_two_percent_bad_for_an_hour_against_99_percent_burns_at_2(slos):
    sli = sli_frame(np.full(60, 20))
    row = _last(burn_rate_series(sli, slos, windows=["1h"], step="1h"), "1h")
    assert row["evaluated_at"] == START + pd.Timedelta(hours=1)
    assert row["total"] == 60_000
    assert row["bad"] == 1_200
    assert row["error_rate"] == pytest.approx(0.02)
    assert row["burn_rate"] == pytest.approx(2.0)


def test_window_covers_only_the_minutes_before_the_evaluation_time(slos):
    # 30 clean minutes then 30 minutes at 4% bad: the last 30m burn 4x, the hour 2x.
    sli = sli_frame(np.r_[np.zeros(30), np.full(30, 40)].astype(int))
    series = burn_rate_series(sli, slos, windows=["30m", "1h"], step="1h")
    assert _last(series, "30m")["burn_rate"] == pytest.approx(4.0)
    assert _last(series, "1h")["burn_rate"] == pytest.approx(2.0)


def test_missing_minutes_count_as_no_events(slos):
    sli = sli_frame(np.full(60, 20))
    sparse = sli.iloc[::2]  # every other minute had no orders at all
    end = START + pd.Timedelta(hours=1)
    row = _last(burn_rate_series(sparse, slos, windows=["1h"], step="1h", end=end), "1h")
    assert row["total"] == 30_000
    assert row["burn_rate"] == pytest.approx(2.0)


def test_a_window_without_events_has_no_error_rate(slos):
    sli = sli_frame(np.zeros(10, dtype=int))
    later = pd.Timestamp("2026-03-02T03:00:00Z")
    series = burn_rate_series(sli, slos, windows=["5m"], step="5m", end=later)
    assert series["error_rate"].iloc[-1] != series["error_rate"].iloc[-1]  # NaN


def test_default_windows_are_the_alert_windows_and_the_slo_window(slos):
    series = burn_rate_series(sli_frame(np.zeros(60, dtype=int)), slos, step="30m")
    assert sorted(set(series["window"])) == sorted(["5m", "30m", "1h", "6h", "3d", "30d"])
    assert len(series) == 2 * 6  # two evaluation times, six windows, one segment


def test_budget_remaining_after_a_known_bad_stretch(slos):
    # One day at 1000 orders a minute with one hour at 5% bad: 3,000 bad of 1,440,000,
    # against 1% allowed (14,400), so 1 - 3000/14400 of the budget is left.
    bad = np.zeros(24 * 60, dtype=int)
    bad[600:660] = 50
    budget = error_budget(sli_frame(bad), slos).iloc[0]
    assert budget["bad"] == 3_000
    assert budget["allowed_bad"] == pytest.approx(14_400)
    assert budget["budget_remaining"] == pytest.approx(1 - 3000 / 14400)
    assert budget["window"] == "30d"


def test_budget_remaining_goes_below_zero_when_overspent(slos):
    budget = error_budget(sli_frame(np.full(60, 50)), slos).iloc[0]
    assert budget["budget_remaining"] == pytest.approx(1 - 5.0)


def test_budget_burndown_falls_during_the_bad_stretch_and_holds_after(slos):
    bad = np.zeros(12 * 60, dtype=int)
    bad[120:240] = 50
    burndown = budget_burndown(sli_frame(bad), slos, step="1h")
    remaining = burndown["budget_remaining"].to_numpy()
    assert remaining[0] == 1.0  # before the stretch nothing was spent
    assert remaining[3] < remaining[2] < remaining[1]  # spending during 02:00-04:00
    # After the stretch no more is spent, and more good orders dilute what was.
    assert np.all(np.diff(remaining[3:]) > 0)


def test_budget_as_of_an_earlier_instant_ignores_later_minutes(slos):
    bad = np.zeros(120, dtype=int)
    bad[60:] = 1000
    as_of = START + pd.Timedelta(hours=1)
    assert error_budget(sli_frame(bad), slos, as_of=as_of).iloc[0]["budget_remaining"] == 1.0


def test_each_segment_gets_its_own_series(slos):
    sli = pd.concat(
        [sli_frame(np.full(60, 20), segment="west"), sli_frame(np.zeros(60), segment="east")]
    )
    series = burn_rate_series(sli, slos, windows=["1h"], step="1h")
    assert series.set_index("segment")["burn_rate"].to_dict() == {"east": 0.0, "west": 2.0}


def test_naive_minutes_are_rejected_with_the_fix(slos):
    sli = sli_frame(np.zeros(5, dtype=int))
    sli["minute"] = sli["minute"].dt.tz_localize(None)
    with pytest.raises(SliFrameError, match=r"tz-aware UTC.*pd.to_datetime\(values, utc=True\)"):
        burn_rate_series(sli, slos)


def test_good_above_total_is_rejected_naming_the_row(slos):
    sli = sli_frame(np.zeros(5, dtype=int))
    sli.loc[2, "good"] = 1001
    with pytest.raises(SliFrameError, match="good=1001, total=1000 for promise_latency"):
        burn_rate_series(sli, slos)


def test_an_slo_missing_from_the_slo_file_is_rejected(slos):
    with pytest.raises(SliFrameError, match="carrier_pickup that the SLO file does not define"):
        burn_rate_series(sli_frame(np.zeros(5, dtype=int), slo="carrier_pickup"), slos)


def test_a_missing_column_is_named(slos):
    with pytest.raises(SliFrameError, match=r"lacks column.*total"):
        burn_rate_series(sli_frame(np.zeros(5, dtype=int)).drop(columns="total"), slos)


def test_an_empty_sli_frame_gives_empty_results(slos):
    empty = sli_frame(np.zeros(0, dtype=int))
    assert burn_rate_series(empty, slos).empty
    assert budget_burndown(empty, slos).empty
    assert error_budget(empty, slos).empty
