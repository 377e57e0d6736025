"""Run the asset graph in-process: what `make pipeline` and the tests materialize."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import dagster as dg

from orch_assets.contracts import FEEDS
from orch_assets.definitions import defs

log = logging.getLogger(__name__)


def landing_days(landing: Path) -> list[dt.date]:
    """Every day some feed has a landing folder for, in order."""
    days: set[dt.date] = set()
    for feed in FEEDS:
        for folder in (landing / feed).glob("date=*"):
            try:
                days.add(dt.date.fromisoformat(folder.name.removeprefix("date=")))
            except ValueError:
                continue
    return sorted(days)


def materialize_range(
    selection: str | list[dg.AssetKey] | dg.AssetSelection,
    first: dt.date,
    last: dt.date,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    resources: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize the selected assets for the days `first`..`last` in one run."""
    if isinstance(selection, dg.AssetSelection):
        job_selection = selection
    elif isinstance(selection, str):
        job_selection = dg.AssetSelection.groups(selection)
    else:
        job_selection = dg.AssetSelection.assets(*selection)
    # Checks defined apart from their assets must be passed too, or they never run.
    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    assets += list(defs.asset_checks or [])
    selected = job_selection.resolve(defs.resolve_asset_graph())
    log.info("materializing %d assets for %s..%s", len(selected), first, last)
    return dg.materialize(
        assets,
        selection=job_selection,
        instance=instance,
        # Overrides replace single resources; the rest come from the code location.
        resources={**defs.resources, **(resources or {})},
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        raise_on_error=raise_on_error,
    )


def run_pipeline(
    first: dt.date,
    last: dt.date,
    instance: dg.DagsterInstance | None = None,
    resources: dict | None = None,
) -> tuple[dg.ExecuteInProcessResult, Path | None]:
    """Materialize everything for the days; when checks block the publish, record why.

    Returns the run's result and the path of the blocked-publish record, if there is one.
    """
    from orch_assets.defs.publish.assets import record_blocked_run

    result = materialize_range(
        dg.AssetSelection.all(),
        first,
        last,
        instance=instance,
        raise_on_error=False,
        resources=resources,
    )
    published = result.asset_materializations_for_node("scorecard_snapshot")
    blocked = None
    if not published:
        blocked = record_blocked_run(result.get_asset_check_evaluations())
        log.warning("snapshot not published; blocked attempt recorded at %s", blocked)
    return result, blocked
