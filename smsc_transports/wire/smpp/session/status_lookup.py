"""``status(id, phone)`` over SMPP: the receipt store first, then query_sm; and what a
``cancel``/``replace`` of (id, phone) names and sends (cancel_sm, replace_sm).

Shared by the threaded and the asyncio transport; both hold their lock (or run on their
loop) while calling these.
"""

from __future__ import annotations

from datetime import datetime

from smsc_transports.errors import APIError, SMSCError, ValidationError
from smsc_transports.results import StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.receipts import status_for
from smsc_transports.wire.smpp.session.link import SmppSession
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.text import choose_coding, fits_one
from smsc_transports.wire.smpp.time_fields import parse_absolute_time, schedule_time

__all__ = [
    "answer_status",
    "change_target",
    "changed",
    "query_result",
    "query_target",
    "replacement",
    "status_query",
]

# Answers meaning "this server cannot tell": fall back to what receipts said.
_CANNOT_TELL = frozenset(
    {w.ESME_RINVCMDID, w.ESME_RQUERYFAIL, w.ESME_RINVMSGID, w.ESME_RINVBNDSTS, w.ESME_RSYSERR}
)


def answer_status(session: SmppSession, id: str, phone: str) -> StatusResult | None:
    """What receipts have told about ``id`` to ``phone``, if it is in the store."""
    track = session.store.lookup(id, phone)
    return None if track is None else track.result()


def query_target(session: SmppSession, id: str, phone: str) -> tuple[str, str]:
    """The SMPP message id and source_addr a query_sm for (``id``, ``phone``) names."""
    track = session.store.lookup(id, phone)
    if track is None:
        return id, session.options.submit.default_sender or ""
    return track.smpp_id, track.sender


def status_query(id: str, phone: str, answer: object, known: StatusResult | None) -> StatusResult:
    """Combine a query_sm answer (or failure, or ``None``) with what the store knew."""
    if isinstance(answer, w.QueryResponse):
        return query_result(id, phone, answer)
    if answer is None or (isinstance(answer, APIError) and answer.protocol_status in _CANNOT_TELL):
        return known or StatusResult(
            id=id, phone=phone, status=MessageStatus.NOT_FOUND, error=DeliveryError.NO_ERROR
        )
    if known is not None:
        return known
    if isinstance(answer, SMSCError):
        raise answer
    raise TypeError(f"unexpected query answer {answer!r}")


def query_result(id: str, phone: str, answer: w.QueryResponse) -> StatusResult:
    """A query_sm_resp as a :class:`StatusResult` (SMPP 3.4 §4.8.2)."""
    status = status_for(answer.message_state, answer.error_code or None)
    # query_sm_resp always carries error_code (0 when none), as HTTP always carries err.
    error = DeliveryError(answer.error_code)
    return StatusResult(
        id=id,
        phone=phone,
        status=status,
        error=error,
        changed_at=parse_absolute_time(answer.final_date),
        raw=answer,
    )


def change_target(session: SmppSession, id: str, phone: str) -> tuple[str, str, str]:
    """The SMPP message id, source_addr and destination_addr a cancel/replace names.

    A split message whose parts were accepted under ids of their own cannot be changed
    by one cancel_sm/replace_sm: refused before anything is sent.
    """
    track = session.store.lookup(id, phone)
    if track is not None and track.parts > 1:
        raise ValidationError(
            f"message {id} went in {track.parts} parts with ids of their own; SMPP cancels"
            " and replaces one part at a time, which would leave the others",
            field="id",
        )
    target, sender = query_target(session, id, phone)
    return target, sender, phone.lstrip("+")


def replacement(
    options: SmppOptions, text: str | None, send_at: datetime | str | None
) -> tuple[bytes, str]:
    """The short_message and schedule_delivery_time of a replace_sm (SMPP 3.4 §4.10).

    The text is encoded as a submit of it would be; replace_sm carries no data_coding,
    so the SMSC reads it in the original's: keep the replacement in the same alphabet.
    It must fit one SMS. Raises :class:`ValidationError` before anything is sent.
    """
    if text is None and send_at is None:
        raise ValidationError("replace needs a new text, a new send_at, or both", field="text")
    short_message = b""
    if text is not None:
        if not text:
            raise ValidationError("a replacement text cannot be empty", field="text")
        data_coding, short_message = choose_coding(text, options.submit.coding)
        if not fits_one(data_coding, short_message):
            raise ValidationError(
                "a replacement text must fit one SMS (replace_sm has no parts)", field="text"
            )
    return short_message, schedule_time(send_at) if send_at is not None else ""


def changed(answer: object) -> None:
    """Return if a cancel_sm/replace_sm was done; raise its error otherwise."""
    if answer is True:
        return
    if isinstance(answer, SMSCError):
        raise answer
    raise TypeError(f"unexpected answer {answer!r}")
