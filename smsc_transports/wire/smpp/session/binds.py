"""The binds of one transport: ``binds=N`` sessions to the same SMSC, sharing what they hear.

Rule 1: each bind is a whole :class:`~.link.SmppSession` — its own link state, sequence
numbers, window, throttling pause and ``rate`` — and the I/O layer runs one connection
per session. What the binds share lives here and only here: one
:class:`~.deliveries.Deliveries` (so one receipt store, one queue of receipts and
incoming messages, one set of counters: a receipt read on any bind finds its message,
whichever bind sent it) and the encoder that turns messages into submits.
Rule 2: :class:`Binds` decides which bind a message goes to (:meth:`Binds.pick`: the
least loaded bound one) and moves unwritten submits off a bind that is down
(:meth:`Binds.rehome`); written, unanswered submits stay where they were written and end
as the bind's own session decides (unknown when its link drops). A submit is never in
two queues, so it is written at most once.
Rule 3: like the sessions, it is driven under the I/O layer's serialisation (the
threaded transport's one state lock for all binds, the asyncio one's loop).
Rule 4: when a bind the SMSC refused binds again is decided here (:class:`BindRetry`,
:func:`to_start`); the I/O layer only waits and starts what they say.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime
from random import Random
from typing import Protocol, TypeVar

from smsc_transports.errors import SMSCError
from smsc_transports.wire.smpp.session.deliveries import Deliveries
from smsc_transports.wire.smpp.session.link import LinkState, SmppSession, bind_retry_delay
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.tickets import Part, Ticket
from smsc_transports.wire.smpp.submit import SubmitEncoder

__all__ = ["BindRetry", "Binds", "to_start"]


class _Unsent(Collection[Part]):
    """Every bind's unwritten submits, seen as one collection (counted, not copied)."""

    def __init__(self, sessions: tuple[SmppSession, ...]) -> None:
        self._sessions = sessions

    def __len__(self) -> int:
        return sum(len(s.window.unsent) for s in self._sessions)

    def __iter__(self) -> Iterator[Part]:
        for session in self._sessions:
            yield from session.window.unsent

    def __contains__(self, item: object) -> bool:
        return any(item in s.window.unsent for s in self._sessions)


class Binds:
    """``options.binds`` sessions to one SMSC; see the module docstring.

    ``random`` draws the reconnect jitter of every bind (seed it for repeatable tests).
    """

    def __init__(
        self,
        options: SmppOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        random: Random | None = None,
    ) -> None:
        self.options = options
        self.random = random or Random()  # noqa: S311 (jitter, not a secret)
        self.deliveries = Deliveries.fresh(options, clock=clock, wall=wall)
        self.store = self.deliveries.store
        self.stats = self.deliveries.stats
        alone = options.binds == 1
        self.sessions: tuple[SmppSession, ...] = tuple(
            SmppSession(
                options,
                clock=clock,
                wall=wall,
                deliveries=self.deliveries,
                unanswered=None if alone else self.unanswered,
            )
            for _ in range(options.binds)
        )
        # One encoder for every bind: a ticket may be written on any of them, and the
        # concatenation references of split texts must not repeat between binds.
        self.encoder: SubmitEncoder = self.sessions[0].window.encoder
        self._unsent = _Unsent(self.sessions)

    def __len__(self) -> int:
        return len(self.sessions)

    def __iter__(self) -> Iterator[SmppSession]:
        return iter(self.sessions)

    def unanswered(self) -> int:
        """How many submits are written and unanswered, on every bind together."""
        return sum(s.window.in_window for s in self.sessions)

    def bound(self) -> list[SmppSession]:
        """The sessions bound now, in bind order."""
        return [s for s in self.sessions if s.state is LinkState.BOUND]

    def for_query(self) -> SmppSession:
        """The bind to ask about a message: the first bound one, else the first.

        Any bound bind will do: the store is shared, and SMSC answers query_sm,
        cancel_sm and replace_sm about the account's messages whichever bind sent them.
        """
        return next(iter(self.bound()), self.sessions[0])

    def others_bound(self, session: SmppSession) -> bool:
        """Whether a bind other than ``session`` is bound: it carries the traffic while
        ``session``, refused by the SMSC, waits to bind again."""
        return any(s is not session and s.state is LinkState.BOUND for s in self.sessions)

    # -- where messages go -------------------------------------------------------------

    def pick(self) -> SmppSession:
        """The bind for the next message: the least loaded bound one.

        Load is submits waiting plus submits unanswered, so a bind that works its load
        off more slowly (it answers slowly, or waits out a throttling pause) gets fewer
        new messages. (Putting throttled binds last outright was measured worse: the
        others then overrun the SMSC's cap too, and pause in turn.) When
        no bind is bound, the least loaded of those still trying; when every bind is
        down for good, the first, whose window then refuses the message with its error.
        """
        sessions = self.sessions
        if len(sessions) == 1:
            return sessions[0]
        best = sessions[0]
        best_key = (3, 0)
        for session in sessions:
            window = session.window
            if window.down_error is not None:
                rank = 2
            elif session.state is LinkState.BOUND:
                rank = 0
            else:
                rank = 1
            key = (rank, len(window.unsent) + window.in_window)
            if key < best_key:
                best, best_key = session, key
        return best

    def enqueue(self, ticket: Ticket) -> SmppSession:
        """Queue a ticket's submits on :meth:`pick`'s bind; return that session."""
        session = self.pick()
        session.window.enqueue(ticket)
        return session

    def rehome(self, session: SmppSession) -> bool:
        """Move ``session``'s unwritten submits to the other bound binds.

        Called when its link is down (dropped, not yet bound again, or given up); each
        message's submits stay together and go, ahead of what waits there (they are
        older), to the least loaded bound bind. Return whether anything moved.
        """
        unsent = session.window.unsent
        if not unsent:
            return False
        targets = [
            s
            for s in self.sessions
            if s is not session and s.state is LinkState.BOUND and s.window.down_error is None
        ]
        if not targets:
            return False
        moved: dict[int, list[Part]] = {}
        load = {id(s): len(s.window.unsent) + s.window.in_window for s in targets}
        last: Ticket | None = None
        target = targets[0]
        while unsent:
            part = unsent.popleft()
            if part.ticket is not last:
                last = part.ticket
                target = min(targets, key=lambda s: load[id(s)])
            load[id(target)] += 1
            moved.setdefault(id(target), []).append(part)
        for candidate in targets:
            parts = moved.get(id(candidate))
            if parts:
                candidate.window.unsent.extendleft(reversed(parts))
        return True

    def give_up(self, session: SmppSession, error: SMSCError) -> None:
        """``session``'s link is down for good: its unwritten submits go to another bind,
        or, when none is bound, fail with ``error``; new messages avoid it meanwhile."""
        session.window.down_error = error
        if not self.rehome(session):
            session.window.fail_unsent(error)

    def down(self) -> bool:
        """Whether every bind is down for good (each has given up reconnecting)."""
        return all(s.window.down_error is not None for s in self.sessions)

    # -- what send_many's pipeline needs --------------------------------------------------

    @property
    def unsent(self) -> Collection[Part]:
        """Every bind's unwritten submits (one bind's own queue when there is one)."""
        if len(self.sessions) == 1:
            return self.sessions[0].window.unsent  # replaced by withdraw(): read it anew
        return self._unsent

    @property
    def on_fatal(self) -> Callable[[SMSCError], object] | None:
        """Told each refusal every later message would get too (set by ``send_many``)."""
        return self.sessions[0].window.on_fatal

    @on_fatal.setter
    def on_fatal(self, callback: Callable[[SMSCError], object] | None) -> None:
        for session in self.sessions:
            session.window.on_fatal = callback

    def release(self, ticket: Ticket) -> None:
        """Free the caller's id an abandoned ticket holds (one store for every bind)."""
        self.sessions[0].window.release(ticket)

    def withdraw(self, ticket: Ticket) -> int:
        """Take a ticket's unwritten submits back out of every queue; return how many."""
        return sum(s.window.withdraw(ticket) for s in self.sessions)

    def finish(self) -> None:
        """The transport closes: hand on every acknowledged event still held."""
        self.deliveries.finish()


