"""Vectorised generation of the sample world, one block of days at a time.

Every quantity is drawn for whole arrays at once (orders, then lines, shipments, events,
exceptions and ledger entries derived from them), never in a Python loop per order. Times are
int64 milliseconds since the epoch, UTC. A block's random stream is seeded from the run seed
and the block's index, so a block is reproducible on its own and the whole run is byte-stable.

What the world models, in the order it is drawn:
- orders: arrival time with a daily curve, channel, region, zone, service level, basket,
  routing method, rule-set version (treatment regions move to the new rules on the rollout
  date), promise latency, payment failures;
- fulfilment: a primary node per region, stock-outs by node inventory accuracy, split
  shipments to a second DC, node handling time against ship-by, carrier choice and transit
  (quoted against actual, with the carrier outage), losses, damage, pick and address errors;
- the promise: ship-by date plus the quoted transit, minus the optimism planted for one zone;
- exceptions of all four classes with resolution times, and the money every failure costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orch_assets.contracts import (
    CHANNELS,
    EVENT_STATUSES,
    EVENT_TYPES,
    EXCEPTION_CLASSES,
    EXCEPTION_TYPES,
    LEDGER_ENTRY_TYPES,
    LEDGER_REASON_CODES,
    REGIONS,
    RESOLUTIONS,
    SERVICE_LEVELS,
    SKU_CLASSES,
    SOURCE_SYSTEMS,
)
from orch_assets.simulator.scenario import Scenario

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Share of the day's orders that arrive in each UTC hour: quiet overnight, a lunchtime and an
# evening peak. Normalised below.
_HOURLY_CURVE = np.array(
    [
        2,
        1.4,
        1,
        0.8,
        0.8,
        1.1,
        1.8,
        2.8,
        3.8,
        4.6,
        5.2,
        5.6,
        6.0,
        5.8,
        5.4,
        5.2,
        5.2,
        5.6,
        6.2,
        6.8,
        6.6,
        5.6,
        4.2,
        3.0,
    ],
    dtype=np.float64,
)
HOURLY_SHARE = _HOURLY_CURVE / _HOURLY_CURVE.sum()
# Monday to Sunday demand relative to the average day.
WEEKDAY_FACTOR = np.array([1.00, 0.97, 0.96, 0.99, 1.06, 1.09, 0.93])

UNIT_PRICE_MEDIAN = {"standard": 28.0, "fragile": 46.0, "hazmat": 22.0, "oversized": 140.0}
SERVICE_COST_FACTOR = {"standard": 1.0, "expedited": 1.8, "next_day": 3.2}
PRIMARY_DC_SHARE = 0.82
STORE_SHARE = 0.12
FRAUD_REVIEW_VALUE = 400.0
FRAUD_REVIEW_RATE = 0.06
LABEL_TIMEOUT_RATE = 0.015
LABEL_FAILURE_RATE = 0.004
LATE_APPEASEMENT_RATE = 0.35
EXPEDITE_RATE_AFTER_MISROUTE = 0.30
CHARGEBACK_RATE = 0.0015
FRAGILE_DAMAGE_EXTRA = 0.01

_OK, _ERROR, _RETRY, _TIMEOUT = (
    EVENT_STATUSES.index(s) for s in ("ok", "error", "retry", "timeout")
)


@dataclass(frozen=True)
class WorldIndex:
    """Integer codes for the scenario's nodes and carriers, shared by all blocks."""

    node_ids: tuple[str, ...]
    carrier_ids: tuple[str, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> WorldIndex:
        return cls(
            tuple(node.node_id for node in scenario.nodes),
            tuple(carrier.carrier_id for carrier in scenario.carriers),
        )


@dataclass
class Block:
    """One block of generated rows: column arrays per feed, with integer codes for categories."""

    orders: dict[str, np.ndarray]
    lines: dict[str, np.ndarray]
    shipments: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    exceptions: dict[str, np.ndarray]
    ledger: dict[str, np.ndarray]


def _code(values: tuple[str, ...], name: str) -> int:
    return values.index(name)


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int):
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def _choice(rng: np.random.Generator, shares: dict, order: tuple, n: int) -> np.ndarray:
    probabilities = np.array([shares[key] for key in order], dtype=np.float64)
    return rng.choice(len(order), size=n, p=probabilities / probabilities.sum())


def _cents(amount: np.ndarray) -> np.ndarray:
    return np.rint(amount * 100.0).astype(np.int64)


