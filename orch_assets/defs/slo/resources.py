"""The notifier as a Dagster resource: which sinks alert notifications go to, from config.

Every notification is logged. It is also appended to a JSON-lines file (default
`$ORCH_DATA_DIR/alerts/notifications.jsonl`) unless the path is empty, and POSTed to a
webhook when the environment variable named by `webhook_url_env` (default
`ORCH_ALERT_WEBHOOK_URL`) holds a URL. The URL is read from the environment when notifying,
never stored in run config, because webhook URLs often carry a token.

The state file remembers which notification ids each sink has delivered, so an episode found
again by every later evaluation is sent once.
"""

from __future__ import annotations

import logging
import os

import dagster as dg

from orch_assets.settings import load_settings
from orch_assets.slo import JsonlFileSink, LogSink, Notifier, WebhookSink
from orch_assets.slo.notify import Sink

WEBHOOK_URL_ENV = "ORCH_ALERT_WEBHOOK_URL"
LOG_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}


class NotifierResource(dg.ConfigurableResource):
    """Alert notification sinks: the log always, a JSON-lines file, and an optional webhook."""

    state_path: str
    jsonl_path: str = ""
    webhook_url_env: str = WEBHOOK_URL_ENV
    log_level: str = "WARNING"

    @classmethod
    def from_settings(cls) -> NotifierResource:
        alerts = load_settings().data / "alerts"
        return cls(
            state_path=str(alerts / "notifier_state.json"),
            jsonl_path=str(alerts / "notifications.jsonl"),
        )

    def sinks(self, logger: logging.Logger | None = None) -> list[Sink]:
        """The configured sinks, the webhook only when its environment variable is set."""
        if self.log_level not in LOG_LEVELS:
            raise ValueError(
                f"log_level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}; "
                "set it to WARNING to log alerts as warnings"
            )
        sinks: list[Sink] = [LogSink(logger=logger, level=LOG_LEVELS[self.log_level])]
        if self.jsonl_path:
            sinks.append(JsonlFileSink(self.jsonl_path))
        url = os.environ.get(self.webhook_url_env, "").strip()
        if url:
            sinks.append(WebhookSink(url))
        return sinks

    def notifier(self, logger: logging.Logger | None = None) -> Notifier:
        """A notifier over the configured sinks, deduplicating through the state file."""
        return Notifier(self.sinks(logger), self.state_path)
