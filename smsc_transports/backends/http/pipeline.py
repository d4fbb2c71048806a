"""Requests written ahead of their answers, all from the caller's own thread.

``send_many`` and ``cost_many`` hand a :class:`Pipeline` each request of a batch as a
function that writes it and returns the function that reads its answer. The pipeline
keeps up to ``depth`` requests on the wire: while the caller works through the
outcomes of one answer, SMSC is already working on the next requests, and no thread
has to hand anything over. Answers are read in the order the requests were written,
each once its value is asked for (SMSC answers each request on its own connection, so
the answers read later wait in their sockets meanwhile).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Pipeline", "Read", "Ticket", "Write"]

Value = TypeVar("Value")

Read = Callable[[], Value]
"""Reads a written request's answer and returns what it means (an error as a value)."""

Write = Callable[[], Read[Value]]
"""Writes a request and returns what reads its answer; never raises (an error that
stops the request becomes what the returned :data:`Read` gives)."""


class Ticket(Generic[Value]):
    """One request in a :class:`Pipeline`, from its writing to its value."""

    __slots__ = ("done", "read", "value", "write")

    def __init__(self, write: Write[Value]) -> None:
        self.write: Write[Value] | None = write
        self.read: Read[Value] | None = None
        self.value: Value | None = None
        self.done = False


class Pipeline(Generic[Value]):
    """At most ``depth`` requests written and not yet read; each read when asked for.

    With ``overlap`` (the default) a request is written as soon as there is room, also
    while the caller has control between two values. Without it no request is left
    unread when the caller has control: requests are written ``depth`` at a time when
    a value is asked for, and all of them read before it is returned. That is what a
    cap on the transport's requests at once needs: a request written ahead holds its
    place under the cap, and the caller may want a place of its own in between.
    """

    def __init__(self, depth: int, *, overlap: bool = True) -> None:
        self.depth = max(1, depth)
        self.overlap = overlap
        self._waiting: deque[Ticket[Value]] = deque()
        self._written: deque[Ticket[Value]] = deque()

    def add(self, write: Write[Value]) -> Ticket[Value]:
        """Queue a request; it is written once there is room (at once, if there is)."""
        ticket = Ticket(write)
        self._waiting.append(ticket)
        if self.overlap:
            self._write()
        return ticket

    def value(self, ticket: Ticket[Value]) -> Value:
        """The value of ``ticket``'s request, reading the answers written before it."""
        while not ticket.done:
            if not self._written:
                self._write()
            self._read_oldest()
            if self.overlap:
                self._write()
        if not self.overlap:
            while self._written:
                self._read_oldest()
        value, ticket.value = ticket.value, None
        return value  # type: ignore[return-value]  # done: the read's value

    def close(self) -> None:
        """Read the answers of the requests written; write no more."""
        self._waiting.clear()
        while self._written:
            self._read_oldest()

    def _write(self) -> None:
        while self._waiting and len(self._written) < self.depth:
            ticket = self._waiting.popleft()
            assert ticket.write is not None
            ticket.read, ticket.write = ticket.write(), None
            self._written.append(ticket)

    def _read_oldest(self) -> None:
        ticket = self._written.popleft()
        assert ticket.read is not None
        ticket.value, ticket.read = ticket.read(), None
        ticket.done = True
