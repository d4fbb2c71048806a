"""A broken link never loses or duplicates a message: every one ends in exactly one outcome.

The emulator's SMPP front end sits behind :class:`SmppFaultProxy`, which cuts, resets,
delays or black-holes the first connection; later connections pass. Each message has a
unique text, so the emulator's history shows exactly what reached the SMSC.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from smsc_transports import (
    ConfigurationError,
    ConnectError,
    InvalidPhone,
    Message,
    Outcome,
    OutcomeUnknown,
    create_async_transport,
    create_transport,
)
from smsc_transports.emulator import EmulatorState
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.fault_proxy import Fault, SmppFaultProxy
from tests.faults import closed_port

COUNT = 300


def messages(tag: str) -> Iterator[Message]:
    """COUNT messages with unique texts; every 50th goes to a number SMSC refuses."""
    for n in range(COUNT):
        phone = "79990004007" if n % 50 == 49 else "79990000001"
        yield Message(phone, f"{tag} {n}")


def classify(outcomes: list[Outcome]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.ok:
            kinds["accepted"] += 1
        elif isinstance(outcome.error, OutcomeUnknown):
            kinds["unknown"] += 1
        else:
            kinds["rejected"] += 1
    return kinds


def stored_texts(state: EmulatorState) -> list[str]:
    return [r.text for r in state.history(state.account("demo"), cnt=10_000)]


def run_through(fault: Fault, state: EmulatorState, **options: str) -> tuple[list[Outcome], int]:
    """Send COUNT messages through a proxy whose first connection suffers ``fault``."""
    with SmppFrontEnd(state) as front, SmppFaultProxy(("127.0.0.1", front.port), [fault]) as proxy:
        url = smpp_url(proxy.port, window="32", **options)
        with create_transport(url) as transport:
            outcomes = list(transport.send_many(messages(fault.kind)))
        return outcomes, proxy.connections


def assert_the_books_balance(outcomes: list[Outcome], state: EmulatorState) -> Counter[str]:
    assert [o.index for o in outcomes] == list(range(COUNT))
    kinds = classify(outcomes)
    assert sum(kinds.values()) == COUNT
    refused = [o for o in outcomes if not o.ok and not isinstance(o.error, OutcomeUnknown)]
    # Only the numbers SMSC refuses are rejected (unless their answer was lost too).
    assert all(isinstance(o.error, InvalidPhone) and o.index % 50 == 49 for o in refused)
    assert len(refused) == kinds["rejected"] >= COUNT // 50 - kinds["unknown"]
    stored = stored_texts(state)
    assert len(stored) == len(set(stored)), "a message reached the SMSC twice"
    accepted = {o.message.text for o in outcomes if o.ok}
    unknown = {o.message.text for o in outcomes if isinstance(o.error, OutcomeUnknown)}
    assert accepted <= set(stored)
    assert set(stored) <= accepted | unknown  # nothing stored that we called rejected
    return kinds


@pytest.mark.parametrize("kind", ["cut", "reset"])
def test_a_link_cut_mid_window_leaves_exactly_one_outcome_per_message(
    kind: str, state: EmulatorState
) -> None:
    outcomes, connections = run_through(Fault(kind, after=40, answers=25), state)
    kinds = assert_the_books_balance(outcomes, state)
    assert connections >= 2  # it reconnected and carried on
    assert kinds["unknown"] >= 15  # 15 reached the SMSC unanswered, more never left the proxy
    stored = set(stored_texts(state))
    unknown_but_stored = [
        o for o in outcomes if isinstance(o.error, OutcomeUnknown) and o.message.text in stored
    ]
    assert len(unknown_but_stored) == 15
    assert all(
        isinstance(o.error, OutcomeUnknown) and o.error.__cause__ for o in unknown_but_stored
    )


def test_a_black_hole_is_given_up_after_the_response_timeout(state: EmulatorState) -> None:
    outcomes, connections = run_through(Fault("blackhole"), state, response_timeout="0.5")
    kinds = assert_the_books_balance(outcomes, state)
    assert connections >= 2
    assert 1 <= kinds["unknown"] <= 32  # one window written into the void
    assert len(stored_texts(state)) == kinds["accepted"]


def test_slow_answers_within_the_timeout_lose_nothing(state: EmulatorState) -> None:
    outcomes, connections = run_through(Fault("delay", delay=0.002), state)
    kinds = assert_the_books_balance(outcomes, state)
    assert kinds["unknown"] == 0 and connections == 1


def test_answers_slower_than_the_timeout_become_unknown_then_the_link_recovers(
    state: EmulatorState,
) -> None:
    outcomes, connections = run_through(Fault("delay", delay=0.3), state, response_timeout="0.5")
    kinds = assert_the_books_balance(outcomes, state)
    assert kinds["unknown"] >= 1 and connections >= 2


def test_a_single_send_cut_before_its_answer_raises_outcome_unknown(
    state: EmulatorState,
) -> None:
    with SmppFrontEnd(state) as front:
        faults = [Fault("cut", after=1, answers=0)]
        with SmppFaultProxy(("127.0.0.1", front.port), faults) as proxy:
            with create_transport(smpp_url(proxy.port)) as transport:
                with pytest.raises(OutcomeUnknown):
                    transport.send(Message("79990000001", "lost answer"))
                again = transport.send(Message("79990000001", "after the cut"))
    assert again.id
    assert stored_texts(state) == ["after the cut", "lost answer"]  # newest first


def test_no_server_at_all_rejects_every_message_without_hanging() -> None:
    with closed_port() as port:
        url = smpp_url(port, reconnect_attempts="2")
        with create_transport(url) as transport:
            outcomes = list(transport.send_many(Message("79990000001", f"m{n}") for n in range(5)))
    assert [o.index for o in outcomes] == list(range(5))
    assert all(isinstance(o.error, ConnectError) for o in outcomes)


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_backup_host_keeps_the_port_it_is_given(front: SmppFrontEnd, face: str) -> None:
    with closed_port() as refused:
        url = smpp_url(refused, backup_hosts=f"127.0.0.1:{front.port}")
        if face == "sync":
            with create_transport(url) as transport:
                assert transport.send(Message("79990000001", "via backup")).id
        else:

            async def send() -> str:
                async with create_async_transport(url) as transport:
                    return (await transport.send(Message("79990000001", "via backup"))).id

            assert asyncio.run(send())


@pytest.mark.parametrize("face", ["sync", "async"])
def test_running_out_of_money_stops_writing_submits(
    front: SmppFrontEnd, state: EmulatorState, face: str
) -> None:
    state.set_balance("demo", "7.00")  # five messages' worth
    messages = [Message(f"7999{n:07d}", f"text {n}") for n in range(COUNT)]
    url = smpp_url(front.port, window="16")
    if face == "sync":
        with create_transport(url) as transport:
            outcomes = list(transport.send_many(messages))
    else:

        async def send() -> list[Outcome]:
            async with create_async_transport(url) as transport:
                return [outcome async for outcome in transport.send_many(messages)]

        outcomes = asyncio.run(send())
    assert [o.index for o in outcomes] == list(range(COUNT))
    kinds = Counter(type(o.error).__name__ if o.error else "accepted" for o in outcomes)
    assert kinds["accepted"] == 5
    # Only submits already written when the first refusal came back were refused: at
    # most one window of them; the rest were never written.
    assert 1 <= kinds["InsufficientFunds"] <= 16
    assert kinds["NotSent"] == COUNT - 5 - kinds["InsufficientFunds"]
    assert front.submitted == 5  # what SMSC took; the refusals cost nothing but requests


def test_a_bad_backup_port_is_refused_when_the_transport_is_built() -> None:
    for build in (create_transport, create_async_transport):
        with pytest.raises(ConfigurationError, match="bad port in 'h:99999'"):
            build("smpp://demo:demo@127.0.0.1:9?backup_hosts=h:99999")
