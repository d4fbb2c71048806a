"""One SMTP connection and the mail transactions on it, pipelined when the server allows.

aiosmtplib (through :class:`Client`) opens the connection, negotiates TLS (implicit or
STARTTLS), sends EHLO and authenticates; then :class:`MailLink` takes the transport over
with its own reply reader, because aiosmtplib reads one reply per command and so cannot
pipeline.

With ``PIPELINING`` (RFC 2920) a message costs one round trip: ``MAIL``, ``RCPT`` and
``DATA`` go out together, and the next message's three commands follow its content
before the server has answered it. Without it the commands go one at a time.

The rule that keeps sends from doubling: a message whose content was never written may
be sent again on a fresh connection (``resend``); once its content is written, a lost
link or a missing answer is :class:`~smsc_transports.errors.OutcomeUnknown`.

Every close here returns only once the socket is closed. A TLS close only *starts* with
asyncio's ``close()``: it sends ``close_notify`` and waits (up to 30 s) for the server's.
A loop stopped meanwhile (the sync adapter's loop thread, the end of ``asyncio.run``)
leaves the socket open until garbage collection. So a failure drops the connection at
once (:meth:`Client.close`), a clean close gives the server a moment to answer, and both
wait for the socket itself (:func:`socket_closed`).
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import aiosmtplib

from smsc_transports.backends.smtp.errors import reply_error
from smsc_transports.errors import OutcomeUnknown, ProtocolError, SMSCError
from smsc_transports.message import Message

__all__ = [
    "Client",
    "Delivery",
    "Letter",
    "LinkDown",
    "MailLink",
    "Rejected",
    "Reply",
    "socket_closed",
    "wire_data",
]

_MAX_REPLY = 64 * 1024  # no real reply comes near these; they bound a hostile server
_MAX_LINES = 1000
_CLOSE_GRACE = 1.0  # seconds a server has to answer a clean TLS close before it is dropped
_ABORT_WAIT = 1.0  # an abort closes the socket one loop turn later; this only bounds it
_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def wire_data(mail: bytes) -> bytes:
    """Return ``mail`` as DATA carries it: CRLF lines, dots doubled, ``.`` line at the end."""
    data = _LINE_ENDINGS.sub(b"\r\n", mail)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LEADING_DOT.sub(b"..", data) + b".\r\n"


@dataclass(slots=True)
class Letter:
    """One message ready to go: envelope, DATA bytes, and the id and parts it reports."""

    index: int
    message: Message
    id: str
    parts: int
    mail_from: str
    rcpt_to: str
    data: bytes
    resent: bool = False
    started: float = 0.0  # perf_counter when built; set only when the transport is observed


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input message that failed validation; it passes through in order, never sent."""

    index: int
    message: Message
    error: SMSCError


class _Socket(Protocol):
    """What a transport's ``socket`` extra offers: its descriptor, -1 once closed."""

    def fileno(self) -> int: ...


def _socket_of(transport: asyncio.BaseTransport | None) -> _Socket | None:
    if transport is None:
        return None
    try:
        sock: _Socket | None = transport.get_extra_info("socket")
    except AttributeError:  # asyncio's TLS transport, closed twice, lets go of everything
        return None
    return sock


