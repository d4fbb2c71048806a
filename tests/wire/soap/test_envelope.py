"""The server side of the SOAP wire format: requests read safely, answers zeep can read."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import zeep
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from smsc_transports.wire.soap import calls as wire
from smsc_transports.wire.soap import envelope

ENV = envelope.ENVELOPE_NS


def _zeep_client() -> Any:
    return zeep.Client(io.BytesIO(wire.wsdl_bytes()))  # type: ignore[no-untyped-call]


def _request_bytes(operation: str, **fields: str) -> bytes:
    client = _zeep_client()
    service = client.create_service(
        "{https://smsc.ru/sys/soap.php}ServiceSoap", "http://127.0.0.1/sys/soap.php"
    )
    node = client.create_message(service, operation, **fields)
    data: bytes = etree.tostring(node)
    return data


def _wrap(inner: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:t="{wire.NAMESPACE}"><s:Body>{inner}</s:Body>'
        "</s:Envelope>"
    ).encode()


@pytest.mark.parametrize("operation", sorted(wire.OPERATIONS))
def test_every_operation_zeep_writes_is_read_back_with_its_fields(operation: str) -> None:
    spec = wire.OPERATIONS[operation]
    fields = {name: f"v-{name}" for name in spec.fields}
    request = envelope.parse_request(_request_bytes(operation, **fields))
    assert request == envelope.SoapRequest(operation, fields)


def test_qualified_fields_are_read_like_unqualified_ones() -> None:
    body = _wrap("<t:balance><t:login>a</t:login><psw>b</psw></t:balance>")
    assert envelope.parse_request(body).fields == {"login": "a", "psw": "b"}


def test_unknown_fields_are_ignored_and_apikey_is_kept() -> None:
    body = _wrap("<t:balance><login/><psw>b</psw><apikey>K</apikey><x>y</x></t:balance>")
    assert envelope.parse_request(body).fields == {"login": "", "psw": "b", "apikey": "K"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "Client"),
        (b"not xml at all", "Client"),
        (b"<a><b></a>", "Client"),
        (b"<html><body>hello</body></html>", "Client"),
        (
            b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY e "boom">]>'
            + _wrap("<t:balance><login>&e;</login><psw>b</psw></t:balance>"),
            "Client",
        ),
        (
            b'<!DOCTYPE s:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">'
            + _wrap("<t:balance><login>a</login><psw>b</psw></t:balance>"),
            "Client",
        ),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>',
            "VersionMismatch",
        ),
        (_wrap(""), "Client"),
        (_wrap("<t:balance/><t:balance/>"), "Client"),
        (_wrap("<t:transfer><login>a</login></t:transfer>"), "Client"),
        (_wrap('<balance xmlns="urn:other"><login>a</login></balance>'), "Client"),
        (_wrap("<t:balance><login>a</login><login>b</login></t:balance>"), "Client"),
        (_wrap("<t:balance><login><i>a</i></login></t:balance>"), "Client"),
        (b"<s:Envelope xmlns:s='" + ENV.encode() + b"'/>", "Client"),
    ],
    ids=[
        "empty",
        "text",
        "unclosed",
        "html",
        "internal-entity",
        "external-dtd",
        "soap12",
        "empty-body",
        "two-operations",
        "unknown-operation",
        "foreign-namespace",
        "field-twice",
        "field-with-elements",
        "no-body",
    ],
)
def test_malformed_or_hostile_envelopes_are_refused_with_a_fault_code(
    body: bytes, code: str
) -> None:
    with pytest.raises(envelope.EnvelopeError) as caught:
        envelope.parse_request(body)
    assert caught.value.code == code


def test_a_doctype_hidden_in_utf16_is_refused_too() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        + _wrap("<t:balance><login>&e;</login><psw>b</psw></t:balance>").decode()
    )
    with pytest.raises(envelope.EnvelopeError, match="DOCTYPE"):
        envelope.parse_request(text.encode("utf-16"))


def test_an_oversized_envelope_is_refused_before_parsing() -> None:
    body = _wrap("<t:balance><login>" + "a" * envelope.MAX_ENVELOPE_BYTES + "</login></t:balance>")
    with pytest.raises(envelope.EnvelopeError, match="larger"):
        envelope.parse_request(body)


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_an_envelope_error(body: bytes) -> None:
    with contextlib.suppress(envelope.EnvelopeError):
        envelope.parse_request(body)


def test_a_response_lists_fields_in_schema_order_whatever_the_input_order() -> None:
    data = envelope.build_response(
        "send_sms2",
        {
            "errors": [{"phone": "79990004007", "status": "22"}],
            "error": "0",
            "cnt": "1",
            "id": "5",
        },
    )
    root = etree.fromstring(data)
    result = root.find(f"{{{ENV}}}Body/{{{wire.NAMESPACE}}}Send2Response/sendresult")
    assert [child.tag for child in result] == ["id", "cnt", "error", "errors"]
    assert result.findtext("errors/phone") == "79990004007"


def test_zeep_reads_a_response_built_here() -> None:
    client = _zeep_client()
    operation = client.service._binding.get("get_balance")
    built = envelope.build_response("get_balance", {"balance": "10.00", "error": "0"})
    answer = operation.process_reply(etree.fromstring(built))
    assert (answer.balance, answer.error) == ("10.00", "0")


def test_characters_xml_cannot_carry_are_replaced_not_crashed_on() -> None:
    data = envelope.build_response("get_status", {"message": "bell\x07 and \x1b"})
    assert "bell\ufffd and \ufffd" in data.decode()


def test_a_fault_carries_its_code_and_text() -> None:
    root = etree.fromstring(envelope.build_fault("bad <thing>", "Client"))
    fault = root.find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert fault.findtext("faultcode") == "SOAP-ENV:Client"
    assert fault.findtext("faultstring") == "bad <thing>"


def test_the_address_rewrite_points_every_port_at_the_given_url() -> None:
    data = envelope.rewrite_address(wire.wsdl_bytes(), "http://127.0.0.1:8080/sys/soap.php")
    root = etree.fromstring(data)
    addresses = [a.get("location") for a in root.iter(f"{{{envelope.WSDL_SOAP_NS}}}address")]
    assert addresses == ["http://127.0.0.1:8080/sys/soap.php"]
