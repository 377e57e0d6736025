"""The scorecard's pages, driven through Streamlit's AppTest over a published snapshot.

Every number a test compares is computed here again, straight from the snapshot's Parquet
files with DuckDB, following the metric definitions of the semantic layer, not through the
app's own queries.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import access, charts, data, layout
from app.bench import executive_render_times
from orch_assets.publish.snapshot import CURRENT_POINTER
from orch_assets.settings import REPO_ROOT

MAIN = REPO_ROOT / "app" / "main.py"
# The first run imports the app and loads the snapshot into memory.
TIMEOUT_S = 180
PAGES = {
    "views/executive.py": "Executive",
    "views/operational.py": "Operational",
    "views/diagnostic.py": "Diagnostic",
    "views/leakage.py": "Leakage",
    "views/slos.py": "SLOs and alerts",
    "views/rollout.py": "Rollout impact",
    "views/dictionary.py": "Metric dictionary",
    "views/quality.py": "Data quality",
}
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "scorecard",
    "client_secret": "test-client-secret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


def open_page(page: str | None = None, **setup) -> AppTest:
    """Run the app once, then switch to a page (the Executive page is the default)."""
    at = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT_S)
    for name, value in setup.items():
        setattr(at, name, value)
    at.run()
    if page is not None and page != "views/executive.py":
        at.switch_page(page).run()
    return at


def tile(at: AppTest, label: str) -> str:
    """The value of the metric tile whose label starts with `label`."""
    found = [m.value for m in at.metric if m.label.startswith(label)]
    assert found, f"no tile labelled {label!r}; tiles: {[m.label for m in at.metric]}"
    return found[0]


def percent_of(text: str) -> float:
    return float(text.rstrip("%")) / 100


def dollars_of(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def shown_dates(at: AppTest) -> tuple[dt.date, dt.date]:
    start, end = at.date_input(key="filter_dates").value
    return start, end


def booked_between(entries: pd.DataFrame, start: dt.date, end: dt.date) -> pd.Series:
    return pd.to_datetime(entries["booked_date"]).dt.date.between(start, end)


def expected_headline(
    folder: Path, start: dt.date, end: dt.date, channels: list[str] | None = None
) -> dict[str, float]:
    """The executive numbers from the Parquet files, by the semantic layer's definitions."""
    con = duckdb.connect()
    params = {
        "orders": str(folder / "orders.parquet"),
        "leakage": str(folder / "leakage_v2.parquet"),
        "start": start,
        "end": end,
        "channels": channels,
    }
    row = con.execute(
        """
        with scoped as (
            select *
            from read_parquet($orders)
            where
                order_date between $start and $end
                and ($channels is null or list_contains($channels, channel))
        )

        select
            sum(case when has_final_outcome and is_otif then 1 else 0 end)
                / sum(case when has_final_outcome then 1 else 0 end) as otif_rate,
            sum(case when has_final_outcome and is_perfect_order then 1 else 0 end)
                / sum(case when has_final_outcome then 1 else 0 end) as perfect_order_rate,
            sum(case when is_on_time then 1 else 0 end)
                / sum(case when is_delivered then 1 else 0 end) as promise_accuracy,
            sum(case when exception_count > 0 then 1 else 0 end) / count(*) as exception_rate,
            sum(case when is_auto_routed and not is_payment_failure then 1 else 0 end)
                / sum(case when not is_payment_failure then 1 else 0 end) as auto_routing_rate,
            sum(order_value)::double as gross_order_value,
            count(*) as orders,
            (
                select sum(amount)::double
                from read_parquet($leakage)
                where
                    booked_date between $start and $end
                    and ($channels is null or list_contains($channels, channel))
            ) as leakage_amount
        from scoped
        """,
        params,
    ).df()
    values = row.iloc[0].to_dict()
    values["leakage_rate"] = values["leakage_amount"] / values["gross_order_value"]
    return values


