"""Daily ingestion of yesterday's partition, for feeds that drop files on a timetable."""

from __future__ import annotations

import dagster as dg

ingest_job = dg.define_asset_job(
    "ingest_feeds",
    selection=dg.AssetSelection.groups("ingest"),
    description="Ingest every feed for the selected days.",
)

daily_ingest_schedule = dg.build_schedule_from_partitioned_job(
    ingest_job, hour_of_day=2, minute_of_hour=0, name="daily_ingest"
)
