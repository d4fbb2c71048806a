"""Requests written ahead of their answers (backends/http/pipeline.py).

First the pipeline's own order, with plain functions for requests (it is bookkeeping:
what to write when, what to read when). Then ``send_many`` and ``cost_many`` on real
loopback sockets: what reaches the server while the caller holds an outcome, what
closing early sends, that no thread of the library makes the requests, and that a
``max_concurrent`` cap leaves the caller a place of its own.
"""

from __future__ import annotations

import json
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from smsc_transports import CostOutcome, Message, Outcome, create_transport
from smsc_transports.backends.http.pipeline import Pipeline
from smsc_transports.backends.steps import Ahead, Steps
from smsc_transports.emulator import Emulator
from smsc_transports.observe import OperationEvent
from tests.faults import CannedServer, Listener, endless_streamer, http_answer, whole_message
from tests.observers import Recorder

SENT = {"id": 41, "cnt": 1, "cost": "1.40", "balance": "98.60"}


# The pipeline's order -------------------------------------------------------------------
#
# Each request here is a socket pair: "writing" it notes the fact, its answer "comes" when
# the test writes a byte to the other end, and the call reads that byte when taken on.


class Answer:
    """What a request's call waits on: one end of a socket pair, with a deadline."""

    def __init__(self, deadline: float) -> None:
        self.mine, self.theirs = socket.socketpair()
        self.deadline = deadline

    def fileno(self) -> int:
        return self.mine.fileno()

    def come(self) -> None:
        self.theirs.send(b"!")

    def close(self) -> None:
        self.mine.close()
        self.theirs.close()


