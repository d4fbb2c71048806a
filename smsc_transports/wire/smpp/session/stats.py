"""The SMPP transport's counters."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SmppStats"]


@dataclass(slots=True)
class SmppStats:
    """Counters of one transport's life (a copy is returned by ``stats()``)."""

    written: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    throttled: int = 0
    binds: int = 0
    receipts: int = 0
    uncorrelated_receipts: int = 0
    incoming: int = 0
    dropped_events: int = 0
    malformed: int = 0

    def copy(self) -> SmppStats:
        """A snapshot, safe to keep while the transport goes on counting."""
        return SmppStats(**{name: getattr(self, name) for name in self.__slots__})
