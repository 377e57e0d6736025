"""Error rates, burn rates, error budgets and burn-rate alert episodes from SLI counts.

The input is one frame of minute-resolution SLI counts, the contract the warehouse fills:

| column | type | meaning |
| --- | --- | --- |
| `slo` | string | SLO name, as `metadata.name` in the SLO file |
| `segment` | string | the slice it was counted in: a region, a node, or `all` |
| `minute` | tz-aware timestamp | start of the minute; only minutes with events have a row |
| `good` | integer | events in that minute that met the objective |
| `total` | integer | events in that minute |

A missing minute means no events. Over a window `[t - w, t)`, error rate is
`(total - good) / total`, burn rate is error rate over the error budget `1 - target` (a burn
of 1 spends the budget exactly over the SLO window), and budget remaining over the SLO's
rolling window is `1 - bad / (budget * total)`: 1 untouched, 0 spent, below 0 overspent.

Alerts follow the multiwindow multi-burn-rate policy: a condition holds at an evaluation time
when the burn over its long window and over its short window are both at least its factor.
Evaluation times are the multiples of the step since the epoch (UTC), so every run places
them on the same instants. Each contiguous stretch of holding times, per SLO, segment and
condition, is one alert episode: it starts at the first time the condition held and resolves
at the first time it no longer did. A condition with `min_bad_events` also needs that many
bad events in its long window, and one with a `confidence` needs the long window's bad share
to be above its bar with that confidence (`wilson_lower_bound`).

In a low-volume segment the short window often holds one event or none, so a steady burn
holds and lapses from one evaluation to the next. `merge_episodes` folds stretches of one
condition separated by less than a gap (by default its long window) into one episode, which
is what a person should be told about once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from orch_assets.slo.loading import format_duration, parse_duration, whole_minutes
from orch_assets.slo.minutes import (
    MinuteCube,
    MinuteFrameError,
    TimeLike,
    at_least,
    evaluation_grid,
    minute_number,
    minute_numbers,
    require_columns,
    runs,
    timestamp,
    timestamps,
)
from orch_assets.slo.spec import AlertCondition, Slo

SLI_COLUMNS = ("slo", "segment", "minute", "good", "total")
DEFAULT_ALERT_STEP = "5m"
DurationLike = str | dt.timedelta


class SliFrameError(MinuteFrameError):
    """An SLI frame whose columns or counts cannot be used."""


@dataclass(frozen=True)
class AlertEpisode:
    """One contiguous stretch in which one alert condition held for one SLO and segment."""

    episode_id: str
    slo: str
    segment: str
    severity: str
    long_window: str
    short_window: str
    factor: float
    started_at: pd.Timestamp
    resolved_at: pd.Timestamp | None
    peak_burn_rate: float

    @property
    def notification_id(self) -> str:
        return self.episode_id

    @property
    def summary(self) -> str:
        state = (
            f"resolved {self.resolved_at:%Y-%m-%d %H:%M}Z"
            if self.resolved_at is not None
            else "still firing"
        )
        return (
            f"{self.severity} {self.slo} [{self.segment}]: burn rate peaked at "
            f"{self.peak_burn_rate:.1f}x, at least {self.factor:g}x over {self.long_window} "
            f"and {self.short_window}, since {self.started_at:%Y-%m-%d %H:%M}Z; {state}"
        )

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready record, timestamps in ISO 8601."""
        return {
            "kind": "slo_alert",
            "episode_id": self.episode_id,
            "slo": self.slo,
            "segment": self.segment,
            "severity": self.severity,
            "long_window": self.long_window,
            "short_window": self.short_window,
            "factor": self.factor,
            "started_at": self.started_at.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "peak_burn_rate": self.peak_burn_rate,
            "summary": self.summary,
        }


