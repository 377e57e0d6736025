"""The alert sensor: every new alert episode and rollback firing, sent once through the notifier.

Each tick reads `main.slo_alert_episodes` and `main.rollback_firings` read-only and hands the
rows whose ids are not in its cursor to the notifier. The cursor holds the ids every sink has
taken (delivered now, or found in the notifier's state as delivered before), pruned to the
ids still in the tables; a delivery that failed stays out of it and is tried again next tick.
The notifier's state file is the second guard: with the cursor reset, nothing is sent twice.

A running dbt build holds the warehouse's write lock; a tick that meets it skips with a log
line and leaves the cursor as it was. An episode is told once, when it is first found; its
resolution is in the table, not sent.

NOTE: the first tick after the sensor is turned on sends every episode and firing in the
history; a start-from time in the cursor, set when it is first enabled, would skip that
backlog.
"""

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from orch_assets.defs.slo.resources import NotifierResource
from orch_assets.defs.slo.warehouse import (
    WarehouseLockedError,
    WarehouseMissingError,
    fetch_frame,
    read_only,
)
from orch_assets.settings import load_settings
from orch_assets.slo import AlertEpisode

EPISODE_FIELDS = [field.name for field in fields(AlertEpisode)]


@dataclass(frozen=True)
class StoredNotification:
    """A notification rebuilt from a warehouse row: its id and the record sinks receive."""

    notification_id: str
    record: dict[str, Any]

    def to_record(self) -> dict[str, Any]:
        return dict(self.record)


def _timestamp(value: Any) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value).tz_convert("UTC")


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def episode_notifications(episodes: pd.DataFrame) -> list[StoredNotification]:
    """Alert episodes as the notifier sends them (the records `AlertEpisode` writes)."""
    found = []
    for row in episodes.to_dict("records"):
        episode = AlertEpisode(
            **{
                **{name: row[name] for name in EPISODE_FIELDS},
                "started_at": _timestamp(row["started_at"]),
                "resolved_at": _timestamp(row["resolved_at"]),
                "factor": float(row["factor"]),
                "peak_burn_rate": float(row["peak_burn_rate"]),
            }
        )
        found.append(StoredNotification(episode.notification_id, episode.to_record()))
    return found


def firing_notifications(firings: pd.DataFrame) -> list[StoredNotification]:
    """Rollback firings as the notifier sends them (the records `RollbackFiring` writes)."""
    found = []
    for row in firings.to_dict("records"):
        ended = _timestamp(row["ended_at"])
        record = {
            "kind": "rollback_trigger",
            "firing_id": row["firing_id"],
            "rule": row["rule"],
            "segment": row["segment"],
            "rule_set_version": row["rule_set_version"],
            "started_at": _timestamp(row["started_at"]).isoformat(),
            "fired_at": _timestamp(row["fired_at"]).isoformat(),
            "ended_at": None if ended is None else ended.isoformat(),
            "observed": _number(row["observed"]),
            "threshold": _number(row["threshold"]),
            "baseline": _number(row["baseline"]),
            "unit": row["unit"],
            "summary": row["summary"],
        }
        found.append(StoredNotification(row["firing_id"], record))
    return found


def read_notifications(warehouse: Path) -> list[StoredNotification]:
    """Every alert episode and rollback firing in the warehouse, as notifications."""
    with read_only(warehouse) as con:
        episodes = fetch_frame(
            con, "select * from main.slo_alert_episodes order by started_at", "slo_alert_episodes"
        )
        firings = fetch_frame(
            con, "select * from main.rollback_firings order by fired_at", "rollback_firings"
        )
    return episode_notifications(episodes) + firing_notifications(firings)


def _cursor_ids(cursor: str | None) -> set[str]:
    if not cursor:
        return set()
    return set(json.loads(cursor).get("sent", []))


@dg.sensor(
    name="slo_alert_sensor",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Sends each new SLO alert episode and rollback firing once through the notifier.",
)
def slo_alert_sensor(
    context: dg.SensorEvaluationContext, notifier: NotifierResource
) -> dg.SensorResult | dg.SkipReason:
    warehouse = load_settings().warehouse_file
    try:
        current = read_notifications(warehouse)
    except WarehouseLockedError as error:
        context.log.info(f"skipping this tick, the warehouse is locked: {error}")
        return dg.SkipReason(f"warehouse locked: {error}")
    except WarehouseMissingError as error:
        return dg.SkipReason(str(error))

    present = {item.notification_id for item in current}
    sent = _cursor_ids(context.cursor) & present
    pending = [item for item in current if item.notification_id not in sent]
    if not pending:
        cursor = json.dumps({"sent": sorted(sent)})
        return dg.SensorResult(
            skip_reason="no new alert episodes or rollback firings", cursor=cursor
        )

    reports = notifier.notifier(context.log).notify(pending)
    failed = {o.notification_id for report in reports.values() for o in report.failed}
    delivered = {i for report in reports.values() for i in report.delivered}
    taken = {item.notification_id for item in pending} - failed
    context.log.info(
        f"{len(pending)} new notifications: {len(delivered)} delivered by some sink, "
        f"{len(taken - delivered)} already sent before, {len(failed)} to retry next tick"
    )
    return dg.SensorResult(cursor=json.dumps({"sent": sorted(sent | taken)}))
