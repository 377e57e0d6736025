"""The ingest domain's Dagster definitions."""

import dagster as dg

from orch_assets.defs.ingest.assets import FEED_ASSETS
from orch_assets.defs.ingest.resources import LakeResource
from orch_assets.defs.ingest.schedules import daily_ingest_schedule, ingest_job
from orch_assets.defs.ingest.sensors import landing_sensor

defs = dg.Definitions(
    assets=FEED_ASSETS,
    jobs=[ingest_job],
    schedules=[daily_ingest_schedule],
    sensors=[landing_sensor],
    resources={"lake": LakeResource.from_settings()},
)