class BindRetry:
    """When one bind the SMSC refused binds again; its link owns one, and only waits.

    A refused bind waits the bind back-off (:func:`~.link.bind_retry_delay`: the
    reconnect back-off, jittered by ``draw``; the longest after a refused password) and
    tries again while another bind carries the traffic. With no other bind up its link
    ends instead, and keeps the refusal in :attr:`refused` for the transport's next
    operation to start it again (:func:`to_start`).
    """

    __slots__ = ("clock", "draw", "options", "refusals", "refused", "retry_at")

    def __init__(
        self,
        options: SmppOptions,
        draw: Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.draw = draw
        self.clock = clock
        self.refused: SMSCError | None = None  # set when the link ended at a refusal
        self.refusals = 0  # bind refusals in a row, for the back-off
        self.retry_at = 0.0

    def refusal(self, error: SMSCError) -> float:
        """Count one more refusal in a row; return the seconds to wait before binding again."""
        self.refusals += 1
        delay = bind_retry_delay(self.options, self.refusals, error, self.draw)
        self.retry_at = self.clock() + delay
        return delay

    def bound(self) -> None:
        """The bind succeeded: the next refusal is the first in a row again."""
        self.refusals = 0

    @property
    def due(self) -> bool:
        """Whether the bind the SMSC refused has waited out its back-off."""
        return self.refused is not None and self.clock() >= self.retry_at


class _Runner(Protocol):
    """A bind's link as :func:`to_start` sees it."""

    retry: BindRetry

    @property
    def running(self) -> bool:
        """Whether the link's thread or task runs."""
        ...


_R = TypeVar("_R", bound=_Runner)


def to_start(links: Sequence[_R]) -> list[_R]:
    """The links of a transport's binds to start before an operation.

    A link that does not run starts, unless its bind was refused: that one starts again
    at once when no bind is up (the caller hears the refusal), but with others
    carrying the traffic only once its back-off is past: retrying it on every operation
    would hammer the SMSC. (A bind refused while another was already up retries by
    itself, after the same back-off.) Starting a link that runs does nothing.
    """
    again = all(link.retry.refused is not None or not link.running for link in links)
    return [link for link in links if again or link.retry.refused is None or link.retry.due]
