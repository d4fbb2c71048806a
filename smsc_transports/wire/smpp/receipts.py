"""What arrives in ``deliver_sm``: delivery receipts and incoming (MO) texts.

A receipt is a deliver_sm whose ``esm_class`` message-type bits say so (SMPP 3.4
§5.2.12: 0x04 SMSC delivery receipt, 0x08/0x10 SME acknowledgements, 0x20 intermediate
notification) or that carries ``receipted_message_id``. Its facts come from the TLVs
``receipted_message_id`` (0x001E), ``message_state`` (0x0427) and
``network_error_code`` (0x0423) when present, and from the appendix-B text
``id:… sub:… dlvrd:… submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000
text:…`` otherwise; TLVs win where both speak.

SMSC's receipt format, the zone of its dates and whether its receipt ids are the
submit_sm_resp ids in another base are not documented (smsc-protocol.md §3 [U]), so
the time zone is a parameter and :func:`receipt_key` reads an id in a chosen base.

The receipt comes from the network, so :func:`parse_receipt` raises nothing but
:class:`ProtocolError`: numbers are ASCII digits of bounded length (``str.isdigit``
also accepts "²" and ``int`` refuses it; ``int`` also refuses 5,000 digits), ids at
most 65 octets (SMPP 3.4 §5.3.2.12).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from typing import Final, Literal, NamedTuple

from smsc_transports.encoding import decode_gsm7
from smsc_transports.errors import ProtocolError, ValidationError
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_MESSAGE_STATE,
    TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID,
    ShortMessage,
    tlv_value,
)
from smsc_transports.wire.smpp.time_fields import is_ascii_digits

__all__ = [
    "MESSAGE_STATES",
    "Reading",
    "Receipt",
    "ReceiptIdMode",
    "canonical_id",
    "decode_text",
    "is_ascii_digits",
    "is_failure",
    "is_receipt",
    "is_success",
    "parse_receipt",
    "receipt_key",
    "status_for",
]

ReceiptIdMode = Literal["auto", "hex", "dec"]
Reading = Literal["given", "hex", "dec"]
"""How a receipt's id is read: as given, as hex (for a decimal store), as decimal."""

# SMPP 3.4 §5.2.28 message_state values and the appendix-B "stat" words for them.
MESSAGE_STATES: Final = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_STATE_BY_WORD: Final = {word: state for state, word in MESSAGE_STATES.items()} | {
    "DELIVERED": 2,
    "UNDELIVERABLE": 5,
    "ACCEPTED": 6,
    "REJECTED": 8,
}
# message_state -> SMSC status (smsc-protocol.md §1.8). ENROUTE and ACCEPTD are not
# final for SMSC ("transferred to the operator").
_STATUS_BY_STATE: Final = {
    1: MessageStatus.TRANSFERRED,
    2: MessageStatus.DELIVERED,
    3: MessageStatus.EXPIRED,
    4: MessageStatus.UNABLE_TO_DELIVER,
    5: MessageStatus.UNABLE_TO_DELIVER,
    6: MessageStatus.TRANSFERRED,
    7: MessageStatus.UNABLE_TO_DELIVER,
    8: MessageStatus.FORBIDDEN,
}
# A failure's err code (§1.9) names the status more exactly than the SMPP state does.
_STATUS_BY_ERR: Final = {
    245: MessageStatus.EXPIRED,
    248: MessageStatus.UNAVAILABLE_NUMBER,
    249: MessageStatus.INVALID_NUMBER,
    **dict.fromkeys(
        (238, 239, 243, 244, 246, 247, 250, 251, 252, 253, 254), MessageStatus.FORBIDDEN
    ),
}
_RECEIPT_TYPES: Final = frozenset({0x04, 0x08, 0x10, 0x20})
_FIELDS: Final = re.compile(
    r"(?<!\w)(?P<key>id|sub|dlvrd|submit date|done date|stat|err):(?P<value>\S*)", re.I
)
_TEXT: Final = re.compile(r"\btext:(.*)\Z", re.I | re.S)
_STANDARD: Final = re.compile(
    r"id:(\S*) +sub:(\S*) +dlvrd:(\S*) +submit date:(\S*) +done date:(\S*)"
    r" +stat:(\S*) +err:(\S*)(?: +text:(.*))?\Z",
    re.I | re.S,
)
_STANDARD_KEYS: Final = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err")
_HEX: Final = re.compile(r"[0-9a-f]+")
_MAX_ID: Final = 65  # receipted_message_id is a C-Octet String of 65 octets at most
_MAX_NUMBER: Final = 9  # digits in sub/dlvrd/err: appendix B writes 3


