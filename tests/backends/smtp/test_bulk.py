"""``send_many`` over one SMTP connection: one outcome per message, in order, never doubled."""

from __future__ import annotations

import asyncio
import email
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email import policy

import pytest

from smsc_transports import (
    Message,
    Outcome,
    OutcomeUnknown,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.smtp import AsyncSmtpTransport
from smsc_transports.backends.smtp.errors import SmtpReplyError
from smsc_transports.config import Settings
from tests.backends.smtp.conftest import run, smtp_url
from tests.backends.smtp.servers import CaptureServer, Received


def text_of(received: Received) -> str:
    content = email.message_from_bytes(received.data, policy=policy.default).get_content()
    assert isinstance(content, str)
    return content.rstrip("\r\n").rsplit(":", 1)[1]


def id_of(received: Received) -> str:
    content = email.message_from_bytes(received.data, policy=policy.default).get_content()
    assert isinstance(content, str)
    return content.split(":")[2]


def numbered(count: int) -> list[Message]:
    return [Message("79991234567", f"message {n}") for n in range(count)]


@pytest.mark.parametrize("pipelining", [False, True])
def test_200_messages_give_200_outcomes_in_order_over_one_connection(pipelining: bool) -> None:
    with CaptureServer(pipelining=pipelining) as server:
        with create_transport(smtp_url(server.port)) as transport:
            outcomes = list(transport.send_many(numbered(200)))
        assert [o.index for o in outcomes] == list(range(200))
        assert all(o.ok for o in outcomes)
        assert [text_of(m) for m in server.messages] == [f"message {n}" for n in range(200)]
        assert [id_of(m) for m in server.messages] == [o.unwrap().id for o in outcomes]
        assert server.connections == 1
        assert (server.pipelined_mails > 0) is pipelining


def test_an_async_source_is_sent_without_reading_ahead() -> None:
    async def source() -> AsyncIterator[Message]:
        for message in numbered(20):
            yield message

    async def send(port: int) -> list[Outcome]:
        transport = AsyncSmtpTransport.from_settings(Settings.from_url(smtp_url(port)))
        try:
            return [outcome async for outcome in transport.send_many(source())]
        finally:
            await transport.aclose()

    with CaptureServer(pipelining=True) as server:
        outcomes = run(send(server.port))
        assert [o.index for o in outcomes if o.ok] == list(range(20))
        assert len(server.messages) == 20


def test_a_message_that_cannot_be_sent_keeps_its_place(capture: CaptureServer) -> None:
    messages = numbered(5)
    messages[2] = messages[2].replace(valid=timedelta(hours=1))
    with create_transport(smtp_url(capture.port)) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.ok for o in outcomes] == [True, True, False, True, True]
    assert isinstance(outcomes[2].error, ValidationError)
    assert [text_of(m) for m in capture.messages] == [f"message {n}" for n in (0, 1, 3, 4)]


def test_a_link_lost_mid_stream_makes_one_unknown_and_resends_only_the_unsent() -> None:
    with CaptureServer(pipelining=True) as server:
        server.faults.drop_after_data.add(50)
        with create_transport(smtp_url(server.port)) as transport:
            outcomes = list(transport.send_many(numbered(200)))
        unknown = [o.index for o in outcomes if isinstance(o.error, OutcomeUnknown)]
        assert unknown == [49]
        assert sum(o.ok for o in outcomes) == 199
        # Every message arrived exactly once, the unknown one included, in order.
        assert [text_of(m) for m in server.messages] == [f"message {n}" for n in range(200)]
        assert server.connections == 2


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_link_found_dead_at_mail_is_reopened_and_nothing_doubles(pipelining: bool) -> None:
    with CaptureServer(pipelining=pipelining) as server:
        server.faults.drop_at_mail.update({10, 60})
        with create_transport(smtp_url(server.port)) as transport:
            outcomes = list(transport.send_many(numbered(100)))
        assert all(o.ok for o in outcomes)
        assert [text_of(m) for m in server.messages] == [f"message {n}" for n in range(100)]
        assert server.connections == 3


def test_refusals_in_a_stream_are_that_messages_outcome_only() -> None:
    with CaptureServer(pipelining=True) as server:
        server.faults.mail_replies.extend([None] * 3 + ["451 4.3.0 busy"])
        server.faults.data_replies.extend([None] * 6 + ["554 5.6.0 no"])
        with create_transport(smtp_url(server.port)) as transport:
            outcomes = list(transport.send_many(numbered(10)))
        failed = [(o.index, o.error) for o in outcomes if not o.ok]
        assert len(failed) == 1
        index, error = failed[0]
        assert isinstance(error, SmtpReplyError)
        assert error.code == 554
        assert index == 6
        assert len(server.messages) == 9
        assert server.mail_commands == 11  # ten, and the one refused with 451 once more


def test_stopping_early_leaves_nothing_half_sent() -> None:
    with CaptureServer(pipelining=True) as server:
        with create_transport(smtp_url(server.port)) as transport:
            for outcome in transport.send_many(numbered(50)):
                if outcome.index == 9:
                    break
            transport.send(Message("79991234567", "afterwards"))
        texts = [text_of(m) for m in server.messages]
        assert texts == [f"message {n}" for n in range(10)] + ["afterwards"]


def test_breaking_out_of_an_async_stream_frees_the_transport_for_the_next_send() -> None:
    async def send(port: int) -> None:
        transport = create_async_transport(smtp_url(port))
        try:
            async for outcome in transport.send_many(numbered(50)):
                if outcome.index == 4:
                    break
            await asyncio.wait_for(transport.send(Message("79991234567", "afterwards")), 30)
        finally:
            await transport.aclose()

    with CaptureServer(pipelining=True) as server:
        run(send(server.port))
        texts = [text_of(m) for m in server.messages]
        assert texts == [f"message {n}" for n in range(5)] + ["afterwards"]


def test_ids_are_unique_across_a_stream(capture: CaptureServer) -> None:
    with create_transport(smtp_url(capture.port)) as transport:
        ids = [o.unwrap().id for o in transport.send_many(numbered(50))]
    assert len(set(ids)) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,40}", i) for i in ids)
