"""The wire layer's tests never touch the network: any socket they open fails the test.

Formats and protocol state are tested with bytes literals and values (urllib3's
split between ``test/`` and ``test/with_dummyserver/``), so ``pytest tests/wire`` runs
in seconds and documents the formats; a test that needs a live peer belongs under
``tests/backends`` or ``tests/emulator``.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest


class _NoSocket(socket.socket):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a test of the wire layer opened a socket")


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every new socket for the duration of each wire test."""
    monkeypatch.setattr(socket, "socket", _NoSocket)
