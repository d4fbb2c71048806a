"""The emulator's SMTP front end: SMSC's e-mail-to-SMS gateway on ``aiosmtpd``.

A mail to ``send@<any domain>`` is read with the library's own parser
(:func:`smsc_transports.wire.mail.mime.parse_mail`), authenticated against the accounts and
sent through the shared state, so an SMTP-sent message answers ``status`` over HTTP
under its id. The reply says what happened:

* ``250 2.0.0 Ok: id <id>, <parts> parts`` — accepted;
* ``550 5.6.0 SMSC error 1: <what is wrong with the body>`` — unreadable body;
* ``550 5.7.1 SMSC error N: <SMSC's text>`` — SMSC refused it (2 wrong login or
  password, 3 no money, 6/7/8 with the message id, 9 duplicate …);
* ``550 5.1.1`` — a recipient other than ``send@…``.

SMSC's real server is not known to answer errors in the SMTP reply ([U]); this format
is the emulator's, and the SMTP backend reads SMSC's code out of it.

It serves on its own event loop in a daemon thread. With ``tls_context`` it offers
STARTTLS (or, with ``implicit_tls``, speaks TLS from the first byte); with
``auth_users`` it offers SMTP AUTH (PLAIN, LOGIN), required when ``auth_required``.
It advertises ``PIPELINING`` and accepts lines as long as SMSC's 100 KB limit, as the
official libraries send the whole body as one 8-bit line.

Rule: like every front end it may import ``emulator/state``, ``smsc_transports.wire``
(here ``wire/mail``) and the core modules, and never another front end,
``smsc_transports.backends`` or ``smsc_transports.cli``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl
import threading
import warnings
import weakref
from collections.abc import Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smsc_transports.emulator.state.records import SendRequest
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import APIError, ValidationError
from smsc_transports.message import MessageKind
from smsc_transports.wire.mail.body import MAX_MAIL_BYTES, MailBody
from smsc_transports.wire.mail.mime import parse_mail
from smsc_transports.wire.mail.replies import smsc_reply

__all__ = ["SmtpFrontEnd", "send_request"]

log = logging.getLogger(__name__)

_CLOSE_GRACE = 0.5  # seconds an open session has to close cleanly when the front end stops


class _SmscSMTP(SMTP):
    # SMSC's libraries put the whole body on one line; SMSC's server takes that.
    line_length_limit = MAX_MAIL_BYTES + 1024


def send_request(body: MailBody) -> SendRequest:
    """Return the state's :class:`SendRequest` for a parsed body (error 1 if impossible)."""
    try:
        kind = MessageKind(body.format)
        tz = float(body.tz) if body.tz else None
    except ValueError:
        raise ValidationError(f"format {body.format} is not an SMSC format") from None
    return SendRequest(
        phones=body.phones,
        text=body.text,
        sender=body.sender or None,
        id=body.id or None,
        kind=kind,
        time=body.time or None,
        tz=tz,
        translit=body.translit,
        pairs=body.pairs,
    )


