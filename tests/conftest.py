"""Shared pytest fixtures: a running SMSC emulator on a manual clock.

* ``manual_clock`` — a :class:`~smsc_transports.emulator.ManualClock`; move time with
  ``manual_clock.advance(seconds)``.
* ``emulator`` — a fresh, running :class:`~smsc_transports.emulator.Emulator` per test
  on ``manual_clock``: account ``demo``/``demo`` with 100.00 RUB, SMSC's default
  limits, statuses -1 → 0 after 1 s → final after 3 s of the manual clock. Use
  ``emulator.url()`` (``http://demo:demo@127.0.0.1:PORT``) for ``create_transport``,
  ``emulator.http_url`` for raw requests, ``emulator.state`` to inspect or seed it.
* ``shared_emulator`` — one emulator for the whole session on the real clock, with
  every rate limit and the IP block (error 4) off and ``demo``/``demo`` holding
  1 000 000.00 RUB; for tests that only need a live peer and do not care about time
  or leftovers from other tests.
"""

from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_transports.emulator import Account, Emulator, Limits, ManualClock

TESTS = Path(__file__).resolve().parent
PROTOCOLS = ("http", "smtp", "smpp", "soap")

# A shell that starts a job in the background sets SIGINT to "ignore", and an ignored
# signal stays ignored across exec: the subprocesses that tests stop with SIGINT would
# then never see it. A handled signal is reset to its default on exec, so handling it
# here gives every child a working SIGINT.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the protocols its path names, so ``-m smpp`` spans every layer."""
    for item in items:
        where = item.path.relative_to(TESTS)
        words = {*where.parts[:-1], *where.stem.split("_")}
        for protocol in PROTOCOLS:
            if protocol in words:
                item.add_marker(protocol)


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test calls ``advance``."""
    return ManualClock()


@pytest.fixture
def emulator(manual_clock: ManualClock) -> Iterator[Emulator]:
    """A running emulator on ``manual_clock`` with ``demo``/``demo`` and 100.00 RUB."""
    with Emulator(clock=manual_clock) as running:
        yield running


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    """A session-wide emulator on the real clock, no rate limits, a very rich ``demo``."""
    rich = Account("demo", "demo", balance=Decimal("1000000.00"))
    with Emulator([rich], limits=Limits.unlimited()) as running:
        yield running


@pytest.fixture
def one_at_a_time() -> Iterator[Emulator]:
    """An emulator that refuses a second request in flight with error 9, as SMSC refuses
    a sixteenth, and no other limit."""
    rich = Account("demo", "demo", balance=Decimal("100.00"))
    with Emulator([rich], limits=Limits(max_in_flight=1, duplicate_window=None)) as running:
        yield running


def require_command(name: str, why: str) -> None:
    """Fail (never skip) when a command the suite relies on is missing: a skipped test
    would pass over what it exists to check."""
    if shutil.which(name) is None:
        pytest.fail(f"the {name} command is needed {why}")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate valid for localhost and 127.0.0.1, and its key."""
    require_command("openssl", "to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context holding the test certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context
