"""SMSC's message status codes (``status``) and delivery error codes (``err``).

Both are :class:`enum.IntEnum` so ``status == 1`` still reads naturally, and both accept
codes this library does not know yet: ``MessageStatus(77)`` gives a member named
``UNKNOWN_77`` instead of raising, because a status answer must never crash on a code
SMSC added after this release.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["DeliveryError", "MessageStatus"]


class _OpenIntEnum(enum.IntEnum):
    """An IntEnum that turns unknown values into ``UNKNOWN_<n>`` pseudo-members."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}" if value >= 0 else f"UNKNOWN_MINUS_{-value}"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether SMSC documents this code."""
        # _member_map_ is the enum's own dict; __members__ builds a new proxy per call.
        return self._name_ in type(self)._member_map_


class MessageStatus(_OpenIntEnum):
    """A message's delivery status as SMSC reports it (smsc-protocol.md §1.8)."""

    NOT_FOUND = -3
    STOPPED = -2
    WAITING = -1
    TRANSFERRED = 0
    DELIVERED = 1
    READ = 2
    EXPIRED = 3
    LINK_CLICKED = 4
    UNABLE_TO_DELIVER = 20
    INVALID_NUMBER = 22
    FORBIDDEN = 23
    INSUFFICIENT_FUNDS = 24
    UNAVAILABLE_NUMBER = 25

    @property
    def is_delivered(self) -> bool:
        """Reached the recipient (delivered, read, or its link clicked)."""
        return self in _DELIVERED

    @property
    def is_failed(self) -> bool:
        """Will never be delivered."""
        return self in _FAILED or (not self.is_known and self >= 20)

    @property
    def is_final(self) -> bool:
        """Will not change any more (``NOT_FOUND`` is final for the lookup)."""
        return self.is_delivered or self.is_failed or self is MessageStatus.NOT_FOUND

    @property
    def description(self) -> str:
        """SMSC's meaning of the code, in English."""
        return _STATUS_TEXT.get(self, f"unknown status {int(self)}")


_DELIVERED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.LINK_CLICKED})
_FAILED = frozenset(
    {
        MessageStatus.EXPIRED,
        MessageStatus.UNABLE_TO_DELIVER,
        MessageStatus.INVALID_NUMBER,
        MessageStatus.FORBIDDEN,
        MessageStatus.INSUFFICIENT_FUNDS,
        MessageStatus.UNAVAILABLE_NUMBER,
    }
)
_STATUS_TEXT = {
    MessageStatus.NOT_FOUND: "message not found",
    MessageStatus.STOPPED: "stopped before it left for the operator",
    MessageStatus.WAITING: "waiting to be sent",
    MessageStatus.TRANSFERRED: "transferred to the operator",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "read",
    MessageStatus.EXPIRED: "expired undelivered",
    MessageStatus.LINK_CLICKED: "delivered and its link clicked",
    MessageStatus.UNABLE_TO_DELIVER: "unable to deliver",
    MessageStatus.INVALID_NUMBER: "invalid number",
    MessageStatus.FORBIDDEN: "forbidden (flood limit, blacklist, spam filter or sender)",
    MessageStatus.INSUFFICIENT_FUNDS: "insufficient funds",
    MessageStatus.UNAVAILABLE_NUMBER: "number does not accept SMS or has no route",
}


