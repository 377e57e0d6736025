"""Send alert episodes and rollback firings through pluggable sinks, each one exactly once.

A `Notifier` takes anything with a `notification_id` and a `to_record()` (an `AlertEpisode`,
a `RollbackFiring`) and hands each record to every sink: `LogSink` (python logging),
`JsonlFileSink` (one JSON object per line) or `WebhookSink` (JSON POST with retries).

Evaluation runs every few minutes and finds the same episode each time; a person should
hear of it once. The notifier keeps, in a small JSON state file, the ids each sink has
delivered, and skips them. A delivery that fails is not marked, so the next run tries that
sink again while the sinks that succeeded stay quiet. A failing sink never raises: its
failure is logged and returned in the report, and the run goes on.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

log = logging.getLogger(__name__)
STATE_VERSION = 1


class NotifierStateError(ValueError):
    """A notifier state file that cannot be read."""


class Notification(Protocol):
    """What the notifier sends: a stable id and a JSON-ready record."""

    @property
    def notification_id(self) -> str: ...

    def to_record(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Delivery:
    """What one sink did with one record."""

    ok: bool
    attempts: int = 1
    error: str | None = None


class Sink(Protocol):
    """A place notifications go. `deliver` reports failure in its result instead of raising."""

    name: str

    def deliver(self, record: Mapping[str, Any]) -> Delivery: ...


@dataclass(frozen=True)
class DeliveryOutcome:
    """One notification at one sink: delivered, failed, or skipped as already delivered."""

    notification_id: str
    status: Literal["delivered", "failed", "skipped"]
    attempts: int = 0
    error: str | None = None


@dataclass
class SinkReport:
    """Everything one sink did in one `notify` call."""

    sink: str
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def ids(self, status: str) -> list[str]:
        """The notification ids with the given status."""
        return [o.notification_id for o in self.outcomes if o.status == status]

    @property
    def delivered(self) -> list[str]:
        return self.ids("delivered")

    @property
    def failed(self) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def skipped(self) -> list[str]:
        return self.ids("skipped")


class LogSink:
    """Write each notification as one log line (its summary) through python logging."""

    def __init__(
        self, name: str = "log", logger: logging.Logger | None = None, level: int = logging.WARNING
    ) -> None:
        self.name = name
        self.logger = logger or log
        self.level = level

    def deliver(self, record: Mapping[str, Any]) -> Delivery:
        self.logger.log(
            self.level,
            "%s %s: %s",
            record.get("kind", "notification"),
            record.get("notification_id"),
            record.get("summary", json.dumps(record, sort_keys=True, default=str)),
        )
        return Delivery(ok=True)


class JsonlFileSink:
    """Append each notification to a file as one JSON object per line."""

    def __init__(self, path: str | Path, name: str = "file") -> None:
        self.name = name
        self.path = Path(path)

    def deliver(self, record: Mapping[str, Any]) -> Delivery:
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as error:
            return Delivery(ok=False, error=f"cannot append to {self.path}: {error}")
        return Delivery(ok=True)


class WebhookSink:
    """POST each notification as JSON; retry transport errors, 429 and 5xx with backoff.

    Other 4xx answers are not retried: the receiver rejected the payload and will again.
    Errors name the sink, not the URL, because webhook URLs often carry a token.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str = "webhook",
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Set up a webhook sink.

        Args:
            url: Where to POST.
            name: The sink's name in reports and state.
            timeout: Seconds allowed for connecting, and for each read and write.
            attempts: Tries per notification, at least 1.
            backoff: Seconds before the second try; doubled before each later one.
            headers: Extra request headers (an authorization token, say).
            sleep: How to wait between tries; tests pass a recorder.
        """
        if attempts < 1 or timeout <= 0 or backoff < 0:
            raise ValueError(
                f"webhook {name}: attempts={attempts}, timeout={timeout}, backoff={backoff}; "
                "attempts must be at least 1, timeout above 0 and backoff not negative"
            )
        self.name = name
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.headers = dict(headers or {})
        self.sleep = sleep

    def deliver(self, record: Mapping[str, Any]) -> Delivery:
        error = ""
        with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
            for attempt in range(1, self.attempts + 1):
                try:
                    response = client.post(self.url, json=dict(record))
                except httpx.HTTPError as failure:
                    error = f"webhook {self.name}: {type(failure).__name__} ({failure})"
                else:
                    if response.is_success:
                        return Delivery(ok=True, attempts=attempt)
                    error = f"webhook {self.name}: HTTP {response.status_code}"
                    if not _worth_retrying(response.status_code):
                        return Delivery(ok=False, attempts=attempt, error=error)
                if attempt < self.attempts:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
        return Delivery(ok=False, attempts=self.attempts, error=error)


def _worth_retrying(status: int) -> bool:
    return status == 429 or status >= 500


class Notifier:
    """Deliver each notification once to every sink, remembering deliveries in a state file."""

    def __init__(self, sinks: Sequence[Sink], state_path: str | Path) -> None:
        """Set up a notifier.

        Args:
            sinks: Where notifications go; names must be unique (they key the state).
            state_path: JSON file of delivered ids per sink; created on first delivery.
        """
        names = [sink.name for sink in sinks]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"sink name(s) {', '.join(repeated)} used more than once; give each sink its "
                "own name, since delivered ids are remembered per sink"
            )
        self.sinks = list(sinks)
        self.state_path = Path(state_path)

    def notify(self, notifications: Iterable[Notification]) -> dict[str, SinkReport]:
        """Send what each sink has not delivered yet.

        Args:
            notifications: Alert episodes, rollback firings, or anything with a
                `notification_id` and a `to_record()`. Repeats within the call count once.

        Returns:
            A report per sink name: what was delivered, skipped as sent before, or failed.

        Raises:
            NotifierStateError: The state file exists but cannot be read; sending anyway
                could repeat every notification ever sent.
        """
        sent = self._load_state()
        pending = {item.notification_id: item for item in notifications}
        reports = {sink.name: SinkReport(sink.name) for sink in self.sinks}
        for notification_id, item in pending.items():
            record = {"notification_id": notification_id, **item.to_record()}
            for sink in self.sinks:
                delivered = sent.setdefault(sink.name, set())
                if notification_id in delivered:
                    outcome = DeliveryOutcome(notification_id, "skipped")
                else:
                    outcome = self._deliver(sink, notification_id, record)
                    if outcome.status == "delivered":
                        delivered.add(notification_id)
                reports[sink.name].outcomes.append(outcome)
        self._save_state(sent)
        for report in reports.values():
            log.info(
                "notified via %s: %d delivered, %d already sent, %d failed",
                report.sink,
                len(report.delivered),
                len(report.skipped),
                len(report.failed),
            )
        return reports

    def _deliver(self, sink: Sink, notification_id: str, record: dict[str, Any]) -> DeliveryOutcome:
        try:
            delivery = sink.deliver(record)
        # Any sink, including one written elsewhere, may have a bug; it must not stop the run.
        except Exception as error:
            delivery = Delivery(ok=False, error=f"sink {sink.name} raised {error!r}")
        if delivery.ok:
            return DeliveryOutcome(notification_id, "delivered", delivery.attempts)
        log.warning(
            "could not deliver %s via %s after %d attempt(s): %s; it will be retried next run",
            notification_id,
            sink.name,
            delivery.attempts,
            delivery.error,
        )
        return DeliveryOutcome(notification_id, "failed", delivery.attempts, delivery.error)

    def _load_state(self) -> dict[str, set[str]]:
        try:
            raw = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise NotifierStateError(
                f"{self.state_path}: cannot read notifier state ({error}). Repair the file, "
                "or delete it to send every current notification again."
            ) from None
        sent = raw.get("sent") if isinstance(raw, dict) else None
        if not isinstance(sent, dict) or not all(isinstance(v, list) for v in sent.values()):
            raise NotifierStateError(
                f"{self.state_path}: expected {{'sent': {{sink: [ids]}}}}, got {raw!r:.80}. "
                "Delete it to send every current notification again."
            )
        return {sink: set(ids) for sink, ids in sent.items()}

    def _save_state(self, sent: dict[str, set[str]]) -> None:
        state = {"version": STATE_VERSION, "sent": {k: sorted(v) for k, v in sent.items()}}
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a crash leaves the old state, not half a file.
        handle, temporary = tempfile.mkstemp(
            dir=self.state_path.parent, prefix=self.state_path.name, suffix=".tmp"
        )
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(state, stream, indent=1)
        os.replace(temporary, self.state_path)
