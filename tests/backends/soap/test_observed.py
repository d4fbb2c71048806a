"""What the SOAP transport reports to an observer, against the emulator (sync and async)."""

from __future__ import annotations

import asyncio

from smsc_transports import create_async_transport, create_transport
from smsc_transports.observe import OK
from tests.backends.soap.conftest import SoapPeer
from tests.observers import EXERCISED, Recorder, exercise


def test_every_call_is_reported_with_its_outcome_bytes_and_id(peer: SoapPeer) -> None:
    recorder = Recorder()
    with create_transport(peer.url(), observer=recorder) as transport:
        sent_id = exercise(transport)
    ops = recorder.operations
    assert [(op.operation, op.outcome) for op in ops] == EXERCISED
    assert (ops[0].id, ops[0].phone) == (sent_id, "*******0001")
    assert ops[1].error_code == 7
    for op in ops:
        assert op.protocol == "soap" and 0 <= op.duration < 10
        assert op.bytes_sent > 200 and op.bytes_received > 100  # whole envelopes
    assert recorder.unwatched == [recorder.watched[0][1]]


def test_the_async_face_reports_too(peer: SoapPeer) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with create_async_transport(peer.url(), observer=recorder) as transport:
            await transport.balance()

    asyncio.run(scenario())
    assert [(op.protocol, op.operation, op.outcome) for op in recorder.operations] == [
        ("soap", "balance", OK)
    ]
