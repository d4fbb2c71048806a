"""SMPP 3.4 framing and the small PDUs: sans-I/O, bytes in and bytes out.

Every PDU is a 16-octet header (``command_length``, ``command_id``,
``command_status``, ``sequence_number``, all big-endian, SMPP 3.4 §3.2) and a body.
:class:`FrameSplitter` cuts a byte stream into PDUs and refuses hostile lengths before
allocating anything; the functions below encode and decode the bodies of the PDUs this
library speaks. ``submit_sm``/``deliver_sm`` live in :mod:`.short_message`, the mapping
from :class:`~smsc_transports.message.Message` in :mod:`.text`, receipts in
:mod:`.receipts`.

Command ids and status codes are smpplib's (``smpplib.consts``, ``command_codes``), so
the names below are the spec's and smpplib's at once.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from smpplib import command_codes as _codes
from smpplib import consts as _consts

from smsc_transports.errors import ProtocolError, ValidationError

__all__ = [
    "BIND_COMMANDS",
    "HEADER",
    "MAX_PDU_LENGTH",
    "BindRequest",
    "BindResponse",
    "Frame",
    "FrameSplitter",
    "QueryResponse",
    "cstring",
    "decode_bind",
    "decode_bind_resp",
    "decode_message_id",
    "decode_query_sm",
    "decode_query_sm_resp",
    "encode_bind",
    "encode_bind_resp",
    "encode_message_id_resp",
    "encode_pdu",
    "encode_query_sm",
    "encode_query_sm_resp",
    "status_text",
]

HEADER: Final = struct.Struct(">IIII")
"""command_length, command_id, command_status, sequence_number (SMPP 3.4 §3.2)."""
HEADER_LENGTH: Final = 16
MAX_PDU_LENGTH: Final = 64 * 1024
"""Longest PDU accepted: a submit_sm with a full 64 KiB message_payload does not fit,
but nothing SMSC sends (≤ 1000 characters of text) comes near it."""
MAX_SEQUENCE: Final = 0x7FFFFFFF  # SMPP 3.4 §3.2: 0x00000001 … 0x7FFFFFFF

_cmd = _codes.commands
RESPONSE: Final[int] = 0x80000000
GENERIC_NACK: Final[int] = _cmd["generic_nack"]
BIND_RECEIVER: Final[int] = _cmd["bind_receiver"]
BIND_TRANSMITTER: Final[int] = _cmd["bind_transmitter"]
BIND_TRANSCEIVER: Final[int] = _cmd["bind_transceiver"]
QUERY_SM: Final[int] = _cmd["query_sm"]
SUBMIT_SM: Final[int] = _cmd["submit_sm"]
DELIVER_SM: Final[int] = _cmd["deliver_sm"]
UNBIND: Final[int] = _cmd["unbind"]
ENQUIRE_LINK: Final[int] = _cmd["enquire_link"]
ALERT_NOTIFICATION: Final[int] = _cmd["alert_notification"]
DATA_SM: Final[int] = _cmd["data_sm"]
CANCEL_SM: Final[int] = _cmd["cancel_sm"]
REPLACE_SM: Final[int] = _cmd["replace_sm"]
OUTBIND: Final[int] = _cmd["outbind"]
SUBMIT_SM_RESP: Final[int] = SUBMIT_SM | RESPONSE
DELIVER_SM_RESP: Final[int] = DELIVER_SM | RESPONSE
QUERY_SM_RESP: Final[int] = QUERY_SM | RESPONSE
UNBIND_RESP: Final[int] = UNBIND | RESPONSE
ENQUIRE_LINK_RESP: Final[int] = ENQUIRE_LINK | RESPONSE
DATA_SM_RESP: Final[int] = DATA_SM | RESPONSE
CANCEL_SM_RESP: Final[int] = CANCEL_SM | RESPONSE
REPLACE_SM_RESP: Final[int] = REPLACE_SM | RESPONSE
BIND_COMMANDS: Final = {"trx": BIND_TRANSCEIVER, "tx": BIND_TRANSMITTER, "rx": BIND_RECEIVER}
"""The bind PDU for each ``bind=`` option value."""

ESME_ROK: Final[int] = _consts.SMPP_ESME_ROK
ESME_RINVMSGLEN: Final[int] = _consts.SMPP_ESME_RINVMSGLEN
ESME_RINVCMDLEN: Final[int] = _consts.SMPP_ESME_RINVCMDLEN
ESME_RINVCMDID: Final[int] = _consts.SMPP_ESME_RINVCMDID
ESME_RINVBNDSTS: Final[int] = _consts.SMPP_ESME_RINVBNDSTS
ESME_RALYBND: Final[int] = _consts.SMPP_ESME_RALYBND
ESME_RSYSERR: Final[int] = _consts.SMPP_ESME_RSYSERR
ESME_RINVSRCADR: Final[int] = _consts.SMPP_ESME_RINVSRCADR
ESME_RINVDSTADR: Final[int] = _consts.SMPP_ESME_RINVDSTADR
ESME_RINVMSGID: Final[int] = _consts.SMPP_ESME_RINVMSGID
ESME_RCANCELFAIL: Final[int] = _consts.SMPP_ESME_RCANCELFAIL
ESME_RREPLACEFAIL: Final[int] = _consts.SMPP_ESME_RREPLACEFAIL
ESME_RBINDFAIL: Final[int] = _consts.SMPP_ESME_RBINDFAIL
ESME_RINVPASWD: Final[int] = _consts.SMPP_ESME_RINVPASWD
ESME_RINVSYSID: Final[int] = _consts.SMPP_ESME_RINVSYSID
ESME_RMSGQFUL: Final[int] = _consts.SMPP_ESME_RMSGQFUL
ESME_RINVSRCTON: Final[int] = _consts.SMPP_ESME_RINVSRCTON
ESME_RINVSRCNPI: Final[int] = _consts.SMPP_ESME_RINVSRCNPI
ESME_RINVDSTTON: Final[int] = _consts.SMPP_ESME_RINVDSTTON
ESME_RINVDSTNPI: Final[int] = _consts.SMPP_ESME_RINVDSTNPI
ESME_RSUBMITFAIL: Final[int] = _consts.SMPP_ESME_RSUBMITFAIL
ESME_RTHROTTLED: Final[int] = _consts.SMPP_ESME_RTHROTTLED
ESME_RINVSCHED: Final[int] = _consts.SMPP_ESME_RINVSCHED
ESME_RINVEXPIRY: Final[int] = _consts.SMPP_ESME_RINVEXPIRY
ESME_RX_T_APPN: Final[int] = _consts.SMPP_ESME_RX_T_APPN
ESME_RX_P_APPN: Final[int] = _consts.SMPP_ESME_RX_P_APPN
ESME_RQUERYFAIL: Final[int] = _consts.SMPP_ESME_RQUERYFAIL
ESME_RUNKNOWNERR: Final[int] = _consts.SMPP_ESME_RUNKNOWNERR
ESME_RINVOPTPARSTREAM: Final[int] = _consts.SMPP_ESME_RINVOPTPARSTREAM

Frame = tuple[int, int, int, bytes]
"""One PDU off the wire: (command_id, command_status, sequence_number, body)."""


def status_text(status: int) -> str:
    """Return the SMPP 3.4 name of a ``command_status`` (§5.1.3), e.g. "Bind Failed"."""
    text = _consts.DESCRIPTIONS.get(status)
    if text is not None:
        return str(text)
    if 0x400 <= status <= 0x4FF:
        return f"SMSC vendor-specific error 0x{status:08X}"
    return f"unknown command_status 0x{status:08X}"


def encode_pdu(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    """Return one whole PDU: the header followed by ``body``."""
    return HEADER.pack(HEADER_LENGTH + len(body), command_id, status, sequence) + body


class FrameSplitter:
    """Cuts a byte stream into PDUs; feed it whatever the socket gave.

    A ``command_length`` below 16 or above ``max_length`` raises :class:`ProtocolError`
    at once (SMPP 3.4 §3.2 makes 16 the minimum; a larger length than we accept would
    make us buffer unboundedly), so a hostile peer costs at most ``max_length`` bytes.
    After an error the stream is out of step and the connection must be dropped.
    """

    __slots__ = ("_buffer", "max_length")

    def __init__(self, max_length: int = MAX_PDU_LENGTH) -> None:
        self.max_length = max_length
        self._buffer = b""

    @property
    def pending(self) -> int:
        """How many bytes of an unfinished PDU are buffered."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Add ``data``; return every PDU now complete, in order."""
        buffer = self._buffer + data if self._buffer else data
        frames: list[Frame] = []
        append = frames.append
        unpack = HEADER.unpack_from
        size = len(buffer)
        offset = 0
        limit = self.max_length
        while size - offset >= HEADER_LENGTH:
            length, command_id, status, sequence = unpack(buffer, offset)
            if length < HEADER_LENGTH or length > limit:
                self._buffer = b""
                raise ProtocolError(
                    f"PDU command_length {length} is outside 16…{limit} "
                    f"(command_id 0x{command_id:08X})"
                )
            end = offset + length
            if end > size:
                break
            append((command_id, status, sequence, buffer[offset + HEADER_LENGTH : end]))
            offset = end
        self._buffer = buffer[offset:] if offset < size else b""
        return frames


