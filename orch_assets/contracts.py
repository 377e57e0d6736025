"""Feed contracts: the one description of every upstream file the platform accepts.

The simulator writes by these contracts, ingestion validates by them, and `docs/feeds.md` is
generated from them, so a column cannot mean one thing to the writer and another to the reader.

A contract names each column's logical type, whether it is required, the values or range it
may take, and which reference table it must match. Logical types map onto what upstream
systems actually send: timestamps are ISO 8601 text with an offset (stored as UTC), money is
a decimal with a separate ISO 4217 currency code, booleans are `true`/`false`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["string", "integer", "decimal", "timestamp", "date", "boolean"]
LandingFormat = Literal["csv", "jsonl", "parquet"]

# DuckDB types each logical type lands as in the lake. Decimal(18, 2) holds any order value
# to the cent without the rounding drift of a double.
LAKE_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "boolean": "BOOLEAN",
}

FORMATS_ACCEPTED: dict[str, str] = {
    "csv": "comma separated, UTF-8, one header row, `.csv` or `.csv.gz`",
    "jsonl": "one JSON object per line, UTF-8, `.jsonl`, `.json` or `.jsonl.gz`",
    "parquet": "Apache Parquet, `.parquet`",
}

CURRENCY_PATTERN = "^[A-Z]{3}$"


@dataclass(frozen=True)
class Column:
    """One column of a feed and the rules a value in it must meet."""

    name: str
    type: LogicalType
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    reference: str | None = None
    pii: bool = False
    # A planned time (a ship-by deadline, a window's end) may lie after the export; any other
    # timestamp records something that happened and cannot be in the future.
    planned: bool = False

    def rule_text(self) -> str:
        """Human-readable rules for the feed documentation."""
        parts: list[str] = []
        if self.allowed:
            parts.append("one of " + ", ".join(f"`{value}`" for value in self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"between {_number(self.minimum)} and {_number(self.maximum)}")
        elif self.minimum is not None:
            parts.append(f"at least {_number(self.minimum)}")
        elif self.maximum is not None:
            parts.append(f"at most {_number(self.maximum)}")
        if self.pattern:
            parts.append(f"matches `{self.pattern}`")
        if self.reference:
            parts.append(f"must exist in reference `{self.reference}`")
        if self.type == "timestamp" and not self.planned:
            parts.append("not in the future")
        if self.pii:
            parts.append("customer-identifying: hashed with a salt before it reaches the lake")
        return "; ".join(parts)


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, written as a portable SQL predicate."""

    name: str
    predicate: str
    description: str


@dataclass(frozen=True)
class Feed:
    """A feed: its grain, key, columns and the time field that places a row in a partition."""

    name: str
    grain: str
    description: str
    landing_format: LandingFormat
    key: tuple[str, ...]
    partition_field: str | None
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)
    # A row belongs to the partition of the folder it landed in. Its partition field must fall
    # on that day, or up to this many days earlier: a stream sink that flushes after midnight
    # drops yesterday's last events into today's folder, and that is late, not wrong.
    late_tolerance_days: int = 0
    # Feeds whose rows must belong to an order in the orders feed of the same window.
    references_orders: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"feed {self.name!r} has no column {name!r}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


