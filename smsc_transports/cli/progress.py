"""Progress of a long CLI run on stderr: a redrawn bar on a terminal, plain lines elsewhere.

On a terminal one line is redrawn in place (``\\r``, at most ten times a second) with
a bar, the rate and the time left; anywhere else (a log file, CI, a pipe) a plain line
is printed every few seconds so logs stay readable. The first update and the final
state are always shown, so even a short run reports something.

The time left is shown once the rows have been coming for :data:`ETA_AFTER` seconds,
and counts from the first finished row: what comes before it (connecting, binding,
the first block of a batching transport) is paid once, not once per remaining row.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["Progress", "format_duration", "live_lines"]

TTY_INTERVAL = 0.1
PLAIN_INTERVAL = 5.0
BAR_WIDTH = 24
ETA_AFTER = 1.0
"""Seconds after the first finished row before the time left is estimated."""


def format_duration(seconds: float) -> str:
    """Return ``seconds`` as ``H:MM:SS``."""
    whole = max(0, round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class Progress:
    """Counts rows as they finish and reports on ``stream``.

    ``total`` is the expected number of rows (``None`` when unknown); ``tty`` defaults
    to ``stream.isatty()``. The rate is rows finished per second since the start.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        total: int | None,
        label: str = "bulk",
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.label = label
        self.tty = stream.isatty() if tty is None else tty
        self.interval = TTY_INTERVAL if self.tty else PLAIN_INTERVAL
        self._clock = clock
        self.done = 0
        self.ok = 0
        self.failed = 0
        # The rate is measured from the start: the first answers of a batching transport
        # arrive together, so timing from the first one would overstate it.
        self._started = clock()
        self._shown_at: float | None = None
        self._drawn = False
        self._first: tuple[float, int] | None = None  # when the first row finished, and count
        # A live summary notes from its own thread: one writer at a time keeps lines whole.
        self._writing = threading.RLock()

    def advance(self, *, ok: bool) -> None:
        """Count one finished row (``ok``: accepted, or priced in a dry run)."""
        self.done += 1
        if ok:
            self.ok += 1
        else:
            self.failed += 1
        now = self._clock()
        if self._first is None:
            self._first = (now, self.done)
        if self._shown_at is None or now - self._shown_at >= self.interval:
            self._show(now)

    def note(self, text: str) -> None:
        """Print a line of its own without leaving a half-drawn bar behind (any thread)."""
        with self._writing:
            if self.tty and self._drawn:
                self.stream.write("\r\x1b[K")
                self._drawn = False
            self.stream.write(text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        """Show the final counts (and end the bar's line on a terminal)."""
        self._show(self._clock())
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def rate(self, now: float | None = None) -> float | None:
        """Rows finished per second so far, once there is something to measure."""
        if not self.done:
            return None
        elapsed = (self._clock() if now is None else now) - self._started
        return self.done / elapsed if elapsed > 0 else None

    def seconds_left(self, now: float | None = None) -> float | None:
        """The estimated seconds until the last row, or ``None`` while there is no basis.

        The estimate needs the total, and rows finishing for :data:`ETA_AFTER` seconds
        after the first one; it divides the rows left by the rate since that first row.
        """
        if self.total is None or self.done >= self.total or self._first is None:
            return None
        since, base = self._first
        elapsed = (self._clock() if now is None else now) - since
        if elapsed < ETA_AFTER or self.done <= base:
            return None
        return (self.total - self.done) * elapsed / (self.done - base)

    def _show(self, now: float) -> None:
        with self._writing:
            self._show_now(now)

    def _show_now(self, now: float) -> None:
        self._shown_at = now
        rate = self.rate(now)
        total = self.total if self.total is not None and self.total >= self.done else None
        left = self.seconds_left(now)
        eta = None if left is None else format_duration(left)
        if self.tty:
            self._draw_bar(total, rate, eta)
        else:
            self._print_line(total, rate, eta)

    def _draw_bar(self, total: int | None, rate: float | None, eta: str | None) -> None:
        pieces = [f"{self.label} {self.done}" + (f"/{total}" if total is not None else "")]
        if total:
            filled = BAR_WIDTH * self.done // total
            pieces.append(
                f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * self.done // total}%"
            )
        pieces.append(f"{rate:.1f}/s" if rate else "-/s")
        if eta is not None:
            pieces.append(f"ETA {eta}")
        if self.failed:
            pieces.append(f"{self.failed} failed")
        width = shutil.get_terminal_size((80, 24)).columns
        line = "  ".join(pieces)[: max(width - 1, 20)]
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def _print_line(self, total: int | None, rate: float | None, eta: str | None) -> None:
        text = f"{self.label}: {self.done}" + (f"/{total}" if total is not None else "")
        text += f" rows, {self.ok} ok, {self.failed} failed"
        if rate:
            text += f", {rate:.1f} rows/s"
        if eta is not None:
            text += f", ETA {eta}"
        self.stream.write(text + "\n")
        self.stream.flush()


@contextlib.contextmanager
def live_lines(
    every: float | None, line: Callable[[], str], say: Callable[[str], object]
) -> Iterator[None]:
    """While the block runs, ``say(line())`` every ``every`` seconds, and once at the end.

    ``None`` (or 0) shows nothing. The lines come from a daemon thread, so a slow send
    does not delay them.
    """
    if not every or every <= 0:
        yield
        return
    done = threading.Event()

    def loop() -> None:
        while not done.wait(every):
            say(line())

    thread = threading.Thread(target=loop, name="smsc-live", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
        say(line())