def assert_tiles_match(at: AppTest, expected: dict[str, float]) -> None:
    for label, key in {
        "OTIF": "otif_rate",
        "Perfect-order rate": "perfect_order_rate",
        "Promise accuracy": "promise_accuracy",
        "Auto-routing rate": "auto_routing_rate",
        "Leakage rate": "leakage_rate",
        "Exception rate": "exception_rate",
    }.items():
        # Tiles show two decimals of a percent.
        assert percent_of(tile(at, label)) == pytest.approx(expected[key], abs=0.0000501), label
    assert dollars_of(tile(at, "Leakage")) == pytest.approx(expected["leakage_amount"], abs=0.5)
    assert float(tile(at, "Orders").replace(",", "")) == expected["orders"]


@pytest.fixture(scope="module")
def executive(snapshot_dir: Path) -> AppTest:
    return open_page()


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_with_its_snapshot_and_metric_versions(snapshot_dir, published, page):
    at = open_page(page)

    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [PAGES[page]]
    captions = " ".join(c.value for c in at.caption)
    assert published.snapshot.snapshot_id in captions
    assert re.search(r"published (just now|\d+ min ago|\d+ h \d+ min ago|\d+ days ago)", captions)
    if page not in {"views/dictionary.py", "views/quality.py"}:
        assert "Metric versions:" in captions
        assert re.search(r"`\w+` v\d", captions)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_table_has_a_csv_download(snapshot_dir, page):
    at = open_page(page)

    assert len(at.dataframe) > 0
    assert len(at.get("download_button")) == len(at.dataframe)


def test_executive_tiles_equal_the_numbers_computed_from_the_snapshot_parquet(executive, published):
    start, end = shown_dates(executive)
    expected = expected_headline(published.snapshot.path, start, end)

    assert_tiles_match(executive, expected)
    assert "SLO 98.5%" in next(m.label for m in executive.metric if m.label.startswith("Auto"))


def test_executive_deltas_compare_with_the_period_just_before(executive, published):
    start, end = shown_dates(executive)
    days = (end - start).days + 1
    before = expected_headline(
        published.snapshot.path, start - dt.timedelta(days=days), start - dt.timedelta(days=1)
    )
    now = expected_headline(published.snapshot.path, start, end)
    otif = next(m for m in executive.metric if m.label == "OTIF")

    assert otif.delta == f"{(now['otif_rate'] - before['otif_rate']) * 100:+.2f} pp"


def test_default_period_is_the_last_four_weeks_of_the_snapshot(executive, published):
    last = dt.date.fromisoformat(published.snapshot.manifest["partitions"]["last"])

    assert shown_dates(executive) == (last - dt.timedelta(days=27), last)


def test_channel_filter_changes_the_tiles_to_that_channel(snapshot_dir, published):
    at = open_page()
    before = tile(at, "OTIF"), tile(at, "Orders")
    at.multiselect(key="filter_channels").set_value(["web"]).run()
    start, end = shown_dates(at)

    assert (tile(at, "OTIF"), tile(at, "Orders")) != before
    assert_tiles_match(at, expected_headline(published.snapshot.path, start, end, ["web"]))


def test_date_filter_changes_the_period_shown(snapshot_dir, published):
    at = open_page()
    first = dt.date.fromisoformat(published.snapshot.manifest["partitions"]["first"])
    at.date_input(key="filter_dates").set_value((first, first + dt.timedelta(days=13))).run()

    assert_tiles_match(
        at, expected_headline(published.snapshot.path, first, first + dt.timedelta(days=13))
    )
    assert any("showing " + first.isoformat() in c.value for c in at.caption)


def test_executive_shows_rollout_impact_and_error_budget(executive, published):
    impact = pd.read_parquet(published.snapshot.path / "rollout_impact.parquet")
    split = impact.set_index("metric").loc["split_shipment_rate"]

    assert tile(executive, "Split-shipment rate") == layout.effect(split)[0]
    assert [s.value for s in executive.main.subheader][-2:] == ["Rollout impact", "Error budget"]
    assert len(executive.get("vega_lite_chart")) >= 9


