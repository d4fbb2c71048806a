"""The HTTP backend against misbehaving servers: every fault is a typed error, in bounded time.

The servers here are real sockets on loopback (see ``tests/faults.py``), not mocks.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, quote

import pytest

from smsc_transports import (
    ConnectError,
    Message,
    OutcomeUnknown,
    ProtocolError,
    TransportError,
    TransportTimeout,
    create_transport,
)
from tests.faults import CannedServer, Fault, FaultProxy, closed_port, http_answer

PASSWORD = "pa$$-w0rd&#+"
OK_ANSWER = http_answer(
    json.dumps({"id": 1, "cnt": 1, "cost": "1.40", "balance": "98.60"}).encode(),
    content_type="application/json; charset=windows-1251",
)


def _url(port: int, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"timeout": "2", **options}.items())
    return f"http://shop:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?{query}"


def _form(request: bytes) -> tuple[str, dict[str, list[str]]]:
    head, _, body = request.partition(b"\r\n\r\n")
    request_line = head.split(b"\r\n", 1)[0].decode()
    return request_line, parse_qs(body.decode("ascii"), keep_blank_values=True)


def test_credentials_travel_in_the_post_body_never_in_the_url() -> None:
    with CannedServer(OK_ANSWER) as server, create_transport(_url(server.port)) as transport:
        transport.send(Message("79991234567", "hi"))
    request_line, form = _form(server.requests[0])
    assert request_line == "POST /sys/send.php HTTP/1.1"
    assert form["login"] == ["shop"]
    assert form["psw"] == [PASSWORD]
    assert form["fmt"] == ["3"]
    assert form["charset"] == ["utf-8"]


@pytest.mark.parametrize(
    "text", ["a+b & c#d", "Строка 1\nСтрока 2", "100% = 50%+50%; x=y&z", "emoji 😀 and ~[]{}|^€"]
)
def test_every_character_survives_the_form_encoding(text: str) -> None:
    with CannedServer(OK_ANSWER) as server, create_transport(_url(server.port)) as transport:
        transport.send(Message("+79991234567", text, sender="My Shop"))
    _, form = _form(server.requests[0])
    assert form["mes"] == [text]
    assert form["phones"] == ["+79991234567"]
    assert form["sender"] == ["My Shop"]


def test_api_key_replaces_login_and_password() -> None:
    with CannedServer(OK_ANSWER) as server:
        url = f"http://127.0.0.1:{server.port}?apikey=K3Y-secret&timeout=2"
        with create_transport(url) as transport:
            transport.send(Message("79991234567", "x"))
    _, form = _form(server.requests[0])
    assert form["apikey"] == ["K3Y-secret"]
    assert "login" not in form
    assert "psw" not in form


def test_the_password_is_in_no_repr() -> None:
    with create_transport(_url(1)) as transport:
        assert PASSWORD not in repr(transport)
        client = getattr(transport, "client")  # noqa: B009
        assert PASSWORD not in repr(client)
        assert PASSWORD not in repr(vars(client))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (http_answer(b"<html><h1>502 Bad Gateway</h1></html>"), ProtocolError),
        (http_answer(b"<html>oops</html>", "500 Internal Server Error"), TransportError),
        (http_answer(b"", content_type="application/json"), ProtocolError),
        (http_answer(b'{"id": 1, "cn', content_type="application/json"), ProtocolError),
        (http_answer(b"\x00\xff\xfe binary", content_type="application/json"), ProtocolError),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id":1', ProtocolError),
        (b"this is not http at all\r\n\r\n", TransportError),
        (http_answer(b"moved", "302 Found"), TransportError),
    ],
)
def test_bad_answers_become_typed_errors(answer: bytes, error: type[Exception]) -> None:
    with CannedServer(answer) as server, create_transport(_url(server.port)) as transport:
        with pytest.raises(error) as caught:
            transport.send(Message("79991234567", "hi"))
    assert PASSWORD not in str(caught.value)


def test_a_huge_answer_is_refused_without_reading_it_all() -> None:
    body = b'{"id": 1, "cnt": 1, "x": "' + b"a" * 300_000 + b'"}'
    with CannedServer(http_answer(body, content_type="application/json")) as server:
        with create_transport(_url(server.port, max_answer_bytes="65536")) as transport:
            with pytest.raises(ProtocolError, match="larger than 65536"):
                transport.balance()


def test_a_server_that_never_answers_times_out() -> None:
    with CannedServer(b"") as upstream, FaultProxy((upstream.host, upstream.port)) as proxy:
        proxy.fault = Fault.BLACKHOLE
        with create_transport(_url(proxy.port, timeout="0.5")) as transport:
            started = time.monotonic()
            with pytest.raises(TransportTimeout):
                transport.send(Message("79991234567", "hi"))
            assert time.monotonic() - started < 5


def test_a_refused_connection_is_a_connect_error() -> None:
    with closed_port() as port, create_transport(_url(port)) as transport:
        with pytest.raises(ConnectError):
            transport.send(Message("79991234567", "hi"))


def test_a_link_cut_after_the_request_is_an_unknown_outcome() -> None:
    with CannedServer(OK_ANSWER) as upstream, FaultProxy((upstream.host, upstream.port)) as proxy:
        proxy.fault = Fault.CUT_AFTER_REQUEST
        with create_transport(_url(proxy.port)) as transport, pytest.raises(OutcomeUnknown):
            transport.send(Message("79991234567", "hi"))
    assert len(upstream.requests) == 1  # it did arrive, and was not sent again


def test_a_reset_connection_is_a_transport_error() -> None:
    with CannedServer(OK_ANSWER) as upstream, FaultProxy((upstream.host, upstream.port)) as proxy:
        proxy.fault = Fault.RESET
        with create_transport(_url(proxy.port)) as transport, pytest.raises(TransportError):
            transport.send(Message("79991234567", "hi"))
