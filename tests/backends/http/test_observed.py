"""What the HTTP transport reports to an observer, against the emulator (sync and async)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from smsc_transports import (
    ConnectError,
    Message,
    create_async_transport,
    create_transport,
)
from smsc_transports.emulator import Emulator
from smsc_transports.observe import OK
from tests.observers import EXERCISED, Recorder, exercise


def test_every_request_is_reported_with_its_outcome_bytes_and_id(emulator: Emulator) -> None:
    recorder = Recorder()
    with create_transport(emulator.url(), observer=recorder) as transport:
        sent_id = exercise(transport)
        outcomes = list(
            transport.send_many(Message(f"7999000000{n}", "same text") for n in range(1, 6))
        )
        load = recorder.watched[0][1]()
    assert all(o.ok for o in outcomes)
    ops = recorder.operations
    # Five messages with one text: one request.
    assert [(op.operation, op.outcome) for op in ops] == [*EXERCISED, ("send", OK)]
    assert (ops[0].id, ops[0].phone, ops[0].messages) == (sent_id, "*******0001", 1)
    assert (ops[1].error_code, ops[1].phone) == (7, "*******4007")
    assert ops[-1].messages == 5 and ops[-1].phone is None
    for op in ops:
        assert op.protocol == "https" and 0 <= op.duration < 10
        assert op.bytes_sent > 0 and op.bytes_received > 0
    assert (load.in_flight, load.window) == (0, 4)
    assert [protocol for protocol, _ in recorder.watched] == ["https"]
    assert recorder.unwatched == [recorder.watched[0][1]]


def test_a_host_that_refuses_connections_is_reported_as_a_connect_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nobody listens once the socket is closed
    recorder = Recorder()
    url = f"http://demo:demo@127.0.0.1:{port}?timeout=2"
    with create_transport(url, observer=recorder) as transport, pytest.raises(ConnectError):
        transport.balance()
    [op] = recorder.operations
    assert (op.operation, op.outcome, op.bytes_received) == ("balance", "ConnectError", 0)


def test_the_async_face_reports_through_the_same_backend(emulator: Emulator) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with create_async_transport(emulator.url(), observer=recorder) as transport:
            await transport.send(Message("79990000001", "async"))
            await transport.balance()

    asyncio.run(scenario())
    assert [(op.operation, op.outcome) for op in recorder.operations] == [
        ("send", OK),
        ("balance", OK),
    ]
