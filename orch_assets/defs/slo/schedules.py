"""The hourly SLO evaluation: the slo tables re-evaluated over what the warehouse holds now.

The job selects the unpartitioned evaluation assets only, not the dbt SLO models: those are
daily-partitioned marts, rebuilt with the other daily marts when a day's feeds land, and a
day that has not ended has no partition yet. Each hourly run re-reads the whole SLI history up
to its last minute, so the current day is evaluated as far as its data has been built, and
the alert sensor picks up whatever episodes the run found.
"""

from __future__ import annotations

import dagster as dg

from orch_assets.defs.slo.assets import SLO_TABLE_KEYS

slo_evaluation_job = dg.define_asset_job(
    "evaluate_slos",
    selection=dg.AssetSelection.assets(*SLO_TABLE_KEYS),
    description="Evaluate burn-rate alerts, error budgets, rollback rules and rollout impact.",
)

hourly_slo_evaluation = dg.ScheduleDefinition(
    name="hourly_slo_evaluation",
    job=slo_evaluation_job,
    cron_schedule="5 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every hour at :05 UTC, re-evaluate the slo tables from the warehouse.",
)
