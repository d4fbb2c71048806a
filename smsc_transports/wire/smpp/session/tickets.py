"""One input message in flight (:class:`Ticket`) and one of its submit_sm (:class:`Part`).

A ticket ends in exactly one outcome, decided by :func:`settle` once every part has an
answer: accepted (a message id), rejected (the server's error, or a link error before
the part was ever written), or unknown (written, then the link dropped before the
answer). Unknown wins over everything else, because a part that may have been
delivered must never look like a clean failure that invites a blind resend.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterator
from typing import Protocol

from smsc_transports.errors import APIError, OutcomeUnknown, SMSCError
from smsc_transports.message import Message
from smsc_transports.results import Outcome, PhoneResult, SendResult
from smsc_transports.transport import BatchGuard
from smsc_transports.wire.smpp.pdu import QUERY_SM_RESP
from smsc_transports.wire.smpp.submit import EncodedSubmits, SubmitEncoder

__all__ = ["Control", "Part", "Pipeline", "Query", "Ticket", "settle"]


class _Queue(Protocol):
    """What :class:`Pipeline` needs of the submit windows it feeds (one, or every bind's)."""

    @property
    def encoder(self) -> SubmitEncoder:
        """Turns a message into its submits."""
        ...

    @property
    def unsent(self) -> Collection[Part]:
        """The submits waiting to be written."""
        ...

    on_fatal: Callable[[SMSCError], object] | None

    def withdraw(self, ticket: Ticket) -> int:
        """Take a ticket's unwritten parts back out of the queue."""
        ...

    def release(self, ticket: Ticket) -> None:
        """Free the caller's id a ticket that will not settle holds."""
        ...


class Ticket:
    """One input message: its encoded submits and what each has been answered."""

    __slots__ = (
        "cause",
        "encoded",
        "errors",
        "ids",
        "index",
        "message",
        "outcome",
        "remaining",
        "tracks",
        "unknown",
        "waiter",
        "written_at",
    )

    def __init__(self, index: int, message: Message, encoded: EncodedSubmits) -> None:
        self.index = index
        self.message = message
        self.encoded = encoded
        total = len(encoded.bodies) * len(encoded.bodies[0])
        self.remaining = total
        self.ids: list[str | None] = [None] * total
        self.errors: dict[int, SMSCError] | None = None
        self.unknown = 0
        self.cause: BaseException | None = None
        self.tracks: list[object] | None = None
        self.outcome: SendResult | SMSCError | None = None
        self.waiter: object = None
        self.written_at = 0.0  # when its first submit_sm was written; kept only when observed

    @property
    def done(self) -> bool:
        """Whether the outcome is decided."""
        return self.outcome is not None

    def parts(self) -> list[Part]:
        """One :class:`Part` per submit_sm, phone by phone."""
        bodies = self.encoded.bodies
        per_phone = len(bodies[0])
        return [
            Part(self, phone * per_phone + number, body)
            for phone, group in enumerate(bodies)
            for number, body in enumerate(group)
        ]


class Part:
    """One submit_sm of a ticket: ``slot`` numbers it within the ticket."""

    __slots__ = ("attempts", "body", "slot", "ticket", "written_at")

    def __init__(self, ticket: Ticket, slot: int, body: bytes) -> None:
        self.ticket = ticket
        self.slot = slot
        self.body = body
        self.attempts = 0
        self.written_at = 0.0


class Control:
    """A request of ours that is not a submit: bind, enquire_link, unbind."""

    __slots__ = ("kind", "written_at")

    def __init__(self, kind: str, written_at: float) -> None:
        self.kind = kind
        self.written_at = written_at


class Query:
    """One request about a message in flight: query_sm, cancel_sm or replace_sm.

    ``kind`` names the request, ``expects`` its response's command_id; ``result`` is set
    when it is answered or fails (a query_sm_resp, ``True`` for a done cancel/replace,
    or an :class:`SMSCError`).
    """

    __slots__ = ("expects", "kind", "message_id", "result", "size", "waiter", "written_at")

    def __init__(
        self, message_id: str, kind: str = "query_sm", expects: int = QUERY_SM_RESP
    ) -> None:
        self.message_id = message_id
        self.kind = kind
        self.expects = expects
        self.result: object = None
        self.waiter: object = None
        self.written_at = 0.0
        self.size = 0  # bytes of the request PDU, once written


def settle(ticket: Ticket) -> SendResult | SMSCError:
    """Decide a finished ticket's one outcome (see the module docstring)."""
    encoded = ticket.encoded
    ids = ticket.ids
    if ticket.unknown:
        total = len(ids)
        error = OutcomeUnknown(
            f"the link dropped after {ticket.unknown} of {total} submit_sm for this message"
            " were written and before they were answered; it may have been accepted"
            " (send it again only if a duplicate is acceptable)"
        )
        error.__cause__ = ticket.cause
        error.accepted_ids = tuple(i for i in ids if i is not None)
        return error
    errors = ticket.errors or {}
    per_phone = len(encoded.bodies[0])
    accepted: list[int] = []
    phones: list[PhoneResult] = []
    first_error: SMSCError | None = None
    for number, phone in enumerate(encoded.phones):
        slots = range(number * per_phone, (number + 1) * per_phone)
        failure = next((errors[s] for s in slots if s in errors), None) if errors else None
        if failure is None:
            accepted.append(number)
            # Each recipient is its own submit_sm, so its own id: the one its status
            # and its receipts go by (its first part's, for a split message).
            phones.append(PhoneResult(phone, id=ids[number * per_phone]))
        else:
            first_error = first_error or failure
            code = failure.code if isinstance(failure, APIError) else None
            phones.append(PhoneResult(phone, error=code or -1))
    if not accepted:
        assert first_error is not None
        return first_error
    return SendResult(
        id=ids[accepted[0] * per_phone] or "",
        parts=encoded.parts * len(accepted),
        phones=tuple(phones),
        transport="smpp",
        raw=tuple(ids),
    )


class Pipeline:
    """``send_many``'s bookkeeping, shared by the threaded and the asyncio transport.

    Input is read only while fewer than ``window`` submits wait to be written and fewer
    than ``limit`` messages are held, so memory stays a few windows deep however long
    the input is; outcomes leave strictly in input order.

    After a refusal every later message would get too (wrong credentials, no money, a
    blocked IP) nothing more is written: the messages not yet written, and the rest of
    the input, end as :class:`~smsc_transports.errors.NotSent`. Only one pipeline runs
    on a window at a time (each send_many holds the window's ``on_fatal`` while it runs).
    """

    def __init__(self, queue: _Queue, window: int) -> None:
        self.queue = queue
        self.guard = BatchGuard()
        queue.on_fatal = self._stop
        self.window = window
        self.limit = max(8 * window, 512)
        # Two windows ready to write, read in slices of half a window: the I/O side
        # gets the CPU between slices, so answers are read (and the window refilled)
        # while the next messages are still being encoded.
        self.ahead = 2 * window
        self.slice = max(8, window // 2)
        self.pending: deque[Ticket | Outcome] = deque()
        self.index = 0
        self.exhausted = False

    def wants_input(self) -> bool:
        """Whether to read more input now."""
        return (
            not self.exhausted
            and len(self.queue.unsent) < self.ahead
            and len(self.pending) < self.limit
        )

    def batch(self) -> int:
        """How many messages to read in one go."""
        return min(self.limit - len(self.pending), self.slice)

    def add(self, message: Message) -> Ticket | None:
        """Take one input message; return its ticket to enqueue (``None`` if it failed)."""
        index = self.index
        self.index += 1
        # Not encoded once the batch has stopped; an encoding error never stops it.
        encoded = self.guard.attempt(self.queue.encoder.encode, message)
        if isinstance(encoded, SMSCError):
            self.pending.append(Outcome(index, message, error=encoded))
            return None
        ticket = Ticket(index, message, encoded)
        self.pending.append(ticket)
        return ticket

    def ready(self) -> Iterator[Outcome]:
        """Yield the outcomes decided at the head of the input order."""
        pending = self.pending
        while pending:
            head = pending[0]
            if isinstance(head, Outcome):
                pending.popleft()
                yield head
            elif head.outcome is not None:
                pending.popleft()
                outcome = head.outcome
                if isinstance(outcome, SMSCError):
                    yield Outcome(head.index, head.message, error=outcome)
                else:
                    yield Outcome(head.index, head.message, result=outcome)
            else:
                return

    @property
    def finished(self) -> bool:
        """Whether every input message has had its outcome yielded."""
        return self.exhausted and not self.pending

    def must_wait(self) -> bool:
        """Whether nothing can happen until the server answers."""
        head = self.pending[0] if self.pending else None
        return (
            isinstance(head, Ticket)
            and head.outcome is None
            and (
                self.exhausted
                or len(self.queue.unsent) >= self.ahead
                or len(self.pending) >= self.limit
            )
        )

    def abandon(self) -> None:
        """The caller stopped iterating: take unwritten submits back out of the queue."""
        self._release()
        for item in self.pending:
            if isinstance(item, Ticket) and item.outcome is None:
                self.queue.withdraw(item)
                # Nobody waits for it now: its id is free again (a part already written
                # and accepted still leaves its alias behind, which holds the id).
                self.queue.release(item)

    def _release(self) -> None:
        if self.queue.on_fatal == self._stop:
            self.queue.on_fatal = None

    def _stop(self, error: SMSCError) -> None:
        """A refusal every later message would get too: write nothing more."""
        self.guard.saw(error)
        if (skipped := self.guard.skipped()) is None:
            return
        self._release()
        unwritten: dict[int, int] = {}
        for part in self.queue.unsent:
            unwritten[id(part.ticket)] = unwritten.get(id(part.ticket), 0) + 1
        for item in self.pending:
            # A message with a part already written waits for that part's answer.
            if (
                isinstance(item, Ticket)
                and item.outcome is None
                and unwritten.get(id(item), 0) == item.remaining
            ):
                self.queue.withdraw(item)
                item.outcome = skipped
