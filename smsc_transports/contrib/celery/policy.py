"""Which failed sends a task queue may try again, and when: DESIGN.md's reliability rules.

::

    error                          may have reached SMSC?   tried again
    ConnectError                   no                       yes, soon
    TransportTimeout, OutcomeUnknown  yes                   only when the message has an id
    RateLimited (9), first time    no (refused)             yes, with exponential backoff
    RateLimited (9) after a send   —                        no: it is SMSC's "duplicate",
      that may have arrived                                 i.e. the earlier send was accepted
    APIError 1–8, other codes      —                        never: the same request fails again
    NotSent                        no                       never: its batch stopped at wrong
                                                            credentials, no money or a blocked IP
    ProtocolError, other errors    maybe                    never: something is badly wrong

A repeat is safe only while SMSC still remembers the first attempt: it refuses an
identical send within a minute (smsc-protocol.md §1.6, error 9), so a message that may
have arrived is sent again only within :attr:`RetryPolicy.resend_window` of that
attempt. After that it ends as :class:`~smsc_transports.errors.OutcomeUnknown`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smsc_transports.errors import (
    ConnectError,
    OutcomeUnknown,
    RateLimited,
    SMSCError,
    TransportTimeout,
)
from smsc_transports.message import Message

__all__ = ["RetryPolicy", "Verdict", "judge", "may_have_arrived", "retry_delay", "should_retry"]


class Verdict(enum.Enum):
    """What to do with a message whose send raised an error."""

    RETRY = "retry"
    """Send it again later."""
    ACCEPTED = "accepted"
    """Count it as sent: SMSC's error 9 says an earlier attempt got through."""
    FAIL = "fail"
    """Report the error; sending again cannot help or could duplicate the message."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how soon failed sends are tried again.

    ``max_retries`` bounds the attempts after the first. A refused send (error 9, too
    many requests) waits ``rate_limit_base * 2**n`` seconds, at most ``rate_limit_cap``;
    a connect failure or a lost answer waits ``connect_base * 2**n``, at most
    ``connect_cap``. ``resend_window`` (seconds) is how long after a send that may have
    arrived a repeat is still recognised by SMSC; keep it under SMSC's minute.
    """

    max_retries: int = 6
    rate_limit_base: float = 2.0
    rate_limit_cap: float = 60.0
    connect_base: float = 1.0
    connect_cap: float = 10.0
    resend_window: float = 50.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if min(self.rate_limit_base, self.connect_base) <= 0:
            raise ValueError("backoff bases must be positive")
        if not 0 < self.resend_window <= 60:
            raise ValueError("resend_window must be within SMSC's one-minute duplicate window")


def may_have_arrived(error: SMSCError) -> bool:
    """Whether the request that raised ``error`` may have been accepted by SMSC."""
    return isinstance(error, TransportTimeout | OutcomeUnknown)


def should_retry(error: SMSCError, message: Message) -> bool:
    """Whether ``message`` may be sent again after its send raised ``error``.

    ``RateLimited`` here is SMSC refusing a first attempt ("too many requests"); after
    an attempt that may have arrived, ask :func:`judge`, which reads it as "accepted".
    """
    if isinstance(error, ConnectError):
        return True  # never reached SMSC: nothing to duplicate
    if may_have_arrived(error):
        return message.id is not None  # the id lets SMSC refuse the repeat (error 9)
    return isinstance(error, RateLimited)


def judge(error: SMSCError, message: Message, *, arrived_before: bool) -> Verdict:
    """Decide a failed send's fate; ``arrived_before``: an earlier attempt may have arrived.

    Error 9 to a message with an id whose earlier attempt may have arrived is SMSC's
    duplicate refusal, so the message counts as accepted — the same reading the HTTP
    backend gives a repeat after a lost answer.
    """
    if isinstance(error, RateLimited) and arrived_before and message.id is not None:
        return Verdict.ACCEPTED
    return Verdict.RETRY if should_retry(error, message) else Verdict.FAIL


def retry_delay(error: SMSCError, retries: int, policy: RetryPolicy) -> float:
    """Seconds to wait before attempt ``retries + 1`` of a send that raised ``error``."""
    exponent = min(max(retries, 0), 30)  # 2**30 s is far past any cap; keeps floats finite
    if isinstance(error, RateLimited):
        return float(min(policy.rate_limit_cap, policy.rate_limit_base * 2**exponent))
    return float(min(policy.connect_cap, policy.connect_base * 2**exponent))