CHANNELS = ("web", "app", "store", "marketplace", "call_center")
REGIONS = ("northeast", "southeast", "midwest", "southwest", "west")
SERVICE_LEVELS = ("standard", "expedited", "next_day")
ROUTING_METHODS = ("auto", "fallback", "manual")
ORDER_STATUSES = ("processing", "shipped", "delivered", "canceled")
SKU_CLASSES = ("standard", "fragile", "hazmat", "oversized")
EVENT_TYPES = (
    "order_created",
    "payment_authorized",
    "promise_calculated",
    "node_selected",
    "inventory_reserved",
    "released_to_fulfillment",
    "pick_started",
    "pack_completed",
    "ship_label_created",
    "delivered",
    "canceled",
)
EVENT_STATUSES = ("ok", "error", "retry", "timeout")
SOURCE_SYSTEMS = (
    "storefront",
    "payments",
    "promise_engine",
    "router",
    "inventory",
    "wms",
    "carrier_gateway",
)
TRACKING_STATUSES = ("label_created", "in_transit", "delivered", "lost")
LEDGER_ENTRY_TYPES = (
    "refund",
    "reship",
    "write_off",
    "expedite",
    "appeasement_credit",
    "shipping_cost",
    "chargeback",
)
LEDGER_REASON_CODES = (
    "base_shipping",
    "stockout_cancel",
    "late_delivery",
    "wrong_item",
    "short_quantity",
    "damaged_in_transit",
    "address_error",
    "misroute_expedite",
    "split_shipment",
    "payment_failure",
    "lost_in_transit",
)
EXCEPTION_TYPES = (
    "carrier_timeout",
    "label_failure",
    "inventory_mismatch",
    "fraud_review",
    "pick_short",
    "address_invalid",
    "payment_declined",
    "routing_no_node",
    "damage_claim",
)
EXCEPTION_CLASSES = ("recoverable", "operator", "customer_action", "hard_failure")
RESOLUTIONS = (
    "auto_retry",
    "operator_override",
    "customer_updated",
    "reshipped",
    "canceled",
)
DEPENDENCIES = ("inventory", "pricing", "carrier_quote", "payment", "promise_engine", "router")
CHANGE_KINDS = ("release", "rule_change", "carrier_outage", "maintenance", "promotion")

_CURRENCY = Column(
    "currency", "string", "ISO 4217 code of the amount's currency.", pattern=CURRENCY_PATTERN
)

ORDERS = Feed(
    name="orders",
    grain="one row per order",
    description="Orders as the order management system captured them, with the promise made.",
    landing_format="csv",
    key=("order_id",),
    partition_field="created_at",
    columns=(
        Column("order_id", "string", "Order identifier, unique across all days."),
        Column("created_at", "timestamp", "When the customer placed the order."),
        Column("channel", "string", "Sales channel the order came through.", allowed=CHANNELS),
        Column(
            "customer_id",
            "string",
            "The customer's account identifier in the source system.",
            pii=True,
        ),
        Column("customer_region", "string", "Region of the ship-to address.", allowed=REGIONS),
        Column(
            "ship_to_zone",
            "integer",
            "Carrier zone of the ship-to address from the nearest node (1 near, 8 far).",
            minimum=1,
            maximum=8,
        ),
        Column("order_value", "decimal", "Gross merchandise value of the order.", minimum=0),
        _CURRENCY,
        Column(
            "promised_delivery_date",
            "date",
            "Delivery date promised to the customer at checkout.",
        ),
        Column(
            "promise_latency_ms",
            "integer",
            "Time the promise engine took to answer, in milliseconds.",
            minimum=0,
        ),
        Column(
            "service_level", "string", "Delivery speed the customer chose.", allowed=SERVICE_LEVELS
        ),
        Column(
            "routing_method",
            "string",
            "How the ship-from node was chosen: by the rules, by the fallback, or by a person.",
            allowed=ROUTING_METHODS,
        ),
        Column(
            "rule_set_version", "string", "Version of the routing rule set that routed the order."
        ),
        Column("status", "string", "Order status at export time.", allowed=ORDER_STATUSES),
    ),
)

ORDER_LINES = Feed(
    name="order_lines",
    grain="one row per order line",
    description="What was ordered, and which node and shipment each line was assigned to.",
    landing_format="parquet",
    key=("order_id", "line_no"),
    partition_field=None,
    references_orders=True,
    columns=(
        Column("order_id", "string", "Order the line belongs to."),
        Column("line_no", "integer", "Line number within the order, from 1.", minimum=1),
        Column("sku", "string", "Stock keeping unit ordered."),
        Column("sku_class", "string", "Handling class of the SKU.", allowed=SKU_CLASSES),
        Column("quantity", "integer", "Units ordered.", minimum=1),
        Column("unit_price", "decimal", "Price of one unit.", minimum=0),
        Column(
            "node_id",
            "string",
            "Node the line was routed to; empty when the order was canceled before routing.",
            required=False,
            reference="nodes",
        ),
        Column(
            "shipment_id",
            "string",
            "Shipment that carries the line; empty when it never shipped.",
            required=False,
        ),
    ),
)