def test_unknown_order_id_says_so(snapshot_dir):
    at = open_page("views/diagnostic.py")
    at.text_input(key="diag_lookup").set_value("O-NOT-AN-ORDER").run()

    assert not at.exception
    assert any("No order or trace with id `O-NOT-AN-ORDER`" in w.value for w in at.warning)


@pytest.mark.parametrize("by", ["order_id", "trace_id"])
def test_order_lookup_shows_every_event_of_that_order(snapshot_dir, published, by):
    events = pd.read_parquet(published.snapshot.path / "order_events.parquet")
    chosen = events[events["event_status"] != "ok"].iloc[0]
    at = open_page("views/diagnostic.py")
    at.text_input(key="diag_lookup").set_value(str(chosen[by])).run()

    assert not at.warning and not at.exception
    assert any(f"Order `{chosen['order_id']}`" in m.value for m in at.markdown)
    shown = at.dataframe[0].value
    expected = events[events[by] == chosen[by]]
    assert sorted(shown["event_id"]) == sorted(expected["event_id"])


def test_operational_drift_heatmap_table_matches_the_shipments(snapshot_dir, published):
    at = open_page("views/operational.py")
    start, end = shown_dates(at)
    folder = published.snapshot.path
    expected = (
        duckdb.connect()
        .execute(
            """
            select
                shipments.node_id,
                shipments.carrier_id,
                avg(shipments.promise_drift_days) as mean_drift_days
            from read_parquet($shipments) as shipments
            inner join read_parquet($orders) as orders
                on shipments.order_id = orders.order_id
            where shipments.is_delivered and orders.order_date between $start and $end
            group by all
            order by all
            """,
            {
                "shipments": str(folder / "shipments.parquet"),
                "orders": str(folder / "orders.parquet"),
                "start": start,
                "end": end,
            },
        )
        .df()
    )
    drift = next(d.value for d in at.dataframe if "mean_drift_days" in d.value.columns)

    merged = drift.merge(expected, on=["node_id", "carrier_id"], suffixes=("", "_expected"))
    assert len(merged) == len(expected) == len(drift)
    assert merged["mean_drift_days"].to_numpy() == pytest.approx(
        merged["mean_drift_days_expected"].to_numpy()
    )


def test_operational_breakdown_switches_dimension(snapshot_dir):
    at = open_page("views/operational.py")
    at.segmented_control(key="ops_dimension").set_value("carrier_id").run()

    breakdown = at.dataframe[0].value
    assert "carrier" in breakdown.columns
    assert set(breakdown["carrier"]) >= {"PARCELCO", "SWIFTSHIP"}


def test_leakage_pareto_adds_up_to_the_ledger_losses_of_each_version(snapshot_dir, published):
    at = open_page("views/leakage.py")
    start, end = shown_dates(at)
    for version in (2, 1):
        at.segmented_control(key="leakage_version").set_value(version).run()
        entries = pd.read_parquet(published.snapshot.path / f"leakage_v{version}.parquet")
        entries = entries[booked_between(entries, start, end)]
        by_cause = entries.groupby("root_cause")["amount"].sum().astype(float)
        pareto = at.dataframe[0].value.set_index("root_cause")

        assert dollars_of(tile(at, "Leakage")) == pytest.approx(float(by_cause.sum()), abs=0.5)
        assert pareto["amount"].to_dict() == pytest.approx(by_cause.to_dict())
        assert pareto["cumulative_share"].iloc[-1] == pytest.approx(1.0)
        assert list(pareto["amount"]) == sorted(pareto["amount"], reverse=True)


def test_leakage_drills_into_one_root_cause(snapshot_dir, published):
    at = open_page("views/leakage.py")
    start, end = shown_dates(at)
    at.selectbox(key="leakage_cause").set_value("late_delivery").run()
    entries = pd.read_parquet(published.snapshot.path / "leakage_v2.parquet")
    entries = entries[
        booked_between(entries, start, end) & (entries["root_cause"] == "late_delivery")
    ]
    grid = next(d.value for d in at.dataframe if {"node_id", "carrier_id"} <= set(d.value.columns))

    assert grid["amount"].sum() == pytest.approx(float(entries["amount"].sum()))


