"""The values the emulator state takes and returns; every front end speaks these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from smsc_transports.emulator.state.clock import MOSCOW
from smsc_transports.emulator.state.short_links import ShortLink
from smsc_transports.frozen import quick_init
from smsc_transports.message import MessageKind
from smsc_transports.statuses import MessageStatus

__all__ = [
    "BalanceInfo",
    "CallbackEvent",
    "HlrRecord",
    "IncomingRecord",
    "LinkStats",
    "PhoneOutcome",
    "SendOutcome",
    "SendRequest",
    "SendStats",
    "StatusRecord",
    "StoredFile",
    "kind_flag",
]


@dataclass(frozen=True)
class StoredFile:
    """A file that came with a send: a multipart part's bytes, or a ``fileurl``."""

    name: str
    content_type: str
    content: bytes = b""
    url: str | None = None

    def __repr__(self) -> str:
        return f"StoredFile({self.name!r}, {len(self.content)} bytes, url={self.url!r})"


@dataclass(frozen=True)
class SendRequest:
    """One send (or cost) request, already split into fields by a front end.

    ``phones`` are raw recipient strings (the state validates them, giving error 7 per
    bad one). ``time``/``tz`` are SMSC's time forms (see :mod:`.time_forms`); a front end
    that has an absolute time instead passes ``send_at`` (Unix seconds), which wins.
    ``valid`` is the lifetime in seconds. ``cost`` is SMSC's mode: 0 send, 1 only price,
    2 send and report the cost, 3 also report the new balance. ``op``/``err`` ask for
    per-phone results (all / only the refused ones). ``pairs`` is ``list=``: per-phone
    texts, used instead of ``phones`` and ``text`` when not empty; ``line_options``
    gives each ``list=`` line's own (sender, tz), ``None`` where the line names none.
    ``tinyurl`` shortens the links of the text; ``period`` (hours) spreads the
    recipients over that time in batches every ``freq`` minutes (default 60).
    ``options`` are the other parameters SMSC received (``voice``, ``period``, ``pp``…),
    kept as they came. ``files`` are the attachments (multipart parts and ``fileurl``),
    stored with every recipient.
    ``segments`` is the number of SMS a front end received the text in (SMPP's UDH or
    SAR parts, joined into one message): each recipient is billed that many parts, as
    SMSC bills what it sends.
    """

    phones: tuple[str, ...] = ()
    text: str = ""
    sender: str | None = None
    id: str | None = None
    kind: MessageKind = MessageKind.SMS
    time: str | None = None
    tz: float | None = None
    send_at: float | None = None
    valid: float | None = None
    translit: int = 0
    cost: int = 0
    op: bool = False
    err: bool = False
    pairs: tuple[tuple[str, str], ...] = ()
    maxsms: int | None = None
    subject: str | None = None
    files: tuple[StoredFile, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    tinyurl: bool = False
    period: float | None = None
    freq: int | None = None
    line_options: tuple[tuple[str | None, float | None], ...] = ()
    segments: int | None = None


@quick_init  # a bulk send makes one per recipient
@dataclass(frozen=True, slots=True)
class PhoneOutcome:
    """The fate of one recipient of a send: ``error`` 0 when accepted, else SMSC's code."""

    phone: str
    mccmnc: str
    cost: Decimal
    status: int
    error: int
    parts: int


@dataclass(frozen=True)
class SendOutcome:
    """What a send (or, with ``cost_mode`` 1, a price query) produced.

    ``id`` is ``None`` for a price query; ``parts`` is SMSC's ``cnt`` summed over the
    accepted recipients; ``balance`` is the balance after charging.
    """

    id: str | None
    parts: int
    cost: Decimal
    balance: Decimal | None
    phones: tuple[PhoneOutcome, ...]
    cost_mode: int = 0
    op: bool = False
    err: bool = False

    @property
    def is_estimate(self) -> bool:
        """Whether nothing was sent (``cost=1``)."""
        return self.cost_mode == 1


@dataclass(frozen=True)
class HlrRecord:
    """What an HLR request found: SMSC's ``imsi, msc, mcc, mnc, cn, net, rcn, rnet``.

    Empty strings where the network told nothing (no MSC for an absent subscriber,
    no roaming country at home).
    """

    imsi: str
    msc: str
    mcc: str
    mnc: str
    cn: str
    net: str
    rcn: str = ""
    rnet: str = ""


@dataclass(frozen=True)
class StatusRecord:
    """A message's state for one recipient, as status/history answers show it.

    ``status`` is :attr:`MessageStatus.NOT_FOUND` (and the rest empty) when there is no
    such message. Timestamps are Unix seconds; ``last_timestamp`` is when the status
    last changed, ``send_timestamp`` when it left (or is scheduled to leave). ``valid``
    is the lifetime in seconds; ``subject`` (``subj`` of an e-mail or MMS) and
    ``options`` what the send carried. ``hlr`` is set for HLR requests.
    """

    id: str
    phone: str
    status: MessageStatus
    err: int = 0
    last_timestamp: float = 0.0
    send_timestamp: float = 0.0
    cost: Decimal = Decimal(0)
    sender: str = ""
    text: str = ""
    kind: MessageKind = MessageKind.SMS
    parts: int = 0
    country: str = ""
    operator: str = ""
    region: str = ""
    mccmnc: str = ""
    int_id: int = 0
    valid: float = 0.0
    subject: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    hlr: HlrRecord | None = None
    """The lookup's result, for an HLR request only."""

    @property
    def found(self) -> bool:
        """Whether the message exists."""
        return self.status != MessageStatus.NOT_FOUND

    @property
    def flag(self) -> int:
        """SMSC's ``flag`` bit field; only the type bits (0-3) are modelled."""
        return kind_flag(self.kind)


# Type bits of the status ``flag`` (smsc-protocol.md §1.7, [S]); kinds the list does
# not name (Telegram, bots) report 0.
_FLAG_TYPE: Mapping[MessageKind, int] = {
    MessageKind.FLASH: 1,
    MessageKind.BIN: 2,
    MessageKind.BIN_HEX: 2,
    MessageKind.PUSH: 3,
    MessageKind.HLR: 4,
    MessageKind.PING: 5,
    MessageKind.MMS: 6,
    MessageKind.CALL: 7,
    MessageKind.MAIL: 8,
    MessageKind.VIBER: 10,
    MessageKind.SOC: 12,
}


def kind_flag(kind: MessageKind) -> int:
    """The type bits of SMSC's status ``flag`` for ``kind``."""
    return _FLAG_TYPE.get(kind, 0)


@dataclass(frozen=True)
class BalanceInfo:
    """An account's balance, currency and credit (``None`` when it has none)."""

    balance: Decimal
    currency: str
    credit: Decimal | None


@dataclass(frozen=True)
class IncomingRecord:
    """An incoming (MO) message on an account; ``id`` is the inbox's own number."""

    id: int
    login: str
    phone: str
    to_phone: str
    text: str
    received: float
    sent: float


@dataclass(frozen=True)
class CallbackEvent:
    """One HTTP callback to make: form ``fields`` to POST to ``url``."""

    url: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class SendStats:
    """What an account sent in a period (``get_stat``): messages and what they cost."""

    login: str
    count: int
    spent: Decimal
    currency: str


@dataclass(frozen=True)
class LinkStats:
    """Clicks on one short link (``tinyurls.php``): in all, this month and today (Moscow)."""

    id: int
    link: str
    url: str
    clicks: int
    month: int
    day: int

    @classmethod
    def of(cls, link: ShortLink, base: str, now: float) -> LinkStats:
        """The counts of ``link`` as of ``now``."""
        today = datetime.fromtimestamp(now, MOSCOW)
        days = [datetime.fromtimestamp(t, MOSCOW) for t in link.clicks]
        month = [d for d in days if (d.year, d.month) == (today.year, today.month)]
        return cls(
            id=link.id,
            link=base + link.code,
            url=link.url,
            clicks=len(days),
            month=len(month),
            day=sum(1 for d in month if d.day == today.day),
        )
