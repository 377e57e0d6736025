"""The repo's own metric definitions are complete and locked, and their docs current."""

from __future__ import annotations

from orch_assets.metric_definitions import (
    METRICS_DOC,
    SemanticProject,
    lock_problems,
    metadata_problems,
    render_metrics_doc,
)
from orch_assets.settings import REPO_ROOT


def _project() -> SemanticProject:
    return SemanticProject.load(REPO_ROOT / "dbt_project")


def test_every_metric_has_its_required_metadata():
    assert [p.message for p in metadata_problems(_project())] == []


def test_every_metric_definition_matches_the_lock():
    assert [p.message for p in lock_problems(_project())] == []


def test_metrics_doc_is_current():
    committed = (REPO_ROOT / METRICS_DOC).read_text(encoding="utf-8")
    assert committed == render_metrics_doc(_project()), (
        "docs/metrics.md is stale: run `orch metrics docs`"
    )


def test_both_leakage_versions_are_defined_side_by_side():
    project = _project()
    assert project.version("leakage_amount") == 2
    assert project.version("leakage_amount_v1") == 1
    assert "leakage_v1" in project.model_sql and "leakage_v2" in project.model_sql
