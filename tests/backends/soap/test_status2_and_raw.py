"""SOAP's get_status2 and any WSDL operation by name, against the emulator's SOAP endpoint."""

from __future__ import annotations

import asyncio

import pytest

from smsc_transports import (
    AuthenticationError,
    Capability,
    Message,
    MessageStatus,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.soap import SoapTransport
from tests.backends.soap.conftest import SoapPeer

PHONE = "79990000001"


def test_status_with_a_query_goes_as_get_status2_and_the_server_reads_it(peer: SoapPeer) -> None:
    with create_transport(peer.url()) as transport:
        assert isinstance(transport, SoapTransport)
        sent = transport.send(Message(PHONE, "hello"))
        plain = transport.status(sent.id, PHONE)
        # ``all`` in the query (not as the field): only get_status2 carries it.
        full = transport.status(sent.id, PHONE, query={"all": "2"})
    assert plain.operator is None and plain.sent_at is None
    assert full.status is MessageStatus.WAITING
    assert full.operator == "Emulator Test"
    assert full.sent_at is not None


def test_raw_calls_any_wsdl_operation_with_the_credentials_added(peer: SoapPeer) -> None:
    with create_transport(peer.url()) as transport:
        assert Capability.RAW in transport.capabilities
        sent = transport.send(Message(PHONE, "hello"))
        answer = transport.raw("get_status2", {"id": sent.id, "phone": PHONE, "query": {"all": 1}})
        assert answer["status"] == "-1"
        assert answer["sender_id"] == "SMSC.RU"
        assert transport.raw("get_balance")["balance"] == str(transport.balance().amount)


def test_a_raw_error_answer_is_its_typed_error(peer: SoapPeer) -> None:
    with (
        create_transport(peer.url(password="wrong")) as transport,
        pytest.raises(AuthenticationError),
    ):
        transport.raw("get_balance")


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        ("get_everything", {}),
        ("get_status", {"id": "1"}),  # phone is required
        ("get_status", {"id": "1", "phone": PHONE, "colour": "red"}),
        ("get_balance", {"psw": "other"}),
        ("get_status", {"id": "1", "phone": "\x00"}),
    ],
)
def test_raw_refuses_what_the_wsdl_does_not_allow_before_sending(
    peer: SoapPeer, operation: str, fields: dict[str, str]
) -> None:
    with create_transport(peer.url()) as transport, pytest.raises(ValidationError):
        transport.raw(operation, fields)


def test_raw_works_through_the_async_transport(peer: SoapPeer) -> None:
    async def main() -> str:
        async with create_async_transport(peer.url()) as transport:
            answer = await transport.raw("get_balance")
            return str(answer["balance"])

    assert asyncio.run(main()) == "100.00"


def test_soap_prices_many_messages_one_call_each(peer: SoapPeer) -> None:
    with create_transport(peer.url()) as transport:
        outcomes = list(transport.cost_many([Message(PHONE, "a"), Message(PHONE, "b" * 200)]))
    assert [o.unwrap().parts for o in outcomes] == [1, 2]
