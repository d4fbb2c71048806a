"""Fixtures for the SOAP tests: an emulator and the URL its SOAP endpoint answers on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from smsc_transports.emulator import Account, Emulator, ManualClock
from tests.backends.soap.endpoint import soap_port

SECRET = "dummy-pw&<x>"  # the password of the "shop" account: never in a log or an error


@dataclass
class SoapPeer:
    """A running emulator with its SOAP port; ``url()`` builds settings URLs for it."""

    emulator: Emulator
    port: int
    clock: ManualClock

    def url(self, login: str = "demo", password: str = "demo", **options: str | int) -> str:
        """``soap+http://login:password@127.0.0.1:PORT?options`` (values not escaped)."""
        from urllib.parse import quote

        query = "&".join(f"{k}={v}" for k, v in options.items())
        auth = f"{quote(login, safe='')}:{quote(password, safe='')}"
        return f"soap+http://{auth}@127.0.0.1:{self.port}" + (f"?{query}" if query else "")


@pytest.fixture
def peer(manual_clock: ManualClock) -> Iterator[SoapPeer]:
    """A fresh emulator on ``manual_clock``: ``demo``/``demo`` (100.00) and ``shop``."""
    shop = Account("shop", SECRET, balance=Decimal("5.00"))
    with Emulator(clock=manual_clock) as emulator:
        emulator.state.add_account(shop)
        with soap_port(emulator) as port:
            yield SoapPeer(emulator, port, manual_clock)
