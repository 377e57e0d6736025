"""Rollout impact of a rule-set release: difference in differences with honest intervals.

The input is one row per order:

| column | type | meaning |
| --- | --- | --- |
| `date` | date | the order's day (the cluster the bootstrap resamples) |
| `cohort` | string | `treatment` (got the new rule set) or `control` (kept the old one) |
| `post` | bool | whether the order came after the release |
| the metric column | number | 0/1 for a rate (split shipment), or a value (latency in ms) |

The estimate is `(treatment post - treatment pre) - (control post - control pre)` of the
per-order means: the change the release made beyond what control saw over the same time.

Orders on one day share that day's weather, promotions and carrier trouble, so they are not
independent draws; the interval comes from a bootstrap that resamples whole days with
replacement within each cohort x period cell. Each cell also gets its own interval: Wilson
for a rate, the same day-clustered bootstrap for a value. A cell with fewer orders than the
minimum volume is flagged too small to judge, and the estimate is then withheld.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

COHORTS = ("treatment", "control")
CELLS = tuple((cohort, post) for cohort in COHORTS for post in (False, True))
DEFAULT_RESAMPLES = 1000
DEFAULT_MIN_VOLUME = 200


class RolloutFrameError(ValueError):
    """An order frame for rollout impact whose columns or values cannot be used."""


@dataclass(frozen=True)
class CellSummary:
    """One cohort in one period: volume, mean and its interval."""

    cohort: str
    period: str
    orders: int
    days: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    too_small: bool


@dataclass(frozen=True)
class RolloutImpact:
    """The difference-in-differences estimate, its interval and the four cells behind it."""

    metric: str
    is_rate: bool
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    resamples: int
    seed: int
    min_volume: int
    cells: tuple[CellSummary, ...]

    @property
    def withheld(self) -> bool:
        """True when a cell is too small, so there is no estimate to show."""
        return self.estimate is None

    def cells_frame(self) -> pd.DataFrame:
        """The cells as a frame, one row each, columns as `CellSummary` fields."""
        return pd.DataFrame([asdict(cell) for cell in self.cells])

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return asdict(self)


def rollout_impact(
    orders: pd.DataFrame,
    metric: str,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    min_volume: int = DEFAULT_MIN_VOLUME,
    confidence: float = 0.95,
) -> RolloutImpact:
    """Estimate a release's effect on a metric by difference in differences.

    Args:
        orders: One row per order with `date`, `cohort`, `post` and the metric column.
        metric: The metric column: 0/1 (or bool) for a rate, any number for a value.
        resamples: Bootstrap resamples of days.
        seed: Seed of the numpy Generator, so the interval is the same on every run.
        min_volume: Orders a cell needs to be judged; below it the estimate is withheld.
        confidence: Coverage of every interval.

    Returns:
        The estimate with its interval (both None when a cell is too small) and the cells.

    Raises:
        RolloutFrameError: A column is missing, or a cohort, period or metric value is bad.
    """
    if resamples < 1 or not 0 < confidence < 1:
        raise ValueError(
            f"resamples={resamples}, confidence={confidence}; resamples must be at least 1 "
            "and confidence strictly between 0 and 1, as in 0.95"
        )
    values, is_rate = _check_orders(orders, metric)
    daily = (
        orders[["cohort", "post", "date"]]
        .assign(value=values)
        .groupby(["cohort", "post", "date"], sort=True)["value"]
        .agg(["sum", "size"])
        .reset_index()
    )
    alpha = 1.0 - confidence
    quantiles = [alpha / 2, 1 - alpha / 2]
    rng = np.random.default_rng(seed)
    cells: list[CellSummary] = []
    boots: dict[tuple[str, bool], np.ndarray] = {}
    for cohort, post in CELLS:
        sums, counts = _cell_days(daily, cohort, post)
        total, volume = float(sums.sum()), int(counts.sum())
        mean = low = high = None
        boots[cohort, post] = np.full(resamples, np.nan)
        if volume:
            # Resample whole days of this cell with replacement, every resample at once; a
            # resample's mean weights each drawn day by its orders, as the estimate does.
            picks = rng.integers(0, len(sums), size=(resamples, len(sums)))
            boots[cohort, post] = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
            mean = total / volume
            bounds = (
                proportion_confint(total, volume, alpha=alpha, method="wilson")
                if is_rate
                else np.quantile(boots[cohort, post], quantiles)
            )
            low, high = (float(bound) for bound in bounds)
        cells.append(
            CellSummary(
                cohort=cohort,
                period="post" if post else "pre",
                orders=volume,
                days=len(sums),
                mean=mean,
                ci_low=low,
                ci_high=high,
                ci_method="wilson" if is_rate else "bootstrap",
                too_small=volume < max(min_volume, 1),
            )
        )
    estimate = ci_low = ci_high = None
    if not any(cell.too_small for cell in cells):
        means = {(c.cohort, c.period == "post"): c.mean for c in cells}
        estimate = _did(means)
        low, high = np.quantile(_did(boots), quantiles)
        ci_low, ci_high = float(low), float(high)
    return RolloutImpact(
        metric=metric,
        is_rate=is_rate,
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        min_volume=min_volume,
        cells=tuple(cells),
    )


def _did(means: dict[tuple[str, bool], Any]) -> Any:
    """Difference in differences of four cell means (floats, or arrays of resampled means)."""
    treatment = means[("treatment", True)] - means[("treatment", False)]
    control = means[("control", True)] - means[("control", False)]
    return treatment - control


def _cell_days(daily: pd.DataFrame, cohort: str, post: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-day metric sums and order counts of one cell; empty arrays for an empty cell."""
    cell = daily[(daily["cohort"] == cohort) & (daily["post"] == post)]
    return cell["sum"].to_numpy(dtype=np.float64), cell["size"].to_numpy(dtype=np.float64)


def _check_orders(orders: pd.DataFrame, metric: str) -> tuple[np.ndarray, bool]:
    needed = ["date", "cohort", "post", metric]
    missing = [column for column in needed if column not in orders.columns]
    if missing:
        raise RolloutFrameError(
            f"order frame lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, orders.columns))}. Provide {', '.join(needed)}."
        )
    unknown = sorted(set(orders["cohort"].astype(str).unique()) - set(COHORTS))
    if unknown:
        raise RolloutFrameError(
            f"order frame column cohort has {', '.join(unknown)}; allowed: {', '.join(COHORTS)}."
        )
    if not pd.api.types.is_bool_dtype(orders["post"]):
        raise RolloutFrameError(
            f"order frame column post must be bool (True after the release); it has dtype "
            f"{orders['post'].dtype}. Compare each order's date with the release date."
        )
    if orders["date"].isna().any():
        raise RolloutFrameError(
            f"order frame column date has {int(orders['date'].isna().sum())} empty value(s)."
        )
    column = orders[metric]
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise RolloutFrameError(
            f"order frame column {metric} must be numeric (0/1 for a rate); it has dtype "
            f"{column.dtype}."
        )
    values = column.to_numpy(dtype=np.float64)
    if np.isnan(values).any():
        raise RolloutFrameError(
            f"order frame column {metric} has {int(np.isnan(values).sum())} empty value(s); "
            "drop orders without an outcome before comparing."
        )
    is_rate = bool(np.isin(values, (0.0, 1.0)).all())
    return values, is_rate
