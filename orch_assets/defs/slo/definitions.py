"""The SLO domain's Dagster definitions: evaluation assets, the hourly job, the alert sensor."""

import dagster as dg

from orch_assets.defs.slo.assets import slo_evaluation
from orch_assets.defs.slo.resources import NotifierResource
from orch_assets.defs.slo.schedules import hourly_slo_evaluation, slo_evaluation_job
from orch_assets.defs.slo.sensors import slo_alert_sensor

defs = dg.Definitions(
    assets=[slo_evaluation],
    jobs=[slo_evaluation_job],
    schedules=[hourly_slo_evaluation],
    sensors=[slo_alert_sensor],
    resources={"notifier": NotifierResource.from_settings()},
)
