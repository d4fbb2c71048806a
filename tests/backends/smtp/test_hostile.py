"""The SMTP backend against hostile relays and unsendable settings (issue 11, item 10)."""

from __future__ import annotations

import base64

import pytest

from smsc_transports import ConfigurationError, Message, SMSCError, create_transport
from smsc_transports.backends.smtp.errors import SmtpAuthenticationError
from tests.backends.smtp.conftest import smtp_url
from tests.backends.smtp.echo_relay import EchoingRelay

RELAY_USER = "relay-user"
RELAY_PASSWORD = "dummy-relay-pw!"


def _forms(user: str, password: str) -> list[str]:
    """Every form of the password an AUTH exchange puts on the wire."""
    return [
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
    ]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_an_auth_line_echoed_in_the_refusal_is_masked(mechanism: str) -> None:
    with EchoingRelay(mechanism) as relay:
        url = smtp_url(
            relay.port,
            smtp_user=RELAY_USER,
            smtp_password=RELAY_PASSWORD,
            starttls="0",
            timeout="5",
        )
        with create_transport(url) as transport, pytest.raises(SmtpAuthenticationError) as caught:
            transport.send(Message("79991234567", "hi"))
    sent = "\n".join(relay.lines)
    echoed = [form for form in _forms(RELAY_USER, RELAY_PASSWORD)[1:] if form in sent]
    assert echoed, "the relay saw no encoded password: the test proves nothing"
    error = caught.value
    assert error.code == 535
    for text in (str(error), error.reply, repr(error)):
        for form in _forms(RELAY_USER, RELAY_PASSWORD):
            assert form not in text
    assert "***" in str(error)


@pytest.mark.parametrize("helo", ["host\r\nRSET", "host\nMAIL FROM:<x@y>", "host\rx", "a\x00b"])
def test_a_helo_name_with_a_line_break_is_a_configuration_error_at_once(helo: str) -> None:
    with pytest.raises(ConfigurationError, match="helo_name"):
        create_transport(smtp_url(9, helo_name=helo))


@pytest.mark.parametrize("helo", [" ", "a b", "tab\there"])
def test_a_blank_or_spaced_helo_name_is_a_configuration_error(helo: str) -> None:
    with pytest.raises(ConfigurationError, match="helo_name"):
        create_transport(smtp_url(9, helo_name=helo))


@pytest.mark.parametrize("helo", ["mail.example.com", "[127.0.0.1]", "build_host-7"])
def test_an_ordinary_helo_name_goes_out_as_given(helo: str) -> None:
    with EchoingRelay("LOGIN") as relay:
        with create_transport(smtp_url(relay.port, helo_name=helo, timeout="5")) as transport:
            with pytest.raises(SMSCError):  # the relay refuses MAIL: only EHLO matters here
                transport.send(Message("79991234567", "hi"))
    assert f"EHLO {helo}" in relay.lines
