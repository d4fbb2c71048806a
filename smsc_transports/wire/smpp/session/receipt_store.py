"""Where accepted messages wait for their receipts: bounded, time-limited, O(1).

Each accepted submit_sm registers its message id; a receipt finds it by its id read in
one base (:attr:`ReceiptStore.reading`) in O(1), and ``status()`` finds it by the id the
user holds plus the phone. The store holds at most ``size`` messages and forgets any
older than ``ttl`` seconds, oldest first, so memory stays flat however many messages a
transport sends.

A receipt is matched only by its exact id in the reading in force, never by trying
other bases one receipt at a time: decimal "10" is hex "a" and "34" is hex "22", so a
guess per receipt hands receipts to other messages. ``receipt_id=hex``/``dec`` fix the
reading; ``auto`` starts with the id as given and switches to hex or decimal only when
the evidence is overwhelming (:meth:`ReceiptStore.learn`): receipts that matched nothing
but whose other reading names a message to the same phone that has had no receipt yet,
many of them and more than twice as many as exact matches.

The store also keeps the caller's ``Message.id`` to each phone one message at a time
(:meth:`ReceiptStore.claim`): from the moment a message is queued until the store
forgets it, a second message with the same id to the same phone is refused, as SMSC's
HTTP API refuses a repeated id. SMPP cannot carry the id, so nothing else would stop it
from going out and taking the first message's place in ``status``/``cancel``/``replace``.
A message whose recipient was refused (or never sent) holds nothing: its id may be
used again for that phone.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Protocol

from smsc_transports.errors import ValidationError
from smsc_transports.results import StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp.receipts import (
    Reading,
    Receipt,
    ReceiptIdMode,
    canonical_id,
    is_failure,
    is_success,
    receipt_key,
)

__all__ = ["Claimant", "ReceiptStore", "Track"]

log = logging.getLogger("smsc_transports.backends.smpp")

_LEARN_AFTER: Final = 8  # receipts of evidence before ``auto`` changes its reading
_READINGS: Final[dict[ReceiptIdMode, Reading]] = {"auto": "given", "hex": "hex", "dec": "dec"}


class Claimant(Protocol):
    """What holds a caller's id while it is queued or in flight: a ticket."""

    @property
    def done(self) -> bool:
        """Whether its outcome is decided (then the store's aliases speak for it)."""
        ...


