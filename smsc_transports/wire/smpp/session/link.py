"""The SMPP client session, sans-I/O: both the threaded and the asyncio backend drive it.

Rule 1: everything that decides what goes on the wire, and what an answer means, lives
in the session; it never opens a socket, starts a thread or touches an event loop.
Rule 2: the I/O layer drives it through five calls — :meth:`SmppSession.feed` with the
bytes read, :meth:`SmppSession.output` for the bytes to write, :meth:`SmppSession.tick`
at least every :data:`TICK` seconds, :meth:`SmppSession.begin_bind` /
:meth:`SmppSession.begin_unbind` to open and close a bind, and
:meth:`SmppSession.link_lost` when the connection ends — and must serialise them (the
threaded backend holds its state lock, the asyncio one runs them on its loop).

State that lives here: the link's :class:`LinkState` (SMPP 3.4 §2.2), the queue of
control PDUs to write (answers to the server, enquire_link, query_sm), the bind error,
whether the server unbound, the answered queries.

Rule 3: submits are written only while the link is ``BOUND``. The server's unbind takes
the link out of ``BOUND`` in the step that reads it, so the same :meth:`output` writes
the unbind_resp and nothing after it; requests read after that unbind are neither
handled nor answered (the SMSC repeats what was not answered on its next bind), and
the submits not yet written wait for the next bind (or move to another bind of the
transport: :mod:`.binds`). The session owns its collaborators
and is the only one that changes them (the deliveries and the store may be shared with
the other binds of one transport, under the same serialisation): :attr:`~SmppSession.window`
(:class:`~.window.SubmitWindow`: sequence numbers, the window of unanswered PDUs,
throttling, the rate limit, settling messages), :attr:`~SmppSession.deliveries`
(:class:`~.deliveries.Deliveries`: what comes in deliver_sm) and the
:attr:`~SmppSession.store` of accepted messages waiting for receipts.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from smsc_transports.errors import (
    AuthenticationError,
    ConnectError,
    ProtocolError,
    SMSCError,
    UnsupportedOperation,
)
from smsc_transports.observe import (
    Link,
    LinkEvent,
    Load,
    Observer,
    OperationEvent,
    error_fields,
    report,
)
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.transport import Capability
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import smpp_error
from smsc_transports.wire.smpp.pdu import status_text
from smsc_transports.wire.smpp.scheduled import (
    CancelRequest,
    ReplaceRequest,
    encode_cancel_sm,
    encode_replace_sm,
)
from smsc_transports.wire.smpp.session.deliveries import Deliveries
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.tickets import Control, Part, Query, Ticket
from smsc_transports.wire.smpp.session.window import SubmitWindow

__all__ = [
    "CAPABILITIES",
    "TICK",
    "LinkState",
    "SmppSession",
    "bind_retry_delay",
    "reconnect_delay",
]

log = logging.getLogger("smsc_transports.backends.smpp")

TICK: Final = 0.2  # seconds between tick() calls; also bounds every wait of the I/O layer

# What a transport over one SMPP session can do, the sync and the asyncio one alike.
CAPABILITIES: Final = frozenset(
    {
        Capability.SEND,
        Capability.BULK,
        Capability.STATUS,
        Capability.RECEIPTS,
        Capability.CANCEL,
        Capability.REPLACE,
    }
)


# The Transport operation each of our requests about a message serves (for observers).
_OPERATIONS: Final = {"query_sm": "status", "cancel_sm": "cancel", "replace_sm": "replace"}


class LinkState(enum.Enum):
    """Where the link stands (SMPP 3.4 §2.2: open, bound, and the moves between them).

    ``UNBINDING``: either side sent unbind; nothing but answers and the unbind's own
    PDUs is written from then on.
    """

    CLOSED = "closed"
    BINDING = "binding"
    BOUND = "bound"
    UNBINDING = "unbinding"


class SmppSession:
    """One bind's protocol state across reconnects; see the module docstring.

    ``deliveries`` (with its receipt store and counters) is shared when one transport
    owns several binds, and ``unanswered`` then counts the submits unanswered on all of
    them; alone, a session makes its own.
    """

    def __init__(
        self,
        options: SmppOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        deliveries: Deliveries | None = None,
        unanswered: Callable[[], int] | None = None,
    ) -> None:
        self.options = options
        self.clock = clock
        self.wall = wall
        if deliveries is None:
            deliveries = Deliveries.fresh(options, clock=clock, wall=wall)
        # Shared by every bind of a transport (:class:`~.binds.Binds`): a receipt may
        # arrive on any bind, and there is one store, one event queue, one set of counters.
        self.deliveries = deliveries
        self.store = deliveries.store
        self.stats = deliveries.stats
        self.window = SubmitWindow(
            options,
            clock,
            store=self.store,
            stats=self.stats,
            on_accepted=self.deliveries.registered,
        )
        self._state = LinkState.CLOSED
        self._control: list[bytes] = []
        self.bind_error: SMSCError | None = None
        self.peer_unbound = False
        self.answered: list[Query] = []
        self.receipts: deque[StatusResult] = self.deliveries.receipts
        self.incoming: deque[IncomingMessage] = self.deliveries.incoming
        self._splitter = w.FrameSplitter(options.max_pdu)
        self._last_received = 0.0
        self._enquiring = False
        self._seen_state = LinkState.CLOSED  # as :meth:`news` last reported it
        self._was_bound = False  # whether this session has been bound before
        # How many submits are unanswered on every bind sharing ``deliveries``: an early
        # receipt read here may be about a submit written on another bind.
        self._unanswered = unanswered or self._own_unanswered

    def _own_unanswered(self) -> int:
        return self.window.in_window

    @property
    def state(self) -> LinkState:
        """The link's state; submits are written only while it is ``BOUND``."""
        return self._state

    @state.setter
    def state(self, state: LinkState) -> None:
        self._state = state
        self.window.bound = state is LinkState.BOUND

    @property
    def observer(self) -> Observer | None:
        """Hears each message's outcome, each receipt, binds, drops and throttling."""
        return self.window.observer

    @observer.setter
    def observer(self, observer: Observer | None) -> None:
        # The observer reads the window through load() until it is replaced or unset.
        if self.window.observer is not None:
            self.window.observer.unwatch(self.load)
        self.window.observer = self.deliveries.observer = observer
        if observer is not None:
            observer.watch("smpp", self.load)

    def load(self) -> Load:
        """Submits in flight, the window in use and the submits queued (read unlocked)."""
        window = self.window
        return Load(window.in_window, window.allowed, len(window.unsent))

    @property
    def on_receipt(self) -> Callable[[StatusResult], object] | None:
        """Called with each receipt as it is read."""
        return self.deliveries.on_receipt

    @on_receipt.setter
    def on_receipt(self, callback: Callable[[StatusResult], object] | None) -> None:
        self.deliveries.on_receipt = callback

    @property
    def on_incoming(self) -> Callable[[IncomingMessage], object] | None:
        """Called with each incoming message as it is read (joined, if it was split)."""
        return self.deliveries.on_incoming

    @on_incoming.setter
    def on_incoming(self, callback: Callable[[IncomingMessage], object] | None) -> None:
        self.deliveries.on_incoming = callback

    @property
    def on_malformed(self) -> Callable[[ProtocolError], object] | None:
        """Called with a :class:`ProtocolError` for each deliver_sm that cannot be read."""
        return self.deliveries.on_malformed

    @on_malformed.setter
    def on_malformed(self, callback: Callable[[ProtocolError], object] | None) -> None:
        self.deliveries.on_malformed = callback

    # -- link lifecycle ---------------------------------------------------------------

    def begin_bind(self) -> bytes:
        """Start a bind on a fresh connection; return the bind PDU to write."""
        now = self.clock()
        self._splitter = w.FrameSplitter(self.options.max_pdu)
        self.state = LinkState.BINDING
        self.bind_error = None
        self.peer_unbound = False
        self._control = []
        sequence = self.window.register(Control("bind", now))
        request = w.BindRequest(
            w.BIND_COMMANDS[self.options.bind],
            self.options.login,
            self.options.password,
            self.options.system_type,
            0x34,
        )
        return w.encode_bind(sequence, request)

    def begin_unbind(self) -> bytes:
        """Start a graceful unbind (SMPP 3.4 §4.2); return the unbind PDU to write."""
        sequence = self.window.register(Control("unbind", self.clock()))
        self.state = LinkState.UNBINDING
        return w.encode_pdu(w.UNBIND, 0, sequence)

    def link_lost(self, cause: BaseException) -> None:
        """The connection ended: every written, unanswered submit becomes unknown.

        Early receipts go to the user then: the answers they waited for will not come.
        """
        for query in self.window.link_lost(cause):
            query.result = cause if isinstance(cause, SMSCError) else ProtocolError(str(cause))
            self._answered(query)
        self._enquiring = False
        self._control = []
        if self.window.observer is not None and self.state in (
            LinkState.BOUND,
            LinkState.UNBINDING,
        ):
            event = LinkEvent("smpp", Link.DROPPED, error_fields(cause)[0])
            report(self.window.observer.link, event)
        if self.state is LinkState.BINDING and self.bind_error is None:
            self.bind_error = (
                cause if isinstance(cause, SMSCError) else ProtocolError(f"bind failed: {cause}")
            )
        self.state = LinkState.CLOSED
        if not self._unanswered():
            self.deliveries.release()

    def news(self) -> tuple[list[Ticket], list[Query]] | None:
        """What callers wait for that happened since the last call, or ``None`` if nothing.

        Returns the tickets settled and the queries answered (handed over and forgotten
        here, so the I/O layer wakes their waiters once); also returned, perhaps empty,
        when only the link's state changed or events wait in the queues.
        """
        state = self._state
        window = self.window
        if state is self._seen_state and not (
            window.finished or self.answered or self.receipts or self.incoming
        ):
            return None
        self._seen_state = state
        finished, window.finished = window.finished, []
        answered, self.answered = self.answered, []
        return finished, answered

    def finish(self) -> None:
        """The transport closes: hand on every acknowledged event still held.

        Early receipts and the parts of incoming messages not yet whole were answered
        with status 0, so the SMSC will not send them again: they reach the user here.
        """
        self.deliveries.finish()

    # -- sending ----------------------------------------------------------------------

    def query(self, message_id: str, sender: str) -> Query:
        """Queue a query_sm for ``message_id`` (SMPP 3.4 §4.8).

        Unless the link is bound, the query is answered at once with a ConnectError.
        """
        ton, npi = self.window.encoder.source_ton_npi(sender)
        return self._ask(
            Query(message_id),
            lambda sequence: w.encode_query_sm(sequence, message_id, ton, npi, sender),
        )

    def cancel(self, message_id: str, sender: str, destination: str) -> Query:
        """Queue a cancel_sm for ``message_id`` to ``destination`` (SMPP 3.4 §4.9)."""
        ton, npi = self.window.encoder.source_ton_npi(sender)
        submit = self.options.submit
        request = CancelRequest(
            message_id, ton, npi, sender, submit.dest_ton, submit.dest_npi, destination
        )
        return self._ask(
            Query(message_id, "cancel_sm", w.CANCEL_SM_RESP),
            lambda sequence: encode_cancel_sm(sequence, request),
        )

    def replace(self, message_id: str, sender: str, short_message: bytes, schedule: str) -> Query:
        """Queue a replace_sm giving ``message_id`` a new text and/or time (SMPP 3.4 §4.10)."""
        ton, npi = self.window.encoder.source_ton_npi(sender)
        request = ReplaceRequest(
            message_id,
            ton,
            npi,
            sender,
            schedule_delivery_time=schedule,
            registered_delivery=self.options.submit.registered_delivery,
            short_message=short_message,
        )
        return self._ask(
            Query(message_id, "replace_sm", w.REPLACE_SM_RESP),
            lambda sequence: encode_replace_sm(sequence, request),
        )

    def _ask(self, query: Query, encode: Callable[[int], bytes]) -> Query:
        if self.state is not LinkState.BOUND:
            query.result = ConnectError("the SMPP link is not bound")
            self._answered(query)
            return query
        query.written_at = self.clock()
        sequence = self.window.register(query)
        try:
            pdu = encode(sequence)
        except Exception:
            # A field that does not fit SMPP fails here, before anything is written:
            # nothing may then wait for an answer that cannot come.
            del self.window.outstanding[sequence]
            raise
        query.size = len(pdu)
        self._control.append(pdu)
        return query

    def output(self) -> bytes:
        """Return everything to write now: answers and control PDUs, then submits."""
        chunks = self._control
        self._control = []
        self.window.write(chunks)
        return b"".join(chunks)

    def tick(self) -> str | None:
        """Keepalive and timeouts; return why the link must be dropped, if it must."""
        now = self.clock()
        options = self.options
        for item in self.window.outstanding.values():
            if now - item.written_at > options.response_timeout:
                kind = item.kind if isinstance(item, Control | Query) else "submit_sm"
                return f"no answer to {kind} within {options.response_timeout:g} s"
            break
        if self.state is LinkState.BOUND:
            idle = now - self._last_received
            if not self._enquiring and idle >= options.enquire_link_interval:
                sequence = self.window.register(Control("enquire_link", now))
                self._control.append(w.encode_pdu(w.ENQUIRE_LINK, 0, sequence))
                self._enquiring = True
        self.deliveries.tick(now)
        self.store.expire(now)
        return None

    # -- answers ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Process bytes read; raise :class:`ProtocolError` when the stream is hostile."""
        frames = self._splitter.feed(data)
        if not frames:
            return
        now = self.clock()
        self._last_received = now
        window = self.window
        answered = window.answered
        observed = window.observer is not None
        if observed:
            window.settling = []  # the messages this read settles: one batch for the observer
        try:
            for command_id, status, sequence, body in frames:
                if command_id == w.SUBMIT_SM_RESP:
                    answered(sequence, status, body, now)
                elif command_id == w.DELIVER_SM:
                    self._deliver(sequence, body, now)
                elif command_id == w.DATA_SM:
                    # Some SMSCs send receipts (and messages) in data_sm (SMPP 3.4 §4.7).
                    self._deliver(sequence, body, now, data_sm=True)
                else:
                    self._other(command_id, status, sequence, body)
        finally:
            if observed:
                window.report_settled(now)
        if self.deliveries.early and not self._unanswered():
            self.deliveries.release()  # nothing they could belong to is unanswered

    def _other(self, command_id: int, status: int, sequence: int, body: bytes) -> None:
        if self.peer_unbound and not command_id & w.RESPONSE:
            return  # the SMSC has left; it sends again on the next bind what it needs
        if command_id == w.ENQUIRE_LINK:
            self._control.append(w.encode_pdu(w.ENQUIRE_LINK_RESP, 0, sequence))
            return
        if command_id == w.UNBIND:
            # The SMSC is leaving (SMPP 3.4 §4.2): answer, write nothing more, and the
            # I/O layer closes; unwritten submits wait in the window for the next bind.
            self._control.append(w.encode_pdu(w.UNBIND_RESP, 0, sequence))
            self.peer_unbound = True
            if self.state is LinkState.BINDING:
                self.bind_error = ProtocolError("the SMSC unbound during the bind")
            self.state = LinkState.UNBINDING
            return
        if command_id == w.ALERT_NOTIFICATION:
            return  # no response is defined for it (SMPP 3.4 §4.12)
        if not command_id & w.RESPONSE:
            # SMPP 3.4 §4.3: an unknown request gets generic_nack ESME_RINVCMDID.
            self._control.append(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDID, sequence))
            return
        window = self.window
        item = window.outstanding.get(sequence)
        if item is None:
            raise ProtocolError(
                f"response 0x{command_id:08X} (status 0x{status:08X}) to unknown sequence"
                f" {sequence}"
            )
        if isinstance(item, Part) and command_id != w.GENERIC_NACK:
            raise ProtocolError(f"response 0x{command_id:08X} to a submit_sm")
        if isinstance(item, Query) and command_id not in (item.expects, w.GENERIC_NACK):
            raise ProtocolError(f"response 0x{command_id:08X} to a {item.kind}")
        del window.outstanding[sequence]
        if isinstance(item, Part):
            window.in_window -= 1
            window.refused(item, status or w.ESME_RUNKNOWNERR, self.clock())
        elif isinstance(item, Query):
            self._query_answer(item, command_id, status, body)
        else:
            self._control_answer(item, command_id, status, body)

    def _query_answer(self, query: Query, command_id: int, status: int, body: bytes) -> None:
        if query.kind != "query_sm":
            query.result = self._change_answer(query, command_id, status)
        elif status or command_id == w.GENERIC_NACK:
            status = status or w.ESME_RUNKNOWNERR
            query.result = smpp_error(status, operation="status", base=self.options.status_base)
        else:
            try:
                query.result = w.decode_query_sm_resp(body)
            except ProtocolError as exc:
                query.result = exc  # a garbled answer, but the stream is still in step
        self._answered(query, 16 + len(body))

    def _answered(self, query: Query, received: int = 0) -> None:
        """Hand an answered (or failed) query to the I/O layer, and tell the observer."""
        self.answered.append(query)
        observer = self.window.observer
        if observer is not None:
            error = query.result if isinstance(query.result, BaseException) else None
            outcome, code = error_fields(error)
            took = self.clock() - query.written_at if query.written_at else 0.0
            event = OperationEvent(
                "smpp", _OPERATIONS[query.kind], outcome, took, 1, query.size, received, code,
                query.message_id if error is None else None,
            )  # fmt: skip
            report(observer.operation, event)

    def _change_answer(self, query: Query, command_id: int, status: int) -> object:
        """What a cancel_sm/replace_sm answer means: done, unsupported, or an error."""
        if not status and command_id != w.GENERIC_NACK:
            return True
        operation = _OPERATIONS[query.kind]
        if command_id == w.GENERIC_NACK or status == w.ESME_RINVCMDID:
            # The server does not have the operation (SMPP 3.4 §5.1.3).
            return UnsupportedOperation(
                operation, f"this SMPP server (it answered {query.kind} with {status_text(status)})"
            )
        return smpp_error(status, operation=operation, base=self.options.status_base)

    def _control_answer(self, item: Control, command_id: int, status: int, body: bytes) -> None:
        if item.kind == "enquire_link":
            self._enquiring = False  # a generic_nack still proves the link is alive
            return
        if item.kind == "unbind":
            self.state = LinkState.CLOSED
            return
        expected = w.BIND_COMMANDS[self.options.bind] | w.RESPONSE
        if command_id not in (expected, w.GENERIC_NACK):
            raise ProtocolError(f"response 0x{command_id:08X} to a bind")
        if status or command_id == w.GENERIC_NACK:
            status = status or w.ESME_RUNKNOWNERR
            self.bind_error = smpp_error(status, operation="bind", base=self.options.status_base)
            self.state = LinkState.CLOSED
            return
        w.decode_bind_resp(body)
        if self.peer_unbound:
            return  # a bind_resp after the SMSC's own unbind opens nothing
        self.state = LinkState.BOUND
        self.stats.binds += 1  # shared by the binds of a transport: every bind made
        if self.window.observer is not None:
            change = Link.RECONNECTED if self._was_bound else Link.CONNECTED
            report(self.window.observer.link, LinkEvent("smpp", change))
        self._was_bound = True

    # -- deliver_sm -------------------------------------------------------------------

    def _deliver(self, sequence: int, body: bytes, now: float, *, data_sm: bool = False) -> None:
        if self.peer_unbound:
            return  # not answered, so the SMSC delivers it again on the next bind
        status = w.ESME_ROK
        if not self.options.receives or self.state is not LinkState.BOUND:
            status = w.ESME_RINVBNDSTS
        else:
            # A receipt may beat its submit_sm_resp only while submits are unanswered.
            waiting = self._unanswered() > 0
            status = self.deliveries.take(body, now, waiting=waiting, data_sm=data_sm)
        response = w.DATA_SM_RESP if data_sm else w.DELIVER_SM_RESP
        self._control.append(w.encode_pdu(response, status, sequence, b"\0"))


