"""Rollback triggers as rules: `slos/rollback_rules.yaml` and the evaluation of each rule.

A rule reads one minute-resolution frame per segment (a region, a node) and fires when a
routing rule set has made things measurably worse there. Every firing names the rule-set
version in force in that segment when it fired, which is the version to roll back.

Input frames, named by each rule's `input`:

| column | type | meaning |
| --- | --- | --- |
| `segment` | string | where it was measured |
| `minute` | tz-aware timestamp | start of the minute |
| `rule_set_version` | string | routing rule set in force in that segment in that minute |
| the rule's `column` | float | the measure (`p95_latency_ms`, `mean_open_age_minutes`) |
| the rule's `weight_column` | float | baseline_ratio only: each minute's weight (open count) |

Two kinds of rule:

- `sustained_above`: the value is above the threshold in every one of `sustain` consecutive
  minutes. It fires at the end of the last of those minutes, once per unbroken stretch. A
  minute without a row breaks the stretch: no measurement is no evidence of a breach.
- `baseline_ratio`: the weighted mean over the last `window` is at least `factor` times the
  weighted mean over the `baseline` just before it. Evaluated every `step` (on instants that
  are multiples of the step since the epoch) once a full baseline lies behind; one firing per
  contiguous stretch of holding evaluations. The exception-aging rule uses the mean age of
  open exceptions weighted by how many were open, rather than the open count, because age is
  what a stalled queue grows even when few exceptions arrive. A window whose total weight is
  under `min_window_weight` (for exception aging: open exception-minutes) is too little to
  judge: one slow exception in a quiet hour is not a stalled queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

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
from orch_assets.slo.minutes import (
    MinuteCube,
    MinuteFrameError,
    at_least,
    evaluation_grid,
    minute_numbers,
    require_columns,
    runs,
    timestamp,
)
from orch_assets.slo.spec import Slo, load_slos

DEFAULT_RULES_PATH = REPO_ROOT / "slos" / "rollback_rules.yaml"
INPUT_COLUMNS = ("segment", "minute", "rule_set_version")
RECORD_COLUMNS = (
    "kind",
    "firing_id",
    "rule",
    "segment",
    "rule_set_version",
    "started_at",
    "fired_at",
    "ended_at",
    "observed",
    "threshold",
    "baseline",
    "unit",
    "summary",
)


class RollbackRuleError(ConfigFileError):
    """A rollback-rule file that cannot be used; the message names the file and the field."""


class RollbackInputError(MinuteFrameError):
    """A rollback rule's input frame that is missing or cannot be read."""


