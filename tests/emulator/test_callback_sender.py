"""Status and incoming-message callbacks POSTed to a local capturing server."""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from smsc_transports.emulator import Account, Emulator, ManualClock
from tests.emulator.api import Api


class Capture:
    """A tiny HTTP server that records every form POSTed to it."""

    def __init__(self) -> None:
        self.posts: queue.Queue[dict[str, str]] = queue.Queue()
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                posts.put(dict(parse_qsl(body.decode("utf-8"))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/smsc-callback"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def take(self, count: int) -> list[dict[str, str]]:
        return [self.posts.get(timeout=5) for _ in range(count)]


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_each_status_change_is_posted_in_order(capture: Capture, manual_clock: ManualClock) -> None:
    with Emulator(clock=manual_clock, callback_url=capture.url) as emu:
        Api(emu).send(phones="79990001013")
        manual_clock.advance(3)
        assert emu.flush_callbacks() == 2
    first, second = capture.take(2)
    assert first == {
        "id": "1",
        "phone": "79990001013",
        "status": "0",
        "err": "0",
        "time": "15.11.2023 01:13:21",
        "ts": "1700000001",
    }
    assert (second["status"], second["err"], second["ts"]) == ("20", "13", "1700000003")
    assert capture.posts.empty()


def test_nothing_is_posted_twice(capture: Capture, manual_clock: ManualClock) -> None:
    with Emulator(clock=manual_clock, callback_url=capture.url) as emu:
        Api(emu).send()
        manual_clock.advance(1)
        assert emu.flush_callbacks() == 1
        manual_clock.advance(10)
        assert emu.flush_callbacks() == 1
        assert emu.flush_callbacks() == 0
    assert [p["status"] for p in capture.take(2)] == ["0", "1"]


def test_the_ticker_thread_posts_without_being_asked(
    capture: Capture, manual_clock: ManualClock
) -> None:
    with Emulator(clock=manual_clock, callback_url=capture.url, callback_interval=0.01) as emu:
        Api(emu).send()
        manual_clock.advance(3)
        posts = capture.take(2)
    assert [p["status"] for p in posts] == ["0", "1"]


def test_incoming_messages_are_posted_too(capture: Capture, manual_clock: ManualClock) -> None:
    with Emulator(clock=manual_clock, callback_url=capture.url) as emu:
        emu.state.add_incoming("demo", "79990000007", "Привет", to_phone="79990009999")
        emu.flush_callbacks()
    (post,) = capture.take(1)
    assert (post["id"], post["phone"], post["mes"], post["to"]) == (
        "1",
        "79990000007",
        "Привет",
        "79990009999",
    )


def test_an_account_callback_url_overrides_the_global_one(
    capture: Capture, manual_clock: ManualClock
) -> None:
    account = Account("demo", "demo", callback_url=capture.url)
    with Emulator([account], clock=manual_clock) as emu:
        assert emu.state.callbacks_wanted
        Api(emu).send()
        manual_clock.advance(3)
        assert emu.flush_callbacks() == 2


def test_a_failing_callback_waits_for_a_retry_and_the_emulator_carries_on(
    manual_clock: ManualClock,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/gone"
    with Emulator(clock=manual_clock, callback_url=url) as emu:
        api = Api(emu)
        api.send()
        manual_clock.advance(3)
        assert emu.flush_callbacks() == 0
        assert emu.callbacks.failed == 2
        assert emu.callbacks.waiting == 2  # tried again after the retry rule's first delay
        assert api.status(1)["status"] == 1


def test_without_a_callback_url_nothing_is_collected(
    emulator: Emulator, manual_clock: ManualClock
) -> None:
    Api(emulator).send()
    manual_clock.advance(3)
    assert not emulator.state.callbacks_wanted
    assert emulator.state.collect_callbacks() == []


def free_port() -> int:
    """A port that was free a moment ago and has nothing listening on it now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
