"""What ``smsc bulk`` writes: the journal (for resuming) and the results CSV (for people).

The journal ``FILE.journal`` is append-only, one JSON object a line, keyed by row
number and checked against the row's key (message id and phones). The last line for a
row wins:

* ``sending``  — the row was handed to the transport (written before it can leave);
* ``accepted`` — SMSC accepted it (``id``, ``parts``, ``cost``, ``note``; and, when a
  recipient's status goes by another id than the row's — SMPP answers SMSC's own id,
  one per recipient — its ``phones`` and their ``ids``, in the same order);
* ``refused``  — SMSC or the transport said no (``error``; ``retry`` when a later run
  should try again: bad credentials, no funds, IP blocked, error 9, no connection);
* ``unknown``  — the request may have arrived but no answer came (timeout, lost link).

A row left ``sending`` or ``unknown`` is *in doubt*: it may have been accepted. Every
line is flushed to the operating system at once (a killed process loses nothing) and
``fsync``'d in batches (a power cut loses at most the last batch). A torn last line is
ignored on reading.

The results CSV has one line per input row, in input order: ``row, phone, id, parts,
cost, error, note``. It is rewritten from the start on every run; the journal is the
record that survives.
"""

from __future__ import annotations

import csv
import enum
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from smsc_transports.errors import ValidationError

__all__ = ["RESULT_COLUMNS", "Entry", "Journal", "ResultsWriter", "RowResult", "State"]

RESULT_COLUMNS = ("row", "phone", "id", "parts", "cost", "error", "note")
JOURNAL_VERSION = 1


class State(enum.StrEnum):
    """What the journal knows about a row."""

    SENDING = "sending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal line: what happened to row ``row`` whose message has ``key``.

    ``ids`` are ids SMSC gave the row other than its own ``id`` (SMPP assigns its own):
    one per phone when accepted; when in doubt, those of the parts answered before the
    link dropped. A later run asks for the status of a row in doubt by them too.
    """

    row: int
    key: str
    state: State
    id: str
    phones: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    parts: int | None = None
    cost: Decimal | None = None
    error: str = ""
    note: str = ""
    retry: bool = False

    @property
    def settled(self) -> bool:
        """Whether a later run leaves the row alone (accepted, or refused for good)."""
        return self.state is State.ACCEPTED or (self.state is State.REFUSED and not self.retry)

    @property
    def in_doubt(self) -> bool:
        """Whether the row may have been accepted without the journal knowing."""
        return self.state in (State.SENDING, State.UNKNOWN)

    def to_json(self) -> str:
        """Return the entry as one compact JSON line (without the newline)."""
        data: dict[str, Any] = {"row": self.row, "key": self.key, "state": str(self.state)}
        data["id"] = self.id
        if self.phones:
            data["phones"] = list(self.phones)
        if self.ids:
            data["ids"] = list(self.ids)
        if self.parts is not None:
            data["parts"] = self.parts
        if self.cost is not None:
            data["cost"] = str(self.cost)
        if self.error:
            data["error"] = self.error
        if self.note:
            data["note"] = self.note
        if self.retry:
            data["retry"] = True
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Entry | None:
        """Return the entry a journal line holds, or ``None`` for a line that is not one."""
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or "row" not in data:
                return None
            cost = data.get("cost")
            parts = data.get("parts")
            return cls(
                row=int(data["row"]),
                key=str(data["key"]),
                state=State(data["state"]),
                id=str(data.get("id", "")),
                phones=tuple(str(p) for p in data.get("phones", ())),
                ids=tuple(str(i) for i in data.get("ids", ())),
                parts=None if parts is None else int(parts),
                cost=None if cost is None else Decimal(str(cost)),
                error=str(data.get("error", "")),
                note=str(data.get("note", "")),
                retry=bool(data.get("retry", False)),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return None


class Journal:
    """The append-only journal of one bulk file; :attr:`latest` holds the last entry per row.

    ``restart`` empties an existing journal instead of reading it. Lines are flushed
    at once and ``fsync``'d every ``sync_every`` lines or ``sync_seconds`` seconds.
    """

    def __init__(
        self,
        path: Path,
        *,
        restart: bool = False,
        sync_every: int = 256,
        sync_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.latest: dict[int, Entry] = {}
        self.sync_every = sync_every
        self.sync_seconds = sync_seconds
        self._clock = clock
        self._torn = False
        if not restart and path.exists():
            self._load()
        try:
            self._stream: TextIO = path.open("w" if restart else "a", encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write the journal {path}: {exc.strerror}") from None
        if self._stream.tell() == 0:
            header = {"journal": "smsc bulk", "version": JOURNAL_VERSION}
            self._stream.write(json.dumps(header) + "\n")
        elif self._torn:
            # A crash mid-line left no newline: start ours on a fresh line.
            self._stream.write("\n")
        self._stream.flush()
        self._unsynced = 0
        self._synced_at = clock()

    def _load(self) -> None:
        with self.path.open("r", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                self._torn = not line.endswith("\n")
                entry = Entry.from_json(line)
                if entry is not None:
                    self.latest[entry.row] = entry

    @property
    def resumed(self) -> bool:
        """Whether an earlier run left entries to resume from."""
        return bool(self.latest)

    def in_doubt(self) -> list[Entry]:
        """The rows that may have been accepted without an answer being recorded."""
        return [entry for entry in self.latest.values() if entry.in_doubt]

    def record(self, entry: Entry) -> None:
        """Append ``entry`` (flushed now, fsync'd with its batch)."""
        self.latest[entry.row] = entry
        self._stream.write(entry.to_json() + "\n")
        self._stream.flush()
        self._unsynced += 1
        if (
            self._unsynced >= self.sync_every
            or self._clock() - self._synced_at >= self.sync_seconds
        ):
            self.sync()

    def sync(self) -> None:
        """Force the lines written so far to disk."""
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._unsynced = 0
        self._synced_at = self._clock()

    def close(self) -> None:
        """Sync and close the journal."""
        if not self._stream.closed:
            self.sync()
            self._stream.close()


@dataclass(frozen=True, slots=True)
class RowResult:
    """One line of the results CSV."""

    row: int
    phone: str
    id: str = ""
    parts: int | None = None
    cost: Decimal | None = None
    error: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        """Whether the row's message was accepted (in this run or an earlier one)."""
        return not self.error

    @classmethod
    def from_entry(cls, entry: Entry, phone: str, note: str = "") -> RowResult:
        """The result a journal entry stands for (``note`` replaces the entry's own)."""
        return cls(
            row=entry.row,
            phone=phone,
            id=entry.id,
            parts=entry.parts,
            cost=entry.cost,
            error=entry.error,
            note=note or entry.note,
        )


class ResultsWriter:
    """Writes the results CSV: the header, then one :class:`RowResult` per input row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._stream: TextIO = path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write the results {path}: {exc.strerror}") from None
        self._writer = csv.writer(self._stream)
        self._writer.writerow(RESULT_COLUMNS)

    def write(self, result: RowResult) -> None:
        """Append one result line."""
        self._writer.writerow(
            (
                result.row,
                result.phone,
                result.id,
                "" if result.parts is None else result.parts,
                "" if result.cost is None else result.cost,
                result.error,
                result.note,
            )
        )

    def flush(self) -> None:
        """Push buffered lines to the file."""
        self._stream.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if not self._stream.closed:
            self._stream.close()
