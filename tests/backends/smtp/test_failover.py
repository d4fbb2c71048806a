"""SMTP backup hosts: another host only when the message cannot have reached the first.

Real servers on loopback: a dead port (nothing listens: connection refused), a
capturing aiosmtpd server that misbehaves on cue, and the emulator's SMTP front end.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from smsc_transports import (
    ConfigurationError,
    ConnectError,
    Message,
    OutcomeUnknown,
    create_async_transport,
    create_transport,
)
from tests.backends.smtp.conftest import LOGIN, emulator_with_smtp, run, smtp_url
from tests.backends.smtp.servers import CaptureServer
from tests.faults import Listener, closed_port


class RefusingGreeter(Listener):
    """An SMTP server that greets every connection with 554 and hangs up."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0)
        self.connections = 0

    def serve(self, conn: socket.socket) -> None:
        """Refuse the session before any command."""
        self.connections += 1
        conn.sendall(b"554 5.3.2 no service here\r\n")


@contextlib.contextmanager
def dead_ports(count: int) -> Iterator[list[int]]:
    """``count`` loopback ports nothing listens on."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(closed_port()) for _ in range(count)]


def _backups(*ports: int) -> str:
    return ",".join(f"127.0.0.1:{port}" for port in ports)


def test_a_refused_connection_fails_over_to_the_backup_host() -> None:
    with emulator_with_smtp() as (emulator, front), closed_port() as dead:
        url = smtp_url(dead, backup_hosts=_backups(front.port))
        with create_transport(url) as transport:
            result = transport.send(Message("79990000001", "via the backup"))
        stored = emulator.state.status(
            emulator.state.account(LOGIN), result.id, "79990000001", throttled=False
        )
    assert stored.text == "via the backup"


def test_a_greeting_refusal_fails_over_too() -> None:
    with emulator_with_smtp() as (emulator, front), RefusingGreeter() as refusing:
        url = smtp_url(refusing.port, backup_hosts=_backups(front.port))
        with create_transport(url) as transport:
            result = transport.send(Message("79990000001", "past the refusal"))
        stored = emulator.state.status(
            emulator.state.account(LOGIN), result.id, "79990000001", throttled=False
        )
    assert refusing.connections == 1
    assert stored.text == "past the refusal"


def test_the_async_transport_fails_over_the_same_way() -> None:
    with emulator_with_smtp() as (emulator, front), closed_port() as dead:
        url = smtp_url(dead, backup_hosts=_backups(front.port))

        async def send() -> str:
            transport = create_async_transport(url)
            try:
                return (await transport.send(Message("79990000001", "async backup"))).id
            finally:
                await transport.aclose()

        sent = run(send())
        stored = emulator.state.status(
            emulator.state.account(LOGIN), sent, "79990000001", throttled=False
        )
    assert stored.text == "async backup"


def test_a_link_lost_after_the_data_never_fails_over() -> None:
    with CaptureServer() as first, CaptureServer() as backup:
        first.faults.drop_after_data.add(1)
        url = smtp_url(first.port, backup_hosts=_backups(backup.port))
        with create_transport(url) as transport:
            with pytest.raises(OutcomeUnknown):
                transport.send(Message("79990000001", "maybe arrived", id="m-1"))
            # The main host is back for the next message: it goes there, not to the backup.
            transport.send(Message("79990000001", "next"))
        assert len(first.messages) == 2
        assert backup.messages == []


def test_every_host_dead_is_a_connect_error_naming_the_last_one() -> None:
    with dead_ports(3) as (first, second, last):
        url = smtp_url(first, backup_hosts=_backups(second, last))
        with create_transport(url) as transport:
            with pytest.raises(ConnectError) as failed:
                transport.send(Message("79990000001", "nowhere"))
    assert f"127.0.0.1:{last}" in str(failed.value)


def test_a_bad_backup_port_is_refused_when_the_transport_is_built() -> None:
    with pytest.raises(ConfigurationError):
        create_transport(smtp_url(25, backup_hosts="127.0.0.1:99999"))
