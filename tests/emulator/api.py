"""A thin raw-HTTP helper for the emulator tests: SMSC requests with ``requests``."""

from __future__ import annotations

import json
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
