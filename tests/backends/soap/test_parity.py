"""Switching protocol needs no code change: one scenario over HTTP and over SOAP, same results.

Each run gets a fresh emulator on its own manual clock starting at the same instant, so
everything but the protocol is equal. Compared: what both protocols carry. Left out,
and said so in docs/soap.md: ids (by the promise), the currency (SOAP has no ``cur``),
per-recipient details (HTTP asks ``op=1``; SOAP has no such answer) and the country of
``all=2`` (not in SOAP's status result).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from smsc_transports import (
    APIError,
    Balance,
    CostResult,
    Message,
    SendResult,
    StatusResult,
    Transport,
    create_transport,
)
from smsc_transports.emulator import Emulator, ManualClock
from tests.backends.soap.endpoint import soap_port

OK, FAILING, STUCK = "79990000001", "79990001249", "79990005000"


def _view(value: Any) -> Any:
    """The part of a result both protocols carry."""
    if isinstance(value, SendResult):
        return ("sent", value.parts, value.cost, value.balance)
    if isinstance(value, CostResult):
        return ("cost", value.cost, value.parts)
    if isinstance(value, StatusResult):
        return (
            "status",
            value.phone,
            value.status,
            value.error,
            value.changed_at,
            value.sent_at,
            value.cost,
            value.sender,
            value.text,
            value.status_name,
            value.operator,
            value.region,
        )
    if isinstance(value, Balance):
        return ("balance", value.amount)
    if isinstance(value, APIError):
        return ("error", type(value).__name__, value.code, value.operation, value.id is not None)
    raise AssertionError(f"unexpected {value!r}")


def _attempt(call: Callable[[], Any]) -> Any:
    try:
        return _view(call())
    except APIError as error:
        return _view(error)


def scenario(transport: Transport, clock: ManualClock) -> list[Any]:
    """Sends, prices, errors, and statuses read as time passes."""
    seen: list[Any] = []
    sent: list[tuple[str, str]] = []
    for message in (
        Message(OK, "Привет! Ваш код 1234"),
        Message([OK, "79990000002"], "x" * 200, sender="Shop"),
        Message(FAILING, "will fail", translit=1, valid=timedelta(hours=1)),
        Message(STUCK, "stays transferred", id="order-1"),
    ):
        result = transport.send(message)
        seen.append(_view(result))
        sent.append((result.id, message.phones[0]))
    seen.append(_attempt(lambda: transport.cost(Message(OK, "price me", sender="Shop"))))
    seen.append(_attempt(lambda: transport.send(Message("79990004007", "bad number"))))
    seen.append(_attempt(lambda: transport.send(Message(OK, "Привет! Ваш код 1234"))))
    seen.append(_attempt(lambda: transport.send(Message(OK, "late", send_at="3213991299"))))
    seen.append(_attempt(lambda: transport.send(Message("79990004006", "forbidden"))))
    for step, detail in ((0, 0), (1.5, 1), (5, 2)):
        clock.advance(step)
        seen += [_view(transport.status(id, phone, detail=detail)) for id, phone in sent]
    seen.append(_view(transport.status("999", OK)))
    seen.append(_view(transport.balance()))
    return seen


@contextmanager
def _emulator(protocol: str, password: str = "demo") -> Iterator[tuple[str, ManualClock]]:
    """A fresh emulator: the settings URL reaching it over ``protocol``, and its clock."""
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        if protocol == "http":
            yield emulator.url(password=password), clock
            return
        with soap_port(emulator) as port:
            yield f"soap+http://demo:{password}@127.0.0.1:{port}", clock


def _run(protocol: str) -> list[Any]:
    with _emulator(protocol) as (url, clock), create_transport(url) as transport:
        return scenario(transport, clock)


def test_the_same_scenario_gives_the_same_results_over_http_and_soap() -> None:
    over_http, over_soap = _run("http"), _run("soap")
    assert over_soap == over_http
    # The scenario really covered successes, failures and each status stage.
    assert {entry[0] for entry in over_http} == {"sent", "cost", "error", "status", "balance"}
    assert len({entry[2] for entry in over_http if entry[0] == "status"}) >= 5


def test_bad_credentials_fail_the_same_way_over_both() -> None:
    results = []
    for protocol in ("http", "soap"):
        with _emulator(protocol, password="wrong") as (url, _), create_transport(url) as transport:
            results.append(_attempt(transport.balance))
    assert results[0] == results[1] == ("error", "AuthenticationError", 2, "balance", False)
