"""Helpers for the emulator tests: SMSC requests with ``requests``, the emulator command."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from smsc_transports.emulator import Emulator

CREDENTIALS = {"login": "demo", "psw": "demo"}
ROOT = Path(__file__).resolve().parents[2]


class Api:
    """Calls ``/sys/<command>.php`` on an emulator and decodes answers."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = emulator.http_url
        self.session = requests.Session()

    def raw(
        self, command: str, *, method: str = "POST", auth: bool = True, **params: Any
    ) -> requests.Response:
        """The HTTP response to ``command`` with ``params`` (credentials added).

        ``requests`` encodes text as UTF-8, so ``charset=utf-8`` is sent unless the test
        names another (or passes ``charset=None`` to test SMSC's windows-1251 default).
        """
        params.setdefault("charset", "utf-8")
        fields = {**CREDENTIALS, **params} if auth else dict(params)
        fields = {k: v for k, v in fields.items() if v is not None}
        url = f"{self.base}/sys/{command}.php"
        if method == "GET":
            return self.session.get(url, params=fields, timeout=10)
        return self.session.post(url, data=fields, timeout=10)

    def text(self, command: str, **params: Any) -> str:
        """The answer as text, decoded with the charset asked for."""
        answer = self.raw(command, **params)
        assert answer.status_code == 200, answer.text
        return answer.content.decode(params.get("charset", "utf-8") or "windows-1251")

    def json(self, command: str, **params: Any) -> Any:
        """The fmt=3 answer, parsed."""
        return json.loads(self.text(command, fmt=3, **params))

    def send(self, phones: str = "79990000001", mes: str = "hello", **params: Any) -> Any:
        """A fmt=3 send, parsed."""
        return self.json("send", phones=phones, mes=mes, **params)

    def status(self, id: object, phone: str = "79990000001", **params: Any) -> Any:
        """A fmt=3 status answer, parsed."""
        return self.json("status", id=id, phone=phone, **params)


class EmulatorProcess:
    """``python -m smsc_transports.emulator ARGS`` started in ``cwd``: its recorded PID, its
    ready line and the ports it names. Stopped only through that PID."""

    def __init__(self, args: list[str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smsc_transports.emulator", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.pid = self.process.pid
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            self.line = lines.get(timeout=30)
        except queue.Empty:
            self.kill()
            raise AssertionError("no ready line within 30 s") from None
        if not self.line.startswith("emulator ready "):
            self.kill()
            raise AssertionError(f"no ready line: {self.line!r}")
        self.ports = {name: int(port) for name, port in re.findall(r"(\w+)=(\d+)", self.line)}

    def url(self, path: str, scheme: str = "http") -> str:
        """``scheme://127.0.0.1:PORT`` + ``path``, on the port the ready line gave ``scheme``."""
        return f"{scheme}://127.0.0.1:{self.ports[scheme]}{path}"

    def terminate(self) -> int:
        """SIGTERM to the recorded PID; return the exit status."""
        os.kill(self.pid, signal.SIGTERM)
        status = self.process.wait(timeout=30)
        self.close()
        return status

    def kill(self) -> None:
        """SIGKILL to the recorded PID if it still runs; close the pipes."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(30)
        self.close()

    def close(self) -> None:
        """Close the pipes (after the process ended)."""
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def started_emulator(args: list[str], cwd: Path | None = None) -> Iterator[EmulatorProcess]:
    """An :class:`EmulatorProcess`, killed at exit if the test has not stopped it."""
    running = EmulatorProcess(args, cwd)
    try:
        yield running
    finally:
        running.kill()


@contextmanager
def emulator_process(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m smsc_transports.emulator --http-port 0 OPTIONS`` and its HTTP base URL.

    Yields once the ready line (``emulator ready http=PORT``, nothing else) is read; the
    process is killed at exit if the test has not stopped it, and its pipes are closed.
    """
    with started_emulator(["--http-port", "0", *options]) as running:
        assert re.fullmatch(r"emulator ready http=(\d+)(?: \w+=\d+)*\n", running.line), running.line
        yield running.process, running.url("")