class DeliveryError(_OpenIntEnum):
    """Why a message was not delivered: SMSC's ``err`` code (smsc-protocol.md §1.9).

    For e-mail messages the small codes mean mail errors (2 mailbox full, 3 server not
    found, 4 mailbox blocked); :meth:`describe` takes the message kind into account.
    """

    NO_ERROR = 0
    SUBSCRIBER_NOT_FOUND = 1
    SUBSCRIBER_OFFLINE = 6
    SERVICE_NOT_CONNECTED = 11
    HANDSET_ERROR = 12
    SUBSCRIBER_BLOCKED = 13
    NOT_SUPPORTED_BY_HANDSET = 21
    VIRTUAL_SEND = 200
    SIM_REPLACED = 219
    OPERATOR_QUEUE_FULL = 220
    NO_ANSWER = 237
    NO_TEMPLATE = 238
    FORBIDDEN_IP = 239
    SUBSCRIBER_BUSY = 240
    CONVERSION_ERROR = 241
    ANSWERING_MACHINE = 242
    NO_CONTRACT = 243
    MAILING_FORBIDDEN = 244
    STATUS_NOT_RECEIVED = 245
    TIME_RESTRICTION = 246
    DAILY_LIMIT = 247
    NO_ROUTE = 248
    INVALID_NUMBER_FORMAT = 249
    NUMBER_FORBIDDEN_BY_SETTINGS = 250
    PER_NUMBER_LIMIT = 251
    NUMBER_FORBIDDEN = 252
    SPAM_FILTER = 253
    UNREGISTERED_SENDER = 254
    REJECTED_BY_OPERATOR = 255

    @property
    def description(self) -> str:
        """SMSC's meaning of the code for a phone message, in English."""
        return _ERR_TEXT.get(self, f"unknown delivery error {int(self)}")

    def describe(self, *, email: bool = False) -> str:
        """The meaning of the code, reading small codes as mail errors when ``email``."""
        if email and int(self) in _MAIL_ERR_TEXT:
            return _MAIL_ERR_TEXT[int(self)]
        return self.description


_ERR_TEXT = {
    DeliveryError.NO_ERROR: "no error",
    DeliveryError.SUBSCRIBER_NOT_FOUND: "subscriber does not exist",
    DeliveryError.SUBSCRIBER_OFFLINE: "subscriber offline or out of coverage",
    DeliveryError.SERVICE_NOT_CONNECTED: "service not connected (cannot receive SMS)",
    DeliveryError.HANDSET_ERROR: "error in the subscriber's phone or SIM",
    DeliveryError.SUBSCRIBER_BLOCKED: "subscriber blocked",
    DeliveryError.NOT_SUPPORTED_BY_HANDSET: "service not supported by the handset",
    DeliveryError.VIRTUAL_SEND: "virtual sending (test mode)",
    DeliveryError.SIM_REPLACED: "SIM card replaced",
    DeliveryError.OPERATOR_QUEUE_FULL: "operator queue overflow for this subscriber",
    DeliveryError.NO_ANSWER: "subscriber did not answer",
    DeliveryError.NO_TEMPLATE: "no template (only templated sending allowed)",
    DeliveryError.FORBIDDEN_IP: "forbidden IP address",
    DeliveryError.SUBSCRIBER_BUSY: "subscriber busy",
    DeliveryError.CONVERSION_ERROR: "conversion error (text or audio to voice)",
    DeliveryError.ANSWERING_MACHINE: "answering machine detected",
    DeliveryError.NO_CONTRACT: "no contract for bulk or advertising messages",
    DeliveryError.MAILING_FORBIDDEN: "mailing forbidden for this client",
    DeliveryError.STATUS_NOT_RECEIVED: "status not received within 24 hours",
    DeliveryError.TIME_RESTRICTION: "time restriction (account sending-time setting)",
    DeliveryError.DAILY_LIMIT: "daily message limit exceeded",
    DeliveryError.NO_ROUTE: "no route",
    DeliveryError.INVALID_NUMBER_FORMAT: "invalid number format",
    DeliveryError.NUMBER_FORBIDDEN_BY_SETTINGS: "number forbidden by account settings",
    DeliveryError.PER_NUMBER_LIMIT: "per-number daily limit exceeded",
    DeliveryError.NUMBER_FORBIDDEN: "number forbidden",
    DeliveryError.SPAM_FILTER: "blocked by the spam filter",
    DeliveryError.UNREGISTERED_SENDER: "unregistered sender id",
    DeliveryError.REJECTED_BY_OPERATOR: "rejected by the operator",
}
_MAIL_ERR_TEXT = {2: "mailbox full", 3: "recipient's mail server not found", 4: "mailbox blocked"}
