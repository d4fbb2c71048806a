"""SMSC's error 4: an IP address blocked for a while after frequent errors.

The rules are SMSC's own, from its FAQ "Why does the 'IP address blocked' error return
when making API requests?" (smscentre.com/faq/99): five authorization errors within 30
minutes block the address for 30 minutes (password guessing), unless the address is
on an account's list of allowed addresses; 100 erroneous send requests in a row within
10 minutes block it for 10 minutes. Every request from a blocked address is answered
``ERROR = 4 (ip is blocked)``. The FAQ's third case, frequent identical requests
within a minute, is SMSC's error 9 in this emulator (:mod:`.rate_limits`).

:class:`IpBlocks` is not locked: the state owns it and calls it under its own lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container
from dataclasses import dataclass

from smsc_transports.errors import APIError, api_error

__all__ = [
    "AUTH_BLOCK_SECONDS",
    "AUTH_WINDOW_SECONDS",
    "BLOCKED_TEXT",
    "ERROR_RUN_BLOCK_SECONDS",
    "ERROR_RUN_WINDOW_SECONDS",
    "IpBlocks",
]

BLOCKED_TEXT = "ip is blocked"
AUTH_WINDOW_SECONDS = 30 * 60.0
AUTH_BLOCK_SECONDS = 30 * 60.0
ERROR_RUN_WINDOW_SECONDS = 10 * 60.0
ERROR_RUN_BLOCK_SECONDS = 10 * 60.0


@dataclass
class _Run:
    """Erroneous requests in a row from one address: how many, and when the run began."""

    count: int = 0
    started: float = 0.0


class IpBlocks:
    """Per-address counters behind error 4, and the addresses blocked now.

    ``auth_failures`` (5) and ``error_run`` (100) are the thresholds; ``None`` switches
    that rule off.
    """

    def __init__(self, auth_failures: int | None = 5, error_run: int | None = 100) -> None:
        self.auth_failures = auth_failures
        self.error_run = error_run
        self._failures: dict[str, deque[float]] = {}
        self._runs: dict[str, _Run] = {}
        self._blocked_until: dict[str, float] = {}

    def check(self, ip: str | None, now: float, operation: str = "send") -> None:
        """Raise error 4 when ``ip`` is blocked at ``now``."""
        if ip is None:
            return
        until = self._blocked_until.get(ip)
        if until is None:
            return
        if now < until:
            raise self.error(operation)
        del self._blocked_until[ip]

    @staticmethod
    def error(operation: str = "send") -> APIError:
        """SMSC's error 4 with its text."""
        return api_error(4, BLOCKED_TEXT, operation=operation)

    def auth_failed(self, ip: str | None, now: float, allowed: Container[str]) -> None:
        """Count a failed login from ``ip``; block it on the fifth within 30 minutes.

        An address on any account's allow-list (``allowed``) is never blocked this way.
        """
        if ip is None or self.auth_failures is None or ip in allowed:
            return
        failures = self._failures.setdefault(ip, deque())
        while failures and failures[0] <= now - AUTH_WINDOW_SECONDS:
            failures.popleft()
        failures.append(now)
        if len(failures) >= self.auth_failures:
            failures.clear()
            self._block(ip, now + AUTH_BLOCK_SECONDS)

    def request_failed(self, ip: str | None, now: float) -> None:
        """Count an erroneous send request; block ``ip`` after 100 in a row within 10 min."""
        if ip is None or self.error_run is None:
            return
        run = self._runs.get(ip)
        if run is None or run.started <= now - ERROR_RUN_WINDOW_SECONDS:
            run = self._runs[ip] = _Run(0, now)
        run.count += 1
        if run.count >= self.error_run:
            del self._runs[ip]
            self._block(ip, now + ERROR_RUN_BLOCK_SECONDS)

    def request_succeeded(self, ip: str | None) -> None:
        """A good send request ends ``ip``'s run of errors."""
        if ip is not None:
            self._runs.pop(ip, None)

    def _block(self, ip: str, until: float) -> None:
        self._blocked_until[ip] = max(until, self._blocked_until.get(ip, until))