def test_slo_page_shows_each_budget_at_the_end_of_the_period(snapshot_dir, published):
    at = open_page("views/slos.py")
    _, end = shown_dates(at)
    burndown = pd.read_parquet(published.snapshot.path / "slo_burndown.parquet")
    cutoff = pd.Timestamp(end + dt.timedelta(days=1), tz="UTC")
    last = (
        burndown[(burndown["segment"] == "all") & (burndown["evaluated_at"] <= cutoff)]
        .sort_values("evaluated_at")
        .groupby("slo")
        .last()
    )

    for slo, row in last.iterrows():
        label = slo.replace("_", " ").capitalize()
        assert tile(at, label) == charts.budget_text(row["budget_remaining"])


def test_slo_segment_choice_narrows_the_alert_episodes(snapshot_dir):
    at = open_page("views/slos.py")
    at.selectbox(key="slo_segment").set_value("west").run()

    episodes = next(d.value for d in at.dataframe if "episode_id" in d.value.columns)
    assert set(episodes["segment"]) == {"west"}


def test_rollout_page_shows_each_estimate_and_its_cells(snapshot_dir, published):
    at = open_page("views/rollout.py")
    impact = pd.read_parquet(published.snapshot.path / "rollout_impact.parquet")
    cells = pd.read_parquet(published.snapshot.path / "rollout_impact_cells.parquet")

    shown = next(d.value for d in at.dataframe if "estimate" in d.value.columns)
    assert shown["estimate"].to_numpy() == pytest.approx(
        impact.sort_values("metric")["estimate"].to_numpy()
    )
    assert len(next(d.value for d in at.dataframe if "cohort" in d.value.columns)) == len(cells)
    metrics = [layout.rollout_label(m) for m in sorted(impact["metric"])]
    assert [s.value for s in at.main.subheader][: len(metrics)] == metrics


def test_metric_dictionary_lists_every_metric_with_its_version(snapshot_dir, published):
    at = open_page("views/dictionary.py")
    versions = published.snapshot.manifest["metric_versions"]

    table = at.dataframe[0].value
    assert dict(zip(table["metric"], table["snapshot_version"], strict=True)) == versions
    at.text_input(key="dictionary_search").set_value("leakage").run()
    assert set(at.dataframe[0].value["metric"]) >= {"leakage_amount", "leakage_amount_v1"}
    assert "otif_rate" not in set(at.dataframe[0].value["metric"])


def test_data_quality_shows_checks_and_the_blocked_publish(snapshot_dir, published):
    at = open_page("views/quality.py")

    checks = at.dataframe[0].value
    assert list(checks["check"]) == [
        c["check"] for c in published.snapshot.manifest["check_results"]
    ]
    assert set(checks["verdict"]) == {"passed"}
    assert tile(at, "Blocked publishes") == "1"
    reasons = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert "robust band" in reasons["message"].iloc[0]


def test_no_snapshot_says_to_run_make_pipeline(monkeypatch, tmp_path):
    monkeypatch.setenv("ORCH_SNAPSHOT_DIR", str(tmp_path / "nothing-published"))
    at = open_page()

    assert not at.exception
    assert any("make pipeline" in e.value for e in at.error)
    assert not at.metric


