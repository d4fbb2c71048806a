"""SMS character sets and part counting: pure functions, no I/O.

A text goes out as GSM 03.38 7-bit (160 septets, 153 per concatenated part) when every
character is in the default alphabet or its extension table, and as UCS-2 (70 UTF-16
code units, 67 per part) otherwise. Extension characters cost two septets (escape +
code) and characters outside the Basic Multilingual Plane cost two units (a surrogate
pair). Neither pair is ever cut across a part boundary: a part that would end in the
middle of one ends a unit early, so the part count comes from greedy packing, not from
``ceil(units / 153)``.

Tables follow 3GPP TS 23.038 §6.2.1 and §6.2.1.1 exactly. Position 0x09 is the capital
``Ç``: the small ``ç`` is not in the alphabet, so it switches a text to UCS-2.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from smsc_transports.errors import ValidationError
from smsc_transports.message import Message, MessageKind
from smsc_transports.translit import transliterate

__all__ = [
    "GSM7_BASIC",
    "GSM7_ESCAPE",
    "GSM7_EXTENSION",
    "Encoding",
    "Parts",
    "billed_parts",
    "count_parts",
    "decode_gsm7",
    "decode_ucs2",
    "encode_gsm7",
    "encode_ucs2",
    "is_gsm7",
    "pack_gsm7",
    "sent_text",
    "split",
    "unpack_gsm7",
]

Encoding = Literal["gsm7", "ucs2", "binary"]
"""How a message is carried: GSM 7-bit, UCS-2 (UTF-16), or raw octets (``BIN`` kinds)."""

GSM7_ESCAPE: Final = 0x1B
"""The septet that announces a character from :data:`GSM7_EXTENSION`."""

GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
"""The default alphabet, indexed by septet. Index 0x1B is the escape, not a character."""

GSM7_EXTENSION: Final[Mapping[int, str]] = MappingProxyType(
    {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
     0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
)  # fmt: skip
"""The basic extension table: code after :data:`GSM7_ESCAPE` → character."""

_SINGLE: Final = {"gsm7": 160, "ucs2": 70, "binary": 140}
_CONCAT: Final = {"gsm7": 153, "ucs2": 67, "binary": 134}  # 6 or 7 octets go to the UDH

_EXT_CHARS: Final = "".join(GSM7_EXTENSION.values())
_BASIC_CHARS: Final = GSM7_BASIC.replace("\x1b", "")
# U+001B is the escape on the wire, never a character of its own, so it is not encodable.
_NON_GSM: Final = re.compile("[^" + re.escape(_BASIC_CHARS + _EXT_CHARS) + "]")
_ASCII_GSM: Final = bytes(c for c in range(128) if chr(c) in _BASIC_CHARS + _EXT_CHARS)
_ASCII_EXT: Final = bytes(ord(c) for c in _EXT_CHARS if c.isascii())
_ASCII_EXT_BYTES: Final = tuple(bytes([b]) for b in _ASCII_EXT)
# Maps the high byte of a UTF-16 unit to 0x1B when the unit opens a surrogate pair.
_HIGH_SURROGATE_TO_ESCAPE: Final = bytes(0x1B if 0xD8 <= b <= 0xDB else 0 for b in range(256))
_ENCODE: Final = {ord(c): chr(i) for i, c in enumerate(GSM7_BASIC) if i != GSM7_ESCAPE} | {
    ord(c): "\x1b" + chr(code) for code, c in GSM7_EXTENSION.items()
}
_DECODE: Final = {i: c for i, c in enumerate(GSM7_BASIC)}
# After an escape the code was already decoded as a basic character, so the extension
# table is keyed by that character; 0x1B 0x1B is "display a space" (TS 23.038 §6.2.1.1).
_EXT_BY_BASIC: Final = {GSM7_BASIC[code]: c for code, c in GSM7_EXTENSION.items()} | {"\x1b": " "}
_ESCAPED: Final = re.compile("\x1b(.)", re.DOTALL)
# One unbreakable item: two lone surrogate code points that form a pair on the wire, or
# any single code point (an astral one is itself a pair).
_ITEM: Final = re.compile("[\ud800-\udbff][\udc00-\udfff]|.", re.DOTALL)
_HEX: Final = re.compile("[0-9A-Fa-f]*")

_SMS_KINDS: Final = frozenset({MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH})
_NO_TEXT_KINDS: Final = frozenset({MessageKind.HLR, MessageKind.PING})
_PER_MESSAGE_KINDS: Final = frozenset(
    {MessageKind.MAIL, MessageKind.VIBER, MessageKind.SOC, MessageKind.BOT,
     MessageKind.TELEGRAM, MessageKind.MMS, MessageKind.CALL}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Parts:
    """How a text is carried and billed.

    ``units`` are septets for ``gsm7``, UTF-16 code units for ``ucs2`` and octets for
    ``binary``. ``per_part`` is the capacity of one part (160/70/140 for a single part,
    153/67/134 once concatenated) and ``remaining`` the units still free in the last
    part. For kinds billed per message (e-mail, Viber, bots…) ``parts`` is 1 and
    ``per_part`` equals ``units``; for HLR and ping all but ``characters`` are 0.
    """

    encoding: Encoding
    """The character set the text needs."""
    parts: int
    """How many parts SMSC sends and bills."""
    units: int
    """The size of the whole text in the encoding's units."""
    per_part: int
    """Units that fit in one part of this message."""
    remaining: int
    """Units still free in the last part (a two-unit character may still not fit in 1)."""
    characters: int
    """``len(text)``: Python code points, not units."""


