"""Quality gates as blocking Dagster asset checks: a failure stops the publish downstream."""

import dagster as dg
import duckdb

from orch_assets.defs.metrics.project import DBT_PROJECT_DIR
from orch_assets.quality.definitions_check import check_definitions, metric_versions
from orch_assets.quality.reconcile import reconcile
from orch_assets.quality.results import GateResult
from orch_assets.quality.suites import SUITES, read_mart, reference_values, run_suite
from orch_assets.quality.volumes import DAILY_VOLUME_MARTS, check_volumes
from orch_assets.settings import load_settings

METRIC_DEFINITIONS = dg.AssetKey(["metric_definitions"])


def _result(gate: GateResult, **identity) -> dg.AssetCheckResult:
    """A gate's verdict as a check result; `identity` names the check where it is ambiguous."""
    return dg.AssetCheckResult(
        **identity,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("passed" if gate.passed else "; ".join(f.detail for f in gate.failures[:3])),
        metadata={
            "evaluated": gate.evaluated,
            "failures": dg.MetadataValue.json([f.to_dict() for f in gate.failures[:20]]),
        },
    )


def _suite_check(mart: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([mart]),
        name="expectations",
        blocking=True,
        description=f"Great Expectations suite on {mart}: keys, ranges, signs, days, nodes.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        con = duckdb.connect(str(load_settings().warehouse_file), read_only=True)
        try:
            con.execute("set TimeZone = 'UTC'")
            gate = run_suite(SUITES[mart], read_mart(con, mart), reference_values(con))
        finally:
            con.close()
        context.log.info(f"{mart}: {gate.evaluated} expectations, {len(gate.failures)} failed")
        return _result(gate)

    return _check


def _volume_check(mart: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([mart]),
        name="row_count_band",
        blocking=True,
        description="Each day's row count sits inside a median/MAD band of its trailing days.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        gate = check_volumes(load_settings().warehouse_file, {mart: DAILY_VOLUME_MARTS[mart]})[0]
        context.log.info(f"{mart}: {gate.evaluated} days judged, {len(gate.failures)} outside")
        return _result(gate)

    return _check


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "reconciles_with_ledger", asset=dg.AssetKey(["leakage_v1"]), blocking=True
        ),
        dg.AssetCheckSpec(
            "reconciles_with_ledger", asset=dg.AssetKey(["leakage_v2"]), blocking=True
        ),
        dg.AssetCheckSpec("reconciles_with_feed", asset=dg.AssetKey(["orders"]), blocking=True),
    ],
    description="Leakage equals the ledger's loss entries per day; order counts equal the feed.",
)
def reconciliation_checks(context: dg.AssetCheckExecutionContext):
    settings = load_settings()
    names = {
        "leakage_v1": "reconciles_with_ledger",
        "leakage_v2": "reconciles_with_ledger",
        "orders": "reconciles_with_feed",
    }
    for gate in reconcile(settings.warehouse_file, settings.lake):
        context.log.info(f"{gate.target}: reconciliation {'passed' if gate.passed else 'failed'}")
        yield _result(gate, asset_key=dg.AssetKey([gate.target]), check_name=names[gate.target])


@dg.asset(
    key=METRIC_DEFINITIONS,
    group_name="quality",
    kinds={"dbt"},
    description="The semantic layer's metrics and their versions, as the scorecard publishes them.",
    check_specs=[
        dg.AssetCheckSpec(
            "definitions_valid",
            asset=METRIC_DEFINITIONS,
            blocking=True,
            description=(
                "Every metric has its metadata, MetricFlow validates, and no definition "
                "changed without a raised version and a changelog line."
            ),
        )
    ],
)
def metric_definitions(context: dg.AssetExecutionContext):
    versions = metric_versions(DBT_PROJECT_DIR)
    gate = check_definitions(DBT_PROJECT_DIR)
    context.log.info(f"{len(versions)} metrics; {len(gate.failures)} definition problems")
    yield dg.MaterializeResult(
        metadata={"metrics": len(versions), "versions": dg.MetadataValue.json(versions)}
    )
    yield _result(gate, check_name="definitions_valid")


SUITE_CHECKS = [_suite_check(mart) for mart in SUITES]
VOLUME_CHECKS = [_volume_check(mart) for mart in DAILY_VOLUME_MARTS]
