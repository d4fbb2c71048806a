"""The guard of tests/wire/conftest.py holds: a wire test cannot reach the network."""

from __future__ import annotations

import socket

import pytest


def test_a_wire_test_cannot_open_a_socket() -> None:
    with pytest.raises(AssertionError, match="opened a socket"):
        socket.socket()
    with pytest.raises(AssertionError, match="opened a socket"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
