"""Window sums over minute-resolution series, by cumulative sums over a dense minute index.

Series arrive sparse (one row per minute that had events). They are laid on a dense matrix,
one row per series key (an SLO and segment, say) and one column per minute, and summed
cumulatively once. The sum over any window ending at any set of evaluation times is then two
lookups and a subtraction, for every key and time at once: no loop over minutes anywhere.

Times are handled as whole minutes since the Unix epoch (UTC), so evaluation grids line up
on the same instants whatever range a run reads, and whatever it derives from them (an
episode's start, its id) comes out the same on a re-run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp(0, tz="UTC")
ONE_MINUTE = pd.Timedelta(minutes=1)
TimeLike = pd.Timestamp | dt.datetime | str


class MinuteFrameError(ValueError):
    """A minute-resolution frame whose columns or values cannot be used."""


def require_columns(
    frame: pd.DataFrame,
    columns: Sequence[str],
    what: str,
    error: type[MinuteFrameError] = MinuteFrameError,
) -> None:
    """Raise `error` naming any missing columns and the columns the frame has."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise error(
            f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame))}. "
            f"Provide {', '.join(columns)}."
        )


def minute_numbers(
    values: pd.Series, what: str, error: type[MinuteFrameError] = MinuteFrameError
) -> np.ndarray:
    """Whole minutes since the epoch for tz-aware timestamps, floored to the minute.

    Args:
        values: Timestamps with a time zone (any zone; they are read as instants).
        what: The frame and column, for messages ("SLI frame column minute").
        error: The exception class to raise, so each caller's errors keep their own type.

    Returns:
        An int64 array, one number per value.

    Raises:
        MinuteFrameError: Or the given `error` class: the values are not tz-aware
            timestamps, or some are missing.
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise error(
            f"{what} must hold tz-aware UTC timestamps; it has dtype {values.dtype}. "
            "Convert it with pd.to_datetime(values, utc=True)."
        )
    if values.isna().any():
        raise error(f"{what} has {int(values.isna().sum())} empty timestamp(s).")
    return ((values - EPOCH) // ONE_MINUTE).to_numpy(dtype=np.int64)


def minute_number(value: TimeLike, what: str) -> int:
    """One instant as whole minutes since the epoch (floored), insisting on a time zone."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise MinuteFrameError(
            f"{what} {value!r} has no time zone; pass a UTC time such as 2026-03-02T10:00Z."
        )
    return int((stamp - EPOCH) // ONE_MINUTE)


def timestamps(numbers: np.ndarray | Sequence[int]) -> pd.DatetimeIndex:
    """Minute numbers back to UTC timestamps."""
    return pd.DatetimeIndex(EPOCH + pd.to_timedelta(np.asarray(numbers, dtype=np.int64), "min"))


def timestamp(number: int) -> pd.Timestamp:
    """One minute number back to a UTC timestamp."""
    return EPOCH + pd.Timedelta(minutes=int(number))


def evaluation_grid(start: int, end: int, step: int) -> np.ndarray:
    """Evaluation times: the multiples of `step` minutes in (start, end], as minute numbers."""
    first = (start // step + 1) * step
    return np.arange(first, end + 1, step, dtype=np.int64)


@dataclass(frozen=True)
class MinuteCube:
    """Cumulative sums of value columns, one row per key, one column per minute boundary.

    `cumulative[name][row, i]` is the sum of that value over the minutes before minute
    `first + i`, so column 0 is zero and the matrix has `minutes + 1` columns.
    """

    keys: pd.DataFrame
    first: int
    minutes: int
    cumulative: dict[str, np.ndarray]

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        key_columns: Sequence[str],
        value_columns: Sequence[str],
        numbers: np.ndarray,
    ) -> MinuteCube:
        """Lay a sparse frame on a dense minute index.

        Args:
            frame: One row per key and minute that had data; repeated minutes are added up.
            key_columns: Columns naming a series (rows of the cube), sorted in the result.
            value_columns: Numeric columns to sum.
            numbers: The rows' minute numbers (see `minute_numbers`).

        Returns:
            The cube from the earliest to the latest minute in the frame; missing minutes are
            zero. Windows reaching outside it see zeros there (see `window_sum`).
        """
        if frame.empty:
            keys = pd.DataFrame({column: pd.Series([], dtype=object) for column in key_columns})
            return cls(keys, 0, 0, {name: np.zeros((0, 1)) for name in value_columns})
        start = int(numbers.min())
        minutes = int(numbers.max()) - start + 1
        grouped = frame[list(key_columns)].groupby(list(key_columns), sort=True)
        codes = grouped.ngroup().to_numpy()
        keys = grouped.size().reset_index()[list(key_columns)]
        # Column 0 stays zero so that a window sum is always end minus start.
        cells = codes * (minutes + 1) + (numbers - start) + 1
        shape = (len(keys), minutes + 1)
        cumulative: dict[str, np.ndarray] = {}
        for name in value_columns:
            values = frame[name].to_numpy(dtype=np.float64)
            dense = np.bincount(cells, weights=values, minlength=shape[0] * shape[1])
            cumulative[name] = np.cumsum(dense.reshape(shape), axis=1)
        return cls(keys, start, minutes, cumulative)

    def window_sum(
        self, name: str, at: np.ndarray, window: int, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Sums over the `window` minutes before each evaluation time.

        Args:
            name: The value column.
            at: Evaluation times as minute numbers; each window is [at - window, at).
            window: Window length in minutes.
            rows: Row positions to return (default all).

        Returns:
            A (rows x times) array. Minutes outside the cube count as zero.
        """
        cumulative = self.cumulative[name] if rows is None else self.cumulative[name][rows]
        end = np.clip(np.asarray(at) - self.first, 0, self.minutes)
        start = np.clip(np.asarray(at) - window - self.first, 0, self.minutes)
        return cumulative[:, end] - cumulative[:, start]


def runs(holds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous stretches of True in each row of a boolean matrix.

    Args:
        holds: A (rows x times) boolean array.

    Returns:
        Row, first column and end column (one past the last True) of every stretch, in row
        then time order. An end equal to the number of columns means it was still true at
        the last column.
    """
    padded = np.zeros((holds.shape[0], holds.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = holds
    change = np.diff(padded, axis=1)
    start_rows, start_cols = np.nonzero(change == 1)
    _, end_cols = np.nonzero(change == -1)
    return start_rows, start_cols, end_cols


def at_least(values: np.ndarray, bound: float) -> np.ndarray:
    """`values >= bound`, counting values a rounding error below the bound as at it.

    Rates are ratios of float sums: a bad share of exactly 14.4% over a 1% budget computes
    as 14.399999999999999, and must still meet a 14.4x condition. NaN is never at least.
    """
    return (values >= bound) | np.isclose(values, bound, rtol=1e-9, atol=0.0)
