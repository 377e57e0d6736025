"""One daily-partitioned asset per feed: landing files in, validated Parquet lake out."""

import datetime as dt

import dagster as dg

from orch_assets.contracts import FEEDS, Feed
from orch_assets.defs.ingest.partitions import DAILY
from orch_assets.defs.ingest.resources import LakeResource
from orch_assets.ingest.core import (
    ORDER_LOOKBACK_DAYS,
    LandingFileError,
    PartitionResult,
    ingest_partition,
)

RECONCILE_CHECK = "rows_reconcile"
QUARANTINE_CHECK = "quarantine_rate"


def lake_key(feed_name: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", feed_name])


def _upstream(feed: Feed) -> list[dg.AssetDep]:
    if not feed.references_orders:
        return []
    if feed.partition_field is None:
        mapping: dg.PartitionMapping = dg.IdentityPartitionMapping()
    else:
        # Rows are checked against orders of the lookback window, so they wait for them.
        mapping = dg.TimeWindowPartitionMapping(start_offset=-ORDER_LOOKBACK_DAYS, end_offset=0)
    return [dg.AssetDep(lake_key("orders"), partition_mapping=mapping)]


def _summary(results: list[PartitionResult]) -> dict[str, dg.MetadataValue]:
    by_rule: dict[str, int] = {}
    for result in results:
        for rule, count in result.quarantined_by_rule.items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    extra = {file: cols for r in results for file, cols in r.extra_columns.items()}
    rows = [
        {
            "partition": r.partition,
            "files": len(r.files),
            "bytes": r.bytes_read,
            "read": r.rows_read,
            "accepted": r.rows_accepted,
            "quarantined": r.rows_quarantined,
            "seconds": round(r.seconds, 3),
        }
        for r in results
    ]
    return {
        "partitions": dg.MetadataValue.int(len(results)),
        "files": dg.MetadataValue.int(sum(len(r.files) for r in results)),
        "bytes_read": dg.MetadataValue.int(sum(r.bytes_read for r in results)),
        "rows_read": dg.MetadataValue.int(sum(r.rows_read for r in results)),
        "rows_accepted": dg.MetadataValue.int(sum(r.rows_accepted for r in results)),
        "rows_quarantined": dg.MetadataValue.int(sum(r.rows_quarantined for r in results)),
        "quarantined_by_rule": dg.MetadataValue.json(by_rule),
        "extra_columns_ignored": dg.MetadataValue.json(extra),
        "seconds": dg.MetadataValue.float(round(float(sum(r.seconds for r in results)), 3)),
        "per_partition": dg.MetadataValue.json(rows),
    }


def build_feed_asset(feed: Feed) -> dg.AssetsDefinition:
    key = lake_key(feed.name)

    @dg.asset(
        key=key,
        group_name="ingest",
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=_upstream(feed),
        kinds={"duckdb", "parquet"},
        description=f"{feed.description} Validated against its contract; see docs/feeds.md.",
        check_specs=[
            dg.AssetCheckSpec(
                RECONCILE_CHECK,
                asset=key,
                blocking=True,
                description="Rows read equal rows accepted plus rows quarantined, every day.",
            ),
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                description="Share of rows quarantined stays under the configured threshold.",
            ),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, lake: LakeResource):
        results: list[PartitionResult] = []
        failures: list[str] = []
        for partition_key in context.partition_keys:
            day = dt.date.fromisoformat(partition_key)
            try:
                result = ingest_partition(feed.name, day, lake.paths, lake.pii_salt)
            except LandingFileError as error:
                context.log.error(f"{feed.name} {partition_key}: {error}")
                failures.append(f"{partition_key}: {error}")
                continue
            results.append(result)
            rules = ", ".join(f"{k} {v}" for k, v in result.quarantined_by_rule.items())
            context.log.info(
                f"{feed.name} {partition_key}: read {result.rows_read:,} rows from "
                f"{len(result.files)} files, accepted {result.rows_accepted:,}, "
                f"quarantined {result.rows_quarantined:,}" + (f" ({rules})" if rules else "")
            )
        if failures:
            raise dg.Failure(
                description=(
                    f"{feed.name}: {len(failures)} of {len(context.partition_keys)} partitions "
                    "could not be read; their lake partitions are unchanged.\n"
                    + "\n".join(failures)
                ),
                metadata=_summary(results),
            )
        yield dg.MaterializeResult(metadata=_summary(results))
        unbalanced = [r.partition for r in results if not r.balanced]
        yield dg.AssetCheckResult(
            check_name=RECONCILE_CHECK,
            passed=not unbalanced,
            metadata={
                "rows_read": sum(r.rows_read for r in results),
                "rows_accepted": sum(r.rows_accepted for r in results),
                "rows_quarantined": sum(r.rows_quarantined for r in results),
                "unbalanced_partitions": dg.MetadataValue.json(unbalanced),
            },
        )
        worst = max(results, key=lambda r: r.quarantine_rate, default=None)
        worst_rate = worst.quarantine_rate if worst else 0.0
        yield dg.AssetCheckResult(
            check_name=QUARANTINE_CHECK,
            passed=worst_rate <= lake.quarantine_warn_rate,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "worst_partition": worst.partition if worst else "",
                "worst_rate": float(round(worst_rate, 6)),
                "threshold": lake.quarantine_warn_rate,
            },
        )

    return _ingest


FEED_ASSETS = [build_feed_asset(feed) for feed in FEEDS.values()]
