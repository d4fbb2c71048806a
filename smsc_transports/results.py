"""What every transport returns, whatever the protocol.

Values are frozen dataclasses: money is :class:`~decimal.Decimal`, times are aware
:class:`~datetime.datetime`, ids are ``str``, and ``raw`` keeps the server's answer for
whatever the model does not cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from smsc_transports.encoding import billed_parts
from smsc_transports.errors import SMSCError
from smsc_transports.frozen import builder, quick_init
from smsc_transports.message import Message
from smsc_transports.statuses import DeliveryError, MessageStatus

__all__ = [
    "Balance",
    "CostOutcome",
    "CostResult",
    "DeliveryError",
    "HlrInfo",
    "IncomingMessage",
    "MessageStatus",
    "OperatorInfo",
    "Outcome",
    "PhoneResult",
    "ScheduledJob",
    "SendResult",
    "StatusResult",
]


@quick_init
@dataclass(frozen=True, slots=True)
class PhoneResult:
    """One recipient of a send: the id to ask its status with, and what SMSC said of it.

    ``id`` is the message id under which this recipient's status is asked
    (``status(id, phone)``) and its receipts arrive, on every protocol: the message's
    one id over HTTP, SOAP and SMTP, this recipient's own SMSC id over SMPP (one
    submit_sm per recipient). It is ``None`` for a recipient SMSC refused, and in a
    :class:`CostResult`. ``error`` is SMSC's per-number error code when the number was
    refused (the same numbering as the send error codes), ``status`` the message
    status if given, ``cost`` this recipient's price when the protocol reports it.
    """

    phone: str
    cost: Decimal | None = None
    status: MessageStatus | None = None
    error: int | None = None
    mccmnc: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether SMSC accepted the message for this number."""
        return not self.error


@quick_init
@dataclass(frozen=True, slots=True)
class SendResult:
    """A message SMSC accepted.

    ``id`` is the message id: the caller's ``Message.id`` when given over HTTP, SOAP
    and SMTP, else SMSC's (SMPP always answers SMSC's own id, that of the first
    recipient). ``phones`` has one :class:`PhoneResult` per recipient, in the message's
    order, on every protocol; each carries the ``id`` to ask that recipient's status
    with — the same as ``id`` except over SMPP, where every recipient has its own.
    ``parts`` is the billed SMS parts (seconds for voice calls), ``cost`` and
    ``balance`` are present when the protocol reports them (``None``, never 0, when it
    does not: SMPP and SMTP report no price), ``transport`` the protocol that sent it.

    ``already_accepted`` is true when SMSC had accepted the message on an earlier
    attempt whose answer was lost: the repeat carried the same ``Message.id`` and SMSC
    refused it as a duplicate (error 9). ``parts`` is then counted locally and ``cost``
    is unknown.
    """

    id: str
    parts: int
    cost: Decimal | None = None
    balance: Decimal | None = None
    phones: tuple[PhoneResult, ...] = ()
    transport: str = ""
    already_accepted: bool = False
    raw: Any = field(default=None, compare=False)

    @classmethod
    def accepted_earlier(cls, message: Message, transport: str) -> SendResult:
        """The result of ``message`` when SMSC refused its repeat as a duplicate (error 9).

        The repeat carried the message's own id, so the refusal says an earlier attempt
        got through: ``already_accepted``, the parts counted here, the cost unknown.
        """
        return cls(
            id=str(message.id),
            parts=billed_parts(message),
            transport=transport,
            already_accepted=True,
        ).for_recipients(message.phones)

    def recipient(self, phone: str) -> PhoneResult | None:
        """The :class:`PhoneResult` of ``phone`` (a leading ``+`` on either side ignored)."""
        key = phone.lstrip("+")
        return next((p for p in self.phones if p.phone.lstrip("+") == key), None)

    def for_recipients(self, phones: Iterable[str]) -> SendResult:
        """This result with one :class:`PhoneResult` per recipient in ``phones``, in order.

        What the server said about a recipient (cost, status, error) is kept; a
        recipient it did not list gets a bare entry. Every accepted recipient that has
        no ``id`` of its own gets the message's ``id`` (HTTP, SOAP and SMTP give one id
        to all recipients); a refused one keeps ``None``.
        """
        given = {p.phone.lstrip("+"): p for p in self.phones}
        listed: list[PhoneResult] = []
        for phone in phones:
            found = given.get(phone.lstrip("+")) or PhoneResult(phone)
            if found.id is None and not found.error:
                found = replace(found, id=self.id)
            listed.append(found)
        return replace(self, phones=tuple(listed))


