"""The publish domain's Dagster definitions."""

import dagster as dg

from orch_assets.defs.publish.assets import blocked_publish_sensor, scorecard_snapshot

defs = dg.Definitions(assets=[scorecard_snapshot], sensors=[blocked_publish_sensor])
