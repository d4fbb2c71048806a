"""What the SMSC pushes in deliver_sm, after the session accepted the PDU: receipts and
incoming messages, turned into :class:`StatusResult` / :class:`IncomingMessage` events.

Receipts update the :class:`ReceiptStore`; a receipt that arrives before the
submit_sm_resp of its message (some SMSCs race the two) waits a few seconds for it.
Events go to the user's callback, then to a bounded queue for the iterators: if nobody
reads, the oldest events are dropped and counted, and ``status()`` still has the news.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from smsc_transports.errors import ProtocolError
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.incoming import Reassembler, incoming_part
from smsc_transports.wire.smpp.receipts import canonical_id, is_receipt, parse_receipt
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.receipt_store import ReceiptStore
from smsc_transports.wire.smpp.session.stats import SmppStats
from smsc_transports.wire.smpp.short_message import ShortMessage, decode_short_message

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
        self.reassembler = Reassembler()
        self._early: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._incoming_ids = 0

    def take(self, body: bytes, now: float, *, waiting: bool) -> int:
        """Handle one deliver_sm body; return the command_status to answer it with.

        ``waiting`` says whether submits are unanswered, i.e. whether an unknown
        receipt may still be about to get its message.
        """
        try:
            sm = decode_short_message(body)
        except ProtocolError as exc:
            # The frame was whole, so the stream is still in step: refuse this one only.
            self.stats.malformed += 1
            log.warning("malformed deliver_sm refused: %s", exc)
            return w.ESME_RSYSERR
        if is_receipt(sm):
            self._receipt(sm, body, now if waiting else None)
        else:
            for joined in self.reassembler.add(incoming_part(sm), now):
                self._incoming(joined.phone, joined.to_phone, joined.text, joined)
        return w.ESME_ROK

    def registered(self, message_id: str) -> None:
        """A message was accepted under ``message_id``: release its early receipt."""
        if self._early:
            early = self._early.pop(canonical_id(message_id), None)
            if early is not None:
                self._receipt(decode_short_message(early[1]), early[1], None)

    def tick(self, now: float) -> None:
        """Give up waiting for early receipts' messages; flush stale incoming parts."""
        limit = now - min(self.options.response_timeout, _EARLY_WAIT)
        while self._early:
            added, body = next(iter(self._early.values()))
            if added > limit:
                break
            self._early.popitem(last=False)
            self._receipt(decode_short_message(body), body, None)
        for joined in self.reassembler.expire(now):
            self._incoming(joined.phone, joined.to_phone, joined.text, joined)

    def _receipt(self, sm: ShortMessage, body: bytes, now: float | None) -> None:
        receipt = parse_receipt(sm, self.options.receipt_utc_offset)
        track = self.store.for_receipt(receipt)
        if track is None and now is not None and receipt.message_id:
            self._early[canonical_id(receipt.message_id)] = (now, body)
            while len(self._early) > _EARLY_LIMIT:
                oldest = self._early.popitem(last=False)[1][1]
                self._receipt(decode_short_message(oldest), oldest, None)
            return
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
        self._emit(self.receipts, self.on_receipt, result)

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