async def socket_closed(sock: _Socket | None, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``sock`` to be closed; return whether it is."""
    deadline = time.monotonic() + seconds
    while sock is not None and sock.fileno() >= 0:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.005)
    return True


class Client(aiosmtplib.SMTP):
    """aiosmtplib's client, except that closing drops the connection at once.

    aiosmtplib closes the connection itself on every failure (a refused greeting, a
    timeout, a failed STARTTLS, a lost link) with asyncio's ``close()`` and forgets
    the transport; over TLS that close waits on the server, and the socket can outlive
    the loop (see the module docstring). Here each close also aborts the transport and
    remembers its socket, and :meth:`closed` waits until every such socket is closed.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._closing: list[_Socket] = []

    def close(self) -> None:
        """Drop the connection now (nothing is half-done that a clean close could save)."""
        transport = self.transport
        sock = _socket_of(transport)
        super().close()
        if transport is not None:
            if sock is not None:
                self._closing.append(sock)
            cast(asyncio.Transport, transport).abort()

    async def closed(self) -> None:
        """Return once every socket this client closed is closed (an abort takes a turn)."""
        while self._closing:
            await socket_closed(self._closing.pop(), _ABORT_WAIT)


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: its code and its text (lines joined by ``\\n``)."""

    code: int
    text: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one item: the final reply, an error, or ``resend`` (never written)."""

    item: Letter | Rejected
    reply: Reply | None = None
    error: SMSCError | None = None
    resend: bool = False


class LinkDown(Exception):
    """The connection closed, or went silent, while a reply was awaited."""


class _ReplyReader(asyncio.Protocol):
    """Collects every reply the server sends, in order, however the bytes arrive."""

    def __init__(self) -> None:
        self.replies: collections.deque[Reply | ProtocolError] = collections.deque()
        self.closed = False
        self._buffer = bytearray()
        self._lines: list[str] = []
        self._waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            if not line[:3].isdigit() or line[3:4] not in (b" ", b"-", b"\r", b"\n"):
                self.replies.append(ProtocolError("the server sent a malformed SMTP reply"))
                continue
            self._lines.append(line[4:].rstrip(b"\r\n").decode("utf-8", "replace"))
            if len(self._lines) > _MAX_LINES:
                self.replies.append(ProtocolError("the server sent an endless reply"))
                self._lines = []
            elif line[3:4] != b"-":
                self.replies.append(Reply(int(line[:3]), "\n".join(self._lines)))
                self._lines = []
        if len(self._buffer) > _MAX_REPLY:
            self.replies.append(ProtocolError("the server sent an over-long reply line"))
            self._buffer.clear()
        self._wake()

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def read(self, timeout: float) -> Reply:
        deadline = time.monotonic() + timeout
        while not self.replies:
            if self.closed:
                raise LinkDown("the server closed the connection")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise LinkDown(f"no answer within {timeout:g} s") from None
        reply = self.replies.popleft()
        if isinstance(reply, ProtocolError):
            raise reply
        return reply


NextItem = Callable[[], Awaitable[Letter | Rejected | None]]


class MailLink:
    """An authenticated SMTP connection sending :class:`Letter` s; see the module docstring."""

    def __init__(
        self, client: Client, *, timeout: float, secrets: Iterable[str | None] = ()
    ) -> None:
        transport = client.transport
        if transport is None:
            raise LinkDown("the connection closed before it was ready")
        self._client = client
        self._transport: asyncio.WriteTransport = transport  # type: ignore[assignment]
        self._reader = _ReplyReader()
        self._socket = _socket_of(transport)
        self._transport.set_protocol(self._reader)
        # A close that landed before the hand-over went to aiosmtplib's protocol.
        self._reader.closed = self._transport.is_closing()
        self.pipelining = client.supports_extension("pipelining")
        self.timeout = timeout
        self.secrets = tuple(secrets)
        self.last_used = time.monotonic()
        self._pending = 0  # replies owed by the server; a link that owes any is not reusable

    @property
    def usable(self) -> bool:
        """Whether the connection is open and in a clean state between transactions."""
        return not self._reader.closed and not self._transport.is_closing() and not self._pending

    def _send(self, *commands: bytes) -> None:
        self._transport.write(b"".join(commands))
        self._pending += len(commands)

    async def _reply(self) -> Reply:
        try:
            reply = await self._reader.read(self.timeout)
        except (LinkDown, ProtocolError):
            self.abort()
            raise
        self._pending -= 1
        self.last_used = time.monotonic()
        return reply

    def _envelope(self, letter: Letter) -> list[bytes]:
        return [
            f"MAIL FROM:<{letter.mail_from}>\r\n".encode("ascii"),
            f"RCPT TO:<{letter.rcpt_to}>\r\n".encode("ascii"),
            b"DATA\r\n",
        ]

    async def _open_data(self, letter: Letter, written: bool) -> Delivery | None:
        """Get the server to ``354`` for ``letter``; return its Delivery if that failed.

        ``written`` says the three commands already went out (pipelined). A temporary
        refusal is retried once here; a lost link asks for a resend elsewhere.
        """
        for attempt in (1, 2):
            try:
                replies = await self._envelope_replies(letter, written and attempt == 1)
                failed = next((r for r in replies if r.code not in (250, 251, 354)), None)
                if failed is None and replies[-1].code == 354:
                    return None
                if failed is None or replies[-1].code == 354 or failed.code == 421:
                    # 354 after a refusal would leave the server waiting for content we
                    # will not send; 421 means it is closing. Start afresh elsewhere.
                    self.abort()
                    return Delivery(letter, resend=True)
                if replies[0].code == 250:
                    await self._reset()  # MAIL was taken: end that transaction first
            except LinkDown:
                return Delivery(letter, resend=True)
            except ProtocolError as exc:
                return Delivery(letter, error=exc)
            if attempt == 1 and 400 <= failed.code < 500:
                continue
            stage = ("MAIL FROM", "RCPT TO", "DATA command")[replies.index(failed)]
            error = reply_error(
                failed.code, failed.text, stage=stage, id=letter.id, secrets=self.secrets
            )
            return Delivery(letter, error=error)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _envelope_replies(self, letter: Letter, written: bool) -> list[Reply]:
        """Send MAIL, RCPT and DATA (all at once when pipelining) and read their replies."""
        commands = self._envelope(letter)
        if self.pipelining:
            if not written:
                self._send(*commands)
            return [await self._reply() for _ in commands]
        replies: list[Reply] = []
        for command in commands:
            self._send(command)
            replies.append(await self._reply())
            if replies[-1].code not in (250, 251):
                break  # without pipelining the later commands are never sent
        return replies

    async def _reset(self) -> None:
        self._send(b"RSET\r\n")
        if (await self._reply()).code != 250:
            self.abort()

    async def deliver(
        self, next_item: NextItem, *, lookahead: bool
    ) -> AsyncGenerator[Delivery, None]:
        """Send items from ``next_item`` until it returns ``None`` or the link fails.

        Yields one :class:`Delivery` per item, in order. With ``lookahead`` (and
        pipelining) the next item is fetched before the current one is answered, so its
        commands share the round trip. A link failure ends the iteration after the
        deliveries it caused (the message in flight unknown, the next one ``resend``).
        """
        item = await next_item()
        written = False
        try:
            while item is not None:
                if isinstance(item, Rejected):
                    yield Delivery(item, error=item.error)
                    item, written = await next_item(), False
                    continue
                if (failure := await self._open_data(item, written)) is not None:
                    yield failure
                    if not self.usable:
                        return
                    item, written = await next_item(), False
                    continue
                self._pending += 1  # the content's reply, owed from here on
                early = lookahead and self.pipelining
                following = await next_item() if early else None
                # The next message's commands ride in the same segment as this content.
                ahead = self._envelope(following) if isinstance(following, Letter) else []
                self._transport.write(b"".join([item.data, *ahead]))
                self._pending += len(ahead)
                try:
                    reply = await self._reply()
                except (LinkDown, ProtocolError) as exc:
                    yield Delivery(item, error=self._unknown(item, exc))
                    if following is not None:
                        yield Delivery(following, resend=True)
                    return
                yield self._settle(item, reply)
                item = following if early else await next_item()
                written = early and isinstance(item, Letter)
        finally:
            if self._pending:
                self.abort()  # abandoned mid-transaction: only closing can cancel a DATA

    def _unknown(self, letter: Letter, exc: Exception) -> OutcomeUnknown:
        return OutcomeUnknown(
            f"message {letter.id} was sent but {exc}; it may have been accepted "
            "(it is not resent: send it again with the same id to let SMSC drop a duplicate)"
        )

    def _settle(self, letter: Letter, reply: Reply) -> Delivery:
        if 200 <= reply.code < 300:
            return Delivery(letter, reply=reply)
        error = reply_error(
            reply.code,
            reply.text,
            stage="message",
            id=letter.id,
            secrets=self.secrets,
            content_sent=True,
        )
        return Delivery(letter, error=error)

    def abort(self) -> None:
        """Drop the connection at once (nothing half-sent can then be completed)."""
        self._transport.abort()
        self._client.close()

    async def close(self) -> None:
        """Say ``QUIT`` when the link is clean, close it, and return once its socket is."""
        if self.usable:
            try:
                self._send(b"QUIT\r\n")
                await asyncio.wait_for(self._reader.read(self.timeout), min(self.timeout, 2.0))
            except (LinkDown, ProtocolError, TimeoutError):
                pass
            # A clean close; over TLS it waits for the server's close_notify, briefly.
            if not self._transport.is_closing():  # a second close() breaks a TLS transport
                self._transport.close()
            await socket_closed(self._socket, min(self.timeout, _CLOSE_GRACE))
        self.abort()  # whatever the server left unfinished is dropped
        await self._client.closed()
        await socket_closed(self._socket, _ABORT_WAIT)
