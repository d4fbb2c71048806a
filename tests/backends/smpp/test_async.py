"""The asyncio SMPP transport against the emulator's SMPP front end (no async plugin:
each test runs its own event loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import pytest

from smsc_transports import (
    AuthenticationError,
    InvalidPhone,
    Message,
    MessageStatus,
    StatusResult,
    TransportError,
    create_async_transport,
)
from smsc_transports.backends.smpp import AsyncSmppTransport
from smsc_transports.emulator import EmulatorState, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from tests.backends.smpp.conftest import eventually, smpp_url

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 30))


def connect(port: int, **options: str) -> AsyncSmppTransport:
    transport = create_async_transport(smpp_url(port, **options))
    assert isinstance(transport, AsyncSmppTransport)
    return transport


async def take(events: AsyncIterator[T], count: int) -> list[T]:
    taken: list[T] = []
    async for event in events:
        taken.append(event)
        if len(taken) == count:
            break
    return taken


def test_the_factory_builds_the_native_asyncio_transport(front: SmppFrontEnd) -> None:
    transport = create_async_transport(smpp_url(front.port))
    assert type(transport) is AsyncSmppTransport
    assert transport.schemes == ("smpp", "smpps")


def test_send_and_send_many_keep_input_order(front: SmppFrontEnd) -> None:
    async def scenario() -> tuple[str, list[int], list[bool]]:
        async with connect(front.port, window="8") as transport:
            one = await transport.send(Message("79990000001", "single"))

            async def messages() -> AsyncIterator[Message]:
                for n in range(120):
                    phone = "79990004007" if n == 50 else "79990000001"
                    yield Message(phone, f"async bulk {n}")

            outcomes = [o async for o in transport.send_many(messages())]
        return one.id, [o.index for o in outcomes], [o.ok for o in outcomes]

    single_id, indexes, oks = run(scenario())
    assert single_id == "1"
    assert indexes == list(range(120))
    assert oks.count(False) == 1 and not oks[50]


def test_a_refusal_raises_the_shared_exception(front: SmppFrontEnd) -> None:
    async def scenario() -> None:
        async with connect(front.port) as transport:
            await transport.send(Message("79990004007", "refused"))

    with pytest.raises(InvalidPhone):
        run(scenario())


def test_receipts_come_through_the_async_iterator_and_the_callback(
    front: SmppFrontEnd, clock: ManualClock
) -> None:
    heard: list[StatusResult] = []

    async def scenario() -> tuple[str, list[StatusResult], StatusResult]:
        async with connect(front.port) as transport:
            transport.on_receipt = heard.append
            sent = await transport.send(Message("79990001248", "no route"))
            clock.advance(5)
            receipts = await take(transport.receipts(timeout=5), 1)
            status = await transport.status(sent.id, "79990001248")
        return sent.id, receipts, status

    sent_id, receipts, status = run(scenario())
    assert [(r.id, r.status) for r in receipts] == [(sent_id, MessageStatus.UNAVAILABLE_NUMBER)]
    assert heard == receipts
    assert (status.status, status.error) == (MessageStatus.UNAVAILABLE_NUMBER, 248)


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_status_asks_query_sm_before_any_receipt(
    binds: str, front: SmppFrontEnd, clock: ManualClock
) -> None:
    async def scenario() -> StatusResult:
        async with connect(front.port, binds=binds) as transport:
            sent = await transport.send(Message("79990000001", "query me"))
            clock.advance(2)
            return await transport.status(sent.id, "79990000001")

    assert run(scenario()).status is MessageStatus.TRANSFERRED


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_incoming_messages_come_through_the_async_iterator(binds: str, front: SmppFrontEnd) -> None:
    async def scenario() -> list[str]:
        async with connect(front.port, binds=binds) as transport:
            await transport.connect()
            front.push_incoming("demo", "79991112233", "hello from a phone")
            return [m.text for m in await take(transport.incoming_stream(timeout=5), 1)]

    assert run(scenario()) == ["hello from a phone"]


def test_a_wrong_password_is_an_authentication_error(front: SmppFrontEnd) -> None:
    url = smpp_url(front.port).replace("demo:demo@", "demo:bad@")

    async def scenario() -> None:
        async with create_async_transport(url) as transport:
            await transport.send(Message("79990000001", "nope"))

    with pytest.raises(AuthenticationError):
        run(scenario())
    assert front.connections == 1


def test_throttled_sends_all_get_through_once(state: EmulatorState) -> None:
    async def scenario(port: int) -> list[bool]:
        async with connect(port, throttle_delay="0.02") as transport:
            messages = [Message("79990000001", f"async throttled {n}") for n in range(100)]
            return [o.ok async for o in transport.send_many(messages)]

    with SmppFrontEnd(state, throttle_rate=200) as front:
        oks = run(scenario(front.port))
        assert all(oks) and front.throttled > 0
    assert len(state.history(state.account("demo"), cnt=1000)) == 100


def test_aclose_unbinds_and_later_calls_fail(front: SmppFrontEnd) -> None:
    async def scenario() -> None:
        transport = connect(front.port)
        await transport.send(Message("79990000001", "bye"))
        await transport.aclose()
        await transport.aclose()
        with pytest.raises(TransportError, match="closed"):
            await transport.send(Message("79990000001", "after close"))

    run(scenario())
    assert eventually(lambda: front.live == set())


def test_a_transport_stays_on_the_event_loop_it_started_on(front: SmppFrontEnd) -> None:
    async def first_loop(transport: AsyncSmppTransport) -> None:
        async with transport:
            await transport.send(Message("79990000001", "first loop"))

    transport = connect(front.port)
    run(first_loop(transport))
    with pytest.raises(TransportError, match="event loop"):
        run(transport.send(Message("79990000001", "second loop")))
