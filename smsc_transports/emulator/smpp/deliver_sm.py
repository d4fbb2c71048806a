"""What the emulator's SMPP front end pushes in deliver_sm: receipts and incoming texts.

Receipts carry the SMPP 3.4 appendix-B text (``id:… sub:001 dlvrd:… submit date:…
done date:… stat:… err:NNN text:…``, dates in Moscow time like everything SMSC shows)
and the ``receipted_message_id``/``message_state``/``network_error_code`` TLVs, so a
client may read either. Incoming texts longer than one SMS arrive split with a UDH, as
handsets send them.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from smsc_transports.emulator.state.clock import to_datetime
from smsc_transports.emulator.state.records import StatusRecord
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_STATE,
    TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID,
    ShortMessage,
)
from smsc_transports.wire.smpp.text import text_content

__all__ = ["ReceiptIds", "incoming_messages", "message_state", "receipt_message"]

ReceiptIds = Literal["dec", "hex"]
"""How receipts write the message id: as submit_sm_resp gave it, or in hex."""

# SMSC status -> SMPP message_state (SMPP 3.4 §5.2.28).
_STATE: Final = {
    MessageStatus.WAITING: 1,
    MessageStatus.TRANSFERRED: 1,
    MessageStatus.STOPPED: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 2,
    MessageStatus.LINK_CLICKED: 2,
    MessageStatus.EXPIRED: 3,
    MessageStatus.UNABLE_TO_DELIVER: 5,
    MessageStatus.INVALID_NUMBER: 5,
    MessageStatus.UNAVAILABLE_NUMBER: 5,
    MessageStatus.FORBIDDEN: 8,
    MessageStatus.INSUFFICIENT_FUNDS: 8,
}
_WORD: Final = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 5: "UNDELIV", 7: "UNKNOWN", 8: "REJECTD"}
# Characters that read the same as ASCII and as GSM 7-bit, so the text survives either.
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9 !\"#%&'()*+,\-./:;<=>?]")


def message_state(status: MessageStatus) -> int:
    """The SMPP message_state for an SMSC status (7 UNKNOWN for codes it has no word for)."""
    return _STATE.get(status, 7)


def _date(timestamp: float) -> str:
    return to_datetime(timestamp).strftime("%y%m%d%H%M")


def receipt_message(record: StatusRecord, receipt_ids: ReceiptIds = "dec") -> ShortMessage:
    """The deliver_sm fields of a receipt for ``record`` (a final status)."""
    state = message_state(record.status)
    shown = record.id
    if receipt_ids == "hex" and shown.isascii() and shown.isdigit():
        shown = format(int(shown), "X")
    delivered = "001" if state == 2 else "000"
    snippet = _UNSAFE.sub("?", record.text[:20])
    text = (
        f"id:{shown} sub:001 dlvrd:{delivered} submit date:{_date(record.send_timestamp)}"
        f" done date:{_date(record.last_timestamp)} stat:{_WORD[state]}"
        f" err:{record.err:03d} text:{snippet}"
    )
    sender = record.sender or ""
    numeric = sender.lstrip("+").isdigit()
    return ShortMessage(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr=record.phone,
        dest_addr_ton=1 if numeric else 5,
        dest_addr_npi=1,
        destination_addr=sender[:20] if sender.isascii() else "",
        esm_class=0x04,  # SMSC delivery receipt (SMPP 3.4 §5.2.12)
        data_coding=0,
        short_message=text.encode("ascii"),
        tlvs=(
            (TAG_RECEIPTED_MESSAGE_ID, shown.encode("ascii") + b"\0"),
            (TAG_MESSAGE_STATE, bytes((state,))),
            # GSM network type (3), then the error code (SMPP 3.4 §5.3.2.31).
            (TAG_NETWORK_ERROR_CODE, b"\x03" + (record.err & 0xFFFF).to_bytes(2, "big")),
        ),
    )


def incoming_messages(
    phone: str, text: str, to_phone: str = "", reference: int = 0
) -> list[ShortMessage]:
    """deliver_sm fields for an incoming text from ``phone``, split with a UDH if long."""
    content = text_content(text, long_mode="udh", reference=reference)
    return [
        ShortMessage(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=phone.lstrip("+"),
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr=to_phone.lstrip("+"),
            esm_class=content.esm_class,
            data_coding=content.data_coding,
            short_message=short_message,
            tlvs=tlvs,
        )
        for short_message, tlvs in content.segments
    ]
