"""See what a transport does: one :class:`Observer` interface for all four protocols.

Pass an observer in (``create_transport(url, observer=...)``,
``create_async_transport(url, observer=...)`` or a backend's ``observer=`` argument)
and the transport calls it as work finishes, from whatever thread or task finished it:

* :meth:`Observer.operation` once per request to SMSC — one HTTP or SOAP request (an
  HTTP ``send_many`` request may carry many messages: ``messages`` says how many), one
  e-mail, one SMPP message (all its ``submit_sm``), one ``query_sm`` — with its
  outcome (``"ok"`` or the error class name), SMSC's error code, the seconds from
  request to answer and the bytes it moved;
* :meth:`Observer.operation_batch` with the SMPP messages one read of the connection
  settled (up to a window's worth): their counts by outcome and error code, their
  durations and bytes, summed — the per-message facts an observer at tens of thousands
  of messages a second needs, without an event object or a masked phone per message.
  By default it passes each message on to :meth:`Observer.operation` as an
  :class:`OperationEvent` (built only then), so an observer that overrides only
  ``operation`` hears every message as before;
* :meth:`Observer.receipt` for each SMPP delivery receipt: matched to a message sent
  on this transport or not, and the seconds from the submit's acceptance to the receipt;
* :meth:`Observer.link` when a connection is made, made again, lost, or the SMSC
  throttles and the transport backs off;
* :meth:`Observer.watch` once, with a function returning the transport's
  :class:`Load` (in flight, window, queued), for gauges read when they are scraped
  — nothing is computed per message for them.

With no observer a transport pays one ``None`` check per event and reads no clock.
Observer methods must be quick and must not raise (a raising observer is logged and
ignored, never allowed to lose a message); they may be called from several threads
at once. Phones in events are masked (:func:`mask_phone`); events never carry a
password, an API key or a message text.

:class:`Tally` counts events in memory (what ``smsc bulk --live`` prints);
:func:`combine` feeds several observers; :class:`LoggingObserver` writes one log
record per request and per link change with the fields of :func:`log_fields` as
``extra=``, the same structured fields the library's own log records carry, so a JSON
log handler gets them as keys. Prometheus
and OpenTelemetry adapters are optional extras: ``smsc_transports.contrib.prometheus``
and ``smsc_transports.contrib.opentelemetry``.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final, NamedTuple

__all__ = [
    "OK",
    "Link",
    "LinkEvent",
    "Load",
    "LoggingObserver",
    "Observer",
    "OperationBatch",
    "OperationEvent",
    "ReceiptEvent",
    "Stopwatch",
    "Tally",
    "Watched",
    "combine",
    "error_fields",
    "log_fields",
    "mask_phone",
    "report",
]

log = logging.getLogger(__name__)

OK: Final = "ok"  # the outcome of an operation that succeeded
_SHOWN_DIGITS: Final = 4


class Link(enum.StrEnum):
    """What happened to a connection (:attr:`LinkEvent.change`)."""

    CONNECTED = "connected"  # the first connection (SMPP: bound)
    RECONNECTED = "reconnected"  # a connection made again after one was lost or closed
    DROPPED = "dropped"  # a connection lost (``LinkEvent.error`` says why)
    THROTTLED = "throttled"  # the SMSC throttled; the transport pauses ``LinkEvent.pause`` s


class OperationEvent(NamedTuple):
    """One request to SMSC, finished.

    ``outcome`` is :data:`OK` or the class name of the error it ended in
    (``"RateLimited"``, ``"OutcomeUnknown"``, ``"ConnectError"``…; see ``docs/errors.md``);
    ``error_code`` is SMSC's code (:attr:`APIError.code`, the same on every protocol),
    else the SMPP command_status.
    ``duration`` is seconds from writing the request to reading its answer (0 for a
    message refused before it was written). ``messages`` counts the messages the
    request carried; ``id`` is the message id SMSC assigned, and ``phone`` the one
    recipient, masked, when there is exactly one. Events are named tuples: cheap to
    build at tens of thousands a second.
    """

    protocol: str
    operation: str
    outcome: str
    duration: float
    messages: int = 1
    bytes_sent: int = 0
    bytes_received: int = 0
    error_code: int | None = None
    id: str | None = None
    phone: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded."""
        return self.outcome == OK


