"""SMTP backup hosts: another host only when the message cannot have reached the first.

Real servers on loopback: a dead port (nothing listens: connection refused), a
capturing aiosmtpd server that misbehaves on cue, and the emulator's SMTP front end.
"""

from __future__ import annotations

import socket

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


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backups(*ports: int) -> str:
    return ",".join(f"127.0.0.1:{port}" for port in ports)


def test_a_refused_connection_fails_over_to_the_backup_host() -> None:
    with emulator_with_smtp() as (emulator, front):
        url = smtp_url(dead_port(), backup_hosts=_backups(front.port))
        with create_transport(url) as transport:
            result = transport.send(Message("79990000001", "via the backup"))
        stored = emulator.state.status(
            emulator.state.account(LOGIN), result.id, "79990000001", throttled=False
        )
    assert stored.text == "via the backup"


def test_the_async_transport_fails_over_the_same_way() -> None:
    with emulator_with_smtp() as (emulator, front):
        url = smtp_url(dead_port(), backup_hosts=_backups(front.port))

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
    last = dead_port()
    url = smtp_url(dead_port(), backup_hosts=_backups(dead_port(), last))
    with create_transport(url) as transport:
        with pytest.raises(ConnectError) as failed:
            transport.send(Message("79990000001", "nowhere"))
    assert f"127.0.0.1:{last}" in str(failed.value)


def test_a_bad_backup_port_is_refused_when_the_transport_is_built() -> None:
    with pytest.raises(ConfigurationError):
        create_transport(smtp_url(25, backup_hosts="127.0.0.1:99999"))
