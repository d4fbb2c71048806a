"""The emulator's in-memory SMSC: :class:`EmulatorState`, shared by every front end.

State that lives here, in collaborators the state owns: the accounts with their
balances (:class:`~.accounts.Accounts`, which also authenticates); the counters behind
error 9 (:class:`~.rate_limits.RateLimits`); every message sent, one
:class:`~.recipient.Recipient` per recipient (:class:`~.recipient.Recipients`, which
also numbers them); each login's incoming (MO) messages (:class:`~.inbox.Inbox`). In
the state itself: the callbacks owed (recipients whose changes are not all reported
yet, and events ready to go). Clock, limits, tariff, delays and the default callback
URL are fixed at construction.

Who may change it: only :class:`EmulatorState`'s methods. Front ends call them and
never reach into attributes or collaborators; the :class:`~.accounts.Account` a front
end got from :meth:`~EmulatorState.authenticate` is only passed back, and its balance
changes only in :meth:`~EmulatorState.send` and :meth:`~EmulatorState.set_balance`.

Which lock guards it: ``self.lock``, one re-entrant lock, around all of it. Every
public method takes it, so front ends on any thread or event loop may call any method;
the collaborators and recipients have no lock of their own and are reached only under
this one. No status is stored: each is read off its recipient's timeline at the
clock's time, so nothing runs in the background and a manual clock drives it exactly.

Methods speak protocol-neutral values (:mod:`~.records`) and raise the library's
:class:`~smsc_transports.errors.APIError` subclasses with SMSC's codes and short
English texts, so a front end only translates its wire format::

    state = EmulatorState(clock=ManualClock())
    account = state.authenticate("demo", "demo")
    outcome = state.send(account, SendRequest(phones=("79990000001",), text="hi"))
    state.clock.advance(3)          # a ManualClock: the message is now delivered
    state.status(account, outcome.id, "79990000001").status  # MessageStatus.DELIVERED
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from smsc_transports.emulator.state.accounts import Account, Accounts, Limits, Tariff, demo_account
from smsc_transports.emulator.state.activity import Activity
from smsc_transports.emulator.state.clock import Clock, format_date
from smsc_transports.emulator.state.image import Parts, capture, from_plain, load, to_plain
from smsc_transports.emulator.state.inbox import Inbox
from smsc_transports.emulator.state.ip_blocks import IpBlocks
from smsc_transports.emulator.state.mailings import Job, Mailings, SenderNames
from smsc_transports.emulator.state.number_rules import Behaviour, NumberInfo, describe_number
from smsc_transports.emulator.state.planning import senders_of, start_times
from smsc_transports.emulator.state.pricing import (
    Prepared,
    apply_prefix,
    params_error,
    phone_outcomes,
    prepare,
    refusal,
)
from smsc_transports.emulator.state.rate_limits import RateLimits
from smsc_transports.emulator.state.recipient import (
    Recipient,
    Recipients,
    Step,
    not_found,
    timeline,
)
from smsc_transports.emulator.state.records import (
    BalanceInfo,
    CallbackEvent,
    IncomingRecord,
    LinkStats,
    SendOutcome,
    SendRequest,
    SendStats,
    StatusRecord,
    StoredFile,
)
from smsc_transports.emulator.state.short_links import ShortLink, ShortLinks
from smsc_transports.encoding import count_parts
from smsc_transports.errors import APIError, ValidationError, api_error
from smsc_transports.message import MessageKind, normalize_phone
from smsc_transports.statuses import MessageStatus

__all__ = ["DEFAULT_VALID", "EmulatorState"]

DEFAULT_VALID = 24 * 3600.0


def lookup_phone(phone: str) -> str:
    """The stored form of a phone (or e-mail) given in a status or delete request."""
    try:
        return normalize_phone(phone).lstrip("+")
    except ValidationError:
        return phone.strip()


def _sender_allowed(account: Account, sender: str, added: tuple[str, ...]) -> bool:
    """Whether ``sender`` may be used: registered, or no list, or "no sender" ("" or ".")."""
    if sender in ("", ".") or not account.senders:
        return True
    return sender in account.senders or sender in added


class EmulatorState:
    """A thread-safe in-memory SMSC; see the module docstring for what it holds.

    ``accounts`` default to :func:`~.accounts.demo_account`; ``clock`` returns Unix
    seconds (``time.time`` by default, a :class:`~.clock.ManualClock` in tests); a
    message waits (-1) ``transfer_after`` seconds, is transferred (0), and reaches its
    final status ``deliver_after`` seconds after it left. ``callback_url`` receives
    status callbacks for accounts that name none (see :meth:`collect_callbacks`).
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
        self._accounts = Accounts([demo_account()] if accounts is None else accounts)
        self._rates = RateLimits(self.limits)
        self._ip_blocks = IpBlocks(
            self.limits.ip_block_auth_failures, self.limits.ip_block_error_run
        )
        self._recipients = Recipients()
        self._inbox = Inbox()
        self._mailings = Mailings()
        self._sender_names = SenderNames()
        self._links = ShortLinks()
        # Contact groups: login -> group id -> phones (``phones=G<id>``).
        self._groups: dict[str, dict[str, tuple[str, ...]]] = {}
        # Callbacks owed: recipients whose status changes are not all reported yet (by
        # int_id), and events ready to go.
        self._unsettled: dict[int, Recipient] = {}
        self._events: list[CallbackEvent] = []
        self.activity = Activity()  # what ``smsc emulator --live`` prints

    # -- accounts ----------------------------------------------------------------------

    def add_account(self, account: Account) -> Account:
        """Add (or replace) an account and return it."""
        with self.lock:
            return self._accounts.add(account)

    def account(self, login: str) -> Account:
        """The account named ``login`` (``KeyError`` if there is none)."""
        with self.lock:
            return self._accounts[login]

    def logins(self) -> tuple[str, ...]:
        """Every account's login, in the order they were added."""
        with self.lock:
            return tuple(account.login for account in self._accounts)

    def account_balance(self, login: str) -> BalanceInfo:
        """``login``'s balance, unthrottled: for the emulator's own use, not SMSC's API."""
        with self.lock:
            found = self._accounts[login]
            return BalanceInfo(found.balance, found.currency, found.credit)

    def authenticate(
        self,
        login: str | None,
        password: str | None,
        apikey: str | None = None,
        *,
        ip: str | None = None,
        operation: str = "send",
    ) -> Account:
        """Return the account the credentials open, or raise error 2 (4 from a blocked ``ip``).

        The rules (password or its MD5, API keys, IP lists) are
        :meth:`~.accounts.Accounts.authenticate`'s; a failure counts towards blocking
        ``ip`` (:mod:`.ip_blocks`). This takes the state's lock.
        """
        with self.lock:
            now = self.clock()
            self._ip_blocks.check(ip, now, operation)
            try:
                return self._accounts.authenticate(
                    login, password, apikey, ip=ip, operation=operation
                )
            except APIError:
                self._ip_blocks.auth_failed(ip, now, self._accounts.allowed_ips())
                raise

    def check_ip(self, ip: str | None, operation: str = "send") -> None:
        """Raise error 4 when ``ip`` is blocked now (for requests refused before a login)."""
        with self.lock:
            self._ip_blocks.check(ip, self.clock(), operation)

    def note_send_answer(self, ip: str | None, error: APIError | None) -> None:
        """Count a send request's outcome towards SMSC's "100 errors in a row" IP block.

        Errors 2 (counted as a failed login), 4 and 9 (throttling) are not counted.
        """
        with self.lock:
            if error is None:
                self._ip_blocks.request_succeeded(ip)
            elif error.code not in (2, 4, 9):
                self._ip_blocks.request_failed(ip, self.clock())

    def set_balance(self, login: str, amount: Decimal | int | str) -> None:
        """Set an account's balance (tests use it to provoke error 3)."""
        with self.lock:
            self._accounts[login].balance = Decimal(str(amount))

    def senders(self, account: object) -> tuple[str, ...]:
        """The account's registered sender IDs: configured, then added and confirmed."""
        login = self._login(account)
        with self.lock:
            added = self._sender_names.confirmed(login)
            configured = self._accounts[login].senders
            return configured + tuple(n for n in added if n not in configured)

    def add_sender(self, account: object, name: str, comment: str = "") -> None:
        """Register ``name``: a name at once, a number once confirmed by its code."""
        with self.lock:
            self._sender_names.add(self._login(account), name, comment)

    def send_sender_code(self, account: object, name: str) -> str:
        """Text a code to the numeric sender ``name``; return it (see :meth:`sender_code`)."""
        with self.lock:
            return self._sender_names.send_code(self._login(account), name)

    def sender_code(self, login: str, name: str) -> str | None:
        """The last code texted to the numeric sender ``name`` of ``login`` (for tests)."""
        with self.lock:
            return self._sender_names.code(login, name)

    def confirm_sender(self, account: object, name: str, code: str) -> None:
        """Confirm the numeric sender ``name``; error 1 for a wrong code."""
        with self.lock:
            self._sender_names.confirm(self._login(account), name, code)

    def _login(self, account: object) -> str:
        login = getattr(account, "login", None)
        if not isinstance(login, str):
            raise TypeError("expected an Account")
        return login

    # -- requests in flight ------------------------------------------------------------

    @contextlib.contextmanager
    def request_slot(self, login: str) -> Iterator[None]:
        """Hold one of ``login``'s concurrent-request slots; error 9 when none is free."""
        with self.lock:
            error = self._rates.enter(login)
        if error is not None:
            raise error
        try:
            yield
        finally:
            with self.lock:
                self._rates.leave(login)

    def in_flight(self, login: str) -> int:
        """How many requests of ``login`` are being answered now."""
        with self.lock:
            return self._rates.in_flight(login)

    # -- sending -----------------------------------------------------------------------

    def send(self, account: Account, request: SendRequest) -> SendOutcome:
        """Send ``request`` (or only price it, for ``cost=1``); see :class:`SendRequest`.

        Errors: 1 bad request, 5 bad time, 9 duplicate (no id); 6 unregistered sender,
        7/8 every recipient refused, 3 not enough money (with the assigned id).
        """
        request = apply_prefix(request)
        if request.cost == 1:
            return self.cost(account, request)
        if request.cost not in (0, 2, 3):
            raise params_error()
        with self.lock, self.activity.refusals():
            made: list[ShortLink] = []
            try:
                return self._send(account, request, made)
            finally:
                self._links.drop(made)  # the links of a refused send lead nowhere

    def _send(self, account: Account, request: SendRequest, made: list[ShortLink]) -> SendOutcome:
        now = self.clock()
        shorten = self._links.shortener(made) if request.tinyurl else None
        groups = self._group_lookup(account.login)
        prepared = prepare(request, self.tariff, self.limits, groups=groups, shorten=shorten)
        # "Identical" is judged by content: an e-mail send carries a fresh id in every
        # mail, and would otherwise never be seen as a repeat. A reused client id is
        # caught by its own rule, from the send times of what that id already names.
        # (The texts are the request's: short links differ on every send.)
        key = (
            account.login,
            request.kind,
            request.sender,
            tuple([p.phone for p in prepared]),
            request.text,
            request.pairs,
            request.line_options,
        )
        self._rates.check_duplicate(key, now, self._reused(account.login, request, prepared))
        msg_id = request.id or self._recipients.new_id(account.login)
        accepted = [p for p in prepared if not p.error]
        # The senders of the accepted recipients (of all, when none is): for the check,
        # each distinct one once (one, unless list= lines name their own), then stored.
        senders = senders_of(account, request, accepted or prepared)
        if request.kind.is_sms_like:
            added = self._sender_names.confirmed(account.login)
            if not all(_sender_allowed(account, sender, added) for sender in set(senders)):
                raise refusal(6, msg_id)
        if not accepted:
            raise refusal(prepared[0].error, msg_id)
        starts = start_times(request, accepted, now)
        total = sum([p.cost for p in accepted], Decimal(0))
        if not account.can_spend(total):
            raise refusal(3, msg_id)
        account.balance -= total
        self._store(account, request, msg_id, accepted, senders, starts, now)
        if made:
            for p in accepted:
                self._links.bind(made, p.text, (account.login, msg_id, p.phone))
        self._rates.sent(key, now)
        self.activity.accepted += len(accepted)
        return SendOutcome(
            id=msg_id,
            parts=sum([p.parts for p in accepted]),
            cost=total,
            balance=account.balance,
            phones=phone_outcomes(prepared),
            cost_mode=request.cost,
            op=request.op,
            err=request.err,
        )

    def new_message_id(self, account: object) -> str:
        """Number a message before it is sent: the id :meth:`send` would have given it.

        For a front end that must answer with an id before the whole message has come
        (the first parts of a split SMPP message); it then sends with ``id`` set to it.
        """
        with self.lock:
            return self._recipients.new_id(self._login(account))

    def cancel(self, account: object, id: str, phone: str) -> StatusRecord | None:
        """Stop message ``id`` to ``phone`` if it has not left yet (a scheduled one).

        A cancelled message is stopped (status -2) from now on, and its cost goes back to
        the account. Returns its status after the call (not found, -3, when there is no
        such message), or ``None`` when it had already left and nothing changed.
        """
        login = self._login(account)
        with self.lock:
            now = self.clock()
            recipient = self._recipients.get(login, id, lookup_phone(phone))
            if recipient is None:
                return not_found(id, phone)
            if not recipient.waits(now):
                return None
            recipient.stop(now)
            self._accounts[login].balance += recipient.cost
            return recipient.record(now)

    def replace(
        self,
        account: object,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: float | None = None,
    ) -> StatusRecord | None:
        """Give message ``id`` to ``phone`` a new ``text`` and/or time, if it has not left.

        The new text is priced again: the difference is charged (error 3 when the
        balance cannot pay it) or given back. Returns what :meth:`cancel` returns: the
        status after the call, not found, or ``None`` when it had already left.
        """
        login = self._login(account)
        with self.lock:
            now = self.clock()
            recipient = self._recipients.get(login, id, lookup_phone(phone))
            if recipient is None:
                return not_found(id, phone)
            if not recipient.waits(now):
                return None
            owner = self._accounts[login]
            if text is not None:
                parts = max(count_parts(text, kind=recipient.kind).parts, 1)
                cost = self.tariff.price(recipient.phone, recipient.kind, parts)
                if not owner.can_spend(cost - recipient.cost):
                    raise refusal(3, id)
                owner.balance -= cost - recipient.cost
                recipient.text, recipient.parts, recipient.cost = text, parts, cost
            if send_at is not None:
                recipient.start = max(send_at, now)
            recipient.plan(self.transfer_after, self.deliver_after)
            return recipient.record(now)

    def _reused(self, login: str, request: SendRequest, prepared: list[Prepared]) -> list[float]:
        """When each recipient already stored under the request's own ``id`` was sent."""
        if request.id is None:
            return []
        found = (self._recipients.get(login, request.id, p.phone) for p in prepared)
        return [recipient.created for recipient in found if recipient is not None]

    def _store(
        self,
        account: Account,
        request: SendRequest,
        msg_id: str,
        accepted: list[Prepared],
        senders: list[str],
        starts: list[float],
        now: float,
    ) -> None:
        """Store a recipient for each accepted one, with its sender, leaving at its start."""
        login, kind, subject, files, options = (
            account.login,
            request.kind,
            request.subject,
            request.files,
            request.options,
        )
        valid = request.valid or DEFAULT_VALID
        # Recipients with the same behaviour leaving at the same time (in a bulk send,
        # all of them in a row) share a timeline: a recipient's is replaced, never
        # changed in place. The last one made is used again while it fits.
        shared: tuple[Behaviour | None, float, tuple[Step, ...]] = (None, now, ())
        recipients = []
        int_ids = self._recipients.new_int_ids(len(accepted))
        for p, sender, start, int_id in zip(accepted, senders, starts, int_ids, strict=True):
            behaviour = p.behaviour
            last_behaviour, last_start, steps = shared
            if behaviour is not last_behaviour or start != last_start:
                steps = timeline(
                    behaviour, now, start, valid, self.transfer_after, self.deliver_after
                )
                shared = (behaviour, start, steps)
            recipient = Recipient(
                login,
                msg_id,
                p.phone,
                p.text,
                sender,
                kind,
                now,
                start,
                valid,
                p.cost,
                p.parts,
                behaviour,
                int_id,
                subject,
                files,
                options,
                0,  # notified
                steps,
            )
            recipients.append(recipient)
        self._recipients.add_sent(login, recipients)
        if account.callback_url or self.callback_url:
            self._unsettled.update((r.int_id, r) for r in recipients)

    def cost(self, account: Account, request: SendRequest) -> SendOutcome:
        """Price ``request`` without sending it (``cost=1``); error 9 after 5 identical a minute."""
        request = apply_prefix(request)
        with self.lock:
            now = self.clock()
            # Price short links at their length without making any.
            shorten = self._links.placeholder if request.tinyurl else None
            groups = self._group_lookup(account.login)
            prepared = prepare(request, self.tariff, self.limits, groups=groups, shorten=shorten)
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
            self._rates.check_cost(key, now)
            return SendOutcome(
                id=None,
                parts=sum(p.parts for p in accepted),
                cost=sum((p.cost for p in accepted), Decimal(0)),
                balance=None,
                phones=phone_outcomes(prepared),
                cost_mode=1,
                op=request.op,
                err=request.err,
            )

    # -- contact groups and short links ---------------------------------------------------

    def add_group(self, login: str, phones: Iterable[str]) -> str:
        """Create a contact group of ``login`` holding ``phones``; return its id.

        ``phones=G<id>`` then sends to every phone of the group (SMSC's "sending to a
        group of numbers"); an id with no group is refused as an invalid number (7).
        """
        with self.lock:
            self._accounts[login]  # KeyError for an unknown login
            groups = self._groups.setdefault(login, {})
            group_id = str(len(groups) + 1)
            groups[group_id] = tuple(phones)
            return group_id

    def _group_lookup(self, login: str) -> Callable[[str], Sequence[str] | None] | None:
        """How :func:`~.pricing.prepare` finds ``login``'s groups (``None``: it has none)."""
        groups = self._groups.get(login)
        return groups.get if groups else None

    def set_link_base(self, base: str) -> None:
        """Where short links point: ``<base><code>`` (the HTTP front end's ``/t/``)."""
        with self.lock:
            self._links.base = base

    def click(self, code: str) -> str | None:
        """Follow short link ``code``: count the click, mark its message clicked (status 4
        once delivered) and return the original URL (``None`` for an unknown code)."""
        with self.lock:
            now = self.clock()
            link = self._links.click(code, now)
            if link is None:
                return None
            if link.owner is not None:
                recipient = self._recipients.get(*link.owner)
                if (
                    recipient is not None
                    and recipient.click(now)
                    and (self._accounts[recipient.login].callback_url or self.callback_url)
                ):
                    self._unsettled[recipient.int_id] = recipient
            return link.url

    def short_link(
        self, account: object, *, link: str | None = None, id: int | None = None
    ) -> LinkStats | None:
        """Click counts of one of the account's short links (``tinyurls.php?get=1``)."""
        login = self._login(account)
        with self.lock:
            found = self._links.find(login, link=link, id=id)
            if found is None:
                return None
            return LinkStats.of(found, self._links.base, self.clock())

    # -- statistics ----------------------------------------------------------------------

    def stat(self, account: object, start: float | None, end: float | None) -> SendStats:
        """What the account sent in [``start``, ``end``): messages and money (``get_stat``)."""
        login = self._login(account)
        with self.lock:
            sent = [
                r
                for r in self._recipients.sent_by(login)
                if (start is None or r.created >= start) and (end is None or r.created < end)
            ]
            spent = sum((r.cost for r in sent), Decimal(0))
            return SendStats(login, len(sent), spent, self._accounts[login].currency)

    # -- reading -----------------------------------------------------------------------

    def status(
        self, account: object, id: str, phone: str, *, throttled: bool = True
    ) -> StatusRecord:
        """The status of message ``id`` to ``phone`` (status -3 when there is none).

        Error 9 after ``limits.status_per_message_per_minute`` requests for the same
        message within a minute. A front end reading statuses for its own purposes
        (SMPP delivery receipts, say) passes ``throttled=False`` so it neither counts
        against the client's limit nor trips it.
        """
        login = self._login(account)
        with self.lock:
            now = self.clock()
            if throttled:
                self._rates.check_status(login, id, lookup_phone(phone), now)
            return self._record(login, id, phone, now)

    def statuses(self, account: object, wanted: Sequence[tuple[str, str]]) -> list[StatusRecord]:
        """The statuses of several (id, phone) pairs at once: one "mass request".

        Error 9 after ``limits.mass_status_per_minute`` mass requests within a minute.
        """
        login = self._login(account)
        with self.lock:
            now = self.clock()
            self._rates.check_mass_status(login, now)
            return [self._record(login, id, phone, now) for id, phone in wanted]

    def _record(self, login: str, id: str, phone: str, now: float) -> StatusRecord:
        recipient = self._recipients.get(login, id, lookup_phone(phone))
        if recipient is None:
            return not_found(id, phone)
        return recipient.record(now)

    def attachments(self, login: str, id: str, phone: str) -> tuple[StoredFile, ...]:
        """The files that came with ``login``'s message ``id`` to ``phone`` (for tests)."""
        with self.lock:
            recipient = self._recipients.get(login, id, lookup_phone(phone))
            return recipient.files if recipient is not None else ()

    def delete(self, account: object, id: str, phone: str) -> None:
        """Delete message ``id`` to ``phone``; error 5 when there is no such message."""
        login = self._login(account)
        with self.lock:
            recipient = self._recipients.remove(login, id, lookup_phone(phone))
            if recipient is None:
                raise api_error(5, "delete error", operation="delete")
            self._unsettled.pop(recipient.int_id, None)

    def balance(self, account: object) -> BalanceInfo:
        """The account's balance; error 9 after ``limits.balance_per_minute`` a minute."""
        login = self._login(account)
        with self.lock:
            self._rates.check_balance(login, self.clock())
            found = self._accounts[login]
            return BalanceInfo(found.balance, found.currency, found.credit)

    def history(
        self,
        account: object,
        *,
        start: float | None = None,
        end: float | None = None,
        phones: Iterable[str] | None = None,
        kind: MessageKind | None = None,
        cnt: int = 100,
        prev_id: int | None = None,
    ) -> list[StatusRecord]:
        """Sent messages, newest first, one record per recipient (``get_messages``).

        ``start``/``end`` bound the send time (Unix seconds), ``prev_id`` pages back
        (records with a smaller ``int_id``), ``cnt`` caps the count.
        """
        login = self._login(account)
        wanted = {lookup_phone(p) for p in phones} if phones else None
        with self.lock:
            now = self.clock()
            found = self._recipients.newest_first(
                login, start=start, end=end, phones=wanted, kind=kind, cnt=cnt, prev_id=prev_id
            )
            return [recipient.record(now) for recipient in found]

    def operator(self, phone: str) -> NumberInfo:
        """The country, operator and region of ``phone`` (``info.php``); error 1 if malformed."""
        try:
            digits = normalize_phone(phone).lstrip("+")
        except ValidationError:
            raise params_error("operator") from None
        if digits.startswith("G"):
            raise params_error("operator")
        return describe_number(digits)

    # -- scheduled mailings ------------------------------------------------------------

    def add_job(self, account: Account, name: str, request: SendRequest) -> Job:
        """Schedule ``request`` as the job ``name``: its messages are stored now, waiting.

        Errors are the send's (money, numbers, sender, time).
        """
        with self.lock:
            outcome = self.send(account, request)
            assert outcome.id is not None
            accepted = [p.phone for p in outcome.phones if not p.error]
            first = self._recipients.get(account.login, outcome.id, accepted[0])
            start = first.start if first is not None else self.clock()
            return self._mailings.add(
                account.login, name, request.text, tuple(accepted), outcome.id, start
            )

    def jobs(self, account: object) -> list[tuple[Job, int]]:
        """The account's jobs, newest first, each with its status code now."""
        login = self._login(account)
        with self.lock:
            now = self.clock()
            return [(job, job.status(now)) for job in self._mailings.of(login)]

    def cancel_job(self, account: object, id: str) -> None:
        """Cancel job ``id``: its waiting messages stop (status -2) and are refunded.

        Error 1 when there is no such job or it has already started.
        """
        login = self._login(account)
        with self.lock:
            job = self._mailings.get(login, id)
            now = self.clock()
            if job.cancelled:
                return
            if now >= job.start:
                raise params_error("jobs")
            for phone in job.phones:
                # Each waiting message stops and is refunded, as cancel_sm does it.
                self.cancel(account, job.message_id, phone)
            job.cancelled = True

    def delete_job(self, account: object, id: str) -> None:
        """Cancel job ``id`` if it is still waiting, then forget it."""
        login = self._login(account)
        with self.lock:
            job = self._mailings.get(login, id)
            if not job.cancelled and self.clock() < job.start:
                self.cancel_job(account, id)
            self._mailings.remove(login, id)

    # -- incoming messages -------------------------------------------------------------

    def add_incoming(
        self, login: str, phone: str, text: str, to_phone: str | None = None
    ) -> IncomingRecord:
        """Put an incoming (MO) message from ``phone`` into ``login``'s inbox."""
        with self.lock:
            account = self._accounts[login]
            now = self.clock()
            record = self._inbox.add(login, phone, text, to_phone, now)
            url = account.callback_url or self.callback_url
            if url:
                fields = {
                    "id": str(record.id),
                    "phone": record.phone,
                    "mes": text,
                    "to": record.to_phone,
                    "sent": str(int(now)),
                    "time": format_date(now),
                    "ts": str(int(now)),
                }
                self._events.append(CallbackEvent(url, fields))
            return record

    def incoming(
        self,
        account: object,
        *,
        cnt: int = 100,
        hours: float | None = None,
        after_id: int | None = None,
        to_phone: str | None = None,
    ) -> list[IncomingRecord]:
        """Incoming messages, newest first (``get_answers``)."""
        login = self._login(account)
        with self.lock:
            return self._inbox.newest_first(
                login, self.clock(), cnt=cnt, hours=hours, after_id=after_id, to_phone=to_phone
            )

    # -- changes a test makes (the control API) ------------------------------------------

    def force_status(
        self, login: str, id: str, phone: str, status: MessageStatus, err: int = 0
    ) -> StatusRecord:
        """Make message ``id`` to ``phone`` of ``login`` take ``status`` (and ``err``) now.

        The steps planned after now are dropped, so the forced status stays; callbacks
        report it like any change. ``KeyError`` when there is no such message.
        """
        with self.lock:
            recipient = self._recipients.get(login, id, lookup_phone(phone))
            if recipient is None:
                raise KeyError(f"no message {id} to {phone} on {login}")
            now = self.clock()
            recipient.force(now, status, err)
            if self._accounts[login].callback_url or self.callback_url:
                self._unsettled[recipient.int_id] = recipient
            return recipient.record(now)

    # -- snapshots -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Accounts (with balances), messages sent and received, short links, jobs, sender
        names asked for and contact groups, as plain JSON values (:mod:`.image`)."""
        with self.lock:
            image = capture(self._parts(), self.clock())
            image["groups"] = to_plain(self._groups)
            return image

    def _parts(self) -> Parts:
        return Parts(
            self._accounts,
            self._recipients,
            self._inbox,
            self._links,
            self._mailings,
            self._sender_names,
        )

    def restore(self, image: dict[str, Any]) -> None:
        """Load what :meth:`snapshot` gave: its accounts replace those of the same login.

        A damaged image raises ``ValueError`` naming what is wrong, and changes nothing.
        """
        groups: dict[str, dict[str, tuple[str, ...]]] = (
            from_plain(dict[str, dict[str, tuple[str, ...]]], image.get("groups", {}), "groups")
            if isinstance(image, dict)
            else {}
        )
        with self.lock:
            for recipient in load(image, self._parts()):
                url = self._accounts[recipient.login].callback_url or self.callback_url
                if url and recipient.notified < len(recipient.steps) - 1:
                    self._unsettled[recipient.int_id] = recipient
            for login, named in groups.items():
                self._groups.setdefault(login, {}).update(named)

    # -- callbacks ---------------------------------------------------------------------

    @property
    def callbacks_wanted(self) -> bool:
        """Whether any callback URL is configured (the ticker runs only then)."""
        with self.lock:
            return bool(self.callback_url) or any(a.callback_url for a in self._accounts)

    def collect_callbacks(self) -> list[CallbackEvent]:
        """Take the callbacks due now: every status change not yet reported, and MO messages.

        Each change past "waiting" is reported once, in order (transferred, then the
        final status), even when the clock jumped over both.
        """
        with self.lock:
            now = self.clock()
            events, self._events = self._events, []
            for key, recipient in list(self._unsettled.items()):
                index, _ = recipient.step_at(now)
                url = self._accounts[recipient.login].callback_url or self.callback_url
                for when, status, err in recipient.steps[recipient.notified + 1 : index + 1]:
                    if url and status != MessageStatus.WAITING:
                        fields = {
                            "id": recipient.id,
                            "phone": recipient.phone,
                            "status": str(int(status)),
                            "err": str(err),
                            "time": format_date(when),
                            "ts": str(int(when)),
                        }
                        events.append(CallbackEvent(url, fields))
                recipient.notified = max(recipient.notified, index)
                if recipient.notified >= len(recipient.steps) - 1:
                    del self._unsettled[key]
            return events
