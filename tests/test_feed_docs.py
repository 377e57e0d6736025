"""docs/feeds.md is generated from the contracts and must not go stale."""

from __future__ import annotations

from orch_assets.contracts import FEEDS
from orch_assets.feed_docs import FEEDS_DOC, render_feeds_doc
from orch_assets.settings import REPO_ROOT


def test_feeds_doc_is_current():
    committed = (REPO_ROOT / FEEDS_DOC).read_text(encoding="utf-8")
    assert committed == render_feeds_doc(), "docs/feeds.md is stale: run `orch docs`"


def test_feeds_doc_lists_every_column_of_every_feed():
    text = render_feeds_doc()
    for feed in FEEDS.values():
        assert f"## `{feed.name}`" in text
        for column in feed.columns:
            assert f"| `{column.name}` |" in text
