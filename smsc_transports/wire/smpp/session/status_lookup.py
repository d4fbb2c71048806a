"""``status(id, phone)`` over SMPP: the receipt store first, then query_sm.

Shared by the threaded and the asyncio transport; both hold their lock (or run on their
loop) while calling these.
"""

from __future__ import annotations

from smsc_transports.errors import APIError, SMSCError
from smsc_transports.results import StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.receipts import status_for
from smsc_transports.wire.smpp.session.link import SmppSession
from smsc_transports.wire.smpp.time_fields import parse_absolute_time

__all__ = ["answer_status", "query_result", "query_target", "status_query"]

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
