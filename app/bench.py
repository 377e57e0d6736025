"""Server-side render time of the Executive page, warm, for the benchmark report.

The page is run through Streamlit's AppTest, which executes the script exactly as a server
session would (same caches, same element tree) without a browser, so the figure is the time
the server spends before the first byte of a rerun goes out. The first run pays for imports,
the snapshot's in-memory load and the first queries; it is a warm-up and not counted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

MAIN_SCRIPT = Path(__file__).resolve().parent / "main.py"
SNAPSHOT_ENV = "ORCH_SNAPSHOT_DIR"
# The cold run loads every mart into memory; at a million orders that takes a while.
WARM_UP_TIMEOUT_S = 600.0
RUN_TIMEOUT_S = 60.0


class RenderError(RuntimeError):
    """The page did not render cleanly, so its timings would mean nothing."""


def executive_render_times(snapshot_dir: Path, runs: int = 20) -> dict[str, float]:
    """Time warm reruns of the Executive page over the snapshot folder given.

    Args:
        snapshot_dir: A snapshot folder (with CURRENT), as ORCH_SNAPSHOT_DIR would name.
        runs: Timed reruns after the warm-up.

    Returns:
        `p50_ms` and `p95_ms` of the timed reruns, in milliseconds.

    Raises:
        RenderError: The page raised, or showed an error instead of the scorecard.
    """
    from streamlit.testing.v1 import AppTest

    if runs < 1:
        raise ValueError(f"runs={runs}; time at least one rerun, as in runs=20")
    previous = os.environ.get(SNAPSHOT_ENV)
    os.environ[SNAPSHOT_ENV] = str(snapshot_dir)
    try:
        page = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=RUN_TIMEOUT_S)
        page.run(timeout=WARM_UP_TIMEOUT_S)
        _check(page, snapshot_dir)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            page.run()
            timings.append((time.perf_counter() - started) * 1000.0)
        _check(page, snapshot_dir)
    finally:
        if previous is None:
            os.environ.pop(SNAPSHOT_ENV, None)
        else:
            os.environ[SNAPSHOT_ENV] = previous
    return {
        "p50_ms": float(np.percentile(timings, 50)),
        "p95_ms": float(np.percentile(timings, 95)),
    }


def _check(page: AppTest, snapshot_dir: Path) -> None:
    exceptions = [e.value for e in page.exception]
    errors = [e.value for e in page.error]
    if exceptions or errors:
        raise RenderError(
            f"the Executive page over {snapshot_dir} did not render: "
            f"{'; '.join(map(str, exceptions + errors))}. Publish a snapshot with "
            "`make pipeline` and check it opens with `streamlit run app/main.py`."
        )
