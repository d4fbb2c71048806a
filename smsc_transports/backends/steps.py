"""A call written as steps: it pauses where it would wait for SMSC's answer.

A call to SMSC is written as a generator (:data:`Steps`) that yields what it is about to
wait on (a :class:`Waiting`: the socket of a request written, and when its answer is
late; or :class:`Later`, a moment with no socket: a place under a cap, a start time)
and returns the call's value. Each step reads only what has arrived, so it never waits
itself. :func:`run` makes such a call the ordinary way: it waits where the call waits,
then goes on. :class:`Ahead` makes
a call up to its first pause and takes it on one step at a time, so one thread can have
several requests on the wire and go on with whichever answer comes first (the HTTP
``send_many`` does, without threads of its own). Everything a call does after a pause
(failover to a backup host, the repeat of a refusal) is part of the same steps.
"""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable, Generator
from typing import Generic, Protocol, TypeVar

__all__ = ["Ahead", "Later", "Steps", "Waiting", "at_once", "run", "wait"]

Value = TypeVar("Value")


class Waiting(Protocol):
    """What a paused call waits on: a socket that turns readable when more of the answer
    has come (``fileno`` -1: none), until ``deadline``."""

    def fileno(self) -> int:
        """The socket's descriptor, or -1 when the call waits for its deadline alone."""
        ...

    @property
    def deadline(self) -> float:
        """When the wait ends, on the :func:`time.monotonic` clock."""
        ...


class Later:
    """A pause until ``deadline`` (:func:`time.monotonic`), with no socket."""

    __slots__ = ("deadline",)

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def fileno(self) -> int:
        """None: -1."""
        return -1


Steps = Generator[Waiting, None, Value]
"""A call that yields what it waits on before each answer, and returns its value."""


def run(steps: Steps[Value]) -> Value:
    """Make the call ``steps`` to its end, waiting where it waits; return its value (or
    raise its error)."""
    while True:
        try:
            waiting = next(steps)
        except StopIteration as end:
            return end.value  # type: ignore[no-any-return]
        wait(waiting)


def wait(waiting: Waiting) -> None:
    """Block until ``waiting``'s socket turns readable or its deadline passes."""
    remaining = waiting.deadline - time.monotonic()
    if remaining <= 0:
        return
    fileno = waiting.fileno()
    if fileno < 0:
        time.sleep(remaining)
        return
    with selectors.DefaultSelector() as selector:
        selector.register(fileno, selectors.EVENT_READ)
        selector.select(remaining)


def at_once(call: Callable[[], Value]) -> Steps[Value]:
    """``call()`` as steps that never pause (for a call that cannot be split)."""
    yield from ()
    return call()


class Ahead(Generic[Value]):
    """A call made up to its first pause when created, then taken on step by step.

    :attr:`waiting` is what the call waits on now, ``None`` once it has ended; then
    :meth:`finish` returns its value or raises its error, whichever step it came from,
    so that the call's errors reach its caller at one place, as they would from
    :func:`run`. A call dropped unfinished is closed by :meth:`abandon`.
    """

    __slots__ = ("_error", "_steps", "_value", "waiting")

    _value: Value

    def __init__(self, steps: Steps[Value]) -> None:
        self._steps: Steps[Value] | None = steps
        self._error: Exception | None = None
        self.waiting: Waiting | None = None
        self.step()

    def step(self) -> None:
        """Go on from the current pause (reading the answer waited for) to the next
        pause or to the end."""
        if self._steps is None:
            return
        try:
            self.waiting = next(self._steps)
        except StopIteration as end:
            self._steps, self.waiting, self._value = None, None, end.value
        except Exception as exc:
            self._steps, self.waiting, self._error = None, None, exc

    def finish(self) -> Value:
        """The call's value, going on to its end first if it has not ended."""
        if self._steps is not None:
            steps, self._steps, self.waiting = self._steps, None, None
            try:
                self._value = run(steps)
            except Exception as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return self._value

    def abandon(self) -> None:
        """Drop the call without reading its answer (its request may have arrived)."""
        if self._steps is not None:
            self._steps.close()
            self._steps, self.waiting = None, None
            self._error = RuntimeError("the call was abandoned before it ended")
