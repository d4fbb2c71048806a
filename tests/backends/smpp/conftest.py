"""Fixtures for the SMPP tests: the emulator's SMPP front end on a manual clock.

* ``clock`` — a :class:`ManualClock` driving message statuses (and so receipts).
* ``state`` — an :class:`EmulatorState` on ``clock``: ``demo``/``demo`` with a large
  balance, every rate limit off (tests of SMSC's limits build their own).
* ``front`` — the SMPP front end on ``state``, started on a free port.
* :func:`smpp_url` — a settings URL with short timeouts for a port and options.
* ``tls_files`` / ``server_tls`` — a self-signed certificate for 127.0.0.1 (openssl).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from smsc_transports.emulator import Account, EmulatorState, Limits, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd

FAST = {
    "timeout": "5",
    "response_timeout": "5",
    "reconnect_delay": "0.05",
    "reconnect_max_delay": "0.2",
    "close_timeout": "2",
}


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition`` holds within ``timeout`` seconds (polled; never hangs).

    For effects in another thread or process, like the server noticing a closed link.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def smpp_url(port: int, *, scheme: str = "smpp", login: str = "demo", **options: str) -> str:
    """``smpp://demo:demo@127.0.0.1:PORT?...`` with short timeouts unless overridden."""
    query = urlencode({**FAST, **options})
    return f"{scheme}://{login}:demo@127.0.0.1:{port}?{query}"


@pytest.fixture
def clock() -> ManualClock:
    """The emulator's clock: statuses (and receipts) move only when a test says so."""
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> EmulatorState:
    """An emulator state with a rich ``demo``/``demo`` and no rate limits."""
    rich = Account("demo", "demo", balance=Decimal("1000000"))
    return EmulatorState([rich], clock=clock, limits=Limits.unlimited())


@pytest.fixture
def front(state: EmulatorState) -> Iterator[SmppFrontEnd]:
    """The SMPP front end on ``state``, listening on a free loopback port."""
    with SmppFrontEnd(state, poll_interval=0.01) as running:
        yield running
