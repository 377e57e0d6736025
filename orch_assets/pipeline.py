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
    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
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
