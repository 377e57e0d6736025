"""A whole-number column refuses a fraction instead of rounding it."""

from __future__ import annotations

import datetime as dt

from orch_assets.contracts import ORDERS
from orch_assets.ingest.core import LakePaths, ingest_partition

ROW = {
    "order_id": "O-1",
    "created_at": "2026-01-05T10:00:00Z",
    "channel": "web",
    "customer_id": "C-1",
    "customer_region": "west",
    "ship_to_zone": "4",
    "order_value": "20.00",
    "currency": "USD",
    "promised_delivery_date": "2026-01-09",
    "promise_latency_ms": "120",
    "service_level": "standard",
    "routing_method": "auto",
    "rule_set_version": "rs-1",
    "status": "processing",
}


def test_a_fractional_zone_is_quarantined_as_a_type_error_not_rounded(tmp_path):
    folder = tmp_path / "landing" / "orders" / "date=2026-01-05"
    folder.mkdir(parents=True)
    rows = [ROW, {**ROW, "order_id": "O-2", "ship_to_zone": "3.6"}]
    lines = [",".join(ORDERS.column_names)]
    lines += [",".join(row[c] for c in ORDERS.column_names) for row in rows]
    (folder / "orders.csv").write_text("\n".join(lines) + "\n")
    paths = LakePaths(tmp_path / "landing", tmp_path / "lake", tmp_path / "quarantine")
    result = ingest_partition(
        "orders", dt.date(2026, 1, 5), paths, "salt", now=dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    )
    assert result.rows_accepted == 1
    assert result.quarantined_by_rule == {"type:ship_to_zone": 1}
