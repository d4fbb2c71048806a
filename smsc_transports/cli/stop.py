"""A polite stop for long CLI runs: the first Ctrl-C asks, the second one insists."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["StopRequest"]


class StopRequest:
    """Why a long run should stop early: a signal (SIGINT, SIGTERM) or an error.

    The run checks :attr:`requested` between rows and finishes what is in flight.
    ``reason`` says why; ``by_signal`` tells an interruption (exit status 130) from a
    stop the run decided itself.
    """

    def __init__(self) -> None:
        self.reason = ""
        self.by_signal = False

    @property
    def requested(self) -> bool:
        """Whether the run should stop taking new rows."""
        return bool(self.reason)

    def request(self, reason: str) -> None:
        """Ask the run to stop (the first reason given is kept)."""
        if not self.reason:
            self.reason = reason

    @contextmanager
    def signals(self, notify: Callable[[str], None]) -> Iterator[None]:
        """Within the block, SIGINT/SIGTERM request a stop; a second one raises KeyboardInterrupt.

        Only the main thread can install signal handlers; elsewhere (a test calling
        the CLI from a worker thread) the defaults stay and the block runs as is.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(signum: int, frame: FrameType | None) -> None:
            if self.by_signal:
                raise KeyboardInterrupt
            self.by_signal = True
            self.request("interrupted")
            notify("smsc: stopping after the messages in flight (Ctrl-C again to abort)")

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
