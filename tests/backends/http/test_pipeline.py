"""Requests written ahead of their answers (backends/http/pipeline.py).

First the pipeline's own order, with plain functions for requests (it is bookkeeping:
what to write when, what to read when). Then ``send_many`` and ``cost_many`` on real
loopback sockets: what reaches the server while the caller holds an outcome, what
closing early sends, that no thread of the library makes the requests, and that a
``max_concurrent`` cap leaves the caller a place of its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator

import pytest

from smsc_transports import Message, create_transport
from smsc_transports.backends.http.pipeline import Pipeline, Read
from smsc_transports.emulator import Emulator
from smsc_transports.observe import OperationEvent
from tests.faults import CannedServer, http_answer
from tests.observers import Recorder

SENT = {"id": 41, "cnt": 1, "cost": "1.40", "balance": "98.60"}


# The pipeline's order ----------------------------------------------------------------


class Requests:
    """Requests that note when each is written and read."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def request(self, name: str) -> Callable[[], Read[str]]:
        def write() -> Read[str]:
            self.log.append(f"write {name}")

            def read() -> str:
                self.log.append(f"read {name}")
                return name.upper()

            return read

        return write


def test_requests_are_written_at_once_up_to_the_depth_and_read_in_order() -> None:
    requests = Requests()
    pipeline: Pipeline[str] = Pipeline(2)
    tickets = [pipeline.add(requests.request(name)) for name in "abcd"]
    assert requests.log == ["write a", "write b"]
    assert pipeline.value(tickets[0]) == "A"
    # The answer read makes room: the next request goes before the value is handed over.
    assert requests.log == ["write a", "write b", "read a", "write c"]
    assert pipeline.value(tickets[2]) == "C"  # reads b first, and writes d
    assert requests.log[4:] == ["read b", "write d", "read c"]
    assert pipeline.value(tickets[1]) == "B"  # already read: nothing more happens
    assert pipeline.value(tickets[3]) == "D"
    assert requests.log[7:] == ["read d"]


def test_without_overlap_nothing_is_left_unread_when_the_caller_has_control() -> None:
    requests = Requests()
    pipeline: Pipeline[str] = Pipeline(2, overlap=False)
    tickets = [pipeline.add(requests.request(name)) for name in "abc"]
    assert requests.log == []
    assert pipeline.value(tickets[0]) == "A"
    assert requests.log == ["write a", "write b", "read a", "read b"]
    assert pipeline.value(tickets[1]) == "B"
    assert len(requests.log) == 4
    assert pipeline.value(tickets[2]) == "C"
    assert requests.log[4:] == ["write c", "read c"]


def test_close_reads_what_was_written_and_writes_no_more() -> None:
    requests = Requests()
    pipeline: Pipeline[str] = Pipeline(2)
    for name in "abcd":
        pipeline.add(requests.request(name))
    pipeline.close()
    assert requests.log == ["write a", "write b", "read a", "read b"]


# send_many and cost_many on sockets ----------------------------------------------------


def canned_send() -> bytes:
    return http_answer(json.dumps(SENT).encode(), content_type="application/json")


def own_requests(count: int) -> list[Message]:
    # Each message has its own id, so each is a request of its own.
    return [Message(f"7912000{n:04d}", "hi", id=n + 1) for n in range(count)]


def wait_for(condition: Callable[[], bool]) -> None:
    guard = time.monotonic() + 10
    while not condition() and time.monotonic() < guard:
        time.sleep(0.005)


def test_the_next_requests_are_on_the_wire_while_the_caller_holds_an_outcome() -> None:
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=3"
        with create_transport(url) as transport:
            stream = transport.send_many(own_requests(8))
            first = next(stream)
            assert first.ok
            # Three were written at once; reading the first answer made room for a fourth.
            wait_for(lambda: len(server.requests) >= 4)
            assert len(server.requests) == 4
            time.sleep(0.1)  # nothing of the library's runs while the caller holds it
            assert len(server.requests) == 4
            assert all(outcome.ok for outcome in stream)
        assert len(server.requests) == 8


def test_closing_send_many_early_reads_the_answers_written_and_sends_no_more() -> None:
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=2"
        with create_transport(url) as transport:
            stream = transport.send_many(own_requests(6))
            assert next(stream).ok
            stream.close()
            # Two written at once, a third once the first answer was read; no more.
            assert len(server.requests) == 3
            assert transport.send(Message("79120009999", "after")).id == "41"
        assert len(server.requests) == 4


def test_cost_many_writes_ahead_too_and_stops_when_closed() -> None:
    priced = http_answer(json.dumps({"cost": "1.40", "cnt": 1}).encode())
    with CannedServer(priced) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=2&batch_phones=1"
        with create_transport(url) as transport:
            stream = transport.cost_many(own_requests(6))
            first = next(stream)
            assert first.result is not None
            assert isinstance(stream, Generator)
            stream.close()
        assert len(server.requests) == 3


class ThreadNoter(Recorder):
    """Notes the thread that finished each request (the observer hears it there)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def operation(self, event: OperationEvent) -> None:
        super().operation(event)
        self.threads.append(threading.get_ident())


def test_the_caller_s_thread_makes_every_request(shared_emulator: Emulator) -> None:
    noter = ThreadNoter()
    messages = [Message(f"7913{n:07d}", f"text {n % 3}") for n in range(250)]
    with create_transport(
        shared_emulator.url(), batch_phones="20", concurrency="4", observer=noter
    ) as transport:
        outcomes = list(transport.send_many(messages))
    assert all(outcome.ok for outcome in outcomes)
    assert noter.outcomes().count("ok") == len(noter.threads) >= 13  # 3 texts, 20 a request
    assert set(noter.threads) == {threading.get_ident()}


def test_a_slow_caller_does_not_use_up_the_timeout_of_requests_written_ahead() -> None:
    # The answers are there long before they are read: the time a request waits for
    # its reader is not the server's, and a timeout shorter than the caller's pauses
    # must not turn them into timeouts.
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=3&timeout=0.3"
        with create_transport(url) as transport:
            outcomes = []
            for outcome in transport.send_many(own_requests(4)):
                outcomes.append(outcome)
                time.sleep(0.5)
    assert [o.ok for o in outcomes] == [True] * 4


def test_under_max_concurrent_a_request_between_outcomes_gets_a_place() -> None:
    # Requests written ahead would hold every place under the cap while the caller has
    # control: a request of its own in between would wait for ever.
    with CannedServer(canned_send(), hold=0.05) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4&max_concurrent=2"
        extra: list[str] = []
        failures: list[BaseException] = []

        def loop() -> None:
            try:
                with create_transport(url) as transport:
                    for outcome in transport.send_many(own_requests(5)):
                        assert outcome.ok
                        extra.append(transport.send(Message("79120009999", "between")).id)
            except BaseException as exc:  # reported below, on the test's thread
                failures.append(exc)

        worker = threading.Thread(target=loop, daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "a request between outcomes never got a place"
    assert failures == []
    assert extra == ["41"] * 5
    assert server.peak == 2  # the cap held, and both places were used
    assert len(server.requests) == 10


@pytest.mark.parametrize("concurrency", [1, 2, 5])
def test_the_outcomes_come_in_input_order_at_any_depth(
    shared_emulator: Emulator, concurrency: int
) -> None:
    messages = [Message(f"7914{n:07d}", f"text {n % 4}") for n in range(130)]
    with create_transport(
        shared_emulator.url(), batch_phones="7", concurrency=str(concurrency), block="40"
    ) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.message for o in outcomes] == messages
    assert [o.index for o in outcomes] == list(range(130))
    assert all(o.ok for o in outcomes)
