"""Every HTTP call has a total deadline (issue 11, item 5), on real loopback sockets.

``timeout`` bounds one attempt from connect to the last byte of the answer, not each
read: a server that drips one byte every 0.4 s used to keep ``balance()`` busy for
as long as it liked with ``timeout=1``.
"""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from smsc_transports import Message, TransportTimeout, create_transport
from tests.faults import CannedServer, DrippingServer, endless_streamer, http_answer

PASSWORD = "dummy/pw?#x"
BALANCE = http_answer(
    json.dumps({"balance": "100.00", "currency": "RUB"}).encode(),
    content_type="application/json",
)
HEAD_LENGTH = BALANCE.index(b"\r\n\r\n") + 4
# Far longer than any test runs; a hang guard, not a measured duration.
HANG_GUARD = 30.0


def _url(port: int, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"http://shop:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?{query}"


@pytest.mark.parametrize("operation", ["balance", "send", "status"])
def test_a_dripping_server_is_cut_off_at_the_deadline(operation: str) -> None:
    # Each byte comes well inside the read timeout; the whole answer would take ~60 s.
    with (
        DrippingServer(BALANCE, interval=0.4) as server,
        create_transport(_url(server.port, timeout="1")) as transport,
    ):
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            if operation == "balance":
                transport.balance()
            elif operation == "send":
                transport.send(Message("79991234567", "hi"))
            else:
                transport.status("1", "79991234567")
        assert time.monotonic() - started < HANG_GUARD
    assert server.finished == 0
    assert PASSWORD not in str(caught.value)
    assert "1" in str(caught.value)  # says which deadline passed


def test_a_drip_after_the_headers_is_cut_off_too() -> None:
    with (
        DrippingServer(BALANCE, interval=0.4, prompt=HEAD_LENGTH) as server,
        create_transport(_url(server.port, timeout="1")) as transport,
    ):
        started = time.monotonic()
        with pytest.raises(TransportTimeout):
            transport.balance()
        assert time.monotonic() - started < HANG_GUARD
    assert server.finished == 0


def test_a_dripping_tls_server_is_cut_off_too(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with DrippingServer(BALANCE, interval=0.4, tls=server_tls) as server:
        url = f"https://shop:pw@127.0.0.1:{server.port}?timeout=1&verify={tls_files[0]}"
        with create_transport(url) as transport:
            started = time.monotonic()
            with pytest.raises(TransportTimeout):
                transport.balance()
            assert time.monotonic() - started < HANG_GUARD
    assert len(server.requests) == 1  # the TLS handshake and the request went through
    assert server.finished == 0


def test_an_answer_inside_the_deadline_is_read() -> None:
    with (
        DrippingServer(BALANCE, interval=0.001) as server,
        create_transport(_url(server.port, timeout="20")) as transport,
    ):
        assert str(transport.balance().amount) == "100.00"
    assert server.finished == 1


def test_a_call_after_a_cut_off_one_is_served() -> None:
    with CannedServer(BALANCE) as good, DrippingServer(BALANCE) as slow:
        with create_transport(_url(slow.port, timeout="1", backup_hosts="")) as transport:
            with pytest.raises(TransportTimeout):
                transport.balance()
        with create_transport(_url(good.port, timeout="1")) as transport:
            for _ in range(3):
                assert str(transport.balance().amount) == "100.00"


def test_a_read_fails_over_to_the_next_host_after_the_deadline() -> None:
    with CannedServer(BALANCE) as good, DrippingServer(BALANCE) as slow:
        url = _url(slow.port, timeout="1", backup_hosts=f"127.0.0.1:{good.port}")
        with create_transport(url) as transport:
            assert str(transport.balance().amount) == "100.00"
    assert len(slow.requests) == 1
    assert len(good.requests) == 1
    assert slow.finished == 0


def test_a_send_is_not_repeated_after_the_deadline() -> None:
    with CannedServer(BALANCE) as good, DrippingServer(BALANCE) as slow:
        url = _url(slow.port, timeout="1", backup_hosts=f"127.0.0.1:{good.port}")
        with create_transport(url) as transport, pytest.raises(TransportTimeout):
            transport.send(Message("79991234567", "hi"))
    assert len(slow.requests) == 1
    assert good.requests == []  # it may have arrived: never sent a second time


def test_a_server_that_never_stops_sending_is_cut_off_past_the_deadline() -> None:
    # Past its deadline a call still reads what has already arrived (an answer that came
    # in time is not late), but a server that keeps sending, faster than the client
    # reads, does not keep it reading: kept reading, the call would end when the server
    # stops, 30 s on, in a ProtocolError (the connection closed inside a chunk).
    with (
        endless_streamer(BALANCE, b"") as port,
        create_transport(_url(port, timeout="1")) as transport,
    ):
        with pytest.raises(TransportTimeout):
            transport.balance()