def cstring(body: bytes, pos: int, limit: int, name: str) -> tuple[bytes, int]:
    """Read a C-Octet String at ``pos`` of at most ``limit`` octets with its NUL.

    Returns the value without the NUL and the position after it; raises
    :class:`ProtocolError` when no NUL ends it within ``limit`` octets (SMPP 3.4 §3.1).
    """
    end = body.find(b"\0", pos, pos + limit)
    if end < 0:
        raise ProtocolError(f"{name} is not NUL-terminated within {limit} octets")
    return body[pos:end], end + 1


def _octet(body: bytes, pos: int, name: str) -> int:
    if pos >= len(body):
        raise ProtocolError(f"PDU body ends before {name}")
    return body[pos]


def c_octet_string(value: str, limit: int, name: str) -> bytes:
    """Encode a C-Octet String field; ``limit`` counts the NUL, as SMPP 3.4 §4 does."""
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise ValidationError(f"SMPP {name} must be ASCII: {value!r}", field=name) from None
    if len(raw) >= limit or b"\0" in raw:
        raise ValidationError(
            f"SMPP {name} holds at most {limit - 1} octets and no NUL: {value!r}", field=name
        )
    return raw + b"\0"


# -- bind (SMPP 3.4 §4.1) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BindRequest:
    """A bind_transmitter / bind_receiver / bind_transceiver body (SMPP 3.4 §4.1.1)."""

    command_id: int
    system_id: str
    password: str
    system_type: str = ""
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


