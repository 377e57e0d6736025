"""Landing sensor: a run for every feed day whose files are new or changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orch_assets.contracts import FEEDS
from orch_assets.defs.ingest.assets import lake_key
from orch_assets.ingest.core import landing_format
from orch_assets.settings import load_settings


def partition_fingerprints(landing: Path) -> dict[str, str]:
    """`feed/date` -> hash of the names, sizes and modification times of its landing files."""
    fingerprints: dict[str, str] = {}
    for feed in FEEDS:
        folder = landing / feed
        if not folder.is_dir():
            continue
        for partition in sorted(folder.glob("date=*")):
            files = sorted(
                p
                for p in partition.iterdir()
                if p.is_file() and not p.name.startswith((".", "_")) and landing_format(p)
            )
            if not files:
                continue
            digest = hashlib.sha256()
            for path in files:
                stat = path.stat()
                digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
            fingerprints[f"{feed}/{partition.name.removeprefix('date=')}"] = digest.hexdigest()[:16]
    return fingerprints


def changed_partitions(
    previous: dict[str, str], current: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(feed, day, fingerprint) for every partition that is new or whose files changed."""
    changed = []
    for key, fingerprint in sorted(current.items()):
        if previous.get(key) != fingerprint:
            feed, day = key.split("/", 1)
            changed.append((feed, day, fingerprint))
    return changed


@dg.sensor(
    name="landing_sensor",
    minimum_interval_seconds=60,
    asset_selection=[lake_key(feed) for feed in FEEDS],
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests ingestion of each feed day whose landing files are new or changed.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    landing = load_settings().landing
    previous = json.loads(context.cursor) if context.cursor else {}
    current = partition_fingerprints(landing)
    changed = changed_partitions(previous, current)
    requests = [
        dg.RunRequest(
            run_key=f"{feed}:{day}:{fingerprint}",
            partition_key=day,
            asset_selection=[lake_key(feed)],
            tags={"orch/trigger": "landing"},
        )
        for feed, day, fingerprint in changed
    ]
    if requests:
        context.log.info(f"{len(requests)} feed partitions new or changed under {landing}")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True))