class Requests:
    """Requests that note when each is written and read."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.answers: dict[str, Answer] = {}
        # Each call's steps, held here too: only a close, not a dropped reference, ends one.
        self.steps: list[Steps[str]] = []

    def request(self, name: str, *, deadline: float = 60.0) -> Callable[[], Ahead[str]]:
        def steps() -> Steps[str]:
            self.log.append(f"write {name}")
            answer = self.answers[name] = Answer(time.monotonic() + deadline)
            try:
                yield answer
                answer.mine.setblocking(False)
                try:
                    answer.mine.recv(1)
                except BlockingIOError:
                    raise TimeoutError(f"{name} is late") from None
            finally:
                answer.close()  # read, late or dropped
            self.log.append(f"read {name}")
            return name.upper()

        def write() -> Ahead[str]:
            self.steps.append(call := steps())
            return Ahead(call)

        return write


def settle(call: Ahead[str]) -> str:
    try:
        return call.finish()
    except TimeoutError as exc:
        return str(exc)


def test_requests_are_written_at_once_up_to_the_depth() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle)
    tickets = [pipeline.add(requests.request(name)) for name in "abcd"]
    assert requests.log == ["write a", "write b"]
    requests.answers["a"].come()
    assert pipeline.value(tickets[0]) == "A"
    # The room an answer makes is filled before the value is handed over.
    assert requests.log == ["write a", "write b", "read a", "write c"]
    requests.answers["b"].come()
    requests.answers["c"].come()
    assert [pipeline.value(ticket) for ticket in tickets[1:3]] == ["B", "C"]
    requests.answers["d"].come()
    assert pipeline.value(tickets[3]) == "D"


def test_an_answer_that_comes_first_is_taken_first_and_a_slow_one_holds_nothing_up() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle)
    tickets = [pipeline.add(requests.request(name)) for name in "abcd"]
    requests.answers["b"].come()  # a's answer is slow
    assert pipeline.value(tickets[1]) == "B"
    assert requests.log == ["write a", "write b", "read b", "write c"]
    requests.answers["c"].come()
    assert pipeline.value(tickets[2]) == "C"
    assert requests.log[4:] == ["read c", "write d"]
    requests.answers["a"].come()
    requests.answers["d"].come()
    assert pipeline.value(tickets[0]) == "A"
    assert pipeline.value(tickets[3]) == "D"


def test_a_call_whose_deadline_passes_is_taken_on_and_reports_it() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle)
    late = pipeline.add(requests.request("a", deadline=0.05))
    other = pipeline.add(requests.request("b"))
    assert pipeline.value(late) == "a is late"
    requests.answers["b"].come()
    assert pipeline.value(other) == "B"


def answered_once_written(requests: Requests, *names: str) -> threading.Thread:
    """A thread that makes the answer of each of ``names`` come as soon as its request
    is written (without overlap they are written inside the call that waits for them)."""

    def answer() -> None:
        guard = time.monotonic() + 10
        waiting = list(names)
        while waiting and time.monotonic() < guard:
            for name in [n for n in waiting if n in requests.answers]:
                requests.answers[name].come()
                waiting.remove(name)
            time.sleep(0.002)

    thread = threading.Thread(target=answer)
    thread.start()
    return thread


def test_without_overlap_nothing_is_on_the_wire_when_the_caller_has_control() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle, overlap=False)
    tickets = [pipeline.add(requests.request(name)) for name in "abc"]
    assert requests.log == []
    helper = answered_once_written(requests, "a", "b", "c")
    assert pipeline.value(tickets[0]) == "A"
    helper.join()
    # Everything added was taken to its end, two on the wire at a time, before the
    # first value was handed over.
    assert requests.log[:2] == ["write a", "write b"]
    assert sorted(requests.log) == sorted(
        f"{step} {n}" for step in ("write", "read") for n in "abc"
    )
    assert requests.log.index("write c") > min(
        requests.log.index("read a"), requests.log.index("read b")
    )
    assert [pipeline.value(ticket) for ticket in tickets[1:]] == ["B", "C"]
    assert len(requests.log) == 6
    later = pipeline.add(requests.request("d"))
    assert len(requests.log) == 6  # nothing is written while the caller has control
    helper = answered_once_written(requests, "d")
    assert pipeline.value(later) == "D"
    helper.join()
    assert requests.log[6:] == ["write d", "read d"]


def test_close_takes_the_requests_on_the_wire_to_their_end_and_writes_no_more() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle)
    for name in "abcd":
        pipeline.add(requests.request(name))
    requests.answers["b"].come()
    requests.answers["a"].come()
    pipeline.close()
    assert sorted(requests.log) == ["read a", "read b", "write a", "write b"]


def test_abandon_drops_the_requests_on_the_wire_unread_and_writes_no_more() -> None:
    requests = Requests()
    pipeline = Pipeline(2, settle)
    for name in "abc":
        pipeline.add(requests.request(name))
    requests.answers["a"].come()
    pipeline.abandon()
    assert requests.log == ["write a", "write b"]
    # Each call was closed where it waited: its end of the pair is closed.
    assert all(answer.mine.fileno() == -1 for answer in requests.answers.values())


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


def requests_settled(server: CannedServer, at_least: int) -> int:
    """How many requests reached ``server``, once at least ``at_least`` have and no more
    came in a moment (the server reads what was written on threads of its own)."""
    wait_for(lambda: len(server.requests) >= at_least)
    time.sleep(0.1)
    return len(server.requests)


def test_the_next_requests_are_on_the_wire_while_the_caller_holds_an_outcome() -> None:
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=3"
        with create_transport(url) as transport:
            stream = transport.send_many(own_requests(12))
            first = next(stream)
            assert first.ok
            # Three were written at once; each answer read made room for another, written
            # before the outcome was handed over. Never all twelve.
            written = requests_settled(server, 4)
            assert 4 <= written < 12
            time.sleep(0.1)  # nothing of the library's runs while the caller holds it
            assert len(server.requests) == written
            assert all(outcome.ok for outcome in stream)
        assert len(server.requests) == 12


def closed_after_the_first(stream: Iterator[Outcome | CostOutcome], server: CannedServer) -> int:
    """Take ``stream``'s first outcome (a success), close the stream, and check that no
    request reached ``server`` after that; return how many did."""
    assert next(stream).result is not None
    written = requests_settled(server, 1)
    assert isinstance(stream, Generator)
    stream.close()
    assert requests_settled(server, written) == written
    return written


def test_closing_send_many_early_reads_the_answers_written_and_sends_no_more() -> None:
    noter = ThreadNoter()
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=2"
        with create_transport(url, observer=noter) as transport:
            written = closed_after_the_first(transport.send_many(own_requests(10)), server)
            # Two written at once; each answer read before the first outcome made room
            # for one more. Fewer would mean nothing was written ahead; all ten, that
            # writing went on while the caller held its outcome.
            assert 3 <= written < 10
            # What was on the wire is answered and read.
            assert noter.outcomes() == ["ok"] * written
            assert transport.send(Message("79120009999", "after")).id == "41"
        assert len(server.requests) == written + 1


def test_cost_many_writes_ahead_too_and_stops_when_closed() -> None:
    noter = ThreadNoter()
    priced = http_answer(json.dumps({"cost": "1.40", "cnt": 1}).encode())
    with CannedServer(priced) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=2&batch_phones=1"
        with create_transport(url, observer=noter) as transport:
            written = closed_after_the_first(transport.cost_many(own_requests(10)), server)
        assert 3 <= written < 10
        assert noter.outcomes() == ["ok"] * written


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


def test_a_slow_caller_still_gets_the_answers_that_came_in_time() -> None:
    # The answers come at once but are read only when their outcomes are due, long
    # after the requests' 0.3 s deadline: an answer that came in time is not late.
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


def test_a_slow_answer_does_not_hold_up_the_requests_behind_it(emulator: Emulator) -> None:
    # The first request goes to the emulator's slow number (its answer held back 30 s or
    # until released); with two on the wire, the requests behind it are answered, and
    # replaced by the next ones, meanwhile. Outcomes still come in input order.
    noter = ThreadNoter()
    messages = [
        Message("79990003030", "slow", id="s1"),
        *(Message(f"7991234{n:04d}", "quick", id=f"q{n}") for n in range(4)),
    ]
    outcomes: list[Outcome] = []
    with create_transport(emulator.url(), concurrency="2", observer=noter) as transport:
        consumer = threading.Thread(target=lambda: outcomes.extend(transport.send_many(messages)))
        consumer.start()
        try:
            wait_for(lambda: noter.outcomes().count("ok") >= 4)
            assert emulator.http.held == 1
            assert noter.outcomes() == ["ok"] * 4  # the four quick ones, the slow one held
            assert outcomes == []  # the slow one's outcome comes first
        finally:
            emulator.http.release_delayed()
            consumer.join(timeout=30)
    assert [o.message for o in outcomes] == messages
    assert all(o.ok for o in outcomes)


def test_an_error_from_the_input_leaves_the_requests_on_the_wire_unread(
    emulator: Emulator,
) -> None:
    # The input fails while a request waits on the emulator's slow number (held 30 s):
    # the error comes out at once, not after the held answer (closing the generator
    # reads what was written; an error on the way out, as an interrupt, does not wait).
    noter = ThreadNoter()

    def messages() -> Iterator[Message]:
        yield Message("79990003030", "slow", id="s1")
        yield Message("79912340001", "quick", id="q1")
        raise ValueError("the input broke")

    with create_transport(emulator.url(), block="2", observer=noter) as transport:
        try:
            with pytest.raises(ValueError, match="the input broke"):
                list(transport.send_many(messages()))
            wait_for(lambda: emulator.http.held == 1)
            assert emulator.http.held == 1  # still held: its answer was never waited for
            # Neither answer was read: the observer hears both as of unknown outcome.
            assert noter.outcomes() == ["OutcomeUnknown", "OutcomeUnknown"]
        finally:
            emulator.http.release_delayed()


# Answers that come slowly, and places that are few ----------------------------------


class HeldServer(Listener):
    """Answers every send at once, except one to ``HELD_PHONE``: that one waits until
    ``release`` is set (its head first, with ``head_first``); over TLS with ``tls``."""

    def __init__(self, *, head_first: bool = False, tls: ssl.SSLContext | None = None) -> None:
        super().__init__("127.0.0.1", 0)
        self.head_first = head_first
        self.tls = tls
        self.release = threading.Event()
        self.connection_timeout = 15.0

    def serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        request = b""
        while not whole_message(request):
            chunk = conn.recv(65536)
            if not chunk:
                return
            request += chunk
        answer = canned_send()
        head, _, body = answer.partition(b"\r\n\r\n")
        if HELD_PHONE.encode() in request:
            if self.head_first:
                conn.sendall(head + b"\r\n\r\n")
            self.release.wait(15)
            conn.sendall(body if self.head_first else answer)
        else:
            conn.sendall(answer)


HELD_PHONE = "79120000000"


def held_first(count: int) -> list[Message]:
    """The held request first, then ``count`` others, each a request of its own."""
    return [Message(HELD_PHONE, "held", id="held"), *own_requests(count + 1)[1:]]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("head_first", [False, True], ids=["whole-late", "head-first"])
def test_an_answer_held_back_or_trickling_in_holds_nothing_up(
    head_first: bool, tls: bool, server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    # Only the held request's answer is missing; the twelve behind it are answered and
    # read meanwhile, two on the wire at a time. Over TLS 1.3 a fresh connection turns
    # readable before any answer (the server's session tickets), and a head that comes
    # first makes a socket readable too: neither may make the client wait inside one
    # read while the other answers are there.
    noter = ThreadNoter()
    with HeldServer(head_first=head_first, tls=server_tls if tls else None) as server:
        scheme = "https" if tls else "http"
        verify = f"&verify={tls_files[0]}" if tls else ""
        url = f"{scheme}://demo:demo@127.0.0.1:{server.port}?concurrency=2{verify}"
        outcomes: list[Outcome] = []
        with create_transport(url, observer=noter) as transport:
            consumer = threading.Thread(
                target=lambda: outcomes.extend(transport.send_many(held_first(12)))
            )
            consumer.start()
            try:
                wait_for(lambda: len(noter.threads) >= 12)
                assert noter.outcomes() == ["ok"] * 12  # all but the held one
                assert outcomes == []  # the held one's outcome comes first
            finally:
                server.release.set()
                consumer.join(timeout=30)
    assert [o.ok for o in outcomes] == [True] * 13


def test_two_bulk_sends_under_one_cap_both_finish() -> None:
    # Each takes the places it can while the other holds some: a bulk send waiting for a
    # place goes on reading its own answers, which give places back.
    with CannedServer(canned_send(), hold=0.02) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4&max_concurrent=2"
        done: list[int] = []
        with create_transport(url) as transport:

            def run() -> None:
                done.append(sum(1 for o in transport.send_many(own_requests(20)) if o.ok))

            threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(thread.is_alive() for thread in threads), "stuck waiting for places"
    assert done == [20, 20]
    assert server.peak <= 2


def test_a_socket_numbered_past_1023_is_waited_on_too() -> None:
    # select() cannot watch a descriptor above 1023; a busy process has such numbers.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))  # raises past the hard one
    held = [socket.socket() for _ in range(1100)]
    assert max(sock.fileno() for sock in held) > 1023
    try:
        with CannedServer(canned_send()) as server:
            url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=3"
            with create_transport(url) as transport:
                outcomes = list(transport.send_many(own_requests(6)))
        assert [o.ok for o in outcomes] == [True] * 6
    finally:
        for sock in held:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# Found by review: each reproduced on sockets first --------------------------------------


def test_an_answer_that_never_stops_coming_takes_turns_with_the_others() -> None:
    # A server in a process of its own (so that it can send faster than the client
    # reads) streams an endless chunked body at the first request and answers the others
    # at once: the others are read while it streams, and it ends late at its deadline.
    with endless_streamer(canned_send(), HELD_PHONE.encode()) as port:
        noter = ThreadNoter()
        url = f"http://demo:demo@127.0.0.1:{port}?concurrency=2&timeout=5"
        with create_transport(url, observer=noter) as transport:
            outcomes = list(transport.send_many(held_first(12)))
    assert [type(o.error).__name__ for o in outcomes[:1]] == ["TransportTimeout"]
    assert all(o.ok for o in outcomes[1:])
    # Heard in the order they ended: the twelve quick ones before the late one.
    assert noter.outcomes() == ["ok"] * 12 + ["TransportTimeout"]


def test_a_large_answer_read_after_its_deadline_is_whole_over_tls(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    # 3 MB answers, there at once, read a while after their 1 s deadline: over TLS each
    # read gives one 16 KiB record, and a bound on the reads past the deadline cut them
    # off as late.
    padding = "x" * 3_000_000
    big = http_answer(json.dumps({**SENT, "padding": padding}).encode())

    class BigServer(Listener):
        connection_timeout = 15.0

        def serve(self, conn: socket.socket) -> None:
            conn = server_tls.wrap_socket(conn, server_side=True)
            request = b""
            while not whole_message(request):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            conn.sendall(big)

    with BigServer("127.0.0.1", 0) as server:
        url = (
            f"https://demo:demo@127.0.0.1:{server.port}?concurrency=2&timeout=1"
            f"&verify={tls_files[0]}"
        )
        ok = []
        with create_transport(url) as transport:
            for outcome in transport.send_many(own_requests(4)):
                ok.append(outcome.ok)
                time.sleep(1.2)
    assert ok == [True] * 4


def test_under_a_cap_a_block_is_sent_whole_before_its_first_outcome() -> None:
    # Nothing may stay on the wire while the caller has control, but the wire is kept
    # full until then: not rounds of as many requests as the cap allows.
    with CannedServer(canned_send(), hold=0.01) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4&max_concurrent=2"
        with create_transport(url) as transport:
            stream = transport.send_many(own_requests(12))
            assert next(stream).ok
            assert len(server.requests) == 12
            assert all(o.ok for o in stream)
    assert server.peak == 2


def test_closing_under_max_rate_sends_nothing_waiting_for_its_start() -> None:
    noter = ThreadNoter()
    with CannedServer(canned_send()) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4&max_rate=5"
        with create_transport(url, observer=noter) as transport:
            sent = closed_after_the_first(transport.send_many(own_requests(8)), server)
        # Only the requests that went out are heard of.
        assert len(noter.outcomes()) == sent


def test_an_input_error_under_max_rate_reports_only_the_requests_that_went_out() -> None:
    noter = ThreadNoter()

    def messages() -> Iterator[Message]:
        yield from own_requests(4)
        raise ValueError("the input broke")

    with CannedServer(canned_send(), hold=0.5) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4&max_rate=5&block=4"
        with create_transport(url, observer=noter) as transport:
            with pytest.raises(ValueError, match="the input broke"):
                list(transport.send_many(messages()))
            sent = requests_settled(server, 1)
    assert sent < 4  # the others still waited for their start times
    assert noter.outcomes() == ["OutcomeUnknown"] * sent


def test_a_slow_input_does_not_hold_up_the_block_before() -> None:
    # The second block's messages come slowly; meanwhile the first block's requests are
    # all sent and answered (two on the wire at a time), not only the first two.
    seen_before_the_last: list[int] = []
    with CannedServer(canned_send()) as server:

        def messages() -> Iterator[Message]:
            yield from own_requests(8)
            for n in range(8):
                time.sleep(0.02)
                if n == 7:
                    seen_before_the_last.append(len(server.requests))
                yield Message(f"7913000{n:04d}", "later", id=f"l{n}")

        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=2&block=8"
        with create_transport(url) as transport:
            outcomes = list(transport.send_many(messages()))
    assert all(o.ok for o in outcomes) and len(outcomes) == 16
    assert seen_before_the_last == [8]
