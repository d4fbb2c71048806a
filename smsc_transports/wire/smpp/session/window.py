"""The sending half of the SMPP session: sequence numbers and the window of unanswered PDUs.

It numbers every request the session writes (:meth:`SubmitWindow.register` for the
link's own PDUs), writes queued submits while the window, a throttling pause and the
rate limit allow, and settles each message once all its submits are answered. Throttling
(ESME_RTHROTTLED / ESME_RMSGQFUL: refused unread, SMPP 3.4 §5.1.3) puts the submit
back at the head of the queue, pauses with a doubling delay and halves the window,
which then grows back by one per window of accepted answers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final

from smsc_transports.errors import (
    OutcomeUnknown,
    ProtocolError,
    RateLimited,
    SMSCError,
    UnsupportedOperation,
    stops_sending,
)
from smsc_transports.observe import (
    OK,
    Link,
    LinkEvent,
    Observer,
    OperationBatch,
    OperationEvent,
    error_fields,
    mask_phone,
    report,
)
from smsc_transports.results import PhoneResult, SendResult
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import THROTTLING, smpp_error
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.receipt_store import ReceiptStore, Track
from smsc_transports.wire.smpp.session.stats import SmppStats
from smsc_transports.wire.smpp.session.tickets import Control, Part, Query, Ticket, settle
from smsc_transports.wire.smpp.submit import SubmitEncoder

__all__ = ["SubmitWindow"]

_new = tuple.__new__

_MAX_THROTTLE_PAUSE: Final = 5.0


class SubmitWindow:
    """Sequence numbers, the submit queue, the window, throttling and settlement.

    Owned by :class:`~.link.SmppSession`, which opens it (``bound``) while the link is
    bound and hands it every answer to a submit_sm. ``on_accepted`` hears each message id
    the SMSC assigns (the session's deliveries release early receipts with it).
    """

    def __init__(
        self,
        options: SmppOptions,
        clock: Callable[[], float] = time.monotonic,
        *,
        store: ReceiptStore,
        stats: SmppStats,
        on_accepted: Callable[[str], object] = lambda message_id: None,
    ) -> None:
        self.options = options
        self.clock = clock
        self.encoder = SubmitEncoder(options.submit)
        self.store = store
        self.stats = stats
        self.on_accepted = on_accepted
        # Set by a running send_many: told each refusal every later message would get too.
        self.on_fatal: Callable[[SMSCError], object] | None = None
        # Set by the session when the transport is observed; None costs one check.
        self.observer: Observer | None = None
        # While the session reads a batch of answers (observed): the tickets it settles,
        # told to the observer as one OperationBatch by report_settled().
        self.settling: list[Ticket] | None = None
        self.bound = False
        self.down_error: SMSCError | None = None
        self.unsent: deque[Part] = deque()
        self.outstanding: dict[int, Part | Query | Control] = {}
        self.in_window = 0
        self.finished: list[Ticket] = []
        self._sequence = 0
        self._pause_until = 0.0
        self._throttled_in_row = 0
        # The window in use: halved when the SMSC throttles, grown back by one per
        # window of accepted answers (additive increase, multiplicative decrease).
        self.allowed = options.window
        self._credit = 0
        self._tokens = 1.0
        self._tokens_at = 0.0
        # Under a rate limit, submits go out in batches of about a hundredth of a
        # second's worth: one submit per write would cost a wake-up, a TCP segment and
        # an answer read each (four times the CPU per message at 500/s).
        self._batch = max(1, int(options.rate / 100))

    def _next_sequence(self) -> int:
        sequence = self._sequence + 1 if self._sequence < w.MAX_SEQUENCE else 1
        while sequence in self.outstanding:  # only after 2**31 PDUs with one stuck
            sequence = sequence + 1 if sequence < w.MAX_SEQUENCE else 1
        self._sequence = sequence
        return sequence

    def register(self, request: Query | Control) -> int:
        """Number one of the link's own requests; it waits in ``outstanding`` for its answer."""
        sequence = self._next_sequence()
        self.outstanding[sequence] = request
        return sequence

    def enqueue(self, ticket: Ticket) -> None:
        """Queue a ticket's submits behind those already waiting.

        While the link is down for good (``down_error`` set by the I/O layer after its
        reconnect attempts failed) the ticket fails at once instead of waiting. A
        message whose ``Message.id`` another one still holds to one of its phones is
        refused here, before anything is written (:meth:`ReceiptStore.claim`).
        """
        if ticket.message.id is not None:
            taken = self.store.claim(str(ticket.message.id), ticket.encoded.phones, ticket)
            if taken is not None:
                ticket.outcome = taken  # decided now: nobody waits for it to be woken
                return
        if len(ticket.ids) > 1:
            ticket.tracks = [None] * len(ticket.encoded.phones)
        refusal = self.down_error
        if not self.options.transmits:
            refusal = UnsupportedOperation("send", "smpp with bind=rx", ("smpp with bind=trx",))
        if refusal is not None:
            for part in ticket.parts():
                self._reject(part, refusal)
            return
        if ticket.remaining == 1:
            self.unsent.append(Part(ticket, 0, ticket.encoded.bodies[0][0]))
        else:
            self.unsent.extend(ticket.parts())

    def release(self, ticket: Ticket) -> None:
        """Free the caller's id an abandoned ticket holds (see :meth:`ReceiptStore.claim`)."""
        if ticket.message.id is not None:
            self.store.release(str(ticket.message.id), ticket.encoded.phones, ticket)

    def withdraw(self, ticket: Ticket) -> int:
        """Take a ticket's unwritten parts back out of the queue; return how many."""
        kept = deque(p for p in self.unsent if p.ticket is not ticket)
        removed = len(self.unsent) - len(kept)
        self.unsent = kept
        return removed

    def fail_unsent(self, error: SMSCError) -> None:
        """End every part not yet written with ``error`` (it never left this process)."""
        while self.unsent:
            part = self.unsent.popleft()
            self._reject(part, error)

    def room(self, now: float) -> int:
        """How many submits may be written now (window, pause and rate allowing)."""
        if not self.bound or now < self._pause_until:
            return 0
        room = self.allowed - self.in_window
        rate = self.options.rate
        if rate and room > 0:
            self._tokens = min(max(1.0, rate / 10), self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            tokens = int(self._tokens + 1e-9)  # 4.999… tokens after exactly 10 ms are 5
            room = min(room, tokens if tokens >= self._wanted(room) else 0)
        return room

    def _wanted(self, room: int) -> int:
        """The fewest submits worth a write under the rate limit."""
        return min(self._batch, room, len(self.unsent)) or 1

    def write(self, chunks: list[bytes]) -> None:
        """Append the submits that may be written now to ``chunks`` (header, body, …)."""
        if self.unsent:
            now = self.clock()
            room = self.room(now)
            if room > 0:
                pack = w.HEADER.pack
                unsent = self.unsent
                outstanding = self.outstanding
                written = 0
                sequence = self._sequence
                observed = self.observer is not None
                while written < room and unsent:
                    part = unsent.popleft()
                    if observed and not part.ticket.written_at:
                        part.ticket.written_at = now
                    sequence = sequence + 1 if sequence < w.MAX_SEQUENCE else 1
                    if sequence in outstanding:
                        self._sequence = sequence
                        sequence = self._next_sequence()
                    outstanding[sequence] = part
                    part.written_at = now
                    body = part.body
                    chunks.append(pack(16 + len(body), w.SUBMIT_SM, 0, sequence))
                    chunks.append(body)
                    written += 1
                self._sequence = sequence
                self.in_window += written
                self.stats.written += written
                if self.options.rate:
                    self._tokens -= written

    def wakeup(self, now: float) -> float | None:
        """Seconds until :meth:`output` can write more, or ``None`` if only news helps."""
        if not self.bound or not self.unsent or self.in_window >= self.allowed:
            return None
        if now < self._pause_until:
            return self._pause_until - now
        if self.options.rate and self.room(now) <= 0:
            wanted = self._wanted(self.allowed - self.in_window)
            return max(0.001, (wanted - self._tokens) / self.options.rate)
        return 0.0

    def answered(self, sequence: int, status: int, body: bytes, now: float) -> None:
        """Settle the part a submit_sm_resp answers; raise ProtocolError if it is not one.

        Checked before the part leaves ``outstanding``: on a ProtocolError the link drops
        and the part must still be there to end as unknown.
        """
        item = self.outstanding.get(sequence)
        if item.__class__ is not Part:
            raise ProtocolError(f"submit_sm_resp for unknown sequence {sequence}")
        assert isinstance(item, Part)
        end = body.find(b"\0", 0, 65) if not status else 0
        if end < 0 or (end == 0 and not status):
            raise ProtocolError("submit_sm_resp accepted without a message_id")
        del self.outstanding[sequence]
        self.in_window -= 1
        if status:
            self.refused(item, status, now)
        else:
            self._accepted(item, body[:end].decode("latin-1"), now)

    def link_lost(self, cause: BaseException) -> list[Query]:
        """End every written, unanswered submit as unknown; return the unanswered queries."""
        queries = []
        for item in self.outstanding.values():
            if isinstance(item, Part):
                ticket = item.ticket
                ticket.unknown += 1
                ticket.cause = cause
                self.stats.unknown += 1
                self._part_done(ticket)
            elif isinstance(item, Query):
                queries.append(item)
        self.outstanding.clear()
        self.in_window = 0
        return queries

    def _accepted(self, part: Part, message_id: str, now: float) -> None:
        self._throttled_in_row = 0
        self.stats.accepted += 1
        if self.allowed < self.options.window:
            self._grow()
        ticket = part.ticket
        encoded = ticket.encoded
        if len(ticket.ids) == 1:
            # One phone, one part — nearly every message: settled right here.
            ticket.ids[0] = message_id
            alone = Track(message_id, message_id, encoded.phones[0], encoded.sender)
            self.store.add(message_id, alone, now)
            if ticket.message.id is not None:
                # SMPP cannot carry the caller's id: the transport keeps it instead.
                self.store.alias(alone, str(ticket.message.id), caller=True)
            ticket.remaining = 0
            ticket.outcome = SendResult(
                id=message_id,
                parts=encoded.parts,
                phones=(PhoneResult(encoded.phones[0], id=message_id),),
                transport="smpp",
                raw=(message_id,),
            )
            self.finished.append(ticket)
            self.on_accepted(message_id)
            if self.observer is not None:
                if self.settling is not None:
                    self.settling.append(ticket)
                else:
                    self._report(ticket, now)
            return
        per_phone = len(encoded.bodies[0])
        phone = part.slot // per_phone
        first = phone * per_phone
        # An SMSC that joins a split message answers its parts with one id, and sends
        # one receipt for it: the recipient waits for one receipt per distinct id.
        repeated = message_id in ticket.ids[first : first + per_phone]
        ticket.ids[part.slot] = message_id
        tracks = ticket.tracks
        assert tracks is not None
        track = tracks[phone]
        if track is None:
            track = Track(message_id, message_id, encoded.phones[phone], encoded.sender, per_phone)
            tracks[phone] = track
        assert isinstance(track, Track)
        if repeated:
            track.parts -= 1
        self.store.add(message_id, track, now)
        self.on_accepted(message_id)
        self._part_done(ticket)

    def _grow(self) -> None:
        self._credit += 1
        if self._credit >= self.allowed:
            self._credit = 0
            self.allowed += 1

    def refused(self, part: Part, status: int, now: float) -> None:
        """Settle or resubmit a part the SMSC refused with ``status``."""
        if status in THROTTLING and part.attempts < self.options.throttle_retries:
            # The server refused it unread (SMPP 3.4 §5.1.3): resubmitting cannot duplicate.
            part.attempts += 1
            self.stats.throttled += 1
            self.unsent.appendleft(part)
            if now >= self._pause_until:
                # One window's worth of refusals is one event: the pause doubles only
                # when the SMSC still refuses after the last pause ended.
                self._throttled_in_row += 1
                pause = self.options.throttle_delay * 2 ** min(self._throttled_in_row - 1, 10)
                self._pause_until = now + min(pause, _MAX_THROTTLE_PAUSE)
                self.allowed = max(1, self.allowed // 2)
                self._credit = 0
                if self.observer is not None:
                    why = error_fields(smpp_error(status, base=self.options.status_base))[0]
                    pause = self._pause_until - now
                    report(self.observer.link, LinkEvent("smpp", Link.THROTTLED, why, pause))
            return
        error = smpp_error(status, base=self.options.status_base)
        if status in THROTTLING:
            error = RateLimited(
                f"still throttled after {part.attempts} resubmits: {error.message}",
                protocol_status=status,
            )
        self._reject(part, error)

    def _reject(self, part: Part, error: SMSCError) -> None:
        self.stats.rejected += 1
        ticket = part.ticket
        if ticket.errors is None:
            ticket.errors = {}
        ticket.errors[part.slot] = error
        self._part_done(ticket)
        if self.on_fatal is not None and stops_sending(error):
            self.on_fatal(error)

    def _part_done(self, ticket: Ticket) -> None:
        ticket.remaining -= 1
        if ticket.remaining:
            return
        outcome = settle(ticket)
        ticket.outcome = outcome
        if len(ticket.ids) > 1 and ticket.tracks and not isinstance(outcome, SMSCError):
            # Parts may be answered in any order: only now are the ids the user holds
            # known. Each recipient goes by its own first part's id (its PhoneResult.id),
            # and status(result.id, phone) finds it too.
            per_phone = len(ticket.encoded.bodies[0])
            caller = ticket.message.id
            for number, track in enumerate(ticket.tracks):
                if isinstance(track, Track):
                    own = ticket.ids[number * per_phone] or track.smpp_id
                    track.result_id = track.smpp_id = own
                    self.store.alias(track, outcome.id)
                    if caller is not None:
                        self.store.alias(track, str(caller), caller=True)
        elif (
            ticket.tracks and ticket.message.id is not None and isinstance(outcome, OutcomeUnknown)
        ):
            # In doubt, but some parts were accepted: status(message.id, phone) shows them.
            for track in ticket.tracks:
                if isinstance(track, Track):
                    self.store.alias(track, str(ticket.message.id), caller=True)
        self.finished.append(ticket)
        if self.observer is not None:
            if self.settling is not None:
                self.settling.append(ticket)
            else:
                self._report(ticket, self.clock())

    def report_settled(self, now: float) -> None:
        """Tell the observer every ticket settled since ``settling`` was set, as one batch.

        The session sets ``settling`` to a list while it reads a batch of answers and
        calls this at the end (``now`` is when it read them). The common case (one
        part, one phone, accepted) is summed right here, with no event built for it;
        the rest go through :meth:`_event`, which also builds the batch's events when an
        observer asks for them.
        """
        tickets, self.settling = self.settling, None
        observer = self.observer
        if not tickets or observer is None:
            return
        batch = OperationBatch("smpp", "send", lambda: [self._event(t, now) for t in tickets])
        durations = batch.durations
        outcomes = batch.outcomes
        ok = sent = received = 0
        for ticket in tickets:
            written = ticket.written_at
            ids = ticket.ids
            if ticket.outcome.__class__ is SendResult and len(ids) == 1:
                ok += 1
                sent += len(ticket.encoded.bodies[0][0])
                received += len(ids[0] or "")
                durations.append(now - written if written else 0.0)
                continue
            event = self._event(ticket, now)
            key = (event.outcome, event.error_code)
            outcomes[key] = outcomes.get(key, 0) + 1
            durations.append(event.duration)
            batch.bytes_sent += event.bytes_sent
            batch.bytes_received += event.bytes_received
        if ok:
            outcomes[(OK, None)] = outcomes.get((OK, None), 0) + ok
            batch.bytes_sent += 16 * ok + sent
            batch.bytes_received += 17 * ok + received
        report(observer.operation_batch, batch)

    def _report(self, ticket: Ticket, now: float) -> None:
        """Tell the observer how ``ticket`` ended, alone (settled outside a read)."""
        assert self.observer is not None
        report(self.observer.operation, self._event(ticket, now))

    def _event(self, ticket: Ticket, now: float) -> OperationEvent:
        """The :class:`OperationEvent` of a settled ticket.

        Bytes are the submit_sm PDUs and their answers (a header, the message id and
        its NUL); the common case (one part, one phone, accepted) takes the short way.
        """
        outcome = ticket.outcome
        encoded = ticket.encoded
        ids = ticket.ids
        written = ticket.written_at
        phones = encoded.phones
        phone = mask_phone(phones[0]) if len(phones) == 1 else None
        if not isinstance(outcome, SMSCError):
            if len(ids) == 1:
                sent = 16 + len(encoded.bodies[0][0])
                received = 17 + len(ids[0] or "")
            else:
                sent = sum(16 + len(body) for group in encoded.bodies for body in group)
                received = sum(17 + len(i) for i in ids if i is not None)
            # tuple.__new__ skips the named tuple's generated __new__, a Python call that
            # costs as much again as the tuple, once per message at full rate.
            return _new(OperationEvent, (
                "smpp", "send", OK, now - written if written else 0.0, 1, sent, received,
                None, ids[0], phone,
            ))  # fmt: skip
        else:
            name, code = error_fields(outcome)
            sent = sum(16 + len(body) for group in encoded.bodies for body in group)
            # An unknown outcome's answers never came, nor an unwritten one's; a refusal is
            # a bare header.
            unanswered = isinstance(outcome, OutcomeUnknown) or not written
            received = 0 if unanswered else 16 * len(ids)
            return OperationEvent(
                "smpp", "send", name, now - written if written else 0.0, 1, sent, received,
                code, None, phone,
            )  # fmt: skip