class OperationBatch:
    """Requests of one protocol and operation that finished together, one message each.

    What :meth:`Observer.operation_batch` receives: an SMPP transport hands over the
    messages one read of its connection settled, instead of one :class:`OperationEvent`
    each. ``outcomes`` counts them by ``(outcome, error_code)`` (the fields of
    :class:`OperationEvent`), ``durations`` holds each one's seconds from request to
    answer (for a histogram), ``bytes_sent``/``bytes_received`` are summed.
    :meth:`events` gives the full per-request events (with ``id`` and the masked
    ``phone``), built only when asked for.
    """

    __slots__ = (
        "_build",
        "_events",
        "bytes_received",
        "bytes_sent",
        "durations",
        "operation",
        "outcomes",
        "protocol",
    )

    def __init__(
        self, protocol: str, operation: str, events: Callable[[], list[OperationEvent]]
    ) -> None:
        self.protocol = protocol
        self.operation = operation
        self.outcomes: dict[tuple[str, int | None], int] = {}
        self.durations: list[float] = []
        self.bytes_sent = 0
        self.bytes_received = 0
        self._build = events
        self._events: list[OperationEvent] | None = None

    def __len__(self) -> int:
        """How many requests (and messages) the batch holds."""
        return len(self.durations)

    def events(self) -> list[OperationEvent]:
        """One :class:`OperationEvent` per request, in the order they finished."""
        if self._events is None:
            self._events = self._build()
        return self._events


class ReceiptEvent(NamedTuple):
    """One delivery receipt read (SMPP).

    ``matched`` says whether it belongs to a message this transport sent and still
    remembers; ``latency`` is seconds from the submit's acceptance to the receipt
    (``None`` when unmatched); ``status`` the :class:`MessageStatus` name it reports.
    """

    protocol: str
    matched: bool
    latency: float | None
    status: str


class LinkEvent(NamedTuple):
    """A connection made, made again or lost, or a throttling back-off (see :class:`Link`)."""

    protocol: str
    change: Link
    error: str | None = None
    pause: float = 0.0


class Load(NamedTuple):
    """How busy a transport is now: requests in flight, the window they may fill
    (SMPP's current window, HTTP's concurrency) and messages queued behind them."""

    in_flight: int
    window: int
    queued: int


class Observer:
    """Hears what transports do; subclass it and override what you need.

    Every method does nothing by default (but :meth:`operation_batch`, which hands each
    request of the batch to :meth:`operation`), so an observer written today keeps
    working when a method is added. See the module docstring for when each is called.
    """

    def operation(self, event: OperationEvent) -> None:
        """A request to SMSC finished."""

    def operation_batch(self, batch: OperationBatch) -> None:
        """Requests finished together (SMPP messages); by default each goes to :meth:`operation`.

        Override it to take the batch's sums at once: an SMPP transport at full speed
        then builds no event per message.
        """
        for event in batch.events():
            report(self.operation, event)

    def receipt(self, event: ReceiptEvent) -> None:
        """A delivery receipt was read."""

    def link(self, event: LinkEvent) -> None:
        """A connection changed, or the transport backs off because SMSC throttles."""

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        """A transport of ``protocol`` opened: ``load()`` reads how busy it is, any time.

        ``load`` is cheap and thread-safe (it reads a few counters without a lock, so
        a value may be a moment old); call it when gauges are read, not per message.
        """

    def unwatch(self, load: Callable[[], Load]) -> None:
        """The transport whose :meth:`watch` gave ``load`` closed."""


