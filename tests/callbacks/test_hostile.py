"""Hostile callback requests (issue 11, item 11): the secret first, 400 for any bad body.

A multipart part with ``charset="utf\\x008"`` made the WSGI app answer 500 and the ASGI
app raise, with no secret given: the body was parsed before the token was checked, and
the ``ValueError`` of the odd charset was not caught. The WSGI app runs on a real
loopback server; the ASGI app is driven through its protocol by hand.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_transports.callbacks import CallbackReceiver, Reply, make_asgi_app, make_wsgi_app
from smsc_transports.results import IncomingMessage, StatusResult

SECRET = "dummy-secret"
BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, str, bytes]) -> bytes:
    """A multipart body of (name, part content type, value) parts."""
    chunks = []
    for name, part_type, value in parts:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        if part_type:
            head += f"Content-Type: {part_type}\r\n"
        chunks.append(head.encode("utf-8") + b"\r\n" + value + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


ODD_CHARSETS = ['text/plain; charset="utf\x008"', "text/plain; charset=undefined",
                "text/plain; charset=punycode", "text/plain; charset=base64",
                'text/plain; charset="utf\x00 8"', "text/plain; charset=zlib"]  # fmt: skip


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/smsc"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def guarded_url() -> Iterator[str]:
    yield from serve(make_wsgi_app(lambda result: None, secret=SECRET))


@pytest.fixture
def open_url() -> Iterator[str]:
    yield from serve(make_wsgi_app(lambda result: None))


def _post(url: str, body: bytes, content_type: str = MULTIPART) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)


@pytest.mark.parametrize("part_type", ODD_CHARSETS)
def test_an_odd_part_charset_without_the_secret_is_forbidden(
    guarded_url: str, part_type: str
) -> None:
    answer = _post(guarded_url, multipart(("id", part_type, b"1"), ("status", "", b"1")))
    assert (answer.status_code, answer.text) == (403, "forbidden\n")


@pytest.mark.parametrize("part_type", ODD_CHARSETS)
def test_an_odd_part_charset_with_the_secret_is_a_bad_request(
    guarded_url: str, part_type: str
) -> None:
    body = multipart(("id", part_type, b"1"), ("status", "", b"1"))
    answer = _post(guarded_url + f"?token={SECRET}", body)
    assert answer.status_code == 400
    assert answer.text.startswith("bad callback:")


@pytest.mark.parametrize("part_type", ODD_CHARSETS)
def test_an_odd_part_charset_without_a_secret_configured_is_a_bad_request(
    open_url: str, part_type: str
) -> None:
    answer = _post(open_url, multipart(("id", part_type, b"1"), ("status", "", b"1")))
    assert answer.status_code == 400


def test_a_malformed_body_without_the_secret_is_forbidden_not_parsed(guarded_url: str) -> None:
    for body, content_type in [
        (b"id=1&status=%FF", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
        (b"--nope", MULTIPART),
    ]:
        assert _post(guarded_url, body, content_type).status_code == 403


def test_the_token_still_works_from_the_header_the_query_or_the_form(guarded_url: str) -> None:
    form = "application/x-www-form-urlencoded"
    assert _post(guarded_url + f"?token={SECRET}", b"id=1&status=1", form).status_code == 200
    headers = {"Content-Type": form, "X-Callback-Token": SECRET}
    answer = requests.post(guarded_url, data=b"id=1&status=1", headers=headers, timeout=10)
    assert answer.status_code == 200
    assert _post(guarded_url, f"id=1&status=1&token={SECRET}".encode(), form).status_code == 200
    body = multipart(("id", "", b"1"), ("status", "", b"1"), ("token", "", SECRET.encode()))
    assert _post(guarded_url, body).status_code == 200
    assert _post(guarded_url + "?token=wrong", b"id=1&status=1", form).status_code == 403


def _call_asgi(app: Any, body: bytes, content_type: str, query: bytes = b"") -> int:
    sent: list[MutableMapping[str, Any]] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> MutableMapping[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/smsc",
        "query_string": query,
        "headers": [(b"content-type", content_type.encode("latin-1"))],
    }
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])


@pytest.mark.parametrize("part_type", ODD_CHARSETS)
def test_the_asgi_app_answers_odd_part_charsets_and_never_raises(part_type: str) -> None:
    body = multipart(("id", part_type, b"1"), ("status", "", b"1"))
    guarded = make_asgi_app(lambda result: None, secret=SECRET)
    assert _call_asgi(guarded, body, MULTIPART) == 403
    assert _call_asgi(guarded, body, MULTIPART, query=f"token={SECRET}".encode()) == 400
    assert _call_asgi(make_asgi_app(lambda result: None), body, MULTIPART) == 400


PART_TYPES = st.sampled_from(["", "text/plain", *ODD_CHARSETS]) | st.text(max_size=40).map(
    lambda charset: f"text/plain; charset={charset}"
)
NAMES = st.sampled_from(["id", "status", "phone", "err", "mes", "token", "x"])


@settings(
    max_examples=150, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(
    parts=st.lists(st.tuples(NAMES, PART_TYPES, st.binary(max_size=20)), max_size=4),
    token=st.sampled_from([None, SECRET, "wrong"]),
    garbage=st.binary(max_size=30),
)
def test_any_multipart_body_gets_an_answer_never_an_exception(
    parts: list[tuple[str, str, bytes]], token: str | None, garbage: bytes
) -> None:
    if any("\r" in t or "\n" in t for _, t, _ in parts):
        parts = [(name, "", value) for name, _, value in parts]
    body = multipart(*parts) + garbage
    for secret in (None, SECRET):
        receiver = CallbackReceiver(secret=secret)
        outcome = receiver.receive("POST", b"", MULTIPART, token, body)
        if isinstance(outcome, Reply):
            assert outcome.code in (200, 400, 403)
            if secret is not None and token != SECRET and outcome.code == 400:
                # Unauthenticated requests learn nothing about what their body held.
                pytest.fail("a request without the secret got a 400")
        else:
            assert isinstance(outcome, StatusResult | IncomingMessage)
