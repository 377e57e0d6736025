"""SLOs, burn-rate alerts, rollback triggers, notification and rollout impact.

Pure Python over pandas frames: the warehouse supplies the frames and the orchestrator
decides when to run; nothing here knows about either.

- `spec`: the SLO file (`slos/slos.yaml`) and its models.
- `burn`: error rate, burn rate, error budget and alert episodes from minute SLI counts.
- `rollback`: rollback rules (`slos/rollback_rules.yaml`) and their firings.
- `notify`: the notifier and its log, JSON-lines file and webhook sinks.
- `rollout`: difference in differences of a rule-set release.
"""

from orch_assets.slo.burn import (
    AlertEpisode,
    SliFrameError,
    budget_burndown,
    burn_rate,
    burn_rate_series,
    episodes_frame,
    error_budget,
    evaluate_alerts,
    merge_episodes,
)
from orch_assets.slo.loading import ConfigFileError
from orch_assets.slo.notify import (
    JsonlFileSink,
    LogSink,
    Notifier,
    NotifierStateError,
    SinkReport,
    WebhookSink,
)
from orch_assets.slo.rollback import (
    RollbackFiring,
    RollbackInputError,
    RollbackRule,
    RollbackRuleError,
    evaluate_rollback_rules,
    firings_frame,
    load_rollback_rules,
)
from orch_assets.slo.rollout import RolloutFrameError, RolloutImpact, rollout_impact
from orch_assets.slo.spec import Slo, SloSpecError, default_alert_conditions, load_slos

__all__ = [
    "AlertEpisode",
    "ConfigFileError",
    "JsonlFileSink",
    "LogSink",
    "Notifier",
    "NotifierStateError",
    "RollbackFiring",
    "RollbackInputError",
    "RollbackRule",
    "RollbackRuleError",
    "RolloutFrameError",
    "RolloutImpact",
    "SinkReport",
    "SliFrameError",
    "Slo",
    "SloSpecError",
    "WebhookSink",
    "budget_burndown",
    "burn_rate",
    "burn_rate_series",
    "default_alert_conditions",
    "episodes_frame",
    "error_budget",
    "evaluate_alerts",
    "evaluate_rollback_rules",
    "firings_frame",
    "load_rollback_rules",
    "load_slos",
    "merge_episodes",
    "rollout_impact",
]
