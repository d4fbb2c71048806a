"""The SMPP client session, sans-I/O: both the threaded and the asyncio backend drive it.

It owns everything but the socket. This module is the link: bind and unbind (SMPP 3.4
§4.1, §4.2), dispatch of what arrives, enquire_link keepalive (§4.11) and timeouts;
:class:`~.smpp_window.SubmitWindow` is the sending half (sequence numbers, the window,
throttling, the rate limit, settling messages) and :class:`~.smpp_delivery.Deliveries`
what comes in deliver_sm. The I/O layer calls :meth:`SmppSession.feed` with bytes read,
``output()`` for bytes to write, :meth:`SmppSession.tick` on a timer and
:meth:`SmppSession.link_lost` when the connection ends; it must serialise those calls.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from smsc_transports.backends.smpp_delivery import Deliveries
from smsc_transports.backends.smpp_options import SmppOptions
from smsc_transports.backends.smpp_tickets import Control, Part, Query
from smsc_transports.backends.smpp_window import (
    BINDING,
    BOUND,
    CLOSED,
    UNBINDING,
    SubmitWindow,
)
from smsc_transports.errors import ProtocolError, SMSCError
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import smpp_error

__all__ = [
    "BINDING",
    "BOUND",
    "CLOSED",
    "UNBINDING",
    "SmppSession",
    "reconnect_delay",
]

log = logging.getLogger("smsc_transports.backends.smpp")


class SmppSession(SubmitWindow):
    """One transport's protocol state across reconnects; see the module docstring."""

    def __init__(
        self,
        options: SmppOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(options, clock)
        self.wall = wall
        self.deliveries = Deliveries(options, self.store, self.stats, wall)
        self.state = CLOSED
        self.bind_error: SMSCError | None = None
        self.peer_unbound = False
        self.answered: list[Query] = []
        self.receipts: deque[StatusResult] = self.deliveries.receipts
        self.incoming: deque[IncomingMessage] = self.deliveries.incoming
        self._splitter = w.FrameSplitter(options.max_pdu)
        self._last_received = 0.0
        self._enquiring = False

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

    # -- link lifecycle ---------------------------------------------------------------

    def begin_bind(self) -> bytes:
        """Start a bind on a fresh connection; return the bind PDU to write."""
        now = self.clock()
        self._splitter = w.FrameSplitter(self.options.max_pdu)
        self.state = BINDING
        self.bind_error = None
        self.peer_unbound = False
        self._control = []
        sequence = self._next_sequence()
        self.outstanding[sequence] = Control("bind", now)
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
        sequence = self._next_sequence()
        self.outstanding[sequence] = Control("unbind", self.clock())
        self.state = UNBINDING
        return w.encode_pdu(w.UNBIND, 0, sequence)

    def link_lost(self, cause: BaseException) -> None:
        """The connection ended: every written, unanswered submit becomes unknown."""
        for item in self.outstanding.values():
            if isinstance(item, Part):
                ticket = item.ticket
                ticket.unknown += 1
                ticket.cause = cause
                self.stats.unknown += 1
                self._part_done(ticket)
            elif isinstance(item, Query):
                item.result = cause if isinstance(cause, SMSCError) else ProtocolError(str(cause))
                self.answered.append(item)
        self.outstanding.clear()
        self.in_window = 0
        self._enquiring = False
        self._control = []
        if self.state == BINDING and self.bind_error is None:
            self.bind_error = (
                cause if isinstance(cause, SMSCError) else ProtocolError(f"bind failed: {cause}")
            )
        self.state = CLOSED

    # -- sending ----------------------------------------------------------------------

    def query(self, message_id: str, sender: str) -> Query:
        """Queue a query_sm for ``message_id`` (SMPP 3.4 §4.8)."""
        query = Query(message_id)
        sequence = self._next_sequence()
        query.written_at = self.clock()
        self.outstanding[sequence] = query
        ton, npi = self.encoder.source_ton_npi(sender)
        self._control.append(w.encode_query_sm(sequence, message_id, ton, npi, sender))
        return query

    def tick(self) -> str | None:
        """Keepalive and timeouts; return why the link must be dropped, if it must."""
        now = self.clock()
        options = self.options
        for item in self.outstanding.values():
            if now - item.written_at > options.response_timeout:
                kind = item.kind if isinstance(item, Control) else "submit_sm"
                return f"no answer to {kind} within {options.response_timeout:g} s"
            break
        if self.state == BOUND:
            idle = now - self._last_received
            if not self._enquiring and idle >= options.enquire_link_interval:
                sequence = self._next_sequence()
                self.outstanding[sequence] = Control("enquire_link", now)
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
        outstanding = self.outstanding
        for command_id, status, sequence, body in frames:
            if command_id == w.SUBMIT_SM_RESP:
                # Checked before the part leaves ``outstanding``: on a ProtocolError the
                # link drops and the part must still be there to end as unknown.
                item = outstanding.get(sequence)
                if item.__class__ is not Part:
                    raise ProtocolError(f"submit_sm_resp for unknown sequence {sequence}")
                assert isinstance(item, Part)
                end = body.find(b"\0", 0, 65) if not status else 0
                if end < 0 or (end == 0 and not status):
                    raise ProtocolError("submit_sm_resp accepted without a message_id")
                del outstanding[sequence]
                self.in_window -= 1
                if status:
                    self._refused(item, status, now)
                else:
                    self._accepted(item, body[:end].decode("latin-1"), now)
            elif command_id == w.DELIVER_SM:
                self._deliver(sequence, body, now)
            else:
                self._other(command_id, status, sequence, body)

    def _other(self, command_id: int, status: int, sequence: int, body: bytes) -> None:
        if command_id == w.ENQUIRE_LINK:
            self._control.append(w.encode_pdu(w.ENQUIRE_LINK_RESP, 0, sequence))
            return
        if command_id == w.UNBIND:
            # The SMSC is leaving (SMPP 3.4 §4.2): answer, then the I/O layer closes.
            self._control.append(w.encode_pdu(w.UNBIND_RESP, 0, sequence))
            self.peer_unbound = True
            return
        if command_id == w.ALERT_NOTIFICATION:
            return  # no response is defined for it (SMPP 3.4 §4.12)
        if not command_id & w.RESPONSE:
            # SMPP 3.4 §4.3: an unknown request gets generic_nack ESME_RINVCMDID.
            self._control.append(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDID, sequence))
            return
        item = self.outstanding.get(sequence)
        if item is None:
            raise ProtocolError(
                f"response 0x{command_id:08X} (status 0x{status:08X}) to unknown sequence"
                f" {sequence}"
            )
        if isinstance(item, Part) and command_id != w.GENERIC_NACK:
            raise ProtocolError(f"response 0x{command_id:08X} to a submit_sm")
        if isinstance(item, Query) and command_id not in (w.QUERY_SM_RESP, w.GENERIC_NACK):
            raise ProtocolError(f"response 0x{command_id:08X} to a query_sm")
        del self.outstanding[sequence]
        if isinstance(item, Part):
            self.in_window -= 1
            self._refused(item, status or w.ESME_RUNKNOWNERR, self.clock())
        elif isinstance(item, Query):
            self._query_answer(item, command_id, status, body)
        else:
            self._control_answer(item, command_id, status, body)

    def _query_answer(self, query: Query, command_id: int, status: int, body: bytes) -> None:
        if status or command_id == w.GENERIC_NACK:
            status = status or w.ESME_RUNKNOWNERR
            query.result = smpp_error(status, operation="status", base=self.options.status_base)
        else:
            try:
                query.result = w.decode_query_sm_resp(body)
            except ProtocolError as exc:
                query.result = exc  # a garbled answer, but the stream is still in step
        self.answered.append(query)

    def _control_answer(self, item: Control, command_id: int, status: int, body: bytes) -> None:
        if item.kind == "enquire_link":
            self._enquiring = False  # a generic_nack still proves the link is alive
            return
        if item.kind == "unbind":
            self.state = CLOSED
            return
        expected = w.BIND_COMMANDS[self.options.bind] | w.RESPONSE
        if command_id not in (expected, w.GENERIC_NACK):
            raise ProtocolError(f"response 0x{command_id:08X} to a bind")
        if status or command_id == w.GENERIC_NACK:
            status = status or w.ESME_RUNKNOWNERR
            self.bind_error = smpp_error(status, operation="bind", base=self.options.status_base)
            self.state = CLOSED
            return
        w.decode_bind_resp(body)
        self.state = BOUND
        self.stats.binds += 1

    # -- deliver_sm -------------------------------------------------------------------

    def _deliver(self, sequence: int, body: bytes, now: float) -> None:
        status = w.ESME_ROK
        if not self.options.receives or self.state != BOUND:
            status = w.ESME_RINVBNDSTS
        else:
            # A receipt may beat its submit_sm_resp only while submits are unanswered.
            status = self.deliveries.take(body, now, waiting=self.in_window > 0)
        self._control.append(w.encode_pdu(w.DELIVER_SM_RESP, status, sequence, b"\0"))


def reconnect_delay(options: SmppOptions, failures: int) -> float:
    """Seconds to wait before connect attempt number ``failures + 1``.

    The first reconnect after a working link is immediate; then the delay doubles from
    ``reconnect_delay`` up to ``reconnect_max_delay``.
    """
    if failures <= 0:
        return 0.0
    return float(min(options.reconnect_max_delay, options.reconnect_delay * 2 ** (failures - 1)))