class Receipt(NamedTuple):
    """One delivery receipt, as parsed from a deliver_sm.

    ``message_id`` is the id the receipt is about; ``state`` the SMPP message_state
    (1…8) and ``stat`` its appendix-B word; ``error`` the ``err:`` code (SMSC's delivery
    error numbering is assumed, §1.9 [U]) or the network_error_code; ``phone`` is the
    handset (the receipt's source_addr), ``sender`` the original sender.
    """

    message_id: str
    state: int | None
    stat: str
    error: int | None
    submitted_at: datetime | None
    done_at: datetime | None
    submitted: int | None
    delivered: int | None
    text: str
    phone: str
    sender: str
    raw_text: str

    @property
    def status(self) -> MessageStatus:
        """The SMSC status this receipt reports."""
        return status_for(self.state, self.error)

    @property
    def delivery_error(self) -> DeliveryError | None:
        """The receipt's ``err`` code (0 included, as HTTP reports it), or ``None`` if absent."""
        return None if self.error is None else DeliveryError(self.error)


def is_failure(status: int) -> bool:
    """``MessageStatus.is_failed`` without the enum machinery, for the receipt hot path.

    Expired (3) and every code from 20 up — documented or not — are failures (§1.8).
    """
    return status == 3 or status >= 20


def is_success(status: int) -> bool:
    """``MessageStatus.is_delivered``: delivered, read, or its link clicked (§1.8)."""
    return status in (1, 2, 4)


def status_for(state: int | None, error: int | None) -> MessageStatus:
    """Return the SMSC status for an SMPP message_state and a delivery error code."""
    if state is None:
        return MessageStatus.TRANSFERRED
    status = _STATUS_BY_STATE.get(state, MessageStatus.UNABLE_TO_DELIVER)
    if error and is_failure(status):
        return _STATUS_BY_ERR.get(error, status)
    return status


def is_receipt(sm: ShortMessage) -> bool:
    """Whether a deliver_sm is a receipt rather than an incoming message."""
    return (sm.esm_class & 0x3C) in _RECEIPT_TYPES or any(
        tag == TAG_RECEIPTED_MESSAGE_ID for tag, _ in sm.tlvs
    )


def decode_text(data_coding: int, data: bytes) -> str:
    """Decode user data by its data_coding (SMPP 3.4 §5.2.19; TS 23.038 for 0x10+).

    Never raises: bytes a coding cannot read are replaced, because an incoming message
    must reach the user even when the network mangled it.
    """
    alphabet = _alphabet(data_coding)
    if alphabet == "gsm7":
        try:
            return decode_gsm7(data)
        except ValidationError:
            return data.decode("latin-1")
    if alphabet == "ucs2":
        return data.decode("utf-16-be", "replace")
    return data.decode(alphabet, "replace")


def _alphabet(data_coding: int) -> str:
    simple = {0: "gsm7", 1: "ascii", 3: "latin-1", 6: "iso8859-5", 7: "iso8859-8", 8: "ucs2"}
    if data_coding in simple:
        return simple[data_coding]
    if data_coding < 0x10:
        return "latin-1"  # octet data (2, 4) and codings we do not model
    if data_coding & 0xC0 == 0:
        return ("gsm7", "latin-1", "ucs2", "latin-1")[(data_coding >> 2) & 3]
    if data_coding & 0xF0 == 0xF0:
        return "latin-1" if data_coding & 0x04 else "gsm7"
    return "latin-1"