@quick_init
@dataclass(frozen=True, slots=True)
class CostResult:
    """The price of a message that was not sent (``cost=1``)."""

    cost: Decimal
    parts: int
    phones: tuple[PhoneResult, ...] = ()
    raw: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class HlrInfo:
    """What an HLR lookup found about a number (``status.php`` of an HLR message).

    SMSC names the fields ``imsi``, ``msc``, ``mcc``, ``mnc``, ``cn`` (country), ``net``
    (operator), ``rcn`` and ``rnet`` (the country and operator of a roaming number);
    its ``fmt=1`` answer lists them in that order after status, time and error
    (smsc-protocol.md §1.7). A field SMSC left empty is ``None``.
    """

    imsi: str | None = None
    msc: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    country: str | None = None
    operator: str | None = None
    roaming_country: str | None = None
    roaming_operator: str | None = None


@dataclass(frozen=True, slots=True)
class StatusResult:
    """A message's status for one recipient.

    ``error`` is the delivery error (``err``) when there is one, ``changed_at`` when the
    status last changed, ``sent_at`` when it was sent (``all=1``), ``hlr`` the lookup
    result for HLR messages; the other fields are present with ``all=1``/``all=2``.
    ``int_id`` is SMSC's account-wide number of a history entry (``get_messages``):
    pass the last one seen as ``history(prev_id=…)`` to read the page before it.
    """

    id: str
    phone: str
    status: MessageStatus
    error: DeliveryError | None = None
    changed_at: datetime | None = None
    sent_at: datetime | None = None
    cost: Decimal | None = None
    sender: str | None = None
    text: str | None = None
    status_name: str | None = None
    country: str | None = None
    operator: str | None = None
    region: str | None = None
    hlr: HlrInfo | None = None
    int_id: str | None = None
    raw: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    """The network of a phone number (``info.php?get_operator=1``).

    ``mcc``/``mnc`` are the mobile country and network codes as SMSC writes them;
    ``raw`` keeps whatever else SMSC answers.
    """

    phone: str
    country: str | None = None
    operator: str | None = None
    region: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    raw: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A mailing scheduled on the account (``jobs.php``).

    ``id`` is what :meth:`~smsc_transports.transport.Transport.cancel_job` takes;
    ``status`` is SMSC's word or code for the job's state, kept as given (its values
    are not documented where we could read them, smsc-protocol.md §1.3 [S]);
    ``send_at`` when it is due, if SMSC says.
    """

    id: str
    name: str | None = None
    text: str | None = None
    phones: tuple[str, ...] = ()
    status: str | None = None
    send_at: datetime | None = None
    raw: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Balance:
    """The account balance; ``currency`` and ``credit`` when SMSC gives them (``cur=1``)."""

    amount: Decimal
    currency: str | None = None
    credit: Decimal | None = None
    raw: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message received on the account (``get.php?get_answers=1``, SMPP MO, callback)."""

    id: str
    phone: str
    text: str
    to_phone: str | None = None
    received_at: datetime | None = None
    sent_at: datetime | None = None
    raw: Any = field(default=None, compare=False)


@quick_init
@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of one input message of ``send_many``: a result or an error, never neither.

    ``index`` is the message's position in the input. ``error`` may be
    :class:`~smsc_transports.errors.OutcomeUnknown` when the link dropped after the
    message was written.
    """

    index: int
    message: Message
    result: SendResult | None = None
    error: SMSCError | None = None

    def __post_init__(self) -> None:
        if (self.result is None) == (self.error is None):
            raise ValueError("an Outcome holds exactly one of result and error")

    @property
    def ok(self) -> bool:
        """Whether the message was accepted."""
        return self.result is not None

    def unwrap(self) -> SendResult:
        """Return the result, or raise the error."""
        if self.result is None:
            assert self.error is not None
            raise self.error
        return self.result


# The same values as the class calls, built as plain function calls: for the loops that
# make one of each per recipient of a bulk send (frozen.builder says what that saves).
build_phone_result = builder(PhoneResult)
build_send_result = builder(SendResult)
build_outcome = builder(Outcome)


@quick_init
@dataclass(frozen=True, slots=True)
class CostOutcome:
    """The price of one input message of ``cost_many``: a result or an error, never neither.

    ``index`` is the message's position in the input.
    """

    index: int
    message: Message
    result: CostResult | None = None
    error: SMSCError | None = None

    def __post_init__(self) -> None:
        if (self.result is None) == (self.error is None):
            raise ValueError("a CostOutcome holds exactly one of result and error")

    @property
    def ok(self) -> bool:
        """Whether the message could be priced."""
        return self.result is not None

    def unwrap(self) -> CostResult:
        """Return the result, or raise the error."""
        if self.result is None:
            assert self.error is not None
            raise self.error
        return self.result
