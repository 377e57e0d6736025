"""Run the sample world: blocks of days through the engine into the landing layout.

Besides the feeds, a run writes the reference tables the world was built on and
`ground_truth.json`: the planted effects and their magnitudes, which the metric layer's tests
must recover from the feeds alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from orch_assets.contracts import CHANGE_KINDS, DEPENDENCIES, FEEDS, REGIONS
from orch_assets.simulator.engine import (
    DAY,
    HOUR,
    MINUTE,
    WEEKDAY_FACTOR,
    WorldIndex,
    generate_block,
)
from orch_assets.simulator.scenario import Scenario
from orch_assets.simulator.writer import LandingWriter, _dictionary, _timestamps, write_reference

log = logging.getLogger(__name__)

# Orders per generation block: large enough that numpy's per-call overhead vanishes, small
# enough that a block of events stays well under a gigabyte.
ORDERS_PER_BLOCK = 250_000
GROUND_TRUTH_FILE = "ground_truth.json"
LABOR_COST_PER_HOUR = 32.0
MINUTES_PER_MANUAL_TOUCH = 6.0


@dataclass
class SimulationResult:
    out: Path
    days: int
    orders: int
    rows: dict[str, int]
    files: dict[str, int]
    seconds: float
    ground_truth: dict = field(repr=False)

    @property
    def orders_per_minute(self) -> float:
        return self.orders / self.seconds * 60.0 if self.seconds else float("inf")


def daily_order_counts(scenario: Scenario, days: int, orders_per_day: int, seed: int):
    """Orders per day: Poisson around the weekday-adjusted mean, lifted during a promotion."""
    rng = np.random.default_rng([seed, 0])
    dates = [scenario.start_date + dt.timedelta(days=i) for i in range(days)]
    factor = np.array([WEEKDAY_FACTOR[d.weekday()] for d in dates])
    promotion = scenario.effects.promotion
    if promotion is not None:
        for i, d in enumerate(dates):
            midday = dt.datetime.combine(d, dt.time(12), tzinfo=dt.UTC)
            if promotion.starts_at <= midday < promotion.ends_at:
                factor[i] *= promotion.volume_multiplier
    return rng.poisson(orders_per_day * factor).astype(np.int64)


def simulate(
    scenario: Scenario,
    days: int,
    orders_per_day: int,
    seed: int,
    out: Path,
    progress: bool = True,
) -> SimulationResult:
    """Generate `days` days of the scenario's world into `out` and return what was written."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if orders_per_day < 1:
        raise ValueError(f"orders per day must be at least 1, got {orders_per_day}")
    began = time.perf_counter()
    out = Path(out)
    _clear(out)
    world = WorldIndex.of(scenario)
    start_ms = int(
        dt.datetime.combine(scenario.start_date, dt.time(), tzinfo=dt.UTC).timestamp() * 1000
    )
    horizon_ms = start_ms + days * DAY
    counts = daily_order_counts(scenario, days, orders_per_day, seed)
    block_days = max(1, ORDERS_PER_BLOCK // orders_per_day)
    block_starts = list(range(0, days, block_days))
    minute_counts = np.zeros(days * 24 * 60, dtype=np.int64)

    bar = tqdm(
        total=len(block_starts) * 6 + 2,
        desc=f"simulating {days} days",
        unit="feed",
        disable=not progress,
    )
    writer = LandingWriter(
        out,
        world,
        seed,
        parameters={
            "currency": scenario.currency,
            "baseline_rule_set": scenario.baseline_rule_set_version,
            "treated_rule_set": scenario.effects.rollout.rule_set_version,
        },
        on_file=bar.update,
    )
    try:
        first_order_no = 1
        for block_no, first_day in enumerate(block_starts):
            block_counts = counts[first_day : first_day + block_days]
            rng = np.random.default_rng([seed, 1, block_no])
            block = generate_block(
                scenario,
                world,
                rng,
                block_counts,
                first_day,
                first_order_no,
                start_ms,
                horizon_ms,
            )
            first_order_no += int(block_counts.sum())
            minute_index = (block.orders["created_at"] - start_ms) // MINUTE
            minute_counts += np.bincount(minute_index, minlength=len(minute_counts))
            writer.write_block(block, block_no)
            log.info(
                "block %d: days %d-%d, %d orders, %d events",
                block_no,
                first_day,
                first_day + len(block_counts) - 1,
                len(block.orders["order_no"]),
                len(block.events["order_no"]),
            )
        health_rng = np.random.default_rng([seed, 2])
        writer.write_table(
            "dependency_health",
            0,
            *_dependency_health(scenario, health_rng, start_ms, minute_counts),
        )
        writer.write_table("change_annotations", 0, *_annotations(scenario, start_ms, horizon_ms))
    finally:
        writer.close()
        bar.close()

    write_reference(out, reference_rows(scenario))
    truth = ground_truth(scenario, days, orders_per_day, seed, horizon_ms, writer)
    (out / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return SimulationResult(
        out=out,
        days=days,
        orders=int(counts.sum()),
        rows=dict(writer.rows),
        files=dict(writer.files),
        seconds=time.perf_counter() - began,
        ground_truth=truth,
    )


def _clear(out: Path) -> None:
    """Remove what an earlier run wrote, so a run's output is exactly its own."""
    for name in [*FEEDS, "reference"]:
        target = out / name
        if target.exists():
            shutil.rmtree(target)
    (out / GROUND_TRUTH_FILE).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


_CALLS_PER_ORDER = {
    "inventory": 1.3,
    "pricing": 3.0,
    "carrier_quote": 1.2,
    "payment": 1.05,
    "promise_engine": 1.1,
    "router": 1.0,
}
_ERROR_RATE = {
    "inventory": 0.002,
    "pricing": 0.001,
    "carrier_quote": 0.003,
    "payment": 0.004,
    "promise_engine": 0.001,
    "router": 0.0015,
}
_P95_MS = {
    "inventory": 110.0,
    "pricing": 60.0,
    "carrier_quote": 380.0,
    "payment": 700.0,
    "promise_engine": None,
    "router": 140.0,
}
_TIMEOUT_RATE = 0.002


def _dependency_health(scenario: Scenario, rng, start_ms: int, minute_counts: np.ndarray):
    """Per-minute health of each dependency, driven by the minute's order volume."""
    minutes = len(minute_counts)
    minute_ms = start_ms + np.arange(minutes, dtype=np.int64) * MINUTE
    outage = scenario.effects.carrier_outage
    in_outage = (minute_ms >= outage.starts_at.timestamp() * 1000) & (
        minute_ms < outage.ends_at.timestamp() * 1000
    )
    carrier_share = {c.carrier_id: c.share for c in scenario.carriers}[outage.carrier_id]
    rollout = scenario.effects.rollout
    rollout_ms = start_ms + (rollout.effective_date - scenario.start_date).days * DAY
    treated_share = sum(scenario.regions[region] for region in rollout.treatment_regions)
    latency = scenario.promise_latency
    spread = np.exp(1.645 * latency.sigma)
    promise_p95 = np.where(
        minute_ms >= rollout_ms,
        spread * (latency.median_ms + treated_share * rollout.promise_latency_delta_ms),
        spread * latency.median_ms,
    )

    columns: dict[str, list[np.ndarray]] = {
        name: [] for name in FEEDS["dependency_health"].column_names
    }
    for code, dependency in enumerate(DEPENDENCIES):
        calls = rng.poisson(minute_counts * _CALLS_PER_ORDER[dependency])
        timeout_rate = np.full(minutes, _TIMEOUT_RATE)
        if dependency == "carrier_quote":
            timeout_rate = np.where(in_outage, outage.timeout_rate * carrier_share, timeout_rate)
        errors = rng.binomial(calls, _ERROR_RATE[dependency])
        timeouts = rng.binomial(calls - errors, timeout_rate)
        retries = rng.binomial(errors + timeouts, 0.8)
        failing = (calls > 0) & (timeouts > 0.05 * np.maximum(calls, 1))
        circuit = np.where(failing, rng.integers(5, 61, size=minutes), 0)
        base_p95 = promise_p95 if _P95_MS[dependency] is None else _P95_MS[dependency]
        slow = np.where((dependency == "carrier_quote") & in_outage, 4.0, 1.0)
        p95 = np.rint(base_p95 * slow * np.exp(0.1 * rng.standard_normal(minutes)))
        columns["minute"].append(minute_ms)
        columns["dependency"].append(np.full(minutes, code))
        columns["calls"].append(calls)
        columns["errors"].append(errors)
        columns["timeouts"].append(timeouts)
        columns["retries"].append(retries)
        columns["circuit_open_seconds"].append(circuit)
        columns["p95_latency_ms"].append(p95.astype(np.int64))
        columns["queue_depth"].append(rng.poisson(2 + 0.5 * minute_counts))
        columns["consumer_lag"].append(rng.poisson(15 + 3 * minute_counts))
        columns["dead_letters"].append(rng.poisson(0.1 * timeouts + 0.001))
    merged = {name: np.concatenate(parts) for name, parts in columns.items()}
    order = np.lexsort((merged["dependency"], merged["minute"]))
    merged = {name: values[order] for name, values in merged.items()}
    table = pa.table(
        {
            **{name: merged[name] for name in merged},
            "minute": _timestamps(merged["minute"]),
            "dependency": _dictionary(merged["dependency"], DEPENDENCIES),
        }
    )
    sql = (
        "select "
        + ", ".join(
            f"{name}::varchar as {name}" if name == "dependency" else name
            for name in FEEDS["dependency_health"].column_names
        )
        + " from block_rows"
    )
    return table, sql, merged["minute"] // DAY


def _annotations(scenario: Scenario, start_ms: int, horizon_ms: int):
    """The change calendar: weekly releases plus every planted change."""
    effects = scenario.effects
    rows: list[tuple] = []
    day = scenario.start_date
    end_day = dt.datetime.fromtimestamp(horizon_ms / 1000, dt.UTC).date()
    while day < end_day:
        if day.weekday() == 1:
            week = day.isocalendar()
            rows.append(
                (
                    f"REL-{week.year}-W{week.week:02d}",
                    "release",
                    dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC),
                    None,
                    "all",
                    f"Orchestrator release {week.year}.{week.week:02d}",
                    None,
                )
            )
        day += dt.timedelta(days=1)
    rollout = effects.rollout
    rows.append(
        (
            f"RULE-{rollout.rule_set_version}",
            "rule_change",
            dt.datetime.combine(rollout.effective_date, dt.time(), tzinfo=dt.UTC),
            None,
            "regions:" + ",".join(rollout.treatment_regions),
            f"Routing rule set {rollout.rule_set_version} live in the treatment regions",
            rollout.rule_set_version,
        )
    )
    outage = effects.carrier_outage
    rows.append(
        (
            f"OUT-{outage.carrier_id}-{outage.starts_at:%Y%m%d}",
            "carrier_outage",
            outage.starts_at,
            outage.ends_at,
            f"carrier:{outage.carrier_id}",
            f"{outage.carrier_id} network disruption",
            None,
        )
    )
    maintenance = effects.maintenance
    rows.append(
        (
            f"MNT-{maintenance.node_id}-{maintenance.starts_at:%Y%m%d}",
            "maintenance",
            maintenance.starts_at,
            maintenance.ends_at,
            f"node:{maintenance.node_id}",
            f"{maintenance.node_id} operations systems maintenance",
            None,
        )
    )
    if effects.promotion is not None:
        promotion = effects.promotion
        rows.append(
            (
                f"PROMO-{promotion.starts_at:%Y%m%d}",
                "promotion",
                promotion.starts_at,
                promotion.ends_at,
                "all",
                "Sitewide promotion",
                None,
            )
        )
    rows = [row for row in rows if row[2].timestamp() * 1000 < horizon_ms]
    rows.sort(key=lambda row: (row[2], row[0]))

    def ms(value: dt.datetime | None) -> int:
        return -1 if value is None else int(value.timestamp() * 1000)

    starts = np.array([ms(row[2]) for row in rows], dtype=np.int64)
    table = pa.table(
        {
            "change_id": [row[0] for row in rows],
            "kind": _dictionary(
                np.array([CHANGE_KINDS.index(row[1]) for row in rows]), CHANGE_KINDS
            ),
            "starts_at": _timestamps(starts),
            "ends_at": _timestamps(np.array([ms(row[3]) for row in rows], dtype=np.int64)),
            "scope": [row[4] for row in rows],
            "description": [row[5] for row in rows],
            "rule_set_version": pa.array([row[6] for row in rows], pa.string()),
        }
    )
    timestamp = "%Y-%m-%dT%H:%M:%S"
    sql = f"""
        select
            change_id,
            kind::varchar as kind,
            strftime(starts_at, '{timestamp}') || 'Z' as starts_at,
            strftime(ends_at, '{timestamp}') || 'Z' as ends_at,
            scope,
            description,
            rule_set_version
        from block_rows
    """
    return table, sql, starts // DAY


def reference_rows(scenario: Scenario) -> dict[str, list[dict[str, object]]]:
    """The reference tables the world was built on, as rows for the reference CSVs."""
    rollout = scenario.effects.rollout
    cohorts = []
    for region in REGIONS:
        treated = region in rollout.treatment_regions
        cohort = "treatment" if treated else "control"
        cohorts.append(
            {
                "region": region,
                "cohort": cohort,
                "rule_set_version": scenario.baseline_rule_set_version,
                "effective_date": scenario.start_date.isoformat(),
            }
        )
        if treated:
            cohorts.append(
                {
                    "region": region,
                    "cohort": cohort,
                    "rule_set_version": rollout.rule_set_version,
                    "effective_date": rollout.effective_date.isoformat(),
                }
            )
    return {
        "nodes": [
            {
                "node_id": n.node_id,
                "node_name": n.name,
                "node_type": n.type,
                "region": n.region,
                "daily_capacity": n.daily_capacity,
            }
            for n in scenario.nodes
        ],
        "carriers": [
            {"carrier_id": c.carrier_id, "carrier_name": c.name} for c in scenario.carriers
        ],
        "zones": [{"zone": z, "zone_label": f"Zone {z}"} for z in range(1, 9)],
        "cost_rates": [
            {
                "rate_name": "minutes_per_manual_touch",
                "value": MINUTES_PER_MANUAL_TOUCH,
                "unit": "minutes",
            },
            {
                "rate_name": "labor_cost_per_hour",
                "value": LABOR_COST_PER_HOUR,
                "unit": f"{scenario.currency} per hour",
            },
        ],
        "rollout_cohorts": cohorts,
    }


def ground_truth(scenario, days, orders_per_day, seed, horizon_ms, writer) -> dict:
    """The planted effects with their magnitudes, as the metric layer must find them."""
    effects = scenario.effects
    rollout = effects.rollout
    baseline = {node.node_id: node for node in scenario.nodes}
    multiline_share = 1.0 - float(np.exp(-scenario.basket.extra_lines_mean))
    end_date = scenario.start_date + dt.timedelta(days=days - 1)

    def iso(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    return {
        "scenario": scenario.name,
        "seed": seed,
        "days": days,
        "orders_per_day": orders_per_day,
        "start_date": scenario.start_date.isoformat(),
        "end_date": end_date.isoformat(),
        "exported_at": iso(dt.datetime.fromtimestamp(horizon_ms / 1000, dt.UTC)),
        "effects": {
            "carrier_outage": {
                "carrier_id": effects.carrier_outage.carrier_id,
                "starts_at": iso(effects.carrier_outage.starts_at),
                "ends_at": iso(effects.carrier_outage.ends_at),
                "extra_transit_days": effects.carrier_outage.extra_transit_days,
                "applies_to": "shipments the carrier scanned inside the window",
            },
            "inventory_accuracy": {
                "node_id": effects.inventory_accuracy.node_id,
                "inventory_accuracy": effects.inventory_accuracy.inventory_accuracy,
                "baseline_inventory_accuracy": baseline[
                    effects.inventory_accuracy.node_id
                ].inventory_accuracy,
                "stockout_cancel_rate": round(
                    1.0 - effects.inventory_accuracy.inventory_accuracy, 6
                ),
                "applies_to": "orders routed to the node (payment failures excluded)",
            },
            "pick_accuracy": {
                "node_id": effects.pick_accuracy.node_id,
                "pick_accuracy": effects.pick_accuracy.pick_accuracy,
                "baseline_pick_accuracy": baseline[effects.pick_accuracy.node_id].pick_accuracy,
                "applies_to": "share of the node's shipments with every item correct",
            },
            "optimistic_promise": {
                "zone": effects.optimistic_promise.zone,
                "days_early": effects.optimistic_promise.days_early,
                "applies_to": "promised date earlier than the engine's honest estimate",
            },
            "rollout": {
                "rule_set_version": rollout.rule_set_version,
                "baseline_rule_set_version": scenario.baseline_rule_set_version,
                "effective_date": rollout.effective_date.isoformat(),
                "treatment_regions": list(rollout.treatment_regions),
                "control_regions": [r for r in REGIONS if r not in rollout.treatment_regions],
                "multiline_split_rate_delta": rollout.split_rate_delta,
                # Single-line orders cannot split: the order-level change is the multi-line
                # change times the share of orders with two or more lines (1 - e^-lambda for
                # Poisson extra lines), before the few cancellations that never ship.
                "split_shipment_rate_delta": round(multiline_share * rollout.split_rate_delta, 6),
                "promise_latency_p50_delta_ms": rollout.promise_latency_delta_ms,
            },
            "maintenance": {
                "node_id": effects.maintenance.node_id,
                "starts_at": iso(effects.maintenance.starts_at),
                "ends_at": iso(effects.maintenance.ends_at),
                "exception_class": "operator",
                "applies_to": "operator exceptions opened at the node inside the window stay open",
            },
        },
        "landing": {
            feed: {"files": writer.files[feed], "rows": writer.rows[feed]} for feed in FEEDS
        },
    }


__all__ = ["HOUR", "SimulationResult", "daily_order_counts", "simulate"]
