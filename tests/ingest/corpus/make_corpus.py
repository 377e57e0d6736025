"""Write the malformed-feed corpus that `tests/ingest/test_malformed_corpus.py` ingests.

The generated files are committed; this script exists so that the binary, latin-1, gzip and
truncated ones can be rebuilt and reviewed as code. Run it from the repository root:

    .venv/bin/python tests/ingest/corpus/make_corpus.py

Layout: `cases/<feed>/<file>` is one malformed landing file for `<feed>` (a folder there is
one case made of several files landing in the same day); `support/` holds the reference
tables and the valid orders that other feeds are checked against. Every case lands in the
partition of 2026-01-05. Output is byte-for-byte the same on every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
UTC = dt.UTC

ORDER_COLUMNS = (
    "order_id",
    "created_at",
    "channel",
    "customer_id",
    "customer_region",
    "ship_to_zone",
    "order_value",
    "currency",
    "promised_delivery_date",
    "promise_latency_ms",
    "service_level",
    "routing_method",
    "rule_set_version",
    "status",
)


def order(order_id: str, **changes: str) -> dict[str, str]:
    """A valid order of 2026-01-05 in contract column order, with some values replaced."""
    row = {
        "order_id": order_id,
        "created_at": "2026-01-05T10:00:00Z",
        "channel": "web",
        "customer_id": "CUST-1",
        "customer_region": "northeast",
        "ship_to_zone": "3",
        "order_value": "42.50",
        "currency": "USD",
        "promised_delivery_date": "2026-01-08",
        "promise_latency_ms": "120",
        "service_level": "standard",
        "routing_method": "auto",
        "rule_set_version": "rs-2026.01",
        "status": "processing",
    }
    unknown = set(changes) - set(row)
    if unknown:
        raise KeyError(f"not an orders column: {sorted(unknown)}")
    row.update(changes)
    return row


def csv_line(values) -> str:
    # Plain join, not the csv module: several cases need bytes the csv module would quote away.
    return ",".join(values)


def orders_csv(rows: list[dict[str, str]], columns=ORDER_COLUMNS) -> str:
    lines = [csv_line(columns)] + [csv_line(row[c] for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def event(event_id: str, order_id: str = "O-1001", **changes) -> dict:
    row = {
        "event_id": event_id,
        "order_id": order_id,
        "trace_id": "trace-" + order_id,
        "event_type": "order_created",
        "occurred_at": "2026-01-05T10:00:01Z",
        "latency_ms": 35,
        "status": "ok",
        "source_system": "storefront",
        "node_id": None,
        "shipment_id": None,
        "exception_reason": None,
    }
    row.update(changes)
    return row


def jsonl(rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def order_lines_table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        {
            "order_id": pa.array(columns[0], pa.string()),
            "line_no": pa.array(columns[1], pa.int64()),
            "sku": pa.array(columns[2], pa.string()),
            "sku_class": pa.array(columns[3], pa.string()),
            "quantity": pa.array(columns[4], pa.int64()),
            "unit_price": pa.array([Decimal(v) for v in columns[5]], pa.decimal128(18, 2)),
            "node_id": pa.array(columns[6], pa.string()),
            "shipment_id": pa.array(columns[7], pa.string()),
        }
    )


def shipment(shipment_id: str, order_id: str, **changes) -> dict:
    row = {
        "shipment_id": shipment_id,
        "order_id": order_id,
        "created_at": ts("2026-01-05T14:00:00+00:00"),
        "node_id": "DC_NE",
        "carrier_id": "PARCELCO",
        "service_level": "standard",
        "zone": 3,
        "ship_by_at": ts("2026-01-06T18:00:00+00:00"),
        "shipped_at": ts("2026-01-06T09:00:00+00:00"),
        "quoted_transit_days": 3,
        "delivered_at": ts("2026-01-08T15:00:00+00:00"),
        "tracking_status": "delivered",
        "lines_shipped": 1,
        "units_shipped": 2,
        "is_item_correct": True,
        "is_quantity_correct": True,
        "is_address_correct": True,
        "is_condition_ok": True,
    }
    row.update(changes)
    return row


def shipments_table(rows: list[dict]) -> pa.Table:
    # The simulator's Parquet types: timestamps in UTC milliseconds, booleans, int64.
    stamp = pa.timestamp("ms", tz="UTC")
    types = {
        "created_at": stamp,
        "ship_by_at": stamp,
        "shipped_at": stamp,
        "delivered_at": stamp,
        "zone": pa.int64(),
        "quoted_transit_days": pa.int64(),
        "lines_shipped": pa.int64(),
        "units_shipped": pa.int64(),
        "is_item_correct": pa.bool_(),
        "is_quantity_correct": pa.bool_(),
        "is_address_correct": pa.bool_(),
        "is_condition_ok": pa.bool_(),
    }
    names = list(rows[0])
    return pa.table(
        {name: pa.array([r[name] for r in rows], types.get(name, pa.string())) for name in names}
    )


def build() -> dict[str, bytes]:
    """Every corpus file as relative path -> bytes."""
    files: dict[str, bytes] = {}

    def text(path: str, content: str, encoding: str = "utf-8") -> None:
        files[path] = content.encode(encoding)

    # Support: reference tables and the valid orders other feeds are checked against.
    text(
        "support/nodes.csv",
        "node_id,node_name,node_type,region,daily_capacity\n"
        "DC_NE,Northeast DC,dc,northeast,5000\n"
        "DC_MW,Midwest DC,dc,midwest,4000\n",
    )
    text("support/carriers.csv", "carrier_id,carrier_name\nPARCELCO,ParcelCo\n")
    text(
        "support/orders_2026-01-05.csv",
        orders_csv([order(f"O-100{n}") for n in range(1, 6)]),
    )
    text(
        "support/orders_2026-01-04.csv",
        orders_csv([order(f"O-090{n}", created_at="2026-01-04T16:00:00Z") for n in range(1, 3)]),
    )

    # Files that cannot be read at all.
    files["cases/orders/empty.csv"] = b""
    text(
        "cases/orders/latin1.csv",
        orders_csv(
            [
                order("O-2101"),
                order("O-2102"),
                order("O-2103", customer_id="José Müller"),
                order("O-2104"),
            ]
        ),
        encoding="latin-1",
    )
    without_currency = tuple(c for c in ORDER_COLUMNS if c != "currency")
    text(
        "cases/orders/missing_required_column.csv",
        orders_csv([order("O-2201"), order("O-2202")], columns=without_currency),
    )
    text("cases/orders/unknown_extension.txt", orders_csv([order("O-2301")]))
    # A quote opened in line 3 and never closed; in a small file DuckDB's dialect sniffer
    # already fails on it.
    stray = orders_csv([order("O-2401"), order("O-2402"), order("O-2403")]).splitlines()
    stray[2] = stray[2].replace("CUST-1", '"CUST-1')
    text("cases/orders/stray_quote.csv", "\n".join(stray) + "\n")
    # The same fault past the sniffer's sample (2,048 rows): the reader then swallows the
    # rest of the file into one rejected value, the rows after it would silently vanish.
    many = [order(f"O-{30000 + n}") for n in range(1, 2101)]
    many[2090]["customer_id"] = '"CUST-1'
    files["cases/orders/unclosed_quote_past_sniff_sample.csv.gz"] = gzip.compress(
        orders_csv(many).encode(), mtime=0
    )
    lines = order_lines_table(
        [
            ("O-1001", 1, "SKU-1", "standard", 2, "9.99", "DC_NE", "S-1"),
            ("O-1001", 2, "SKU-2", "fragile", 1, "19.99", "DC_NE", "S-1"),
            ("O-1002", 1, "SKU-3", "standard", 1, "5.00", "DC_MW", "S-2"),
        ]
    )
    whole = parquet_bytes(lines)
    files["cases/order_lines/truncated.parquet"] = whole[: len(whole) // 2]
    text(
        "cases/order_events/latin1.jsonl",
        jsonl([event("E-6101"), event("E-6102", event_type="payment_authorized")])
        + json.dumps(event("E-6103"), ensure_ascii=False).replace("trace-O-1001", "café")
        + "\n",
        encoding="latin-1",
    )

    # Files read in full, with some rows quarantined.
    text("cases/orders/header_only.csv", orders_csv([]))
    extra_columns = (*ORDER_COLUMNS[:3], "coupon_code", *ORDER_COLUMNS[3:], "source_batch")
    extra_rows = [dict(order(f"O-250{n}"), coupon_code="WINTER", source_batch="7") for n in (1, 2)]
    text(
        "cases/orders/extra_column.csv",
        orders_csv(extra_rows, columns=extra_columns),
    )
    text(
        "cases/orders/wrong_types.csv",
        orders_csv(
            [
                order("O-2601"),
                order("O-2602", order_value="abc"),
                order("O-2603", ship_to_zone="x"),
                order("O-2604", promised_delivery_date="01/08/2026"),
                order("O-2605", created_at="yesterday"),
            ]
        ),
    )
    text(
        "cases/orders/duplicate_keys.csv",
        orders_csv(
            [
                order("O-2701"),
                order("O-2702"),
                order("O-2701", order_value="1.00"),
                order("O-2702", order_value="2.00"),
                order("O-2703"),
                order("O-2702", order_value="3.00"),
                # An invalid first occurrence does not block a valid second one.
                order("O-2704", channel="fax"),
                order("O-2704"),
            ]
        ),
    )
    text(
        "cases/orders/duplicate_key_other_partition.csv",
        orders_csv([order("O-2801"), order("O-0902"), order("O-2802")]),
    )
    text(
        "cases/orders/negative_money.csv",
        orders_csv(
            [
                order("O-2901", order_value="-5"),
                order("O-2902", order_value="0"),
                order("O-2903", order_value="-0.01"),
            ]
        ),
    )
    text(
        "cases/orders/out_of_window.csv",
        orders_csv(
            [
                order("O-3101", created_at="2026-01-05T00:00:00Z"),
                order("O-3102", created_at="2026-01-06T01:00:00Z"),
                # 20:30 in New York is already the next UTC day.
                order("O-3103", created_at="2026-01-05T20:30:00-05:00"),
                order("O-3104", created_at="2026-01-04T23:59:59Z"),
                # 18:00 at -05:00 is 23:00 UTC, still the folder's day.
                order("O-3105", created_at="2026-01-05T18:00:00-05:00"),
                order("O-3106", created_at="2026-01-05T23:59:59Z"),
            ]
        ),
    )
    text(
        "cases/orders/timestamp_without_offset.csv",
        orders_csv(
            [
                order("O-3201", created_at="2026-01-05T10:00:00"),
                order("O-3202", created_at="2026-01-05 10:00:00"),
                order("O-3203", created_at="2026-01-05T10:00:00+0100"),
                order("O-3204", created_at="2026-01-05 10:00:00+00"),
            ]
        ),
    )
    text(
        "cases/orders/unknown_codes.csv",
        orders_csv(
            [
                order("O-3301", channel="fax"),
                order("O-3302", channel="Web"),
                order("O-3303", customer_region="north"),
                order("O-3304", currency="usd"),
                order("O-3305", ship_to_zone="9"),
                order("O-3306"),
            ]
        ),
    )
    ragged = orders_csv(
        [order("O-3401"), order("O-3402"), order("O-3403"), order("O-3404"), order("O-3405")]
    ).splitlines()
    ragged[2] += ",surplus"
    ragged[4] = "O-3404,2026-01-05T10:00:00Z,web"
    ragged[5] = ragged[5].replace(",web,", ",fax,")
    text("cases/orders/ragged_rows.csv", "\n".join(ragged) + "\n")
    inner = orders_csv([order("O-3501", customer_id='CUST"7'), order("O-3502")])
    text("cases/orders/quote_inside_field.csv", inner)
    # One day of orders sent as CSV and JSON lines at once; both are read.
    text(
        "cases/orders/mixed_formats/part-a.csv",
        orders_csv([order("O-3601"), order("O-3602")]),
    )
    text(
        "cases/orders/mixed_formats/part-b.jsonl",
        # JSON numbers where the CSV has text: both read as the same values.
        jsonl(
            [
                dict(order("O-3603"), ship_to_zone=4, order_value=12.0),
                order("O-3601"),
                order("O-3604", channel="fax"),
            ]
        ),
    )

    truncated = jsonl([event("E-5101"), event("E-5102"), event("E-5103")])
    truncated += json.dumps(event("E-5104"))[:45]
    text("cases/order_events/truncated_last_line.jsonl", truncated)
    text(
        "cases/order_events/array_line.jsonl",
        json.dumps(event("E-5201"))
        + "\n"
        + json.dumps(["E-5202", "O-1001", "order_created"])
        + "\n\n"
        + '"E-5203"\n'
        + json.dumps(event("E-5204"))
        + "\n",
    )
    # Events arrive out of order; the sink may flush up to two days late, not three.
    text(
        "cases/order_events/late_and_out_of_window.jsonl",
        jsonl(
            [
                event("E-5301", occurred_at="2026-01-05T08:00:00Z"),
                event("E-5302", occurred_at="2026-01-03T23:00:00Z"),
                event("E-5303", occurred_at="2026-01-02T23:59:59Z"),
                event("E-5304", occurred_at="2026-01-06T00:00:00Z"),
                event("E-5305", occurred_at="2026-01-04T12:00:00-06:00"),
            ]
        ),
    )
    files["cases/order_lines/unknown_node.parquet"] = parquet_bytes(
        order_lines_table(
            [
                ("O-1001", 1, "SKU-1", "standard", 2, "9.99", "DC_NE", "S-1"),
                ("O-1001", 2, "SKU-2", "fragile", 1, "19.99", "DC_XX", "S-1"),
                ("O-1002", 1, "SKU-3", "standard", 1, "5.00", None, None),
                ("O-9999", 1, "SKU-4", "hazmat", 1, "7.50", "DC_MW", "S-3"),
            ]
        )
    )
    files["cases/shipments/future_timestamp.parquet"] = parquet_bytes(
        shipments_table(
            [
                shipment("S-7101", "O-1001"),
                shipment(
                    "S-7102",
                    "O-1002",
                    delivered_at=ts("2026-01-12T10:00:00+00:00"),
                ),
                # Within the ten minutes of clock skew allowed, and a planned ship-by time
                # after the export, which is allowed.
                shipment(
                    "S-7103",
                    "O-1003",
                    shipped_at=ts("2026-01-10T00:05:00+00:00"),
                    ship_by_at=ts("2026-01-11T00:00:00+00:00"),
                    delivered_at=None,
                    tracking_status="in_transit",
                    is_condition_ok=None,
                ),
                shipment(
                    "S-7104",
                    "O-1004",
                    shipped_at=ts("2026-01-10T00:11:00+00:00"),
                    delivered_at=None,
                    tracking_status="in_transit",
                    is_condition_ok=None,
                ),
            ]
        )
    )
    naive = pa.timestamp("ms")
    files["cases/finance_ledger/naive_timestamp.parquet"] = parquet_bytes(
        pa.table(
            {
                "entry_id": ["F-8101", "F-8102"],
                "order_id": ["O-1001", "O-1002"],
                "shipment_id": ["S-1", None],
                "entry_type": ["refund", "shipping_cost"],
                "amount": pa.array([Decimal("10.00"), Decimal("4.25")], pa.decimal128(18, 2)),
                "currency": ["USD", "USD"],
                "reason_code": ["late_delivery", "base_shipping"],
                "booked_at": pa.array(
                    [dt.datetime(2026, 1, 5, 9), dt.datetime(2026, 1, 5, 11)], naive
                ),
            }
        )
    )
    return files


def write(out: Path) -> list[Path]:
    for folder in ("cases", "support"):
        shutil.rmtree(out / folder, ignore_errors=True)
    written = []
    for relative, content in sorted(build().items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="corpus folder to (re)write")
    args = parser.parse_args()
    for path in write(args.out):
        print(path.relative_to(args.out))


if __name__ == "__main__":
    main()
