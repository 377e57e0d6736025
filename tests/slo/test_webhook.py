"""The webhook sink against a real HTTP receiver on the loopback interface.

One small server serves every test, on a free port of 127.0.0.1, from a daemon thread. Its
paths behave as receivers do: `/ok` answers 200, `/flaky` fails twice with 500 and then
answers 200, `/reject` answers 400, `/silent` holds the request past the client's timeout.
Timeouts are 0.2 s and attempts at most 3, so the whole module runs in about a second.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orch_assets.slo.notify import JsonlFileSink, Notifier, WebhookSink

TIMEOUT = 0.2
# The silent path answers only after this, or as soon as the tests release it.
SILENT_HOLD = 2.0

pytestmark = pytest.mark.timeout(20)


@dataclass
class Receiver:
    base_url: str
    release: threading.Event
    hits: Counter[str] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.bodies.clear()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            with receiver.lock:
                receiver.hits[self.path] += 1
                hits = receiver.hits[self.path]
                receiver.bodies.append(body)
            if self.path == "/silent":
                receiver.release.wait(SILENT_HOLD)
                status = 200
            elif self.path == "/flaky":
                status = 500 if hits <= 2 else 200
            elif self.path == "/reject":
                status = 400
            else:
                status = 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the client gave up on a held request; nobody is left to answer

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet; the receiver's counters say what happened."""

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[Receiver]:
    release = threading.Event()
    receiver = Receiver(base_url="", release=release)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    httpd.daemon_threads = True
    receiver.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield receiver
    release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=2)


@pytest.fixture
def receiver(server: Receiver) -> Receiver:
    server.reset()
    return server


@dataclass(frozen=True)
class Page:
    notification_id: str

    def to_record(self) -> dict[str, Any]:
        return {"kind": "slo_alert", "severity": "page", "summary": "promise latency burning"}


def _sink(
    receiver: Receiver, path: str, attempts: int = 3, waits: list[float] | None = None
) -> WebhookSink:
    """A webhook sink for one receiver path; `waits` collects the backoff sleeps."""

    def sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)
        time.sleep(seconds)

    return WebhookSink(
        f"{receiver.base_url}{path}", timeout=TIMEOUT, attempts=attempts, backoff=0.01, sleep=sleep
    )


def test_a_receiver_that_answers_200_gets_the_json_on_the_first_attempt(tmp_path, receiver):
    sink = _sink(receiver, "/ok")
    report = Notifier([sink], tmp_path / "state.json").notify([Page("a1")])
    (outcome,) = report["webhook"].outcomes
    assert (outcome.status, outcome.attempts) == ("delivered", 1)
    assert receiver.bodies == [
        {
            "notification_id": "a1",
            "kind": "slo_alert",
            "severity": "page",
            "summary": "promise latency burning",
        }
    ]


def test_two_500s_are_retried_with_backoff_and_delivered_on_attempt_3(tmp_path, receiver):
    waits: list[float] = []
    sink = _sink(receiver, "/flaky", waits=waits)
    report = Notifier([sink], tmp_path / "state.json").notify([Page("a2")])
    (outcome,) = report["webhook"].outcomes
    assert (outcome.status, outcome.attempts) == ("delivered", 3)
    assert receiver.hits["/flaky"] == 3
    assert waits == [0.01, 0.02]  # doubled before each later try


def test_a_receiver_that_never_answers_is_a_recorded_failure_not_an_exception(tmp_path, receiver):
    sink = _sink(receiver, "/silent", attempts=2)
    started = time.monotonic()
    report = Notifier([sink], tmp_path / "state.json").notify([Page("a3")])
    elapsed = time.monotonic() - started
    (failure,) = report["webhook"].failed
    assert failure.attempts == 2
    assert "Timeout" in failure.error
    assert elapsed < 2 * TIMEOUT + 1.0
    assert receiver.hits["/silent"] == 2


def test_a_400_is_not_retried(tmp_path, receiver):
    sink = _sink(receiver, "/reject")
    report = Notifier([sink], tmp_path / "state.json").notify([Page("a4")])
    (failure,) = report["webhook"].failed
    assert (failure.attempts, failure.error) == (1, "webhook webhook: HTTP 400")
    assert receiver.hits["/reject"] == 1


def test_a_failed_webhook_does_not_stop_the_other_sinks(tmp_path, receiver):
    outbox = tmp_path / "alerts.jsonl"
    sinks = [_sink(receiver, "/silent", attempts=1), JsonlFileSink(outbox)]
    report = Notifier(sinks, tmp_path / "state.json").notify([Page("a5")])
    assert len(report["webhook"].failed) == 1
    assert report["file"].delivered == ["a5"]


def test_a_failed_webhook_delivery_is_tried_again_on_the_next_run(tmp_path, receiver):
    state = tmp_path / "state.json"
    failed = Notifier([_sink(receiver, "/reject")], state).notify([Page("a6")])
    assert len(failed["webhook"].failed) == 1
    retried = Notifier([_sink(receiver, "/ok")], state).notify([Page("a6")])
    assert retried["webhook"].delivered == ["a6"]
    again = Notifier([_sink(receiver, "/ok")], state).notify([Page("a6")])
    assert again["webhook"].skipped == ["a6"]
    assert receiver.hits["/ok"] == 1


def test_nothing_listening_is_a_recorded_failure(tmp_path):
    # A port the system just handed out and that was closed again has no listener.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", timeout=TIMEOUT, attempts=1)
    report = Notifier([sink], tmp_path / "state.json").notify([Page("a7")])
    (failure,) = report["webhook"].failed
    assert "ConnectError" in failure.error
