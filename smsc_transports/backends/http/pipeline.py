"""Requests on the wire at once, all from the caller's own thread.

``send_many`` and ``cost_many`` hand a :class:`Pipeline` each request of a batch as a
function that writes it: a call made :class:`~smsc_transports.backends.steps.Ahead`
up to where it waits for its answer. The pipeline keeps up to ``depth`` of them on the
wire; whenever the caller asks for a value it has not got yet, it waits for whichever
call can go on first (a socket of theirs turning readable, or the first deadline:
each call's own bounds the wait), takes it on a step (reading what has arrived, never
waiting inside), and writes the next request when one ends. Values are handed over in
the order asked for; those that came first wait in their tickets. So SMSC works on the
next requests while the caller goes through the outcomes of one answer, a slow answer
(or one that trickles in) does not hold the others up, and no thread hands anything
over.
"""

from __future__ import annotations

import selectors
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from smsc_transports.backends.steps import Ahead

__all__ = ["Pipeline", "Ticket"]

Value = TypeVar("Value")


class Ticket(Generic[Value]):
    """One request in a :class:`Pipeline`, from its writing to its value."""

    __slots__ = ("call", "done", "value", "write")

    def __init__(self, write: Callable[[], Ahead[Any]]) -> None:
        self.write: Callable[[], Ahead[Any]] | None = write
        self.call: Ahead[Any] | None = None
        self.value: Value | None = None
        self.done = False


class Pipeline(Generic[Value]):
    """At most ``depth`` requests on the wire; each value kept until asked for.

    ``settle`` turns an ended call into its value (an error included: it must not
    raise). With ``overlap`` (the default) a request is written as soon as there is
    room, also while the caller has control between two values. Without it no request
    is on the wire when the caller has control: when a value not yet come is asked
    for, every request added so far is taken to its end, ``depth`` on the wire at a
    time, before it is returned. That is what a cap on the transport's requests at
    once needs: a request on the wire holds its place under the cap, and the caller may
    want a place of its own in between.
    """

    def __init__(
        self, depth: int, settle: Callable[[Ahead[Any]], Value], *, overlap: bool = True
    ) -> None:
        self.depth = max(1, depth)
        self.settle = settle
        self.overlap = overlap
        self._waiting: deque[Ticket[Value]] = deque()  # not written yet, in order
        self._wire: list[Ticket[Value]] = []  # written, not ended

    def add(self, write: Callable[[], Ahead[Any]]) -> Ticket[Value]:
        """Queue a request; it is written once there is room (at once, if there is)."""
        ticket: Ticket[Value] = Ticket(write)
        self._waiting.append(ticket)
        if self.overlap:
            self._write()
        return ticket

    def value(self, ticket: Ticket[Value]) -> Value:
        """The value of ``ticket``'s request, waiting for answers until it has come."""
        if self.overlap:
            while not ticket.done:
                self._write()
                self._advance()
            self._write()  # the room made: SMSC gets on with it while the caller has control
        else:
            while self._waiting or self._wire:
                self._write()
                self._advance()
        value, ticket.value = ticket.value, None
        return value  # type: ignore[return-value]  # done: what settle gave

    def close(self) -> None:
        """Take the requests on the wire to their end; write no more (a call still
        waiting to write its request, for a place or a start time, is dropped)."""
        self._waiting.clear()
        while self._wire:
            # Dropped last first: each gives back its booked start time (see RequestPacer).
            for ticket in reversed([t for t in self._wire if _unwritten(t)]):
                self._wire.remove(ticket)
                _call(ticket).abandon()
            if self._wire:
                self._advance()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """On leaving a generator that uses it: when the caller stopped early (or all is
        done), the requests on the wire are taken to their end; on an error (from the
        input, an interrupt), they are dropped unread."""
        if exc_type is None or issubclass(exc_type, GeneratorExit):
            self.close()
        else:
            self.abandon()

    def abandon(self) -> None:
        """Drop the requests on the wire unread (their connections closed); write no more.

        For an error on the way out (an interrupt): reading their answers could take up
        to their deadline.
        """
        self._waiting.clear()
        wire, self._wire = self._wire, []
        for ticket in reversed(wire):  # last first: see close()
            _call(ticket).abandon()

    def _write(self) -> None:
        while self._waiting and len(self._wire) < self.depth:
            ticket = self._waiting.popleft()
            assert ticket.write is not None
            ticket.call, ticket.write = ticket.write(), None
            self._wire.append(ticket)

    def poll(self) -> None:
        """Without waiting: take on the calls that can go on, and write into the room
        made (for a caller busy elsewhere, reading its input, say)."""
        if self.overlap and self._wire:
            self._advance(wait=False)
            self._write()

    def _advance(self, *, wait: bool = True) -> None:
        """Take on the calls that can go on (an answer has come, or a deadline passed),
        waiting for the first one if none can yet (unless told not to); settle those
        that end."""
        for ticket in self._ready(wait):
            call = _call(ticket)
            call.step()
            if call.waiting is None:
                self._wire.remove(ticket)
                ticket.value, ticket.call, ticket.done = self.settle(call), None, True

    def _ready(self, wait: bool) -> list[Ticket[Value]]:
        """The calls on the wire that can go on, after waiting until one can (with
        ``wait``): those ended already, those whose deadline has passed, those whose
        socket is readable."""
        ended = [ticket for ticket in self._wire if _call(ticket).waiting is None]
        if ended:
            return ended
        sockets: dict[int, Ticket[Value]] = {}
        first = float("inf")
        for ticket in self._wire:
            waiting = _call(ticket).waiting
            assert waiting is not None
            first = min(first, waiting.deadline)
            if (fileno := waiting.fileno()) >= 0:
                sockets[fileno] = ticket
        # A call with a deadline passed (or more of its answer there to read) goes on
        # at once, but the readable sockets are still looked at: all get their turn.
        timeout = max(first - time.monotonic(), 0.0) if wait else 0.0
        readable: list[Ticket[Value]] = []
        if sockets:
            with selectors.DefaultSelector() as selector:
                for fileno in sockets:
                    selector.register(fileno, selectors.EVENT_READ)
                events = selector.select(timeout)
            readable = [sockets[key.fd] for key, _ in events]
        elif timeout > 0:
            time.sleep(timeout)  # only pauses with no socket (a place, a start time)
        now = time.monotonic()
        due = [t for t in self._wire if t not in readable and _deadline(t) <= now]
        return readable + due


def _unwritten(ticket: Ticket[Any]) -> bool:
    """Whether the call waits with no request on the wire (for a place, a start time)."""
    waiting = _call(ticket).waiting
    return waiting is not None and waiting.fileno() < 0


def _deadline(ticket: Ticket[Any]) -> float:
    waiting = _call(ticket).waiting
    assert waiting is not None
    return waiting.deadline


def _call(ticket: Ticket[Any]) -> Ahead[Any]:
    call = ticket.call
    assert call is not None, "a ticket on the wire has its call"
    return call
