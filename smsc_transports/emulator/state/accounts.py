"""The emulator's accounts and their table, the tariff and the limits SMSC applies.

:class:`Account`, :class:`Tariff` and :class:`Limits` are configuration values;
:class:`Accounts` is the table of accounts by login that authenticates credentials.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

from smsc_transports.errors import api_error
from smsc_transports.message import MessageKind

__all__ = ["PER_PART_KINDS", "Account", "Accounts", "Limits", "Tariff", "demo_account"]


def _money(value: Decimal | int | str | float) -> Decimal:
    """Return ``value`` as a Decimal; floats go through ``str`` so 1.4 stays 1.4."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(eq=False)
class Account:
    """One SMSC account. ``balance`` changes as messages are sent (under the state lock).

    ``apikey`` enables ``apikey=`` authentication; ``credit`` lets the balance go that far
    below zero; ``senders`` is the list of registered sender IDs (empty = any sender is
    accepted); ``allowed_ips`` restricts where requests may come from (error 2
    elsewhere); ``callback_url`` receives status callbacks for this account's messages.
    The password and API key never appear in ``repr``.
    """

    login: str
    password: str = field(repr=False)
    apikey: str | None = field(default=None, repr=False)
    balance: Decimal = Decimal("100.00")
    currency: str = "RUB"
    credit: Decimal | None = None
    senders: tuple[str, ...] = ()
    allowed_ips: tuple[str, ...] | None = None
    callback_url: str | None = None

    def __post_init__(self) -> None:
        self.balance = _money(self.balance)
        if self.credit is not None:
            self.credit = _money(self.credit)
        self.senders = tuple(self.senders)
        if self.allowed_ips is not None:
            self.allowed_ips = tuple(self.allowed_ips)

    @property
    def default_sender(self) -> str:
        """The sender used when a request names none: the first registered one, or ``SMSC.RU``."""
        return self.senders[0] if self.senders else "SMSC.RU"

    def can_spend(self, amount: Decimal) -> bool:
        """Whether ``amount`` fits in the balance plus the credit."""
        return self.balance + (self.credit or Decimal(0)) >= amount


def demo_account() -> Account:
    """The account an emulator has when given none: ``demo``/``demo`` with 100.00 RUB."""
    return Account("demo", "demo", balance=Decimal("100.00"))


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also works for non-ASCII secrets."""
    return hmac.compare_digest(expected.encode(), given.encode())


class Accounts:
    """The table of accounts by login, and the rules credentials open one by.

    Not locked: the emulator state owns it and calls it under its own lock.
    """

    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self._by_login: dict[str, Account] = {}
        for account in accounts:
            self.add(account)

    def add(self, account: Account) -> Account:
        """Add (or replace) an account and return it."""
        self._by_login[account.login] = account
        return account

    def __getitem__(self, login: str) -> Account:
        """The account named ``login`` (``KeyError`` if there is none)."""
        return self._by_login[login]

    def __iter__(self) -> Iterator[Account]:
        """Every account, in the order they were added."""
        return iter(self._by_login.values())

    def allowed_ips(self) -> frozenset[str]:
        """Every address on some account's allow-list."""
        return frozenset(ip for a in self._by_login.values() for ip in a.allowed_ips or ())

    def authenticate(
        self,
        login: str | None,
        password: str | None,
        apikey: str | None = None,
        *,
        ip: str | None = None,
        operation: str = "send",
    ) -> Account:
        """Return the account the credentials open, or raise error 2.

        The password may be given as is or as its lower-case MD5 hex; an empty login
        with a password means the password is an API key, as in SMSC's libraries.
        """
        account = self._find(login or "", password or "", apikey or "")
        if account is None or (
            account.allowed_ips is not None and (ip or "") not in account.allowed_ips
        ):
            raise api_error(2, "authorise error", operation=operation)
        return account

    def _find(self, login: str, password: str, apikey: str) -> Account | None:
        if not apikey and not login:
            apikey = password
        if apikey:
            for candidate in self._by_login.values():
                if candidate.apikey and _same(candidate.apikey, apikey):
                    return candidate
            return None
        found = self._by_login.get(login)
        if found is None or not password:
            return None
        if _same(found.password, password):
            return found
        digest = hashlib.md5(found.password.encode(), usedforsecurity=False).hexdigest()
        return found if _same(digest, password) else None


# Kinds SMSC bills per SMS part; every other kind is billed per message.
PER_PART_KINDS = frozenset(
    {MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH, MessageKind.BIN, MessageKind.BIN_HEX}
)
_PER_MESSAGE_DEFAULTS: Mapping[MessageKind, Decimal] = MappingProxyType(
    {
        MessageKind.HLR: Decimal("0.20"),
        MessageKind.PING: Decimal("0.20"),
        MessageKind.MMS: Decimal("5.00"),
        MessageKind.MAIL: Decimal("0.05"),
        MessageKind.CALL: Decimal("2.00"),
        MessageKind.VIBER: Decimal("0.60"),
        MessageKind.SOC: Decimal("1.00"),
        MessageKind.BOT: Decimal("0.50"),
        MessageKind.TELEGRAM: Decimal("0.50"),
    }
)


