"""Turn generated blocks into landing files, in the formats upstream systems send.

Orders arrive as CSV (an OMS export), order events and change annotations as JSON lines (a
stream sink and a change calendar), everything else as Parquet. Files go to
`<out>/<feed>/date=YYYY-MM-DD/part-NNNN.<ext>`, one file per generation block and day, where
the day is the UTC date of the feed's partition field. Reference data goes to
`<out>/reference/<table>.csv`.

Identifiers and text timestamps are formatted by DuckDB over Arrow columns, so no value is
formatted in a Python loop. Some sources stamp local time with its offset, as real ones do:
store orders carry -05:00 and warehouse events -06:00; everything else is UTC with `Z`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orch_assets.contracts import (
    CHANNELS,
    EVENT_STATUSES,
    EVENT_TYPES,
    EXCEPTION_CLASSES,
    EXCEPTION_TYPES,
    FEEDS,
    LEDGER_ENTRY_TYPES,
    LEDGER_REASON_CODES,
    ORDER_STATUSES,
    REFERENCE_TABLES,
    REGIONS,
    RESOLUTIONS,
    ROUTING_METHODS,
    SERVICE_LEVELS,
    SKU_CLASSES,
    SOURCE_SYSTEMS,
    TRACKING_STATUSES,
)
from orch_assets.simulator.engine import DAY, Block, WorldIndex

_TS = "%Y-%m-%dT%H:%M:%S.%g"


def _dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.Array:
    """Strings as a dictionary over integer codes; code -1 is a null."""
    codes = np.asarray(codes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, mask=codes < 0), pa.array(list(values), pa.string())
    )


def _timestamps(ms: np.ndarray) -> pa.Array:
    ms = np.asarray(ms, dtype=np.int64)
    return pa.array(ms, type=pa.timestamp("ms", tz="UTC"), mask=ms < 0)


def _money(cents: np.ndarray) -> pa.Array:
    """Decimal(18, 2) built from integer cents, so no amount passes through a float."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])


def _sequence_within(group: np.ndarray) -> np.ndarray:
    """1-based position of each row within its group, in the rows' current order."""
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    counts = np.diff(np.r_[starts, len(group)])
    position = np.arange(len(group)) - np.repeat(starts, counts) + 1
    result = np.empty(len(group), dtype=np.int64)
    result[order] = position
    return result


