"""The code location loads, and its asset graph is what the project declares."""

from __future__ import annotations

from orch_assets.contracts import FEEDS


def test_definitions_load_with_an_asset_per_feed():
    from orch_assets.definitions import defs

    keys = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
    assert {f"lake/{feed}" for feed in FEEDS} <= keys
    assert defs.resolve_job_def("ingest_feeds") is not None
    assert defs.resolve_sensor_def("landing_sensor") is not None
    assert defs.resolve_schedule_def("daily_ingest") is not None


def test_workspace_file_points_at_the_definitions_module():
    import yaml

    from orch_assets.settings import REPO_ROOT

    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    modules = [entry["python_module"]["module_name"] for entry in workspace["load_from"]]
    assert modules == ["orch_assets.definitions"]
