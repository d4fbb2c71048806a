"""The threaded SMPP transport: :class:`SmppTransport`.

It drives ``binds`` sans-I/O sessions to the same SMSC
(:class:`~smsc_transports.wire.smpp.session.binds.Binds`, one by default) and reads each
in a daemon thread (:class:`~.sync_link.ReaderThread`), which also writes whatever the
answers let through, so the windows stay full without waking the caller. Every message
ends in exactly one outcome: accepted, rejected, or
:class:`~smsc_transports.errors.OutcomeUnknown` when the link dropped after it was
written — never resent behind the caller's back, never lost.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime
from random import Random
from typing import ClassVar, Self, TypeVar

from smsc_transports.backends.smpp.sync_link import ReaderThread
from smsc_transports.config import Settings
from smsc_transports.errors import (
    ConnectError,
    ProtocolError,
    SMSCError,
    TransportError,
)
from smsc_transports.message import Message
from smsc_transports.observe import Observer
from smsc_transports.results import IncomingMessage, Outcome, SendResult, StatusResult
from smsc_transports.transport import Capability, Transport
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

__all__ = ["SmppTransport"]

log = logging.getLogger(__name__)

E = TypeVar("E", StatusResult, IncomingMessage)


class SmppTransport(Transport):
    """SMSC over SMPP 3.4 for synchronous code (``smpp://login:password@smpp.smsc.ru``).

    Sends pipeline up to ``window`` submit_sm on each of ``binds`` binds (``send_many``
    gives each message to the least loaded bound one); ``receipts()``/``incoming_stream()``
    iterate what arrives on any bind, ``on_receipt``/``on_incoming`` are called for each
    from a reader thread (keep them quick). Options:
    :class:`~smsc_transports.wire.smpp.session.SmppOptions` and ``docs/smpp.md``.
    """

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
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._links = tuple(
            ReaderThread(options, self._binds, session, self._changed, self._flush_all)
            for session in self._binds
        )
        self._closed = False
        if observer is not None:
            self.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport; it connects on first use (or :meth:`connect`)."""
        return cls(SmppOptions.from_settings(settings))

    def __repr__(self) -> str:
        scheme = "smpps" if self.options.tls else "smpp"
        binds = f" binds={self.options.binds}" if self.options.binds > 1 else ""
        return f"<SmppTransport {scheme}://{self.options.host}:{self.options.port}{binds}>"

    # -- callbacks and counters ------------------------------------------------------

    @property
    def on_receipt(self) -> Callable[[StatusResult], object] | None:
        """Called with each receipt (a :class:`StatusResult`) from the reader thread."""
        return self._session.on_receipt

    @on_receipt.setter
    def on_receipt(self, callback: Callable[[StatusResult], object] | None) -> None:
        with self._lock:
            self._session.on_receipt = callback

    @property
    def on_incoming(self) -> Callable[[IncomingMessage], object] | None:
        """Called with each incoming message from the reader thread."""
        return self._session.on_incoming

    @on_incoming.setter
    def on_incoming(self, callback: Callable[[IncomingMessage], object] | None) -> None:
        with self._lock:
            self._session.on_incoming = callback

    @property
    def on_malformed(self) -> Callable[[ProtocolError], object] | None:
        """Called from the reader thread with each unreadable deliver_sm's ProtocolError.

        Such a deliver_sm is answered ESME_RX_P_APPN and the link goes on (``docs/smpp.md``).
        """
        return self._session.on_malformed

    @on_malformed.setter
    def on_malformed(self, callback: Callable[[ProtocolError], object] | None) -> None:
        with self._lock:
            self._session.on_malformed = callback

    def observe(self, observer: Observer | None) -> None:
        """Report every message's outcome, receipts, binds, drops and throttling to
        ``observer`` (:mod:`smsc_transports.observe`), and let it watch every bind's window."""
        self.observer = observer
        for session in self._binds:  # each bind's window is watched; the loads add up
            session.observer = observer

    def stats(self) -> SmppStats:
        """A snapshot of the transport's counters."""
        with self._lock:
            return self._session.stats.copy()

    # -- connection ------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and bind now; raise the error if no bind succeeds within ``timeout``.

        With several binds it returns once every bind is bound or down for good, and
        raises only when none is bound.
        """
        self._ensure()
        deadline = time.monotonic() + self.options.timeout * 2
        binds = self._binds
        with self._lock:
            while not all(s.state is LinkState.BOUND or s.window.down_error for s in binds):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(remaining, TICK))
            if binds.bound():
                return
            error = next((s.window.down_error for s in binds if s.window.down_error), None)
        raise error or ConnectError(f"could not bind to {self.options.host} in time")

    def _ensure(self) -> None:
        """Start the reader threads :func:`~smsc_transports.wire.smpp.session.binds.to_start`
        names (every one not running, a refused bind only when its turn has come)."""
        if self._closed:
            raise TransportError("the SMPP transport is closed")
        for link in to_start(self._links):
            link.ensure()

    def _flush_all(self) -> None:
        for link in self._links:
            link.flush()

    # -- sending ---------------------------------------------------------------------

    def send(self, message: Message) -> SendResult:
        """Send one message (one submit_sm per phone and part); wait for its outcome."""
        ticket = Ticket(0, message, self._binds.encoder.encode(message))
        self._ensure()
        with self._lock:
            session = self._binds.enqueue(ticket)
        self._links[self._binds.sessions.index(session)].flush()
        with self._lock:
            while ticket.outcome is None:
                self._changed.wait(TICK)
        if isinstance(ticket.outcome, SMSCError):
            raise ticket.outcome
        return ticket.outcome

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Pipeline every message through the window; one outcome each, in input order.

        At most a few windows of messages are held at once, whatever the input's length.
        """
        self._ensure()
        source = iter(messages)
        binds = self._binds
        pipe = Pipeline(binds, self.options.window * len(binds))
        try:
            while True:
                if pipe.wants_input():
                    fresh: list[Ticket] = []
                    batch = pipe.batch()
                    taken = 0
                    for message in itertools.islice(source, batch):
                        taken += 1
                        ticket = pipe.add(message)
                        if ticket is not None:
                            fresh.append(ticket)
                    pipe.exhausted = taken < batch
                    if fresh:
                        self._ensure()
                        with self._lock:
                            for ticket in fresh:
                                binds.enqueue(ticket)
                        self._flush_all()
                yield from pipe.ready()
                if pipe.finished:
                    return
                with self._lock:
                    if pipe.must_wait():
                        self._changed.wait(TICK)
        finally:
            with self._lock:
                pipe.abandon()

    # -- receiving -------------------------------------------------------------------

    def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Return the status of message ``id`` to ``phone``: from receipts, else query_sm."""
        with self._lock:
            known = answer_status(self._session, id, phone)
        if known is not None and (known.status.is_final or not self.options.query_sm):
            return known
        if not self.options.query_sm:
            return status_query(id, phone, None, known)
        self.connect()
        with self._lock:
            session = self._binds.for_query()
            query = session.query(*query_target(session, id, phone))
        self._links[self._binds.sessions.index(session)].flush()
        with self._lock:
            while query.result is None:
                self._changed.wait(TICK)
        return status_query(id, phone, query.result, known)

    def cancel(self, id: str, phone: str) -> None:
        """Stop scheduled message ``id`` to ``phone`` (cancel_sm, SMPP 3.4 §4.9).

        ``id`` is the recipient's ``PhoneResult.id``. A server without cancel_sm answers
        :class:`~smsc_transports.errors.UnsupportedOperation`; a message that has left,
        an :class:`~smsc_transports.errors.APIError` (ESME_RCANCELFAIL).
        """
        with self._lock:
            target, sender, destination = change_target(self._session, id, phone)
        self._change(lambda session: session.cancel(target, sender, destination))

    def replace(
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
        with self._lock:
            target, sender, _ = change_target(self._session, id, phone)
        self._change(lambda session: session.replace(target, sender, short_message, schedule))

    def _change(self, ask: Callable[[SmppSession], Query]) -> None:
        self.connect()
        with self._lock:
            session = self._binds.for_query()
            query = ask(session)
        self._links[self._binds.sessions.index(session)].flush()
        with self._lock:
            while query.result is None:
                self._changed.wait(TICK)
        changed(query.result)

    def receipts(self, timeout: float | None = None) -> Iterator[StatusResult]:
        """Yield receipts as they arrive; stop after ``timeout`` seconds without one."""
        yield from self._events(self._session.receipts, timeout)

    def incoming_stream(self, timeout: float | None = None) -> Iterator[IncomingMessage]:
        """Yield incoming messages as they arrive; stop after ``timeout`` quiet seconds."""
        yield from self._events(self._session.incoming, timeout)

    def _events(self, queue: deque[E], timeout: float | None) -> Iterator[E]:
        self._ensure()
        while True:
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._lock:
                while not queue:
                    if self._closed:
                        return
                    remaining = TICK if deadline is None else deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._changed.wait(min(remaining, TICK))
                event = queue.popleft()
            yield event

    # -- closing ---------------------------------------------------------------------

    def close(self) -> None:
        """Wait (bounded by ``close_timeout``) for answers, unbind every bind, stop the readers."""
        if self._closed:
            return
        deadline = time.monotonic() + self.options.close_timeout
        binds = self._binds
        with self._lock:
            while (
                any(s.state is LinkState.BOUND and s.window.in_window for s in binds)
                and time.monotonic() < deadline
            ):
                self._changed.wait(TICK)
            for link in self._links:
                link.stop()  # from here on a dropped link is not reconnected
            unbinds = [s.begin_unbind() if s.state is LinkState.BOUND else b"" for s in binds]
        for link, unbind in zip(self._links, unbinds, strict=True):
            if unbind:
                link.write_now(unbind)
        with self._lock:
            while (
                any(
                    u and s.state is not LinkState.CLOSED
                    for s, u in zip(binds, unbinds, strict=True)
                )
                and time.monotonic() < deadline
            ):
                self._changed.wait(TICK)
        self._closed = True
        for link in self._links:
            link.shut()
        with self._lock:
            for session in binds:
                session.window.fail_unsent(
                    TransportError("the SMPP transport was closed before sending")
                )
                session.link_lost(TransportError("the SMPP transport was closed"))
            binds.finish()  # what was acknowledged reaches the user, even now
            for session in binds:
                session.observer = None  # closed: nothing more to report, no window to watch
            self._changed.notify_all()
