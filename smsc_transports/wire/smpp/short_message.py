"""The short-message PDUs ``submit_sm``, ``deliver_sm`` and ``data_sm``, and their TLVs.

The first two share one body layout (SMPP 3.4 §4.4.1 and §4.6.1): fourteen mandatory
fields, ``sm_length`` + ``short_message``, then optional parameters as TLVs (§3.2.5).
``data_sm`` (§4.7.1) has only the addresses, ``esm_class``, ``registered_delivery`` and
``data_coding``, its text in the ``message_payload`` TLV; some SMSCs send receipts so.
One :class:`ShortMessage` value describes any of them; the encoder is written for the
hot path (one ``bytes`` formatting call per body), the decoder for hostile input (every
length is checked against the body before it is used).
"""

from __future__ import annotations

import struct
from typing import Final, NamedTuple

from smsc_transports.errors import ProtocolError, ValidationError
from smsc_transports.wire.smpp.pdu import (
    DATA_SM,
    DELIVER_SM,
    HEADER,
    HEADER_LENGTH,
    SUBMIT_SM,
    c_octet_string,
)

__all__ = [
    "TAG_MESSAGE_PAYLOAD",
    "TAG_MESSAGE_STATE",
    "TAG_NETWORK_ERROR_CODE",
    "TAG_RECEIPTED_MESSAGE_ID",
    "TAG_SAR_MSG_REF_NUM",
    "TAG_SAR_SEGMENT_SEQNUM",
    "TAG_SAR_TOTAL_SEGMENTS",
    "ShortMessage",
    "decode_data_sm",
    "decode_short_message",
    "encode_data_sm",
    "encode_deliver_sm",
    "encode_short_message_body",
    "encode_submit_sm",
    "encode_tlvs",
    "tlv_int",
    "tlv_value",
]

# SMPP 3.4 §5.3.2 tags (the values smpplib.consts.OPTIONAL_PARAMS also lists).
TAG_RECEIPTED_MESSAGE_ID: Final = 0x001E
TAG_USER_MESSAGE_REFERENCE: Final = 0x0204
TAG_SAR_MSG_REF_NUM: Final = 0x020C
TAG_SAR_TOTAL_SEGMENTS: Final = 0x020E
TAG_SAR_SEGMENT_SEQNUM: Final = 0x020F
TAG_NETWORK_ERROR_CODE: Final = 0x0423
TAG_MESSAGE_PAYLOAD: Final = 0x0424
TAG_MESSAGE_STATE: Final = 0x0427

MAX_SHORT_MESSAGE: Final = 254  # SMPP 3.4 §4.4.1: sm_length is 0…254
_TLV_HEAD: Final = struct.Struct(">HH")
# One formatting call builds the whole mandatory part: C-Octet Strings arrive with
# their NUL already appended, integers go in with %c.
_BODY: Final = b"%s%c%c%s%c%c%s%c%c%c%s%s%c%c%c%c%c%s%s"


class ShortMessage(NamedTuple):
    """The fields of a submit_sm or deliver_sm (SMPP 3.4 §4.4.1, §4.6.1).

    Addresses and times are ASCII text; ``short_message`` holds the octets exactly as
    sent (a UDH first when ``esm_class`` has 0x40); ``tlvs`` are (tag, value) pairs in
    wire order. A named tuple rather than a dataclass: every receipt builds one, and a
    tuple is built several times faster.
    """

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""
    tlvs: tuple[tuple[int, bytes], ...] = ()

    def tlv(self, tag: int) -> bytes | None:
        """Return the value of the first TLV with ``tag``, or ``None``."""
        return tlv_value(self.tlvs, tag)


def encode_tlvs(tlvs: tuple[tuple[int, bytes], ...] | list[tuple[int, bytes]]) -> bytes:
    """Return TLVs in wire form: tag, length (2 octets each), value (SMPP 3.4 §3.2.5)."""
    out = b""
    for tag, value in tlvs:
        if len(value) > 0xFFFF or not 0 <= tag <= 0xFFFF:
            raise ValidationError(f"TLV 0x{tag:04X} with {len(value)} octets does not fit")
        out += _TLV_HEAD.pack(tag, len(value)) + value
    return out


