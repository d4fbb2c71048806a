"""Fixtures for the SMTP tests: TLS material, a capturing server, the emulator's SMTP front end.

* ``tls_files`` — a self-signed certificate for ``localhost``/``127.0.0.1`` and its key
  (made once per session with the ``openssl`` command), ``server_tls`` a server context.
* ``capture`` — a plain :class:`~tests.backends.smtp.servers.CaptureServer`; tests needing TLS,
  AUTH or PIPELINING build their own with ``CaptureServer(...)``.
* ``smtp_emulator`` — a running emulator (manual clock) with the SMTP front end on
  plain text; :func:`emulator_with_smtp` builds variants.
* :func:`smtp_url` — the settings URL for a port, SMSC account and options.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import pytest

from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.emulator.smtp import SmtpFrontEnd
from tests.backends.smtp.servers import CaptureServer

T = TypeVar("T")

LOGIN = "demo"
PASSWORD = "pa$$-w0rd&#+"  # needs escaping in a URL; cannot hide in a shorter string


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a fresh event loop (the project has no async test plugin)."""
    return asyncio.run(coro)


def smtp_url(
    port: int,
    *,
    scheme: str = "smtp",
    login: str = LOGIN,
    password: str = PASSWORD,
    **options: str,
) -> str:
    """``smtp://login:password@127.0.0.1:PORT?timeout=10&...`` with everything escaped."""
    query = urlencode({"timeout": "10", **options})
    credentials = f"{quote(login, safe='')}:{quote(password, safe='')}"
    return f"{scheme}://{credentials}@127.0.0.1:{port}?{query}"


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    """A plain capturing SMTP server (no TLS, no AUTH, no PIPELINING)."""
    with CaptureServer() as server:
        yield server


@contextlib.contextmanager
def emulator_with_smtp(**front: Any) -> Iterator[tuple[Emulator, SmtpFrontEnd]]:
    """An emulator on a manual clock, ``demo``/PASSWORD with 1000 RUB, plus its SMTP front end.

    ``front`` goes to :class:`SmtpFrontEnd` (``tls_context``, ``implicit_tls``,
    ``auth_users``, ``auth_required``).
    """
    fronts: list[SmtpFrontEnd] = []

    def factory(state: Any) -> SmtpFrontEnd:
        fronts.append(SmtpFrontEnd(state, **front))
        return fronts[-1]

    account = Account(LOGIN, PASSWORD, balance=Decimal("1000.00"))
    with Emulator([account], clock=ManualClock(), front_ends=[factory]) as emulator:
        yield emulator, fronts[0]


@pytest.fixture
def smtp_emulator() -> Iterator[tuple[Emulator, SmtpFrontEnd]]:
    """A running emulator with a plain SMTP front end."""
    with emulator_with_smtp() as running:
        yield running