# A frozen dataclass takes longer to build than a short text takes to count; Parts is
# immutable, so equal results can share one instance.
_parts: Final = functools.lru_cache(maxsize=4096)(Parts)


def _measure(text: str) -> tuple[Encoding, int, bool]:
    """Return the encoding, the units, and whether any two-unit item occurs."""
    if text.isascii():
        # bytes.translate is the cheapest C loop for the most common texts.
        raw = text.encode("ascii")
        if raw.translate(None, _ASCII_GSM):
            return "ucs2", len(raw), False
        units = 2 * len(raw) - len(raw.translate(None, _ASCII_EXT))
        return "gsm7", units, units != len(raw)
    if _NON_GSM.search(text) is None:
        # As in _pack: "^" stands for €, "?" for the other non-ASCII characters.
        raw = text.replace("€", "^").encode("ascii", "replace")
        units = 2 * len(raw) - len(raw.translate(None, _ASCII_EXT))
        return "gsm7", units, units != len(raw)
    try:
        units = len(text.encode("utf-16-le")) // 2
    except UnicodeEncodeError:  # lone surrogates: rare, so the packer handles them slowly
        return "ucs2", len(text.encode("utf-16-le", "surrogatepass")) // 2, True
    return "ucs2", units, units != len(text)


def _pack(text: str, encoding: Encoding, capacity: int) -> list[tuple[int, int]]:
    """Pack greedily; return ``(end index in text, units)`` for every part.

    Works on bytes holding one element per unit, 0x1B where a two-unit pair starts, so
    that each part costs a few C calls instead of a Python step per character.
    """
    if encoding == "gsm7":
        # € is the only non-ASCII extension character: as "^" it keeps its cost, and every
        # other character becomes one byte ("?" for non-ASCII ones, which cost 1 as well).
        units = text.replace("€", "^").encode("ascii", "replace")
        for char in _ASCII_EXT_BYTES:
            units = units.replace(char, b"\x1b" + char)
    else:
        try:
            wire = text.encode("utf-16-be")
        except UnicodeEncodeError:
            return _pack_items(text, capacity)
        units = wire[0::2].translate(_HIGH_SURROGATE_TO_ESCAPE)
    cuts: list[tuple[int, int]] = []
    start = index = 0
    total = len(units)
    while start < total:
        end = min(start + capacity, total)
        if end < total and units[end - 1] == 0x1B:
            end -= 1
        # Each 0x1B is the first of two units that make one character.
        index += end - start - units.count(b"\x1b", start, end)
        cuts.append((index, end - start))
        start = end
    return cuts


def _pack_items(text: str, capacity: int) -> list[tuple[int, int]]:
    """Pack text with lone surrogates item by item: rare enough to favour simplicity."""
    cuts: list[tuple[int, int]] = []
    used = 0
    for item in _ITEM.finditer(text):
        size = 2 if len(item[0]) == 2 or ord(item[0]) > 0xFFFF else 1
        if used + size > capacity:
            cuts.append((item.start(), used))
            used = 0
        used += size
    cuts.append((len(text), used))
    return cuts


