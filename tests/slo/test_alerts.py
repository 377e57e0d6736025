"""Alert episodes: one per contiguous stretch a burn-rate condition holds, none on clean data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml

from orch_assets.slo.burn import episodes_frame, evaluate_alerts
from orch_assets.slo.spec import DEFAULT_SLO_PATH, load_slos
from tests.slo.conftest import START, sli_frame

STEP = pd.Timedelta(minutes=5)


def _fast(episodes):
    return [e for e in episodes if e.factor == 14.4]


def test_clean_data_raises_no_episode(slos):
    assert evaluate_alerts(sli_frame(np.full(3 * 24 * 60, 5)), slos) == []


def test_fast_burn_page_fires_at_14_4_percent_bad_over_1h_and_5m(slos):
    episodes = _fast(evaluate_alerts(sli_frame(np.full(120, 144)), slos))
    assert len(episodes) == 1
    assert episodes[0].severity == "page"
    assert (episodes[0].long_window, episodes[0].short_window) == ("1h", "5m")
    assert episodes[0].peak_burn_rate == pytest.approx(14.4)


def test_fast_burn_page_does_not_fire_at_14_percent_bad(slos):
    episodes = evaluate_alerts(sli_frame(np.full(120, 140)), slos)
    assert _fast(episodes) == []
    # 14x is still well above the slow-burn factor of 6, so that page does fire.
    assert [e.factor for e in episodes if e.severity == "page"] == [6.0]


def test_fast_burn_page_needs_the_short_window_too(slos):
    # 55 minutes at 20% then five clean ones: the hour is at 18.3%, the last 5m at 0.
    bad = np.r_[np.full(55, 200), np.zeros(5)].astype(int)
    (episode,) = _fast(evaluate_alerts(sli_frame(bad), slos))
    assert episode.resolved_at == START + pd.Timedelta(hours=1)


def test_one_episode_per_contiguous_stretch_with_start_and_resolution_within_a_step(slos):
    # Two hours of all-bad orders, six clean hours apart. The hour window reaches 14.4%
    # bad 8.64 minutes into a stretch; the 5m window clears 5 minutes after it ends.
    bad = np.zeros(16 * 60, dtype=int)
    stretches = [(120, 180), (540, 600)]
    for first, stop in stretches:
        bad[first:stop] = 1000
    episodes = _fast(evaluate_alerts(sli_frame(bad), slos))
    assert len(episodes) == len(stretches)
    for episode, (first, stop) in zip(episodes, stretches, strict=True):
        holds_from = START + pd.Timedelta(minutes=first + 8.64)
        clears_at = START + pd.Timedelta(minutes=stop + 5)
        assert holds_from <= episode.started_at < holds_from + STEP
        assert clears_at <= episode.resolved_at < clears_at + STEP
        assert episode.peak_burn_rate == pytest.approx(100.0)


def test_an_episode_still_firing_at_the_end_has_no_resolution(slos):
    (episode,) = _fast(evaluate_alerts(sli_frame(np.full(90, 500)), slos))
    assert episode.resolved_at is None
    assert "still firing" in episode.summary


def test_a_finer_step_places_the_start_closer(slos):
    bad = np.r_[np.zeros(60), np.full(60, 1000)].astype(int)
    (episode,) = _fast(evaluate_alerts(sli_frame(bad), slos, step="1m"))
    assert episode.started_at == START + pd.Timedelta(minutes=60 + 9)


def test_segments_alert_independently(slos):
    sli = pd.concat(
        [
            sli_frame(np.full(120, 500), segment="west"),
            sli_frame(np.zeros(120, dtype=int), segment="east"),
        ]
    )
    assert {e.segment for e in evaluate_alerts(sli, slos)} == {"west"}


def test_episode_ids_are_the_same_on_a_rerun_over_a_longer_range(slos):
    bad = np.zeros(10 * 60, dtype=int)
    bad[120:180] = 1000
    sli = sli_frame(bad)
    first_run = _fast(evaluate_alerts(sli.iloc[: 5 * 60], slos))
    later_run = _fast(evaluate_alerts(sli, slos))
    assert [e.episode_id for e in first_run] == [e.episode_id for e in later_run]
    assert first_run[0].started_at == later_run[0].started_at


def test_ids_differ_between_conditions_of_one_stretch(slos):
    episodes = evaluate_alerts(sli_frame(np.full(120, 1000)), slos)
    assert len({e.episode_id for e in episodes}) == len(episodes) == 3


def test_a_7_day_slo_pages_on_its_scaled_14_minute_window(tmp_path):
    document = next(yaml.safe_load_all(DEFAULT_SLO_PATH.read_text()))
    del document["spec"]["alertPolicies"]
    document["spec"]["timeWindow"][0]["duration"] = "7d"
    path = tmp_path / "slos.yaml"
    path.write_text(yaml.safe_dump(document))
    weekly = load_slos(path)
    # 20 minutes all bad: 14m at 100% is far past 14.4x; a 1h window would be at 33%.
    bad = np.r_[np.zeros(60), np.full(20, 1000), np.zeros(60)].astype(int)
    (episode,) = _fast(evaluate_alerts(sli_frame(bad), weekly, step="1m"))
    assert (episode.long_window, episode.short_window) == ("14m", "1m")
    # 14.4% of 14 minutes is 2.02 minutes of bad orders; the 1m window clears a minute after.
    assert episode.started_at == START + pd.Timedelta(minutes=60 + 3)
    assert episode.resolved_at == START + pd.Timedelta(minutes=80 + 1)


def test_episodes_frame_has_one_row_per_episode(slos):
    episodes = evaluate_alerts(sli_frame(np.full(120, 1000)), slos)
    frame = episodes_frame(episodes)
    assert len(frame) == 3
    assert list(frame.columns[:3]) == ["episode_id", "slo", "segment"]
    assert isinstance(frame["started_at"].iloc[0], dt.datetime)


def test_episode_record_is_json_ready(slos):
    (episode,) = _fast(evaluate_alerts(sli_frame(np.full(120, 1000)), slos))
    record = episode.to_record()
    assert record["kind"] == "slo_alert"
    assert record["started_at"].endswith("+00:00")
    assert record["resolved_at"] is None
