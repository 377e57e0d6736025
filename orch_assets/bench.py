"""Benchmarks: the simulator's and ingestion's throughput, written as a markdown report.

Figures on shared machines are noisy, so the report gives rates measured in one run rather
than pass/fail timings, and the targets they are read against.
"""

from __future__ import annotations

import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

from orch_assets.contracts import FEEDS
from orch_assets.ingest.core import LakePaths, ingest_partition
from orch_assets.settings import DEVELOPMENT_SALT, REPO_ROOT
from orch_assets.simulator import load_scenario, simulate

SIMULATOR_TARGET_PER_MINUTE = 1_000_000


def run_bench(report: Path, orders: int, days: int) -> str:
    scenario = load_scenario(REPO_ROOT / "scenarios" / "default.yaml")
    orders_per_day = max(1, orders // days)
    lines = [
        "# Benchmark report",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        f"- world: {days} days x {orders_per_day:,} orders/day, seed 7",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as scratch:
        root = Path(scratch)
        result = simulate(scenario, days, orders_per_day, 7, root / "landing", progress=False)
        per_minute = result.orders_per_minute
        verdict = "meets" if per_minute >= SIMULATOR_TARGET_PER_MINUTE else "misses"
        lines += [
            "## Simulator",
            "",
            f"{result.orders:,} orders with {result.rows['order_events']:,} events and every "
            f"other feed in {result.seconds:.1f} s: **{per_minute:,.0f} orders per minute** "
            f"({verdict} the target of {SIMULATOR_TARGET_PER_MINUTE:,}).",
            "",
            "| feed | rows | files |",
            "| --- | ---: | ---: |",
        ]
        lines += [
            f"| {feed} | {rows:,} | {result.files[feed]:,} |" for feed, rows in result.rows.items()
        ]
        paths = LakePaths(root / "landing", root / "lake", root / "quarantine")
        start = scenario.start_date
        lines += [
            "",
            "## Ingestion",
            "",
            f"Every feed, every day, through contract validation into the lake "
            f"({days} partitions per feed).",
            "",
            "| feed | rows | seconds | rows per second |",
            "| --- | ---: | ---: | ---: |",
        ]
        for feed in FEEDS:
            began = time.perf_counter()
            rows = 0
            for offset in range(days):
                day = start + dt.timedelta(days=offset)
                rows += ingest_partition(feed, day, paths, DEVELOPMENT_SALT).rows_read
            seconds = time.perf_counter() - began
            lines.append(f"| {feed} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |")
    text = "\n".join(lines) + "\n"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text, encoding="utf-8")
    return text
