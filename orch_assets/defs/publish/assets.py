"""The scorecard snapshot: published only when every blocking check upstream passed.

Dagster skips this asset when a blocking check on anything it depends on fails, so a bad
number never reaches the app. The skipped attempt is recorded with its reasons by
`record_blocked_run`, which both the pipeline command and the run-failure sensor call.
"""

import datetime as dt

import dagster as dg
import duckdb

from orch_assets.defs.metrics.project import DBT_PROJECT_DIR
from orch_assets.defs.quality.checks import METRIC_DEFINITIONS
from orch_assets.publish.snapshot import (
    SNAPSHOT_MARTS,
    code_version,
    record_blocked,
    write_snapshot,
)
from orch_assets.quality.definitions_check import metric_versions
from orch_assets.settings import REPO_ROOT, load_settings

SNAPSHOT = dg.AssetKey(["scorecard_snapshot"])


def quarantine_summary(quarantine) -> list[tuple]:
    """Quarantined rows per feed, day and rule, for the app's data-quality page."""
    files = sorted(quarantine.glob("*/date=*/part.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    try:
        return con.execute(
            "select split_part(split_part(filename, '/', -3), '/', 1) as feed, "
            "replace(split_part(filename, '/', -2), 'date=', '') as partition, rule, "
            "count(*) as rows from read_parquet(?, filename = true) group by all order by all",
            [[str(f) for f in files]],
        ).fetchall()
    finally:
        con.close()


@dg.asset(
    key=SNAPSHOT,
    group_name="publish",
    deps=[dg.AssetKey([mart]) for mart in SNAPSHOT_MARTS] + [METRIC_DEFINITIONS],
    kinds={"parquet"},
    description=(
        "A versioned, read-only copy of the marts with a manifest, swapped in atomically; "
        "what the scorecard reads."
    ),
)
def scorecard_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    inputs = [dg.AssetKey([mart]) for mart in SNAPSHOT_MARTS] + [METRIC_DEFINITIONS]
    checks = context.instance.event_log_storage.get_latest_asset_check_execution_by_key
    check_results = []
    # Imported here: the code location imports this module while it is being built.
    from orch_assets.definitions import defs

    for key in defs.resolve_asset_graph().asset_check_keys:
        if key.asset_key in inputs:
            record = checks([key]).get(key)
            status = record.status.value if record else "NOT_RUN"
            check_results.append(
                {
                    "asset": key.asset_key.to_user_string(),
                    "check": key.name,
                    "status": status,
                    "passed": {"SUCCEEDED": True, "FAILED": False}.get(status),
                }
            )
    snapshot = write_snapshot(
        settings.warehouse_file,
        settings.snapshots,
        metric_versions=metric_versions(DBT_PROJECT_DIR),
        check_results=sorted(check_results, key=lambda c: (c["asset"], c["check"])),
        code=code_version(REPO_ROOT),
        marts=SNAPSHOT_MARTS,
        extra_tables={
            "quarantine_summary": (
                ["feed", "partition", "rule", "rows"],
                quarantine_summary(settings.quarantine),
            )
        },
    )
    context.log.info(
        f"published snapshot {snapshot.snapshot_id} covering "
        f"{snapshot.manifest['partitions']['first']}..{snapshot.manifest['partitions']['last']}"
    )
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": snapshot.snapshot_id,
            "path": str(snapshot.path),
            "marts": dg.MetadataValue.json(
                {name: info["rows"] for name, info in snapshot.manifest["marts"].items()}
            ),
        }
    )


def record_blocked_run(evaluations, snapshots=None, now: dt.datetime | None = None):
    """Record a publish that failed checks stopped, from the run's check evaluations."""
    snapshots = snapshots or load_settings().snapshots
    failed = [e for e in evaluations if not e.passed]
    if not failed:
        return None
    reasons = [
        {
            "asset": e.asset_key.to_user_string(),
            "check": e.check_name,
            "description": e.description,
            "failures": e.metadata.get("failures").value if "failures" in e.metadata else [],
        }
        for e in failed
    ]
    results = [
        {"asset": e.asset_key.to_user_string(), "check": e.check_name, "passed": bool(e.passed)}
        for e in evaluations
    ]
    return record_blocked(snapshots, reasons, results, now=now)


@dg.run_failure_sensor(
    name="blocked_publish_sensor",
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Records a snapshot publish that failed blocking checks stopped.",
)
def blocked_publish_sensor(context: dg.RunFailureSensorContext):
    records = context.instance.get_records_for_run(
        context.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    path = record_blocked_run(evaluations)
    if path:
        context.log.info(f"recorded blocked publish {path.name}")
