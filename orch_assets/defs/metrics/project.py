"""The dbt project and its manifest, prepared once rather than parsed on every import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orch_assets.settings import REPO_ROOT, load_settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def export_dbt_environment() -> None:
    """Give dbt (a subprocess) the same folders the Python side resolved."""
    settings = load_settings()
    settings.warehouse.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ORCH_LAKE_DIR", str(settings.lake))
    os.environ.setdefault("ORCH_WAREHOUSE_DIR", str(settings.warehouse))


def _newest_source(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        files += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Parse the project when its manifest is missing or older than a project file.

    Loading the code location then costs a stat of the project's files, not a dbt parse; the
    parse runs only after an edit, so the asset graph never lags the models.
    """
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source(project_dir):
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(
            [
                str(dbt),
                "parse",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--quiet",
            ],
            check=True,
            cwd=project_dir,
        )
    return manifest


export_dbt_environment()
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
ensure_manifest()
