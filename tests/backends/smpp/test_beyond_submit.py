"""SMPP beyond submit_sm: receipts in data_sm, cancel_sm and replace_sm, on real sockets.

Against the emulator's SMPP front end, and against scripted servers that lack the
operations (answering generic_nack or ESME_RINVCMDID, as such an SMSC does).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice

import pytest

from smsc_transports import (
    Message,
    MessageStatus,
    UnknownAPIError,
    UnsupportedOperation,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.adapters import LoopThreadTransport, ThreadedAsyncTransport
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.emulator import EmulatorState, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.transport import Capability
from smsc_transports.wire.smpp import pdu as w
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.servers import Peer, ScriptedServer
from tests.observers import Recorder

PHONE = "79990000001"


def connect(port: int) -> SmppTransport:
    transport = create_transport(smpp_url(port))
    assert isinstance(transport, SmppTransport)
    return transport


def later(clock: ManualClock, hours: float = 1) -> datetime:
    return datetime.fromtimestamp(clock(), UTC) + timedelta(hours=hours)


def test_receipts_in_data_sm_are_answered_and_matched(
    state: EmulatorState, clock: ManualClock
) -> None:
    # Reproduced first: the client answered data_sm with generic_nack and no receipt came.
    with SmppFrontEnd(state, poll_interval=0.01, receipts_as="data_sm") as front:
        with connect(front.port) as transport:
            sent = transport.send(Message([PHONE, "79990001006"], "receipt in data_sm"))
            clock.advance(5)
            receipts = list(islice(transport.receipts(timeout=5), 2))
            statuses = [transport.status(p.id or "", p.phone) for p in sent.phones]
    assert sorted((r.id, r.phone) for r in receipts) == sorted((p.id, p.phone) for p in sent.phones)
    assert [s.status for s in statuses] == [
        MessageStatus.DELIVERED,
        MessageStatus.UNABLE_TO_DELIVER,
    ]


def test_the_asyncio_transport_takes_data_sm_receipts_too(
    state: EmulatorState, clock: ManualClock
) -> None:
    async def scenario() -> tuple[str, list[tuple[str, MessageStatus]]]:
        async with create_async_transport(smpp_url(front.port)) as transport:
            sent = await transport.send(Message(PHONE, "async data_sm"))
            clock.advance(5)
            seen = []
            async for receipt in transport.receipts(timeout=5):  # type: ignore[attr-defined]
                seen.append((receipt.id, receipt.status))
                break
            return sent.id, seen

    with SmppFrontEnd(state, poll_interval=0.01, receipts_as="data_sm") as front:
        sent_id, seen = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert seen == [(sent_id, MessageStatus.DELIVERED)]


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_a_scheduled_message_is_cancelled_and_never_leaves(
    binds: str, front: SmppFrontEnd, state: EmulatorState, clock: ManualClock
) -> None:
    account = state.account("demo")
    before = account.balance
    with create_transport(smpp_url(front.port, binds=binds)) as transport:
        assert {Capability.CANCEL, Capability.REPLACE} <= transport.capabilities
        sent = transport.send(
            Message([PHONE, "79990000002"], "a sale tomorrow", send_at=later(clock))
        )
        second = sent.phones[1]
        transport.cancel(second.id or "", second.phone)
        clock.advance(7200)
        first = state.status(account, sent.phones[0].id or "", PHONE)
        stopped = state.status(account, second.id or "", second.phone)
        # It left: too late to cancel, and the SMSC says so.
        with pytest.raises(UnknownAPIError) as too_late:
            transport.cancel(sent.phones[0].id or "", PHONE)
    assert first.status is MessageStatus.DELIVERED
    assert stopped.status is MessageStatus.STOPPED
    assert too_late.value.protocol_status == w.ESME_RCANCELFAIL
    assert before - state.account("demo").balance == Decimal("1.40")  # one refunded


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_a_scheduled_message_gets_a_new_text_and_time(
    binds: str, front: SmppFrontEnd, state: EmulatorState, clock: ManualClock
) -> None:
    async def scenario() -> str:
        async with create_async_transport(smpp_url(front.port, binds=binds)) as transport:
            sent = await transport.send(Message(PHONE, "Встреча в 10:00", send_at=later(clock)))
            await transport.replace(
                sent.id, PHONE, text="Встреча в 11:00", send_at=later(clock, hours=2)
            )
            return sent.id

    message_id = asyncio.run(asyncio.wait_for(scenario(), 30))
    record = state.status(state.account("demo"), message_id, PHONE)
    assert record.text == "Встреча в 11:00"
    assert record.send_timestamp == later(clock, hours=2).timestamp()


def test_a_replacement_that_cannot_be_sent_is_refused_before_sending(
    front: SmppFrontEnd,
) -> None:
    with create_transport(smpp_url(front.port)) as transport:
        with pytest.raises(ValidationError, match="one SMS"):
            transport.replace("1", PHONE, text="слишком длинно " * 10)
        with pytest.raises(ValidationError, match="new text, a new send_at"):
            transport.replace("1", PHONE)


def lacking_the_operations(reply: str) -> object:
    def script(peer: Peer) -> None:
        if not peer.bind():
            return
        while (frame := peer.read()) is not None:
            command_id, _, sequence, _ = frame
            if command_id in (w.CANCEL_SM, w.REPLACE_SM):
                if reply == "generic_nack":
                    peer.send(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDID, sequence))
                else:
                    response = command_id | w.RESPONSE
                    peer.send(w.encode_pdu(response, w.ESME_RINVCMDID, sequence))
            else:
                peer.answer(frame)

    return script


@pytest.mark.parametrize("reply", ["generic_nack", "resp"])
def test_a_server_without_cancel_or_replace_gives_unsupported_operation(reply: str) -> None:
    script = lacking_the_operations(reply)
    with ScriptedServer([script]) as server:  # type: ignore[list-item]
        with create_transport(smpp_url(server.port)) as transport:
            with pytest.raises(UnsupportedOperation, match="cancel is not available over"):
                transport.cancel("1", PHONE)
            with pytest.raises(UnsupportedOperation, match="replace is not available over"):
                transport.replace("1", PHONE, text="new")
            # The link is still fine afterwards.
            assert transport.send(Message(PHONE, "still here")).id


def test_other_protocols_name_smpp_for_cancel_and_replace() -> None:
    with create_transport("https://login:password@127.0.0.1:9") as http:
        with pytest.raises(UnsupportedOperation) as cancel:
            http.cancel("1", PHONE)
        with pytest.raises(UnsupportedOperation) as replace:
            http.replace("1", PHONE, text="x")
    assert cancel.value.supported_by == replace.value.supported_by == ("smpp",)


def test_both_adapters_forward_cancel_and_replace(
    front: SmppFrontEnd, state: EmulatorState, clock: ManualClock
) -> None:
    account = state.account("demo")
    native = create_async_transport(smpp_url(front.port))
    with LoopThreadTransport(native) as sync_face:
        kept = sync_face.send(Message(PHONE, "kept, new text", send_at=later(clock)))
        dropped = sync_face.send(Message(PHONE, "dropped", send_at=later(clock)))
        sync_face.replace(kept.id, PHONE, text="kept")
        sync_face.cancel(dropped.id, PHONE)
    assert state.status(account, kept.id, PHONE).text == "kept"
    assert state.status(account, dropped.id, PHONE).status is MessageStatus.STOPPED

    async def threaded() -> tuple[str, str]:
        async with ThreadedAsyncTransport(connect(front.port)) as async_face:
            kept = await async_face.send(Message(PHONE, "kept 2, new", send_at=later(clock)))
            dropped = await async_face.send(Message(PHONE, "dropped 2", send_at=later(clock)))
            await async_face.replace(kept.id, PHONE, text="kept 2")
            await async_face.cancel(dropped.id, PHONE)
            return kept.id, dropped.id

    kept_id, dropped_id = asyncio.run(asyncio.wait_for(threaded(), 30))
    assert state.status(account, kept_id, PHONE).text == "kept 2"
    assert state.status(account, dropped_id, PHONE).status is MessageStatus.STOPPED


def test_an_observer_hears_cancel_and_replace_as_their_own_operations(
    front: SmppFrontEnd, clock: ManualClock
) -> None:
    recorder = Recorder()
    with create_transport(smpp_url(front.port), observer=recorder) as transport:
        sent = transport.send(Message(PHONE, "observed", send_at=later(clock)))
        transport.replace(sent.id, PHONE, text="observed again")
        transport.cancel(sent.id, PHONE)
    heard = [(e.operation, e.outcome, e.id) for e in recorder.operations]
    assert heard == [("send", "ok", sent.id), ("replace", "ok", sent.id), ("cancel", "ok", sent.id)]
