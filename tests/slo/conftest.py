"""Builders for the frames the SLO library reads, and the shipped SLOs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from orch_assets.slo.spec import Slo, load_slos

START = pd.Timestamp("2026-03-02T00:00:00Z")


def minutes(count: int, start: pd.Timestamp = START) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="min")


def sli_frame(
    bad: Sequence[int] | np.ndarray,
    total: int = 1000,
    slo: str = "promise_latency",
    segment: str = "all",
    start: pd.Timestamp = START,
) -> pd.DataFrame:
    """One row per minute, `total` events a minute, `bad[i]` of them bad in minute i."""
    bad = np.asarray(bad)
    return pd.DataFrame(
        {
            "slo": slo,
            "segment": segment,
            "minute": minutes(len(bad), start),
            "good": total - bad,
            "total": total,
        }
    )


@pytest.fixture(scope="session")
def slos() -> dict[str, Slo]:
    return load_slos()
