"""dbt models as assets. Models that grow by day are partitioned; the rest rebuild whole.

A partitioned run passes its window as the `min_date`/`max_date` vars, and each incremental
mart deletes and re-inserts those days (plus the outcome lookback, for orders whose
deliveries and refunds arrive later). A backfill runs as one dbt invocation over its range.
"""

import json
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orch_assets.defs.ingest.partitions import DAILY
from orch_assets.defs.metrics.project import dbt_project
from orch_assets.defs.metrics.translator import MetricLayerTranslator

DAILY_SELECTION = "tag:daily"
TRANSLATOR = MetricLayerTranslator()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=DAILY_SELECTION,
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=TRANSLATOR,
    name="daily_marts",
)
def daily_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Marts that grow by day, rebuilt for the run's partition window."""
    window = context.partition_time_window
    first = window.start.date().isoformat()
    # The window's end is exclusive; the last day it covers is the day before.
    last = (window.end.date().fromordinal(window.end.date().toordinal() - 1)).isoformat()
    variables = json.dumps({"min_date": first, "max_date": last})
    context.log.info(f"dbt build of daily marts for {first}..{last}")
    yield from dbt.cli(["build", "--vars", variables], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=DAILY_SELECTION,
    dagster_dbt_translator=TRANSLATOR,
    name="reference_and_views",
)
def reference_and_views(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging and intermediate views, and the small unpartitioned marts."""
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt beside this interpreter, so a run never picks up another environment's dbt.
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )
