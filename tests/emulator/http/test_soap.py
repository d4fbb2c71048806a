"""The emulator's SOAP endpoint called directly: WSDL, faults, and answers from the state."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from smsc_transports.emulator import EmulatorState, ManualClock
from smsc_transports.emulator.http.soap import handle_soap
from smsc_transports.wire.soap import calls as wire
from smsc_transports.wire.soap import envelope

BASE = "http://127.0.0.1:8123"
ENV = envelope.ENVELOPE_NS


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState(clock=ManualClock())


def _post(state: EmulatorState, inner: str) -> tuple[int, str, bytes]:
    body = (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:t="{wire.NAMESPACE}"><s:Body>{inner}</s:Body>'
        "</s:Envelope>"
    ).encode()
    return handle_soap(state, "POST", "", body, BASE)


def _result(answer: bytes, operation: str) -> dict[str, str]:
    spec = wire.OPERATIONS[operation]
    root = etree.fromstring(answer)
    holder = root.find(f"{{{ENV}}}Body/{{{wire.NAMESPACE}}}{spec.response}/{spec.result}")
    return {child.tag: child.text or "" for child in holder}


@pytest.mark.parametrize("query", ["wsdl", "WSDL", "wsdl=1"])
def test_get_wsdl_serves_the_shipped_wsdl_at_the_emulators_address(
    state: EmulatorState, query: str
) -> None:
    status, content_type, body = handle_soap(state, "GET", query, b"", BASE)
    assert (status, content_type) == (200, "text/xml; charset=utf-8")
    root = etree.fromstring(body)
    address = root.find(f".//{{{envelope.WSDL_SOAP_NS}}}address")
    assert address.get("location") == BASE + "/sys/soap.php"
    assert b"send_sms2" in body


@pytest.mark.parametrize(("method", "query"), [("GET", ""), ("PUT", "wsdl"), ("DELETE", "")])
def test_anything_but_a_post_or_a_wsdl_request_is_not_allowed(
    state: EmulatorState, method: str, query: str
) -> None:
    assert handle_soap(state, method, query, b"", BASE)[0] == 405


def test_a_malformed_envelope_gets_a_soap_fault_with_http_500(state: EmulatorState) -> None:
    status, content_type, body = handle_soap(state, "POST", "", b"<oops", BASE)
    assert (status, content_type) == (500, "text/xml; charset=utf-8")
    fault = etree.fromstring(body).find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert fault.findtext("faultcode") == "SOAP-ENV:Client"
    assert "Traceback" not in body.decode()


def test_an_envelope_with_an_entity_is_refused_and_the_entity_never_expanded(
    state: EmulatorState,
) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY who "demo">]>'
        b'<s:Envelope xmlns:s="' + ENV.encode() + b'" xmlns:t="' + wire.NAMESPACE.encode() + b'">'
        b"<s:Body><t:balance><login>&who;</login><psw>&who;</psw></t:balance></s:Body>"
        b"</s:Envelope>"
    )
    status, _, answer = handle_soap(state, "POST", "", body, BASE)
    assert status == 500
    assert b"Fault" in answer
    assert b"balanceresult" not in answer


def test_a_handler_failure_is_a_server_fault_not_a_traceback(
    state: EmulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(state, "balance", broken)
    status, _, body = _post(state, "<t:balance><login>demo</login><psw>demo</psw></t:balance>")
    assert status == 500
    assert b"SOAP-ENV:Server" in body
    assert b"secret internals" not in body


def test_a_balance_request_is_answered_from_the_state(state: EmulatorState) -> None:
    state.set_balance("demo", "12.34")
    status, _, body = _post(state, "<t:balance><login>demo</login><psw>demo</psw></t:balance>")
    assert status == 200
    assert _result(body, "get_balance") == {"balance": "12.34", "error": "0"}


def test_smsc_errors_travel_in_the_error_field_with_http_200(state: EmulatorState) -> None:
    status, _, body = _post(state, "<t:balance><login>demo</login><psw>no</psw></t:balance>")
    assert status == 200
    assert _result(body, "get_balance") == {"error": "2"}


def test_missing_credentials_are_a_parameter_error(state: EmulatorState) -> None:
    _, _, body = _post(state, "<t:balance/>")
    assert _result(body, "get_balance") == {"error": "1"}


def test_the_query_cannot_override_the_account_or_the_cost_mode(state: EmulatorState) -> None:
    inner = (
        "<t:send2><login>demo</login><psw>demo</psw><phones>79990000001</phones>"
        "<mes>hi</mes><query>login=other&amp;psw=x&amp;cost=1&amp;translit=1</query></t:send2>"
    )
    result = _result(_post(state, inner)[2], "send_sms2")
    assert result["error"] == "0"
    assert result["id"] == "1"  # sent (cost=1 would only have priced it)
    assert result["balance"] == "98.60"


def test_a_message_sent_over_soap_is_in_the_shared_state(state: EmulatorState) -> None:
    inner = (
        "<t:send><login>demo</login><psw>demo</psw><phones>79990000001</phones>"
        "<mes>hello</mes><id>order-7</id><sender>Shop</sender></t:send>"
    )
    result = _result(_post(state, inner)[2], "send_sms")
    assert result == {"id": "order-7", "balance": "98.60", "cost": "1.40", "cnt": "1", "error": "0"}
    account = state.authenticate("demo", "demo")
    record = state.status(account, "order-7", "79990000001")
    assert (record.text, record.sender, record.cost) == ("hello", "Shop", Decimal("1.40"))


def test_status_comma_lists_are_a_parameter_error_over_soap(state: EmulatorState) -> None:
    inner = (
        "<t:status><login>demo</login><psw>demo</psw>"
        "<phone>7999,7998</phone><id>1,2</id></t:status>"
    )
    assert _result(_post(state, inner)[2], "get_status") == {"error": "1"}


def test_a_bad_query_encoding_is_a_parameter_error(state: EmulatorState) -> None:
    inner = (
        "<t:cost2><login>demo</login><psw>demo</psw><phones>79990000001</phones>"
        "<mes>hi</mes><query>sender=%FF%FE</query></t:cost2>"
    )
    assert _result(_post(state, inner)[2], "get_sms_cost2") == {"error": "1"}


def test_an_api_key_may_come_in_the_query_of_a_star2_operation(state: EmulatorState) -> None:
    state.account("demo").apikey = "KEY-1"
    inner = (
        "<t:cost2><login></login><psw></psw><phones>79990000001</phones>"
        "<mes>hi</mes><query>apikey=KEY-1</query></t:cost2>"
    )
    assert _result(_post(state, inner)[2], "get_sms_cost2") == {
        "cost": "1.40",
        "cnt": "1",
        "error": "0",
    }
