"""Incoming (MO) messages from deliver_sm: text decoding and joining split messages.

A long incoming text arrives as several deliver_sm, joined either by a UDH (an
``esm_class`` 0x40 user data header with information element 0x00, 8-bit reference,
or 0x08, 16-bit reference: 3GPP TS 23.040 §9.2.3.24.1/.8) or by the SAR TLVs (SMPP 3.4
§5.3.2.22–24). :class:`Reassembler` holds the parts, bounded in count and time, and
hands out the whole text when the last part arrives — or what it has when a group
times out, so no text is ever silently lost.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from smsc_transports.wire.smpp.receipts import decode_text
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_SAR_MSG_REF_NUM,
    TAG_SAR_SEGMENT_SEQNUM,
    TAG_SAR_TOTAL_SEGMENTS,
    ShortMessage,
    tlv_int,
)

__all__ = ["IncomingPart", "Joined", "Reassembler", "incoming_part"]

_UDHI: Final = 0x40


@dataclass(frozen=True, slots=True)
class IncomingPart:
    """One deliver_sm's text and, when it is part of a split message, its place."""

    phone: str
    to_phone: str
    text: str
    reference: int | None = None
    total: int = 1
    number: int = 1
    source: ShortMessage | None = None


@dataclass(frozen=True, slots=True)
class Joined:
    """A whole incoming message: its text and the deliver_sm it came in."""

    phone: str
    to_phone: str
    text: str
    complete: bool
    sources: tuple[ShortMessage, ...]


def _udh_concat(header: bytes) -> tuple[int, int, int] | None:
    """(reference, total, number) from a UDH's concatenation element, if it has one."""
    pos = 0
    while pos + 2 <= len(header):
        element, length = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + length]
        if len(value) < length:
            return None
        if element == 0x00 and length == 3:
            return value[0], value[1], value[2]
        if element == 0x08 and length == 4:
            return int.from_bytes(value[:2], "big"), value[2], value[3]
        pos += 2 + length
    return None


def incoming_part(sm: ShortMessage) -> IncomingPart:
    """Decode one incoming deliver_sm (never raises on odd user data)."""
    data = sm.tlv(TAG_MESSAGE_PAYLOAD) or sm.short_message
    concat: tuple[int, int, int] | None = None
    if sm.esm_class & _UDHI and data:
        size = data[0] + 1
        concat = _udh_concat(data[1:size])
        data = data[size:]
    if concat is None:
        reference = tlv_int(sm.tlvs, TAG_SAR_MSG_REF_NUM)
        total = tlv_int(sm.tlvs, TAG_SAR_TOTAL_SEGMENTS)
        number = tlv_int(sm.tlvs, TAG_SAR_SEGMENT_SEQNUM)
        if reference is not None and total and number:
            concat = (reference, total, number)
    text = decode_text(sm.data_coding, data)
    if concat is None or concat[1] <= 1 or not 1 <= concat[2] <= concat[1]:
        return IncomingPart(sm.source_addr, sm.destination_addr, text, source=sm)
    reference, total, number = concat
    return IncomingPart(sm.source_addr, sm.destination_addr, text, reference, total, number, sm)


@dataclass
class _Group:
    started: float
    total: int
    parts: dict[int, IncomingPart] = field(default_factory=dict)


class Reassembler:
    """Joins split incoming messages; at most ``max_groups`` open, each ``ttl`` seconds.

    Times are whatever clock the caller passes (``time.monotonic()`` in the backends).
    """

    def __init__(self, *, max_groups: int = 1000, ttl: float = 600.0) -> None:
        self.max_groups = max_groups
        self.ttl = ttl
        self._groups: OrderedDict[tuple[str, str, int, int], _Group] = OrderedDict()

    def __len__(self) -> int:
        return len(self._groups)

    def add(self, part: IncomingPart, now: float) -> list[Joined]:
        """Take one part; return the messages it completes (or pushes out), in order."""
        if part.reference is None:
            sources = (part.source,) if part.source is not None else ()
            return [*self.expire(now), Joined(part.phone, part.to_phone, part.text, True, sources)]
        key = (part.phone, part.to_phone, part.reference, part.total)
        done = self.expire(now)
        group = self._groups.get(key)
        if group is None:
            while len(self._groups) >= self.max_groups:
                done.append(self._join(self._groups.popitem(last=False)[1]))
            group = self._groups[key] = _Group(now, part.total)
        group.parts[part.number] = part
        if len(group.parts) == group.total:
            del self._groups[key]
            done.append(self._join(group))
        return done

    def expire(self, now: float) -> list[Joined]:
        """Return (incomplete) the groups older than ``ttl``."""
        done: list[Joined] = []
        while self._groups:
            key, group = next(iter(self._groups.items()))
            if group.started > now - self.ttl:
                break
            del self._groups[key]
            done.append(self._join(group))
        return done

    def drain(self) -> list[Joined]:
        """Return every open group as far as it got (the transport is closing)."""
        done = [self._join(group) for group in self._groups.values()]
        self._groups.clear()
        return done

    @staticmethod
    def _join(group: _Group) -> Joined:
        parts = [group.parts[n] for n in sorted(group.parts)]
        first = parts[0]
        return Joined(
            first.phone,
            first.to_phone,
            "".join(p.text for p in parts),
            len(parts) == group.total,
            tuple(p.source for p in parts if p.source is not None),
        )
