"""Time for the emulator: a clock is any callable returning Unix seconds.

Statuses are computed from the clock when asked for, so a test that owns a
:class:`ManualClock` decides exactly when a message is transferred or delivered, with
no sleeping and no timing races.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from smsc_transports.wire.http import MOSCOW

__all__ = [
    "MOSCOW",
    "Clock",
    "ManualClock",
    "ScaledClock",
    "format_date",
    "is_date",
    "to_datetime",
]

Clock = Callable[[], float]
"""Anything that returns the current time as Unix seconds (``time.time`` by default)."""


class ManualClock:
    """A clock that moves only when told to; safe to read and advance from any thread.

    It starts at ``start`` (default 1 700 000 000 = 14.11.2023 22:13:20 UTC) so that dates
    in answers are stable from run to run.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Return the current manual time in Unix seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("a manual clock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, timestamp: float) -> None:
        """Jump to ``timestamp`` (also forward only, so rate windows stay consistent)."""
        with self._lock:
            if timestamp < self._now:
                raise ValueError("a manual clock only moves forward")
            self._now = float(timestamp)

    def __repr__(self) -> str:
        return f"ManualClock({self():.3f})"


class ScaledClock:
    """Real time run ``speed`` times as fast, from ``start``, that can also be moved forward.

    ``speed`` 1 is the wall clock, 60 makes a minute pass every second, 0 stops it: it
    then moves only through :meth:`advance`/:meth:`set`, like a :class:`ManualClock`.
    ``start`` (Unix seconds) is where it begins; the current time by default. This is
    the clock of a command-line emulator, whose control API moves it.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        *,
        source: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed >= 0:
            raise ValueError("a clock's speed is 0 or more")
        self.speed = float(speed)
        self._source = source
        self._origin = source()
        self._base = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Return the current time in Unix seconds."""
        with self._lock:
            return self._base + (self._source() - self._origin) * self.speed

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never backwards) and return the new time."""
        if not seconds >= 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base += seconds
        return self()

    def set(self, timestamp: float) -> None:
        """Jump forward to ``timestamp`` (never backwards: rate windows stay consistent)."""
        with self._lock:
            now = self._base + (self._source() - self._origin) * self.speed
            if timestamp < now:
                raise ValueError("the clock only moves forward")
            self._base += timestamp - now

    def resume(self, timestamp: float) -> None:
        """Continue from ``timestamp`` (a snapshot's time), even if that is behind: only
        before the emulator serves anything."""
        with self._lock:
            self._base = float(timestamp)
            self._origin = self._source()

    def __repr__(self) -> str:
        return f"ScaledClock({self():.3f}, speed={self.speed:g})"


def to_datetime(timestamp: float) -> datetime:
    """Return ``timestamp`` as an aware datetime in Moscow time."""
    return datetime.fromtimestamp(timestamp, UTC).astimezone(MOSCOW)


_LAST_DATE = 253_402_214_400.0
"""31.12.9999 00:00 UTC: the last day a ``datetime`` holds, in Moscow time too."""


def is_date(timestamp: float) -> bool:
    """Whether :func:`format_date` can show ``timestamp`` (1970 until the year 9999): what
    a time read from a snapshot file must be, or answers that show it would fail."""
    return 0 <= timestamp < _LAST_DATE


def format_date(timestamp: float) -> str:
    """Format ``timestamp`` the way SMSC does in answers: ``DD.MM.YYYY hh:mm:ss``, Moscow."""
    return to_datetime(timestamp).strftime("%d.%m.%Y %H:%M:%S")
