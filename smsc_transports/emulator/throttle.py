"""Sliding one-minute windows and in-flight counters behind SMSC's error 9."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from smsc_transports.errors import APIError, api_error

__all__ = ["InFlight", "RateWindow"]

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
