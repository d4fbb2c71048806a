"""A plain capturing SMTP server for the backend tests, independent of the library's parser.

:class:`CaptureServer` is ``aiosmtpd`` on loopback with its own handler: it stores each
envelope's raw bytes exactly as received and can misbehave on purpose (refuse a MAIL
with a scripted reply, drop the connection at a MAIL or right after a message's data,
answer the end of data with a scripted reply). The tests read what it stored with the
standard library's ``email`` package, never with :mod:`smsc_transports.wire.mail.body`.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    """One message as the server got it: envelope, raw DATA bytes, and how it came."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    auth_user: str | None
    connection: int


@dataclass
class Faults:
    """Scripted misbehaviour, consumed in order.

    ``mail_replies``: replies to successive MAIL commands (``None`` = accept).
    ``drop_at_mail``: 1-based MAIL command numbers at which the connection is cut
    without a reply. ``drop_after_data``: 1-based message numbers whose data is stored
    and then the connection cut without a reply. ``data_replies``: replies to
    successive ends of data (``None`` = accept). ``hang_at_mail`` / ``hang_after_data``:
    like the drops, but the server goes silent and keeps the connection open.
    """

    mail_replies: deque[str | None] = field(default_factory=deque)
    drop_at_mail: set[int] = field(default_factory=set)
    drop_after_data: set[int] = field(default_factory=set)
    data_replies: deque[str | None] = field(default_factory=deque)
    hang_at_mail: set[int] = field(default_factory=set)
    hang_after_data: set[int] = field(default_factory=set)


class _StrictSMTP(SMTP):
    """aiosmtpd as it comes: lines longer than RFC 5321's 1000 octets are refused."""

    connection_number = 0


class _LenientSMTP(_StrictSMTP):
    line_length_limit = 200 * 1024


def _cut(server: SMTP) -> None:
    """Drop the connection at once, without a reply (a crash, a reset)."""
    transport = server.transport
    assert isinstance(transport, asyncio.Transport)
    transport.abort()


class _Handler:
    def __init__(self, server: CaptureServer) -> None:
        self.server = server

    async def handle_EHLO(  # aiosmtpd finds hooks by name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.server.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        capture = self.server
        capture.mail_commands += 1
        # A pipelining client has sent RCPT before hearing MAIL's reply (test-only peek).
        waiting = bytes(getattr(server._reader, "_buffer", b""))
        capture.pipelined_mails += b"RCPT TO" in waiting
        if capture.mail_commands in capture.faults.drop_at_mail:
            _cut(server)
            return "250 never seen"
        if capture.mail_commands in capture.faults.hang_at_mail:
            await asyncio.Event().wait()  # silent until the server stops
        reply = capture.faults.mail_replies.popleft() if capture.faults.mail_replies else None
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        capture = self.server
        reply = capture.faults.data_replies.popleft() if capture.faults.data_replies else None
        if reply is not None:
            return reply
        auth = session.auth_data
        capture.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or b""),
                tls=server.transport is not None
                and server.transport.get_extra_info("sslcontext") is not None,
                auth_user=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                connection=getattr(server, "connection_number", 0),
            )
        )
        if len(capture.messages) in capture.faults.drop_after_data:
            _cut(server)
        if len(capture.messages) in capture.faults.hang_after_data:
            await asyncio.Event().wait()
        return "250 2.0.0 Ok: queued"


class CaptureServer:
    """A loopback SMTP server that stores what it receives; use as a context manager.

    ``tls_context`` offers STARTTLS (or TLS from the first byte with ``implicit_tls``);
    ``auth_users`` offers AUTH (required with ``auth_required``; over plain text only
    with ``auth_in_clear``); ``pipelining`` advertises PIPELINING; ``strict`` keeps
    aiosmtpd's 1000-octet line limit.
    """

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        auth_users: dict[str, str] | None = None,
        auth_required: bool = False,
        auth_in_clear: bool = False,
        pipelining: bool = False,
        strict: bool = False,
    ) -> None:
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.auth_users = auth_users or {}
        self.auth_required = auth_required
        self.auth_in_clear = auth_in_clear
        self.pipelining = pipelining
        self.strict = strict
        self.faults = Faults()
        self.messages: list[Received] = []
        self.connections = 0
        self.mail_commands = 0
        self.pipelined_mails = 0
        self.auth_failures = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.auth_users.get(
            data.login.decode()
        ) == data.password.decode("utf-8", "replace")
        self.auth_failures += not ok
        return AuthResult(success=ok, handled=False, auth_data=data)

    def _session(self) -> SMTP:
        self.connections += 1
        cls: type[_StrictSMTP] = _StrictSMTP if self.strict else _LenientSMTP
        starttls = None if self.implicit_tls else self.tls_context
        smtp = cls(
            _Handler(self),
            hostname="capture.test",
            tls_context=starttls,
            auth_required=self.auth_required,
            auth_require_tls=not (self.auth_in_clear or self.implicit_tls),
            authenticator=self._authenticate if self.auth_users else None,
            loop=self._loop,
        )
        smtp.connection_number = self.connections
        self._sessions.append(smtp)
        return smtp

    def __enter__(self) -> Self:
        self._thread.start()
        ssl_context = self.tls_context if self.implicit_tls else None
        opening = self._loop.create_server(self._session, "127.0.0.1", 0, ssl=ssl_context)
        self._server = asyncio.run_coroutine_threadsafe(opening, self._loop).result(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for session in self._sessions:
                if session.transport is not None:
                    session.transport.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