def wilson_lower_bound(bad: np.ndarray, total: np.ndarray, confidence: float) -> np.ndarray:
    """One-sided Wilson lower bound of the bad share; NaN where there are no events.

    Args:
        bad: Bad events per window.
        total: Events per window.
        confidence: The bound's one-sided coverage, as in 0.95.

    Returns:
        The share the true bad rate exceeds with that confidence, elementwise.
    """
    z = NormalDist().inv_cdf(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = bad / total
        centre = share + z * z / (2 * total)
        spread = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
        return (centre - spread) / (1 + z * z / total)


def episode_id(
    slo: str, segment: str, severity: str, window_pair: str, started_at: pd.Timestamp
) -> str:
    """A stable id: the same episode found by any later run gets the same id."""
    text = "|".join((slo, segment, severity, window_pair, started_at.isoformat()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def burn_rate(error_rate: float | np.ndarray, budget: float) -> float | np.ndarray:
    """How many times faster than allowed the budget is being spent.

    Args:
        error_rate: Bad events over all events in a window.
        budget: The SLO's allowed bad share, `1 - target` (see `Slo.error_budget`).

    Returns:
        `error_rate / budget`; 1 spends the whole budget over exactly the SLO window.
    """
    return error_rate / budget


def burn_rate_series(
    sli: pd.DataFrame,
    slos: Mapping[str, Slo],
    *,
    windows: Sequence[DurationLike] | None = None,
    step: DurationLike = DEFAULT_ALERT_STEP,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pd.DataFrame:
    """Error rate and burn rate over each window at each evaluation time, for charts.

    Args:
        sli: Minute SLI counts (see the module docstring for the columns).
        slos: The SLOs by name; every `slo` in the frame must be one of them.
        windows: Windows to compute; default each SLO's alert windows and its SLO window.
        step: Spacing of evaluation times.
        start: Evaluate after this instant (default the first minute in the frame). Earlier
            data still feeds the windows.
        end: Evaluate up to this instant (default the end of the last minute in the frame).

    Returns:
        One row per SLO, segment, evaluation time and window, with columns `slo`, `segment`,
        `evaluated_at`, `window` (as `1h`), `good`, `total`, `bad`, `error_rate` (NaN with no
        events) and `burn_rate`.
    """
    cube, grid = _prepare(sli, slos, step, start, end)
    pieces: list[pd.DataFrame] = []
    for name, rows in _rows_by_slo(cube):
        slo = slos[name]
        chosen = (
            [parse_duration(window) for window in windows]
            if windows is not None
            else _windows_of(slo)
        )
        for window in chosen:
            good, total, error_rate, burn = _rates(cube, grid, window, rows, slo)
            pieces.append(
                _long_frame(
                    cube.keys.iloc[rows],
                    grid,
                    window=format_duration(window),
                    good=good,
                    total=total,
                    bad=total - good,
                    error_rate=error_rate,
                    burn_rate=burn,
                )
            )
    return _concat(pieces, ["window", "good", "total", "bad", "error_rate", "burn_rate"])


def error_budget(
    sli: pd.DataFrame, slos: Mapping[str, Slo], *, as_of: TimeLike | None = None
) -> pd.DataFrame:
    """Error budget left over each SLO's rolling window at one instant.

    Args:
        sli: Minute SLI counts.
        slos: The SLOs by name.
        as_of: The instant (default the end of the last minute in the frame).

    Returns:
        One row per SLO and segment; columns as `budget_burndown`.
    """
    _check_sli(sli, slos)
    numbers = _sli_minutes(sli)
    at = minute_number(as_of, "as_of") if as_of is not None else _data_end(numbers)
    return _budget_frame(_cube(sli, numbers), slos, np.array([at], dtype=np.int64))


def budget_burndown(
    sli: pd.DataFrame,
    slos: Mapping[str, Slo],
    *,
    step: DurationLike = "1h",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pd.DataFrame:
    """Error budget left over each SLO's rolling window at each evaluation time.

    The budget is the share `1 - target` of the events seen in the window, so early in a
    series (less than one window of data) it is measured against the events seen so far.

    Args:
        sli: Minute SLI counts.
        slos: The SLOs by name.
        step: Spacing of evaluation times.
        start: Evaluate after this instant (default the first minute in the frame).
        end: Evaluate up to this instant (default the end of the last minute in the frame).

    Returns:
        One row per SLO, segment and evaluation time, with columns `slo`, `segment`,
        `evaluated_at`, `window`, `target`, `good`, `total`, `bad`, `allowed_bad`,
        `budget_remaining` (1 untouched, 0 spent, negative overspent; 1 with no events) and
        `burn_rate` over the whole window.
    """
    cube, grid = _prepare(sli, slos, step, start, end)
    return _budget_frame(cube, slos, grid)


def evaluate_alerts(
    sli: pd.DataFrame,
    slos: Mapping[str, Slo],
    *,
    step: DurationLike = DEFAULT_ALERT_STEP,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    full_windows_only: bool = False,
) -> list[AlertEpisode]:
    """Find the alert episodes of every SLO's burn-rate conditions.

    Args:
        sli: Minute SLI counts.
        slos: The SLOs by name; each brings its `alert_conditions`.
        step: Spacing of evaluation times; an episode's start and end are exact to one step.
        start: Evaluate after this instant (default the first minute in the frame). Pass a
            start at least one long window after the data begins so the first windows are full.
        end: Evaluate up to this instant (default the end of the last minute in the frame).
        full_windows_only: Judge each condition only once its long window lies wholly after
            the frame's first minute, so a 3-day condition is not judged on its first hours
            while a 1-hour one already is.

    Returns:
        Episodes ordered by SLO, segment and start, the faster-burn condition first. An
        episode's `resolved_at` is None when it still held at the last evaluation time.
    """
    cube, grid = _prepare(sli, slos, step, start, end)
    episodes: list[AlertEpisode] = []
    for name, rows in _rows_by_slo(cube):
        slo = slos[name]
        segments = cube.keys["segment"].to_numpy()[rows]
        for condition in slo.alert_conditions:
            long_good, long_total, _, long_burn = _rates(
                cube, grid, condition.long_window, rows, slo
            )
            short_burn = _rates(cube, grid, condition.short_window, rows, slo)[3]
            holds = at_least(long_burn, condition.factor) & at_least(short_burn, condition.factor)
            if condition.min_bad_events:
                holds &= long_total - long_good >= condition.min_bad_events
            if condition.confidence is not None:
                bar = condition.factor * slo.error_budget
                lower = wilson_lower_bound(long_total - long_good, long_total, condition.confidence)
                holds &= lower >= bar
            if full_windows_only:
                holds &= grid >= cube.first + whole_minutes(condition.long_window)
            for row, first, stop in zip(*runs(holds), strict=True):
                episodes.append(
                    _episode(slo, str(segments[row]), condition, grid, first, stop, long_burn[row])
                )
    return sorted(episodes, key=lambda e: (e.slo, e.segment, e.started_at, -e.factor))


def merge_episodes(
    episodes: Sequence[AlertEpisode], within: DurationLike | None = None
) -> list[AlertEpisode]:
    """Fold episodes of one condition that follow each other closely into one.

    A burn that lapses for a few evaluations (a quiet short window, a long window dipping
    under its factor) and resumes is the same problem. An episode that starts less than
    `within` after the previous one of the same SLO, segment and condition resolved
    continues it: the merged episode keeps the first one's id and start, takes the last
    one's resolution and the highest peak.

    Args:
        episodes: Episodes from `evaluate_alerts`.
        within: The largest gap that still continues an episode; default each condition's
            long window, the span over which its burn is judged anyway.

    Returns:
        The merged episodes, in the order `evaluate_alerts` returns them.
    """
    gap = None if within is None else pd.Timedelta(parse_duration(within))
    merged: list[AlertEpisode] = []
    latest: dict[tuple[str, str, str, str, str], int] = {}
    for episode in sorted(episodes, key=lambda e: (e.slo, e.segment, e.started_at)):
        key = (
            episode.slo,
            episode.segment,
            episode.severity,
            episode.long_window,
            episode.short_window,
        )
        allowed = gap if gap is not None else pd.Timedelta(parse_duration(episode.long_window))
        position = latest.get(key)
        previous = merged[position] if position is not None else None
        if (
            previous is not None
            and previous.resolved_at is not None
            and episode.started_at - previous.resolved_at < allowed
        ):
            merged[position] = replace(
                previous,
                resolved_at=episode.resolved_at,
                peak_burn_rate=max(previous.peak_burn_rate, episode.peak_burn_rate),
            )
            continue
        latest[key] = len(merged)
        merged.append(episode)
    return sorted(merged, key=lambda e: (e.slo, e.segment, e.started_at, -e.factor))


def episodes_frame(episodes: Sequence[AlertEpisode]) -> pd.DataFrame:
    """Episodes as a frame, one row each, columns as `AlertEpisode` fields."""
    columns = list(AlertEpisode.__dataclass_fields__)
    return pd.DataFrame([[getattr(e, c) for c in columns] for e in episodes], columns=columns)


def _episode(
    slo: Slo,
    segment: str,
    condition: AlertCondition,
    grid: np.ndarray,
    first: int,
    stop: int,
    long_burn: np.ndarray,
) -> AlertEpisode:
    started_at = timestamp(grid[first])
    return AlertEpisode(
        episode_id=episode_id(
            slo.name, segment, condition.severity, condition.window_pair, started_at
        ),
        slo=slo.name,
        segment=segment,
        severity=condition.severity,
        long_window=format_duration(condition.long_window),
        short_window=format_duration(condition.short_window),
        factor=condition.factor,
        started_at=started_at,
        resolved_at=timestamp(grid[stop]) if stop < len(grid) else None,
        peak_burn_rate=float(np.max(long_burn[first:stop])),
    )


def _check_sli(sli: pd.DataFrame, slos: Mapping[str, Slo]) -> None:
    require_columns(sli, SLI_COLUMNS, "SLI frame", SliFrameError)
    for column in ("good", "total"):
        if not pd.api.types.is_numeric_dtype(sli[column]) or sli[column].isna().any():
            raise SliFrameError(
                f"SLI frame column {column} must hold counts with no gaps; it has dtype "
                f"{sli[column].dtype} and {int(sli[column].isna().sum())} empty value(s)."
            )
    bad_rows = sli[(sli["good"] < 0) | (sli["good"] > sli["total"])]
    if not bad_rows.empty:
        example = bad_rows.iloc[0]
        raise SliFrameError(
            f"SLI frame has {len(bad_rows)} row(s) where good is negative or above total, as "
            f"good={example['good']}, total={example['total']} for {example['slo']} "
            f"[{example['segment']}] at {example['minute']}. Count good events among total."
        )
    unknown = sorted(set(sli["slo"].astype(str).unique()) - set(slos))
    if unknown:
        raise SliFrameError(
            f"SLI frame names SLO(s) {', '.join(unknown)} that the SLO file does not define; "
            f"defined: {', '.join(slos)}."
        )


def _prepare(
    sli: pd.DataFrame,
    slos: Mapping[str, Slo],
    step: DurationLike,
    start: TimeLike | None,
    end: TimeLike | None,
) -> tuple[MinuteCube, np.ndarray]:
    _check_sli(sli, slos)
    numbers = _sli_minutes(sli)
    step_minutes = whole_minutes(parse_duration(step))
    if len(numbers) == 0:
        return _cube(sli, numbers), np.array([], dtype=np.int64)
    begin = minute_number(start, "start") if start is not None else int(numbers.min())
    stop = minute_number(end, "end") if end is not None else _data_end(numbers)
    return _cube(sli, numbers), evaluation_grid(begin, stop, step_minutes)


def _sli_minutes(sli: pd.DataFrame) -> np.ndarray:
    return minute_numbers(sli["minute"], "SLI frame column minute", SliFrameError)


def _data_end(numbers: np.ndarray) -> int:
    # The end of the last minute with data: a window ending there includes that minute.
    return int(numbers.max()) + 1 if len(numbers) else 0


def _cube(sli: pd.DataFrame, numbers: np.ndarray) -> MinuteCube:
    return MinuteCube.build(sli, ["slo", "segment"], ["good", "total"], numbers)


def _rows_by_slo(cube: MinuteCube) -> list[tuple[str, np.ndarray]]:
    names = cube.keys["slo"].astype(str).to_numpy()
    return [(name, np.flatnonzero(names == name)) for name in dict.fromkeys(names)]


def _windows_of(slo: Slo) -> list[dt.timedelta]:
    windows = {slo.window}
    for condition in slo.alert_conditions:
        windows.update((condition.long_window, condition.short_window))
    return sorted(windows)


def _sums(
    cube: MinuteCube, grid: np.ndarray, window: dt.timedelta, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    minutes = whole_minutes(window)
    return (
        cube.window_sum("good", grid, minutes, rows),
        cube.window_sum("total", grid, minutes, rows),
    )


def _rates(
    cube: MinuteCube, grid: np.ndarray, window: dt.timedelta, rows: np.ndarray, slo: Slo
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Good, total, error rate and burn rate over one window; rates NaN with no events."""
    good, total = _sums(cube, grid, window, rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        error_rate = (total - good) / total
    return good, total, error_rate, burn_rate(error_rate, slo.error_budget)


def _budget_frame(cube: MinuteCube, slos: Mapping[str, Slo], grid: np.ndarray) -> pd.DataFrame:
    pieces: list[pd.DataFrame] = []
    for name, rows in _rows_by_slo(cube):
        slo = slos[name]
        good, total = _sums(cube, grid, slo.window, rows)
        bad = total - good
        allowed = total * slo.error_budget
        with np.errstate(invalid="ignore", divide="ignore"):
            spent = np.where(total > 0, bad / allowed, 0.0)
        pieces.append(
            _long_frame(
                cube.keys.iloc[rows],
                grid,
                window=format_duration(slo.window),
                target=slo.target,
                good=good,
                total=total,
                bad=bad,
                allowed_bad=allowed,
                budget_remaining=1.0 - spent,
                burn_rate=spent,
            )
        )
    return _concat(
        pieces,
        [
            "window",
            "target",
            "good",
            "total",
            "bad",
            "allowed_bad",
            "budget_remaining",
            "burn_rate",
        ],
    )


def _long_frame(keys: pd.DataFrame, grid: np.ndarray, **columns: Any) -> pd.DataFrame:
    times = len(grid)
    data: dict[str, Any] = {
        "slo": np.repeat(keys["slo"].to_numpy(), times),
        "segment": np.repeat(keys["segment"].to_numpy(), times),
        "evaluated_at": timestamps(np.tile(grid, len(keys))),
    }
    for name, value in columns.items():
        data[name] = np.ravel(value) if isinstance(value, np.ndarray) else value
    return pd.DataFrame(data)


def _concat(pieces: list[pd.DataFrame], value_columns: list[str]) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame(columns=["slo", "segment", "evaluated_at", *value_columns])
    return pd.concat(pieces, ignore_index=True)