def billed_parts(message: Message) -> int:
    """Count the parts SMSC bills for ``message``: its text's parts for each recipient.

    The text counted is the one SMSC sends (:func:`sent_text`: transliterated and cut to
    ``max_parts``); a binary message counts its octets. The library's own count, for when
    SMSC does not say (a send it had accepted on an attempt whose answer was lost, an
    SMTP gateway's bare "accepted") and for SMPP, which must match HTTP's.
    """
    if message.data is not None:
        parts = count_parts(message.data.hex(), kind=MessageKind.BIN_HEX).parts
    else:
        parts = count_parts(sent_text(message), kind=message.kind).parts
    return parts * len(message.phones)


def sent_text(message: Message) -> str:
    """The text SMSC sends for ``message``: ``translit`` applied, then cut to ``max_parts``.

    SMSC cuts a text longer than ``maxsms`` parts to fit (smsc-protocol.md §1.4), at the
    same boundaries :func:`split` finds; a protocol that cannot ask SMSC to do it (SMPP)
    sends this text instead.
    """
    text = transliterate(message.text, message.translit) if message.translit else message.text
    if message.max_parts is not None:
        text = "".join(split(text)[: message.max_parts])
    return text


def count_parts(text: str, *, kind: MessageKind = MessageKind.SMS) -> Parts:
    """Count the parts SMSC sends (and bills) for ``text`` as a message of ``kind``.

    * SMS, FLASH, PUSH: GSM 7-bit or UCS-2 parts as described in the module docstring.
      An empty text is one (empty) part, as SMSC bills one SMS for it.
    * HLR, PING: 0 parts and 0 units; these send no text. The encoding is still reported.
    * MAIL, VIBER, SOC, BOT, TELEGRAM, MMS, CALL: one part, billed per message; units and
      encoding describe the text, ``per_part`` equals ``units``, ``remaining`` is 0.
    * BIN: ``text`` holds bytes as Latin-1 characters; 140 octets in one part, 134 per
      concatenated part. BIN_HEX: ``text`` is hex digits (no spaces), two per octet.

    Raises :class:`ValidationError` for BIN text above U+00FF, BIN_HEX text that is not
    an even number of hex digits, and unknown kinds.
    """
    if kind in _SMS_KINDS:
        encoding, units, pairs = _measure(text)
    elif kind in (MessageKind.BIN, MessageKind.BIN_HEX):
        return _binary_parts(text, kind)
    elif kind in _PER_MESSAGE_KINDS or kind in _NO_TEXT_KINDS:
        encoding, units, _ = _measure(text)
        if kind in _NO_TEXT_KINDS:
            return _parts(encoding, 0, 0, 0, 0, len(text))
        return _parts(encoding, 1, units, units, 0, len(text))
    else:
        raise ValidationError(f"unknown message kind {kind!r}", field="kind")
    single = _SINGLE[encoding]
    if units <= single:
        return _parts(encoding, 1, units, single, single - units, len(text))
    capacity = _CONCAT[encoding]
    if pairs:
        cuts = _pack(text, encoding, capacity)
        parts, last = len(cuts), cuts[-1][1]
    else:
        parts = -(-units // capacity)
        last = units - (parts - 1) * capacity
    return _parts(encoding, parts, units, capacity, capacity - last, len(text))


def _binary_parts(text: str, kind: MessageKind) -> Parts:
    """Count octet parts for the BIN (Latin-1 bytes) and BIN_HEX (hex digits) kinds."""
    if kind == MessageKind.BIN:
        try:
            octets = len(text.encode("latin-1"))
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"binary text holds {text[exc.start]!r} at position {exc.start};"
                " only characters U+0000…U+00FF stand for bytes",
                field="text",
            ) from None
    else:
        if _HEX.fullmatch(text) is None:
            bad = next(i for i, c in enumerate(text) if c not in "0123456789abcdefABCDEF")
            raise ValidationError(
                f"hex text holds {text[bad]!r} at position {bad}; only hex digits are allowed",
                field="text",
            )
        if len(text) % 2:
            raise ValidationError(
                f"hex text has an odd number of digits ({len(text)})", field="text"
            )
        octets = len(text) // 2
    single, capacity = _SINGLE["binary"], _CONCAT["binary"]
    if octets <= single:
        return _parts("binary", 1, octets, single, single - octets, len(text))
    parts = -(-octets // capacity)
    return _parts("binary", parts, octets, capacity, parts * capacity - octets, len(text))


def split(text: str) -> list[str]:
    """Return the texts of the SMS parts of ``text``, packed exactly as :func:`count_parts`.

    ``"".join(split(t)) == t`` and ``len(split(t)) == count_parts(t).parts`` always hold;
    an extension character or a surrogate pair is never cut. An empty text gives ``[""]``:
    one empty part, matching the one SMS that :func:`count_parts` reports for it.
    """
    encoding, units, pairs = _measure(text)
    if units <= _SINGLE[encoding]:
        return [text]
    capacity = _CONCAT[encoding]
    if not pairs:
        return [text[i : i + capacity] for i in range(0, len(text), capacity)]
    parts: list[str] = []
    start = 0
    for end, _ in _pack(text, encoding, capacity):
        parts.append(text[start:end])
        start = end
    return parts


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM default alphabet or extension."""
    return _NON_GSM.search(text) is None


def encode_gsm7(text: str) -> bytes:
    """Encode ``text`` as unpacked septets, one byte each, as SMPP sends data_coding 0.

    Extension characters become ``0x1B`` + code. Raises :class:`ValidationError` naming
    the first character that has no GSM 7-bit code, and its position.
    """
    bad = _NON_GSM.search(text)
    if bad is not None:
        raise ValidationError(
            f"{bad[0]!r} (U+{ord(bad[0]):04X}) at position {bad.start()} is not in the GSM"
            " 7-bit alphabet",
            field="text",
        )
    return text.translate(_ENCODE).encode("ascii")


def decode_gsm7(data: bytes) -> str:
    """Decode unpacked septets (the inverse of :func:`encode_gsm7`).

    An escape followed by a code the extension table does not define decodes as the
    default-alphabet character of that code, the fallback TS 23.038 prescribes; escape +
    escape decodes as a space, as the standard asks. Raises :class:`ValidationError` for a
    byte above 0x7F or an escape with nothing after it.
    """
    if not data.isascii():
        pos = next(i for i, b in enumerate(data) if b > 0x7F)
        raise ValidationError(f"byte 0x{data[pos]:02X} at position {pos} is not a septet")
    basic = data.decode("ascii").translate(_DECODE)
    if "\x1b" not in basic:
        return basic
    text = _ESCAPED.sub(lambda m: _EXT_BY_BASIC.get(m[1], m[1]), basic)
    if text.endswith("\x1b"):
        raise ValidationError(f"escape at position {len(data) - 1} has no code after it")
    return text


def encode_ucs2(text: str) -> bytes:
    """Encode ``text`` as UCS-2 on the wire, i.e. UTF-16 big-endian without a BOM.

    Raises :class:`ValidationError` for a lone surrogate, which no phone can show.
    """
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"lone surrogate U+{ord(text[exc.start]):04X} at position {exc.start}", field="text"
        ) from None


def decode_ucs2(data: bytes) -> str:
    """Decode UTF-16 big-endian; raise :class:`ValidationError` for odd or broken input."""
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"invalid UCS-2 data at byte {exc.start}: {exc.reason}") from None


def pack_gsm7(septets: bytes) -> bytes:
    """Pack unpacked septets (from :func:`encode_gsm7`) into 7-bit octets, LSB first.

    When 7 bits are left over at the end they are filled with CR, not zeros, so that no
    receiver reads a stray ``@`` (TS 23.038 §6.1.2.3.1). For channels that carry only an
    octet length (USSD, cell broadcast) the standard also wants a text that ends in CR on
    an octet boundary to get one more CR; that is left to the caller.
    """
    if not septets.isascii():
        raise ValidationError("septets must be below 0x80")
    if len(septets) % 8 == 7:
        septets += b"\r"
    out = bytearray()
    for start in range(0, len(septets), 8):
        group = septets[start : start + 8]
        value = sum(septet << (7 * i) for i, septet in enumerate(group))
        out += value.to_bytes((7 * len(group) + 7) // 8, "little")
    return bytes(out)


def unpack_gsm7(data: bytes, septets: int | None = None) -> bytes:
    """Unpack 7-bit octets into one septet per byte (the inverse of :func:`pack_gsm7`).

    ``septets`` is the count from the length field (TP-UDL in an SMS). Without
    it every whole septet is returned, less a final CR that only fills 7 spare bits.
    """
    available = len(data) * 8 // 7
    count = available if septets is None else septets
    if not 0 <= count <= available:
        raise ValidationError(f"{len(data)} octets hold {available} septets, not {count}")
    out = bytearray()
    for start in range(0, len(data), 7):
        value = int.from_bytes(data[start : start + 7], "little")
        out += bytes((value >> shift) & 0x7F for shift in range(0, 56, 7))
    del out[count:]
    if septets is None and count % 8 == 0 and out and out[-1] == 0x0D:
        del out[-1]
    return bytes(out)
