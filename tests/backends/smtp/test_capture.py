"""The SMTP backend against a plain capturing server: what goes on the wire, and faults.

The server stores raw bytes; these tests read them with the standard library's
``email`` package, never with the library's own parser.
"""

from __future__ import annotations

import asyncio
import email
import logging
from email import policy
from email.message import EmailMessage

import pytest

from smsc_transports import (
    AuthenticationError,
    ConnectError,
    Message,
    OutcomeUnknown,
    ProtocolError,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.smtp.errors import SmtpNotSent, SmtpReplyError
from tests.backends.smtp.conftest import PASSWORD, run, smtp_url
from tests.backends.smtp.servers import CaptureServer, Received


def read(received: Received) -> EmailMessage:
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(received: Received) -> str:
    content = read(received).get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_a_send_is_one_mail_to_smscs_mailbox_with_the_documented_body(
    capture: CaptureServer,
) -> None:
    with create_transport(smtp_url(capture.port)) as transport:
        result = transport.send(Message(["79991234567", "79997654321"], "Код: 1234", sender="Shop"))
    [received] = capture.messages
    assert received.mail_from == "api@smsc.ru"
    assert received.rcpt_tos == ["send@send.smsc.ru"]
    assert body_of(received) == (
        f"demo:{PASSWORD}:{result.id}:,:0,0,Shop,0:79991234567,79997654321:Код: 1234\n"
    )
    message = read(received)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "8bit"
    assert message["Date"] is not None
    assert message["Message-ID"] is not None
    assert result.transport == "smtp"
    assert result.parts == 2


def test_the_callers_id_is_used_and_returned(capture: CaptureServer) -> None:
    with create_transport(smtp_url(capture.port)) as transport:
        result = transport.send(Message("79991234567", "x" * 200, id=42))
    assert result.id == "42"
    assert result.parts == 2  # 200 GSM characters are two 153-character parts
    assert f"demo:{PASSWORD}:42:" in body_of(capture.messages[0])


@pytest.mark.parametrize(
    ("options", "expected_start", "rcpt"),
    [
        ({"body_form": "short"}, ":9::0,0,:", "send@send.smsc.ru"),
        ({"region": "kz", "tz": "-3", "test": "1"}, ":9:,-3:0,0,,1:", "send@send.smsc.kz"),
        ({"mail_to": "sms@gw.example", "mail_from": "erp@b.example"}, ":9:,:", "sms@gw.example"),
    ],
)  # fmt: skip
def test_settings_shape_the_body_and_envelope(
    capture: CaptureServer, options: dict[str, str], expected_start: str, rcpt: str
) -> None:
    with create_transport(smtp_url(capture.port, **options)) as transport:
        transport.send(Message("79991234567", "hi", id=9))
    [received] = capture.messages
    assert body_of(received).startswith(f"demo:{PASSWORD}" + expected_start)
    assert received.rcpt_tos == [rcpt]
    assert read(received)["To"] == rcpt


def test_an_api_key_goes_in_the_password_field_after_an_empty_login(
    capture: CaptureServer,
) -> None:
    with create_transport(smtp_url(capture.port, login="", password="KEY-1")) as transport:
        transport.send(Message("79991234567", "hi", id=1))
    assert body_of(capture.messages[0]).startswith(":KEY-1:1:")


@pytest.mark.parametrize(("charset", "encoding"), [("koi8-r", "8bit"), ("windows-1251", "base64")])
def test_charset_and_transfer_encoding_reach_the_wire(
    capture: CaptureServer, charset: str, encoding: str
) -> None:
    url = smtp_url(capture.port, charset=charset, transfer_encoding=encoding)
    with create_transport(url) as transport:
        transport.send(Message("79991234567", "Привет", id=1))
    message = read(capture.messages[0])
    assert message.get_content_charset() == charset
    assert message["Content-Transfer-Encoding"] == encoding
    assert body_of(capture.messages[0]).endswith(":Привет\n")
    if encoding == "8bit":
        assert "Привет".encode(charset) in capture.messages[0].data


def test_lines_starting_with_a_dot_arrive_intact(capture: CaptureServer) -> None:
    text = "first\n.\n..two dots\n.end"
    with create_transport(smtp_url(capture.port)) as transport:
        transport.send(Message("79991234567", text))
    assert body_of(capture.messages[0]).endswith(f":{text}\n")


def test_one_connection_serves_every_send(capture: CaptureServer) -> None:
    with create_transport(smtp_url(capture.port)) as transport:
        for n in range(3):
            transport.send(Message("79991234567", f"message {n}"))
    assert len(capture.messages) == 3
    assert capture.connections == 1


def test_a_connection_found_dead_before_data_is_reopened_and_the_send_repeated(
    capture: CaptureServer,
) -> None:
    capture.faults.drop_at_mail.add(2)
    with create_transport(smtp_url(capture.port)) as transport:
        transport.send(Message("79991234567", "one"))
        transport.send(Message("79991234567", "two"))
    assert [body_of(m).rsplit(":", 1)[1] for m in capture.messages] == ["one\n", "two\n"]
    assert capture.connections == 2


def test_a_temporary_refusal_before_data_is_retried_once(capture: CaptureServer) -> None:
    capture.faults.mail_replies.append("451 4.3.0 try again")
    with create_transport(smtp_url(capture.port)) as transport:
        transport.send(Message("79991234567", "hi"))
    assert capture.mail_commands == 2
    assert len(capture.messages) == 1


def test_a_second_temporary_refusal_fails_as_not_sent(capture: CaptureServer) -> None:
    capture.faults.mail_replies.extend(["451 4.3.0 busy", "452 4.3.1 still busy"])
    with (
        create_transport(smtp_url(capture.port)) as transport,
        pytest.raises(SmtpNotSent) as caught,
    ):
        transport.send(Message("79991234567", "hi"))
    assert isinstance(caught.value, ConnectError)
    assert (caught.value.code, caught.value.stage) == (452, "MAIL FROM")
    assert "still busy" in str(caught.value)
    assert capture.messages == []


def test_a_link_lost_after_the_data_is_outcome_unknown_and_never_resent(
    capture: CaptureServer,
) -> None:
    capture.faults.drop_after_data.add(1)
    with create_transport(smtp_url(capture.port)) as transport:
        with pytest.raises(OutcomeUnknown) as caught:
            transport.send(Message("79991234567", "maybe", id="m-1"))
        transport.send(Message("79991234567", "next"))
    assert "m-1" in str(caught.value)
    assert [body_of(m).rsplit(":", 1)[1] for m in capture.messages] == ["maybe\n", "next\n"]
    assert capture.connections == 2


def test_silence_before_the_data_is_a_resend_on_a_fresh_connection(
    capture: CaptureServer,
) -> None:
    capture.faults.hang_at_mail.add(1)
    with create_transport(smtp_url(capture.port, timeout="2")) as transport:
        transport.send(Message("79991234567", "patient"))
    assert [m.connection for m in capture.messages] == [2]


def test_silence_after_the_data_is_outcome_unknown(capture: CaptureServer) -> None:
    capture.faults.hang_after_data.add(1)
    with create_transport(smtp_url(capture.port, timeout="2")) as transport:
        with pytest.raises(OutcomeUnknown):
            transport.send(Message("79991234567", "maybe"))
        transport.send(Message("79991234567", "next"))
    assert [body_of(m).rsplit(":", 1)[1] for m in capture.messages] == ["maybe\n", "next\n"]


def test_a_connection_idle_past_max_idle_is_replaced(capture: CaptureServer) -> None:
    with create_transport(smtp_url(capture.port, max_idle="0")) as transport:
        transport.send(Message("79991234567", "one"))
        transport.send(Message("79991234567", "two"))
    assert capture.connections == 2


def test_concurrent_sends_take_turns_on_one_connection(capture: CaptureServer) -> None:
    async def send_together() -> list[str]:
        transport = create_async_transport(smtp_url(capture.port))
        try:
            results = await asyncio.gather(
                *(transport.send(Message("79991234567", f"c{n}")) for n in range(10))
            )
        finally:
            await transport.aclose()
        return [r.id for r in results]

    ids = run(send_together())
    assert len(set(ids)) == 10
    assert len(capture.messages) == 10
    assert capture.connections == 1


def test_an_smsc_error_in_a_refusal_becomes_the_api_error(capture: CaptureServer) -> None:
    capture.faults.data_replies.append("550 5.7.1 SMSC error 2: authorise error")
    with (
        create_transport(smtp_url(capture.port)) as transport,
        pytest.raises(AuthenticationError) as caught,
    ):
        transport.send(Message("79991234567", "hi"))
    assert caught.value.protocol_status == 550
    assert caught.value.message == "authorise error"


@pytest.mark.parametrize(
    ("reply", "temporary"), [("554 5.6.0 rejected", False), ("451 4.3.0 later", True)]
)
def test_a_refused_message_keeps_the_reply_and_is_not_resent(
    capture: CaptureServer, reply: str, temporary: bool
) -> None:
    capture.faults.data_replies.append(reply)
    with create_transport(smtp_url(capture.port)) as transport:
        with pytest.raises(SmtpReplyError) as caught:
            transport.send(Message("79991234567", "hi"))
        assert not isinstance(caught.value, SmtpNotSent)
        assert caught.value.code == int(reply[:3])
        assert caught.value.temporary is temporary
        transport.send(Message("79991234567", "after"))
    assert capture.mail_commands == 2


def test_a_multi_line_reply_is_kept_whole_in_the_result(capture: CaptureServer) -> None:
    capture.faults.data_replies.append("250-2.0.0 accepted\r\n250 queued as 7")
    with create_transport(smtp_url(capture.port)) as transport:
        result = transport.send(Message("79991234567", "hi"))
    assert result.raw == "250 2.0.0 accepted\nqueued as 7"


def test_a_reply_that_is_not_smtp_is_a_protocol_error_or_unknown_after_the_data(
    capture: CaptureServer,
) -> None:
    capture.faults.mail_replies.append("hello, I am not an SMTP server")
    capture.faults.data_replies.append("nor am I")
    with create_transport(smtp_url(capture.port)) as transport:
        with pytest.raises(ProtocolError):
            transport.send(Message("79991234567", "refused at MAIL"))
        with pytest.raises(OutcomeUnknown):
            transport.send(Message("79991234567", "answered with garbage"))
        transport.send(Message("79991234567", "fine"))
    assert capture.connections == 3


def test_a_strict_relay_refuses_a_long_8bit_line_and_base64_gets_through() -> None:
    long_text = "Ж" * 600  # 1200 octets of UTF-8 on the body's one line
    with CaptureServer(strict=True) as strict:
        with create_transport(smtp_url(strict.port)) as transport, pytest.raises(SmtpReplyError):
            transport.send(Message("79991234567", long_text))
        with create_transport(smtp_url(strict.port, transfer_encoding="base64")) as transport:
            transport.send(Message("79991234567", long_text))
        assert body_of(strict.messages[0]).endswith(long_text + "\n")


def test_a_message_over_100_kb_is_refused_before_connecting(capture: CaptureServer) -> None:
    phones = [f"7999{n:07d}" for n in range(9000)]
    with create_transport(smtp_url(capture.port)) as transport, pytest.raises(ValidationError):
        transport.send(Message(phones, "hi"))
    assert capture.connections == 0


def test_the_password_never_reaches_logs_or_errors(
    capture: CaptureServer, caplog: pytest.LogCaptureFixture
) -> None:
    capture.faults.data_replies.append(f"550 5.7.1 SMSC error 2: no such user demo:{PASSWORD}")
    caplog.set_level(logging.DEBUG, logger="smsc_transports")
    with create_transport(smtp_url(capture.port)) as transport:
        with pytest.raises(AuthenticationError) as caught:
            transport.send(Message("79991234567", "hi"))
        transport.send(Message("79991234567", "hi"))
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("smsc_transports")]
    assert PASSWORD not in str(caught.value)
    assert any("SMTP letter" in line for line in ours)
    assert not any(PASSWORD in line for line in ours)
    assert PASSWORD not in repr(transport)
