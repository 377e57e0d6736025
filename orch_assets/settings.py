"""Where the platform keeps its data, from the environment with defaults under `data/`.

Every path can be moved with an environment variable, so a deployment points the same code at
a mounted volume or object-store cache without edits:

| variable | default | holds |
| --- | --- | --- |
| `ORCH_DATA_DIR` | `<repo>/data` | the default root of everything below |
| `ORCH_LANDING_DIR` | `$ORCH_DATA_DIR/landing` | files as upstream systems drop them |
| `ORCH_LAKE_DIR` | `$ORCH_DATA_DIR/lake` | validated Parquet, one folder per feed and day |
| `ORCH_QUARANTINE_DIR` | `$ORCH_DATA_DIR/quarantine` | rejected rows with their reasons |
| `ORCH_WAREHOUSE_DIR` | `$ORCH_DATA_DIR/warehouse` | the DuckDB file dbt builds |
| `ORCH_SNAPSHOT_DIR` | `$ORCH_DATA_DIR/snapshots` | published snapshots the scorecard reads |
| `ORCH_PARTITION_START` | `2026-01-05` | first day of the daily partitions |
| `ORCH_PII_SALT` | a fixed development salt | salt for hashing customer identifiers |
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from orch_assets.ingest.core import LakePaths

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARTITION_START = "2026-01-05"
# NOTE: the development salt keeps demo runs reproducible; a deployment must set
# ORCH_PII_SALT, or hashed customer ids can be reversed by hashing guessed ids.
DEVELOPMENT_SALT = "orch-development-salt"


@dataclass(frozen=True)
class Settings:
    data: Path
    landing: Path
    lake: Path
    quarantine: Path
    warehouse: Path
    snapshots: Path
    partition_start: dt.date
    pii_salt: str

    @property
    def warehouse_file(self) -> Path:
        return self.warehouse / "orch.duckdb"

    @property
    def lake_paths(self) -> LakePaths:
        return LakePaths(self.landing, self.lake, self.quarantine)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data = Path(env.get("ORCH_DATA_DIR", REPO_ROOT / "data"))
    start_text = env.get("ORCH_PARTITION_START", DEFAULT_PARTITION_START)
    try:
        start = dt.date.fromisoformat(start_text)
    except ValueError:
        raise ValueError(
            f"ORCH_PARTITION_START={start_text!r} is not an ISO date; set it like 2026-01-05"
        ) from None
    return Settings(
        data=data,
        landing=Path(env.get("ORCH_LANDING_DIR", data / "landing")),
        lake=Path(env.get("ORCH_LAKE_DIR", data / "lake")),
        quarantine=Path(env.get("ORCH_QUARANTINE_DIR", data / "quarantine")),
        warehouse=Path(env.get("ORCH_WAREHOUSE_DIR", data / "warehouse")),
        snapshots=Path(env.get("ORCH_SNAPSHOT_DIR", data / "snapshots")),
        partition_start=start,
        pii_salt=env.get("ORCH_PII_SALT", DEVELOPMENT_SALT),
    )
