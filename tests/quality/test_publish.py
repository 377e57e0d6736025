"""Publishing: the pipeline ends with a snapshot that is whole, described and swapped atomically."""

from __future__ import annotations

import hashlib
import json
import threading

import duckdb

from orch_assets.publish.snapshot import (
    CURRENT_POINTER,
    current_snapshot,
    snapshot_ids,
    write_snapshot,
)


def test_the_pipeline_publishes_a_snapshot_with_a_full_manifest(built_world):
    snapshot = current_snapshot(built_world.snapshots)
    assert snapshot is not None
    manifest = snapshot.manifest
    truth = built_world.world.ground_truth
    assert manifest["partitions"] == {"first": truth["start_date"], "last": truth["end_date"]}
    assert manifest["metric_versions"]["leakage_amount"] == 2
    assert manifest["metric_versions"]["leakage_amount_v1"] == 1
    assert manifest["check_results"]
    assert all(result["passed"] for result in manifest["check_results"])
    assert manifest["code_version"]
    con = built_world.connect()
    for mart, info in manifest["marts"].items():
        path = snapshot.path / info["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"]
        if mart != "quarantine_summary":
            rows = con.execute(f"select count(*) from main.{mart}").fetchone()[0]
            assert info["rows"] == rows, mart


def test_no_raw_customer_identifier_reaches_the_snapshot(built_world):
    snapshot = current_snapshot(built_world.snapshots)
    raw = duckdb.execute(
        f"select distinct customer_id from read_csv('{built_world.world.out}/orders/*/*.csv')"
    ).fetchall()
    raw_ids = {r for (r,) in raw}
    for info in snapshot.manifest["marts"].values():
        text = (snapshot.path / info["file"]).read_bytes()
        assert not any(identifier.encode() in text for identifier in list(raw_ids)[:200])


def test_a_reader_sees_one_whole_snapshot_while_publishes_swap_it(built_world, tmp_path):
    snapshots = tmp_path / "snapshots"
    marts = {"orders": ("order_id",), "change_annotations": ("change_id",)}
    write_snapshot(built_world.warehouse, snapshots, {}, [], "test", marts=marts)
    seen: list[str] = []
    problems: list[str] = []
    stop = threading.Event()

    def read_repeatedly() -> None:
        while not stop.is_set():
            snapshot = current_snapshot(snapshots)
            manifest = json.loads((snapshot.path / "manifest.json").read_text())
            for info in manifest["marts"].values():
                data = (snapshot.path / info["file"]).read_bytes()
                if hashlib.sha256(data).hexdigest() != info["sha256"]:
                    problems.append(f"{snapshot.snapshot_id}: {info['file']} does not match")
            seen.append(snapshot.snapshot_id)

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for _ in range(6):
            write_snapshot(built_world.warehouse, snapshots, {}, [], "test", marts=marts, keep=2)
    finally:
        stop.set()
        reader.join(timeout=60)
    assert problems == []
    assert len(set(seen)) >= 2
    assert (snapshots / CURRENT_POINTER).read_text().strip() == snapshot_ids(snapshots)[-1]
    assert len(snapshot_ids(snapshots)) == 2
