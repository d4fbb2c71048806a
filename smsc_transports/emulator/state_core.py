"""The first half of the emulator state: accounts, authentication, throttles and sending.

:class:`~smsc_transports.emulator.state.EmulatorState` adds the read side (status,
balance, history, inbox, callbacks); the split only keeps each module short.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal

from smsc_transports.emulator.accounts import Account, Limits, Tariff
from smsc_transports.emulator.clock import Clock
from smsc_transports.emulator.records import (
    CallbackEvent,
    IncomingRecord,
    SendOutcome,
    SendRequest,
)
from smsc_transports.emulator.sending import Prepared, params_error, prepare, refusal
from smsc_transports.emulator.store import Recipient
from smsc_transports.emulator.throttle import InFlight, RateWindow
from smsc_transports.emulator.timeforms import parse_send_time
from smsc_transports.errors import api_error

__all__ = ["DEFAULT_VALID", "TOO_MANY", "StateCore", "demo_account"]

DEFAULT_VALID = 24 * 3600.0
TOO_MANY = "too many requests, wait a minute"


def demo_account() -> Account:
    """The account an emulator has when given none: ``demo``/``demo`` with 100.00 RUB."""
    return Account("demo", "demo", balance=Decimal("100.00"))


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also works for non-ASCII secrets."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _sender_allowed(account: Account, sender: str) -> bool:
    """Whether ``sender`` may be used: registered, or no list, or "no sender" ("" or ".")."""
    return sender in ("", ".") or not account.senders or sender in account.senders


class StateCore:
    """Accounts, authentication, throttles and sending of the in-memory SMSC.

    ``accounts`` default to :func:`demo_account`; ``clock`` returns Unix seconds
    (``time.time`` by default, a :class:`~.clock.ManualClock` in tests); a message
    waits (-1) ``transfer_after`` seconds, is transferred (0), and reaches its final
    status ``deliver_after`` seconds after it left. ``callback_url`` receives status
    callbacks for accounts that name none (see :mod:`.callbacks`).
    """

    def __init__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        clock: Clock | None = None,
        limits: Limits | None = None,
        tariff: Tariff | None = None,
        transfer_after: float = 1.0,
        deliver_after: float = 3.0,
        callback_url: str | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or time.time
        self.limits = limits or Limits()
        self.tariff = tariff or Tariff()
        self.transfer_after = transfer_after
        self.deliver_after = deliver_after
        self.callback_url = callback_url
        self._accounts: dict[str, Account] = {}
        self._next_id: dict[str, int] = {}
        self._next_int_id = 1
        self._next_inbox_id = 1
        self._recipients: dict[tuple[str, str, str], Recipient] = {}
        self._history: dict[str, list[Recipient]] = {}
        self._inbox: dict[str, list[IncomingRecord]] = {}
        self._duplicates = RateWindow(self.limits.duplicate_window or 60.0)
        self._minute = RateWindow(60.0)
        self._in_flight = InFlight()
        self._unsettled: dict[int, Recipient] = {}
        self._events: list[CallbackEvent] = []
        for account in [demo_account()] if accounts is None else accounts:
            self.add_account(account)

    # -- accounts ---------------------------------------------------------------------

    def add_account(self, account: Account) -> Account:
        """Add (or replace) an account and return it."""
        with self.lock:
            self._accounts[account.login] = account
            return account

    def account(self, login: str) -> Account:
        """The account named ``login`` (``KeyError`` if there is none)."""
        with self.lock:
            return self._accounts[login]

    @property
    def callbacks_wanted(self) -> bool:
        """Whether any callback URL is configured (the ticker runs only then)."""
        with self.lock:
            return bool(self.callback_url) or any(a.callback_url for a in self._accounts.values())

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
        with self.lock:
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
            for candidate in self._accounts.values():
                if candidate.apikey and _same(candidate.apikey, apikey):
                    return candidate
            return None
        found = self._accounts.get(login)
        if found is None or not password:
            return None
        digest = hashlib.md5(found.password.encode(), usedforsecurity=False).hexdigest()
        if _same(found.password, password) or _same(digest, password):
            return found
        return None

    @contextlib.contextmanager
    def request_slot(self, login: str) -> Iterator[None]:
        """Hold one of ``login``'s concurrent-request slots; error 9 when none is free."""
        with self.lock:
            error = self._in_flight.enter(login, self.limits.max_in_flight)
        if error is not None:
            raise error
        try:
            yield
        finally:
            with self.lock:
                self._in_flight.leave(login)

    def in_flight(self, login: str) -> int:
        """How many requests of ``login`` are being answered now."""
        with self.lock:
            return self._in_flight.get(login)

    # -- sending ----------------------------------------------------------------------

    def send(self, account: Account, request: SendRequest) -> SendOutcome:
        """Send ``request`` (or only price it, for ``cost=1``); see :class:`SendRequest`.

        Errors: 1 bad request, 5 bad time, 9 duplicate (no id); 6 unregistered sender,
        7/8 every recipient refused, 3 not enough money (with the assigned id).
        """
        if request.cost == 1:
            return self.cost(account, request)
        if request.cost not in (0, 2, 3):
            raise params_error()
        with self.lock:
            now = self.clock()
            prepared = prepare(request, self.tariff, self.limits)
            start = request.send_at
            if start is None:
                start = parse_send_time(request.time, tz=request.tz, now=now)
            start = now if start is None or start < now else start
            # "Identical" is judged by content: an e-mail send carries a fresh id in every
            # mail, and would otherwise never be seen as a repeat. A reused client id is
            # caught by its own rule in _check_duplicate.
            key = (
                account.login,
                request.kind,
                request.sender,
                tuple((p.phone, p.text) for p in prepared),
            )
            self._check_duplicate(account, request, key, prepared, now)
            msg_id = request.id or self._new_id(account.login)
            sender = request.sender if request.sender is not None else account.default_sender
            if request.kind.is_sms_like and not _sender_allowed(account, sender):
                raise refusal(6, msg_id)
            accepted = [p for p in prepared if not p.error]
            if not accepted:
                raise refusal(prepared[0].error, msg_id)
            total = sum((p.cost for p in accepted), Decimal(0))
            if not account.can_spend(total):
                raise refusal(3, msg_id)
            account.balance -= total
            for p in accepted:
                self._store(account, request, msg_id, sender, p, now, start)
            if self.limits.duplicate_window is not None:
                self._duplicates.add(key, now)
            return SendOutcome(
                id=msg_id,
                parts=sum(p.parts for p in accepted),
                cost=total,
                balance=account.balance,
                phones=tuple(p.outcome() for p in prepared),
                cost_mode=request.cost,
                op=request.op,
                err=request.err,
            )

    def _check_duplicate(
        self,
        account: Account,
        request: SendRequest,
        key: object,
        prepared: list[Prepared],
        now: float,
    ) -> None:
        window = self.limits.duplicate_window
        if window is None:
            return
        if self._duplicates.count(key, now):
            raise api_error(9, "duplicate request, wait a minute")
        if request.id is None:
            return
        for p in prepared:
            earlier = self._recipients.get((account.login, request.id, p.phone))
            if earlier is not None and earlier.created > now - window:
                raise api_error(9, "duplicate request, wait a minute")

    def _new_id(self, login: str) -> str:
        number = self._next_id.get(login, 1)
        self._next_id[login] = number + 1
        return str(number)

    def _store(
        self,
        account: Account,
        request: SendRequest,
        msg_id: str,
        sender: str,
        p: Prepared,
        now: float,
        start: float,
    ) -> None:
        recipient = Recipient(
            login=account.login,
            id=msg_id,
            phone=p.phone,
            text=p.text,
            sender=sender,
            kind=request.kind,
            created=now,
            start=start,
            valid=request.valid or DEFAULT_VALID,
            cost=p.cost,
            parts=p.parts,
            behaviour=p.behaviour,
            int_id=self._next_int_id,
            subject=request.subject,
        )
        self._next_int_id += 1
        recipient.plan(self.transfer_after, self.deliver_after)
        self._recipients[(account.login, msg_id, p.phone)] = recipient
        self._history.setdefault(account.login, []).append(recipient)
        if account.callback_url or self.callback_url:
            self._unsettled[recipient.int_id] = recipient

    def cost(self, account: Account, request: SendRequest) -> SendOutcome:
        """Price ``request`` without sending it (``cost=1``); error 9 after 5 identical a minute."""
        with self.lock:
            now = self.clock()
            prepared = prepare(request, self.tariff, self.limits)
            accepted = [p for p in prepared if not p.error]
            if not accepted:
                raise refusal(prepared[0].error, None, "cost")
            key = (
                "cost",
                account.login,
                request.kind,
                request.sender,
                tuple((p.phone, p.text) for p in prepared),
            )
            if not self._minute.allow(key, now, self.limits.cost_repeats_per_minute):
                raise api_error(9, TOO_MANY, operation="cost")
            return SendOutcome(
                id=None,
                parts=sum(p.parts for p in accepted),
                cost=sum((p.cost for p in accepted), Decimal(0)),
                balance=None,
                phones=tuple(p.outcome() for p in prepared),
                cost_mode=1,
                op=request.op,
                err=request.err,
            )
