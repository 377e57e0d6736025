"""Row counts per day against a robust band of their own trailing history.

A day's row count is judged against the median and the median absolute deviation (MAD) of
the days before it, so a single odd day cannot move its own band and one promotion spike
does not widen every later band. A collapse (an upstream export that lost most rows) falls
far below the band; the upper side is wider because demand surges are real.
"""

from __future__ import annotations

import duckdb
import numpy as np

from orch_assets.quality.results import Failure, GateResult

# Mart -> the date column its rows accrue by.
DAILY_VOLUME_MARTS = {
    "orders": "order_date",
    "shipments": "shipment_date",
    "order_events": "event_date",
}
TRAILING_DAYS = 14
MINIMUM_HISTORY = 7
# MAD scaled to a normal standard deviation.
MAD_SCALE = 1.4826
LOWER_SIGMAS, LOWER_SHARE = 6.0, 0.25
UPPER_SIGMAS, UPPER_SHARE = 6.0, 0.75


def band(history: np.ndarray) -> tuple[float, float, float]:
    """(low, median, high) of the robust band around a history of daily counts."""
    median = float(np.median(history))
    sigma = MAD_SCALE * float(np.median(np.abs(history - median)))
    low = median - max(LOWER_SIGMAS * sigma, LOWER_SHARE * median)
    high = median + max(UPPER_SIGMAS * sigma, UPPER_SHARE * median)
    return low, median, high


def check_volumes(warehouse_file, marts: dict[str, str] | None = None) -> list[GateResult]:
    """One result per mart: every day with enough history must sit inside its band."""
    marts = DAILY_VOLUME_MARTS if marts is None else marts
    con = duckdb.connect(str(warehouse_file), read_only=True)
    results = []
    try:
        for mart, day_column in marts.items():
            rows = con.execute(
                f"select {day_column}, count(*) from main.{mart} group by 1 order by 1"
            ).fetchall()
            # The last day is cut off by the export, so it is not judged.
            days = [day for day, _ in rows][:-1]
            counts = np.array([count for _, count in rows][:-1], dtype=float)
            failures = []
            for index in range(MINIMUM_HISTORY, len(counts)):
                history = counts[max(0, index - TRAILING_DAYS) : index]
                low, median, high = band(history)
                if not low <= counts[index] <= high:
                    failures.append(
                        Failure(
                            check="row_count_band",
                            target=mart,
                            expectation="daily_row_count_within_trailing_band",
                            observed=int(counts[index]),
                            detail=(
                                f"{mart} has {int(counts[index]):,} rows on {days[index]}, "
                                f"outside [{low:,.0f}, {high:,.0f}] around the trailing "
                                f"median {median:,.0f}"
                            ),
                            sample_rows=[{"day": days[index], "rows": int(counts[index])}],
                        )
                    )
            results.append(
                GateResult("row_count_band", mart, max(0, len(counts) - MINIMUM_HISTORY), failures)
            )
    finally:
        con.close()
    return results
