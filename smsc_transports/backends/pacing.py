"""Staying inside SMSC's limits: a cap on requests, and the back-off of refused ones.

Both are opt-in (HTTP and SOAP options ``max_rate``, ``max_concurrent``,
``retry_rate_limited``, ``retry_backoff``, ``retry_max_wait``; ``docs/http.md``).
:class:`RequestPacer` holds every attempt of one transport to at most
``max_concurrent`` at once and starts them at most ``max_rate`` a second, spaced
evenly. :class:`RetryPolicy` says how long to wait before repeating a request SMSC
refused for load: exponential back-off with jitter, so that many workers refused
together do not come back together, within a budget of repeats and of time.

Which refusals may be repeated is the caller's decision (a send only when SMSC's answer
proves it was not accepted, a :data:`RepeatRule`); :func:`until_accepted_steps` runs the
repeats for the HTTP and the SOAP client alike.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from smsc_transports.backends.steps import Later, Steps
from smsc_transports.errors import RateLimited

__all__ = [
    "MAX_RETRY_WAIT",
    "RepeatRule",
    "RequestPacer",
    "RetryPolicy",
    "repeat_read",
    "until_accepted_steps",
]

log = logging.getLogger(__name__)

Answer = TypeVar("Answer")

RepeatRule = Callable[[RateLimited, bool], bool]
"""Whether a request SMSC refused with error 9 may be made again, given that error and
whether an earlier attempt of it may have reached SMSC."""


def repeat_read(error: RateLimited, uncertain: bool) -> bool:
    """The :data:`RepeatRule` of a read (status, cost, balance…): always."""
    del error, uncertain
    return True  # a read changes nothing: asking again is always harmless


# How often a call waiting as steps for a free slot looks again (a blocking caller waits
# on the semaphore itself).
_SLOT_POLL = 0.005

# SMSC refuses a repeat of a send it accepted within the last minute (error 9,
# smsc-protocol.md §1.12). The waits before the repeats of one request add up to less,
# so a message's own id keeps the repeats close to the minute in which SMSC would
# recognise a copy.
MAX_RETRY_WAIT = 50.0


class RequestPacer:
    """At most ``max_concurrent`` requests at once, started at most ``max_rate`` a second.

    ``None`` switches either cap off. Thread-safe: every thread of a transport (the
    ``send_many`` pool, the async face's workers, the caller's own) shares one pacer.
    ``clock`` and ``sleep`` are ``time.monotonic`` and ``time.sleep`` unless a test
    gives its own.
    """

    def __init__(
        self,
        max_rate: float | None = None,
        max_concurrent: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_rate = max_rate if max_rate and max_rate > 0 else None
        self.max_concurrent = max_concurrent if max_concurrent and max_concurrent > 0 else None
        self._slots = (
            threading.BoundedSemaphore(self.max_concurrent) if self.max_concurrent else None
        )
        self._interval = 1.0 / self.max_rate if self.max_rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_start = -float("inf")
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether either cap is on."""
        return self._slots is not None or self._interval > 0

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold one request's place: wait for a free slot, then for its start time."""
        if self._slots is not None:
            self._slots.acquire()
        try:
            if self._interval and (delay := self._book() - self._clock()) > 0:
                self._sleep(delay)
            yield
        finally:
            self.leave()

    def turn_steps(self) -> Steps[None]:
        """Take one request's place as steps: pause (:class:`~smsc_transports.backends.
        steps.Later`) while no slot is free and until its start time. The place is held
        once the steps end, until :meth:`leave`.

        A caller with several requests on the wire goes on reading their answers while
        one of them waits for a slot, so the answers free the slots it waits for.
        """
        if self._slots is not None:
            while not self._slots.acquire(blocking=False):
                yield Later(time.monotonic() + _SLOT_POLL)
        try:
            if self._interval:
                start = self._book()
                if (delay := start - self._clock()) > 0:
                    try:
                        yield Later(time.monotonic() + delay)
                    except GeneratorExit:
                        self._unbook(start)
                        raise
        except BaseException:
            self.leave()
            raise

    def leave(self) -> None:
        """Give back the place :meth:`turn_steps` took."""
        if self._slots is not None:
            self._slots.release()

    def _unbook(self, start: float) -> None:
        """Give back the start time of a request dropped before it, if no later one was
        booked since (requests dropped last first all give theirs back)."""
        with self._lock:
            if self._next_start == start + self._interval:
                self._next_start = start

    def _book(self) -> float:
        """Book the next start time (on ``clock``) and return it."""
        # Each request books the next start time, one interval after the last booked
        # one, so requests from any number of threads leave evenly spaced.
        with self._lock:
            start = max(self._clock(), self._next_start)
            self._next_start = start + self._interval
        return start


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before repeating a request refused for load.

    ``attempts`` repeats at most (0: never repeat), the n-th after about
    ``backoff * 2**n`` seconds, jittered between half and all of it, and all of them
    within ``max_wait`` seconds of waiting in all (at most :data:`MAX_RETRY_WAIT`).
    """

    attempts: int = 0
    backoff: float = 1.0
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "attempts", max(0, self.attempts))
        object.__setattr__(self, "backoff", max(0.0, self.backoff))
        object.__setattr__(self, "max_wait", min(max(0.0, self.max_wait), MAX_RETRY_WAIT))

    def delays(self, jitter: Callable[[float, float], float] = random.uniform) -> Iterator[float]:
        """The waits before each repeat, ending where the budget of repeats or time ends."""
        waited = 0.0
        for repeat in range(self.attempts):
            full = self.backoff * 2**repeat
            delay = jitter(full / 2, full)
            if waited + delay > self.max_wait:
                return
            waited += delay
            yield delay


def until_accepted_steps(
    ask: Callable[[], Steps[tuple[Answer, bool]]],
    refusal_in: Callable[[Answer], RateLimited | None],
    repeat: RepeatRule | None,
    policy: RetryPolicy,
    closing: threading.Event,
    what: str,
    *,
    on_back_off: Callable[[RateLimited, float], None] | None = None,
) -> Steps[tuple[Answer, bool]]:
    """Make a request with ``ask`` (its answer, and whether an attempt may have arrived)
    and make it again while its answer holds an error 9 that ``repeat`` allows, after
    the waits of ``policy``; return the last answer either way.

    Without a ``repeat`` rule, or once ``closing`` is set, nothing is repeated: the
    caller raises the error the answer holds. ``on_back_off`` hears each wait (the
    refusal and the seconds) before it starts. Each request pauses where it waits (see
    :mod:`~smsc_transports.backends.steps`; a client that cannot split its requests
    gives ``ask`` as :func:`~smsc_transports.backends.steps.at_once` steps).
    """
    delays = policy.delays() if repeat is not None else iter(())
    uncertain = False
    while True:
        answer, maybe_arrived = yield from ask()
        uncertain = uncertain or maybe_arrived
        refused = refusal_in(answer)
        if refused is None or repeat is None or not repeat(refused, uncertain):
            return answer, uncertain
        delay = next(delays, None)
        if delay is None:
            return answer, uncertain  # the budget is spent
        log.info("SMSC refused %s (%s); asking again in %.2f s", what, refused, delay)
        if on_back_off is not None:
            on_back_off(refused, delay)
        if closing.wait(delay):
            return answer, uncertain
