"""What the SMSC pushes in deliver_sm (or data_sm, as some SMSCs send receipts), after the
session accepted the PDU: receipts and incoming messages, turned into
:class:`StatusResult` / :class:`IncomingMessage` events.

Receipts update the :class:`ReceiptStore`. A receipt whose id matches no message
exactly may be about a submit still unanswered (some SMSCs race the receipt and the
submit_sm_resp): it waits ("early") until its message is accepted, until nothing it
could belong to is unanswered, for at most a few seconds, and at the latest until the
transport closes — it was acknowledged with status 0, so it must reach the user.
Events go to the user's callback, then to a bounded queue for the iterators: if nobody
reads, the oldest events are dropped and counted, and ``status()`` still has the news.

A deliver_sm that cannot be read — a body that does not decode, a receipt whose fields
do not parse — is answered ESME_RX_P_APPN (SMPP 3.4 §5.1.3: a permanent error, so the
SMSC does not repeat it), counted, logged and reported to ``on_malformed`` as a
:class:`ProtocolError`; the link goes on.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from smsc_transports.errors import ProtocolError
from smsc_transports.observe import Observer, ReceiptEvent, log_fields, report
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.incoming import Joined, Reassembler, incoming_part
from smsc_transports.wire.smpp.receipts import Receipt, canonical_id, is_receipt, parse_receipt
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.receipt_store import ReceiptStore
from smsc_transports.wire.smpp.session.stats import SmppStats
from smsc_transports.wire.smpp.short_message import decode_data_sm, decode_short_message

__all__ = ["Deliveries"]

log = logging.getLogger("smsc_transports.backends.smpp")

E = TypeVar("E", StatusResult, IncomingMessage)
_EARLY_LIMIT: Final = 10_000
_EARLY_WAIT: Final = 10.0  # seconds an early receipt waits for its submit_sm_resp


class Deliveries:
    """Receipts and incoming messages of one session; see the module docstring."""

    def __init__(
        self,
        options: SmppOptions,
        store: ReceiptStore,
        stats: SmppStats,
        wall: Callable[[], datetime],
    ) -> None:
        self.options = options
        self.store = store
        self.stats = stats
        self.wall = wall
        self.receipts: deque[StatusResult] = deque()
        self.incoming: deque[IncomingMessage] = deque()
        self.on_receipt: Callable[[StatusResult], object] | None = None
        self.on_incoming: Callable[[IncomingMessage], object] | None = None
        self.on_malformed: Callable[[ProtocolError], object] | None = None
        # Set by the session when the transport is observed; ``clock`` times receipts.
        self.observer: Observer | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.reassembler = Reassembler()
        # Early receipts by store key, oldest key first; one key may hold several
        # (an intermediate and a final receipt), and every one was acknowledged.
        self._early: OrderedDict[str, list[tuple[float, Receipt]]] = OrderedDict()
        self._early_count = 0
        self._incoming_ids = 0

    @classmethod
    def fresh(
        cls,
        options: SmppOptions,
        *,
        clock: Callable[[], float],
        wall: Callable[[], datetime],
    ) -> Deliveries:
        """Deliveries with a receipt store of their own (sized by ``options``) and new
        counters; ``clock`` times receipts, ``wall`` dates them."""
        store = ReceiptStore(options.receipt_store_size, options.receipt_ttl, options.receipt_id)
        deliveries = cls(options, store, SmppStats(), wall)
        deliveries.clock = clock
        return deliveries

    @property
    def early(self) -> int:
        """How many acknowledged receipts wait for their submit_sm_resp."""
        return self._early_count

    def take(self, body: bytes, now: float, *, waiting: bool, data_sm: bool = False) -> int:
        """Handle one deliver_sm (or ``data_sm``) body; return the command_status to answer.

        ``waiting`` says whether submits are unanswered, i.e. whether a receipt that
        matches no message may still be about to get its message.
        """
        try:
            sm = decode_data_sm(body) if data_sm else decode_short_message(body)
            receipt = parse_receipt(sm, self.options.receipt_utc_offset) if is_receipt(sm) else None
        except ProtocolError as exc:
            # The frame was whole, so the stream is still in step: refuse this one only,
            # with a permanent error (SMPP 3.4 §5.1.3): it will never be readable, so the
            # SMSC should neither count it delivered nor send it again.
            self._malformed(exc)
            return w.ESME_RX_P_APPN
        if receipt is not None:
            self._receipt(receipt, now if waiting else None)
        else:
            self._joined(self.reassembler.add(incoming_part(sm), now))
        return w.ESME_ROK

    def registered(self, message_id: str) -> None:
        """A message was accepted under ``message_id``: release its early receipts."""
        if self._early:
            early = self._early.pop(canonical_id(message_id), None)
            if early is not None:
                self._early_count -= len(early)
                for _, receipt in early:
                    self._receipt(receipt, None)

    def release(self) -> None:
        """Nothing early receipts could belong to is unanswered: hand them all on."""
        while self._early:
            self._release_oldest()

    def tick(self, now: float) -> None:
        """Give up waiting for early receipts' messages; flush stale incoming parts."""
        limit = now - min(self.options.response_timeout, _EARLY_WAIT)
        while self._early:
            added = next(iter(self._early.values()))[0][0]
            if added > limit:
                break
            self._release_oldest()
        self._joined(self.reassembler.expire(now))

    def finish(self) -> None:
        """The transport closes: hand on everything acknowledged that is still held."""
        self.release()
        self._joined(self.reassembler.drain())

    def _release_oldest(self) -> None:
        _, early = self._early.popitem(last=False)
        self._early_count -= len(early)
        for _, receipt in early:
            self._receipt(receipt, None)

    def _malformed(self, error: ProtocolError) -> None:
        self.stats.malformed += 1
        log.warning(
            "unreadable deliver_sm answered ESME_RX_P_APPN: %s",
            error,
            extra=log_fields("smpp", "deliver_sm", error=error),
        )
        if self.on_malformed is not None:
            try:
                self.on_malformed(error)
            except Exception:  # a user's callback must not break the session
                log.exception("SMPP on_malformed callback failed")

    def _receipt(self, receipt: Receipt, now: float | None) -> None:
        store = self.store
        track = store.for_receipt(receipt)
        if track is None:
            if now is not None and receipt.message_id:
                key = store.key(receipt.message_id)
                self._early.setdefault(key, []).append((now, receipt))
                self._early_count += 1
                if self._early_count > _EARLY_LIMIT:
                    self._release_oldest()
                return
            track = store.learn(receipt)
        self.stats.receipts += 1
        status = receipt.status
        error = receipt.delivery_error
        if track is None:
            self.stats.uncorrelated_receipts += 1
            result = StatusResult(
                id=receipt.message_id,
                phone=receipt.phone,
                status=status,
                error=error,
                changed_at=receipt.done_at,
                sent_at=receipt.submitted_at,
                raw=receipt,
            )
        else:
            track.apply(receipt, status, error)
            result = StatusResult(
                id=track.result_id,
                phone=track.phone,
                status=status,
                error=error,
                changed_at=receipt.done_at,
                sent_at=receipt.submitted_at,
                sender=track.sender or None,
                raw=receipt,
            )
        if self.observer is not None:
            latency = None if track is None else max(0.0, self.clock() - track.added)
            event = ReceiptEvent("smpp", track is not None, latency, status.name)
            report(self.observer.receipt, event)
        self._emit(self.receipts, self.on_receipt, result)

    def _joined(self, messages: list[Joined]) -> None:
        for joined in messages:
            self._incoming(joined.phone, joined.to_phone, joined.text, joined)

    def _incoming(self, phone: str, to_phone: str, text: str, raw: object) -> None:
        self._incoming_ids += 1
        self.stats.incoming += 1
        message = IncomingMessage(
            id=f"smpp-{self._incoming_ids}",
            phone=phone,
            text=text,
            to_phone=to_phone or None,
            received_at=self.wall(),
            raw=raw,
        )
        self._emit(self.incoming, self.on_incoming, message)

    def _emit(self, queue: deque[E], callback: Callable[[E], object] | None, event: E) -> None:
        if callback is not None:
            try:
                callback(event)
            except Exception:  # a user's callback must not break the session
                log.exception("SMPP event callback failed")
        if len(queue) >= self.options.receipt_buffer:
            queue.popleft()
            self.stats.dropped_events += 1
        queue.append(event)