# SMPP 3.4 caps password at 9 octets with the NUL; SMSC's API passwords can be longer,
# so the encoder lets them through (smpplib silently truncates instead) and only the
# emulator and smpplib-compatible callers see the spec limit. Decoders allow 65.
_PASSWORD_LIMIT = 65


def encode_bind(sequence: int, bind: BindRequest) -> bytes:
    """Return the bind PDU; a field longer than SMPP 3.4 allows is a ValidationError."""
    body = (
        c_octet_string(bind.system_id, 16, "system_id")
        + c_octet_string(bind.password, _PASSWORD_LIMIT, "password")
        + c_octet_string(bind.system_type, 13, "system_type")
        + bytes((bind.interface_version, bind.addr_ton, bind.addr_npi))
        + c_octet_string(bind.address_range, 41, "address_range")
    )
    return encode_pdu(bind.command_id, 0, sequence, body)


def decode_bind(command_id: int, body: bytes) -> BindRequest:
    """Parse a bind body; raise :class:`ProtocolError` when it is malformed."""
    system_id, pos = cstring(body, 0, 16, "system_id")
    password, pos = cstring(body, pos, _PASSWORD_LIMIT, "password")
    system_type, pos = cstring(body, pos, 13, "system_type")
    version = _octet(body, pos, "interface_version")
    ton = _octet(body, pos + 1, "addr_ton")
    npi = _octet(body, pos + 2, "addr_npi")
    address_range, _ = cstring(body, pos + 3, 41, "address_range")
    return BindRequest(
        command_id,
        system_id.decode("latin-1"),
        password.decode("latin-1"),
        system_type.decode("latin-1"),
        version,
        ton,
        npi,
        address_range.decode("latin-1"),
    )


@dataclass(frozen=True, slots=True)
class BindResponse:
    """A bind_*_resp body: the SMSC's system_id and its sc_interface_version TLV."""

    system_id: str
    sc_interface_version: int | None = None


_SC_INTERFACE_VERSION = 0x0210


