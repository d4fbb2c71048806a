"""From a :class:`~smsc_transports.message.Message` to submit_sm fields: coding and splitting.

* ``data_coding`` (SMPP 3.4 §5.2.19) is chosen from the text: GSM 7-bit (0) when every
  character is in GSM 03.38, else Latin-1 (3) when it fits, else UCS-2 (8). ``coding=smsc``
  copies SMSC's own PHP client instead (4 for pure ASCII, 8 otherwise); ``coding=ucs2``
  always sends UCS-2.
* A text that fits one SMS goes in ``short_message``. A longer one goes, by ``long_mode``,
  whole in the ``message_payload`` TLV (SMSC's own way: SMSC splits it), or split into
  parts with a UDH (``esm_class`` 0x40, 8-bit reference, 3GPP TS 23.040 §9.2.3.24.1), or
  split with the SAR TLVs (SMPP 3.4 §5.3.2.22–24).
* One submit_sm goes to one destination, so a message to N phones is N submits (times
  its parts).

:class:`~.submit.SubmitEncoder` builds the PDU bodies from what is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from smsc_transports.encoding import (
    GSM7_BASIC,
    count_parts,
    encode_gsm7,
    encode_ucs2,
    is_gsm7,
    sent_text,
    split,
)
from smsc_transports.errors import UnsupportedOperation, ValidationError
from smsc_transports.message import Message, MessageKind
from smsc_transports.wire.smpp.short_message import (
    MAX_SHORT_MESSAGE,
    TAG_MESSAGE_PAYLOAD,
    TAG_SAR_MSG_REF_NUM,
    TAG_SAR_SEGMENT_SEQNUM,
    TAG_SAR_TOTAL_SEGMENTS,
)

__all__ = [
    "DC_GSM7",
    "DC_LATIN1",
    "DC_OCTETS",
    "DC_UCS2",
    "SAME_IN_GSM7",
    "SINGLE_OCTETS",
    "Coding",
    "Content",
    "LongMode",
    "choose_coding",
    "fits_one",
    "plan_content",
    "text_content",
]

LongMode = Literal["payload", "udh", "sar"]
Segment = tuple[bytes, tuple[tuple[int, bytes], ...]]
"""One submit's ``(short_message, tlvs)``."""
Coding = Literal["auto", "smsc", "ucs2"]

DC_GSM7: Final = 0x00
DC_LATIN1: Final = 0x03
DC_OCTETS: Final = 0x04
DC_UCS2: Final = 0x08
ESM_UDHI: Final = 0x40
# One SMS holds 140 octets: 160 septets, 140 Latin-1/8-bit octets or 70 UCS-2 units; a
# concatenated part loses 6 octets to the UDH (TS 23.040 §9.2.3.24.1).
SINGLE_OCTETS: Final = 140
_PART_OCTETS: Final = 134
# ASCII octets whose GSM 03.38 septet is the same number (letters, digits, CR, LF and
# most punctuation; not @ $ _ or the extension characters): text made only of these is
# its own GSM 7-bit encoding.
SAME_IN_GSM7: Final = bytes(
    code for code in range(128) if code != 0x1B and GSM7_BASIC.find(chr(code)) == code
)
_TEXT_KINDS: Final = frozenset({MessageKind.SMS, MessageKind.FLASH})
_BINARY_KINDS: Final = frozenset({MessageKind.BIN, MessageKind.BIN_HEX})


@dataclass(frozen=True, slots=True)
class Content:
    """A text's submit_sm content: the data_coding, esm_class bits, and each submit's
    ``(short_message, tlvs)``; ``parts`` is what SMSC bills per recipient."""

    data_coding: int
    esm_class: int
    segments: tuple[Segment, ...]
    parts: int


def choose_coding(text: str, coding: Coding = "auto") -> tuple[int, bytes]:
    """Return the data_coding for ``text`` and the text encoded with it."""
    if coding == "ucs2":
        return DC_UCS2, encode_ucs2(text)
    if coding == "smsc":
        # SMSC's PHP client: 8-bit for pure ASCII, UCS-2 for anything else.
        if text.isascii():
            return DC_OCTETS, text.encode("ascii")
        return DC_UCS2, encode_ucs2(text)
    if is_gsm7(text):
        return DC_GSM7, encode_gsm7(text)
    try:
        return DC_LATIN1, text.encode("latin-1")
    except UnicodeEncodeError:
        return DC_UCS2, encode_ucs2(text)


def fits_one(data_coding: int, encoded: bytes) -> bool:
    """Whether ``encoded`` text in ``data_coding`` fits one SMS."""
    if data_coding == DC_GSM7:
        return len(encoded) <= 160  # unpacked septets, one per octet
    return len(encoded) <= SINGLE_OCTETS


def _split_ucs2(text: str) -> list[bytes]:
    """UCS-2 parts of at most 67 units that never cut a surrogate pair."""
    wire = encode_ucs2(text)
    parts: list[bytes] = []
    start = 0
    while start < len(wire):
        end = min(start + _PART_OCTETS, len(wire))
        if end < len(wire) and 0xD8 <= wire[end - 2] <= 0xDB:
            end -= 2
        parts.append(wire[start:end])
        start = end
    return parts