def generate_block(
    scenario: Scenario,
    world: WorldIndex,
    rng: np.random.Generator,
    day_counts: np.ndarray,
    first_day: int,
    first_order_no: int,
    start_ms: int,
    horizon_ms: int,
) -> Block:
    """Generate every row caused by the orders created on the block's days.

    `day_counts[i]` orders are created on day `first_day + i` (days counted from the scenario
    start at `start_ms`). Rows whose time falls at or after `horizon_ms`, the export time, have
    not happened yet and are left out; shipments still in transit then carry no delivery.
    """
    effects = scenario.effects
    n = int(day_counts.sum())
    day = np.repeat(np.arange(first_day, first_day + len(day_counts)), day_counts)

    # Orders arrive along the hourly curve; sorting makes order numbers follow creation time.
    hour = rng.choice(24, size=n, p=HOURLY_SHARE)
    created = start_ms + day * DAY + hour * HOUR + rng.integers(0, HOUR, size=n)
    created.sort()
    order_no = first_order_no + np.arange(n, dtype=np.int64)

    channel = _choice(rng, scenario.channels, CHANNELS, n)
    region = _choice(rng, scenario.regions, REGIONS, n)
    service = _choice(rng, scenario.service_levels, SERVICE_LEVELS, n)
    zone_values = np.array(sorted(scenario.zones), dtype=np.int64)
    zone = zone_values[_choice(rng, scenario.zones, tuple(sorted(scenario.zones)), n)]
    customer_no = rng.integers(1, scenario.customers + 1, size=n)

    # The rollout moves treatment regions to the new rule set from its effective date on.
    rollout = effects.rollout
    rollout_ms = start_ms + (rollout.effective_date - scenario.start_date).days * DAY
    treatment_codes = [REGIONS.index(region_name) for region_name in rollout.treatment_regions]
    is_treated = np.isin(region, treatment_codes) & (created >= rollout_ms)

    routing_draw = rng.random(n)
    routing = np.where(
        routing_draw < scenario.manual_rate,
        2,
        np.where(routing_draw < scenario.manual_rate + scenario.fallback_rate, 1, 0),
    )
    latency_median = (
        scenario.promise_latency.median_ms + is_treated * rollout.promise_latency_delta_ms
    )
    promise_latency = np.maximum(
        1, np.rint(_lognormal(rng, latency_median, scenario.promise_latency.sigma, n))
    ).astype(np.int64)

    # Baskets: lines per order and the lines themselves.
    extra_lines = rng.poisson(scenario.basket.extra_lines_mean, size=n)
    line_count = 1 + np.minimum(extra_lines, scenario.basket.max_lines - 1)
    line_order = np.repeat(np.arange(n), line_count)
    line_start = np.cumsum(line_count) - line_count
    line_no = np.arange(len(line_order)) - line_start[line_order] + 1
    n_lines = len(line_order)
    sku_class = _choice(rng, scenario.sku_classes, SKU_CLASSES, n_lines)
    sku_no = rng.integers(1, 6000, size=n_lines)
    quantity = 1 + rng.poisson(scenario.basket.extra_units_mean, size=n_lines)
    price_median = np.array([UNIT_PRICE_MEDIAN[c] for c in SKU_CLASSES])[sku_class]
    unit_price_cents = np.maximum(99, _cents(_lognormal(rng, price_median, 0.6, n_lines)))
    line_value_cents = unit_price_cents * quantity
    order_value_cents = np.bincount(line_order, weights=line_value_cents, minlength=n).astype(
        np.int64
    )
    order_value = order_value_cents / 100.0
    has_fragile = np.bincount(line_order, weights=sku_class == 1, minlength=n) > 0

    # Routing: the region's DC most of the time, else a store in the region, else another DC.
    nodes = scenario.nodes
    node_region = np.array([REGIONS.index(node.region) for node in nodes])
    node_is_dc = np.array([node.type == "dc" for node in nodes])
    primary = np.empty(n, dtype=np.int64)
    route_draw = rng.random(n)
    other_pick = rng.random(n)
    for region_code in range(len(REGIONS)):
        in_region = region == region_code
        dcs_here = np.flatnonzero(node_is_dc & (node_region == region_code))
        stores_here = np.flatnonzero(~node_is_dc & (node_region == region_code))
        other_dcs = np.flatnonzero(node_is_dc & (node_region != region_code))
        local_dc = dcs_here[0]
        store_share = STORE_SHARE if len(stores_here) else 0.0
        draw = route_draw[in_region]
        pick_other = other_dcs[(other_pick[in_region] * len(other_dcs)).astype(np.int64)]
        if len(stores_here):
            pick_store = stores_here[(other_pick[in_region] * len(stores_here)).astype(np.int64)]
        else:
            pick_store = pick_other
        primary[in_region] = np.where(
            draw < PRIMARY_DC_SHARE,
            local_dc,
            np.where(draw < PRIMARY_DC_SHARE + store_share, pick_store, pick_other),
        )

    inventory_accuracy = np.array([node.inventory_accuracy for node in nodes])
    pick_accuracy = np.array([node.pick_accuracy for node in nodes])
    effect_node = world.node_ids.index(effects.inventory_accuracy.node_id)
    inventory_accuracy[effect_node] = effects.inventory_accuracy.inventory_accuracy
    pick_accuracy[world.node_ids.index(effects.pick_accuracy.node_id)] = (
        effects.pick_accuracy.pick_accuracy
    )

    payment_failed = rng.random(n) < scenario.payment_failure_rate
    stockout = ~payment_failed & (rng.random(n) >= inventory_accuracy[primary])
    canceled = payment_failed | stockout

    split_rate = scenario.multiline_split_rate + is_treated * rollout.split_rate_delta
    is_split = ~canceled & (line_count >= 2) & (rng.random(n) < np.clip(split_rate, 0, 1))
    all_dcs = np.flatnonzero(node_is_dc)
    second = all_dcs[rng.integers(0, len(all_dcs), size=n)]
    clash = second == primary
    second[clash] = all_dcs[(np.searchsorted(all_dcs, second[clash]) + 1) % len(all_dcs)]

    # Lines in the back half of a split order go to the second node.
    line_group = (is_split[line_order] & (line_no > (line_count[line_order] + 1) // 2)).astype(
        np.int64
    )
    line_node = np.where(line_group == 1, second[line_order], primary[line_order])

    # Event times before fulfilment.
    t_created = created
    pay_latency = np.maximum(1, np.rint(_lognormal(rng, 320.0, 0.4, n))).astype(np.int64)
    t_pay = t_created + 800 + rng.integers(0, 2 * SECOND, size=n)
    t_promise = t_pay + 150 + promise_latency
    route_latency = np.maximum(1, np.rint(_lognormal(rng, 60.0, 0.5, n))).astype(np.int64)
    manual_delay = np.where(routing == 2, _lognormal(rng, 9.0 * MINUTE, 0.5, n), 0.0)
    t_node = t_promise + route_latency + manual_delay.astype(np.int64)
    fraud_review = (order_value >= FRAUD_REVIEW_VALUE) & (rng.random(n) < FRAUD_REVIEW_RATE)
    fraud_wait = np.where(
        fraud_review & ~payment_failed, _lognormal(rng, 7.0 * MINUTE, 0.6, n), 0.0
    ).astype(np.int64)
    inventory_latency = np.maximum(1, np.rint(_lognormal(rng, 45.0, 0.5, n))).astype(np.int64)
    t_inventory = t_node + fraud_wait + inventory_latency + 50
    t_release = t_inventory + rng.integers(MINUTE, 30 * MINUTE, size=n)
    cancel_wait = np.where(
        payment_failed,
        _lognormal(rng, 6.0 * HOUR, 0.5, n),
        _lognormal(rng, 9.0 * MINUTE, 0.5, n),
    ).astype(np.int64)
    t_cancel = np.where(payment_failed, t_pay, t_inventory) + cancel_wait

    # Shipments: one per (order, node group) for orders that were not canceled.
    ship_count = np.where(canceled, 0, 1 + is_split)
    ship_order = np.repeat(np.arange(n), ship_count)
    ship_group = np.arange(len(ship_order)) - (np.cumsum(ship_count) - ship_count)[ship_order]
    n_ship = len(ship_order)
    ship_node = np.where(ship_group == 1, second[ship_order], primary[ship_order])
    ship_zone = np.where(
        ship_group == 1,
        np.minimum(8, zone[ship_order] + 1 + rng.integers(0, 2, size=n_ship)),
        zone[ship_order],
    )
    ship_service = service[ship_order]
    carrier_share = {carrier.carrier_id: carrier.share for carrier in scenario.carriers}
    ship_carrier = _choice(rng, carrier_share, world.carrier_ids, n_ship)

    handling_median = np.array([node.handling_hours_median for node in nodes]) * HOUR
    late_ship_rate = np.array([node.late_ship_rate for node in nodes])
    sla = np.rint(handling_median * 1.35 / HOUR).astype(np.int64) * HOUR
    ship_created = t_release[ship_order]
    ship_by = t_created[ship_order] + sla[ship_node]
    handling = _lognormal(rng, handling_median[ship_node], 0.3, n_ship).astype(np.int64)
    on_time_ship = np.minimum(t_created[ship_order] + handling, ship_by - 10 * MINUTE)
    late_ship = rng.random(n_ship) < late_ship_rate[ship_node]
    node_delay = rng.exponential(14.0 * HOUR, size=n_ship).astype(np.int64) + 30 * MINUTE
    shipped = np.where(late_ship, ship_by + node_delay, on_time_ship)
    shipped = np.maximum(shipped, ship_created + 45 * MINUTE)

    carriers = scenario.carriers
    base_days = np.array([[c.base_transit_days[s] for s in SERVICE_LEVELS] for c in carriers])
    zones_per_day = np.array([[c.zones_per_extra_day[s] for s in SERVICE_LEVELS] for c in carriers])
    quoted = base_days[ship_carrier, ship_service] + np.floor(
        (ship_zone - 1) / zones_per_day[ship_carrier, ship_service]
    ).astype(np.int64)
    carrier_late_rate = np.array([c.late_rate for c in carriers])[ship_carrier]
    carrier_late = rng.random(n_ship) < carrier_late_rate
    carrier_delay = carrier_late * (1 + (rng.random(n_ship) < 0.3))
    early = (quoted >= 2) & (rng.random(n_ship) < 0.08)
    outage = effects.carrier_outage
    outage_code = world.carrier_ids.index(outage.carrier_id)
    outage_start = int(outage.starts_at.timestamp() * 1000)
    outage_end = int(outage.ends_at.timestamp() * 1000)
    in_outage = (ship_carrier == outage_code) & (shipped >= outage_start) & (shipped < outage_end)
    transit = np.maximum(1, quoted + carrier_delay - early + in_outage * outage.extra_transit_days)
    shipped_day_start = shipped - (shipped % DAY)
    delivered = shipped_day_start + transit * DAY + rng.integers(9 * HOUR, 20 * HOUR, size=n_ship)
    delivered = np.maximum(delivered, shipped + HOUR)
    lost = rng.random(n_ship) < np.array([c.loss_rate for c in carriers])[ship_carrier]

    is_shipped = shipped < horizon_ms
    is_delivered = is_shipped & ~lost & (delivered < horizon_ms)
    tracking = np.where(
        ~is_shipped, 0, np.where(lost & is_shipped, 3, np.where(is_delivered, 2, 1))
    )

    item_ok = rng.random(n_ship) < pick_accuracy[ship_node]
    quantity_ok = rng.random(n_ship) >= scenario.quantity_error_rate
    address_ok = (rng.random(n) >= scenario.address_error_rate)[ship_order]
    damage_rate = np.array([c.damage_rate for c in carriers])[ship_carrier] + (
        has_fragile[ship_order] * FRAGILE_DAMAGE_EXTRA
    )
    condition_ok = rng.random(n_ship) >= damage_rate

    # Shipment contents.
    ship_index_of_line = np.full(n_lines, -1, dtype=np.int64)
    first_ship = np.cumsum(ship_count) - ship_count
    shipped_line = ~canceled[line_order]
    ship_index_of_line[shipped_line] = (
        first_ship[line_order[shipped_line]] + line_group[shipped_line]
    )
    lines_shipped = np.bincount(ship_index_of_line[shipped_line], minlength=n_ship)
    units_shipped = np.bincount(
        ship_index_of_line[shipped_line], weights=quantity[shipped_line], minlength=n_ship
    ).astype(np.int64)
    ship_value = (
        np.bincount(
            ship_index_of_line[shipped_line],
            weights=line_value_cents[shipped_line],
            minlength=n_ship,
        )
        / 100.0
    )

    # The promise: ship-by date plus the quoted transit of the primary shipment, made sooner
    # for the zone where the promise engine is optimistic. Canceled orders were promised the
    # same way at checkout, before anything failed.
    primary_quote = np.zeros(n, dtype=np.int64)
    primary_quote[ship_order[ship_group == 0]] = quoted[ship_group == 0]
    unshipped = ship_count == 0
    fallback_carrier = _choice(rng, carrier_share, world.carrier_ids, int(unshipped.sum()))
    primary_quote[unshipped] = base_days[fallback_carrier, service[unshipped]] + np.floor(
        (zone[unshipped] - 1) / zones_per_day[fallback_carrier, service[unshipped]]
    ).astype(np.int64)
    ship_by_day = (t_created + sla[primary]) // DAY
    optimism = effects.optimistic_promise
    promised_day = ship_by_day + primary_quote - (zone == optimism.zone) * optimism.days_early

    # Events: order-level steps, then per-shipment steps.
    pick_at = ship_created + ((shipped - ship_created) * rng.uniform(0.3, 0.6, n_ship)).astype(
        np.int64
    )
    pack_at = pick_at + ((shipped - pick_at) * rng.uniform(0.2, 0.5, n_ship)).astype(np.int64)
    label_at = pack_at + rng.integers(MINUTE, 10 * MINUTE, size=n_ship)
    label_latency = np.maximum(1, np.rint(_lognormal(rng, 180.0, 0.4, n_ship))).astype(np.int64)
    label_timeout_rate = np.where(
        (ship_carrier == outage_code) & (label_at >= outage_start) & (label_at < outage_end),
        outage.timeout_rate,
        LABEL_TIMEOUT_RATE,
    )
    label_draw = rng.random(n_ship)
    label_timeout = label_draw < label_timeout_rate
    label_failure = ~label_timeout & (label_draw < label_timeout_rate + LABEL_FAILURE_RATE)
    label_latency = np.where(label_timeout, 3000 + label_latency, label_latency)

    ev = _EventBuilder()
    all_orders = np.arange(n)
    live = ~canceled
    ev.add(all_orders, "order_created", t_created, _lognormal(rng, 40.0, 0.4, n), "storefront")
    ev.add(
        all_orders,
        "payment_authorized",
        t_pay,
        pay_latency,
        "payments",
        status=np.where(payment_failed, _ERROR, _OK),
        exception=np.where(payment_failed, _exc("payment_declined"), -1),
    )
    ev.add(all_orders, "promise_calculated", t_promise, promise_latency, "promise_engine")
    routed = np.flatnonzero(~payment_failed)
    ev.add(
        routed,
        "node_selected",
        t_node[routed],
        route_latency[routed],
        "router",
        node=primary[routed],
        status=np.where(routing[routed] == 1, _RETRY, _OK),
        exception=np.where(routing[routed] == 2, _exc("routing_no_node"), -1),
    )
    ev.add(
        routed,
        "inventory_reserved",
        t_inventory[routed],
        inventory_latency[routed],
        "inventory",
        node=primary[routed],
        status=np.where(stockout[routed], _ERROR, _OK),
        exception=np.where(stockout[routed], _exc("inventory_mismatch"), -1),
    )
    released = np.flatnonzero(live)
    ev.add(
        released,
        "released_to_fulfillment",
        t_release[released],
        rng.integers(5, 40, size=len(released)),
        "router",
        node=primary[released],
    )
    cancel_orders = np.flatnonzero(canceled)
    ev.add(
        cancel_orders,
        "canceled",
        t_cancel[cancel_orders],
        rng.integers(5, 40, size=len(cancel_orders)),
        "storefront",
    )
    shipments = np.arange(n_ship)
    ev.add_shipment(
        ship_order,
        shipments,
        "pick_started",
        pick_at,
        rng.integers(5, 60, size=n_ship),
        "wms",
        ship_node,
    )
    ev.add_shipment(
        ship_order,
        shipments,
        "pack_completed",
        pack_at,
        rng.integers(5, 60, size=n_ship),
        "wms",
        ship_node,
        exception=np.where(~quantity_ok, _exc("pick_short"), -1),
    )
    ev.add_shipment(
        ship_order,
        shipments,
        "ship_label_created",
        label_at,
        label_latency,
        "carrier_gateway",
        ship_node,
        status=np.where(label_timeout, _TIMEOUT, np.where(label_failure, _RETRY, _OK)),
        exception=np.where(
            label_timeout,
            _exc("carrier_timeout"),
            np.where(label_failure, _exc("label_failure"), -1),
        ),
    )
    delivered_ships = np.flatnonzero(is_delivered)
    ev.add_shipment(
        ship_order[delivered_ships],
        delivered_ships,
        "delivered",
        delivered[delivered_ships],
        rng.integers(20, 400, size=len(delivered_ships)),
        "carrier_gateway",
        None,
    )
    events = ev.build(order_no, horizon_ms)
    events["shipment_group"] = np.where(
        events["shipment"] >= 0, ship_group[np.maximum(events["shipment"], 0)], -1
    )

    # Order status at export time.
    last_delivery = np.full(n, -1, dtype=np.int64)
    np.maximum.at(
        last_delivery, ship_order, np.where(is_delivered, delivered, np.iinfo(np.int64).max)
    )
    any_shipped = np.zeros(n, dtype=bool)
    np.logical_or.at(any_shipped, ship_order, is_shipped)
    all_delivered = live & (last_delivery < np.iinfo(np.int64).max) & (last_delivery >= 0)
    status = np.where(
        canceled & (t_cancel < horizon_ms),
        3,
        np.where(all_delivered, 2, np.where(any_shipped, 1, 0)),
    )

    exceptions = _exceptions(
        rng,
        scenario,
        world,
        horizon_ms,
        orders=dict(
            payment_failed=payment_failed,
            stockout=stockout,
            fraud=fraud_review & ~payment_failed,
            manual=(routing == 2) & ~payment_failed,
            primary=primary,
            t_pay=t_pay,
            t_node=t_node,
            t_inventory=t_inventory,
            t_cancel=t_cancel,
            fraud_wait=fraud_wait,
            manual_delay=manual_delay.astype(np.int64),
            order_no=order_no,
        ),
        ships=dict(
            order=ship_order,
            node=ship_node,
            label_timeout=label_timeout,
            label_failure=label_failure,
            label_at=label_at,
            pack_at=pack_at,
            quantity_ok=quantity_ok,
            is_shipped=is_shipped,
            address_ok=address_ok,
            is_delivered=is_delivered,
            delivered=delivered,
            condition_ok=condition_ok,
        ),
    )

    ledger = _ledger(
        rng,
        horizon_ms,
        orders=dict(
            order_no=order_no,
            value=order_value,
            stockout=stockout,
            t_cancel=t_cancel,
            promised_day=promised_day,
            last_delivery=last_delivery,
            all_delivered=all_delivered,
            routing=routing,
        ),
        ships=dict(
            order=ship_order,
            group=ship_group,
            zone=ship_zone,
            service=ship_service,
            shipped=shipped,
            is_shipped=is_shipped,
            is_delivered=is_delivered,
            delivered=delivered,
            value=ship_value,
            units=units_shipped,
            item_ok=item_ok,
            quantity_ok=quantity_ok,
            address_ok=address_ok,
            condition_ok=condition_ok,
            lost=lost,
        ),
    )

    shipment_columns = dict(
        order_no=order_no[ship_order],
        group=ship_group,
        created_at=ship_created,
        node=ship_node,
        carrier=ship_carrier,
        service=ship_service,
        zone=ship_zone,
        ship_by_at=ship_by,
        shipped_at=np.where(is_shipped, shipped, -1),
        quoted_transit_days=quoted,
        delivered_at=np.where(is_delivered, delivered, -1),
        tracking=tracking,
        lines_shipped=lines_shipped,
        units_shipped=units_shipped,
        item_ok=item_ok,
        quantity_ok=quantity_ok,
        address_ok=address_ok,
        # Condition is known only once the parcel arrived: 1 ok, 0 damaged, -1 unknown.
        condition=np.where(is_delivered, condition_ok.astype(np.int64), -1),
    )
    # A shipment the warehouse has not created by export time is not in the feed yet.
    created = shipment_columns["created_at"] < horizon_ms
    shipment_columns = {key: value[created] for key, value in shipment_columns.items()}

    return Block(
        orders=dict(
            order_no=order_no,
            created_at=t_created,
            channel=channel,
            customer_no=customer_no,
            region=region,
            zone=zone,
            value_cents=order_value_cents,
            promised_day=promised_day,
            promise_latency_ms=promise_latency,
            service=service,
            routing=routing,
            is_treated=is_treated,
            status=status,
        ),
        lines=dict(
            order_no=order_no[line_order],
            created_at=t_created[line_order],
            line_no=line_no,
            sku_class=sku_class,
            sku_no=sku_no,
            quantity=quantity,
            unit_price_cents=unit_price_cents,
            node=np.where(payment_failed[line_order], -1, line_node),
            shipment_group=np.where(
                canceled[line_order] | (t_release[line_order] >= horizon_ms), -1, line_group
            ),
        ),
        shipments=shipment_columns,
        events=events,
        exceptions=exceptions,
        ledger=ledger,
    )


class _EventBuilder:
    """Collects event columns per step and orders them by time."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        orders: np.ndarray,
        event_type: str,
        at: np.ndarray,
        latency: np.ndarray,
        source: str,
        node: np.ndarray | None = None,
        status: np.ndarray | None = None,
        exception: np.ndarray | None = None,
        shipments: np.ndarray | None = None,
    ) -> None:
        size = len(orders)
        self.parts.append(
            dict(
                order=orders,
                type=np.full(size, EVENT_TYPES.index(event_type), dtype=np.int64),
                at=np.asarray(at, dtype=np.int64),
                latency=np.maximum(0, np.rint(np.asarray(latency))).astype(np.int64),
                status=np.full(size, _OK, dtype=np.int64) if status is None else status,
                source=np.full(size, SOURCE_SYSTEMS.index(source), dtype=np.int64),
                node=np.full(size, -1, dtype=np.int64) if node is None else node,
                shipment=np.full(size, -1, dtype=np.int64) if shipments is None else shipments,
                exception=np.full(size, -1, dtype=np.int64) if exception is None else exception,
            )
        )

    def add_shipment(
        self,
        orders: np.ndarray,
        shipments: np.ndarray,
        event_type: str,
        at: np.ndarray,
        latency: np.ndarray,
        source: str,
        node: np.ndarray | None,
        **kwargs: np.ndarray,
    ) -> None:
        at = np.asarray(at)
        if len(at) != len(orders):
            at = at[shipments]
        if node is not None and len(node) != len(orders):
            node = node[shipments]
        for key in ("status", "exception"):
            if key in kwargs and len(kwargs[key]) != len(orders):
                kwargs[key] = kwargs[key][shipments]
        self.add(orders, event_type, at, latency, source, node=node, shipments=shipments, **kwargs)

    def build(self, order_no: np.ndarray, horizon_ms: int) -> dict[str, np.ndarray]:
        columns = {key: np.concatenate([part[key] for part in self.parts]) for key in self.parts[0]}
        keep = columns["at"] < horizon_ms
        columns = {key: value[keep] for key, value in columns.items()}
        order = np.lexsort((columns["type"], columns["order"], columns["at"]))
        columns = {key: value[order] for key, value in columns.items()}
        columns["order_no"] = order_no[columns.pop("order")]
        return columns


def _exc(name: str) -> int:
    return EXCEPTION_TYPES.index(name)


def _exceptions(rng, scenario, world, horizon_ms, orders, ships) -> dict[str, np.ndarray]:
    """Exceptions of the four classes, each with its resolution time and manual touches."""
    rows: list[dict[str, np.ndarray]] = []

    def add(
        mask, order_index, kind, klass, node, opened, wait_median, wait_sigma, resolution, touches
    ):
        index = np.flatnonzero(mask)
        size = len(index)
        if size == 0:
            return
        wait = (
            np.asarray(wait_median)[index]
            if np.ndim(wait_median)
            else _lognormal(rng, wait_median, wait_sigma, size)
        )
        rows.append(
            dict(
                order_no=orders["order_no"][order_index[index]],
                type=np.full(size, EXCEPTION_TYPES.index(kind)),
                klass=np.full(size, EXCEPTION_CLASSES.index(klass)),
                node=np.full(size, -1) if node is None else node[index],
                opened=opened[index],
                resolved=opened[index] + np.maximum(SECOND, wait).astype(np.int64),
                resolution=np.full(size, RESOLUTIONS.index(resolution)),
                touches=np.full(size, touches) if np.isscalar(touches) else touches[index],
            )
        )

    n = len(orders["order_no"])
    every_order = np.arange(n)
    # Cancellation waits were drawn with the order; the exception closes when the order does.
    cancel_wait = orders["t_cancel"] - np.where(
        orders["payment_failed"], orders["t_pay"], orders["t_inventory"]
    )
    add(
        orders["payment_failed"],
        every_order,
        "payment_declined",
        "customer_action",
        None,
        orders["t_pay"],
        cancel_wait,
        0,
        "canceled",
        0,
    )
    add(
        orders["stockout"],
        every_order,
        "inventory_mismatch",
        "operator",
        orders["primary"],
        orders["t_inventory"],
        cancel_wait,
        0,
        "canceled",
        1,
    )
    add(
        orders["fraud"],
        every_order,
        "fraud_review",
        "operator",
        None,
        orders["t_pay"],
        orders["fraud_wait"],
        0,
        "operator_override",
        1,
    )
    add(
        orders["manual"],
        every_order,
        "routing_no_node",
        "hard_failure",
        orders["primary"],
        orders["t_node"] - orders["manual_delay"],
        orders["manual_delay"],
        0,
        "operator_override",
        2,
    )

    ship_order = ships["order"]
    shipped = ships["is_shipped"]
    add(
        ships["label_timeout"] & shipped,
        ship_order,
        "carrier_timeout",
        "recoverable",
        ships["node"],
        ships["label_at"],
        40.0 * SECOND,
        0.8,
        "auto_retry",
        0,
    )
    add(
        ships["label_failure"] & shipped,
        ship_order,
        "label_failure",
        "recoverable",
        ships["node"],
        ships["label_at"],
        2.0 * MINUTE,
        0.6,
        "auto_retry",
        0,
    )
    add(
        ~ships["quantity_ok"] & shipped,
        ship_order,
        "pick_short",
        "operator",
        ships["node"],
        ships["pack_at"],
        6.0 * MINUTE,
        0.5,
        "reshipped",
        1,
    )
    delivered = ships["is_delivered"]
    add(
        ~ships["address_ok"] & delivered,
        ship_order,
        "address_invalid",
        "customer_action",
        ships["node"],
        ships["delivered"] + 2 * HOUR,
        8.0 * HOUR,
        0.5,
        "customer_updated",
        1,
    )
    add(
        ~ships["condition_ok"] & delivered,
        ship_order,
        "damage_claim",
        "operator",
        ships["node"],
        ships["delivered"] + 20 * HOUR,
        9.0 * MINUTE,
        0.5,
        "reshipped",
        1,
    )

    if not rows:
        return {
            key: np.empty(0, dtype=np.int64)
            for key in (
                "order_no",
                "type",
                "klass",
                "node",
                "opened",
                "resolved",
                "resolution",
                "touches",
            )
        }
    columns = {key: np.concatenate([row[key] for row in rows]).astype(np.int64) for key in rows[0]}

    # Maintenance: nobody works the operator queue at the node, so those exceptions stay open.
    maintenance = scenario.effects.maintenance
    node_code = world.node_ids.index(maintenance.node_id)
    start = int(maintenance.starts_at.timestamp() * 1000)
    end = int(maintenance.ends_at.timestamp() * 1000)
    stuck = (
        (columns["klass"] == EXCEPTION_CLASSES.index("operator"))
        & (columns["node"] == node_code)
        & (columns["opened"] >= start)
        & (columns["opened"] < end)
    )
    still_open = stuck | (columns["resolved"] >= horizon_ms)
    columns["resolved"] = np.where(still_open, -1, columns["resolved"])
    columns["resolution"] = np.where(still_open, -1, columns["resolution"])
    keep = columns["opened"] < horizon_ms
    columns = {key: value[keep] for key, value in columns.items()}
    order = np.lexsort((columns["type"], columns["order_no"], columns["opened"]))
    return {key: value[order] for key, value in columns.items()}


def shipping_cost(zone: np.ndarray, service: np.ndarray) -> np.ndarray:
    """What a parcel costs to ship, by zone and service level."""
    factor = np.array([SERVICE_COST_FACTOR[s] for s in SERVICE_LEVELS])[service]
    return (5.5 + 0.9 * zone) * factor


def _ledger(rng, horizon_ms, orders, ships) -> dict[str, np.ndarray]:
    """Every money movement caused by the block's orders, booked when finance would book it."""
    rows: list[dict[str, np.ndarray]] = []

    def add(mask, order_index, ship_index, entry_type, reason, amount, booked):
        index = np.flatnonzero(mask)
        if len(index) == 0:
            return
        rows.append(
            dict(
                order_no=orders["order_no"][order_index[index]],
                shipment=np.full(len(index), -1) if ship_index is None else ship_index[index],
                type=np.full(len(index), LEDGER_ENTRY_TYPES.index(entry_type)),
                reason=np.full(len(index), LEDGER_REASON_CODES.index(reason)),
                amount_cents=np.maximum(1, _cents(np.asarray(amount)[index])),
                booked=np.asarray(booked)[index],
            )
        )

    n = len(orders["order_no"])
    every_order = np.arange(n)
    n_ship = len(ships["order"])
    every_ship = np.arange(n_ship)
    ship_order = ships["order"]
    cost = shipping_cost(ships["zone"], ships["service"])
    shipped = ships["is_shipped"]
    delivered = ships["is_delivered"]
    value = ships["value"]
    replacement = 0.6 * value + cost
    days = rng.integers(1, 4, size=n_ship) * DAY

    add(
        shipped & (ships["group"] == 0),
        ship_order,
        every_ship,
        "shipping_cost",
        "base_shipping",
        cost,
        ships["shipped"] + 6 * HOUR,
    )
    add(
        shipped & (ships["group"] == 1),
        ship_order,
        every_ship,
        "shipping_cost",
        "split_shipment",
        cost,
        ships["shipped"] + 6 * HOUR,
    )
    add(
        orders["stockout"],
        every_order,
        None,
        "refund",
        "stockout_cancel",
        orders["value"],
        orders["t_cancel"] + DAY,
    )

    promised_end = (orders["promised_day"] + 1) * DAY
    late = orders["all_delivered"] & (orders["last_delivery"] >= promised_end)
    appease = late & (rng.random(n) < LATE_APPEASEMENT_RATE)
    add(
        appease,
        every_order,
        None,
        "appeasement_credit",
        "late_delivery",
        np.maximum(5.0, 0.1 * orders["value"]),
        orders["last_delivery"] + DAY,
    )

    reship = rng.random(n_ship) < 0.7
    wrong = delivered & ~ships["item_ok"]
    add(
        wrong & reship,
        ship_order,
        every_ship,
        "reship",
        "wrong_item",
        replacement,
        ships["delivered"] + days,
    )
    add(
        wrong & ~reship,
        ship_order,
        every_ship,
        "refund",
        "wrong_item",
        value,
        ships["delivered"] + days,
    )
    unit_value = value / np.maximum(1, ships["units"])
    add(
        shipped & ~ships["quantity_ok"],
        ship_order,
        every_ship,
        "reship",
        "short_quantity",
        0.6 * unit_value + cost,
        ships["shipped"] + DAY,
    )
    damaged = delivered & ~ships["condition_ok"]
    add(
        damaged & reship,
        ship_order,
        every_ship,
        "reship",
        "damaged_in_transit",
        replacement,
        ships["delivered"] + days + DAY,
    )
    add(
        damaged & ~reship,
        ship_order,
        every_ship,
        "refund",
        "damaged_in_transit",
        value,
        ships["delivered"] + days + DAY,
    )
    add(
        delivered & ~ships["address_ok"],
        ship_order,
        every_ship,
        "reship",
        "address_error",
        replacement,
        ships["delivered"] + days + DAY,
    )
    add(
        shipped & ships["lost"],
        ship_order,
        every_ship,
        "write_off",
        "lost_in_transit",
        replacement,
        ships["shipped"] + 10 * DAY,
    )
    misrouted = (orders["routing"] > 0)[ship_order] & (ships["group"] == 0)
    expedite = shipped & misrouted & (rng.random(n_ship) < EXPEDITE_RATE_AFTER_MISROUTE)
    add(
        expedite,
        ship_order,
        every_ship,
        "expedite",
        "misroute_expedite",
        14.0 + 2.0 * ships["zone"],
        ships["shipped"] + 2 * HOUR,
    )
    chargeback = orders["all_delivered"] & (rng.random(n) < CHARGEBACK_RATE)
    add(
        chargeback,
        every_order,
        None,
        "chargeback",
        "payment_failure",
        orders["value"] + 15.0,
        orders["last_delivery"] + rng.integers(20, 40, size=n) * DAY,
    )

    columns = {key: np.concatenate([row[key] for row in rows]).astype(np.int64) for key in rows[0]}
    keep = columns["booked"] < horizon_ms
    columns = {key: value[keep] for key, value in columns.items()}
    order = np.lexsort((columns["reason"], columns["type"], columns["order_no"], columns["booked"]))
    columns = {key: value[order] for key, value in columns.items()}
    # Shipment numbers are the shipment's group within its order.
    columns["shipment_group"] = np.where(
        columns["shipment"] >= 0, ships["group"][np.maximum(columns["shipment"], 0)], -1
    )
    del columns["shipment"]
    return columns