def test_a_pointer_to_a_missing_snapshot_says_to_run_make_pipeline(monkeypatch, tmp_path):
    (tmp_path / CURRENT_POINTER).write_text("20260101T000000000000Z\n", encoding="utf-8")
    monkeypatch.setenv("ORCH_SNAPSHOT_DIR", str(tmp_path))
    at = open_page()

    assert not at.exception
    assert any("missing" in e.value and "make pipeline" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("page", "mart"),
    [
        ("views/executive.py", "rollout_impact"),
        ("views/slos.py", "slo_burndown"),
        ("views/rollout.py", "rollout_impact"),
        ("views/diagnostic.py", "slo_alert_episodes"),
        ("views/quality.py", "quarantine_summary"),
    ],
)
def test_pages_say_which_mart_is_not_published_yet_and_what_to_run(
    monkeypatch, published, page, mart
):
    monkeypatch.setenv("ORCH_SNAPSHOT_DIR", str(published.core_snapshots))
    at = open_page(page)

    assert not at.exception and not at.error
    notes = " ".join(i.value for i in at.info)
    assert f"`{mart}`" in notes and "not published yet" in notes and "make pipeline" in notes


def test_sign_in_is_off_without_a_secrets_file(monkeypatch):
    monkeypatch.setenv(access.FINANCE_USERS_ENV, "CFO@example.com, controller@example.com")
    rules = access.read_access()

    assert not rules.login_required and rules.problem is None
    assert rules.finance_users == {"cfo@example.com", "controller@example.com"}


def test_sign_in_is_required_when_auth_is_configured(snapshot_dir):
    at = open_page(secrets={"auth": AUTH_SECRETS}, user={"is_logged_in": False})

    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric


def test_finance_page_is_only_listed_for_allowed_users(snapshot_dir, monkeypatch):
    monkeypatch.delenv(access.FINANCE_USERS_ENV, raising=False)
    secrets = {"auth": AUTH_SECRETS, "scorecard": {"finance_users": ["cfo@example.com"]}}
    ops = open_page(secrets=secrets, user={"is_logged_in": True, "email": "ops@example.com"})

    assert [t.value for t in ops.title] == ["Executive"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        ops.switch_page("views/leakage.py")

    cfo = open_page(
        "views/leakage.py",
        secrets=secrets,
        user={"is_logged_in": True, "email": "CFO@example.com"},
    )
    assert [t.value for t in cfo.title] == ["Leakage"]


def test_finance_users_can_come_from_the_environment(snapshot_dir, monkeypatch):
    monkeypatch.setenv(access.FINANCE_USERS_ENV, "controller@example.com")
    at = open_page(
        "views/leakage.py",
        secrets={"auth": AUTH_SECRETS},
        user={"is_logged_in": True, "email": "controller@example.com"},
    )

    assert [t.value for t in at.title] == ["Leakage"]


def test_incomplete_auth_settings_stop_with_what_is_missing(snapshot_dir):
    at = open_page(secrets={"auth": {"client_id": "scorecard"}})

    assert not at.exception
    assert any("redirect_uri, cookie_secret" in e.value for e in at.error)


def test_filters_reach_queries_as_bind_parameters(published):
    ref = data.SnapshotRef.of(published.snapshot)
    hostile = "web' or 1=1 --"
    first, last = (
        dt.date.fromisoformat(published.snapshot.manifest["partitions"][k])
        for k in ("first", "last")
    )
    filters = data.Filters(start=first, end=last, channels=(hostile,))

    assert data.headline(ref, filters)["orders"] == 0


def test_pareto_shares_add_up_and_are_ordered():
    frame = pd.DataFrame({"root_cause": ["a", "b", "c", "b"], "amount": [1.0, 5.0, 2.0, 2.0]})
    totals = data.pareto(frame, "root_cause")

    assert list(totals["root_cause"]) == ["b", "c", "a"]
    assert list(totals["cumulative_share"]) == pytest.approx([0.7, 0.9, 1.0])


def test_budget_text_says_when_a_budget_is_overspent():
    assert charts.budget_text(0.25) == "25.0% left"
    assert charts.budget_text(-1.5) == "overspent 2.5×"


def test_executive_render_times_are_measured_warm(published):
    times = executive_render_times(published.snapshots, runs=3)

    assert set(times) == {"p50_ms", "p95_ms"}
    assert 0 < times["p50_ms"] <= times["p95_ms"]
