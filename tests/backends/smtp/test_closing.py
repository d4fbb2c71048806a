"""Every socket the SMTP backend opens is closed, on every exit, before its loop stops.

A TLS close is a conversation: the client sends ``close_notify`` and waits (asyncio: up
to 30 s) for the server's. A server that refused us and then went quiet never answers,
so a client that only *starts* that close and lets its loop stop (the sync adapter's
private loop, or ``asyncio.run`` ending) leaves the socket open until garbage
collection: a ``ResourceWarning`` and a connection the server sees open.

:class:`QuietTlsPeer` is that server, on real sockets: it speaks just enough SMTP to
refuse (AUTH, or the greeting), or says nothing at all, then reads the raw TCP stream
without ever answering TLS. It records when the client's TCP connection really ends
(end of stream), which a ``close_notify`` alone does not do.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import ssl
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsc_transports import ConnectError, Message, create_async_transport, create_transport
from smsc_transports.backends.smtp.errors import SmtpAuthenticationError, SmtpNotSent
from smsc_transports.errors import SMSCError
from tests.backends.smtp.conftest import run, smtp_url
from tests.faults import Listener


class _Tls:
    """The server side of TLS over a plain socket through memory BIOs, so the raw
    stream stays readable after the TLS conversation is abandoned."""

    def __init__(self, conn: socket.socket, context: ssl.SSLContext) -> None:
        self.conn = conn
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def _flush(self) -> None:
        if data := self.outgoing.read():
            self.conn.sendall(data)

    def _fill(self) -> None:
        data = self.conn.recv(65536)
        if not data:
            raise EOFError
        self.incoming.write(data)

    def handshake(self) -> None:
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
        self._flush()

    def send(self, data: bytes) -> None:
        self.tls.write(data)
        self._flush()

    def recv(self) -> bytes:
        while True:
            try:
                return self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._fill()


class QuietTlsPeer(Listener):
    """An SMTP server over TLS that refuses, then never answers again (see the module doc).

    ``mode``: ``"auth"`` offers STARTTLS (or, with ``implicit``, TLS from the first byte)
    and AUTH, and refuses every AUTH with 535 (a ``close_notify`` ends the talk unanswered);
    ``"serve"`` accepts AUTH and mail, and answers QUIT with 221 and nothing more;
    ``"greeting"`` greets with 554; ``"mute"`` never greets. ``hung_up`` counts the
    connections whose TCP stream the client ended.
    """

    connection_timeout = 10.0

    def __init__(self, context: ssl.SSLContext, *, mode: str, implicit: bool) -> None:
        super().__init__("127.0.0.1", 0)
        self.context = context
        self.mode = mode
        self.implicit = implicit
        self.connections = 0
        self.hung_up = 0

    def serve(self, conn: socket.socket) -> None:
        """Talk until the refusal, then wait for the client to end the TCP stream."""
        self.connections += 1
        with contextlib.suppress(EOFError, ssl.SSLError):
            self._talk(conn)
        self._wait_for_end(conn)

    def _talk(self, conn: socket.socket) -> None:
        io: _Tls | None = None
        if self.implicit:
            io = _Tls(conn, self.context)
            io.handshake()

        def send(data: bytes) -> None:
            (io.send if io is not None else conn.sendall)(data)

        def read_lines() -> Iterator[bytes]:
            buffer = b""
            while True:
                while b"\n" not in buffer:
                    data = io.recv() if io is not None else conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                line, buffer = buffer.split(b"\n", 1)
                yield line.strip().upper()

        if self.mode == "mute":
            return
        if self.mode == "greeting":
            send(b"554 5.3.2 no service here\r\n")
            return
        send(b"220 quiet.test ESMTP\r\n")
        lines = read_lines()
        for line in lines:
            if line.startswith((b"EHLO", b"HELO")):
                last = b"250 STARTTLS" if io is None else b"250 8BITMIME"
                send(b"250-quiet.test\r\n250-AUTH PLAIN LOGIN\r\n" + last + b"\r\n")
            elif line == b"STARTTLS" and io is None:
                conn.sendall(b"220 2.0.0 ready\r\n")
                io = _Tls(conn, self.context)
                io.handshake()
            elif line.startswith(b"AUTH") and self.mode == "auth":
                send(b"535 5.7.8 authentication refused\r\n")  # each mechanism tried
            elif line.startswith(b"AUTH"):
                send(b"235 2.7.0 accepted\r\n")
            elif line.startswith((b"MAIL", b"RCPT")):
                send(b"250 2.1.0 ok\r\n")
            elif line == b"DATA":
                send(b"354 go ahead\r\n")
                while next(lines, b".") != b".":
                    pass
                send(b"250 2.0.0 queued\r\n")
            elif line == b"QUIT":
                send(b"221 2.0.0 bye\r\n")  # and then neither close_notify nor a close
                return
            else:
                send(b"502 5.5.2 not here\r\n")

    def _wait_for_end(self, conn: socket.socket) -> None:
        # Raw bytes only: a close_notify is read and never answered.
        conn.settimeout(0.1)
        while not self._stop.is_set():
            try:
                if not conn.recv(65536):
                    self.hung_up += 1
                    return
            except TimeoutError:
                continue
            except OSError:
                self.hung_up += 1
                return


@contextlib.contextmanager
def no_unclosed_sockets() -> Iterator[None]:
    """Fail if a socket or transport is collected unclosed within the block."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