ORDER_EVENTS = Feed(
    name="order_events",
    grain="one row per lifecycle event",
    description="Every step of an order's life, as emitted by the systems that performed it.",
    landing_format="jsonl",
    key=("event_id",),
    partition_field="occurred_at",
    late_tolerance_days=2,
    references_orders=True,
    columns=(
        Column("event_id", "string", "Event identifier, unique across all days."),
        Column("order_id", "string", "Order the event belongs to."),
        Column("trace_id", "string", "Distributed trace that carried the order through."),
        Column("event_type", "string", "Lifecycle step.", allowed=EVENT_TYPES),
        Column("occurred_at", "timestamp", "When the step happened."),
        Column("latency_ms", "integer", "Time the step's call took, in milliseconds.", minimum=0),
        Column("status", "string", "Outcome of the step's call.", allowed=EVENT_STATUSES),
        Column("source_system", "string", "System that emitted the event.", allowed=SOURCE_SYSTEMS),
        Column(
            "node_id",
            "string",
            "Node the step ran at, for node-bound steps.",
            required=False,
            reference="nodes",
        ),
        Column(
            "shipment_id",
            "string",
            "Shipment the step concerns, for shipment-bound steps.",
            required=False,
        ),
        Column(
            "exception_reason",
            "string",
            "Exception type raised by the step, when it raised one.",
            required=False,
            allowed=EXCEPTION_TYPES,
        ),
    ),
)

SHIPMENTS = Feed(
    name="shipments",
    grain="one row per shipment",
    description=(
        "Shipments as the warehouse and carrier report them at export time, with what was "
        "shipped and how it arrived. Partitioned by the day the shipment was created; a "
        "carrier update for an old shipment arrives as a re-sent file for that day."
    ),
    landing_format="parquet",
    key=("shipment_id",),
    partition_field="created_at",
    references_orders=True,
    columns=(
        Column("shipment_id", "string", "Shipment identifier."),
        Column("order_id", "string", "Order the shipment fulfils."),
        Column("created_at", "timestamp", "When the warehouse created the shipment."),
        Column("node_id", "string", "Node that shipped it.", reference="nodes"),
        Column("carrier_id", "string", "Carrier that carried it.", reference="carriers"),
        Column(
            "service_level", "string", "Service bought from the carrier.", allowed=SERVICE_LEVELS
        ),
        Column("zone", "integer", "Carrier zone from node to address.", minimum=1, maximum=8),
        Column(
            "ship_by_at",
            "timestamp",
            "Latest time the node should hand it to the carrier.",
            planned=True,
        ),
        Column("shipped_at", "timestamp", "When the carrier scanned it.", required=False),
        Column(
            "quoted_transit_days",
            "integer",
            "Transit days the carrier quoted for this zone and service.",
            minimum=0,
        ),
        Column("delivered_at", "timestamp", "When it was delivered.", required=False),
        Column(
            "tracking_status", "string", "Carrier status at export time.", allowed=TRACKING_STATUSES
        ),
        Column("lines_shipped", "integer", "Order lines in the shipment.", minimum=1),
        Column("units_shipped", "integer", "Units in the shipment.", minimum=1),
        Column("is_item_correct", "boolean", "Every line was the SKU ordered."),
        Column("is_quantity_correct", "boolean", "Every line had the quantity ordered."),
        Column("is_address_correct", "boolean", "It went to the address on the order."),
        Column("is_condition_ok", "boolean", "It arrived undamaged.", required=False),
    ),
    row_rules=(
        RowRule(
            "delivered_before_shipped",
            "delivered_at is null or shipped_at is null or delivered_at >= shipped_at",
            "delivered_at may not be earlier than shipped_at",
        ),
        RowRule(
            "delivered_without_shipping",
            "delivered_at is null or shipped_at is not null",
            "a delivered shipment must have a shipped_at",
        ),
    ),
)

