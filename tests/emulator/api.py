"""Helpers for the emulator tests: SMSC requests with ``requests``, the emulator command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from smsc_transports.emulator import Emulator

CREDENTIALS = {"login": "demo", "psw": "demo"}


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


@contextmanager
def emulator_process(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m smsc_transports.emulator --http-port 0 OPTIONS`` and its HTTP base URL.

    Yields once the ready line is read (fails after 20 s without one); the process is
    killed at exit if the test has not stopped it, and its pipes are closed.
    """
    command = [sys.executable, "-m", "smsc_transports.emulator", "--http-port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(20)
        assert lines, "no ready line within 20 s"
        match = re.fullmatch(r"emulator ready http=(\d+)(?: \w+=\d+)*\n", lines[0])
        assert match, lines[0]
        yield process, f"http://127.0.0.1:{match[1]}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
