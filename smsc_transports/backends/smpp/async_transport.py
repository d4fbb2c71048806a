"""The asyncio SMPP transport: the same sessions as the threaded one, on Protocols.

It drives ``binds`` sans-I/O sessions to the same SMSC
(:class:`~smsc_transports.wire.smpp.session.binds.Binds`, one by default), each through
a :class:`~.async_link.LinkTask` that connects, binds, reads and reconnects; one ticker
task does keepalive and timeouts for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import datetime
from random import Random
from typing import ClassVar, Self, TypeVar

from smsc_transports.backends.smpp.async_link import LinkTask, messages_of
from smsc_transports.config import Settings
from smsc_transports.errors import ConnectError, ProtocolError, SMSCError, TransportError
from smsc_transports.message import Message
from smsc_transports.observe import Observer
from smsc_transports.results import IncomingMessage, Outcome, SendResult, StatusResult
from smsc_transports.transport import AsyncTransport, Capability
from smsc_transports.wire.smpp.session.binds import Binds, to_start
from smsc_transports.wire.smpp.session.link import CAPABILITIES, TICK, LinkState, SmppSession
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
        random: Random | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.options = options
        self._binds = Binds(options, random=random)
        self._session = self._binds.sessions[0]  # callbacks and counters are shared
        self._session.on_receipt = on_receipt
        self._session.on_incoming = on_incoming
        self._session.on_malformed = on_malformed
        self._tasks = tuple(
            LinkTask(options, self._binds, session, self._progressed, self._after)
            for session in self._binds
        )
        self._ticker: asyncio.Task[None] | None = None
        self._progress: asyncio.Event | None = None
        self._closing = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        if observer is not None:
            self.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport; it connects on first use (or :meth:`connect`)."""
        return cls(SmppOptions.from_settings(settings))

    def __repr__(self) -> str:
        scheme = "smpps" if self.options.tls else "smpp"
        binds = f" binds={self.options.binds}" if self.options.binds > 1 else ""
        return f"<AsyncSmppTransport {scheme}://{self.options.host}:{self.options.port}{binds}>"

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
        ``observer`` (:mod:`smsc_transports.observe`), and let it watch every bind's window."""
        self.observer = observer
        for session in self._binds:  # each bind's window is watched; the loads add up
            session.observer = observer

    def stats(self) -> SmppStats:
        """A snapshot of the transport's counters."""
        return self._session.stats.copy()

    # -- connection ------------------------------------------------------------------

    def _event(self) -> asyncio.Event:
        if self._progress is None:
            self._progress = asyncio.Event()
        return self._progress

    def _progressed(self) -> None:
        self._event().set()

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
        for task in to_start(self._tasks):  # a refused bind only when its turn has come
            task.start()
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="smsc-smpp-ticker")

    async def connect(self) -> None:
        """Connect and bind now; raise the error if no bind succeeds within ``timeout``.

        With several binds it returns once every bind is bound or down for good, and
        raises only when none is bound.
        """
        self._ensure_running()
        deadline = time.monotonic() + self.options.timeout * 2
        binds = self._binds
        while not all(s.state is LinkState.BOUND or s.window.down_error for s in binds):
            if time.monotonic() > deadline:
                break
            await self._wait(TICK)
        if binds.bound():
            return
        error = next((s.window.down_error for s in binds if s.window.down_error), None)
        raise error or ConnectError(f"could not bind to {self.options.host} in time")

    async def _wait(self, timeout: float) -> None:
        event = self._event()
        event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def _after(self) -> None:
        """Write what every bind has, wake whoever waits, and arm the wake-up timers."""
        for task in self._tasks:
            task.after()

    async def _tick(self) -> None:
        while not self._closed:
            await asyncio.sleep(TICK)
            for task in self._tasks:
                task.tick()
            self._event().set()  # lets waiters re-check the link state

    # -- sending ---------------------------------------------------------------------

    async def send(self, message: Message) -> SendResult:
        """Send one message (one submit_sm per phone and part); await its outcome."""
        ticket = Ticket(0, message, self._binds.encoder.encode(message))
        self._ensure_running()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket.waiter = waiter
        session = self._binds.enqueue(ticket)
        self._tasks[self._binds.sessions.index(session)].after()
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
        binds = self._binds
        pipe = Pipeline(binds, self.options.window * len(binds))
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
                            binds.enqueue(ticket)
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
        session = self._binds.for_query()
        query = session.query(*query_target(session, id, phone))
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        query.waiter = waiter
        self._tasks[self._binds.sessions.index(session)].after()
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
        await self._change(lambda session: session.cancel(target, sender, destination))

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
        await self._change(lambda session: session.replace(target, sender, short_message, schedule))

    async def _change(self, ask: Callable[[SmppSession], Query]) -> None:
        await self.connect()
        session = self._binds.for_query()
        query = ask(session)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        query.waiter = waiter
        self._tasks[self._binds.sessions.index(session)].after()
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
        """Wait (bounded by ``close_timeout``) for answers, unbind every bind, stop the tasks."""
        if self._closed:
            return
        binds = self._binds
        deadline = time.monotonic() + self.options.close_timeout
        while (
            any(s.state is LinkState.BOUND and s.window.in_window for s in binds)
            and time.monotonic() < deadline
        ):
            await self._wait(TICK)
        self._closing = True  # from here on a dropped link is not reconnected
        for task in self._tasks:
            task.closing = True
        unbinding = [task.unbind() for task in self._tasks]
        while (
            any(
                u and t.session.state != LinkState.CLOSED
                for t, u in zip(self._tasks, unbinding, strict=True)
            )
            and time.monotonic() < deadline
        ):
            await self._wait(TICK)
        self._closed = True
        for task in self._tasks:
            await task.stop()
        if self._ticker is not None and not self._ticker.done():
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for session in binds:
            session.window.fail_unsent(
                TransportError("the SMPP transport was closed before sending")
            )
            session.link_lost(TransportError("the SMPP transport was closed"))
        binds.finish()  # what was acknowledged reaches the user, even now
        self._after()
        for session in binds:
            session.observer = None  # closed: nothing more to report, no window to watch
