"""Write, find and prune published snapshots.

Layout under the snapshot folder:

    <id>/                 one folder per snapshot: <mart>.parquet for every mart, manifest.json
    CURRENT               the id of the live snapshot, one line
    blocked/<id>.json     publishes that quality checks stopped, with their reasons

A snapshot is written into a hidden temporary folder and renamed into place whole; CURRENT is
replaced with `os.replace`. A reader that resolves CURRENT and then opens the folder it names
sees one snapshot entirely, old or new, because folders are never modified after the rename
and pruning never removes the live one or the one before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

CURRENT_POINTER = "CURRENT"
MANIFEST = "manifest.json"
BLOCKED = "blocked"
# Marts published to the scorecard, with the columns that order their rows (stable files).
SNAPSHOT_MARTS: dict[str, tuple[str, ...]] = {
    "orders": ("order_id",),
    "shipments": ("shipment_id",),
    "leakage_v1": ("entry_id",),
    "leakage_v2": ("entry_id",),
    "exceptions": ("exception_id",),
    "order_events": ("event_id",),
    "decision_latency_daily": ("event_date", "decision_point", "customer_region"),
    "dependency_health_hourly": ("hour_at", "dependency"),
    "labor_daily": ("opened_date", "exception_class"),
    "change_annotations": ("change_id",),
    "daily_trends": ("trend_date", "segment"),
    "slo_burndown": ("slo", "segment", "evaluated_at"),
    "slo_alert_episodes": ("episode_id",),
    "rollback_firings": ("firing_id",),
    "rollout_impact": ("metric",),
    "rollout_impact_cells": ("metric", "cohort", "period"),
}


class SnapshotError(RuntimeError):
    """A snapshot that cannot be written or read."""


@dataclass(frozen=True)
class Snapshot:
    """A published snapshot folder and its manifest."""

    path: Path
    manifest: dict

    @property
    def snapshot_id(self) -> str:
        return self.manifest["snapshot_id"]

    def mart(self, name: str) -> Path:
        return self.path / f"{name}.parquet"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def code_version(repo: Path) -> str:
    """The git commit the code runs at, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def new_snapshot_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def write_snapshot(
    warehouse: Path,
    snapshots: Path,
    metric_versions: dict[str, int],
    check_results: list[dict],
    code: str,
    marts: dict[str, tuple[str, ...]] | None = None,
    keep: int = 5,
    now: dt.datetime | None = None,
    extra_tables: dict[str, tuple[list[str], list[tuple]]] | None = None,
) -> Snapshot:
    """Copy the marts out of the warehouse into a new snapshot and make it the live one.

    `extra_tables` adds small tables computed outside the warehouse (name -> column names and
    rows), such as the quarantine summary.
    """
    marts = SNAPSHOT_MARTS if marts is None else marts
    now = now or dt.datetime.now(dt.UTC)
    snapshot_id = new_snapshot_id(now)
    snapshots.mkdir(parents=True, exist_ok=True)
    staging = snapshots / f".tmp-{snapshot_id}"
    staging.mkdir()
    files: dict[str, dict] = {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            con.execute("set TimeZone = 'UTC'")
            for mart, order_by in marts.items():
                target = staging / f"{mart}.parquet"
                ordering = ", ".join(order_by)
                con.execute(
                    f"copy (select * from main.{mart} order by {ordering}) "
                    f"to {_quote(str(target))} (format parquet, compression zstd)"
                )
                rows = con.execute(f"select count(*) from main.{mart}").fetchone()[0]
                files[mart] = {
                    "file": target.name,
                    "rows": rows,
                    "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                }
            for name, (columns, rows) in (extra_tables or {}).items():
                target = staging / f"{name}.parquet"
                table = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
                pq.write_table(table, target, compression="zstd")
                files[name] = {
                    "file": target.name,
                    "rows": len(rows),
                    "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                }
            first, last = con.execute(
                "select min(order_date), max(order_date) from main.orders"
            ).fetchone()
        finally:
            con.close()
        manifest = {
            "snapshot_id": snapshot_id,
            "created_at": now.isoformat(),
            "partitions": {
                "first": first.isoformat() if first else None,
                "last": last.isoformat() if last else None,
            },
            "metric_versions": dict(sorted(metric_versions.items())),
            "check_results": check_results,
            "code_version": code,
            "marts": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        final = snapshots / snapshot_id
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_at(snapshots, snapshot_id)
    prune(snapshots, keep=keep)
    return Snapshot(final, manifest)


def _point_at(snapshots: Path, snapshot_id: str) -> None:
    temporary = snapshots / f".{CURRENT_POINTER}.{os.getpid()}.tmp"
    temporary.write_text(snapshot_id + "\n", encoding="utf-8")
    os.replace(temporary, snapshots / CURRENT_POINTER)


def snapshot_ids(snapshots: Path) -> list[str]:
    """Published snapshot ids, oldest first (ids sort by creation time)."""
    if not snapshots.is_dir():
        return []
    return sorted(p.name for p in snapshots.iterdir() if p.is_dir() and (p / MANIFEST).exists())


def prune(snapshots: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` snapshots; never the live one or the one before."""
    keep = max(keep, 2)
    live = current_id(snapshots)
    ids = snapshot_ids(snapshots)
    removed = []
    for snapshot_id in ids[:-keep]:
        if snapshot_id == live:
            continue
        shutil.rmtree(snapshots / snapshot_id)
        removed.append(snapshot_id)
    return removed


def current_id(snapshots: Path) -> str | None:
    pointer = snapshots / CURRENT_POINTER
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def current_snapshot(snapshots: Path) -> Snapshot | None:
    """The live snapshot, or None when nothing has been published yet."""
    snapshot_id = current_id(snapshots)
    if snapshot_id is None:
        return None
    folder = snapshots / snapshot_id
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(
            f"{snapshots / CURRENT_POINTER} names snapshot {snapshot_id}, which is missing; "
            "run the pipeline to publish a new one"
        ) from None
    return Snapshot(folder, manifest)


def record_blocked(
    snapshots: Path, reasons: list[dict], check_results: list[dict], now: dt.datetime | None = None
) -> Path:
    """Record a publish that quality checks stopped; the live snapshot is left alone."""
    now = now or dt.datetime.now(dt.UTC)
    folder = snapshots / BLOCKED
    folder.mkdir(parents=True, exist_ok=True)
    attempt = {
        "attempt_id": new_snapshot_id(now),
        "attempted_at": now.isoformat(),
        "live_snapshot_id": current_id(snapshots),
        "reasons": reasons,
        "check_results": check_results,
    }
    target = folder / f"{attempt['attempt_id']}.json"
    temporary = folder / f".{target.name}.tmp"
    temporary.write_text(json.dumps(attempt, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)
    return target


def blocked_attempts(snapshots: Path) -> list[dict]:
    """Every recorded blocked publish, newest first."""
    folder = snapshots / BLOCKED
    if not folder.is_dir():
        return []
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.json"), reverse=True)
    ]
