"""The HTTP backend against hostile answers (issue 11, items 6 and 7), on loopback sockets.

A server that answers with absurd numbers, or echoes the password back in its error
text: each ends in a typed error with no secret in it.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from smsc_transports import (
    APIError,
    AuthenticationError,
    Message,
    ProtocolError,
    create_transport,
)
from tests.faults import CannedServer, http_answer

PASSWORD = "dummy/pw?#x"
JSON = "application/json"
BALANCE = http_answer(
    json.dumps({"balance": "100.00", "currency": "RUB"}).encode(), content_type=JSON
)


def _url(port: int, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"http://shop:{quote(PASSWORD, safe='')}@127.0.0.1:{port}" + (
        f"?{query}" if query else ""
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"status":1e5000}',
        b'{"error_code":1e5000}',
        b'{"id":1,"cnt":1e5000}',
        b'{"id":1,"cnt":1e999999}',
        b'{"id":1,"cnt":1,"phones":[{"phone":"79991234567","status":1e5000}]}',
    ],
)
def test_absurd_numbers_in_an_answer_are_protocol_errors(body: bytes) -> None:
    with (
        CannedServer(http_answer(body, content_type=JSON)) as server,
        create_transport(_url(server.port, timeout="5")) as transport,
    ):
        with pytest.raises(ProtocolError):
            transport.send(Message("79991234567", "hi"))
        with pytest.raises(ProtocolError):
            transport.status("1", "79991234567")


@pytest.mark.parametrize(
    "error_text",
    [
        f"wrong password {PASSWORD}",
        f"login=shop&psw={quote(PASSWORD, safe='')} refused",
        "psw=whatever-it-was refused",
        "bad\x1b[2J\r\nX-Injected: yes",
    ],
)
def test_the_server_error_text_reaches_the_exception_masked(error_text: str) -> None:
    answer = http_answer(
        json.dumps({"error": error_text, "error_code": 2}).encode(), content_type=JSON
    )
    with (
        CannedServer(answer) as server,
        create_transport(_url(server.port, timeout="5")) as transport,
    ):
        with pytest.raises(AuthenticationError) as caught:
            transport.balance()
    error: APIError = caught.value
    for text in (str(error), error.message, repr(error)):
        assert PASSWORD not in text
        assert quote(PASSWORD, safe="") not in text
        assert "whatever-it-was" not in text
        assert "\x1b" not in text
        assert "\r" not in text


def test_an_api_key_echoed_in_the_error_text_is_masked() -> None:
    answer = http_answer(
        json.dumps({"error": "unknown apikey K3Y-secret-1", "error_code": 2}).encode(),
        content_type=JSON,
    )
    with CannedServer(answer) as server:
        url = f"http://127.0.0.1:{server.port}?apikey=K3Y-secret-1&timeout=5"
        with create_transport(url) as transport, pytest.raises(AuthenticationError) as caught:
            transport.balance()
    assert "K3Y-secret-1" not in str(caught.value)