class _Handler:
    """aiosmtpd's hooks: recipients, PIPELINING, and each message into the state."""

    def __init__(self, front: SmtpFrontEnd) -> None:
        self.front = front

    async def handle_EHLO(  # noqa: N802  # aiosmtpd looks hooks up by these names
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.rpartition("@")[0].lower() != "send":
            return "550 5.1.1 SMSC reads mail sent to send@ its domain only"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        return self.front.accept(bytes(envelope.original_content or b""), peer)


class SmtpFrontEnd:
    """SMSC's e-mail gateway on ``host``:``port`` (0 = a free port) over ``state``.

    ``tls_context`` (a server context with a certificate) enables STARTTLS, or TLS from
    the start with ``implicit_tls``. ``auth_users`` maps SMTP AUTH user names to
    passwords (not SMSC accounts); ``auth_required`` refuses mail without AUTH.
    ``accepted`` counts accepted messages and ``connections`` the connections made.
    """

    name = "smtp"

    def __init__(
        self,
        state: EmulatorState,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
        *,
        implicit_tls: bool = False,
        auth_users: Mapping[str, str] | None = None,
        auth_required: bool = False,
        require_starttls: bool = False,
        idle_timeout: float = 300.0,
    ) -> None:
        if implicit_tls and tls_context is None:
            raise ValueError("implicit_tls needs a tls_context")
        if auth_required and not auth_users:
            raise ValueError("auth_required needs auth_users")
        self.state = state
        self.host = host
        self.requested_port = port
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.auth_users = dict(auth_users or {})
        self.auth_required = auth_required
        self.require_starttls = require_starttls
        self.idle_timeout = idle_timeout
        self.accepted = 0
        self.connections = 0
        self._handler = _Handler(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    @property
    def port(self) -> int:
        """The port listened on (valid once started)."""
        if self._server is None:
            raise RuntimeError("the SMTP front end is not running")
        return int(self._server.sockets[0].getsockname()[1])

    # Accepting mail --------------------------------------------------------------------

    def accept(self, data: bytes, ip: str | None) -> str:
        """Send the message in ``data`` through the state; return the SMTP reply line."""
        try:
            body = parse_mail(data)
            request = send_request(body)
        except ValidationError as exc:
            return smsc_reply(1, str(exc))
        try:
            login = body.login or None
            account = self.state.authenticate(login, body.password, ip=ip)
            with self.state.request_slot(account.login):
                outcome = self.state.send(account, request)
        except APIError as exc:
            return smsc_reply(exc.code, exc.message, id=exc.id)
        self.accepted += 1
        return f"250 2.0.0 Ok: id {outcome.id}, {outcome.parts} parts"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = data.login.decode("utf-8", "replace")
        expected = self.auth_users.get(user)
        ok = expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), bytes(data.password)
        )
        return AuthResult(success=ok, handled=False)

    # Serving ---------------------------------------------------------------------------

    def _session(self) -> SMTP:
        starttls = self.tls_context if not self.implicit_tls else None
        with warnings.catch_warnings():
            # AUTH without TLS is what a loopback emulator without a certificate offers.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            smtp = self._smtp(starttls)
        self.connections += 1
        self._sessions.add(smtp)
        return smtp

    def _smtp(self, starttls: ssl.SSLContext | None) -> SMTP:
        return _SmscSMTP(
            self._handler,
            data_size_limit=MAX_MAIL_BYTES,
            hostname="smsc-emulator",
            ident="SMSC emulator",
            tls_context=starttls,
            require_starttls=self.require_starttls and starttls is not None,
            timeout=self.idle_timeout,
            auth_required=self.auth_required,
            # AUTH in clear only where the operator gave no certificate at all.
            auth_require_tls=starttls is not None,
            authenticator=self._authenticate if self.auth_users else None,
            loop=self._loop,
        )

    def start(self) -> None:
        """Bind and serve on a private loop thread (returns once listening)."""
        if self._server is not None:
            return
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=loop.run_forever, name="smsc-emulator-smtp", daemon=True
        )
        self._thread.start()
        ssl_context = self.tls_context if self.implicit_tls else None
        opening = loop.create_server(self._session, self.host, self.requested_port, ssl=ssl_context)
        try:
            self._server = asyncio.run_coroutine_threadsafe(opening, loop).result(timeout=10)
        except BaseException:
            self._stop_loop()
            raise

    def stop(self) -> None:
        """Close the listener and every open session; safe to call twice."""
        server, loop = self._server, self._loop
        if server is None or loop is None:
            return
        self._server = None

        async def close() -> None:
            server.close()
            sessions = [s for s in list(self._sessions) if s.transport is not None]
            for session in sessions:
                if session.transport is not None:
                    session.transport.close()
            # A TLS close waits for the client's close_notify, which a silent client
            # never sends; the loop must not stop with a close under way (its socket
            # would stay open, unseen, until the garbage collector found it). So give
            # the closes a moment, drop what is left, and let the drops run.
            waited = 0.0
            while waited < _CLOSE_GRACE and any(s.transport is not None for s in sessions):
                await asyncio.sleep(0.01)
                waited += 0.01
            for session in sessions:
                if isinstance(session.transport, asyncio.Transport):
                    session.transport.abort()
            await asyncio.sleep(0)
            await server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        if thread is None or not thread.is_alive():
            loop.close()
        self._loop = self._thread = None
        self._sessions.clear()

    def __enter__(self) -> SmtpFrontEnd:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
