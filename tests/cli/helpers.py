"""Helpers for the CLI tests: CSV files in, results CSV and emulator history out."""

from __future__ import annotations

import csv
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from smsc_transports.emulator import Emulator

SMSC = Path(sys.executable).with_name("smsc")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """Write a CSV with ``header`` and ``rows``; return its path."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_results(path: Path) -> list[dict[str, str]]:
    """The results CSV as dicts, header checked."""
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        assert reader.fieldnames == ["row", "phone", "id", "parts", "cost", "error", "note"]
        return list(reader)


def history_phones(emulator: Emulator, login: str = "demo") -> Counter[str]:
    """How many times the emulator's history holds each phone."""
    account = emulator.state.authenticate(login, login)
    return Counter(record.phone for record in emulator.state.history(account, cnt=100_000))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Running:
    """``smsc`` in a subprocess, its stderr read line by line by a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [str(SMSC), *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def wait_for_line(self, fragment: str, timeout: float = 30.0) -> str:
        """Return the first stderr line containing ``fragment``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no stderr line with {fragment!r}: {self.stderr}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if fragment in line:
                return line

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        """Wait for the exit; return the status and stdout."""
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        code = self.process.wait(timeout)
        self._reader.join(5)
        self.process.stdout.close()
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code, out

    def kill(self) -> None:
        """Kill the process if it still runs (test clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
        self.finish()
