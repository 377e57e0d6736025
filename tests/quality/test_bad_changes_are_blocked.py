"""A corpus of bad changes, each applied to a copy of the project, each blocked with a reason.

Definition changes are judged on the copied project alone. Data changes are built with dbt
into a copy of the built warehouse and judged by the same gates the Dagster checks run; in
every case the live snapshot stays byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orch_assets.quality.definitions_check import check_definitions
from orch_assets.quality.gate import evaluate_all, publish_or_block
from orch_assets.settings import REPO_ROOT


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "blocked" not in p.parts
    }


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(
        REPO_ROOT / "dbt_project",
        copy,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _edit_metric(project: Path, name: str, change) -> None:
    path = project / "models" / "semantic" / "_metrics.yml"
    document = yaml.safe_load(path.read_text())
    metric = next(m for m in document["metrics"] if m["name"] == name)
    change(metric)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_the_unchanged_project_passes_every_gate_and_publishes(built_world, tmp_path):
    gates = evaluate_all(REPO_ROOT / "dbt_project", built_world.warehouse, built_world.lake)
    assert [g.to_dict() for g in gates if not g.passed] == []
    outcome = publish_or_block(
        gates, REPO_ROOT / "dbt_project", built_world.warehouse, tmp_path / "snapshots"
    )
    assert (outcome.path / "manifest.json").exists()


def _definition_failures(project: Path) -> list[str]:
    gate = check_definitions(project)
    assert not gate.passed
    return [f.detail for f in gate.failures]


def test_a_metric_without_an_owner_is_blocked(project):
    _edit_metric(project, "otif_rate", lambda m: m["config"]["meta"].pop("owner"))
    assert any("otif_rate has no owner" in d for d in _definition_failures(project))


def test_a_ratio_over_an_unknown_metric_is_blocked(project):
    _edit_metric(
        project, "split_shipment_rate", lambda m: m["type_params"].update(denominator="shipped")
    )
    failures = _definition_failures(project)
    assert any("split_shipment_rate is built from unknown metric shipped" in d for d in failures)


def test_a_changed_formula_without_a_version_raise_is_blocked(project):
    path = project / "models" / "semantic" / "_semantic_models.yml"
    _edit(path, "case when has_final_outcome and is_otif then 1", "case when is_otif then 1")
    failures = _definition_failures(project)
    assert any(
        "definition of metric otif_rate changed but its version is still 1" in d
        and "orch metrics lock" in d
        for d in failures
    )


def test_a_version_raise_without_a_changelog_line_is_blocked(project):
    path = project / "models" / "semantic" / "_semantic_models.yml"
    _edit(path, "case when has_final_outcome and is_otif then 1", "case when is_otif then 1")
    _edit_metric(project, "otif_rate", lambda m: m["config"]["meta"].update(version=2))
    failures = _definition_failures(project)
    assert any("otif_rate was raised to version 2 without a changelog line" in d for d in failures)


DATA_CHANGES = {
    "rate_above_one": (
        "models/marts/dependency_health_hourly.sql",
        "cast(errors / nullif(cast(calls as double), 0) as double) as error_rate",
        "cast(100.0 * errors / nullif(cast(calls as double), 0) as double) as error_rate",
        "dependency_health_hourly",
        r"expect_column_values_to_be_between\(column=error_rate",
    ),
    "negative_leakage": (
        "models/marts/leakage_v2.sql",
        "cast(amount as decimal(18, 2)) as amount",
        "cast(-amount as decimal(18, 2)) as amount",
        "leakage_v2",
        r"expect_column_values_to_be_between\(column=amount|leakage_v2 differs from the ledger",
    ),
    "join_loses_ledger_entries": (
        "models/intermediate/int_ledger_entries_attributed.sql",
        "left join shipments",
        "inner join shipments",
        "int_ledger_entries_attributed+",
        r"leakage_v\d differs from the ledger's loss entries",
    ),
    "missing_day": (
        "models/marts/orders.sql",
        "    from orders\n)",
        "    from orders\n    where order_date <> cast('2026-02-03' as date)\n)",
        "orders",
        r"expect_column_distinct_values_to_contain_set\(column=order_date"
        r"|orders mart and orders feed disagree",
    ),
    "duplicated_key": (
        "models/marts/shipments.sql",
        "select * from final",
        "select * from final\nunion all\nselect * from final where shipment_date = "
        "cast('2026-02-03' as date)",
        "shipments",
        r"expect_column_values_to_be_unique\(column=shipment_id",
    ),
    "row_count_collapse": (
        "models/marts/order_events.sql",
        "    from events\n)",
        "    from events\n    where not (event_date = cast('2026-02-10' as date)\n"
        "        and mod(cast(right(event_id, 2) as integer), 10) <> 0)\n)",
        "order_events",
        r"order_events has [\d,]+ rows on 2026-02-10, outside",
    ),
}


@pytest.mark.parametrize("change", sorted(DATA_CHANGES))
def test_a_bad_data_change_is_blocked_and_the_live_snapshot_stays(
    change, project, built_world, tmp_path
):
    relative, old, new, selection, reason = DATA_CHANGES[change]
    _edit(project / relative, old, new)
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(built_world.warehouse, warehouse / "orch.duckdb")
    env = {
        **os.environ,
        "ORCH_WAREHOUSE_DIR": str(warehouse),
        "ORCH_LAKE_DIR": str(built_world.lake),
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "run",
            "--select",
            selection,
            "--full-refresh",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    live = built_world.snapshots
    before = _tree_digest(live)
    gates = evaluate_all(
        project, warehouse / "orch.duckdb", built_world.lake, with_metricflow=False
    )
    failures = [f.detail for g in gates for f in g.failures]
    assert any(re.search(reason, detail) for detail in failures), failures
    outcome = publish_or_block(gates, project, warehouse / "orch.duckdb", live)
    assert outcome.parent.name == "blocked"
    assert _tree_digest(live) == before
