"""The emulator under hostile clients (issue 11, item 12), on real loopback sockets.

Each case used to end in a 500 carrying a Python error text (and a traceback in the
emulator's log), or in a stall; each must be a clean protocol answer, with nothing
logged as a crash, and the emulator must keep serving.
"""

from __future__ import annotations

import errno
import logging
import select
import smtplib
import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, EmulatorState
from smsc_transports.emulator.http import front as http_front
from smsc_transports.emulator.smtp import SmtpFrontEnd

LOGIN, PASSWORD = "demo", "demo"
GOOD_BODY = f"{LOGIN}:{PASSWORD}::0:0,0,,0:79990000001:hi"


def no_crash_logged(caplog: pytest.LogCaptureFixture) -> None:
    crashes = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert crashes == [], [r.getMessage() for r in crashes]


@pytest.fixture
def smtp_front() -> Iterator[SmtpFrontEnd]:
    state = EmulatorState([Account(LOGIN, PASSWORD, balance=Decimal(100))])
    running = SmtpFrontEnd(state)
    running.start()
    yield running
    running.stop()


def _send(front: SmtpFrontEnd, data: bytes) -> tuple[int, str]:
    """Send one message; return the reply to its data (code, text)."""
    with smtplib.SMTP("127.0.0.1", front.port, timeout=10) as client:
        client.ehlo()
        client.mail("api@smsc.ru")
        client.rcpt("send@send.smsc.ru")
        code, text = client.data(data)
    return code, text.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "data",
    [
        b'Content-Type: text/plain; charset="utf\x00 8"\r\n\r\n' + GOOD_BODY.encode(),
        b'Content-Type: text/plain; charset="utf\x008"\r\n\r\n' + GOOD_BODY.encode(),
        b"Content-Type: text/plain; charset=undefined\r\n\r\n" + GOOD_BODY.encode(),
        b"Content-Type: text/plain; charset=punycode\r\n\r\n" + GOOD_BODY.encode(),
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + f"{LOGIN}:{PASSWORD}:::{'9' * 4400},0,,0:79990000001:hi".encode(),
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + f"{LOGIN}:{PASSWORD}:::0,{'9' * 4400},,0:79990000001:hi".encode(),
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + f"{LOGIN}:{PASSWORD}:::0,0,,{'1' * 4400}:79990000001:hi".encode(),
    ],
)
def test_a_hostile_mail_gets_an_smsc_refusal_not_a_python_error(
    smtp_front: SmtpFrontEnd, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        code, text = _send(smtp_front, data)
    assert code == 550, text
    assert "SMSC error 1" in text
    assert "Error: (" not in text  # aiosmtpd's wording for a handler that raised
    assert "Exceeds the limit" not in text
    no_crash_logged(caplog)
    good = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + GOOD_BODY.encode()
    assert _send(smtp_front, good)[0] == 250  # and it keeps serving


def test_a_hundred_thousand_deep_json_is_an_smsc_error(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    with caplog.at_level(logging.DEBUG):
        answer = requests.post(
            f"{emulator.http_url}/rest/send/",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["error_code"] == 1
    no_crash_logged(caplog)
    still = requests.get(
        f"{emulator.http_url}/sys/balance.php",
        params={"login": "demo", "psw": "demo", "fmt": "3"},
        timeout=10,
    )
    assert "balance" in still.json()


def test_a_burst_of_connections_fits_the_listen_backlog() -> None:
    # The server listens but nobody accepts: what the kernel completes on its own is
    # exactly what the backlog holds (Python's default of 5 held 6 of these 100).
    server = http_front._Server(("127.0.0.1", 0), http_front._Handler)
    clients: list[socket.socket] = []
    try:
        port = server.server_address[1]
        for _ in range(100):
            client = socket.socket()
            client.setblocking(False)
            assert client.connect_ex(("127.0.0.1", port)) in (0, errno.EINPROGRESS)
            clients.append(client)
        pending = set(clients)
        connected = 0
        while pending:  # a hang guard only: loopback handshakes complete at once
            _, ready, _ = select.select([], list(pending), [], 3.0)
            if not ready:
                break
            for client in ready:
                pending.discard(client)
                connected += client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        assert connected == 100
    finally:
        for client in clients:
            client.close()
        server.server_close()
