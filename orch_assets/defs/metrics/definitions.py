"""The metric layer's Dagster definitions: the dbt project as assets."""

import dagster as dg

from orch_assets.defs.metrics.assets import daily_marts, dbt_resource, reference_and_views

defs = dg.Definitions(
    assets=[reference_and_views, daily_marts],
    resources={"dbt": dbt_resource()},
)
