"""Benchmarks, written as a markdown report of figures measured in one run.

Shared machines are noisy, so every target is read as a ratio of two figures from the same
run, never as a timed test:
- the simulator's orders per minute;
- ingestion rows per second per feed;
- the full build's data work (wall time less the fixed start-up of dbt and Dagster) against
  the floor: one DuckDB pass that reads every landing file and writes one aggregate;
- adding one day to the history, against the full build's data work;
- peak memory of the build process and its children.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orch_assets.contracts import FEEDS
from orch_assets.settings import REPO_ROOT

SIMULATOR_TARGET_PER_MINUTE = 1_000_000
DATA_WORK_TARGET_RATIO = 4.0
FIXED_OVERHEAD_TARGET_SECONDS = 15.0
INCREMENT_TARGET_SHARE = 0.10
PEAK_MEMORY_TARGET_GIB = 4.0


def _orch(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("orch")), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(
            f"orch {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return seconds, done.stdout


def _floor_seconds(landing: Path) -> float:
    """One DuckDB pass over every landing file, writing one aggregate."""
    con = duckdb.connect()
    began = time.perf_counter()
    parts = []
    for feed in FEEDS.values():
        pattern = str(
            landing
            / feed.name
            / "*"
            / f"*.{'jsonl' if feed.landing_format == 'jsonl' else feed.landing_format}"
        )
        reader = {
            "csv": f"read_csv('{pattern}', all_varchar = true, hive_partitioning = false)",
            "jsonl": (
                f"read_json('{pattern}', format = 'newline_delimited', hive_partitioning = false)"
            ),
            "parquet": f"read_parquet('{pattern}', hive_partitioning = false)",
        }[feed.landing_format]
        parts.append(f"select '{feed.name}' as feed, count(*) as rows from {reader}")
    target = landing.parent / "floor.parquet"
    con.execute(f"copy ({' union all '.join(parts)}) to '{target}' (format parquet)")
    return time.perf_counter() - began


def _fixed_overhead(env: dict[str, str]) -> float:
    """Start-up cost: loading the code location and one dbt invocation that does nothing."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import orch_assets.definitions"], env=env, check=True)
    project = REPO_ROOT / "dbt_project"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "debug",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--quiet",
        ],
        env=env,
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - began


def _children_peak_gib() -> float:
    # ru_maxrss is in KiB on Linux: the largest child process seen so far.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


def _ingestion_rates(root: Path, days: int) -> list[str]:
    """Rows per second through contract validation, per feed, over the first days."""
    from orch_assets.ingest.core import LakePaths, ingest_partition
    from orch_assets.settings import DEVELOPMENT_SALT

    paths = LakePaths(root / "landing", root / "bench-lake", root / "bench-quarantine")
    lines = [
        "## Ingestion",
        "",
        f"Contract validation into the lake, first {days} days of every feed.",
        "",
        "| feed | rows | seconds | rows per second |",
        "| --- | ---: | ---: | ---: |",
    ]
    for feed in FEEDS:
        began = time.perf_counter()
        rows = sum(
            ingest_partition(
                feed, dt.date(2026, 1, 5) + dt.timedelta(days=offset), paths, DEVELOPMENT_SALT
            ).rows_read
            for offset in range(days)
        )
        seconds = time.perf_counter() - began
        lines.append(f"| {feed} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |")
    return [*lines, ""]


def run_bench(report: Path, orders: int, days: int) -> str:
    orders_per_day = max(1, orders // days)
    lines = [
        "# Benchmark report",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        f"- world: {days} days x {orders_per_day:,} orders/day (seed 7)",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as scratch:
        root = Path(scratch)
        env = {**os.environ, "ORCH_DATA_DIR": str(root), "DAGSTER_HOME": ""}
        env.pop("DAGSTER_HOME")
        for name in ("LANDING", "LAKE", "QUARANTINE", "WAREHOUSE", "SNAPSHOT"):
            env.pop(f"ORCH_{name}_DIR", None)
        (root / "warehouse").mkdir(parents=True)
        seconds, out = _orch(
            [
                "simulate",
                "--days",
                str(days - 1),
                "--orders-per-day",
                str(orders_per_day),
                "--no-progress",
            ],
            env,
        )
        simulated = orders_per_day * (days - 1)
        per_minute = simulated / seconds * 60
        lines += [
            "## Simulator",
            "",
            f"{simulated:,} orders with every feed in {seconds:.1f} s (process included): "
            f"**{per_minute:,.0f} orders per minute**, target {SIMULATOR_TARGET_PER_MINUTE:,}.",
            "",
            "```",
            out.strip(),
            "```",
            "",
        ]
        lines += _ingestion_rates(root, days=min(10, days - 1))
        floor = _floor_seconds(root / "landing")
        overhead = _fixed_overhead(env)
        full, _ = _orch(["pipeline", "--no-simulate-if-missing"], env)
        full_peak = _children_peak_gib()
        data_work = max(full - overhead, 0.0)
        # One more day: regenerate with one day more, then run the pipeline again; only the
        # new day's partitions (and the marts' lookback) are new work.
        _orch(
            [
                "simulate",
                "--days",
                str(days),
                "--orders-per-day",
                str(orders_per_day),
                "--no-progress",
            ],
            env,
        )
        last_day = (dt.date(2026, 1, 5) + dt.timedelta(days=days - 1)).isoformat()
        increment, _ = _orch(
            ["pipeline", "--no-simulate-if-missing", "--first", last_day, "--last", last_day], env
        )
        lines += [
            "## Full build",
            "",
            "| figure | measured | target |",
            "| --- | ---: | --- |",
            f"| floor: one DuckDB pass over every landing file | {floor:.1f} s | |",
            f"| fixed start-up (code location + dbt) | {overhead:.1f} s | at most "
            f"{FIXED_OVERHEAD_TARGET_SECONDS:.0f} s |",
            f"| full build wall time | {full:.1f} s | |",
            f"| data work = wall - start-up | {data_work:.1f} s | |",
            f"| data work / floor | {data_work / floor:.1f}x | at most "
            f"{DATA_WORK_TARGET_RATIO:.0f}x |",
            f"| peak memory of the build | {full_peak:.2f} GiB | at most "
            f"{PEAK_MEMORY_TARGET_GIB:.0f} GiB |",
            f"| rebuild after one more day (wall) | {increment:.1f} s | |",
            f"| that day's data work / full data work | "
            f"{max(increment - overhead, 0) / data_work:.0%} | at most "
            f"{INCREMENT_TARGET_SHARE:.0%} |",
            "",
            "The one-day rebuild ingests the new day and rebuilds the daily marts for it and "
            "their outcome lookback, then re-checks and republishes.",
            "",
        ]
        try:
            from app.bench import executive_render_times

            times = executive_render_times(root / "snapshots")
            lines += [
                "## Scorecard",
                "",
                f"Executive page, server-side render, warm: p50 {times['p50_ms']:.0f} ms, "
                f"p95 {times['p95_ms']:.0f} ms (target p95 at most 300 ms).",
                "",
            ]
        except ImportError:
            lines += ["## Scorecard", "", "The app's render benchmark is not installed.", ""]
    text = "\n".join(lines) + "\n"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text, encoding="utf-8")
    return text