def error_fields(error: BaseException | None) -> tuple[str, int | None]:
    """The outcome and error code an operation that ended in ``error`` reports."""
    if error is None:
        return OK, None
    code = getattr(error, "code", None)
    if not isinstance(code, int):
        code = getattr(error, "protocol_status", None)  # an SMPP status with no SMSC code
    return type(error).__name__, code if isinstance(code, int) else None


def mask_phone(phone: str | None) -> str | None:
    """``phone`` with all but its last four digits hidden (``*******4567``)."""
    if not phone:
        return None
    hidden = len(phone) - _SHOWN_DIGITS
    return "*" * hidden + phone[hidden:] if hidden > 0 else phone


def log_fields(
    protocol: str,
    operation: str,
    *,
    id: str | None = None,
    phone: str | None = None,
    error: BaseException | None = None,
) -> dict[str, Any]:
    """The structured fields of a log record, for ``extra=``.

    Keys are prefixed ``smsc_`` so they cannot collide with a ``LogRecord`` attribute:
    ``smsc_protocol``, ``smsc_operation``, ``smsc_id``, ``smsc_phone`` (masked),
    ``smsc_error`` (the error class) and ``smsc_error_code``.
    """
    outcome, code = error_fields(error)
    return {
        "smsc_protocol": protocol,
        "smsc_operation": operation,
        "smsc_id": id,
        "smsc_phone": mask_phone(phone),
        "smsc_error": None if error is None else outcome,
        "smsc_error_code": code,
    }


class Stopwatch:
    """Times one request for an observer; a backend starts one only when observed.

    ``done`` reports the :class:`OperationEvent`; the backend fills the byte counts
    and ``id`` it learns on the way.
    """

    __slots__ = (
        "bytes_received",
        "bytes_sent",
        "id",
        "messages",
        "observer",
        "operation",
        "phone",
        "protocol",
        "started",
        "written",
    )

    def __init__(
        self,
        observer: Observer,
        protocol: str,
        operation: str,
        *,
        messages: int = 1,
        phone: str | None = None,
    ) -> None:
        self.observer = observer
        self.protocol = protocol
        self.operation = operation
        self.messages = messages
        self.phone = mask_phone(phone)
        self.bytes_sent = 0
        self.bytes_received = 0
        self.id: str | None = None
        self.started = time.perf_counter()
        self.written = False  # whether a request has gone out (it may have arrived)

    def done(self, error: BaseException | None = None) -> None:
        """Report the request as finished, successfully or with ``error``."""
        outcome, code = error_fields(error)
        report(
            self.observer.operation,
            OperationEvent(
                self.protocol,
                self.operation,
                outcome,
                time.perf_counter() - self.started,
                self.messages,
                self.bytes_sent,
                self.bytes_received,
                code,
                self.id,
                self.phone,
            ),
        )


def report(method: Callable[[Any], object], event: object) -> None:
    """Call an observer's ``method`` with ``event``; an observer's failure is only logged."""
    try:
        method(event)
    except Exception:  # an observer must never cost a message or a link
        log.exception("the observer failed on %r", event)


class _Fanout(Observer):
    """Several observers heard as one."""

    def __init__(self, observers: Iterable[Observer]) -> None:
        self.observers = tuple(observers)

    def operation(self, event: OperationEvent) -> None:
        for observer in self.observers:
            report(observer.operation, event)

    def operation_batch(self, batch: OperationBatch) -> None:
        for observer in self.observers:
            report(observer.operation_batch, batch)

    def receipt(self, event: ReceiptEvent) -> None:
        for observer in self.observers:
            report(observer.receipt, event)

    def link(self, event: LinkEvent) -> None:
        for observer in self.observers:
            report(observer.link, event)

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        for observer in self.observers:
            observer.watch(protocol, load)

    def unwatch(self, load: Callable[[], Load]) -> None:
        for observer in self.observers:
            observer.unwatch(load)