class SustainedAboveRule(StrictModel):
    """Fire when `column` stays above a threshold for `sustain` consecutive minutes."""

    kind: Literal["sustained_above"]
    name: str = Field(pattern=NAME_PATTERN)
    description: str
    input: str
    column: str
    unit: str
    sustain: Duration
    slo: str | None = None
    threshold: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _threshold_from_slo(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("slo") is None:
            return data
        if data.get("threshold") is not None:
            raise ValueError(
                "give threshold or slo, not both; slo takes the threshold from the SLO file"
            )
        slo = _context_slos(info).get(data["slo"])
        if slo is not None and slo.spec.indicator.threshold is not None:
            return {**data, "threshold": slo.spec.indicator.threshold.at_most}
        return data

    @field_validator("slo")
    @classmethod
    def _slo_has_threshold(cls, name: str | None, info: ValidationInfo) -> str | None:
        if name is None:
            return name
        slos = _context_slos(info)
        if name not in slos:
            raise ValueError(f"unknown SLO {name!r}; the SLO file defines {', '.join(slos)}")
        threshold = slos[name].spec.indicator.threshold
        if threshold is None:
            raise ValueError(
                f"SLO {name!r} has no spec.indicator.threshold to compare against; "
                "give threshold instead"
            )
        if info.data.get("unit") not in (None, threshold.unit):
            raise ValueError(
                f"unit {info.data['unit']!r} differs from SLO {name!r}'s threshold unit "
                f"{threshold.unit!r}; use {threshold.unit!r}"
            )
        return name

    @model_validator(mode="after")
    def _threshold_known(self) -> SustainedAboveRule:
        if self.threshold is None:
            raise ValueError("needs threshold (a number) or slo (an SLO with a threshold)")
        return self


class BaselineRatioRule(StrictModel):
    """Fire when the windowed mean of `column` reaches `factor` times its trailing baseline."""

    kind: Literal["baseline_ratio"]
    name: str = Field(pattern=NAME_PATTERN)
    description: str
    input: str
    column: str
    weight_column: str
    unit: str
    window: Duration
    baseline: Duration
    factor: float = Field(gt=1)
    min_baseline: float = Field(default=0.0, ge=0)
    step: Duration = dt.timedelta(minutes=5)
    min_window_weight: float = Field(default=0.0, ge=0)


RollbackRule = SustainedAboveRule | BaselineRatioRule


class RollbackRuleFile(StrictModel):
    """The rule file: a list of rules, each told apart by its `kind`."""

    rules: list[Annotated[RollbackRule, Field(discriminator="kind")]] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_unique(self) -> RollbackRuleFile:
        names = [rule.name for rule in self.rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rules name {', '.join(repeated)} more than once")
        return self


@dataclass(frozen=True)
class Evidence:
    """What a rule saw when it fired."""

    observed: float
    threshold: float
    baseline: float | None
    unit: str
    summary: str


@dataclass(frozen=True)
class RollbackFiring:
    """One firing of one rule in one segment, naming the rule-set version to roll back."""

    firing_id: str
    rule: str
    segment: str
    rule_set_version: str
    started_at: pd.Timestamp
    fired_at: pd.Timestamp
    ended_at: pd.Timestamp | None
    evidence: Evidence

    @property
    def notification_id(self) -> str:
        return self.firing_id

    @property
    def summary(self) -> str:
        return (
            f"roll back {self.rule_set_version} in {self.segment} ({self.rule}): "
            f"{self.evidence.summary}"
        )

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready record, timestamps in ISO 8601."""
        return {
            "kind": "rollback_trigger",
            "firing_id": self.firing_id,
            "rule": self.rule,
            "segment": self.segment,
            "rule_set_version": self.rule_set_version,
            "started_at": self.started_at.isoformat(),
            "fired_at": self.fired_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "observed": self.evidence.observed,
            "threshold": self.evidence.threshold,
            "baseline": self.evidence.baseline,
            "unit": self.evidence.unit,
            "summary": self.summary,
        }


def load_rollback_rules(
    path: str | Path = DEFAULT_RULES_PATH, slos: Mapping[str, Slo] | None = None
) -> tuple[RollbackRule, ...]:
    """Read and check a rollback-rule file.

    Args:
        path: The rule file.
        slos: SLOs a rule may take its threshold from; None reads the default SLO file.

    Returns:
        The rules in file order, thresholds taken from their SLOs resolved.

    Raises:
        RollbackRuleError: One message naming the file, the field and what is allowed.
    """
    path = Path(path)
    slos = load_slos() if slos is None else slos
    try:
        documents = read_yaml_documents(path, "rollback-rule file")
    except ConfigFileError as error:
        raise RollbackRuleError(str(error)) from None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise RollbackRuleError(f"{path}: expected one YAML mapping with a `rules:` list.")
    try:
        parsed = RollbackRuleFile.model_validate(documents[0], context={"slos": slos})
    except ValidationError as error:
        raise RollbackRuleError(describe_validation_error(path, error, RollbackRuleFile)) from None
    return tuple(parsed.rules)


def evaluate_rollback_rules(
    rules: Sequence[RollbackRule], frames: Mapping[str, pd.DataFrame]
) -> list[RollbackFiring]:
    """Evaluate every rule against the frame its `input` names.

    Args:
        rules: Rules from `load_rollback_rules`.
        frames: Input frames by name (see the module docstring for their columns).

    Returns:
        Firings of all rules, ordered by rule, segment and firing time.

    Raises:
        RollbackInputError: A rule's input frame is missing or lacks a column it needs.
    """
    firings: list[RollbackFiring] = []
    for rule in rules:
        if rule.input not in frames:
            raise RollbackInputError(
                f"rule {rule.name} reads input {rule.input!r}, which was not passed; "
                f"passed: {', '.join(frames) or 'none'}. Add it to frames."
            )
        if isinstance(rule, SustainedAboveRule):
            firings.extend(evaluate_sustained_above(rule, frames[rule.input]))
        else:
            firings.extend(evaluate_baseline_ratio(rule, frames[rule.input]))
    return firings


def evaluate_sustained_above(rule: SustainedAboveRule, frame: pd.DataFrame) -> list[RollbackFiring]:
    """Firings of a sustained_above rule: one per unbroken stretch at least `sustain` long."""
    data = _input(rule.input, frame, [rule.column])
    if data.empty:
        return []
    threshold = float(rule.threshold)  # set by the model: from the file or from the SLO
    sustain = whole_minutes(rule.sustain)
    segment = data["segment"]
    segments, numbers = segment.to_numpy(), data["number"].to_numpy()
    above = data["value"].to_numpy() > threshold
    follows = np.zeros(len(data), dtype=bool)
    follows[1:] = (segments[1:] == segments[:-1]) & (np.diff(numbers) == 1) & above[:-1]
    # A stretch starts at every row that does not continue an above-threshold stretch.
    stretch = np.cumsum(~(above & follows))
    position = data.groupby(stretch).cumcount().to_numpy() + 1
    last_in_segment = np.append(segments[1:] != segments[:-1], True)
    breaching = data.assign(stretch=stretch, position=position, last=last_in_segment)[above]
    by_stretch = breaching.groupby("stretch")
    lowest = breaching[breaching["position"] <= sustain].groupby("stretch")["value"].min()
    highest = by_stretch["value"].max()
    bounds = by_stretch["number"].agg(["min", "max"])
    # Still breaching at the segment's last reading: it has not ended yet.
    ongoing = by_stretch["last"].last()
    firings = []
    for row in np.flatnonzero(above & (position == sustain)):
        run = stretch[row]
        started, last = int(bounds.at[run, "min"]), int(bounds.at[run, "max"])
        low, high = float(lowest.at[run]), float(highest.at[run])
        summary = (
            f"{rule.column} above {threshold:g} {rule.unit} for {sustain} consecutive minutes "
            f"from {timestamp(started):%Y-%m-%d %H:%M}Z (lowest {low:g}, highest "
            f"{high:g} {rule.unit})"
        )
        firings.append(
            _firing(
                rule.name,
                str(segment.iat[row]),
                str(data["rule_set_version"].iat[row]),
                started=started,
                fired=int(numbers[row]) + 1,
                ended=None if ongoing.at[run] else last + 1,
                evidence=Evidence(low, threshold, None, rule.unit, summary),
            )
        )
    return firings


def evaluate_baseline_ratio(rule: BaselineRatioRule, frame: pd.DataFrame) -> list[RollbackFiring]:
    """Firings of a baseline_ratio rule: one per contiguous stretch of holding evaluations."""
    data = _input(rule.input, frame, [rule.column, rule.weight_column])
    # A minute without a reading carries no weight, rather than poisoning every sum after it.
    data = data[data["value"].notna()]
    if data.empty:
        return []
    data = data.assign(
        weight=data[rule.weight_column], weighted=data["value"] * data[rule.weight_column]
    )
    cube = MinuteCube.build(data, ["segment"], ["weighted", "weight"], data["number"].to_numpy())
    window, baseline = whole_minutes(rule.window), whole_minutes(rule.baseline)
    # Only evaluate once a full baseline lies behind the window; a partial one is noise.
    earliest = cube.first + window + baseline
    grid = evaluation_grid(earliest - 1, cube.first + cube.minutes, whole_minutes(rule.step))
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = cube.window_sum("weight", grid, window)
        current = cube.window_sum("weighted", grid, window) / weight
        before = grid - window
        reference = cube.window_sum("weighted", before, baseline) / cube.window_sum(
            "weight", before, baseline
        )
    holds = (
        (reference >= rule.min_baseline)
        & (weight >= rule.min_window_weight)
        & at_least(current, rule.factor * reference)
    )
    firings = []
    for row, first, stop in zip(*runs(holds), strict=True):
        segment = str(cube.keys["segment"].iat[row])
        observed, base = float(current[row, first]), float(reference[row, first])
        fired = int(grid[first])
        summary = (
            f"{rule.column} over {format_duration(rule.window)} averages {observed:.1f} "
            f"{rule.unit}, {observed / base:.1f}x its {format_duration(rule.baseline)} "
            f"baseline of {base:.1f} {rule.unit} (fires at {rule.factor:g}x)"
        )
        firings.append(
            _firing(
                rule.name,
                segment,
                _version_before(data, segment, fired),
                started=fired,
                fired=fired,
                ended=int(grid[stop]) if stop < len(grid) else None,
                evidence=Evidence(observed, rule.factor * base, base, rule.unit, summary),
            )
        )
    return firings


def firings_frame(firings: Sequence[RollbackFiring]) -> pd.DataFrame:
    """Firings as a frame, one row each, evidence flattened into its own columns."""
    records = [firing.to_record() for firing in firings]
    frame = pd.DataFrame(records, columns=list(RECORD_COLUMNS))
    for column in ("started_at", "fired_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _context_slos(info: ValidationInfo) -> Mapping[str, Slo]:
    return (info.context or {}).get("slos", {})


def _input(name: str, frame: pd.DataFrame, value_columns: list[str]) -> pd.DataFrame:
    """The input's columns, sorted by segment and minute, one row per segment and minute."""
    what = f"rollback input {name}"
    require_columns(frame, [*INPUT_COLUMNS, *value_columns], what, RollbackInputError)
    for column in value_columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise RollbackInputError(
                f"{what} column {column} must be numeric; it has dtype {frame[column].dtype}."
            )
    data = pd.DataFrame(
        {
            "segment": frame["segment"].astype(str).to_numpy(),
            "number": minute_numbers(frame["minute"], f"{what} column minute", RollbackInputError),
            "rule_set_version": frame["rule_set_version"].astype(str).to_numpy(),
            # An empty reading (no orders that minute) stays NaN: it is never above anything.
            "value": frame[value_columns[0]].astype("float64").to_numpy(),
        }
    )
    for column in value_columns[1:]:
        data[column] = frame[column].astype("float64").fillna(0.0).to_numpy()
    # A minute reported twice keeps its last report, as a corrected reading would.
    data = data.drop_duplicates(["segment", "number"], keep="last")
    return data.sort_values(["segment", "number"], kind="stable").reset_index(drop=True)


def _version_before(data: pd.DataFrame, segment: str, number: int) -> str:
    """The rule-set version of the segment's last row before an instant."""
    rows = data[(data["segment"] == segment) & (data["number"] < number)]
    return str(rows["rule_set_version"].iat[-1])


def _firing(
    rule: str,
    segment: str,
    version: str,
    *,
    started: int,
    fired: int,
    ended: int | None,
    evidence: Evidence,
) -> RollbackFiring:
    started_at = timestamp(started)
    text = "|".join((rule, segment, started_at.isoformat()))
    return RollbackFiring(
        firing_id=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        rule=rule,
        segment=segment,
        rule_set_version=version,
        started_at=started_at,
        fired_at=timestamp(fired),
        ended_at=None if ended is None else timestamp(ended),
        evidence=evidence,
    )