FINANCE_LEDGER = Feed(
    name="finance_ledger",
    grain="one row per money movement",
    description=(
        "Money booked against orders: refunds, reships, write-offs, credits, shipping cost. "
        "Amounts are positive; the entry type says which way the money went."
    ),
    landing_format="parquet",
    key=("entry_id",),
    partition_field="booked_at",
    late_tolerance_days=2,
    columns=(
        Column("entry_id", "string", "Ledger entry identifier."),
        Column("order_id", "string", "Order the money is booked against."),
        Column("shipment_id", "string", "Shipment concerned, if any.", required=False),
        Column("entry_type", "string", "Kind of money movement.", allowed=LEDGER_ENTRY_TYPES),
        Column("amount", "decimal", "Amount, always positive.", minimum=0),
        _CURRENCY,
        Column("reason_code", "string", "Why the money moved.", allowed=LEDGER_REASON_CODES),
        Column("booked_at", "timestamp", "When finance booked it."),
    ),
)

EXCEPTIONS = Feed(
    name="exceptions",
    grain="one row per exception",
    description="Exceptions raised while orchestrating an order, and how each was resolved.",
    landing_format="parquet",
    key=("exception_id",),
    partition_field="opened_at",
    references_orders=True,
    columns=(
        Column("exception_id", "string", "Exception identifier."),
        Column("order_id", "string", "Order the exception blocked."),
        Column("exception_type", "string", "What went wrong.", allowed=EXCEPTION_TYPES),
        Column(
            "exception_class",
            "string",
            "Who can clear it: retries, an operator, the customer, or engineering.",
            allowed=EXCEPTION_CLASSES,
        ),
        Column("node_id", "string", "Node where it was raised.", required=False, reference="nodes"),
        Column("opened_at", "timestamp", "When it was raised."),
        Column(
            "resolved_at", "timestamp", "When it was cleared; empty while open.", required=False
        ),
        Column(
            "resolution",
            "string",
            "How it was cleared; empty while open.",
            required=False,
            allowed=RESOLUTIONS,
        ),
        Column("manual_touches", "integer", "Times a person had to act on it.", minimum=0),
    ),
    row_rules=(
        RowRule(
            "resolved_before_opened",
            "resolved_at is null or resolved_at >= opened_at",
            "resolved_at may not be earlier than opened_at",
        ),
        RowRule(
            "resolution_without_resolved_at",
            "(resolved_at is null) = (resolution is null)",
            "resolution and resolved_at are both set or both empty",
        ),
    ),
)

DEPENDENCY_HEALTH = Feed(
    name="dependency_health",
    grain="one row per dependency per minute",
    description="Per-minute health of every service the orchestrator calls.",
    landing_format="parquet",
    key=("minute", "dependency"),
    partition_field="minute",
    columns=(
        Column("minute", "timestamp", "Start of the minute."),
        Column("dependency", "string", "Service called.", allowed=DEPENDENCIES),
        Column("calls", "integer", "Calls made.", minimum=0),
        Column("errors", "integer", "Calls that returned an error.", minimum=0),
        Column("timeouts", "integer", "Calls that timed out.", minimum=0),
        Column("retries", "integer", "Calls retried.", minimum=0),
        Column(
            "circuit_open_seconds",
            "integer",
            "Seconds of the minute the circuit breaker was open.",
            minimum=0,
            maximum=60,
        ),
        Column("p95_latency_ms", "integer", "95th percentile call latency.", minimum=0),
        Column("queue_depth", "integer", "Requests waiting at the end of the minute.", minimum=0),
        Column("consumer_lag", "integer", "Messages behind on the event stream.", minimum=0),
        Column("dead_letters", "integer", "Messages sent to the dead-letter queue.", minimum=0),
    ),
    row_rules=(
        RowRule(
            "failures_exceed_calls",
            "errors + timeouts <= calls",
            "errors plus timeouts may not exceed calls",
        ),
    ),
)

