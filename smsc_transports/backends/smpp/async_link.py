"""The asyncio SMPP transport's connections: a :class:`LinkTask` per bind, a :class:`Link`
(an :class:`asyncio.Protocol`) per TCP connection.

Bytes arrive in :meth:`Link.data_received` and go straight through the bind's sans-I/O
session; whatever the answers let through is written in the same callback, so the
window refills without a task switch. The :class:`LinkTask` connects, binds and
reconnects with back-off (and jitter); while its link is down, its unwritten submits
move to the transport's other bound binds
(:meth:`~smsc_transports.wire.smpp.session.binds.Binds.rehome`). Everything runs on the
transport's event loop, which serialises every call into the sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Protocol

from smsc_transports.backends.smpp.tls import client_context
from smsc_transports.errors import (
    APIError,
    ConnectError,
    ProtocolError,
    SMSCError,
    TransportError,
    TransportTimeout,
)
from smsc_transports.message import Message
from smsc_transports.observe import log_fields
from smsc_transports.wire.smpp.session.binds import BindRetry, Binds
from smsc_transports.wire.smpp.session.link import (
    LinkState,
    SmppSession,
    reconnect_delay,
)
from smsc_transports.wire.smpp.session.options import SmppOptions

__all__ = ["Link", "LinkOwner", "LinkTask", "messages_of", "resolve"]

log = logging.getLogger("smsc_transports.backends.smpp")


class LinkOwner(Protocol):
    """What a :class:`Link` reports to."""

    def _received(self, link: Link, data: bytes) -> None: ...

    def _lost(self, link: Link, exc: Exception | None) -> None: ...


class Link(asyncio.Protocol):
    """One TCP (or TLS) connection; hands everything to its :class:`LinkTask`."""

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


class LinkTask:
    """Connects, binds, reads and reconnects for one :class:`SmppSession` of ``binds``.

    The asyncio twin of :class:`~.sync_link.ReaderThread`. ``on_progress`` is called
    whenever a message is settled, a query answered, an event queued or the link's
    state changes; ``on_moved`` after this link's unwritten submits moved to other binds.
    """

    def __init__(
        self,
        options: SmppOptions,
        binds: Binds,
        session: SmppSession,
        on_progress: Callable[[], object],
        on_moved: Callable[[], object],
    ) -> None:
        self.options = options
        self.binds = binds
        self.session = session
        self.on_progress = on_progress
        self.on_moved = on_moved
        self.link: Link | None = None
        self.runner: asyncio.Task[None] | None = None
        self.closing = False
        # When a refused bind tries again; its ``refused`` is set when the SMSC refused
        # the bind and no other bind was up: the task ended, and the transport's next
        # operation starts it again (_ensure_running).
        self.retry = BindRetry(options, binds.random.random)
        self._wake: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        """Whether the task that connects and reconnects runs."""
        return self.runner is not None and not self.runner.done()

    def start(self) -> None:
        """Start the task unless it runs (it connects and binds by itself)."""
        if self.running:
            return
        self.session.window.down_error = None
        self.retry.refused = None
        self.runner = asyncio.create_task(self._run(), name="smsc-smpp-runner")

    async def _run(self) -> None:
        failures = 0
        options = self.options
        draw = self.binds.random.random
        while not self.closing:
            host, port = options.addresses[failures % len(options.addresses)]
            try:
                link = await self._open(host, port)
            except APIError as exc:
                # The SMSC refused the bind. With another bind up this one tries again
                # after the back-off; with none, the caller hears the refusal now.
                delay = self.retry.refusal(exc)
                if not self.binds.others_bound(self.session):
                    self.retry.refused = exc
                    self._give_up(exc)
                    log.error(
                        "SMPP bind refused: %s", exc, extra=log_fields("smpp", "bind", error=exc)
                    )
                    return
                self._give_up(exc)
                log.warning(
                    "SMPP bind refused, trying again in %.1f s: %s",
                    delay,
                    exc,
                    extra=log_fields("smpp", "bind", error=exc),
                )
                await asyncio.sleep(delay)
                continue
            except (OSError, TransportError, TimeoutError) as exc:
                failures += 1
                log.warning(
                    "SMPP connect to %s failed (%d): %s",
                    host,
                    failures,
                    exc,
                    extra=log_fields("smpp", "connect", error=exc),
                )
                if failures >= options.reconnect_attempts:
                    error = exc if isinstance(exc, SMSCError) else ConnectError(str(exc))
                    self._give_up(error)
                elif self.binds.rehome(self.session):
                    self.on_moved()
                await asyncio.sleep(reconnect_delay(options, failures, draw))
                continue
            failures = 0
            self.retry.bound()
            self.session.window.down_error = None
            self.after()
            await asyncio.shield(link.closed)
            await asyncio.sleep(reconnect_delay(options, 0, draw))

    def _give_up(self, error: SMSCError) -> None:
        self.binds.give_up(self.session, error)
        self.after()
        self.on_moved()

    async def _open(self, host: str, port: int) -> Link:
        options = self.options
        loop = asyncio.get_running_loop()
        context = client_context(options)
        try:
            _, link = await asyncio.wait_for(
                loop.create_connection(
                    lambda: Link(self),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                ),
                options.timeout,
            )
        except TimeoutError as exc:
            raise ConnectError(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        assert link.transport is not None
        self.link = link
        link.transport.write(self.session.begin_bind())
        try:
            # The future holds the bind's own outcome: by the time this task runs again
            # the session may have sent, answered and even unbound.
            error = await asyncio.wait_for(asyncio.shield(link.bound), options.timeout)
        except TimeoutError:
            link.abort(TransportTimeout(f"no bind response from {host} in time"))
            raise TransportTimeout(f"no bind response from {host} in time") from None
        if error is not None:
            link.abort(error)
            raise error
        log.info(
            "SMPP bound to %s:%d as %s",
            host,
            port,
            options.bind,
            extra=log_fields("smpp", "bind"),
        )
        return link

    def _received(self, link: Link, data: bytes) -> None:
        if link is not self.link:
            return
        session = self.session
        try:
            session.feed(data)
        except ProtocolError as exc:
            log.warning(
                "SMPP protocol violation, dropping the link: %s",
                exc,
                extra=log_fields("smpp", "read", error=exc),
            )
            link.abort(exc)
            return
        except Exception as exc:  # a bug must cost the link, never the event loop
            log.exception("unexpected failure reading SMPP")
            link.abort(ProtocolError(f"unexpected failure reading SMPP: {exc!r}"))
            return
        if session.state != LinkState.BINDING and not link.bound.done():
            # No bind error: accepted, even if the SMSC unbinds in the same read.
            link.bound.set_result(session.bind_error)
        if session.peer_unbound:
            self.after()  # the unbind_resp: the session writes nothing after it
            link.close(ConnectError("the SMSC unbound"), self.options.timeout)
            return
        self.after()

    def _lost(self, link: Link, exc: Exception | None) -> None:
        if not link.bound.done():
            cause = link.cause or ConnectError(f"the connection closed during bind: {exc}")
            link.bound.set_result(
                cause if isinstance(cause, SMSCError) else ConnectError(str(cause))
            )
        if link is self.link:
            self.link = None
            cause = link.cause or ConnectError(f"the SMSC closed the connection: {exc or 'EOF'}")
            self.session.link_lost(cause)
            moved = self.binds.rehome(self.session)
            self.after()
            if moved:
                self.on_moved()
        if not link.closed.done():
            link.closed.set_result(None)

    def after(self) -> None:
        """Write what the session has, wake whoever waits, and arm the wake-up timer."""
        session = self.session
        link = self.link
        if link is not None and link.transport is not None and not link.transport.is_closing():
            data = session.output()
            if data:
                link.transport.write(data)
        news = session.news()
        if news is not None:
            finished, answered = news
            for ticket in finished:
                resolve(ticket.waiter)
            for query in answered:
                resolve(query.waiter)
            self.on_progress()
        delay = session.window.wakeup(time.monotonic())
        if delay and link is not None and self._wake is None:
            self._wake = asyncio.get_running_loop().call_later(delay, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self.after()

    def tick(self) -> None:
        """Keepalive and timeouts (the transport's ticker calls it every TICK)."""
        reason = self.session.tick()
        if reason is not None and self.link is not None:
            self.link.abort(TransportTimeout(reason))
        self.after()

    def unbind(self) -> bool:
        """Write an unbind if the link is bound; return whether one was written."""
        link = self.link
        if self.session.state != LinkState.BOUND or link is None or link.transport is None:
            return False
        link.transport.write(self.session.begin_unbind())
        return True

    async def stop(self) -> None:
        """Drop the link, end the task and the wake-up timer (the transport closes)."""
        self.closing = True
        if self.link is not None:
            self.link.abort(TransportError("the SMPP transport was closed"))
        if self.runner is not None and not self.runner.done():
            self.runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.runner
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None


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
