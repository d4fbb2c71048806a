"""Recipients of sent messages: one recipient and its status timeline, and the table of them.

A status is never stored: it is read off the recipient's timeline at the clock's
current time, so status reads need no background thread and a manual clock drives them
exactly.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from smsc_transports.emulator.state.number_rules import Behaviour, describe_hlr, describe_number
from smsc_transports.emulator.state.records import StatusRecord, StoredFile
from smsc_transports.message import MessageKind
from smsc_transports.statuses import MessageStatus

__all__ = ["Recipient", "Recipients", "Step", "not_found", "timeline"]

Step = tuple[float, MessageStatus, int]
"""One timeline entry: (when, status, err)."""


@dataclass(eq=False, slots=True)
class Recipient:
    """A message to one phone: SMSC keys it by (login, id, phone)."""

    login: str
    id: str
    phone: str
    text: str
    sender: str
    kind: MessageKind
    created: float
    start: float
    valid: float
    cost: Decimal
    parts: int
    behaviour: Behaviour
    int_id: int
    subject: str | None = None
    files: tuple[StoredFile, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    notified: int = 0
    """How many timeline steps callbacks have already reported (step 0 is never sent)."""
    steps: tuple[Step, ...] = ()
    """The timeline. Replaced, never changed in place: the recipients of one send share
    the one they start with."""

    def plan(self, transfer_after: float, deliver_after: float) -> None:
        """Fix the timeline: waiting, then transferred, then the behaviour's final status."""
        self.steps = timeline(
            self.behaviour, self.created, self.start, self.valid, transfer_after, deliver_after
        )

    def force(self, now: float, status: MessageStatus, err: int) -> None:
        """Make ``status`` (with ``err``) the status from ``now`` on, dropping the steps planned
        after it: what the control API's "force a status" does."""
        kept = [step for step in self.steps if step[0] <= now]
        self.steps = (*kept, (now, status, err))

    def waits(self, now: float) -> bool:
        """Whether the message has not left yet: scheduled for later, and not stopped."""
        return now < self.start and self.step_at(now)[1][1] == MessageStatus.WAITING

    def stop(self, now: float) -> None:
        """Stop the message from ``now`` on (status -2); it will never leave."""
        kept = [step for step in self.steps if step[0] <= now]
        self.steps = (*kept, (now, MessageStatus.STOPPED, 0))

    def click(self, now: float) -> bool:
        """A click on one of its short links: status 4 once it is delivered.

        Only a message that ends delivered can show a click; the step goes at the
        click's time, or at delivery when the click came first. Returns whether the
        timeline changed (a second click changes nothing).
        """
        when, final, _ = self.steps[-1]
        if final != MessageStatus.DELIVERED:
            return False
        self.steps = (*self.steps, (max(now, when), MessageStatus.LINK_CLICKED, 0))
        return True

    def step_at(self, now: float) -> tuple[int, Step]:
        """The index and value of the timeline step in force at ``now``."""
        index = 0
        for i, step in enumerate(self.steps):
            if step[0] <= now:
                index = i
            else:
                break
        return index, self.steps[index]

    def record(self, now: float) -> StatusRecord:
        """The recipient's status as seen at ``now``."""
        _, (when, status, err) = self.step_at(now)
        info = describe_number(self.phone)
        return StatusRecord(
            id=self.id,
            phone=self.phone,
            status=status,
            err=err,
            last_timestamp=when,
            send_timestamp=self.start,
            cost=self.cost,
            sender=self.sender,
            text=self.text,
            kind=self.kind,
            parts=self.parts,
            country=info.country,
            operator=info.operator,
            region=info.region,
            mccmnc=info.mccmnc,
            int_id=self.int_id,
            valid=self.valid,
            subject=self.subject,
            options=self.options,
            hlr=describe_hlr(self.phone, self.behaviour) if self.kind is MessageKind.HLR else None,
        )


def timeline(
    behaviour: Behaviour,
    created: float,
    start: float,
    valid: float,
    transfer_after: float,
    deliver_after: float,
) -> tuple[Step, ...]:
    """The steps of a message created at ``created`` that leaves at ``start`` and lives
    ``valid`` seconds: waiting, then transferred, then ``behaviour``'s final status."""
    if behaviour.stopped:
        return ((created, MessageStatus.STOPPED, 0),)
    transferred = start + transfer_after
    steps: tuple[Step, ...] = (
        (created, MessageStatus.WAITING, 0),
        (transferred, MessageStatus.TRANSFERRED, 0),
    )
    final = behaviour.final_status
    if behaviour.expires:
        ends = max(start + valid, transferred)
        return (*steps, (ends, final or MessageStatus.EXPIRED, behaviour.err))
    if final is not None:
        done = max(start + deliver_after, transferred)
        if done >= start + valid:
            # Lifetime shorter than the delivery delay: SMSC gives up (expired).
            return (*steps, (start + valid, MessageStatus.EXPIRED, 6))
        return (*steps, (done, final, behaviour.err))
    return steps


