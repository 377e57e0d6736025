"""Scenario files: the sample world's parameters and the effects planted in it.

A scenario is YAML. Loading it checks every field and every cross-reference (an effect that
names a node must name a node the scenario defines), and any problem stops the load with one
message naming the file, the field and what is allowed there.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orch_assets.contracts import CHANNELS, REGIONS, SERVICE_LEVELS, SKU_CLASSES

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the file and field that are wrong."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Node(_Model):
    node_id: str
    name: str
    type: str = Field(pattern="^(dc|store)$")
    region: str
    daily_capacity: NonNegativeInt
    pick_accuracy: Rate
    inventory_accuracy: Rate
    handling_hours_median: PositiveFloat
    late_ship_rate: Rate

    @model_validator(mode="after")
    def _region_known(self) -> Node:
        if self.region not in REGIONS:
            raise ValueError(f"region {self.region!r} is not one of {', '.join(REGIONS)}")
        return self


class Carrier(_Model):
    carrier_id: str
    name: str
    share: Rate
    base_transit_days: dict[str, NonNegativeInt]
    zones_per_extra_day: dict[str, PositiveFloat]
    late_rate: Rate
    damage_rate: Rate
    loss_rate: Rate

    @model_validator(mode="after")
    def _service_levels_known(self) -> Carrier:
        for table in (self.base_transit_days, self.zones_per_extra_day):
            if set(table) != set(SERVICE_LEVELS):
                raise ValueError(
                    f"needs exactly the service levels {', '.join(SERVICE_LEVELS)}, "
                    f"got {', '.join(sorted(table))}"
                )
        return self


class Basket(_Model):
    extra_lines_mean: NonNegativeFloat
    max_lines: Annotated[int, Field(ge=1, le=50)]
    extra_units_mean: NonNegativeFloat


class PromiseLatency(_Model):
    median_ms: PositiveFloat
    sigma: PositiveFloat


class Window(_Model):
    starts_at: dt.datetime
    ends_at: dt.datetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset, as in 2026-02-10T00:00:00Z")
        if self.ends_at <= self.starts_at:
            raise ValueError(
                f"ends_at {self.ends_at.isoformat()} is not after starts_at "
                f"{self.starts_at.isoformat()}"
            )
        return self


class CarrierOutage(Window):
    carrier_id: str
    extra_transit_days: Annotated[int, Field(ge=1, le=30)]
    timeout_rate: Rate


class InventoryAccuracyEffect(_Model):
    node_id: str
    inventory_accuracy: Rate


class PickAccuracyEffect(_Model):
    node_id: str
    pick_accuracy: Rate


class OptimisticPromise(_Model):
    zone: Annotated[int, Field(ge=1, le=8)]
    days_early: Annotated[int, Field(ge=1, le=10)]


class Rollout(_Model):
    rule_set_version: str
    effective_date: dt.date
    treatment_regions: list[str]
    split_rate_delta: Annotated[float, Field(ge=-1.0, le=1.0)]
    promise_latency_delta_ms: float

    @model_validator(mode="after")
    def _regions_known(self) -> Rollout:
        unknown = [region for region in self.treatment_regions if region not in REGIONS]
        if unknown:
            raise ValueError(
                f"treatment_regions has {', '.join(unknown)}; allowed: {', '.join(REGIONS)}"
            )
        if not self.treatment_regions or len(set(self.treatment_regions)) == len(REGIONS):
            raise ValueError("treatment_regions must leave at least one region as control")
        return self


class Maintenance(Window):
    node_id: str


class Promotion(Window):
    volume_multiplier: Annotated[float, Field(ge=1.0, le=10.0)]


class Effects(_Model):
    carrier_outage: CarrierOutage
    inventory_accuracy: InventoryAccuracyEffect
    pick_accuracy: PickAccuracyEffect
    optimistic_promise: OptimisticPromise
    rollout: Rollout
    maintenance: Maintenance
    promotion: Promotion | None = None


class Scenario(_Model):
    name: str
    description: str
    start_date: dt.date
    currency: str = Field(pattern="^[A-Z]{3}$")
    baseline_rule_set_version: str
    customers: Annotated[int, Field(ge=1)]
    channels: dict[str, Rate]
    regions: dict[str, Rate]
    service_levels: dict[str, Rate]
    sku_classes: dict[str, Rate]
    zones: dict[int, Rate]
    basket: Basket
    fallback_rate: Rate
    manual_rate: Rate
    promise_latency: PromiseLatency
    multiline_split_rate: Rate
    payment_failure_rate: Rate
    address_error_rate: Rate
    quantity_error_rate: Rate
    nodes: list[Node]
    carriers: list[Carrier]
    effects: Effects

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        _check_shares("channels", self.channels, CHANNELS)
        _check_shares("regions", self.regions, REGIONS)
        _check_shares("service_levels", self.service_levels, SERVICE_LEVELS)
        _check_shares("sku_classes", self.sku_classes, SKU_CLASSES)
        _check_shares(
            "zones", {str(k): v for k, v in self.zones.items()}, tuple(map(str, range(1, 9)))
        )
        _check_shares("carriers[*].share", {c.carrier_id: c.share for c in self.carriers}, None)
        node_ids = [node.node_id for node in self.nodes]
        carrier_ids = [carrier.carrier_id for carrier in self.carriers]
        for label, ids in (("nodes", node_ids), ("carriers", carrier_ids)):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{label} defines {', '.join(duplicates)} more than once")
        regions_without_dc = [
            region
            for region in REGIONS
            if not any(n.region == region and n.type == "dc" for n in self.nodes)
        ]
        if regions_without_dc:
            raise ValueError(
                f"nodes: every region needs a dc; none in {', '.join(regions_without_dc)}"
            )
        effects = self.effects
        for field_name, node_id in (
            ("effects.inventory_accuracy.node_id", effects.inventory_accuracy.node_id),
            ("effects.pick_accuracy.node_id", effects.pick_accuracy.node_id),
            ("effects.maintenance.node_id", effects.maintenance.node_id),
        ):
            if node_id not in node_ids:
                raise ValueError(
                    f"{field_name}: unknown node {node_id!r}; defined nodes: {', '.join(node_ids)}"
                )
        if effects.carrier_outage.carrier_id not in carrier_ids:
            raise ValueError(
                f"effects.carrier_outage.carrier_id: unknown carrier "
                f"{effects.carrier_outage.carrier_id!r}; defined carriers: {', '.join(carrier_ids)}"
            )
        if effects.rollout.rule_set_version == self.baseline_rule_set_version:
            raise ValueError(
                "effects.rollout.rule_set_version must differ from baseline_rule_set_version"
            )
        return self

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.node_id == node_id)


def _check_shares(
    field_name: str, shares: dict[str, float], allowed: tuple[str, ...] | None
) -> None:
    if allowed is not None:
        unknown = sorted(set(shares) - set(allowed))
        missing = sorted(set(allowed) - set(shares))
        if unknown:
            raise ValueError(
                f"{field_name}: unknown {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
        if missing:
            raise ValueError(f"{field_name}: missing {', '.join(missing)}")
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{field_name}: shares must add up to 1, they add up to {total:g}")


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise ScenarioError naming the file and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"{path}: no such scenario file. Pass the path of a YAML file."
        ) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text at byte {error.start}. Save it as UTF-8."
        ) from None
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(f"{path}: malformed YAML{where}: {problem}.") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a mapping of scenario fields at the top level.")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise ScenarioError(_describe(path, error)) from None


def _describe(path: Path, error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "not a scenario field; remove it or check its spelling"
    elif first["type"] == "missing":
        message = "required field is missing"
    if "input" in first and first["type"] not in ("missing", "model_type"):
        given = first["input"]
        if not isinstance(given, dict | list):
            message = f"{message} (got {given!r})"
    field_part = f" field {location}:" if location else ""
    more = len(error.errors()) - 1
    suffix = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
    return f"{path}:{field_part} {message}{suffix}"