def _trace_ids(order_no: np.ndarray, seed: int) -> np.ndarray:
    """A stable 64-bit trace id per order (splitmix64 of the order number and the seed)."""
    with np.errstate(over="ignore"):
        z = order_no.astype(np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _day(ms: np.ndarray) -> np.ndarray:
    return np.asarray(ms, dtype=np.int64) // DAY


class LandingWriter:
    """Writes blocks into the landing layout and counts what it wrote."""

    def __init__(
        self,
        out: Path,
        world: WorldIndex,
        seed: int,
        parameters: dict[str, str],
        on_file: Callable[[], None],
    ):
        self.out = out
        self.world = world
        self.seed = seed
        # Scenario-level values the SQL binds: currency and the two rule-set versions.
        self.parameters = parameters
        self.on_file = on_file
        self.rows: dict[str, int] = dict.fromkeys(FEEDS, 0)
        self.files: dict[str, int] = dict.fromkeys(FEEDS, 0)
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute("set enable_progress_bar = false")

    def close(self) -> None:
        self.con.close()

    def write_block(self, block: Block, block_no: int) -> None:
        self._write("orders", block_no, *self._orders(block.orders))
        self._write("order_lines", block_no, *self._lines(block.lines))
        self._write("order_events", block_no, *self._events(block.events))
        self._write("shipments", block_no, *self._shipments(block.shipments))
        self._write("finance_ledger", block_no, *self._ledger(block.ledger))
        self._write("exceptions", block_no, *self._exceptions(block.exceptions))

    def write_table(self, feed: str, block_no: int, table: pa.Table, sql: str, days) -> None:
        self._write(feed, block_no, table, sql, days)

    # Each feed: the Arrow columns, the SQL that shapes them into the contract's columns, and
    # the partition day of every row.

    def _orders(self, o: dict[str, np.ndarray]):
        table = pa.table(
            {
                "order_no": o["order_no"],
                "created_at": _timestamps(o["created_at"]),
                "channel": _dictionary(o["channel"], CHANNELS),
                "customer_no": o["customer_no"],
                "customer_region": _dictionary(o["region"], REGIONS),
                "ship_to_zone": o["zone"],
                "order_value": _money(o["value_cents"]),
                "promised_day": o["promised_day"],
                "promise_latency_ms": o["promise_latency_ms"],
                "service_level": _dictionary(o["service"], SERVICE_LEVELS),
                "routing_method": _dictionary(o["routing"], ROUTING_METHODS),
                "is_treated": o["is_treated"],
                "status": _dictionary(o["status"], ORDER_STATUSES),
            }
        )
        sql = f"""
            select
                printf('O%010d', order_no) as order_id,
                case when channel = 'store'
                    then strftime(created_at - interval 5 hour, '{_TS}') || '-05:00'
                    else strftime(created_at, '{_TS}') || 'Z'
                end as created_at,
                channel::varchar as channel,
                printf('C%08d', customer_no) as customer_id,
                customer_region::varchar as customer_region,
                ship_to_zone,
                order_value,
                $currency as currency,
                strftime(date '1970-01-01' + cast(promised_day as integer), '%Y-%m-%d')
                    as promised_delivery_date,
                promise_latency_ms,
                service_level::varchar as service_level,
                routing_method::varchar as routing_method,
                case when is_treated then $treated_rule_set else $baseline_rule_set end
                    as rule_set_version,
                status::varchar as status
            from block_rows
        """
        return table, sql, _day(o["created_at"])

    def _lines(self, lines: dict[str, np.ndarray]):
        node_ids = self.world.node_ids
        table = pa.table(
            {
                "order_no": lines["order_no"],
                "line_no": lines["line_no"],
                "sku_class": _dictionary(lines["sku_class"], SKU_CLASSES),
                "sku_no": lines["sku_no"],
                "quantity": lines["quantity"],
                "unit_price": _money(lines["unit_price_cents"]),
                "node_id": _dictionary(lines["node"], node_ids),
                "shipment_group": lines["shipment_group"],
            }
        )
        sql = """
            select
                printf('O%010d', order_no) as order_id,
                line_no,
                printf('%s-%05d', upper(left(sku_class::varchar, 3)), sku_no) as sku,
                sku_class::varchar as sku_class,
                quantity,
                unit_price,
                node_id::varchar as node_id,
                case when shipment_group >= 0
                    then printf('S%010d-%d', order_no, shipment_group + 1)
                end as shipment_id
            from block_rows
        """
        return table, sql, _day(lines["created_at"])

    def _events(self, e: dict[str, np.ndarray]):
        sequence = _sequence_within(e["order_no"])
        table = pa.table(
            {
                "order_no": e["order_no"],
                "sequence": sequence,
                "trace": _trace_ids(e["order_no"], self.seed),
                "event_type": _dictionary(e["type"], EVENT_TYPES),
                "occurred_at": _timestamps(e["at"]),
                "latency_ms": e["latency"],
                "status": _dictionary(e["status"], EVENT_STATUSES),
                "source_system": _dictionary(e["source"], SOURCE_SYSTEMS),
                "node_id": _dictionary(e["node"], self.world.node_ids),
                "shipment_group": e["shipment_group"],
                "exception_reason": _dictionary(e["exception"], EXCEPTION_TYPES),
            }
        )
        sql = f"""
            select
                printf('E%010d-%02d', order_no, sequence) as event_id,
                printf('O%010d', order_no) as order_id,
                lower(lpad(to_hex(trace), 16, '0')) as trace_id,
                event_type::varchar as event_type,
                case when source_system = 'wms'
                    then strftime(occurred_at - interval 6 hour, '{_TS}') || '-06:00'
                    else strftime(occurred_at, '{_TS}') || 'Z'
                end as occurred_at,
                latency_ms,
                status::varchar as status,
                source_system::varchar as source_system,
                node_id::varchar as node_id,
                case when shipment_group >= 0
                    then printf('S%010d-%d', order_no, shipment_group + 1)
                end as shipment_id,
                exception_reason::varchar as exception_reason
            from block_rows
        """
        return table, sql, _day(e["at"])

    def _shipments(self, s: dict[str, np.ndarray]):
        table = pa.table(
            {
                "order_no": s["order_no"],
                "group": s["group"],
                "created_at": _timestamps(s["created_at"]),
                "node_id": _dictionary(s["node"], self.world.node_ids),
                "carrier_id": _dictionary(s["carrier"], self.world.carrier_ids),
                "service_level": _dictionary(s["service"], SERVICE_LEVELS),
                "zone": s["zone"],
                "ship_by_at": _timestamps(s["ship_by_at"]),
                "shipped_at": _timestamps(s["shipped_at"]),
                "quoted_transit_days": s["quoted_transit_days"],
                "delivered_at": _timestamps(s["delivered_at"]),
                "tracking_status": _dictionary(s["tracking"], TRACKING_STATUSES),
                "lines_shipped": s["lines_shipped"],
                "units_shipped": s["units_shipped"],
                "is_item_correct": s["item_ok"],
                "is_quantity_correct": s["quantity_ok"],
                "is_address_correct": s["address_ok"],
                "condition": s["condition"],
            }
        )
        sql = """
            select
                printf('S%010d-%d', order_no, "group" + 1) as shipment_id,
                printf('O%010d', order_no) as order_id,
                created_at,
                node_id::varchar as node_id,
                carrier_id::varchar as carrier_id,
                service_level::varchar as service_level,
                zone,
                ship_by_at,
                shipped_at,
                quoted_transit_days,
                delivered_at,
                tracking_status::varchar as tracking_status,
                lines_shipped,
                units_shipped,
                is_item_correct,
                is_quantity_correct,
                is_address_correct,
                case condition when 1 then true when 0 then false end as is_condition_ok
            from block_rows
        """
        return table, sql, _day(s["created_at"])

    def _ledger(self, g: dict[str, np.ndarray]):
        table = pa.table(
            {
                "order_no": g["order_no"],
                "sequence": _sequence_within(g["order_no"]),
                "shipment_group": g["shipment_group"],
                "entry_type": _dictionary(g["type"], LEDGER_ENTRY_TYPES),
                "amount": _money(g["amount_cents"]),
                "reason_code": _dictionary(g["reason"], LEDGER_REASON_CODES),
                "booked_at": _timestamps(g["booked"]),
            }
        )
        sql = """
            select
                printf('L%010d-%03d', order_no, sequence) as entry_id,
                printf('O%010d', order_no) as order_id,
                case when shipment_group >= 0
                    then printf('S%010d-%d', order_no, shipment_group + 1)
                end as shipment_id,
                entry_type::varchar as entry_type,
                amount,
                $currency as currency,
                reason_code::varchar as reason_code,
                booked_at
            from block_rows
        """
        return table, sql, _day(g["booked"])

    def _exceptions(self, x: dict[str, np.ndarray]):
        table = pa.table(
            {
                "order_no": x["order_no"],
                "sequence": _sequence_within(x["order_no"]),
                "exception_type": _dictionary(x["type"], EXCEPTION_TYPES),
                "exception_class": _dictionary(x["klass"], EXCEPTION_CLASSES),
                "node_id": _dictionary(x["node"], self.world.node_ids),
                "opened_at": _timestamps(x["opened"]),
                "resolved_at": _timestamps(x["resolved"]),
                "resolution": _dictionary(x["resolution"], RESOLUTIONS),
                "manual_touches": x["touches"],
            }
        )
        sql = """
            select
                printf('X%010d-%02d', order_no, sequence) as exception_id,
                printf('O%010d', order_no) as order_id,
                exception_type::varchar as exception_type,
                exception_class::varchar as exception_class,
                node_id::varchar as node_id,
                opened_at,
                resolved_at,
                resolution::varchar as resolution,
                manual_touches
            from block_rows
        """
        return table, sql, _day(x["opened"])

    def _write(self, feed_name: str, block_no: int, table: pa.Table, sql: str, days) -> None:
        feed = FEEDS[feed_name]
        days = np.asarray(days, dtype=np.int64)
        order = np.argsort(days, kind="stable")
        days = days[order]
        table = table.take(pa.array(order))
        self.con.register("block_rows", table)
        parameters = {name: value for name, value in self.parameters.items() if f"${name}" in sql}
        shaped = self.con.sql(sql, params=parameters).to_arrow_table()
        self.con.unregister("block_rows")
        if shaped.column_names != list(feed.column_names):
            raise RuntimeError(
                f"{feed_name}: generated columns {shaped.column_names} differ from the "
                f"contract {list(feed.column_names)}"
            )
        boundaries = np.flatnonzero(np.diff(days)) + 1
        starts = np.r_[0, boundaries]
        ends = np.r_[boundaries, len(days)]
        for start, end in zip(starts, ends, strict=True):
            day_value = np.datetime64(int(days[start]), "D")
            folder = self.out / feed_name / f"date={day_value}"
            folder.mkdir(parents=True, exist_ok=True)
            part = shaped.slice(start, end - start)
            path = folder / f"part-{block_no:04d}.{_extension(feed.landing_format)}"
            self._write_file(part, path, feed.landing_format)
            self.rows[feed_name] += int(end - start)
            self.files[feed_name] += 1
        self.on_file()

    def _write_file(self, part: pa.Table, path: Path, landing_format: str) -> None:
        if landing_format == "parquet":
            pq.write_table(part, path, compression="zstd")
            return
        self.con.register("file_rows", part)
        options = "format csv, header true" if landing_format == "csv" else "format json"
        # COPY takes no bind parameter for its target; the path is quoted as a SQL literal.
        target = str(path).replace("'", "''")
        self.con.execute(f"copy file_rows to '{target}' ({options})")
        self.con.unregister("file_rows")


def _extension(landing_format: str) -> str:
    return {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[landing_format]


def write_reference(out: Path, rows: dict[str, list[dict[str, object]]]) -> None:
    """Reference tables as CSV with the columns their contracts list."""
    folder = out / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    for name, table_rows in rows.items():
        columns = REFERENCE_TABLES[name].column_names
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in table_rows:
                writer.writerow({column: row[column] for column in columns})
