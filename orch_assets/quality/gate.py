"""Every quality gate in one call, and publish-or-block on its verdict.

The Dagster checks run these same functions one target at a time; this runs them all at once
for a project and a warehouse, which is how a changed project is judged before it ships.
"""

from __future__ import annotations

from pathlib import Path

from orch_assets.publish.snapshot import Snapshot, code_version, record_blocked, write_snapshot
from orch_assets.quality.definitions_check import check_definitions, metric_versions
from orch_assets.quality.reconcile import reconcile
from orch_assets.quality.results import GateResult
from orch_assets.quality.suites import run_all_suites
from orch_assets.quality.volumes import check_volumes


def evaluate_all(
    project_dir: Path, warehouse_file: Path, lake: Path, with_metricflow: bool = True
) -> list[GateResult]:
    return [
        check_definitions(project_dir, with_metricflow=with_metricflow),
        *run_all_suites(warehouse_file),
        *check_volumes(warehouse_file),
        *reconcile(warehouse_file, lake),
    ]


def publish_or_block(
    gates: list[GateResult], project_dir: Path, warehouse_file: Path, snapshots: Path
) -> Snapshot | Path:
    """Publish a snapshot when every gate passed; otherwise record the blocked attempt."""
    results = [{"check": g.check, "target": g.target, "passed": g.passed} for g in gates]
    failed = [g for g in gates if not g.passed]
    if failed:
        reasons = [
            {"check": g.check, "target": g.target, "failures": [f.to_dict() for f in g.failures]}
            for g in failed
        ]
        return record_blocked(snapshots, reasons, results)
    return write_snapshot(
        warehouse_file,
        snapshots,
        metric_versions=metric_versions(project_dir),
        check_results=results,
        code=code_version(project_dir),
    )
