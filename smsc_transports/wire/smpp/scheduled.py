"""``cancel_sm`` and ``replace_sm`` (SMPP 3.4 §4.9, §4.10): changing a message not yet sent.

Both name a message by the id its submit_sm_resp gave and the ``source_addr`` it was
sent from; their answers are a bare header whose ``command_status`` says how it went
(ESME_RCANCELFAIL / ESME_RREPLACEFAIL when the message had already left, ESME_RINVCMDID
or generic_nack from a server that does not have the operation). ``replace_sm`` has no
``data_coding``: the new text must be in the original's (§4.10.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from smsc_transports.errors import ProtocolError, ValidationError
from smsc_transports.wire.smpp.pdu import (
    CANCEL_SM,
    REPLACE_SM,
    c_octet_string,
    cstring,
    encode_pdu,
)
from smsc_transports.wire.smpp.short_message import MAX_SHORT_MESSAGE

__all__ = [
    "CancelRequest",
    "ReplaceRequest",
    "decode_cancel_sm",
    "decode_replace_sm",
    "encode_cancel_sm",
    "encode_replace_sm",
]


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """A cancel_sm body: which message, from which source, to which destination."""

    message_id: str
    source_addr_ton: int
    source_addr_npi: int
    source_addr: str
    dest_addr_ton: int = 1
    dest_addr_npi: int = 1
    destination_addr: str = ""
    service_type: str = ""


@dataclass(frozen=True, slots=True)
class ReplaceRequest:
    """A replace_sm body: the message, its source, and what replaces what it had.

    An empty ``schedule_delivery_time``/``validity_period``/``short_message`` keeps
    the original's (SMPP 3.4 §4.10.1: a NULL field is "not replaced").
    """

    message_id: str
    source_addr_ton: int
    source_addr_npi: int
    source_addr: str
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    short_message: bytes = b""


def _octets(body: bytes, pos: int, count: int, name: str) -> bytes:
    if pos + count > len(body):
        raise ProtocolError(f"the PDU ends inside {name}")
    return body[pos : pos + count]


def encode_cancel_sm(sequence: int, request: CancelRequest) -> bytes:
    """Return a whole cancel_sm PDU."""
    body = b"".join(
        (
            c_octet_string(request.service_type, 6, "service_type"),
            c_octet_string(request.message_id, 65, "message_id"),
            bytes((request.source_addr_ton, request.source_addr_npi)),
            c_octet_string(request.source_addr, 21, "source_addr"),
            bytes((request.dest_addr_ton, request.dest_addr_npi)),
            c_octet_string(request.destination_addr, 21, "destination_addr"),
        )
    )
    return encode_pdu(CANCEL_SM, 0, sequence, body)


def decode_cancel_sm(body: bytes) -> CancelRequest:
    """Parse a cancel_sm body; raise :class:`ProtocolError` when malformed."""
    service_type, pos = cstring(body, 0, 6, "service_type")
    message_id, pos = cstring(body, pos, 65, "message_id")
    source_ton, source_npi = _octets(body, pos, 2, "source_addr_ton/npi")
    source, pos = cstring(body, pos + 2, 21, "source_addr")
    dest_ton, dest_npi = _octets(body, pos, 2, "dest_addr_ton/npi")
    destination, _ = cstring(body, pos + 2, 21, "destination_addr")
    return CancelRequest(
        message_id.decode("latin-1"),
        source_ton,
        source_npi,
        source.decode("latin-1"),
        dest_ton,
        dest_npi,
        destination.decode("latin-1"),
        service_type.decode("latin-1"),
    )


def encode_replace_sm(sequence: int, request: ReplaceRequest) -> bytes:
    """Return a whole replace_sm PDU; a text over 254 octets is a :class:`ValidationError`."""
    message = request.short_message
    if len(message) > MAX_SHORT_MESSAGE:
        raise ValidationError(
            f"a replacement text is at most {MAX_SHORT_MESSAGE} octets (one SMS),"
            f" this one is {len(message)}",
            field="text",
        )
    body = b"".join(
        (
            c_octet_string(request.message_id, 65, "message_id"),
            bytes((request.source_addr_ton, request.source_addr_npi)),
            c_octet_string(request.source_addr, 21, "source_addr"),
            c_octet_string(request.schedule_delivery_time, 17, "schedule_delivery_time"),
            c_octet_string(request.validity_period, 17, "validity_period"),
            bytes((request.registered_delivery, 0, len(message))),
            message,
        )
    )
    return encode_pdu(REPLACE_SM, 0, sequence, body)


def decode_replace_sm(body: bytes) -> ReplaceRequest:
    """Parse a replace_sm body; raise :class:`ProtocolError` when malformed."""
    message_id, pos = cstring(body, 0, 65, "message_id")
    source_ton, source_npi = _octets(body, pos, 2, "source_addr_ton/npi")
    source, pos = cstring(body, pos + 2, 21, "source_addr")
    schedule, pos = cstring(body, pos, 17, "schedule_delivery_time")
    validity, pos = cstring(body, pos, 17, "validity_period")
    registered, _, length = _octets(body, pos, 3, "registered_delivery/sm_length")
    message = _octets(body, pos + 3, length, "short_message")
    return ReplaceRequest(
        message_id.decode("latin-1"),
        source_ton,
        source_npi,
        source.decode("latin-1"),
        schedule.decode("latin-1"),
        validity.decode("latin-1"),
        registered,
        message,
    )
