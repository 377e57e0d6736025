"""The quality domain's Dagster definitions."""

import dagster as dg

from orch_assets.defs.quality.checks import (
    SUITE_CHECKS,
    VOLUME_CHECKS,
    metric_definitions,
    reconciliation_checks,
)

defs = dg.Definitions(
    assets=[metric_definitions],
    asset_checks=[*SUITE_CHECKS, *VOLUME_CHECKS, reconciliation_checks],
)
