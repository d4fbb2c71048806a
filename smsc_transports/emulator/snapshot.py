"""A snapshot file of the emulator's state, so a restarted emulator keeps what its users
set up: accounts, messages, short links, jobs and sender names.

:class:`SnapshotFile` loads the file at start (when it exists), writes it every
``interval`` seconds from a daemon thread (when an interval is given) and once more at
stop. The file is JSON (:meth:`EmulatorState.snapshot
<smsc_transports.emulator.state.smsc.EmulatorState.snapshot>`): accounts with their
balances, passwords and API keys, every message sent with its status timeline, every
incoming message, the short links with their clicks, the ``jobs.php`` mailings, the
sender names asked for over ``senders.php`` (confirmed or still waiting for their
code), contact groups, the id counters and the clock's time; not the rate-limit and
IP-block windows, which a restart starts afresh like a new minute. It is written to a
temporary file beside it and renamed over it, so a crash mid-write leaves the previous
snapshot whole; it is created readable by its owner only, since it holds the accounts'
passwords (and the codes texted to sender numbers).

On load, the clock continues from the snapshot's time: a
:class:`~.state.clock.ScaledClock` that does not run at the wall clock's pace (speed
other than 1: stopped, or faster) resumes exactly there, as if the emulator had never
stopped; any other clock that can be moved and is behind is moved forward to it, so no
status goes back in time after a restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from smsc_transports.emulator.state.clock import is_date
from smsc_transports.emulator.state.smsc import EmulatorState

__all__ = ["SnapshotFile"]

log = logging.getLogger(__name__)


class SnapshotFile:
    """``state`` kept in ``path``: :meth:`load`, :meth:`save`, and a periodic writer."""

    def __init__(
        self, path: str | os.PathLike[str], state: EmulatorState, *, interval: float | None = None
    ) -> None:
        if interval is not None and not interval > 0:
            raise ValueError("the snapshot interval is a number of seconds above 0")
        self.path = Path(path)
        self.state = state
        self.interval = interval
        self.saves = 0
        self.loaded = False
        """Whether :meth:`load` found a snapshot and restored it."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def load(self) -> bool:
        """Restore the state from the file if it exists; return whether it did.

        Raises :class:`ValueError` naming the file, and the key when there is one, when
        it cannot be read as a snapshot — whatever the file holds (bytes that are not
        UTF-8, JSON nested past the parser's depth, a clock of ``Infinity``), one line
        and nothing half loaded.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise ValueError(f"cannot read snapshot {self.path}: {exc.strerror or exc}") from None
        try:
            image = json.loads(_text(data))
            saved = _saved_clock(image)
            self.state.restore(image)
        except RecursionError:
            raise ValueError(f"snapshot {self.path} is damaged: nested too deep") from None
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"snapshot {self.path} is damaged: {exc}") from None
        clock = self.state.clock
        resume = getattr(clock, "resume", None)
        move_to = getattr(clock, "set", None)
        if saved is None:
            pass
        elif callable(resume) and getattr(clock, "speed", 1.0) != 1.0:
            resume(saved)
        elif callable(move_to) and saved > clock():
            move_to(saved)
        self.loaded = True
        return True

    def save(self) -> None:
        """Write the state to the file, atomically (a temporary file renamed over it).

        Raises :class:`OSError` whose text names the file when it cannot be written.
        """
        text = json.dumps(self.state.snapshot(), ensure_ascii=False, indent=1)
        folder = self.path.parent
        with self._lock:
            try:
                handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
            except OSError as exc:
                reason = f"cannot write snapshot {self.path}: {exc.strerror or exc}"
                raise OSError(exc.errno, reason) from None
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self.saves += 1

    def start(self) -> None:
        """Start writing every ``interval`` seconds (nothing when no interval was given)."""
        if self.interval is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="smsc-emulator-snapshot", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the periodic writer and write the file one last time (a failure is logged:
        the emulator is stopping either way)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(10.0)
        try:
            self.save()
        except OSError as exc:
            log.error("%s", exc.strerror or exc)

    def _run(self) -> None:
        assert self.interval is not None
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except OSError as exc:  # a full disk must not stop the emulator; stop() retries
                log.warning("%s", exc.strerror or exc)


def _text(data: bytes) -> str:
    """The file's bytes as text: UTF-8, a byte-order mark (an editor's) allowed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None


def _saved_clock(image: object) -> float | None:
    """The snapshot's time, if it has one; ``ValueError`` for one no clock can show."""
    saved = image.get("clock") if isinstance(image, dict) else None
    if saved is None:
        return None
    if isinstance(saved, bool) or not isinstance(saved, int | float) or not is_date(saved):
        raise ValueError("clock: expected a finite number of seconds, a time from 1970 to 9999")
    return float(saved)
