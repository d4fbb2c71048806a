"""Where accepted messages wait for their receipts: bounded, time-limited, O(1).

Each accepted submit_sm registers its message id; a receipt finds it by id (in the bases
``receipt_id`` allows, checked against the receipt's phone) in O(1), and ``status()``
finds it by the id the user holds plus the phone. The store holds at most ``size``
messages and forgets any older than ``ttl`` seconds, oldest first, so memory stays flat
however many messages a transport sends.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from smsc_transports.results import StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp.receipts import (
    Receipt,
    ReceiptIdMode,
    canonical_id,
    is_failure,
    is_success,
    receipt_id_keys,
)

__all__ = ["ReceiptStore", "Track"]


class Track:
    """One recipient of one accepted message, and the last status heard for it.

    A message split into several submits (UDH/SAR) has one Track for all its parts per
    recipient: it is delivered when every part is, and failed when any part fails.
    """

    __slots__ = (
        "added",
        "alias",
        "changed_at",
        "delivered_parts",
        "error",
        "parts",
        "phone",
        "result_id",
        "sender",
        "sent_at",
        "smpp_id",
        "status",
    )

    def __init__(
        self, result_id: str, smpp_id: str, phone: str, sender: str, parts: int = 1
    ) -> None:
        self.result_id = result_id
        self.smpp_id = smpp_id
        self.phone = phone
        self.sender = sender
        self.parts = parts
        self.delivered_parts = 0
        self.status = MessageStatus.WAITING
        self.error: DeliveryError | None = None
        self.changed_at: datetime | None = None
        self.sent_at: datetime | None = None
        self.alias: tuple[str, str] | None = None
        self.added = 0.0

    def apply(self, receipt: Receipt, status: MessageStatus, error: DeliveryError | None) -> None:
        """Fold one part's receipt (its ``status`` and ``error``) into the recipient's."""
        if is_failure(self.status):
            return  # a failed part fails the whole message; later news cannot undo it
        if is_success(status):
            self.delivered_parts += 1
            if self.delivered_parts < self.parts:
                status = MessageStatus.TRANSFERRED
        self.status = status
        self.error = error
        self.changed_at = receipt.done_at or self.changed_at
        self.sent_at = receipt.submitted_at or self.sent_at

    def result(self, raw: object = None) -> StatusResult:
        """The recipient's status as a :class:`StatusResult`."""
        return StatusResult(
            id=self.result_id,
            phone=self.phone,
            status=self.status,
            error=self.error,
            changed_at=self.changed_at,
            sent_at=self.sent_at,
            sender=self.sender or None,
            raw=raw,
        )


def _same_phone(a: str, b: str) -> bool:
    return a.lstrip("+") == b.lstrip("+")


class ReceiptStore:
    """Accepted messages by SMPP id; see the module docstring."""

    def __init__(self, size: int, ttl: float, mode: ReceiptIdMode = "auto") -> None:
        self.size = size
        self.ttl = ttl
        self.mode = mode
        # A plain dict and a FIFO of its keys: lighter than an OrderedDict (no linked
        # list), and with a fixed number of keys its memory stays put however many
        # messages pass through.
        self._by_id: dict[str, Track] = {}
        self._order: deque[str] = deque()
        self._aliases: dict[tuple[str, str], Track] = {}
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, smpp_id: str, track: Track, now: float) -> None:
        """Register an accepted submit's id (each part of a split message adds its own)."""
        key = canonical_id(smpp_id)
        track.added = now
        by_id = self._by_id
        if key not in by_id:
            self._order.append(key)
        by_id[key] = track  # a reused id keeps its old place in the order: harmless
        if len(by_id) > self.size:
            self._drop_oldest()

    def alias(self, track: Track) -> None:
        """Make ``status(track.result_id, track.phone)`` find ``track``.

        Needed for the second and later recipients of a multi-phone message: the user
        holds the first recipient's id, not theirs.
        """
        if self.lookup(track.result_id, track.phone) is track:
            return
        track.alias = (canonical_id(track.result_id), track.phone.lstrip("+"))
        self._aliases[track.alias] = track

    def _drop_oldest(self) -> None:
        track = self._by_id.pop(self._order.popleft())
        self.evicted += 1
        if track.alias is not None and self._aliases.get(track.alias) is track:
            del self._aliases[track.alias]

    def expire(self, now: float) -> None:
        """Forget every entry older than ``ttl`` (the session calls it on its tick)."""
        limit = now - self.ttl
        while self._order and self._by_id[self._order[0]].added <= limit:
            self._drop_oldest()

    def for_receipt(self, receipt: Receipt) -> Track | None:
        """The recipient a receipt is about: by id in each allowed base.

        The receipt's phone (its source_addr) picks between candidates; the id exactly
        as given wins even when the phones differ (SMSCs write numbers their own way),
        and so does a converted id in an explicit ``hex``/``dec`` mode. In ``auto`` a
        converted id must also match the phone, or it might be another message's id.
        """
        by_id = self._by_id
        exact = by_id.get(canonical_id(receipt.message_id))
        phone = receipt.phone
        if exact is not None and (not phone or _same_phone(exact.phone, phone)):
            return exact  # the usual case: no other base needs computing
        fallback = exact
        for key in receipt_id_keys(receipt.message_id, self.mode)[1:]:
            track = by_id.get(key)
            if track is None:
                continue
            if not phone or _same_phone(track.phone, phone):
                return track
            if fallback is None and self.mode != "auto":
                fallback = track
        return fallback

    def lookup(self, id: str, phone: str) -> Track | None:
        """The recipient ``phone`` of the message the user knows as ``id``."""
        key = canonical_id(id)
        track = self._by_id.get(key)
        if track is not None and _same_phone(track.phone, phone):
            return track
        return self._aliases.get((key, phone.lstrip("+")))
