"""The emulator's callback sender: POSTs the state's callbacks to the URL an account names.

Status changes and incoming messages go to the account's ``callback_url``, or else the
state's, as SMSC calls its clients' URLs. A ticker thread asks the state every
``interval`` seconds for what changed and POSTs each event as
``application/x-www-form-urlencoded`` (fields: ``id``, ``phone``, ``status``, ``err``,
``time``, ``ts`` for statuses; see ``docs/emulator.md``). A callback fails when the
receiver cannot be reached, does not answer within the timeout, or answers with an
HTTP status of 400 or more; it is then tried again after each of the
:class:`RetryRule`'s delays, measured on the emulator's clock (so moving the clock
brings a retry forward), and dropped with a warning after the last. A failure never
stops the emulator. Tests call :meth:`CallbackDispatcher.flush` after moving a manual
clock instead of waiting.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from smsc_transports.emulator.state.records import CallbackEvent
from smsc_transports.emulator.state.smsc import EmulatorState

__all__ = ["CallbackDispatcher", "RetryRule", "post_form"]

log = logging.getLogger(__name__)


def post_form(url: str, fields: Mapping[str, str], timeout: float) -> None:
    """POST ``fields`` form-encoded (UTF-8) to the http(s) ``url``; raise on failure."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("callback URLs must be http or https")
    body = urlencode(fields).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310  # scheme checked above
        url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        answer.read(65536)  # drain a little so keep-alive servers are not cut off mid-answer


@dataclass(frozen=True)
class RetryRule:
    """When a failed callback is tried again: ``delays`` seconds after each failure.

    SMSC's own retry rule is not documented (smsc-protocol.md §5.1 [U]); the default,
    three more tries 10 s, 60 s and 600 s after the failures, is the emulator's choice.
    ``RetryRule(())`` never retries.
    """

    delays: tuple[float, ...] = (10.0, 60.0, 600.0)

    def __post_init__(self) -> None:
        if any(not delay >= 0 for delay in self.delays):
            raise ValueError("callback retry delays are seconds, 0 or more")


@dataclass(order=True)
class _Retry:
    due: float
    number: int
    failures: int = field(compare=False)
    event: CallbackEvent = field(compare=False)


class CallbackDispatcher:
    """Delivers the state's callback events from a daemon thread, or on :meth:`flush`."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        interval: float = 0.2,
        timeout: float = 3.0,
        post: Callable[[str, Mapping[str, str], float], None] = post_form,
        retry: RetryRule | None = None,
    ) -> None:
        self.state = state
        self.interval = interval
        self.timeout = timeout
        self.retry = RetryRule() if retry is None else retry
        self._post = post
        self._retries: list[_Retry] = []
        self._numbers = itertools.count()
        self._stop = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.failed = 0
        """Attempts that failed (a callback retried twice and then delivered counts 2)."""
        self.dropped = 0
        """Callbacks given up after the last retry."""

    def start(self) -> None:
        """Start the ticker thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="smsc-emulator-callbacks", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the ticker and wait (bounded) for it to finish its current round."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # the ticker must outlive any bug in one round
                log.exception("callback round failed")

    @property
    def waiting(self) -> int:
        """How many failed callbacks wait for a retry."""
        with self._flush_lock:
            return len(self._retries)

    def flush(self) -> int:
        """POST every callback due now (new ones in order, then retries due); return how
        many succeeded."""
        with self._flush_lock:
            now = self.state.clock()
            due = [(0, event) for event in self.state.collect_callbacks()]
            while self._retries and self._retries[0].due <= now:
                retry = heapq.heappop(self._retries)
                due.append((retry.failures, retry.event))
            ok = 0
            for failures, event in due:
                if self._deliver(event):
                    ok += 1
                elif failures < len(self.retry.delays):
                    when = now + self.retry.delays[failures]
                    retry = _Retry(when, next(self._numbers), failures + 1, event)
                    heapq.heappush(self._retries, retry)
                else:
                    self.dropped += 1
                    host = urlsplit(event.url).hostname
                    log.warning("callback to %s dropped after %d attempts", host, failures + 1)
            return ok

    def _deliver(self, event: CallbackEvent) -> bool:
        try:
            self._post(event.url, event.fields, self.timeout)
        except Exception as exc:  # a broken receiver must not break the emulator
            self.failed += 1
            host = urlsplit(event.url).hostname
            log.warning("callback to %s failed: %s", host, type(exc).__name__)
            return False
        self.delivered += 1
        return True
