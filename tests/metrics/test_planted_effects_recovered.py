"""The metric layer recovers every planted effect from the feeds alone.

The world is simulated, ingested and built through Dagster; magnitudes come from
ground_truth.json and each tolerance is a few standard errors at this world's volume.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def marts(built_world):
    return built_world.connect()


@pytest.fixture(scope="module")
def truth(built_world):
    return built_world.world.ground_truth["effects"]


def test_the_build_succeeded_with_every_check_passing(built_world):
    result = built_world.result
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 20
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []


def test_carrier_outage_shows_as_carrier_delay_of_the_planted_days(marts, truth):
    outage = truth["carrier_outage"]
    inside, outside = marts.execute(
        """
        select
            avg(carrier_delay_days) filter (where in_window),
            avg(carrier_delay_days) filter (where not in_window)
        from (
            select
                carrier_delay_days,
                shipped_at >= ?::timestamptz and shipped_at < ?::timestamptz as in_window
            from shipments
            where carrier_id = ? and is_delivered
        )
        """,
        [outage["starts_at"], outage["ends_at"], outage["carrier_id"]],
    ).fetchone()
    assert inside - outside == pytest.approx(outage["extra_transit_days"], abs=0.25)


def test_poor_inventory_accuracy_shows_as_stockout_cancellations_at_the_node(marts, truth):
    effect = truth["inventory_accuracy"]
    rates = dict(
        marts.execute(
            """
            select node_id, avg(coalesce(cancel_reason = 'stockout', false)::int)
            from orders where not is_payment_failure group by 1
            """
        ).fetchall()
    )
    assert rates[effect["node_id"]] == pytest.approx(effect["stockout_cancel_rate"], abs=0.03)
    others = [rate for node, rate in rates.items() if node != effect["node_id"]]
    assert max(others) < 1 - effect["baseline_inventory_accuracy"] + 0.02
    refunds = marts.execute(
        """
        select sum(amount) from leakage_v2
        where root_cause = 'inventory_mismatch' and node_id = ?
        """,
        [effect["node_id"]],
    ).fetchone()[0]
    assert refunds > 0


def test_poor_pick_accuracy_shows_as_item_accuracy_at_the_node(marts, truth):
    effect = truth["pick_accuracy"]
    accuracy = dict(
        marts.execute(
            "select node_id, avg(is_item_correct::int) from shipments where is_shipped group by 1"
        ).fetchall()
    )
    assert accuracy[effect["node_id"]] == pytest.approx(effect["pick_accuracy"], abs=0.015)
    assert min(a for n, a in accuracy.items() if n != effect["node_id"]) > 0.98


def test_optimistic_zone_shows_as_promise_gap_of_the_planted_days(marts, truth):
    effect = truth["optimistic_promise"]
    gap = dict(
        marts.execute(
            """
            select zone = ?, avg(promise_gap_days)
            from shipments where is_delivered group by 1
            """,
            [effect["zone"]],
        ).fetchall()
    )
    assert gap[True] - gap[False] == pytest.approx(effect["days_early"], abs=0.15)


def test_drift_splits_exactly_into_node_carrier_and_promise_days(marts):
    broken = marts.execute(
        """
        select count(*) from shipments
        where is_delivered
          and promise_drift_days <> node_delay_days + carrier_delay_days + promise_gap_days
        """
    ).fetchone()[0]
    assert broken == 0


def test_rollout_effects_are_recovered_by_difference_in_differences(marts, truth):
    rollout = truth["rollout"]
    cells = {
        (cohort, post): (split, p50)
        for cohort, post, split, p50 in marts.execute(
            """
            select cohort, is_post_release, avg(is_split::int), median(promise_latency_ms)
            from orders where shipment_count > 0 group by 1, 2
            """
        ).fetchall()
    }
    did = (cells["treatment", True][0] - cells["treatment", False][0]) - (
        cells["control", True][0] - cells["control", False][0]
    )
    # Canceled orders never ship, so the shipped-order rate runs a little above the
    # all-orders figure in the ground truth.
    assert did == pytest.approx(rollout["split_shipment_rate_delta"], abs=0.015)
    latency_shift = cells["treatment", True][1] - cells["treatment", False][1]
    assert latency_shift == pytest.approx(rollout["promise_latency_p50_delta_ms"], abs=10)


def test_maintenance_leaves_the_nodes_operator_exceptions_open(marts, truth):
    effect = truth["maintenance"]
    open_count, total = marts.execute(
        """
        select count(*) filter (where is_open), count(*)
        from exceptions
        where exception_class = ? and node_id = ?
          and opened_at >= ?::timestamptz and opened_at < ?::timestamptz
        """,
        [effect["exception_class"], effect["node_id"], effect["starts_at"], effect["ends_at"]],
    ).fetchone()
    assert total >= 3
    assert open_count == total
    buckets = marts.execute(
        """
        select aging_bucket from exceptions
        where exception_class = ? and node_id = ? and is_open
          and opened_at >= ?::timestamptz and opened_at < ?::timestamptz
        """,
        [effect["exception_class"], effect["node_id"], effect["starts_at"], effect["ends_at"]],
    ).fetchall()
    assert {bucket for (bucket,) in buckets} == {"4_over_24h"}