def not_found(id: str, phone: str) -> StatusRecord:
    """The answer for a message that does not exist (status -3)."""
    return StatusRecord(id=id, phone=phone, status=MessageStatus.NOT_FOUND)


class Recipients:
    """Every recipient of every message sent: by (login, id, phone), and per login in send order.

    It also numbers messages: ids per login (``1``, ``2``, … when the client gives none)
    and ``int_id`` across logins. Not locked: the emulator state owns it and calls it
    under its own lock.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str], Recipient] = {}
        self._by_login: dict[str, list[Recipient]] = {}
        self._next_id: dict[str, int] = {}
        self._next_int_id = 1

    def new_id(self, login: str) -> str:
        """The next message id of ``login``."""
        number = self._next_id.get(login, 1)
        self._next_id[login] = number + 1
        return str(number)

    def new_int_ids(self, count: int) -> range:
        """The next ``count`` ``int_id`` values, for the recipients of one send."""
        numbers = range(self._next_int_id, self._next_int_id + count)
        self._next_int_id += count
        return numbers

    def add(self, recipient: Recipient) -> None:
        """Store ``recipient`` (replacing one under the same login, id and phone)."""
        self.add_sent(recipient.login, [recipient])

    def add_sent(self, login: str, recipients: list[Recipient]) -> None:
        """Store the ``recipients`` of one of ``login``'s sends, as :meth:`add` each."""
        by_key = self._by_key
        for recipient in recipients:
            by_key[(login, recipient.id, recipient.phone)] = recipient
        self._by_login.setdefault(login, []).extend(recipients)

    def sent_by(self, login: str) -> list[Recipient]:
        """Every recipient of ``login``, in send order (for statistics)."""
        return list(self._by_login.get(login, []))

    def get(self, login: str, id: str, phone: str) -> Recipient | None:
        """The recipient ``phone`` (in stored form) of ``login``'s message ``id``, if any."""
        return self._by_key.get((login, id, phone))

    def everyone(self) -> list[Recipient]:
        """Every stored recipient, in the order they were sent (for snapshots)."""
        return sorted(self._by_key.values(), key=lambda recipient: recipient.int_id)

    def numbering(self) -> tuple[dict[str, int], int]:
        """The next message id of each login and the next ``int_id`` (for snapshots)."""
        return dict(self._next_id), self._next_int_id

    def renumber(self, next_ids: dict[str, int], next_int_id: int) -> None:
        """Continue numbering from a snapshot's :meth:`numbering`, never below what is stored.

        A file's counters may lag behind its own messages (edited by hand): numbering
        also goes past every stored number id and ``int_id``, so a new message never
        takes a kept one's place.
        """
        for login, number in next_ids.items():
            self._next_id[login] = max(self._next_id.get(login, 1), number)
        for (login, id, _), recipient in self._by_key.items():
            if id.isascii() and id.isdigit():
                self._next_id[login] = max(self._next_id.get(login, 1), int(id) + 1)
            self._next_int_id = max(self._next_int_id, recipient.int_id + 1)
        self._next_int_id = max(self._next_int_id, next_int_id)

    def remove(self, login: str, id: str, phone: str) -> Recipient | None:
        """Take the recipient :meth:`get` would return out of the table, and return it."""
        recipient = self._by_key.pop((login, id, phone), None)
        if recipient is not None:
            self._by_login[login].remove(recipient)
        return recipient

    def newest_first(
        self,
        login: str,
        *,
        start: float | None,
        end: float | None,
        phones: Collection[str] | None,
        kind: MessageKind | None,
        cnt: int,
        prev_id: int | None,
    ) -> list[Recipient]:
        """Up to ``cnt`` of ``login``'s recipients, newest first, that match every filter
        given: sent within [``start``, ``end``), to one of ``phones``, of ``kind``, with an
        ``int_id`` below ``prev_id``."""
        found: list[Recipient] = []
        for recipient in reversed(self._by_login.get(login, [])):
            if len(found) >= cnt:
                break
            if (
                (prev_id is not None and recipient.int_id >= prev_id)
                or (start is not None and recipient.created < start)
                or (end is not None and recipient.created >= end)
                or (phones is not None and recipient.phone not in phones)
                or (kind is not None and recipient.kind != kind)
            ):
                continue
            found.append(recipient)
        return found
