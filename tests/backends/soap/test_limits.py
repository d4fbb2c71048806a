"""SOAP shares HTTP's limits: the request cap, and repeats of calls SMSC refused (error 9).

SOAP's error 9 carries no text, so it never proves a refusal for load: reads are asked
again, and sends that carry their own id (SMSC refuses a second one within the minute);
a send without one never is. The peer is the emulator, refusing a second request in
flight as SMSC refuses a sixteenth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from smsc_transports import Message, RateLimited, create_transport
from smsc_transports.backends.soap import SoapTransport
from smsc_transports.emulator import Account, Emulator, Limits
from smsc_transports.observe import Link, Tally
from tests.faults import one_send_held

RETRY = "retry_rate_limited=8&retry_backoff=0.1&retry_max_wait=20"


def soap_url(emulator: Emulator, options: str = "") -> str:
    return emulator.url("soap+http") + (f"?{options}" if options else "")


@pytest.fixture
def repeats(caplog: pytest.LogCaptureFixture) -> Callable[[], int]:
    """How many times a refused request has been asked again so far (from the log)."""
    caplog.set_level(logging.INFO, "smsc_transports.backends.pacing")
    return lambda: sum("asking again" in r.getMessage() for r in caplog.records)


def test_a_refused_read_is_asked_again_until_it_passes(
    one_at_a_time: Emulator, repeats: Callable[[], int]
) -> None:
    with one_send_held(one_at_a_time), create_transport(soap_url(one_at_a_time, RETRY)) as soap:
        assert soap.balance().amount > 0
    assert repeats() >= 1


def test_soap_back_offs_reach_the_observer(one_at_a_time: Emulator) -> None:
    tally = Tally()
    url = soap_url(one_at_a_time, RETRY)
    with one_send_held(one_at_a_time), create_transport(url, observer=tally) as soap:
        soap.balance()
    refused = tally.operations[("soap", "balance", "RateLimited")]
    assert refused >= 1
    assert tally.links[Link.THROTTLED] == refused
    assert tally.operations[("soap", "balance", "ok")] == 1


def test_a_refused_send_with_its_own_id_is_sent_again(
    one_at_a_time: Emulator, repeats: Callable[[], int]
) -> None:
    with one_send_held(one_at_a_time), create_transport(soap_url(one_at_a_time, RETRY)) as soap:
        result = soap.send(Message("79990000001", "mine", id="order-9"))
    assert result.id == "order-9"
    assert repeats() >= 1


def test_a_refused_send_without_id_is_never_sent_again(
    one_at_a_time: Emulator, repeats: Callable[[], int]
) -> None:
    with one_send_held(one_at_a_time), create_transport(soap_url(one_at_a_time, RETRY)) as soap:
        with pytest.raises(RateLimited):
            soap.send(Message("79990000001", "no id"))
    assert repeats() == 0


def peak_held(emulator: Emulator, url: str, count: int) -> int:
    """Send ``count`` messages to a slow number from as many threads over ``url``; return
    the most answers the emulator was holding at once."""
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, emulator.http.held)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with create_transport(url) as transport:
            messages = [Message("79990003001", "slow", id=f"s{n}") for n in range(count)]
            senders = [threading.Thread(target=transport.send, args=(m,)) for m in messages]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
    finally:
        done.set()
        watcher.join()
    return peak


@pytest.fixture
def unlimited() -> Iterator[Emulator]:
    """An emulator with no limits at all."""
    rich = Account("demo", "demo", balance=Decimal(100))
    with Emulator([rich], limits=Limits.unlimited()) as running:
        yield running


def test_max_concurrent_holds_for_soap_calls(unlimited: Emulator) -> None:
    with create_transport(soap_url(unlimited, "max_concurrent=2")) as transport:
        assert isinstance(transport, SoapTransport)
        assert transport.client.pacer.max_concurrent == 2
    assert peak_held(unlimited, soap_url(unlimited, "max_concurrent=2"), 4) == 2


def test_without_a_cap_soap_calls_run_wider(unlimited: Emulator) -> None:
    # The control for the test above: uncapped, the emulator holds more at once.
    assert peak_held(unlimited, soap_url(unlimited), 4) > 2