def encode_short_message_body(sm: ShortMessage) -> bytes:
    """Return the body of a submit_sm/deliver_sm carrying ``sm`` (no header)."""
    message = sm.short_message
    if len(message) > MAX_SHORT_MESSAGE:
        raise ValidationError(
            f"short_message is {len(message)} octets, SMPP allows {MAX_SHORT_MESSAGE};"
            " send longer texts in message_payload",
            field="text",
        )
    return _BODY % (
        c_octet_string(sm.service_type, 6, "service_type"),
        sm.source_addr_ton,
        sm.source_addr_npi,
        c_octet_string(sm.source_addr, 21, "source_addr"),
        sm.dest_addr_ton,
        sm.dest_addr_npi,
        c_octet_string(sm.destination_addr, 21, "destination_addr"),
        sm.esm_class,
        sm.protocol_id,
        sm.priority_flag,
        c_octet_string(sm.schedule_delivery_time, 17, "schedule_delivery_time"),
        c_octet_string(sm.validity_period, 17, "validity_period"),
        sm.registered_delivery,
        sm.replace_if_present_flag,
        sm.data_coding,
        sm.sm_default_msg_id,
        len(message),
        message,
        encode_tlvs(sm.tlvs) if sm.tlvs else b"",
    )


def encode_submit_sm(sequence: int, sm: ShortMessage) -> bytes:
    """Return a whole submit_sm PDU."""
    body = encode_short_message_body(sm)
    return HEADER.pack(HEADER_LENGTH + len(body), SUBMIT_SM, 0, sequence) + body


def encode_deliver_sm(sequence: int, sm: ShortMessage) -> bytes:
    """Return a whole deliver_sm PDU."""
    body = encode_short_message_body(sm)
    return HEADER.pack(HEADER_LENGTH + len(body), DELIVER_SM, 0, sequence) + body


def encode_data_sm(sequence: int, sm: ShortMessage) -> bytes:
    """Return a whole data_sm PDU (SMPP 3.4 §4.7.1) carrying ``sm``.

    data_sm has no ``short_message``: a text in it goes into ``message_payload``.
    """
    tlvs = sm.tlvs
    if sm.short_message and tlv_value(tlvs, TAG_MESSAGE_PAYLOAD) is None:
        tlvs = ((TAG_MESSAGE_PAYLOAD, sm.short_message), *tlvs)
    body = b"".join(
        (
            c_octet_string(sm.service_type, 6, "service_type"),
            bytes((sm.source_addr_ton, sm.source_addr_npi)),
            c_octet_string(sm.source_addr, 65, "source_addr"),
            bytes((sm.dest_addr_ton, sm.dest_addr_npi)),
            c_octet_string(sm.destination_addr, 65, "destination_addr"),
            bytes((sm.esm_class, sm.registered_delivery, sm.data_coding)),
            encode_tlvs(tlvs),
        )
    )
    return HEADER.pack(HEADER_LENGTH + len(body), DATA_SM, 0, sequence) + body


def decode_data_sm(body: bytes) -> ShortMessage:
    """Parse a data_sm body into a :class:`ShortMessage` (its text stays in the TLVs).

    Raises :class:`ProtocolError` when malformed, as :func:`decode_short_message` does.
    """
    (service_type, source_ton, source_npi, source, dest_ton, dest_npi, destination), pos = (
        _addresses(body, 65, "data_sm")
    )
    if pos + 3 > len(body):
        raise ProtocolError("data_sm ends inside esm_class/registered_delivery/data_coding")
    esm_class, registered, coding = body[pos], body[pos + 1], body[pos + 2]
    return ShortMessage(
        service_type=service_type,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        destination_addr=destination,
        esm_class=esm_class,
        registered_delivery=registered,
        data_coding=coding,
        tlvs=_decode_tlvs(body, pos + 3),
    )


