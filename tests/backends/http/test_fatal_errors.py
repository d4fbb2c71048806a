"""``send_many`` stops sending at the first error every later message would get too.

SMSC blocks an IP that keeps making failing requests (error 4), so a wrong password, a
blocked IP or an empty account must not be answered with one refused request per
message. The peer is a real HTTP server on loopback that refuses every request the way
SMSC does, and counts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from smsc_transports import (
    AuthenticationError,
    InsufficientFunds,
    IPBlocked,
    Message,
    NotSent,
    ParameterError,
    create_transport,
)
from tests.faults import CannedServer, http_answer

MESSAGES = 200


def refusing(code: int, text: str) -> CannedServer:
    body = json.dumps({"error": text, "error_code": code}).encode()
    return CannedServer(http_answer(body, content_type="application/json"))


def messages(count: int = MESSAGES) -> Iterator[Message]:
    # Each has its own id, so each is a request of its own: the worst case.
    return (Message(f"7999{n:07d}", f"text {n}", id=f"m{n}") for n in range(count))


@pytest.mark.parametrize(
    ("code", "text", "error"),
    [
        (2, "authorise error", AuthenticationError),
        (3, "no money", InsufficientFunds),
        (4, "IP address is temporarily blocked", IPBlocked),
    ],
)
def test_a_fatal_error_stops_the_requests_and_every_message_still_gets_its_outcome(
    code: int, text: str, error: type[Exception]
) -> None:
    with refusing(code, text) as server:
        url = f"http://demo:demo@127.0.0.1:{server.port}?concurrency=4"
        with create_transport(url) as transport:
            outcomes = list(transport.send_many(messages()))
    assert [o.index for o in outcomes] == list(range(MESSAGES))
    refused = [o for o in outcomes if isinstance(o.error, error)]
    skipped = [o for o in outcomes if isinstance(o.error, NotSent)]
    assert len(refused) + len(skipped) == MESSAGES
    # Requests already on their way when the first refusal came back may still be made
    # (at most the concurrency, plus one block's first batch); never one per message.
    assert len(server.requests) == len(refused) <= 8
    assert all(isinstance(o.error, NotSent) and isinstance(o.error.cause, error) for o in skipped)
    assert "demo" not in str(skipped[-1].error)  # no secret in the text


def test_an_error_of_one_message_does_not_stop_the_others() -> None:
    with refusing(1, "bad parameters") as server:
        with create_transport(f"http://demo:demo@127.0.0.1:{server.port}") as transport:
            outcomes = list(transport.send_many(messages(20)))
    assert all(isinstance(o.error, ParameterError) for o in outcomes)
    assert len(server.requests) == 20
