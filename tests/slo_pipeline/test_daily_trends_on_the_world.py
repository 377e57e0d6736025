"""daily_trends carries each day's KPIs and the change annotations to mark on that day."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def trends(warehouse) -> pd.DataFrame:
    frame = warehouse.execute("select * from main.daily_trends").df()
    return frame.assign(trend_date=frame["trend_date"].dt.date)


def _marked(trends: pd.DataFrame, change_id: str) -> pd.DataFrame:
    ids = trends["annotation_ids"].fillna("").str.split(" | ", regex=False)
    return trends[ids.map(lambda names: change_id in names)]


def test_one_row_per_day_and_segment(trends, built_world):
    days = pd.date_range(
        built_world.world.ground_truth["start_date"], built_world.world.ground_truth["end_date"]
    )
    assert len(trends) == len(days) * 6
    assert not trends.duplicated(["trend_date", "segment"]).any()


def test_the_rule_change_marks_its_day_in_the_treatment_regions_and_the_network(trends, truth):
    rollout = truth["rollout"]
    marked = _marked(trends, f"RULE-{rollout['rule_set_version']}")
    assert set(marked["trend_date"].astype(str)) == {rollout["effective_date"]}
    assert set(marked["segment"]) == {*rollout["treatment_regions"], "all"}
    assert (marked["annotations_starting"] >= 1).all()


def test_the_carrier_outage_marks_every_segment_on_each_of_its_days(trends, warehouse, truth):
    outage = truth["carrier_outage"]
    (change_id,) = warehouse.execute(
        "select change_id from main.change_annotations where change_kind = 'carrier_outage'"
    ).fetchone()
    marked = _marked(trends, change_id)
    first = dt.date.fromisoformat(outage["starts_at"][:10])
    # It ends at midnight, so its last day is the one before.
    last = dt.date.fromisoformat(outage["ends_at"][:10]) - dt.timedelta(days=1)
    assert set(marked["trend_date"]) == {
        first + dt.timedelta(days=n) for n in range((last - first).days + 1)
    }
    assert marked.groupby("trend_date")["segment"].nunique().eq(6).all()


def test_a_release_without_an_end_marks_only_its_own_day(trends, warehouse):
    releases = warehouse.execute(
        "select change_id, starts_date from main.change_annotations where change_kind = 'release'"
    ).fetchall()
    assert releases
    for change_id, starts_date in releases:
        assert set(_marked(trends, change_id)["trend_date"]) == {starts_date}


def test_labels_line_up_with_ids(trends):
    annotated = trends[trends["annotation_count"] > 0]
    for row in annotated.itertuples():
        ids = row.annotation_ids.split(" | ")
        assert len(ids) == row.annotation_count == len(row.annotation_labels.split(" | "))
    assert trends.loc[trends["annotation_count"] == 0, "annotation_ids"].isna().all()


def test_the_network_kpis_are_the_marts_and_the_sum_of_the_regions(trends, warehouse):
    marts = warehouse.execute(
        """
        select
            order_date as trend_date,
            count(*) as orders,
            count(*) filter (where is_split) as split_orders,
            count(*) filter (where has_final_outcome and is_otif) as otif_orders
        from main.orders group by all
        """
    ).df()
    marts["trend_date"] = marts["trend_date"].dt.date
    network = trends[trends["segment"] == "all"].merge(marts, on="trend_date")
    for column in ("orders", "split_orders", "otif_orders"):
        assert (network[f"{column}_x"] == network[f"{column}_y"]).all(), column
    regions = (
        trends[trends["segment"] != "all"]
        .groupby("trend_date")[["orders", "exceptions_opened", "leakage_amount"]]
        .sum()
    )
    totals = trends[trends["segment"] == "all"].set_index("trend_date")[regions.columns]
    pd.testing.assert_frame_equal(
        regions.astype(float), totals.loc[regions.index].astype(float), check_exact=False
    )
