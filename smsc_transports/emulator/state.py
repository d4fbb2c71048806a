"""The emulator's in-memory SMSC, shared by every front end (HTTP now; SMPP/SMTP/SOAP later).

One re-entrant lock guards everything. Methods speak protocol-neutral values
(:mod:`.records`) and raise the library's :class:`~smsc_transports.errors.APIError`
subclasses with SMSC's codes and short English texts, so a front end only translates
its wire format::

    state = EmulatorState(clock=ManualClock())
    account = state.authenticate("demo", "demo")
    outcome = state.send(account, SendRequest(phones=("79990000001",), text="hi"))
    state.clock.advance(3)          # a ManualClock: the message is now delivered
    state.status(account, outcome.id, "79990000001").status  # MessageStatus.DELIVERED
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from smsc_transports.emulator.clock import format_date
from smsc_transports.emulator.records import (
    BalanceInfo,
    CallbackEvent,
    IncomingRecord,
    StatusRecord,
)
from smsc_transports.emulator.state_core import TOO_MANY, StateCore
from smsc_transports.emulator.store import not_found
from smsc_transports.errors import ValidationError, api_error
from smsc_transports.message import MessageKind, normalize_phone
from smsc_transports.statuses import MessageStatus

__all__ = ["EmulatorState"]


def lookup_phone(phone: str) -> str:
    """The stored form of a phone (or e-mail) given in a status or delete request."""
    try:
        return normalize_phone(phone).lstrip("+")
    except ValidationError:
        return phone.strip()


class EmulatorState(StateCore):
    """A thread-safe in-memory SMSC; see the module docstring and :class:`StateCore`.

    Constructor: ``EmulatorState(accounts=None, *, clock=None, limits=None,
    tariff=None, transfer_after=1.0, deliver_after=3.0, callback_url=None)``.
    """

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
            key = ("status", login, id, lookup_phone(phone))
            limit = self.limits.status_per_message_per_minute if throttled else None
            if not self._minute.allow(key, now, limit):
                raise api_error(9, TOO_MANY, operation="status")
            return self._record(login, id, phone, now)

    def statuses(self, account: object, wanted: Sequence[tuple[str, str]]) -> list[StatusRecord]:
        """The statuses of several (id, phone) pairs at once: one "mass request".

        Error 9 after ``limits.mass_status_per_minute`` mass requests within a minute.
        """
        login = self._login(account)
        with self.lock:
            now = self.clock()
            if not self._minute.allow(("mass", login), now, self.limits.mass_status_per_minute):
                raise api_error(9, TOO_MANY, operation="status")
            return [self._record(login, id, phone, now) for id, phone in wanted]

    def _login(self, account: object) -> str:
        login = getattr(account, "login", None)
        if not isinstance(login, str):
            raise TypeError("expected an Account")
        return login

    def _record(self, login: str, id: str, phone: str, now: float) -> StatusRecord:
        recipient = self._recipients.get((login, id, lookup_phone(phone)))
        if recipient is None:
            return not_found(id, phone)
        return recipient.record(now)

    def delete(self, account: object, id: str, phone: str) -> None:
        """Delete message ``id`` to ``phone``; error 5 when there is no such message."""
        login = self._login(account)
        with self.lock:
            recipient = self._recipients.pop((login, id, lookup_phone(phone)), None)
            if recipient is None:
                raise api_error(5, "delete error", operation="delete")
            self._history[login].remove(recipient)
            self._unsettled.pop(recipient.int_id, None)

    def balance(self, account: object) -> BalanceInfo:
        """The account's balance; error 9 after ``limits.balance_per_minute`` a minute."""
        login = self._login(account)
        with self.lock:
            if not self._minute.allow(
                ("balance", login), self.clock(), self.limits.balance_per_minute
            ):
                raise api_error(9, TOO_MANY, operation="balance")
            found = self._accounts[login]
            return BalanceInfo(found.balance, found.currency, found.credit)

    def set_balance(self, login: str, amount: Decimal | int | str) -> None:
        """Set an account's balance (tests use it to provoke error 3)."""
        with self.lock:
            self._accounts[login].balance = Decimal(str(amount))

    def senders(self, account: object) -> tuple[str, ...]:
        """The account's registered sender IDs."""
        with self.lock:
            return self._accounts[self._login(account)].senders

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
            found: list[StatusRecord] = []
            for recipient in reversed(self._history.get(login, [])):
                if len(found) >= cnt:
                    break
                if (
                    (prev_id is not None and recipient.int_id >= prev_id)
                    or (start is not None and recipient.created < start)
                    or (end is not None and recipient.created >= end)
                    or (wanted is not None and recipient.phone not in wanted)
                    or (kind is not None and recipient.kind != kind)
                ):
                    continue
                found.append(recipient.record(now))
            return found

    def add_incoming(
        self, login: str, phone: str, text: str, to_phone: str | None = None
    ) -> IncomingRecord:
        """Put an incoming (MO) message from ``phone`` into ``login``'s inbox."""
        with self.lock:
            account = self._accounts[login]
            now = self.clock()
            record = IncomingRecord(
                id=self._next_inbox_id,
                login=login,
                phone=phone.lstrip("+"),
                to_phone=(to_phone or "").lstrip("+"),
                text=text,
                received=now,
                sent=now,
            )
            self._next_inbox_id += 1
            self._inbox.setdefault(login, []).append(record)
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
            now = self.clock()
            found: list[IncomingRecord] = []
            for record in reversed(self._inbox.get(login, [])):
                if len(found) >= cnt:
                    break
                if (
                    (hours is not None and record.received < now - hours * 3600)
                    or (after_id is not None and record.id <= after_id)
                    or (to_phone and record.to_phone != to_phone.lstrip("+"))
                ):
                    continue
                found.append(record)
            return found

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
