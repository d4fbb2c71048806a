"""What the SMTP transport reports to an observer, against real loopback SMTP servers."""

from __future__ import annotations

import asyncio

from smsc_transports import Message, create_async_transport, create_transport
from smsc_transports.emulator import Emulator
from smsc_transports.emulator.smtp import SmtpFrontEnd
from smsc_transports.observe import OK, Link
from tests.backends.smtp.conftest import smtp_url
from tests.backends.smtp.servers import CaptureServer
from tests.observers import Recorder


def numbered(count: int) -> list[Message]:
    return [Message("79990000001", f"message {n}") for n in range(count)]


def test_a_dropped_connection_and_a_refusal_are_reported() -> None:
    recorder = Recorder()
    with CaptureServer(pipelining=True) as server:
        server.faults.drop_at_mail.add(3)
        server.faults.data_replies.extend([None] * 5 + ["554 5.6.0 no"])
        with create_transport(smtp_url(server.port), observer=recorder) as transport:
            outcomes = list(transport.send_many(numbered(8)))
    assert [o.ok for o in outcomes].count(False) == 1
    assert sorted(recorder.outcomes()) == ["SmtpReplyError"] + [OK] * 7
    refused = next(op for op in recorder.operations if not op.ok)
    assert (refused.error_code, refused.id) == (554, None)
    assert recorder.changes() == [Link.CONNECTED, Link.DROPPED, Link.RECONNECTED]
    for op in recorder.operations:
        assert (op.protocol, op.operation, op.phone) == ("smtp", "send", "*******0001")
        assert 0 <= op.duration < 10 and op.bytes_sent > 100
        assert op.ok == (op.id is not None) and op.ok == (op.bytes_received > 0)


def test_the_async_transport_reports_each_letter(
    smtp_emulator: tuple[Emulator, SmtpFrontEnd],
) -> None:
    _, front = smtp_emulator
    recorder = Recorder()

    async def scenario() -> list[str]:
        url = smtp_url(front.port)
        async with create_async_transport(url, observer=recorder) as transport:
            return [(await transport.send(m)).id for m in numbered(2)]

    ids = asyncio.run(scenario())
    assert [(op.id, op.outcome) for op in recorder.operations] == [(i, OK) for i in ids]
    assert recorder.changes() == [Link.CONNECTED]
