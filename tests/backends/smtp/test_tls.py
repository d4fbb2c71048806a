"""The SMTP backend's TLS and SMTP AUTH: STARTTLS, implicit TLS, certificates, AUTH policy."""

from __future__ import annotations

import socket
import ssl
import threading
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


class _SilentCloser:
    """An implicit-TLS SMTP server that takes one message, answers QUIT, and then never
    answers the TLS close (no close_notify, the socket left open): a peer that makes
    a client's TLS close wait. ``eof`` is set when the client's socket has closed."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.eof = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        raw, _ = self.listener.accept()
        raw.settimeout(10)
        conn = self.context.wrap_socket(raw, server_side=True)
        conn.sendall(b"220 silent ESMTP\r\n")
        data = b""
        replies = {b"EHLO": b"250 silent\r\n", b"MAIL": b"250 ok\r\n", b"RCPT": b"250 ok\r\n"}
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                while b"\r\n" in data:
                    line, data = data.split(b"\r\n", 1)
                    if line == b"DATA":
                        conn.sendall(b"354 go on\r\n")
                        body, _, data = data.partition(b"\r\n.\r\n")
                        while not _:
                            data = body + conn.recv(65536)
                            body, _, data = data.partition(b"\r\n.\r\n")
                        conn.sendall(b"250 queued as 1\r\n")
                    elif line == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        # Silent from now on: read the raw socket until the client is gone.
                        while raw.recv(65536):
                            pass
                        self.eof.set()
                        return
                    else:
                        conn.sendall(replies.get(line[:4].upper(), b"250 ok\r\n"))
        except OSError:
            self.eof.set()
        finally:
            raw.close()

    def close(self) -> None:
        self.listener.close()


def test_close_finishes_even_when_the_server_never_answers_the_tls_close(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    # The TLS close waits for the server's close_notify, which this server never sends:
    # close() must still end the connection, not leave its socket open for the garbage
    # collector to find (an 'unclosed socket' warning) with the server never seeing
    # the end. A guard: this passed before it was written; the warning that prompted
    # it comes from elsewhere.
    server = _SilentCloser(server_tls)
    try:
        url = smtp_url(server.port, scheme="smtps", ca_file=str(tls_files[0]), timeout="3")
        with create_transport(url) as transport:
            transport.send(Message("79991234567", "hi"))
        assert server.eof.wait(5), "the client's socket was still open after close()"
    finally:
        server.close()
