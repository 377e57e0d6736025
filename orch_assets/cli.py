"""The `orch` command line: simulate the sample world, run the pipeline, regenerate docs, bench."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from orch_assets.settings import REPO_ROOT, load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

DEFAULT_SCENARIO = REPO_ROOT / "scenarios" / "default.yaml"


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")):
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def simulate(
    days: int = typer.Option(90, min=1, help="Days of history to generate."),
    orders_per_day: int = typer.Option(2000, min=1, help="Average orders per day."),
    seed: int = typer.Option(7, help="Random seed; the same seed writes the same bytes."),
    scenario: Path = typer.Option(DEFAULT_SCENARIO, help="Scenario YAML with planted effects."),
    out: Path | None = typer.Option(None, help="Landing folder (default: ORCH_LANDING_DIR)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Generate the sample world's feeds, reference data and ground truth."""
    from orch_assets.simulator import ScenarioError, load_scenario
    from orch_assets.simulator import simulate as run

    try:
        world = load_scenario(scenario)
    except ScenarioError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    target = out or load_settings().landing
    result = run(world, days, orders_per_day, seed, target, progress=progress)
    typer.echo(
        f"wrote {result.orders:,} orders over {result.days} days to {result.out} "
        f"in {result.seconds:.1f}s ({result.orders_per_minute:,.0f} orders/minute)"
    )
    for feed, rows in result.rows.items():
        typer.echo(f"  {feed:<20} {rows:>12,} rows in {result.files[feed]:>5} files")
    typer.echo(f"  ground truth: {result.out / 'ground_truth.json'}")


@app.command()
def docs() -> None:
    """Regenerate docs/feeds.md from the feed contracts."""
    from orch_assets.feed_docs import write_feeds_doc

    typer.echo(f"wrote {write_feeds_doc(REPO_ROOT)}")


metrics_app = typer.Typer(no_args_is_help=True, help="Metric definitions: docs, lock, check.")
app.add_typer(metrics_app, name="metrics")


def _semantic_project():
    from orch_assets.metric_definitions import SemanticProject

    return SemanticProject.load(REPO_ROOT / "dbt_project")


@metrics_app.command("docs")
def metrics_docs() -> None:
    """Regenerate docs/metrics.md from the semantic layer YAML."""
    from orch_assets.metric_definitions import write_metrics_doc

    typer.echo(f"wrote {write_metrics_doc(_semantic_project(), REPO_ROOT)}")


@metrics_app.command("lock")
def metrics_lock() -> None:
    """Accept the current metric definitions into dbt_project/metrics.lock.json."""
    from orch_assets.metric_definitions import MetricDefinitionError, write_lock

    try:
        typer.echo(f"wrote {write_lock(_semantic_project())}")
    except MetricDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@metrics_app.command("check")
def metrics_check() -> None:
    """Check every metric's metadata and that no definition moved without a new version."""
    from orch_assets.metric_definitions import lock_problems, metadata_problems

    project = _semantic_project()
    problems = metadata_problems(project) + lock_problems(project)
    for problem in problems:
        typer.echo(f"{problem.rule}: {problem.message}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{len(project.metrics)} metrics: metadata complete, definitions locked")


@app.command()
def pipeline(
    simulate_if_missing: bool = typer.Option(
        True, help="Generate the default sample world when the landing folder is empty."
    ),
    first: str | None = typer.Option(None, help="First day to run (default: first landed)."),
    last: str | None = typer.Option(None, help="Last day to run (default: last landed)."),
) -> None:
    """Materialize every asset over every day the landing folder holds (or first..last)."""
    import dagster as dg

    from orch_assets.pipeline import landing_days, run_pipeline

    settings = load_settings()
    days = landing_days(settings.landing)
    if not days and simulate_if_missing:
        typer.echo(f"no feeds under {settings.landing}; generating the default sample world")
        simulate(90, 2000, 7, DEFAULT_SCENARIO, None, sys.stderr.isatty())
        days = landing_days(settings.landing)
    if not days:
        typer.echo(f"error: no feed files under {settings.landing}; run `orch simulate`", err=True)
        raise typer.Exit(2)
    import datetime as dt

    if first or last:
        days = [
            day
            for day in days
            if (not first or day >= dt.date.fromisoformat(first))
            and (not last or day <= dt.date.fromisoformat(last))
        ]
        if not days:
            typer.echo(f"error: no landed days between {first} and {last}", err=True)
            raise typer.Exit(2)
    instance = dg.DagsterInstance.get() if _has_dagster_home() else None
    result, blocked = run_pipeline(days[0], days[-1], instance=instance)
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    typer.echo(
        f"materialized every asset for {len(days)} days ({days[0]}..{days[-1]}): lake in "
        f"{settings.lake}, warehouse in {settings.warehouse}; "
        f"{len(checks) - len(failed)} of {len(checks)} checks passed"
    )
    for check in failed:
        typer.echo(f"  check failed: {check.asset_key.to_user_string()} {check.check_name}")
    from orch_assets.publish.snapshot import current_id

    if blocked is not None:
        typer.echo(f"publish blocked; reasons recorded in {blocked}", err=True)
        typer.echo(f"the live snapshot stays {current_id(settings.snapshots)}", err=True)
        raise typer.Exit(1)
    if not result.success:
        typer.echo("error: the run failed; see the log above", err=True)
        raise typer.Exit(1)
    typer.echo(f"published snapshot {current_id(settings.snapshots)} in {settings.snapshots}")


def _has_dagster_home() -> bool:
    import os

    return bool(os.environ.get("DAGSTER_HOME"))


@app.command()
def bench(
    out: Path = typer.Option(REPO_ROOT / "reports" / "bench.md", help="Report file to write."),
    orders: int = typer.Option(1_000_000, help="Orders in the benchmark world."),
    days: int = typer.Option(90, help="Days in the benchmark world."),
) -> None:
    """Measure throughput and write a report; figures are compared within one run."""
    from orch_assets.bench import run_bench

    report = run_bench(out, orders=orders, days=days)
    typer.echo(report)


if __name__ == "__main__":
    app()
