"""The emulator's callback sender: POSTs the state's callbacks to the URL an account names.

Status changes and incoming messages go to the account's ``callback_url``, or else the
state's, as SMSC calls its clients' URLs. A ticker thread asks the state every
``interval`` seconds for what changed and POSTs each event as
``application/x-www-form-urlencoded`` (fields: ``id``, ``phone``, ``status``, ``err``,
``time``, ``ts`` for statuses; see ``docs/emulator.md``). A failing callback is logged
and dropped: it never stops the emulator. Tests call :meth:`CallbackDispatcher.flush`
after moving a manual clock instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from smsc_transports.emulator.state.smsc import EmulatorState

__all__ = ["CallbackDispatcher", "post_form"]

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


class CallbackDispatcher:
    """Delivers the state's callback events from a daemon thread, or on :meth:`flush`."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        interval: float = 0.2,
        timeout: float = 3.0,
        post: Callable[[str, Mapping[str, str], float], None] = post_form,
    ) -> None:
        self.state = state
        self.interval = interval
        self.timeout = timeout
        self._post = post
        self._stop = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.failed = 0

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

    def flush(self) -> int:
        """POST every callback due now, in order; return how many succeeded."""
        with self._flush_lock:
            ok = 0
            for event in self.state.collect_callbacks():
                try:
                    self._post(event.url, event.fields, self.timeout)
                except Exception as exc:  # a broken receiver must not break the emulator
                    self.failed += 1
                    host = urlsplit(event.url).hostname
                    log.warning("callback to %s failed: %s", host, type(exc).__name__)
                else:
                    ok += 1
                    self.delivered += 1
            return ok