def _segments(text: str, data_coding: int, encoded: bytes) -> list[bytes]:
    """Split an encoded text into concatenated-SMS parts."""
    if data_coding == DC_GSM7:
        # encoding.split packs 153 septets a part and never cuts an escape pair.
        return [encode_gsm7(part) for part in split(text)]
    if data_coding == DC_UCS2:
        return _split_ucs2(text)
    return [encoded[i : i + _PART_OCTETS] for i in range(0, len(encoded), _PART_OCTETS)]


def _flash(data_coding: int, text: str, encoded: bytes) -> tuple[int, bytes]:
    """Add message class 0 (flash) to a data_coding (3GPP TS 23.038 §4)."""
    if data_coding == DC_GSM7:
        return 0x10, encoded
    if data_coding == DC_OCTETS:
        return 0x14, encoded
    # Latin-1 has no class bits; UCS-2 with class 0 shows the same text.
    return 0x18, encode_ucs2(text) if data_coding != DC_UCS2 else encoded


def _binary(message: Message, long_mode: LongMode, reference: int) -> Content:
    """A binary message's submits: its header (if any) with UDHI, its octets as they are.

    SMSC's binary form starts with the header's length (``00`` for none); SMPP carries
    the header in ``short_message`` with ``esm_class`` UDHI (SMPP 3.4 §5.2.12), so a
    message with its own header must fit one submit; one without is split like text.
    """
    data = message.data or b""
    if not message.header:
        return _fit(DC_OCTETS, "", message.payload, long_mode, reference)
    if len(data) > SINGLE_OCTETS:
        raise ValidationError(
            f"a binary message with its own header is {len(data)} octets; over SMPP it must "
            f"fit one SMS ({SINGLE_OCTETS}), or be sent over https or soap",
            field="data",
        )
    return Content(DC_OCTETS, ESM_UDHI, ((data, ()),), 1)


def _concat(
    data_coding: int, text: str, encoded: bytes, long_mode: LongMode, reference: int
) -> Content:
    if long_mode == "payload":
        # SMSC splits the payload itself and bills as it does for HTTP (§1.4 mes);
        # binary kinds carry no text, so their octets are counted.
        billed = count_parts(text).parts if text else -(-len(encoded) // _PART_OCTETS)
        return Content(data_coding, 0, ((b"", ((TAG_MESSAGE_PAYLOAD, encoded),)),), billed)
    pieces = _segments(text, data_coding & 0x0F if data_coding >= 0x10 else data_coding, encoded)
    total = len(pieces)
    if total > 255:
        raise ValidationError(f"the text needs {total} parts, at most 255 can be joined")
    segments: tuple[Segment, ...]
    if long_mode == "udh":
        ref = reference & 0xFF
        segments = tuple(
            (bytes((5, 0, 3, ref, total, seq)) + piece, ())
            for seq, piece in enumerate(pieces, start=1)
        )
        return Content(data_coding, ESM_UDHI, segments, total)
    ref16 = (reference & 0xFFFF).to_bytes(2, "big")
    count = bytes((total,))
    segments = tuple(
        (
            piece,
            (
                (TAG_SAR_MSG_REF_NUM, ref16),
                (TAG_SAR_TOTAL_SEGMENTS, count),
                (TAG_SAR_SEGMENT_SEQNUM, bytes((seq,))),
            ),
        )
        for seq, piece in enumerate(pieces, start=1)
    )
    return Content(data_coding, 0, segments, total)


def text_content(
    text: str,
    *,
    flash: bool = False,
    coding: Coding = "auto",
    long_mode: LongMode = "payload",
    reference: int = 0,
) -> Content:
    """Return how ``text`` travels in submit_sm/deliver_sm; ``reference`` numbers a split."""
    data_coding, encoded = choose_coding(text, coding)
    if flash:
        data_coding, encoded = _flash(data_coding, text, encoded)
    return _fit(data_coding, text, encoded, long_mode, reference)


def plan_content(
    message: Message, coding: Coding = "auto", long_mode: LongMode = "payload", reference: int = 0
) -> Content:
    """Return how ``message``'s text travels in submit_sm; ``reference`` numbers a split."""
    kind = message.kind
    if kind in _BINARY_KINDS:
        return _binary(message, long_mode, reference)
    if kind not in _TEXT_KINDS:
        raise UnsupportedOperation(f"sending {kind.name} messages", "smpp", ("https", "soap"))
    # translit and max_parts are applied here, to the text SMSC would have sent (§1.4).
    text = sent_text(message)
    return text_content(
        text,
        flash=kind == MessageKind.FLASH,
        coding=coding,
        long_mode=long_mode,
        reference=reference,
    )


def _fit(
    data_coding: int, text: str, encoded: bytes, long_mode: LongMode, reference: int
) -> Content:
    if len(encoded) <= MAX_SHORT_MESSAGE and fits_one(data_coding & 0xEF, encoded):
        return Content(data_coding, 0, ((encoded, ()),), 1)
    return _concat(data_coding, text, encoded, long_mode, reference)