def combine(*observers: Observer) -> Observer:
    """One observer that passes every event to each of ``observers``, in order."""
    return observers[0] if len(observers) == 1 else _Fanout(observers)


class Watched:
    """The load functions of the open transports an observer watches, summed per protocol.

    What :meth:`Observer.watch` and :meth:`Observer.unwatch` keep, for observers that
    serve gauges (``Tally`` and the Prometheus and OpenTelemetry adapters).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loads: list[tuple[str, Callable[[], Load]]] = []

    def add(self, protocol: str, load: Callable[[], Load]) -> None:
        """Read ``load`` from now on, as one of ``protocol``'s transports."""
        with self._lock:
            self._loads.append((protocol, load))

    def remove(self, load: Callable[[], Load]) -> None:
        """Stop reading ``load`` (its transport closed)."""
        with self._lock:
            self._loads = [(p, f) for p, f in self._loads if f != load]

    def totals(self) -> dict[str, Load]:
        """Every watched transport's load now, summed per protocol."""
        with self._lock:
            loads = list(self._loads)
        totals: dict[str, Load] = {}
        for protocol, read in loads:
            now, seen = read(), totals.get(protocol)
            if seen is not None:
                now = Load(seen[0] + now[0], seen[1] + now[1], seen[2] + now[2])
            totals[protocol] = now
        return totals