@functools.lru_cache(maxsize=4096)
def _date(value: str | None, zone: timezone) -> datetime | None:
    """Read an appendix-B date (``YYMMDDhhmm``, or with seconds) in ``zone``.

    Cached: receipts arriving together share their minutes, and datetimes are immutable.
    """
    if not value or len(value) not in (10, 12) or not is_ascii_digits(value):
        return None
    # Sliced by hand: strptime costs more than the rest of a receipt's parsing.
    try:
        return datetime(
            2000 + int(value[0:2]),
            int(value[2:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None


def _number(found: dict[str, str], name: str) -> int | None:
    value = found.get(name)
    if not value:
        return None
    if len(value) > _MAX_NUMBER or not is_ascii_digits(value):
        raise ProtocolError(
            f"receipt field {name}:{value[:20]!r} is not a number of at most"
            f" {_MAX_NUMBER} digits 0-9"
        )
    return int(value)


@functools.lru_cache(maxsize=64)
def _zone(utc_offset: float) -> timezone:
    return timezone(timedelta(hours=utc_offset))


def _fields(raw_text: str) -> tuple[dict[str, str], str]:
    """The appendix-B fields (lower-case names) and the text after ``text:``."""
    standard = _STANDARD.match(raw_text)
    if standard is not None:
        # SMPP 3.4 appendix B order: one match instead of a scan.
        values = standard.groups()
        return dict(zip(_STANDARD_KEYS, values[:7], strict=True)), values[7] or ""
    # Everything after "text:" is the message's own start and may look like fields.
    text_match = _TEXT.search(raw_text)
    head = raw_text[: text_match.start()] if text_match else raw_text
    found = {m["key"].lower(): m["value"] for m in _FIELDS.finditer(head)}
    return found, text_match[1] if text_match else ""


def parse_receipt(sm: ShortMessage, utc_offset: float = 3.0) -> Receipt:
    """Parse a receipt deliver_sm; dates in the text are read at ``utc_offset`` hours.

    Missing pieces are ``None``/empty rather than errors: a receipt with only TLVs, or
    only text, still correlates. A piece present but unreadable (``err:²``, a number of
    5,000 digits, an id over 65 octets, a message_state of several octets) raises
    :class:`ProtocolError`, and nothing else is ever raised.
    """
    tlvs = sm.tlvs
    data = (tlvs and tlv_value(tlvs, TAG_MESSAGE_PAYLOAD)) or sm.short_message
    raw_text = decode_text(sm.data_coding, data) if data else ""
    found, text = _fields(raw_text)
    receipted = tlv_value(tlvs, TAG_RECEIPTED_MESSAGE_ID) if tlvs else None
    message_id = (
        receipted.rstrip(b"\0").decode("latin-1") if receipted else found.get("id", "")
    ).strip()
    if len(message_id) > _MAX_ID:
        raise ProtocolError(f"receipt id of {len(message_id)} characters (at most {_MAX_ID})")
    state_octets = tlv_value(tlvs, TAG_MESSAGE_STATE) if tlvs else None
    if state_octets is not None and len(state_octets) > 1:
        raise ProtocolError(f"message_state of {len(state_octets)} octets (SMPP 3.4: one)")
    state = state_octets[0] if state_octets else None
    stat = found.get("stat", "").upper()
    if state is None and stat:
        state = _STATE_BY_WORD.get(stat, 7)
    error = _number(found, "err")
    if error is None and tlvs:
        network = tlv_value(tlvs, TAG_NETWORK_ERROR_CODE)
        if network is not None and len(network) == 3:
            error = int.from_bytes(network[1:], "big")  # type octet, then a 2-octet code
    zone = _zone(utc_offset)
    return Receipt(
        message_id,
        state,
        stat or MESSAGE_STATES.get(state or 0, ""),
        error,
        _date(found.get("submit date"), zone),
        _date(found.get("done date"), zone),
        _number(found, "sub"),
        _number(found, "dlvrd"),
        text,
        sm.source_addr,
        sm.destination_addr,
        raw_text,
    )


def canonical_id(message_id: str) -> str:
    """The form message ids are compared in: trimmed, lower case, no leading zeros."""
    if message_id.isascii() and message_id.isdigit() and message_id[0] != "0":
        return message_id  # already canonical, and the same object saves memory
    return message_id.strip().lower().lstrip("0") or "0"


def receipt_key(message_id: str, reading: Reading = "given") -> str:
    """The canonical id a receipt's ``message_id`` names when read as ``reading``.

    ``hex`` reads a hex id as the decimal id submit_sm_resp gave, ``dec`` a decimal id
    as the hex one; an id that is not a number in that base is taken as given.
    """
    key = canonical_id(message_id)
    if reading == "hex" and _HEX.fullmatch(key) and len(key) <= 32:
        return str(int(key, 16))
    if reading == "dec" and is_ascii_digits(key) and len(key) <= 40:
        return format(int(key), "x")
    return key
