"""SMSC's rate limits (error 9): :class:`RateLimits`, over sliding windows and in-flight counts.

:class:`RateLimits` applies the :class:`~.accounts.Limits` of one emulator state;
:class:`RateWindow` and :class:`InFlight` are the counters it keeps. :class:`TokenBucket`
is an SMSC's cap on one SMPP bind (the SMPP front end's ``throttle_rate``). None of them
is locked: their owner calls them under its own lock or on its own loop.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable

from smsc_transports.emulator.state.accounts import Limits
from smsc_transports.errors import APIError, api_error

__all__ = ["DUPLICATE", "TOO_MANY", "InFlight", "RateLimits", "RateWindow", "TokenBucket"]

TOO_MANY = "too many requests, wait a minute"
DUPLICATE = "duplicate request, wait a minute"

_SWEEP_EVERY = 1024


class RateWindow:
    """Counts events per key over the last ``period`` seconds of the emulator's clock.

    Not locked: the state calls it under its own lock.
    """

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self._events: dict[Hashable, deque[float]] = {}
        self._adds = 0

    def count(self, key: Hashable, now: float) -> int:
        """How many events ``key`` had in the window ending at ``now``."""
        events = self._events.get(key)
        if not events:
            return 0
        while events and events[0] <= now - self.period:
            events.popleft()
        return len(events)

    def add(self, key: Hashable, now: float) -> None:
        """Record one event for ``key`` at ``now``."""
        self._events.setdefault(key, deque()).append(now)
        self._adds += 1
        if self._adds % _SWEEP_EVERY == 0:
            # Keys that went quiet would otherwise pile up for the emulator's lifetime.
            stale = [k for k, e in self._events.items() if not e or e[-1] <= now - self.period]
            for k in stale:
                del self._events[k]

    def allow(self, key: Hashable, now: float, limit: int | None) -> bool:
        """Record an event and return ``True`` unless ``key`` already had ``limit`` of them.

        A refused event is not recorded, so a client that backs off gets in again one
        window after its last accepted request.
        """
        if limit is None:
            return True
        if self.count(key, now) >= limit:
            return False
        self.add(key, now)
        return True


class InFlight:
    """How many requests of each login are being answered right now (not locked)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def enter(self, login: str, limit: int | None) -> APIError | None:
        """Count one more request; return error 9 (and count nothing) when over ``limit``."""
        current = self._counts.get(login, 0)
        if limit is not None and current >= limit:
            return api_error(9, "too many concurrent requests", operation="send")
        self._counts[login] = current + 1
        return None

    def leave(self, login: str) -> None:
        """Count one request of ``login`` as answered."""
        current = self._counts.get(login, 0) - 1
        if current > 0:
            self._counts[login] = current
        else:
            self._counts.pop(login, None)

    def get(self, login: str) -> int:
        """The number of requests of ``login`` in flight."""
        return self._counts.get(login, 0)


class RateLimits:
    """The error-9 rules of :class:`~.accounts.Limits`, with memory.

    Each ``check_*`` method counts one request and raises error 9 when it is one too
    many; a refused request is not counted, so a client that backs off gets in again
    one window after its last accepted request. A limit set to ``None`` is never hit.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._duplicates = RateWindow(limits.duplicate_window or 60.0)
        self._minute = RateWindow(60.0)
        self._in_flight = InFlight()

    def enter(self, login: str) -> APIError | None:
        """Count one more request of ``login`` in flight, or return error 9 (counting nothing)."""
        return self._in_flight.enter(login, self.limits.max_in_flight)

    def leave(self, login: str) -> None:
        """Count one request of ``login`` as answered."""
        self._in_flight.leave(login)

    def in_flight(self, login: str) -> int:
        """The number of requests of ``login`` being answered."""
        return self._in_flight.get(login)

    def check_duplicate(self, key: Hashable, now: float, reused: Iterable[float]) -> None:
        """Error 9 for a send identical (``key``) to one accepted within the window, or
        reusing a client id: ``reused`` are the send times of the recipients that id
        already names."""
        window = self.limits.duplicate_window
        if window is None:
            return
        if self._duplicates.count(key, now):
            raise api_error(9, DUPLICATE)
        if any(created > now - window for created in reused):
            raise api_error(9, DUPLICATE)

    def sent(self, key: Hashable, now: float) -> None:
        """Remember an accepted send, so an identical one within the window is refused."""
        if self.limits.duplicate_window is not None:
            self._duplicates.add(key, now)

    def check_cost(self, key: Hashable, now: float) -> None:
        """Count one price query (``key`` names its content); error 9 past the limit."""
        self._per_minute(key, now, self.limits.cost_repeats_per_minute, "cost")

    def check_status(self, login: str, id: str, phone: str, now: float) -> None:
        """Count one status request for message ``id`` to ``phone``; error 9 past the limit."""
        limit = self.limits.status_per_message_per_minute
        self._per_minute(("status", login, id, phone), now, limit, "status")

    def check_mass_status(self, login: str, now: float) -> None:
        """Count one request for several statuses at once; error 9 past the limit."""
        self._per_minute(("mass", login), now, self.limits.mass_status_per_minute, "status")

    def check_balance(self, login: str, now: float) -> None:
        """Count one balance request; error 9 past the limit."""
        self._per_minute(("balance", login), now, self.limits.balance_per_minute, "balance")

    def _per_minute(self, key: Hashable, now: float, limit: int | None, operation: str) -> None:
        if not self._minute.allow(key, now, limit):
            raise api_error(9, TOO_MANY, operation=operation)


class TokenBucket:
    """``rate`` events a second, a tenth of a second deep, full to start with."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._depth = max(1.0, rate / 10)
        self._tokens = self._depth
        self._at = clock()

    def take(self) -> bool:
        """Whether one more event fits now (and count it if it does)."""
        now = self.clock()
        self._tokens = min(self._depth, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
