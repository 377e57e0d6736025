"""Each planted effect is visible in the raw feeds, computed directly from the landing files.

Magnitudes come from ground_truth.json; each tolerance is a few standard errors at this
world's volume.
"""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def feeds(world):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    root = world.out
    con.execute(f"create view orders as select * from read_csv('{root}/orders/*/*.csv')")
    con.execute(f"create view events as select * from read_json('{root}/order_events/*/*.jsonl')")
    for feed in ("shipments", "exceptions", "order_lines", "finance_ledger"):
        con.execute(
            f"create view {feed} as select * from read_parquet('{root}/{feed}/*/*.parquet')"
        )
    return con


def _one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


def test_carrier_outage_delays_that_carriers_parcels_by_the_planted_days(feeds, world):
    truth = world.ground_truth["effects"]["carrier_outage"]
    inside, outside = _one(
        feeds,
        """
        select
            avg(extra) filter (where in_window),
            avg(extra) filter (where not in_window)
        from (
            select
                date_diff('day', shipped_at::date, delivered_at::date) - quoted_transit_days
                    as extra,
                shipped_at >= ?::timestamptz and shipped_at < ?::timestamptz as in_window
            from shipments
            where carrier_id = ? and delivered_at is not null
        )
        """,
        [truth["starts_at"], truth["ends_at"], truth["carrier_id"]],
    )
    assert inside - outside == pytest.approx(truth["extra_transit_days"], abs=0.25)


def test_poor_inventory_accuracy_cancels_orders_at_that_node(feeds, world):
    truth = world.ground_truth["effects"]["inventory_accuracy"]
    rows = dict(
        feeds.execute(
            """
            select node_id, avg((status = 'error')::int)
            from events where event_type = 'inventory_reserved' group by 1
            """
        ).fetchall()
    )
    node = truth["node_id"]
    assert rows[node] == pytest.approx(truth["stockout_cancel_rate"], abs=0.03)
    baseline = 1 - truth["baseline_inventory_accuracy"]
    others = [rate for other, rate in rows.items() if other != node]
    assert max(others) < baseline + 0.02
    refunds = _one(
        feeds,
        """
        select count(*) from finance_ledger l
        join (select distinct order_id from events
              where event_type = 'inventory_reserved' and status = 'error' and node_id = ?) s
            using (order_id)
        where l.reason_code = 'stockout_cancel' and l.entry_type = 'refund'
        """,
        [node],
    )[0]
    assert refunds > 0


def test_poor_pick_accuracy_ships_wrong_items_from_that_node(feeds, world):
    truth = world.ground_truth["effects"]["pick_accuracy"]
    rows = dict(
        feeds.execute(
            "select node_id, avg((not is_item_correct)::int) from shipments group by 1"
        ).fetchall()
    )
    node = truth["node_id"]
    assert 1 - rows[node] == pytest.approx(truth["pick_accuracy"], abs=0.015)
    assert max(r for n, r in rows.items() if n != node) < 1 - truth["pick_accuracy"] - 0.03


def test_optimistic_zone_is_promised_the_planted_days_too_early(feeds, world):
    truth = world.ground_truth["effects"]["optimistic_promise"]
    drift = dict(
        feeds.execute(
            """
            with delivered as (
                select order_id, max(delivered_at)::date as delivered_date
                from shipments group by 1 having count(delivered_at) = count(*)
            )
            select ship_to_zone = ? as optimistic,
                   avg(date_diff('day', promised_delivery_date, delivered_date))
            from orders join delivered using (order_id)
            group by 1
            """,
            [truth["zone"]],
        ).fetchall()
    )
    assert drift[True] - drift[False] == pytest.approx(truth["days_early"], abs=0.2)


def test_rollout_raises_split_rate_and_latency_in_treatment_regions_only(feeds, world):
    truth = world.ground_truth["effects"]["rollout"]
    cells = {
        (treated, post): (split, p50)
        for treated, post, split, p50 in feeds.execute(
            """
            with splits as (
                select order_id, count(*) > 1 as is_split from shipments group by 1
            )
            select
                customer_region in (select unnest(?::varchar[])) as treated,
                created_at >= ?::date as post,
                avg(coalesce(is_split, false)::int),
                median(promise_latency_ms)
            from orders left join splits using (order_id)
            group by 1, 2
            """,
            [truth["treatment_regions"], truth["effective_date"]],
        ).fetchall()
    }
    did_split = (cells[True, True][0] - cells[True, False][0]) - (
        cells[False, True][0] - cells[False, False][0]
    )
    assert did_split == pytest.approx(truth["split_shipment_rate_delta"], abs=0.015)
    latency_shift = cells[True, True][1] - cells[True, False][1]
    assert latency_shift == pytest.approx(truth["promise_latency_p50_delta_ms"], abs=10)
    assert abs(cells[False, True][1] - cells[False, False][1]) < 5
    rule_sets = dict(
        feeds.execute(
            """
            select customer_region in (select unnest(?::varchar[])) and created_at >= ?::date,
                   list(distinct rule_set_version)
            from orders group by 1
            """,
            [truth["treatment_regions"], truth["effective_date"]],
        ).fetchall()
    )
    assert rule_sets[True] == [truth["rule_set_version"]]
    assert rule_sets[False] == [truth["baseline_rule_set_version"]]


def test_maintenance_leaves_operator_exceptions_at_the_node_unresolved(feeds, world):
    truth = world.ground_truth["effects"]["maintenance"]
    inside_open, inside_total, outside_open = _one(
        feeds,
        """
        with operator_exceptions as (
            select
                opened_at >= ?::timestamptz and opened_at < ?::timestamptz as in_window,
                resolved_at is null as is_open,
                opened_at
            from exceptions
            where exception_class = ? and node_id = ?
        )
        select
            count(*) filter (where in_window and is_open),
            count(*) filter (where in_window),
            -- Outside the window only exceptions opened in the last day may still be open.
            count(*) filter (
                where not in_window and is_open
                and opened_at < ?::timestamptz - interval 1 day
            )
        from operator_exceptions
        """,
        [
            truth["starts_at"],
            truth["ends_at"],
            truth["exception_class"],
            truth["node_id"],
            world.ground_truth["exported_at"],
        ],
    )
    assert inside_total >= 3
    assert inside_open == inside_total
    assert outside_open == 0