@dataclass(frozen=True)
class Tariff:
    """Prices: per SMS part by destination prefix (longest prefix wins), else ``default``;
    other kinds per message from ``per_message``.

    ``Tariff(sms={"7": "1.40", "375": "4.50"})`` prices Russian numbers at 1.40 a part,
    Belarusian ones at 4.50, everything else at ``default``.
    """

    sms: Mapping[str, Decimal] = field(default_factory=dict)
    default: Decimal = Decimal("1.40")
    per_message: Mapping[MessageKind, Decimal] = field(default_factory=dict)
    # (part price, parts, their product) of the last price() of a per-part kind: not a
    # field, each instance's own once price() sets it (see there).
    _last_product: ClassVar[tuple[Decimal | None, int, Decimal]] = (None, 0, Decimal(0))

    def __post_init__(self) -> None:
        prices = {prefix: _money(price) for prefix, price in self.sms.items()}
        object.__setattr__(self, "sms", MappingProxyType(prices))
        object.__setattr__(self, "default", _money(self.default))
        merged = dict(_PER_MESSAGE_DEFAULTS)
        merged.update({MessageKind(k): _money(v) for k, v in self.per_message.items()})
        object.__setattr__(self, "per_message", MappingProxyType(merged))

    @functools.cached_property
    def _prefix_lengths(self) -> tuple[int, ...]:
        # Only the lengths some prefix has are worth looking up, longest first; with no
        # prefix prices at all (the default tariff) every phone costs ``default``.
        return tuple(sorted({len(prefix) for prefix in self.sms}, reverse=True))

    def part_price(self, phone: str) -> Decimal:
        """The price of one SMS part to ``phone`` (longest matching prefix, else default)."""
        digits = phone.lstrip("+")
        for length in self._prefix_lengths:
            if length <= len(digits):
                price = self.sms.get(digits[:length])
                if price is not None:
                    return price
        return self.default

    def flat_price(self, kind: MessageKind, parts: int) -> Decimal | None:
        """What :meth:`price` gives every phone for ``kind`` in ``parts``, or ``None``
        when it depends on the phone (a per-part kind with prefix prices)."""
        if self.sms and kind in PER_PART_KINDS:
            return None
        return self.price("", kind, parts)

    def price(self, phone: str, kind: MessageKind, parts: int) -> Decimal:
        """What one recipient of a message of ``kind`` split in ``parts`` costs."""
        if kind in PER_PART_KINDS:
            unit = self.part_price(phone) if self.sms else self.default
            # The recipients of a bulk send are priced alike: the last product is kept
            # and handed out again, so they share one Decimal, whose hash is then worked
            # out once when the answer lists them. Matched by the identity of the part
            # price (one of this tariff's own Decimals): equal prices written
            # differently (1.4 and 1.40, 0 and -0) keep their own products.
            last_unit, last_parts, cost = self._last_product
            if unit is not last_unit or parts != last_parts:
                cost = unit * parts
                object.__setattr__(self, "_last_product", (unit, parts, cost))
            return cost
        return self.per_message.get(kind, self.default)


@dataclass(frozen=True)
class Limits:
    """The rules SMSC enforces; ``None`` switches one off.

    Defaults follow smsc-protocol.md §1.12. Use :meth:`unlimited` for high-volume tests.
    Windows are one minute of the emulator's clock.
    """

    max_text_length: int | None = 1000
    duplicate_window: float | None = 60.0
    """An identical send, or a send reusing a client ``id`` for the same phone, within
    this many seconds of an accepted one is refused with error 9."""
    cost_repeats_per_minute: int | None = 5
    status_per_message_per_minute: int | None = 5
    mass_status_per_minute: int | None = 1
    balance_per_minute: int | None = 10
    max_in_flight: int | None = 15
    """Requests of one login being answered at the same time; one more gets error 9."""
    ip_block_auth_failures: int | None = 5
    """Failed logins from one address within 30 minutes that block it for 30 minutes
    (error 4), unless it is on an account's allow-list."""
    ip_block_error_run: int | None = 100
    """Erroneous send requests in a row from one address within 10 minutes that block
    it for 10 minutes (error 4)."""

    @classmethod
    def unlimited(cls) -> Limits:
        """Limits with every throttle and the IP block off (the 1000-character text rule stays)."""
        off = {f.name: None for f in fields(cls) if f.name != "max_text_length"}
        return replace(cls(), **off)

    def without_ip_block(self) -> Limits:
        """These limits with error 4 (IP blocked after frequent errors) switched off.

        For test suites that try wrong passwords on purpose.
        """
        return replace(self, ip_block_auth_failures=None, ip_block_error_run=None)