class Tally(Observer):
    """Counts events in memory, thread-safely: for summaries, tests and health checks.

    :attr:`operations` counts requests by ``(protocol, operation, outcome)`` and
    :attr:`messages` the messages they carried; ``links`` counts :class:`Link` changes;
    ``receipts`` counts ``(matched, status)``. :meth:`summary` is one line for a
    terminal.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (protocol, operation, outcome) -> [requests, messages]: a list updated in
        # place costs half what two Counter increments do, once per SMPP message.
        self._rows: dict[tuple[str, str, str], list[int]] = {}
        self.links: Counter[Link] = Counter()
        self.receipts: Counter[tuple[bool, str]] = Counter()
        self.error_codes: Counter[int] = Counter()
        self.seconds = 0.0  # summed request durations
        self.slowest = 0.0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.backoff = 0.0  # summed throttling pauses, seconds
        self.receipt_latency = 0.0  # summed over matched receipts
        self.watched = Watched()
        self.started = time.monotonic()

    @property
    def operations(self) -> Counter[tuple[str, str, str]]:
        """Requests by ``(protocol, operation, outcome)`` (a snapshot)."""
        with self._lock:
            return Counter({key: row[0] for key, row in self._rows.items()})

    @property
    def messages(self) -> Counter[tuple[str, str, str]]:
        """Messages carried by ``(protocol, operation, outcome)`` (a snapshot)."""
        with self._lock:
            return Counter({key: row[1] for key, row in self._rows.items()})

    def operation(self, event: OperationEvent) -> None:
        """Count the request."""
        key = (event.protocol, event.operation, event.outcome)
        duration = event.duration
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = [0, 0]
            row[0] += 1
            row[1] += event.messages
            self.seconds += duration
            self.slowest = max(self.slowest, duration)
            self.bytes_sent += event.bytes_sent
            self.bytes_received += event.bytes_received
            if event.error_code is not None:
                self.error_codes[event.error_code] += 1

    def operation_batch(self, batch: OperationBatch) -> None:
        """Count the requests of a batch, all at once."""
        durations = batch.durations
        if not durations:
            return
        protocol, operation, rows = batch.protocol, batch.operation, self._rows
        with self._lock:
            for (outcome, code), n in batch.outcomes.items():
                row = rows.get((protocol, operation, outcome))
                if row is None:
                    row = rows[(protocol, operation, outcome)] = [0, 0]
                row[0] += n
                row[1] += n
                if code is not None:
                    self.error_codes[code] += n
            self.seconds += sum(durations)
            self.slowest = max(self.slowest, *durations)
            self.bytes_sent += batch.bytes_sent
            self.bytes_received += batch.bytes_received

    def receipt(self, event: ReceiptEvent) -> None:
        """Count the receipt."""
        with self._lock:
            self.receipts[(event.matched, event.status)] += 1
            if event.latency is not None:
                self.receipt_latency += event.latency

    def link(self, event: LinkEvent) -> None:
        """Count the connection change."""
        with self._lock:
            self.links[event.change] += 1
            self.backoff += event.pause

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        """Remember how to read the transport's load."""
        self.watched.add(protocol, load)

    def unwatch(self, load: Callable[[], Load]) -> None:
        """Forget a closed transport's load."""
        self.watched.remove(load)

    def load(self) -> Load:
        """The summed load of every watched transport now."""
        loads = list(self.watched.totals().values())
        in_flight = sum(x.in_flight for x in loads)
        return Load(in_flight, sum(x.window for x in loads), sum(x.queued for x in loads))

    def count(self, *, outcome: str | None = None, operation: str | None = None) -> int:
        """Messages counted with ``outcome`` (``"ok"``, an error class) and ``operation``."""
        return sum(
            n
            for (_, op, out), n in self.messages.items()
            if (outcome is None or out == outcome) and (operation is None or op == operation)
        )

    def summary(self) -> str:
        """One line: messages sent per second, errors by class, window and queue."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        load = self.load()
        messages = self.messages
        sent = sum(n for (_, op, out), n in messages.items() if op == "send" and out == OK)
        errors: Counter[str] = Counter()
        for (_, _, outcome), n in messages.items():
            if outcome != OK:
                errors[outcome] += n
        with self._lock:
            reconnects = self.links[Link.RECONNECTED]
            throttled = self.links[Link.THROTTLED]
        shown = ", ".join(f"{name} {n}" for name, n in errors.most_common(3)) or "none"
        return (
            f"sent {sent} ({sent / elapsed:.0f}/s) · errors: {shown} · "
            f"in flight {load.in_flight}/{load.window} · queued {load.queued} · "
            f"reconnects {reconnects} · throttled {throttled}"
        )


class LoggingObserver(Observer):
    """Writes one log record per request and per link change, with structured ``extra=``.

    Requests that succeeded are logged at ``level`` (DEBUG), the rest at WARNING, on
    the logger ``smsc_transports.observe`` unless another is given.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.DEBUG) -> None:
        self.logger = logger or log
        self.level = level

    def operation(self, event: OperationEvent) -> None:
        """Log the request."""
        level = self.level if event.ok else logging.WARNING
        if not self.logger.isEnabledFor(level):
            return
        fields = {
            "smsc_protocol": event.protocol,
            "smsc_operation": event.operation,
            "smsc_id": event.id,
            "smsc_phone": event.phone,
            "smsc_error": None if event.ok else event.outcome,
            "smsc_error_code": event.error_code,
            "smsc_duration": event.duration,
            "smsc_messages": event.messages,
        }
        self.logger.log(
            level,
            "%s %s: %s in %.3f s",
            event.protocol,
            event.operation,
            event.outcome,
            event.duration,
            extra=fields,
        )

    def operation_batch(self, batch: OperationBatch) -> None:
        """Log each request of the batch, building their events only if one is logged."""
        logger = self.logger
        failed = any(outcome != OK for outcome, _ in batch.outcomes)
        if logger.isEnabledFor(self.level) or (failed and logger.isEnabledFor(logging.WARNING)):
            super().operation_batch(batch)

    def link(self, event: LinkEvent) -> None:
        """Log the connection change."""
        level = logging.INFO if event.change is not Link.DROPPED else logging.WARNING
        self.logger.log(
            level,
            "%s link %s",
            event.protocol,
            event.change.value,
            extra={
                "smsc_protocol": event.protocol,
                "smsc_operation": "link",
                "smsc_link": event.change.value,
                "smsc_error": event.error,
            },
        )
