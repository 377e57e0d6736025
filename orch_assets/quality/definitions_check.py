"""Definition checks on a dbt project: metadata, MetricFlow validation, the definition lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orch_assets.metric_definitions import SemanticProject, lock_problems, metadata_problems
from orch_assets.quality.results import Failure, GateResult


def metricflow_problems(project_dir: Path) -> list[str]:
    """MetricFlow's own semantic validation (no warehouse queries)."""
    mf = Path(sys.executable).with_name("mf")
    done = subprocess.run(
        [str(mf), "validate-configs", "--skip-dw"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_PROJECT_DIR": str(project_dir)},
    )
    if done.returncode == 0 and "ERRORS: 0" in done.stdout:
        return []
    lines = [
        line.strip(" •")
        for line in (done.stdout + done.stderr).splitlines()
        if "ERROR" in line or "Error" in line
    ]
    return lines or [f"mf validate-configs exited {done.returncode}"]


def check_definitions(project_dir: Path, with_metricflow: bool = True) -> GateResult:
    project = SemanticProject.load(project_dir)
    problems = metadata_problems(project) + lock_problems(project)
    failures = [
        Failure(
            check="definitions",
            target=p.metric,
            expectation=p.rule,
            observed=None,
            detail=p.message,
        )
        for p in problems
    ]
    if with_metricflow and not any(p.rule == "reference" for p in problems):
        failures += [
            Failure("definitions", "semantic_layer", "metricflow_validation", None, message)
            for message in metricflow_problems(project_dir)
        ]
    return GateResult("definitions", "semantic_layer", len(project.metrics), failures)


def metric_versions(project_dir: Path) -> dict[str, int]:
    project = SemanticProject.load(project_dir)
    return {name: project.version(name) or 0 for name in project.metrics}
