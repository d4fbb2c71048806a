"""Requests on the wire at once, all from the caller's own thread.

``send_many`` and ``cost_many`` hand a :class:`Pipeline` each request of a batch as a
function that writes it: a call made :class:`~smsc_transports.backends.steps.Ahead`
up to where it waits for its answer. The pipeline keeps up to ``depth`` of them on the
wire; whenever the caller asks for a value it has not got yet, it waits for whichever
answer comes first (``select`` on their sockets, each call's own deadline bounding the
wait), takes that call on, and writes the next request in its place. Values are handed
over in the order asked for; the answers that came first wait in their tickets. So
SMSC works on the next requests while the caller goes through the outcomes of one
answer, a slow answer does not hold the others up, and no thread hands anything over.
"""

from __future__ import annotations

import select
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

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
    is on the wire when the caller has control: requests are written ``depth`` at a
    time when a value is asked for, and all of them answered before it is returned.
    That is what a cap on the transport's requests at once needs: a request on the
    wire holds its place under the cap, and the caller may want a place of its own in
    between.
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
        while not ticket.done:
            self._write()
            self._advance()
        if self.overlap:
            self._write()  # the room made: SMSC gets on with it while the caller has control
        else:
            while self._wire:
                self._advance()
        value, ticket.value = ticket.value, None
        return value  # type: ignore[return-value]  # done: what settle gave

    def close(self) -> None:
        """Take the requests on the wire to their end; write no more."""
        self._waiting.clear()
        while self._wire:
            self._advance()

    def abandon(self) -> None:
        """Drop the requests on the wire unread (their connections closed); write no more.

        For an error on the way out (an interrupt): reading their answers could take up
        to their deadline.
        """
        self._waiting.clear()
        wire, self._wire = self._wire, []
        for ticket in wire:
            _call(ticket).abandon()

    def _write(self) -> None:
        while self._waiting and len(self._wire) < self.depth:
            ticket = self._waiting.popleft()
            assert ticket.write is not None
            ticket.call, ticket.write = ticket.write(), None
            self._wire.append(ticket)

    def _advance(self) -> None:
        """Take on the calls whose answers have come (or whose deadline has passed),
        waiting for the first one if none has; settle those that end."""
        ready = [ticket for ticket in self._wire if _call(ticket).waiting is None]
        if not ready:
            ready = self._answered()
        for ticket in ready:
            call = _call(ticket)
            call.step()
            if call.waiting is None:
                self._wire.remove(ticket)
                ticket.value, ticket.call, ticket.done = self.settle(call), None, True

    def _answered(self) -> list[Ticket[Value]]:
        """The calls on the wire whose answers have begun to come, waiting until one has
        or the first deadline passes (then that call: its step reports it late)."""
        waiting = {}
        for ticket in self._wire:
            waits_on = _call(ticket).waiting
            assert waits_on is not None
            waiting[waits_on.fileno()] = (ticket, waits_on.deadline)
        late, deadline = min(waiting.values(), key=lambda entry: entry[1])
        timeout = max(deadline - time.monotonic(), 0.0)
        readable, _, _ = select.select(list(waiting), [], [], timeout)
        return [waiting[fd][0] for fd in readable] or [late]


def _call(ticket: Ticket[Any]) -> Ahead[Any]:
    call = ticket.call
    assert call is not None, "a ticket on the wire has its call"
    return call