CHANGE_ANNOTATIONS = Feed(
    name="change_annotations",
    grain="one row per change",
    description="Releases, rule changes, outages and maintenance: the context for every trend.",
    landing_format="jsonl",
    key=("change_id",),
    partition_field="starts_at",
    columns=(
        Column("change_id", "string", "Change identifier."),
        Column("kind", "string", "Kind of change.", allowed=CHANGE_KINDS),
        Column("starts_at", "timestamp", "When it started."),
        Column(
            "ends_at",
            "timestamp",
            "When it ends or ended; empty if it is still in force.",
            required=False,
            planned=True,
        ),
        Column(
            "scope",
            "string",
            "What it touched, as `kind:id[,id...]` (`carrier:`, `node:`, `regions:`, `all`).",
        ),
        Column("description", "string", "What changed, in words."),
        Column(
            "rule_set_version",
            "string",
            "Rule-set version a rule change put in force.",
            required=False,
        ),
    ),
    row_rules=(
        RowRule(
            "ends_before_starts",
            "ends_at is null or ends_at >= starts_at",
            "ends_at may not be earlier than starts_at",
        ),
    ),
)

FEEDS: dict[str, Feed] = {
    feed.name: feed
    for feed in (
        ORDERS,
        ORDER_LINES,
        ORDER_EVENTS,
        SHIPMENTS,
        FINANCE_LEDGER,
        EXCEPTIONS,
        DEPENDENCY_HEALTH,
        CHANGE_ANNOTATIONS,
    )
}


@dataclass(frozen=True)
class ReferenceTable:
    """Reference data a user edits: nodes, carriers and the rest, shipped as dbt seeds."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


REFERENCE_TABLES: dict[str, ReferenceTable] = {
    table.name: table
    for table in (
        ReferenceTable(
            "nodes",
            "Fulfillment nodes: distribution centres and ship-from stores.",
            ("node_id",),
            (
                Column("node_id", "string", "Node identifier."),
                Column("node_name", "string", "Display name."),
                Column("node_type", "string", "Kind of node.", allowed=("dc", "store")),
                Column("region", "string", "Region the node is in.", allowed=REGIONS),
                Column("daily_capacity", "integer", "Units it can ship a day.", minimum=0),
            ),
        ),
        ReferenceTable(
            "carriers",
            "Carriers the router can choose.",
            ("carrier_id",),
            (
                Column("carrier_id", "string", "Carrier identifier."),
                Column("carrier_name", "string", "Display name."),
            ),
        ),
        ReferenceTable(
            "zones",
            "Carrier zones, from near to far.",
            ("zone",),
            (
                Column("zone", "integer", "Zone number.", minimum=1, maximum=8),
                Column("zone_label", "string", "Display label."),
            ),
        ),
        ReferenceTable(
            "cost_rates",
            "Unit costs that turn operational work into dollars.",
            ("rate_name",),
            (
                Column("rate_name", "string", "What the rate prices."),
                Column("value", "decimal", "The rate.", minimum=0),
                Column("unit", "string", "Unit of the rate."),
            ),
        ),
        ReferenceTable(
            "rollout_cohorts",
            "Which regions received a routing rule set, and when.",
            ("region", "rule_set_version"),
            (
                Column("region", "string", "Region.", allowed=REGIONS),
                Column("cohort", "string", "Rollout arm.", allowed=("treatment", "control")),
                Column("rule_set_version", "string", "Rule set the region moved to."),
                Column("effective_date", "date", "First day the rule set routed its orders."),
            ),
        ),
    )
}
