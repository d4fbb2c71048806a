"""The SMTP backend's TLS and SMTP AUTH: STARTTLS, implicit TLS, certificates, AUTH policy."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from smsc_transports import ConnectError, Message, create_transport
from smsc_transports.backends.smtp.errors import SmtpAuthenticationError
from tests.backends.smtp.conftest import smtp_url
from tests.backends.smtp.servers import CaptureServer

USERS = {"relay-user": "relay-pass"}


def test_starttls_and_auth_are_used_when_smtp_credentials_are_given(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    cert, _ = tls_files
    with CaptureServer(tls_context=server_tls, auth_users=USERS, auth_required=True) as server:
        url = smtp_url(
            server.port, smtp_user="relay-user", smtp_password="relay-pass", ca_file=str(cert)
        )
        with create_transport(url) as transport:
            transport.send(Message("79991234567", "hi"))
    [received] = server.messages
    assert received.tls is True
    assert received.auth_user == "relay-user"


def test_starttls_is_used_when_offered_even_without_auth(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with CaptureServer(tls_context=server_tls) as server:
        with create_transport(smtp_url(server.port, ca_file=str(tls_files[0]))) as transport:
            transport.send(Message("79991234567", "hi"))
        assert server.messages[0].tls is True


def test_auth_refuses_to_go_out_in_clear_unless_starttls_is_turned_off() -> None:
    with CaptureServer(auth_users=USERS, auth_in_clear=True) as server:
        url = smtp_url(server.port, smtp_user="relay-user", smtp_password="relay-pass")
        with create_transport(url) as transport, pytest.raises(ConnectError) as caught:
            transport.send(Message("79991234567", "hi"))
        assert "STARTTLS" in str(caught.value)
        assert server.messages == []
        with create_transport(url + "&starttls=0") as transport:
            transport.send(Message("79991234567", "hi"))
        assert server.messages[0].auth_user == "relay-user"
        assert server.messages[0].tls is False


def test_a_wrong_smtp_auth_password_fails_before_anything_is_sent(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with CaptureServer(tls_context=server_tls, auth_users=USERS, auth_required=True) as server:
        url = smtp_url(
            server.port, smtp_user="relay-user", smtp_password="wrong", ca_file=str(tls_files[0])
        )
        with create_transport(url) as transport, pytest.raises(SmtpAuthenticationError) as caught:
            transport.send(Message("79991234567", "hi"))
        assert caught.value.code == 535
        assert isinstance(caught.value, ConnectError)
        assert "wrong" not in str(caught.value)
        assert server.auth_failures >= 1  # aiosmtplib tries each mechanism offered
        assert server.messages == []


def test_implicit_tls_for_smtps(server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]) -> None:
    with CaptureServer(tls_context=server_tls, implicit_tls=True) as server:
        url = smtp_url(server.port, scheme="smtps", ca_file=str(tls_files[0]))
        with create_transport(url) as transport:
            transport.send(Message("79991234567", "hi"))
        assert server.messages[0].tls is True


def test_an_untrusted_certificate_is_refused_unless_verification_is_off(
    server_tls: ssl.SSLContext,
) -> None:
    with CaptureServer(tls_context=server_tls, implicit_tls=True) as server:
        with (
            create_transport(smtp_url(server.port, scheme="smtps")) as transport,
            pytest.raises(ConnectError) as caught,
        ):
            transport.send(Message("79991234567", "hi"))
        assert "certificate" in str(caught.value).lower()
        assert server.messages == []
        with create_transport(smtp_url(server.port, scheme="smtps", verify="0")) as transport:
            transport.send(Message("79991234567", "hi"))
        assert len(server.messages) == 1


def test_nothing_listening_is_a_connect_error() -> None:
    with CaptureServer() as server:
        port = server.port
    with create_transport(smtp_url(port)) as transport, pytest.raises(ConnectError):
        transport.send(Message("79991234567", "hi"))
