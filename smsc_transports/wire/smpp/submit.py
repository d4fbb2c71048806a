"""Message → ready submit_sm bodies, with one transport's settings (the hot path).

:class:`SubmitEncoder` turns a message into PDU bodies; :meth:`SubmitEncoder.fields`
gives the same submits as :class:`~.short_message.ShortMessage` values, and the tests hold
the two to byte equality (and the fields to smpplib's bytes). A one-part ASCII text
takes a short path that formats the body from cached pieces.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from smsc_transports.errors import ValidationError
from smsc_transports.field_support import refuse_uncarried
from smsc_transports.message import Message, MessageKind
from smsc_transports.wire.smpp.short_message import ShortMessage, encode_tlvs
from smsc_transports.wire.smpp.text import (
    DC_GSM7,
    DC_OCTETS,
    SAME_IN_GSM7,
    SINGLE_OCTETS,
    Coding,
    Content,
    LongMode,
    plan_content,
)
from smsc_transports.wire.smpp.time_fields import relative_time, schedule_time

__all__ = ["EncodedSubmits", "SubmitEncoder", "SubmitSettings"]


@dataclass(frozen=True, slots=True)
class SubmitSettings:
    """Per-transport submit_sm fields (SMSC's own client's values are the defaults).

    ``source_ton``/``source_npi`` ``None`` means by sender: alphanumeric 5/1, numeric
    1/1 (smsc-protocol.md §3). ``default_sender`` is used when a message names none.
    """

    service_type: str = ""
    source_ton: int | None = None
    source_npi: int | None = None
    dest_ton: int = 1
    dest_npi: int = 1
    registered_delivery: int = 1
    priority_flag: int = 0
    protocol_id: int = 0
    long_mode: LongMode = "payload"
    coding: Coding = "auto"
    default_sender: str | None = None


class EncodedSubmits:
    """Ready submit_sm bodies (no header): ``bodies[i]`` are the parts for ``phones[i]``.

    ``parts`` is what SMSC bills per recipient. A plain slotted class, not a dataclass:
    one is built per message on the hot path.
    """

    __slots__ = ("bodies", "parts", "phones", "sender")

    def __init__(
        self,
        phones: tuple[str, ...],
        bodies: tuple[tuple[bytes, ...], ...],
        parts: int,
        sender: str,
    ) -> None:
        self.phones = phones
        self.bodies = bodies
        self.parts = parts
        self.sender = sender

    def __repr__(self) -> str:
        return f"EncodedSubmits(phones={self.phones!r}, parts={self.parts}, submits={self.count})"

    @property
    def count(self) -> int:
        """How many submit_sm in all."""
        return len(self.bodies) * len(self.bodies[0])


def _source(sender: str, settings: SubmitSettings) -> tuple[int, int]:
    digits = sender[1:] if sender.startswith("+") else sender
    numeric = digits.isascii() and digits.isdigit()
    ton = settings.source_ton if settings.source_ton is not None else (1 if numeric else 5)
    npi = settings.source_npi if settings.source_npi is not None else 1
    return ton, npi


def _destination(phone: str) -> str:
    """The destination_addr for a phone: international digits without the '+' (TON 1)."""
    digits = phone[1:] if phone.startswith("+") else phone
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(f"SMPP sends to phone numbers only, not {phone!r}", field="phones")
    return digits


class SubmitEncoder:
    """Turns messages into submit_sm bodies with one transport's :class:`SubmitSettings`."""

    def __init__(self, settings: SubmitSettings) -> None:
        self.settings = settings
        # itertools.count steps atomically, so threads may share one encoder.
        self._references = itertools.count(1)
        self._prefixes: dict[str, bytes] = {}
        self._tail = bytes((settings.registered_delivery, 0))
        self._head = (settings.service_type + "\0").encode("ascii")
        # esm_class … replace_if_present_flag of a one-part message sent at once.
        self._plain = (
            bytes((0, settings.protocol_id, settings.priority_flag)) + b"\0\0" + self._tail
        )

    def source_ton_npi(self, sender: str) -> tuple[int, int]:
        """The source_addr TON/NPI this encoder uses for ``sender``."""
        return _source(sender, self.settings)

    def _next_reference(self) -> int:
        return next(self._references) & 0xFFFF

    def _prefix(self, sender: str) -> bytes:
        """service_type … source_addr … dest TON/NPI: the same for every message of a sender."""
        prefix = self._prefixes.get(sender)
        if prefix is None:
            ton, npi = _source(sender, self.settings)
            if len(sender) > 20 or not sender.isascii():
                raise ValidationError(f"sender {sender!r} does not fit SMPP source_addr")
            prefix = (
                self._head
                + bytes((ton, npi))
                + sender.encode("ascii")
                + b"\0"
                + bytes((self.settings.dest_ton, self.settings.dest_npi))
            )
            if len(self._prefixes) < 256:
                self._prefixes[sender] = prefix
        return prefix

    def _common(self, message: Message) -> tuple[str, Content, str, str]:
        refuse_uncarried(message, "smpp")
        sender = message.sender if message.sender is not None else self.settings.default_sender
        reference = self._next_reference() if self.settings.long_mode != "payload" else 0
        content = plan_content(message, self.settings.coding, self.settings.long_mode, reference)
        schedule = schedule_time(message.send_at, message.tz)
        validity = relative_time(message.valid) if message.valid is not None else ""
        return sender or "", content, schedule, validity

    def encode(self, message: Message) -> EncodedSubmits:
        """Return the submit_sm bodies for ``message``, one tuple per phone."""
        fast = self._encode_plain(message)
        if fast is not None:
            return fast
        sender, content, schedule, validity = self._common(message)
        prefix = self._prefix(sender)
        middle = b"%c%c%c%s\0%s\0%s%c%c" % (
            content.esm_class,
            self.settings.protocol_id,
            self.settings.priority_flag,
            schedule.encode("ascii"),
            validity.encode("ascii"),
            self._tail,
            content.data_coding,
            0,
        )
        tails = tuple(
            b"%c%s%s" % (len(sm), sm, encode_tlvs(tlvs) if tlvs else b"")
            for sm, tlvs in content.segments
        )
        bodies = []
        for phone in message.phones:
            destination = _destination(phone)
            head = prefix + destination.encode("ascii") + b"\0" + middle
            bodies.append(tuple(head + tail for tail in tails))
        return EncodedSubmits(message.phones, tuple(bodies), content.parts, sender)

    def _encode_plain(self, message: Message) -> EncodedSubmits | None:
        """The hot path: a one-part ASCII SMS sent at once, when its octets need no mapping.

        Returns ``None`` for anything else; :meth:`encode` then takes the general path,
        which gives the same bytes (the tests hold them equal).
        """
        text = message.text
        if (
            message.kind is not MessageKind.SMS
            or not text.isascii()
            or message.translit
            or message.send_at is not None
            or message.valid is not None
            or message.max_parts is not None
            or message.extra
            or message.spread_over is not None
            or message.short_links
            or message.partner_id is not None
            or message.user_ip is not None
        ):
            # Options take the general path, which maps each one or refuses it.
            return None
        raw = text.encode("ascii")
        coding = self.settings.coding
        if coding == "auto" and len(raw) <= 160 and not raw.translate(None, SAME_IN_GSM7):
            data_coding = DC_GSM7  # every character has the same code in GSM 03.38
        elif coding == "smsc" and len(raw) <= SINGLE_OCTETS:
            data_coding = DC_OCTETS
        else:
            return None
        sender = message.sender
        if sender is None:
            sender = self.settings.default_sender or ""
        prefix = self._prefixes.get(sender) or self._prefix(sender)
        tail = b"\0" + self._plain + bytes((data_coding, 0, len(raw))) + raw
        phones = message.phones
        if len(phones) == 1:
            bodies: tuple[tuple[bytes, ...], ...] = (
                (prefix + _destination(phones[0]).encode("ascii") + tail,),
            )
        else:
            bodies = tuple((prefix + _destination(p).encode("ascii") + tail,) for p in phones)
        return EncodedSubmits(phones, bodies, 1, sender)

    def fields(self, message: Message) -> list[list[ShortMessage]]:
        """Return the same submits as :meth:`encode` as field values, one list per phone."""
        sender, content, schedule, validity = self._common(message)
        ton, npi = _source(sender, self.settings)
        result = []
        for phone in message.phones:
            destination = _destination(phone)
            result.append(
                [
                    ShortMessage(
                        service_type=self.settings.service_type,
                        source_addr_ton=ton,
                        source_addr_npi=npi,
                        source_addr=sender,
                        dest_addr_ton=self.settings.dest_ton,
                        dest_addr_npi=self.settings.dest_npi,
                        destination_addr=destination,
                        esm_class=content.esm_class,
                        protocol_id=self.settings.protocol_id,
                        priority_flag=self.settings.priority_flag,
                        schedule_delivery_time=schedule,
                        validity_period=validity,
                        registered_delivery=self.settings.registered_delivery,
                        data_coding=content.data_coding,
                        short_message=sm,
                        tlvs=tlvs,
                    )
                    for sm, tlvs in content.segments
                ]
            )
        return result
