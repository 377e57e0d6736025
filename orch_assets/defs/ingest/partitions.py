"""The daily partitions every feed and daily model share."""

from __future__ import annotations

import dagster as dg

from orch_assets.settings import load_settings


def daily_partitions() -> dg.DailyPartitionsDefinition:
    """Days from the configured start (ORCH_PARTITION_START), UTC."""
    start = load_settings().partition_start
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


DAILY = daily_partitions()
