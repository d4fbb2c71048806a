"""One call to SMSC over HTTP or SOAP, whatever carries it: failover across hosts,
and what the observer hears of it.

Both backends follow one rule (DESIGN.md, "Reliability rules"): a request that cannot
have reached SMSC moves on to the next backup host (:func:`with_failover`); one that
may have arrived is repeated only when repeating is harmless. :class:`Observed` holds
the observer a client reports to, and its requests in flight.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeVar

from smsc_transports.backends.steps import Steps, at_once, run
from smsc_transports.errors import ConnectError, OutcomeUnknown, SMSCError, TransportError
from smsc_transports.observe import Link, LinkEvent, Load, Observer, Stopwatch, report

__all__ = ["Observed", "failover_steps", "with_failover"]

log = logging.getLogger(__name__)

Target = TypeVar("Target")
Result = TypeVar("Result")


def with_failover(
    targets: Sequence[Target],
    attempt: Callable[[Target], Result],
    *,
    repeatable: bool,
    name: Callable[[Target], str] = str,
) -> tuple[Result, bool]:
    """Call ``attempt`` on each target in turn until one answers.

    Returns the answer and whether an earlier attempt may have reached SMSC (a send
    repeated after such an attempt reads SMSC's "duplicate" code 9 as "accepted").
    A :class:`ConnectError` always moves on; another :class:`TransportError` moves on
    only when ``repeatable``, else it is raised at once.
    """

    def now(target: Target) -> Steps[Result]:
        return at_once(partial(attempt, target))

    return run(failover_steps(targets, now, repeatable=repeatable, name=name))


def failover_steps(
    targets: Sequence[Target],
    attempt: Callable[[Target], Steps[Result]],
    *,
    repeatable: bool,
    name: Callable[[Target], str] = str,
) -> Steps[tuple[Result, bool]]:
    """:func:`with_failover` as steps: each attempt pauses where it waits (see
    :mod:`~smsc_transports.backends.steps`)."""
    last: TransportError | None = None
    uncertain = False
    for target in targets:
        try:
            return (yield from attempt(target)), uncertain
        except ConnectError as exc:
            last = exc
        except TransportError as exc:
            if not repeatable:
                raise
            last, uncertain = exc, True
        if target is not targets[-1]:
            log.warning(
                "SMSC request to %s failed (%s), trying the next host",
                name(target),
                last,
                extra={"smsc_error": type(last).__name__, "smsc_host": name(target)},
            )
    if last is None:
        raise ConnectError("no SMSC host to talk to")
    raise last


class Observed:
    """What an HTTP or SOAP client tells an observer: the observer, and its requests in
    flight (counted only while one listens), read as a :class:`Load` when gauges are."""

    def __init__(self) -> None:
        self.observer: Observer | None = None
        self.protocol = ""
        self.in_flight = 0
        self.window = 1
        self._lock = threading.Lock()

    def attach(self, observer: Observer | None, protocol: str, window: int) -> None:
        """Report to ``observer`` from now on (``None``: stop), ``window`` calls at once."""
        if self.observer is not None:
            self.observer.unwatch(self.load)
        self.observer, self.window, self.protocol = observer, window, protocol
        if observer is not None:
            observer.watch(protocol, self.load)

    def backing_off(self, refusal: SMSCError, pause: float) -> None:
        """Tell the observer that SMSC refused a request for load and the client waits
        ``pause`` seconds before asking again (a throttling back-off)."""
        observer = self.observer
        if observer is not None:
            event = LinkEvent(self.protocol, Link.THROTTLED, type(refusal).__name__, pause)
            report(observer.link, event)

    def load(self) -> Load:
        """Requests in flight now, of ``window``."""
        return Load(self.in_flight, self.window, 0)

    @contextlib.contextmanager
    def timed(self, operation: str, *, messages: int = 1, phones: str = "") -> Iterator[Stopwatch]:
        """Time the block as one request to the attached observer, counted in flight.

        The :class:`Stopwatch` names the recipient when ``phones`` holds one number. An
        :class:`SMSCError` the block raises is reported at once; so is a call dropped
        while it waited for its answer (a generator closed in the block once the caller
        marked the watch ``written``: the request may have arrived,
        :class:`OutcomeUnknown`). After the block the caller fills in what the answer
        says and calls :meth:`Stopwatch.done`.
        """
        observer = self.observer
        assert observer is not None
        one = phones if phones and "," not in phones and ";" not in phones else None
        watch = Stopwatch(observer, self.protocol, operation, messages=messages, phone=one)
        try:
            with self.flying():
                yield watch
        except SMSCError as exc:
            watch.done(exc)
            raise
        except GeneratorExit:
            if watch.written:
                watch.done(OutcomeUnknown("the call was dropped before its answer was read"))
            raise

    @contextlib.contextmanager
    def flying(self) -> Iterator[None]:
        """Count one request in flight while the block runs."""
        with self._lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
