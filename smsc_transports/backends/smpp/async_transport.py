"""The asyncio SMPP transport: the same session as the threaded one, on a Protocol.

Bytes arrive in :meth:`asyncio.Protocol.data_received` and go straight through the
sans-I/O session; whatever the answers let through is written in the same callback, so
the window refills without a task switch. A runner task connects, binds and reconnects;
a ticker task does keepalive and timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import ClassVar, Self, TypeVar

from smsc_transports.backends.smpp.async_link import Link, messages_of, resolve
from smsc_transports.backends.smpp.tls import client_context
from smsc_transports.config import Settings
from smsc_transports.errors import (
    APIError,
    ConnectError,
    ProtocolError,
    SMSCError,
    TransportError,
    TransportTimeout,
)
from smsc_transports.message import Message
from smsc_transports.observe import Observer, log_fields
from smsc_transports.results import IncomingMessage, Outcome, SendResult, StatusResult
from smsc_transports.transport import AsyncTransport, Capability
from smsc_transports.wire.smpp.session.link import (
    CAPABILITIES,
    TICK,
    LinkState,
    SmppSession,
    reconnect_delay,
)
from smsc_transports.wire.smpp.session.options import OPTION_NAMES, SmppOptions
from smsc_transports.wire.smpp.session.stats import SmppStats
from smsc_transports.wire.smpp.session.status_lookup import (
    answer_status,
    change_target,
    changed,
    query_target,
    replacement,
    status_query,
)
from smsc_transports.wire.smpp.session.tickets import Pipeline, Query, Ticket

__all__ = ["AsyncSmppTransport"]

log = logging.getLogger("smsc_transports.backends.smpp")

E = TypeVar("E", StatusResult, IncomingMessage)


class AsyncSmppTransport(AsyncTransport):
    """SMSC over SMPP 3.4 for asyncio code; the twin of :class:`~.sync_transport.SmppTransport`."""

    protocol: ClassVar[str] = "smpp"
    schemes: ClassVar[tuple[str, ...]] = ("smpp", "smpps")
    capabilities: ClassVar[frozenset[Capability]] = CAPABILITIES
    option_names: ClassVar[frozenset[str] | None] = OPTION_NAMES

    def __init__(
        self,
        options: SmppOptions,
        *,
        on_receipt: Callable[[StatusResult], object] | None = None,
        on_incoming: Callable[[IncomingMessage], object] | None = None,
        on_malformed: Callable[[ProtocolError], object] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.options = options
        self._session = SmppSession(options)
        self._session.on_receipt = on_receipt
        self._session.on_incoming = on_incoming
        self._session.on_malformed = on_malformed
        self._link: Link | None = None
        self._runner: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._progress: asyncio.Event | None = None
        self._wake: asyncio.TimerHandle | None = None
        self._closing = False
        self._closed = False
        self._seen_state = LinkState.CLOSED
        self._loop: asyncio.AbstractEventLoop | None = None
        if observer is not None:
            self.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport; it connects on first use (or :meth:`connect`)."""
        return cls(SmppOptions.from_settings(settings))

    def __repr__(self) -> str:
        scheme = "smpps" if self.options.tls else "smpp"
        return f"<AsyncSmppTransport {scheme}://{self.options.host}:{self.options.port}>"

    @property
    def on_receipt(self) -> Callable[[StatusResult], object] | None:
        """Called with each receipt (a :class:`StatusResult`) on the event loop."""
        return self._session.on_receipt

    @on_receipt.setter
    def on_receipt(self, callback: Callable[[StatusResult], object] | None) -> None:
        self._session.on_receipt = callback

    @property
    def on_incoming(self) -> Callable[[IncomingMessage], object] | None:
        """Called with each incoming message on the event loop."""
        return self._session.on_incoming

    @on_incoming.setter
    def on_incoming(self, callback: Callable[[IncomingMessage], object] | None) -> None:
        self._session.on_incoming = callback

    @property
    def on_malformed(self) -> Callable[[ProtocolError], object] | None:
        """Called on the event loop with each unreadable deliver_sm's ProtocolError.

        Such a deliver_sm is answered ESME_RX_P_APPN and the link goes on (``docs/smpp.md``).
        """
        return self._session.on_malformed

    @on_malformed.setter
    def on_malformed(self, callback: Callable[[ProtocolError], object] | None) -> None:
        self._session.on_malformed = callback

    def observe(self, observer: Observer | None) -> None:
        """Report every message's outcome, receipts, binds, drops and throttling to
        ``observer`` (:mod:`smsc_transports.observe`), and let it watch the window."""
        self.observer = self._session.observer = observer

    def stats(self) -> SmppStats:
        """A snapshot of the transport's counters."""
        return self._session.stats.copy()

    # -- connection ------------------------------------------------------------------

    def _event(self) -> asyncio.Event:
        if self._progress is None:
            self._progress = asyncio.Event()
        return self._progress

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            # Its connection, tasks and futures belong to the first loop; waiting on them
            # from another would hang, so say so instead.
            raise TransportError("an AsyncSmppTransport works on the event loop it started on")
        if self._closed or self._closing:
            raise TransportError("the SMPP transport is closed")
        self._event()
        if self._runner is None or self._runner.done():
            self._session.window.down_error = None
            self._runner = asyncio.create_task(self._run(), name="smsc-smpp-runner")
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="smsc-smpp-ticker")

    async def connect(self) -> None:
        """Connect and bind now; raise the error if that fails within ``timeout``."""
        self._ensure_running()
        deadline = time.monotonic() + self.options.timeout * 2
        while self._session.state != LinkState.BOUND:
            if self._session.window.down_error is not None:
                raise self._session.window.down_error
            if time.monotonic() > deadline:
                raise ConnectError(f"could not bind to {self.options.host} in time")
            await self._wait(TICK)

    async def _wait(self, timeout: float) -> None:
        event = self._event()
        event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def _run(self) -> None:
        failures = 0
        options = self.options
        while not self._closing:
            host, port = options.addresses[failures % len(options.addresses)]
            try:
                link = await self._open(host, port)
            except APIError as exc:
                self._give_up(exc)
                log.error("SMPP bind refused: %s", exc, extra=log_fields("smpp", "bind", error=exc))
                return
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
                await asyncio.sleep(reconnect_delay(options, failures))
                continue
            failures = 0
            self._session.window.down_error = None
            self._after()
            await asyncio.shield(link.closed)

    def _give_up(self, error: SMSCError) -> None:
        self._session.window.down_error = error
        self._session.window.fail_unsent(error)
        self._after()

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
        self._link = link
        link.transport.write(self._session.begin_bind())
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
        if link is not self._link:
            return
        session = self._session
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
            self._after()  # the unbind_resp: the session writes nothing after it
            link.close(ConnectError("the SMSC unbound"), self.options.timeout)
            return
        self._after()

    def _lost(self, link: Link, exc: Exception | None) -> None:
        if not link.bound.done():
            cause = link.cause or ConnectError(f"the connection closed during bind: {exc}")
            link.bound.set_result(
                cause if isinstance(cause, SMSCError) else ConnectError(str(cause))
            )
        if link is self._link:
            self._link = None
            cause = link.cause or ConnectError(f"the SMSC closed the connection: {exc or 'EOF'}")
            self._session.link_lost(cause)
            self._after()
        if not link.closed.done():
            link.closed.set_result(None)

    def _after(self) -> None:
        """Write what the session has, wake whoever waits, and arm the wake-up timer."""
        session = self._session
        link = self._link
        if link is not None and link.transport is not None and not link.transport.is_closing():
            data = session.output()
            if data:
                link.transport.write(data)
        changed = session.state != self._seen_state
        self._seen_state = session.state
        if (
            changed
            or session.window.finished
            or session.answered
            or session.receipts
            or session.incoming
        ):
            for ticket in session.window.finished:
                resolve(ticket.waiter)
            for query in session.answered:
                resolve(query.waiter)
            session.window.finished.clear()
            session.answered.clear()
            self._event().set()
        delay = session.window.wakeup(time.monotonic())
        if delay and link is not None and self._wake is None:
            self._wake = asyncio.get_running_loop().call_later(delay, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self._after()

    async def _tick(self) -> None:
        while not self._closed:
            await asyncio.sleep(TICK)
            reason = self._session.tick()
            if reason is not None and self._link is not None:
                self._link.abort(TransportTimeout(reason))
            self._after()
            self._event().set()  # lets waiters re-check the link state

    # -- sending ---------------------------------------------------------------------

    async def send(self, message: Message) -> SendResult:
        """Send one message (one submit_sm per phone and part); await its outcome."""
        ticket = Ticket(0, message, self._session.window.encoder.encode(message))
        self._ensure_running()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket.waiter = waiter
        self._session.window.enqueue(ticket)
        self._after()
        if ticket.outcome is None:
            await waiter
        assert ticket.outcome is not None
        if isinstance(ticket.outcome, SMSCError):
            raise ticket.outcome
        return ticket.outcome

    async def send_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncGenerator[Outcome, None]:
        """Pipeline every message through the window; one outcome each, in input order."""
        self._ensure_running()
        source = messages_of(messages)
        pipe = Pipeline(self._session.window, self.options.window)
        try:
            while True:
                if pipe.wants_input():
                    fresh = 0
                    for _ in range(pipe.batch()):
                        message = await anext(source, None)
                        if message is None:
                            pipe.exhausted = True
                            break
                        ticket = pipe.add(message)
                        if ticket is not None:
                            self._session.window.enqueue(ticket)
                            fresh += 1
                    if fresh:
                        self._ensure_running()
                        self._after()
                        # Let the loop read answers before the next slice is encoded.
                        await asyncio.sleep(0)
                for outcome in pipe.ready():
                    yield outcome
                if pipe.finished:
                    return
                if pipe.must_wait():
                    await self._wait(TICK)
        finally:
            pipe.abandon()

    # -- receiving -------------------------------------------------------------------

    async def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Return the status of ``id`` to ``phone``: from receipts, else query_sm."""
        known = answer_status(self._session, id, phone)
        if known is not None and (known.status.is_final or not self.options.query_sm):
            return known
        if not self.options.query_sm:
            return status_query(id, phone, None, known)
        await self.connect()
        query = self._session.query(*query_target(self._session, id, phone))
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        query.waiter = waiter
        self._after()
        if query.result is None:
            await waiter
        return status_query(id, phone, query.result, known)

    async def cancel(self, id: str, phone: str) -> None:
        """Stop scheduled message ``id`` to ``phone`` (cancel_sm, SMPP 3.4 §4.9).

        ``id`` is the recipient's ``PhoneResult.id``. A server without cancel_sm answers
        :class:`~smsc_transports.errors.UnsupportedOperation`; a message that has left,
        an :class:`~smsc_transports.errors.APIError` (ESME_RCANCELFAIL).
        """
        target, sender, destination = change_target(self._session, id, phone)
        await self._change(lambda: self._session.cancel(target, sender, destination))

    async def replace(
        self,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: datetime | str | None = None,
    ) -> None:
        """Give scheduled message ``id`` to ``phone`` a new text and/or time (replace_sm).

        The text must fit one SMS, in the original's alphabet (replace_sm has no
        data_coding); errors as :meth:`cancel`.
        """
        short_message, schedule = replacement(self.options, text, send_at)
        target, sender, _ = change_target(self._session, id, phone)
        await self._change(lambda: self._session.replace(target, sender, short_message, schedule))

    async def _change(self, ask: Callable[[], Query]) -> None:
        await self.connect()
        query = ask()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        query.waiter = waiter
        self._after()
        if query.result is None:
            await waiter
        changed(query.result)

    def receipts(self, timeout: float | None = None) -> AsyncIterator[StatusResult]:
        """Yield receipts as they arrive; stop after ``timeout`` seconds without one."""
        return self._events(self._session.receipts, timeout)

    def incoming_stream(self, timeout: float | None = None) -> AsyncIterator[IncomingMessage]:
        """Yield incoming messages as they arrive; stop after ``timeout`` quiet seconds."""
        return self._events(self._session.incoming, timeout)

    async def _events(self, queue: deque[E], timeout: float | None) -> AsyncIterator[E]:
        self._ensure_running()
        while True:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not queue:
                if self._closed:
                    return
                remaining = TICK if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    return
                await self._wait(min(remaining, TICK))
            yield queue.popleft()

    # -- closing ---------------------------------------------------------------------

    async def aclose(self) -> None:
        """Wait (bounded by ``close_timeout``) for answers, unbind, and stop the tasks."""
        if self._closed:
            return
        session = self._session
        deadline = time.monotonic() + self.options.close_timeout
        while (
            session.state == LinkState.BOUND
            and session.window.in_window
            and time.monotonic() < deadline
        ):
            await self._wait(TICK)
        self._closing = True  # from here on a dropped link is not reconnected
        link = self._link
        unbinding = session.state == LinkState.BOUND
        if unbinding and link is not None and link.transport is not None:
            link.transport.write(session.begin_unbind())
            while session.state != LinkState.CLOSED and time.monotonic() < deadline:
                await self._wait(TICK)
        if self._link is not None:
            self._link.abort(TransportError("the SMPP transport was closed"))
        self._closed = True
        for task in (self._runner, self._ticker):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._wake is not None:
            self._wake.cancel()
        session.window.fail_unsent(TransportError("the SMPP transport was closed before sending"))
        session.link_lost(TransportError("the SMPP transport was closed"))
        session.finish()  # what was acknowledged reaches the user, even now
        self._after()
        session.observer = None  # closed: nothing more to report, no window to watch