def reconnect_delay(
    options: SmppOptions, failures: int, draw: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before connect attempt number ``failures + 1``.

    The delay doubles from ``reconnect_delay`` up to ``reconnect_max_delay``, and
    ``reconnect_jitter`` takes a random share of it off (``draw`` gives a number in
    [0, 1); seed it for repeatable tests): with jitter ``j`` a delay ``d`` becomes one
    in [d·(1 − j), d], so a fleet of clients (or the binds of one transport) that lost
    the SMSC together does not come back in step. The first reconnect after a working
    link waits at most ``j · reconnect_delay`` (none without jitter).
    """
    jitter = options.reconnect_jitter
    if failures <= 0:
        return options.reconnect_delay * jitter * draw() if jitter else 0.0
    delay = float(min(options.reconnect_max_delay, options.reconnect_delay * 2 ** (failures - 1)))
    return delay * (1 - jitter * draw()) if jitter else delay


def bind_retry_delay(
    options: SmppOptions,
    refusals: int,
    error: SMSCError,
    draw: Callable[[], float] = random.random,
) -> float:
    """Seconds before binding again after the SMSC refused the bind ``refusals`` times in a row.

    The reconnect back-off of :func:`reconnect_delay` (doubling, bounded by
    ``reconnect_max_delay``, jittered), but a refusal of the credentials
    (:class:`AuthenticationError`) waits the longest delay at once: trying a wrong
    password again soon cannot help and looks like an attack to the SMSC.
    """
    if isinstance(error, AuthenticationError):
        refusals = max(refusals, 64)  # 2**63 times any delay is past the maximum
    return reconnect_delay(options, max(refusals, 1), draw)