def _cstring(body: bytes, pos: int, limit: int, name: str) -> tuple[str, int]:
    end = body.find(b"\0", pos, pos + limit)
    if end < 0:
        raise ProtocolError(f"{name} is not NUL-terminated within {limit} octets")
    return body[pos:end].decode("latin-1"), end + 1


_Addresses = tuple[str, int, int, str, int, int, str]


def _addresses(body: bytes, limit: int, what: str) -> tuple[_Addresses, int]:
    """service_type, source TON/NPI/address, destination TON/NPI/address; the next offset.

    ``limit`` is the longest address with its NUL (21 in submit_sm, 65 in data_sm).
    """
    service_type, pos = _cstring(body, 0, 6, "service_type")
    if pos + 2 > len(body):
        raise ProtocolError(f"{what} ends inside source_addr_ton/npi")
    source_ton, source_npi = body[pos], body[pos + 1]
    source, pos = _cstring(body, pos + 2, limit, "source_addr")
    if pos + 2 > len(body):
        raise ProtocolError(f"{what} ends inside dest_addr_ton/npi")
    dest_ton, dest_npi = body[pos], body[pos + 1]
    destination, pos = _cstring(body, pos + 2, limit, "destination_addr")
    return (service_type, source_ton, source_npi, source, dest_ton, dest_npi, destination), pos


def decode_short_message(body: bytes) -> ShortMessage:
    """Parse a submit_sm/deliver_sm body; raise :class:`ProtocolError` when malformed."""
    (service_type, source_ton, source_npi, source, dest_ton, dest_npi, destination), pos = (
        _addresses(body, 21, "short-message PDU")
    )
    if pos + 3 > len(body):
        raise ProtocolError("short-message PDU ends inside esm_class/protocol_id/priority")
    esm_class, protocol_id, priority = body[pos], body[pos + 1], body[pos + 2]
    schedule, pos = _cstring(body, pos + 3, 17, "schedule_delivery_time")
    validity, pos = _cstring(body, pos, 17, "validity_period")
    if pos + 5 > len(body):
        raise ProtocolError("short-message PDU ends before short_message")
    registered, replace, coding, default_id, length = body[pos : pos + 5]
    pos += 5
    if pos + length > len(body):
        raise ProtocolError(f"sm_length {length} runs past the end of the PDU")
    return ShortMessage(
        service_type,
        source_ton,
        source_npi,
        source,
        dest_ton,
        dest_npi,
        destination,
        esm_class,
        protocol_id,
        priority,
        schedule,
        validity,
        registered,
        replace,
        coding,
        default_id,
        body[pos : pos + length],
        _decode_tlvs(body, pos + length) if pos + length < len(body) else (),
    )


def _decode_tlvs(body: bytes, pos: int) -> tuple[tuple[int, bytes], ...]:
    tlvs: list[tuple[int, bytes]] = []
    size = len(body)
    while pos < size:
        if pos + 4 > size:
            raise ProtocolError("a TLV header is cut short at the end of the PDU")
        tag, length = _TLV_HEAD.unpack_from(body, pos)
        pos += 4
        if pos + length > size:
            raise ProtocolError(f"TLV 0x{tag:04X} claims {length} octets past the PDU's end")
        tlvs.append((tag, body[pos : pos + length]))
        pos += length
    return tuple(tlvs)


def tlv_value(tlvs: tuple[tuple[int, bytes], ...], tag: int) -> bytes | None:
    """Return the value of the first TLV with ``tag``, or ``None``."""
    for found, value in tlvs:
        if found == tag:
            return value
    return None


def tlv_int(tlvs: tuple[tuple[int, bytes], ...], tag: int) -> int | None:
    """Return an integer TLV's value (big-endian, any width), or ``None``."""
    value = tlv_value(tlvs, tag)
    if value is None or not value:
        return None
    return int.from_bytes(value, "big")
