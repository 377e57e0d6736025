"""SLOs as data: the OpenSLO-like file `slos/slos.yaml` and the models that check it.

Each YAML document in the file is one SLO:

```yaml
apiVersion: openslo/v1
kind: SLO
metadata: {name: promise_latency, displayName: Promise within 300 ms}
spec:
  service: promise-engine
  description: ...
  indicator:
    ratioMetric:
      good: {series: orders_promised_within_threshold, description: ...}
      total: {series: orders, description: ...}
    threshold: {column: promise_latency_ms, atMost: 300, unit: ms}
  objectives: [{target: 0.99}]
  timeWindow: [{duration: 30d, isRolling: true}]
  alertPolicies:   # optional; the SRE workbook policy scaled to the window when left out
    # minBadEvents and confidence are optional evidence to ask for (see AlertCondition)
    - {name: fast_burn, severity: page, factor: 14.4, longWindow: 1h, shortWindow: 5m,
       minBadEvents: 4}
```

`good` and `total` name the SLI event series the warehouse counts per minute; the burn-rate
code only ever sees those counts. `threshold` is the number that decides whether an event is
good, kept here so the warehouse and the rollback rules read it from one place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from orch_assets.settings import REPO_ROOT
from orch_assets.slo.loading import (
    NAME_PATTERN,
    ConfigFileError,
    Duration,
    StrictModel,
    describe_validation_error,
    format_duration,
    read_yaml_documents,
    whole_minutes,
)

DEFAULT_SLO_PATH = REPO_ROOT / "slos" / "slos.yaml"
Severity = Literal["page", "ticket"]

# Google SRE workbook, "Alerting on SLOs", multiwindow multi-burn-rate policy for a 30-day
# window: (name, severity, burn factor, long window, short window). A 14.4x burn spends 2% of
# the budget in one hour, 6x spends 5% in six hours, 1x spends 10% in three days.
WORKBOOK_WINDOW = dt.timedelta(days=30)
WORKBOOK_POLICY: tuple[tuple[str, Severity, float, dt.timedelta, dt.timedelta], ...] = (
    ("fast_burn", "page", 14.4, dt.timedelta(hours=1), dt.timedelta(minutes=5)),
    ("slow_burn", "page", 6.0, dt.timedelta(hours=6), dt.timedelta(minutes=30)),
    ("budget_drain", "ticket", 1.0, dt.timedelta(days=3), dt.timedelta(hours=6)),
)


class SloSpecError(ConfigFileError):
    """An SLO file that cannot be used; the message names the file, the SLO and the field."""


class _OpenSloModel(StrictModel):
    # OpenSLO spells fields in camelCase; the models keep snake_case attributes.
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class Metadata(_OpenSloModel):
    name: str = Field(pattern=NAME_PATTERN)
    display_name: str


class SeriesRef(_OpenSloModel):
    """An SLI event series, counted per minute by the warehouse."""

    series: str = Field(pattern=NAME_PATTERN)
    description: str


class RatioMetric(_OpenSloModel):
    good: SeriesRef
    total: SeriesRef


class Threshold(_OpenSloModel):
    """The bound that makes one event good: `column` at most `at_most` `unit`."""

    column: str
    at_most: float = Field(gt=0)
    unit: str


class Indicator(_OpenSloModel):
    ratio_metric: RatioMetric
    threshold: Threshold | None = None


class Objective(_OpenSloModel):
    display_name: str | None = None
    target: float

    @field_validator("target")
    @classmethod
    def _target_is_a_share(cls, target: float) -> float:
        if not 0.0 < target < 1.0:
            raise ValueError(
                f"target {target!r} must lie strictly between 0 and 1; write 99% as 0.99"
            )
        return target


class TimeWindow(_OpenSloModel):
    duration: Duration
    is_rolling: bool

    @field_validator("is_rolling")
    @classmethod
    def _rolling_only(cls, is_rolling: bool) -> bool:
        if not is_rolling:
            raise ValueError("only rolling windows are supported; set isRolling: true")
        return is_rolling


class AlertCondition(_OpenSloModel):
    """Fire when the burn rate over both windows is at least `factor`.

    Two optional fields ask for evidence before a condition holds, for segments too quiet for
    the workbook's rule (which, the default, asks for neither):

    - `min_bad_events` (`minBadEvents`): at least that many bad events in the long window. In
      a quiet segment one or two slow promises in an hour of twenty orders already burn at
      14.4x; requiring four keeps a segment that meets its target from paging on chance (four
      bad events in 27 at a 1% bad rate has a chance under 2 in 10,000).
    - `confidence`: the long window's bad share must exceed `factor` times the budget with
      this one-sided confidence (its Wilson lower bound reaches the bar). A 1x condition sits
      at the budget itself, where a few hundred events of noise cross it without any fault.
    """

    name: str = Field(pattern=NAME_PATTERN)
    severity: Severity
    factor: float = Field(gt=0)
    long_window: Duration
    short_window: Duration
    min_bad_events: int = Field(default=0, ge=0)
    confidence: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _short_inside_long(self) -> AlertCondition:
        if self.short_window >= self.long_window:
            raise ValueError(
                f"shortWindow {format_duration(self.short_window)} must be shorter than "
                f"longWindow {format_duration(self.long_window)}"
            )
        return self

    @property
    def window_pair(self) -> str:
        """The windows as the file writes them, as in `1h/5m`."""
        return f"{format_duration(self.long_window)}/{format_duration(self.short_window)}"


class SloSpec(_OpenSloModel):
    service: str
    description: str
    indicator: Indicator
    objectives: list[Objective] = Field(min_length=1, max_length=1)
    time_window: list[TimeWindow] = Field(min_length=1, max_length=1)
    alert_policies: list[AlertCondition] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _alert_windows_fit(self) -> SloSpec:
        window = self.time_window[0].duration
        for condition in self.alert_policies or ():
            if condition.long_window > window:
                raise ValueError(
                    f"alert policy {condition.name}: longWindow "
                    f"{format_duration(condition.long_window)} is longer than the SLO's "
                    f"timeWindow {format_duration(window)}; shorten it"
                )
        names = [condition.name for condition in self.alert_policies or ()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"alertPolicies name {', '.join(repeated)} more than once")
        return self


class Slo(_OpenSloModel):
    """One service level objective, as one document of the SLO file."""

    api_version: Literal["openslo/v1"]
    kind: Literal["SLO"]
    metadata: Metadata
    spec: SloSpec

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def target(self) -> float:
        return self.spec.objectives[0].target

    @property
    def error_budget(self) -> float:
        """The share of events allowed to be bad, `1 - target`, without float noise."""
        # 1 - 0.99 in floats is 0.010000000000000009; a burn of exactly 2x must read 2.0.
        return float(Decimal(1) - Decimal(repr(self.target)))

    @property
    def window(self) -> dt.timedelta:
        return self.spec.time_window[0].duration

    @property
    def alert_conditions(self) -> tuple[AlertCondition, ...]:
        """The file's alert policies, or the workbook policy scaled to this SLO's window."""
        if self.spec.alert_policies:
            return tuple(self.spec.alert_policies)
        return default_alert_conditions(self.window)


def default_alert_conditions(window: dt.timedelta) -> tuple[AlertCondition, ...]:
    """The SRE workbook multiwindow multi-burn-rate policy, windows scaled to an SLO window.

    The workbook's windows are for 30 days; a 7-day SLO keeps the burn factors (each still
    spends the same share of its budget) and scales the windows by 7/30, so 1h becomes 14m.
    Scaled windows are rounded to the nearest minute, and never below one minute.

    Args:
        window: The SLO's rolling window.

    Returns:
        The three conditions: page fast burn, page slow burn, ticket.
    """
    ratio = Fraction(whole_minutes(window), whole_minutes(WORKBOOK_WINDOW))

    def scaled(base: dt.timedelta) -> dt.timedelta:
        minutes = ratio * whole_minutes(base)
        # Round half up in exact arithmetic; float rounding would move some windows a minute.
        return dt.timedelta(minutes=max(1, int(minutes + Fraction(1, 2))))

    return tuple(
        AlertCondition(
            name=name,
            severity=severity,
            factor=factor,
            long_window=scaled(long_window),
            short_window=scaled(short_window),
        )
        for name, severity, factor, long_window, short_window in WORKBOOK_POLICY
    )


def load_slos(path: str | Path = DEFAULT_SLO_PATH) -> dict[str, Slo]:
    """Read and check an SLO file: one YAML document per SLO.

    Args:
        path: The SLO file.

    Returns:
        The SLOs by name, in file order.

    Raises:
        SloSpecError: One message naming the file, the document, the field and what is allowed.
    """
    path = Path(path)
    try:
        documents = read_yaml_documents(path, "SLO file")
    except ConfigFileError as error:
        raise SloSpecError(str(error)) from None
    slos: dict[str, Slo] = {}
    for number, document in enumerate(documents, start=1):
        where = f"document {number}"
        if isinstance(document, dict):
            name = (document.get("metadata") or {}).get("name")
            where = f"document {number} ({name})," if name else f"document {number},"
        else:
            raise SloSpecError(f"{path}: {where}: expected a mapping with apiVersion: openslo/v1")
        try:
            slo = Slo.model_validate(document)
        except ValidationError as error:
            raise SloSpecError(describe_validation_error(path, error, Slo, where)) from None
        if slo.name in slos:
            raise SloSpecError(
                f"{path}: {where} field metadata.name: {slo.name!r} is already defined by an "
                "earlier document; give each SLO its own name"
            )
        slos[slo.name] = slo
    return slos
