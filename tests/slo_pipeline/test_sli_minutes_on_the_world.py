"""The dbt SLO models count what slos/slos.yaml and the rollback rules say, checked directly.

Each count is recomputed here from the marts with the thresholds read from the SLO file, so
the SQL and the file cannot drift apart unnoticed.
"""

from __future__ import annotations

import pandas as pd
import pytest

# The exception_resolution SLO's description names its counted classes in prose.
COUNTED_CLASSES = ("recoverable", "operator", "hard_failure")


def _totals(warehouse, slo: str) -> tuple[int, int]:
    return warehouse.execute(
        "select sum(good), sum(total) from main.slo_sli_minutes where slo = ? and segment = 'all'",
        [slo],
    ).fetchone()


def test_promise_latency_counts_every_order_good_within_the_file_threshold(warehouse, slos):
    threshold = slos["promise_latency"].spec.indicator.threshold.at_most
    good, total = _totals(warehouse, "promise_latency")
    expected = warehouse.execute(
        "select count(*) filter (where promise_latency_ms <= ?), count(*) from main.orders",
        [threshold],
    ).fetchone()
    assert (good, total) == expected


def test_auto_routing_counts_orders_a_node_was_chosen_for(warehouse):
    good, total = _totals(warehouse, "auto_routing")
    expected = warehouse.execute(
        """
        select count(*) filter (where routing_method = 'auto'), count(*)
        from main.orders
        where order_id in (
            select order_id from main.order_events where event_type = 'node_selected'
        )
        """
    ).fetchone()
    assert (good, total) == expected
    payment_failures = warehouse.execute(
        "select count(*) from main.orders where is_payment_failure"
    ).fetchone()[0]
    orders = warehouse.execute("select count(*) from main.orders").fetchone()[0]
    assert total == orders - payment_failures


def test_exception_resolution_counts_known_outcomes_at_their_deadline(warehouse, slos):
    minutes = slos["exception_resolution"].spec.indicator.threshold.at_most
    good, total = _totals(warehouse, "exception_resolution")
    expected = warehouse.execute(
        """
        select
            count(*) filter (where resolved_at <= opened_at + to_minutes(?::bigint)),
            count(*)
        from main.exceptions
        where
            exception_class in ?
            and opened_at + to_minutes(?::bigint)
                <= (select max(occurred_at) from main.order_events)
        """,
        [int(minutes), list(COUNTED_CLASSES), int(minutes)],
    ).fetchone()
    assert (good, total) == expected


def test_regions_add_up_to_the_network_minute_by_minute(warehouse):
    mismatched = warehouse.execute(
        """
        with regions as (
            select slo, minute_at, sum(good) as good, sum(total) as total
            from main.slo_sli_minutes where segment <> 'all' group by all
        )
        select count(*)
        from regions
        full join (select * from main.slo_sli_minutes where segment = 'all') as network
            using (slo, minute_at)
        where regions.good is distinct from network.good
            or regions.total is distinct from network.total
        """
    ).fetchone()[0]
    assert mismatched == 0


def test_one_row_per_slo_segment_and_whole_minute(warehouse):
    duplicates, unaligned = warehouse.execute(
        """
        select
            count(*) - count(distinct (slo, segment, minute_at)),
            count(*) filter (where minute_at <> date_trunc('minute', minute_at))
        from main.slo_sli_minutes
        """
    ).fetchone()
    assert (duplicates, unaligned) == (0, 0)


@pytest.mark.parametrize(
    "minute", ["2026-02-09T20:00:00Z", "2026-01-20T17:33:00Z", "2026-02-09T04:00:00Z"]
)
def test_a_latency_reading_is_the_p95_of_the_trailing_four_hours_when_they_hold_60(
    warehouse, minute
):
    reading = warehouse.execute(
        """
        select promises, p95_latency_ms
        from main.rollback_promise_latency_minutes
        where minute_at = ?::timestamptz and segment = 'west'
        """,
        [minute],
    ).fetchall()
    promises, p95 = warehouse.execute(
        """
        select count(*), quantile_cont(promise_latency_ms, 0.95)
        from main.orders
        where customer_region = 'west'
            and date_trunc('minute', created_at) > ?::timestamptz - interval 240 minute
            and date_trunc('minute', created_at) <= ?::timestamptz
        """,
        [minute, minute],
    ).fetchone()
    if promises < 60:
        assert reading == []
    else:
        ((count, value),) = reading
        assert count == promises
        assert value == pytest.approx(p95)


def test_latency_readings_name_the_rule_set_in_force_that_day(warehouse, truth):
    rollout = truth["rollout"]
    versions = warehouse.execute(
        """
        select segment, minute_at >= ?::timestamptz as after, list(distinct rule_set_version)
        from main.rollback_promise_latency_minutes
        group by all
        """,
        [rollout["effective_date"]],
    ).fetchall()
    for segment, after, names in versions:
        treated = after and segment in rollout["treatment_regions"]
        expected = rollout["rule_set_version"] if treated else rollout["baseline_rule_set_version"]
        assert names == [expected], (segment, after)


@pytest.mark.parametrize("minute", ["2026-03-02T18:00:00Z", "2026-02-10T09:41:00Z"])
def test_exception_aging_counts_the_exceptions_open_at_the_minute_end(warehouse, minute):
    end = pd.Timestamp(minute) + pd.Timedelta(minutes=1)
    reading = warehouse.execute(
        """
        select open_exceptions, mean_open_age_minutes
        from main.rollback_exception_aging_minutes
        where minute_at = ?::timestamptz and segment = 'southeast'
        """,
        [minute],
    ).fetchone()
    direct = warehouse.execute(
        """
        select count(*), avg(epoch(?::timestamptz) - epoch(exceptions.opened_at)) / 60
        from main.exceptions
        inner join main.orders using (order_id)
        where orders.customer_region = 'southeast'
            and exceptions.exception_class in ?
            and exceptions.opened_at < ?::timestamptz
            and (exceptions.resolved_at is null or exceptions.resolved_at >= ?::timestamptz)
        """,
        [end.isoformat(), list(COUNTED_CLASSES), end.isoformat(), end.isoformat()],
    ).fetchone()
    assert reading[0] == direct[0]
    if direct[0]:
        assert reading[1] == pytest.approx(direct[1])
    else:
        assert reading[1] is None
