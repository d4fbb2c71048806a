"""What a conformance scenario records: protocol-neutral values, ids left out.

A scenario returns a :data:`Record`, a tuple of :class:`Step`; each step is one
operation (``op``) and what came of it, reduced to what can be compared across
protocols: a result's facts, the exception class and SMSC code of a failure, or
:class:`Unsupported`. Scenarios state what HTTP gives; :func:`as_seen_by` turns that into
what another protocol must give, which differs only where the protocol cannot report
something (its :class:`~tests.conformance.stage.Profile` says what).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from smsc_transports import (
    APIError,
    DeliveryError,
    MessageStatus,
    StatusResult,
    UnsupportedOperation,
)
from tests.conformance.stage import ASKED, Profile, capability_of, supported_by

__all__ = [
    "Bulk",
    "Changed",
    "Each",
    "Funds",
    "Listed",
    "Network",
    "Priced",
    "Prices",
    "Recipients",
    "Record",
    "Refused",
    "Sent",
    "Status",
    "Step",
    "Stored",
    "Timeline",
    "Unsupported",
    "Value",
    "as_seen_by",
    "outcome",
    "status_of",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Sent:
    """A send: billed parts, cost and balance if reported, the text SMSC stored."""

    parts: int
    cost: Decimal | None
    balance: Decimal | None
    stored_text: str


@dataclass(frozen=True)
class Refused:
    """A failure SMSC reported: the exception class and SMSC's code."""

    error: str
    code: int


@dataclass(frozen=True)
class Unsupported:
    """``UnsupportedOperation`` for ``operation``, naming ``supported_by``."""

    operation: str
    supported_by: frozenset[str]


@dataclass(frozen=True)
class Status:
    """A status as the client read it; ``changed_minute`` (UTC) for final ones.

    Minutes, because SMPP receipts date to the minute (SMPP 3.4 appendix B).
    """

    status: MessageStatus
    error: DeliveryError | None
    changed_minute: datetime | None


@dataclass(frozen=True)
class Stored:
    """A status as the emulator holds it (SMSC's own view, whatever the protocol)."""

    status: MessageStatus
    err: int


@dataclass(frozen=True)
class Timeline:
    """The statuses read at successive moments."""

    statuses: tuple[MessageStatus, ...]


@dataclass(frozen=True)
class Priced:
    """A ``cost`` answer."""

    cost: Decimal
    parts: int


@dataclass(frozen=True)
class Funds:
    """A balance amount (the currency is left out: SOAP cannot report it)."""

    amount: Decimal


@dataclass(frozen=True)
class Bulk:
    """A ``send_many``: outcomes, whether in input order, accepted, parts, money."""

    outcomes: int
    in_order: bool
    accepted: int
    parts: int
    reported_cost: Decimal | None
    charged: Decimal


@dataclass(frozen=True)
class Recipients:
    """A send's recipients: each phone it listed, and whether the id it gave that phone
    names the message the emulator stored for it (ids themselves differ by protocol)."""

    phones: tuple[str, ...]
    found: tuple[bool, ...]


@dataclass(frozen=True)
class Changed:
    """A scheduled message after ``cancel``/``replace``, as the emulator holds it."""

    status: MessageStatus
    text: str


@dataclass(frozen=True)
class Each:
    """One operation done once per recipient: what each gave, in the send's order."""

    values: tuple[Status | Stored, ...]


@dataclass(frozen=True)
class Prices:
    """A ``cost_many``: each message's price, or its refusal, in input order."""

    values: tuple[Priced | Refused, ...]


@dataclass(frozen=True)
class Listed:
    """What a listing gave (history pages, incoming messages, sender names, jobs), each
    entry reduced to what every protocol can carry (ids left out: they differ)."""

    items: tuple[object, ...]


@dataclass(frozen=True)
class Network:
    """An ``operator`` answer."""

    country: str | None
    operator: str | None
    region: str | None
    mcc: str | None
    mnc: str | None


Value = (
    (Sent | Refused | Unsupported | Status | Stored | Timeline | Priced | Funds | Bulk | Recipients)
    | Each
    | Changed
    | Prices
    | Listed
    | Network
)


@dataclass(frozen=True)
class Step:
    """One operation of a scenario and what came of it.

    ``op`` is the transport method (``send``, ``cost_many``, ``history``…) or
    ``server`` (read from the emulator, not through the protocol); ``label`` tells apart
    two steps of one operation (the first send and its repeat).
    """

    op: str
    value: Value
    label: str = ""

    @property
    def name(self) -> str:
        """The label, else the operation."""
        return self.label or self.op


Record = tuple[Step, ...]


async def outcome(call: Awaitable[T], view: Callable[[T], Value]) -> Value:
    """``view`` of what ``call`` returns, or the failure as a comparable value."""
    try:
        result = await call
    except UnsupportedOperation as exc:
        return Unsupported(exc.operation, frozenset(exc.supported_by))
    except APIError as exc:
        return Refused(type(exc).__name__, exc.code)
    return view(result)


def status_of(result: StatusResult) -> Status:
    """The comparable part of a :class:`StatusResult`."""
    changed = None
    if result.status.is_final and result.changed_at is not None:
        changed = result.changed_at.astimezone(UTC).replace(second=0, microsecond=0)
    return Status(result.status, result.error, changed)


def as_seen_by(expected: Record, profile: Profile) -> Record:
    """What ``profile``'s protocol must record where HTTP records ``expected``."""
    return tuple(replace(step, value=_seen(step, profile)) for step in expected)


def _seen(step: Step, profile: Profile) -> Value:
    value = step.value
    asked = capability_of(step.op)
    if asked in ASKED and asked not in profile.asks:
        return Unsupported(asked, supported_by(asked))
    if isinstance(value, Sent) and not profile.reports_cost:
        return replace(value, cost=None, balance=None)
    if isinstance(value, Bulk) and not profile.reports_cost:
        return replace(value, reported_cost=None)
    if isinstance(value, Timeline) and step.op == "status":
        waiting = profile.waiting_reads_as
        return Timeline(tuple(waiting if s == MessageStatus.WAITING else s for s in value.statuses))
    return value
