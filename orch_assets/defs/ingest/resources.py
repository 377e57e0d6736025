"""The lake location as a Dagster resource, read from the environment."""

from __future__ import annotations

import dagster as dg

from orch_assets.ingest.core import LakePaths
from orch_assets.settings import load_settings


class LakeResource(dg.ConfigurableResource):
    """Landing, lake and quarantine folders, and the salt for customer identifiers."""

    landing_dir: str
    lake_dir: str
    quarantine_dir: str
    pii_salt: str
    quarantine_warn_rate: float = 0.01

    @classmethod
    def from_settings(cls) -> LakeResource:
        settings = load_settings()
        return cls(
            landing_dir=str(settings.landing),
            lake_dir=str(settings.lake),
            quarantine_dir=str(settings.quarantine),
            pii_salt=settings.pii_salt,
        )

    @property
    def paths(self) -> LakePaths:
        from pathlib import Path

        return LakePaths(Path(self.landing_dir), Path(self.lake_dir), Path(self.quarantine_dir))