class Track:
    """One recipient of one accepted message, and the last status heard for it.

    A message split into several submits (UDH/SAR) has one Track for all its parts per
    recipient: it is delivered when every part is, and failed when any part fails.
    ``parts`` counts the distinct ids its parts were accepted under (an SMSC that joins
    the parts answers them all with one id, and sends one receipt).
    ``heard`` counts the receipts applied to it.
    """

    __slots__ = (
        "added",
        "aliases",
        "caller",
        "changed_at",
        "delivered_parts",
        "error",
        "heard",
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
        self.heard = 0
        self.status = MessageStatus.WAITING
        self.error: DeliveryError | None = None
        self.changed_at: datetime | None = None
        self.sent_at: datetime | None = None
        self.aliases: tuple[tuple[str, str], ...] = ()  # other (id, phone) it is found by
        self.caller: str | None = None  # the caller's Message.id, canonical, if it had one
        self.added = 0.0

    def apply(self, receipt: Receipt, status: MessageStatus, error: DeliveryError | None) -> None:
        """Fold one part's receipt (its ``status`` and ``error``) into the recipient's."""
        self.heard += 1
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
        self.reading: Reading = _READINGS[mode]
        self._exact = 0
        self._evidence: dict[Reading, int] = {"hex": 0, "dec": 0}
        # A plain dict and a FIFO of its keys: lighter than an OrderedDict (no linked
        # list), and with a fixed number of keys its memory stays put however many
        # messages pass through.
        self._by_id: dict[str, Track] = {}
        self._order: deque[str] = deque()
        self._aliases: dict[tuple[str, str], Track] = {}
        # (caller id, phone) of messages queued or in flight; settled ones are swept out.
        self._claims: dict[tuple[str, str], Claimant] = {}
        self._sweep_at = 64
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

    def alias(self, track: Track, id: str, *, caller: bool = False) -> None:
        """Make ``status(id, track.phone)`` find ``track`` as well as its own id does.

        For the second and later recipients of a multi-phone message: the user may ask
        with the message's id (the first recipient's) instead of the recipient's own
        :attr:`~smsc_transports.results.PhoneResult.id`; and (``caller``) for the
        caller's own ``Message.id``, which SMPP cannot carry. An SMSC id that is the
        same string still finds its own message first. (A later message with the same
        caller id to the same phone never gets here: :meth:`claim` refuses it.)
        """
        if caller:
            track.caller = canonical_id(id)
        if self.lookup(id, track.phone) is track:
            return
        key = (canonical_id(id), track.phone.lstrip("+"))
        track.aliases = (*track.aliases, key)
        self._aliases[key] = track

    def claim(self, id: str, phones: Sequence[str], claimant: Claimant) -> ValidationError | None:
        """Reserve the caller's ``id`` to each of ``phones`` for ``claimant``, a queued message.

        Returns (reserving nothing) the error to refuse it with when a message still
        queued or in flight, or one the store remembers, already has ``id`` to one of
        those phones; ``None`` when the id is free to each.
        """
        key = canonical_id(id)
        pairs = [(key, phone.lstrip("+")) for phone in phones]
        for pair in pairs:
            if self._taken(pair):
                return ValidationError(
                    f"message id {id!r} to {pair[1]} is already used by a message this "
                    "transport is sending or remembers; SMPP cannot tell SMSC it is the same "
                    "message, so it would go out twice (give this one another id)",
                    field="id",
                )
        if len(self._claims) >= self._sweep_at:
            self._claims = {k: c for k, c in self._claims.items() if not c.done}
            self._sweep_at = max(64, 2 * len(self._claims))
        for pair in pairs:
            self._claims[pair] = claimant
        return None

    def release(self, id: str, phones: Sequence[str], claimant: Claimant) -> None:
        """Give back what :meth:`claim` reserved for ``claimant`` (it will not be sent)."""
        key = canonical_id(id)
        for phone in phones:
            pair = (key, phone.lstrip("+"))
            if self._claims.get(pair) is claimant:
                del self._claims[pair]

    def _taken(self, pair: tuple[str, str]) -> bool:
        claimant = self._claims.get(pair)
        if claimant is not None:
            if not claimant.done:
                return True
            del self._claims[pair]  # settled: the aliases below say what it left
        key, phone = pair
        track = self._aliases.get(pair)
        if track is not None and track.caller == key:
            return True
        track = self._by_id.get(key)  # a caller id that is also its own SMSC id
        return track is not None and track.caller == key and _same_phone(track.phone, phone)

    def _drop_oldest(self) -> None:
        track = self._by_id.pop(self._order.popleft())
        self.evicted += 1
        for key in track.aliases:
            if self._aliases.get(key) is track:
                del self._aliases[key]

    def expire(self, now: float) -> None:
        """Forget every entry older than ``ttl`` (the session calls it on its tick)."""
        limit = now - self.ttl
        while self._order and self._by_id[self._order[0]].added <= limit:
            self._drop_oldest()

    def key(self, message_id: str) -> str:
        """The store key a receipt's ``message_id`` names in the reading in force."""
        return receipt_key(message_id, self.reading)

    def for_receipt(self, receipt: Receipt) -> Track | None:
        """The recipient a receipt is about: its id, exactly, in the reading in force.

        The id wins even when the phones differ (SMSCs write numbers their own way).
        """
        track = self._by_id.get(receipt_key(receipt.message_id, self.reading))
        if track is not None:
            self._exact += 1
        return track

    def learn(self, receipt: Receipt) -> Track | None:
        """Weigh a receipt no message matched, and nothing can still claim, as evidence.

        Only in ``auto`` while the id is read as given: the receipt counts for a reading
        under which it names a message to the same phone that has had no receipt yet.
        When one reading has :data:`_LEARN_AFTER` such receipts and more than twice as
        many as the exact matches so far, it becomes the reading, and the message the
        receipt names under it is returned; otherwise ``None`` (the receipt stays
        uncorrelated: a guess per receipt would hand it to another message).
        """
        if self.mode != "auto" or self.reading != "given" or not receipt.phone:
            return None
        readings: tuple[Reading, ...] = ("hex", "dec")
        for reading in readings:
            key = receipt_key(receipt.message_id, reading)
            track = self._by_id.get(key)
            if track is None or track.heard or not _same_phone(track.phone, receipt.phone):
                continue
            if key == canonical_id(receipt.message_id):
                continue
            self._evidence[reading] += 1
            count = self._evidence[reading]
            if count >= _LEARN_AFTER and count > 2 * self._exact:
                log.warning(
                    "SMPP receipt ids read as %s from now on (%d receipts matched only so,"
                    " %d as given); set receipt_id=%s to start so",
                    reading,
                    count,
                    self._exact,
                    reading,
                )
                self.reading = reading
                return track
        return None

    def lookup(self, id: str, phone: str) -> Track | None:
        """The recipient ``phone`` of the message the user knows as ``id``."""
        key = canonical_id(id)
        track = self._by_id.get(key)
        if track is not None and _same_phone(track.phone, phone):
            return track
        return self._aliases.get((key, phone.lstrip("+")))
