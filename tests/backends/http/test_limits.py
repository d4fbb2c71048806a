"""Staying inside SMSC's limits over HTTP: the request cap and the repeat of refused requests.

Real loopback peers: a canned server that counts the requests it is answering at once
(the cap is counted where SMSC would count it, never inferred from timings), and the
emulator with SMSC's own concurrency limit (error 9 above it).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from smsc_transports import (
    Message,
    OutcomeUnknown,
    RateLimited,
    TransportTimeout,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.http import HttpTransport
from smsc_transports.backends.pacing import MAX_RETRY_WAIT, RequestPacer, RetryPolicy
from smsc_transports.backends.steps import Ahead, Later
from smsc_transports.emulator import Emulator
from smsc_transports.observe import Link, Tally
from tests.faults import CannedServer, DrippingServer, http_answer, one_send_held

TOO_MANY = {"error": "too many concurrent requests", "error_code": 9}
DUPLICATE = {"error": "duplicate request, wait a minute", "error_code": 9}
SENT = {"id": 41, "cnt": 1, "cost": "1.40", "balance": "98.60"}
# Repeats come quickly in these tests; the policy's own arithmetic is tested below.
QUICK_RETRY = "retry_rate_limited=3&retry_backoff=0.02"


def canned(document: object) -> bytes:
    return http_answer(json.dumps(document).encode(), content_type="application/json")


def url_of(server: CannedServer | DrippingServer, options: str = "") -> str:
    return f"http://demo:demo@127.0.0.1:{server.port}?{options}"


def sends_made(server: CannedServer | DrippingServer) -> int:
    return sum(1 for request in server.requests if b"/sys/send.php" in request)


# The cap ---------------------------------------------------------------------------


def test_max_concurrent_holds_across_send_many_s_requests() -> None:
    with CannedServer(canned(SENT), hold=0.15) as server:
        url = url_of(server, "max_concurrent=3&concurrency=8")
        with create_transport(url) as transport:
            # Each message has its own id, so each is a request of its own.
            messages = [Message(f"7912000{n:04d}", "hi", id=n + 1) for n in range(12)]
            outcomes = list(transport.send_many(messages))
    assert all(o.ok for o in outcomes)
    assert sends_made(server) == 12
    assert server.peak == 3


def test_without_a_cap_the_same_batch_runs_wider() -> None:
    # The control for the test above: the server does see more at once when uncapped.
    with CannedServer(canned(SENT), hold=0.15) as server:
        with create_transport(url_of(server, "concurrency=8")) as transport:
            messages = [Message(f"7912000{n:04d}", "hi", id=n + 1) for n in range(12)]
            assert all(o.ok for o in transport.send_many(messages))
    assert server.peak > 3


def test_max_concurrent_holds_across_the_async_face() -> None:
    async def main(url: str) -> list[Any]:
        async with create_async_transport(url) as transport:
            return await asyncio.gather(*(transport.balance() for _ in range(8)))

    with CannedServer(canned({"balance": "10.00"}), hold=0.15) as server:
        balances = asyncio.run(main(url_of(server, "max_concurrent=2&async_workers=8")))
    assert len(balances) == 8
    assert len(server.requests) == 8
    assert server.peak == 2


def test_max_concurrent_holds_for_callers_on_their_own_threads() -> None:
    with CannedServer(canned({"balance": "10.00"}), hold=0.15) as server:
        with create_transport(url_of(server, "max_concurrent=2")) as transport:
            threads = [threading.Thread(target=transport.balance) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert len(server.requests) == 6
    assert server.peak == 2


def test_max_concurrent_is_never_above_smsc_s_fifteen() -> None:
    with create_transport("http://demo:demo@127.0.0.1:9?max_concurrent=40") as transport:
        assert isinstance(transport, HttpTransport)
        assert transport.client.options.max_concurrent == 15
        assert transport.client.pacer.max_concurrent == 15


def test_the_caps_are_off_unless_asked_for() -> None:
    with create_transport("http://demo:demo@127.0.0.1:9") as transport:
        assert isinstance(transport, HttpTransport)
        assert not transport.client.pacer.active
        assert transport.client.options.retry.attempts == 0


def test_max_rate_spaces_the_requests_it_lets_through() -> None:
    rate, count = 20.0, 6
    with CannedServer(canned({"balance": "10.00"})) as server:
        with create_transport(url_of(server, f"max_rate={rate:g}")) as transport:
            started = time.monotonic()
            for _ in range(count):
                transport.balance()
            took = time.monotonic() - started
    assert len(server.requests) == count
    # A lower bound only: a busy machine can make it slower, never faster.
    assert took >= (count - 1) / rate


def test_the_pacer_books_evenly_spaced_starts_from_any_number_of_threads() -> None:
    now = [100.0]
    slept: list[float] = []
    pacer = RequestPacer(max_rate=4, clock=lambda: now[0], sleep=slept.append)
    for _ in range(4):
        with pacer.turn():
            pass
    # Nothing moved the clock: each later request waits one more quarter second.
    assert slept == [0.25, 0.5, 0.75]
    now[0] = 200.0  # long after: the next one starts at once
    with pacer.turn():
        pass
    assert slept == [0.25, 0.5, 0.75]


def test_requests_dropped_before_their_start_give_their_start_times_back() -> None:
    # A bulk send closed early drops the requests still waiting for their start: the
    # next request must not wait for the times they had booked.
    now = [100.0]
    slept: list[float] = []
    pacer = RequestPacer(max_rate=4, clock=lambda: now[0], sleep=slept.append)
    with pacer.turn():
        pass  # starts at once; the next start is a quarter second on
    waiting = [Ahead(pacer.turn_steps()) for _ in range(3)]
    assert all(isinstance(call.waiting, Later) for call in waiting)  # each waits its start
    for call in reversed(waiting):
        call.abandon()
    with pacer.turn():
        pass
    assert slept == [0.25]  # the first dropped request's start, not a second later


# The retry policy --------------------------------------------------------------------


def test_back_off_doubles_with_jitter_between_half_and_all_of_it() -> None:
    policy = RetryPolicy(attempts=4, backoff=0.5, max_wait=30)
    assert list(policy.delays(jitter=lambda low, high: high)) == [0.5, 1.0, 2.0, 4.0]
    assert list(policy.delays(jitter=lambda low, high: low)) == [0.25, 0.5, 1.0, 2.0]


def test_back_off_stops_where_the_time_budget_ends() -> None:
    policy = RetryPolicy(attempts=10, backoff=1, max_wait=5)
    assert list(policy.delays(jitter=lambda low, high: high)) == [1, 2]


def test_the_time_budget_stays_inside_smsc_s_duplicate_window() -> None:
    assert RetryPolicy(attempts=3, max_wait=600).max_wait == MAX_RETRY_WAIT < 60
    assert list(RetryPolicy(attempts=0).delays()) == []


# Repeats of refused requests -----------------------------------------------------------


def test_a_send_refused_for_load_is_repeated_and_then_accepted() -> None:
    script = [canned(TOO_MANY), canned(TOO_MANY)]
    with CannedServer(canned(SENT), script=script) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            result = transport.send(Message("79120000001", "hi"))
    assert result.id == "41"
    assert sends_made(server) == 3


def test_each_request_and_each_back_off_reach_the_observer() -> None:
    tally = Tally()
    script = [canned(TOO_MANY), canned(TOO_MANY)]
    with CannedServer(canned(SENT), script=script) as server:
        with create_transport(url_of(server, QUICK_RETRY), observer=tally) as transport:
            transport.send(Message("79120000001", "hi"))
    assert tally.operations == Counter(
        {("https", "send", "RateLimited"): 2, ("https", "send", "ok"): 1}
    )
    assert tally.links[Link.THROTTLED] == 2
    assert tally.backoff > 0


def test_a_read_refused_with_error_9_is_repeated() -> None:
    refused = canned({"error": "too many requests, wait a minute", "error_code": 9})
    with CannedServer(canned({"balance": "10.00"}), script=[refused]) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            assert str(transport.balance().amount) == "10.00"
    assert len(server.requests) == 2


def test_the_retry_budget_ends_in_rate_limited() -> None:
    with CannedServer(canned(TOO_MANY)) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            with pytest.raises(RateLimited, match="too many concurrent"):
                transport.send(Message("79120000001", "hi"))
    assert sends_made(server) == 4  # the first attempt and three repeats


def test_without_the_option_a_refusal_is_not_repeated() -> None:
    with CannedServer(canned(SENT), script=[canned(TOO_MANY)]) as server:
        with create_transport(url_of(server)) as transport:
            with pytest.raises(RateLimited):
                transport.send(Message("79120000001", "hi"))
    assert sends_made(server) == 1


@pytest.mark.parametrize("own_id", [None, "order-7"])
def test_a_duplicate_answer_is_never_repeated(own_id: str | None) -> None:
    # An identical send was accepted within the minute: a repeat could send it twice.
    with CannedServer(canned(SENT), script=[canned(DUPLICATE)]) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            with pytest.raises(RateLimited, match="duplicate"):
                transport.send(Message("79120000001", "hi", id=own_id))
    assert sends_made(server) == 1


def test_an_error_9_that_proves_nothing_is_not_repeated_for_a_send_without_id() -> None:
    unclear = canned({"error": "error", "error_code": 9})
    with CannedServer(canned(SENT), script=[unclear]) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            with pytest.raises(RateLimited):
                transport.send(Message("79120000001", "hi"))
    assert sends_made(server) == 1


def test_an_error_9_that_proves_nothing_is_repeated_for_a_send_with_its_own_id() -> None:
    # SMSC refuses a second message with this id within the minute: a repeat is safe.
    unclear = canned({"error": "error", "error_code": 9})
    with CannedServer(canned(SENT), script=[unclear]) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            assert transport.send(Message("79120000001", "hi", id="order-8")).id == "41"
    assert sends_made(server) == 2


def test_a_send_that_may_have_arrived_is_not_repeated_with_retries_on() -> None:
    with DrippingServer(canned(SENT), interval=0.5, prompt=20) as server:
        with create_transport(url_of(server, f"{QUICK_RETRY}&timeout=0.4")) as transport:
            with pytest.raises((TransportTimeout, OutcomeUnknown)):
                transport.send(Message("79120000001", "hi"))
    assert sends_made(server) == 1


def test_a_send_with_id_is_not_repeated_after_an_attempt_that_may_have_arrived() -> None:
    # The first host takes the request and never answers in time; the backup refuses
    # the repeat for load. Backing off now could take the next repeat past SMSC's
    # minute, so no more is asked; and a refusal for load says nothing of the first
    # attempt, so the send is in doubt, never reported accepted (it may not have been).
    with (
        DrippingServer(canned(SENT), interval=0.5, prompt=20) as first,
        CannedServer(canned(SENT), script=[canned(TOO_MANY)]) as backup,
    ):
        url = url_of(first, f"{QUICK_RETRY}&timeout=0.4&backup_hosts=127.0.0.1:{backup.port}")
        with create_transport(url) as transport, pytest.raises(OutcomeUnknown) as caught:
            transport.send(Message("79120000001", "hi", id="order-10"))
    assert "order-10" in str(caught.value)
    assert (sends_made(first), sends_made(backup)) == (1, 1)


def test_send_many_reads_a_load_refusal_after_a_lost_answer_as_in_doubt() -> None:
    # The same over the bulk path: the outcome is OutcomeUnknown, not an acceptance.
    with (
        DrippingServer(canned(SENT), interval=0.5, prompt=20) as first,
        CannedServer(canned(SENT), script=[canned(TOO_MANY)]) as backup,
    ):
        url = url_of(first, f"timeout=0.4&backup_hosts=127.0.0.1:{backup.port}")
        with create_transport(url) as transport:
            outcomes = list(transport.send_many([Message("79120000001", "hi", id="order-11")]))
    assert isinstance(outcomes[0].error, OutcomeUnknown)
    assert outcomes[0].result is None


def test_send_many_repeats_only_the_requests_refused_for_load() -> None:
    # Two one-text requests of 2 recipients each: the first is refused once for load.
    script = [canned(TOO_MANY)]
    answer = {**SENT, "cnt": 2}
    with CannedServer(canned(answer), script=script) as server:
        url = url_of(server, f"{QUICK_RETRY}&batch_phones=2&concurrency=1")
        with create_transport(url) as transport:
            messages = [Message(f"791200000{n}", "sale") for n in range(4)]
            outcomes = list(transport.send_many(messages))
    assert [o.ok for o in outcomes] == [True] * 4
    assert sends_made(server) == 3


# Against the emulator's own limit (SMSC's 15 at once, here 1) --------------------------


def test_the_emulator_s_concurrency_refusal_is_repeated_until_it_passes(
    one_at_a_time: Emulator,
) -> None:
    url = one_at_a_time.url() + "?retry_rate_limited=8&retry_backoff=0.1&retry_max_wait=20"
    with one_send_held(one_at_a_time), create_transport(url) as transport:
        result = transport.send(Message("79990000001", "while another is held"))
    assert result.parts == 1


def test_without_retries_the_emulator_s_concurrency_refusal_is_rate_limited(
    one_at_a_time: Emulator,
) -> None:
    with one_send_held(one_at_a_time), create_transport(one_at_a_time.url()) as transport:
        with pytest.raises(RateLimited, match="too many concurrent"):
            transport.send(Message("79990000001", "while another is held"))


def test_cost_many_repeats_a_pricing_refused_for_load_like_cost_does() -> None:
    # Pricing sends nothing: like cost(), cost_many asks again after an error 9 when
    # repeats are on (before, its requests had no repeat rule and the 9 was final).
    priced = {"cost": "1.40", "cnt": 1}
    with CannedServer(canned(priced), script=[canned(TOO_MANY)]) as server:
        with create_transport(url_of(server, QUICK_RETRY)) as transport:
            [outcome] = list(transport.cost_many([Message("79120000001", "hi")]))
    assert outcome.ok and outcome.result is not None
    assert outcome.result.cost == Decimal("1.40")
    assert sends_made(server) == 2
