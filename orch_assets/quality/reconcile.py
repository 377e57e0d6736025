"""Reconciliation: the marts against the lake they were built from.

Leakage in each leakage mart equals, day by day, the ledger's loss entries (the reason codes
the attribution rules mark as leakage) to the cent; order counts per day equal the orders
feed's. A join that drops or duplicates rows shows up here even when every mart looks sane.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orch_assets.quality.results import Failure, GateResult

TOLERANCE = 0.01
LEAKAGE_MARTS = ("leakage_v1", "leakage_v2")


def _lake(lake: Path, feed: str) -> str:
    path = str(lake / feed / "*" / "part.parquet").replace("'", "''")
    return f"read_parquet('{path}', hive_partitioning = false)"


def reconcile(warehouse_file: Path, lake: Path) -> list[GateResult]:
    con = duckdb.connect(str(warehouse_file), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        results = [_leakage(con, lake, mart) for mart in LEAKAGE_MARTS]
        results.append(_orders(con, lake))
        return results
    finally:
        con.close()


def _leakage(con, lake: Path, mart: str) -> GateResult:
    rows = con.execute(
        f"""
        with ledger as (
            select cast(l.booked_at as date) as day, sum(l.amount) as amount
            from {_lake(lake, "finance_ledger")} as l
            inner join reference.leakage_attribution_rules as r
                on l.reason_code = r.reason_code
            where r.is_leakage
            group by 1
        ),
        mart as (
            select booked_date as day, sum(amount) as amount from main.{mart} group by 1
        )
        select
            coalesce(ledger.day, mart.day) as day,
            coalesce(ledger.amount, 0) as ledger_amount,
            coalesce(mart.amount, 0) as mart_amount
        from ledger full outer join mart on ledger.day = mart.day
        where abs(coalesce(ledger.amount, 0) - coalesce(mart.amount, 0)) > ?
        order by 1
        """,
        [TOLERANCE],
    ).fetchall()
    failures = []
    if rows:
        ledger_total = sum(float(r[1]) for r in rows)
        mart_total = sum(float(r[2]) for r in rows)
        failures.append(
            Failure(
                check="reconciliation",
                target=mart,
                expectation="leakage_equals_ledger_loss_entries",
                observed=round(mart_total - ledger_total, 2),
                detail=(
                    f"{mart} differs from the ledger's loss entries on {len(rows)} days "
                    f"(ledger {ledger_total:,.2f}, mart {mart_total:,.2f} on those days)"
                ),
                sample_rows=[
                    {"day": r[0], "ledger": float(r[1]), "mart": float(r[2])} for r in rows[:5]
                ],
            )
        )
    return GateResult("reconciliation", mart, 1, failures)


def _orders(con, lake: Path) -> GateResult:
    rows = con.execute(
        f"""
        with feed as (
            select cast(created_at as date) as day, count(*) as orders
            from {_lake(lake, "orders")} group by 1
        ),
        mart as (select order_date as day, count(*) as orders from main.orders group by 1)
        select coalesce(feed.day, mart.day), coalesce(feed.orders, 0), coalesce(mart.orders, 0)
        from feed full outer join mart on feed.day = mart.day
        where coalesce(feed.orders, 0) <> coalesce(mart.orders, 0)
        order by 1
        """
    ).fetchall()
    failures = []
    if rows:
        failures.append(
            Failure(
                check="reconciliation",
                target="orders",
                expectation="order_counts_equal_orders_feed",
                observed=sum(r[2] - r[1] for r in rows),
                detail=f"orders mart and orders feed disagree on {len(rows)} days",
                sample_rows=[{"day": r[0], "feed": r[1], "mart": r[2]} for r in rows[:5]],
            )
        )
    return GateResult("reconciliation", "orders", 1, failures)
