"""The Dagster code location: every domain's definitions, merged in one place.

Each domain package under `orch_assets/defs/` owns a `definitions.py` with its assets, checks,
jobs, sensors, schedules and resources; this module only gathers them.
"""

import importlib
import warnings

import dagster as dg

# Single-run backfill policies are marked beta in Dagster 1.13; every daily asset uses one.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

DOMAINS = ("ingest", "metrics", "quality", "publish", "slo")


def _domain_definitions() -> list[dg.Definitions]:
    found = []
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"orch_assets.defs.{domain}.definitions")
        except ModuleNotFoundError as error:
            # A domain that is not built yet has no module; any other missing import is a bug.
            if error.name != f"orch_assets.defs.{domain}.definitions" and error.name != (
                f"orch_assets.defs.{domain}"
            ):
                raise
            continue
        found.append(module.defs)
    return found


defs = dg.Definitions.merge(*_domain_definitions())