def encode_bind_resp(
    command_id: int, status: int, sequence: int, response: BindResponse | None
) -> bytes:
    """Return a bind_*_resp PDU for the bind ``command_id``; no body when it failed."""
    body = b""
    if response is not None:
        body = c_octet_string(response.system_id, 16, "system_id")
        if response.sc_interface_version is not None:
            body += struct.pack(">HHB", _SC_INTERFACE_VERSION, 1, response.sc_interface_version)
    return encode_pdu(command_id | RESPONSE, status, sequence, body)


def decode_bind_resp(body: bytes) -> BindResponse:
    """Parse a bind_*_resp body (empty after an error, SMPP 3.4 §4.1.2)."""
    if not body:
        return BindResponse("")
    system_id, pos = cstring(body, 0, 16, "system_id")
    version = None
    # Only sc_interface_version is defined here; other TLVs are skipped (§3.2.5).
    while pos + 4 <= len(body):
        tag, length = struct.unpack_from(">HH", body, pos)
        if tag == _SC_INTERFACE_VERSION and length == 1 and pos + 5 <= len(body):
            version = body[pos + 4]
        pos += 4 + length
    return BindResponse(system_id.decode("latin-1"), version)


# -- submit_sm_resp / deliver_sm_resp (SMPP 3.4 §4.4.2, §4.6.2) ----------------------


def encode_message_id_resp(command_id: int, status: int, sequence: int, message_id: str) -> bytes:
    """Return a submit_sm_resp or deliver_sm_resp carrying ``message_id``."""
    return encode_pdu(command_id, status, sequence, c_octet_string(message_id, 65, "message_id"))


def decode_message_id(body: bytes) -> str:
    """Return the message_id of a submit_sm_resp / deliver_sm_resp body ("" if none).

    An error response may come without a body (SMPP 3.4 §4.4.2), so an empty body is
    not an error; a body with no NUL within 65 octets is.
    """
    if not body:
        return ""
    value, _ = cstring(body, 0, 65, "message_id")
    return value.decode("latin-1")


# -- query_sm (SMPP 3.4 §4.8) ---------------------------------------------------------


def encode_query_sm(
    sequence: int, message_id: str, source_ton: int, source_npi: int, source_addr: str
) -> bytes:
    """Return a query_sm PDU asking for the state of ``message_id``."""
    body = (
        c_octet_string(message_id, 65, "message_id")
        + bytes((source_ton, source_npi))
        + c_octet_string(source_addr, 21, "source_addr")
    )
    return encode_pdu(QUERY_SM, 0, sequence, body)


def decode_query_sm(body: bytes) -> tuple[str, int, int, str]:
    """Parse a query_sm body: (message_id, source_addr_ton, source_addr_npi, source_addr)."""
    message_id, pos = cstring(body, 0, 65, "message_id")
    ton = _octet(body, pos, "source_addr_ton")
    npi = _octet(body, pos + 1, "source_addr_npi")
    source, _ = cstring(body, pos + 2, 21, "source_addr")
    return message_id.decode("latin-1"), ton, npi, source.decode("latin-1")


@dataclass(frozen=True, slots=True)
class QueryResponse:
    """A query_sm_resp body: the message's state (SMPP 3.4 §4.8.2, §5.2.28).

    ``final_date`` is the SMPP absolute time the message reached its final state (""
    while it has not), ``message_state`` 1…8 (ENROUTE … REJECTED), ``error_code`` the
    network-specific error.
    """

    message_id: str
    final_date: str
    message_state: int
    error_code: int


def encode_query_sm_resp(status: int, sequence: int, response: QueryResponse | None) -> bytes:
    """Return a query_sm_resp PDU; no body when ``status`` is an error."""
    body = b""
    if response is not None:
        body = (
            c_octet_string(response.message_id, 65, "message_id")
            + c_octet_string(response.final_date, 17, "final_date")
            + bytes((response.message_state, response.error_code))
        )
    return encode_pdu(QUERY_SM_RESP, status, sequence, body)


def decode_query_sm_resp(body: bytes) -> QueryResponse:
    """Parse a query_sm_resp body; raise :class:`ProtocolError` when malformed."""
    message_id, pos = cstring(body, 0, 65, "message_id")
    final_date, pos = cstring(body, pos, 17, "final_date")
    state = _octet(body, pos, "message_state")
    error = _octet(body, pos + 1, "error_code")
    return QueryResponse(message_id.decode("latin-1"), final_date.decode("latin-1"), state, error)
