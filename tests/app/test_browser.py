"""The scorecard in a real browser: `streamlit run` on localhost, Debian chromium headless.

Each page is opened by its URL, checked for its key text and for the absence of any
exception box, and photographed into test-artifacts/screenshots/<page>.png for review.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from orch_assets.settings import REPO_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
SERVER_START_S = 90
RENDER_MS = 60_000
VIEWPORT = {"width": 1440, "height": 1000}
# Page: its URL path (the default page lives at the root) and text it must show.
PAGES = {
    "executive": ("", ["Executive", "OTIF", "Trends", "Rollout impact", "Error budget"]),
    "operational": (
        "operational",
        ["Operational", "Breakdowns", "Promise drift: node × carrier", "Exception aging"],
    ),
    "diagnostic": (
        "diagnostic",
        ["Diagnostic", "Order lifecycle", "Dependency health", "Alert timeline"],
    ),
    "leakage": ("leakage", ["Leakage", "Root causes, largest first", "Drill down"]),
    "slos": ("slos", ["SLOs and alerts", "Burn-down", "Alert episodes", "Rollback firings"]),
    "rollout": ("rollout", ["Rollout impact", "Split-shipment rate", "Estimates", "Cells"]),
    "metrics": ("metrics", ["Metric dictionary", "Definition", "Changelog"]),
    "quality": ("quality", ["Data quality", "Checks", "Blocked publishes", "Snapshot contents"]),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The scorecard served on a free localhost port over the session's snapshot."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "ORCH_SNAPSHOT_DIR": str(snapshot_dir)}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app/main.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://localhost:{port}"
    try:
        _wait_for_health(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_health(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"streamlit exited with {process.returncode} before serving; its log:\n"
                + log_path.read_text(encoding="utf-8")
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(
        f"streamlit did not answer {url}/_stcore/health within {SERVER_START_S}s; its log:\n"
        + log_path.read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless; the test fails (never skips) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, so the browser tests cannot run. Install Debian's "
            "chromium with `apt-get update && apt-get install -y chromium` (Playwright's own "
            "browser download is not used)."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def settle(page: Page) -> None:
    """Wait until the script run is over and its charts are drawn."""
    # The app root reports its script state: "initial", then "running", then "notRunning".
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=RENDER_MS
    )
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    for index in range(charts.count()):
        charts.nth(index).locator("canvas, svg").first.wait_for(timeout=RENDER_MS)
    # Vega draws after its container appears; give the last frame time to paint.
    page.wait_for_timeout(800)


def photograph(page: Page, name: str) -> Path:
    """A screenshot of the whole page (Streamlit scrolls inside its main block, not the body)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 40, 16000)})
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target))
    return target


def open_page(browser: Browser, server: str, path: str) -> Page:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server}/{path}", timeout=RENDER_MS)
    settle(page)
    return page


def assert_clean(page: Page, texts: list[str], snapshot_id: str) -> None:
    for text in [*texts, snapshot_id]:
        # Data grids keep hidden copies of their headers; only what a reader sees counts.
        shown = page.get_by_text(text, exact=False).filter(visible=True).first
        expect(shown).to_be_visible(timeout=RENDER_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_in_chromium(browser, server, published, name):
    path, texts = PAGES[name]
    page = open_page(browser, server, path)
    try:
        assert_clean(page, texts, published.snapshot.snapshot_id)
        assert photograph(page, name).stat().st_size > 0
    finally:
        page.close()


def test_order_lifecycle_in_chromium(browser, server, published):
    events = pd.read_parquet(published.snapshot.path / "order_events.parquet")
    order_id = str(events[events["event_status"] != "ok"].iloc[0]["order_id"])
    page = open_page(browser, server, "diagnostic")
    try:
        lookup = page.get_by_role("textbox", name="Order id or trace id")
        lookup.fill(order_id)
        lookup.press("Enter")
        expect(page.get_by_text("Promise drift").first).to_be_visible(timeout=RENDER_MS)
        settle(page)
        assert_clean(page, ["Order lifecycle", order_id], published.snapshot.snapshot_id)
        photograph(page, "diagnostic-order")

        lookup.fill("O-NOT-AN-ORDER")
        lookup.press("Enter")
        expect(page.get_by_text("No order or trace with id").first).to_be_visible(timeout=RENDER_MS)
    finally:
        page.close()
