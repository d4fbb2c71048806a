"""The new HTTP operations against bad and hostile answers, on loopback sockets.

Each answer a canned server gives (wrong shapes, absurd values, error codes, an echoed
password) ends in a typed error: never a crash, never the password in the text, and
credentials only ever in the POST body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from smsc_transports import (
    AuthenticationError,
    Message,
    ProtocolError,
    RateLimited,
    SMSCError,
    Transport,
    create_transport,
)
from tests.faults import CannedServer, http_answer

PASSWORD = "dummy/pw?#x"
JSON = "application/json"

OPERATIONS: dict[str, Callable[[Transport], Any]] = {
    "operator": lambda t: t.operator("79991234567"),
    "jobs": lambda t: t.jobs(),
    "cancel_job": lambda t: t.cancel_job("5"),
    "add_sender": lambda t: t.add_sender("Shop"),
    "confirm_sender": lambda t: t.confirm_sender("79991234567", "1234"),
    "raw": lambda t: t.raw("info", {"get_operator": 1, "phone": "79991234567"}),
    "cost_many": lambda t: [
        o.unwrap() for o in t.cost_many([Message("79991234567", "a"), Message("79991234568", "b")])
    ],
    "history": lambda t: t.history(prev_id="10"),
}


def _url(port: int) -> str:
    return f"http://shop:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?timeout=5&backup_hosts="


def _run(body: bytes, operation: str) -> tuple[BaseException | None, list[bytes]]:
    with (
        CannedServer(http_answer(body, content_type=JSON)) as server,
        create_transport(_url(server.port)) as transport,
    ):
        try:
            OPERATIONS[operation](transport)
        except SMSCError as exc:
            return exc, server.requests
    return None, server.requests


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        b'"a string"',
        b'{"error":"x","error_code":1e5000}',
        b"[" * 50 + b"]" * 50,
    ],
)
def test_a_malformed_answer_is_a_protocol_error(operation: str, body: bytes) -> None:
    error, _ = _run(body, operation)
    valid_json = body.startswith((b'"', b"["))
    if valid_json and operation in ("raw", "cancel_job", "add_sender", "confirm_sender"):
        # raw hands back any JSON SMSC sends; the others read nothing but an error code.
        assert error is None
        return
    assert isinstance(error, ProtocolError), (operation, error)
    assert PASSWORD not in str(error)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_an_error_answer_becomes_its_typed_error_with_the_echoed_password_masked(
    operation: str,
) -> None:
    body = json.dumps({"error": f"bad password {PASSWORD}", "error_code": 2}).encode()
    error, requests = _run(body, operation)
    assert isinstance(error, AuthenticationError)
    assert PASSWORD not in str(error)
    # Credentials travel in the POST body, never the request line.
    line = requests[0].split(b"\r\n", 1)[0]
    assert line.startswith(b"POST /sys/") and b"psw" not in line


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id":"1; rm -rf","name":"x"}]',
        b'[{"name":"no id"}]',
        b'[{"id":1,"phones":{"not":"a list"}}]',
        b'[{"id":1,"timestamp":99999999999999999}]',
        b'[{"id":1,"time":"not a date"}]',
    ],
)
def test_a_hostile_jobs_list_is_a_protocol_error(body: bytes) -> None:
    error, _ = _run(body, "jobs")
    assert isinstance(error, ProtocolError)


@pytest.mark.parametrize(
    "body",
    [
        b'{"country":["a"]}',
        b'{"mcc":true}',
        b'{"operator":{"x":1}}',
    ],
)
def test_a_hostile_operator_answer_is_a_protocol_error(body: bytes) -> None:
    error, _ = _run(body, "operator")
    assert isinstance(error, ProtocolError)


def test_cost_many_hands_a_rate_limit_to_every_message_of_the_request() -> None:
    body = json.dumps({"error": "duplicate request", "error_code": 9}).encode()
    with (
        CannedServer(http_answer(body, content_type=JSON)) as server,
        create_transport(_url(server.port)) as transport,
    ):
        outcomes = list(
            transport.cost_many([Message("79991234567", "a"), Message("79991234568", "b")])
        )
    assert [type(o.error) for o in outcomes] == [RateLimited, RateLimited]
    assert len(server.requests) == 1


def test_cost_many_prices_alone_when_the_answer_has_no_per_number_costs() -> None:
    # A server ignoring op=1 for prices: the two messages cannot be told apart.
    body = json.dumps({"cost": "2.80", "cnt": 2}).encode()
    with (
        CannedServer(http_answer(body, content_type=JSON)) as server,
        create_transport(_url(server.port)) as transport,
    ):
        outcomes = list(
            transport.cost_many([Message("79991234567", "a"), Message("79991234568", "b")])
        )
    assert len(server.requests) == 3  # the list, then each message on its own
    assert all(o.ok for o in outcomes)
