"""The asyncio SMPP transport's connection: a :class:`asyncio.Protocol` per TCP link."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Protocol

from smsc_transports.errors import SMSCError
from smsc_transports.message import Message

__all__ = ["Link", "LinkOwner", "messages_of", "resolve"]


class LinkOwner(Protocol):
    """What a :class:`Link` reports to."""

    def _received(self, link: Link, data: bytes) -> None: ...

    def _lost(self, link: Link, exc: Exception | None) -> None: ...


class Link(asyncio.Protocol):
    """One TCP (or TLS) connection; hands everything to its transport object."""

    def __init__(self, owner: LinkOwner) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.cause: BaseException | None = None
        loop = asyncio.get_running_loop()
        self.bound: asyncio.Future[SMSCError | None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; turn Nagle off, as PDUs are small and answers awaited."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        """Hand the bytes to the owner's session."""
        self.owner._received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the owner the link ended."""
        self.owner._lost(self, exc)

    def abort(self, cause: BaseException) -> None:
        """Drop the connection at once, remembering why."""
        if self.cause is None:
            self.cause = cause
        if self.transport is not None:
            self.transport.abort()

    def close(self, cause: BaseException, timeout: float) -> None:
        """Close once what is written has gone out (an unbind_resp), remembering why.

        Reading stops at once; if the peer does not take the bytes within ``timeout``
        seconds the connection is dropped all the same.
        """
        if self.cause is None:
            self.cause = cause
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.close()
            asyncio.get_running_loop().call_later(timeout, transport.abort)


def resolve(waiter: object) -> None:
    """Wake whoever awaits ``waiter`` (a future), once."""
    if isinstance(waiter, asyncio.Future) and not waiter.done():
        waiter.set_result(None)


async def messages_of(
    messages: Iterable[Message] | AsyncIterable[Message],
) -> AsyncIterator[Message]:
    """Iterate sync or async input the same way."""
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message