def hung_up(peer: QuietTlsPeer) -> bool:
    """Whether the client ended every TCP connection it opened (waits up to 2 s)."""
    deadline = time.monotonic() + 2
    while peer.hung_up < peer.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    return peer.connections > 0 and peer.hung_up == peer.connections


def url_for(peer: QuietTlsPeer, ca_file: Path, **options: str) -> str:
    """The SMTP URL for ``peer``: SMTP AUTH as ``gateway`` over TLS, a short timeout."""
    return smtp_url(
        peer.port,
        scheme="smtps" if peer.implicit else "smtp",
        smtp_user="gateway",
        smtp_password="gw-pass",
        ca_file=str(ca_file),
        timeout="1",
        **options,
    )


CASES = [
    pytest.param("auth", False, SmtpAuthenticationError, id="auth-refused-after-starttls"),
    pytest.param("auth", True, SmtpAuthenticationError, id="auth-refused-over-implicit-tls"),
    pytest.param("greeting", True, SmtpNotSent, id="greeting-refused-over-implicit-tls"),
    pytest.param("mute", True, ConnectError, id="no-greeting-over-implicit-tls"),
]


def send_once(face: str, url: str) -> None:
    """Send one message on a new ``face`` ("sync" or "async") transport, then close it."""
    if face == "sync":
        with create_transport(url) as transport:
            transport.send(Message("79990000001", "hi"))
        return

    async def send() -> None:
        transport = create_async_transport(url)
        try:
            await transport.send(Message("79990000001", "hi"))
        finally:
            await transport.aclose()

    run(send())


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize(("mode", "implicit", "error"), CASES)
def test_a_failed_connection_is_closed_before_the_loop_stops(
    server_tls: ssl.SSLContext,
    tls_files: tuple[Path, Path],
    mode: str,
    implicit: bool,
    error: type[SMSCError],
    face: str,
) -> None:
    # The sync transport's private loop thread stops at close(); asyncio.run's loop
    # closes when send() returns.
    with QuietTlsPeer(server_tls, mode=mode, implicit=implicit) as peer:
        with no_unclosed_sockets():
            with pytest.raises(error):
                send_once(face, url_for(peer, tls_files[0]))
            ended = hung_up(peer)
        assert ended


def test_every_failed_host_of_a_failover_is_closed(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with contextlib.ExitStack() as stack:
        peers = [
            stack.enter_context(QuietTlsPeer(server_tls, mode=mode, implicit=True))
            for mode in ("greeting", "mute")
        ]
        backup = f"127.0.0.1:{peers[1].port}"
        with no_unclosed_sockets():
            url = url_for(peers[0], tls_files[0], backup_hosts=backup)
            with create_transport(url) as transport, pytest.raises(ConnectError):
                transport.send(Message("79990000001", "hi"))
            ended = [hung_up(peer) for peer in peers]
        assert ended == [True, True]


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_a_clean_close_that_the_server_never_answers_still_closes_the_socket(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path], implicit: bool
) -> None:
    with QuietTlsPeer(server_tls, mode="serve", implicit=implicit) as peer:
        with no_unclosed_sockets():
            with create_transport(url_for(peer, tls_files[0])) as transport:
                assert transport.send(Message("79990000001", "hi", id="m-1")).id == "m-1"
            ended = hung_up(peer)
        assert ended
