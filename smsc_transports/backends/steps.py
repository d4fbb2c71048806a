"""A call written as steps: it pauses where it would wait for SMSC's answer.

A call to SMSC is written as a generator (:data:`Steps`) that yields once each
request is on the wire, just before it waits for the answer, and returns the call's
value. :func:`run` makes such a call the ordinary way: it goes straight on at every
pause. :class:`Ahead` runs a call up to its first pause and finishes it later, so one
thread can have several requests on the wire and read each answer when it needs it
(the HTTP ``send_many`` does, without threads of its own). Everything a call does
after its first pause (failover to a backup host, the repeat of a refusal) is part of
the same steps, and runs when the call is finished.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Generic, TypeVar

__all__ = ["Ahead", "Steps", "at_once", "run"]

Value = TypeVar("Value")

Steps = Generator[None, None, Value]
"""A call that yields (nothing) where it waits for an answer, and returns its value."""


def run(steps: Steps[Value]) -> Value:
    """Make the call ``steps`` to its end and return its value (or raise its error)."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value  # type: ignore[no-any-return]


def at_once(call: Callable[[], Value]) -> Steps[Value]:
    """``call()`` as steps that never pause (for a call that cannot be split)."""
    yield from ()
    return call()


class Ahead(Generic[Value]):
    """A call made up to its first pause when created; :meth:`finish` makes the rest.

    Whatever the first part raised is raised by :meth:`finish`, so that the call's
    errors reach its caller at one place, as they would from :func:`run`. A call
    dropped unfinished is closed by :meth:`abandon` (its connection is closed).
    """

    __slots__ = ("_error", "_steps", "_value")

    _value: Value

    def __init__(self, steps: Steps[Value]) -> None:
        self._steps: Steps[Value] | None = steps
        self._error: BaseException | None = None
        try:
            next(steps)
        except StopIteration as end:
            self._steps, self._value = None, end.value
        except Exception as exc:
            self._steps, self._error = None, exc

    def finish(self) -> Value:
        """The call's value: its answer read, and whatever follows done."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._steps is not None:
            steps, self._steps = self._steps, None
            self._value = run(steps)
        return self._value

    def abandon(self) -> None:
        """Drop the call without reading its answer (its request may have arrived)."""
        if self._steps is not None:
            self._steps.close()
            self._steps = None
