"""What the emulator has done so far: messages accepted, sends refused by SMSC code.

:class:`Activity` is what ``smsc emulator --live`` prints. The state counts into it
under its own lock; :meth:`Activity.summary` reads it from another thread, where a
count a moment old does no harm.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator

from smsc_transports.errors import APIError

__all__ = ["Activity"]


class Activity:
    """Counters of every front end's sends; one per :class:`EmulatorState`."""

    def __init__(self) -> None:
        self.accepted = 0  # recipients accepted
        self.refused: Counter[int] = Counter()  # sends refused, by SMSC error code
        self.started = time.monotonic()

    @contextlib.contextmanager
    def refusals(self) -> Iterator[None]:
        """Count the SMSC error a send raises inside the block."""
        try:
            yield
        except APIError as exc:
            self.refused[exc.code] += 1
            raise

    def summary(self) -> str:
        """One line: recipients accepted and their rate, refusals by code."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        refused = dict(self.refused)
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(refused.items())) or "none"
        return (
            f"emulator: accepted {self.accepted} ({self.accepted / elapsed:.0f}/s) · "
            f"refused by code: {shown}"
        )
