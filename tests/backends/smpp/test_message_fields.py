"""SMPP maps every Message option or refuses it before anything is sent (issue #12 item 2).

Each test sends over HTTP and over SMPP to one emulator and compares what SMSC stored:
before these fields were mapped, ``maxsms=1`` on a 400-character text was billed 3 parts
over SMPP (1 over HTTP) and a ``tz`` date was read in Moscow time over SMPP only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from smsc_transports import (
    APIError,
    Message,
    MessageStatus,
    SendResult,
    SMSCError,
    StatusResult,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.emulator import Emulator, ManualClock

OK = "79990000001"
LONG = "Long text. " * 36 + "The end"  # 403 GSM characters: 3 parts


@pytest.fixture
def both() -> Iterator[Emulator]:
    with Emulator(clock=ManualClock(), smpp_port=0) as emulator:
        yield emulator


def _sent(emulator: Emulator, scheme: str, message: Message) -> tuple[int, str, float]:
    with create_transport(emulator.url(scheme, "demo", "demo")) as transport:
        result = transport.send(message)
    state = emulator.state
    stored = state.status(state.account("demo"), result.id, OK, throttled=False)
    return result.parts, stored.text, stored.send_timestamp


def test_max_parts_bills_the_same_parts_over_smpp_as_over_http(both: Emulator) -> None:
    over_http = _sent(both, "http", Message([OK], LONG, max_parts=1))
    both.state.clock.advance(61)  # type: ignore[attr-defined]  # past the duplicate minute
    over_smpp = _sent(both, "smpp", Message([OK], LONG, max_parts=1))
    assert over_smpp[:2] == over_http[:2]
    assert over_smpp[0] == 1


def test_a_tz_date_is_scheduled_at_the_same_moment_over_smpp(both: Emulator) -> None:
    message = Message([OK], "Hi", send_at="01.01.35 10:00", tz=2)
    over_http = _sent(both, "http", message)
    both.state.clock.advance(61)  # type: ignore[attr-defined]
    over_smpp = _sent(both, "smpp", message)
    assert over_smpp[2] == over_http[2]  # 10:00 at Moscow + 2 h = 05:00 UTC
    assert over_smpp[2] == 2051240400.0


def test_an_option_smpp_cannot_carry_is_refused_before_anything_is_sent(both: Emulator) -> None:
    with create_transport(both.url("smpp", "demo", "demo")) as transport:
        with pytest.raises(ValidationError) as refused:
            transport.send(Message([OK], "Hi", short_links=True))
    assert refused.value.field == "short_links"
    assert "https, soap" in str(refused.value)
    assert both.state.history(both.state.account("demo")) == []


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize("binds", ["1", "2"])
def test_the_callers_id_finds_each_recipient_and_cancels_over_smpp(
    both: Emulator, face: str, binds: str
) -> None:
    # Reproduced first: status("order-17", phone) answered NOT_FOUND over SMPP, and
    # cancel by it was sent for an id the SMSC never gave.
    clock = both.state.clock
    when = datetime.fromtimestamp(clock(), UTC) + timedelta(hours=1)
    phones = [OK, "79990000002"]
    long = Message(phones, LONG, id="order-17", send_at=when)  # 3 parts to each of two
    single = Message(OK, "one part", id="order-18", send_at=when)
    url = both.url("smpp", "demo", "demo") + f"?binds={binds}"

    async def scenario() -> tuple[list[SendResult], list[StatusResult], list[StatusResult]]:
        async with create_async_transport(url) as transport:
            sent = [await transport.send(long), await transport.send(single)]
            before = [await transport.status("order-17", p) for p in phones]
            before.append(await transport.status("order-18", OK))
            await transport.cancel("order-18", OK)
            after = [await transport.status("order-18", OK)]
        return sent, before, after

    if face == "async":
        sent, before, after = asyncio.run(asyncio.wait_for(scenario(), 30))
    else:
        with create_transport(url) as transport:
            sent = [transport.send(long), transport.send(single)]
            before = [transport.status("order-17", p) for p in phones]
            before.append(transport.status("order-18", OK))
            transport.cancel("order-18", OK)
            after = [transport.status("order-18", OK)]
    # SMSC assigned its own ids; the caller's id found each recipient under them.
    assert all(r.id not in ("order-17", "order-18") for r in sent)
    assert all(p.id not in (None, "order-17") for p in sent[0].phones)
    assert all(s.status is not MessageStatus.NOT_FOUND for s in before), before
    state = both.state
    stored = state.status(state.account("demo"), sent[1].id, OK, throttled=False)
    assert stored.status is MessageStatus.STOPPED  # the cancel named SMSC's own id
    # The query_sm asked about SMSC's id, not the caller's.
    assert getattr(after[0].raw, "message_id", None) == sent[1].id


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_repeated_callers_id_to_the_same_phone_is_refused_before_anything_is_sent(
    both: Emulator, face: str
) -> None:
    # Reproduced first: the second message went out and took the alias over, so
    # status("order-5", OK) then named it instead of the first. HTTP's SMSC refuses a
    # repeated id to the same phone (error 9); over SMPP the transport is what knows it.
    other, refused = "79990000002", "79990004007"  # the emulator refuses the second

    def batch(id: str) -> list[Message]:
        return [Message(OK, "one", id=id), Message(OK, "two", id=id), Message(OK, "three")]

    async def scenario() -> tuple[list[object], list[object]]:
        async with create_async_transport(both.url("smpp", "demo", "demo")) as transport:
            sent: list[object] = [await transport.send(Message(OK, "first", id="order-5"))]
            for message in (
                Message([other, OK], "second", id="order-5"),  # OK already has it
                Message(other, "to another phone", id="order-5"),  # a free pair: accepted
                Message(refused, "refused", id="order-6"),
                Message(refused, "refused again", id="order-6"),  # nothing holds the id
            ):
                try:
                    sent.append(await transport.send(message))
                except SMSCError as exc:
                    sent.append(exc)
            found = [await transport.status("order-5", OK)]
            outcomes = [o async for o in transport.send_many(batch("batch-1"))]
            return sent + found, [o.error or o.result for o in outcomes]

    if face == "async":
        sent, many = asyncio.run(asyncio.wait_for(scenario(), 30))
    else:
        with create_transport(both.url("smpp", "demo", "demo")) as transport:
            sent = [transport.send(Message(OK, "first", id="order-5"))]
            for message in (
                Message([other, OK], "second", id="order-5"),
                Message(other, "to another phone", id="order-5"),
                Message(refused, "refused", id="order-6"),
                Message(refused, "refused again", id="order-6"),
            ):
                try:
                    sent.append(transport.send(message))
                except SMSCError as exc:
                    sent.append(exc)
            sent.append(transport.status("order-5", OK))
            many = [o.error or o.result for o in transport.send_many(batch("batch-1"))]
    first, second, elsewhere, once, twice, found = sent
    assert isinstance(first, SendResult)
    assert isinstance(second, ValidationError)
    assert second.field == "id"
    assert "order-5" in str(second)
    assert isinstance(elsewhere, SendResult)
    # Every recipient refused: the id names nothing, and the repeat goes out again.
    assert isinstance(once, APIError) and not isinstance(once, ValidationError)
    assert isinstance(twice, APIError) and not isinstance(twice, ValidationError)
    assert isinstance(found, StatusResult)
    # Still the first message, not re-pointed: the query_sm named its SMSC id.
    assert getattr(found.raw, "message_id", None) == first.id
    # In one send_many the second message is refused while the first is in flight.
    assert isinstance(many[0], SendResult)
    assert isinstance(many[1], ValidationError) and "batch-1" in str(many[1])
    assert isinstance(many[2], SendResult)
    texts = sorted(r.text for r in both.state.history(both.state.account("demo")))
    assert texts == sorted(["first", "one", "three", "to another phone"])
